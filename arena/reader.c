/* reader.c - the zero-copy arena reader of libcamarena (camarena.h).
 *
 * The whole object is mapped read-only. Nothing read from it is trusted: the
 * header is checked once at open against the object's real size, and every
 * per-camera call copies the descriptor once and checks that copy before
 * using any offset in it, so a corrupt, truncated or concurrently rewritten
 * arena gives an error, never a read outside the mapping. */
#include "camarena.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena/check.h"
#include "arena/layout.h"

struct camarena_arena {
    const uint8_t *base; /* the whole object, read-only */
    uint64_t size;
    uint64_t cameras_offset;
    uint64_t desc_end;   /* where the descriptors end: partitions start at or after it */
    uint32_t capacity;
};

/* One camera's descriptor as copied and checked for one call. */
struct cam {
    struct arena_camera_desc d;
    const struct arena_ring *ring;
    const struct arena_slot *slots;
    const uint8_t *data;
};




static const struct arena_camera_desc *desc_at(const camarena_arena_t *a, uint32_t index)
{
    return (const struct arena_camera_desc *)(a->base + a->cameras_offset + (uint64_t)index * ARENA_DESC_SIZE);
}

/* Copies and checks descriptor index. Returns 0, -ERANGE, -ENOENT (free) or
 * -EINVAL (offsets that do not fit the object). */
static int cam_get(const camarena_arena_t *a, uint32_t index, struct cam *c)
{
    if (index >= a->capacity)
        return -ERANGE;
    /* The supervisor may rewrite a descriptor on reload: one copy, checked,
     * is what this call uses, so it cannot change between check and use. */
    memcpy(&c->d, desc_at(a, index), sizeof(c->d));
    if (c->d.name[0] == '\0')
        return -ENOENT;
    if (!arena_desc_fits(&c->d, a->size, a->desc_end))
        return -EINVAL;
    c->ring = (const struct arena_ring *)(a->base + c->d.partition_offset);
    c->slots = (const struct arena_slot *)(a->base + c->d.slots_offset);
    c->data = a->base + c->d.data_offset;
    return 0;
}

int camarena_arena_open(camarena_arena_t **out, const char *instance)
{
    char shm_name[80];
    struct stat st;
    camarena_arena_t *a = NULL;
    void *base = MAP_FAILED;
    const struct arena_header *h;
    uint64_t desc_end;
    int fd = -1, rc;

    *out = NULL;
    if (!instance || !arena_name_valid(instance))
        return -EINVAL;
    snprintf(shm_name, sizeof(shm_name), "/camarena-%s", instance);
    fd = shm_open(shm_name, O_RDONLY, 0);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto err;
    }
    if ((uint64_t)st.st_size < ARENA_HEADER_SIZE || (uint64_t)st.st_size > SIZE_MAX) {
        rc = -EINVAL;
        goto err;
    }
    base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        rc = -errno;
        goto err;
    }
    h = base;
    if (!arena_header_fits(h, (uint64_t)st.st_size, &desc_end)) {
        rc = -EINVAL;
        goto err;
    }
    a = calloc(1, sizeof(*a));
    if (!a) {
        rc = -ENOMEM;
        goto err;
    }
    a->base = base;
    a->size = (uint64_t)st.st_size;
    a->cameras_offset = h->cameras_offset;
    a->capacity = h->camera_capacity;
    a->desc_end = desc_end;
    close(fd);
    *out = a;
    return 0;

err:
    if (base != MAP_FAILED)
        munmap(base, (size_t)st.st_size);
    if (fd >= 0)
        close(fd);
    return rc;
}

void camarena_arena_close(camarena_arena_t **a)
{
    if (!a || !*a)
        return;
    munmap((void *)(*a)->base, (size_t)(*a)->size);
    free(*a);
    *a = NULL;
}

uint64_t camarena_arena_generation(const camarena_arena_t *a)
{
    return ((const struct arena_header *)a->base)->generation;
}

uint32_t camarena_arena_supervisor_pid(const camarena_arena_t *a)
{
    return ((const struct arena_header *)a->base)->supervisor_pid;
}

uint64_t camarena_arena_heartbeat(const camarena_arena_t *a)
{
    const struct arena_header *h = (const struct arena_header *)a->base;

    /* The mapping is read-only; an atomic load of a const object is a
     * plain load instruction and never writes. */
    return atomic_load_explicit((_Atomic uint64_t *)&h->heartbeat_monotonic_ns, memory_order_acquire);
}

uint32_t camarena_arena_capacity(const camarena_arena_t *a)
{
    return a->capacity;
}

int camarena_arena_find(const camarena_arena_t *a, const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len >= sizeof(((struct arena_camera_desc *)0)->name))
        return -ENOENT;
    for (uint32_t i = 0; i < a->capacity && i <= INT32_MAX; i++) {
        const struct arena_camera_desc *d = desc_at(a, i);
        char dname[sizeof(d->name)];

        memcpy(dname, d->name, sizeof(dname));
        if (memcmp(dname, name, len + 1) == 0)
            return (int)i;
    }
    return -ENOENT;
}

