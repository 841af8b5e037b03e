/* json.h - a small JSON writer over a caller-owned fixed buffer.
 *
 * Nothing is allocated. Commas and nesting are tracked by the writer; the
 * caller only says what comes next. When the buffer is too small the writer
 * remembers the overflow, stops writing, and json_finish reports it: callers
 * check once at the end. Strings are escaped as RFC 8259 requires; bytes that
 * are not valid UTF-8 become U+FFFD, so the output is always valid JSON. */
#ifndef CAMARENA_IPC_JSON_H
#define CAMARENA_IPC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 16

struct json_writer {
    char *buf;                        /* caller-owned */
    size_t cap;                       /* bytes of buf, the NUL included */
    size_t len;                       /* bytes written so far, without the NUL */
    bool overflow;                    /* something did not fit */
    bool bad_nesting;                 /* an end without a begin, or too deep */
    int depth;                        /* open objects and arrays */
    bool first[JSON_DEPTH_MAX];       /* no member written yet at this depth */
    bool after_key;                   /* a key was written, its value comes next */
};

/* Starts writing into buf (cap > 0 bytes). buf is always NUL-terminated. */
void json_init(struct json_writer *w, char *buf, size_t cap);

/* Returns the length written (without the NUL), or -ENOBUFS if the buffer
 * was too small, or -EINVAL if objects and arrays were not closed in order. */
int json_finish(const struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);

/* Writes a member's key; its value is the next thing written. */
void json_key(struct json_writer *w, const char *key);

/* Values. s may be NULL (written as ""); json_string_n takes len bytes. A
 * double that is not finite is written as null. */
void json_string(struct json_writer *w, const char *s);
void json_string_n(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* A key and its value in one call. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_double(struct json_writer *w, const char *key, double v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);

/* Returns the length of the valid UTF-8 sequence at s (1 to 4 bytes, no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0 if s[0..len) does
 * not start with one. */
size_t json_utf8_seq(const unsigned char *s, size_t len);

/* Returns true if the len bytes at s are valid UTF-8 without NUL bytes. */
bool json_utf8_valid(const void *s, size_t len);

#endif
