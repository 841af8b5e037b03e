/* test_pressure.c - the pressure modules without a daemon: accounting, the
 * level machine and its hysteresis, host signals (from files the test
 * writes), the planner's order of taking and undoing, and the growth slope
 * on synthetic series. Time and /proc are inputs here: the modules take
 * timestamps and file paths, so nothing needs to be wrapped. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/json.h"
#include "supervisor/growth.h"
#include "supervisor/hostmem.h"
#include "supervisor/pressure.h"

#define N_(a) (sizeof(a) / sizeof((a)[0]))
#define MiB (1024ull * 1024)
#define SEC 1000000000ull

static const char level_chars[] = "NLMHC";

static struct pressure fresh(void)
{
    struct pressure_config cfg;
    struct pressure p;

    pressure_config_init(&cfg, 0.80, 0.95, 0.98);
    pressure_init(&p, &cfg);
    return p;
}

/* ---- accounting ------------------------------------------------------- */

static void test_account(void **state)
{
    static const struct {
        uint64_t arena, self, cams[3];
        size_t ncams;
        uint64_t queue, limit, used;
        double ratio;
    } rows[] = {
        {0, 0, {0}, 0, 0, 100, 0, 0.0},
        {100 * MiB, 5 * MiB, {40 * MiB, 30 * MiB, 0}, 3, 25 * MiB, 1000 * MiB, 200 * MiB, 0.2},
        {600 * MiB, 0, {200 * MiB, 200 * MiB}, 2, 0, 1000 * MiB, 1000 * MiB, 1.0},
        {900, 100, {500}, 1, 0, 1000, 1500, 1.5},
        {UINT64_MAX - 5, 10, {UINT64_MAX}, 1, 7, UINT64_MAX, UINT64_MAX, 1.0}, /* saturates */
    };

    (void)state;
    for (size_t i = 0; i < N_(rows); i++) {
        struct pressure_usage u;

        pressure_account(&u, rows[i].arena, rows[i].self, rows[i].ncams ? rows[i].cams : NULL, rows[i].ncams,
                         rows[i].queue, rows[i].limit);
        if (u.used_bytes != rows[i].used || fabs(u.ratio - rows[i].ratio) > 1e-9 ||
            u.limit_bytes != rows[i].limit || u.arena_bytes != rows[i].arena || u.queue_bytes != rows[i].queue)
            fail_msg("row %zu: used %llu ratio %f", i, (unsigned long long)u.used_bytes, u.ratio);
    }
}

/* ---- levels ----------------------------------------------------------- */

static void test_ratio_levels(void **state)
{
    static const struct {
        double soft, hard, critical, ratio;
        enum pressure_level want;
    } rows[] = {
        {0.80, 0.95, 0.98, 0.00, PRESSURE_NONE},
        {0.80, 0.95, 0.98, 0.5999, PRESSURE_NONE},
        {0.80, 0.95, 0.98, 0.60, PRESSURE_LOW},
        {0.80, 0.95, 0.98, 0.7999, PRESSURE_LOW},
        {0.80, 0.95, 0.98, 0.80, PRESSURE_MODERATE},
        {0.80, 0.95, 0.98, 0.9499, PRESSURE_MODERATE},
        {0.80, 0.95, 0.98, 0.95, PRESSURE_HIGH},
        {0.80, 0.95, 0.98, 0.9799, PRESSURE_HIGH},
        {0.80, 0.95, 0.98, 0.98, PRESSURE_CRITICAL},
        {0.80, 0.95, 0.98, 3.0, PRESSURE_CRITICAL},
        /* soft below 0.60: the low band is empty, moderate starts at soft */
        {0.50, 0.70, 0.90, 0.49, PRESSURE_NONE},
        {0.50, 0.70, 0.90, 0.55, PRESSURE_MODERATE},
        {0.50, 0.70, 0.90, 0.65, PRESSURE_MODERATE},
        {0.50, 0.70, 0.90, 0.75, PRESSURE_HIGH},
        {0.50, 0.70, 0.90, 0.90, PRESSURE_CRITICAL},
    };

    (void)state;
    for (size_t i = 0; i < N_(rows); i++) {
        struct pressure_config cfg;

        pressure_config_init(&cfg, rows[i].soft, rows[i].hard, rows[i].critical);
        if (pressure_ratio_level(&cfg, rows[i].ratio) != rows[i].want)
            fail_msg("row %zu: ratio %f gave %s, want %s", i, rows[i].ratio,
                     pressure_level_name(pressure_ratio_level(&cfg, rows[i].ratio)),
                     pressure_level_name(rows[i].want));
    }
    assert_string_equal(pressure_level_name(PRESSURE_NONE), "none");
    assert_string_equal(pressure_level_name(PRESSURE_CRITICAL), "critical");
}

/* Each row feeds ratios one interval at a time (thresholds 0.80/0.95/0.98)
 * and gives the level expected after each, as N L M H C. */
