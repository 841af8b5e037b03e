/* status.h - what camarenad tells about itself: the status JSON of SPEC 6,
 * the event JSON of SPEC 5, and the Prometheus text of SPEC 10.
 *
 * The writers take plain snapshots (filled by supervisor.c), so that tests
 * can check their shape without a running daemon. Each returns the length
 * written into buf (NUL-terminated), or -ENOBUFS if buf is too small. */
#ifndef CAMARENA_SUPERVISOR_STATUS_H
#define CAMARENA_SUPERVISOR_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/proto.h"
#include "supervisor/camera.h"
#include "supervisor/growth.h"
#include "supervisor/pressure.h"

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
    struct ipc_report work;        /* the workers' counters summed over every run (ipc_report_add);
                                    * data_subscribed and hold are the current run's */
    uint64_t drops_relay;          /* its frame/ data/ event/ messages the relay could not send */
    uint64_t restarts;
    uint64_t restarts_by_reason[CAMERA_REASON_COUNT];
    uint64_t backoff_ms;           /* the last backoff delay chosen, 0 after a reset */
    uint64_t memory_bytes;         /* worker + FFmpeg, Pss_Anon + Pss_File */
    int64_t last_frame_age_ms;     /* -1 while there is no frame */
    uint32_t priority;
    uint32_t decimation;
    uint64_t memory_limit;         /* conf memory_limit, 0 = none */
    bool data_held;                /* pressure holds its data/ publishing */
    const char *paused_by;         /* "operator", "pressure", or "" when not paused */
    double growth_bps;             /* memory growth of the current run, bytes per second (0 until judged) */
    enum growth_verdict growth;    /* the last verdict on it */
    const char *error;             /* the last error line, "" if none */
};

/* The pressure object of a pressure/ message and of the status (SPEC 5, 6):
 * the level, the accounting of the last interval, the actions it took, the
 * host's signals and what is shed now. */
struct status_pressure {
    enum pressure_level level;
    enum pressure_level previous;            /* the level before the last interval */
    const struct pressure_usage *usage;
    const struct hostmem *host;
    const struct pressure_action *actions;   /* of the last interval */
    size_t action_count;
    const struct pressure_camera *cams;      /* every camera: names for the actions, shed flags */
    size_t cam_count;
    uint32_t subscribers;                    /* connections to the publish endpoints */
};

struct status_instance {
    const char *name;
    uint64_t generation;
    pid_t pid;
    uint64_t used_bytes;   /* arena + the private memory of every process */
    uint64_t limit_bytes;  /* global_limit */
    const struct status_pressure *pressure; /* NULL: level none, no actions, nothing shed */
    uint64_t relay_dropped;/* messages the relay could not send that name no camera */
};

struct json_writer;

/* One event on event/<camera>/. */
struct status_event {
    const char *camera;
    const char *state;      /* "starting" "running" "exit" "backoff" "paused" "stopped" "stale" "warning" */
    enum camera_reason reason;
    uint64_t restarts;
    uint64_t backoff_ms;
    const char *error;      /* FFmpeg's last stderr line, or "" */
    int exit_status;        /* FFmpeg's exit status, or -1 */
    int signal;             /* the signal that ended the unit, or 0 */
    int worker_status;      /* the worker's exit code, or -1 */
    pid_t pid;              /* the worker, 0 if none */
    uint64_t head_seq;
    double growth_bps;      /* for a "warning": the memory growth, bytes per second; else 0, not written */
};

/* Writes {instance, generation, pid, pressure:{...}, cameras:[...]} with the
 * count cameras given (one, for "status CAMERA"). */
int status_json(char *buf, size_t cap, const struct status_instance *inst,
                const struct status_camera *cams, size_t count);

/* Writes the pressure object alone: the body of a pressure/ message. */
int status_pressure_json(char *buf, size_t cap, const struct status_pressure *p);

/* Appends the pressure object to a writer (status_json uses it). */
void status_pressure_write(struct json_writer *w, const struct status_pressure *p);

/* Writes the event as one JSON object. */
int status_event_json(char *buf, size_t cap, const struct status_event *ev);

/* Writes the Prometheus text exposition of the metrics that exist. */
int status_metrics(char *buf, size_t cap, const struct status_instance *inst,
                   const struct status_camera *cams, size_t count);

#endif
