/* bench.h - camarena-bench: the performance figures of issue 6, each measured
 * against a baseline taken in the same run, on the same machine.
 *
 * Modules: proc.c reads /proc (CPU time, private memory, descriptors,
 * children), table.c keeps the rows and prints them, synth.c is the synthetic
 * FFmpeg both sides of the ingest figure read from, baseline.c the baselines,
 * instance.c starts and stops a camarenad instance, figures.c the camarena
 * side of every figure. Functions return 0 or -errno unless said otherwise;
 * only main.c and the row notes talk to the user. */
#ifndef CAMARENA_BENCH_H
#define CAMARENA_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* What every figure needs to know about the run. */
struct bench_env {
    char bin_dir[PATH_MAX];   /* build/bin: camarenad, camarena-worker */
    char fake[PATH_MAX + 32]; /* build/tests/fake-ffmpeg, "" if missing */
    char synth[160];          /* a link named bench-ffmpeg to this program */
    char tmp[128];            /* a private directory, removed at the end */
    bool quick;               /* tiny counts; goals are not judged */
    bool verbose;
    uint64_t memory_frames;   /* frames of the memory figure */
    int reps;                 /* turns of baseline and camarena for ingest and notify */
    unsigned seq;             /* instances started so far, for unique names */
};

/* ---- clocks and /proc (proc.c) ---- */

uint64_t bench_now_ns(void);
void bench_sleep_ns(uint64_t ns);

/* CPU time (user + system) of pid in ns, from /proc/PID/schedstat when the
 * kernel has it (ns resolution), else /proc/PID/stat (clock ticks). */
int proc_cpu_ns(pid_t pid, uint64_t *ns);

/* Private memory of pid: Pss_Anon + Pss_File of /proc/PID/smaps_rollup, that
 * is the proportional set size without shared memory (the arena). */
int proc_private_bytes(pid_t pid, uint64_t *bytes);

/* The two parts apart. Pss_Anon (heap, stacks) is what a leak grows;
 * Pss_File is the process's share of the libraries it maps, which moves
 * whenever any other process of the host maps or unmaps the same files. */
int proc_memory(pid_t pid, uint64_t *anon, uint64_t *file);

/* Returns the number of open descriptors of pid, or -errno. */
int proc_fd_count(pid_t pid);

/* Fills out with up to max pids whose parent is ppid; returns how many. */
int proc_children(pid_t ppid, pid_t *out, int max);

/* Copies the argument after flag in pid's command line into out. Returns 0,
 * or -ENOENT if it has no such flag. */
int proc_cmdline_arg(pid_t pid, const char *flag, char *out, size_t len);

/* Machine description for the report: one line each of CPU, cores, kernel, memory. */
void proc_machine(char *out, size_t len);

/* ---- the table (table.c) ---- */

enum row_status { ROW_INFO, ROW_MET, ROW_MISSED, ROW_NA, ROW_ERROR };
enum goal_kind { GOAL_NONE, GOAL_RATIO_MIN, GOAL_RATIO_MAX, GOAL_VALUE_MAX, GOAL_VALUE_MIN };

struct bench_row {
    char figure[72];
    char baseline[40];
    char camarena[40];
    char ratio[16];
    char goal[40];
    enum row_status status;
    char note[200];
};

/* Adds a measured row. base < 0 means no baseline. The goal compares the
 * ratio (GOAL_RATIO_*) or the camarena value (GOAL_VALUE_*) with limit;
 * in quick mode it is printed but not judged. fmt is a printf format for one
 * double ("%.1f fps"). */
void table_add(const char *figure, const char *fmt, double base, double cam,
               enum goal_kind kind, double limit, const char *goal_text);

