/* test_worker.c - camarena-worker: FFmpeg's arguments, the stderr ring, the
 * command line, and the process itself run against tests/fake-ffmpeg.
 *
 * The process tests play camarenad: they create a real arena, bind the .up
 * (XSUB) and .wrk (ROUTER) sockets in a temporary runtime dir, start
 * build/bin/camarena-worker with the fake FFmpeg, and check what lands in the
 * arena, on the sockets and in the status pipe. Nothing here asserts on
 * elapsed time: receives have generous timeouts only to fail instead of hang. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lz4.h>
#include <zmq.h>

#include "arena/arena.h"
#include "arena/pixfmt.h"
#include "camarena.h"
#include "ipc/proto.h"
#include "tests/fakeframe.h"
#include "worker/data.h"
#include "worker/ffargs.h"
#include "worker/linering.h"
#include "worker/worker.h"

#define GUARD_MS 10000      /* a receive that takes this long means the test failed */
#define SLOTS 8
#define WIDTH 64
#define HEIGHT 48
#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* ---- ffargs ----------------------------------------------------------- */

static int argv_equal(char **argv, int argc, const char *const *want)
{
    int i;
    for (i = 0; want[i]; i++) {
        if (i >= argc || strcmp(argv[i], want[i]) != 0) {
            print_error("argument %d: got '%s', want '%s'\n", i, i < argc ? argv[i] : "(end)", want[i]);
            return 0;
        }
    }
    return i == argc && argv[argc] == NULL;
}

static void test_ffargs_url_with_options(void **state)
{
    (void)state;
    char *opts[] = { "-rtsp_transport", "tcp", "-timeout", "5000000" };
    struct ffargs_spec s = { .ffmpeg = "ffmpeg", .input = "rtsp://10.0.0.5/stream1", .input_options = opts,
                             .input_option_count = 4, .width = 640, .height = 480, .pix_fmt = "bgr24", .fps = 15 };
    char *argv[FFARGS_FIXED + 4];
    char vf[FFARGS_VF_MAX];
    int n = ffargs_build(&s, argv, FFARGS_FIXED + 4, vf, sizeof vf);
    static const char *const want[] = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
        "-rtsp_transport", "tcp", "-timeout", "5000000", "-i", "rtsp://10.0.0.5/stream1", "-an", "-vf",
        "fps=15,scale=640:480", "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1", NULL };
    assert_int_equal(n, 19);
    assert_true(argv_equal(argv, n, want));
}

static void test_ffargs_lavfi(void **state)
{
    (void)state;
    struct ffargs_spec s = { .ffmpeg = "/usr/bin/ffmpeg", .input = "testsrc2=size=640x480:rate=30", .lavfi = true,
                             .width = 320, .height = 240, .pix_fmt = "gray", .fps = 7.5 };
    char *argv[FFARGS_FIXED];
    char vf[FFARGS_VF_MAX];
    int n = ffargs_build(&s, argv, FFARGS_FIXED, vf, sizeof vf);
    static const char *const want[] = { "/usr/bin/ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
        "-re", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-an", "-vf", "fps=7.5,scale=320:240",
        "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1", NULL };
    assert_int_equal(n, 18);
    assert_true(argv_equal(argv, n, want));
}

static void test_ffargs_fps_zero_keeps_rate(void **state)
{
    (void)state;
    struct ffargs_spec s = { .ffmpeg = "ffmpeg", .input = "file.mp4", .width = 16, .height = 16,
                             .pix_fmt = "rgba", .fps = 0 };
    char *argv[FFARGS_FIXED];
    char vf[FFARGS_VF_MAX];
    int n = ffargs_build(&s, argv, FFARGS_FIXED, vf, sizeof vf);
    assert_int_equal(n, 15);
    assert_string_equal(argv[9], "scale=16:16");
    for (int i = 0; i < n; i++)
        assert_null(strstr(argv[i], "fps="));
}

static void test_ffargs_each_pix_fmt(void **state)
{
    (void)state;
    for (int f = 0; f < PIXFMT_COUNT; f++) {
        struct ffargs_spec s = { .ffmpeg = "ffmpeg", .input = "x", .width = 65535, .height = 65535,
                                 .pix_fmt = pixfmt_name(f), .fps = 240 };
        char *argv[FFARGS_FIXED];
        char vf[FFARGS_VF_MAX];
        int n = ffargs_build(&s, argv, FFARGS_FIXED, vf, sizeof vf);
        assert_int_equal(n, 15);
        assert_string_equal(argv[n - 3], "-pix_fmt");
        assert_string_equal(argv[n - 2], pixfmt_name(f));
        assert_string_equal(argv[n - 1], "pipe:1");
        assert_string_equal(argv[9], "fps=240,scale=65535:65535");
    }
}

static void test_ffargs_refuses(void **state)
{
    (void)state;
    char *opts[] = { "-a", "b" };
    struct ffargs_spec good = { .ffmpeg = "ffmpeg", .input = "x", .input_options = opts, .input_option_count = 2,
                                .width = 8, .height = 8, .pix_fmt = "gray", .fps = 1 };
    char *argv[FFARGS_FIXED + 2];
    char vf[FFARGS_VF_MAX];
    struct ffargs_spec s;

    assert_int_equal(ffargs_build(&good, argv, FFARGS_FIXED + 1, vf, sizeof vf), -E2BIG);
    assert_int_equal(ffargs_build(&good, argv, FFARGS_FIXED + 2, vf, 8), -E2BIG);
    s = good, s.input = "-f";
    assert_int_equal(ffargs_build(&s, argv, FFARGS_FIXED + 2, vf, sizeof vf), -EINVAL);
    s = good, s.fps = -1;
    assert_int_equal(ffargs_build(&s, argv, FFARGS_FIXED + 2, vf, sizeof vf), -EINVAL);
    s = good, s.fps = 0.0 / 0.0;
    assert_int_equal(ffargs_build(&s, argv, FFARGS_FIXED + 2, vf, sizeof vf), -EINVAL);
    s = good, s.width = 0;
    assert_int_equal(ffargs_build(&s, argv, FFARGS_FIXED + 2, vf, sizeof vf), -EINVAL);
    s = good, s.height = 70000;
    assert_int_equal(ffargs_build(&s, argv, FFARGS_FIXED + 2, vf, sizeof vf), -EINVAL);
    s = good, s.pix_fmt = NULL;
    assert_int_equal(ffargs_build(&s, argv, FFARGS_FIXED + 2, vf, sizeof vf), -EINVAL);
    s = good, s.input = "";
    assert_int_equal(ffargs_build(&s, argv, FFARGS_FIXED + 2, vf, sizeof vf), -EINVAL);
}

/* ---- the stderr ring ---------------------------------------------------- */

static void count_line(void *arg, const char *line)
{
    (void)line;
    (*(int *)arg)++;
}

