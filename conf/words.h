/* words.h - splits a string into words as a POSIX shell would, without ever
 * running a shell or expanding anything. */
#ifndef CAMARENA_CONF_WORDS_H
#define CAMARENA_CONF_WORDS_H

#include <stddef.h>

/* Splits s into words by the quoting rules of the POSIX shell:
 *   - blanks (space, tab, newline) separate words outside quotes;
 *   - a backslash outside quotes takes the next character literally
 *     (backslash-newline is removed);
 *   - '...' takes everything up to the next ' literally;
 *   - "..." takes everything literally except \" \\ \$ \` (the backslash is
 *     dropped) and backslash-newline (removed); other backslashes stay;
 *   - quotes join with what touches them: a'b'"c" is one word, abc, and
 *     '' or "" alone is one empty word.
 * Nothing is expanded or interpreted: $VAR, $(...), `...`, globs, ~, ;, |,
 * &&, < and > and # are ordinary characters of words.
 *
 * On success returns 0 and sets *words to a NULL-terminated array of *count
 * words (an array holding only NULL when s has none), which the caller frees
 * with conf_words_free. Returns -EINVAL for an unterminated quote or a
 * backslash ending s, with a sentence in err (if errlen > 0), or -ENOMEM; on
 * failure *words is NULL and *count 0. */
int conf_words_split(const char *s, char ***words, size_t *count, char *err, size_t errlen);

/* Frees an array from conf_words_split and sets *words to NULL. NULL and
 * *words == NULL are fine. */
void conf_words_free(char ***words);

#endif
