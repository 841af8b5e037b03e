/* worker.h - camarena-worker's loop: one FFmpeg, one camera's ring, two sockets.
 *
 * The worker runs FFmpeg (worker/ffargs.h), reads each raw frame from its
 * stdout straight into the next slot of the camera's ring (arena/writer.h),
 * commits it and announces it with a frame/ message on an XPUB connected to
 * camarenad's <name>.up. While someone subscribes to data/<camera>/, it also
 * publishes the frame, LZ4-compressed, on a second XPUB (worker/data.h and
 * "data/" in worker.c). A DEALER connected to <name>.wrk carries reports up
 * and commands down (ipc/proto.h). Signals only wake the one poll loop. */
#ifndef CAMARENA_WORKER_WORKER_H
#define CAMARENA_WORKER_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum worker_log_level { WORKER_LOG_ERROR, WORKER_LOG_WARN, WORKER_LOG_INFO, WORKER_LOG_DEBUG };

/* Everything camarenad tells a worker on its command line (ipc/proto.h). */
struct worker_config {
    const char *instance;        /* the arena is /camarena-<instance> */
    const char *camera;          /* the routing id, the topic and the log prefix */
    uint32_t index;              /* the camera's descriptor */
    const char *runtime_dir;     /* where <instance>.up and <instance>.wrk are */
    const char *ffmpeg;          /* the program to run */
    const char *url;             /* the input, "lavfi:" already removed */
    bool lavfi;
    double fps;                  /* 0 keeps the source rate */
    uint32_t decimation;         /* keep every Nth frame, >= 1 */
    int status_fd;               /* where struct ipc_exit goes, -1 for nowhere */
    uint32_t report_ms;          /* report interval, >= 1 */
    enum worker_log_level log_level;
    bool data;                   /* may publish data/<camera>/ (--data on|off, default on) */
    uint64_t data_rate;          /* bytes per second of data/ messages, 0 = no limit */
    char *const *input_options;  /* words before -i */
    size_t input_option_count;
};

/* Parses the argument vector of ipc/proto.h into c (pointers into argv).
 * Returns 0, or -EINVAL with a sentence in err. */
int worker_config_parse(struct worker_config *c, int argc, char **argv, char *err, size_t errlen);

/* Runs the camera until FFmpeg ends or the worker is told to stop, writes
 * struct ipc_exit to c->status_fd, and returns the exit status the process
 * should end with (enum ipc_worker_exit). SIGTERM, SIGINT and SIGCHLD are
 * blocked and read from a signalfd; SIGPIPE is ignored. */
int worker_run(const struct worker_config *c);

#endif
