/* pressure.c - accounting, level machine and planner (see pressure.h). */
#include "supervisor/pressure.h"

#include <assert.h>
#include <stdlib.h>

#include "ipc/json.h"

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void pressure_account(struct pressure_usage *u, uint64_t arena_bytes, uint64_t self_bytes,
                      const uint64_t *camera_bytes, size_t count, uint64_t queue_bytes,
                      uint64_t global_limit)
{
    assert(global_limit > 0);
    assert(count == 0 || camera_bytes);
    u->arena_bytes = arena_bytes;
    u->self_bytes = self_bytes;
    u->cameras_bytes = 0;
    for (size_t i = 0; i < count; i++)
        u->cameras_bytes = add_sat(u->cameras_bytes, camera_bytes[i]);
    u->queue_bytes = queue_bytes;
    u->used_bytes = add_sat(add_sat(add_sat(arena_bytes, self_bytes), u->cameras_bytes), queue_bytes);
    u->limit_bytes = global_limit;
    u->ratio = (double)u->used_bytes / (double)global_limit;
}

/* ---- the level machine ------------------------------------------------ */

void pressure_config_init(struct pressure_config *cfg, double soft, double hard, double critical)
{
    assert(soft > 0 && soft < hard && hard < critical && critical <= 1.0);
    cfg->threshold[PRESSURE_NONE] = 0;
    cfg->threshold[PRESSURE_LOW] = soft < PRESSURE_LOW_RATIO ? soft : PRESSURE_LOW_RATIO;
    cfg->threshold[PRESSURE_MODERATE] = soft;
    cfg->threshold[PRESSURE_HIGH] = hard;
    cfg->threshold[PRESSURE_CRITICAL] = critical;
    cfg->margin = PRESSURE_MARGIN;
    cfg->calm_intervals = PRESSURE_CALM_INTERVALS;
    cfg->restart_level = PRESSURE_HIGH;
}

void pressure_init(struct pressure *p, const struct pressure_config *cfg)
{
    p->cfg = *cfg;
    p->level = PRESSURE_NONE;
    p->indicated = PRESSURE_NONE;
    p->ratio_level = PRESSURE_NONE;
    p->host_level = PRESSURE_NONE;
    p->calm = 0;
    p->ratio = 0;
}

enum pressure_level pressure_ratio_level(const struct pressure_config *cfg, double ratio)
{
    for (int l = PRESSURE_CRITICAL; l > PRESSURE_NONE; l--)
        if (ratio >= cfg->threshold[l])
            return (enum pressure_level)l;
    return PRESSURE_NONE;
}

static enum pressure_level max_level(enum pressure_level a, enum pressure_level b)
{
    return a > b ? a : b;
}

enum pressure_level pressure_host_level(const struct hostmem *host, double margin)
{
    enum pressure_level l = PRESSURE_NONE;
    double points = 100.0 * margin;

    if (!host)
        return PRESSURE_NONE;
    if (host->psi) {
        if (host->full_avg10 >= PRESSURE_HOST_FULL_CRITICAL - points)
            l = max_level(l, PRESSURE_CRITICAL);
        else if (host->full_avg10 >= PRESSURE_HOST_FULL_HIGH - points)
            l = max_level(l, PRESSURE_HIGH);
        if (host->some_avg10 >= PRESSURE_HOST_SOME_MODERATE - points)
            l = max_level(l, PRESSURE_MODERATE);
    }
    if (host->meminfo) {
        double avail = hostmem_available_ratio(host);

        if (avail < PRESSURE_HOST_AVAIL_CRITICAL + margin)
            l = max_level(l, PRESSURE_CRITICAL);
        else if (avail < PRESSURE_HOST_AVAIL_HIGH + margin)
            l = max_level(l, PRESSURE_HIGH);
        else if (avail < PRESSURE_HOST_AVAIL_MODERATE + margin)
            l = max_level(l, PRESSURE_MODERATE);
    }
    return l;
}

/* The fall condition of pressure.h: the ratio under the current level's
 * threshold minus the margin, and a host that is calm even with the margin. */
static bool may_fall(const struct pressure *p, double ratio, const struct hostmem *host)
{
    return ratio < p->cfg.threshold[p->level] - p->cfg.margin &&
           pressure_host_level(host, p->cfg.margin) < p->level;
}

