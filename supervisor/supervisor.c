/* supervisor.c - camarenad's instance and its event loop (see supervisor.h). */
#define _GNU_SOURCE
#include "supervisor/supervisor.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "arena/arena.h"
#include "ipc/proto.h"
#include "supervisor/backoff.h"
#include "supervisor/camera.h"
#include "supervisor/control.h"
#include "supervisor/growth.h"
#include "supervisor/hostmem.h"
#include "supervisor/log.h"
#include "supervisor/plan.h"
#include "supervisor/pressure.h"
#include "supervisor/procmem.h"
#include "supervisor/reload.h"
#include "supervisor/spawn.h"
#include "supervisor/status.h"
#include "supervisor/zap.h"

#define STOP_GRACE_NS (5ull * 1000000000ull)   /* SPEC 6: workers are killed after 5 s */
#define REAP_GRACE_NS (2ull * 1000000000ull)   /* after the SIGKILLs, how long to wait for the reaps */
#define STARTUP_GRACE_NS (5ull * 1000000000ull) /* added to stall_timeout for a worker's first report */
#define FPS_SAMPLES 5                          /* monitor intervals fps is measured over */
#define PUB_SNDHWM 256                         /* messages queued per subscriber */
#define UP_RCVHWM 4                            /* messages queued from each worker socket: camarenad drains
                                                * them at once, a burst waits in the worker's own queue */
#define EVENT_MAX 2048                         /* bytes of one event's JSON */
#define PUB_MONITOR "inproc://camarenad-pub-monitor" /* connections to the publish endpoints */
#define NS_PER_MS 1000000ull
#define RELOAD_REPLY_MAX (CONF_ERRORS_MAX + 4096) /* bytes of reload's reply: every conf error fits */

enum { SOCK_PUB, SOCK_CTL, SOCK_UP, SOCK_WRK, SOCK_COUNT };

/* One run of a camera's worker and FFmpeg. pid is 0 when there is none. */
struct unit {
    pid_t pid;
    int status_fd;               /* read end of the status pipe, -1 if none */
    bool ending;                 /* told to stop or killed: its exit is not a failure */
    uint64_t stop_deadline_ns;   /* SIGKILL the group then; 0 if not stopping */
    uint64_t started_ns;
    bool reported;               /* a report came: the worker is up and FFmpeg started */
    uint64_t last_report_ns;     /* the spawn time until the first report */
    uint64_t last_progress_ns;   /* when head_seq last moved, or the first report, or the spawn time */
    uint64_t head_at_start;      /* head_seq when the unit was spawned */
    struct ipc_report report;    /* the last report, zeroed at spawn */
    struct procmem mem_worker;   /* memory samples of the worker and of its FFmpeg, zeroed at spawn */
    struct procmem mem_ffmpeg;
};

/* What the last unit's end told. */
struct exit_info {
    int exit_status;  /* FFmpeg's, or -1 */
    int signal;       /* or 0 */
    int worker_status;/* or -1 */
    pid_t pid;
    const char *error;
};

struct cam {
    const struct conf_camera *conf;
    uint32_t index;                 /* arena descriptor */
    enum camera_state state;
    enum camera_reason reason;      /* of the last transition */
    struct backoff backoff;
    uint64_t backoff_deadline_ns;   /* 0 when not armed */
    uint64_t backoff_ms;            /* the last delay chosen */
    uint64_t running_since_ns;
    bool spawn_pending;             /* start a unit once the old one is reaped */
    bool stale;                     /* a stale event was published for the current newest frame */
    struct unit unit;
    uint64_t last_head;
    struct ipc_report done;         /* the counters of its finished runs, summed (ipc_report_add) */
    uint64_t drops_relay;           /* its messages the relay could not send */
    bool data_held;                 /* its data/ publishing is held: told to every unit at its first report */
    bool operator_paused;           /* paused by the operator: pressure never resumes it */
    bool removing;                  /* removed by a reload: stopped, dropped with its descriptor once reaped */
    struct growth growth;           /* memory growth of the current run */
    bool growth_warned;             /* a "warning" event was published for the current run */
    uint64_t restarts;
    uint64_t restarts_by_reason[CAMERA_REASON_COUNT];
    uint32_t decimation;
    uint64_t memory_bytes;          /* private memory of worker + FFmpeg (procmem.h), 0 without a unit */
    uint64_t memory_anon;           /* the anonymous part of it, on which growth is judged */
    uint64_t fps_t[FPS_SAMPLES], fps_head[FPS_SAMPLES];
    unsigned fps_n, fps_i;
    double fps;
    char error[IPC_EXIT_LINE_MAX];  /* the last error line; cleared when frames flow again */
};

/* A camera a reload adds once the cameras it removes are reaped. */
struct reload_add {
    const struct conf_camera *conf; /* in the new conf */
    uint32_t index;                 /* the free descriptor chosen */
    struct arena_part part;         /* its partition, placed in the free room */
};

