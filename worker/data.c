/* data.c - data/<camera>/ subscriptions, the rate's token bucket, the queue's bound. */
#include "worker/data.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

void data_subs_init(struct data_subs *s, const char *topic, size_t len)
{
    assert(s && topic && len < DATA_TOPIC_MAX);
    memset(s, 0, sizeof *s);
    memcpy(s->topic, topic, len);
    s->topic_len = len;
}

int data_subs_feed(struct data_subs *s, const void *msg, size_t len)
{
    const uint8_t *m = msg;
    if (len < 1 || (m[0] != 0 && m[0] != 1))
        return -EINVAL;
    size_t plen = len - 1;
    if (plen > s->topic_len || memcmp(m + 1, s->topic, plen) != 0)
        return 0;
    bool want = m[0] == 1;
    if (s->on[plen] == want)
        return 0;
    bool before = s->count > 0;
    s->on[plen] = want;
    s->count += want ? 1 : (uint32_t)-1;
    return before != (s->count > 0);
}

void data_bucket_init(struct data_bucket *b, uint64_t rate, uint64_t largest)
{
    b->rate = rate;
    b->size = (double)(rate > largest ? rate : largest);
    b->tokens = b->size;
    b->last_ns = 0;
}

bool data_bucket_allows(struct data_bucket *b, uint64_t now_ns, uint64_t need)
{
    if (b->rate == 0)
        return true;
    if (b->last_ns != 0 && now_ns > b->last_ns) {
        b->tokens += (double)b->rate * (double)(now_ns - b->last_ns) / 1e9;
        if (b->tokens > b->size)
            b->tokens = b->size;
    }
    if (now_ns > b->last_ns)
        b->last_ns = now_ns;
    return b->tokens >= (double)need;
}

void data_bucket_take(struct data_bucket *b, uint64_t bytes)
{
    if (b->rate == 0)
        return;
    b->tokens -= (double)bytes;
    if (b->tokens < 0)
        b->tokens = 0;
}

int data_queue_hwm(uint64_t message_bytes)
{
    assert(message_bytes > 0);
    uint64_t n = DATA_QUEUE_BUDGET / message_bytes;
    /* One message more is in the I/O thread's hands (data_queue_bytes_max). */
    n = n > 0 ? n - 1 : 0;
    return n < DATA_QUEUE_MIN ? DATA_QUEUE_MIN : (int)n;
}

uint64_t data_queue_bytes_max(int hwm, uint64_t message_bytes)
{
    return ((uint64_t)hwm + 1) * message_bytes;
}
