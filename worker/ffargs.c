/* ffargs.c - FFmpeg's argument vector for one camera. */
#include "worker/ffargs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

int ffargs_build(const struct ffargs_spec *spec, char **argv, size_t argv_max, char *vf, size_t vflen)
{
    if (!spec->ffmpeg || !*spec->ffmpeg || !spec->input || !*spec->input || !spec->pix_fmt ||
        !*spec->pix_fmt || (spec->input_option_count && !spec->input_options))
        return -EINVAL;
    /* FFmpeg would read an input beginning with '-' as an option (SPEC 2
     * refuses such URLs; this is the second lock on that door). */
    if (spec->input[0] == '-')
        return -EINVAL;
    if (!isfinite(spec->fps) || spec->fps < 0)
        return -EINVAL;
    if (spec->width == 0 || spec->height == 0 || spec->width > 65535 || spec->height > 65535)
        return -EINVAL;
    if (argv_max < FFARGS_FIXED + spec->input_option_count)
        return -E2BIG;

    int n;
    if (spec->fps > 0)
        n = snprintf(vf, vflen, "fps=%g,scale=%u:%u", spec->fps, spec->width, spec->height);
    else
        n = snprintf(vf, vflen, "scale=%u:%u", spec->width, spec->height);
    if (n < 0 || (size_t)n >= vflen)
        return -E2BIG;

    size_t c = 0;
    argv[c++] = (char *)spec->ffmpeg;
    argv[c++] = "-nostdin";
    argv[c++] = "-hide_banner";
    argv[c++] = "-loglevel";
    argv[c++] = "error";
    for (size_t i = 0; i < spec->input_option_count; i++)
        argv[c++] = spec->input_options[i];
    if (spec->lavfi) {
        argv[c++] = "-re";
        argv[c++] = "-f";
        argv[c++] = "lavfi";
    }
    argv[c++] = "-i";
    argv[c++] = (char *)spec->input;
    argv[c++] = "-an";
    argv[c++] = "-vf";
    argv[c++] = vf;
    argv[c++] = "-f";
    argv[c++] = "rawvideo";
    argv[c++] = "-pix_fmt";
    argv[c++] = (char *)spec->pix_fmt;
    argv[c++] = "pipe:1";
    argv[c] = NULL;
    return (int)c;
}
