/* units.c - the value syntaxes of the conf file. */
#include "conf/units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads the digits at *p (at least one) into v, advancing *p.
 * Returns 0, -EINVAL if there is no digit, -ERANGE on overflow. */
static int digits_read(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t n = 0;
    int rc = 0;

    if (!is_digit(*s))
        return -EINVAL;
    for (; is_digit(*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (n > (UINT64_MAX - d) / 10)
            rc = -ERANGE;
        else
            n = n * 10 + d;
    }
    *p = s;
    if (rc == 0)
        *v = n;
    return rc;
}

/* A decimal as an exact fraction: mantissa / 10^scale. The digits of s up to
 * the first character that cannot continue a decimal; *end points there. */
struct decimal {
    uint64_t mantissa;
    unsigned scale;
};

#define DECIMAL_DIGITS_MAX 15

static int decimal_read(const char *s, struct decimal *d, const char **end)
{
    uint64_t m = 0;
    unsigned scale = 0, digits = 0, significant = 0;
    bool dot = false;
    int rc = 0;

    for (;; s++) {
        if (*s == '.' && !dot) {
            dot = true;
            continue;
        }
        if (!is_digit(*s))
            break;
        digits++;
        if (m == 0 && *s == '0') {
            /* Leading zeros carry no precision. */
        } else if (++significant > DECIMAL_DIGITS_MAX) {
            rc = -ERANGE;
        }
        if (rc == 0) {
            m = m * 10 + (uint64_t)(*s - '0');
            if (dot)
                scale++;
        }
    }
    if (digits == 0)
        return -EINVAL;
    *end = s;
    if (rc < 0)
        return rc;
    d->mantissa = m;
    d->scale = scale;
    return 0;
}

/* 10^n for n <= 22 is exact in a double, and so is a mantissa of at most 15
 * digits, so mantissa / 10^n is the correctly rounded quotient, which is
 * what strtod returns. With at most 15 significant digits and leading zeros
 * not counted, scale can exceed 22 only with many leading zeros; such a
 * value is below 1e-7 and the loop below stays exact enough for the
 * conf's ranges. */
static double decimal_value(struct decimal d)
{
    double p = 1.0;
    for (unsigned i = 0; i < d.scale; i++)
        p *= 10.0;
    return (double)d.mantissa / p;
}

int conf_decimal_parse(const char *s, double *value)
{
    struct decimal d;
    const char *end;
    int rc = decimal_read(s, &d, &end);

    if (rc < 0)
        return rc;
    if (*end != '\0')
        return -EINVAL;
    *value = decimal_value(d);
    return 0;
}

int conf_uint_parse(const char *s, uint64_t max, uint64_t *value)
{
    uint64_t v;
    int rc = digits_read(&s, &v);

    if (rc == -EINVAL || *s != '\0')
        return -EINVAL;
    if (rc < 0 || v > max)
        return -ERANGE;
    *value = v;
    return 0;
}

/* The size at s up to *end; the caller checks what follows. */
static int size_read(const char *s, uint64_t *bytes, const char **end)
{
    uint64_t n, unit = 1;
    int rc = digits_read(&s, &n);

    if (rc == -EINVAL)
        return rc;
    switch (*s) {
    case 'K': unit = 1ULL << 10; s++; break;
    case 'M': unit = 1ULL << 20; s++; break;
    case 'G': unit = 1ULL << 30; s++; break;
    default: break;
    }
    if (rc == 0 && n > UINT64_MAX / unit)
        rc = -ERANGE;
    *end = s;
    if (rc == 0)
        *bytes = n * unit;
    return rc;
}

int conf_size_parse(const char *s, uint64_t *bytes)
{
    uint64_t v;
    const char *end;
    int rc = size_read(s, &v, &end);

    if (rc == -EINVAL || *end != '\0')
        return -EINVAL;
    if (rc < 0)
        return rc;
    *bytes = v;
    return 0;
}

int conf_duration_parse(const char *s, uint64_t *ns)
{
    static const struct { const char *name; uint64_t ns; } units[] = {
        { "ms", CONF_NS_PER_MS },
        { "s", CONF_NS_PER_S },
        { "m", 60 * CONF_NS_PER_S },
        { "h", 3600 * CONF_NS_PER_S },
    };
    struct decimal d;
    const char *end;
    int rc = decimal_read(s, &d, &end);

    if (rc == -EINVAL)
        return rc;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].name) != 0)
            continue;
        if (rc < 0)
            return rc;
        unsigned __int128 v = (unsigned __int128)d.mantissa * units[i].ns;
        for (unsigned k = 0; k < d.scale; k++)
            v /= 10;
        if (v > UINT64_MAX)
            return -ERANGE;
        *ns = (uint64_t)v;
        return 0;
    }
    return -EINVAL;
}

int conf_rate_parse(const char *s, double *bytes_per_s)
{
    uint64_t bytes;
    const char *end;
    double per;
    int rc = size_read(s, &bytes, &end);

    if (rc == -EINVAL || *end != '/')
        return -EINVAL;
    end++;
    if (strcmp(end, "s") == 0)
        per = 1.0;
    else if (strcmp(end, "m") == 0)
        per = 60.0;
    else if (strcmp(end, "h") == 0)
        per = 3600.0;
    else
        return -EINVAL;
    if (rc < 0)
        return rc;
    *bytes_per_s = (double)bytes / per;
    return 0;
}

int conf_mode_parse(const char *s, unsigned *mode)
{
    unsigned m = 0;
    size_t n = strlen(s);

    if (n == 0 || n > 4)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '7')
            return -EINVAL;
        m = m * 8 + (unsigned)(s[i] - '0');
    }
    if (m > 0777)
        return -ERANGE;
    *mode = m;
    return 0;
}

int conf_bool_parse(const char *s, bool *value)
{
    static const char *const yes[] = { "yes", "on", "true", "1" };
    static const char *const no[] = { "no", "off", "false", "0" };

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *value = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *value = false;
            return 0;
        }
    }
    return -EINVAL;
}
