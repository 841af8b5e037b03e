/* arena.c - the supervisor's side of the arena: plan the layout, create and
 * reserve the shared-memory object, write its header and descriptors. */
#include "arena/arena.h"
#include "arena/check.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint64_t page_up(uint64_t v)
{
    return (v + ARENA_PAGE_SIZE - 1) & ~(uint64_t)(ARENA_PAGE_SIZE - 1);
}

/* The ring header and slot headers, padded to the page where slot data starts. */
static uint64_t partition_headers_size(uint32_t slot_count)
{
    return page_up(ARENA_RING_HEADER_SIZE + (uint64_t)slot_count * ARENA_SLOT_HEADER_SIZE);
}

/* frame_size fits in u32 and slot_count is a u32, so none of this overflows. */
uint64_t arena_partition_size(uint64_t frame_size, uint32_t slot_count)
{
    return partition_headers_size(slot_count) + (uint64_t)slot_count * page_up(frame_size);
}

void arena_part_place(struct arena_part *part, uint64_t offset)
{
    assert(offset % ARENA_PAGE_SIZE == 0);
    part->partition_offset = offset;
    part->partition_size = arena_partition_size(part->frame_size, part->slot_count);
    part->slots_offset = offset + ARENA_RING_HEADER_SIZE;
    part->data_offset = offset + partition_headers_size(part->slot_count);
    part->slot_stride = page_up(part->frame_size);
}

int arena_part_init(struct arena_part *part, const struct arena_camera_spec *spec, char *err, size_t errlen)
{
    struct arena_plan one;
    int rc;

    memset(part, 0, sizeof(*part));
    rc = arena_plan_build(&one, spec, 1, 1, 0, err, errlen);
    if (rc < 0)
        return rc;
    *part = one.parts[0];
    arena_plan_close(&one);
    arena_part_place(part, 0);
    return 0;
}

/* ---- free room -------------------------------------------------------- */

static bool covered(const struct arena_range *used, size_t n, uint64_t offset)
{
    for (size_t i = 0; i < n; i++)
        if (used[i].size > 0 && offset >= used[i].offset && offset - used[i].offset < used[i].size)
            return true;
    return false;
}

/* The free room from a candidate start up to the next used range or end. */
static uint64_t gap_from(const struct arena_range *used, size_t n, uint64_t start, uint64_t end)
{
    uint64_t stop = end;

    for (size_t i = 0; i < n; i++)
        if (used[i].size > 0 && used[i].offset >= start && used[i].offset < stop)
            stop = used[i].offset;
    return stop - start;
}

int arena_space_fit(const struct arena_range *used, size_t n, uint64_t start, uint64_t end, uint64_t size,
                    uint64_t *offset, uint64_t *largest)
{
    uint64_t best = 0, found = UINT64_MAX;

    assert(n == 0 || used);
    /* Free ranges begin at start or where a used range ends (page-aligned
     * up): those are the only candidates, taken from the lowest up. */
    for (size_t k = 0; k <= n; k++) {
        uint64_t cand = page_up(k == n ? start : used[k].offset + used[k].size), gap;

        if (k < n && used[k].size == 0)
            continue;
        if (cand < start)
            cand = page_up(start);
        if (cand >= end || covered(used, n, cand))
            continue;
        gap = gap_from(used, n, cand, end);
        if (gap > best)
            best = gap;
        if (size > 0 && gap >= size && cand < found)
            found = cand;
    }
    if (largest)
        *largest = best;
    if (found == UINT64_MAX)
        return -ENOSPC;
    *offset = found;
    return 0;
}

