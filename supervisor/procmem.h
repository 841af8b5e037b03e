/* procmem.h - a process's private memory, cheaply enough to read every monitor_interval.
 *
 * Private memory is anonymous memory plus the process's proportional share
 * of file-backed memory (its libraries); shared memory (the arena) is left
 * out. Anonymous memory is read each sample from /proc/PID/status (RssAnon,
 * kept by the kernel as a counter, about 20 us a read). For processes that
 * share no anonymous pages — camarenad, workers and FFmpegs are all exec'd —
 * it equals smaps_rollup's Pss_Anon. Pss_File needs smaps_rollup, which walks
 * the page tables (about 0.5 ms for an FFmpeg), so it is re-read only every
 * PROCMEM_FILE_EVERY samples: it is libraries, and it moves when other
 * processes map or unmap them, not when this one leaks. Growth is judged on
 * anonymous memory alone for the same reason. */
#ifndef CAMARENA_SUPERVISOR_PROCMEM_H
#define CAMARENA_SUPERVISOR_PROCMEM_H

#include <stdint.h>
#include <sys/types.h>

#define PROCMEM_FILE_EVERY 30 /* samples between two reads of smaps_rollup */

/* What is known of one process's memory; zeroed, it knows nothing. */
struct procmem {
    pid_t pid;            /* the process sampled, 0 before the first sample */
    uint64_t anon_bytes;  /* RssAnon at the last sample */
    uint64_t file_bytes;  /* Pss_File at the last read of smaps_rollup */
    unsigned until_file;  /* samples left before smaps_rollup is read again */
};

/* Reads the file at path whole into text (len bytes, NUL-terminated, cut at
 * len - 1): for the small files of /proc. Returns the bytes read, or -errno. */
ssize_t procmem_read_text(const char *path, char *text, size_t len);

/* Returns the value of the "NAME: N kB" line of a /proc status or
 * smaps_rollup text, in bytes, or 0 if there is no such line. */
uint64_t procmem_field(const char *text, const char *name);

/* Samples process pid into pm; a pid other than pm's starts over (Pss_File
 * is read at once). Returns 0, or -errno (-ENOENT or -ESRCH when the process
 * is gone), leaving pm as it was. */
int procmem_sample(struct procmem *pm, pid_t pid);

/* Returns the private memory of the last sample: anon_bytes + file_bytes. */
uint64_t procmem_bytes(const struct procmem *pm);

#endif
