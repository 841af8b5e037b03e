/* status.c - renders camarenad's status JSON as a table (see status.h). */
#include "tools/ctl/status.h"

#include <errno.h>
#include <string.h>

#include "tools/ctl/jread.h"

void status_format_bytes(char *out, size_t outlen, double bytes)
{
    static const char units[] = "KMGT";
    if (bytes < 0) {
        snprintf(out, outlen, "-");
        return;
    }
    if (bytes < 1024) {
        snprintf(out, outlen, "%.0fB", bytes);
        return;
    }
    int u = -1;
    while (bytes >= 1024 && u < 3) {
        bytes /= 1024;
        u++;
    }
    snprintf(out, outlen, bytes < 10 ? "%.2f%c" : bytes < 100 ? "%.1f%c" : "%.0f%c", bytes, units[u]);
}

void status_format_ms(char *out, size_t outlen, double ms)
{
    if (ms < 0) {
        snprintf(out, outlen, "-");
    } else if (ms < 1000) {
        snprintf(out, outlen, "%.0fms", ms);
    } else if (ms < 60e3) {
        snprintf(out, outlen, "%.1fs", ms / 1e3);
    } else if (ms < 3600e3) {
        long s = (long)(ms / 1e3);
        snprintf(out, outlen, "%ldm%02lds", s / 60, s % 60);
    } else {
        long m = (long)(ms / 60e3);
        snprintf(out, outlen, "%ldh%02ldm", m / 60, m % 60);
    }
}

/* The total of drops: "dropped" if present, else the sum of the "drops" object. */
static double camera_drops(const struct jread *j, int cam)
{
    double d = jread_number(j, jread_get(j, cam, "dropped"), -1);
    if (d >= 0)
        return d;
    int drops = jread_get(j, cam, "drops");
    d = 0;
    for (int k = jread_first(j, drops); k >= 0; k = jread_next(j, drops, k))
        d += jread_number(j, k + 1, 0);
    return d;
}

static void print_camera(FILE *out, const struct jread *j, int cam)
{
    char name[72], state[56], reason[24], fps[16], frames[24], drops[24], restarts[16];
    char backoff[16], memory[16], age[16];
    jread_string(j, jread_get(j, cam, "name"), name, sizeof(name));
    jread_string(j, jread_get(j, cam, "state"), state, sizeof(state));
    jread_string(j, jread_get(j, cam, "reason"), reason, sizeof(reason));
    if (reason[0] && strcmp(state, "running") != 0) {
        size_t n = strlen(state);
        snprintf(state + n, sizeof(state) - n, "(%s)", reason);
    }
    double v = jread_number(j, jread_get(j, cam, "fps"), -1);
    snprintf(fps, sizeof(fps), v < 0 ? "-" : "%.1f", v);
    snprintf(frames, sizeof(frames), "%.0f", jread_number(j, jread_get(j, cam, "frames"), 0));
    snprintf(drops, sizeof(drops), "%.0f", camera_drops(j, cam));
    snprintf(restarts, sizeof(restarts), "%.0f", jread_number(j, jread_get(j, cam, "restarts"), 0));
    v = jread_number(j, jread_get(j, cam, "backoff_ms"), -1);
    status_format_ms(backoff, sizeof(backoff), v > 0 ? v : -1);
    status_format_bytes(memory, sizeof(memory), jread_number(j, jread_get(j, cam, "memory_bytes"), -1));
    status_format_ms(age, sizeof(age), jread_number(j, jread_get(j, cam, "last_frame_age_ms"), -1));
    fprintf(out, "%-20s %-18s %6s %10s %7s %8s %8s %8s %8s\n", name, state, fps, frames, drops, restarts,
            backoff, memory, age);
}

static void print_errors(FILE *out, const struct jread *j, int cams)
{
    for (int c = jread_first(j, cams); c >= 0; c = jread_next(j, cams, c)) {
        char name[72], error[512];
        jread_string(j, jread_get(j, c, "error"), error, sizeof(error));
        if (!error[0])
            continue;
        jread_string(j, jread_get(j, c, "name"), name, sizeof(name));
        fprintf(out, "  %s: %s\n", name, error);
    }
}

/* One line: the level, the ratio of the limit, and what pressure has shed
 * now (pressure.shed), e.g.
 *   pressure: critical, ratio 0.92, used 139M of 151M - decimated: low mid; held: low; paused: low */
static void print_pressure(FILE *out, const struct jread *j, int root)
{
    static const char *const shed_kinds[] = {"decimated", "held", "paused"};
    int p = jread_get(j, root, "pressure");
    if (p < 0)
        return;
    char level[24], used[16], limit[16];
    jread_string(j, jread_get(j, p, "level"), level, sizeof(level));
    status_format_bytes(used, sizeof(used), jread_number(j, jread_get(j, p, "used_bytes"), -1));
    status_format_bytes(limit, sizeof(limit), jread_number(j, jread_get(j, p, "limit_bytes"), -1));
    fprintf(out, "pressure: %s, ratio %.3f, used %s of %s", level[0] ? level : "?",
            jread_number(j, jread_get(j, p, "ratio"), 0), used, limit);
    int shed = jread_get(j, p, "shed");
    const char *sep = " - ";
    for (size_t k = 0; shed >= 0 && k < sizeof(shed_kinds) / sizeof(shed_kinds[0]); k++) {
        int list = jread_get(j, shed, shed_kinds[k]);
        int c = jread_first(j, list);
        if (c < 0)
            continue;
        fprintf(out, "%s%s:", sep, shed_kinds[k]);
        for (; c >= 0; c = jread_next(j, list, c)) {
            char name[80];
            fprintf(out, " %s", jread_string(j, c, name, sizeof(name)));
        }
        sep = "; ";
    }
    fputc('\n', out);
}

int status_print(FILE *out, const char *body, size_t len)
{
    struct jread j;
    int rc = jread_parse(&j, body, len);
    if (rc < 0)
        return rc;
    if (j.toks[0].type != JREAD_OBJECT) {
        jread_close(&j);
        return -EINVAL;
    }
    char instance[72];
    jread_string(&j, jread_get(&j, 0, "instance"), instance, sizeof(instance));
    /* Printed as written: a generation can exceed a double's 53 bits. */
    char pid[24], gen[24];
    jread_string(&j, jread_get(&j, 0, "pid"), pid, sizeof(pid));
    jread_string(&j, jread_get(&j, 0, "generation"), gen, sizeof(gen));
    fprintf(out, "instance %s", instance[0] ? instance : "?");
    if (pid[0])
        fprintf(out, ", pid %s", pid);
    if (gen[0])
        fprintf(out, ", generation %s", gen);
    fputc('\n', out);
    fprintf(out, "%-20s %-18s %6s %10s %7s %8s %8s %8s %8s\n", "CAMERA", "STATE", "FPS", "FRAMES", "DROPS",
            "RESTARTS", "BACKOFF", "MEMORY", "AGE");
    int cams = jread_get(&j, 0, "cameras");
    for (int c = jread_first(&j, cams); c >= 0; c = jread_next(&j, cams, c))
        print_camera(out, &j, c);
    print_errors(out, &j, cams);
    print_pressure(out, &j, 0);
    jread_close(&j);
    return 0;
}