struct supervisor {
    const struct conf *conf;        /* the running conf: main's, or the last one a reload read */
    struct conf *conf_owned;        /* the running conf when a reload read it (freed at the end) */
    struct conf *conf_retired;      /* the conf before the last reload, if a reload read it: freed once no
                                     * camera points into it */
    size_t capacity;                /* cams, pcams, camera_bytes and adds hold max_cameras: never reallocated */
    bool reload_pending;            /* a reload waits for the reaps of the cameras it removed */
    struct reload_add *adds;        /* what it adds then */
    size_t add_count;
    struct arena arena;
    struct arena_plan plan;
    bool arena_open;
    void *zctx;
    void *sock[SOCK_COUNT];
    char endpoint[SOCK_COUNT][IPC_ENDPOINT_MAX];
    char **bound_files;             /* socket files to remove at the end */
    size_t bound_count;
    int sigfd;
    sigset_t old_mask;
    char worker_path[PATH_MAX];
    uint32_t report_ms;
    struct cam *cams;               /* ncams in use, in no particular order; cams[i].index is the descriptor */
    size_t ncams;
    bool stopping;
    bool killed_all;
    uint64_t stop_deadline_ns;
    uint64_t next_tick_ns;
    uint64_t relay_dropped;         /* what the relay could not send and names no camera */
    struct procmem self_mem;        /* camarenad's own memory samples */
    uint64_t self_memory;
    struct pressure pressure;
    enum pressure_level previous_level; /* before the last interval */
    struct pressure_usage usage;    /* of the last interval */
    struct growth_config growth_cfg;
    struct hostmem host;            /* of the last interval */
    int psi_fd;                     /* PSI trigger, -1 where the kernel refuses it */
    struct pressure_camera *pcams;  /* the planner's view, one per camera, kept for names and shed flags */
    struct pressure_action *actions;/* of the last interval */
    size_t action_count;
    uint64_t *camera_bytes;         /* scratch for pressure_account */
    void *monitor;                  /* PAIR socket on PUB_MONITOR, NULL if the monitor could not start */
    uint32_t subscribers;           /* connections accepted by the publish socket, less those gone */
    uint64_t largest_message;       /* bytes of the largest message the publish socket may queue: a data/
                                     * frame, an event, or the largest pressure/ message sent so far */
    char *buf;                      /* status and metrics bodies */
    size_t bufcap;
    struct zap *zap;                /* CURVE on tcp:// publish endpoints, NULL without keys */
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t head_seq(struct supervisor *s, const struct cam *c)
{
    return atomic_load_explicit(&arena_ring(&s->arena, c->index)->head_seq, memory_order_acquire);
}

/* Returns the age of the newest frame in ms, or -1 while there is none. */
static int64_t frame_age_ms(struct supervisor *s, const struct cam *c, uint64_t now)
{
    struct arena_camera_desc *d = arena_desc(&s->arena, c->index);
    uint64_t head = head_seq(s, c), t;
    const struct arena_slot *slot;

    if (head == 0 || d->slot_count == 0)
        return -1;
    slot = (const struct arena_slot *)(s->arena.base + d->slots_offset) + (head - 1) % d->slot_count;
    if (atomic_load_explicit(&slot->seq, memory_order_acquire) != 2 * head)
        return -1;
    t = slot->capture_monotonic_ns;
    return t == 0 || t > now ? 0 : (int64_t)((now - t) / NS_PER_MS);
}

/* ---- publishing ------------------------------------------------------- */

/* Publishes one message of camarenad's own; one that cannot be sent is
 * counted as a drop of c (NULL: of the instance). */
static void publish(struct supervisor *s, struct cam *c, const char *topic, const char *body, size_t len)
{
    if (zmq_send(s->sock[SOCK_PUB], topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(s->sock[SOCK_PUB], body, len, ZMQ_DONTWAIT) < 0) {
        if (c)
            c->drops_relay++;
        else
            s->relay_dropped++;
    }
}

static void publish_event_growth(struct supervisor *s, struct cam *c, const char *state, enum camera_reason reason,
                                 const struct exit_info *x, double growth_bps)
{
    char topic[CONF_NAME_MAX + 16], body[EVENT_MAX];
    struct status_event ev = {
        .camera = c->conf->name,
        .state = state,
        .reason = reason,
        .restarts = c->restarts,
        .backoff_ms = c->backoff_ms,
        .error = x && x->error ? x->error : "",
        .exit_status = x ? x->exit_status : -1,
        .signal = x ? x->signal : 0,
        .worker_status = x ? x->worker_status : -1,
        /* While a restart waits for the old unit's reap, no unit is the camera's. */
        .pid = x ? x->pid : (c->spawn_pending ? 0 : c->unit.pid),
        .head_seq = head_seq(s, c),
        .growth_bps = growth_bps,
    };
    int n;

    if (ipc_topic(topic, sizeof(topic), "event", c->conf->name) < 0)
        return;
    n = status_event_json(body, sizeof(body), &ev);
    if (n < 0) {
        log_error("%s: event too large to publish", c->conf->name);
        return;
    }
    publish(s, c, topic, body, (size_t)n);
}

static void publish_event(struct supervisor *s, struct cam *c, const char *state, enum camera_reason reason,
                          const struct exit_info *x)
{
    publish_event_growth(s, c, state, reason, x, 0);
}

/* ---- talking to workers ----------------------------------------------- */

/* Sends parts to the worker of c. Returns 0, or -errno (-EHOSTUNREACH when
 * the worker has not connected yet or is gone). */
static int worker_send(struct supervisor *s, struct cam *c, const char *verb, const void *arg, size_t arglen)
{
    void *w = s->sock[SOCK_WRK];
    const char *id = c->conf->name;

    if (zmq_send(w, id, strlen(id), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -zmq_errno();
    if (zmq_send(w, verb, strlen(verb), (arg ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
        return -zmq_errno();
    if (arg && zmq_send(w, arg, arglen, ZMQ_DONTWAIT) < 0)
        return -zmq_errno();
    return 0;
}

int supervisor_decimate(struct supervisor *s, size_t index, uint32_t n)
{
    struct cam *c;
    uint32_t v = n ? n : 1;

    if (index >= s->ncams)
        return -ERANGE;
    c = &s->cams[index];
    c->decimation = v;
    if (c->unit.pid > 0 && !c->unit.ending)
        worker_send(s, c, "decimate", &v, sizeof(v)); /* a missed one is resent on the next report */
    return 0;
}

/* Holds (or releases) c's data/ publishing: now if its worker runs, and at
 * the first report of every later unit. */
static void set_hold(struct supervisor *s, struct cam *c, bool hold)
{
    uint8_t v = hold ? 1 : 0;

    c->data_held = hold;
    if (c->unit.pid > 0 && !c->unit.ending && c->unit.reported)
        worker_send(s, c, "hold", &v, sizeof(v));
}

/* ---- units ------------------------------------------------------------ */

static void unit_kill(struct cam *c)
{
    if (c->unit.pid > 0) {
        kill(-c->unit.pid, SIGKILL);
        c->unit.ending = true;
        c->unit.stop_deadline_ns = 0;
    }
}

static void unit_stop(struct supervisor *s, struct cam *c, uint64_t now)
{
    if (c->unit.pid <= 0 || c->unit.ending)
        return;
    c->unit.ending = true;
    c->unit.stop_deadline_ns = now + STOP_GRACE_NS;
    /* A worker that has not connected yet cannot hear "stop"; SIGTERM is
     * its other way of being told. */
    if (worker_send(s, c, "stop", NULL, 0) < 0)
        kill(-c->unit.pid, SIGTERM);
}

static void apply(struct supervisor *s, struct cam *c, enum camera_event ev, enum camera_reason reason,
                  const struct exit_info *x, uint64_t now);
static int recv_parts(void *sock, zmq_msg_t *parts, int max, size_t *total_parts, size_t *total_bytes);

/* A run is healthy once it has delivered frames for backoff_reset: from its
 * first frame to its newest, not to its end, so that the time a failing
 * unit takes to stall, hang or exit is not counted as health. */
static bool healthy(const struct supervisor *s, const struct cam *c)
{
    return c->unit.last_progress_ns >= c->running_since_ns &&
           c->unit.last_progress_ns - c->running_since_ns >= s->conf->backoff_reset_ns;
}

static void unit_spawn(struct supervisor *s, struct cam *c, uint64_t now)
{
    struct spawn_argv a;
    int rc;

    c->spawn_pending = false;
    rc = spawn_argv_build(&a, s->worker_path, s->conf, c->conf, c->index, c->decimation, s->report_ms);
    if (rc == 0) {
        rc = spawn_worker(s->worker_path, a.argv, &c->unit.pid, &c->unit.status_fd);
        spawn_argv_close(&a);
    }
    if (rc < 0) {
        char line[IPC_EXIT_LINE_MAX];
        struct exit_info x = {-1, 0, -1, 0, line};

        snprintf(line, sizeof(line), "cannot start the worker: %s", strerror(-rc));
        log_error("%s: %s", c->conf->name, line);
        c->unit.pid = 0;
        apply(s, c, CAMERA_EV_FAIL, CAMERA_REASON_EXIT, &x, now);
        return;
    }
    c->unit.ending = false;
    c->unit.stop_deadline_ns = 0;
    c->unit.started_ns = now;
    c->unit.reported = false;
    c->unit.last_report_ns = now;
    c->unit.last_progress_ns = now;
    c->unit.head_at_start = head_seq(s, c);
    memset(&c->unit.report, 0, sizeof(c->unit.report));
    memset(&c->unit.mem_worker, 0, sizeof(c->unit.mem_worker));
    memset(&c->unit.mem_ffmpeg, 0, sizeof(c->unit.mem_ffmpeg));
    c->last_head = c->unit.head_at_start;
    growth_reset(&c->growth, now);
    c->growth_warned = false;
    log_debug("%s: worker pid %d", c->conf->name, (int)c->unit.pid);
}

/* Carries out one transition of c (camera_step) and publishes it. */
static void apply(struct supervisor *s, struct cam *c, enum camera_event ev, enum camera_reason reason,
                  const struct exit_info *x, uint64_t now)
{
    struct camera_transition t = camera_step(c->state, ev);
    enum camera_state old = c->state;

    if (!t.accepted) {
        log_debug("%s: %s ignored while %s", c->conf->name, camera_event_name(ev), camera_state_name(old));
        return;
    }
    if (t.actions & CAMERA_DO_KILL)
        unit_kill(c);
    if (t.actions & CAMERA_DO_STOP)
        unit_stop(s, c, now);
    if (t.actions & CAMERA_DO_DISARM)
        c->backoff_deadline_ns = 0;
    if (x && x->error && x->error[0])
        snprintf(c->error, sizeof(c->error), "%s", x->error);
    if (t.actions & CAMERA_DO_EXIT_EVENT) {
        enum conf_log_level level =
            reason == CAMERA_REASON_OPERATOR || reason == CAMERA_REASON_RELOAD ? CONF_LOG_INFO : CONF_LOG_WARN;

        if (x && x->error && x->error[0])
            log_msg(level, "%s: exit (%s): %s", c->conf->name, camera_reason_name(reason), x->error);
        else
            log_msg(level, "%s: exit (%s)", c->conf->name, camera_reason_name(reason));
        publish_event(s, c, "exit", reason, x);
    }
    if (t.actions & CAMERA_DO_COUNT_RESTART) {
        c->restarts++;
        c->restarts_by_reason[reason]++;
    }
    if (t.actions & CAMERA_DO_BACKOFF) {
        uint64_t delay;

        if (old == CAMERA_RUNNING && healthy(s, c))
            backoff_reset(&c->backoff);
        delay = backoff_next(&c->backoff);
        c->backoff_ms = delay / NS_PER_MS;
        c->backoff_deadline_ns = now + delay;
    }
    c->state = t.state;
    c->reason = reason;
    arena_set_state(&s->arena, c->index, (enum arena_state)t.state);
    if (t.state == CAMERA_RUNNING) {
        c->running_since_ns = now;
        c->stale = false;
        c->error[0] = '\0';
    }
    if (t.actions & CAMERA_DO_SPAWN) {
        if (c->unit.pid > 0)
            c->spawn_pending = true;
        else
            unit_spawn(s, c, now);
    }
    if (t.actions & CAMERA_DO_PUBLISH) {
        /* The backoff event repeats the exit's details; the others carry the current unit. */
        const struct exit_info *px = (t.state == CAMERA_BACKOFF) ? x : NULL;

        if (c->state == t.state) /* unit_spawn may have failed and moved on already */
            publish_event(s, c, camera_state_name(t.state), reason, px);
        if (t.state == CAMERA_BACKOFF)
            log_info("%s: backoff %.3f s (failure %u)", c->conf->name, (double)c->backoff_ms / 1000.0,
                     c->backoff.failures);
        else if (reason != CAMERA_REASON_NONE)
            log_info("%s: %s (%s)", c->conf->name, camera_state_name(t.state), camera_reason_name(reason));
        else
            log_info("%s: %s", c->conf->name, camera_state_name(t.state));
    }
}

/* ---- reaping ---------------------------------------------------------- */

static struct cam *cam_by_pid(struct supervisor *s, pid_t pid)
{
    for (size_t i = 0; i < s->ncams; i++)
        if (s->cams[i].unit.pid == pid)
            return &s->cams[i];
    return NULL;
}

static void unit_reaped(struct supervisor *s, struct cam *c, int wstatus, uint64_t now)
{
    struct ipc_exit ex;
    bool have_exit = false;
    struct exit_info x = {-1, 0, -1, c->unit.pid, ""};
    enum camera_reason reason = CAMERA_REASON_EXIT;
    bool ending = c->unit.ending;
    pid_t pid = c->unit.pid;

    if (c->unit.status_fd >= 0) {
        ssize_t n;

        do
            n = read(c->unit.status_fd, &ex, sizeof(ex));
        while (n < 0 && errno == EINTR);
        have_exit = n == (ssize_t)sizeof(ex) && ex.size == sizeof(ex);
        close(c->unit.status_fd);
        c->unit.status_fd = -1;
    }
    /* Whatever of the group is left (FFmpeg, if the worker died first) goes too. */
    kill(-pid, SIGKILL);
    ipc_report_add(&c->done, &c->unit.report);
    memset(&c->unit.report, 0, sizeof(c->unit.report));
    c->unit.pid = 0;
    c->unit.ending = false;
    c->unit.stop_deadline_ns = 0;
    c->memory_bytes = c->memory_anon = 0;

    if (have_exit) {
        ex.error[sizeof(ex.error) - 1] = '\0';
        x.error = ex.error;
        x.exit_status = ex.ffmpeg_status;
    }
    if (WIFSIGNALED(wstatus)) {
        reason = CAMERA_REASON_SIGNAL;
        x.signal = WTERMSIG(wstatus);
    } else if (WIFEXITED(wstatus)) {
        x.worker_status = WEXITSTATUS(wstatus);
        if (x.worker_status == IPC_EXIT_FFMPEG_SIGNAL) {
            reason = CAMERA_REASON_SIGNAL;
            x.signal = have_exit ? ex.ffmpeg_signal : 0;
        }
    }
    if (ending) {
        log_debug("%s: worker %d ended (status 0x%x)", c->conf->name, (int)pid, (unsigned)wstatus);
        if (c->spawn_pending && !s->stopping)
            unit_spawn(s, c, now);
        return;
    }
    apply(s, c, CAMERA_EV_FAIL, reason, &x, now);
}

static void reap(struct supervisor *s, uint64_t now)
{
    for (;;) {
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG);
        struct cam *c;

        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        c = cam_by_pid(s, pid);
        if (c)
            unit_reaped(s, c, wstatus, now);
    }
}

/* ---- watching the cameras --------------------------------------------- */

/* Returns when a unit that has not reported since is unresponsive: a
 * worker's first report gets a grace for its start on top of stall_timeout. */
static uint64_t report_deadline(const struct supervisor *s, const struct unit *u)
{
    return u->last_report_ns + s->conf->stall_timeout_ns + (u->reported ? 0 : STARTUP_GRACE_NS);
}

/* Looks at every camera's head_seq and deadlines; called on every wake-up. */
static void check_cameras(struct supervisor *s, uint64_t now)
{
    for (size_t i = 0; i < s->ncams; i++) {
        struct cam *c = &s->cams[i];
        struct unit *u = &c->unit;
        uint64_t head = head_seq(s, c);

        if (head != c->last_head) {
            c->last_head = head;
            u->last_progress_ns = now;
            if (c->stale && c->state == CAMERA_RUNNING) {
                c->stale = false;
                publish_event(s, c, "running", CAMERA_REASON_NONE, NULL);
                log_info("%s: running again", c->conf->name);
            }
        }
        if (c->state == CAMERA_STARTING && u->pid > 0 && !u->ending && head > u->head_at_start)
            apply(s, c, CAMERA_EV_FRAMES, CAMERA_REASON_NONE, NULL, now);
        if (c->state == CAMERA_BACKOFF && c->backoff_deadline_ns && now >= c->backoff_deadline_ns) {
            c->backoff_deadline_ns = 0;
            apply(s, c, CAMERA_EV_BACKOFF_DONE, CAMERA_REASON_NONE, NULL, now);
        }
        if (u->pid > 0 && u->ending && u->stop_deadline_ns && now >= u->stop_deadline_ns) {
            log_warn("%s: worker %d did not stop in time, killing it", c->conf->name, (int)u->pid);
            unit_kill(c);
        }
        if (u->pid > 0 && !u->ending && (c->state == CAMERA_STARTING || c->state == CAMERA_RUNNING)) {
            struct exit_info x = {-1, 0, -1, u->pid, ""};

            if (now >= report_deadline(s, u))
                apply(s, c, CAMERA_EV_FAIL, CAMERA_REASON_UNRESPONSIVE, &x, now);
            else if (u->reported && now - u->last_progress_ns >= s->conf->stall_timeout_ns)
                apply(s, c, CAMERA_EV_FAIL, CAMERA_REASON_STALLED, &x, now);
        }
    }
}

static const char *paused_by(const struct supervisor *s, const struct cam *c)
{
    if (c->state != CAMERA_PAUSED)
        return "";
    if (c->operator_paused)
        return "operator";
    return s->pcams[c - s->cams].shed.paused ? "pressure" : "operator";
}

static void fill_pressure(struct supervisor *s, struct status_pressure *sp)
{
    memset(sp, 0, sizeof(*sp));
    sp->level = s->pressure.level;
    sp->previous = s->previous_level;
    sp->usage = &s->usage;
    sp->host = &s->host;
    sp->actions = s->actions;
    sp->action_count = s->action_count;
    sp->cams = s->pcams;
    sp->cam_count = s->ncams;
    sp->subscribers = s->subscribers;
}

static void fill_status(struct supervisor *s, struct cam *c, struct status_camera *sc, uint64_t now)
{
    memset(sc, 0, sizeof(*sc));
    sc->name = c->conf->name;
    sc->state = c->state;
    sc->reason = c->reason;
    sc->pid = c->unit.pid;
    sc->ffmpeg_pid = c->unit.pid ? c->unit.report.ffmpeg_pid : 0;
    sc->fps = c->fps;
    sc->head_seq = head_seq(s, c);
    sc->frames = sc->head_seq;
    sc->work = c->done;
    ipc_report_add(&sc->work, &c->unit.report);
    sc->work.data_subscribed = c->unit.report.data_subscribed;
    sc->work.hold = c->unit.report.hold;
    sc->drops_relay = c->drops_relay;
    sc->restarts = c->restarts;
    memcpy(sc->restarts_by_reason, c->restarts_by_reason, sizeof(sc->restarts_by_reason));
    sc->backoff_ms = c->backoff_ms;
    sc->memory_bytes = c->memory_bytes;
    sc->last_frame_age_ms = frame_age_ms(s, c, now);
    sc->priority = c->conf->priority;
    sc->decimation = c->decimation;
    sc->memory_limit = c->conf->memory_limit;
    sc->data_held = c->data_held;
    sc->paused_by = paused_by(s, c);
    sc->growth_bps = c->unit.pid > 0 ? c->growth.slope_bps : 0;
    sc->growth = c->unit.pid > 0 ? c->growth.verdict : GROWTH_NONE;
    sc->error = c->error;
}

static void fill_instance(struct supervisor *s, struct status_instance *si, const struct status_pressure *sp)
{
    si->name = s->conf->name;
    si->generation = s->arena.header->generation;
    si->pid = getpid();
    si->used_bytes = s->usage.used_bytes;
    si->limit_bytes = s->conf->global_limit;
    si->pressure = sp;
    si->relay_dropped = s->relay_dropped;
}

/* Writes the status (one camera, or all when index < 0) or the metrics into
 * s->buf. Returns the length or -ENOBUFS. */
static int render(struct supervisor *s, bool metrics, int index, uint64_t now)
{
    struct status_camera *sc = calloc(s->ncams ? s->ncams : 1, sizeof(*sc));
    struct status_instance si;
    struct status_pressure sp;
    size_t n = 0;
    int len;

    if (!sc)
        return -ENOMEM;
    for (size_t i = 0; i < s->ncams; i++)
        if (index < 0 || (size_t)index == i)
            fill_status(s, &s->cams[i], &sc[n++], now);
    fill_pressure(s, &sp);
    fill_instance(s, &si, &sp);
    len = metrics ? status_metrics(s->buf, s->bufcap, &si, sc, n) : status_json(s->buf, s->bufcap, &si, sc, n);
    free(sc);
    return len;
}

static void write_metrics_file(struct supervisor *s, uint64_t now)
{
    char tmp[PATH_MAX + 8];
    int len, fd;
    bool ok;

    if (!s->conf->metrics_file[0])
        return;
    len = render(s, true, -1, now);
    if (len < 0)
        return;
    snprintf(tmp, sizeof(tmp), "%s.new", s->conf->metrics_file);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_warn("metrics_file: cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    ok = write(fd, s->buf, (size_t)len) == len;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, s->conf->metrics_file) < 0) {
        log_warn("metrics_file: cannot write %s: %s", s->conf->metrics_file, strerror(errno));
        unlink(tmp);
    }
}

/* ---- pressure (SPEC 8) ------------------------------------------------ */

/* What the publish queues can hold at most: each subscriber's connection
 * PUB_SNDHWM messages, each of a worker's two sockets UP_RCVHWM more on
 * their way in, none larger than the largest message; and what each worker
 * says its own data/ queue can hold. */
static uint64_t queue_bound(const struct supervisor *s)
{
    uint64_t bound = (uint64_t)s->subscribers * PUB_SNDHWM * s->largest_message;

    for (size_t i = 0; i < s->ncams; i++) {
        const struct unit *u = &s->cams[i].unit;

        if (u->pid > 0)
            bound += 2 * UP_RCVHWM * s->largest_message + u->report.data_queue_bytes_max;
    }
    return bound;
}

/* Judges the memory growth of c's current run: a "warning" event the first
 * time it is above growth_warning, a restart with reason leak above
 * growth_critical (after the warning, in the same interval if need be). */
static void growth_check(struct supervisor *s, struct cam *c, uint64_t now)
{
    enum growth_verdict v;
    char line[IPC_EXIT_LINE_MAX];

    if (c->unit.pid <= 0 || c->unit.ending || c->memory_anon == 0 ||
        (c->state != CAMERA_STARTING && c->state != CAMERA_RUNNING))
        return;
    /* Anonymous memory only: the libraries' proportional share moves when
     * other FFmpegs start or stop, which is no leak of this camera's. */
    v = growth_add(&c->growth, &s->growth_cfg, now, c->memory_anon);
    if (v >= GROWTH_WARNING && !c->growth_warned) {
        c->growth_warned = true;
        log_warn("%s: memory grows %.1f MiB/h (growth_warning %.1f MiB/h)", c->conf->name,
                 c->growth.slope_bps * 3600.0 / 1048576.0, s->growth_cfg.warning_bps * 3600.0 / 1048576.0);
        publish_event_growth(s, c, "warning", CAMERA_REASON_LEAK, NULL, c->growth.slope_bps);
    }
    if (v == GROWTH_CRITICAL) {
        struct exit_info x = {-1, 0, -1, c->unit.pid, line};

        snprintf(line, sizeof(line), "memory grows %.1f MiB/h, over growth_critical (%.1f MiB/h)",
                 c->growth.slope_bps * 3600.0 / 1048576.0, s->growth_cfg.critical_bps * 3600.0 / 1048576.0);
        apply(s, c, CAMERA_EV_FAIL, CAMERA_REASON_LEAK, &x, now);
    }
}

static void carry_out(struct supervisor *s, const struct pressure_action *a, uint64_t now)
{
    struct cam *c = &s->cams[a->camera];
    char line[IPC_EXIT_LINE_MAX];
    struct exit_info x = {-1, 0, -1, c->unit.pid, line};

    switch (a->kind) {
    case PRESSURE_ACT_DECIMATE:
    case PRESSURE_ACT_UNDECIMATE:
        supervisor_decimate(s, a->camera, (uint32_t)a->value);
        break;
    case PRESSURE_ACT_HOLD:
    case PRESSURE_ACT_RELEASE:
        set_hold(s, c, a->kind == PRESSURE_ACT_HOLD);
        break;
    case PRESSURE_ACT_RESTART:
        snprintf(line, sizeof(line), "memory %" PRIu64 " bytes, over memory_limit (%" PRIu64 " bytes)", a->value,
                 c->conf->memory_limit);
        apply(s, c, CAMERA_EV_FAIL, CAMERA_REASON_MEMORY, &x, now);
        break;
    case PRESSURE_ACT_PAUSE:
        apply(s, c, CAMERA_EV_PAUSE, CAMERA_REASON_PRESSURE, NULL, now);
        break;
    case PRESSURE_ACT_RESUME:
        if (c->state == CAMERA_PAUSED && !c->operator_paused)
            apply(s, c, CAMERA_EV_RESUME, CAMERA_REASON_PRESSURE, NULL, now);
        break;
    case PRESSURE_ACT_COUNT:
        abort();
    }
    if (a->kind != PRESSURE_ACT_RESTART) /* apply logged the restart */
        log_info("%s: pressure %s: %s%s", c->conf->name, pressure_level_name(s->pressure.level),
                 pressure_action_name(a->kind),
                 a->kind == PRESSURE_ACT_DECIMATE ? " (every 2nd frame)" : "");
}

static void publish_pressure(struct supervisor *s)
{
    struct status_pressure sp;
    int n;

    fill_pressure(s, &sp);
    n = status_pressure_json(s->buf, s->bufcap, &sp);
    if (n < 0) {
        log_error("pressure: message too large to publish");
        return;
    }
    /* Its size grows with the actions: the queue bound follows the largest sent. */
    if ((uint64_t)n + 16 > s->largest_message)
        s->largest_message = (uint64_t)n + 16;
    publish(s, NULL, "pressure/", s->buf, (size_t)n);
}

/* One interval of SPEC 8: growth, the host, the accounting, the level, the
 * plan, and its actions; a pressure/ message on a change of level and while
 * above none. Called after the memory of every camera was read. */
static void pressure_tick(struct supervisor *s, uint64_t now)
{
    bool changed;
    int n;

    for (size_t i = 0; i < s->ncams; i++)
        growth_check(s, &s->cams[i], now);
    if (hostmem_read(&s->host, NULL, NULL) < 0)
        memset(&s->host, 0, sizeof(s->host));
    for (size_t i = 0; i < s->ncams; i++)
        s->camera_bytes[i] = s->cams[i].unit.pid > 0 ? s->cams[i].memory_bytes : 0;
    pressure_account(&s->usage, s->arena.size, s->self_memory, s->camera_bytes, s->ncams, queue_bound(s),
                     s->conf->global_limit);
    s->previous_level = s->pressure.level;
    changed = pressure_update(&s->pressure, s->usage.ratio, &s->host);
    if (changed)
        log_msg(s->pressure.level > s->previous_level ? CONF_LOG_WARN : CONF_LOG_INFO,
                "pressure: %s -> %s (ratio %.3f: %" PRIu64 " of %" PRIu64 " bytes)",
                pressure_level_name(s->previous_level), pressure_level_name(s->pressure.level), s->usage.ratio,
                s->usage.used_bytes, s->usage.limit_bytes);

    for (size_t i = 0; i < s->ncams; i++) {
        struct cam *c = &s->cams[i];
        struct pressure_camera *pc = &s->pcams[i];

        pc->running = c->unit.pid > 0 && !c->unit.ending &&
                      (c->state == CAMERA_STARTING || c->state == CAMERA_RUNNING);
        pc->paused = c->state == CAMERA_PAUSED;
        pc->operator_paused = c->operator_paused;
        pc->memory_bytes = c->unit.pid > 0 ? c->memory_bytes : 0;
    }
    n = pressure_plan(&s->pressure, s->pcams, s->ncams, s->actions, PRESSURE_ACTIONS_PER_CAMERA * s->ncams);
    s->action_count = (size_t)n;
    for (int k = 0; k < n; k++)
        carry_out(s, &s->actions[k], now);
    if (changed || s->pressure.level > PRESSURE_NONE)
        publish_pressure(s);
}

/* Counts the connections to the publish socket from its monitor's events. */
static void on_monitor(struct supervisor *s)
{
    zmq_msg_t parts[2];
    size_t total_parts, total_bytes;
    int n;

    while ((n = recv_parts(s->monitor, parts, 2, &total_parts, &total_bytes)) > 0) {
        if (zmq_msg_size(&parts[0]) >= 6) {
            uint16_t ev;

            memcpy(&ev, zmq_msg_data(&parts[0]), sizeof(ev));
            if (n == 2)
                zap_monitor_event(s->zap, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]),
                                  zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]));
            if (ev == ZMQ_EVENT_ACCEPTED)
                s->subscribers++;
            else if (ev == ZMQ_EVENT_DISCONNECTED && s->subscribers > 0)
                s->subscribers--;
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&parts[i]);
    }
}

/* The PSI trigger fired (run an interval now) or is gone (stop polling it). */
static void on_psi(struct supervisor *s, short revents, uint64_t now)
{
    if (revents & ZMQ_POLLERR) {
        log_warn("pressure: the PSI trigger is gone; host pressure is read each interval only");
        close(s->psi_fd);
        s->psi_fd = -1;
        return;
    }
    log_debug("pressure: PSI trigger: the host stalls on memory, checking now");
    s->next_tick_ns = now;
}

/* Every monitor_interval: the heartbeat, fps, memory, staleness, backoff resets. */
static void tick(struct supervisor *s, uint64_t now)
{
    arena_heartbeat(&s->arena, now);
    s->self_memory = procmem_sample(&s->self_mem, getpid()) == 0 ? procmem_bytes(&s->self_mem) : 0;
    for (size_t i = 0; i < s->ncams; i++) {
        struct cam *c = &s->cams[i];
        uint64_t head = head_seq(s, c);
        unsigned oldest;
        int64_t age;

        c->fps_t[c->fps_i] = now;
        c->fps_head[c->fps_i] = head;
        c->fps_i = (c->fps_i + 1) % FPS_SAMPLES;
        if (c->fps_n < FPS_SAMPLES)
            c->fps_n++;
        oldest = (c->fps_i + FPS_SAMPLES - c->fps_n) % FPS_SAMPLES;
        if (c->fps_n > 1 && now > c->fps_t[oldest])
            c->fps = (double)(head - c->fps_head[oldest]) * 1e9 / (double)(now - c->fps_t[oldest]);

        c->memory_bytes = c->memory_anon = 0;
        if (c->unit.pid > 0 && procmem_sample(&c->unit.mem_worker, c->unit.pid) == 0) {
            c->memory_bytes += procmem_bytes(&c->unit.mem_worker);
            c->memory_anon += c->unit.mem_worker.anon_bytes;
        }
        if (c->unit.pid > 0 && c->unit.report.ffmpeg_pid > 0 &&
            procmem_sample(&c->unit.mem_ffmpeg, c->unit.report.ffmpeg_pid) == 0) {
            c->memory_bytes += procmem_bytes(&c->unit.mem_ffmpeg);
            c->memory_anon += c->unit.mem_ffmpeg.anon_bytes;
        }

        if (c->state == CAMERA_RUNNING && c->backoff.failures > 0 && healthy(s, c)) {
            backoff_reset(&c->backoff);
            c->backoff_ms = 0;
            log_debug("%s: healthy for backoff_reset, backoff reset", c->conf->name);
        }
        age = frame_age_ms(s, c, now);
        if (c->state == CAMERA_RUNNING && !c->stale && age >= 0 &&
            (uint64_t)age * NS_PER_MS > c->conf->max_age_ns) {
            c->stale = true;
            publish_event(s, c, "stale", CAMERA_REASON_NONE, NULL);
            log_warn("%s: stale, newest frame %" PRId64 " ms old", c->conf->name, age);
        }
    }
    if (!s->stopping)
        pressure_tick(s, now);
    write_metrics_file(s, now);
}

/* ---- sockets ---------------------------------------------------------- */

static void on_report(struct supervisor *s, const char *id, size_t idlen, zmq_msg_t *verb, zmq_msg_t *body,
                      uint64_t now)
{
    struct cam *c = NULL;

    for (size_t i = 0; i < s->ncams; i++)
        if (strlen(s->cams[i].conf->name) == idlen && memcmp(s->cams[i].conf->name, id, idlen) == 0)
            c = &s->cams[i];
    if (!c || c->unit.pid <= 0)
        return;
    if (zmq_msg_size(verb) != 6 || memcmp(zmq_msg_data(verb), "report", 6) != 0 || !body ||
        zmq_msg_size(body) != sizeof(struct ipc_report)) {
        log_debug("%s: unexpected message from the worker", c->conf->name);
        return;
    }
    memcpy(&c->unit.report, zmq_msg_data(body), sizeof(c->unit.report));
    /* The stall clock starts once the worker is up and FFmpeg started, so
     * that a slow start (a loaded host) is not taken for a stall. */
    if (!c->unit.reported && head_seq(s, c) == c->unit.head_at_start)
        c->unit.last_progress_ns = now;
    if (!c->unit.reported && c->data_held && !c->unit.ending) {
        uint8_t v = 1;

        worker_send(s, c, "hold", &v, sizeof(v));
    }
    c->unit.reported = true;
    c->unit.last_report_ns = now;
    if (c->unit.report.decimation != c->decimation && !c->unit.ending) {
        uint32_t v = c->decimation;

        worker_send(s, c, "decimate", &v, sizeof(v));
    }
}

/* Receives one whole message of up to max parts into parts (initialised
 * here; the caller closes them). Returns the number of parts received (more
 * are counted in *total_parts and their bytes in *total_bytes, but dropped),
 * or -1 if nothing could be read. */
static int recv_parts(void *sock, zmq_msg_t *parts, int max, size_t *total_parts, size_t *total_bytes)
{
    int n = 0, more = 1;
    size_t moresz = sizeof(more);

    *total_parts = 0;
    *total_bytes = 0;
    while (more) {
        zmq_msg_t tmp, *m = n < max ? &parts[n] : &tmp;

        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            return n ? n : -1;
        }
        (*total_parts)++;
        *total_bytes += zmq_msg_size(m);
        more = 0;
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &moresz);
        if (m == &tmp)
            zmq_msg_close(&tmp);
        else
            n++;
    }
    return n;
}

