/* fake-ffmpeg.c - a stand-in for FFmpeg whose frames and failures a test chooses.
 *
 * It takes the argument vector camarena-worker gives FFmpeg, ignoring what it
 * does not know, and reads from it: -vf (fps=F and scale=W:H), -pix_fmt P,
 * -i URL, -re and -f. It writes frames of pixfmt_frame_size(P, W, H) bytes to
 * stdout, each in the format of tests/fakeframe.h (a counter from 1, a
 * pseudo-random stream seeded by it, an FNV-1a checksum).
 *
 * What it does is chosen by the input URL, "fake:OPTIONS", OPTIONS being
 * key=value pairs separated by '&' (values are %XX-decoded). Any other URL
 * (a lavfi graph, rtsp://...) behaves as "fake:" with no options.
 *
 *   rate=fast           as fast as the pipe takes them
 *   rate=N              N frames per second (decimals allowed); default: the
 *                       fps= of -vf, else 25; paced on absolute deadlines
 *   frames=N            exit 0 after N frames
 *   crash_after=N       after N frames, die of signal crash_signal (default
 *                       SIGSEGV, no core dump)
 *   crash_signal=S      the signal crash_after raises, e.g. 9
 *   exit_after=N        after N frames, print message (and a newline) to stderr
 *                       and exit with status (default 1)
 *   status=K            exit status for exit_after
 *   message=TEXT        stderr line for exit_after; %20 is a space
 *   stall_after=N       after N frames, stop writing and sleep forever (it dies
 *                       with its parent through the PDEATHSIG it inherited)
 *   half_after=N        after N frames, write half of frame N+1 and die of SIGKILL
 *   half_exit=K         ... or, with this, exit with status K instead
 *   chatter=N           print a line to stderr after every N frames, as FFmpeg
 *                       does with warnings about a damaged stream
 *   grow=BYTES          allocate and touch BYTES per second (K, M, G suffixes),
 *                       also while stalled
 *   content=pattern     (default) the stream of tests/fakeframe.h
 *   content=random      the stream seeded by counter ^ a random salt
 *   content=flat        bytes 8 .. S-9 all 0x80 (one grey, compressible);
 *                       the counter and the checksum still hold
 *   start=N             the first frame's counter (default 1)
 *
 * Exit status: 0 after frames=N or when the reader goes away (EPIPE), 1 for
 * a usage error (printed to stderr, as FFmpeg would), otherwise as chosen. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "arena/pixfmt.h"
#include "tests/fakeframe.h"

#define NONE UINT64_MAX

struct fake {
    uint32_t width, height;
    int pix_fmt;
    double vf_fps;          /* 0 when -vf has no fps= */
    const char *url;
    bool rate_fast;
    double rate;            /* frames per second */
    uint64_t frames;        /* NONE: forever */
    uint64_t crash_after, exit_after, stall_after, half_after, chatter;
    int crash_signal;
    int status;
    int half_exit;          /* -1: die of SIGKILL */
    char message[1024];
    double grow;            /* bytes per second */
    bool random;
    bool flat;
    uint64_t start;
};

static void die_usage(const char *fmt, const char *arg)
{
    fputs("fake-ffmpeg: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_size(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    switch (*end) {
    case 'K': case 'k': v *= 1024; end++; break;
    case 'M': case 'm': v *= 1024 * 1024; end++; break;
    case 'G': case 'g': v *= 1024.0 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end)
        return false;
    *out = v;
    return true;
}

/* Decodes %XX and '+' in place. */
static void url_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '%' && r[1] && r[2]) {
            char hex[3] = { r[1], r[2], 0 };
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end == 0) {
                *w++ = (char)v;
                r += 2;
                continue;
            }
        }
        *w++ = *r;
    }
    *w = 0;
}

