/* main.c - camarena-bench: the performance figures of camarena against
 * baselines measured in the same run.
 *
 *   camarena-bench [--quick] [--output FILE] [--memory-frames N] [--only NAME,...] [--reps N] [-v]
 *
 * Prints one Markdown table (figure, baseline, camarena, ratio, goal, result)
 * and, with --output, writes it with a description of the machine. --quick
 * runs every figure with tiny counts and judges no goal (make test runs it).
 * Figures: ingest, notify, data, steady, scale, memory, restart, peer.
 *
 * Exit status: 0 the table is complete (goals met or missed alike), 1 the
 * bench itself failed (usage, temporary directory), 3 some figure could not be
 * measured because of an error (the table says which).
 *
 * Called through a link named bench-ffmpeg, it is the synthetic FFmpeg of
 * synth.c instead. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/bench/bench.h"

static void usage(FILE *f)
{
    fputs("usage: camarena-bench [--quick] [--output FILE] [--memory-frames N] [--only FIGURE,...] [--reps N] [-v]\n"
          "figures: ingest notify data steady scale memory restart peer\n",
          f);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void read_loadavg(char *out, size_t len)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a, b, c;
    if (f && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(out, len, "%.2f %.2f %.2f", a, b, c);
    if (f)
        fclose(f);
}

static bool wanted(const char *only, const char *figure)
{
    if (!only)
        return true;
    size_t len = strlen(figure);
    for (const char *p = only; (p = strstr(p, figure)); p += len)
        if ((p == only || p[-1] == ',') && (p[len] == 0 || p[len] == ','))
            return true;
    return false;
}

static int find_programs(struct bench_env *env)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return -errno;
    self[n] = 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", self);
    snprintf(env->bin_dir, sizeof env->bin_dir, "%s", dirname(dir));
    snprintf(env->fake, sizeof env->fake, "%s/../tests/fake-ffmpeg", env->bin_dir);
    if (access(env->fake, X_OK) != 0)
        env->fake[0] = 0;

    char tmpl[] = "/tmp/camarena-bench-XXXXXX";
    if (!mkdtemp(tmpl))
        return -errno;
    snprintf(env->tmp, sizeof env->tmp, "%s", tmpl);
    snprintf(env->synth, sizeof env->synth, "%s/bench-ffmpeg", env->tmp);
    if (symlink(self, env->synth) != 0)
        return -errno;
    return 0;
}

int main(int argc, char **argv)
{
    char *base = strrchr(argv[0], '/');
    if (strcmp(base ? base + 1 : argv[0], "bench-ffmpeg") == 0)
        synth_main(argc, argv);

    struct bench_env env = { .memory_frames = 0 };
    const char *output = NULL, *only = NULL;
    static const struct option longopts[] = {
        { "quick", no_argument, NULL, 'q' },
        { "output", required_argument, NULL, 'o' },
        { "memory-frames", required_argument, NULL, 'm' },
        { "only", required_argument, NULL, 'O' },
        { "reps", required_argument, NULL, 'r' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "qo:m:O:r:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': env.quick = true; break;
        case 'o': output = optarg; break;
        case 'm': env.memory_frames = strtoull(optarg, NULL, 10); break;
        case 'O': only = optarg; break;
        case 'r': env.reps = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
        case 'v': env.verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 1;
    }
    if (env.reps == 0)
        env.reps = env.quick ? 1 : 3;
    if (env.memory_frames == 0)
        env.memory_frames = env.quick ? 2000 : 1000000;
    table_set_quick(env.quick);
    signal(SIGPIPE, SIG_IGN);

    int r = find_programs(&env);
    if (r) {
        fprintf(stderr, "camarena-bench: cannot prepare %s: %s\n", env.tmp[0] ? env.tmp : "/tmp", strerror(-r));
        return 1;
    }
    uint64_t start = bench_now_ns();
    char load_start[64] = "?", load_end[64] = "?";
    read_loadavg(load_start, sizeof load_start);

#define STEP(name) (fprintf(stderr, "camarena-bench: %s ...\n", name), fflush(stderr))
    if (wanted(only, "ingest")) {
        STEP("ingest 640x480");
        fig_ingest(&env, 640, 480);
        STEP("ingest 1920x1080");
        fig_ingest(&env, 1920, 1080);
    }
    if (wanted(only, "notify")) {
        STEP("notification latency");
        fig_notify(&env);
    }
    if (wanted(only, "data")) {
        STEP("data path");
        double mb_s = 0, ratio = 0;
        baseline_lz4(640, 480, env.quick ? 0.1 : 2.0, &mb_s, &ratio);
        fig_data(&env, mb_s);
    }
    if (wanted(only, "steady")) {
        STEP("steady load");
        fig_steady(&env);
    }
    if (wanted(only, "scale")) {
        STEP("scale");
        fig_scale(&env);
    }
    if (wanted(only, "memory")) {
        STEP("memory");
        fig_memory(&env);
    }
    if (wanted(only, "restart")) {
        STEP("restart");
        fig_restart(&env);
    }
    if (wanted(only, "peer"))
        fig_peer(&env);
#undef STEP

    double seconds = (double)(bench_now_ns() - start) / 1e9;
    read_loadavg(load_end, sizeof load_end);
    table_print(stdout);
    printf("\nmet: %d, missed: %d, not measurable: %d, errors: %d (%.0f s)\n", table_count(ROW_MET),
           table_count(ROW_MISSED), table_count(ROW_NA), table_count(ROW_ERROR), seconds);
    if (output) {
        char machine[1024];
        proc_machine(machine, sizeof machine);
        size_t used = strlen(machine);
        snprintf(machine + used, sizeof machine - used,
                 "- load average (1, 5, 15 min) at the start: %s, at the end: %s; other work on the\n"
                 "  machine during the run shows as latency tails and noisy absolute figures\n",
                 load_start, load_end);
        r = table_write_report(output, machine,
                               "make bench            # = make all && build/bin/camarena-bench --output docs/BENCHMARKS.md\n"
                               "build/bin/camarena-bench --only ingest,notify   # some figures only\n"
                               "make soak             # FRAMES=N, VALGRIND=1",
                               seconds);
        if (r)
            fprintf(stderr, "camarena-bench: cannot write %s: %s\n", output, strerror(-r));
        else
            fprintf(stderr, "camarena-bench: wrote %s\n", output);
    }
    nftw(env.tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return table_count(ROW_ERROR) ? 3 : 0;
}
