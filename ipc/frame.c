/* frame.c - the 64-byte frame header of frame/ and data/ messages (SPEC 5),
 * written and read byte by byte in little-endian order, whatever the host. */
#include "camarena.h"

#include <errno.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void camarena_frame_header_encode(const struct camarena_frame_header *h, uint8_t out[CAMARENA_FRAME_HEADER_SIZE])
{
    memset(out, 0, CAMARENA_FRAME_HEADER_SIZE);
    put16(out + 0, h->version);
    put16(out + 2, h->header_size);
    put32(out + 4, h->flags);
    put64(out + 8, h->generation);
    put64(out + 16, h->frame_seq);
    put64(out + 24, h->capture_realtime_ns);
    put64(out + 32, h->capture_monotonic_ns);
    put32(out + 40, h->slot);
    put32(out + 44, h->frame_size);
    put16(out + 48, h->width);
    put16(out + 50, h->height);
    put32(out + 52, h->camera_index);
    /* pix_fmt is NUL-padded, not necessarily NUL-terminated: up to 8 bytes. */
    for (size_t i = 0; i < sizeof(h->pix_fmt) && h->pix_fmt[i]; i++)
        out[56 + i] = (uint8_t)h->pix_fmt[i];
}

int camarena_frame_header_decode(const void *buf, size_t len, struct camarena_frame_header *h)
{
    const uint8_t *p = buf;

    if (!buf || !h || len != CAMARENA_FRAME_HEADER_SIZE)
        return -EINVAL;
    memset(h, 0, sizeof(*h));
    h->version = get16(p + 0);
    h->header_size = get16(p + 2);
    if (h->version != 1 || h->header_size != CAMARENA_FRAME_HEADER_SIZE)
        return -EINVAL;
    h->flags = get32(p + 4);
    h->generation = get64(p + 8);
    h->frame_seq = get64(p + 16);
    h->capture_realtime_ns = get64(p + 24);
    h->capture_monotonic_ns = get64(p + 32);
    h->slot = get32(p + 40);
    h->frame_size = get32(p + 44);
    h->width = get16(p + 48);
    h->height = get16(p + 50);
    h->camera_index = get32(p + 52);
    memcpy(h->pix_fmt, p + 56, sizeof(h->pix_fmt));
    return 0;
}