static void test_level_sequences(void **state)
{
    static const struct {
        const char *what;
        double ratios[24];
        const char *levels;
    } rows[] = {
        {"up one level at a time", {0.5, 0.6, 0.8, 0.95, 0.98}, "NLMHC"},
        {"up at once, several levels", {0.1, 0.99}, "NC"},
        {"up at once to moderate", {0.1, 0.85}, "NM"},
        {"low to none after 3 below 0.55", {0.6, 0.54, 0.54, 0.54}, "LLLN"},
        {"moderate to low after 3 below 0.75", {0.8, 0.74, 0.74, 0.74, 0.74}, "MMMLL"},
        {"high to moderate after 3 below 0.90", {0.95, 0.89, 0.89, 0.89}, "HHHM"},
        {"critical to high after 3 below 0.93", {0.98, 0.92, 0.92, 0.92}, "CCCH"},
        {"inside the margin never falls", {0.98, 0.94, 0.94, 0.94, 0.94, 0.94, 0.93, 0.93}, "CCCCCCCC"},
        {"just under the margin falls", {0.98, 0.9299, 0.9299, 0.9299}, "CCCH"},
        {"an interval inside the margin resets the count",
         {0.98, 0.90, 0.90, 0.94, 0.90, 0.90, 0.90}, "CCCCCCH"},
        {"a rise during the count resets it", {0.95, 0.5, 0.5, 0.96, 0.5, 0.5, 0.5}, "HHHHHHM"},
        {"one level per three intervals, all the way down",
         {0.99, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, "CCCHHHMMMLLLNN"},
        {"falls one level, then holds at what the ratio says",
         {0.99, 0.89, 0.89, 0.89, 0.89, 0.89, 0.89, 0.89}, "CCCHHHMM"},
        {"exactly at threshold minus margin is not below it", {0.95, 0.90, 0.90, 0.90, 0.90}, "HHHHH"},
        {"a rise above the current level jumps past the count", {0.8, 0.7, 0.7, 0.99}, "MMMC"},
        {"none stays none", {0.0, 0.59, 0.3}, "NNN"},
    };

    (void)state;
    for (size_t i = 0; i < N_(rows); i++) {
        struct pressure p = fresh();
        size_t n = strlen(rows[i].levels);
        char got[32] = "";

        for (size_t k = 0; k < n; k++) {
            enum pressure_level before = p.level;
            bool changed = pressure_update(&p, rows[i].ratios[k], NULL);

            got[k] = level_chars[p.level];
            if (changed != (p.level != before))
                fail_msg("%s: step %zu: changed is %d", rows[i].what, k, changed);
        }
        got[n] = '\0';
        if (strcmp(got, rows[i].levels) != 0)
            fail_msg("%s: got %s, want %s", rows[i].what, got, rows[i].levels);
    }
}

/* ---- host signals ----------------------------------------------------- */

static struct hostmem host(double some, double full, double avail_ratio)
{
    struct hostmem h = {.psi = some >= 0, .meminfo = avail_ratio >= 0};

    if (h.psi) {
        h.some_avg10 = some;
        h.full_avg10 = full;
    }
    if (h.meminfo) {
        h.total_bytes = 1000 * MiB;
        h.available_bytes = (uint64_t)(avail_ratio * 1000.0 * (double)MiB);
    }
    return h;
}

static void test_host_levels(void **state)
{
    static const struct {
        double some, full, avail; /* some < 0: no PSI; avail < 0: no meminfo */
        double margin;
        enum pressure_level want;
    } rows[] = {
        {0, 0, 0.50, 0, PRESSURE_NONE},
        {-1, 0, -1, 0, PRESSURE_NONE},         /* nothing readable: calm */
        {9.99, 0, 0.50, 0, PRESSURE_NONE},
        {10, 0, 0.50, 0, PRESSURE_MODERATE},
        {60, 9.99, 0.50, 0, PRESSURE_MODERATE},
        {60, 10, 0.50, 0, PRESSURE_HIGH},
        {60, 29.9, 0.50, 0, PRESSURE_HIGH},
        {60, 30, 0.50, 0, PRESSURE_CRITICAL},
        {0, 0, 0.151, 0, PRESSURE_NONE},
        {0, 0, 0.149, 0, PRESSURE_MODERATE},
        {0, 0, 0.099, 0, PRESSURE_HIGH},
        {0, 0, 0.049, 0, PRESSURE_CRITICAL},
        {-1, 0, 0.049, 0, PRESSURE_CRITICAL},   /* meminfo alone */
        {50, 50, -1, 0, PRESSURE_CRITICAL},     /* PSI alone */
        {0, 35, 0.12, 0, PRESSURE_CRITICAL},    /* the worse of the two */
        /* with the margin (falling): thresholds move 5 points / 0.05 */
        {5, 0, 0.50, 0.05, PRESSURE_MODERATE},
        {4.9, 0, 0.50, 0.05, PRESSURE_NONE},
        {0, 5, 0.50, 0.05, PRESSURE_HIGH},
        {0, 25, 0.50, 0.05, PRESSURE_CRITICAL},
        {0, 24.9, 0.50, 0.05, PRESSURE_HIGH},
        {0, 0, 0.099, 0.05, PRESSURE_CRITICAL},
        {0, 0, 0.101, 0.05, PRESSURE_HIGH},
        {0, 0, 0.19, 0.05, PRESSURE_MODERATE},
        {0, 0, 0.21, 0.05, PRESSURE_NONE},
    };

    (void)state;
    assert_int_equal(pressure_host_level(NULL, 0), PRESSURE_NONE);
    for (size_t i = 0; i < N_(rows); i++) {
        struct hostmem h = host(rows[i].some, rows[i].full, rows[i].avail);
        enum pressure_level l = pressure_host_level(&h, rows[i].margin);

        if (l != rows[i].want)
            fail_msg("row %zu: got %s, want %s", i, pressure_level_name(l), pressure_level_name(rows[i].want));
    }
}

/* The host raises the level whatever the ratio, and holds it until it is
 * calm by the margin for three intervals. Each row: per interval a ratio
 * and a host reading, and the level expected after it. */
static void test_host_raises_level(void **state)
{
    static const struct {
        const char *what;
        struct { double ratio, some, full, avail; } steps[10];
        const char *levels;
    } rows[] = {
        {"PSI some raises to moderate at a low ratio",
         {{0.1, 12, 0, 0.5}, {0.1, 12, 0, 0.5}}, "MM"},
        {"PSI full raises to critical",
         {{0.1, 0, 0, 0.5}, {0.1, 80, 40, 0.5}}, "NC"},
        {"MemAvailable raises to high",
         {{0.1, 0, 0, 0.08}}, "H"},
        {"the ratio wins when higher",
         {{0.99, 12, 0, 0.5}}, "C"},
        {"host calm but inside its margin holds the level",
         {{0.1, 0, 12, 0.5}, {0.1, 0, 6, 0.5}, {0.1, 0, 6, 0.5}, {0.1, 0, 6, 0.5}, {0.1, 0, 6, 0.5}}, "HHHHH"},
        {"host calm by the margin for three intervals lets it fall",
         {{0.1, 0, 12, 0.5}, {0.1, 0, 4, 0.5}, {0.1, 0, 4, 0.5}, {0.1, 0, 4, 0.5}}, "HHHM"},
        {"MemAvailable back above 0.15 but below 0.20 holds moderate",
         {{0.1, 0, 0, 0.12}, {0.1, 0, 0, 0.18}, {0.1, 0, 0, 0.18}, {0.1, 0, 0, 0.18}, {0.1, 0, 0, 0.18}},
         "MMMMM"},
        {"MemAvailable back above 0.20 lets moderate fall",
         {{0.1, 0, 0, 0.12}, {0.1, 0, 0, 0.25}, {0.1, 0, 0, 0.25}, {0.1, 0, 0, 0.25}}, "MMML"},
    };

    (void)state;
    for (size_t i = 0; i < N_(rows); i++) {
        struct pressure p = fresh();
        size_t n = strlen(rows[i].levels);
        char got[16] = "";

        for (size_t k = 0; k < n; k++) {
            struct hostmem h = host(rows[i].steps[k].some, rows[i].steps[k].full, rows[i].steps[k].avail);

            pressure_update(&p, rows[i].steps[k].ratio, &h);
            got[k] = level_chars[p.level];
        }
        got[n] = '\0';
        if (strcmp(got, rows[i].levels) != 0)
            fail_msg("%s: got %s, want %s", rows[i].what, got, rows[i].levels);
    }
}

static void test_hostmem_parse(void **state)
{
    double some = -1, full = -1;
    uint64_t total = 0, avail = 0;

    (void)state;
    assert_int_equal(hostmem_parse_psi("some avg10=12.50 avg60=3.00 avg300=1.00 total=123\n"
                                       "full avg10=4.25 avg60=1.00 avg300=0.50 total=45\n", &some, &full), 0);
    assert_true(fabs(some - 12.5) < 1e-9 && fabs(full - 4.25) < 1e-9);
    assert_int_equal(hostmem_parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &some, &full), 0);
    assert_true(some == 0 && full == 0);
    assert_int_equal(hostmem_parse_psi("full avg10=4.25 avg60=1.00\n", &some, &full), -EINVAL);
    assert_int_equal(hostmem_parse_psi("some avg60=1.00\n", &some, &full), -EINVAL);
    assert_int_equal(hostmem_parse_psi("", &some, &full), -EINVAL);

    assert_int_equal(hostmem_parse_meminfo("MemTotal:       1000 kB\nMemFree:  10 kB\n"
                                           "MemAvailable:    250 kB\n", &total, &avail), 0);
    assert_int_equal(total, 1000 * 1024);
    assert_int_equal(avail, 250 * 1024);
    assert_int_equal(hostmem_parse_meminfo("MemTotal: 1000 kB\n", &total, &avail), -EINVAL);
    assert_int_equal(hostmem_parse_meminfo("MemTotal: 0 kB\nMemAvailable: 0 kB\n", &total, &avail), -EINVAL);
    /* A longer name that starts the same is not the field. */
    assert_int_equal(hostmem_parse_meminfo("MemTotalX: 5 kB\nMemTotal: 8 kB\nMemAvailable: 4 kB\n",
                                           &total, &avail), 0);
    assert_int_equal(total, 8 * 1024);
}

