/* pressure.h - memory pressure (SPEC 8): the accounting of one interval, the
 * level machine with its hysteresis, the host's signals, and the planner
 * that says which cameras to shed or restore.
 *
 * Everything here is pure: the caller reads /proc (procmem.h, hostmem.h),
 * passes numbers in, and carries out the actions it gets back. Nothing is
 * allocated, printed or timed here; the monitor interval is the only clock.
 *
 * Levels and ratios. With ratio = used / global_limit and the thresholds
 * low = min(0.60, soft), soft, hard, critical (conf soft_limit, hard_limit,
 * critical_limit), the ratio indicates the highest level whose threshold it
 * reaches: none below low, low in [low, soft), moderate in [soft, hard),
 * high in [hard, critical), critical from critical up.
 *
 * Up at once: when the ratio or the host indicate a higher level than the
 * current one, the level jumps straight to it (several steps if need be).
 *
 * Down one level at a time: the level falls by ONE step after the fall
 * condition held for three consecutive intervals, and the count starts again
 * at the new level. The fall condition at level L is: the ratio is below
 * threshold(L) - 0.05, and the host indicates a level below L even with its
 * thresholds moved by the same margin (pressure_host_level with margin).
 * An interval in which the condition fails resets the count. Falling one step
 * at a time, rather than straight to what the ratio indicates, restores load
 * in layers: each layer of shedding (the pauses of critical, the decimation
 * of high, the decimation and data hold of moderate) is undone only after
 * the level below it has held for three intervals with what was restored
 * already running, so a restored camera that pushes memory back up is seen
 * before the next layer is restored. From critical to none takes at least
 * twelve intervals.
 *
 * Host thresholds (pressure_host_level; margin 0 when rising). PSI numbers
 * are the avg10 percentages of /proc/pressure/memory; available is
 * MemAvailable / MemTotal.
 *
 *   moderate  some avg10 >= 10  or  available < 0.15
 *   high      full avg10 >= 10  or  available < 0.10
 *   critical  full avg10 >= 30  or  available < 0.05
 *
 * Why: "some" >= 10 % means tasks on the host spent a tenth of the last ten
 * seconds waiting for reclaim - latency suffers but work goes on, so shed
 * the cheap things (moderate). "full" >= 10 % means the whole host made no
 * progress a tenth of the time: it is thrashing (high). "full" >= 30 % is
 * half of systemd-oomd's default kill limit (60 %), so camarena sheds
 * cameras before a host OOM killer picks a victim itself (critical). Below
 * 15 % MemAvailable the page cache that keeps the host fast is being
 * squeezed; below 10 % kswapd is working hard; below 5 % the kernel is a few
 * allocations from its min watermark and the OOM killer. The host never
 * lowers the level and never produces "low" (which only announces). When
 * falling, every threshold is moved by the margin towards "calmer": PSI
 * thresholds by 100 x margin percentage points, available by + margin, so
 * with the default 0.05 the host lets critical go only at full < 25 and
 * available >= 0.10, and so on. */
#ifndef CAMARENA_SUPERVISOR_PRESSURE_H
#define CAMARENA_SUPERVISOR_PRESSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/hostmem.h"

struct json_writer;

enum pressure_level {
    PRESSURE_NONE,
    PRESSURE_LOW,
    PRESSURE_MODERATE,
    PRESSURE_HIGH,
    PRESSURE_CRITICAL,
    PRESSURE_LEVEL_COUNT
};

#define PRESSURE_LOW_RATIO 0.60     /* SPEC 8: none below this */
#define PRESSURE_MARGIN 0.05        /* SPEC 8: a level falls below its threshold minus this */
#define PRESSURE_CALM_INTERVALS 3   /* SPEC 8: ... for this many consecutive intervals */
#define PRESSURE_SHED_PRIORITY 50   /* SPEC 8: moderate sheds cameras with priority below this */
#define PRESSURE_DECIMATION 2       /* SPEC 8: a decimated camera keeps every 2nd frame */

/* Host thresholds; see the comment at the top. */
#define PRESSURE_HOST_SOME_MODERATE 10.0
#define PRESSURE_HOST_FULL_HIGH 10.0
#define PRESSURE_HOST_FULL_CRITICAL 30.0
#define PRESSURE_HOST_AVAIL_MODERATE 0.15
#define PRESSURE_HOST_AVAIL_HIGH 0.10
#define PRESSURE_HOST_AVAIL_CRITICAL 0.05

