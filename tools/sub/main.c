/* camarena-sub - watches cameras of a camarena instance, here or afar.
 *
 *   camarena-sub [-c FILE | -e ENDPOINT | -i INSTANCE] [--stats] [--count N]
 *                [--raw] [--snapshot FILE.png] [--ffmpeg PROGRAM]
 *                [--timeout SECONDS] [--server-key FILE]
 *                [--client PAIR | --client-key FILE --client-secret FILE] CAMERA...
 *
 * Local (-c, -i, -e ipc://): it subscribes to frame/<camera>/ on the
 * instance's publish socket and, for every notification, reads the frame in
 * place from the arena (libcamarena: camarena_arena_peek, then
 * camarena_frame_check).
 *
 * Remote (-e tcp://HOST:PORT): it subscribes to data/<camera>/ and takes the
 * frame from the message: decompressed (LZ4, flags bit 0) into a buffer
 * sized once per camera from the header's frame_size, or as raw bytes. With
 * --server-key the connection uses CURVE, with the client's pair from
 * --client PAIR (PAIR.pub and PAIR.key, as camarena-ctl keygen writes
 * them), from --client-key and --client-secret, or made up for the run.
 *
 * Both give the same outputs. By default one line per frame,
 * "camera frame_seq age_ms size"; --stats prints one line per second per
 * camera; --raw writes the frame bytes to stdout; --snapshot saves a frame
 * of one camera as a PNG through FFmpeg (locally the newest, remotely the
 * first received). Latency and age are taken from capture_monotonic_ns
 * locally and from capture_realtime_ns remotely (another host's monotonic
 * clock means nothing here), which is only as good as the two clocks' sync.
 *
 * Exit status: 0 done (--count reached, a signal, or the reader of --raw
 * went away), 1 failure, 2 usage or conf error; with --snapshot, FFmpeg's
 * exit status. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <lz4.h>
#include <zmq.h>

#include "camarena.h"
#include "conf/conf.h"
#include "ipc/proto.h"
#include "supervisor/zap.h"
#include "tools/sub/stats.h"

#define PROG "camarena-sub"
#define SUB_CAMERAS_MAX 64
#define SNAPSHOT_WAIT_MS 10000 /* how long --snapshot waits for a camera's first frame */
#define SUB_MONITOR "inproc://camarena-sub-monitor" /* remote: handshake failures */

enum { EXIT_OK = 0, EXIT_FAILURE_ = 1, EXIT_USAGE = 2 };

struct cam {
    const char *name;       /* from argv */
    char topic[80];
    size_t topic_len;
    int index;              /* descriptor index in the arena, -1 if not found */
    uint32_t frame_size;
    uint8_t *buf;           /* --raw: one frame, allocated once; remote: the decompressed frame */
    size_t buf_size;        /* remote: bytes at buf, from the first header's frame_size */
    uint64_t bad;           /* remote: data/ messages whose payload did not decode */
    struct sub_stats stats;
};

struct sub {
    const char *instance;
    char endpoint[IPC_ENDPOINT_MAX];
    camarena_arena_t *arena;
    uint64_t generation;
    struct cam cams[SUB_CAMERAS_MAX];
    int ncams;
    bool stats, raw;
    long long count;        /* frames to go, -1 for no limit */
    FILE *stats_out;
    void *ctx, *sock;
    bool remote;            /* -e tcp://: data/ messages, no arena */
    bool curve;             /* --server-key given */
    char server_key[ZAP_KEY_Z85 + 1], client_pub[ZAP_KEY_Z85 + 1], client_secret[ZAP_KEY_Z85 + 1];
    void *monitor;          /* remote: PAIR on SUB_MONITOR, or NULL */
    bool refused_told;      /* a refused handshake was reported */
    uint64_t timeout_ns;    /* --timeout: exit 1 after this long without a frame, 0 = wait */
    const char *snapshot_file; /* remote --snapshot: where the first frame goes */
    const char *ffmpeg;
    int snapshot_status;    /* remote --snapshot: FFmpeg's exit status */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [-c FILE | -e ENDPOINT | -i INSTANCE] [--stats] [--count N] [--raw]\n"
            "                    [--snapshot FILE.png] [--ffmpeg PROGRAM] CAMERA...\n"
            "  -c, --conf FILE          the instance of this conf\n"
            "  -e, --endpoint EP        its publish endpoint (ipc://RUNTIME_DIR/NAME.pub)\n"
            "  -i, --instance NAME      the instance NAME in the default runtime directory\n"
            "      --stats              a line per second per camera: fps, latency p50/p99, losses\n"
            "  -n, --count N            stop after N frames\n"
            "      --raw                write the frame bytes to stdout\n"
            "      --snapshot FILE.png  save the newest frame of one camera as a PNG, with FFmpeg\n"
            "      --ffmpeg PROGRAM     the FFmpeg used by --snapshot (default ffmpeg)\n"
            "  -t, --timeout SECONDS    exit 1 if no frame comes for this long\n"
            "remote (-e tcp://HOST:PORT, data/ messages):\n"
            "      --server-key FILE    the server's public key: connect with CURVE\n"
            "      --client PAIR        this client's keys PAIR.pub and PAIR.key (camarena-ctl keygen)\n"
            "      --client-key FILE    this client's public key (else derived from the secret)\n"
            "      --client-secret FILE this client's secret key (without either: a pair made for the run)\n"
            "Without --stats or --raw, prints a line per frame: camera frame_seq age_ms size.\n"
            "Latency and age: capture_monotonic_ns locally, capture_realtime_ns remotely.\n"
            "exit: 0 done, 1 failure, 2 usage (--snapshot: FFmpeg's status)\n");
}

