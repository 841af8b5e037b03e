/* json.c - a small JSON writer over a fixed buffer (see json.h). */
#include "ipc/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json_writer *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    if (cap > 0)
        buf[0] = '\0';
    else
        w->overflow = true;
}

int json_finish(const struct json_writer *w)
{
    if (w->overflow)
        return -ENOBUFS;
    if (w->bad_nesting || w->depth != 0 || w->after_key)
        return -EINVAL;
    return (int)w->len;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
    if (w->overflow)
        return;
    if (w->len + n + 1 > w->cap) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void putc_(struct json_writer *w, char c)
{
    put(w, &c, 1);
}

/* Writes the comma that separates this value from the one before, unless it
 * follows its key. */
static void before_value(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth - 1])
            putc_(w, ',');
        w->first[w->depth - 1] = false;
    }
}

static void open_(struct json_writer *w, char c)
{
    before_value(w);
    if (w->depth >= JSON_DEPTH_MAX) {
        w->bad_nesting = true;
        return;
    }
    w->first[w->depth++] = true;
    putc_(w, c);
}

static void close_(struct json_writer *w, char c)
{
    if (w->depth <= 0 || w->after_key) {
        w->bad_nesting = true;
        return;
    }
    w->depth--;
    putc_(w, c);
}

void json_object_begin(struct json_writer *w) { open_(w, '{'); }
void json_object_end(struct json_writer *w) { close_(w, '}'); }
void json_array_begin(struct json_writer *w) { open_(w, '['); }
void json_array_end(struct json_writer *w) { close_(w, ']'); }

size_t json_utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c;
    size_t n;
    uint32_t cp, min;

    if (len == 0)
        return 0;
    c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool json_utf8_valid(const void *s, size_t len)
{
    const unsigned char *p = s;
    size_t i = 0;

    while (i < len) {
        size_t n;

        if (p[i] == 0)
            return false;
        n = json_utf8_seq(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

static void put_escaped(struct json_writer *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    putc_(w, '"');
    while (i < len && !w->overflow) {
        unsigned char c = p[i];
        char esc[8];
        size_t n;

        switch (c) {
        case '"': put(w, "\\\"", 2); i++; continue;
        case '\\': put(w, "\\\\", 2); i++; continue;
        case '\b': put(w, "\\b", 2); i++; continue;
        case '\f': put(w, "\\f", 2); i++; continue;
        case '\n': put(w, "\\n", 2); i++; continue;
        case '\r': put(w, "\\r", 2); i++; continue;
        case '\t': put(w, "\\t", 2); i++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(w, esc, 6);
            i++;
            continue;
        }
        n = json_utf8_seq(p + i, len - i);
        if (n == 0) {
            put(w, "\\ufffd", 6);
            i++;
            continue;
        }
        put(w, s + i, n);
        i += n;
    }
    putc_(w, '"');
}

void json_key(struct json_writer *w, const char *key)
{
    if (w->depth == 0 || w->after_key) {
        w->bad_nesting = true;
        return;
    }
    before_value(w);
    put_escaped(w, key, strlen(key));
    putc_(w, ':');
    w->after_key = true;
}

void json_string_n(struct json_writer *w, const char *s, size_t len)
{
    before_value(w);
    put_escaped(w, s ? s : "", s ? len : 0);
}

void json_string(struct json_writer *w, const char *s)
{
    json_string_n(w, s, s ? strlen(s) : 0);
}

static void put_number(struct json_writer *w, const char *num, int n)
{
    before_value(w);
    if (n < 0) {
        w->overflow = true;
        return;
    }
    put(w, num, (size_t)n);
}

void json_int(struct json_writer *w, int64_t v)
{
    char num[32];

    put_number(w, num, snprintf(num, sizeof(num), "%" PRId64, v));
}

void json_uint(struct json_writer *w, uint64_t v)
{
    char num[32];

    put_number(w, num, snprintf(num, sizeof(num), "%" PRIu64, v));
}

void json_double(struct json_writer *w, double v)
{
    char num[40];

    if (!isfinite(v)) {
        json_null(w);
        return;
    }
    /* %.6g can write "1e+06", which is valid JSON; it never writes "inf" here. */
    put_number(w, num, snprintf(num, sizeof(num), "%.6g", v));
}

void json_bool(struct json_writer *w, bool v)
{
    before_value(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_writer *w)
{
    before_value(w);
    put(w, "null", 4);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_int(w, v);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
    json_key(w, key);
    json_uint(w, v);
}

void json_kv_double(struct json_writer *w, const char *key, double v)
{
    json_key(w, key);
    json_double(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
    json_key(w, key);
    json_bool(w, v);
}