/* ---- accounting ------------------------------------------------------- */

/* What one interval counted, all in bytes. */
struct pressure_usage {
    uint64_t arena_bytes;   /* the arena's size: all of it is reserved up front */
    uint64_t self_bytes;    /* the supervisor's private memory (supervisor/procmem.h) */
    uint64_t cameras_bytes; /* the sum over cameras of worker + FFmpeg private memory */
    uint64_t queue_bytes;   /* what the publish queues can hold at most */
    uint64_t used_bytes;    /* the sum of the four */
    uint64_t limit_bytes;   /* global_limit */
    double ratio;           /* used_bytes / limit_bytes */
};

/* Fills *u. camera_bytes[i] is camera i's worker + FFmpeg private memory (0
 * for a camera with no unit); count may be 0 with camera_bytes NULL. Sums
 * saturate at UINT64_MAX. Precondition (asserted): global_limit > 0. */
void pressure_account(struct pressure_usage *u, uint64_t arena_bytes, uint64_t self_bytes,
                      const uint64_t *camera_bytes, size_t count, uint64_t queue_bytes,
                      uint64_t global_limit);

/* ---- the level machine ------------------------------------------------ */

struct pressure_config {
    double threshold[PRESSURE_LEVEL_COUNT]; /* lower bound of each level's ratio; [PRESSURE_NONE] = 0 */
    double margin;                          /* PRESSURE_MARGIN */
    unsigned calm_intervals;                /* PRESSURE_CALM_INTERVALS */
    enum pressure_level restart_level;      /* memory_limit restarts from this level up: PRESSURE_HIGH */
};

/* Fills *cfg from the conf's ratios (0 < soft < hard < critical <= 1,
 * asserted) with the SPEC 8 constants above; threshold[LOW] is
 * min(0.60, soft) so that the levels stay in order. */
void pressure_config_init(struct pressure_config *cfg, double soft, double hard, double critical);

struct pressure {
    struct pressure_config cfg;
    enum pressure_level level;      /* the current level, with hysteresis */
    enum pressure_level indicated;  /* max(ratio_level, host_level) of the last update, no hysteresis */
    enum pressure_level ratio_level;/* what the ratio alone indicated at the last update */
    enum pressure_level host_level; /* what the host alone indicated at the last update */
    unsigned calm;                  /* consecutive intervals the fall condition has held */
    double ratio;                   /* of the last update */
};

/* Starts at PRESSURE_NONE with cfg copied. */
void pressure_init(struct pressure *p, const struct pressure_config *cfg);

/* The level the ratio indicates, without hysteresis. */
enum pressure_level pressure_ratio_level(const struct pressure_config *cfg, double ratio);

/* The level the host indicates (see the table at the top), with every
 * threshold moved by margin towards "calmer" (0 to decide a rise). host may
 * be NULL, and signals whose flag is false count as calm: PRESSURE_NONE. */
enum pressure_level pressure_host_level(const struct hostmem *host, double margin);

/* One monitor interval: feeds the ratio and the host reading (NULL: none)
 * into the machine. Returns true if p->level changed. Never fails. */
bool pressure_update(struct pressure *p, double ratio, const struct hostmem *host);

/* reload must add no camera while this holds (SPEC 8): the level is critical. */
bool pressure_refuses_new_cameras(const struct pressure *p);

/* "none" "low" "moderate" "high" "critical". */
const char *pressure_level_name(enum pressure_level level);

/* ---- the planner ------------------------------------------------------ */

/* What pressure has done to a camera and not undone yet. The planner owns
 * these flags: it sets and clears them as it returns actions, and the caller
 * keeps them with the camera between intervals (zeroed for a new camera,
 * dropped with a removed one). */
struct pressure_shed {
    bool decimated;   /* told to keep every PRESSURE_DECIMATION-th frame */
    bool held;        /* its data/ publishing held */
    bool paused;      /* paused by pressure (reason "pressure") */
};

