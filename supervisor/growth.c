/* growth.c - least-squares memory growth (see growth.h). */
#include "supervisor/growth.h"

#include <assert.h>
#include <stdlib.h>

void growth_config_init(struct growth_config *cfg, double warning_bps, double critical_bps)
{
    cfg->warning_bps = warning_bps;
    cfg->critical_bps = critical_bps;
    cfg->warmup_ns = GROWTH_WARMUP_NS;
    cfg->spacing_ns = 0;
    cfg->min_samples = GROWTH_MIN_SAMPLES;
}

void growth_reset(struct growth *g, uint64_t started_ns)
{
    g->started_ns = started_ns;
    g->head = 0;
    g->count = 0;
    g->slope_bps = 0;
    g->verdict = GROWTH_NONE;
}

/* Times and sizes are taken relative to the first sample, so that the sums
 * stay small and a double loses nothing that matters. */
double growth_slope(const uint64_t *t_ns, const uint64_t *bytes, unsigned n)
{
    double st = 0, sb = 0, stt = 0, stb = 0, mt, mb;

    if (n < 2)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        st += (double)(int64_t)(t_ns[i] - t_ns[0]) / 1e9;
        sb += (double)(int64_t)(bytes[i] - bytes[0]);
    }
    mt = st / n;
    mb = sb / n;
    for (unsigned i = 0; i < n; i++) {
        double dt = (double)(int64_t)(t_ns[i] - t_ns[0]) / 1e9 - mt;
        double db = (double)(int64_t)(bytes[i] - bytes[0]) - mb;

        stt += dt * dt;
        stb += dt * db;
    }
    return stt > 0 ? stb / stt : 0;
}

enum growth_verdict growth_add(struct growth *g, const struct growth_config *cfg, uint64_t now_ns, uint64_t bytes)
{
    uint64_t t[GROWTH_SAMPLES], b[GROWTH_SAMPLES];
    unsigned last = (g->head + GROWTH_SAMPLES - 1) % GROWTH_SAMPLES, oldest;

    assert(cfg->min_samples >= 2 && cfg->min_samples <= GROWTH_SAMPLES);
    if (now_ns < g->started_ns || now_ns - g->started_ns < cfg->warmup_ns)
        return g->verdict;
    if (g->count > 0 && (now_ns <= g->t_ns[last] || now_ns - g->t_ns[last] < cfg->spacing_ns))
        return g->verdict;
    g->t_ns[g->head] = now_ns;
    g->bytes[g->head] = bytes;
    g->head = (g->head + 1) % GROWTH_SAMPLES;
    if (g->count < GROWTH_SAMPLES)
        g->count++;
    if (g->count < cfg->min_samples) {
        g->slope_bps = 0;
        g->verdict = GROWTH_NONE;
        return g->verdict;
    }
    /* Oldest first, so that growth_slope's reference point is the oldest. */
    oldest = (g->head + GROWTH_SAMPLES - g->count) % GROWTH_SAMPLES;
    for (unsigned i = 0; i < g->count; i++) {
        t[i] = g->t_ns[(oldest + i) % GROWTH_SAMPLES];
        b[i] = g->bytes[(oldest + i) % GROWTH_SAMPLES];
    }
    g->slope_bps = growth_slope(t, b, g->count);
    g->verdict = GROWTH_NONE;
    if (g->slope_bps > cfg->critical_bps)
        g->verdict = GROWTH_CRITICAL;
    else if (g->slope_bps > cfg->warning_bps)
        g->verdict = GROWTH_WARNING;
    return g->verdict;
}

const char *growth_verdict_name(enum growth_verdict v)
{
    static const char *const names[] = {"none", "warning", "critical"};

    if ((unsigned)v > GROWTH_CRITICAL)
        abort();
    return names[v];
}