/* ---- finding the instance -------------------------------------------- */

static int target_from_conf(struct sub *s, const char *path, char *instance, size_t len)
{
    struct conf conf;
    static struct conf_errors errs;
    int rc = conf_load(&conf, path, &errs);
    if (rc < 0) {
        fputs(errs.text, stderr);
        if (!errs.text[0])
            fprintf(stderr, PROG ": %s: %s\n", path, strerror(-rc));
        return -1;
    }
    snprintf(instance, len, "%s", conf.name);
    rc = ipc_endpoint(s->endpoint, sizeof(s->endpoint), conf.runtime_dir, conf.name, IPC_PUB);
    if (rc < 0)
        fprintf(stderr, PROG ": %s: the publish socket path in %s is too long\n", path, conf.runtime_dir);
    conf_close(&conf);
    return rc < 0 ? -1 : 0;
}

static int target_from_instance(struct sub *s, const char *name, char *instance, size_t len)
{
    if (!conf_name_valid(name)) {
        fprintf(stderr, PROG ": '%s' is not an instance name ([A-Za-z0-9_-]{1,63})\n", name);
        return -1;
    }
    static struct conf conf; /* large: PATH_MAX strings */
    conf_defaults(&conf);
    snprintf(instance, len, "%s", name);
    if (ipc_endpoint(s->endpoint, sizeof(s->endpoint), conf.runtime_dir, name, IPC_PUB) < 0) {
        fprintf(stderr, PROG ": the publish socket path in %s is too long\n", conf.runtime_dir);
        return -1;
    }
    return 0;
}

