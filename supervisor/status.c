/* status.c - status JSON, event JSON, Prometheus text (see status.h). */
#include "supervisor/status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "camarena.h"
#include "ipc/json.h"

static double ratio_of(const struct status_instance *inst)
{
    return inst->limit_bytes ? (double)inst->used_bytes / (double)inst->limit_bytes : 0.0;
}

static void shed_list(struct json_writer *w, const char *key, const struct status_pressure *p, int which)
{
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < p->cam_count; i++) {
        const struct pressure_shed *sh = &p->cams[i].shed;

        if ((which == 0 && sh->decimated) || (which == 1 && sh->held) || (which == 2 && sh->paused))
            json_string(w, p->cams[i].name);
    }
    json_array_end(w);
}

void status_pressure_write(struct json_writer *w, const struct status_pressure *p)
{
    const struct pressure_usage *u = p->usage;
    const struct hostmem *h = p->host;

    json_object_begin(w);
    json_kv_string(w, "level", pressure_level_name(p->level));
    json_kv_string(w, "previous", pressure_level_name(p->previous));
    json_kv_double(w, "ratio", u->ratio);
    json_kv_uint(w, "used_bytes", u->used_bytes);
    json_kv_uint(w, "limit_bytes", u->limit_bytes);
    json_kv_uint(w, "arena_bytes", u->arena_bytes);
    json_kv_uint(w, "self_bytes", u->self_bytes);
    json_kv_uint(w, "cameras_bytes", u->cameras_bytes);
    json_kv_uint(w, "queue_bytes", u->queue_bytes);
    json_kv_uint(w, "subscribers", p->subscribers);
    json_key(w, "actions");
    pressure_actions_json(w, p->actions, p->action_count, p->cams);
    /* A signal the host does not give (no PSI, no meminfo) is null. */
    json_key(w, "host");
    json_object_begin(w);
    json_key(w, "psi_some_avg10");
    if (h && h->psi)
        json_double(w, h->some_avg10);
    else
        json_null(w);
    json_key(w, "psi_full_avg10");
    if (h && h->psi)
        json_double(w, h->full_avg10);
    else
        json_null(w);
    json_key(w, "mem_available_bytes");
    if (h && h->meminfo)
        json_uint(w, h->available_bytes);
    else
        json_null(w);
    json_key(w, "mem_total_bytes");
    if (h && h->meminfo)
        json_uint(w, h->total_bytes);
    else
        json_null(w);
    json_object_end(w);
    json_key(w, "shed");
    json_object_begin(w);
    shed_list(w, "decimated", p, 0);
    shed_list(w, "held", p, 1);
    shed_list(w, "paused", p, 2);
    json_object_end(w);
    json_object_end(w);
}

int status_pressure_json(char *buf, size_t cap, const struct status_pressure *p)
{
    struct json_writer w;

    json_init(&w, buf, cap);
    status_pressure_write(&w, p);
    return json_finish(&w);
}

/* The reasons of camarena_frames_dropped_total and of the status' drops. */
#define DROP_REASONS 8
static const char *const drop_reasons[DROP_REASONS] = {
    "decimated", "notify", "partial", "relay", "data_rate", "data_hold", "data_queue", "data_overwritten",
};

static void drop_counts(const struct status_camera *c, uint64_t out[DROP_REASONS])
{
    const struct ipc_report *r = &c->work;
    uint64_t v[DROP_REASONS] = {
        r->dropped_decimated, r->dropped_notify,    r->dropped_partial,    c->drops_relay,
        r->dropped_data_rate, r->dropped_data_hold, r->dropped_data_queue, r->dropped_data_overwritten,
    };

    memcpy(out, v, sizeof(v));
}

