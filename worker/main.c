/* main.c - camarena-worker: runs FFmpeg for one camera and fills its slots.
 *
 * Started by camarenad with the argument vector of ipc/proto.h. Exit status
 * (enum ipc_worker_exit): 0 told to stop, 1 the worker failed, 2 bad
 * arguments, 3 FFmpeg exited on its own, 4 FFmpeg was killed by a signal,
 * 5 FFmpeg could not be started. Before exiting (except for 2) it writes one
 * struct ipc_exit to --status-fd. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ipc/proto.h"
#include "worker/worker.h"

/* A worker started with 0, 1 or 2 closed would hand them out as pipe ends. */
static void std_fds_open(void)
{
    int fd;
    while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
        ;
    if (fd > STDERR_FILENO)
        close(fd);
}

int main(int argc, char **argv)
{
    pid_t parent = getppid();
    /* The worker must die with camarenad; if camarenad died before the
     * prctl, the parent already changed and nobody would ever stop us. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        return IPC_EXIT_FAILURE;
    std_fds_open();

    struct worker_config cfg;
    char err[256];
    if (worker_config_parse(&cfg, argc, argv, err, sizeof err) < 0) {
        fprintf(stderr, "camarena-worker: %s\n", err);
        fprintf(stderr, "usage: camarena-worker --instance NAME --camera NAME --index N --runtime-dir DIR\n"
                        "         --ffmpeg PATH --url URL [--lavfi] --fps F [--decimation N]\n"
                        "         [--status-fd FD] [--report-ms MS] [--log-level error|warn|info|debug]\n"
                        "         [--data on|off] [--data-rate BYTES_PER_S]\n"
                        "         [-- INPUT_OPTION...]\n");
        return IPC_EXIT_USAGE;
    }
    return worker_run(&cfg);
}