/* Adds a row that could not be measured, with the reason (status ROW_NA or ROW_ERROR). */
void table_add_na(const char *figure, enum row_status status, const char *goal_text,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends a note to the last row. */
void table_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void table_set_quick(bool quick);

/* Prints the table as Markdown to f. */
void table_print(FILE *f);

/* Counts rows of a status. */
int table_count(enum row_status status);

/* Writes the report (the table, the machine, the commands) to path, whole
 * (path.new, then rename). */
int table_write_report(const char *path, const char *machine, const char *command, double seconds);

/* ---- the synthetic FFmpeg (synth.c) ---- */

/* The program's main when called as bench-ffmpeg: parses FFmpeg's arguments
 * as tests/fake-ffmpeg does (-vf scale=W:H, -pix_fmt, -i fake:rate=...&frames=N
 * &content=scene) and writes one prepared frame (the fake's frame 1, or with
 * content=scene a synth_scene_fill picture) again and again, changing only
 * its counter: the least work a writer can do. Never returns. */
int synth_main(int argc, char **argv) __attribute__((noreturn));

/* Fills a size-byte frame of width x height bgr24 with a scene that LZ4
 * compresses about as well as a camera picture: smooth gradients, and a
 * block of noise over a tenth of the picture (about 12:1). The data figure's
 * baseline and its camera both use it, so that both compress the same bytes. */
void synth_scene_fill(uint8_t *frame, size_t size, uint32_t width, uint32_t height);

/* Builds an FFmpeg argument vector as camarena-worker does, into argv (16
 * pointers), with vf (64 bytes) holding the -vf text. */
void synth_args(char **argv, char *vf, size_t vflen, const char *prog, const char *url,
                uint32_t width, uint32_t height, const char *pix_fmt);

/* ---- baselines (baseline.c) ---- */

struct ingest_result {
    double fps;
    double cpu_us_per_frame;
};

/* A synthetic writer into a 1 MiB pipe, a reader into a 30-slot shared ring.
 * With lz4, the writer's frames are synth_scene_fill pictures and the reader
 * also compresses each frame from its slot (LZ4_compress_default into a
 * buffer sized once): the least work of a data/ publisher in this design. */
int baseline_ingest(struct bench_env *env, uint32_t width, uint32_t height,
                    uint64_t warm, uint64_t frames, bool lz4, struct ingest_result *out);

/* Bare PUB -> SUB over ipc, count 64-byte messages at rate per second.
 * Appends each latency in us at lat[*n], incrementing *n. */
int baseline_notify(struct bench_env *env, uint64_t count, double rate, double *lat, size_t *n);

/* LZ4_compress_default of synth_scene_fill frames of width x height bgr24:
 * MB/s of raw input, and the compressed size as a fraction of the input. */
int baseline_lz4(uint32_t width, uint32_t height, double seconds, double *mb_s, double *ratio);

/* Sorts v (n values) and returns the p-th percentile (0..100). */
double bench_percentile(double *v, size_t n, double p);

/* ---- a camarenad instance (instance.c) ---- */

struct inst_camera {
    const char *name;
    const char *url;
    uint32_t width, height;
    const char *pix_fmt;
    double fps;
    uint32_t slots;
};

struct instance {
    char name[64];
    char dir[160];            /* its runtime_dir */
    char conf[160];
    char log[160];
    char pub[256];            /* ipc:// endpoint of publish */
    pid_t pid;                /* camarenad */
    void *arena;              /* camarena_arena_t */
    int ncam;
    int index[64];            /* arena descriptor of each camera, in conf order */
};

/* Options beyond the cameras, written into [supervisor]; may be NULL. */
int instance_start(struct bench_env *env, struct instance *in, const char *ffmpeg,
                   const struct inst_camera *cams, int ncam, const char *extra);

/* Waits until every camera has committed at least min_frames, or timeout. */
int instance_wait_frames(struct instance *in, uint64_t min_frames, uint64_t timeout_ns);

uint64_t instance_head(struct instance *in, int cam);
uint64_t instance_total_head(struct instance *in);

/* The worker of camera cam (its --camera argument), or -ESRCH. */
pid_t instance_worker(struct instance *in, int cam);

/* Every worker and every child of a worker (FFmpeg); returns the count. */
int instance_workers(struct instance *in, pid_t *workers, int max);
int instance_ffmpegs(struct instance *in, pid_t *ffmpegs, int max);

/* SIGTERM, wait up to 10 s, SIGKILL; unmaps the arena. Returns camarenad's
 * exit status, or -errno. */
int instance_stop(struct instance *in);

/* Prints the last lines of camarenad's log to stderr. */
void instance_dump_log(struct instance *in);

/* ---- the camarena side (figures.c) ---- */

/* Ingest and notification run their baseline and their camarena side in
 * turns, env->reps times each, so that a neighbour's load hits both alike. */
void fig_ingest(struct bench_env *env, uint32_t width, uint32_t height);
void fig_notify(struct bench_env *env);
void fig_data(struct bench_env *env, double lz4_mb_s);
void fig_steady(struct bench_env *env);
void fig_scale(struct bench_env *env);
void fig_memory(struct bench_env *env);
void fig_restart(struct bench_env *env);
void fig_peer(struct bench_env *env);

#endif