/* The instance of ipc://DIR/NAME.pub is NAME. */
static int target_from_endpoint(struct sub *s, const char *ep, char *instance, size_t len)
{
    const char *path = ipc_endpoint_path(ep);
    if (strncmp(ep, "tcp://", 6) == 0) {
        if (strlen(ep) >= sizeof(s->endpoint)) {
            fprintf(stderr, PROG ": %s: endpoint too long\n", ep);
            return -1;
        }
        snprintf(s->endpoint, sizeof(s->endpoint), "%s", ep);
        snprintf(instance, len, "%s", "remote");
        s->remote = true;
        return 0;
    }
    if (!path) {
        fprintf(stderr, PROG ": %s: expected ipc://PATH or tcp://HOST:PORT\n", ep);
        return -1;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    if (n == 0 || n >= len) {
        fprintf(stderr, PROG ": %s: cannot tell the instance name from this endpoint\n", ep);
        return -1;
    }
    memcpy(instance, base, n);
    instance[n] = '\0';
    snprintf(s->endpoint, sizeof(s->endpoint), "%s", ep);
    return 0;
}

/* ---- the arena --------------------------------------------------------- */

static const char *arena_strerror(int rc)
{
    switch (rc) {
    case -ENOENT: return "no such instance (is camarenad running?)";
    case -EINVAL: return "not a valid camarena arena";
    default: return strerror(-rc);
    }
}

/* Finds every camera's descriptor. Returns 0, or prints which is missing and returns -ENOENT. */
static int cams_find(struct sub *s)
{
    for (int i = 0; i < s->ncams; i++) {
        struct cam *c = &s->cams[i];
        struct camarena_camera_info info;
        c->index = -1;
        int idx = camarena_arena_find(s->arena, c->name);
        if (idx < 0 || camarena_arena_camera(s->arena, (uint32_t)idx, &info) < 0) {
            fprintf(stderr, PROG ": instance %s has no camera '%s'\n", s->instance, c->name);
            return -ENOENT;
        }
        c->index = idx;
        if (s->raw && info.frame_size != c->frame_size) {
            free(c->buf);
            c->buf = malloc(info.frame_size ? info.frame_size : 1);
            if (!c->buf)
                return -ENOMEM;
        }
        c->frame_size = info.frame_size;
    }
    return 0;
}

static int arena_attach(struct sub *s)
{
    camarena_arena_close(&s->arena);
    int rc = camarena_arena_open(&s->arena, s->instance);
    if (rc < 0) {
        fprintf(stderr, PROG ": arena of %s: %s\n", s->instance, arena_strerror(rc));
        return rc;
    }
    s->generation = camarena_arena_generation(s->arena);
    return cams_find(s);
}

/* ---- output ------------------------------------------------------------ */

/* Writes all of buf to fd. Returns 0, or -errno (-EPIPE: the reader left). */
static int write_full(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- one notification -------------------------------------------------- */

enum frame_result { FRAME_DONE, FRAME_SKIPPED, FRAME_QUIT, FRAME_FAILED };

static struct cam *cam_by_topic(struct sub *s, const void *topic, size_t len)
{
    for (int i = 0; i < s->ncams; i++)
        if (s->cams[i].topic_len == len && memcmp(s->cams[i].topic, topic, len) == 0)
            return &s->cams[i];
    return NULL;
}

static enum frame_result frame_line(struct sub *s, struct cam *c, const struct camarena_frame *f)
{
    (void)s;
    double age_ms = ((double)now_ns(CLOCK_REALTIME) - (double)f->capture_realtime_ns) / 1e6;
    if (printf("%s %" PRIu64 " %.1f %" PRIu32 "\n", c->name, f->seq, age_ms, f->size) < 0)
        return errno == EPIPE ? FRAME_QUIT : FRAME_FAILED;
    return FRAME_DONE;
}

static int snapshot_save(const char *ffmpeg, const struct camarena_camera_info *info, const char *file,
                         const char *camera, const struct camarena_frame *f);

/* What is done with a frame read whole, local or remote. */
static enum frame_result frame_output(struct sub *s, struct cam *c, const struct camarena_frame_header *h,
                                      const struct camarena_frame *f)
{
    if (s->snapshot_file) {
        struct camarena_camera_info info = { .width = h->width, .height = h->height, .frame_size = h->frame_size };

        memcpy(info.pix_fmt, h->pix_fmt, sizeof(h->pix_fmt));
        s->snapshot_status = snapshot_save(s->ffmpeg, &info, s->snapshot_file, c->name, f);
        return FRAME_QUIT;
    }
    if (s->raw) {
        int rc = write_full(STDOUT_FILENO, f->data, f->size);
        if (rc == -EPIPE)
            return FRAME_QUIT;
        if (rc < 0) {
            fprintf(stderr, PROG ": writing frames: %s\n", strerror(-rc));
            return FRAME_FAILED;
        }
        return FRAME_DONE;
    }
    return s->stats ? FRAME_DONE : frame_line(s, c, f);
}

static enum frame_result frame_handle(struct sub *s, struct cam *c, const struct camarena_frame_header *h,
                                      uint64_t latency_ns)
{
    if (!s->arena || h->generation != s->generation || (int)h->camera_index != c->index) {
        /* The supervisor restarted (a new arena) or the camera moved: map again. */
        if (arena_attach(s) < 0 || h->generation != s->generation)
            return FRAME_SKIPPED; /* no arena yet, or a message from the old instance */
    }
    if (c->index < 0)
        return FRAME_SKIPPED;
    sub_stats_notified(&c->stats, h->frame_seq, latency_ns);
    struct camarena_frame f;
    int rc;
    if (s->raw) {
        /* A copy, validated before a byte reaches the pipe: a reader of the
         * stream cannot be told afterwards that a frame was torn. */
        rc = camarena_arena_copy(s->arena, (uint32_t)c->index, h->frame_seq, c->buf, c->frame_size, &f);
    } else {
        rc = camarena_arena_peek(s->arena, (uint32_t)c->index, h->frame_seq, &f);
        if (rc == 0)
            rc = camarena_frame_check(s->arena, &f);
    }
    if (rc == -ESTALE) {
        sub_stats_overwritten(&c->stats);
        return FRAME_SKIPPED;
    }
    if (rc < 0)
        return FRAME_SKIPPED; /* -EAGAIN cannot follow a notification; anything else: a reattach will tell */
    sub_stats_read(&c->stats);
    return frame_output(s, c, h, &f);
}

/* Takes the frame of a remote data/ message: LZ4 into the camera's buffer,
 * or the raw payload as it is. A payload that does not give exactly
 * frame_size bytes is counted in c->bad and skipped. */
static enum frame_result remote_frame_handle(struct sub *s, struct cam *c, const struct camarena_frame_header *h,
                                             zmq_msg_t *payload, uint64_t latency_ns)
{
    const uint8_t *p = zmq_msg_data(payload);
    size_t n = zmq_msg_size(payload);
    struct camarena_frame f = {
        .camera = h->camera_index, .seq = h->frame_seq, .slot = h->slot,
        .capture_realtime_ns = h->capture_realtime_ns, .capture_monotonic_ns = h->capture_monotonic_ns,
        .size = h->frame_size, .data = p,
    };
    const char *why = NULL;

    sub_stats_notified(&c->stats, h->frame_seq, latency_ns);
    /* SPEC 2 bounds a frame: 8192 x 8192 of at most 4 bytes a pixel. */
    if (h->frame_size == 0 || h->frame_size > (uint64_t)h->width * h->height * 4 || h->frame_size > INT32_MAX ||
        n > INT32_MAX) {
        why = "a header whose frame_size does not fit its geometry";
    } else if (h->flags & CAMARENA_FRAME_LZ4) {
        if (c->buf_size != h->frame_size) {
            /* Once per camera; again only if its geometry changes (a reload). */
            free(c->buf);
            c->buf_size = 0;
            if ((c->buf = malloc(h->frame_size)) == NULL) {
                fprintf(stderr, PROG ": out of memory\n");
                return FRAME_FAILED;
            }
            c->buf_size = h->frame_size;
        }
        if (LZ4_decompress_safe((const char *)p, (char *)c->buf, (int)n, (int)h->frame_size) != (int)h->frame_size)
            why = "an LZ4 payload that does not decompress to frame_size bytes";
        f.data = c->buf;
    } else if (n != h->frame_size) {
        why = "a raw payload whose size is not frame_size";
    }
    if (why) {
        if (c->bad++ == 0)
            fprintf(stderr, PROG ": %s: frame %" PRIu64 ": %s (%zu bytes); such frames are skipped\n", c->name,
                    h->frame_seq, why, n);
        return FRAME_SKIPPED;
    }
    sub_stats_read(&c->stats);
    return frame_output(s, c, h, &f);
}

/* Receives one message (all its parts) and handles it. */
static enum frame_result message_handle(struct sub *s)
{
    zmq_msg_t topic, header, payload;
    zmq_msg_init(&topic);
    zmq_msg_init(&header);
    zmq_msg_init(&payload);
    enum frame_result res = FRAME_SKIPPED;
    if (zmq_msg_recv(&topic, s->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&topic);
        zmq_msg_close(&header);
        zmq_msg_close(&payload);
        return errno == EAGAIN || errno == EINTR ? FRAME_SKIPPED : FRAME_FAILED;
    }
    bool more = zmq_msg_more(&topic), have_header = false, have_payload = false;
    if (more) {
        zmq_msg_recv(&header, s->sock, 0);
        have_header = true;
        more = zmq_msg_more(&header);
    }
    if (more) {
        zmq_msg_recv(&payload, s->sock, 0);
        have_payload = true;
        more = zmq_msg_more(&payload);
    }
    bool extra_parts = more;
    while (more) { /* parts we do not use */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, s->sock, 0);
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    uint64_t latency_ns = 0;
    struct camarena_frame_header h;
    struct cam *c = cam_by_topic(s, zmq_msg_data(&topic), zmq_msg_size(&topic));
    if (c && have_header && camarena_frame_header_decode(zmq_msg_data(&header), zmq_msg_size(&header), &h) == 0) {
        if (s->remote) {
            /* Another host's monotonic clock means nothing here. */
            uint64_t now = now_ns(CLOCK_REALTIME);
            latency_ns = now > h.capture_realtime_ns ? now - h.capture_realtime_ns : 0;
            if (have_payload && !extra_parts)
                res = remote_frame_handle(s, c, &h, &payload, latency_ns);
        } else {
            uint64_t now = now_ns(CLOCK_MONOTONIC);
            latency_ns = now > h.capture_monotonic_ns ? now - h.capture_monotonic_ns : 0;
            res = frame_handle(s, c, &h, latency_ns);
        }
    }
    zmq_msg_close(&topic);
    zmq_msg_close(&header);
    zmq_msg_close(&payload);
    return res;
}

/* ---- the loops --------------------------------------------------------- */

static int sub_connect(struct sub *s)
{
    /* ZeroMQ connects to ipc:// lazily and would wait for a socket that
     * does not exist: say at once that no daemon is there. */
    const char *path = ipc_endpoint_path(s->endpoint);
    struct stat st;
    if (path && stat(path, &st) < 0)
        return -errno;
    int linger = 0;
    s->ctx = zmq_ctx_new();
    if (!s->ctx)
        return -errno;
    s->sock = zmq_socket(s->ctx, ZMQ_SUB);
    if (!s->sock)
        return -errno;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (s->curve) {
        if (zmq_setsockopt(s->sock, ZMQ_CURVE_SERVERKEY, s->server_key, ZAP_KEY_Z85 + 1) < 0 ||
            zmq_setsockopt(s->sock, ZMQ_CURVE_PUBLICKEY, s->client_pub, ZAP_KEY_Z85 + 1) < 0 ||
            zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, s->client_secret, ZAP_KEY_Z85 + 1) < 0)
            return -errno;
    }
    if (s->remote && zmq_socket_monitor(s->sock, SUB_MONITOR, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
        s->monitor = zmq_socket(s->ctx, ZMQ_PAIR);
        if (s->monitor) {
            zmq_setsockopt(s->monitor, ZMQ_LINGER, &linger, sizeof(linger));
            if (zmq_connect(s->monitor, SUB_MONITOR) < 0) {
                zmq_close(s->monitor);
                s->monitor = NULL;
            }
        }
    }
    for (int i = 0; i < s->ncams; i++)
        if (zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, s->cams[i].topic, s->cams[i].topic_len) < 0)
            return -errno;
    if (zmq_connect(s->sock, s->endpoint) < 0)
        return -errno;
    return 0;
}

static void stats_print(struct sub *s, double period_s)
{
    for (int i = 0; i < s->ncams; i++) {
        char line[256];
        fprintf(s->stats_out, "%s\n", sub_stats_line(&s->cams[i].stats, s->cams[i].name, period_s, line, sizeof(line)));
    }
    fflush(s->stats_out);
}

/* Remote: says once that the server refused the handshake (CURVE keys
 * missing or not listed, or CURVE spoken to a plain endpoint). ZeroMQ keeps
 * retrying; so does this. */
static void on_monitor(struct sub *s)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, s->monitor, ZMQ_DONTWAIT) >= 0) {
        uint16_t ev = 0;
        if (zmq_msg_size(&m) >= 6 && zmq_msg_more(&m))
            memcpy(&ev, zmq_msg_data(&m), sizeof(ev));
        if (ev && !s->refused_told) {
            s->refused_told = true;
            fprintf(stderr, PROG ": %s: the handshake failed (%s)%s; retrying\n", s->endpoint,
                    ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "refused by the server"
                    : ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "protocol or mechanism mismatch" : "no detail",
                    s->curve ? ": is this client's public key in the server's curve_client_keys, and is "
                               "--server-key right?"
                             : ": does the server want CURVE (--server-key)?");
        }
    }
    zmq_msg_close(&m);
}