static void on_worker_socket(struct supervisor *s, uint64_t now)
{
    zmq_msg_t parts[3];
    size_t total_parts, total_bytes;
    int n;

    while ((n = recv_parts(s->sock[SOCK_WRK], parts, 3, &total_parts, &total_bytes)) > 0) {
        if (n >= 2 && total_parts <= 3)
            on_report(s, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), &parts[1], n == 3 ? &parts[2] : NULL,
                      now);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&parts[i]);
    }
}

/* The camera a topic names ("frame/NAME/", "data/NAME/", "event/NAME/"), or NULL. */
static struct cam *cam_of_topic(struct supervisor *s, const void *data, size_t len)
{
    const char *t = data, *slash = memchr(t, '/', len), *end;

    if (!slash)
        return NULL;
    slash++;
    end = memchr(slash, '/', len - (size_t)(slash - t));
    if (!end)
        return NULL;
    for (size_t i = 0; i < s->ncams; i++) {
        const char *name = s->cams[i].conf->name;

        if (strlen(name) == (size_t)(end - slash) && memcmp(name, slash, (size_t)(end - slash)) == 0)
            return &s->cams[i];
    }
    return NULL;
}

/* Moves whole messages from one socket to another without blocking; a
 * message that cannot be sent is dropped and counted, under the camera its
 * topic names if any. */
