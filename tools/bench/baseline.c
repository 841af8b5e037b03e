/* baseline.c - the least work possible for each figure, measured in the same run.
 *
 * Each baseline runs its parts in processes of their own, as camarena does,
 * so that the comparison is between designs and not between a process and a
 * thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "arena/layout.h"
#include "tests/fakeframe.h"
#include "tools/bench/bench.h"

#define RING_SLOTS 30
#define PIPE_SIZE (1 << 20)

/* The first page of the baseline's shared mapping. */
struct ring_page {
    struct arena_ring ring;
    struct arena_slot slots[RING_SLOTS];
    uint64_t t0, t1;        /* monotonic ns at the warm-up frame and the last */
    uint64_t cpu0, cpu1;    /* the reader's own CPU at the same points, ns */
    int error;              /* errno of a failed read, or EPIPE for a short stream */
};
_Static_assert(sizeof(struct ring_page) <= 4096, "the ring page fits one page");

static uint64_t self_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static int read_full(int fd, uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The reader: each frame straight into its slot under the seqlock of SPEC 3. */
static void ring_reader(int fd, struct ring_page *page, uint8_t *data, size_t size, size_t stride,
                        uint64_t warm, uint64_t total, char *packed, int bound)
{
    /* The arena is reserved whole at start (posix_fallocate); fault the ring in likewise. */
    for (size_t off = 0; off < RING_SLOTS * stride; off += 4096)
        data[off] = 0;
    for (uint64_t f = 1; f <= total; f++) {
        struct arena_slot *s = &page->slots[(f - 1) % RING_SLOTS];
        atomic_store_explicit(&s->seq, 2 * f - 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        int e = read_full(fd, data + ((f - 1) % RING_SLOTS) * stride, size);
        if (e) {
            atomic_store_explicit(&s->seq, 0, memory_order_release);
            page->error = e;
            return;
        }
        uint64_t now = bench_now_ns();
        s->capture_monotonic_ns = now;
        s->size = (uint32_t)size;
        atomic_store_explicit(&s->seq, 2 * f, memory_order_release);
        atomic_store_explicit(&page->ring.head_seq, f, memory_order_release);
        if (packed && LZ4_compress_default((const char *)data + ((f - 1) % RING_SLOTS) * stride, packed,
                                           (int)size, bound) <= 0) {
            page->error = EINVAL;
            return;
        }
        if (f == warm) {
            page->t0 = now;
            page->cpu0 = self_cpu_ns();
        }
    }
    page->t1 = bench_now_ns();
    page->cpu1 = self_cpu_ns();
}

int baseline_ingest(struct bench_env *env, uint32_t width, uint32_t height,
                    uint64_t warm, uint64_t frames, bool lz4, struct ingest_result *out)
{
    size_t size = (size_t)width * height * 3;
    size_t stride = (size + 4095) & ~(size_t)4095;
    size_t len = 4096 + RING_SLOTS * stride;
    int fds[2] = { -1, -1 };
    pid_t writer = -1, reader = -1;
    int ret = 0;

    uint8_t *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return -errno;
    struct ring_page *page = (struct ring_page *)map;
    if (pipe2(fds, O_CLOEXEC) != 0) {
        ret = -errno;
        goto err;
    }
    if (fcntl(fds[0], F_SETPIPE_SZ, PIPE_SIZE) < 0)
        fcntl(fds[0], F_SETPIPE_SZ, 65536 * 4);

    uint64_t total = warm + frames;
    char url[96], vf[64], *argv[16];
    snprintf(url, sizeof url, "fake:rate=fast&frames=%llu%s", (unsigned long long)total,
             lz4 ? "&content=scene" : "");
    synth_args(argv, vf, sizeof vf, env->synth, url, width, height, "bgr24");

    writer = fork();
    if (writer < 0) {
        ret = -errno;
        goto err;
    }
    if (writer == 0) {
        dup2(fds[1], STDOUT_FILENO);
        execv(env->synth, argv);
        _exit(127);
    }
    reader = fork();
    if (reader < 0) {
        ret = -errno;
        goto err;
    }
    if (reader == 0) {
        close(fds[1]);
        int bound = LZ4_compressBound((int)size);
        char *packed = lz4 ? malloc((size_t)bound) : NULL;

        if (lz4 && !packed)
            _exit(1);
        ring_reader(fds[0], page, map + 4096, size, stride, warm, total, packed, bound);
        _exit(page->error ? 1 : 0);
    }
    close(fds[0]);
    close(fds[1]);
    fds[0] = fds[1] = -1;

    int status;
    waitpid(reader, &status, 0);
    reader = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        ret = page->error ? -page->error : -ECHILD;
        goto err;
    }
    out->fps = (double)frames * 1e9 / (double)(page->t1 - page->t0);
    out->cpu_us_per_frame = (double)(page->cpu1 - page->cpu0) / 1e3 / (double)frames;
err:
    if (reader > 0) {
        kill(reader, SIGKILL);
        waitpid(reader, NULL, 0);
    }
    if (writer > 0) {
        kill(writer, SIGKILL);
        waitpid(writer, NULL, 0);
    }
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    munmap(map, len);
    return ret;
}

/* ---- notification ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* The publisher process: waits for a subscriber, then sends count stamped
 * messages on absolute deadlines. */
static void notify_publisher(const char *endpoint, uint64_t count, double rate)
{
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    int timeout = 10000, linger = 2000;
    zmq_setsockopt(pub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(pub, endpoint) != 0)
        _exit(1);
    char sub[64];
    if (zmq_recv(pub, sub, sizeof sub, 0) < 0)
        _exit(2);
    bench_sleep_ns(50000000); /* the subscription is in place on both ends */
    uint8_t msg[64] = { 0 };
    uint64_t period = (uint64_t)(1e9 / rate), next = bench_now_ns();
    for (uint64_t i = 0; i < count; i++) {
        next += period;
        uint64_t now = bench_now_ns();
        if (next > now)
            bench_sleep_ns(next - now);
        now = bench_now_ns();
        memcpy(msg, &i, 8);
        memcpy(msg + 8, &now, 8);
        zmq_send(pub, msg, sizeof msg, 0);
    }
    zmq_close(pub);
    zmq_ctx_term(ctx);
    _exit(0);
}

int baseline_notify(struct bench_env *env, uint64_t count, double rate, double *lat, size_t *nlat)
{
    char endpoint[PATH_MAX + 32];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/baseline.pub", env->tmp);
    pid_t pub = fork();
    if (pub < 0)
        return -errno;
    if (pub == 0)
        notify_publisher(endpoint, count, rate);

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int timeout = 5000, linger = 0;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(sub, endpoint);
    uint64_t got = 0;
    uint8_t msg[64];
    while (got < count) {
        int n = zmq_recv(sub, msg, sizeof msg, 0);
        if (n < 0)
            break;
        uint64_t now = bench_now_ns(), stamp;
        memcpy(&stamp, msg + 8, 8);
        lat[(*nlat)++] = (double)(now - stamp) / 1e3;
        got++;
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    int status;
    waitpid(pub, &status, 0);
    return got ? 0 : -ETIMEDOUT;
}

/* ---- LZ4 ---- */

int baseline_lz4(uint32_t width, uint32_t height, double seconds, double *mb_s, double *ratio)
{
    enum { NFRAMES = 4 };
    size_t size = (size_t)width * height * 3;
    int bound = LZ4_compressBound((int)size);
    uint8_t *src = malloc(size * NFRAMES);
    char *dst = malloc((size_t)bound);
    if (!src || !dst) {
        free(src);
        free(dst);
        return -ENOMEM;
    }
    for (int i = 0; i < NFRAMES; i++) {
        synth_scene_fill(src + i * size, size, width, height);
        memcpy(src + i * size, &(uint64_t){(uint64_t)i + 1}, 8); /* the counter, as the synth writes it */
    }
    uint64_t start = bench_now_ns(), end = start + (uint64_t)(seconds * 1e9), now = start;
    uint64_t bytes = 0, packed = 0;
    for (unsigned i = 0; now < end || i < NFRAMES; i++) {
        int n = LZ4_compress_default((const char *)src + (i % NFRAMES) * size, dst, (int)size, bound);
        if (n <= 0)
            break;
        bytes += size;
        packed += (uint64_t)n;
        now = bench_now_ns();
    }
    free(src);
    free(dst);
    *mb_s = (double)bytes / ((double)(now - start) / 1e9) / 1e6;
    *ratio = bytes ? (double)packed / (double)bytes : 0;
    return 0;
}