static int watch(struct sub *s)
{
    uint64_t period_start = now_ns(CLOCK_MONOTONIC);
    uint64_t tick = period_start + 1000000000u;
    uint64_t last_frame = period_start;
    if (s->stats && s->remote) {
        fprintf(s->stats_out, "# %s: latency from capture_realtime_ns to this host's CLOCK_REALTIME "
                              "(two hosts' clocks: as good as their sync)\n", s->endpoint);
        fflush(s->stats_out);
    }
    while (!stopping && s->count != 0) {
        long timeout_ms = -1;
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        if (s->stats) {
            if (now >= tick) {
                stats_print(s, (double)(now - period_start) / 1e9);
                period_start = now;
                tick = now + 1000000000u;
            }
            timeout_ms = (long)((tick - now) / 1000000u) + 1;
        }
        if (s->timeout_ns) {
            if (now - last_frame >= s->timeout_ns) {
                fprintf(stderr, PROG ": %s: no frame for %.1f s\n", s->endpoint, (double)s->timeout_ns / 1e9);
                return EXIT_FAILURE_;
            }
            long left = (long)((last_frame + s->timeout_ns - now) / 1000000u) + 1;
            if (timeout_ms < 0 || left < timeout_ms)
                timeout_ms = left;
        }
        zmq_pollitem_t items[2] = {
            { .socket = s->sock, .events = ZMQ_POLLIN },
            { .socket = s->monitor, .events = ZMQ_POLLIN },
        };
        int n = zmq_poll(items, s->monitor ? 2 : 1, timeout_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, PROG ": zmq_poll: %s\n", zmq_strerror(errno));
            return EXIT_FAILURE_;
        }
        if (s->monitor && (items[1].revents & ZMQ_POLLIN))
            on_monitor(s);
        n = items[0].revents & ZMQ_POLLIN;
        /* Drain what is queued before looking at the clock again. */
        for (int burst = 0; n > 0 && burst < 256 && s->count != 0 && !stopping; burst++) {
            enum frame_result r = message_handle(s);
            if (r == FRAME_QUIT)
                return EXIT_OK;
            if (r == FRAME_FAILED)
                return EXIT_FAILURE_;
            if (r == FRAME_DONE)
                last_frame = now_ns(CLOCK_MONOTONIC);
            if (r == FRAME_DONE && s->count > 0)
                s->count--;
            int events = 0;
            size_t len = sizeof(events);
            if (zmq_getsockopt(s->sock, ZMQ_EVENTS, &events, &len) < 0 || !(events & ZMQ_POLLIN))
                break;
        }
    }
    if (fflush(stdout) != 0 && errno != EPIPE) {
        fprintf(stderr, PROG ": writing: %s\n", strerror(errno));
        return EXIT_FAILURE_;
    }
    return EXIT_OK;
}

