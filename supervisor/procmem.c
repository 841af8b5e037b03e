/* procmem.c - private memory of a process (see procmem.h). */
#include "supervisor/procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t field_kb(const char *text, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ':')
            return strtoull(p + n + 1, NULL, 10);
    return 0;
}

uint64_t procmem_parse(const char *text)
{
    return (field_kb(text, "Pss_Anon") + field_kb(text, "Pss_File")) * 1024;
}

int procmem_read(pid_t pid, uint64_t *bytes)
{
    char path[64], text[4096];
    ssize_t n;
    size_t len = 0;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    while (len < sizeof(text) - 1) {
        n = read(fd, text + len, sizeof(text) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    text[len] = '\0';
    *bytes = procmem_parse(text);
    return 0;
}
