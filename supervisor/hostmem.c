/* hostmem.c - the host's memory signals (see hostmem.h). */
#include "supervisor/hostmem.h"
#include "supervisor/procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_MAX 4096

/* Returns the line of text starting with prefix, or NULL. */
static const char *line_with(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            return p;
    return NULL;
}

/* The avg10 value of a PSI line, or -1 if it has none. */
static double psi_avg10(const char *line)
{
    const char *end = strchr(line, '\n');
    const char *p = strstr(line, "avg10=");
    char *stop;
    double v;

    if (!p || (end && p > end))
        return -1;
    v = strtod(p + 6, &stop);
    if (stop == p + 6 || v < 0)
        return -1;
    return v;
}

int hostmem_parse_psi(const char *text, double *some_avg10, double *full_avg10)
{
    const char *some = line_with(text, "some "), *full = line_with(text, "full ");
    double s, f = 0;

    if (!some || (s = psi_avg10(some)) < 0)
        return -EINVAL;
    if (full && (f = psi_avg10(full)) < 0)
        f = 0;
    *some_avg10 = s;
    *full_avg10 = f;
    return 0;
}

/* The value of a meminfo field ("MemTotal:") in bytes, or -1 if it is missing. */
static int64_t meminfo_field(const char *text, const char *field)
{
    const char *p = line_with(text, field);
    size_t n = strlen(field);
    char *stop;
    unsigned long long kb;

    if (!p)
        return -1;
    kb = strtoull(p + n, &stop, 10);
    if (stop == p + n || kb > INT64_MAX / 1024)
        return -1;
    return (int64_t)kb * 1024;
}

int hostmem_parse_meminfo(const char *text, uint64_t *total_bytes, uint64_t *available_bytes)
{
    int64_t total = meminfo_field(text, "MemTotal:"), avail = meminfo_field(text, "MemAvailable:");

    if (total <= 0 || avail < 0)
        return -EINVAL;
    *total_bytes = (uint64_t)total;
    *available_bytes = (uint64_t)avail;
    return 0;
}

int hostmem_read(struct hostmem *h, const char *psi_path, const char *meminfo_path)
{
    char text[FILE_MAX];
    int rc = -ENOENT;

    memset(h, 0, sizeof(*h));
    if (!psi_path)
        psi_path = HOSTMEM_PSI_PATH;
    if (!meminfo_path)
        meminfo_path = HOSTMEM_MEMINFO_PATH;
    if (*psi_path) {
        ssize_t n = procmem_read_text(psi_path, text, sizeof(text));

        rc = n < 0 ? (int)n : 0;
        if (rc == 0)
            rc = hostmem_parse_psi(text, &h->some_avg10, &h->full_avg10);
        h->psi = rc == 0;
    }
    if (*meminfo_path) {
        ssize_t n = procmem_read_text(meminfo_path, text, sizeof(text));
        int mrc = n < 0 ? (int)n : 0;

        if (mrc == 0)
            mrc = hostmem_parse_meminfo(text, &h->total_bytes, &h->available_bytes);
        h->meminfo = mrc == 0;
        if (mrc < 0)
            rc = mrc;
    }
    if (!h->psi) {
        h->some_avg10 = 0;
        h->full_avg10 = 0;
    }
    if (!h->meminfo) {
        h->total_bytes = 0;
        h->available_bytes = 0;
    }
    return h->psi || h->meminfo ? 0 : rc;
}

double hostmem_available_ratio(const struct hostmem *h)
{
    if (!h->meminfo || h->total_bytes == 0)
        return 1.0;
    return (double)h->available_bytes / (double)h->total_bytes;
}

int hostmem_trigger_open(const char *path, const char *kind, uint64_t stall_us, uint64_t window_us)
{
    char req[64];
    int fd, len, rc;

    if (strcmp(kind, "some") != 0 && strcmp(kind, "full") != 0)
        return -EINVAL;
    len = snprintf(req, sizeof(req), "%s %" PRIu64 " %" PRIu64, kind, stall_us, window_us);
    fd = open(path ? path : HOSTMEM_PSI_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* The kernel wants the terminating NUL written too. */
    while (write(fd, req, (size_t)len + 1) < 0) {
        if (errno == EINTR)
            continue;
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}