static void camera_json(struct json_writer *w, const struct status_camera *c)
{
    json_object_begin(w);
    json_kv_string(w, "name", c->name);
    json_kv_string(w, "state", camera_state_name(c->state));
    json_kv_string(w, "reason", camera_reason_name(c->reason));
    json_kv_int(w, "pid", c->pid);
    json_kv_int(w, "ffmpeg_pid", c->ffmpeg_pid);
    json_kv_double(w, "fps", c->fps);
    json_kv_uint(w, "frames", c->frames);
    uint64_t drops[DROP_REASONS];
    uint64_t dropped = 0;

    drop_counts(c, drops);
    for (size_t r = 0; r < DROP_REASONS; r++)
        dropped += drops[r];
    json_kv_uint(w, "dropped", dropped);
    json_key(w, "drops");
    json_object_begin(w);
    for (size_t r = 0; r < DROP_REASONS; r++)
        json_kv_uint(w, drop_reasons[r], drops[r]);
    json_object_end(w);
    json_kv_bool(w, "data_subscribed", c->work.data_subscribed != 0);
    json_kv_uint(w, "data_frames", c->work.data_frames);
    json_kv_uint(w, "data_raw_frames", c->work.data_raw_frames);
    json_kv_uint(w, "data_bytes", c->work.data_bytes);
    json_kv_uint(w, "compressed_frames", c->work.compressed_frames);
    json_kv_uint(w, "compressed_in_bytes", c->work.compressed_in_bytes);
    json_kv_uint(w, "compressed_out_bytes", c->work.compressed_out_bytes);
    json_kv_uint(w, "restarts", c->restarts);
    json_kv_uint(w, "backoff_ms", c->backoff_ms);
    json_kv_uint(w, "memory_bytes", c->memory_bytes);
    json_kv_int(w, "last_frame_age_ms", c->last_frame_age_ms);
    json_kv_uint(w, "priority", c->priority);
    json_kv_uint(w, "decimation", c->decimation);
    json_kv_bool(w, "data_held", c->data_held);
    json_kv_string(w, "paused_by", c->paused_by ? c->paused_by : "");
    json_kv_uint(w, "memory_limit_bytes", c->memory_limit);
    json_kv_double(w, "growth_bytes_per_s", c->growth_bps);
    json_kv_string(w, "growth", growth_verdict_name(c->growth));
    json_kv_uint(w, "head_seq", c->head_seq);
    json_kv_string(w, "error", c->error ? c->error : "");
    json_object_end(w);
}

int status_json(char *buf, size_t cap, const struct status_instance *inst,
                const struct status_camera *cams, size_t count)
{
    struct json_writer w;

    json_init(&w, buf, cap);
    json_object_begin(&w);
    json_kv_string(&w, "instance", inst->name);
    json_kv_uint(&w, "generation", inst->generation);
    json_kv_int(&w, "pid", inst->pid);
    json_key(&w, "pressure");
    if (inst->pressure) {
        status_pressure_write(&w, inst->pressure);
    } else {
        struct pressure_usage u = {.used_bytes = inst->used_bytes, .limit_bytes = inst->limit_bytes,
                                   .ratio = ratio_of(inst)};
        struct status_pressure none = {.usage = &u};

        status_pressure_write(&w, &none);
    }
    json_kv_uint(&w, "relay_dropped", inst->relay_dropped);
    json_key(&w, "cameras");
    json_array_begin(&w);
    for (size_t i = 0; i < count; i++)
        camera_json(&w, &cams[i]);
    json_array_end(&w);
    json_object_end(&w);
    return json_finish(&w);
}

int status_event_json(char *buf, size_t cap, const struct status_event *ev)
{
    struct json_writer w;

    json_init(&w, buf, cap);
    json_object_begin(&w);
    json_kv_string(&w, "camera", ev->camera);
    json_kv_string(&w, "state", ev->state);
    json_kv_string(&w, "reason", camera_reason_name(ev->reason));
    json_kv_uint(&w, "restarts", ev->restarts);
    json_kv_uint(&w, "backoff_ms", ev->backoff_ms);
    json_kv_string(&w, "error", ev->error ? ev->error : "");
    json_kv_int(&w, "exit_status", ev->exit_status);
    json_kv_int(&w, "signal", ev->signal);
    json_kv_int(&w, "worker_status", ev->worker_status);
    json_kv_int(&w, "pid", ev->pid);
    json_kv_uint(&w, "head_seq", ev->head_seq);
    if (ev->growth_bps != 0)
        json_kv_double(&w, "growth_bytes_per_s", ev->growth_bps);
    json_object_end(&w);
    return json_finish(&w);
}

