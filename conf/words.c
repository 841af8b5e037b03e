/* words.c - POSIX shell word splitting, without a shell. */
#include "conf/words.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct splitter {
    char **words;
    size_t count;
    size_t cap;
    char *word;   /* the word being built; never longer than the input */
    size_t len;
    bool in_word; /* a word has begun, even if empty (after '' or "") */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static int word_end(struct splitter *sp)
{
    char *w;

    if (!sp->in_word)
        return 0;
    if (sp->count + 2 > sp->cap) {
        size_t cap = sp->cap ? 2 * sp->cap : 8;
        char **v = realloc(sp->words, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        sp->words = v;
        sp->cap = cap;
    }
    w = strndup(sp->word, sp->len);
    if (w == NULL)
        return -ENOMEM;
    sp->words[sp->count++] = w;
    sp->words[sp->count] = NULL;
    sp->len = 0;
    sp->in_word = false;
    return 0;
}

static void word_add(struct splitter *sp, char c)
{
    sp->word[sp->len++] = c;
    sp->in_word = true;
}

static int fail(char *err, size_t errlen, const char *what, size_t at)
{
    if (errlen > 0)
        snprintf(err, errlen, "%s at character %zu", what, at + 1);
    return -EINVAL;
}

/* Splits into sp; returns 0 or a negative errno. */
static int split(struct splitter *sp, const char *s, char *err, size_t errlen)
{
    size_t i = 0;
    int rc;

    while (s[i] != '\0') {
        char c = s[i];

        if (is_blank(c)) {
            if ((rc = word_end(sp)) < 0)
                return rc;
            i++;
        } else if (c == '\\') {
            if (s[i + 1] == '\0')
                return fail(err, errlen, "a backslash ends the text, escaping nothing", i);
            if (s[i + 1] != '\n')
                word_add(sp, s[i + 1]);
            i += 2;
        } else if (c == '\'') {
            size_t open = i++;
            sp->in_word = true;
            while (s[i] != '\'') {
                if (s[i] == '\0')
                    return fail(err, errlen, "unterminated single quote opened", open);
                word_add(sp, s[i++]);
            }
            i++;
        } else if (c == '"') {
            size_t open = i++;
            sp->in_word = true;
            while (s[i] != '"') {
                if (s[i] == '\0')
                    return fail(err, errlen, "unterminated double quote opened", open);
                if (s[i] == '\\' && s[i + 1] != '\0' && strchr("\"\\$`\n", s[i + 1])) {
                    if (s[i + 1] != '\n')
                        word_add(sp, s[i + 1]);
                    i += 2;
                } else {
                    word_add(sp, s[i++]);
                }
            }
            i++;
        } else {
            word_add(sp, c);
            i++;
        }
    }
    return word_end(sp);
}

int conf_words_split(const char *s, char ***words, size_t *count, char *err, size_t errlen)
{
    struct splitter sp = { 0 };
    int rc = -ENOMEM;

    *words = NULL;
    *count = 0;
    if (errlen > 0)
        err[0] = '\0';
    sp.word = malloc(strlen(s) + 1);
    sp.words = calloc(1, sizeof *sp.words);
    if (sp.word == NULL || sp.words == NULL)
        goto err;
    sp.cap = 1;
    if ((rc = split(&sp, s, err, errlen)) < 0)
        goto err;
    free(sp.word);
    *words = sp.words;
    *count = sp.count;
    return 0;
err:
    if (rc == -ENOMEM && errlen > 0)
        snprintf(err, errlen, "out of memory");
    free(sp.word);
    conf_words_free(&sp.words);
    return rc;
}

void conf_words_free(char ***words)
{
    if (words == NULL || *words == NULL)
        return;
    for (char **w = *words; *w != NULL; w++)
        free(*w);
    free(*words);
    *words = NULL;
}