int arena_plan_build(struct arena_plan *plan, const struct arena_camera_spec *cams, uint32_t count,
                     uint32_t capacity, uint64_t arena_size, char *err, size_t errlen)
{
    uint64_t off;

    memset(plan, 0, sizeof(*plan));
    if (count > capacity) {
        seterr(err, errlen, "%" PRIu32 " cameras do not fit in %" PRIu32 " descriptors (max_cameras)",
               count, capacity);
        return -EINVAL;
    }
    plan->camera_capacity = capacity;
    plan->descriptors_size = (uint64_t)capacity * ARENA_DESC_SIZE;
    plan->partitions_offset = page_up(ARENA_HEADER_SIZE + plan->descriptors_size);
    if (count > 0) {
        plan->parts = calloc(count, sizeof(*plan->parts));
        if (!plan->parts) {
            seterr(err, errlen, "out of memory planning %" PRIu32 " cameras", count);
            return -ENOMEM;
        }
    }
    off = plan->partitions_offset;
    for (uint32_t i = 0; i < count; i++) {
        const struct arena_camera_spec *c = &cams[i];
        struct arena_part *p = &plan->parts[i];
        uint64_t frame_size;

        if (!c->name || c->name[0] == '\0' || strlen(c->name) > ARENA_NAME_MAX) {
            seterr(err, errlen, "camera %" PRIu32 ": name must be 1 to %u characters", i, ARENA_NAME_MAX);
            goto invalid;
        }
        if ((unsigned)c->pix_fmt >= PIXFMT_COUNT) {
            seterr(err, errlen, "camera %s: unknown pixel format", c->name);
            goto invalid;
        }
        frame_size = pixfmt_frame_size(c->pix_fmt, c->width, c->height);
        if (frame_size == 0 || frame_size > UINT32_MAX) {
            seterr(err, errlen, "camera %s: %" PRIu32 "x%" PRIu32 " %s makes a frame of %" PRIu64
                   " bytes (must be 1 to %" PRIu32 ")", c->name, c->width, c->height,
                   pixfmt_name(c->pix_fmt), frame_size, UINT32_MAX);
            goto invalid;
        }
        if (c->slot_count == 0) {
            seterr(err, errlen, "camera %s: slots must be at least 1", c->name);
            goto invalid;
        }
        snprintf(p->name, sizeof(p->name), "%s", c->name);
        p->pix_fmt = c->pix_fmt;
        p->width = c->width;
        p->height = c->height;
        p->frame_size = (uint32_t)frame_size;
        p->slot_count = c->slot_count;
        p->priority = c->priority;
        arena_part_place(p, off);
        if (__builtin_add_overflow(off, p->partition_size, &off)) {
            seterr(err, errlen, "camera %s: the arena's size overflows", c->name);
            goto invalid;
        }
    }
    plan->part_count = count;
    plan->needed = off;
    plan->size = arena_size ? arena_size : off;
    if (plan->size < plan->needed) {
        seterr(err, errlen, "arena_size %" PRIu64 " is smaller than the %" PRIu64
               " bytes the cameras need", arena_size, plan->needed);
        arena_plan_close(plan);
        return -ENOSPC;
    }
    return 0;

invalid:
    arena_plan_close(plan);
    return -EINVAL;
}

void arena_plan_close(struct arena_plan *plan)
{
    free(plan->parts);
    memset(plan, 0, sizeof(*plan));
}


int arena_shm_name(char *out, size_t outlen, const char *instance)
{
    int n = snprintf(out, outlen, "/camarena-%s", instance);

    if (n < 0 || (size_t)n >= outlen)
        return -ENAMETOOLONG;
    return 0;
}