/* Fake /proc files in a temporary directory. */
struct files {
    char dir[64], psi[96], meminfo[96], missing[96];
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int files_setup(void **state)
{
    struct files *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/test_pressure.XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->psi, sizeof(f->psi), "%s/psi", f->dir);
    snprintf(f->meminfo, sizeof(f->meminfo), "%s/meminfo", f->dir);
    snprintf(f->missing, sizeof(f->missing), "%s/missing", f->dir);
    *state = f;
    return 0;
}

static int files_teardown(void **state)
{
    struct files *f = *state;

    unlink(f->psi);
    unlink(f->meminfo);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_hostmem_read_files(void **state)
{
    struct files *f = *state;
    struct hostmem h;
    struct pressure p = fresh();

    write_file(f->psi, "some avg10=15.00 avg60=2.00 avg300=1.00 total=99\n"
                       "full avg10=35.00 avg60=1.00 avg300=0.00 total=9\n");
    write_file(f->meminfo, "MemTotal:       1048576 kB\nMemFree:   1 kB\nMemAvailable:     41943 kB\n");
    assert_int_equal(hostmem_read(&h, f->psi, f->meminfo), 0);
    assert_true(h.psi && h.meminfo);
    assert_true(fabs(h.some_avg10 - 15) < 1e-9 && fabs(h.full_avg10 - 35) < 1e-9);
    assert_int_equal(h.total_bytes, 1048576ull * 1024);
    assert_true(hostmem_available_ratio(&h) < 0.05);
    pressure_update(&p, 0.0, &h);
    assert_int_equal(p.level, PRESSURE_CRITICAL);
    assert_int_equal(p.host_level, PRESSURE_CRITICAL);
    assert_int_equal(p.ratio_level, PRESSURE_NONE);
    assert_true(pressure_refuses_new_cameras(&p));

    /* One signal missing: the other still counts. */
    assert_int_equal(hostmem_read(&h, f->missing, f->meminfo), 0);
    assert_true(!h.psi && h.meminfo && h.some_avg10 == 0);
    assert_int_equal(pressure_host_level(&h, 0), PRESSURE_CRITICAL);
    assert_int_equal(hostmem_read(&h, "", f->meminfo), 0);
    assert_false(h.psi);

    /* Garbage is not a reading. */
    write_file(f->psi, "nonsense\n");
    write_file(f->meminfo, "MemTotal: 10 kB\n");
    assert_int_equal(hostmem_read(&h, f->psi, f->meminfo), -EINVAL);
    assert_true(!h.psi && !h.meminfo);
    assert_int_equal(pressure_host_level(&h, 0), PRESSURE_NONE);
    assert_true(hostmem_available_ratio(&h) == 1.0);

    assert_int_equal(hostmem_read(&h, f->missing, f->missing), -ENOENT);
    assert_int_equal(hostmem_read(&h, "", ""), -ENOENT);
}

static void test_hostmem_real_proc(void **state)
{
    struct hostmem h;
    int fd;

    (void)state;
    /* /proc/meminfo exists wherever the tests run; PSI may not. */
    assert_int_equal(hostmem_read(&h, NULL, NULL), 0);
    assert_true(h.meminfo && h.total_bytes > 0 && h.available_bytes <= h.total_bytes);

    assert_int_equal(hostmem_trigger_open("/nonexistent/pressure", "some", 150000, 1000000), -ENOENT);
    assert_int_equal(hostmem_trigger_open(NULL, "bogus", 150000, 1000000), -EINVAL);
    fd = hostmem_trigger_open(NULL, HOSTMEM_TRIGGER_KIND, HOSTMEM_TRIGGER_STALL_US, HOSTMEM_TRIGGER_WINDOW_US);
    if (fd >= 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLPRI};

        /* Registered: polling it must work (and, on an idle host, time out). */
        assert_true(poll(&pfd, 1, 0) >= 0);
        close(fd);
        /* The kernel refuses a window outside 500 ms..10 s. */
        fd = hostmem_trigger_open(NULL, "some", 1000, 100000);
        assert_true(fd == -EINVAL);
    } else {
        /* Quietly refused: one of the documented reasons. */
        assert_true(fd == -ENOENT || fd == -EOPNOTSUPP || fd == -EACCES || fd == -EPERM || fd == -EINVAL ||
                    fd == -EROFS);
    }
}

