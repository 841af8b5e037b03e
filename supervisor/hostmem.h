/* hostmem.h - the host's memory signals: pressure stall information
 * (/proc/pressure/memory) and MemAvailable against MemTotal (/proc/meminfo),
 * and a PSI trigger descriptor that wakes the event loop at once.
 *
 * The readers take the file paths, so tests point them at files they wrote;
 * the parsers take text. What the numbers mean for the pressure level is
 * decided in pressure.h (pressure_host_level), not here. */
#ifndef CAMARENA_SUPERVISOR_HOSTMEM_H
#define CAMARENA_SUPERVISOR_HOSTMEM_H

#include <stdbool.h>
#include <stdint.h>

#define HOSTMEM_PSI_PATH "/proc/pressure/memory"
#define HOSTMEM_MEMINFO_PATH "/proc/meminfo"

/* One reading of the host. A signal whose file could not be read or parsed
 * has its flag false and its numbers 0; it then raises nothing. */
struct hostmem {
    bool psi;                 /* some_avg10 and full_avg10 were read */
    double some_avg10;        /* % of the last 10 s in which some task stalled on memory, 0..100 */
    double full_avg10;        /* % of the last 10 s in which every non-idle task stalled, 0..100 */
    bool meminfo;             /* total_bytes and available_bytes were read, total_bytes > 0 */
    uint64_t total_bytes;     /* MemTotal */
    uint64_t available_bytes; /* MemAvailable */
};

/* Parses the text of /proc/pressure/memory ("some avg10=1.23 avg60=...",
 * "full avg10=..."). Returns 0 with both set, or -EINVAL if there is no
 * "some" line. A missing "full" line (very old kernels) leaves *full_avg10 at 0. */
int hostmem_parse_psi(const char *text, double *some_avg10, double *full_avg10);

/* Parses the text of /proc/meminfo. Returns 0 with both set, in bytes, or
 * -EINVAL if MemTotal or MemAvailable is missing or MemTotal is 0. */
int hostmem_parse_meminfo(const char *text, uint64_t *total_bytes, uint64_t *available_bytes);

/* Fills *h from the two files (NULL means the default path; "" skips that
 * signal). Returns 0 if at least one signal was read, else the -errno of the
 * last failure (-ENOENT where the kernel has no PSI and no meminfo). Never
 * prints. Reads at most 4 KiB of each file and allocates nothing. */
int hostmem_read(struct hostmem *h, const char *psi_path, const char *meminfo_path);

/* available_bytes / total_bytes, or 1.0 when meminfo was not read (a host we
 * cannot see is not treated as short). */
double hostmem_available_ratio(const struct hostmem *h);

/* Registers a PSI trigger: opens path (NULL: /proc/pressure/memory) with
 * O_RDWR|O_NONBLOCK|O_CLOEXEC and writes "<kind> <stall_us> <window_us>",
 * kind "some" or "full". The returned descriptor reports POLLPRI (with
 * POLLERR if the trigger is gone) each time stall_us of stall accumulates
 * within window_us, at most once per window; the caller polls it and closes
 * it. Returns the fd, or -errno, quietly, where the kernel or the permissions
 * refuse: -ENOENT (no PSI), -EOPNOTSUPP (PSI disabled), -EACCES/-EPERM (an
 * unprivileged process; kernels from 6.5 accept unprivileged triggers only
 * with a window that is a multiple of 2 s), -EINVAL (window outside
 * 500 ms..10 s or stall > window). Nothing to undo on failure. */
int hostmem_trigger_open(const char *path, const char *kind, uint64_t stall_us, uint64_t window_us);

/* The trigger camarenad registers: 300 ms of "some" stall in a 2 s window
 * (15 %, just above pressure_host_level's moderate threshold, and a 2 s window
 * so that an unprivileged daemon may register it). */
#define HOSTMEM_TRIGGER_KIND "some"
#define HOSTMEM_TRIGGER_STALL_US 300000u
#define HOSTMEM_TRIGGER_WINDOW_US 2000000u

#endif
