/* worker.c - camarena-worker's loop: FFmpeg's stdout into the ring, notifications, reports, commands. */
#define _GNU_SOURCE
#include "worker/worker.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <lz4.h>
#include <zmq.h>

#include "arena/arena.h"
#include "arena/writer.h"
#include "camarena.h"
#include "ipc/proto.h"
#include "worker/data.h"
#include "worker/ffargs.h"
#include "worker/linering.h"

#define PIPE_WANTED (1 << 20)      /* FFmpeg's stdout pipe, if the system allows it */
#define KILL_GRACE_NS 2000000000ull /* SIGTERM, then SIGKILL after this */
#define LINGER_MS 200
#define MIDFRAME_WAIT_MS 5         /* how long a frame's rest is awaited on the pipe alone */
#define TOPIC_MAX DATA_TOPIC_MAX

struct worker {
    const struct worker_config *cfg;
    struct arena_writer w;
    bool w_open;
    uint32_t frame_size;
    void *zctx;
    void *up;                     /* XPUB to <instance>.up: frame/ out, subscriptions in */
    void *data;                   /* XPUB to <instance>.up: data/ out, subscriptions in; NULL with --data off */
    void *wrk;                    /* DEALER to <instance>.wrk: reports out, commands in */
    int sigfd;
    pid_t pid;                    /* FFmpeg, 0 before it starts */
    bool reaped;
    int wait_status;              /* once reaped */
    int out_fd;                   /* FFmpeg's stdout, -1 after EOF */
    int err_fd;                   /* FFmpeg's stderr, -1 after EOF */
    uint8_t *cur;                 /* the begun slot being filled, NULL if none */
    uint32_t got;                 /* bytes of the current frame read so far */
    uint32_t decimation;
    uint32_t phase;               /* frames read since the last kept one */
    bool stopping;
    uint64_t kill_at_ns;          /* SIGKILL FFmpeg then, 0 if not armed */
    uint64_t next_report_ns;
    struct data_subs subs;        /* who subscribes to data/<camera>/ */
    bool hold;                    /* camarenad holds data/ publishing */
    struct data_bucket bucket;    /* --data-rate */
    char *lz4;                    /* LZ4's output, lz4_bound bytes, allocated once at start */
    int lz4_bound;
    uint64_t data_msg_max;        /* bytes of the largest data/ message: topic, header, raw frame */
    struct ipc_report rep;
    struct camarena_frame_header hdr;
    uint8_t hdr_bytes[CAMARENA_FRAME_HEADER_SIZE];
    uint8_t data_hdr_bytes[CAMARENA_FRAME_HEADER_SIZE];
    char topic[TOPIC_MAX];
    size_t topic_len;
    char data_topic[TOPIC_MAX];
    size_t data_topic_len;
    struct linering errlines;
    char error[IPC_EXIT_LINE_MAX]; /* the worker's own error, empty if none */
};

/* ---- logging: only this module and main talk to the user ------------- */

static const char *log_camera = "?";
static enum worker_log_level log_level = WORKER_LOG_INFO;

static void wlog(enum worker_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wlog(enum worker_log_level level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof line, "camarena-worker[%s]: ", log_camera);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write per line, so that lines of several workers do not mix. */
    size_t len = strnlen(line, sizeof line - 2);
    line[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}

/* Records the worker's own error for struct ipc_exit, and logs it. */
static void fail(struct worker *wk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct worker *wk, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wk->error, sizeof wk->error, fmt, ap);
    va_end(ap);
    wlog(WORKER_LOG_ERROR, "%s", wk->error);
}

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- arguments -------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