/* ---- the planner ------------------------------------------------------ */

#define NCAMS_MAX 8

struct world {
    struct pressure p;
    struct pressure_camera cams[NCAMS_MAX];
    size_t n;
};

static void world_init(struct world *w, const char *const *names, const uint32_t *prio, size_t n)
{
    memset(w, 0, sizeof(*w));
    w->p = fresh();
    w->n = n;
    for (size_t i = 0; i < n; i++) {
        w->cams[i].name = names[i];
        w->cams[i].priority = prio[i];
        w->cams[i].running = true;
        w->cams[i].memory_bytes = 10 * MiB;
        w->cams[i].memory_limit = 400 * MiB;
    }
}

static int cam_index(const struct world *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->cams[i].name, name) == 0)
            return (int)i;
    fail_msg("no camera %s", name);
    return -1;
}

/* What camarenad would do with the actions: the camera's state follows. */
static void carry_out(struct world *w, const struct pressure_action *a, int n)
{
    for (int i = 0; i < n; i++) {
        struct pressure_camera *c = &w->cams[a[i].camera];

        if (a[i].kind == PRESSURE_ACT_PAUSE) {
            c->paused = true;
            c->running = false;
        } else if (a[i].kind == PRESSURE_ACT_RESUME) {
            c->paused = false;
            c->running = true;
        } else if (a[i].kind == PRESSURE_ACT_RESTART) {
            c->memory_bytes = 10 * MiB;
        }
    }
}

/* Plans one interval at level (with indicated, the level the inputs say
 * now; 0 means the same), carries the actions out and returns them as
 * "kind:camera kind:camera". */
static const char *plan_step(struct world *w, enum pressure_level level, enum pressure_level indicated)
{
    static char text[512];
    struct pressure_action a[PRESSURE_ACTIONS_PER_CAMERA * NCAMS_MAX];
    int n;
    size_t len = 0;

    w->p.level = level;
    w->p.indicated = indicated ? indicated : level;
    n = pressure_plan(&w->p, w->cams, w->n, a, N_(a));
    assert_true(n >= 0);
    text[0] = '\0';
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s:%s", i ? " " : "",
                                pressure_action_name(a[i].kind), w->cams[a[i].camera].name);
        if (a[i].kind == PRESSURE_ACT_DECIMATE)
            assert_int_equal(a[i].value, PRESSURE_DECIMATION);
        if (a[i].kind == PRESSURE_ACT_UNDECIMATE)
            assert_int_equal(a[i].value, 1);
    }
    carry_out(w, a, n);
    return text;
}

