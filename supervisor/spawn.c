/* spawn.c - starting a worker (see spawn.h). */
#define _GNU_SOURCE
#include "supervisor/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ipc/proto.h"

static const char *level_names[] = {"error", "warn", "info", "debug"};

int spawn_argv_build(struct spawn_argv *a, const char *worker_path, const struct conf *conf,
                     const struct conf_camera *cam, uint32_t index, uint32_t decimation, uint32_t report_ms)
{
    size_t n = 0, max = 32 + cam->input_option_count;

    memset(a, 0, sizeof(*a));
    a->argv = calloc(max, sizeof(char *));
    if (!a->argv)
        return -ENOMEM;
    snprintf(a->index, sizeof(a->index), "%u", index);
    snprintf(a->fps, sizeof(a->fps), "%g", cam->fps);
    snprintf(a->decimation, sizeof(a->decimation), "%u", decimation ? decimation : 1);
    snprintf(a->status_fd, sizeof(a->status_fd), "%d", SPAWN_STATUS_FD);
    snprintf(a->report_ms, sizeof(a->report_ms), "%u", report_ms);
    snprintf(a->data_rate, sizeof(a->data_rate), "%" PRIu64, cam->data_rate_limit);

#define ARG(s) (a->argv[n++] = (char *)(s))
    ARG(worker_path);
    ARG("--instance"), ARG(conf->name);
    ARG("--camera"), ARG(cam->name);
    ARG("--index"), ARG(a->index);
    ARG("--runtime-dir"), ARG(conf->runtime_dir);
    ARG("--ffmpeg"), ARG(conf->ffmpeg);
    ARG("--url"), ARG(cam->input);
    if (cam->lavfi)
        ARG("--lavfi");
    ARG("--fps"), ARG(a->fps);
    ARG("--decimation"), ARG(a->decimation);
    ARG("--status-fd"), ARG(a->status_fd);
    ARG("--report-ms"), ARG(a->report_ms);
    ARG("--log-level"), ARG(level_names[conf->log_level]);
    ARG("--data"), ARG(cam->data ? "on" : "off");
    ARG("--data-rate"), ARG(a->data_rate);
    if (cam->input_option_count) {
        ARG("--");
        for (size_t i = 0; i < cam->input_option_count; i++)
            ARG(cam->input_options[i]);
    }
#undef ARG
    a->argv[n] = NULL;
    return 0;
}

void spawn_argv_close(struct spawn_argv *a)
{
    free(a->argv);
    a->argv = NULL;
}

int spawn_worker_path(char *out, size_t outlen)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n < 0)
        return -errno;
    self[n] = '\0';
    if ((size_t)snprintf(out, outlen, "%s/camarena-worker", dirname(self)) >= outlen)
        return -ENAMETOOLONG;
    return 0;
}

/* The child's last words when exec fails: a struct ipc_exit on the pipe, as a
 * worker would write, so the failure is reported like any other. */
static void child_fail(const char *what)
{
    struct ipc_exit ex;
    size_t n = strlen(what);

    memset(&ex, 0, sizeof(ex));
    ex.size = sizeof(ex);
    ex.code = IPC_EXIT_FAILURE;
    ex.ffmpeg_status = -1;
    if (n >= sizeof(ex.error))
        n = sizeof(ex.error) - 1;
    memcpy(ex.error, what, n);
    if (write(SPAWN_STATUS_FD, &ex, sizeof(ex)) < 0) {
        /* Nothing more can be said: the exit status still tells. */
    }
    _exit(IPC_EXIT_FAILURE);
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void child(const char *path, char *const argv[], int wfd, int devnull)
{
    struct sigaction sa;
    sigset_t none;

    setpgid(0, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (devnull >= 0 && devnull != STDIN_FILENO)
        dup2(devnull, STDIN_FILENO);
    if (wfd == SPAWN_STATUS_FD) {
        fcntl(wfd, F_SETFD, 0);
    } else if (dup2(wfd, SPAWN_STATUS_FD) < 0) {
        _exit(IPC_EXIT_FAILURE);
    }
#ifdef SYS_close_range
    if (syscall(SYS_close_range, SPAWN_STATUS_FD + 1, ~0U, 0) != 0)
#endif
    {
        for (int fd = SPAWN_STATUS_FD + 1; fd < 65536; fd++)
            close(fd);
    }
    execv(path, argv);
    child_fail("cannot execute camarena-worker");
}

int spawn_worker(const char *path, char *const argv[], pid_t *pid, int *status_fd)
{
    int p[2], devnull, err;
    pid_t child_pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    child_pid = fork();
    if (child_pid < 0) {
        err = -errno;
        close(p[0]);
        close(p[1]);
        if (devnull >= 0)
            close(devnull);
        return err;
    }
    if (child_pid == 0)
        child(path, argv, p[1], devnull);
    /* Also set here: a kill(-pid) right after fork must find the group. */
    setpgid(child_pid, child_pid);
    close(p[1]);
    if (devnull >= 0)
        close(devnull);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    *pid = child_pid;
    *status_fd = p[0];
    return 0;
}
