/* writer.h - a worker's side of the arena: one camera's ring, written with the seqlock of SPEC 3.
 *
 * The writer maps the header and descriptors read-only and its own camera's
 * partition read-write; nothing else of the arena is writable from a worker.
 * One writer per camera at a time (the supervisor guarantees it). */
#ifndef CAMARENA_ARENA_WRITER_H
#define CAMARENA_ARENA_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "arena/layout.h"

struct arena_writer {
    const uint8_t *head_map;        /* header + descriptors, read-only */
    size_t head_len;
    uint8_t *part_map;              /* the camera's partition, read-write */
    size_t part_len;
    const struct arena_header *header;
    struct arena_camera_desc desc;  /* a copy, taken at open */
    uint32_t index;                 /* camera index */
    struct arena_ring *ring;
    struct arena_slot *slots;
    uint8_t *data;                  /* slot 0's bytes */
    uint64_t pending;               /* frame_seq begun and not yet committed, 0 if none */
};

/* Maps camera index of the arena shm_name ("/camarena-<instance>") for
 * writing. Checks the header and the descriptor against the object's size.
 * Returns 0, -ENOENT (no such object or free descriptor), -EINVAL (not a
 * valid arena or descriptor), or another -errno. */
int arena_writer_open(struct arena_writer *w, const char *shm_name, uint32_t index);

/* Returns the frame_seq the next arena_writer_begin will write: head_seq + 1
 * as it was at open and after each commit, so numbering continues across
 * worker restarts. */
uint64_t arena_writer_next_seq(const struct arena_writer *w);

/* Begins the next frame: marks its slot odd (being written) and returns where
 * its frame_size bytes go. No frame may be pending. Never fails. */
uint8_t *arena_writer_begin(struct arena_writer *w);

/* Commits the pending frame with its size and capture times: the slot header,
 * then seq = 2f (release), then head_seq = f (release). Returns f. */
uint64_t arena_writer_commit(struct arena_writer *w, uint32_t size,
                             uint64_t capture_realtime_ns, uint64_t capture_monotonic_ns);

/* Abandons the pending frame: its slot goes back to seq = 0 (empty) and its
 * frame_seq will be used by the next begin. No-op if none is pending. */
void arena_writer_abort(struct arena_writer *w);

/* Returns the slot index of frame_seq f. */
uint32_t arena_writer_slot_of(const struct arena_writer *w, uint64_t f);

/* Unmaps. Safe to call twice. A pending frame is aborted first. */
void arena_writer_close(struct arena_writer *w);

#endif