enum { N = PRESSURE_NONE, L = PRESSURE_LOW, M = PRESSURE_MODERATE, H = PRESSURE_HIGH, C = PRESSURE_CRITICAL };

/* Something the operator or the caller does before an interval. */
enum poke { NOTHING, OP_PAUSE, OP_RESUME, MEMORY_600M, STOPPED };

struct step {
    int level, indicated;
    enum poke poke;
    const char *poke_camera;
    const char *want;
};

static void poke(struct world *w, const struct step *s)
{
    struct pressure_camera *c;

    if (s->poke == NOTHING)
        return;
    c = &w->cams[cam_index(w, s->poke_camera)];
    switch (s->poke) {
    case OP_PAUSE:
        c->paused = true;
        c->operator_paused = true;
        c->running = false;
        break;
    case OP_RESUME:
        c->paused = false;
        c->operator_paused = false;
        c->running = true;
        break;
    case MEMORY_600M:
        c->memory_bytes = 600 * MiB;
        break;
    case STOPPED:
        c->running = false;
        break;
    case NOTHING:
        break;
    }
}

struct scenario {
    const char *what;
    const char *names[NCAMS_MAX];
    uint32_t prio[NCAMS_MAX];
    size_t n;
    struct step steps[32];
};

/* Five cameras used by most scenarios: a 10, b 30, c 50, d 70, e and f 90. */
#define SIX {"a", "b", "c", "d", "e", "f"}, {10, 30, 50, 70, 90, 90}, 6

static const struct scenario scenarios[] = {
    {"escalate level by level, then recover level by level", SIX, {
        {N, 0, NOTHING, NULL, ""},
        {L, 0, NOTHING, NULL, ""},
        {M, 0, NOTHING, NULL, "decimate:a hold:a decimate:b hold:b"},
        {M, 0, NOTHING, NULL, ""},
        {H, 0, NOTHING, NULL, "decimate:c decimate:d"},
        {C, 0, NOTHING, NULL, "pause:a"},
        {C, 0, NOTHING, NULL, "pause:b"},
        {C, 0, NOTHING, NULL, "pause:c"},
        {C, 0, NOTHING, NULL, "pause:d"},
        {C, 0, NOTHING, NULL, ""},                 /* e and f are the top: never paused */
        {C, 0, NOTHING, NULL, ""},
        {H, 0, NOTHING, NULL, "resume:d"},         /* undone in reverse, one per interval */
        {H, 0, NOTHING, NULL, "resume:c"},
        {H, 0, NOTHING, NULL, "resume:b"},
        {H, 0, NOTHING, NULL, "resume:a"},
        {H, 0, NOTHING, NULL, ""},
        {M, 0, NOTHING, NULL, "undecimate:d"},
        {M, 0, NOTHING, NULL, "undecimate:c"},
        {M, 0, NOTHING, NULL, ""},
        {L, 0, NOTHING, NULL, "undecimate:b release:b"},
        {L, 0, NOTHING, NULL, "undecimate:a release:a"},
        {N, 0, NOTHING, NULL, ""},
        {.want = NULL}}},
    {"straight to critical, then straight to none", SIX, {
        {C, 0, NOTHING, NULL, "decimate:a hold:a decimate:b hold:b decimate:c decimate:d pause:a"},
        {C, 0, NOTHING, NULL, "pause:b"},
        {N, 0, NOTHING, NULL, "resume:b"},          /* pauses are undone first */
        {N, 0, NOTHING, NULL, "resume:a"},
        {N, 0, NOTHING, NULL, "undecimate:d"},
        {N, 0, NOTHING, NULL, "undecimate:c"},
        {N, 0, NOTHING, NULL, "undecimate:b release:b"},
        {N, 0, NOTHING, NULL, "undecimate:a release:a"},
        {N, 0, NOTHING, NULL, ""},
        {.want = NULL}}},
    {"no new pause once the inputs fall below critical, none undone until the level falls", SIX, {
        {C, 0, NOTHING, NULL, "decimate:a hold:a decimate:b hold:b decimate:c decimate:d pause:a"},
        {C, H, NOTHING, NULL, ""},
        {C, H, NOTHING, NULL, ""},
        {C, C, NOTHING, NULL, "pause:b"},
        {H, H, NOTHING, NULL, "resume:b"},
        {C, C, NOTHING, NULL, "pause:b"},          /* back up: the same order again */
        {.want = NULL}}},
    {"an operator's pause is never undone by pressure", SIX, {
        {N, 0, OP_PAUSE, "a", ""},
        {C, 0, NOTHING, NULL, "decimate:a hold:a decimate:b hold:b decimate:c decimate:d pause:b"},
        {C, 0, OP_PAUSE, "b", "pause:c"},          /* the operator takes b over */
        {H, 0, NOTHING, NULL, "resume:c"},
        {H, 0, NOTHING, NULL, ""},                 /* a and b stay paused */
        {N, 0, NOTHING, NULL, "undecimate:d"},
        {N, 0, NOTHING, NULL, "undecimate:c"},
        {N, 0, NOTHING, NULL, "undecimate:b release:b"},
        {N, 0, NOTHING, NULL, "undecimate:a release:a"},
        {N, 0, NOTHING, NULL, ""},
        {.want = NULL}}},
    {"an operator's resume of a camera pressure paused: pressure forgets it", SIX, {
        {C, 0, NOTHING, NULL, "decimate:a hold:a decimate:b hold:b decimate:c decimate:d pause:a"},
        {C, H, OP_RESUME, "a", ""},
        {C, C, NOTHING, NULL, "pause:a"},          /* pausable again, still the lowest */
        {.want = NULL}}},
    {"cameras without a live unit are not paused", SIX, {
        {N, 0, STOPPED, "a", ""},
        {C, 0, NOTHING, NULL, "decimate:a hold:a decimate:b hold:b decimate:c decimate:d pause:b"},
        {.want = NULL}}},
    {"memory_limit restarts at high and above only", SIX, {
        {N, 0, MEMORY_600M, "c", ""},
        {L, 0, NOTHING, NULL, ""},
        {M, 0, NOTHING, NULL, "decimate:a hold:a decimate:b hold:b"},
        {H, 0, NOTHING, NULL, "decimate:c decimate:d restart:c"},
        {H, 0, NOTHING, NULL, ""},                 /* the new unit is small */
        {H, 0, MEMORY_600M, "e", "restart:e"},     /* top cameras too */
        {C, 0, MEMORY_600M, "a", "restart:a pause:a"},
        {M, 0, MEMORY_600M, "d", "resume:a"},
        {.want = NULL}}},
    {"all of one priority: nothing is ever decimated at high or paused", {"x", "y", "z"}, {60, 60, 60}, 3, {
        {C, 0, NOTHING, NULL, ""},
        {C, 0, NOTHING, NULL, ""},
        {.want = NULL}}},
    {"all below 50 and equal: moderate sheds all, nobody is paused", {"x", "y"}, {20, 20}, 2, {
        {M, 0, NOTHING, NULL, "decimate:x hold:x decimate:y hold:y"},
        {C, 0, NOTHING, NULL, ""},
        {N, 0, NOTHING, NULL, "undecimate:y release:y"},
        {N, 0, NOTHING, NULL, "undecimate:x release:x"},
        {.want = NULL}}},
    {"equal priorities go by index, undone in reverse", {"p", "q", "r", "top"}, {40, 40, 40, 100}, 4, {
        {C, 0, NOTHING, NULL, "decimate:p hold:p decimate:q hold:q decimate:r hold:r pause:p"},
        {C, 0, NOTHING, NULL, "pause:q"},
        {C, 0, NOTHING, NULL, "pause:r"},
        {C, 0, NOTHING, NULL, ""},
        {H, 0, NOTHING, NULL, "resume:r"},
        {H, 0, NOTHING, NULL, "resume:q"},
        {H, 0, NOTHING, NULL, "resume:p"},
        {.want = NULL}}},
    {"priority order does not follow the index", {"hi", "lo", "mid"}, {80, 5, 45}, 3, {
        {M, 0, NOTHING, NULL, "decimate:lo hold:lo decimate:mid hold:mid"},
        {C, 0, NOTHING, NULL, "pause:lo"},
        {C, 0, NOTHING, NULL, "pause:mid"},
        {C, 0, NOTHING, NULL, ""},
        {L, 0, NOTHING, NULL, "resume:mid"},
        {L, 0, NOTHING, NULL, "resume:lo"},
        {L, 0, NOTHING, NULL, "undecimate:mid release:mid"},
        {L, 0, NOTHING, NULL, "undecimate:lo release:lo"},
        {.want = NULL}}},
};

