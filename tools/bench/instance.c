/* instance.c - a camarenad instance of the bench's own: conf, start, arena, processes, stop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "camarena.h"
#include "tools/bench/bench.h"

static int write_conf(struct instance *in, const char *ffmpeg, const struct inst_camera *cams,
                      int ncam, const char *extra)
{
    FILE *f = fopen(in->conf, "w");
    if (!f)
        return -errno;
    fprintf(f, "[supervisor]\nname = %s\nruntime_dir = %s\nffmpeg = %s\nlog_level = warn\n%s\n",
            in->name, in->dir, ffmpeg, extra ? extra : "");
    for (int i = 0; i < ncam; i++) {
        const struct inst_camera *c = &cams[i];
        fprintf(f, "[camera %s]\nurl = %s\nwidth = %u\nheight = %u\npix_fmt = %s\nfps = %g\nslots = %u\n\n",
                c->name, c->url, c->width, c->height, c->pix_fmt, c->fps, c->slots ? c->slots : 30);
    }
    return fclose(f) == 0 ? 0 : -errno;
}

static bool alive(struct instance *in)
{
    int status;
    if (in->pid <= 0)
        return false;
    pid_t r = waitpid(in->pid, &status, WNOHANG);
    if (r == in->pid) {
        in->pid = -1;
        return false;
    }
    return true;
}

void instance_dump_log(struct instance *in)
{
    FILE *f = fopen(in->log, "r");
    if (!f)
        return;
    char line[1024];
    int n = 0;
    fprintf(stderr, "camarena-bench: last lines of %s:\n", in->log);
    /* Only the tail matters; the log of a bench instance is short (log_level = warn). */
    long lines = 0;
    while (fgets(line, sizeof line, f))
        lines++;
    rewind(f);
    while (fgets(line, sizeof line, f))
        if (++n > lines - 20)
            fprintf(stderr, "  %s", line);
    fclose(f);
}

int instance_start(struct bench_env *env, struct instance *in, const char *ffmpeg,
                   const struct inst_camera *cams, int ncam, const char *extra)
{
    memset(in, 0, sizeof *in);
    in->pid = -1;
    unsigned k = ++env->seq;
    snprintf(in->name, sizeof in->name, "bench%d-%u", (int)getpid(), k);
    snprintf(in->dir, sizeof in->dir, "%s/i%u", env->tmp, k);
    snprintf(in->conf, sizeof in->conf, "%s/i%u.ini", env->tmp, k);
    snprintf(in->log, sizeof in->log, "%s/i%u.log", env->tmp, k);
    snprintf(in->pub, sizeof in->pub, "ipc://%s/%s.pub", in->dir, in->name);
    in->ncam = ncam;
    if (ncam > 64)
        return -E2BIG;
    int ret = write_conf(in, ffmpeg, cams, ncam, extra);
    if (ret)
        return ret;

    char prog[PATH_MAX + 16];
    snprintf(prog, sizeof prog, "%s/camarenad", env->bin_dir);
    int logfd = open(in->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        ret = -errno;
        close(logfd);
        return ret;
    }
    if (pid == 0) {
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        execl(prog, prog, "-c", in->conf, (char *)NULL);
        _exit(127);
    }
    close(logfd);
    in->pid = pid;

    uint64_t deadline = bench_now_ns() + 10000000000ull;
    camarena_arena_t *a = NULL;
    while (!a) {
        if (!alive(in)) {
            instance_dump_log(in);
            return -ECHILD;
        }
        if (bench_now_ns() > deadline) {
            instance_stop(in);
            return -ETIMEDOUT;
        }
        if (camarena_arena_open(&a, in->name) != 0) {
            a = NULL;
            bench_sleep_ns(10000000);
        }
    }
    in->arena = a;
    for (int i = 0; i < ncam; i++) {
        in->index[i] = -1;
        while (in->index[i] < 0) {
            in->index[i] = camarena_arena_find(a, cams[i].name);
            if (in->index[i] >= 0)
                break;
            if (!alive(in) || bench_now_ns() > deadline) {
                instance_stop(in);
                return -ENOENT;
            }
            bench_sleep_ns(10000000);
        }
    }
    return 0;
}

uint64_t instance_head(struct instance *in, int cam)
{
    return camarena_arena_head(in->arena, (uint32_t)in->index[cam]);
}

uint64_t instance_total_head(struct instance *in)
{
    uint64_t t = 0;
    for (int i = 0; i < in->ncam; i++)
        t += instance_head(in, i);
    return t;
}

int instance_wait_frames(struct instance *in, uint64_t min_frames, uint64_t timeout_ns)
{
    uint64_t deadline = bench_now_ns() + timeout_ns;
    for (;;) {
        int ready = 0;
        for (int i = 0; i < in->ncam; i++)
            ready += instance_head(in, i) >= min_frames;
        if (ready == in->ncam)
            return 0;
        if (!alive(in))
            return -ECHILD;
        if (bench_now_ns() > deadline)
            return -ETIMEDOUT;
        bench_sleep_ns(2000000);
    }
}

int instance_workers(struct instance *in, pid_t *workers, int max)
{
    pid_t kids[256];
    int n = proc_children(in->pid, kids, 256), count = 0;
    char cam[80];
    for (int i = 0; i < n && count < max; i++)
        if (proc_cmdline_arg(kids[i], "--camera", cam, sizeof cam) == 0)
            workers[count++] = kids[i];
    return count;
}

int instance_ffmpegs(struct instance *in, pid_t *ffmpegs, int max)
{
    pid_t workers[256];
    int n = instance_workers(in, workers, 256), count = 0;
    for (int i = 0; i < n && count < max; i++)
        count += proc_children(workers[i], ffmpegs + count, max - count);
    return count;
}

pid_t instance_worker(struct instance *in, int cam)
{
    struct camarena_camera_info info;
    if (camarena_arena_camera(in->arena, (uint32_t)in->index[cam], &info) != 0)
        return -ESRCH;
    pid_t workers[256];
    int n = instance_workers(in, workers, 256);
    char name[80];
    for (int i = 0; i < n; i++)
        if (proc_cmdline_arg(workers[i], "--camera", name, sizeof name) == 0 && strcmp(name, info.name) == 0)
            return workers[i];
    return -ESRCH;
}

int instance_stop(struct instance *in)
{
    camarena_arena_t *a = in->arena;
    camarena_arena_close(&a);
    in->arena = NULL;
    if (in->pid <= 0)
        return -ECHILD;
    kill(in->pid, SIGTERM);
    uint64_t deadline = bench_now_ns() + 10000000000ull;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(in->pid, &status, WNOHANG);
        if (r == in->pid)
            break;
        if (bench_now_ns() > deadline) {
            kill(in->pid, SIGKILL);
            waitpid(in->pid, &status, 0);
            break;
        }
        bench_sleep_ns(10000000);
    }
    in->pid = -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
