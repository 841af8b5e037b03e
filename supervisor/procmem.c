/* procmem.c - private memory of a process (see procmem.h). */
#include "supervisor/procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t procmem_field(const char *text, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ':')
            return strtoull(p + n + 1, NULL, 10) * 1024;
    return 0;
}

ssize_t procmem_read_text(const char *path, char *text, size_t len)
{
    size_t got = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    while (got < len - 1) {
        n = read(fd, text + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int rc = -errno;

            close(fd);
            return rc;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    text[got] = '\0';
    return (ssize_t)got;
}

/* Reads /proc/PID/NAME into text. A process that has exited but is not
 * reaped yet has empty files: that is -ESRCH too. */
static int proc_read(pid_t pid, const char *name, char *text, size_t len)
{
    char path[64];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
    n = procmem_read_text(path, text, len);
    if (n < 0)
        return (int)n;
    return n > 0 ? 0 : -ESRCH;
}

int procmem_sample(struct procmem *pm, pid_t pid)
{
    char text[4096];
    uint64_t file = pm->file_bytes;
    bool again = pm->pid != pid || pm->until_file == 0;
    int rc;

    if (again) {
        rc = proc_read(pid, "smaps_rollup", text, sizeof(text));
        if (rc < 0)
            return rc;
        file = procmem_field(text, "Pss_File");
    }
    rc = proc_read(pid, "status", text, sizeof(text));
    if (rc < 0)
        return rc;
    pm->anon_bytes = procmem_field(text, "RssAnon");
    pm->file_bytes = file;
    pm->until_file = again ? PROCMEM_FILE_EVERY - 1 : pm->until_file - 1;
    pm->pid = pid;
    return 0;
}

uint64_t procmem_bytes(const struct procmem *pm)
{
    return pm->anon_bytes + pm->file_bytes;
}