static void test_linering_keeps_last_lines(void **state)
{
    (void)state;
    struct linering r;
    int seen = 0;
    linering_init(&r);
    assert_null(linering_line(&r, 0));
    linering_feed(&r, "first\nsec", 9, count_line, &seen);
    assert_int_equal(seen, 1);
    assert_string_equal(linering_line(&r, 0), "first");
    linering_feed(&r, "ond\r\n\n", 6, count_line, &seen);
    assert_int_equal(seen, 2);
    assert_string_equal(linering_line(&r, 0), "second");
    assert_string_equal(linering_line(&r, 1), "first");
    for (int i = 0; i < 20; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        linering_feed(&r, line, (size_t)n, NULL, NULL);
    }
    assert_string_equal(linering_line(&r, 0), "line 19");
    assert_string_equal(linering_line(&r, LINERING_LINES - 1), "line 12");
    assert_null(linering_line(&r, LINERING_LINES));
    linering_feed(&r, "no newline", 10, NULL, NULL);
    assert_string_equal(linering_line(&r, 0), "line 19");
    linering_flush(&r, NULL, NULL);
    assert_string_equal(linering_line(&r, 0), "no newline");
}

static void test_linering_cuts_long_lines(void **state)
{
    (void)state;
    struct linering r;
    char big[1000];
    memset(big, 'x', sizeof big);
    linering_init(&r);
    linering_feed(&r, big, sizeof big, NULL, NULL);
    linering_feed(&r, "\n", 1, NULL, NULL);
    assert_int_equal(strlen(linering_line(&r, 0)), LINERING_WIDTH - 1);
}

/* ---- the command line --------------------------------------------------- */

static void test_config_parse(void **state)
{
    (void)state;
    char *argv[] = { "camarena-worker", "--instance", "default", "--camera", "front-door", "--index", "3",
                     "--runtime-dir", "/run/x", "--ffmpeg", "ffmpeg", "--url", "testsrc", "--lavfi", "--fps", "12.5",
                     "--decimation", "2", "--status-fd", "7", "--report-ms", "250", "--log-level", "debug",
                     "--", "-rtsp_transport", "tcp", NULL };
    struct worker_config c;
    char err[256] = "";
    assert_int_equal(worker_config_parse(&c, ARGC(argv), argv, err, sizeof err), 0);
    assert_string_equal(c.instance, "default");
    assert_string_equal(c.camera, "front-door");
    assert_int_equal(c.index, 3);
    assert_string_equal(c.runtime_dir, "/run/x");
    assert_string_equal(c.url, "testsrc");
    assert_true(c.lavfi);
    assert_true(c.fps == 12.5);
    assert_int_equal(c.decimation, 2);
    assert_int_equal(c.status_fd, 7);
    assert_int_equal(c.report_ms, 250);
    assert_int_equal(c.log_level, WORKER_LOG_DEBUG);
    assert_int_equal(c.input_option_count, 2);
    assert_string_equal(c.input_options[0], "-rtsp_transport");
    assert_string_equal(c.input_options[1], "tcp");
}

static void test_config_refuses(void **state)
{
    (void)state;
    struct worker_config c;
    char err[256];
    char *missing[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                        "--url", "u", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(missing), missing, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "--fps"));
    char *bad[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                    "--url", "u", "--fps", "10", "--decimation", "0", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(bad), bad, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "--decimation"));
    char *dash[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                     "--url", "-f", "--fps", "10", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(dash), dash, err, sizeof err), -EINVAL);
    char *stray[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                      "--url", "u", "--fps", "10", "stray", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(stray), stray, err, sizeof err), -EINVAL);
    char *unknown[] = { "w", "--bogus", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(unknown), unknown, err, sizeof err), -EINVAL);
}

/* ---- data/: subscriptions, the token bucket, the queue bound ------------ */

static int subs_feed(struct data_subs *s, const char *msg)
{
    /* msg is "+prefix" or "-prefix". */
    char buf[128];
    size_t len = strlen(msg);
    buf[0] = msg[0] == '+' ? 1 : 0;
    memcpy(buf + 1, msg + 1, len - 1);
    return data_subs_feed(s, buf, len);
}

static void test_data_subs_prefixes(void **state)
{
    (void)state;
    struct data_subs s;
    data_subs_init(&s, "data/cam0/", 10);
    assert_false(data_subs_any(&s));

    /* Prefixes of other topics, and longer ones, do not match. */
    assert_int_equal(subs_feed(&s, "+frame/"), 0);
    assert_int_equal(subs_feed(&s, "+data/cam1/"), 0);
    assert_int_equal(subs_feed(&s, "+data/cam0/x"), 0);
    assert_int_equal(subs_feed(&s, "+data/cam01/"), 0);
    assert_false(data_subs_any(&s));

    /* The topic itself, and then a shorter prefix that also matches. */
    assert_int_equal(subs_feed(&s, "+data/cam0/"), 1);
    assert_true(data_subs_any(&s));
    assert_int_equal(subs_feed(&s, "+data/"), 0);
    assert_int_equal(subs_feed(&s, "+data/"), 0); /* repeated: changes nothing */
    assert_int_equal(subs_feed(&s, "-data/cam0/"), 0);
    assert_true(data_subs_any(&s));               /* data/ still holds it */
    assert_int_equal(subs_feed(&s, "-data/cam0/"), 0);
    assert_int_equal(subs_feed(&s, "-data/"), 1);
    assert_false(data_subs_any(&s));
    assert_int_equal(subs_feed(&s, "-data/"), 0);  /* an extra one cannot go below none */

    /* "" subscribes to everything, data/ included. */
    assert_int_equal(subs_feed(&s, "+"), 1);
    assert_true(data_subs_any(&s));
    assert_int_equal(subs_feed(&s, "-"), 1);
    assert_false(data_subs_any(&s));

    /* Not a subscription message. */
    assert_int_equal(data_subs_feed(&s, "\x02x", 2), -EINVAL);
    assert_int_equal(data_subs_feed(&s, "", 0), -EINVAL);
}

