/* arena.h - the supervisor's side of the arena: plan, create, describe, unlink.
 *
 * The supervisor is the only writer of the header and the descriptors. Workers
 * use arena/writer.h, readers use camarena.h. */
#ifndef CAMARENA_ARENA_ARENA_H
#define CAMARENA_ARENA_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena/layout.h"
#include "arena/pixfmt.h"

#define ARENA_SHM_NAME_MAX 80 /* "/camarena-" + instance name + NUL */

/* Where one camera lives; the same numbers go into its descriptor. */
struct arena_part {
    char name[ARENA_NAME_MAX + 1];
    enum pixfmt pix_fmt;
    uint32_t width, height, frame_size, slot_count, priority;
    uint64_t partition_offset, partition_size; /* page-aligned */
    uint64_t slots_offset, data_offset, slot_stride;
};

/* The arena's layout, computed from a conf before anything is created. */
struct arena_plan {
    uint64_t descriptors_size;  /* camera_capacity x ARENA_DESC_SIZE */
    uint64_t partitions_offset; /* first partition, page-aligned */
    uint64_t needed;            /* header + descriptors + the cameras' partitions */
    uint64_t size;              /* the object's size: needed, or arena_size if set */
    uint32_t camera_capacity;   /* descriptors reserved (max_cameras) */
    uint32_t part_count;        /* cameras, in the order given */
    struct arena_part *parts;   /* owned, part_count of them */
};

/* Returns the bytes one camera's partition takes (ring header, slot headers,
 * page-aligned slot data). */
uint64_t arena_partition_size(uint64_t frame_size, uint32_t slot_count);

/* What the plan needs to know of one camera. */
struct arena_camera_spec {
    const char *name;
    enum pixfmt pix_fmt;
    uint32_t width, height, slot_count, priority;
};

/* Lays out count cameras in order, with capacity descriptors (capacity >=
 * count) and an object of arena_size bytes (0 = exactly what is needed).
 * Returns 0, -ENOMEM, -EINVAL (count > capacity, a frame size of 0 or over
 * UINT32_MAX), or -ENOSPC if a set arena_size is smaller than needed; err
 * says which and, for -ENOSPC, both sizes. */
int arena_plan_build(struct arena_plan *plan, const struct arena_camera_spec *cams, uint32_t count,
                     uint32_t capacity, uint64_t arena_size, char *err, size_t errlen);
void arena_plan_close(struct arena_plan *plan);

/* Fills part from spec (name, geometry, frame size, priority) and places it
 * at offset 0 (arena_part_place moves it). Returns 0, or -EINVAL with err
 * saying why, as arena_plan_build does for one camera. */
int arena_part_init(struct arena_part *part, const struct arena_camera_spec *spec, char *err, size_t errlen);

/* Sets part's offsets for a partition starting at offset (page-aligned,
 * asserted): partition_size, slots_offset, data_offset, slot_stride. */
void arena_part_place(struct arena_part *part, uint64_t offset);

/* ---- free room ----------------------------------------------------------
 *
 * The partitions of a running arena are not kept in a list of their own:
 * the descriptors in use say which ranges are taken, and what is left in
 * [partitions offset, arena size) is free room - the spare room of a set
 * arena_size and the partitions of cameras removed by a reload. */

/* A range of bytes of the arena. */
struct arena_range {
    uint64_t offset;
    uint64_t size;  /* 0: ignored */
};

/* Finds room for size bytes in [start, end) that overlaps none of the n
 * used ranges (in any order; they may extend past the bounds): first fit,
 * the lowest page-aligned offset whose free range is large enough. Returns 0
 * with *offset, or -ENOSPC (size 0 never fits). Either way, *largest (if
 * not NULL) is the largest free range, counted from its page-aligned start.
 * Pure; O(n^2), for the few dozen partitions of an arena. */
int arena_space_fit(const struct arena_range *used, size_t n, uint64_t start, uint64_t end, uint64_t size,
                    uint64_t *offset, uint64_t *largest);

/* A created, mapped arena. */
struct arena {
    int fd;                          /* -1 when closed */
    uint8_t *base;                   /* the whole object, read-write */
    uint64_t size;
    char shm_name[ARENA_SHM_NAME_MAX]; /* "/camarena-<name>" */
    struct arena_header *header;
};

/* Writes "/camarena-<instance>" into out. Returns 0 or -ENAMETOOLONG. */
int arena_shm_name(char *out, size_t outlen, const char *instance);

/* Creates the object /camarena-<instance> with mode, sized plan->size and
 * reserved whole with posix_fallocate, then writes the header (a new
 * generation, this pid) and one descriptor per part (state stopped, head_seq
 * 0, every slot empty). An existing object whose supervisor_pid is dead, or
 * that is not a valid arena, is replaced; one whose supervisor is alive is
 * refused with -EEXIST. When /dev/shm has no room, returns -ENOSPC and err
 * says how many bytes were needed and how many were free. Other failures
 * return -errno with err saying which step failed. Nothing is left behind on
 * failure. */
int arena_create(struct arena *arena, const char *instance, unsigned mode,
                 const struct arena_plan *plan, char *err, size_t errlen);

/* Returns descriptor index; index < camera_capacity. */
struct arena_camera_desc *arena_desc(struct arena *arena, uint32_t index);

/* Returns the ring header of the camera at index. */
struct arena_ring *arena_ring(struct arena *arena, uint32_t index);

/* Stores state into the descriptor with release semantics. */
void arena_set_state(struct arena *arena, uint32_t index, enum arena_state state);

/* Returns the offset of the first partition: the descriptors' end, page-aligned. */
uint64_t arena_partitions_offset(const struct arena *arena);

/* Returns true if descriptor index has a name (is in use). */
bool arena_desc_in_use(struct arena *arena, uint32_t index);

/* Takes the free descriptor index (asserted) for part, whose partition must
 * lie in the arena's free room (the caller's arena_space_fit), in an order
 * that keeps readers safe: geometry and offsets, state stopped, priority;
 * every slot's seq and head_seq zeroed (frame numbering starts at 1); then,
 * after a release fence, the name; then camera_count + 1. */
void arena_desc_set(struct arena *arena, uint32_t index, const struct arena_part *part);

/* Frees descriptor index: state stopped, then, after a release fence, the
 * name cleared; camera_count - 1. The partition's bytes stay as they are
 * (the mapping stays valid for a reader that still holds a frame of it; its
 * seq check fails once the range is reused). The caller must have reaped the
 * camera's worker first. A free descriptor is left alone. */
void arena_desc_free(struct arena *arena, uint32_t index);

/* Stores now into heartbeat_monotonic_ns with release semantics. */
void arena_heartbeat(struct arena *arena, uint64_t monotonic_ns);

/* Unmaps; if unlink, removes the object too. Safe on a closed arena. */
void arena_close(struct arena *arena, bool unlink);

#endif