static void relay(struct supervisor *s, void *from, void *to)
{
    for (int budget = 0; budget < 1024; budget++) {
        zmq_msg_t m;
        int more = 1;
        bool dropping = false, first = true, was_first = false;
        size_t moresz = sizeof(more);

        while (more) {
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, from, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                if (first)
                    return;
                break; /* cannot happen: the parts of a message arrive together */
            }
            was_first = first;
            first = false;
            more = 0;
            zmq_getsockopt(from, ZMQ_RCVMORE, &more, &moresz);
            if (!dropping && zmq_msg_send(&m, to, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0) {
                struct cam *c = was_first ? cam_of_topic(s, zmq_msg_data(&m), zmq_msg_size(&m)) : NULL;

                dropping = true;
                if (c)
                    c->drops_relay++;
                else
                    s->relay_dropped++;
            }
            zmq_msg_close(&m);
        }
    }
}

/* How often workers report: several times per stall_timeout, so that a
 * silent worker is told from a slow one; at most each monitor_interval. */
static uint32_t report_interval_ms(const struct conf *conf)
{
    uint64_t report_ns = conf->stall_timeout_ns / 4, ms;

    if (report_ns > conf->monitor_interval_ns)
        report_ns = conf->monitor_interval_ns;
    ms = report_ns / NS_PER_MS;
    return ms < 10 ? 10 : ms > 1000 ? 1000 : (uint32_t)ms;
}

