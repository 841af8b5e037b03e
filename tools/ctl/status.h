/* status.h - renders camarenad's status JSON (SPEC 6) as a readable table. */
#ifndef CAMARENA_TOOLS_STATUS_H
#define CAMARENA_TOOLS_STATUS_H

#include <stddef.h>
#include <stdio.h>

/* Writes the table of the status reply body[0..len) to out: a header line, a
 * row per camera (camera, state, fps, frames, drops, restarts, backoff,
 * memory, age), an indented line per camera with an error, and a pressure
 * line. Returns 0, or -EINVAL if body is not a JSON object (nothing written). */
int status_print(FILE *out, const char *body, size_t len);

/* Writes a byte count as a short human size ("512B", "12.3M") into out. */
void status_format_bytes(char *out, size_t outlen, double bytes);

/* Writes a duration in milliseconds as "-" (negative: unknown), "840ms",
 * "12.5s", "3m20s" or "2h05m" into out. */
void status_format_ms(char *out, size_t outlen, double ms);

#endif
