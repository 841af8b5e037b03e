/* data.h - what data/<camera>/ publishing decides without a process: who subscribes, the rate's token bucket, the queue's bound.
 *
 * Nothing here allocates, blocks or reads a clock: the worker feeds in the
 * subscription messages its XPUB receives and the frames' capture times. */
#ifndef CAMARENA_WORKER_DATA_H
#define CAMARENA_WORKER_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena/layout.h"

#define DATA_TOPIC_MAX (8 + ARENA_NAME_MAX + 2) /* "data/" + a camera + "/" + NUL, with room */

/* Whether any subscription matches one topic.
 *
 * A ZeroMQ subscription is a prefix: it matches data/<camera>/ exactly when
 * it is a prefix of it, so "", "d", "data/" and "data/<camera>/" all match,
 * and each matching prefix is named by its length alone. The set records,
 * per length, whether that prefix is subscribed. Subscribing sets it and
 * unsubscribing clears it, so a repeated message changes nothing: a
 * subscription resent when a connection is made again, or repeated by a
 * verbose XPUB somewhere upstream, cannot leave it counted twice.
 *
 * Clearing on one unsubscription is right because of what reaches the
 * worker: camarenad's public XPUB and the worker's own XPUB (whose only peer
 * is camarenad's XSUB) both pass an unsubscription on only when the last
 * subscriber of that prefix has gone (ZeroMQ's default, not
 * ZMQ_XPUB_VERBOSER). While one client holds "data/" and another holds
 * "data/<camera>/", the camera stays subscribed until both have left. When
 * the worker's connection to camarenad breaks, its XPUB unsubscribes
 * everything the connection had; on reconnection the XSUB sends its
 * subscriptions again. */
struct data_subs {
    char topic[DATA_TOPIC_MAX];     /* data/<camera>/ */
    size_t topic_len;
    bool on[DATA_TOPIC_MAX + 1];    /* on[n]: the topic's first n bytes are subscribed */
    uint32_t count;                 /* how many of on[] are set */
};

/* Sets s to no subscriptions for topic (len bytes, at most DATA_TOPIC_MAX - 1). */
void data_subs_init(struct data_subs *s, const char *topic, size_t len);

/* Feeds one message an XPUB received: 0x01 + prefix subscribes, 0x00 +
 * prefix unsubscribes. Returns 1 if whether anyone subscribes changed, 0 if
 * not (also for prefixes that do not match), -EINVAL for a message that is
 * neither. */
int data_subs_feed(struct data_subs *s, const void *msg, size_t len);

/* True while at least one subscribed prefix matches the topic. */
static inline bool data_subs_any(const struct data_subs *s)
{
    return s->count > 0;
}

/* The rate limit: a token bucket in bytes. It refills at rate bytes per
 * second of the frames' own capture times and holds at most size bytes:
 * one second's budget, or the largest message if that is more, so that
 * every message can be sent at some rate. Over any run of frames whose
 * capture times span T seconds, the bytes let through stay within
 * rate x T + size. */
struct data_bucket {
    uint64_t rate;      /* bytes per second, 0 = no limit */
    double size;        /* capacity, bytes */
    double tokens;      /* bytes that may be sent now */
    uint64_t last_ns;   /* time of the last refill, 0 before the first */
};

/* Sets b full, for rate bytes per second (0: everything passes) and
 * messages of at most largest bytes. */
void data_bucket_init(struct data_bucket *b, uint64_t rate, uint64_t largest);

/* Refills b up to now_ns and returns true if need bytes may be sent. Takes
 * nothing: the caller takes what it really sent with data_bucket_take. A
 * time earlier than the last one refills nothing. */
bool data_bucket_allows(struct data_bucket *b, uint64_t now_ns, uint64_t need);

/* Takes bytes from b (it never goes below 0). */
void data_bucket_take(struct data_bucket *b, uint64_t bytes);

/* What data/ may queue: DATA_QUEUE_BUDGET bytes, counting the message
 * ZeroMQ's I/O thread is writing, and never fewer than DATA_QUEUE_MIN
 * messages in the queue, so that frames larger than a third of the budget
 * can still be sent while the one before is on its way (the bound is then
 * (DATA_QUEUE_MIN + 1) messages). */
#define DATA_QUEUE_BUDGET (8u << 20)
#define DATA_QUEUE_MIN 2

/* Returns the ZMQ_SNDHWM, in messages, for data/ messages of at most
 * message_bytes (> 0): DATA_QUEUE_BUDGET / message_bytes - 1, at least
 * DATA_QUEUE_MIN. */
int data_queue_hwm(uint64_t message_bytes);

/* Returns the most bytes of data/ messages the worker's side can hold for
 * that high-water mark: the hwm messages in the socket's queue and the one
 * ZeroMQ's I/O thread is writing. */
uint64_t data_queue_bytes_max(int hwm, uint64_t message_bytes);

#endif