/* Prometheus text, appended to a fixed buffer. */
struct text {
    char *buf;
    size_t cap, len;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->overflow)
        return;
    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len) {
        t->overflow = true;
        t->buf[t->len] = '\0';
        return;
    }
    t->len += (size_t)n;
}

static void head(struct text *t, const char *name, const char *type, const char *help)
{
    add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_pressure(struct text *t, const struct status_instance *inst,
                             const struct status_camera *cams, size_t count)
{
    const struct status_pressure *p = inst->pressure;
    const struct hostmem *h = p ? p->host : NULL;

    head(t, "camarena_pressure_level", "gauge", "Pressure level: 0 none, 1 low, 2 moderate, 3 high, 4 critical.");
    add(t, "camarena_pressure_level %d\n", p ? (int)p->level : 0);
    head(t, "camarena_pressure_ratio", "gauge", "Used memory over global_limit.");
    add(t, "camarena_pressure_ratio %.6f\n", p ? p->usage->ratio : ratio_of(inst));
    head(t, "camarena_memory_queue_bytes", "gauge", "What the publish queues can hold at most, counted as used.");
    add(t, "camarena_memory_queue_bytes %" PRIu64 "\n", p ? p->usage->queue_bytes : 0);
    head(t, "camarena_memory_limit_camera_bytes", "gauge", "A camera's memory_limit (0: none).");
    for (size_t i = 0; i < count; i++)
        add(t, "camarena_memory_limit_camera_bytes{camera=\"%s\"} %" PRIu64 "\n", cams[i].name,
            cams[i].memory_limit);
    head(t, "camarena_memory_growth_bytes_per_second", "gauge", "A camera's memory growth, least squares.");
    for (size_t i = 0; i < count; i++)
        add(t, "camarena_memory_growth_bytes_per_second{camera=\"%s\"} %.3f\n", cams[i].name,
            cams[i].growth_bps);
    head(t, "camarena_camera_decimation", "gauge", "N of keep-every-Nth frame (1 keeps all).");
    for (size_t i = 0; i < count; i++)
        add(t, "camarena_camera_decimation{camera=\"%s\"} %" PRIu32 "\n", cams[i].name, cams[i].decimation);
    head(t, "camarena_camera_data_held", "gauge", "1 while pressure holds a camera's data/ publishing.");
    for (size_t i = 0; i < count; i++)
        add(t, "camarena_camera_data_held{camera=\"%s\"} %d\n", cams[i].name, cams[i].data_held ? 1 : 0);
    if (h && h->psi) {
        head(t, "camarena_host_memory_pressure_some_avg10", "gauge",
             "/proc/pressure/memory: % of the last 10 s some task stalled on memory.");
        add(t, "camarena_host_memory_pressure_some_avg10 %.2f\n", h->some_avg10);
        head(t, "camarena_host_memory_pressure_full_avg10", "gauge",
             "/proc/pressure/memory: % of the last 10 s every task stalled on memory.");
        add(t, "camarena_host_memory_pressure_full_avg10 %.2f\n", h->full_avg10);
    }
    if (h && h->meminfo) {
        head(t, "camarena_host_memory_available_bytes", "gauge", "The host's MemAvailable.");
        add(t, "camarena_host_memory_available_bytes %" PRIu64 "\n", h->available_bytes);
        head(t, "camarena_host_memory_total_bytes", "gauge", "The host's MemTotal.");
        add(t, "camarena_host_memory_total_bytes %" PRIu64 "\n", h->total_bytes);
    }
    head(t, "camarena_relay_dropped_total", "counter", "Messages the relay could not send that name no camera.");
    add(t, "camarena_relay_dropped_total %" PRIu64 "\n", inst->relay_dropped);
}

/* Camera names are [A-Za-z0-9_-], so they need no escaping in a label. */
int status_metrics(char *buf, size_t cap, const struct status_instance *inst,
                   const struct status_camera *cams, size_t count)
{
    static const enum camera_reason restart_reasons[] = {
        CAMERA_REASON_EXIT, CAMERA_REASON_SIGNAL, CAMERA_REASON_STALLED, CAMERA_REASON_UNRESPONSIVE,
        CAMERA_REASON_MEMORY, CAMERA_REASON_LEAK, CAMERA_REASON_PRESSURE, CAMERA_REASON_OPERATOR,
        CAMERA_REASON_RELOAD,
    };
    struct text t = {buf, cap, 0, cap == 0};

    if (cap == 0)
        return -ENOBUFS;
    buf[0] = '\0';
    head(&t, "camarena_frames_total", "counter", "Frames committed to the arena.");
    for (size_t i = 0; i < count; i++)
        add(&t, "camarena_frames_total{camera=\"%s\"} %" PRIu64 "\n", cams[i].name, cams[i].frames);
    head(&t, "camarena_frames_dropped_total", "counter", "Frames dropped, by reason.");
    for (size_t i = 0; i < count; i++) {
        uint64_t v[DROP_REASONS];

        drop_counts(&cams[i], v);
        for (size_t r = 0; r < DROP_REASONS; r++)
            add(&t, "camarena_frames_dropped_total{camera=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
                cams[i].name, drop_reasons[r], v[r]);
    }
    head(&t, "camarena_publish_bytes_total", "counter",
         "Bytes of data/ messages published: topic, frame header and payload.");
    for (size_t i = 0; i < count; i++)
        add(&t, "camarena_publish_bytes_total{camera=\"%s\"} %" PRIu64 "\n", cams[i].name,
            cams[i].work.data_bytes +
                cams[i].work.data_frames * (strlen("data//") + strlen(cams[i].name) + CAMARENA_FRAME_HEADER_SIZE));
    head(&t, "camarena_restarts_total", "counter", "Restarts of a camera's worker and FFmpeg, by reason.");
    for (size_t i = 0; i < count; i++)
        for (size_t r = 0; r < sizeof(restart_reasons) / sizeof(restart_reasons[0]); r++)
            add(&t, "camarena_restarts_total{camera=\"%s\",reason=\"%s\"} %" PRIu64 "\n", cams[i].name,
                camera_reason_name(restart_reasons[r]), cams[i].restarts_by_reason[restart_reasons[r]]);
    head(&t, "camarena_camera_state", "gauge",
         "Camera state: 0 stopped, 1 starting, 2 running, 3 backoff, 4 paused.");
    for (size_t i = 0; i < count; i++)
        add(&t, "camarena_camera_state{camera=\"%s\"} %d\n", cams[i].name, (int)cams[i].state);
    head(&t, "camarena_camera_fps", "gauge", "Frames per second over the last monitor intervals.");
    for (size_t i = 0; i < count; i++)
        add(&t, "camarena_camera_fps{camera=\"%s\"} %.3f\n", cams[i].name, cams[i].fps);
    head(&t, "camarena_frame_age_seconds", "gauge", "Age of the newest frame (NaN while there is none).");
    for (size_t i = 0; i < count; i++) {
        if (cams[i].last_frame_age_ms < 0)
            add(&t, "camarena_frame_age_seconds{camera=\"%s\"} NaN\n", cams[i].name);
        else
            add(&t, "camarena_frame_age_seconds{camera=\"%s\"} %.3f\n", cams[i].name,
                (double)cams[i].last_frame_age_ms / 1000.0);
    }
    head(&t, "camarena_memory_bytes", "gauge", "Private memory of a camera's worker and FFmpeg.");
    for (size_t i = 0; i < count; i++)
        add(&t, "camarena_memory_bytes{camera=\"%s\"} %" PRIu64 "\n", cams[i].name, cams[i].memory_bytes);
    head(&t, "camarena_memory_used_bytes", "gauge", "Memory used by the instance: the arena and every process.");
    add(&t, "camarena_memory_used_bytes %" PRIu64 "\n", inst->used_bytes);
    head(&t, "camarena_memory_limit_bytes", "gauge", "The instance's global_limit.");
    add(&t, "camarena_memory_limit_bytes %" PRIu64 "\n", inst->limit_bytes);
    metrics_pressure(&t, inst, cams, count);
    head(&t, "camarena_backoff_seconds", "gauge", "The last backoff delay chosen for a camera.");
    for (size_t i = 0; i < count; i++)
        add(&t, "camarena_backoff_seconds{camera=\"%s\"} %.3f\n", cams[i].name,
            (double)cams[i].backoff_ms / 1000.0);
    return t.overflow ? -ENOBUFS : (int)t.len;
}
