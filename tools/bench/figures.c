/* figures.c - the camarena side of every figure, each against its baseline.
 *
 * Every figure starts an instance of its own with a generated conf, measures a
 * window after a warm-up, and stops the instance. A figure that cannot be
 * measured adds a row saying why instead of its numbers. */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include "camarena.h"
#include "tools/bench/bench.h"

#define MAX_CAMS 64
#define MAX_PIDS 256

/* A SUB socket on camarenad's publish endpoint, counting what it receives. */
struct sub {
    void *ctx, *sock;
    uint64_t received;
    uint64_t bytes;                 /* raw frame bytes announced (frame_size) */
    uint64_t payload;               /* bytes of payload parts (data/) */
    uint64_t last_seq[MAX_CAMS];    /* by camera_index */
    uint64_t gaps[MAX_CAMS];
    uint64_t cam_received[MAX_CAMS];
    double *lat;                    /* latencies in us, if wanted */
    size_t nlat, maxlat;
};

static int sub_open(struct sub *s, const char *endpoint, const char *topic, size_t maxlat)
{
    memset(s, 0, sizeof *s);
    if (maxlat) {
        s->lat = calloc(maxlat, sizeof *s->lat);
        if (!s->lat)
            return -ENOMEM;
        s->maxlat = maxlat;
    }
    s->ctx = zmq_ctx_new();
    s->sock = zmq_socket(s->ctx, ZMQ_SUB);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, topic, strlen(topic));
    if (zmq_connect(s->sock, endpoint) != 0) {
        int e = -zmq_errno();
        zmq_close(s->sock);
        zmq_ctx_term(s->ctx);
        free(s->lat);
        return e;
    }
    return 0;
}

static void sub_close(struct sub *s)
{
    if (!s->ctx)
        return;
    zmq_close(s->sock);
    zmq_ctx_term(s->ctx);
    free(s->lat);
    s->ctx = NULL;
}

/* Resets the counters, keeping last_seq so that gaps count from here on. */
static void sub_reset(struct sub *s)
{
    s->received = s->bytes = s->payload = 0;
    s->nlat = 0;
    memset(s->gaps, 0, sizeof s->gaps);
    memset(s->cam_received, 0, sizeof s->cam_received);
}

/* Receives one message; returns 1 if one was taken, 0 if none was waiting. */
static int sub_take(struct sub *s)
{
    zmq_msg_t part;
    uint8_t header[CAMARENA_FRAME_HEADER_SIZE];
    size_t header_len = 0, payload = 0;
    int index = 0, more = 1;
    while (more) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, s->sock, index == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&part);
            return 0;
        }
        if (index == 1) {
            header_len = zmq_msg_size(&part);
            if (header_len == sizeof header)
                memcpy(header, zmq_msg_data(&part), sizeof header);
        } else if (index == 2) {
            payload = zmq_msg_size(&part);
        }
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        index++;
    }
    uint64_t now = bench_now_ns();
    struct camarena_frame_header h;
    if (camarena_frame_header_decode(header, header_len, &h) != 0)
        return 1;
    s->received++;
    s->bytes += h.frame_size;
    s->payload += payload;
    if (s->lat && s->nlat < s->maxlat && h.capture_monotonic_ns && now >= h.capture_monotonic_ns)
        s->lat[s->nlat++] = (double)(now - h.capture_monotonic_ns) / 1e3;
    if (h.camera_index < MAX_CAMS) {
        uint32_t c = h.camera_index;
        if (s->last_seq[c] && h.frame_seq > s->last_seq[c] + 1)
            s->gaps[c] += h.frame_seq - s->last_seq[c] - 1;
        s->last_seq[c] = h.frame_seq;
        s->cam_received[c]++;
    }
    return 1;
}

