/* linering.h - the last lines a child printed, kept in a fixed ring (no allocation). */
#ifndef CAMARENA_WORKER_LINERING_H
#define CAMARENA_WORKER_LINERING_H

#include <stddef.h>

#define LINERING_LINES 8
#define LINERING_WIDTH 256 /* bytes of a line, NUL included; longer lines are cut */

struct linering {
    char lines[LINERING_LINES][LINERING_WIDTH];
    unsigned count;               /* complete lines kept, up to LINERING_LINES */
    unsigned next;                /* where the next complete line goes */
    char partial[LINERING_WIDTH]; /* the line being received */
    size_t partial_len;
};

/* Called with each line as it completes, NUL-terminated, without its newline. */
typedef void linering_line_fn(void *arg, const char *line);

/* Empties r. */
void linering_init(struct linering *r);

/* Adds len bytes of output. A line ends at '\n' or '\r'; empty lines are
 * dropped. on_line (if not NULL) sees each completed line. Never fails. */
void linering_feed(struct linering *r, const char *buf, size_t len, linering_line_fn *on_line, void *arg);

/* Ends the line being received, if any, as if a newline came. */
void linering_flush(struct linering *r, linering_line_fn *on_line, void *arg);

/* Returns the i-th newest complete line (0 is the newest), or NULL. */
const char *linering_line(const struct linering *r, unsigned i);

#endif