static void test_data_bucket(void **state)
{
    (void)state;
    struct data_bucket b;
    const uint64_t ms = 1000000;

    data_bucket_init(&b, 0, 100);
    for (int i = 0; i < 10; i++) {
        assert_true(data_bucket_allows(&b, 1, 1u << 30));
        data_bucket_take(&b, 1u << 30);
    }

    /* 1000 B/s, messages of up to 100 bytes: a one-second bucket, full at start. */
    data_bucket_init(&b, 1000, 100);
    assert_true(b.size == 1000);
    uint64_t t = 5000 * ms, sent = 0;
    for (int i = 0; i < 10; i++) {
        assert_true(data_bucket_allows(&b, t, 100));
        data_bucket_take(&b, 100);
        sent += 100;
    }
    assert_false(data_bucket_allows(&b, t, 100));
    assert_false(data_bucket_allows(&b, t + 99 * ms, 100));
    assert_true(data_bucket_allows(&b, t + 100 * ms, 100));
    /* A clock that goes back refills nothing. */
    data_bucket_take(&b, 100);
    assert_false(data_bucket_allows(&b, t, 100));
    /* Refills stop at the size. */
    assert_true(data_bucket_allows(&b, t + 3600000 * ms, 1000));
    assert_false(data_bucket_allows(&b, t + 3600000 * ms, 1001));

    /* Over any span the bucket lets through at most rate x span + size. */
    data_bucket_init(&b, 1000, 100);
    t = 1;
    sent = 0;
    for (int i = 0; i < 1000; i++, t += 10 * ms) {
        if (data_bucket_allows(&b, t, 70)) {
            data_bucket_take(&b, 70);
            sent += 70;
        }
    }
    assert_true(sent <= 1000 * 9.99 + 1000);
    assert_true(sent >= 1000 * 9.99 - 70);

    /* A rate below one message a second: the bucket holds the largest message. */
    data_bucket_init(&b, 10, 500);
    assert_true(b.size == 500);
    assert_true(data_bucket_allows(&b, 1, 500));
}

static void test_data_queue_bound(void **state)
{
    (void)state;
    uint64_t vga = 10 + 64 + 640 * 480 * 3;
    int hwm = data_queue_hwm(vga);
    assert_int_equal(hwm, 8);
    assert_true(data_queue_bytes_max(hwm, vga) <= DATA_QUEUE_BUDGET);
    assert_int_equal(data_queue_bytes_max(hwm, vga), 9 * vga);
    assert_int_equal(data_queue_hwm(1000), DATA_QUEUE_BUDGET / 1000 - 1);
    /* A frame larger than the budget still gets its 2 messages in the queue. */
    assert_int_equal(data_queue_hwm(3840 * 2160 * 3), DATA_QUEUE_MIN);
    assert_int_equal(data_queue_bytes_max(DATA_QUEUE_MIN, 100), 300);
}

static void test_config_data(void **state)
{
    (void)state;
    struct worker_config c;
    char err[256];
    char *dflt[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                     "--url", "u", "--fps", "10", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(dflt), dflt, err, sizeof err), 0);
    assert_true(c.data);
    assert_int_equal(c.data_rate, 0);
    char *set[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                    "--url", "u", "--fps", "10", "--data", "off", "--data-rate", "12500000000", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(set), set, err, sizeof err), 0);
    assert_false(c.data);
    assert_int_equal(c.data_rate, 12500000000ull);
    char *bad[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                    "--url", "u", "--fps", "10", "--data", "yes", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(bad), bad, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "--data"));
    char *rate[] = { "w", "--instance", "i", "--camera", "c", "--runtime-dir", "/r", "--ffmpeg", "f",
                     "--url", "u", "--fps", "10", "--data-rate", "-1", NULL };
    assert_int_equal(worker_config_parse(&c, ARGC(rate), rate, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "--data-rate"));
}

/* ---- process tests: a camarenad of our own ------------------------------ */

struct fx {
    char dir[64];
    char instance[40];
    char build[PATH_MAX];
    struct arena_plan plan;
    struct arena arena;
    uint32_t frame_size;
    void *ctx, *up, *wrk;
    pid_t worker;
    int status_r;
};