/* Waits for a first notification of camera c, for --snapshot of a camera
 * that has no frame yet. Returns 0, or -ETIMEDOUT. */
static int snapshot_wait_first(struct sub *s, struct cam *c)
{
    uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)SNAPSHOT_WAIT_MS * 1000000u;
    while (!stopping && camarena_arena_head(s->arena, (uint32_t)c->index) == 0) {
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        if (now >= deadline)
            return -ETIMEDOUT;
        zmq_pollitem_t item = { .socket = s->sock, .events = ZMQ_POLLIN };
        /* Bounded waits: the head is read again even if a notification is lost. */
        if (zmq_poll(&item, 1, 200) > 0) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT);
            zmq_msg_close(&m);
        }
    }
    return stopping ? -EINTR : 0;
}

/* Starts ffmpeg reading raw frames on a pipe and writing one PNG. Returns its pid and *fd. */
static pid_t snapshot_spawn(const char *ffmpeg, const struct camarena_camera_info *info, const char *file, int *fd)
{
    char size[32];
    snprintf(size, sizeof(size), "%ux%u", info->width, info->height);
    char *argv[] = {
        (char *)ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pixel_format",
        (char *)info->pix_fmt, "-video_size", size, "-i", "-", "-frames:v", "1", "-c:v", "png",
        "-f", "image2", "-update", "1", "-y", (char *)file, NULL,
    };
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(p[0], STDIN_FILENO);
        close(p[0]);
        close(p[1]);
        execvp(ffmpeg, argv);
        fprintf(stderr, PROG ": %s: %s\n", ffmpeg, strerror(errno));
        _exit(127);
    }
    close(p[0]);
    *fd = p[1];
    return pid;
}

