/* jread.h - a small tolerant JSON reader: tokenizes a document once, then
 * finds values by key, so that camarena-ctl can print fields of a reply. */
#ifndef CAMARENA_TOOLS_JREAD_H
#define CAMARENA_TOOLS_JREAD_H

#include <stdbool.h>
#include <stddef.h>

enum jread_type { JREAD_OBJECT, JREAD_ARRAY, JREAD_STRING, JREAD_PRIMITIVE };

struct jread_tok {
    enum jread_type type;
    size_t start, end; /* the token's text; for strings, between the quotes */
    int next;          /* index of the token after this one's whole subtree */
};

struct jread {
    const char *text;        /* borrowed: must outlive the reader */
    struct jread_tok *toks;  /* owned; token 0 is the root value */
    int count;
    int cap;
};

/* Tokenizes text[0..len). Returns 0, -EINVAL if it is not one JSON value
 * (trailing whitespace is allowed) or nests deeper than 64, -ENOMEM. On
 * failure j holds nothing to free. */
int jread_parse(struct jread *j, const char *text, size_t len);

/* Frees the tokens; j can be parsed into again. */
void jread_close(struct jread *j);

/* Returns the index of the value of key in the object at token obj, or -1
 * (also when obj is not an object). */
int jread_get(const struct jread *j, int obj, const char *key);

/* Returns the index of the first element of the array (or the first key of
 * the object) at tok, or -1 when it is empty or not a container. */
int jread_first(const struct jread *j, int tok);

/* Returns the index of the element after element tok of the container
 * parent, or -1 at the end. For objects, steps key to key. */
int jread_next(const struct jread *j, int parent, int tok);

/* Returns the number at tok, or dflt when tok is -1 or not a number. */
double jread_number(const struct jread *j, int tok, double dflt);

/* Copies the string at tok, unescaped, NUL-terminated and truncated to fit,
 * into out (outlen > 0). A primitive is copied as written; anything else, or
 * tok -1, gives "". Returns out. */
char *jread_string(const struct jread *j, int tok, char *out, size_t outlen);

#endif
