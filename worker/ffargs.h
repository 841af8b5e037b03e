/* ffargs.h - the argument vector camarena-worker gives FFmpeg (a pure function, no shell). */
#ifndef CAMARENA_WORKER_FFARGS_H
#define CAMARENA_WORKER_FFARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What FFmpeg is asked to do for one camera. */
struct ffargs_spec {
    const char *ffmpeg;           /* the program, found in PATH by execvp */
    const char *input;            /* what follows -i: a URL, or a lavfi graph */
    bool lavfi;                   /* input is a lavfi graph: -re -f lavfi */
    char *const *input_options;   /* words placed before the input, as given */
    size_t input_option_count;
    uint32_t width, height;       /* the output size, 1..65535 */
    const char *pix_fmt;          /* FFmpeg's name of the output pixel format */
    double fps;                   /* output rate; 0 keeps the source rate */
};

/* Pointers ffargs_build needs besides the input options, the final NULL included. */
#define FFARGS_FIXED 19
/* Bytes of the -vf text that always suffice. */
#define FFARGS_VF_MAX 96

/* Builds the vector
 *   FFMPEG -nostdin -hide_banner -loglevel error [INPUT_OPTIONS...]
 *          [-re -f lavfi] -i INPUT -an -vf [fps=F,]scale=W:H
 *          -f rawvideo -pix_fmt P pipe:1
 * into argv (argv_max pointers; FFARGS_FIXED + input_option_count always
 * suffice), NULL-terminated, writing the -vf text into vf (vflen bytes).
 * The pointers point into spec's strings, into vf, and at string literals
 * (which execvp does not write): nothing is allocated. F is written with %g.
 * Returns argc, -E2BIG if argv or vf is too small, or -EINVAL if a field is
 * missing or out of range (fps negative or not finite, a size of 0 or over
 * 65535, an input that begins with '-'). */
int ffargs_build(const struct ffargs_spec *spec, char **argv, size_t argv_max, char *vf, size_t vflen);

#endif
