/* camera.h - a camera's life as an explicit state machine: states, events,
 * and the one transition function camarenad applies to them.
 *
 * camera_step is pure: it says what the new state is and what must be done
 * (spawn, stop, kill, arm a backoff timer...). supervisor.c carries the
 * actions out and publishes the events; tests check the table directly. */
#ifndef CAMARENA_SUPERVISOR_CAMERA_H
#define CAMARENA_SUPERVISOR_CAMERA_H

#include <stdbool.h>

#include "arena/layout.h"

/* The same numbers as enum arena_state: the state goes into the descriptor. */
enum camera_state {
    CAMERA_STOPPED = ARENA_STATE_STOPPED,
    CAMERA_STARTING = ARENA_STATE_STARTING,
    CAMERA_RUNNING = ARENA_STATE_RUNNING,
    CAMERA_BACKOFF = ARENA_STATE_BACKOFF,
    CAMERA_PAUSED = ARENA_STATE_PAUSED,
    CAMERA_STATE_COUNT
};

enum camera_event {
    CAMERA_EV_START,        /* the daemon starts the camera */
    CAMERA_EV_FRAMES,       /* the unit delivered its first frame */
    CAMERA_EV_FAIL,         /* the unit exited, stalled or stopped answering */
    CAMERA_EV_BACKOFF_DONE, /* the backoff delay expired */
    CAMERA_EV_PAUSE,        /* operator (or, later, pressure) */
    CAMERA_EV_RESUME,
    CAMERA_EV_RESTART,      /* operator: restart now, no delay */
    CAMERA_EV_STOP,         /* the daemon shuts down */
    CAMERA_EVENT_COUNT
};

/* Why a unit ended or a transition happened; the names go into events. */
enum camera_reason {
    CAMERA_REASON_NONE,
    CAMERA_REASON_EXIT,
    CAMERA_REASON_SIGNAL,
    CAMERA_REASON_STALLED,
    CAMERA_REASON_UNRESPONSIVE,
    CAMERA_REASON_MEMORY,
    CAMERA_REASON_LEAK,
    CAMERA_REASON_PRESSURE,
    CAMERA_REASON_OPERATOR,
    CAMERA_REASON_SHUTDOWN,
    CAMERA_REASON_RELOAD,       /* a reload added, changed or removed the camera */
    CAMERA_REASON_COUNT
};

/* What a transition asks for, in the order supervisor.c carries them out. */
enum camera_action {
    CAMERA_DO_KILL = 1 << 0,          /* end the unit now: SIGKILL its process group */
    CAMERA_DO_STOP = 1 << 1,          /* ask the worker to stop; SIGKILL after the stop deadline */
    CAMERA_DO_DISARM = 1 << 2,        /* cancel the backoff timer */
    CAMERA_DO_EXIT_EVENT = 1 << 3,    /* publish an "exit" event with the reason and exit details */
    CAMERA_DO_COUNT_RESTART = 1 << 4, /* restarts += 1, counted under the reason */
    CAMERA_DO_BACKOFF = 1 << 5,       /* count a failed run and arm the backoff timer */
    CAMERA_DO_SPAWN = 1 << 6,         /* start a unit (once the old one is reaped) */
    CAMERA_DO_PUBLISH = 1 << 7,       /* publish the new state as an event */
};

struct camera_transition {
    bool accepted;           /* false: the event means nothing in this state; nothing changes */
    enum camera_state state; /* the new state (the old one when not accepted) */
    unsigned actions;        /* enum camera_action bits */
};

/* Returns the transition for event in state. Never fails: events that mean
 * nothing in a state are not accepted. */
struct camera_transition camera_step(enum camera_state state, enum camera_event event);

/* Names: "stopped" "starting" "running" "backoff" "paused"; "start"...;
 * "" "exit" "signal" "stalled" "unresponsive" "memory" "leak" "pressure"
 * "operator" "shutdown" "reload". */
const char *camera_state_name(enum camera_state state);
const char *camera_event_name(enum camera_event event);
const char *camera_reason_name(enum camera_reason reason);

#endif
