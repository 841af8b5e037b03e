/* writer.c - a worker's side of the arena: map one camera's partition and
 * write its ring with the seqlock of SPEC 3. */
#include "arena/writer.h"
#include "arena/check.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t page_up(uint64_t v)
{
    return (v + ARENA_PAGE_SIZE - 1) & ~(uint64_t)(ARENA_PAGE_SIZE - 1);
}



/* A worker that died between storing seq = 2f and head_seq = f left a
 * committed frame that head_seq does not name, and one that died mid-frame
 * left a slot odd. Only this writer touches the ring, so it puts both right
 * before numbering anything: head_seq names the newest committed frame and
 * half-written slots go back to empty, as an abort would have left them. */
static void ring_repair(struct arena_writer *w)
{
    uint64_t head = atomic_load_explicit(&w->ring->head_seq, memory_order_acquire);
    uint32_t n = w->desc.slot_count;

    for (uint32_t s = 0; s < n; s++) {
        uint64_t seq = atomic_load_explicit(&w->slots[s].seq, memory_order_acquire);
        uint64_t f = (seq + 1) / 2;

        if (seq == 0)
            continue;
        if (seq % 2 == 1)
            atomic_store_explicit(&w->slots[s].seq, 0, memory_order_release);
        else if (f > head && (f - 1) % n == s)
            head = f;
    }
    atomic_store_explicit(&w->ring->head_seq, head, memory_order_release);
}

int arena_writer_open(struct arena_writer *w, const char *shm_name, uint32_t index)
{
    struct arena_header h;
    struct stat st;
    uint64_t desc_end, head_len;
    void *head_map = MAP_FAILED, *part_map = MAP_FAILED;
    int fd = -1, rc;

    memset(w, 0, sizeof(*w));
    fd = shm_open(shm_name, O_RDWR, 0);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto err;
    }
    if ((uint64_t)st.st_size < sizeof(h) || pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        !arena_header_fits(&h, (uint64_t)st.st_size, &desc_end) || (uint64_t)st.st_size > SIZE_MAX) {
        rc = -EINVAL;
        goto err;
    }
    if (index >= h.camera_capacity) {
        rc = -EINVAL;
        goto err;
    }
    /* The descriptors end where the partitions may begin; the read-only view
     * covers whole pages, clipped to the object. */
    head_len = page_up(desc_end);
    if (head_len > (uint64_t)st.st_size)
        head_len = (uint64_t)st.st_size;
    head_map = mmap(NULL, (size_t)head_len, PROT_READ, MAP_SHARED, fd, 0);
    if (head_map == MAP_FAILED) {
        rc = -errno;
        goto err;
    }
    memcpy(&w->desc, (const uint8_t *)head_map + h.cameras_offset + (uint64_t)index * ARENA_DESC_SIZE,
           sizeof(w->desc));
    if (w->desc.name[0] == '\0') {
        rc = -ENOENT;
        goto err;
    }
    if (!arena_desc_fits(&w->desc, (uint64_t)st.st_size, desc_end)) {
        rc = -EINVAL;
        goto err;
    }
    part_map = mmap(NULL, (size_t)w->desc.partition_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                    (off_t)w->desc.partition_offset);
    if (part_map == MAP_FAILED) {
        rc = -errno;
        goto err;
    }
    close(fd);

    w->head_map = head_map;
    w->head_len = (size_t)head_len;
    w->part_map = part_map;
    w->part_len = (size_t)w->desc.partition_size;
    w->header = head_map;
    w->index = index;
    w->ring = part_map;
    w->slots = (struct arena_slot *)(w->part_map + (w->desc.slots_offset - w->desc.partition_offset));
    w->data = w->part_map + (w->desc.data_offset - w->desc.partition_offset);
    w->pending = 0;
    ring_repair(w);
    return 0;

err:
    if (part_map != MAP_FAILED)
        munmap(part_map, (size_t)w->desc.partition_size);
    if (head_map != MAP_FAILED)
        munmap(head_map, (size_t)head_len);
    if (fd >= 0)
        close(fd);
    memset(w, 0, sizeof(*w));
    return rc;
}

/* Only this writer stores head_seq, so a relaxed load reads its own value. */
uint64_t arena_writer_next_seq(const struct arena_writer *w)
{
    return atomic_load_explicit(&w->ring->head_seq, memory_order_relaxed) + 1;
}

uint32_t arena_writer_slot_of(const struct arena_writer *w, uint64_t f)
{
    assert(f > 0);
    return (uint32_t)((f - 1) % w->desc.slot_count);
}

/* Why these orders. A reader accepts frame f only if it loads seq == 2f
 * (acquire) before reading the bytes and loads seq == 2f again after an
 * acquire fence that follows them.
 *
 * begin: seq = 2f - 1 is stored relaxed and followed by a release fence. The
 * fence keeps every later write of this frame (bytes and slot header) from
 * becoming visible before the odd seq: if a reader sees any byte of frame f,
 * the fence pairs with its acquire fence and its second load of seq sees
 * 2f - 1 or later, so it rejects the frame. A store-release of the odd seq
 * would not do: release orders what comes before a store, not after it.
 *
 * commit: the bytes and header fields come before a store-release of 2f, so
 * a reader that loads 2f with acquire sees all of them. head_seq = f is
 * stored with release after that, so a reader that acquires head_seq == f
 * finds the slot at 2f or newer, never older.
 *
 * abort: seq = 0 with release. Whatever was written of the abandoned frame
 * is ordered before it; the slot's previous frame was already invalid since
 * begin, and 0 names no frame. */
uint8_t *arena_writer_begin(struct arena_writer *w)
{
    uint64_t f = arena_writer_next_seq(w);
    uint32_t slot = arena_writer_slot_of(w, f);

    assert(w->pending == 0);
    atomic_store_explicit(&w->slots[slot].seq, 2 * f - 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    w->pending = f;
    return w->data + (uint64_t)slot * w->desc.slot_stride;
}

uint64_t arena_writer_commit(struct arena_writer *w, uint32_t size,
                             uint64_t capture_realtime_ns, uint64_t capture_monotonic_ns)
{
    uint64_t f = w->pending;
    struct arena_slot *s;

    assert(f != 0);
    assert(size <= w->desc.frame_size);
    s = &w->slots[arena_writer_slot_of(w, f)];
    s->capture_realtime_ns = capture_realtime_ns;
    s->capture_monotonic_ns = capture_monotonic_ns;
    s->size = size;
    s->flags = 0;
    atomic_store_explicit(&s->seq, 2 * f, memory_order_release);
    atomic_store_explicit(&w->ring->head_seq, f, memory_order_release);
    w->pending = 0;
    return f;
}

void arena_writer_abort(struct arena_writer *w)
{
    if (w->pending == 0)
        return;
    atomic_store_explicit(&w->slots[arena_writer_slot_of(w, w->pending)].seq, 0, memory_order_release);
    w->pending = 0;
}

void arena_writer_close(struct arena_writer *w)
{
    if (w->part_map) {
        arena_writer_abort(w);
        munmap(w->part_map, w->part_len);
    }
    if (w->head_map)
        munmap((void *)w->head_map, w->head_len);
    memset(w, 0, sizeof(*w));
}
