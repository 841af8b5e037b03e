/* spawn.h - starting a camera's worker: its argument vector (ipc/proto.h)
 * and the fork/exec with a status pipe on fd 3. */
#ifndef CAMARENA_SUPERVISOR_SPAWN_H
#define CAMARENA_SUPERVISOR_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/conf.h"

#define SPAWN_STATUS_FD 3 /* the worker's end of the status pipe */

/* A worker's argument vector; argv points into the struct and into the conf. */
struct spawn_argv {
    char **argv;          /* owned, NULL-terminated */
    char index[16];
    char fps[32];
    char decimation[16];
    char status_fd[8];
    char report_ms[16];
    char data_rate[24];
};

/* Builds the argv of ipc/proto.h for camera cam, descriptor index. The
 * strings stay owned by conf, which must outlive a. Returns 0 or -ENOMEM. */
int spawn_argv_build(struct spawn_argv *a, const char *worker_path, const struct conf *conf,
                     const struct conf_camera *cam, uint32_t index, uint32_t decimation, uint32_t report_ms);
void spawn_argv_close(struct spawn_argv *a);

/* Finds camarena-worker next to the running program (/proc/self/exe).
 * Returns 0 or -errno. */
int spawn_worker_path(char *out, size_t outlen);

/* Forks a worker: in the child, a process group of its own, the signal mask
 * and dispositions reset, stdin from /dev/null, the status pipe's write end
 * on fd 3, every other fd above 2 closed, then execv(path, argv). Returns 0
 * with *pid and *status_fd (the pipe's read end, non-blocking, close-on-exec),
 * or -errno with nothing left open. */
int spawn_worker(const char *path, char *const argv[], pid_t *pid, int *status_fd);

#endif
