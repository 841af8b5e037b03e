/* jread.c - a small tolerant JSON reader (see jread.h). */
#include "tools/ctl/jread.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JREAD_DEPTH_MAX 64

struct parser {
    struct jread *j;
    const char *s;
    size_t len;
    size_t pos;
};

static void skip_space(struct parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos] != '\0')
        p->pos++;
}

static int tok_push(struct parser *p, enum jread_type type, size_t start)
{
    struct jread *j = p->j;
    if (j->count == j->cap) {
        int cap = j->cap ? j->cap * 2 : 64;
        struct jread_tok *t = realloc(j->toks, (size_t)cap * sizeof(*t));
        if (!t)
            return -ENOMEM;
        j->toks = t;
        j->cap = cap;
    }
    j->toks[j->count] = (struct jread_tok){ .type = type, .start = start, .end = start, .next = -1 };
    return j->count++;
}

static int parse_value(struct parser *p, int depth);

static int parse_string(struct parser *p)
{
    /* p->s[p->pos] is the opening quote. */
    int t = tok_push(p, JREAD_STRING, ++p->pos);
    if (t < 0)
        return t;
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == '"') {
            p->j->toks[t].end = p->pos++;
            p->j->toks[t].next = p->j->count;
            return 0;
        }
        if (c == '\\')
            p->pos++;
        p->pos++;
    }
    return -EINVAL;
}

static int parse_primitive(struct parser *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && !strchr(" \t\r\n,:]}", p->s[p->pos]))
        p->pos++;
    if (p->pos == start)
        return -EINVAL;
    int t = tok_push(p, JREAD_PRIMITIVE, start);
    if (t < 0)
        return t;
    p->j->toks[t].end = p->pos;
    p->j->toks[t].next = p->j->count;
    return 0;
}

static int parse_container(struct parser *p, int depth)
{
    char open = p->s[p->pos];
    char close = open == '{' ? '}' : ']';
    int t = tok_push(p, open == '{' ? JREAD_OBJECT : JREAD_ARRAY, p->pos);
    if (t < 0)
        return t;
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        goto done;
    }
    for (;;) {
        int rc;
        skip_space(p);
        if (open == '{') {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return -EINVAL;
            if ((rc = parse_string(p)) < 0)
                return rc;
            skip_space(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return -EINVAL;
            p->pos++;
        }
        if ((rc = parse_value(p, depth + 1)) < 0)
            return rc;
        skip_space(p);
        if (p->pos >= p->len)
            return -EINVAL;
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] != close)
            return -EINVAL;
        p->pos++;
        break;
    }
done:
    p->j->toks[t].end = p->pos;
    p->j->toks[t].next = p->j->count;
    return 0;
}

static int parse_value(struct parser *p, int depth)
{
    if (depth > JREAD_DEPTH_MAX)
        return -EINVAL;
    skip_space(p);
    if (p->pos >= p->len)
        return -EINVAL;
    switch (p->s[p->pos]) {
    case '{':
    case '[':
        return parse_container(p, depth);
    case '"':
        return parse_string(p);
    default:
        return parse_primitive(p);
    }
}

int jread_parse(struct jread *j, const char *text, size_t len)
{
    *j = (struct jread){ .text = text };
    struct parser p = { .j = j, .s = text, .len = len };
    int rc = parse_value(&p, 0);
    if (rc == 0) {
        skip_space(&p);
        if (p.pos != p.len)
            rc = -EINVAL;
    }
    if (rc < 0)
        jread_close(j);
    return rc;
}

void jread_close(struct jread *j)
{
    free(j->toks);
    *j = (struct jread){ 0 };
}

static bool tok_valid(const struct jread *j, int tok)
{
    return tok >= 0 && tok < j->count;
}

int jread_first(const struct jread *j, int tok)
{
    if (!tok_valid(j, tok) || (j->toks[tok].type != JREAD_OBJECT && j->toks[tok].type != JREAD_ARRAY))
        return -1;
    return j->toks[tok].next > tok + 1 ? tok + 1 : -1;
}

int jread_next(const struct jread *j, int parent, int tok)
{
    if (!tok_valid(j, parent) || !tok_valid(j, tok))
        return -1;
    int n = j->toks[tok].next;
    if (j->toks[parent].type == JREAD_OBJECT && n < j->toks[parent].next)
        n = j->toks[n].next; /* step over the value to the next key */
    return n < j->toks[parent].next ? n : -1;
}

int jread_get(const struct jread *j, int obj, const char *key)
{
    if (!tok_valid(j, obj) || j->toks[obj].type != JREAD_OBJECT)
        return -1;
    size_t klen = strlen(key);
    for (int k = jread_first(j, obj); k >= 0; k = jread_next(j, obj, k)) {
        const struct jread_tok *t = &j->toks[k];
        /* Keys with escapes are compared as written: camarena's keys have none. */
        if (t->end - t->start == klen && memcmp(j->text + t->start, key, klen) == 0)
            return k + 1 < j->toks[obj].next ? k + 1 : -1;
    }
    return -1;
}

double jread_number(const struct jread *j, int tok, double dflt)
{
    if (!tok_valid(j, tok) || j->toks[tok].type != JREAD_PRIMITIVE)
        return dflt;
    char buf[64];
    size_t n = j->toks[tok].end - j->toks[tok].start;
    if (n >= sizeof(buf))
        return dflt;
    memcpy(buf, j->text + j->toks[tok].start, n);
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    return end == buf + n ? v : dflt;
}

static int hex4(const char *s, size_t n, uint32_t *out)
{
    if (n < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Appends the UTF-8 encoding of cp if it fits; returns the new length. */
static size_t put_utf8(char *out, size_t o, size_t cap, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (o + n > cap)
        return cap; /* no room: stop here */
    memcpy(out + o, b, n);
    return o + n;
}

char *jread_string(const struct jread *j, int tok, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!tok_valid(j, tok))
        return out;
    const struct jread_tok *t = &j->toks[tok];
    const char *s = j->text + t->start;
    size_t n = t->end - t->start, o = 0, cap = outlen - 1;
    if (t->type == JREAD_PRIMITIVE) {
        if (n > cap)
            n = cap;
        memcpy(out, s, n);
        out[n] = '\0';
        return out;
    }
    if (t->type != JREAD_STRING)
        return out;
    for (size_t i = 0; i < n && o < cap; i++) {
        if (s[i] != '\\' || i + 1 == n) {
            out[o++] = s[i];
            continue;
        }
        char e = s[++i];
        uint32_t cp;
        switch (e) {
        case 'n': out[o++] = '\n'; break;
        case 't': out[o++] = '\t'; break;
        case 'r': out[o++] = '\r'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'u':
            if (hex4(s + i + 1, n - i - 1, &cp) < 0) {
                out[o++] = '?';
                break;
            }
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n + 0 && s[i + 1] == '\\' && s[i + 2] == 'u') {
                uint32_t lo;
                if (hex4(s + i + 3, n - i - 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            o = put_utf8(out, o, cap, cp);
            break;
        default: out[o++] = e; break; /* \" \\ \/ and anything tolerated */
        }
    }
    out[o] = '\0';
    return out;
}