bool pressure_update(struct pressure *p, double ratio, const struct hostmem *host)
{
    enum pressure_level before = p->level;

    p->ratio = ratio;
    p->ratio_level = pressure_ratio_level(&p->cfg, ratio);
    p->host_level = pressure_host_level(host, 0);
    p->indicated = max_level(p->ratio_level, p->host_level);
    if (p->indicated > p->level) {
        p->level = p->indicated;
        p->calm = 0;
    } else if (p->level > PRESSURE_NONE && may_fall(p, ratio, host)) {
        if (++p->calm >= p->cfg.calm_intervals) {
            p->level--;
            p->calm = 0;
        }
    } else {
        p->calm = 0;
    }
    return p->level != before;
}

bool pressure_refuses_new_cameras(const struct pressure *p)
{
    return p->level >= PRESSURE_CRITICAL;
}

const char *pressure_level_name(enum pressure_level level)
{
    static const char *const names[PRESSURE_LEVEL_COUNT] = {"none", "low", "moderate", "high", "critical"};

    if ((unsigned)level >= PRESSURE_LEVEL_COUNT)
        abort();
    return names[level];
}

/* ---- the planner ------------------------------------------------------ */

/* Taking order: ascending (priority, index). */
static bool before_in_order(const struct pressure_camera *cams, size_t a, size_t b)
{
    return cams[a].priority != cams[b].priority ? cams[a].priority < cams[b].priority : a < b;
}

static bool want_decimated(const struct pressure *p, const struct pressure_camera *c, uint32_t top)
{
    return (p->level >= PRESSURE_MODERATE && c->priority < PRESSURE_SHED_PRIORITY) ||
           (p->level >= PRESSURE_HIGH && c->priority < top);
}

static bool want_held(const struct pressure *p, const struct pressure_camera *c)
{
    return p->level >= PRESSURE_MODERATE && c->priority < PRESSURE_SHED_PRIORITY;
}

static bool want_paused(const struct pressure *p)
{
    return p->level >= PRESSURE_CRITICAL;
}

static bool undo_pending(const struct pressure *p, const struct pressure_camera *c, uint32_t top)
{
    return (c->shed.paused && !want_paused(p)) || (c->shed.decimated && !want_decimated(p, c, top)) ||
           (c->shed.held && !want_held(p, c));
}

/* The next camera to take from (ascending order) or to undo (descending),
 * among those accepted by pick; count when there is none. */
static size_t first_in_order(const struct pressure *p, const struct pressure_camera *cams, size_t count,
                             uint32_t top, bool descending,
                             bool (*pick)(const struct pressure *, const struct pressure_camera *, uint32_t))
{
    size_t best = count;

    for (size_t i = 0; i < count; i++) {
        if (!pick(p, &cams[i], top))
            continue;
        if (best == count || before_in_order(cams, i, best) != descending)
            best = i;
    }
    return best;
}

static bool pick_pausable(const struct pressure *p, const struct pressure_camera *c, uint32_t top)
{
    (void)p;
    return c->running && !c->paused && !c->shed.paused && c->priority < top;
}

static bool pick_undo_paused(const struct pressure *p, const struct pressure_camera *c, uint32_t top)
{
    (void)top;
    return c->shed.paused && !want_paused(p);
}

static bool pick_undo_any(const struct pressure *p, const struct pressure_camera *c, uint32_t top)
{
    return undo_pending(p, c, top);
}

static void emit(struct pressure_action *out, size_t *n, enum pressure_action_kind kind, size_t camera,
                 uint64_t value)
{
    out[*n].kind = kind;
    out[*n].camera = camera;
    out[*n].value = value;
    (*n)++;
}

/* Drops shed.paused where an operator has taken the camera over. */
static void forget_operator_pauses(struct pressure_camera *cams, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (cams[i].shed.paused && (cams[i].operator_paused || !cams[i].paused))
            cams[i].shed.paused = false;
}

/* The camera right after prev in the taking order (prev == count: the
 * first), or count after the last. Quadratic over a few dozen cameras, and
 * no scratch array. */
static size_t next_in_order(const struct pressure_camera *cams, size_t count, size_t prev)
{
    size_t next = count;

    for (size_t i = 0; i < count; i++) {
        if (prev != count && !before_in_order(cams, prev, i))
            continue;
        if (next == count || before_in_order(cams, i, next))
            next = i;
    }
    return next;
}

int pressure_plan(const struct pressure *p, struct pressure_camera *cams, size_t count,
                  struct pressure_action *out, size_t cap)
{
    size_t n = 0, victim, undo;
    uint32_t top = 0;

