/* check.h - validation of an arena's header and descriptors against the object's real size.
 *
 * Shared by the reader (libcamarena), the writer (workers) and arena_create
 * (stale objects): whatever a process maps, it checks with these before it
 * follows a single offset, so a truncated or corrupt object is an error,
 * never a crash. */
#ifndef CAMARENA_ARENA_CHECK_H
#define CAMARENA_ARENA_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "arena/layout.h"

/* Returns true if name is a valid instance or camera name, [A-Za-z0-9_-]{1,63}. */
bool arena_name_valid(const char *name);

/* Returns true if h is a version-1 arena header of an object of size bytes
 * whose descriptors lie inside it; then *desc_end (if not NULL) is the offset
 * where the descriptors end. */
bool arena_header_fits(const struct arena_header *h, uint64_t size, uint64_t *desc_end);

/* Returns true if d's partition, slot headers and slot data lie inside an
 * object of size bytes, at or after floor (the end of the descriptors),
 * aligned as SPEC 3 says, with no sum overflowing. d must be a private copy:
 * a descriptor in shared memory may change between check and use. */
bool arena_desc_fits(const struct arena_camera_desc *d, uint64_t size, uint64_t floor);

#endif