/* One camera as the planner sees it. */
struct pressure_camera {
    const char *name;
    uint32_t priority;        /* 0..100, lowest shed first */
    bool running;             /* it has a live unit (starting or running): it can be paused or restarted */
    bool paused;              /* it is in the paused state, whoever paused it */
    bool operator_paused;     /* an operator's pause: never undone by pressure */
    uint64_t memory_bytes;    /* worker + FFmpeg private memory this interval */
    uint64_t memory_limit;    /* conf memory_limit; 0 = none */
    struct pressure_shed shed;/* in/out, see struct pressure_shed */
};

enum pressure_action_kind {
    PRESSURE_ACT_DECIMATE,   /* supervisor_decimate(camera, value = PRESSURE_DECIMATION) */
    PRESSURE_ACT_UNDECIMATE, /* supervisor_decimate(camera, value = 1) */
    PRESSURE_ACT_HOLD,       /* stop publishing its data/ messages */
    PRESSURE_ACT_RELEASE,    /* publish its data/ messages again */
    PRESSURE_ACT_RESTART,    /* restart its unit, reason "memory"; value = memory_bytes */
    PRESSURE_ACT_PAUSE,      /* pause it, reason "pressure" */
    PRESSURE_ACT_RESUME,     /* resume it, reason "pressure" */
    PRESSURE_ACT_COUNT
};

struct pressure_action {
    enum pressure_action_kind kind;
    size_t camera;           /* index into the cameras given to pressure_plan */
    uint64_t value;          /* the decimation, the memory of a restart, else 0 */
};

/* A plan never holds more than this many actions per camera. */
#define PRESSURE_ACTIONS_PER_CAMERA 4

/* Plans this interval from p (after pressure_update) and the count cameras.
 * Writes the actions, in the order to carry them out, into out (cap >=
 * PRESSURE_ACTIONS_PER_CAMERA * count, asserted), updates each camera's
 * shed flags as if every action were carried out, and returns how many.
 *
 * With P the highest priority among the cameras given ("top" cameras are
 * those with priority P), a camera is wanted:
 *   decimated  at moderate and above if priority < 50; at high and above if
 *              priority < P;
 *   held       at moderate and above if priority < 50;
 *   paused     once pressure paused it, while the level is critical.
 * Taking, in this order, all by ascending (priority, index):
 *   1. decimate / hold every camera that is wanted so and is not yet;
 *   2. restart every running camera with memory_limit > 0 and memory_bytes >
 *      memory_limit, while the level is at least cfg.restart_level;
 *   3. at critical, while the ratio or the host still indicate critical
 *      (p->indicated: a camera paused last interval may already have
 *      brought the ratio down), pause ONE camera: the lowest (priority,
 *      index) that is running, not paused and not a top camera.
 * Undoing, ONE camera per interval, in the reverse of the taking order:
 *   1. if a camera is pressure-paused and the level is below critical, the
 *      highest (priority, index) of them is resumed - only resumed: its
 *      decimation and hold stay until its turn in step 2;
 *   2. otherwise the highest (priority, index) camera with a decimation or
 *      hold no longer wanted gets undecimate, then release, for each.
 * So from critical straight to none, every pause is undone first (one per
 * interval), then the decimations of the high layer, then those of the
 * moderate layer with their holds, always highest priority first.
 *
 * An operator's pause wins: a camera that is operator_paused, or that
 * pressure paused but which is no longer paused (an operator resumed it),
 * loses its shed.paused flag silently and is never resumed by pressure.
 * Restarts are not shed state: nothing undoes them. */
int pressure_plan(const struct pressure *p, struct pressure_camera *cams, size_t count,
                  struct pressure_action *out, size_t cap);

/* "decimate" "undecimate" "hold" "release" "restart" "pause" "resume". */
const char *pressure_action_name(enum pressure_action_kind kind);

/* The event reason of an action: "memory" for a restart, "pressure" for a
 * pause or a resume, "" for the others. */
const char *pressure_action_reason(enum pressure_action_kind kind);

/* Writes the actions as the JSON array of a pressure/ message's "actions":
 * one object per action, {"action":NAME,"camera":CAMERA} plus "decimation"
 * for (un)decimate, "memory_bytes" for a restart, "reason" where
 * pressure_action_reason is not "". The writer reports overflow itself. */
void pressure_actions_json(struct json_writer *w, const struct pressure_action *actions, size_t n,
                           const struct pressure_camera *cams);

#endif
