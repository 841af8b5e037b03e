/* proto.h - endpoints, topics and the internal protocol between camarenad and its workers.
 *
 * Sockets of one instance, all in runtime_dir:
 *   <name>.pub  XPUB   bound by camarenad; subscribers connect SUB (SPEC 4)
 *   <name>.ctl  ROUTER bound by camarenad; control clients connect REQ (SPEC 6)
 *   <name>.up   XSUB   bound by camarenad; each worker connects an XPUB and
 *                      publishes frame/ messages there, and (unless --data off)
 *                      a second XPUB for data/ messages, whose high-water mark
 *                      bounds the data it queues; camarenad relays both to
 *                      <name>.pub and relays subscriptions back, so a worker
 *                      sees who subscribes to what.
 *   <name>.wrk  ROUTER bound by camarenad (ZMQ_ROUTER_HANDOVER); each worker
 *                      connects a DEALER whose routing id is its camera name.
 *
 * On <name>.wrk, worker to camarenad:
 *   "report" + struct ipc_report        every report interval, and at once when FFmpeg starts
 * camarenad to worker:
 *   "stop"                               finish the current frame, stop FFmpeg, exit 0
 *   "decimate" + u32 N                   keep every Nth frame (1 keeps all)
 *   "hold" + u8 H                        1: hold data/ publishing (pressure), frames
 *                                        are neither compressed nor sent, and are
 *                                        counted in dropped_data_hold; 0: release
 *
 * camarenad starts a worker with this argument vector (worker/main.c parses it,
 * supervisor/ builds it; the camera's geometry comes from its arena descriptor):
 *   camarena-worker --instance NAME --camera NAME --index N --runtime-dir DIR
 *                   --ffmpeg PATH --url URL [--lavfi] --fps F --decimation N
 *                   --status-fd FD --report-ms MS --log-level error|warn|info|debug
 *                   [--data on|off] [--data-rate BYTES_PER_S]
 *                   [-- INPUT_OPTION...]
 * --url is the conf's url with any "lavfi:" prefix removed, and --lavfi is
 * given when it had one. --data is the conf's `data` (default on); --data-rate
 * its `data_rate_limit` in bytes per second (default 0, no limit). The worker
 * runs in a process group of its own (camarenad calls setpgid before exec)
 * and FFmpeg joins that group, so that kill(-pid) ends the whole unit.
 *
 * When a worker ends it writes one struct ipc_exit to its status pipe (the fd
 * given by --status-fd, inherited from camarenad) before exiting, so that the
 * report is in the pipe when camarenad reaps it: no race with the socket. */
#ifndef CAMARENA_IPC_PROTO_H
#define CAMARENA_IPC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define IPC_ENDPOINT_MAX 4200 /* "ipc://" + a path */

enum ipc_socket { IPC_PUB, IPC_CTL, IPC_UP, IPC_WRK };

/* Writes "ipc://<runtime_dir>/<instance>.<pub|ctl|up|wrk>" into out. Returns 0
 * or -ENAMETOOLONG (also when the path exceeds the 107 bytes of sun_path). */
int ipc_endpoint(char *out, size_t outlen, const char *runtime_dir, const char *instance, enum ipc_socket which);

/* Returns the path part of an ipc:// endpoint (a pointer into endpoint), or NULL. */
const char *ipc_endpoint_path(const char *endpoint);

/* Writes "<kind>/<camera>/" into out ("frame", "data", "event"). Returns the
 * topic's length, or -ENAMETOOLONG. */
int ipc_topic(char *out, size_t outlen, const char *kind, const char *camera);

#define IPC_PRESSURE_TOPIC "pressure/"
#define IPC_CONTROL_MAX 4096 /* bytes of a control request, all parts */

