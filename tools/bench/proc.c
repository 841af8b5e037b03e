/* proc.c - clocks and what /proc says about a process and the machine. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench/bench.h"

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Reads a small /proc file whole into buf. Returns its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            close(fd);
            return e;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    return (ssize_t)got;
}

int proc_cpu_ns(pid_t pid, uint64_t *ns)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    if (read_small(path, buf, sizeof buf) > 0) {
        unsigned long long run;
        if (sscanf(buf, "%llu", &run) == 1) {
            *ns = run;
            return 0;
        }
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    /* The command name may hold spaces and parentheses: fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -EINVAL;
    unsigned long long ut, st;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -EINVAL;
    long hz = sysconf(_SC_CLK_TCK);
    *ns = (ut + st) * (1000000000ull / (unsigned long long)hz);
    return 0;
}

int proc_memory(pid_t pid, uint64_t *anon, uint64_t *file)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    unsigned long long a = 0, f = 0;
    int have = 0;
    for (char *line = buf; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (sscanf(line, "Pss_Anon: %llu kB", &a) == 1 || sscanf(line, "Pss_File: %llu kB", &f) == 1)
            have++;
        line = next;
    }
    if (have < 2)
        return -ENODATA;
    *anon = a * 1024ull;
    *file = f * 1024ull;
    return 0;
}

int proc_private_bytes(pid_t pid, uint64_t *bytes)
{
    uint64_t anon, file;
    int r = proc_memory(pid, &anon, &file);
    if (r == 0)
        *bytes = anon + file;
    return r;
}

int proc_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            count++;
    closedir(d);
    return count;
}

static pid_t parent_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return -1;
    char *p = strrchr(buf, ')');
    int ppid;
    if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1)
        return -1;
    return ppid;
}

int proc_children(pid_t ppid, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < max) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        pid_t pid = (pid_t)atoi(e->d_name);
        if (parent_of(pid) == ppid)
            out[count++] = pid;
    }
    closedir(d);
    return count;
}

int proc_cmdline_arg(pid_t pid, const char *flag, char *out, size_t len)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
        if (strcmp(p, flag) == 0) {
            char *v = p + strlen(p) + 1;
            if (v >= buf + n)
                return -ENOENT;
            snprintf(out, len, "%s", v);
            return 0;
        }
    }
    return -ENOENT;
}

void proc_machine(char *out, size_t len)
{
    char buf[65536], model[256] = "unknown";
    if (read_small("/proc/cpuinfo", buf, sizeof buf) > 0) {
        char *m = strstr(buf, "model name");
        if (m && (m = strchr(m, ':'))) {
            m++;
            while (*m == ' ' || *m == '\t')
                m++;
            size_t l = strcspn(m, "\n");
            snprintf(model, sizeof model, "%.*s", (int)l, m);
        }
    }
    unsigned long long mem_kb = 0;
    if (read_small("/proc/meminfo", buf, sizeof buf) > 0)
        sscanf(buf, "MemTotal: %llu kB", &mem_kb);
    struct utsname u;
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    snprintf(out, len,
             "- CPU: %s\n- cores online: %ld\n- kernel: %s %s (%s)\n- memory: %.1f GiB\n",
             model, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine,
             (double)mem_kb / (1024.0 * 1024.0));
}
