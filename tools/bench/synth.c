/* synth.c - the synthetic FFmpeg: the cheapest writer of raw frames.
 *
 * Both sides of the ingest figure read from this program so that the figure
 * measures the reader, not the writer. It understands the arguments
 * camarena-worker gives FFmpeg the way tests/fake-ffmpeg does, and of the
 * fake's URL options only rate= and frames=. Its frame is the fake's frame 1
 * (tests/fakeframe.h); each write changes only the counter in bytes 0..7. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>

#include "arena/pixfmt.h"
#include "tests/fakeframe.h"
#include "tools/bench/bench.h"

static void usage(const char *what)
{
    fprintf(stderr, "bench-ffmpeg: %s\n", what);
    exit(1);
}

static void write_all(const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            exit(errno == EPIPE ? 0 : 1);
        }
        p += n;
        len -= (size_t)n;
    }
}

void synth_scene_fill(uint8_t *frame, size_t size, uint32_t width, uint32_t height)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;

    for (size_t i = 0; i < size; i++) {
        size_t px = i / 3, row = width ? px / width : 0, col = width ? px % width : 0;
        bool noisy = row >= height / 3 && row < height / 3 + height / 10;

        if (noisy) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            frame[i] = (uint8_t)x;
        } else {
            frame[i] = (uint8_t)((col / 4 + row / 8 + (i % 3) * 40) & 0xff);
        }
    }
}

/* Reads rate=, frames= and content=scene from "fake:key=value&...". */
static void parse_url(const char *url, double *rate, uint64_t *frames, bool *scene)
{
    if (strncmp(url, "fake:", 5) != 0)
        return;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", url + 5);
    char *save = NULL;
    for (char *tok = strtok_r(buf, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        if (strncmp(tok, "rate=", 5) == 0)
            *rate = strcmp(tok + 5, "fast") == 0 ? 0 : strtod(tok + 5, NULL);
        else if (strncmp(tok, "frames=", 7) == 0)
            *frames = strtoull(tok + 7, NULL, 10);
        else if (strcmp(tok, "content=scene") == 0)
            *scene = true;
    }
}

int synth_main(int argc, char **argv)
{
    unsigned width = 0, height = 0;
    const char *pix = NULL, *url = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "-vf") == 0) {
            const char *s = strstr(argv[i + 1], "scale=");
            if (!s || sscanf(s + 6, "%u:%u", &width, &height) != 2)
                usage("no scale=W:H in -vf");
        } else if (strcmp(argv[i], "-pix_fmt") == 0) {
            pix = argv[i + 1];
        } else if (strcmp(argv[i], "-i") == 0) {
            url = argv[i + 1];
        }
    }
    if (!pix || !url || !width || !height)
        usage("needs -vf scale=W:H, -pix_fmt and -i");
    int fmt = pixfmt_from_name(pix);
    if (fmt < 0)
        usage("unknown pix_fmt");
    size_t size = pixfmt_frame_size(fmt, width, height);
    if (size < FAKEFRAME_MIN)
        usage("frames must be at least 16 bytes");
    double rate = 0;
    uint64_t frames = UINT64_MAX;
    bool scene = false;
    parse_url(url, &rate, &frames, &scene);

    signal(SIGPIPE, SIG_IGN);
    uint8_t *frame = malloc(size);
    if (!frame)
        usage("out of memory");
    if (scene)
        synth_scene_fill(frame, size, width, height);
    else
        fakeframe_fill(frame, size, 1, 0);

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    long long period = rate > 0 ? (long long)(1e9 / rate) : 0;
    for (uint64_t n = 1; n <= frames; n++) {
        memcpy(frame, &n, 8);
        write_all(frame, size);
        if (period) {
            long long ns = deadline.tv_nsec + period;
            deadline.tv_sec += ns / 1000000000;
            deadline.tv_nsec = ns % 1000000000;
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
                ;
        }
    }
    exit(0);
}

void synth_args(char **argv, char *vf, size_t vflen, const char *prog, const char *url,
                uint32_t width, uint32_t height, const char *pix_fmt)
{
    snprintf(vf, vflen, "scale=%u:%u", width, height);
    int c = 0;
    argv[c++] = (char *)prog;
    argv[c++] = "-nostdin";
    argv[c++] = "-hide_banner";
    argv[c++] = "-loglevel";
    argv[c++] = "error";
    argv[c++] = "-i";
    argv[c++] = (char *)url;
    argv[c++] = "-an";
    argv[c++] = "-vf";
    argv[c++] = vf;
    argv[c++] = "-f";
    argv[c++] = "rawvideo";
    argv[c++] = "-pix_fmt";
    argv[c++] = (char *)pix_fmt;
    argv[c++] = "pipe:1";
    argv[c] = NULL;
}