    assert(count == 0 || (cams && out));
    assert(cap >= PRESSURE_ACTIONS_PER_CAMERA * count);
    forget_operator_pauses(cams, count);
    for (size_t i = 0; i < count; i++)
        if (cams[i].priority > top)
            top = cams[i].priority;

    /* 1. Decimate and hold, by ascending priority. */
    for (size_t i = next_in_order(cams, count, count); i < count; i = next_in_order(cams, count, i)) {
        if (want_decimated(p, &cams[i], top) && !cams[i].shed.decimated) {
            cams[i].shed.decimated = true;
            emit(out, &n, PRESSURE_ACT_DECIMATE, i, PRESSURE_DECIMATION);
        }
        if (want_held(p, &cams[i]) && !cams[i].shed.held) {
            cams[i].shed.held = true;
            emit(out, &n, PRESSURE_ACT_HOLD, i, 0);
        }
    }

    /* 2. Restarts over memory_limit, by ascending priority. */
    for (size_t i = next_in_order(cams, count, count); i < count; i = next_in_order(cams, count, i))
        if (p->level >= p->cfg.restart_level && cams[i].running && cams[i].memory_limit > 0 &&
            cams[i].memory_bytes > cams[i].memory_limit)
            emit(out, &n, PRESSURE_ACT_RESTART, i, cams[i].memory_bytes);

    /* 3. One pause at critical, while the inputs still say critical. */
    if (p->level >= PRESSURE_CRITICAL && p->indicated >= PRESSURE_CRITICAL) {
        victim = first_in_order(p, cams, count, top, false, pick_pausable);
        if (victim < count) {
            cams[victim].shed.paused = true;
            emit(out, &n, PRESSURE_ACT_PAUSE, victim, 0);
        }
    }

    /* Undo: one camera, by descending priority, the pause layer first: a
     * resumed camera keeps its decimation and hold until its turn comes in
     * the layers below. */
    undo = first_in_order(p, cams, count, top, true, pick_undo_paused);
    if (undo == count)
        undo = first_in_order(p, cams, count, top, true, pick_undo_any);
    if (undo < count && cams[undo].shed.paused && !want_paused(p)) {
        cams[undo].shed.paused = false;
        emit(out, &n, PRESSURE_ACT_RESUME, undo, 0);
    } else if (undo < count) {
        struct pressure_camera *c = &cams[undo];

        if (c->shed.decimated && !want_decimated(p, c, top)) {
            c->shed.decimated = false;
            emit(out, &n, PRESSURE_ACT_UNDECIMATE, undo, 1);
        }
        if (c->shed.held && !want_held(p, c)) {
            c->shed.held = false;
            emit(out, &n, PRESSURE_ACT_RELEASE, undo, 0);
        }
    }
    assert(n <= cap);
    return (int)n;
}

const char *pressure_action_name(enum pressure_action_kind kind)
{
    static const char *const names[PRESSURE_ACT_COUNT] = {"decimate", "undecimate", "hold", "release",
                                                          "restart", "pause", "resume"};

    if ((unsigned)kind >= PRESSURE_ACT_COUNT)
        abort();
    return names[kind];
}

const char *pressure_action_reason(enum pressure_action_kind kind)
{
    switch (kind) {
    case PRESSURE_ACT_RESTART:
        return "memory";
    case PRESSURE_ACT_PAUSE:
    case PRESSURE_ACT_RESUME:
        return "pressure";
    case PRESSURE_ACT_DECIMATE:
    case PRESSURE_ACT_UNDECIMATE:
    case PRESSURE_ACT_HOLD:
    case PRESSURE_ACT_RELEASE:
        return "";
    case PRESSURE_ACT_COUNT:
        break;
    }
    abort();
}

void pressure_actions_json(struct json_writer *w, const struct pressure_action *actions, size_t n,
                           const struct pressure_camera *cams)
{
    json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        const struct pressure_action *a = &actions[i];
        const char *reason = pressure_action_reason(a->kind);

        json_object_begin(w);
        json_kv_string(w, "action", pressure_action_name(a->kind));
        json_kv_string(w, "camera", cams[a->camera].name);
        if (a->kind == PRESSURE_ACT_DECIMATE || a->kind == PRESSURE_ACT_UNDECIMATE)
            json_kv_uint(w, "decimation", a->value);
        else if (a->kind == PRESSURE_ACT_RESTART)
            json_kv_uint(w, "memory_bytes", a->value);
        if (*reason)
            json_kv_string(w, "reason", reason);
        json_object_end(w);
    }
    json_array_end(w);
}
