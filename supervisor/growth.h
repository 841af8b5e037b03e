/* growth.h - a camera's memory growth: the least-squares slope of its
 * memory over a sliding window of samples, judged against growth_warning
 * and growth_critical (SPEC 8), for leak detection.
 *
 * One struct growth per camera, kept by the caller. The window is a fixed
 * ring inside the struct: adding a sample allocates nothing. Time comes in
 * as arguments (monotonic nanoseconds), so tests drive it directly. */
#ifndef CAMARENA_SUPERVISOR_GROWTH_H
#define CAMARENA_SUPERVISOR_GROWTH_H

#include <stdint.h>

#define GROWTH_SAMPLES 60              /* the window: the newest 60 kept samples */
#define GROWTH_WARMUP_NS 60000000000ull /* SPEC 8: the first minute after a start is ignored */
#define GROWTH_MIN_SAMPLES 10          /* no verdict on fewer samples */

enum growth_verdict {
    GROWTH_NONE,     /* too few samples, or growth at or below growth_warning */
    GROWTH_WARNING,  /* slope > growth_warning: publish a "warning" event */
    GROWTH_CRITICAL, /* slope > growth_critical: restart with reason "leak" */
};

struct growth_config {
    double warning_bps;       /* conf growth_warning, bytes per second */
    double critical_bps;      /* conf growth_critical, bytes per second, > warning_bps */
    uint64_t warmup_ns;       /* samples this soon after the start are ignored: GROWTH_WARMUP_NS */
    uint64_t spacing_ns;      /* a sample closer than this to the last kept one is ignored; 0 keeps all */
    unsigned min_samples;     /* GROWTH_MIN_SAMPLES, 2..GROWTH_SAMPLES */
};

struct growth {
    uint64_t started_ns;               /* the unit's start */
    uint64_t t_ns[GROWTH_SAMPLES];     /* ring of kept samples */
    uint64_t bytes[GROWTH_SAMPLES];
    unsigned head;                     /* where the next sample goes */
    unsigned count;                    /* samples in the ring, <= GROWTH_SAMPLES */
    double slope_bps;                  /* of the last judged window, 0 until judged */
    enum growth_verdict verdict;       /* of the last growth_add */
};

/* Fills *cfg with the defaults above and the two rates. */
void growth_config_init(struct growth_config *cfg, double warning_bps, double critical_bps);

/* Empties the window for a unit started at started_ns: call at every
 * (re)start, so that a new process's memory is never fitted together with
 * the old one's. Also the initializer. */
void growth_reset(struct growth *g, uint64_t started_ns);

/* Adds the sample (now_ns, bytes) and returns the verdict on the window,
 * also left in g->verdict with the slope in g->slope_bps. The sample is
 * ignored, and the last verdict and slope are kept and returned, if it falls
 * within warmup_ns of the start (the verdict is then GROWTH_NONE: nothing has
 * been judged since the reset), or within spacing_ns of the last kept
 * sample, or is not newer than it. With fewer than min_samples kept, the
 * verdict is GROWTH_NONE and the slope 0. Never fails. */
enum growth_verdict growth_add(struct growth *g, const struct growth_config *cfg, uint64_t now_ns, uint64_t bytes);

/* The least-squares slope, in bytes per second, of the n samples (t_ns[i],
 * bytes[i]); 0 if n < 2 or every t is the same. Exposed for the tests. */
double growth_slope(const uint64_t *t_ns, const uint64_t *bytes, unsigned n);

/* "none" "warning" "critical". */
const char *growth_verdict_name(enum growth_verdict v);

#endif
