/* camarena.h - the client library: read frames from a camarena arena in place,
 * and decode the frame headers of published messages.
 *
 * Link with -lcamarena. Everything here is safe against a corrupt, truncated
 * or concurrently rewritten arena: offsets and sizes are checked against the
 * object's real size, and a frame that was overwritten is reported as such,
 * never returned as good. Functions return 0 or a negative errno. */
#ifndef CAMARENA_H
#define CAMARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the arena reader ------------------------------------------------ */

typedef struct camarena_arena camarena_arena_t;

/* What a descriptor says of one camera. */
struct camarena_camera_info {
    char name[64];
    char pix_fmt[16];
    uint32_t width, height;
    uint32_t frame_size;  /* bytes of one frame */
    uint32_t slot_count;
    uint32_t state;       /* 0 stopped, 1 starting, 2 running, 3 backoff, 4 paused */
    uint32_t priority;
};

/* One frame in the arena. data points into the read-only mapping: it stays
 * mapped until camarena_arena_close, but its bytes are only good if
 * camarena_frame_check says so after they were used. */
struct camarena_frame {
    uint32_t camera;              /* descriptor index */
    uint64_t seq;                 /* frame_seq */
    uint32_t slot;
    uint64_t capture_realtime_ns;
    uint64_t capture_monotonic_ns;
    uint32_t size;                /* bytes at data */
    const uint8_t *data;
};

/* Maps /dev/shm/camarena-<instance> read-only. Returns 0 and *out, -ENOENT if
 * there is no such instance, -EINVAL if the object is not a valid arena
 * (truncated, wrong magic or version, offsets outside the object), -EACCES,
 * or another -errno. */
int camarena_arena_open(camarena_arena_t **out, const char *instance);

/* Unmaps and frees *a, and sets *a to NULL. Safe on NULL. */
void camarena_arena_close(camarena_arena_t **a);

/* Returns the generation and supervisor pid written at the supervisor's start. */
uint64_t camarena_arena_generation(const camarena_arena_t *a);
uint32_t camarena_arena_supervisor_pid(const camarena_arena_t *a);

/* Returns heartbeat_monotonic_ns (CLOCK_MONOTONIC) as last refreshed. */
uint64_t camarena_arena_heartbeat(const camarena_arena_t *a);

/* Returns camera_capacity: descriptor indexes run from 0 to this - 1. */
uint32_t camarena_arena_capacity(const camarena_arena_t *a);

/* Returns the index of the camera named name, or -ENOENT. */
int camarena_arena_find(const camarena_arena_t *a, const char *name);

/* Fills info for descriptor index. Returns 0, -ENOENT for a free descriptor,
 * -ERANGE for an index out of range, -EINVAL for a descriptor whose offsets
 * do not fit the object. */
int camarena_arena_camera(const camarena_arena_t *a, uint32_t index, struct camarena_camera_info *info);

/* Returns the camera's head_seq (0 while it has no frame), or 0 for a bad index. */
uint64_t camarena_arena_head(const camarena_arena_t *a, uint32_t index);

/* Zero-copy read of frame seq: fills f with a pointer into the arena.
 * Returns 0, -EAGAIN if seq was not written yet (seq > head, or being
 * written), -ESTALE if it was overwritten or lost, -ENOENT for a free
 * descriptor (a camera removed), -EINVAL/-ERANGE for a bad camera, or -EINVAL
 * if the slot header claims more bytes than a frame holds. After using
 * f->data, call camarena_frame_check. */
int camarena_arena_peek(const camarena_arena_t *a, uint32_t index, uint64_t seq, struct camarena_frame *f);

/* Returns 0 if the frame f still holds seq (acquire fence, then seq is read
 * again), so that what was read from f->data is good; -ESTALE otherwise. */
int camarena_frame_check(const camarena_arena_t *a, const struct camarena_frame *f);

/* Copies frame seq into buf (len bytes at least the frame's size) and
 * validates the copy. Returns 0 with f filled (f->data = buf), -ENOBUFS if len
 * is too small, or the errors of camarena_arena_peek. Never returns a torn copy. */
int camarena_arena_copy(const camarena_arena_t *a, uint32_t index, uint64_t seq,
                        void *buf, size_t len, struct camarena_frame *f);

/* ---- the frame header of frame/ and data/ messages (SPEC 5) ----------- */

#define CAMARENA_FRAME_HEADER_SIZE 64
#define CAMARENA_FRAME_LZ4 0x1u /* flags bit 0: the payload is one LZ4 block */

struct camarena_frame_header {
    uint16_t version;            /* 1 */
    uint16_t header_size;        /* 64 */
    uint32_t flags;
    uint64_t generation;
    uint64_t frame_seq;
    uint64_t capture_realtime_ns;
    uint64_t capture_monotonic_ns;
    uint32_t slot;
    uint32_t frame_size;
    uint16_t width;
    uint16_t height;
    uint32_t camera_index;
    char pix_fmt[8];             /* NUL-padded */
};

/* Writes h as the 64 little-endian bytes of SPEC 5 into out. */
void camarena_frame_header_encode(const struct camarena_frame_header *h, uint8_t out[CAMARENA_FRAME_HEADER_SIZE]);

/* Reads a frame header from buf. Returns 0, or -EINVAL if len is not 64 or
 * the version or header_size is not 1 and 64. */
int camarena_frame_header_decode(const void *buf, size_t len, struct camarena_frame_header *h);

#ifdef __cplusplus
}
#endif

#endif