static int snapshot(struct sub *s, const char *file, const char *ffmpeg)
{
    struct cam *c = &s->cams[0];
    struct camarena_camera_info info;
    if (camarena_arena_camera(s->arena, (uint32_t)c->index, &info) < 0 || info.frame_size == 0) {
        fprintf(stderr, PROG ": camera '%s': bad descriptor\n", c->name);
        return EXIT_FAILURE_;
    }
    int rc = snapshot_wait_first(s, c);
    if (rc < 0) {
        if (rc == -ETIMEDOUT)
            fprintf(stderr, PROG ": camera '%s' has delivered no frame yet\n", c->name);
        return EXIT_FAILURE_;
    }
    uint8_t *buf = malloc(info.frame_size);
    if (!buf) {
        fprintf(stderr, PROG ": out of memory\n");
        return EXIT_FAILURE_;
    }
    struct camarena_frame f;
    /* The head can be overwritten while it is copied (a short ring, a fast
     * camera): take the newer head and try again. */
    rc = -ESTALE;
    for (int tries = 0; tries < 100 && (rc == -ESTALE || rc == -EAGAIN); tries++) {
        uint64_t head = camarena_arena_head(s->arena, (uint32_t)c->index);
        rc = camarena_arena_copy(s->arena, (uint32_t)c->index, head, buf, info.frame_size, &f);
    }
    if (rc < 0) {
        fprintf(stderr, PROG ": reading the newest frame of '%s': %s\n", c->name, strerror(-rc));
        free(buf);
        return EXIT_FAILURE_;
    }
    rc = snapshot_save(ffmpeg, &info, file, c->name, &f);
    free(buf);
    return rc;
}

/* Gives frame f to FFmpeg to write file. Returns FFmpeg's exit status, or
 * EXIT_FAILURE_. */
static int snapshot_save(const char *ffmpeg, const struct camarena_camera_info *info, const char *file,
                         const char *camera, const struct camarena_frame *f)
{
    int fd = -1, rc;
    pid_t pid = snapshot_spawn(ffmpeg, info, file, &fd);
    if (pid < 0) {
        fprintf(stderr, PROG ": starting %s: %s\n", ffmpeg, strerror(errno));
        return EXIT_FAILURE_;
    }
    rc = write_full(fd, f->data, f->size);
    close(fd);
    if (rc < 0 && rc != -EPIPE)
        fprintf(stderr, PROG ": writing to %s: %s\n", ffmpeg, strerror(-rc));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, PROG ": waitpid: %s\n", strerror(errno));
            return EXIT_FAILURE_;
        }
    }
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 0)
            printf("%s: frame %" PRIu64 " of %s, %ux%u %s\n", file, f->seq, camera, info->width, info->height,
                   info->pix_fmt);
        return WEXITSTATUS(status);
    }
    fprintf(stderr, PROG ": %s killed by signal %d\n", ffmpeg, WTERMSIG(status));
    return EXIT_FAILURE_;
}

