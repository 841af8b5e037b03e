/* camera.c - the camera state machine (see camera.h). */
#include "supervisor/camera.h"

#include <stdlib.h>

#define T(s, a) { true, (s), (a) }
#define PUB CAMERA_DO_PUBLISH

/* Events left out of a row are not accepted in that state. Every end of a
 * live unit is reported with an "exit" event (SPEC 7), the operator's
 * restart and pause included; a shutdown says "stopped" only. A unit that ends
 * on its own while starting or running is a failure; one that ends after
 * being told to (paused, stopped, killed for a stall) is not reported again,
 * so FAIL is only accepted where a unit is meant to be alive. */
static const struct camera_transition table[CAMERA_STATE_COUNT][CAMERA_EVENT_COUNT] = {
    [CAMERA_STOPPED] = {
        [CAMERA_EV_START] = T(CAMERA_STARTING, CAMERA_DO_SPAWN | PUB),
    },
    [CAMERA_STARTING] = {
        [CAMERA_EV_FRAMES] = T(CAMERA_RUNNING, PUB),
        [CAMERA_EV_FAIL] = T(CAMERA_BACKOFF, CAMERA_DO_KILL | CAMERA_DO_EXIT_EVENT | CAMERA_DO_COUNT_RESTART |
                                                 CAMERA_DO_BACKOFF | PUB),
        [CAMERA_EV_PAUSE] = T(CAMERA_PAUSED, CAMERA_DO_STOP | CAMERA_DO_EXIT_EVENT | PUB),
        [CAMERA_EV_RESTART] = T(CAMERA_STARTING, CAMERA_DO_KILL | CAMERA_DO_EXIT_EVENT | CAMERA_DO_COUNT_RESTART |
                                                     CAMERA_DO_SPAWN | PUB),
        [CAMERA_EV_STOP] = T(CAMERA_STOPPED, CAMERA_DO_STOP | PUB),
    },
    [CAMERA_RUNNING] = {
        [CAMERA_EV_FAIL] = T(CAMERA_BACKOFF, CAMERA_DO_KILL | CAMERA_DO_EXIT_EVENT | CAMERA_DO_COUNT_RESTART |
                                                 CAMERA_DO_BACKOFF | PUB),
        [CAMERA_EV_PAUSE] = T(CAMERA_PAUSED, CAMERA_DO_STOP | CAMERA_DO_EXIT_EVENT | PUB),
        [CAMERA_EV_RESTART] = T(CAMERA_STARTING, CAMERA_DO_KILL | CAMERA_DO_EXIT_EVENT | CAMERA_DO_COUNT_RESTART |
                                                     CAMERA_DO_SPAWN | PUB),
        [CAMERA_EV_STOP] = T(CAMERA_STOPPED, CAMERA_DO_STOP | PUB),
    },
    [CAMERA_BACKOFF] = {
        [CAMERA_EV_BACKOFF_DONE] = T(CAMERA_STARTING, CAMERA_DO_SPAWN | PUB),
        [CAMERA_EV_PAUSE] = T(CAMERA_PAUSED, CAMERA_DO_DISARM | PUB),
        [CAMERA_EV_RESTART] = T(CAMERA_STARTING, CAMERA_DO_DISARM | CAMERA_DO_COUNT_RESTART | CAMERA_DO_SPAWN | PUB),
        [CAMERA_EV_STOP] = T(CAMERA_STOPPED, CAMERA_DO_DISARM | PUB),
    },
    [CAMERA_PAUSED] = {
        [CAMERA_EV_RESUME] = T(CAMERA_STARTING, CAMERA_DO_SPAWN | PUB),
        /* An operator's restart of a paused camera starts it now, as resume does. */
        [CAMERA_EV_RESTART] = T(CAMERA_STARTING, CAMERA_DO_SPAWN | PUB),
        [CAMERA_EV_STOP] = T(CAMERA_STOPPED, PUB),
    },
};

struct camera_transition camera_step(enum camera_state state, enum camera_event event)
{
    struct camera_transition t;

    if ((unsigned)state >= CAMERA_STATE_COUNT || (unsigned)event >= CAMERA_EVENT_COUNT)
        abort();
    t = table[state][event];
    if (!t.accepted) {
        t.state = state;
        t.actions = 0;
    }
    return t;
}

const char *camera_state_name(enum camera_state state)
{
    static const char *const names[] = {"stopped", "starting", "running", "backoff", "paused"};

    return (unsigned)state < CAMERA_STATE_COUNT ? names[state] : "unknown";
}

const char *camera_event_name(enum camera_event event)
{
    static const char *const names[] = {"start", "frames", "fail", "backoff-done",
                                        "pause", "resume", "restart", "stop"};

    return (unsigned)event < CAMERA_EVENT_COUNT ? names[event] : "unknown";
}

const char *camera_reason_name(enum camera_reason reason)
{
    static const char *const names[] = {"", "exit", "signal", "stalled", "unresponsive",
                                        "memory", "leak", "pressure", "operator", "shutdown", "reload"};

    return (unsigned)reason < CAMERA_REASON_COUNT ? names[reason] : "";
}