/* Exit codes of camarena-worker: why it stopped. */
enum ipc_worker_exit {
    IPC_EXIT_STOPPED = 0,      /* told to stop, FFmpeg ended cleanly */
    IPC_EXIT_FAILURE = 1,      /* the worker itself failed (arena, sockets, pipes) */
    IPC_EXIT_USAGE = 2,        /* bad arguments */
    IPC_EXIT_FFMPEG_EXIT = 3,  /* FFmpeg exited on its own; status in struct ipc_exit */
    IPC_EXIT_FFMPEG_SIGNAL = 4,/* FFmpeg was killed by a signal; in struct ipc_exit */
    IPC_EXIT_EXEC = 5,         /* FFmpeg could not be started (exec failed) */
};

/* A worker's counters, sent as the second part of "report". Fixed-size,
 * native byte order: both ends are the same build on the same host. */
struct ipc_report {
    uint32_t size;                     /* sizeof(struct ipc_report) */
    int32_t ffmpeg_pid;                /* 0 while FFmpeg is not running */
    uint64_t frames;                   /* frames committed by this worker */
    uint64_t head_seq;                 /* frame_seq of its newest commit */
    uint64_t last_frame_monotonic_ns;  /* capture time of that frame, 0 if none */
    uint64_t dropped_decimated;        /* frames read and not kept because of decimation */
    uint64_t dropped_notify;           /* notifications not sent: the queue was full */
    uint64_t dropped_partial;          /* frames cut short by FFmpeg's death, aborted */
    uint64_t bytes_read;               /* from FFmpeg's pipe */
    uint32_t decimation;               /* N of keep-every-Nth, 1 = all */
    uint32_t reserved;
    /* data/<camera>/ (SPEC 5). Counters of frames that were not published
     * count only frames that someone subscribed to with --data on. */
    uint32_t data_subscribed;          /* 1 while any subscription matches data/<camera>/ */
    uint32_t hold;                     /* 1 while camarenad holds data publishing ("hold") */
    uint64_t data_frames;              /* data/ messages sent */
    uint64_t data_raw_frames;          /* ... of them sent raw: LZ4 did not make the frame smaller */
    uint64_t data_bytes;               /* payload bytes of the data/ messages sent */
    uint64_t compressed_frames;        /* frames run through LZ4 (0 while nobody subscribes) */
    uint64_t compressed_in_bytes;      /* raw bytes of those frames */
    uint64_t compressed_out_bytes;     /* LZ4 output of those frames, sent or not */
    uint64_t dropped_data_rate;        /* frames skipped by --data-rate */
    uint64_t dropped_data_hold;        /* frames skipped while held */
    uint64_t dropped_data_queue;       /* data/ messages refused by a full queue (the HWM) */
    uint64_t dropped_data_overwritten; /* the slot was rewritten while it was read: not sent */
    uint64_t data_queue_bytes_max;     /* the most data/ bytes this worker's queue can hold, 0 with --data off;
                                        * camarenad adds it to the pressure accounting (SPEC 8) */
};

/* Adds the counters of r (frames, bytes and every dropped_*, data_* and
 * compressed_* count) to sum, so that sum totals the runs of one camera; the
 * other fields of sum (pids, head_seq, flags, bounds) are left as they are. */
void ipc_report_add(struct ipc_report *sum, const struct ipc_report *r);

#define IPC_EXIT_LINE_MAX 256

/* What a worker writes to its status pipe as it ends. Its size is under
 * PIPE_BUF, so the write is atomic. */
struct ipc_exit {
    uint32_t size;                 /* sizeof(struct ipc_exit) */
    uint32_t code;                 /* enum ipc_worker_exit, as the exit status */
    int32_t ffmpeg_status;         /* FFmpeg's exit status, or -1 */
    int32_t ffmpeg_signal;         /* the signal that killed FFmpeg, or 0 */
    uint64_t frames;               /* frames committed in this run */
    char error[IPC_EXIT_LINE_MAX]; /* FFmpeg's last stderr line (or the worker's own error), NUL-terminated */
};

#endif
