/* stats.h - camarena-sub's per-camera counters for --stats: frames, frames
 * lost (frame_seq gaps), frames overwritten before they were read, and the
 * notification latency's p50/p99 over each period. Fixed size: recording a
 * frame never allocates. */
#ifndef CAMARENA_TOOLS_SUB_STATS_H
#define CAMARENA_TOOLS_SUB_STATS_H

#include <stddef.h>
#include <stdint.h>

#define SUB_STATS_SAMPLES 2048 /* latencies kept per period; beyond, a uniform sample */

struct sub_stats {
    uint64_t last_seq;         /* newest frame_seq seen, 0 before the first; kept across periods */
    uint64_t frames;           /* frames read whole in this period */
    uint64_t lost;             /* frame_seq gaps in this period */
    uint64_t overwritten;      /* notified frames gone before they were read */
    uint64_t seen;             /* latencies offered in this period */
    uint32_t rng;              /* state of the sampling generator */
    uint32_t nlat;             /* latencies kept */
    uint64_t lat_ns[SUB_STATS_SAMPLES];
};

/* Clears everything, last_seq included. */
void sub_stats_init(struct sub_stats *s);

/* Accounts for the notification of frame seq (gaps since the last one count
 * as lost; a seq at or below the last one, as after a supervisor restart,
 * starts counting afresh) and records its latency. */
void sub_stats_notified(struct sub_stats *s, uint64_t seq, uint64_t latency_ns);

/* Counts a notified frame that was read whole, or one overwritten first. */
void sub_stats_read(struct sub_stats *s);
void sub_stats_overwritten(struct sub_stats *s);

/* Returns the p-th percentile (0..100) of the latencies kept, nearest rank,
 * in nanoseconds, or 0 if none. Reorders the samples. */
uint64_t sub_stats_percentile(struct sub_stats *s, double p);

/* Writes the period's line "CAMERA fps F latency p50 Xms p99 Yms lost L
 * overwritten O" (no newline) into out for a period of period_s seconds, and
 * starts a new period. Returns out. */
char *sub_stats_line(struct sub_stats *s, const char *camera, double period_s, char *out, size_t outlen);

#endif