int worker_config_parse(struct worker_config *c, int argc, char **argv, char *err, size_t errlen)
{
    enum { O_INSTANCE = 256, O_CAMERA, O_INDEX, O_RUNTIME, O_FFMPEG, O_URL, O_LAVFI, O_FPS,
           O_DECIMATION, O_STATUS, O_REPORT, O_LOG, O_DATA, O_DATA_RATE };
    static const struct option opts[] = {
        { "instance", required_argument, NULL, O_INSTANCE },
        { "camera", required_argument, NULL, O_CAMERA },
        { "index", required_argument, NULL, O_INDEX },
        { "runtime-dir", required_argument, NULL, O_RUNTIME },
        { "ffmpeg", required_argument, NULL, O_FFMPEG },
        { "url", required_argument, NULL, O_URL },
        { "lavfi", no_argument, NULL, O_LAVFI },
        { "fps", required_argument, NULL, O_FPS },
        { "decimation", required_argument, NULL, O_DECIMATION },
        { "status-fd", required_argument, NULL, O_STATUS },
        { "report-ms", required_argument, NULL, O_REPORT },
        { "log-level", required_argument, NULL, O_LOG },
        { "data", required_argument, NULL, O_DATA },
        { "data-rate", required_argument, NULL, O_DATA_RATE },
        { NULL, 0, NULL, 0 },
    };
    static const char *const levels[] = { "error", "warn", "info", "debug" };

    *c = (struct worker_config){ .decimation = 1, .status_fd = -1, .report_ms = 1000,
                                 .log_level = WORKER_LOG_INFO, .fps = -1, .data = true };
    uint32_t u;
    char *end;
    int opt, li = 0;
    optind = 0; /* also resets getopt's state, for tests that parse twice */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+", opts, &li)) != -1) {
        switch (opt) {
        case O_INSTANCE: c->instance = optarg; break;
        case O_CAMERA: c->camera = optarg; break;
        case O_INDEX:
            if (parse_u32(optarg, 0, UINT32_MAX - 1, &c->index) < 0)
                goto bad_value;
            break;
        case O_RUNTIME: c->runtime_dir = optarg; break;
        case O_FFMPEG: c->ffmpeg = optarg; break;
        case O_URL: c->url = optarg; break;
        case O_LAVFI: c->lavfi = true; break;
        case O_FPS:
            errno = 0;
            c->fps = strtod(optarg, &end);
            if (errno || end == optarg || *end || !isfinite(c->fps) || c->fps < 0 || c->fps > 1000)
                goto bad_value;
            break;
        case O_DECIMATION:
            if (parse_u32(optarg, 1, 1000000, &c->decimation) < 0)
                goto bad_value;
            break;
        case O_STATUS:
            if (parse_u32(optarg, 0, INT_MAX, &u) < 0)
                goto bad_value;
            c->status_fd = (int)u;
            break;
        case O_REPORT:
            if (parse_u32(optarg, 1, 3600000, &c->report_ms) < 0)
                goto bad_value;
            break;
        case O_LOG:
            for (u = 0; u < 4 && strcmp(optarg, levels[u]) != 0; u++)
                ;
            if (u == 4)
                goto bad_value;
            c->log_level = (enum worker_log_level)u;
            break;
        case O_DATA:
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
                goto bad_value;
            c->data = strcmp(optarg, "on") == 0;
            break;
        case O_DATA_RATE:
            if (parse_u64(optarg, &c->data_rate) < 0)
                goto bad_value;
            break;
        default:
            snprintf(err, errlen, "unknown option or missing value: '%s'", argv[optind - 1]);
            return -EINVAL;
        }
    }
    /* Whatever follows "--" is FFmpeg's input options. */
    if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
        snprintf(err, errlen, "unexpected argument '%s' (input options follow --)", argv[optind]);
        return -EINVAL;
    }
    c->input_options = argv + optind;
    c->input_option_count = (size_t)(argc - optind);

    const char *missing = !c->instance ? "--instance" : !c->camera ? "--camera"
                        : !c->runtime_dir ? "--runtime-dir" : !c->ffmpeg ? "--ffmpeg"
                        : !c->url ? "--url" : c->fps < 0 ? "--fps" : NULL;
    if (missing) {
        snprintf(err, errlen, "%s is required", missing);
        return -EINVAL;
    }
    if (!*c->instance || strlen(c->instance) > ARENA_NAME_MAX || !*c->camera ||
        strlen(c->camera) > ARENA_NAME_MAX) {
        snprintf(err, errlen, "instance and camera names must have 1 to %u characters", ARENA_NAME_MAX);
        return -EINVAL;
    }
    if (c->url[0] == '-' || !*c->url) {
        snprintf(err, errlen, "bad --url '%s'", c->url);
        return -EINVAL;
    }
    return 0;

bad_value:
    snprintf(err, errlen, "bad value '%s' for --%s", optarg, opts[li].name);
    return -EINVAL;
}

/* ---- FFmpeg ----------------------------------------------------------- */

static void pipe_enlarge(int fd)
{
    if (fcntl(fd, F_SETPIPE_SZ, PIPE_WANTED) >= 0)
        return;
    /* An unprivileged process may not exceed pipe-max-size. */
    int max = 0;
    FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
    if (f) {
        if (fscanf(f, "%d", &max) != 1)
            max = 0;
        fclose(f);
    }
    if (max > 0 && max < PIPE_WANTED && fcntl(fd, F_SETPIPE_SZ, max) >= 0)
        return;
    wlog(WORKER_LOG_DEBUG, "could not enlarge FFmpeg's pipe: %s", strerror(errno));
}

static void close_from(int lo, int hi)
{
    if (lo > hi)
        return;
    if (close_range((unsigned)lo, (unsigned)hi, 0) == 0)
        return;
    for (int fd = lo; fd <= hi && fd < 65536; fd++)
        close(fd);
}

/* The child between fork and exec: only async-signal-safe calls. Never returns. */
static void ffmpeg_child(char **argv, pid_t parent, int out_w, int err_w, int exec_w)
{
    int e = 0;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127); /* the worker died before the prctl: nobody would reap us */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigaction(SIGPIPE, &dfl, NULL);

    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
        dup2(err_w, STDERR_FILENO) < 0) {
        e = errno;
        goto out;
    }
    /* Everything but 0, 1, 2 and the exec-error pipe (close-on-exec) goes. */
    close_from(3, exec_w - 1);
    close_from(exec_w + 1, INT_MAX);
    execvp(argv[0], argv);
    e = errno;