static void test_plan_scenarios(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_(scenarios); i++) {
        const struct scenario *sc = &scenarios[i];
        struct world w;

        world_init(&w, sc->names, sc->prio, sc->n);
        for (size_t k = 0; sc->steps[k].want; k++) {
            const char *got;

            poke(&w, &sc->steps[k]);
            got = plan_step(&w, (enum pressure_level)sc->steps[k].level,
                            (enum pressure_level)sc->steps[k].indicated);
            if (strcmp(got, sc->steps[k].want) != 0)
                fail_msg("%s: step %zu at %s: got \"%s\", want \"%s\"", sc->what, k,
                         pressure_level_name((enum pressure_level)sc->steps[k].level), got, sc->steps[k].want);
        }
    }
}

/* The level machine and the planner together, driven by ratios. */
static void test_plan_from_ratios(void **state)
{
    static const char *const names[] = {"a", "b", "c"};
    static const uint32_t prio[] = {10, 60, 90};
    static const struct { double ratio; const char *want; } steps[] = {
        {0.50, ""},
        {0.85, "decimate:a hold:a"},
        {0.99, "decimate:b pause:a"},
        {0.96, ""},                       /* critical held, but no new pause */
        {0.90, ""}, {0.90, ""}, {0.90, "resume:a"},   /* to high after 3 under 0.93 */
        {0.90, ""}, {0.89, ""}, {0.89, ""}, {0.89, "undecimate:b"}, /* to moderate */
        {0.10, ""}, {0.10, ""}, {0.10, "undecimate:a release:a"},   /* to low */
        {0.10, ""}, {0.10, ""}, {0.10, ""},                         /* to none */
    };
    struct world w;

    (void)state;
    world_init(&w, names, prio, 3);
    for (size_t k = 0; k < N_(steps); k++) {
        const char *got;

        pressure_update(&w.p, steps[k].ratio, NULL);
        got = plan_step(&w, w.p.level, w.p.indicated);
        if (strcmp(got, steps[k].want) != 0)
            fail_msg("step %zu (ratio %.2f, %s): got \"%s\", want \"%s\"", k, steps[k].ratio,
                     pressure_level_name(w.p.level), got, steps[k].want);
    }
    assert_int_equal(w.p.level, PRESSURE_NONE);
}

