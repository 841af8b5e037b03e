/* pixfmt.c - pixel format names and rawvideo frame sizes. */
#include "arena/pixfmt.h"

#include <string.h>

static const char *const names[PIXFMT_COUNT] = {
    [PIXFMT_BGR24] = "bgr24", [PIXFMT_RGB24] = "rgb24", [PIXFMT_GRAY] = "gray",
    [PIXFMT_YUV420P] = "yuv420p", [PIXFMT_NV12] = "nv12", [PIXFMT_BGRA] = "bgra",
    [PIXFMT_RGBA] = "rgba",
};

int pixfmt_from_name(const char *name)
{
    for (int i = 0; i < PIXFMT_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *pixfmt_name(enum pixfmt fmt)
{
    return names[fmt];
}

uint64_t pixfmt_frame_size(enum pixfmt fmt, uint32_t width, uint32_t height)
{
    uint64_t w = width, h = height;
    /* Chroma planes of 4:2:0 formats cover odd edges: FFmpeg rounds up. */
    uint64_t cw = (w + 1) / 2, ch = (h + 1) / 2;

    switch (fmt) {
    case PIXFMT_GRAY:
        return w * h;
    case PIXFMT_BGR24:
    case PIXFMT_RGB24:
        return 3 * w * h;
    case PIXFMT_BGRA:
    case PIXFMT_RGBA:
        return 4 * w * h;
    case PIXFMT_YUV420P:
        return w * h + 2 * cw * ch;
    case PIXFMT_NV12:
        return w * h + 2 * cw * ch;
    case PIXFMT_COUNT:
        break;
    }
    return 0;
}