static int fx_setup(void **state)
{
    static unsigned counter;
    struct fx *fx = calloc(1, sizeof *fx);
    char err[256];
    assert_non_null(fx);
    fx->worker = -1;
    fx->status_r = -1;

    const char *b = getenv("CAMARENA_BUILD");
    if (b && *b) {
        snprintf(fx->build, sizeof fx->build, "%s", b);
    } else {
        /* This program is <build>/tests/test_worker: test that build's worker. */
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        char *slash;
        if (n > 0 && (self[n] = 0, slash = strrchr(self, '/')) && (*slash = 0, slash = strrchr(self, '/'))) {
            *slash = 0;
            snprintf(fx->build, sizeof fx->build, "%s", self);
        } else {
            snprintf(fx->build, sizeof fx->build, "build");
        }
    }

    snprintf(fx->dir, sizeof fx->dir, "/tmp/camarena-tw-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->instance, sizeof fx->instance, "tw%d-%u", (int)getpid(), counter++);

    struct arena_camera_spec cam = { .name = "cam0", .pix_fmt = PIXFMT_BGR24, .width = WIDTH, .height = HEIGHT,
                                     .slot_count = SLOTS, .priority = 50 };
    assert_int_equal(arena_plan_build(&fx->plan, &cam, 1, 4, 0, err, sizeof err), 0);
    int r = arena_create(&fx->arena, fx->instance, 0600, &fx->plan, err, sizeof err);
    if (r < 0)
        print_error("arena_create: %s\n", err);
    assert_int_equal(r, 0);
    fx->frame_size = arena_desc(&fx->arena, 0)->frame_size;
    assert_int_equal(fx->frame_size, WIDTH * HEIGHT * 3);

    char ep[IPC_ENDPOINT_MAX];
    int one = 1, guard = GUARD_MS, zero = 0;
    fx->ctx = zmq_ctx_new();
    fx->up = zmq_socket(fx->ctx, ZMQ_XSUB);
    fx->wrk = zmq_socket(fx->ctx, ZMQ_ROUTER);
    assert_non_null(fx->up);
    assert_non_null(fx->wrk);
    zmq_setsockopt(fx->up, ZMQ_RCVTIMEO, &guard, sizeof guard);
    zmq_setsockopt(fx->wrk, ZMQ_RCVTIMEO, &guard, sizeof guard);
    zmq_setsockopt(fx->up, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(fx->wrk, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(fx->wrk, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    assert_int_equal(ipc_endpoint(ep, sizeof ep, fx->dir, fx->instance, IPC_UP), 0);
    assert_int_equal(zmq_bind(fx->up, ep), 0);
    assert_int_equal(ipc_endpoint(ep, sizeof ep, fx->dir, fx->instance, IPC_WRK), 0);
    assert_int_equal(zmq_bind(fx->wrk, ep), 0);
    /* Every frame/ notification; data/ only in the tests that subscribe to it. */
    assert_int_equal(zmq_send(fx->up, "\x01" "frame/", 7, 0), 7);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX];
    if (fx->worker > 0) {
        kill(-fx->worker, SIGKILL);
        waitpid(fx->worker, NULL, 0);
    }
    if (fx->status_r >= 0)
        close(fx->status_r);
    zmq_close(fx->up);
    zmq_close(fx->wrk);
    zmq_ctx_term(fx->ctx);
    snprintf(path, sizeof path, "%s/%s.up", fx->dir, fx->instance);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s.wrk", fx->dir, fx->instance);
    unlink(path);
    rmdir(fx->dir);
    arena_close(&fx->arena, true);
    arena_plan_close(&fx->plan);
    free(fx);
    return 0;
}

/* Starts the worker on url, in a process group of its own as camarenad does,
 * with the arguments in extra (NULL-terminated, or NULL) added. */
static void worker_start_args(struct fx *fx, const char *ffmpeg, const char *url, const char *fps,
                              const char *decimation, bool lavfi, char *const *extra)
{
    char worker[PATH_MAX + 32], fake[PATH_MAX + 32], fdbuf[16];
    int sp[2];
    snprintf(worker, sizeof worker, "%s/bin/camarena-worker", fx->build);
    snprintf(fake, sizeof fake, "%s/tests/fake-ffmpeg", fx->build);
    assert_int_equal(access(worker, X_OK), 0);
    assert_int_equal(pipe2(sp, O_CLOEXEC), 0);
    if (fx->status_r >= 0)
        close(fx->status_r);
    fx->status_r = sp[0];

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        fcntl(sp[1], F_SETFD, 0);
        snprintf(fdbuf, sizeof fdbuf, "%d", sp[1]);
        char *argv[64] = { worker, "--instance", fx->instance, "--camera", "cam0", "--index", "0",
                           "--runtime-dir", fx->dir, "--ffmpeg", ffmpeg ? (char *)ffmpeg : fake,
                           "--url", (char *)url, "--fps", (char *)fps, "--decimation", (char *)decimation,
                           "--status-fd", fdbuf, "--report-ms", "50", "--log-level", "warn" };
        int argc = 23;
        if (lavfi)
            argv[argc++] = "--lavfi";
        for (int i = 0; extra && extra[i] && argc < 63; i++)
            argv[argc++] = extra[i];
        argv[argc] = NULL;
        execv(worker, argv);
        _exit(99);
    }
    close(sp[1]);
    fx->worker = pid;
}

static void worker_start_lavfi(struct fx *fx, const char *ffmpeg, const char *url, const char *fps,
                               const char *decimation, bool lavfi)
{
    worker_start_args(fx, ffmpeg, url, fps, decimation, lavfi, NULL);
}

static void worker_start(struct fx *fx, const char *ffmpeg, const char *url, const char *fps, const char *decimation)
{
    worker_start_args(fx, ffmpeg, url, fps, decimation, false, NULL);
}

/* Waits for the worker to end (an event that must happen; the bound only
 * turns a hang into a failure) and returns its exit status. */
static int worker_wait(struct fx *fx)
{
    int st = 0;
    for (int i = 0; i < GUARD_MS / 10; i++) {
        pid_t r = waitpid(fx->worker, &st, WNOHANG);
        if (r == fx->worker) {
            fx->worker = -1;
            assert_true(WIFEXITED(st));
            return WEXITSTATUS(st);
        }
        struct timespec ten = { 0, 10000000 };
        nanosleep(&ten, NULL);
    }
    fail_msg("the worker did not end");
    return -1;
}

static void status_read(struct fx *fx, struct ipc_exit *ex)
{
    ssize_t n = read(fx->status_r, ex, sizeof *ex);
    assert_int_equal(n, sizeof *ex);
    assert_int_equal(ex->size, sizeof *ex);
    assert_non_null(memchr(ex->error, 0, sizeof ex->error));
}

/* Receives one message from the worker; returns its part count. */
static int wrk_recv(struct fx *fx, char verb[16], void *body, size_t bodylen, size_t *got)
{
    char id[64];
    int more = 0, parts = 0;
    size_t len = sizeof more;
    int n = zmq_recv(fx->wrk, id, sizeof id, 0);
    if (n < 0)
        fail_msg("no message from the worker: %s", zmq_strerror(zmq_errno()));
    assert_int_equal(n, 4);
    assert_memory_equal(id, "cam0", 4);
    parts++;
    verb[0] = 0;
    *got = 0;
    for (zmq_getsockopt(fx->wrk, ZMQ_RCVMORE, &more, &len); more; zmq_getsockopt(fx->wrk, ZMQ_RCVMORE, &more, &len)) {
        if (parts == 1) {
            n = zmq_recv(fx->wrk, verb, 15, 0);
            assert_true(n >= 0);
            verb[n < 15 ? n : 15] = 0;
        } else {
            n = zmq_recv(fx->wrk, body, bodylen, 0);
            assert_true(n >= 0);
            *got = (size_t)n;
        }
        parts++;
    }
    return parts;
}

typedef int report_pred(const struct ipc_report *r, const void *arg);

/* Receives reports until pred holds; returns that report. Meanwhile the
 * XSUB is given a turn, as camarenad's poll loop gives it: ZeroMQ attaches a
 * worker's connection, and sends it the subscriptions made before, only
 * when the application next calls into the socket. */
static void report_until(struct fx *fx, struct ipc_report *out, report_pred *pred, const void *arg)
{
    for (int i = 0; i < 2000; i++) {
        char verb[16];
        size_t got;
        int events;
        size_t elen = sizeof events;
        zmq_getsockopt(fx->up, ZMQ_EVENTS, &events, &elen);
        int parts = wrk_recv(fx, verb, out, sizeof *out, &got);
        assert_int_equal(parts, 3);
        assert_string_equal(verb, "report");
        assert_int_equal(got, sizeof *out);
        assert_int_equal(out->size, sizeof *out);
        if (pred(out, arg))
            return;
    }
    fail_msg("no report satisfied the condition");
}

static int any_report(const struct ipc_report *r, const void *arg)
{
    (void)r, (void)arg;
    return 1;
}

static int frames_at_least(const struct ipc_report *r, const void *arg)
{
    return r->frames >= *(const uint64_t *)arg;
}

static int decimation_is(const struct ipc_report *r, const void *arg)
{
    return r->decimation == *(const uint32_t *)arg;
}

/* The report sent once FFmpeg is reaped and its output read to the end. */
static int partial_counted(const struct ipc_report *r, const void *arg)
{
    (void)arg;
    return r->ffmpeg_pid == 0 && r->dropped_partial > 0;
}

static void command_send(struct fx *fx, const char *verb, const void *arg, size_t arglen)
{
    assert_int_equal(zmq_send(fx->wrk, "cam0", 4, ZMQ_SNDMORE), 4);
    assert_int_equal(zmq_send(fx->wrk, verb, strlen(verb), arg ? ZMQ_SNDMORE : 0), (int)strlen(verb));
    if (arg)
        assert_int_equal(zmq_send(fx->wrk, arg, arglen, 0), (int)arglen);
}

static struct arena_slot *slot_hdr(struct fx *fx, uint32_t s)
{
    struct arena_camera_desc *d = arena_desc(&fx->arena, 0);
    return (struct arena_slot *)(fx->arena.base + d->slots_offset + (uint64_t)s * ARENA_SLOT_HEADER_SIZE);
}

static uint64_t head_seq(struct fx *fx)
{
    return atomic_load_explicit(&arena_ring(&fx->arena, 0)->head_seq, memory_order_acquire);
}

/* Reads frame f from the arena with the reader's seqlock and checks its
 * content. Returns 1 and the fake's counter, or 0 if f is not (or no longer)
 * in its slot. */
static int frame_get(struct fx *fx, uint64_t f, uint64_t *counter)
{
    struct arena_camera_desc *d = arena_desc(&fx->arena, 0);
    uint32_t s = (uint32_t)((f - 1) % d->slot_count);
    struct arena_slot *h = slot_hdr(fx, s);
    static uint8_t copy[WIDTH * HEIGHT * 3];
    if (atomic_load_explicit(&h->seq, memory_order_acquire) != 2 * f)
        return 0;
    uint32_t size = h->size;
    memcpy(copy, fx->arena.base + d->data_offset + (uint64_t)s * d->slot_stride, sizeof copy);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&h->seq, memory_order_relaxed) != 2 * f)
        return 0;
    assert_int_equal(size, fx->frame_size);
    int r = fakeframe_verify(copy, sizeof copy, counter);
    if (r != FAKEFRAME_OK)
        fail_msg("frame %llu: fakeframe_verify says %d", (unsigned long long)f, r);
    return 1;
}

