/* pixfmt.h - the pixel formats camarena carries and their frame sizes. */
#ifndef CAMARENA_ARENA_PIXFMT_H
#define CAMARENA_ARENA_PIXFMT_H

#include <stdint.h>

enum pixfmt {
    PIXFMT_BGR24,
    PIXFMT_RGB24,
    PIXFMT_GRAY,
    PIXFMT_YUV420P,
    PIXFMT_NV12,
    PIXFMT_BGRA,
    PIXFMT_RGBA,
    PIXFMT_COUNT
};

/* Returns the format named by FFmpeg's name (exact, case-sensitive), or -1. */
int pixfmt_from_name(const char *name);

/* Returns FFmpeg's name of fmt; fmt must be valid. */
const char *pixfmt_name(enum pixfmt fmt);

/* Returns the bytes of one width x height frame as FFmpeg's rawvideo muxer
 * writes it (planes packed, no padding; odd sizes round chroma planes up),
 * or 0 if width or height is 0. Never overflows for sizes up to 65535. */
uint64_t pixfmt_frame_size(enum pixfmt fmt, uint32_t width, uint32_t height);

#endif
