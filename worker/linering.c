/* linering.c - a fixed ring of a child's last output lines. */
#include "worker/linering.h"

#include <string.h>

void linering_init(struct linering *r)
{
    memset(r, 0, sizeof *r);
}

static void end_line(struct linering *r, linering_line_fn *on_line, void *arg)
{
    if (r->partial_len == 0)
        return;
    r->partial[r->partial_len] = 0;
    memcpy(r->lines[r->next], r->partial, r->partial_len + 1);
    r->next = (r->next + 1) % LINERING_LINES;
    if (r->count < LINERING_LINES)
        r->count++;
    r->partial_len = 0;
    if (on_line)
        on_line(arg, r->lines[(r->next + LINERING_LINES - 1) % LINERING_LINES]);
}

void linering_feed(struct linering *r, const char *buf, size_t len, linering_line_fn *on_line, void *arg)
{
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\n' || c == '\r') {
            end_line(r, on_line, arg);
        } else if (r->partial_len < LINERING_WIDTH - 1) {
            r->partial[r->partial_len++] = c ? c : ' ';
        }
    }
}

void linering_flush(struct linering *r, linering_line_fn *on_line, void *arg)
{
    end_line(r, on_line, arg);
}

const char *linering_line(const struct linering *r, unsigned i)
{
    if (i >= r->count)
        return NULL;
    return r->lines[(r->next + LINERING_LINES - 1 - i) % LINERING_LINES];
}