/* Reads "fps=F,scale=W:H" (in any order, other filters ignored). */
static void parse_vf(struct fake *f, const char *vf)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", vf);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned w, h;
        char *end;
        if (strncmp(tok, "fps=", 4) == 0) {
            f->vf_fps = strtod(tok + 4, &end);
            if (*end || f->vf_fps < 0)
                die_usage("bad fps filter '%s'", tok);
        } else if (strncmp(tok, "scale=", 6) == 0) {
            if (sscanf(tok + 6, "%u:%u", &w, &h) != 2 || w == 0 || h == 0 || w > 65535 || h > 65535)
                die_usage("bad scale filter '%s'", tok);
            f->width = w;
            f->height = h;
        }
    }
}

static void parse_option(struct fake *f, char *key, char *value)
{
    url_decode(value);
    uint64_t n;
    if (strcmp(key, "rate") == 0) {
        if (strcmp(value, "fast") == 0) {
            f->rate_fast = true;
        } else {
            char *end;
            f->rate = strtod(value, &end);
            if (*end || !(f->rate > 0))
                die_usage("bad rate '%s'", value);
        }
        return;
    }
    if (strcmp(key, "message") == 0) {
        snprintf(f->message, sizeof f->message, "%s", value);
        return;
    }
    if (strcmp(key, "content") == 0) {
        if (strcmp(value, "random") == 0)
            f->random = true;
        else if (strcmp(value, "flat") == 0)
            f->flat = true;
        else if (strcmp(value, "pattern") != 0)
            die_usage("bad content '%s'", value);
        return;
    }
    if (strcmp(key, "grow") == 0) {
        if (!parse_size(value, &f->grow))
            die_usage("bad grow '%s'", value);
        return;
    }
    if (!parse_u64(value, &n))
        die_usage("bad number '%s'", value);
    if (strcmp(key, "frames") == 0)
        f->frames = n;
    else if (strcmp(key, "crash_after") == 0)
        f->crash_after = n;
    else if (strcmp(key, "crash_signal") == 0)
        f->crash_signal = (int)n;
    else if (strcmp(key, "exit_after") == 0)
        f->exit_after = n;
    else if (strcmp(key, "status") == 0)
        f->status = (int)n;
    else if (strcmp(key, "stall_after") == 0)
        f->stall_after = n;
    else if (strcmp(key, "half_after") == 0)
        f->half_after = n;
    else if (strcmp(key, "chatter") == 0)
        f->chatter = n;
    else if (strcmp(key, "half_exit") == 0)
        f->half_exit = (int)n;
    else if (strcmp(key, "start") == 0)
        f->start = n;
    else
        die_usage("unknown option '%s'", key);
}

static void parse_url(struct fake *f, const char *url)
{
    static char buf[4096];
    if (strncmp(url, "fake:", 5) != 0)
        return;
    snprintf(buf, sizeof buf, "%s", url + 5);
    char *save = NULL;
    for (char *tok = strtok_r(buf, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            die_usage("option without a value '%s'", tok);
        *eq = 0;
        parse_option(f, tok, eq + 1);
    }
}

static bool takes_no_value(const char *opt)
{
    static const char *const flags[] = { "-nostdin", "-hide_banner", "-an", "-re", "-y", "-n", "-vn", "-sn", NULL };
    for (int i = 0; flags[i]; i++)
        if (strcmp(opt, flags[i]) == 0)
            return true;
    return false;
}

static void parse_args(struct fake *f, int argc, char **argv)
{
    const char *pix = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0 || takes_no_value(a))
            continue; /* the output, or a flag */
        if (i + 1 >= argc)
            die_usage("option '%s' needs a value", a);
        const char *v = argv[++i];
        if (strcmp(a, "-vf") == 0)
            parse_vf(f, v);
        else if (strcmp(a, "-pix_fmt") == 0)
            pix = v;
        else if (strcmp(a, "-i") == 0)
            f->url = v;
    }
    if (!f->url)
        die_usage("%s", "no input (-i)");
    if (!pix)
        die_usage("%s", "no -pix_fmt");
    f->pix_fmt = pixfmt_from_name(pix);
    if (f->pix_fmt < 0)
        die_usage("unknown pix_fmt '%s'", pix);
    if (f->width == 0)
        die_usage("%s", "no scale=W:H in -vf");
    parse_url(f, f->url);
    if (f->rate == 0)
        f->rate = f->vf_fps > 0 ? f->vf_fps : 25;
}