static void test_frames_notifications_stop_restart(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    struct ipc_exit ex;
    uint64_t want = 30, counter;

    worker_start(fx, NULL, "fake:rate=400", "25", "1");
    report_until(fx, &rep, any_report, NULL);
    assert_true(rep.ffmpeg_pid > 0);
    assert_int_equal(rep.decimation, 1);

    /* Notifications: the topic, then a header that matches the arena. */
    for (int i = 0; i < 10; i++) {
        char topic[64];
        uint8_t raw[128];
        struct camarena_frame_header h;
        int n = zmq_recv(fx->up, topic, sizeof topic, 0);
        if (n < 0)
            fail_msg("no frame notification: %s", zmq_strerror(zmq_errno()));
        assert_int_equal(n, strlen("frame/cam0/"));
        assert_memory_equal(topic, "frame/cam0/", n);
        n = zmq_recv(fx->up, raw, sizeof raw, 0);
        assert_int_equal(n, CAMARENA_FRAME_HEADER_SIZE);
        assert_int_equal(camarena_frame_header_decode(raw, (size_t)n, &h), 0);
        assert_int_equal(h.flags, 0);
        assert_int_equal(h.generation, fx->arena.header->generation);
        assert_true(h.frame_seq >= 1);
        assert_int_equal(h.slot, (h.frame_seq - 1) % SLOTS);
        assert_int_equal(h.frame_size, fx->frame_size);
        assert_int_equal(h.width, WIDTH);
        assert_int_equal(h.height, HEIGHT);
        assert_int_equal(h.camera_index, 0);
        assert_string_equal(h.pix_fmt, "bgr24");
        assert_true(h.capture_realtime_ns > 0 && h.capture_monotonic_ns > 0);
        assert_true(head_seq(fx) >= h.frame_seq);
    }

    report_until(fx, &rep, frames_at_least, &want);
    command_send(fx, "stop", NULL, 0);
    assert_int_equal(worker_wait(fx), IPC_EXIT_STOPPED);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_STOPPED);
    assert_true(ex.frames >= want);

    /* The first run numbered frames as the fake counted them. The oldest
     * slot may have been emptied by the frame cut short at the stop. */
    uint64_t head1 = head_seq(fx);
    assert_int_equal(head1, ex.frames);
    for (uint64_t f = head1; f > head1 - (SLOTS - 1); f--) {
        assert_true(frame_get(fx, f, &counter));
        assert_int_equal(counter, f);
    }

    /* A second run continues the numbering; its fake counts from 1 again. */
    worker_start(fx, NULL, "fake:rate=fast&frames=5", "25", "1");
    assert_int_equal(worker_wait(fx), IPC_EXIT_FFMPEG_EXIT);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_FFMPEG_EXIT);
    assert_int_equal(ex.ffmpeg_status, 0);
    assert_int_equal(ex.ffmpeg_signal, 0);
    assert_int_equal(ex.frames, 5);
    assert_int_equal(head_seq(fx), head1 + 5);
    for (uint64_t n = 1; n <= 5; n++) {
        assert_true(frame_get(fx, head1 + n, &counter));
        assert_int_equal(counter, n);
    }
}

static void test_decimate(void **state)
{
    struct fx *fx = *state;
    struct ipc_report r1, r2;
    struct ipc_exit ex;
    uint32_t three = 3;
    uint64_t want;

    worker_start(fx, NULL, "fake:rate=500", "25", "1");
    report_until(fx, &r1, any_report, NULL);
    command_send(fx, "decimate", &three, sizeof three);
    report_until(fx, &r1, decimation_is, &three);
    want = r1.frames + 2 * SLOTS;
    report_until(fx, &r2, frames_at_least, &want);
    assert_int_equal(r2.decimation, 3);
    uint64_t kept = r2.frames - r1.frames, dropped = r2.dropped_decimated - r1.dropped_decimated;
    /* Two of three frames read are dropped; the reports may fall anywhere in a cycle. */
    assert_true(dropped + 2 >= 2 * kept && dropped <= 2 * kept + 2);
    assert_int_equal(r2.head_seq - r1.head_seq, kept);

    command_send(fx, "stop", NULL, 0);
    assert_int_equal(worker_wait(fx), IPC_EXIT_STOPPED);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_STOPPED);

    /* Frames committed after the change are every 3rd the fake wrote. The
     * oldest slot is skipped: the frames dropped since the last commit were
     * read into it. */
    uint64_t head = head_seq(fx), prev = 0, counter;
    assert_true(head >= r2.head_seq);
    for (uint64_t f = head - SLOTS + 2; f <= head; f++) {
        assert_true(frame_get(fx, f, &counter));
        if (prev)
            assert_int_equal(counter - prev, 3);
        prev = counter;
    }
}

static void test_sigterm_stops(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    struct ipc_exit ex;
    uint64_t want = 3;

    worker_start(fx, NULL, "fake:rate=100", "25", "1");
    report_until(fx, &rep, frames_at_least, &want);
    assert_int_equal(kill(fx->worker, SIGTERM), 0);
    assert_int_equal(worker_wait(fx), IPC_EXIT_STOPPED);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_STOPPED);
    assert_int_equal(ex.ffmpeg_signal, SIGTERM);
    assert_int_equal(head_seq(fx), ex.frames);
}

static void test_half_frame_never_committed(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    struct ipc_exit ex;
    uint64_t counter;

    worker_start(fx, NULL, "fake:rate=fast&half_after=5", "25", "1");
    assert_int_equal(worker_wait(fx), IPC_EXIT_FFMPEG_SIGNAL);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_FFMPEG_SIGNAL);
    assert_int_equal(ex.ffmpeg_signal, SIGKILL);
    assert_int_equal(ex.ffmpeg_status, -1);
    assert_int_equal(ex.frames, 5);
    assert_int_equal(head_seq(fx), 5);
    assert_int_equal(atomic_load(&slot_hdr(fx, 5)->seq), 0);
    for (uint64_t f = 1; f <= 5; f++) {
        assert_true(frame_get(fx, f, &counter));
        assert_int_equal(counter, f);
    }
    report_until(fx, &rep, partial_counted, NULL);
    assert_int_equal(rep.dropped_partial, 1);
    assert_int_equal(rep.frames, 5);
    assert_int_equal(rep.bytes_read, 5 * fx->frame_size + fx->frame_size / 2);
}

