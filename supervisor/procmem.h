/* procmem.h - a process's private memory from /proc/PID/smaps_rollup. */
#ifndef CAMARENA_SUPERVISOR_PROCMEM_H
#define CAMARENA_SUPERVISOR_PROCMEM_H

#include <stdint.h>
#include <sys/types.h>

/* Returns Pss_Anon + Pss_File, in bytes, from the text of a smaps_rollup
 * file, or 0 if neither line is there. Shared memory (the arena) is counted
 * under Pss_Shmem, so it is left out. */
uint64_t procmem_parse(const char *text);

/* Reads /proc/PID/smaps_rollup. Returns 0 with *bytes set, or -errno
 * (-ESRCH/-ENOENT when the process is gone). */
int procmem_read(pid_t pid, uint64_t *bytes);

#endif