/* Makes s->buf large enough for the status and metrics of ncams cameras.
 * Returns 0 or -ENOMEM (the old buffer is kept). */
static int buf_fit(struct supervisor *s, size_t ncams)
{
    size_t want = 8192 + ncams * 8192;
    char *b;

    if (s->buf && s->bufcap >= want)
        return 0;
    b = realloc(s->buf, want);
    if (!b)
        return -ENOMEM;
    s->buf = b;
    s->bufcap = want;
    return 0;
}

/* The [supervisor] settings a running instance follows, from s->conf: at
 * start, and again after each reload (the pressure level and every camera's
 * failure count are kept). */
static void settings_apply(struct supervisor *s)
{
    const struct conf *conf = s->conf;
    struct pressure_config cfg;

    log_init(conf->name, conf->log_level);
    s->report_ms = report_interval_ms(conf);
    pressure_config_init(&cfg, conf->soft_limit, conf->hard_limit, conf->critical_limit);
    /* A camera over its own memory_limit is restarted at any level (SPEC 7:
     * the limit is that camera's own budget), not only from high (SPEC 8's
     * table, which says when it is done at the latest). docs/PRESSURE.md. */
    cfg.restart_level = PRESSURE_NONE;
    s->pressure.cfg = cfg;
    growth_config_init(&s->growth_cfg, conf->growth_warning, conf->growth_critical);
    s->growth_cfg.warmup_ns = conf->growth_warmup_ns;
    s->growth_cfg.spacing_ns = conf->monitor_interval_ns / 2;
    s->usage.limit_bytes = conf->global_limit;
    for (size_t i = 0; i < s->ncams; i++) {
        struct backoff *b = &s->cams[i].backoff;

        b->initial_ns = conf->backoff_initial_ns;
        b->max_ns = conf->backoff_max_ns;
        b->multiplier = conf->backoff_multiplier;
        b->jitter = conf->backoff_jitter;
    }
}

/* Points camera i at cc (its conf, or the same camera in a reloaded conf)
 * and gives the planner and the descriptor its priority and limit. */
static void cam_set_conf(struct supervisor *s, size_t i, const struct conf_camera *cc)
{
    struct cam *c = &s->cams[i];

    c->conf = cc;
    s->pcams[i].name = cc->name;
    s->pcams[i].priority = cc->priority;
    s->pcams[i].memory_limit = cc->memory_limit;
    arena_desc(&s->arena, c->index)->priority = cc->priority;
}

/* Makes cams[ncams] camera cc at descriptor index, stopped, and counts it. */
static struct cam *cam_init(struct supervisor *s, const struct conf_camera *cc, uint32_t index, uint32_t frame_size)
{
    size_t i = s->ncams++;
    struct cam *c = &s->cams[i];
    const struct conf *conf = s->conf;

    assert(i < s->capacity);
    memset(c, 0, sizeof(*c));
    memset(&s->pcams[i], 0, sizeof(s->pcams[i]));
    c->index = index;
    c->state = CAMERA_STOPPED;
    c->decimation = 1;
    c->unit.status_fd = -1;
    growth_reset(&c->growth, 0);
    backoff_init(&c->backoff, conf->backoff_initial_ns, conf->backoff_max_ns, conf->backoff_multiplier,
                 conf->backoff_jitter, NULL, NULL);
    cam_set_conf(s, i, cc);
    if (cc->data) {
        uint64_t m = 64 /* SPEC 5 frame header */ + (uint64_t)frame_size + CONF_NAME_MAX + 8;

        if (m > s->largest_message)
            s->largest_message = m;
    }
    return c;
}

/* ---- reload ------------------------------------------------------------ */

/* The item of the diff that names c's camera (every running camera is in
 * it: as it is, changed, or removed). */
static const struct reload_item *item_of(const struct reload_diff *d, const struct cam *c)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->items[i].old && strcmp(d->items[i].old->name, c->conf->name) == 0)
            return &d->items[i];
    abort(); /* the diff was built from the conf every camera points into */
}

static bool dropped(enum reload_kind k)
{
    return k == RELOAD_REMOVED || k == RELOAD_REPLACED;
}

static bool added(enum reload_kind k)
{
    return k == RELOAD_ADDED || k == RELOAD_REPLACED;
}

/* Appends to out (a NUL-terminated text of outlen bytes). */
__attribute__((format(printf, 3, 4))) static void append(char *out, size_t outlen, const char *fmt, ...)
{
    size_t len = strlen(out);
    va_list ap;

    if (len + 1 >= outlen)
        return;
    va_start(ap, fmt);
    vsnprintf(out + len, outlen - len, fmt, ap);
    va_end(ap);
}

/* Places every camera d adds: a free descriptor and a partition in the free
 * room, as if the cameras d drops were gone already (their descriptors are
 * taken only when no other is free, so that a reader of a replaced camera
 * does not find the new one under the old index at once). Fills s->adds.
 * Returns true, or false with a sentence per camera that does not fit
 * appended to out. */
static bool reload_place(struct supervisor *s, const struct reload_diff *d, char *out, size_t outlen)
{
    struct arena_range *used = calloc(s->capacity + 1, sizeof(*used));
    uint8_t *desc = calloc(s->capacity + 1, 1); /* 0 free, 1 taken, 2 freed by this reload */
    uint64_t start = arena_partitions_offset(&s->arena);
    size_t nused = 0;
    bool ok = true;

    if (!used || !desc) {
        append(out, outlen, "out of memory");
        ok = false;
        goto done;
    }
    for (size_t i = 0; i < s->ncams; i++) {
        const struct cam *c = &s->cams[i];
        const struct arena_camera_desc *dd = arena_desc(&s->arena, c->index);

        if (dropped(item_of(d, c)->kind)) {
            desc[c->index] = 2;
        } else {
            desc[c->index] = 1;
            used[nused++] = (struct arena_range){dd->partition_offset, dd->partition_size};
        }
    }
    s->add_count = 0;
    for (size_t k = 0; k < d->count; k++) {
        const struct conf_camera *cc = d->items[k].new;
        struct reload_add *a = &s->adds[s->add_count];
        struct arena_camera_spec spec;
        uint64_t off, largest;
        uint32_t index = UINT32_MAX;
        char err[256];

        if (!added(d->items[k].kind))
            continue;
        spec = (struct arena_camera_spec){cc->name, cc->pix_fmt, cc->width, cc->height, cc->slots, cc->priority};
        if (arena_part_init(&a->part, &spec, err, sizeof(err)) < 0) {
            append(out, outlen, "\ncamera %s: %s", cc->name, err);
            ok = false;
            continue;
        }
        if (arena_space_fit(used, nused, start, s->arena.size, a->part.partition_size, &off, &largest) < 0) {
            append(out, outlen,
                   "\ncamera %s does not fit: it needs %" PRIu64 " bytes of arena, the largest free range is %"
                   PRIu64 " bytes (arena_size %" PRIu64 "; a larger one needs a restart)",
                   cc->name, a->part.partition_size, largest, s->arena.size);
            ok = false;
            continue;
        }
        for (int pass = 0; pass < 2 && index == UINT32_MAX; pass++)
            for (uint32_t i = 0; i < s->capacity && index == UINT32_MAX; i++)
                if (desc[i] == 0 || (pass == 1 && desc[i] == 2))
                    index = i;
        if (index == UINT32_MAX) {
            append(out, outlen, "\ncamera %s: no free descriptor (max_cameras %zu)", cc->name, s->capacity);
            ok = false;
            continue;
        }
        desc[index] = 1;
        arena_part_place(&a->part, off);
        used[nused++] = (struct arena_range){off, a->part.partition_size};
        a->conf = cc;
        a->index = index;
        s->add_count++;
    }
done:
    if (!ok)
        s->add_count = 0;
    free(used);
    free(desc);
    return ok;
}

/* The second half of a reload, once every camera it removed is reaped: their
 * descriptors and partitions are freed, the cameras it adds get theirs and
 * start, and the conf before the reload is freed. Returns false while a
 * removed camera's unit is still alive. */
