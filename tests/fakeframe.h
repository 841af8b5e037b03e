/* fakeframe.h - the content of tests/fake-ffmpeg's frames, and the check a test uses on them.
 *
 * A frame of S bytes (S >= 16), for the fake's own frame counter n (1, 2, 3 ...
 * counted in one fake process, so it restarts at 1 with every FFmpeg):
 *
 *   bytes 0 .. 7        n, u64 little-endian
 *   bytes 8 .. S-9      a splitmix64 stream seeded with n: state = n, and each
 *                       step (state += 0x9e3779b97f4a7c15, then the mix below)
 *                       gives 8 bytes, little-endian; the last step is cut to
 *                       what fits
 *   bytes S-8 .. S-1    FNV-1a 64 (offset 0xcbf29ce484222325, prime
 *                       0x100000001b3) of bytes 0 .. S-9, u64 little-endian
 *
 * With content=random the stream is seeded with n ^ a random per-process seed
 * instead: the counter and the checksum still hold, the pattern does not.
 * Python tests reimplement exactly this; keep the two in step. */
#ifndef CAMARENA_TESTS_FAKEFRAME_H
#define CAMARENA_TESTS_FAKEFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FAKEFRAME_MIN 16u

enum fakeframe_result {
    FAKEFRAME_OK = 0,
    FAKEFRAME_SHORT = -1,    /* fewer than 16 bytes */
    FAKEFRAME_CHECKSUM = -2, /* the FNV-1a of bytes 0..S-9 does not match */
    FAKEFRAME_PATTERN = -3,  /* checksum good, but the stream is not the one of n */
};

static inline uint64_t fakeframe_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t fakeframe_fnv1a(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static inline uint64_t fakeframe_load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* little-endian hosts only, as the arena */
    return v;
}

/* Fills the stream part (bytes 8 .. size-9) from seed. */
static inline void fakeframe_stream(uint8_t *buf, size_t size, uint64_t seed)
{
    uint64_t state = seed;
    size_t end = size - 8;
    size_t i = 8;
    for (; i + 8 <= end; i += 8) {
        uint64_t v = fakeframe_splitmix64(&state);
        memcpy(buf + i, &v, 8);
    }
    if (i < end) {
        uint64_t v = fakeframe_splitmix64(&state);
        memcpy(buf + i, &v, end - i);
    }
}

/* Writes frame n into buf (size >= 16), its stream seeded with n ^ salt
 * (salt 0 is the pattern). */
static inline void fakeframe_fill(uint8_t *buf, size_t size, uint64_t n, uint64_t salt)
{
    memcpy(buf, &n, 8);
    fakeframe_stream(buf, size, n ^ salt);
    uint64_t h = fakeframe_fnv1a(buf, size - 8);
    memcpy(buf + size - 8, &h, 8);
}

/* Checks the checksum and, if pattern, the stream. Returns FAKEFRAME_OK and
 * the counter in *n (if n is not NULL), or why the frame is bad. */
static inline int fakeframe_check(const uint8_t *buf, size_t size, int pattern, uint64_t *n)
{
    if (size < FAKEFRAME_MIN)
        return FAKEFRAME_SHORT;
    if (fakeframe_fnv1a(buf, size - 8) != fakeframe_load64(buf + size - 8))
        return FAKEFRAME_CHECKSUM;
    uint64_t counter = fakeframe_load64(buf);
    if (pattern) {
        uint64_t state = counter;
        size_t end = size - 8, i = 8;
        for (; i + 8 <= end; i += 8)
            if (fakeframe_splitmix64(&state) != fakeframe_load64(buf + i))
                return FAKEFRAME_PATTERN;
        if (i < end) {
            uint64_t v = fakeframe_splitmix64(&state);
            if (memcmp(&v, buf + i, end - i) != 0)
                return FAKEFRAME_PATTERN;
        }
    }
    if (n)
        *n = counter;
    return FAKEFRAME_OK;
}

/* The usual check: checksum and pattern. */
static inline int fakeframe_verify(const uint8_t *buf, size_t size, uint64_t *n)
{
    return fakeframe_check(buf, size, 1, n);
}

#endif