out:
    while (write(exec_w, &e, sizeof e) < 0 && errno == EINTR)
        ;
    _exit(127);
}

/* Starts FFmpeg with its stdout and stderr on non-blocking pipes. Returns 0,
 * or -errno with wk->error saying what failed; when exec itself failed, the
 * child's errno is returned, the child is reaped and *exec_failed is set.
 * More than 256 input options are refused (-E2BIG). */
static int ffmpeg_start(struct worker *wk, bool *exec_failed)
{
    const struct worker_config *c = wk->cfg;
    char *argv[FFARGS_FIXED + 256];
    char vf[FFARGS_VF_MAX];
    struct ffargs_spec spec = {
        .ffmpeg = c->ffmpeg, .input = c->url, .lavfi = c->lavfi,
        .input_options = c->input_options, .input_option_count = c->input_option_count,
        .width = wk->w.desc.width, .height = wk->w.desc.height,
        .pix_fmt = wk->w.desc.pix_fmt, .fps = c->fps,
    };
    int out[2] = { -1, -1 }, err[2] = { -1, -1 }, ex[2] = { -1, -1 };
    int r = ffargs_build(&spec, argv, sizeof argv / sizeof argv[0], vf, sizeof vf);
    if (r < 0) {
        fail(wk, "cannot build FFmpeg's arguments: %s", strerror(-r));
        return r;
    }
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
        r = -errno;
        fail(wk, "pipe: %s", strerror(errno));
        goto err;
    }
    pipe_enlarge(out[0]);

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        r = -errno;
        fail(wk, "fork: %s", strerror(errno));
        goto err;
    }
    if (pid == 0)
        ffmpeg_child(argv, parent, out[1], err[1], ex[1]);

    wk->pid = pid;
    close(out[1]);
    close(err[1]);
    close(ex[1]);
    out[1] = err[1] = ex[1] = -1;

    /* The exec-error pipe closes on a successful exec; otherwise it carries errno. */
    int child_errno = 0;
    ssize_t n;
    while ((n = read(ex[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR)
        ;
    close(ex[0]);
    ex[0] = -1;
    if (n > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        wk->reaped = true;
        wk->wait_status = st;
        *exec_failed = true;
        fail(wk, "cannot run %s: %s", c->ffmpeg, strerror(child_errno ? child_errno : EIO));
        r = -(child_errno ? child_errno : EIO);
        goto err;
    }
    if (fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(err[0], F_SETFL, O_NONBLOCK) < 0) {
        r = -errno;
        fail(wk, "fcntl: %s", strerror(errno));
        goto err;
    }
    wk->out_fd = out[0];
    wk->err_fd = err[0];
    wlog(WORKER_LOG_INFO, "started %s (pid %d), frames of %u bytes", c->ffmpeg, (int)pid, wk->frame_size);
    return 0;

err:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
        if (ex[i] >= 0)
            close(ex[i]);
    }
    return r;
}

static void ffmpeg_signal(struct worker *wk, int sig)
{
    if (wk->pid > 0 && !wk->reaped)
        kill(wk->pid, sig);
}

static void ffmpeg_reap(struct worker *wk)
{
    if (wk->pid <= 0 || wk->reaped)
        return;
    int st;
    pid_t r;
    while ((r = waitpid(wk->pid, &st, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r == wk->pid) {
        wk->reaped = true;
        wk->wait_status = st;
        if (WIFSIGNALED(st))
            wlog(WORKER_LOG_INFO, "FFmpeg (pid %d) killed by signal %d", (int)wk->pid, WTERMSIG(st));
        else
            wlog(WORKER_LOG_INFO, "FFmpeg (pid %d) exited with status %d", (int)wk->pid, WEXITSTATUS(st));
    }
}

static void on_ffmpeg_line(void *arg, const char *line)
{
    (void)arg;
    wlog(WORKER_LOG_WARN, "ffmpeg: %s", line);
}

/* Reads what FFmpeg printed; closes the pipe at EOF. */
static void stderr_drain(struct worker *wk)
{
    char buf[4096];
    while (wk->err_fd >= 0) {
        ssize_t n = read(wk->err_fd, buf, sizeof buf);
        if (n > 0) {
            linering_feed(&wk->errlines, buf, (size_t)n, on_ffmpeg_line, wk);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close(wk->err_fd);
        wk->err_fd = -1;
        linering_flush(&wk->errlines, on_ffmpeg_line, wk);
    }
}

/* ---- the hot path ----------------------------------------------------- */

static void frame_notify(struct worker *wk, uint64_t f, uint64_t rt, uint64_t mono)
{
    wk->hdr.frame_seq = f;
    wk->hdr.capture_realtime_ns = rt;
    wk->hdr.capture_monotonic_ns = mono;
    wk->hdr.slot = arena_writer_slot_of(&wk->w, f);
    camarena_frame_header_encode(&wk->hdr, wk->hdr_bytes);
    /* With ZMQ_XPUB_NODROP a full queue refuses the first part, and then
     * nothing of the message is sent. */
    if (zmq_send(wk->up, wk->topic, wk->topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(wk->up, wk->hdr_bytes, sizeof wk->hdr_bytes, ZMQ_DONTWAIT) < 0)
        wk->rep.dropped_notify++;
}

/* ---- data/ ----------------------------------------------------------- *
 *
 * A data/<camera>/ message is the topic, the frame header with flags bit 0
 * set when the payload is one LZ4 block, and the payload. It is made only
 * while a subscription matches the topic (struct data_subs), --data is on
 * and camarenad does not hold it; otherwise no CPU goes to it beyond one
 * test. The frame is compressed straight from its slot into wk->lz4; if LZ4
 * does not make it smaller it is sent as it is. Either way the payload is
 * copied into a ZeroMQ message (the queue must own its bytes, the slot and
 * wk->lz4 are reused) and the slot's seq is checked after that copy: bytes
 * read from a slot that was rewritten meanwhile are never sent. In this
 * worker the slot's only writer is this thread, which writes the next frame
 * only after this returns, so the check cannot fail today; it keeps the
 * reader's side of SPEC 3 honest should compression ever be deferred.
 *
 * data/ goes out on an XPUB of its own, so that its high-water mark
 * (data_queue_hwm) bounds the memory data can take without ever
 * crowding out frame/ notifications, and both flow on their own. */

/* True if slot still holds frame f: the reader's second load of SPEC 3. */
static bool slot_holds(const struct worker *wk, uint32_t slot, uint64_t f)
{
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&wk->w.slots[slot].seq, memory_order_relaxed) == 2 * f;
}

static void data_publish(struct worker *wk, uint64_t f)
{
    uint32_t slot = wk->hdr.slot;
    if (!wk->data || !data_subs_any(&wk->subs))
        return;
    if (wk->hold) {
        wk->rep.dropped_data_hold++;
        return;
    }
    if (!data_bucket_allows(&wk->bucket, wk->hdr.capture_monotonic_ns, wk->data_msg_max)) {
        wk->rep.dropped_data_rate++;
        return;
    }

    const uint8_t *src = wk->w.data + (uint64_t)slot * wk->w.desc.slot_stride;
    int n = LZ4_compress_default((const char *)src, wk->lz4, (int)wk->frame_size, wk->lz4_bound);
    wk->rep.compressed_frames++;
    wk->rep.compressed_in_bytes += wk->frame_size;
    if (n > 0)
        wk->rep.compressed_out_bytes += (uint64_t)n;
    bool lz4 = n > 0 && (uint32_t)n < wk->frame_size;
    size_t len = lz4 ? (size_t)n : wk->frame_size;

    zmq_msg_t payload;
    if (zmq_msg_init_size(&payload, len) < 0) {
        wk->rep.dropped_data_queue++; /* ZeroMQ is out of memory: the queue could not take it */
        return;
    }
    memcpy(zmq_msg_data(&payload), lz4 ? (const uint8_t *)wk->lz4 : src, len);
    if (!slot_holds(wk, slot, f)) {
        zmq_msg_close(&payload);
        wk->rep.dropped_data_overwritten++;
        return;
    }

    wk->hdr.flags = lz4 ? CAMARENA_FRAME_LZ4 : 0;
    camarena_frame_header_encode(&wk->hdr, wk->data_hdr_bytes);
    wk->hdr.flags = 0;
    /* With ZMQ_XPUB_NODROP a full queue refuses the first part, and then
     * nothing of the message is sent. */
    if (zmq_send(wk->data, wk->data_topic, wk->data_topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&payload);
        wk->rep.dropped_data_queue++;
        return;
    }
    if (zmq_send(wk->data, wk->data_hdr_bytes, sizeof wk->data_hdr_bytes, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&payload, wk->data, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&payload);
        wk->rep.dropped_data_queue++;
        return;
    }
    wk->rep.data_frames++;
    wk->rep.data_bytes += len;
    if (!lz4)
        wk->rep.data_raw_frames++;
    data_bucket_take(&wk->bucket, wk->data_topic_len + sizeof wk->data_hdr_bytes + len);
}

static void frame_complete(struct worker *wk)
{
    uint64_t rt = now_ns(CLOCK_REALTIME);
    uint64_t mono = now_ns(CLOCK_MONOTONIC);
    wk->cur = NULL;
    wk->got = 0;
    if (++wk->phase < wk->decimation) {
        arena_writer_abort(&wk->w);
        wk->rep.dropped_decimated++;
        return;
    }
    wk->phase = 0;
    uint64_t f = arena_writer_commit(&wk->w, wk->frame_size, rt, mono);
    wk->rep.frames++;
    wk->rep.head_seq = f;
    wk->rep.last_frame_monotonic_ns = mono;
    frame_notify(wk, f, rt, mono);
    data_publish(wk, f);
}

/* FFmpeg's stdout ended: a frame cut short is abandoned, never committed. */
static void frames_eof(struct worker *wk)
{
    if (wk->cur) {
        arena_writer_abort(&wk->w);
        wk->cur = NULL;
        if (wk->got > 0)
            wk->rep.dropped_partial++;
        wk->got = 0;
    }
    close(wk->out_fd);
    wk->out_fd = -1;
}

/* Called when the pipe has data: reads into the current slot until the frame
 * is whole or the pipe is empty. A slot is begun only when bytes are known
 * to be waiting, so that an idle FFmpeg never holds a slot odd. */
static void frames_read(struct worker *wk)
{
    if (!wk->cur) {
        wk->cur = arena_writer_begin(&wk->w);
        wk->got = 0;
    }
    while (wk->got < wk->frame_size) {
        ssize_t n = read(wk->out_fd, wk->cur + wk->got, wk->frame_size - wk->got);
        if (n > 0) {
            wk->got += (uint32_t)n;
            wk->rep.bytes_read += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* FFmpeg writes a frame in one write(), and poll wakes us at its
             * first page: the rest follows within microseconds. Waiting for it
             * on the pipe alone costs one poll(2); going back to zmq_poll over
             * every socket costs several system calls per wake-up. Commands
             * and signals wait at most MIDFRAME_WAIT_MS. */
            struct pollfd p = {.fd = wk->out_fd, .events = POLLIN};

            if (poll(&p, 1, MIDFRAME_WAIT_MS) > 0)
                continue;
            return;
        }
        if (n < 0)
            wlog(WORKER_LOG_WARN, "reading FFmpeg's output: %s", strerror(errno));
        frames_eof(wk);
        return;
    }
    frame_complete(wk);
}

/* ---- sockets ---------------------------------------------------------- */

static void report_send(struct worker *wk)
{
    wk->rep.size = sizeof wk->rep;
    wk->rep.ffmpeg_pid = (wk->pid > 0 && !wk->reaped) ? wk->pid : 0;
    wk->rep.decimation = wk->decimation;
    wk->rep.data_subscribed = data_subs_any(&wk->subs);
    wk->rep.hold = wk->hold;
    if (zmq_send(wk->wrk, "report", 6, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(wk->wrk, &wk->rep, sizeof wk->rep, ZMQ_DONTWAIT) < 0)
        wlog(WORKER_LOG_DEBUG, "report not sent: %s", zmq_strerror(zmq_errno()));
}

static void stop_begin(struct worker *wk, const char *why)
{
    if (wk->stopping)
        return;
    wlog(WORKER_LOG_INFO, "stopping (%s)", why);
    wk->stopping = true;
    if (wk->pid > 0 && !wk->reaped) {
        ffmpeg_signal(wk, SIGTERM);
        wk->kill_at_ns = now_ns(CLOCK_MONOTONIC) + KILL_GRACE_NS;
    }
}

/* Reads one whole message of up to max parts; returns the part count, 0 when
 * none is waiting. Parts beyond max are read and dropped. */
static int recv_parts(void *sock, zmq_msg_t *parts, int max)
{
    int count = 0, more = 1;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *m = count < max ? &parts[count] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            for (int i = 0; i < count && i < max; i++)
                zmq_msg_close(&parts[i]);
            return count == 0 ? 0 : -1;
        }
        more = zmq_msg_more(m);
        if (count >= max)
            zmq_msg_close(m);
        count++;
    }
    return count > max ? max : count;
}

static void commands_read(struct worker *wk)
{
    zmq_msg_t parts[2];
    int n;
    while ((n = recv_parts(wk->wrk, parts, 2)) > 0) {
        const char *verb = zmq_msg_data(&parts[0]);
        size_t vlen = zmq_msg_size(&parts[0]);
        if (vlen == 4 && memcmp(verb, "stop", 4) == 0) {
            stop_begin(wk, "told to stop");
        } else if (vlen == 8 && memcmp(verb, "decimate", 8) == 0 && n == 2 &&
                   zmq_msg_size(&parts[1]) == sizeof(uint32_t)) {
            uint32_t d;
            memcpy(&d, zmq_msg_data(&parts[1]), sizeof d);
            if (d >= 1 && d != wk->decimation) {
                wlog(WORKER_LOG_INFO, "keeping every %u. frame", d);
                wk->decimation = d;
                wk->phase = 0;
            }
        } else if (vlen == 4 && memcmp(verb, "hold", 4) == 0 && n == 2 && zmq_msg_size(&parts[1]) == 1 &&
                   *(const uint8_t *)zmq_msg_data(&parts[1]) <= 1) {
            bool hold = *(const uint8_t *)zmq_msg_data(&parts[1]) == 1;
            if (hold != wk->hold)
                wlog(WORKER_LOG_INFO, "data/ publishing %s", hold ? "held" : "released");
            wk->hold = hold;
        } else {
            wlog(WORKER_LOG_DEBUG, "ignored a command of %zu bytes", vlen);
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&parts[i]);
    }
}

/* Subscriptions relayed by camarenad: "\x01prefix" or "\x00prefix". Both
 * XPUBs receive the same ones and both must be read, or they pile up in
 * ZeroMQ. Only the socket that sends data/ (the frame/ one with --data off,
 * so that the report still says whether anyone subscribes) feeds wk->subs:
 * once its XPUB has passed a subscription up, its filter lets data/ through. */
static void subscriptions_read(struct worker *wk, void *sock, bool track)
{
    char buf[TOPIC_MAX + 1];
    int n;
    while ((n = zmq_recv(sock, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        /* A longer prefix (cut to the buffer) cannot be a prefix of the topic. */
        if (!track || (size_t)n > sizeof buf)
            continue;
        if (data_subs_feed(&wk->subs, buf, (size_t)n) == 1)
            wlog(WORKER_LOG_INFO, "%s", data_subs_any(&wk->subs) ? "data/ subscribed: publishing compressed frames"
                                                                 : "no data/ subscriber left");
    }
}

static int sockets_open(struct worker *wk)
{
    const struct worker_config *c = wk->cfg;
    char ep[IPC_ENDPOINT_MAX];
    int one = 1, linger = LINGER_MS;

    wk->zctx = zmq_ctx_new();
    if (!wk->zctx) {
        fail(wk, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    wk->up = zmq_socket(wk->zctx, ZMQ_XPUB);
    wk->wrk = zmq_socket(wk->zctx, ZMQ_DEALER);
    if (!wk->up || !wk->wrk) {
        fail(wk, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    zmq_setsockopt(wk->up, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(wk->wrk, ZMQ_LINGER, &linger, sizeof linger);
    /* Without NODROP a full queue drops silently; with it, zmq_send says
     * EAGAIN and the drop is counted. */
    zmq_setsockopt(wk->up, ZMQ_XPUB_NODROP, &one, sizeof one);
    zmq_setsockopt(wk->wrk, ZMQ_ROUTING_ID, c->camera, strlen(c->camera));
    if (wk->lz4) {
        wk->data = zmq_socket(wk->zctx, ZMQ_XPUB);
        if (!wk->data) {
            fail(wk, "zmq_socket: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        int hwm = data_queue_hwm(wk->data_msg_max);
        zmq_setsockopt(wk->data, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(wk->data, ZMQ_XPUB_NODROP, &one, sizeof one);
        zmq_setsockopt(wk->data, ZMQ_SNDHWM, &hwm, sizeof hwm);
        wk->rep.data_queue_bytes_max = data_queue_bytes_max(hwm, wk->data_msg_max);
        wlog(WORKER_LOG_DEBUG, "data/ queue: %d messages, at most %llu bytes", hwm,
             (unsigned long long)wk->rep.data_queue_bytes_max);
    }

    if (ipc_endpoint(ep, sizeof ep, c->runtime_dir, c->instance, IPC_UP) < 0 ||
        zmq_connect(wk->up, ep) < 0 || (wk->data && zmq_connect(wk->data, ep) < 0)) {
        fail(wk, "connect %s: %s", ep, zmq_strerror(zmq_errno()));
        return -1;
    }
    if (ipc_endpoint(ep, sizeof ep, c->runtime_dir, c->instance, IPC_WRK) < 0 ||
        zmq_connect(wk->wrk, ep) < 0) {
        fail(wk, "connect %s: %s", ep, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static void sockets_close(struct worker *wk)
{
    if (wk->up)
        zmq_close(wk->up);
    if (wk->data)
        zmq_close(wk->data);
    if (wk->wrk)
        zmq_close(wk->wrk);
    if (wk->zctx)
        zmq_ctx_term(wk->zctx);
    wk->up = wk->data = wk->wrk = wk->zctx = NULL;
}

/* ---- setup, loop, end ------------------------------------------------- */

static int signals_open(struct worker *wk)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
        (wk->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        fail(wk, "signalfd: %s", strerror(errno));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void signals_read(struct worker *wk)
{
    struct signalfd_siginfo si;
    while (read(wk->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
            stop_begin(wk, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    ffmpeg_reap(wk);
}

static int arena_open(struct worker *wk)
{
    const struct worker_config *c = wk->cfg;
    char shm[ARENA_SHM_NAME_MAX];
    int r = arena_shm_name(shm, sizeof shm, c->instance);
    if (r == 0)
        r = arena_writer_open(&wk->w, shm, c->index);
    if (r < 0) {
        fail(wk, "cannot open camera %u of the arena /camarena-%s: %s", c->index, c->instance, strerror(-r));
        return -1;
    }
    wk->w_open = true;
    const struct arena_camera_desc *d = &wk->w.desc;
    if (strncmp(d->name, c->camera, sizeof d->name) != 0) {
        fail(wk, "descriptor %u of the arena is camera '%.63s', not '%s'", c->index, d->name, c->camera);
        return -1;
    }
    if (d->frame_size < 1 || d->width > 65535 || d->height > 65535) {
        fail(wk, "descriptor %u has a bad geometry", c->index);
        return -1;
    }
    wk->frame_size = d->frame_size;

    wk->hdr = (struct camarena_frame_header){
        .version = 1, .header_size = CAMARENA_FRAME_HEADER_SIZE, .flags = 0,
        .generation = wk->w.header->generation, .frame_size = d->frame_size,
        .width = (uint16_t)d->width, .height = (uint16_t)d->height, .camera_index = c->index,
    };
    memcpy(wk->hdr.pix_fmt, d->pix_fmt, strnlen(d->pix_fmt, sizeof wk->hdr.pix_fmt));
    return 0;
}

/* Sizes data/'s buffer once, for the camera's frame size. With --data off,
 * or a frame LZ4 cannot take in one block, the worker publishes no data/. */
static int data_open(struct worker *wk)
{
    const struct worker_config *c = wk->cfg;
    data_subs_init(&wk->subs, wk->data_topic, wk->data_topic_len);
    wk->data_msg_max = wk->data_topic_len + CAMARENA_FRAME_HEADER_SIZE + (uint64_t)wk->frame_size;
    data_bucket_init(&wk->bucket, c->data_rate, wk->data_msg_max);
    if (!c->data)
        return 0;
    if (wk->frame_size > LZ4_MAX_INPUT_SIZE) {
        wlog(WORKER_LOG_WARN, "frames of %u bytes are too large for LZ4: no data/ messages", wk->frame_size);
        return 0;
    }
    wk->lz4_bound = LZ4_compressBound((int)wk->frame_size);
    wk->lz4 = malloc((size_t)wk->lz4_bound);
    if (!wk->lz4) {
        fail(wk, "cannot allocate %d bytes for LZ4", wk->lz4_bound);
        return -1;
    }
    return 0;
}

/* True once FFmpeg is gone and its output is read to the end. */
static bool ffmpeg_done(const struct worker *wk)
{
    return wk->reaped && wk->out_fd < 0;
}

static int loop_run(struct worker *wk)
{
    while (!ffmpeg_done(wk)) {
        zmq_pollitem_t items[6] = {
            { .socket = wk->wrk, .events = ZMQ_POLLIN },
            { .socket = wk->up, .events = ZMQ_POLLIN },
            { .fd = wk->sigfd, .events = ZMQ_POLLIN },
        };
        int count = 3;
        int out_i = -1, err_i = -1, data_i = -1;
        if (wk->out_fd >= 0) {
            items[count] = (zmq_pollitem_t){ .fd = wk->out_fd, .events = ZMQ_POLLIN };
            out_i = count++;
        }
        if (wk->err_fd >= 0) {
            items[count] = (zmq_pollitem_t){ .fd = wk->err_fd, .events = ZMQ_POLLIN };
            err_i = count++;
        }
        if (wk->data) {
            items[count] = (zmq_pollitem_t){ .socket = wk->data, .events = ZMQ_POLLIN };
            data_i = count++;
        }

        uint64_t now = now_ns(CLOCK_MONOTONIC);
        uint64_t wake = wk->next_report_ns;
        if (wk->kill_at_ns && wk->kill_at_ns < wake)
            wake = wk->kill_at_ns;
        long timeout_ms = wake > now ? (long)((wake - now + 999999) / 1000000) : 0;

        if (zmq_poll(items, count, timeout_ms) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            fail(wk, "zmq_poll: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        if (out_i >= 0 && (items[out_i].revents & ZMQ_POLLIN))
            frames_read(wk);
        else if (out_i >= 0 && (items[out_i].revents & ZMQ_POLLERR))
            frames_eof(wk); /* hung up with nothing left to read */
        if (err_i >= 0 && items[err_i].revents)
            stderr_drain(wk);
        if (items[2].revents)
            signals_read(wk);
        if (items[0].revents)
            commands_read(wk);
        if (items[1].revents)
            subscriptions_read(wk, wk->up, !wk->data);
        if (data_i >= 0 && items[data_i].revents)
            subscriptions_read(wk, wk->data, true);

        now = now_ns(CLOCK_MONOTONIC);
        if (wk->kill_at_ns && now >= wk->kill_at_ns) {
            wlog(WORKER_LOG_WARN, "FFmpeg did not stop within 2 s: SIGKILL");
            ffmpeg_signal(wk, SIGKILL);
            wk->kill_at_ns = 0;
        }
        if (now >= wk->next_report_ns) {
            report_send(wk);
            wk->next_report_ns = now + (uint64_t)wk->cfg->report_ms * 1000000ull;
        }
    }
    return 0;
}

static int exit_code(const struct worker *wk)
{
    if (wk->stopping)
        return IPC_EXIT_STOPPED;
    if (WIFSIGNALED(wk->wait_status))
        return IPC_EXIT_FFMPEG_SIGNAL;
    return IPC_EXIT_FFMPEG_EXIT;
}

static void status_write(const struct worker *wk, int code)
{
    if (wk->cfg->status_fd < 0)
        return;
    struct ipc_exit ex;
    memset(&ex, 0, sizeof ex);
    ex.size = sizeof ex;
    ex.code = (uint32_t)code;
    ex.ffmpeg_status = -1;
    if (wk->reaped && WIFEXITED(wk->wait_status))
        ex.ffmpeg_status = WEXITSTATUS(wk->wait_status);
    if (wk->reaped && WIFSIGNALED(wk->wait_status))
        ex.ffmpeg_signal = WTERMSIG(wk->wait_status);
    ex.frames = wk->rep.frames;
    const char *line = wk->error[0] ? wk->error : linering_line(&wk->errlines, 0);
    if (line)
        snprintf(ex.error, sizeof ex.error, "%s", line);
    ssize_t n;
    while ((n = write(wk->cfg->status_fd, &ex, sizeof ex)) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof ex)
        wlog(WORKER_LOG_WARN, "could not write the exit report: %s", n < 0 ? strerror(errno) : "short write");
}

/* Ends FFmpeg for good on a failure path: the unit must not outlive the worker. */
static void ffmpeg_kill_wait(struct worker *wk)
{
    if (wk->pid <= 0 || wk->reaped)
        return;
    kill(wk->pid, SIGKILL);
    int st;
    while (waitpid(wk->pid, &st, 0) < 0 && errno == EINTR)
        ;
    wk->reaped = true;
    wk->wait_status = st;
}

/* The worker's own CPU (FFmpeg is not counted: it is a child not yet
 * waited for when RUSAGE_SELF is read, and RUSAGE_SELF never includes children). */
static void log_cpu(const struct worker *wk)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return;
    double us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    uint64_t reads = wk->rep.frames + wk->rep.dropped_decimated;
    wlog(WORKER_LOG_INFO, "%llu frames read, %llu committed, %llu notifications dropped; cpu %.0f ms (user %.0f, sys %.0f), %.1f us per frame read",
         (unsigned long long)reads, (unsigned long long)wk->rep.frames, (unsigned long long)wk->rep.dropped_notify,
         us / 1000, (ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec) / 1000,
         (ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec) / 1000, reads ? us / (double)reads : 0.0);
    const struct ipc_report *r = &wk->rep;
    if (r->compressed_frames == 0 && r->dropped_data_hold == 0 && r->dropped_data_rate == 0)
        return;
    wlog(WORKER_LOG_INFO, "data/: %llu sent (%llu raw), %llu payload bytes; %llu compressed, ratio %.2f; "
         "dropped: rate %llu, hold %llu, queue %llu, overwritten %llu",
         (unsigned long long)r->data_frames, (unsigned long long)r->data_raw_frames,
         (unsigned long long)r->data_bytes, (unsigned long long)r->compressed_frames,
         r->compressed_out_bytes ? (double)r->compressed_in_bytes / (double)r->compressed_out_bytes : 0.0,
         (unsigned long long)r->dropped_data_rate, (unsigned long long)r->dropped_data_hold,
         (unsigned long long)r->dropped_data_queue, (unsigned long long)r->dropped_data_overwritten);
}

int worker_run(const struct worker_config *c)
{
    assert(c && c->instance && c->camera && c->url && c->ffmpeg && c->decimation >= 1);

    static struct worker worker; /* one per process; large (the line ring) */
    struct worker *wk = &worker;
    memset(wk, 0, sizeof *wk);
    wk->cfg = c;
    wk->sigfd = wk->out_fd = wk->err_fd = -1;
    wk->decimation = c->decimation;
    linering_init(&wk->errlines);
    log_camera = c->camera;
    log_level = c->log_level;
    int code = IPC_EXIT_FAILURE;
    bool exec_failed = false;

    int t = ipc_topic(wk->topic, sizeof wk->topic, "frame", c->camera);
    int d = ipc_topic(wk->data_topic, sizeof wk->data_topic, "data", c->camera);
    if (t < 0 || d < 0) {
        fail(wk, "camera name too long for a topic");
        goto out;
    }
    wk->topic_len = (size_t)t;
    wk->data_topic_len = (size_t)d;

    /* FFmpeg is forked before ZeroMQ starts its threads, so that the child
     * is a copy of a single-threaded process. */
    if (signals_open(wk) < 0 || arena_open(wk) < 0 || data_open(wk) < 0)
        goto out;
    if (ffmpeg_start(wk, &exec_failed) < 0) {
        code = exec_failed ? IPC_EXIT_EXEC : IPC_EXIT_FAILURE;
        goto out;
    }
    if (sockets_open(wk) < 0)
        goto out;
    report_send(wk);
    wk->next_report_ns = now_ns(CLOCK_MONOTONIC) + (uint64_t)c->report_ms * 1000000ull;

    if (loop_run(wk) < 0)
        goto out;
    stderr_drain(wk);
    linering_flush(&wk->errlines, on_ffmpeg_line, wk);
    code = exit_code(wk);
    report_send(wk);

out:
    ffmpeg_kill_wait(wk);
    if (wk->out_fd >= 0)
        frames_eof(wk);
    if (wk->err_fd >= 0) {
        close(wk->err_fd);
        wk->err_fd = -1;
    }
    status_write(wk, code);
    sockets_close(wk);
    if (wk->w_open)
        arena_writer_close(&wk->w);
    if (wk->sigfd >= 0)
        close(wk->sigfd);
    free(wk->lz4);
    wk->lz4 = NULL;
    log_cpu(wk);
    wlog(code == IPC_EXIT_STOPPED ? WORKER_LOG_INFO : WORKER_LOG_WARN, "exiting with status %d", code);
    return code;
}