static bool pid_alive(uint32_t pid)
{
    /* pid 0 and anything beyond pid_t would address a process group or
     * nothing: such a header was not written by a live supervisor. */
    if (pid == 0 || pid > INT32_MAX)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Decides what to do with an object that already has our name. Returns 0
 * after unlinking it (stale or not an arena), -EEXIST if its supervisor is
 * alive, -EAGAIN if it vanished meanwhile, or another -errno. */
static int replace_existing(const char *shm_name, char *err, size_t errlen)
{
    struct arena_header h;
    struct stat st;
    bool valid = false;
    int fd = -1, rc;

    fd = shm_open(shm_name, O_RDONLY, 0);
    if (fd < 0) {
        if (errno == ENOENT)
            return -EAGAIN;
        rc = -errno;
        seterr(err, errlen, "%s exists and cannot be opened to check it: %s", shm_name, strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        seterr(err, errlen, "fstat %s: %s", shm_name, strerror(errno));
        goto err;
    }
    if ((uint64_t)st.st_size >= sizeof(h) && pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h))
        valid = memcmp(h.magic, ARENA_MAGIC, 8) == 0 && h.version == ARENA_VERSION &&
                h.header_size == ARENA_HEADER_SIZE;
    if (valid && pid_alive(h.supervisor_pid)) {
        seterr(err, errlen, "%s is in use by a running supervisor (pid %" PRIu32 ")", shm_name,
               h.supervisor_pid);
        rc = -EEXIST;
        goto err;
    }
    close(fd);
    fd = -1;
    if (shm_unlink(shm_name) < 0 && errno != ENOENT) {
        rc = -errno;
        seterr(err, errlen, "cannot remove the stale %s: %s", shm_name, strerror(errno));
        return rc;
    }
    return 0;

err:
    if (fd >= 0)
        close(fd);
    return rc;
}

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t new_generation(void)
{
    uint64_t g = 0;

    /* getrandom never fails for 8 bytes once the pool is ready; should it
     * fail anyway, the clock still gives a value that differs per start. */
    if (getrandom(&g, sizeof(g), 0) != (ssize_t)sizeof(g))
        g = now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
    return g ? g : 1;
}

static void write_layout(struct arena *arena, const struct arena_plan *plan)
{
    struct arena_header *h = arena->header;

    for (uint32_t i = 0; i < plan->part_count; i++) {
        const struct arena_part *p = &plan->parts[i];
        /* Not arena_desc: the header, with camera_capacity, is written last. */
        struct arena_camera_desc *d =
            (struct arena_camera_desc *)(arena->base + ARENA_HEADER_SIZE + (uint64_t)i * ARENA_DESC_SIZE);
        struct arena_ring *ring = (struct arena_ring *)(arena->base + p->partition_offset);
        struct arena_slot *slots = (struct arena_slot *)(arena->base + p->slots_offset);

        memset(d, 0, sizeof(*d));
        snprintf(d->name, sizeof(d->name), "%s", p->name);
        snprintf(d->pix_fmt, sizeof(d->pix_fmt), "%s", pixfmt_name(p->pix_fmt));
        d->width = p->width;
        d->height = p->height;
        d->frame_size = p->frame_size;
        d->slot_count = p->slot_count;
        d->partition_offset = p->partition_offset;
        d->partition_size = p->partition_size;
        d->slots_offset = p->slots_offset;
        d->data_offset = p->data_offset;
        d->slot_stride = p->slot_stride;
        atomic_store_explicit(&d->state, ARENA_STATE_STOPPED, memory_order_relaxed);
        d->priority = p->priority;
        atomic_store_explicit(&ring->head_seq, 0, memory_order_relaxed);
        for (uint32_t s = 0; s < p->slot_count; s++)
            atomic_store_explicit(&slots[s].seq, 0, memory_order_relaxed);
    }

    h->version = ARENA_VERSION;
    h->header_size = ARENA_HEADER_SIZE;
    h->arena_size = arena->size;
    h->generation = new_generation();
    h->supervisor_pid = (uint32_t)getpid();
    h->camera_count = plan->part_count;
    h->cameras_offset = ARENA_HEADER_SIZE;
    h->camera_desc_size = ARENA_DESC_SIZE;
    h->camera_capacity = plan->camera_capacity;
    h->created_realtime_ns = now_ns(CLOCK_REALTIME);
    atomic_store_explicit(&h->heartbeat_monotonic_ns, now_ns(CLOCK_MONOTONIC), memory_order_relaxed);
    /* The magic goes in last, after a release fence, so that a reader that
     * maps the object while it is being made finds either no arena or a
     * complete one. */
    atomic_thread_fence(memory_order_release);
    memcpy(h->magic, ARENA_MAGIC, 8);
}

int arena_create(struct arena *arena, const char *instance, unsigned mode,
                 const struct arena_plan *plan, char *err, size_t errlen)
{
    bool created = false;
    void *base = MAP_FAILED;
    int fd = -1, rc;

    memset(arena, 0, sizeof(*arena));
    arena->fd = -1;
    if (!arena_name_valid(instance)) {
        seterr(err, errlen, "instance name \"%s\" must be 1 to %u of [A-Za-z0-9_-]", instance, ARENA_NAME_MAX);
        return -EINVAL;
    }
    if (arena_shm_name(arena->shm_name, sizeof(arena->shm_name), instance) < 0) {
        seterr(err, errlen, "instance name \"%s\" is too long", instance);
        return -ENAMETOOLONG;
    }
    if (plan->size < plan->needed || plan->size < plan->partitions_offset || plan->size > (uint64_t)INT64_MAX ||
        plan->size > SIZE_MAX) {
        seterr(err, errlen, "arena size %" PRIu64 " is not usable", plan->size);
        return -EINVAL;
    }

    /* Another supervisor may be doing the same: a few rounds of create,
     * check and replace settle who wins without ever removing a live arena. */
    for (int attempt = 0; attempt < 5 && fd < 0; attempt++) {
        fd = shm_open(arena->shm_name, O_CREAT | O_EXCL | O_RDWR, mode & 07777);
        if (fd >= 0)
            break;
        if (errno != EEXIST) {
            rc = -errno;
            seterr(err, errlen, "shm_open %s: %s", arena->shm_name, strerror(errno));
            goto err;
        }
        rc = replace_existing(arena->shm_name, err, errlen);
        if (rc < 0 && rc != -EAGAIN)
            goto err;
    }
    if (fd < 0) {
        rc = -EEXIST;
        seterr(err, errlen, "%s keeps reappearing: another supervisor is starting", arena->shm_name);
        goto err;
    }
    created = true;

    /* shm_open applied the umask; the conf's mode is meant exactly. */
    if (fchmod(fd, mode & 07777) < 0) {
        rc = -errno;
        seterr(err, errlen, "fchmod %s to %04o: %s", arena->shm_name, mode & 07777, strerror(errno));
        goto err;
    }

    /* Reserve every page now: an object that is only ftruncate'd would
     * fault in pages later and die of SIGBUS once /dev/shm fills up. */
    rc = posix_fallocate(fd, 0, (off_t)plan->size);
    if (rc != 0) {
        if (rc == ENOSPC) {
            struct statvfs vfs;
            if (statvfs("/dev/shm", &vfs) == 0)
                seterr(err, errlen, "no room in /dev/shm for %s: needed %" PRIu64 " bytes, %" PRIu64
                       " bytes free", arena->shm_name, plan->size,
                       (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize);
            else
                seterr(err, errlen, "no room in /dev/shm for %s: needed %" PRIu64 " bytes",
                       arena->shm_name, plan->size);
        } else {
            seterr(err, errlen, "posix_fallocate %s, %" PRIu64 " bytes: %s", arena->shm_name,
                   plan->size, strerror(rc));
        }
        rc = -rc;
        goto err;
    }

    base = mmap(NULL, (size_t)plan->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        rc = -errno;
        seterr(err, errlen, "mmap %s, %" PRIu64 " bytes: %s", arena->shm_name, plan->size, strerror(errno));
        goto err;
    }

    arena->fd = fd;
    arena->base = base;
    arena->size = plan->size;
    arena->header = base;
    write_layout(arena, plan);
    return 0;

err:
    if (base != MAP_FAILED)
        munmap(base, (size_t)plan->size);
    if (fd >= 0)
        close(fd);
    if (created)
        shm_unlink(arena->shm_name);
    arena->fd = -1;
    arena->base = NULL;
    arena->header = NULL;
    arena->shm_name[0] = '\0';
    return rc;
}

struct arena_camera_desc *arena_desc(struct arena *arena, uint32_t index)
{
    assert(index < arena->header->camera_capacity);
    return (struct arena_camera_desc *)(arena->base + ARENA_HEADER_SIZE + (uint64_t)index * ARENA_DESC_SIZE);
}

struct arena_ring *arena_ring(struct arena *arena, uint32_t index)
{
    return (struct arena_ring *)(arena->base + arena_desc(arena, index)->partition_offset);
}

void arena_set_state(struct arena *arena, uint32_t index, enum arena_state state)
{
    atomic_store_explicit(&arena_desc(arena, index)->state, (uint32_t)state, memory_order_release);
}

void arena_desc_set(struct arena *arena, uint32_t index, const struct arena_part *part)
{
    struct arena_camera_desc *d = arena_desc(arena, index);
    struct arena_ring *ring = (struct arena_ring *)(arena->base + part->partition_offset);
    struct arena_slot *slots = (struct arena_slot *)(arena->base + part->slots_offset);

    assert(d->name[0] == '\0');
    assert(part->partition_offset >= arena->header->cameras_offset +
           (uint64_t)arena->header->camera_capacity * ARENA_DESC_SIZE);
    assert(part->partition_offset + part->partition_size <= arena->size);
    snprintf(d->pix_fmt, sizeof(d->pix_fmt), "%s", pixfmt_name(part->pix_fmt));
    d->width = part->width;
    d->height = part->height;
    d->frame_size = part->frame_size;
    d->slot_count = part->slot_count;
    d->partition_offset = part->partition_offset;
    d->partition_size = part->partition_size;
    d->slots_offset = part->slots_offset;
    d->data_offset = part->data_offset;
    d->slot_stride = part->slot_stride;
    d->priority = part->priority;
    atomic_store_explicit(&d->state, ARENA_STATE_STOPPED, memory_order_release);
    /* The ring starts empty: a reader still holding an old frame_seq of
     * whatever lived here before sees its slot's seq change and drops it. */
    for (uint32_t s = 0; s < part->slot_count; s++)
        atomic_store_explicit(&slots[s].seq, 0, memory_order_release);
    atomic_store_explicit(&ring->head_seq, 0, memory_order_release);
    /* The name goes in last: a reader that finds the camera by name sees
     * every field above. */
    atomic_thread_fence(memory_order_release);
    memcpy(d->name, part->name, sizeof(d->name) < sizeof(part->name) ? sizeof(d->name) : sizeof(part->name));
    d->name[sizeof(d->name) - 1] = '\0';
    atomic_thread_fence(memory_order_release);
    arena->header->camera_count++;
}

void arena_desc_free(struct arena *arena, uint32_t index)
{
    struct arena_camera_desc *d = arena_desc(arena, index);

    if (d->name[0] == '\0')
        return;
    atomic_store_explicit(&d->state, ARENA_STATE_STOPPED, memory_order_release);
    atomic_thread_fence(memory_order_release);
    memset(d->name, 0, sizeof(d->name));
    atomic_thread_fence(memory_order_release);
    if (arena->header->camera_count > 0)
        arena->header->camera_count--;
}

bool arena_desc_in_use(struct arena *arena, uint32_t index)
{
    return arena_desc(arena, index)->name[0] != '\0';
}

uint64_t arena_partitions_offset(const struct arena *arena)
{
    return page_up(arena->header->cameras_offset + (uint64_t)arena->header->camera_capacity * ARENA_DESC_SIZE);
}

void arena_heartbeat(struct arena *arena, uint64_t monotonic_ns)
{
    atomic_store_explicit(&arena->header->heartbeat_monotonic_ns, monotonic_ns, memory_order_release);
}

void arena_close(struct arena *arena, bool unlink)
{
    /* base and fd are set together by a successful arena_create and cleared
     * together here, so a zeroed or closed struct is left alone. */
    if (arena->base) {
        munmap(arena->base, (size_t)arena->size);
        close(arena->fd);
        if (unlink && arena->shm_name[0])
            shm_unlink(arena->shm_name);
    }
    arena->base = NULL;
    arena->header = NULL;
    arena->fd = -1;
    arena->size = 0;
}
