/* backoff.h - restart delays of SPEC 7: exponential, capped, jittered, reset by a healthy run. */
#ifndef CAMARENA_SUPERVISOR_BACKOFF_H
#define CAMARENA_SUPERVISOR_BACKOFF_H

#include <stdint.h>

/* Returns a uniform random number in [0, 1). ctx is the source's own state. */
typedef double (*backoff_rand_fn)(void *ctx);

struct backoff {
    uint64_t initial_ns;   /* delay after the first failed run */
    uint64_t max_ns;       /* cap before jitter */
    double multiplier;     /* >= 1 */
    double jitter;         /* 0..1: each delay is scaled by 1 +/- jitter, uniformly */
    uint32_t failures;     /* n: consecutive failed runs */
    backoff_rand_fn rand;  /* the random source; NULL uses random() */
    void *rand_ctx;
};

/* Sets the parameters and n = 0. rand may be NULL (random()); tests inject
 * their own. */
void backoff_init(struct backoff *b, uint64_t initial_ns, uint64_t max_ns, double multiplier,
                  double jitter, backoff_rand_fn rand, void *rand_ctx);

/* Returns min(max, initial x multiplier^(n-1)) for n >= 1 (initial for n <= 1),
 * before jitter. Never overflows: large n gives max. */
uint64_t backoff_base(const struct backoff *b, uint32_t n);

/* Counts one more failed run and returns its delay: backoff_base(n) scaled by
 * 1 + jitter x (2u - 1) with u from the random source. */
uint64_t backoff_next(struct backoff *b);

/* A run was healthy for backoff_reset: the next failure is the first again. */
void backoff_reset(struct backoff *b);

#endif