/* Fills the CURVE keys of s: the server's public key from server_key, this
 * client's pair from PAIR.pub and PAIR.key, from key and secret files (the
 * public key derived if only the secret is given), or a pair made now.
 * Returns 0, or prints why and returns -1. */
static int keys_load(struct sub *s, const char *server_key, const char *pair, const char *pub_file,
                     const char *secret_file)
{
    char err[PATH_MAX + 256], pair_pub[PATH_MAX], pair_secret[PATH_MAX];
    uint8_t k[ZAP_KEY_BYTES];
    int rc;

    if (zap_public_read(server_key, k, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": --server-key: %s\n", err);
        return -1;
    }
    zmq_z85_encode(s->server_key, k, ZAP_KEY_BYTES);
    if (pair) {
        if ((size_t)snprintf(pair_pub, sizeof(pair_pub), "%s.pub", pair) >= sizeof(pair_pub) ||
            (size_t)snprintf(pair_secret, sizeof(pair_secret), "%s.key", pair) >= sizeof(pair_secret)) {
            fprintf(stderr, PROG ": --client: path too long\n");
            return -1;
        }
        pub_file = pair_pub;
        secret_file = pair_secret;
    }
    s->curve = true;
    if (!secret_file) {
        /* No pair: one for this run. The server admits it only if it is listed. */
        if (zmq_curve_keypair(s->client_pub, s->client_secret) < 0) {
            fprintf(stderr, PROG ": zmq_curve_keypair: %s\n", zmq_strerror(errno));
            return -1;
        }
        return 0;
    }
    rc = zap_secret_read(secret_file, k, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": client secret key: %s\n", err);
        return -1;
    }
    zmq_z85_encode(s->client_secret, k, ZAP_KEY_BYTES);
    explicit_bzero(k, sizeof(k));
    if (zmq_curve_public(s->client_pub, s->client_secret) < 0) {
        fprintf(stderr, PROG ": %s: cannot derive the public key: %s\n", secret_file, zmq_strerror(errno));
        return -1;
    }
    if (pub_file) {
        char want[ZAP_KEY_Z85 + 1];
        if (zap_public_read(pub_file, k, err, sizeof(err)) < 0) {
            fprintf(stderr, PROG ": client public key: %s\n", err);
            return -1;
        }
        zmq_z85_encode(want, k, ZAP_KEY_BYTES);
        if (strcmp(want, s->client_pub) != 0) {
            fprintf(stderr, PROG ": %s is not the public key of %s\n", pub_file, secret_file);
            return -1;
        }
    }
    return 0;
}

static long long parse_count(const char *arg)
{
    char *end;
    errno = 0;
    long long n = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || n <= 0)
        return -1;
    return n;
}

