/* stats.c - camarena-sub's per-camera counters (see stats.h). */
#include "tools/sub/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sub_stats_init(struct sub_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->rng = 0x9e3779b9u;
}

static uint32_t xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

void sub_stats_notified(struct sub_stats *s, uint64_t seq, uint64_t latency_ns)
{
    if (s->last_seq && seq > s->last_seq + 1)
        s->lost += seq - s->last_seq - 1;
    s->last_seq = seq;
    s->seen++;
    if (s->nlat < SUB_STATS_SAMPLES) {
        s->lat_ns[s->nlat++] = latency_ns;
        return;
    }
    /* Reservoir sampling keeps every latency of the period equally likely. */
    uint64_t k = xorshift32(&s->rng) % s->seen;
    if (k < SUB_STATS_SAMPLES)
        s->lat_ns[k] = latency_ns;
}

void sub_stats_read(struct sub_stats *s)
{
    s->frames++;
}

void sub_stats_overwritten(struct sub_stats *s)
{
    s->overwritten++;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

uint64_t sub_stats_percentile(struct sub_stats *s, double p)
{
    if (s->nlat == 0)
        return 0;
    qsort(s->lat_ns, s->nlat, sizeof(s->lat_ns[0]), cmp_u64);
    double rank = ceil(p / 100.0 * s->nlat);
    size_t i = rank < 1 ? 0 : (size_t)rank - 1;
    if (i >= s->nlat)
        i = s->nlat - 1;
    return s->lat_ns[i];
}

char *sub_stats_line(struct sub_stats *s, const char *camera, double period_s, char *out, size_t outlen)
{
    double fps = period_s > 0 ? (double)s->frames / period_s : 0;
    if (s->nlat) {
        double p50 = (double)sub_stats_percentile(s, 50) / 1e6;
        double p99 = (double)sub_stats_percentile(s, 99) / 1e6;
        snprintf(out, outlen, "%s fps %.1f latency p50 %.3fms p99 %.3fms lost %llu overwritten %llu", camera,
                 fps, p50, p99, (unsigned long long)s->lost, (unsigned long long)s->overwritten);
    } else {
        snprintf(out, outlen, "%s fps %.1f latency p50 - p99 - lost %llu overwritten %llu", camera, fps,
                 (unsigned long long)s->lost, (unsigned long long)s->overwritten);
    }
    uint64_t last = s->last_seq;
    uint32_t rng = s->rng;
    memset(s, 0, sizeof(*s));
    s->last_seq = last;
    s->rng = rng;
    return out;
}