static void test_actions_json(void **state)
{
    static const char *const names[] = {"front\"door", "yard"};
    static const uint32_t prio[] = {10, 90};
    struct world w;
    struct pressure_action a[8];
    struct json_writer jw;
    char buf[512];
    int n;

    (void)state;
    world_init(&w, names, prio, 2);
    w.cams[0].memory_bytes = 500 * MiB;
    w.p.level = w.p.indicated = PRESSURE_CRITICAL;
    n = pressure_plan(&w.p, w.cams, w.n, a, N_(a));
    assert_int_equal(n, 4);
    json_init(&jw, buf, sizeof(buf));
    pressure_actions_json(&jw, a, (size_t)n, w.cams);
    assert_true(json_finish(&jw) > 0);
    assert_string_equal(buf, "[{\"action\":\"decimate\",\"camera\":\"front\\\"door\",\"decimation\":2},"
                             "{\"action\":\"hold\",\"camera\":\"front\\\"door\"},"
                             "{\"action\":\"restart\",\"camera\":\"front\\\"door\",\"memory_bytes\":524288000,"
                             "\"reason\":\"memory\"},"
                             "{\"action\":\"pause\",\"camera\":\"front\\\"door\",\"reason\":\"pressure\"}]");
    assert_string_equal(pressure_action_reason(PRESSURE_ACT_RESUME), "pressure");
    assert_string_equal(pressure_action_reason(PRESSURE_ACT_HOLD), "");
    assert_string_equal(pressure_action_name(PRESSURE_ACT_RELEASE), "release");

    json_init(&jw, buf, sizeof(buf));
    pressure_actions_json(&jw, a, 0, w.cams);
    assert_true(json_finish(&jw) > 0);
    assert_string_equal(buf, "[]");
}

/* ---- growth ----------------------------------------------------------- */

enum series { FLAT, LINEAR, NOISY, WARMUP_SPIKE, FAST_THEN_FLAT };

/* A deterministic noise in [-amp, amp]. */
static int64_t noise(uint32_t *seed, int64_t amp)
{
    *seed = *seed * 1103515245u + 12345u;
    return (int64_t)((*seed >> 8) % (uint32_t)(2 * amp + 1)) - amp;
}

static void test_growth_series(void **state)
{
    /* 10M/h warns, 50M/h restarts: 2912.7 and 14563.6 bytes/s. */
    const double warn = 10.0 * MiB / 3600, crit = 50.0 * MiB / 3600;
    static const struct {
        const char *what;
        enum series kind;
        double rate;          /* bytes/s */
        int64_t amp;          /* noise, bytes */
        unsigned samples;     /* one a second, from the start */
        uint64_t warmup_ns;
        enum growth_verdict want;
        double slope, tol;    /* tol < 0: do not check the slope */
    } rows[] = {
        {"flat", FLAT, 0, 0, 120, 60 * SEC, GROWTH_NONE, 0, 1e-6},
        {"linear below warning", LINEAR, 1000, 0, 120, 60 * SEC, GROWTH_NONE, 1000, 1e-3},
        {"linear above warning", LINEAR, 5000, 0, 120, 60 * SEC, GROWTH_WARNING, 5000, 1e-3},
        {"linear above critical", LINEAR, 20000, 0, 120, 60 * SEC, GROWTH_CRITICAL, 20000, 1e-3},
        {"shrinking", LINEAR, -20000, 0, 120, 60 * SEC, GROWTH_NONE, -20000, 1e-3},
        {"noisy flat", NOISY, 0, 50000, 200, 60 * SEC, GROWTH_NONE, 0, 1000},
        {"noisy growth above warning", NOISY, 6000, 50000, 200, 60 * SEC, GROWTH_WARNING, 6000, 1000},
        {"noisy growth above critical", NOISY, 30000, 50000, 200, 60 * SEC, GROWTH_CRITICAL, 30000, 1000},
        {"too few samples after the warm-up: 9", LINEAR, 20000, 0, 69, 60 * SEC, GROWTH_NONE, 0, 1e-9},
        {"enough samples after the warm-up: 10", LINEAR, 20000, 0, 70, 60 * SEC, GROWTH_CRITICAL, 20000, 1e-3},
        {"a start-up spike inside the warm-up is ignored", WARMUP_SPIKE, 0, 0, 120, 60 * SEC, GROWTH_NONE, 0,
         1e-6},
        {"the same spike without a warm-up looks like a leak", WARMUP_SPIKE, 0, 0, 75, 0, GROWTH_CRITICAL, 0, -1},
        {"the window slides: old growth is forgotten", FAST_THEN_FLAT, 0, 0, 300, 60 * SEC, GROWTH_NONE, 0, 1e-6},
    };

    (void)state;
    for (size_t i = 0; i < N_(rows); i++) {
        struct growth_config cfg;
        struct growth g;
        uint64_t t0 = 1000 * SEC;
        uint32_t seed = 42;
        enum growth_verdict v = GROWTH_NONE;

        growth_config_init(&cfg, warn, crit);
        cfg.warmup_ns = rows[i].warmup_ns;
        growth_reset(&g, t0);
        for (unsigned k = 0; k < rows[i].samples; k++) {
            double base = 100.0 * MiB;
            double b = base;

            switch (rows[i].kind) {
            case FLAT:
                break;
            case LINEAR:
                b = base + rows[i].rate * k;
                break;
            case NOISY:
                b = base + rows[i].rate * k + (double)noise(&seed, rows[i].amp);
                break;
            case WARMUP_SPIKE: /* 2 MB a second for 30 s, then flat */
                b = base + 2.0 * MiB * (k < 30 ? k : 30);
                break;
            case FAST_THEN_FLAT: /* 1 MB a second for 200 s, then flat */
                b = base + 1.0 * MiB * (k < 200 ? k : 200);
                break;
            }
            v = growth_add(&g, &cfg, t0 + k * SEC, (uint64_t)b);
        }
        if (v != rows[i].want)
            fail_msg("%s: verdict %s, want %s (slope %.1f)", rows[i].what, growth_verdict_name(v),
                     growth_verdict_name(rows[i].want), g.slope_bps);
        if (rows[i].tol >= 0 && fabs(g.slope_bps - rows[i].slope) > rows[i].tol)
            fail_msg("%s: slope %.3f, want %.3f", rows[i].what, g.slope_bps, rows[i].slope);
        assert_int_equal(g.verdict, v);
        assert_true(g.count <= GROWTH_SAMPLES);
    }
}

