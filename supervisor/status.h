/* status.h - what camarenad tells about itself: the status JSON of SPEC 6,
 * the event JSON of SPEC 5, and the Prometheus text of SPEC 10.
 *
 * The writers take plain snapshots (filled by supervisor.c), so that tests
 * can check their shape without a running daemon. Each returns the length
 * written into buf (NUL-terminated), or -ENOBUFS if buf is too small. */
#ifndef CAMARENA_SUPERVISOR_STATUS_H
#define CAMARENA_SUPERVISOR_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/camera.h"

/* One camera as the status, the metrics and the events show it. */
struct status_camera {
    const char *name;
    enum camera_state state;
    enum camera_reason reason;     /* of the last transition */
    pid_t pid;                     /* the worker, 0 if none */
    pid_t ffmpeg_pid;              /* from the worker's last report, 0 if none */
    double fps;                    /* measured from head_seq over the last intervals */
    uint64_t frames;               /* frames committed: head_seq */
    uint64_t head_seq;
    uint64_t drops_decimated;      /* totals over every run */
    uint64_t drops_notify;
    uint64_t drops_partial;
    uint64_t restarts;
    uint64_t restarts_by_reason[CAMERA_REASON_COUNT];
    uint64_t backoff_ms;           /* the last backoff delay chosen, 0 after a reset */
    uint64_t memory_bytes;         /* worker + FFmpeg, Pss_Anon + Pss_File */
    int64_t last_frame_age_ms;     /* -1 while there is no frame */
    uint32_t priority;
    uint32_t decimation;
    const char *error;             /* the last error line, "" if none */
};

struct status_instance {
    const char *name;
    uint64_t generation;
    pid_t pid;
    uint64_t used_bytes;   /* arena + the private memory of every process */
    uint64_t limit_bytes;  /* global_limit */
};

/* One event on event/<camera>/. */
struct status_event {
    const char *camera;
    const char *state;      /* "starting" "running" "exit" "backoff" "paused" "stopped" "stale" */
    enum camera_reason reason;
    uint64_t restarts;
    uint64_t backoff_ms;
    const char *error;      /* FFmpeg's last stderr line, or "" */
    int exit_status;        /* FFmpeg's exit status, or -1 */
    int signal;             /* the signal that ended the unit, or 0 */
    int worker_status;      /* the worker's exit code, or -1 */
    pid_t pid;              /* the worker, 0 if none */
    uint64_t head_seq;
};

/* Writes {instance, generation, pid, pressure:{...}, cameras:[...]} with the
 * count cameras given (one, for "status CAMERA"). */
int status_json(char *buf, size_t cap, const struct status_instance *inst,
                const struct status_camera *cams, size_t count);

/* Writes the event as one JSON object. */
int status_event_json(char *buf, size_t cap, const struct status_event *ev);

/* Writes the Prometheus text exposition of the metrics that exist. */
int status_metrics(char *buf, size_t cap, const struct status_instance *inst,
                   const struct status_camera *cams, size_t count);

#endif
