/* units.h - the value syntaxes of the conf file: sizes, durations, rates,
 * decimals, octal modes, booleans and bounded integers.
 *
 * Every parser takes the whole value (already trimmed, no surrounding
 * whitespace) and accepts nothing else: no signs, no exponents, no hex, no
 * locale. Each returns 0 and stores the result, -EINVAL if the text is not of
 * the syntax (the output is untouched), or -ERANGE if it is but the number
 * does not fit. None allocates, prints or keeps state. */
#ifndef CAMARENA_CONF_UNITS_H
#define CAMARENA_CONF_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_NS_PER_MS 1000000ULL
#define CONF_NS_PER_S 1000000000ULL

/* A size: plain bytes ("4096") or whole K, M, G, powers of 1024 ("400M"). */
int conf_size_parse(const char *s, uint64_t *bytes);

/* A duration: a decimal number and a unit, ms, s, m or h ("500ms", "1.5s",
 * "10m"). A bare number is -EINVAL: a duration needs its unit. The result is
 * in nanoseconds, fractions of a nanosecond dropped. */
int conf_duration_parse(const char *s, uint64_t *ns);

/* A rate: a size, '/', and s, m or h ("10M/h"). The result is bytes per
 * second. */
int conf_rate_parse(const char *s, double *bytes_per_s);

/* A decimal: digits with at most one '.', at least one digit ("0.8", "2",
 * ".5", "2."). The result is the nearest double, as strtod in the C locale
 * would give. At most 15 significant digits, else -ERANGE. */
int conf_decimal_parse(const char *s, double *value);

/* An unsigned integer of decimal digits, at most max. */
int conf_uint_parse(const char *s, uint64_t max, uint64_t *value);

/* A permission mode: 1 to 4 octal digits, at most 0777 ("0640", "640"). */
int conf_mode_parse(const char *s, unsigned *mode);

/* A boolean, case-insensitive: yes/no, on/off, true/false, 1/0. */
int conf_bool_parse(const char *s, bool *value);

#endif