/* A leak, then a restart: the new unit's memory is judged on its own,
 * after its own warm-up, with no step from the old unit's samples. */
static void test_growth_step_after_restart(void **state)
{
    const double warn = 10.0 * MiB / 3600, crit = 50.0 * MiB / 3600;
    struct growth_config cfg;
    struct growth g;
    uint64_t t = 0;

    (void)state;
    growth_config_init(&cfg, warn, crit);
    growth_reset(&g, t);
    for (int k = 0; k < 100; k++, t += SEC)
        growth_add(&g, &cfg, t, 100 * MiB + (uint64_t)k * 50000);
    assert_int_equal(g.verdict, GROWTH_CRITICAL);

    growth_reset(&g, t);
    assert_int_equal(g.count, 0);
    assert_int_equal(g.verdict, GROWTH_NONE);
    assert_true(g.slope_bps == 0);
    /* The new unit: 20 MB, a start-up step to 40 MB in the warm-up, then flat. */
    for (int k = 0; k < 80; k++, t += SEC) {
        enum growth_verdict v = growth_add(&g, &cfg, t, (k < 20 ? 20 : 40) * MiB);

        if (v != GROWTH_NONE)
            fail_msg("interval %d after the restart: %s", k, growth_verdict_name(v));
    }
    assert_int_equal(g.count, 20);
    assert_true(fabs(g.slope_bps) < 1e-6);

    /* Without the reset, the drop from the old unit would be fitted too. */
    growth_reset(&g, 0);
    cfg.warmup_ns = 0;
    for (int k = 0; k < 30; k++)
        growth_add(&g, &cfg, (uint64_t)k * SEC, (k < 15 ? 200 : 20) * MiB);
    assert_true(g.slope_bps < -1e6);
}

static void test_growth_spacing_and_clock(void **state)
{
    struct growth_config cfg;
    struct growth g;

    (void)state;
    growth_config_init(&cfg, 100, 1000);
    cfg.warmup_ns = 0;
    cfg.spacing_ns = 10 * SEC;
    growth_reset(&g, 0);
    for (uint64_t k = 0; k < 200; k++)
        growth_add(&g, &cfg, k * SEC, 1000 + k * 500);
    assert_int_equal(g.count, 20);                  /* one kept every 10 s */
    assert_true(fabs(g.slope_bps - 500) < 1e-6);
    assert_int_equal(g.verdict, GROWTH_WARNING);

    /* A sample that is not newer than the last kept one is ignored. */
    cfg.spacing_ns = 0;
    growth_reset(&g, 0);
    growth_add(&g, &cfg, 5 * SEC, 1);
    growth_add(&g, &cfg, 5 * SEC, 2);
    growth_add(&g, &cfg, 4 * SEC, 3);
    assert_int_equal(g.count, 1);
    /* Before the start (a clock the caller got wrong): ignored. */
    growth_reset(&g, 100 * SEC);
    growth_add(&g, &cfg, 50 * SEC, 1);
    assert_int_equal(g.count, 0);

    /* The slope itself, on uneven times. */
    {
        uint64_t t[] = {0, 1 * SEC, 3 * SEC, 7 * SEC, 8 * SEC};
        uint64_t b[5];

        for (int i = 0; i < 5; i++)
            b[i] = 1000000 + 250 * (t[i] / SEC);
        assert_true(fabs(growth_slope(t, b, 5) - 250) < 1e-9);
        assert_true(growth_slope(t, b, 1) == 0);
        assert_true(growth_slope((uint64_t[]){SEC, SEC}, b, 2) == 0);
    }
    assert_string_equal(growth_verdict_name(GROWTH_CRITICAL), "critical");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_ratio_levels),
        cmocka_unit_test(test_level_sequences),
        cmocka_unit_test(test_host_levels),
        cmocka_unit_test(test_host_raises_level),
        cmocka_unit_test(test_hostmem_parse),
        cmocka_unit_test_setup_teardown(test_hostmem_read_files, files_setup, files_teardown),
        cmocka_unit_test(test_hostmem_real_proc),
        cmocka_unit_test(test_plan_scenarios),
        cmocka_unit_test(test_plan_from_ratios),
        cmocka_unit_test(test_actions_json),
        cmocka_unit_test(test_growth_series),
        cmocka_unit_test(test_growth_step_after_restart),
        cmocka_unit_test(test_growth_spacing_and_clock),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