int camarena_arena_camera(const camarena_arena_t *a, uint32_t index, struct camarena_camera_info *info)
{
    struct cam c;
    int rc = cam_get(a, index, &c);

    if (rc < 0)
        return rc;
    memset(info, 0, sizeof(*info));
    memcpy(info->name, c.d.name, sizeof(info->name));
    info->name[sizeof(info->name) - 1] = '\0';
    memcpy(info->pix_fmt, c.d.pix_fmt, sizeof(info->pix_fmt));
    info->pix_fmt[sizeof(info->pix_fmt) - 1] = '\0';
    info->width = c.d.width;
    info->height = c.d.height;
    info->frame_size = c.d.frame_size;
    info->slot_count = c.d.slot_count;
    info->state = atomic_load_explicit((_Atomic uint32_t *)&desc_at(a, index)->state, memory_order_acquire);
    info->priority = c.d.priority;
    return 0;
}

static uint64_t load_acquire(const _Atomic uint64_t *p)
{
    return atomic_load_explicit((_Atomic uint64_t *)p, memory_order_acquire);
}

uint64_t camarena_arena_head(const camarena_arena_t *a, uint32_t index)
{
    struct cam c;

    if (cam_get(a, index, &c) < 0)
        return 0;
    return load_acquire(&c.ring->head_seq);
}

/* Why this is enough. The writer stores seq = 2f only after frame f's bytes
 * and slot header, with release, and head_seq = f after that, with release.
 *
 * head_seq is loaded first: if f > head, f is not (known to be) written yet,
 * -EAGAIN. Otherwise head_seq = f (or later) was acquired, so the store of
 * seq = 2f happened before this load of seq, which therefore reads 2f or a
 * later value: 2f is the frame, anything larger means a newer frame took the
 * slot (-ESTALE), anything smaller means the slot was emptied since (an
 * aborted later frame) and f is lost (-ESTALE).
 *
 * The slot header is read between two loads of seq, like the bytes, so size
 * and the capture times are checked before peek returns; the bytes are
 * checked by camarena_frame_check after the caller used them. */
int camarena_arena_peek(const camarena_arena_t *a, uint32_t index, uint64_t seq, struct camarena_frame *f)
{
    const struct arena_slot *s;
    struct cam c;
    uint64_t head, got, realtime, monotonic;
    uint32_t slot, size;
    int rc;

    rc = cam_get(a, index, &c);
    if (rc < 0)
        return rc;
    head = load_acquire(&c.ring->head_seq);
    if (seq == 0 || seq > head || seq > UINT64_MAX / 2)
        return -EAGAIN;
    slot = (uint32_t)((seq - 1) % c.d.slot_count);
    s = &c.slots[slot];
    got = load_acquire(&s->seq);
    if (got != 2 * seq)
        return -ESTALE;
    realtime = s->capture_realtime_ns;
    monotonic = s->capture_monotonic_ns;
    size = s->size;
    atomic_thread_fence(memory_order_acquire);
    if (load_acquire(&s->seq) != 2 * seq)
        return -ESTALE;
    /* A size beyond the frame would point past the slot: a stable header
     * saying so is a corrupt arena, not a frame. */
    if (size > c.d.frame_size)
        return -EINVAL;

    f->camera = index;
    f->seq = seq;
    f->slot = slot;
    f->capture_realtime_ns = realtime;
    f->capture_monotonic_ns = monotonic;
    f->size = size;
    f->data = c.data + (uint64_t)slot * c.d.slot_stride;
    return 0;
}

int camarena_frame_check(const camarena_arena_t *a, const struct camarena_frame *f)
{
    struct cam c;

    /* Every read of the frame's bytes is ordered before the load below. */
    atomic_thread_fence(memory_order_acquire);
    if (f->seq == 0 || f->seq > UINT64_MAX / 2 || cam_get(a, f->camera, &c) < 0 || f->slot >= c.d.slot_count)
        return -ESTALE;
    return load_acquire(&c.slots[f->slot].seq) == 2 * f->seq ? 0 : -ESTALE;
}

int camarena_arena_copy(const camarena_arena_t *a, uint32_t index, uint64_t seq,
                        void *buf, size_t len, struct camarena_frame *f)
{
    struct camarena_frame tmp;
    int rc = camarena_arena_peek(a, index, seq, &tmp);

    if (rc < 0)
        return rc;
    if (len < tmp.size)
        return -ENOBUFS;
    memcpy(buf, tmp.data, tmp.size);
    rc = camarena_frame_check(a, &tmp);
    if (rc < 0)
        return rc;
    tmp.data = buf;
    *f = tmp;
    return 0;
}
