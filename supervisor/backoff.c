/* backoff.c - restart delays (see backoff.h). */
#include "supervisor/backoff.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

static double default_rand(void *ctx)
{
    (void)ctx;
    return (double)random() / ((double)RAND_MAX + 1.0);
}

void backoff_init(struct backoff *b, uint64_t initial_ns, uint64_t max_ns, double multiplier,
                  double jitter, backoff_rand_fn rand, void *rand_ctx)
{
    assert(multiplier >= 1.0 && jitter >= 0.0 && jitter <= 1.0);
    b->initial_ns = initial_ns;
    b->max_ns = max_ns < initial_ns ? initial_ns : max_ns;
    b->multiplier = multiplier;
    b->jitter = jitter;
    b->failures = 0;
    b->rand = rand ? rand : default_rand;
    b->rand_ctx = rand ? rand_ctx : NULL;
}

uint64_t backoff_base(const struct backoff *b, uint32_t n)
{
    double d = (double)b->initial_ns;

    /* Multiplying step by step stops as soon as the cap is reached, so no
     * power of a large n is ever computed. */
    for (uint32_t i = 1; i < n && d < (double)b->max_ns; i++)
        d *= b->multiplier;
    if (d >= (double)b->max_ns)
        return b->max_ns;
    return (uint64_t)d;
}

uint64_t backoff_next(struct backoff *b)
{
    double u, d;

    if (b->failures < UINT32_MAX)
        b->failures++;
    u = b->rand(b->rand_ctx);
    if (u < 0.0)
        u = 0.0;
    if (u >= 1.0)
        u = nextafter(1.0, 0.0);
    d = (double)backoff_base(b, b->failures) * (1.0 + b->jitter * (2.0 * u - 1.0));
    return d < 0.0 ? 0 : (uint64_t)llround(d);
}

void backoff_reset(struct backoff *b)
{
    b->failures = 0;
}