int main(int argc, char **argv)
{
    enum { OPT_STATS = 256, OPT_RAW, OPT_SNAPSHOT, OPT_FFMPEG, OPT_SERVER_KEY, OPT_CLIENT, OPT_CLIENT_KEY,
           OPT_CLIENT_SECRET };
    static const struct option longopts[] = {
        { "conf", required_argument, NULL, 'c' },
        { "endpoint", required_argument, NULL, 'e' },
        { "instance", required_argument, NULL, 'i' },
        { "count", required_argument, NULL, 'n' },
        { "stats", no_argument, NULL, OPT_STATS },
        { "raw", no_argument, NULL, OPT_RAW },
        { "snapshot", required_argument, NULL, OPT_SNAPSHOT },
        { "ffmpeg", required_argument, NULL, OPT_FFMPEG },
        { "timeout", required_argument, NULL, 't' },
        { "server-key", required_argument, NULL, OPT_SERVER_KEY },
        { "client", required_argument, NULL, OPT_CLIENT },
        { "client-key", required_argument, NULL, OPT_CLIENT_KEY },
        { "client-secret", required_argument, NULL, OPT_CLIENT_SECRET },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static struct sub s = { .count = -1 };
    const char *conf_path = NULL, *endpoint = NULL, *instance_arg = NULL, *snapshot_file = NULL;
    const char *ffmpeg = "ffmpeg";
    const char *server_key = NULL, *client_pair = NULL, *client_key = NULL, *client_secret = NULL;
    int opt, targets = 0;
    while ((opt = getopt_long(argc, argv, "c:e:i:n:t:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': conf_path = optarg; targets++; break;
        case 'e': endpoint = optarg; targets++; break;
        case 'i': instance_arg = optarg; targets++; break;
        case 'n':
            if ((s.count = parse_count(optarg)) < 0) {
                fprintf(stderr, PROG ": --count wants a positive number, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_STATS: s.stats = true; break;
        case OPT_RAW: s.raw = true; break;
        case OPT_SNAPSHOT: snapshot_file = optarg; break;
        case OPT_FFMPEG: ffmpeg = optarg; break;
        case 't': {
            char *end;
            double t = strtod(optarg, &end);
            if (end == optarg || *end || !(t > 0 && t < 86400 * 365)) {
                fprintf(stderr, PROG ": --timeout wants seconds, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            s.timeout_ns = (uint64_t)(t * 1e9);
            break;
        }
        case OPT_SERVER_KEY: server_key = optarg; break;
        case OPT_CLIENT: client_pair = optarg; break;
        case OPT_CLIENT_KEY: client_key = optarg; break;
        case OPT_CLIENT_SECRET: client_secret = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    const char *problem = NULL;
    if (targets != 1)
        problem = "give one of -c FILE, -e ENDPOINT or -i INSTANCE";
    else if (optind >= argc)
        problem = "name at least one camera";
    else if (argc - optind > SUB_CAMERAS_MAX)
        problem = "too many cameras";
    else if (snapshot_file && argc - optind != 1)
        problem = "--snapshot takes exactly one camera";
    else if (snapshot_file && (s.raw || s.stats || s.count > 0))
        problem = "--snapshot goes with no other mode";
    else if ((server_key || client_pair || client_key || client_secret) && !(endpoint && !strncmp(endpoint, "tcp://", 6)))
        problem = "CURVE keys go with -e tcp://HOST:PORT";
    else if ((client_pair || client_key || client_secret) && !server_key)
        problem = "client keys need --server-key";
    else if (client_pair && (client_key || client_secret))
        problem = "give --client PAIR or --client-key/--client-secret, not both";
    else if (client_key && !client_secret)
        problem = "--client-key needs --client-secret";
    if (problem) {
        fprintf(stderr, PROG ": %s\n", problem);
        usage(stderr);
        return EXIT_USAGE;
    }

    char instance[CONF_NAME_MAX + 1];
    int rc;
    if (conf_path)
        rc = target_from_conf(&s, conf_path, instance, sizeof(instance));
    else if (instance_arg)
        rc = target_from_instance(&s, instance_arg, instance, sizeof(instance));
    else
        rc = target_from_endpoint(&s, endpoint, instance, sizeof(instance));
    if (rc < 0)
        return EXIT_USAGE;
    s.instance = instance;
    if (server_key && keys_load(&s, server_key, client_pair, client_key, client_secret) < 0)
        return EXIT_USAGE;
    s.ffmpeg = ffmpeg;
    if (s.remote && snapshot_file) {
        s.snapshot_file = snapshot_file;
        if (!s.timeout_ns)
            s.timeout_ns = (uint64_t)SNAPSHOT_WAIT_MS * 1000000u;
    }

    for (int i = optind; i < argc; i++) {
        struct cam *c = &s.cams[s.ncams++];
        c->name = argv[i];
        c->index = -1;
        sub_stats_init(&c->stats);
        if (!conf_name_valid(c->name) ||
            ipc_topic(c->topic, sizeof(c->topic), s.remote ? "data" : "frame", c->name) < 0) {
            fprintf(stderr, PROG ": '%s' is not a camera name\n", c->name);
            return EXIT_USAGE;
        }
        c->topic_len = strlen(c->topic);
    }
    s.stats_out = s.raw ? stderr : stdout;
    if (!s.raw && !s.stats)
        setvbuf(stdout, NULL, _IOLBF, 0);

    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int code = EXIT_FAILURE_;
    if (!s.remote && arena_attach(&s) < 0)
        goto out;
    if ((rc = sub_connect(&s)) < 0) {
        fprintf(stderr, PROG ": %s: %s\n", s.endpoint,
                rc == -ENOENT ? "no such socket (is camarenad running?)" : zmq_strerror(-rc));
        goto out;
    }
    if (s.remote) {
        code = watch(&s);
        if (s.snapshot_file && code == EXIT_OK)
            code = s.snapshot_status;
    } else {
        code = snapshot_file ? snapshot(&s, snapshot_file, ffmpeg) : watch(&s);
    }
out:
    explicit_bzero(s.client_secret, sizeof(s.client_secret));
    if (s.monitor) {
        zmq_socket_monitor(s.sock, NULL, 0);
        zmq_close(s.monitor);
    }
    if (s.sock)
        zmq_close(s.sock);
    if (s.ctx)
        zmq_ctx_term(s.ctx);
    camarena_arena_close(&s.arena);
    for (int i = 0; i < s.ncams; i++)
        free(s.cams[i].buf);
    return code;
}