static bool reload_finish(struct supervisor *s, uint64_t now)
{
    size_t j = 0;

    for (size_t i = 0; i < s->ncams; i++)
        if (s->cams[i].removing && s->cams[i].unit.pid > 0)
            return false;
    for (size_t i = 0; i < s->ncams; i++) {
        struct cam *c = &s->cams[i];

        if (c->removing) {
            arena_desc_free(&s->arena, c->index);
            log_info("%s: removed; descriptor %" PRIu32 " and its partition are free", c->conf->name, c->index);
            continue;
        }
        if (j != i) {
            s->cams[j] = s->cams[i];
            s->pcams[j] = s->pcams[i];
        }
        j++;
    }
    s->ncams = j;
    s->action_count = 0; /* the last interval's actions index cameras that may have moved */
    for (size_t k = 0; k < s->add_count; k++) {
        const struct reload_add *a = &s->adds[k];
        struct cam *c;

        arena_desc_set(&s->arena, a->index, &a->part);
        c = cam_init(s, a->conf, a->index, a->part.frame_size);
        log_info("%s: added at descriptor %" PRIu32 ", partition of %" PRIu64 " bytes at %" PRIu64, c->conf->name,
                 a->index, a->part.partition_size, a->part.partition_offset);
        apply(s, c, CAMERA_EV_START, CAMERA_REASON_RELOAD, NULL, now);
    }
    s->add_count = 0;
    if (buf_fit(s, s->ncams) < 0)
        log_warn("reload: out of memory for the status of %zu cameras", s->ncams);
    if (s->conf_retired) {
        conf_close(s->conf_retired);
        free(s->conf_retired);
        s->conf_retired = NULL;
    }
    s->reload_pending = false;
    return true;
}

/* Carries out an accepted reload of d: new is the running conf from now on. */
static void reload_commit(struct supervisor *s, struct conf *new, const struct reload_diff *d, uint64_t now)
{
    /* Every camera still points into the old conf here; the diff tells
     * which camera of the new one each becomes. */
    const struct reload_item **items = calloc(s->ncams ? s->ncams : 1, sizeof(*items));

    if (!items)
        abort(); /* a few pointers; reload_place allocated more a moment ago */
    for (size_t i = 0; i < s->ncams; i++)
        items[i] = item_of(d, &s->cams[i]);
    s->conf_retired = s->conf_owned;
    s->conf_owned = new;
    s->conf = new;
    settings_apply(s);
    s->reload_pending = true;
    for (size_t i = 0; i < s->ncams; i++) {
        struct cam *c = &s->cams[i];
        const struct reload_item *it = items[i];

        switch (it->kind) {
        case RELOAD_UNCHANGED:
        case RELOAD_TUNED:
            cam_set_conf(s, i, it->new);
            break;
        case RELOAD_RESTARTED:
            cam_set_conf(s, i, it->new);
            /* A paused camera stays paused: its new settings apply when it resumes. */
            if (c->state != CAMERA_PAUSED && c->state != CAMERA_STOPPED)
                apply(s, c, CAMERA_EV_RESTART, CAMERA_REASON_RELOAD, NULL, now);
            break;
        case RELOAD_REMOVED:
        case RELOAD_REPLACED:
            /* It keeps pointing into the old conf until it is dropped. */
            c->removing = true;
            c->spawn_pending = false;
            c->operator_paused = false;
            apply(s, c, CAMERA_EV_STOP, CAMERA_REASON_RELOAD, NULL, now);
            break;
        case RELOAD_ADDED:
        case RELOAD_KIND_COUNT:
            abort();
        }
    }
    free(items);
    reload_finish(s, now);
}

/* reload (SPEC 6) and SIGHUP: reads the conf file again and brings the
 * running cameras in line with it (see reload.h for what each change does).
 * Returns true with the JSON body of the ok reply in out, or false with the
 * error's sentences in out, having changed nothing. */
static bool reload(struct supervisor *s, uint64_t now, char *out, size_t outlen)
{
    struct conf *new = calloc(1, sizeof(*new));
    struct conf_errors *errs = malloc(sizeof(*errs));
    struct reload_diff d = {0};
    bool ok = false, loaded = false;
    char err[256];
    int rc;

    out[0] = '\0';
    if (!new || !errs) {
        snprintf(out, outlen, "reload refused, nothing changed: out of memory");
        goto done;
    }
    if (s->stopping) {
        snprintf(out, outlen, "reload refused: the instance is stopping");
        goto done;
    }
    if (s->reload_pending) {
        snprintf(out, outlen, "reload refused, nothing changed: the last reload is still stopping the cameras "
                              "it removed; try again");
        goto done;
    }
    rc = conf_load(new, s->conf->path, errs);
    if (rc < 0) {
        size_t n = strlen(errs->text);

        while (n > 0 && errs->text[n - 1] == '\n')
            errs->text[--n] = '\0';
        if (rc == -EINVAL)
            snprintf(out, outlen, "reload refused, nothing changed: %zu error%s in %s\n%s", errs->count,
                     errs->count == 1 ? "" : "s", s->conf->path, errs->text);
        else
            snprintf(out, outlen, "reload refused, nothing changed: %s", errs->text);
        goto done;
    }
    loaded = true;
    if (reload_supervisor_check(s->conf, new, err, sizeof(err)) < 0) {
        snprintf(out, outlen, "reload refused, nothing changed: %s", err);
        goto done;
    }
    if (reload_diff_build(&d, s->conf, new) < 0) {
        snprintf(out, outlen, "reload refused, nothing changed: out of memory");
        goto done;
    }
    if (d.counts[RELOAD_ADDED] + d.counts[RELOAD_REPLACED] > 0 && pressure_refuses_new_cameras(&s->pressure)) {
        snprintf(out, outlen, "reload refused, nothing changed: the pressure level is %s, so no camera is added "
                              "(SPEC 8); this reload adds", pressure_level_name(s->pressure.level));
        for (size_t i = 0; i < d.count; i++)
            if (added(d.items[i].kind))
                append(out, outlen, " %s", d.items[i].new->name);
        goto done;
    }
    snprintf(out, outlen, "reload refused, nothing changed: a camera cannot be added");
    if (!reload_place(s, &d, out, outlen))
        goto done;

    /* The body first: the commit may free the old conf, into which the
     * removed cameras' items point. */
    if (reload_json(out, outlen, &d) < 0)
        snprintf(out, outlen, "{}"); /* cannot happen: the names fit many times over */
    reload_commit(s, new, &d, now);
    new = NULL; /* the running conf now */
    loaded = false;
    log_info("reload: %zu added, %zu removed, %zu changed (%zu tuned, %zu restarted, %zu replaced), %zu unchanged",
             d.counts[RELOAD_ADDED], d.counts[RELOAD_REMOVED],
             d.counts[RELOAD_TUNED] + d.counts[RELOAD_RESTARTED] + d.counts[RELOAD_REPLACED],
             d.counts[RELOAD_TUNED], d.counts[RELOAD_RESTARTED], d.counts[RELOAD_REPLACED],
             d.counts[RELOAD_UNCHANGED]);
    ok = true;
done:
    reload_diff_close(&d);
    if (loaded)
        conf_close(new);
    free(new);
    free(errs);
    return ok;
}

/* Logs a refused reload, a line at a time. */
static void log_refusal(const char *why, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t len = strcspn(p, "\n");

        log_error("%s%.*s", p == text ? why : "  ", (int)len, p);
        p += len + (p[len] == '\n');
    }
}

static void on_sighup(struct supervisor *s, uint64_t now)
{
    char *out = malloc(RELOAD_REPLY_MAX);

    if (!out) {
        log_error("SIGHUP: reload refused, nothing changed: out of memory");
        return;
    }
    if (reload(s, now, out, RELOAD_REPLY_MAX))
        log_info("SIGHUP: reloaded %s: %s", s->conf->path, out);
    else
        log_refusal("SIGHUP: ", out);
    free(out);
}

static int find_camera(void *ctx, const char *name)
{
    struct supervisor *s = ctx;

    for (size_t i = 0; i < s->ncams; i++)
        if (strcmp(s->cams[i].conf->name, name) == 0)
            return (int)i;
    return -1;
}