/* Takes every waiting message, waiting up to timeout_ms for the first. */
static void sub_pump(struct sub *s, int timeout_ms)
{
    zmq_pollitem_t item = { s->sock, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return;
    for (int i = 0; i < 10000 && sub_take(s); i++)
        ;
}

/* Pumps s (if any) until the instance's total head reaches target, or timeout. */
static int pump_until(struct instance *in, struct sub *s, int cam, uint64_t target, uint64_t timeout_ns)
{
    uint64_t deadline = bench_now_ns() + timeout_ns;
    for (;;) {
        uint64_t head = cam >= 0 ? instance_head(in, cam) : instance_total_head(in);
        if (head >= target)
            return 0;
        if (bench_now_ns() > deadline)
            return -ETIMEDOUT;
        if (s)
            sub_pump(s, 1);
        else
            bench_sleep_ns(1000000);
    }
}

static void pump_for(struct sub *s, uint64_t ns)
{
    uint64_t end = bench_now_ns() + ns;
    while (bench_now_ns() < end) {
        if (s)
            sub_pump(s, 5);
        else
            bench_sleep_ns(5000000);
    }
}

static uint64_t cpu_of(pid_t pid)
{
    uint64_t ns = 0;
    proc_cpu_ns(pid, &ns);
    return ns;
}

static uint64_t cpu_sum(const pid_t *pids, int n)
{
    uint64_t t = 0;
    for (int i = 0; i < n; i++)
        t += cpu_of(pids[i]);
    return t;
}

static uint64_t mem_of(pid_t pid)
{
    uint64_t b = 0;
    proc_private_bytes(pid, &b);
    return b;
}

static uint64_t anon_of(pid_t pid)
{
    uint64_t anon = 0, file = 0;
    proc_memory(pid, &anon, &file);
    return anon;
}

static const char *errtext(int e)
{
    return strerror(e < 0 ? -e : e);
}

/* Starts an instance or adds an error row for figure. */
static bool start_or_row(struct bench_env *env, struct instance *in, const char *ffmpeg,
                         const struct inst_camera *cams, int ncam, const char *extra,
                         const char *figure, const char *goal)
{
    int r = instance_start(env, in, ffmpeg, cams, ncam, extra);
    if (r == 0)
        return true;
    table_add_na(figure, ROW_ERROR, goal, "camarenad did not start: %s (log: %s)", errtext(r), in->log);
    return false;
}

static void stop_instance(struct instance *in)
{
    int r = instance_stop(in);
    if (r != 0) {
        fprintf(stderr, "camarena-bench: camarenad %s exited with status %d\n", in->name, r);
        instance_dump_log(in);
    }
}

/* ---- ingest ---- */

struct ingest_cam {
    double fps, cpu_us, relay_us, announced;
};

/* One camarena run of the ingest figure. Returns 0, or -errno with why filled. */
static int camarena_ingest(struct bench_env *env, uint32_t width, uint32_t height, uint64_t warm,
                           uint64_t frames, struct ingest_cam *out, char *why, size_t whylen)
{
    struct inst_camera cam = { "cam0", "fake:rate=fast", width, height, "bgr24", 0, 30 };
    struct instance in;
    int r = instance_start(env, &in, env->synth, &cam, 1, NULL);
    if (r) {
        snprintf(why, whylen, "camarenad did not start: %s", errtext(r));
        return r;
    }
    struct sub s;
    sub_open(&s, in.pub, "frame/cam0/", 0);
    r = pump_until(&in, &s, 0, warm, 20000000000ull);
    pid_t worker = instance_worker(&in, 0);
    if (r || worker < 0) {
        r = r ? r : worker;
        snprintf(why, whylen, "no frames from the worker: %s", errtext(r));
        goto out;
    }
    uint64_t h0 = instance_head(&in, 0), t0 = bench_now_ns(), c0 = cpu_of(worker), s0 = cpu_of(in.pid);
    sub_reset(&s);
    r = pump_until(&in, &s, 0, h0 + frames, 60000000000ull);
    uint64_t h1 = instance_head(&in, 0), t1 = bench_now_ns(), c1 = cpu_of(worker), s1 = cpu_of(in.pid);
    if (r || h1 <= h0) {
        r = r ? r : -EIO;
        snprintf(why, whylen, "frames stopped after %llu: %s", (unsigned long long)h1, errtext(r));
        goto out;
    }
    double n = (double)(h1 - h0);
    out->fps = n * 1e9 / (double)(t1 - t0);
    out->cpu_us = (double)(c1 - c0) / 1e3 / n;
    out->relay_us = (double)(s1 - s0) / 1e3 / n;
    out->announced = (double)s.received / n;
out:
    sub_close(&s);
    stop_instance(&in);
    return r;
}

static double median(double *v, int n)
{
    return bench_percentile(v, (size_t)n, 50);
}

void fig_ingest(struct bench_env *env, uint32_t width, uint32_t height)
{
    char fig_fps[72], fig_cpu[72], why[160] = "";
    snprintf(fig_fps, sizeof fig_fps, "ingest %ux%u bgr24: frames/s", width, height);
    snprintf(fig_cpu, sizeof fig_cpu, "ingest %ux%u bgr24: reader CPU us/frame", width, height);
    uint64_t warm = env->quick ? 5 : 200, frames = env->quick ? 30 : (width > 1000 ? 1000 : 5000);
    double bf[8], bc[8], cf[8], cc[8], relay[8], ann[8];
    int nb = 0, nc = 0, reps = env->reps < 8 ? env->reps : 8, berr = 0;
    for (int rep = 0; rep < reps; rep++) {
        struct ingest_result b;
        int r = baseline_ingest(env, width, height, warm, frames, false, &b);
        if (r == 0) {
            bf[nb] = b.fps;
            bc[nb++] = b.cpu_us_per_frame;
        } else {
            berr = r;
        }
        struct ingest_cam c = { 0 };
        if (camarena_ingest(env, width, height, warm, frames, &c, why, sizeof why) == 0) {
            cf[nc] = c.fps;
            cc[nc] = c.cpu_us;
            relay[nc] = c.relay_us;
            ann[nc++] = c.announced;
        }
    }
    if (nc == 0) {
        table_add_na(fig_fps, ROW_ERROR, ">= 0.90", "%s", why);
        return;
    }
    table_add(fig_fps, "%.0f", nb ? median(bf, nb) : -1, median(cf, nc), GOAL_RATIO_MIN, 0.90, ">= 0.90");
    table_note("median of %d turns of %llu frames; %.0f%% announced to the subscriber", nc,
               (unsigned long long)frames, 100.0 * median(ann, nc));
    if (!nb)
        table_note("baseline failed: %s", errtext(berr));
    table_add(fig_cpu, "%.1f", nb ? median(bc, nb) : -1, median(cc, nc), GOAL_RATIO_MAX, 1.10, "<= 1.10");
    table_note("camarenad relaying: %.1f us/frame", median(relay, nc));
}

/* ---- notification latency ---- */

/* One camarena run: appends up to count latencies at lat[*n]. */
static int camarena_notify(struct bench_env *env, uint64_t count, double *lat, size_t *nlat, char *why, size_t whylen)
{
    struct inst_camera cam = { "cam0", "fake:rate=1000", 160, 120, "gray", 0, 30 };
    struct instance in;
    int r = instance_start(env, &in, env->synth, &cam, 1, NULL);
    if (r) {
        snprintf(why, whylen, "camarenad did not start: %s", errtext(r));
        return r;
    }
    struct sub s;
    r = sub_open(&s, in.pub, "frame/cam0/", count);
    if (r) {
        snprintf(why, whylen, "cannot subscribe to %.100s", in.pub);
        stop_instance(&in);
        return r;
    }
    /* The first messages may predate the subscription; measure from a later frame on. */
    r = pump_until(&in, &s, 0, 50, 20000000000ull);
    pump_for(&s, 200000000);
    sub_reset(&s);
    uint64_t deadline = bench_now_ns() + (uint64_t)((double)count / 1000.0 * 3e9) + 5000000000ull;
    while (r == 0 && s.nlat < count && bench_now_ns() < deadline)
        sub_pump(&s, 10);
    if (s.nlat == 0) {
        r = r ? r : -ETIMEDOUT;
        snprintf(why, whylen, "no frame/ message received: %s", errtext(r));
    }
    memcpy(lat + *nlat, s.lat, s.nlat * sizeof *lat);
    *nlat += s.nlat;
    sub_close(&s);
    stop_instance(&in);
    return r;
}

void fig_notify(struct bench_env *env)
{
    const char *f50 = "notify latency p50 (us)", *f99 = "notify latency p99 (us)", *f999 = "notify latency p99.9 (us)";
    uint64_t count = env->quick ? 100 : 4000;
    int reps = env->reps;
    double *lb = calloc((size_t)reps * count, sizeof *lb), *lc = calloc((size_t)reps * count, sizeof *lc);
    size_t nb = 0, nc = 0;
    char why[160] = "";
    if (!lb || !lc) {
        table_add_na(f50, ROW_ERROR, "<= 2.0", "out of memory");
        goto out;
    }
    for (int rep = 0; rep < reps; rep++) {
        baseline_notify(env, count, 1000, lb, &nb);
        camarena_notify(env, count, lc, &nc, why, sizeof why);
    }
    if (nc == 0) {
        table_add_na(f50, ROW_ERROR, "<= 2.0", "%s", why);
        goto out;
    }
    table_add(f50, "%.0f", nb ? bench_percentile(lb, nb, 50) : -1, bench_percentile(lc, nc, 50),
              GOAL_RATIO_MAX, 2.0, "<= 2.0");
    table_note("%zu frames at 1000/s in %d turns; baseline %zu messages", nc, reps, nb);
    table_add(f99, "%.0f", nb ? bench_percentile(lb, nb, 99) : -1, bench_percentile(lc, nc, 99),
              GOAL_VALUE_MAX, 1000, "< 1000 us");
    table_add(f999, "%.0f", nb ? bench_percentile(lb, nb, 99.9) : -1, bench_percentile(lc, nc, 99.9),
              GOAL_NONE, 0, NULL);
out:
    free(lb);
    free(lc);
}

/* ---- data path ---- */

static int free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int port = -EADDRNOTAVAIL;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void fig_data(struct bench_env *env, double lz4_mb_s)
{
    const char *fig = "data/ to a TCP subscriber 640x480: raw MB/s";
    int port = free_tcp_port();
    if (port < 0) {
        table_add_na(fig, ROW_ERROR, ">= 0.80", "no free TCP port: %s", errtext(port));
        return;
    }
    char extra[128], endpoint[64];
    snprintf(extra, sizeof extra, "publish = tcp://127.0.0.1:%d\n", port);
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    struct inst_camera cam = { "cam0", "fake:rate=fast&content=scene", 640, 480, "bgr24", 0, 30 };
    struct instance in;
    if (!start_or_row(env, &in, env->synth, &cam, 1, extra, fig, ">= 0.80"))
        return;
    struct sub s;
    sub_open(&s, endpoint, "data/cam0/", 0);
    uint64_t deadline = bench_now_ns() + 5000000000ull;
    while (s.received == 0 && bench_now_ns() < deadline)
        sub_pump(&s, 10);
    if (s.received == 0) {
        table_add_na(fig, ROW_NA, ">= 0.80",
                     "no data/ message within 5 s: the data path is not built yet (baseline LZ4: %.0f MB/s)",
                     lz4_mb_s);
    } else {
        pump_for(&s, 200000000);
        sub_reset(&s);
        uint64_t t0 = bench_now_ns();
        pump_for(&s, env->quick ? 300000000ull : 3000000000ull);
        double secs = (double)(bench_now_ns() - t0) / 1e9;
        double mb_s = (double)s.bytes / secs / 1e6;
        table_add(fig, "%.0f", lz4_mb_s, mb_s, GOAL_RATIO_MIN, 0.80, ">= 0.80");
        table_note("%llu messages, payload %.0f%% of raw; the baseline compresses in memory, with no pipe to read",
                   (unsigned long long)s.received, s.bytes ? 100.0 * (double)s.payload / (double)s.bytes : 0);
        /* A worker reads each frame from FFmpeg's pipe before it compresses
         * it, and bare LZ4 on camera-like content outruns that pipe copy: the
         * floor of this design is the reading plus the compressing. */
        struct ingest_result b;
        uint64_t warm = env->quick ? 5 : 100, frames = env->quick ? 30 : 3000;
        const char *fig2 = "data/ to a TCP subscriber 640x480 vs pipe read + LZ4: raw MB/s";
        if (baseline_ingest(env, 640, 480, warm, frames, true, &b) == 0) {
            table_add(fig2, "%.0f", b.fps * 640 * 480 * 3 / 1e6, mb_s, GOAL_RATIO_MIN, 0.80, ">= 0.80");
            table_note("baseline: a reader of the pipe into a 30-slot ring that compresses each frame");
        } else {
            table_add_na(fig2, ROW_ERROR, ">= 0.80", "the pipe read + LZ4 baseline failed");
        }
    }
    sub_close(&s);
    stop_instance(&in);
}

/* ---- steady load ---- */

void fig_steady(struct bench_env *env)
{
    const char *fig = "steady 8 x 640x480@30: camarenad % core per 100 fps";
    if (!env->fake[0]) {
        table_add_na(fig, ROW_NA, "< 1%", "tests/fake-ffmpeg is not built");
        return;
    }
    int ncam = env->quick ? 2 : 8;
    struct inst_camera cams[8];
    char names[8][8];
    for (int i = 0; i < ncam; i++) {
        snprintf(names[i], sizeof names[i], "cam%d", i);
        cams[i] = (struct inst_camera){ names[i], "fake:rate=30", 640, 480, "bgr24", 30, 30 };
    }
    struct instance in;
    if (!start_or_row(env, &in, env->fake, cams, ncam, NULL, fig, "< 1%"))
        return;
    int r = instance_wait_frames(&in, 30, 30000000000ull);
    pid_t workers[MAX_PIDS], fakes[MAX_PIDS];
    int nw = instance_workers(&in, workers, MAX_PIDS), nf = instance_ffmpegs(&in, fakes, MAX_PIDS);
    if (r || nw != ncam || nf != ncam) {
        table_add_na(fig, ROW_ERROR, "< 1%", "cameras did not all run (%s; %d workers, %d FFmpegs)",
                     r ? errtext(r) : "ok", nw, nf);
        stop_instance(&in);
        return;
    }
    uint64_t t0 = bench_now_ns(), h0 = instance_total_head(&in), s0 = cpu_of(in.pid);
    uint64_t w0 = cpu_sum(workers, nw), f0 = cpu_sum(fakes, nf);
    pump_for(NULL, env->quick ? 1000000000ull : 10000000000ull);
    uint64_t t1 = bench_now_ns(), h1 = instance_total_head(&in), s1 = cpu_of(in.pid);
    uint64_t w1 = cpu_sum(workers, nw), f1 = cpu_sum(fakes, nf);
    double secs = (double)(t1 - t0) / 1e9, n = (double)(h1 - h0);
    double fps = n / secs;
    double sup_pct = (double)(s1 - s0) / (double)(t1 - t0) * 100.0;
    table_add(fig, "%.3f", -1, sup_pct / (fps / 100.0), GOAL_VALUE_MAX, 1.0, "< 1%");
    table_note("%d cameras, %.0f frames/s in all, camarenad %.2f%% of a core", ncam, fps, sup_pct);
    table_add("steady: worker CPU us/frame (baseline: the fake FFmpeg's)", "%.1f",
              (double)(f1 - f0) / 1e3 / n, (double)(w1 - w0) / 1e3 / n, GOAL_NONE, 0, NULL);
    stop_instance(&in);
}

/* ---- scale ---- */

void fig_scale(struct bench_env *env)
{
    char fig[72];
    int ncam = env->quick ? 4 : 64;
    snprintf(fig, sizeof fig, "scale %d x 320x240@5: frames lost at frame/", ncam);
    if (!env->fake[0]) {
        table_add_na(fig, ROW_NA, "0", "tests/fake-ffmpeg is not built");
        return;
    }
    static struct inst_camera cams[MAX_CAMS];
    static char names[MAX_CAMS][8];
    for (int i = 0; i < ncam; i++) {
        snprintf(names[i], sizeof names[i], "cam%d", i);
        cams[i] = (struct inst_camera){ names[i], "fake:rate=5", 320, 240, "bgr24", 5, 30 };
    }
    struct instance in;
    if (!start_or_row(env, &in, env->fake, cams, ncam, NULL, fig, "0"))
        return;
    struct sub s;
    sub_open(&s, in.pub, "frame/", 0);
    uint64_t deadline = bench_now_ns() + 60000000000ull;
    int ready = 0;
    while (bench_now_ns() < deadline) {
        sub_pump(&s, 10);
        ready = 0;
        for (int i = 0; i < ncam; i++)
            ready += s.last_seq[in.index[i]] != 0;
        if (ready == ncam)
            break;
    }
    if (ready != ncam) {
        table_add_na(fig, ROW_ERROR, "0", "only %d of %d cameras reached the subscriber in 60 s", ready, ncam);
        sub_close(&s);
        stop_instance(&in);
        return;
    }
    pid_t pids[MAX_PIDS];
    int np = 0;
    pids[np++] = in.pid;
    np += instance_workers(&in, pids + np, MAX_PIDS - np);
    np += instance_ffmpegs(&in, pids + np, MAX_PIDS - np);
    sub_reset(&s);
    uint64_t t0 = bench_now_ns(), h0 = instance_total_head(&in), s0 = cpu_of(in.pid);
    pump_for(&s, env->quick ? 1000000000ull : 10000000000ull);
    uint64_t t1 = bench_now_ns(), h1 = instance_total_head(&in), s1 = cpu_of(in.pid);
    uint64_t lost = 0, mem = 0;
    for (int i = 0; i < ncam; i++)
        lost += s.gaps[in.index[i]];
    for (int i = 0; i < np; i++)
        mem += mem_of(pids[i]);
    double secs = (double)(t1 - t0) / 1e9;
    table_add(fig, "%.0f", -1, (double)lost, GOAL_VALUE_MAX, 1, "0");
    table_note("%llu frames received of %llu committed in %.0f s",
               (unsigned long long)s.received, (unsigned long long)(h1 - h0), secs);
    table_add("scale: camarenad % of a core", "%.2f", -1, (double)(s1 - s0) / (double)(t1 - t0) * 100.0,
              GOAL_NONE, 0, NULL);
    table_note("%.0f frames/s", (double)(h1 - h0) / secs);
    table_add("scale: private memory of all processes (MiB)", "%.1f", -1, (double)mem / 1048576.0,
              GOAL_NONE, 0, NULL);
    table_note("%d processes: camarenad, workers, fake FFmpegs; Pss_Anon + Pss_File", np);
    sub_close(&s);
    stop_instance(&in);
}

/* ---- memory ---- */

#define MEM_SAMPLES 4096

/* Growth of a series of Pss_Anon samples taken while frames flowed: the
 * smallest of the last third minus the largest of the first third, so that
 * memory in flight (a fuller ZeroMQ queue, freed heap not yet trimmed) does
 * not count, only memory that stays for the whole last third; a leak of even
 * one byte per frame still shows. Pss_File is left out: it is the process's
 * share of shared libraries, which moves by hundreds of KiB whenever other
 * processes of the host map or unmap the same libraries. */
static double growth_kib(const uint64_t *v, int n, double *first, double *last)
{
    int third = n / 3 > 0 ? n / 3 : 1;
    uint64_t hi = 0, lo = UINT64_MAX;
    for (int i = 0; i < third; i++)
        hi = v[i] > hi ? v[i] : hi;
    for (int i = n - third; i < n; i++)
        lo = v[i] < lo ? v[i] : lo;
    *first = (double)hi / 1024.0;
    *last = (double)lo / 1024.0;
    return *last - *first;
}

void fig_memory(struct bench_env *env)
{
    char fig_s[72], fig_w[72];
    uint64_t frames = env->memory_frames, warm = env->quick ? 500 : frames / 10;
    snprintf(fig_s, sizeof fig_s, "memory: camarenad heap growth, %llu frames (KiB)", (unsigned long long)frames);
    snprintf(fig_w, sizeof fig_w, "memory: worker heap growth, %llu frames (KiB)", (unsigned long long)frames);
    if (!env->fake[0]) {
        table_add_na(fig_s, ROW_NA, "< 64", "tests/fake-ffmpeg is not built");
        return;
    }
    static uint64_t sup[MEM_SAMPLES], wrk[MEM_SAMPLES];
    int n = 0;
    struct inst_camera cam = { "cam0", "fake:rate=30000", 64, 48, "gray", 0, 30 };
    struct instance in;
    if (!start_or_row(env, &in, env->fake, &cam, 1, NULL, fig_s, "< 64"))
        return;
    struct sub s;
    sub_open(&s, in.pub, "frame/", 0);
    int r = pump_until(&in, &s, 0, warm, 60000000000ull);
    pid_t worker = instance_worker(&in, 0);
    if (r || worker < 0) {
        table_add_na(fig_s, ROW_ERROR, "< 64", "no frames: %s", errtext(r ? r : worker));
        goto out;
    }
    uint64_t h0 = instance_head(&in, 0), t0 = bench_now_ns(), h1 = h0;
    uint64_t deadline = t0 + 600000000000ull, next = t0;
    /* Samples are spread over the frames, at most one per 10 ms. */
    uint64_t step = frames / 300 ? frames / 300 : 1, next_h = h0;
    for (;;) {
        h1 = instance_head(&in, 0);
        uint64_t now = bench_now_ns();
        if ((h1 >= next_h && now >= next) || h1 >= h0 + frames) {
            if (n < MEM_SAMPLES) {
                sup[n] = anon_of(in.pid);
                wrk[n] = anon_of(worker);
                n++;
            }
            next_h = h1 + step;
            next = now + 10000000;
        }
        if (h1 >= h0 + frames || now > deadline)
            break;
        sub_pump(&s, 1);
    }
    uint64_t t1 = bench_now_ns();
    if (h1 < h0 + frames) {
        table_add_na(fig_s, ROW_ERROR, "< 64", "only %llu of %llu frames in 600 s",
                     (unsigned long long)(h1 - h0), (unsigned long long)frames);
        goto out;
    }
    if (instance_worker(&in, 0) != worker) {
        table_add_na(fig_s, ROW_ERROR, "< 64", "the worker was restarted during the run");
        goto out;
    }
    double s_first, s_last, w_first, w_last;
    double gs = growth_kib(sup, n, &s_first, &s_last), gw = growth_kib(wrk, n, &w_first, &w_last);
    table_add(fig_s, "%.0f", -1, gs, GOAL_VALUE_MAX, 64, "< 64");
    table_note("Pss_Anon %.0f KiB after %llu frames (most of the first third of %d samples), %.0f KiB at "
               "the end (least of the last third); %.0f frames/s",
               s_first, (unsigned long long)h0, n, s_last, (double)(h1 - h0) * 1e9 / (double)(t1 - t0));
    table_add(fig_w, "%.0f", -1, gw, GOAL_VALUE_MAX, 64, "< 64");
    table_note("%.0f KiB, then %.0f KiB; Pss_Anon + Pss_File at the end: camarenad %.0f KiB, worker %.0f KiB",
               w_first, w_last, (double)mem_of(in.pid) / 1024.0, (double)mem_of(worker) / 1024.0);
out:
    sub_close(&s);
    stop_instance(&in);
}

/* ---- restart ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void fig_restart(struct bench_env *env)
{
    const char *fig = "restart: SIGKILL to next frame - backoff (ms)";
    /* 1ms is the least delay the conf's duration syntax writes; multiplier 1
     * and no jitter make every restart wait exactly that. */
    const uint64_t backoff_ns = 1000000;
    const char *extra = "backoff_initial = 1ms\nbackoff_multiplier = 1.0\nbackoff_jitter = 0\n";
    struct inst_camera cam = { "cam0", "fake:rate=500", 160, 120, "gray", 0, 30 };
    struct instance in;
    if (!start_or_row(env, &in, env->synth, &cam, 1, extra, fig, "< 100"))
        return;
    int tries = env->quick ? 2 : 7, done = 0;
    uint64_t took[16];
    const char *why = NULL;
    for (int t = 0; t < tries; t++) {
        uint64_t h = instance_head(&in, 0);
        if (pump_until(&in, NULL, 0, h + 20, 10000000000ull) != 0) {
            why = "frames did not resume";
            break;
        }
        pid_t worker = instance_worker(&in, 0);
        if (worker < 0) {
            why = "no worker found";
            break;
        }
        uint64_t t0 = bench_now_ns();
        kill(worker, SIGKILL);
        bench_sleep_ns(1000000);
        uint64_t before = instance_head(&in, 0);
        uint64_t deadline = t0 + 10000000000ull;
        while (instance_head(&in, 0) <= before && bench_now_ns() < deadline)
            bench_sleep_ns(100000);
        uint64_t t1 = bench_now_ns();
        if (instance_head(&in, 0) <= before) {
            why = "no frame within 10 s of the kill";
            break;
        }
        took[done++] = t1 - t0;
    }
    if (done == 0) {
        table_add_na(fig, ROW_ERROR, "< 100", "%s", why ? why : "no try");
    } else {
        qsort(took, (size_t)done, sizeof took[0], cmp_u64);
        double med = (double)(took[done / 2] - backoff_ns) / 1e6;
        table_add(fig, "%.1f", -1, med, GOAL_VALUE_MAX, 100, "< 100");
        table_note("median of %d kills, backoff_initial 1 ms; min %.1f, max %.1f ms", done,
                   (double)took[0] / 1e6, (double)took[done - 1] / 1e6);
        if (why)
            table_note("stopped early: %s", why);
    }
    stop_instance(&in);
}

/* ---- a peer ---- */

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char buf[8192], file[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        snprintf(file, sizeof file, "%s/%s", dir, prog);
        if (access(file, X_OK) == 0)
            return true;
    }
    return false;
}

void fig_peer(struct bench_env *env)
{
    (void)env;
    const char *fig = "peer: GStreamer shmsink/shmsrc CPU us/frame";
    if (!in_path("gst-launch-1.0"))
        table_add_na(fig, ROW_NA, NULL, "skipped: gst-launch-1.0 not installed");
    else
        table_add_na(fig, ROW_NA, NULL, "gst-launch-1.0 found, but the side-by-side run is not written yet");
}