static void test_exit_status_and_line(void **state)
{
    struct fx *fx = *state;
    struct ipc_exit ex;

    worker_start(fx, NULL, "fake:rate=fast&exit_after=3&status=42&message=Connection%20refused", "25", "1");
    assert_int_equal(worker_wait(fx), IPC_EXIT_FFMPEG_EXIT);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_FFMPEG_EXIT);
    assert_int_equal(ex.ffmpeg_status, 42);
    assert_int_equal(ex.ffmpeg_signal, 0);
    assert_int_equal(ex.frames, 3);
    assert_string_equal(ex.error, "Connection refused");
    assert_int_equal(head_seq(fx), 3);
}

/* FFmpeg warns on stderr while frames flow: both pipes are drained, every
 * frame arrives, and the last line is kept. (A drain of stderr that waited on
 * stdout spun forever here, with FFmpeg blocked on a full pipe.) */
static void test_stderr_while_streaming(void **state)
{
    struct fx *fx = *state;
    struct ipc_exit ex;

    worker_start(fx, NULL, "fake:rate=fast&frames=300&chatter=1", "0", "1");
    assert_int_equal(worker_wait(fx), IPC_EXIT_FFMPEG_EXIT);
    status_read(fx, &ex);
    assert_int_equal(ex.ffmpeg_status, 0);
    assert_int_equal(ex.frames, 300);
    assert_string_equal(ex.error, "fake warning after frame 300");
}

static void test_crash_is_a_signal(void **state)
{
    struct fx *fx = *state;
    struct ipc_exit ex;

    worker_start(fx, NULL, "fake:rate=fast&crash_after=4", "0", "1");
    assert_int_equal(worker_wait(fx), IPC_EXIT_FFMPEG_SIGNAL);
    status_read(fx, &ex);
    assert_int_equal(ex.ffmpeg_signal, SIGSEGV);
    assert_int_equal(ex.frames, 4);
}

static void test_exec_failure(void **state)
{
    struct fx *fx = *state;
    struct ipc_exit ex;

    worker_start(fx, "/nonexistent/ffmpeg", "fake:", "25", "1");
    assert_int_equal(worker_wait(fx), IPC_EXIT_EXEC);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_EXEC);
    assert_non_null(strstr(ex.error, "/nonexistent/ffmpeg"));
    assert_non_null(strstr(ex.error, strerror(ENOENT)));
    assert_int_equal(head_seq(fx), 0);
}

/* SIGKILL of the worker must take FFmpeg with it, even a stalled one. As a
 * subreaper this test inherits the orphaned fake and sees how it died. */
static void test_worker_death_kills_ffmpeg(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    uint64_t want = 3;
    int st;

    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    worker_start(fx, NULL, "fake:rate=200&stall_after=3", "25", "1");
    report_until(fx, &rep, frames_at_least, &want);
    pid_t ff = rep.ffmpeg_pid;
    assert_true(ff > 0);
    assert_int_equal(kill(fx->worker, SIGKILL), 0);
    assert_int_equal(waitpid(fx->worker, &st, 0), fx->worker);
    fx->worker = -1;
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    pid_t r = 0;
    for (int i = 0; i < GUARD_MS / 10 && r == 0; i++) {
        r = waitpid(ff, &st, WNOHANG);
        if (r == 0) {
            struct timespec ten = { 0, 10000000 };
            nanosleep(&ten, NULL);
        }
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    assert_int_equal(r, ff);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    assert_int_equal(kill(ff, 0), -1);
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];
    for (const char *p = path; p && *p;) {
        const char *colon = strchrnul(p, ':');
        snprintf(buf, sizeof buf, "%.*s/%s", (int)(colon - p), p, prog);
        if (access(buf, X_OK) == 0)
            return true;
        p = *colon ? colon + 1 : colon;
    }
    return false;
}

/* The real FFmpeg, given the worker's arguments, fills every pixel of a
 * lavfi colour source with that colour (red is B=0 G=0 R=255 in bgr24, give
 * or take the rounding of FFmpeg's conversions through YUV). */
static void test_real_ffmpeg_lavfi_color(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    struct ipc_exit ex;
    uint64_t want = 3;

    if (!in_path("ffmpeg"))
        skip();
    worker_start_lavfi(fx, "ffmpeg", "color=c=red:size=320x240:rate=25", "25", "1", true);
    report_until(fx, &rep, frames_at_least, &want);
    command_send(fx, "stop", NULL, 0);
    assert_int_equal(worker_wait(fx), IPC_EXIT_STOPPED);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_STOPPED);
    assert_true(ex.frames >= want);

    struct arena_camera_desc *d = arena_desc(&fx->arena, 0);
    uint64_t head = head_seq(fx);
    assert_int_equal(head, ex.frames);
    for (uint64_t f = head; f > head - 2; f--) {
        uint32_t s = (uint32_t)((f - 1) % SLOTS);
        assert_int_equal(atomic_load(&slot_hdr(fx, s)->seq), 2 * f);
        const uint8_t *px = fx->arena.base + d->data_offset + (uint64_t)s * d->slot_stride;
        for (uint32_t i = 0; i < WIDTH * HEIGHT; i++) {
            if (px[3 * i] > 4 || px[3 * i + 1] > 4 || px[3 * i + 2] < 251)
                fail_msg("frame %llu pixel %u is %u,%u,%u", (unsigned long long)f, i, px[3 * i], px[3 * i + 1],
                         px[3 * i + 2]);
        }
    }
}

/* ---- process tests of data/ ---------------------------------------------- */

static void subscribe(struct fx *fx, bool on, const char *prefix)
{
    char buf[64];
    size_t len = strlen(prefix);
    buf[0] = on ? 1 : 0;
    memcpy(buf + 1, prefix, len);
    assert_int_equal(zmq_send(fx->up, buf, len + 1, 0), (int)len + 1);
}

/* Receives one data/cam0/ message (the test subscribes to nothing else):
 * its header in h, its payload in buf. Returns the payload's size. */