static void reply(struct supervisor *s, zmq_msg_t *id, bool delimiter, bool ok, const char *body, size_t len)
{
    void *ctl = s->sock[SOCK_CTL];
    const char *word = ok ? "ok" : "error";

    if (zmq_send(ctl, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return;
    if (delimiter)
        zmq_send(ctl, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(ctl, word, strlen(word), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(ctl, body, len, ZMQ_DONTWAIT);
}

static void reply_text(struct supervisor *s, zmq_msg_t *id, bool delimiter, bool ok, const char *text)
{
    reply(s, id, delimiter, ok, text, strlen(text));
}

static void do_request(struct supervisor *s, zmq_msg_t *id, bool delimiter, const struct control_request *req,
                       uint64_t now)
{
    struct cam *c = req->camera >= 0 ? &s->cams[req->camera] : NULL;
    enum camera_state before = c ? c->state : CAMERA_STOPPED;
    int len;

    switch (req->verb) {
    case CONTROL_PING:
        reply_text(s, id, delimiter, true, "pong");
        return;
    case CONTROL_STATUS:
    case CONTROL_METRICS:
        len = render(s, req->verb == CONTROL_METRICS, req->camera, now);
        if (len < 0)
            reply_text(s, id, delimiter, false, "the reply does not fit");
        else
            reply(s, id, delimiter, true, s->buf, (size_t)len);
        return;
    case CONTROL_RELOAD: {
        char *out = malloc(RELOAD_REPLY_MAX);
        bool ok;

        if (!out) {
            reply_text(s, id, delimiter, false, "reload refused, nothing changed: out of memory");
            return;
        }
        ok = reload(s, now, out, RELOAD_REPLY_MAX);
        if (!ok)
            log_refusal("", out);
        reply_text(s, id, delimiter, ok, out);
        free(out);
        return;
    }
    case CONTROL_RESTART:
    case CONTROL_PAUSE:
    case CONTROL_RESUME:
        break;
    }
    if (s->stopping) {
        reply_text(s, id, delimiter, false, "the instance is stopping");
        return;
    }
    if (req->verb == CONTROL_RESTART) {
        if (camera_step(before, CAMERA_EV_RESTART).accepted) {
            c->operator_paused = false; /* a paused camera starts again: the operator's own resume */
            apply(s, c, CAMERA_EV_RESTART, CAMERA_REASON_OPERATOR, NULL, now);
            reply_text(s, id, delimiter, true, "restarting");
        } else {
            reply_text(s, id, delimiter, false, "the camera cannot be restarted now");
        }
    } else if (req->verb == CONTROL_PAUSE) {
        /* An operator's pause is never undone by pressure (SPEC 6, 8), even
         * of a camera that pressure had paused already: it becomes his. */
        if (before == CAMERA_PAUSED) {
            c->operator_paused = true;
            reply_text(s, id, delimiter, true, "already paused");
        } else if (camera_step(before, CAMERA_EV_PAUSE).accepted) {
            c->operator_paused = true;
            apply(s, c, CAMERA_EV_PAUSE, CAMERA_REASON_OPERATOR, NULL, now);
            reply_text(s, id, delimiter, true, "paused");
        } else
            reply_text(s, id, delimiter, false, "the camera cannot be paused now");
    } else {
        if (camera_step(before, CAMERA_EV_RESUME).accepted) {
            c->operator_paused = false;
            apply(s, c, CAMERA_EV_RESUME, CAMERA_REASON_OPERATOR, NULL, now);
            reply_text(s, id, delimiter, true, "resumed");
        } else {
            reply_text(s, id, delimiter, false, "the camera is not paused");
        }
    }
}

static void on_control(struct supervisor *s, uint64_t now)
{
    zmq_msg_t parts[CONTROL_PARTS_MAX + 2];

    for (int budget = 0; budget < 64; budget++) {
        struct control_part cp[CONTROL_PARTS_MAX];
        struct control_request req;
        size_t total_parts, total_bytes, first = 1, count;
        char err[CONTROL_ERR_MAX];
        bool delimiter;
        int n = recv_parts(s->sock[SOCK_CTL], parts, CONTROL_PARTS_MAX + 2, &total_parts, &total_bytes);

        if (n < 0)
            return;
        /* A REQ client's envelope is its routing id and an empty delimiter;
         * a DEALER client may send no delimiter, and is answered likewise. */
        delimiter = n >= 2 && zmq_msg_size(&parts[1]) == 0;
        if (delimiter)
            first = 2;
        total_bytes -= zmq_msg_size(&parts[0]);
        count = total_parts - first;
        for (size_t i = first; i < (size_t)n && i - first < CONTROL_PARTS_MAX; i++) {
            cp[i - first].data = zmq_msg_data(&parts[i]);
            cp[i - first].len = zmq_msg_size(&parts[i]);
        }
        if (control_parse(cp, count, total_bytes, find_camera, s, &req, err, sizeof(err)) < 0) {
            log_debug("control: %s", err);
            reply_text(s, &parts[0], delimiter, false, err);
        } else {
            do_request(s, &parts[0], delimiter, &req, now);
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close(&parts[i]);
    }
}

/* ---- signals and the loop --------------------------------------------- */

static void begin_stop(struct supervisor *s, uint64_t now)
{
    if (s->stopping) {
        /* A second signal: no more waiting. */
        for (size_t i = 0; i < s->ncams; i++)
            unit_kill(&s->cams[i]);
        s->killed_all = true;
        return;
    }
    log_info("stopping");
    s->stopping = true;
    s->stop_deadline_ns = now + STOP_GRACE_NS;
    for (size_t i = 0; i < s->ncams; i++) {
        s->cams[i].spawn_pending = false;
        apply(s, &s->cams[i], CAMERA_EV_STOP, CAMERA_REASON_SHUTDOWN, NULL, now);
    }
}

static void on_signals(struct supervisor *s, uint64_t now)
{
    struct signalfd_siginfo si;

    while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            begin_stop(s, now);
            break;
        case SIGHUP:
            on_sighup(s, now);
            break;
        default:
            break; /* SIGCHLD: reaped below, whatever the signal */
        }
    }
    reap(s, now);
}

static bool units_alive(const struct supervisor *s)
{
    for (size_t i = 0; i < s->ncams; i++)
        if (s->cams[i].unit.pid > 0)
            return true;
    return false;
}

static void earliest(uint64_t *t, uint64_t deadline)
{
    if (deadline && deadline < *t)
        *t = deadline;
}

/* Returns the poll timeout in ms: until the earliest timer, at most a second. */
static long poll_timeout(const struct supervisor *s, uint64_t now)
{
    uint64_t t = s->next_tick_ns;

    for (size_t i = 0; i < s->ncams; i++) {
        const struct cam *c = &s->cams[i];

        earliest(&t, c->backoff_deadline_ns);
        earliest(&t, c->unit.stop_deadline_ns);
        if (c->unit.pid > 0 && !c->unit.ending) {
            earliest(&t, report_deadline(s, &c->unit));
            if (c->unit.reported)
                earliest(&t, c->unit.last_progress_ns + s->conf->stall_timeout_ns);
        }
    }
    if (s->stopping)
        earliest(&t, s->killed_all ? s->stop_deadline_ns + REAP_GRACE_NS : s->stop_deadline_ns);
    if (t <= now)
        return 0;
    t = (t - now + NS_PER_MS - 1) / NS_PER_MS;
    return t > 1000 ? 1000 : (long)t;
}

int supervisor_run(struct supervisor *s)
{
    uint64_t now = now_ns();

    log_info("running: %zu camera%s, arena %s of %" PRIu64 " bytes", s->ncams, s->ncams == 1 ? "" : "s",
             s->arena.shm_name, s->arena.size);
    s->next_tick_ns = now;
    for (size_t i = 0; i < s->ncams; i++)
        apply(s, &s->cams[i], CAMERA_EV_START, CAMERA_REASON_NONE, NULL, now);

    for (;;) {
        zmq_pollitem_t items[] = {
            {s->sock[SOCK_PUB], 0, ZMQ_POLLIN, 0},
            {s->sock[SOCK_CTL], 0, ZMQ_POLLIN, 0},
            {s->sock[SOCK_UP], 0, ZMQ_POLLIN, 0},
            {s->sock[SOCK_WRK], 0, ZMQ_POLLIN, 0},
            {NULL, s->sigfd, ZMQ_POLLIN, 0},
            {s->monitor, 0, ZMQ_POLLIN, 0},
            {NULL, s->psi_fd, ZMQ_POLLPRI, 0},
            {NULL, -1, 0, 0},
        };
        /* The monitor and the PSI trigger are optional: left out when absent. */
        int nitems = 5;
        int rc;

        if (s->monitor)
            nitems = 6;
        else
            items[5] = items[6];
        if (s->psi_fd >= 0)
            nitems++;
        /* The ZAP handler goes last, outside the optional items' loop. */
        int zap_item = -1;
        if (s->zap) {
            zap_item = nitems;
            items[nitems++] = (zmq_pollitem_t){zap_socket(s->zap), 0, ZMQ_POLLIN, 0};
        }
        rc = zmq_poll(items, nitems, poll_timeout(s, now));

        if (rc < 0 && zmq_errno() != EINTR) {
            log_error("poll: %s", zmq_strerror(zmq_errno()));
            return 1;
        }
        now = now_ns();
        if (rc > 0) {
            if (items[4].revents & ZMQ_POLLIN)
                on_signals(s, now);
            if (items[2].revents & ZMQ_POLLIN)
                relay(s, s->sock[SOCK_UP], s->sock[SOCK_PUB]);
            if (items[0].revents & ZMQ_POLLIN)
                relay(s, s->sock[SOCK_PUB], s->sock[SOCK_UP]);
            if (items[3].revents & ZMQ_POLLIN)
                on_worker_socket(s, now);
            if (items[1].revents & ZMQ_POLLIN)
                on_control(s, now);
            if (zap_item >= 0 && (items[zap_item].revents & ZMQ_POLLIN) && zap_handle(s->zap) < 0)
                log_error("curve: the ZAP handler failed: %s", zmq_strerror(zmq_errno()));
            for (int i = 5; i < nitems; i++) {
                if (i == zap_item)
                    continue;
                if (items[i].socket && (items[i].revents & ZMQ_POLLIN))
                    on_monitor(s);
                else if (!items[i].socket && items[i].revents)
                    on_psi(s, items[i].revents, now);
            }
        }
        if (now >= s->next_tick_ns) {
            tick(s, now);
            s->next_tick_ns = now + s->conf->monitor_interval_ns;
        }
        check_cameras(s, now);
        if (s->reload_pending && !s->stopping)
            reload_finish(s, now);

        if (s->stopping) {
            if (!units_alive(s))
                break;
            if (!s->killed_all && now >= s->stop_deadline_ns) {
                log_warn("workers still alive after 5 s, killing them");
                for (size_t i = 0; i < s->ncams; i++)
                    unit_kill(&s->cams[i]);
                s->killed_all = true;
            }
            if (s->killed_all && now >= s->stop_deadline_ns + REAP_GRACE_NS) {
                log_error("workers could not be reaped");
                return 1;
            }
        }
    }
    log_info("stopped");
    return 0;
}

/* ---- setting up --------------------------------------------------------- */

/* mkdir -p with mode 0700, then refuses a directory not owned by us or
 * writable by others. */
static int runtime_dir_prepare(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof(path)) {
        snprintf(err, errlen, "runtime_dir: invalid path '%s'", dir);
        return -EINVAL;
    }
    memcpy(path, dir, len + 1);
    for (char *p = path + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;

            *p = '\0';
            if (mkdir(path, 0700) < 0 && errno != EEXIST) {
                int e = errno;

                snprintf(err, errlen, "runtime_dir: cannot create %s: %s", path, strerror(e));
                return -e;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    if (lstat(dir, &st) < 0) {
        int e = errno;

        snprintf(err, errlen, "runtime_dir: %s: %s", dir, strerror(e));
        return -e;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "runtime_dir: %s is not a directory", dir);
        return -ENOTDIR;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "runtime_dir: %s is owned by uid %u, not by us (uid %u): refusing it", dir,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        return -EPERM;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen, "runtime_dir: %s is writable by others (mode %04o): refusing it; chmod 0700 it",
                 dir, (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

/* An ipc:// socket file that exists either has a live server, which we
 * must not take over, or is left from a dead one, which we remove. */
static int socket_file_check(const char *endpoint, char *err, size_t errlen)
{
    const char *path = ipc_endpoint_path(endpoint);
    struct sockaddr_un sun;
    struct stat st;
    int fd, rc;

    if (!path || lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket", path);
        return -EEXIST;
    }
    if (strlen(path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    close(fd);
    if (rc == 0) {
        snprintf(err, errlen, "%s is served by another process: is another instance running?", path);
        return -EEXIST;
    }
    unlink(path);
    return 0;
}

static int bind_socket(struct supervisor *s, void *sock, const char *endpoint, char *err, size_t errlen)
{
    int rc = socket_file_check(endpoint, err, errlen);
    const char *path;

    if (rc < 0)
        return rc;
    if (zmq_bind(sock, endpoint) < 0) {
        rc = -zmq_errno();
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(-rc));
        return rc;
    }
    path = ipc_endpoint_path(endpoint);
    if (path) {
        char *copy = strdup(path);

        if (!copy)
            return -ENOMEM;
        s->bound_files[s->bound_count++] = copy;
    }
    return 0;
}

/* Each refused publish client is logged (SPEC 9). */
static void on_zap_refused(void *arg, const struct zap_refusal *r)
{
    (void)arg;
    log_warn("%s", r->text);
}

static int open_sockets(struct supervisor *s, char *err, size_t errlen)
{
    static const int types[SOCK_COUNT] = {ZMQ_XPUB, ZMQ_ROUTER, ZMQ_XSUB, ZMQ_ROUTER};
    static const enum ipc_socket which[SOCK_COUNT] = {IPC_PUB, IPC_CTL, IPC_UP, IPC_WRK};
    const struct conf *conf = s->conf;
    int zero = 0, one = 1, hwm = PUB_SNDHWM, up_hwm = UP_RCVHWM, rc;

    s->bound_files = calloc(SOCK_COUNT + conf->publish_count, sizeof(char *));
    s->zctx = zmq_ctx_new();
    if (!s->bound_files || !s->zctx) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (int i = 0; i < SOCK_COUNT; i++) {
        rc = ipc_endpoint(s->endpoint[i], sizeof(s->endpoint[i]), conf->runtime_dir, conf->name, which[i]);
        if (rc < 0) {
            snprintf(err, errlen, "runtime_dir: %s is too long for a socket path", conf->runtime_dir);
            return rc;
        }
        s->sock[i] = zmq_socket(s->zctx, types[i]);
        if (!s->sock[i]) {
            rc = -zmq_errno();
            snprintf(err, errlen, "cannot create a socket: %s", zmq_strerror(-rc));
            return rc;
        }
        zmq_setsockopt(s->sock[i], ZMQ_LINGER, &zero, sizeof(zero));
    }
    zmq_setsockopt(s->sock[SOCK_PUB], ZMQ_XPUB_VERBOSE, &zero, sizeof(zero));
    /* SNDHWM bounds what a subscriber that does not read costs camarenad
     * (queue_bound counts it as used). The XPUB stays lossy (no
     * ZMQ_XPUB_NODROP): with NODROP, one full subscriber queue makes the
     * send fail for every subscriber, so one stuck client would silence the
     * instance. Lossy, a slow subscriber loses only its own messages, and
     * sees the gaps in frame_seq. */
    zmq_setsockopt(s->sock[SOCK_PUB], ZMQ_SNDHWM, &hwm, sizeof(hwm));
    /* The ZAP handler is bound before any CURVE endpoint: without it libzmq
     * would let every CURVE client in. */
    if (conf->curve_secret_key[0]) {
        rc = zap_new(&s->zap, s->zctx, conf->curve_secret_key, conf->curve_client_keys, on_zap_refused, s, err,
                     errlen);
        if (rc < 0)
            return rc;
        log_info("curve: tcp publish endpoints use CURVE; server public key %s", zap_public_key(s->zap));
    }
    /* Connections are counted for queue_bound (without the monitor the
     * bound is that of one subscriber), and clients that do not speak CURVE
     * are seen here, since they never reach the ZAP handler. */
    if (zmq_socket_monitor(s->sock[SOCK_PUB], PUB_MONITOR,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | (s->zap ? ZAP_MONITOR_EVENTS : 0)) == 0) {
        s->monitor = zmq_socket(s->zctx, ZMQ_PAIR);
        if (s->monitor && zmq_connect(s->monitor, PUB_MONITOR) < 0) {
            zmq_close(s->monitor);
            s->monitor = NULL;
        }
        if (s->monitor)
            zmq_setsockopt(s->monitor, ZMQ_LINGER, &zero, sizeof(zero));
    }
    if (!s->monitor) {
        log_warn("pressure: cannot count subscribers; the publish queue bound counts one");
        s->subscribers = 1;
    }
    zmq_setsockopt(s->sock[SOCK_UP], ZMQ_RCVHWM, &up_hwm, sizeof(up_hwm));
    zmq_setsockopt(s->sock[SOCK_WRK], ZMQ_ROUTER_HANDOVER, &one, sizeof(one));
    zmq_setsockopt(s->sock[SOCK_WRK], ZMQ_ROUTER_MANDATORY, &one, sizeof(one));

    /* The control socket is bound last: once it answers, the instance is up. */
    static const int order[SOCK_COUNT] = {SOCK_UP, SOCK_WRK, SOCK_PUB, SOCK_CTL};
    for (int k = 0; k < SOCK_COUNT; k++) {
        int i = order[k];

        rc = bind_socket(s, s->sock[i], s->endpoint[i], err, errlen);
        if (rc < 0)
            return rc;
        if (i == SOCK_PUB) {
            for (size_t p = 0; p < conf->publish_count; p++) {
                rc = zap_wants_curve(s->zap, conf->publish[p])
                         ? zap_secure_bind(s->zap, s->sock[SOCK_PUB], conf->publish[p], err, errlen)
                         : bind_socket(s, s->sock[SOCK_PUB], conf->publish[p], err, errlen);
                if (rc < 0)
                    return rc;
            }
        }
    }
    return 0;
}

static int open_signals(struct supervisor *s, char *err, size_t errlen)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, &s->old_mask) < 0 ||
        (s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        int e = errno;

        snprintf(err, errlen, "signalfd: %s", strerror(e));
        return -e;
    }
    return 0;
}

int supervisor_new(struct supervisor **out, const struct conf *conf, char *err, size_t errlen)
{
    struct supervisor *s = calloc(1, sizeof(*s));
    size_t n = 0;
    int rc;

    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->conf = conf;
    s->sigfd = -1;
    s->psi_fd = -1;
    s->arena.fd = -1;

    rc = spawn_worker_path(s->worker_path, sizeof(s->worker_path));
    if (rc == 0 && access(s->worker_path, X_OK) < 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(err, errlen, "cannot find camarena-worker next to camarenad (%s): %s", s->worker_path,
                 strerror(-rc));
        goto err;
    }
    s->report_ms = report_interval_ms(conf);

    rc = runtime_dir_prepare(conf->runtime_dir, err, errlen);
    if (rc < 0)
        goto err;
    rc = plan_from_conf(&s->plan, conf, err, errlen);
    if (rc < 0)
        goto err;
    rc = arena_create(&s->arena, conf->name, conf->arena_mode, &s->plan, err, errlen);
    if (rc < 0) {
        s->arena.fd = -1;
        goto err;
    }
    s->arena_open = true;

    /* Every array a camera has a place in is sized for max_cameras now, so
     * that a reload never moves them. */
    s->capacity = conf->max_cameras > s->plan.part_count ? conf->max_cameras : s->plan.part_count;
    s->cams = calloc(s->capacity ? s->capacity : 1, sizeof(*s->cams));
    s->pcams = calloc(s->capacity ? s->capacity : 1, sizeof(*s->pcams));
    s->actions = calloc(PRESSURE_ACTIONS_PER_CAMERA * (s->capacity ? s->capacity : 1), sizeof(*s->actions));
    s->camera_bytes = calloc(s->capacity ? s->capacity : 1, sizeof(*s->camera_bytes));
    s->adds = calloc(s->capacity ? s->capacity : 1, sizeof(*s->adds));
    if (!s->cams || !s->pcams || !s->actions || !s->camera_bytes || !s->adds || buf_fit(s, s->plan.part_count) < 0) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    if (s->largest_message < EVENT_MAX + CONF_NAME_MAX + 16)
        s->largest_message = EVENT_MAX + CONF_NAME_MAX + 16;
    for (size_t i = 0; i < conf->camera_count; i++) {
        if (!conf->cameras[i].enabled)
            continue;
        cam_init(s, &conf->cameras[i], (uint32_t)n, s->plan.parts[n].frame_size);
        n++;
    }
    srandom((unsigned)(getpid() ^ now_ns()));

    settings_apply(s);
    pressure_init(&s->pressure, &s->pressure.cfg);
    s->psi_fd = hostmem_trigger_open(NULL, HOSTMEM_TRIGGER_KIND, HOSTMEM_TRIGGER_STALL_US, HOSTMEM_TRIGGER_WINDOW_US);
    if (s->psi_fd < 0) {
        log_debug("pressure: no PSI trigger (%s); host pressure is read each interval", strerror(-s->psi_fd));
        s->psi_fd = -1;
    }

    rc = open_signals(s, err, errlen);
    if (rc < 0)
        goto err;
    rc = open_sockets(s, err, errlen);
    if (rc < 0)
        goto err;
    *out = s;
    return 0;
err:
    supervisor_destroy(&s);
    return rc;
}

void supervisor_destroy(struct supervisor **sp)
{
    struct supervisor *s = sp ? *sp : NULL;

    if (!s)
        return;
    /* Whatever still runs goes now; supervisor_run normally left nothing. */
    for (size_t i = 0; i < s->ncams; i++) {
        struct cam *c = &s->cams[i];

        if (c->unit.pid > 0) {
            kill(-c->unit.pid, SIGKILL);
            while (waitpid(c->unit.pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        if (c->unit.status_fd >= 0)
            close(c->unit.status_fd);
    }
    if (s->monitor)
        zmq_close(s->monitor);
    for (int i = 0; i < SOCK_COUNT; i++)
        if (s->sock[i])
            zmq_close(s->sock[i]);
    zap_destroy(&s->zap);
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    for (size_t i = 0; i < s->bound_count; i++) {
        unlink(s->bound_files[i]);
        free(s->bound_files[i]);
    }
    free(s->bound_files);
    if (s->arena_open)
        arena_close(&s->arena, true);
    arena_plan_close(&s->plan);
    if (s->sigfd >= 0) {
        close(s->sigfd);
        sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
    }
    if (s->psi_fd >= 0)
        close(s->psi_fd);
    free(s->cams);
    free(s->adds);
    if (s->conf_owned) {
        conf_close(s->conf_owned);
        free(s->conf_owned);
    }
    if (s->conf_retired) {
        conf_close(s->conf_retired);
        free(s->conf_retired);
    }
    free(s->buf);
    free(s->pcams);
    free(s->actions);
    free(s->camera_bytes);
    free(s);
    *sp = NULL;
}