/* Writes all of buf; exits 0 quietly when the reader has gone. */
static void write_full(const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE)
                exit(0);
            perror("fake-ffmpeg: write");
            exit(1);
        }
        buf += n;
        len -= (size_t)n;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *grown_blocks;  /* the grown memory, chained through each block's first word */
static uint8_t *frame;      /* one frame, reused */

/* Memory growth: allocates and touches what the rate asks for since start.
 * The blocks are never freed: that is the point. */
static void grow_to(const struct fake *f, double start, double *grown)
{
    if (f->grow <= 0)
        return;
    double target = f->grow * (now_s() - start);
    while (*grown + 4096 <= target) {
        size_t chunk = (size_t)(target - *grown);
        if (chunk > 64u << 20)
            chunk = 64u << 20;
        void **p = malloc(chunk);
        if (!p)
            return;
        memset(p, 0x5a, chunk);
        /* Chained from a global, so that leak checkers see it reachable. */
        *p = grown_blocks;
        grown_blocks = p;
        *grown += (double)chunk;
    }
}

static void sleep_until(struct timespec *deadline, double period)
{
    long long ns = deadline->tv_nsec + (long long)(period * 1e9);
    deadline->tv_sec += ns / 1000000000;
    deadline->tv_nsec = ns % 1000000000;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
        ;
}

/* A frame of one grey, with the counter and checksum of tests/fakeframe.h,
 * so that fakeframe_check(..., pattern 0, ...) accepts it. */
static void flat_fill(uint8_t *buf, size_t size, uint64_t n)
{
    memcpy(buf, &n, 8);
    memset(buf + 8, 0x80, size - 16);
    uint64_t h = fakeframe_fnv1a(buf, size - 8);
    memcpy(buf + size - 8, &h, 8);
}

static void crash(int sig)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    raise(sig);
    abort();
}

int main(int argc, char **argv)
{
    struct fake f = {
        .frames = NONE, .crash_after = NONE, .exit_after = NONE, .stall_after = NONE,
        .half_after = NONE, .crash_signal = SIGSEGV, .status = 1, .half_exit = -1,
        .start = 1, .message = "fake-ffmpeg: exit_after reached",
    };
    parse_args(&f, argc, argv);
    signal(SIGPIPE, SIG_IGN);

    uint64_t size = pixfmt_frame_size(f.pix_fmt, f.width, f.height);
    if (size < FAKEFRAME_MIN)
        die_usage("%s", "frames must be at least 16 bytes");
    frame = malloc(size);
    if (!frame)
        die_usage("%s", "out of memory");
    uint64_t salt = 0;
    if (f.random && getrandom(&salt, sizeof salt, 0) != sizeof salt)
        salt = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;

    double start = now_s(), grown = 0;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    for (uint64_t written = 0;; written++) {
        if (written == f.frames)
            return 0;
        if (written == f.crash_after)
            crash(f.crash_signal);
        if (written == f.exit_after) {
            fprintf(stderr, "%s\n", f.message);
            return f.status;
        }
        if (written == f.stall_after) {
            for (;;) {
                grow_to(&f, start, &grown);
                struct timespec tenth = { 0, 100000000 };
                nanosleep(&tenth, NULL);
            }
        }
        if (f.flat)
            flat_fill(frame, size, f.start + written);
        else
            fakeframe_fill(frame, size, f.start + written, salt);
        if (written == f.half_after) {
            write_full(frame, size / 2);
            if (f.half_exit >= 0)
                return f.half_exit;
            crash(SIGKILL);
        }
        write_full(frame, size);
        if (f.chatter && (written + 1) % f.chatter == 0)
            fprintf(stderr, "fake warning after frame %llu\n", (unsigned long long)(written + 1));
        grow_to(&f, start, &grown);
        if (!f.rate_fast)
            sleep_until(&deadline, 1.0 / f.rate);
    }
}