static size_t data_recv(struct fx *fx, struct camarena_frame_header *h, void *buf, size_t buflen)
{
    char topic[64];
    uint8_t raw[128];
    int more = 0;
    size_t len = sizeof more;
    int n = zmq_recv(fx->up, topic, sizeof topic, 0);
    if (n < 0)
        fail_msg("no data/ message: %s", zmq_strerror(zmq_errno()));
    assert_int_equal(n, strlen("data/cam0/"));
    assert_memory_equal(topic, "data/cam0/", n);
    n = zmq_recv(fx->up, raw, sizeof raw, 0);
    assert_int_equal(n, CAMARENA_FRAME_HEADER_SIZE);
    assert_int_equal(camarena_frame_header_decode(raw, (size_t)n, h), 0);
    assert_int_equal(zmq_getsockopt(fx->up, ZMQ_RCVMORE, &more, &len), 0);
    assert_true(more);
    n = zmq_recv(fx->up, buf, buflen, 0);
    assert_true(n >= 0 && (size_t)n <= buflen);
    assert_int_equal(zmq_getsockopt(fx->up, ZMQ_RCVMORE, &more, &len), 0);
    assert_false(more);
    assert_int_equal(h->generation, fx->arena.header->generation);
    assert_int_equal(h->slot, (h->frame_seq - 1) % SLOTS);
    assert_int_equal(h->frame_size, fx->frame_size);
    assert_int_equal(h->width, WIDTH);
    assert_int_equal(h->height, HEIGHT);
    assert_string_equal(h->pix_fmt, "bgr24");
    return (size_t)n;
}

/* Copies frame f out of the arena with the reader's seqlock. Returns 1, or
 * 0 if f is not (or no longer) in its slot. */
static int arena_frame_copy(struct fx *fx, uint64_t f, uint8_t *out)
{
    struct arena_camera_desc *d = arena_desc(&fx->arena, 0);
    uint32_t s = (uint32_t)((f - 1) % d->slot_count);
    struct arena_slot *h = slot_hdr(fx, s);
    if (atomic_load_explicit(&h->seq, memory_order_acquire) != 2 * f)
        return 0;
    memcpy(out, fx->arena.base + d->data_offset + (uint64_t)s * d->slot_stride, fx->frame_size);
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&h->seq, memory_order_relaxed) == 2 * f;
}

#define FRAME_BYTES (WIDTH * HEIGHT * 3)
#define PAYLOAD_MAX (FRAME_BYTES + FRAME_BYTES / 255 + 16) /* LZ4_compressBound(FRAME_BYTES) */

/* Receives data/ messages until compared frames matched the arena's bytes
 * for the same frame_seq (frames the ring no longer holds are passed over);
 * pattern: the fake's default content, checked as such. Returns how many of
 * the messages received were LZ4 blocks. */
static int data_match_arena(struct fx *fx, int compared, bool pattern)
{
    static uint8_t payload[PAYLOAD_MAX], frame[FRAME_BYTES], arena[FRAME_BYTES];
    int matched = 0, lz4 = 0;
    for (int i = 0; i < 2000 && matched < compared; i++) {
        struct camarena_frame_header h;
        size_t n = data_recv(fx, &h, payload, sizeof payload);
        if (h.flags & CAMARENA_FRAME_LZ4) {
            assert_int_equal(h.flags, CAMARENA_FRAME_LZ4);
            assert_true(n < FRAME_BYTES);
            assert_int_equal(LZ4_decompress_safe((const char *)payload, (char *)frame, (int)n, FRAME_BYTES),
                             FRAME_BYTES);
            lz4++;
        } else {
            assert_int_equal(h.flags, 0);
            assert_int_equal(n, FRAME_BYTES);
            memcpy(frame, payload, n);
        }
        uint64_t counter;
        assert_int_equal(fakeframe_check(frame, FRAME_BYTES, pattern, &counter), FAKEFRAME_OK);
        assert_int_equal(counter, h.frame_seq); /* one run of the fake: it counts as the arena does */
        if (!arena_frame_copy(fx, h.frame_seq, arena))
            continue;
        assert_memory_equal(frame, arena, FRAME_BYTES);
        matched++;
    }
    assert_int_equal(matched, compared);
    return lz4;
}

static int data_frames_at_least(const struct ipc_report *r, const void *arg)
{
    return r->data_frames >= *(const uint64_t *)arg;
}

static int subscribed_frames(const struct ipc_report *r, const void *arg)
{
    return r->data_subscribed == *(const uint32_t *)arg && r->frames >= 20;
}

static void stop_worker(struct fx *fx)
{
    struct ipc_exit ex;
    command_send(fx, "stop", NULL, 0);
    assert_int_equal(worker_wait(fx), IPC_EXIT_STOPPED);
    status_read(fx, &ex);
    assert_int_equal(ex.code, IPC_EXIT_STOPPED);
}

/* With nobody subscribed to data/ the worker compresses nothing. */
static void test_data_nothing_without_subscriber(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    uint64_t want = 60;

    worker_start(fx, NULL, "fake:rate=400&content=flat", "25", "1");
    report_until(fx, &rep, frames_at_least, &want);
    assert_int_equal(rep.data_subscribed, 0);
    assert_int_equal(rep.compressed_frames, 0);
    assert_int_equal(rep.compressed_in_bytes, 0);
    assert_int_equal(rep.data_frames, 0);
    assert_int_equal(rep.data_bytes, 0);
    assert_int_equal(rep.dropped_data_rate + rep.dropped_data_hold + rep.dropped_data_queue +
                     rep.dropped_data_overwritten, 0);
    assert_int_equal(rep.hold, 0);
    uint64_t msg = strlen("data/cam0/") + CAMARENA_FRAME_HEADER_SIZE + FRAME_BYTES;
    assert_int_equal(rep.data_queue_bytes_max, data_queue_bytes_max(data_queue_hwm(msg), msg));
    stop_worker(fx);
}

/* Compressible frames arrive as LZ4 blocks whose bytes are the arena's; a
 * second matching prefix keeps them coming until both are gone. */
static void test_data_flat_is_compressed(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep, r0;
    uint32_t yes = 1, no = 0;

    subscribe(fx, false, "frame/");
    subscribe(fx, true, "data/cam0/");
    worker_start(fx, NULL, "fake:rate=50&content=flat", "25", "1");
    assert_int_equal(data_match_arena(fx, 10, false), 10);
    report_until(fx, &rep, subscribed_frames, &yes);
    assert_true(rep.compressed_frames > 0);
    assert_int_equal(rep.data_raw_frames, 0);
    assert_true(rep.compressed_out_bytes * 10 < rep.compressed_in_bytes);

    /* data/ covers data/cam0/: dropping data/cam0/ alone changes nothing. */
    subscribe(fx, true, "data/");
    subscribe(fx, false, "data/cam0/");
    uint64_t want = rep.compressed_frames + 10;
    for (;;) {
        report_until(fx, &rep, any_report, NULL);
        assert_int_equal(rep.data_subscribed, 1);
        if (rep.compressed_frames >= want)
            break;
    }
    subscribe(fx, false, "data/");
    report_until(fx, &r0, subscribed_frames, &no);
    want = r0.frames + 20;
    report_until(fx, &rep, frames_at_least, &want);
    assert_int_equal(rep.compressed_frames, r0.compressed_frames);
    assert_int_equal(rep.data_frames, r0.data_frames);
    stop_worker(fx);
}

