/* check.c - validation of an arena's header and descriptors. */
#include "arena/check.h"

#include <string.h>

bool arena_name_valid(const char *name)
{
    size_t n = 0;

    for (; name[n]; n++) {
        char c = name[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= ARENA_NAME_MAX;
}

bool arena_header_fits(const struct arena_header *h, uint64_t size, uint64_t *desc_end)
{
    uint64_t descs;

    if (memcmp(h->magic, ARENA_MAGIC, 8) != 0 || h->version != ARENA_VERSION ||
        h->header_size != ARENA_HEADER_SIZE || h->camera_desc_size != ARENA_DESC_SIZE ||
        h->arena_size != size || h->cameras_offset < ARENA_HEADER_SIZE || h->cameras_offset % 8 != 0 ||
        h->cameras_offset > size)
        return false;
    descs = (uint64_t)h->camera_capacity * ARENA_DESC_SIZE;
    if (descs > size - h->cameras_offset)
        return false;
    if (desc_end)
        *desc_end = h->cameras_offset + descs;
    return true;
}

bool arena_desc_fits(const struct arena_camera_desc *d, uint64_t size, uint64_t floor)
{
    uint64_t pend, slots_end, room;

    if (d->frame_size == 0 || d->slot_count == 0)
        return false;
    if (d->partition_offset % ARENA_PAGE_SIZE != 0 || d->partition_offset < floor ||
        d->partition_offset > size || d->partition_size > size - d->partition_offset ||
        d->partition_size < ARENA_RING_HEADER_SIZE)
        return false;
    pend = d->partition_offset + d->partition_size;
    if (d->slots_offset < d->partition_offset + ARENA_RING_HEADER_SIZE || d->slots_offset % 8 != 0 ||
        d->slots_offset > pend || (uint64_t)d->slot_count * ARENA_SLOT_HEADER_SIZE > pend - d->slots_offset)
        return false;
    slots_end = d->slots_offset + (uint64_t)d->slot_count * ARENA_SLOT_HEADER_SIZE;
    if (d->data_offset % ARENA_PAGE_SIZE != 0 || d->data_offset < slots_end || d->data_offset > pend)
        return false;
    if (d->slot_stride < d->frame_size || d->slot_stride % ARENA_PAGE_SIZE != 0)
        return false;
    room = pend - d->data_offset;
    if (room < d->frame_size || (uint64_t)(d->slot_count - 1) > (room - d->frame_size) / d->slot_stride)
        return false;
    return true;
}
