/* layout.h - the byte layout of the shared-memory arena (SPEC section 3).
 *
 * These structs are the arena: a reader in any language sees exactly these
 * offsets, so every offset is pinned by a _Static_assert against the spec's
 * tables. All integers are little-endian (the only byte order camarena
 * builds for, asserted below). Fields marked atomic are loaded with acquire
 * and stored with release semantics.
 *
 * Object:     [header 4096][descriptors camera_capacity x 256][pad to page]
 *             [partition 0][partition 1]...[spare room]
 * Partition:  [ring header 64][slot headers slot_count x 64][pad to page]
 *             [slot 0 data][pad to page][slot 1 data]...
 */
#ifndef CAMARENA_ARENA_LAYOUT_H
#define CAMARENA_ARENA_LAYOUT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define ARENA_MAGIC "CAMARENA"           /* 8 bytes, no NUL stored */
#define ARENA_VERSION 1u
#define ARENA_HEADER_SIZE 4096u
#define ARENA_DESC_SIZE 256u
#define ARENA_RING_HEADER_SIZE 64u
#define ARENA_SLOT_HEADER_SIZE 64u
#define ARENA_PAGE_SIZE 4096u            /* alignment of partitions and slot data */
#define ARENA_NAME_MAX 63u               /* longest instance or camera name */
#define ARENA_PIXFMT_MAX 15u             /* longest pix_fmt name */

/* Camera states as stored in the descriptor's state field. */
enum arena_state {
    ARENA_STATE_STOPPED = 0,
    ARENA_STATE_STARTING = 1,
    ARENA_STATE_RUNNING = 2,
    ARENA_STATE_BACKOFF = 3,
    ARENA_STATE_PAUSED = 4,
};

struct arena_header {
    char magic[8];                           /* "CAMARENA" */
    uint32_t version;                        /* ARENA_VERSION */
    uint32_t header_size;                    /* ARENA_HEADER_SIZE */
    uint64_t arena_size;                     /* bytes of the whole object */
    uint64_t generation;                     /* new at every supervisor start */
    uint32_t supervisor_pid;
    uint32_t camera_count;                   /* descriptors in use */
    uint64_t cameras_offset;                 /* first descriptor */
    uint32_t camera_desc_size;               /* ARENA_DESC_SIZE */
    uint32_t camera_capacity;                /* descriptors reserved */
    _Atomic uint64_t heartbeat_monotonic_ns; /* CLOCK_MONOTONIC */
    uint64_t created_realtime_ns;
    uint8_t reserved[ARENA_HEADER_SIZE - 72];
};

struct arena_camera_desc {
    char name[64];             /* NUL-terminated; empty means the descriptor is free */
    char pix_fmt[16];          /* FFmpeg's name, NUL-terminated */
    uint32_t width;
    uint32_t height;
    uint32_t frame_size;       /* bytes of one frame */
    uint32_t slot_count;
    uint64_t partition_offset; /* page-aligned */
    uint64_t partition_size;
    uint64_t slots_offset;     /* first slot header, from the object's start */
    uint64_t data_offset;      /* first slot's frame bytes, page-aligned */
    uint64_t slot_stride;      /* page-aligned */
    _Atomic uint32_t state;    /* enum arena_state */
    uint32_t priority;
    uint8_t reserved[ARENA_DESC_SIZE - 144];
};

/* The ring header at partition_offset. */
struct arena_ring {
    _Atomic uint64_t head_seq; /* newest committed frame_seq, 0 while none */
    uint8_t reserved[ARENA_RING_HEADER_SIZE - 8];
};

struct arena_slot {
    _Atomic uint64_t seq; /* 0 empty, odd while written, 2 x frame_seq once committed */
    uint64_t capture_realtime_ns;
    uint64_t capture_monotonic_ns;
    uint32_t size;        /* bytes of frame data */
    uint32_t flags;       /* 0 in v1 */
    uint8_t reserved[ARENA_SLOT_HEADER_SIZE - 32];
};

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the arena is little-endian; camarena builds only for little-endian hosts"
#endif
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "u64 atomics must be lock-free in shared memory");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "u32 atomics must be lock-free in shared memory");
_Static_assert(sizeof(_Atomic uint64_t) == 8 && alignof(_Atomic uint64_t) == 8, "atomic u64 layout");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "atomic u32 layout");

#define ARENA_AT(type, field, off) _Static_assert(offsetof(type, field) == (off), #type "." #field " at " #off)
ARENA_AT(struct arena_header, magic, 0);
ARENA_AT(struct arena_header, version, 8);
ARENA_AT(struct arena_header, header_size, 12);
ARENA_AT(struct arena_header, arena_size, 16);
ARENA_AT(struct arena_header, generation, 24);
ARENA_AT(struct arena_header, supervisor_pid, 32);
ARENA_AT(struct arena_header, camera_count, 36);
ARENA_AT(struct arena_header, cameras_offset, 40);
ARENA_AT(struct arena_header, camera_desc_size, 48);
ARENA_AT(struct arena_header, camera_capacity, 52);
ARENA_AT(struct arena_header, heartbeat_monotonic_ns, 56);
ARENA_AT(struct arena_header, created_realtime_ns, 64);
_Static_assert(sizeof(struct arena_header) == ARENA_HEADER_SIZE, "header is 4096 bytes");

ARENA_AT(struct arena_camera_desc, name, 0);
ARENA_AT(struct arena_camera_desc, pix_fmt, 64);
ARENA_AT(struct arena_camera_desc, width, 80);
ARENA_AT(struct arena_camera_desc, height, 84);
ARENA_AT(struct arena_camera_desc, frame_size, 88);
ARENA_AT(struct arena_camera_desc, slot_count, 92);
ARENA_AT(struct arena_camera_desc, partition_offset, 96);
ARENA_AT(struct arena_camera_desc, partition_size, 104);
ARENA_AT(struct arena_camera_desc, slots_offset, 112);
ARENA_AT(struct arena_camera_desc, data_offset, 120);
ARENA_AT(struct arena_camera_desc, slot_stride, 128);
ARENA_AT(struct arena_camera_desc, state, 136);
ARENA_AT(struct arena_camera_desc, priority, 140);
_Static_assert(sizeof(struct arena_camera_desc) == ARENA_DESC_SIZE, "descriptor is 256 bytes");

ARENA_AT(struct arena_ring, head_seq, 0);
_Static_assert(sizeof(struct arena_ring) == ARENA_RING_HEADER_SIZE, "ring header is 64 bytes");

ARENA_AT(struct arena_slot, seq, 0);
ARENA_AT(struct arena_slot, capture_realtime_ns, 8);
ARENA_AT(struct arena_slot, capture_monotonic_ns, 16);
ARENA_AT(struct arena_slot, size, 24);
ARENA_AT(struct arena_slot, flags, 28);
_Static_assert(sizeof(struct arena_slot) == ARENA_SLOT_HEADER_SIZE, "slot header is 64 bytes");
#undef ARENA_AT

#endif