/* Frames LZ4 cannot shrink go raw, flag clear, bytes as in the arena. */
static void test_data_random_is_raw(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    uint32_t yes = 1;

    subscribe(fx, false, "frame/");
    subscribe(fx, true, "data/cam0/");
    worker_start(fx, NULL, "fake:rate=50&content=random", "25", "1");
    assert_int_equal(data_match_arena(fx, 10, false), 0);
    report_until(fx, &rep, subscribed_frames, &yes);
    assert_true(rep.data_frames >= 10);
    assert_int_equal(rep.data_raw_frames, rep.data_frames);
    assert_true(rep.compressed_frames >= rep.data_frames);
    assert_int_equal(rep.data_bytes, rep.data_frames * FRAME_BYTES);
    stop_worker(fx);
}

/* --data off: subscribed, and still nothing compressed or sent. */
static void test_data_off(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    uint32_t yes = 1;
    char *extra[] = { "--data", "off", NULL };

    subscribe(fx, true, "data/cam0/");
    worker_start_args(fx, NULL, "fake:rate=400&content=flat", "25", "1", false, extra);
    report_until(fx, &rep, subscribed_frames, &yes);
    uint64_t want = rep.frames + 40;
    report_until(fx, &rep, frames_at_least, &want);
    assert_int_equal(rep.data_subscribed, 1);
    assert_int_equal(rep.compressed_frames, 0);
    assert_int_equal(rep.data_frames, 0);
    assert_int_equal(rep.data_queue_bytes_max, 0);
    stop_worker(fx);
}

/* --data-rate: the bytes sent over frames captured within T seconds stay
 * within rate x T + the bucket, measured on the frames' own capture times. */
static void test_data_rate_limit(void **state)
{
    struct fx *fx = *state;
    struct ipc_report rep;
    static uint8_t payload[PAYLOAD_MAX];
    const uint64_t rate = 100000, msg = strlen("data/cam0/") + CAMARENA_FRAME_HEADER_SIZE + FRAME_BYTES;
    const uint64_t bucket = rate > msg ? rate : msg;
    char *extra[] = { "--data-rate", "100000", NULL };

    subscribe(fx, false, "frame/");
    subscribe(fx, true, "data/cam0/");
    /* 400 frames/s of 9 KiB random frames, sent raw: 3.7 MB/s offered. */
    worker_start_args(fx, NULL, "fake:rate=400&content=random", "25", "1", false, extra);
    uint64_t first = 0, last = 0, sent = 0, prev_seq = 0;
    for (int i = 0; i < 30; i++) {
        struct camarena_frame_header h;
        size_t n = data_recv(fx, &h, payload, sizeof payload);
        assert_true(h.frame_seq > prev_seq);
        prev_seq = h.frame_seq;
        if (i == 0)
            first = h.capture_monotonic_ns;
        last = h.capture_monotonic_ns;
        sent += strlen("data/cam0/") + CAMARENA_FRAME_HEADER_SIZE + n;
        double budget = (double)rate * (double)(last - first) / 1e9 + (double)bucket;
        if ((double)sent > budget)
            fail_msg("%llu bytes in %.3f s of frames: over %.0f", (unsigned long long)sent,
                     (double)(last - first) / 1e9, budget);
    }
    uint64_t received = 30;
    report_until(fx, &rep, data_frames_at_least, &received);
    assert_true(rep.dropped_data_rate > 0);
    stop_worker(fx);
}

static int hold_is(const struct ipc_report *r, const void *arg)
{
    return r->hold == *(const uint32_t *)arg;
}

static int held_at_least(const struct ipc_report *r, const void *arg)
{
    return r->dropped_data_hold >= *(const uint64_t *)arg;
}

static int data_frames_above(const struct ipc_report *r, const void *arg)
{
    return r->data_frames > *(const uint64_t *)arg;
}

/* "hold" 1 stops data/ (each frame counted), "hold" 0 resumes it. */
static void test_data_hold(void **state)
{
    struct fx *fx = *state;
    struct ipc_report r1, r2, r3;
    static uint8_t payload[PAYLOAD_MAX];
    struct camarena_frame_header h;
    uint8_t on = 1, off = 0;
    uint32_t held = 1, released = 0;

    subscribe(fx, false, "frame/");
    subscribe(fx, true, "data/cam0/");
    worker_start(fx, NULL, "fake:rate=200&content=flat", "25", "1");
    data_recv(fx, &h, payload, sizeof payload);

    command_send(fx, "hold", &on, 1);
    report_until(fx, &r1, hold_is, &held);
    uint64_t want = r1.dropped_data_hold + 20;
    report_until(fx, &r2, held_at_least, &want);
    assert_int_equal(r2.hold, 1);
    assert_int_equal(r2.data_frames, r1.data_frames);
    assert_int_equal(r2.compressed_frames, r1.compressed_frames);
    assert_true(r2.frames >= r1.frames + 20);

    command_send(fx, "hold", &off, 1);
    report_until(fx, &r3, hold_is, &released);
    report_until(fx, &r3, data_frames_above, &r2.data_frames);
    assert_true(r3.dropped_data_hold >= r2.dropped_data_hold);
    /* What was queued before the hold comes first; then frames newer than it. */
    for (int i = 0; i < 2000; i++) {
        data_recv(fx, &h, payload, sizeof payload);
        if (h.frame_seq > r2.head_seq)
            break;
    }
    assert_true(h.frame_seq > r2.head_seq);
    assert_true(h.flags & CAMARENA_FRAME_LZ4);
    stop_worker(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ffargs_url_with_options),
        cmocka_unit_test(test_ffargs_lavfi),
        cmocka_unit_test(test_ffargs_fps_zero_keeps_rate),
        cmocka_unit_test(test_ffargs_each_pix_fmt),
        cmocka_unit_test(test_ffargs_refuses),
        cmocka_unit_test(test_linering_keeps_last_lines),
        cmocka_unit_test(test_linering_cuts_long_lines),
        cmocka_unit_test(test_config_parse),
        cmocka_unit_test(test_config_refuses),
        cmocka_unit_test(test_config_data),
        cmocka_unit_test(test_data_subs_prefixes),
        cmocka_unit_test(test_data_bucket),
        cmocka_unit_test(test_data_queue_bound),
        cmocka_unit_test_setup_teardown(test_frames_notifications_stop_restart, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_decimate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_stops, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_half_frame_never_committed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_exit_status_and_line, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_stderr_while_streaming, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_is_a_signal, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_exec_failure, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_worker_death_kills_ffmpeg, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_real_ffmpeg_lavfi_color, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_nothing_without_subscriber, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_flat_is_compressed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_random_is_raw, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_off, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_rate_limit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_hold, fx_setup, fx_teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
