/* test_supervisor.c - camarenad's modules without a running daemon: the
 * camera state machine's table, backoff delays with a fixed random source,
 * control request checks, the status/event JSON and metrics text, the
 * smaps_rollup parser, the worker's argument vector, and what a reload
 * changes (confs written to temporary files and read with conf_load). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/proto.h"
#include "supervisor/backoff.h"
#include "supervisor/camera.h"
#include "supervisor/control.h"
#include "supervisor/procmem.h"
#include "supervisor/reload.h"
#include "supervisor/spawn.h"
#include "supervisor/status.h"

/* ---- the state machine ------------------------------------------------ */

enum { KILL = CAMERA_DO_KILL, STOP = CAMERA_DO_STOP, DISARM = CAMERA_DO_DISARM, EXIT = CAMERA_DO_EXIT_EVENT,
       COUNT = CAMERA_DO_COUNT_RESTART, BACKOFF = CAMERA_DO_BACKOFF, SPAWN = CAMERA_DO_SPAWN,
       PUB = CAMERA_DO_PUBLISH };

struct row {
    enum camera_state from;
    enum camera_event event;
    enum camera_state to;
    unsigned actions;
};

/* Every accepted transition; every other (state, event) pair must be ignored. */
static const struct row expected[] = {
    {CAMERA_STOPPED, CAMERA_EV_START, CAMERA_STARTING, SPAWN | PUB},

    {CAMERA_STARTING, CAMERA_EV_FRAMES, CAMERA_RUNNING, PUB},
    {CAMERA_STARTING, CAMERA_EV_FAIL, CAMERA_BACKOFF, KILL | EXIT | COUNT | BACKOFF | PUB},
    {CAMERA_STARTING, CAMERA_EV_PAUSE, CAMERA_PAUSED, STOP | EXIT | PUB},
    {CAMERA_STARTING, CAMERA_EV_RESTART, CAMERA_STARTING, KILL | EXIT | COUNT | SPAWN | PUB},
    {CAMERA_STARTING, CAMERA_EV_STOP, CAMERA_STOPPED, STOP | PUB},

    {CAMERA_RUNNING, CAMERA_EV_FAIL, CAMERA_BACKOFF, KILL | EXIT | COUNT | BACKOFF | PUB},
    {CAMERA_RUNNING, CAMERA_EV_PAUSE, CAMERA_PAUSED, STOP | EXIT | PUB},
    {CAMERA_RUNNING, CAMERA_EV_RESTART, CAMERA_STARTING, KILL | EXIT | COUNT | SPAWN | PUB},
    {CAMERA_RUNNING, CAMERA_EV_STOP, CAMERA_STOPPED, STOP | PUB},

    {CAMERA_BACKOFF, CAMERA_EV_BACKOFF_DONE, CAMERA_STARTING, SPAWN | PUB},
    {CAMERA_BACKOFF, CAMERA_EV_PAUSE, CAMERA_PAUSED, DISARM | PUB},
    {CAMERA_BACKOFF, CAMERA_EV_RESTART, CAMERA_STARTING, DISARM | COUNT | SPAWN | PUB},
    {CAMERA_BACKOFF, CAMERA_EV_STOP, CAMERA_STOPPED, DISARM | PUB},

    {CAMERA_PAUSED, CAMERA_EV_RESUME, CAMERA_STARTING, SPAWN | PUB},
    {CAMERA_PAUSED, CAMERA_EV_RESTART, CAMERA_STARTING, SPAWN | PUB},
    {CAMERA_PAUSED, CAMERA_EV_STOP, CAMERA_STOPPED, PUB},
};

static void test_transition_table(void **state)
{
    (void)state;
    for (int s = 0; s < CAMERA_STATE_COUNT; s++) {
        for (int e = 0; e < CAMERA_EVENT_COUNT; e++) {
            struct camera_transition t = camera_step((enum camera_state)s, (enum camera_event)e);
            const struct row *want = NULL;

            for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
                if ((int)expected[i].from == s && (int)expected[i].event == e)
                    want = &expected[i];
            if (want) {
                if (!t.accepted || t.state != want->to || t.actions != want->actions)
                    fail_msg("%s + %s: got %s/%d/0x%x", camera_state_name(s), camera_event_name(e),
                             camera_state_name(t.state), t.accepted, t.actions);
            } else {
                if (t.accepted || (int)t.state != s || t.actions != 0)
                    fail_msg("%s + %s should be ignored", camera_state_name(s), camera_event_name(e));
            }
        }
    }
}

static void test_state_numbers_and_names(void **state)
{
    (void)state;
    assert_int_equal(CAMERA_STOPPED, ARENA_STATE_STOPPED);
    assert_int_equal(CAMERA_STARTING, ARENA_STATE_STARTING);
    assert_int_equal(CAMERA_RUNNING, ARENA_STATE_RUNNING);
    assert_int_equal(CAMERA_BACKOFF, ARENA_STATE_BACKOFF);
    assert_int_equal(CAMERA_PAUSED, ARENA_STATE_PAUSED);
    assert_string_equal(camera_state_name(CAMERA_BACKOFF), "backoff");
    assert_string_equal(camera_state_name(CAMERA_PAUSED), "paused");
    assert_string_equal(camera_reason_name(CAMERA_REASON_NONE), "");
    assert_string_equal(camera_reason_name(CAMERA_REASON_EXIT), "exit");
    assert_string_equal(camera_reason_name(CAMERA_REASON_SIGNAL), "signal");
    assert_string_equal(camera_reason_name(CAMERA_REASON_STALLED), "stalled");
    assert_string_equal(camera_reason_name(CAMERA_REASON_UNRESPONSIVE), "unresponsive");
    assert_string_equal(camera_reason_name(CAMERA_REASON_OPERATOR), "operator");
    assert_string_equal(camera_reason_name(CAMERA_REASON_SHUTDOWN), "shutdown");
    assert_string_equal(camera_reason_name(CAMERA_REASON_RELOAD), "reload");
}

/* A whole life: start, frames, a crash, backoff, restart, pause, resume, stop. */
static void test_life(void **state)
{
    static const enum camera_event events[] = {
        CAMERA_EV_START, CAMERA_EV_FRAMES, CAMERA_EV_FAIL, CAMERA_EV_FAIL, CAMERA_EV_BACKOFF_DONE,
        CAMERA_EV_FRAMES, CAMERA_EV_PAUSE, CAMERA_EV_FAIL, CAMERA_EV_RESUME, CAMERA_EV_STOP,
    };
    static const enum camera_state states[] = {
        CAMERA_STARTING, CAMERA_RUNNING, CAMERA_BACKOFF, CAMERA_BACKOFF, CAMERA_STARTING,
        CAMERA_RUNNING, CAMERA_PAUSED, CAMERA_PAUSED, CAMERA_STARTING, CAMERA_STOPPED,
    };
    enum camera_state s = CAMERA_STOPPED;

    (void)state;
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        s = camera_step(s, events[i]).state;
        assert_int_equal(s, states[i]);
    }
}

/* ---- backoff ------------------------------------------------------------ */

static double fixed_rand(void *ctx)
{
    return *(double *)ctx;
}

#define MS 1000000ull

static void test_backoff_growth_and_cap(void **state)
{
    struct backoff b;
    double u = 0.5; /* the middle: no jitter */
    const uint64_t want[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};

    (void)state;
    backoff_init(&b, 500 * MS, 30000 * MS, 2.0, 0.2, fixed_rand, &u);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(backoff_next(&b), want[i] * MS);
        assert_int_equal(b.failures, i + 1);
    }
    /* A huge n neither overflows nor exceeds the cap. */
    assert_int_equal(backoff_base(&b, UINT32_MAX), 30000 * MS);
    assert_int_equal(backoff_base(&b, 0), 500 * MS);
    assert_int_equal(backoff_base(&b, 1), 500 * MS);
}

static void test_backoff_jitter_bounds(void **state)
{
    struct backoff b;
    double u;

    (void)state;
    for (int n = 1; n <= 8; n++) {
        uint64_t base;

        u = 0.0; /* the lowest: base x (1 - jitter) */
        backoff_init(&b, 500 * MS, 30000 * MS, 2.0, 0.2, fixed_rand, &u);
        for (int i = 1; i < n; i++)
            backoff_next(&b);
        base = backoff_base(&b, (uint32_t)n);
        assert_int_equal(backoff_next(&b), (uint64_t)(base * 0.8 + 0.5));

        u = 0.999999; /* nearly the highest: just under base x (1 + jitter) */
        backoff_init(&b, 500 * MS, 30000 * MS, 2.0, 0.2, fixed_rand, &u);
        for (int i = 1; i < n; i++)
            backoff_next(&b);
        uint64_t d = backoff_next(&b);
        assert_true(d <= (uint64_t)(base * 1.2));
        assert_true(d >= (uint64_t)(base * 1.19));
    }
    /* Out-of-range random values are clamped into [0, 1). */
    u = 7.0;
    backoff_init(&b, 1000 * MS, 1000 * MS, 2.0, 0.5, fixed_rand, &u);
    assert_true(backoff_next(&b) <= 1500 * MS);
    u = -3.0;
    assert_int_equal(backoff_next(&b), 500 * MS);
}

static void test_backoff_sequence_within_jitter(void **state)
{
    struct backoff b;
    double u = 0.0;
    /* A fixed sequence of random values: each delay stays within ±20 % of its
     * base, and successive bases grow by the multiplier until the cap. */
    const double us[] = {0.1, 0.9, 0.5, 0.0, 0.3, 0.7, 0.99, 0.2};

    (void)state;
    backoff_init(&b, 100 * MS, 5000 * MS, 3.0, 0.2, fixed_rand, &u);
    uint64_t base = 100 * MS;
    for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
        u = us[i];
        uint64_t d = backoff_next(&b);
        assert_true(d >= (uint64_t)(base * 0.8) && d <= (uint64_t)(base * 1.2 + 1));
        base = base * 3 > 5000 * MS ? 5000 * MS : base * 3;
    }
}

static void test_backoff_reset(void **state)
{
    struct backoff b;
    double u = 0.5;

    (void)state;
    backoff_init(&b, 200 * MS, 10000 * MS, 2.0, 0.1, fixed_rand, &u);
    assert_int_equal(backoff_next(&b), 200 * MS);
    assert_int_equal(backoff_next(&b), 400 * MS);
    assert_int_equal(backoff_next(&b), 800 * MS);
    backoff_reset(&b);
    assert_int_equal(b.failures, 0);
    assert_int_equal(backoff_next(&b), 200 * MS);
    assert_int_equal(backoff_next(&b), 400 * MS);
}

static void test_backoff_no_jitter_multiplier_one(void **state)
{
    struct backoff b;

    (void)state;
    backoff_init(&b, 300 * MS, 300 * MS, 1.0, 0.0, NULL, NULL); /* random() is used, and does not matter */
    for (int i = 0; i < 5; i++)
        assert_int_equal(backoff_next(&b), 300 * MS);
}

/* ---- control requests ----------------------------------------------------- */

static int lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "front-door") == 0)
        return 0;
    if (strcmp(name, "yard") == 0)
        return 1;
    return -1;
}

/* Parses the strings given as parts (NULL ends them). Returns control_parse's result. */
static int parse(struct control_request *req, char *err, const char *first, ...)
{
    struct control_part parts[CONTROL_PARTS_MAX];
    size_t count = 0, total = 0;
    va_list ap;

    va_start(ap, first);
    for (const char *p = first; p; p = va_arg(ap, const char *)) {
        if (count < CONTROL_PARTS_MAX)
            parts[count] = (struct control_part){p, strlen(p)};
        count++;
        total += strlen(p);
    }
    va_end(ap);
    return control_parse(parts, count, total, lookup, NULL, req, err, CONTROL_ERR_MAX);
}

static void test_control_valid(void **state)
{
    struct control_request req;
    char err[CONTROL_ERR_MAX];

    (void)state;
    assert_int_equal(parse(&req, err, "ping", NULL), 0);
    assert_int_equal(req.verb, CONTROL_PING);
    assert_int_equal(req.camera, -1);
    assert_int_equal(parse(&req, err, "status", NULL), 0);
    assert_int_equal(req.verb, CONTROL_STATUS);
    assert_int_equal(req.camera, -1);
    assert_int_equal(parse(&req, err, "status", "yard", NULL), 0);
    assert_int_equal(req.camera, 1);
    assert_string_equal(req.camera_name, "yard");
    assert_int_equal(parse(&req, err, "restart", "front-door", NULL), 0);
    assert_int_equal(req.verb, CONTROL_RESTART);
    assert_int_equal(req.camera, 0);
    assert_int_equal(parse(&req, err, "pause", "yard", NULL), 0);
    assert_int_equal(req.verb, CONTROL_PAUSE);
    assert_int_equal(parse(&req, err, "resume", "yard", NULL), 0);
    assert_int_equal(req.verb, CONTROL_RESUME);
    assert_int_equal(parse(&req, err, "metrics", NULL), 0);
    assert_int_equal(req.verb, CONTROL_METRICS);
    assert_int_equal(parse(&req, err, "reload", NULL), 0);
    assert_int_equal(req.verb, CONTROL_RELOAD);
}

static void expect_error(int rc, const char *err, const char *words)
{
    assert_int_equal(rc, -EINVAL);
    if (!strstr(err, words))
        fail_msg("error '%s' does not say '%s'", err, words);
}

static void test_control_malformed(void **state)
{
    struct control_request req;
    char err[CONTROL_ERR_MAX];
    struct control_part parts[1] = {{"", 0}};

    (void)state;
    /* No parts at all. */
    expect_error(control_parse(parts, 0, 0, lookup, NULL, &req, err, sizeof(err)), err, "empty request");
    /* An empty verb part. */
    expect_error(parse(&req, err, "", NULL), err, "empty verb");
    /* Unknown verbs, case included. */
    expect_error(parse(&req, err, "explode", NULL), err, "unknown verb 'explode'");
    expect_error(parse(&req, err, "PING", NULL), err, "unknown verb");
    expect_error(parse(&req, err, "ping ", NULL), err, "unknown verb");
    /* A long unknown verb is quoted only in part. */
    char longverb[300];
    memset(longverb, 'v', sizeof(longverb) - 1);
    longverb[sizeof(longverb) - 1] = '\0';
    expect_error(parse(&req, err, longverb, NULL), err, "...");
    assert_true(strlen(err) < 80);
    /* Missing, unknown, invalid and empty cameras. */
    expect_error(parse(&req, err, "restart", NULL), err, "needs a camera");
    expect_error(parse(&req, err, "pause", NULL), err, "needs a camera");
    expect_error(parse(&req, err, "resume", "nowhere", NULL), err, "unknown camera 'nowhere'");
    expect_error(parse(&req, err, "status", "nowhere", NULL), err, "unknown camera");
    expect_error(parse(&req, err, "restart", "", NULL), err, "empty camera");
    expect_error(parse(&req, err, "restart", "../etc", NULL), err, "invalid camera name");
    expect_error(parse(&req, err, "restart", "a b", NULL), err, "invalid camera name");
    char longname[100];
    memset(longname, 'c', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    expect_error(parse(&req, err, "restart", longname, NULL), err, "invalid camera name");
    /* Extra arguments. */
    expect_error(parse(&req, err, "ping", "x", NULL), err, "takes no argument");
    expect_error(parse(&req, err, "metrics", "yard", NULL), err, "takes no argument");
    expect_error(parse(&req, err, "reload", "now", NULL), err, "takes no argument");
    expect_error(parse(&req, err, "restart", "yard", "front-door", NULL), err, "takes one camera");
    expect_error(parse(&req, err, "status", "yard", "x", NULL), err, "takes one camera");
    /* Too many parts. */
    expect_error(parse(&req, err, "ping", "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL), err, "too many parts");
}

static void test_control_binary_and_size(void **state)
{
    struct control_request req;
    char err[CONTROL_ERR_MAX];
    struct control_part parts[2];
    static const unsigned char garbage[] = {0xff, 0xfe, 0x00, 0x13, 0x80, 'p'};
    static const unsigned char nul_verb[] = {'p', 'i', 'n', 'g', 0};
    static const unsigned char ctl_verb[] = {'p', 'i', 'n', 'g', '\n'};
    static const unsigned char bad_cam[] = {'y', 'a', 'r', 0xc3};

    (void)state;
    parts[0] = (struct control_part){garbage, sizeof(garbage)};
    expect_error(control_parse(parts, 1, sizeof(garbage), lookup, NULL, &req, err, sizeof(err)), err, "not text");
    parts[0] = (struct control_part){nul_verb, sizeof(nul_verb)};
    expect_error(control_parse(parts, 1, sizeof(nul_verb), lookup, NULL, &req, err, sizeof(err)), err, "not text");
    parts[0] = (struct control_part){ctl_verb, sizeof(ctl_verb)};
    expect_error(control_parse(parts, 1, sizeof(ctl_verb), lookup, NULL, &req, err, sizeof(err)), err, "not text");
    parts[0] = (struct control_part){"pause", 5};
    parts[1] = (struct control_part){bad_cam, sizeof(bad_cam)};
    expect_error(control_parse(parts, 2, 5 + sizeof(bad_cam), lookup, NULL, &req, err, sizeof(err)), err,
                 "invalid camera name");
    /* Over IPC_CONTROL_MAX in all is refused before anything else is looked at. */
    parts[0] = (struct control_part){"ping", 4};
    expect_error(control_parse(parts, 1, IPC_CONTROL_MAX + 1, lookup, NULL, &req, err, sizeof(err)), err,
                 "too large");
    assert_int_equal(control_parse(parts, 1, IPC_CONTROL_MAX, lookup, NULL, &req, err, sizeof(err)), 0);
    /* The error sentence always fits a small buffer, NUL-terminated. */
    char small[8];
    assert_int_equal(parse(&req, err, "x", NULL), -EINVAL);
    parts[0] = (struct control_part){"nothing-like-a-verb", 19};
    assert_int_equal(control_parse(parts, 1, 19, lookup, NULL, &req, small, sizeof(small)), -EINVAL);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

/* ---- status, events, metrics ---------------------------------------------- */

/* A cheap structural check: braces and brackets balance outside strings, and
 * no raw control character appears. */
static void assert_json_balanced(const char *s)
{
    int depth = 0;
    int in_str = 0;

    for (const char *p = s; *p; p++) {
        assert_true((unsigned char)*p >= 0x20);
        if (in_str) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                in_str = 0;
            continue;
        }
        if (*p == '"')
            in_str = 1;
        else if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']')
            assert_true(--depth >= 0);
    }
    assert_int_equal(depth, 0);
    assert_false(in_str);
}

static struct status_camera sample_camera(const char *name)
{
    struct status_camera c = {
        .name = name,
        .state = CAMERA_RUNNING,
        .reason = CAMERA_REASON_SIGNAL,
        .pid = 1234,
        .ffmpeg_pid = 1240,
        .fps = 14.5,
        .frames = 1000,
        .head_seq = 1000,
        .work = {.dropped_decimated = 3, .dropped_notify = 2, .dropped_partial = 1},
        .restarts = 4,
        .backoff_ms = 1000,
        .memory_bytes = 5 << 20,
        .last_frame_age_ms = 33,
        .priority = 50,
        .decimation = 1,
        .error = "Connection \"refused\"\n",
    };
    c.restarts_by_reason[CAMERA_REASON_SIGNAL] = 3;
    c.restarts_by_reason[CAMERA_REASON_OPERATOR] = 1;
    return c;
}

static void test_status_json(void **state)
{
    struct status_camera cams[2] = {sample_camera("front-door"), sample_camera("yard")};
    struct status_instance inst = {"demo", 42, 99, 1 << 20, 4 << 20, NULL, 0};
    char buf[8192];
    int n;
    static const char *const keys[] = {
        "\"name\":\"front-door\"", "\"state\":\"running\"", "\"reason\":\"signal\"", "\"pid\":1234",
        "\"ffmpeg_pid\":1240", "\"fps\":14.5", "\"frames\":1000", "\"dropped\":6",
        "\"restarts\":4", "\"backoff_ms\":1000",
        "\"memory_bytes\":5242880", "\"last_frame_age_ms\":33", "\"priority\":50", "\"decimation\":1",
        "\"head_seq\":1000", "\"error\":\"Connection \\\"refused\\\"\\n\"",
        "\"drops\":{\"decimated\":3,\"notify\":2,\"partial\":1,\"relay\":0,\"data_rate\":0,\"data_hold\":0,\"data_queue\":0,\"data_overwritten\":0}", "\"compressed_frames\":0", "\"data_held\":false",
        "\"paused_by\":\"\"", "\"memory_limit_bytes\":0", "\"growth_bytes_per_s\":0", "\"growth\":\"none\"",
    };

    (void)state;
    cams[1].state = CAMERA_BACKOFF;
    cams[1].pid = 0;
    cams[1].last_frame_age_ms = -1;
    n = status_json(buf, sizeof(buf), &inst, cams, 2);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    assert_json_balanced(buf);
    assert_non_null(strstr(buf, "{\"instance\":\"demo\",\"generation\":42,\"pid\":99,\"pressure\":{\"level\":\"none\","
                                "\"previous\":\"none\",\"ratio\":0.25,\"used_bytes\":1048576,\"limit_bytes\":4194304,"));
    assert_non_null(strstr(buf, "\"actions\":[],\"host\":{\"psi_some_avg10\":null,\"psi_full_avg10\":null,"
                                "\"mem_available_bytes\":null,\"mem_total_bytes\":null},"
                                "\"shed\":{\"decimated\":[],\"held\":[],\"paused\":[]}},\"relay_dropped\":0,"
                                "\"cameras\":[{"));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strstr(buf, keys[i]))
            fail_msg("status lacks %s: %s", keys[i], buf);
    assert_non_null(strstr(buf, "\"name\":\"yard\",\"state\":\"backoff\""));
    assert_non_null(strstr(buf, "\"last_frame_age_ms\":-1"));

    /* One camera, and none. */
    n = status_json(buf, sizeof(buf), &inst, cams, 1);
    assert_true(n > 0);
    assert_null(strstr(buf, "yard"));
    n = status_json(buf, sizeof(buf), &inst, cams, 0);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "\"cameras\":[]}"));
    /* Too small a buffer is reported, not truncated silently. */
    assert_int_equal(status_json(buf, 100, &inst, cams, 2), -ENOBUFS);
}

/* The pressure object, alone (a pressure/ message) and in the status. */
static void test_pressure_json(void **state)
{
    struct pressure_camera pc[3] = {
        {.name = "low", .priority = 10, .shed = {.decimated = true, .held = true, .paused = true}},
        {.name = "mid", .priority = 60, .shed = {.decimated = true}},
        {.name = "top", .priority = 90},
    };
    struct pressure_action acts[2] = {
        {PRESSURE_ACT_DECIMATE, 1, 2},
        {PRESSURE_ACT_PAUSE, 0, 0},
    };
    struct pressure_usage u;
    struct hostmem h = {true, 1.5, 0.25, true, 8ull << 30, 2ull << 30};
    struct status_pressure sp = {PRESSURE_CRITICAL, PRESSURE_HIGH, &u, &h, acts, 2, pc, 3, 2};
    struct status_camera cams[1] = {sample_camera("low")};
    struct status_instance inst = {"demo", 42, 99, 0, 100 << 20, &sp, 5};
    uint64_t bytes[3] = {30 << 20, 20 << 20, 10 << 20};
    char buf[8192];
    int n;

    (void)state;
    pressure_account(&u, 30 << 20, 9 << 20, bytes, 3, 1 << 20, 100 << 20);
    inst.used_bytes = u.used_bytes;
    n = status_pressure_json(buf, sizeof(buf), &sp);
    assert_true(n > 0);
    assert_json_balanced(buf);
    assert_string_equal(buf,
        "{\"level\":\"critical\",\"previous\":\"high\",\"ratio\":1,\"used_bytes\":104857600,"
        "\"limit_bytes\":104857600,\"arena_bytes\":31457280,\"self_bytes\":9437184,\"cameras_bytes\":62914560,"
        "\"queue_bytes\":1048576,\"subscribers\":2,"
        "\"actions\":[{\"action\":\"decimate\",\"camera\":\"mid\",\"decimation\":2},"
        "{\"action\":\"pause\",\"camera\":\"low\",\"reason\":\"pressure\"}],"
        "\"host\":{\"psi_some_avg10\":1.5,\"psi_full_avg10\":0.25,\"mem_available_bytes\":2147483648,"
        "\"mem_total_bytes\":8589934592},"
        "\"shed\":{\"decimated\":[\"low\",\"mid\"],\"held\":[\"low\"],\"paused\":[\"low\"]}}");
    assert_int_equal(status_pressure_json(buf, 64, &sp), -ENOBUFS);

    cams[0].state = CAMERA_PAUSED;
    cams[0].paused_by = "pressure";
    cams[0].data_held = true;
    cams[0].decimation = 2;
    cams[0].drops_relay = 7;
    n = status_json(buf, sizeof(buf), &inst, cams, 1);
    assert_true(n > 0);
    assert_json_balanced(buf);
    assert_non_null(strstr(buf, "\"pressure\":{\"level\":\"critical\",\"previous\":\"high\""));
    assert_non_null(strstr(buf, "\"relay_dropped\":5"));
    assert_non_null(strstr(buf, "\"paused_by\":\"pressure\""));
    assert_non_null(strstr(buf, "\"data_held\":true"));
    assert_non_null(strstr(buf, "\"decimation\":2"));
    assert_non_null(strstr(buf, "\"dropped\":13"));
}

static void test_pressure_metrics(void **state)
{
    struct pressure_camera pc[1] = {{.name = "low", .priority = 10}};
    struct pressure_usage u;
    struct hostmem h = {true, 1.5, 0.25, true, 8ull << 30, 2ull << 30};
    struct status_pressure sp = {PRESSURE_HIGH, PRESSURE_MODERATE, &u, &h, NULL, 0, pc, 1, 0};
    struct status_camera cams[1] = {sample_camera("low")};
    struct status_instance inst = {"demo", 42, 99, 0, 100 << 20, &sp, 0};
    static char buf[16384];

    (void)state;
    pressure_account(&u, 96 << 20, 0, NULL, 0, 0, 100 << 20);
    cams[0].drops_relay = 4;
    cams[0].restarts_by_reason[CAMERA_REASON_LEAK] = 2;
    assert_true(status_metrics(buf, sizeof(buf), &inst, cams, 1) > 0);
    assert_non_null(strstr(buf, "camarena_pressure_level 3\n"));
    assert_non_null(strstr(buf, "camarena_pressure_ratio 0.960000\n"));
    assert_non_null(strstr(buf, "camarena_host_memory_available_bytes 2147483648\n"));
    assert_non_null(strstr(buf, "camarena_host_memory_pressure_full_avg10 0.25\n"));
    assert_non_null(strstr(buf, "camarena_frames_dropped_total{camera=\"low\",reason=\"relay\"} 4\n"));
    assert_non_null(strstr(buf, "camarena_frames_dropped_total{camera=\"low\",reason=\"decimated\"} 3\n"));
    assert_non_null(strstr(buf, "camarena_restarts_total{camera=\"low\",reason=\"leak\"} 2\n"));
    assert_non_null(strstr(buf, "camarena_restarts_total{camera=\"low\",reason=\"memory\"} 0\n"));
    assert_non_null(strstr(buf, "camarena_restarts_total{camera=\"low\",reason=\"pressure\"} 0\n"));
}

static void test_event_json(void **state)
{
    struct status_event ev = {
        .camera = "front-door",
        .state = "exit",
        .reason = CAMERA_REASON_EXIT,
        .restarts = 2,
        .backoff_ms = 500,
        .error = "rtsp://x: Connection refused",
        .exit_status = 7,
        .signal = 0,
        .worker_status = 3,
        .pid = 321,
        .head_seq = 90,
    };
    char buf[1024];

    (void)state;
    assert_true(status_event_json(buf, sizeof(buf), &ev) > 0);
    assert_json_balanced(buf);
    assert_string_equal(buf, "{\"camera\":\"front-door\",\"state\":\"exit\",\"reason\":\"exit\",\"restarts\":2,"
                             "\"backoff_ms\":500,\"error\":\"rtsp://x: Connection refused\",\"exit_status\":7,"
                             "\"signal\":0,\"worker_status\":3,\"pid\":321,\"head_seq\":90}");
    ev.error = NULL;
    ev.reason = CAMERA_REASON_NONE;
    ev.state = "running";
    ev.exit_status = -1;
    assert_true(status_event_json(buf, sizeof(buf), &ev) > 0);
    assert_non_null(strstr(buf, "\"reason\":\"\""));
    assert_non_null(strstr(buf, "\"error\":\"\""));
    assert_non_null(strstr(buf, "\"exit_status\":-1"));
}

static void test_metrics_text(void **state)
{
    struct status_camera cams[2] = {sample_camera("front-door"), sample_camera("yard")};
    struct status_instance inst = {"demo", 42, 99, 1 << 20, 4 << 20, NULL, 0};
    char buf[16384];
    static const char *const names[] = {
        "camarena_frames_total", "camarena_frames_dropped_total", "camarena_restarts_total",
        "camarena_camera_state", "camarena_camera_fps", "camarena_frame_age_seconds",
        "camarena_memory_bytes", "camarena_backoff_seconds", "camarena_memory_used_bytes",
        "camarena_memory_limit_bytes", "camarena_pressure_level", "camarena_pressure_ratio",
        "camarena_memory_queue_bytes", "camarena_camera_decimation", "camarena_relay_dropped_total",
        "camarena_publish_bytes_total",
    };

    (void)state;
    cams[1].last_frame_age_ms = -1;
    cams[1].work.data_frames = 10;
    cams[1].work.data_bytes = 5000;
    cams[1].work.dropped_data_queue = 7;
    assert_true(status_metrics(buf, sizeof(buf), &inst, cams, 2) > 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char help[128], type[128];

        snprintf(help, sizeof(help), "# HELP %s ", names[i]);
        snprintf(type, sizeof(type), "# TYPE %s ", names[i]);
        if (!strstr(buf, help) || !strstr(buf, type))
            fail_msg("metrics lack HELP/TYPE of %s", names[i]);
    }
    assert_non_null(strstr(buf, "camarena_frames_total{camera=\"front-door\"} 1000\n"));
    assert_non_null(strstr(buf, "camarena_frames_dropped_total{camera=\"yard\",reason=\"notify\"} 2\n"));
    assert_non_null(strstr(buf, "camarena_restarts_total{camera=\"front-door\",reason=\"signal\"} 3\n"));
    assert_non_null(strstr(buf, "camarena_restarts_total{camera=\"front-door\",reason=\"operator\"} 1\n"));
    assert_non_null(strstr(buf, "camarena_camera_state{camera=\"yard\"} 2\n"));
    assert_non_null(strstr(buf, "camarena_camera_fps{camera=\"yard\"} 14.500\n"));
    assert_non_null(strstr(buf, "camarena_frame_age_seconds{camera=\"front-door\"} 0.033\n"));
    assert_non_null(strstr(buf, "camarena_frame_age_seconds{camera=\"yard\"} NaN\n"));
    assert_non_null(strstr(buf, "camarena_backoff_seconds{camera=\"yard\"} 1.000\n"));
    assert_non_null(strstr(buf, "camarena_memory_used_bytes 1048576\n"));
    assert_non_null(strstr(buf, "camarena_frames_dropped_total{camera=\"yard\",reason=\"relay\"} 0\n"));
    assert_non_null(strstr(buf, "camarena_pressure_level 0\n"));
    /* Payload, and per message the topic data/yard/ and the 64-byte header. */
    assert_non_null(strstr(buf, "camarena_publish_bytes_total{camera=\"yard\"} 5740\n"));
    assert_non_null(strstr(buf, "camarena_publish_bytes_total{camera=\"front-door\"} 0\n"));
    assert_non_null(strstr(buf, "camarena_frames_dropped_total{camera=\"yard\",reason=\"data_queue\"} 7\n"));
    assert_int_equal(buf[strlen(buf) - 1], '\n');
    assert_int_equal(status_metrics(buf, 200, &inst, cams, 2), -ENOBUFS);
}

/* ---- /proc and the worker's argv ------------------------------------------ */

static void test_procmem_parse(void **state)
{
    const char *rollup = "55d0c0a00000-7ffd6b7fe000 ---p 00000000 00:00 0 [rollup]\n"
                         "Rss:               11264 kB\n"
                         "Pss:                5390 kB\n"
                         "Pss_Dirty:          2000 kB\n"
                         "Pss_Anon:           1836 kB\n"
                         "Pss_File:           3554 kB\n"
                         "Pss_Shmem:         90000 kB\n";
    const char *status = "Name:\tffmpeg\nVmRSS:\t   96000 kB\nRssAnon:\t    1836 kB\n"
                         "RssFile:\t    4000 kB\nRssShmem:\t   90000 kB\n";

    (void)state;
    assert_int_equal(procmem_field(rollup, "Pss_File"), 3554 * 1024ull);
    assert_int_equal(procmem_field(rollup, "Pss"), 5390 * 1024ull);
    assert_int_equal(procmem_field(status, "RssAnon"), 1836 * 1024ull);
    assert_int_equal(procmem_field(status, "RssFil"), 0);
    assert_int_equal(procmem_field("", "RssAnon"), 0);
}

/* A child that touches 16 MiB more anonymous memory when told to on *go,
 * answers on *done once it has, and exits when *go closes. */
static pid_t grower_start(int *go, int *done)
{
    int in[2], out[2];
    pid_t pid;

    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(in[1]);
        close(out[0]);
        if (read(in[0], &c, 1) == 1) {
            /* volatile: a fill that is never read would be optimised away. */
            volatile char *p = malloc(16 << 20);
            if (!p)
                _exit(1);
            for (size_t i = 0; i < (16u << 20); i += 4096)
                p[i] = 1;
            if (write(out[1], "d", 1) != 1)
                _exit(1);
            while (read(in[0], &c, 1) > 0)
                ;
            free((void *)p);
        }
        _exit(0);
    }
    close(in[0]);
    close(out[1]);
    *go = in[1];
    *done = out[0];
    return pid;
}

static void test_procmem_sample(void **state)
{
    struct procmem pm;
    int go, done, status;
    char c;
    pid_t pid;

    (void)state;
    /* camarenad's own memory: anonymous and its libraries, read at once. */
    memset(&pm, 0, sizeof(pm));
    assert_int_equal(procmem_sample(&pm, getpid()), 0);
    assert_int_equal(pm.pid, getpid());
    assert_true(pm.anon_bytes > 0);
    assert_true(pm.file_bytes > 0);
    assert_int_equal(procmem_bytes(&pm), pm.anon_bytes + pm.file_bytes);
    /* smaps_rollup again only every PROCMEM_FILE_EVERY samples. */
    assert_int_equal(pm.until_file, PROCMEM_FILE_EVERY - 1);
    for (unsigned k = 1; k < PROCMEM_FILE_EVERY; k++)
        assert_int_equal(procmem_sample(&pm, getpid()), 0);
    assert_int_equal(pm.until_file, 0);
    assert_int_equal(procmem_sample(&pm, getpid()), 0);
    assert_int_equal(pm.until_file, PROCMEM_FILE_EVERY - 1);

    /* Another process starts over; its growth shows in anon_bytes at once. */
    pid = grower_start(&go, &done);
    assert_int_equal(procmem_sample(&pm, pid), 0);
    assert_int_equal(pm.pid, pid);
    uint64_t before = pm.anon_bytes;
    assert_int_equal(write(go, "g", 1), 1);
    assert_int_equal(read(done, &c, 1), 1);
    assert_int_equal(procmem_sample(&pm, pid), 0);
    assert_true(pm.anon_bytes >= before + (16u << 20));
    close(go);
    close(done);
    assert_int_equal(waitpid(pid, &status, 0), pid);

    /* A process that is gone: an error, and pm is left as it was. */
    struct procmem kept = pm;
    assert_true(procmem_sample(&pm, pid) < 0);
    assert_memory_equal(&kept, &pm, sizeof(pm));
}

static void test_worker_argv(void **state)
{
    static char opt0[] = "-rtsp_transport", opt1[] = "tcp";
    static char *opts[] = {opt0, opt1, NULL};
    static char url[] = "lavfi:testsrc=size=64x48";
    static struct conf conf;
    struct conf_camera cam;
    struct spawn_argv a;
    static const char *const want[] = {
        "/x/camarena-worker", "--instance", "demo", "--camera", "yard", "--index", "3", "--runtime-dir", "/run/c",
        "--ffmpeg", "ffmpeg", "--url", "testsrc=size=64x48", "--lavfi", "--fps", "12.5", "--decimation", "2",
        "--status-fd", "3", "--report-ms", "250", "--log-level", "warn", "--data", "on", "--data-rate", "2000000",
        "--", "-rtsp_transport", "tcp", NULL,
    };

    (void)state;
    memset(&conf, 0, sizeof(conf));
    memset(&cam, 0, sizeof(cam));
    snprintf(conf.name, sizeof(conf.name), "demo");
    snprintf(conf.runtime_dir, sizeof(conf.runtime_dir), "/run/c");
    snprintf(conf.ffmpeg, sizeof(conf.ffmpeg), "ffmpeg");
    conf.log_level = CONF_LOG_WARN;
    snprintf(cam.name, sizeof(cam.name), "yard");
    cam.url = url;
    cam.lavfi = true;
    cam.input = url + 6;
    cam.fps = 12.5;
    cam.data = true;
    cam.data_rate_limit = 2000000;
    cam.input_options = opts;
    cam.input_option_count = 2;
    assert_int_equal(spawn_argv_build(&a, "/x/camarena-worker", &conf, &cam, 3, 2, 250), 0);
    for (size_t i = 0; want[i]; i++) {
        assert_non_null(a.argv[i]);
        assert_string_equal(a.argv[i], want[i]);
    }
    assert_null(a.argv[sizeof(want) / sizeof(want[0]) - 1]);
    spawn_argv_close(&a);

    /* No lavfi, no options: neither "--lavfi" nor "--". */
    cam.lavfi = false;
    cam.input = url;
    cam.input_option_count = 0;
    cam.data = false;
    assert_int_equal(spawn_argv_build(&a, "/x/camarena-worker", &conf, &cam, 0, 1, 100), 0);
    for (size_t i = 0; a.argv[i]; i++) {
        assert_string_not_equal(a.argv[i], "--lavfi");
        assert_string_not_equal(a.argv[i], "--");
        if (strcmp(a.argv[i], "--data") == 0)
            assert_string_equal(a.argv[i + 1], "off");
    }
    spawn_argv_close(&a);
}


/* ---- reload ------------------------------------------------------------ */

#define RELOAD_SUP "[supervisor]\nname = rl\nruntime_dir = /tmp/camarena-test-reload\n"

/* Writes text to a temporary file and loads it into *conf (asserted). */
static void load_text(struct conf *conf, const char *text)
{
    char path[] = "/tmp/camarena-test-reload-XXXXXX";
    struct conf_errors *errs = malloc(sizeof(*errs));
    int fd = mkstemp(path);

    assert_non_null(errs);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    if (conf_load(conf, path, errs) != 0)
        fail_msg("conf_load: %s\n%s", path, errs->text);
    unlink(path);
    free(errs);
}


/* Writes into out the lines of base ('\n'-separated "key = value" lines),
 * with the one whose key is over's replaced by over, or over appended. */
static void with_line(char *out, size_t outlen, const char *base, const char *over)
{
    size_t klen = strcspn(over, " =");
    const char *p = base;
    bool replaced = false;

    out[0] = '\0';
    while (*p) {
        size_t len = strcspn(p, "\n");

        if (klen > 0 && strncmp(p, over, klen) == 0 && (p[klen] == ' ' || p[klen] == '=')) {
            strncat(out, over, outlen - strlen(out) - 1);
            replaced = true;
        } else {
            strncat(out, p, len < outlen - strlen(out) - 1 ? len : outlen - strlen(out) - 1);
            strncat(out, "\n", outlen - strlen(out) - 1);
        }
        p += len + (p[len] == '\n');
    }
    if (!replaced)
        strncat(out, over, outlen - strlen(out) - 1);
}

static void test_reload_supervisor_keys(void **state)
{
    static const char *const fixed[][2] = {
        {"name = other\n", "name"},
        {"runtime_dir = /tmp/camarena-test-reload2\n", "runtime_dir"},
        {"publish = tcp://127.0.0.1:7299\n", "publish"},
        {"arena_size = 64M\n", "arena_size"},
        {"max_cameras = 8\n", "max_cameras"},
        {"arena_mode = 0600\n", "arena_mode"},
        {"allow_insecure_tcp = yes\n", "allow_insecure_tcp"},
    };
    static const char *const free_keys[] = {
        "ffmpeg = /usr/bin/ffmpeg\n", "global_limit = 2G\n", "soft_limit = 0.7\n", "monitor_interval = 2s\n",
        "backoff_max = 10s\n", "stall_timeout = 3s\n", "growth_warning = 1M/h\n", "log_level = debug\n",
        "metrics_file = /tmp/camarena-test-metrics\n", "backoff_jitter = 0\n",
    };
    struct conf *old = calloc(1, sizeof(*old)), *new = calloc(1, sizeof(*new));
    char text[512], err[256];
    (void)state;

    assert_non_null(old);
    assert_non_null(new);
    static const char sup[] = RELOAD_SUP "publish = tcp://127.0.0.1:7298\n";
    static const char cam[] = "[camera a]\nurl = x\nwidth = 64\nheight = 48\n";
    char lines[256];

    snprintf(text, sizeof(text), "%s%s", sup, cam);
    load_text(old, text);
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        with_line(lines, sizeof(lines), sup, fixed[i][0]);
        snprintf(text, sizeof(text), "%s%s", lines, cam);
        load_text(new, text);
        err[0] = '\0';
        assert_int_equal(reload_supervisor_check(old, new, err, sizeof(err)), -EINVAL);
        char want[128];
        snprintf(want, sizeof(want), "%s cannot change on reload: restart camarenad", fixed[i][1]);
        assert_string_equal(err, want);
        conf_close(new);
    }
    for (size_t i = 0; i < sizeof(free_keys) / sizeof(free_keys[0]); i++) {
        with_line(lines, sizeof(lines), sup, free_keys[i]);
        snprintf(text, sizeof(text), "%s%s", lines, cam);
        load_text(new, text);
        if (reload_supervisor_check(old, new, err, sizeof(err)) != 0)
            fail_msg("%s refused: %s", free_keys[i], err);
        conf_close(new);
    }
    conf_close(old);
    free(old);
    free(new);
}

static void test_reload_camera_compare(void **state)
{
    static const struct {
        const char *line;
        enum reload_kind kind;
    } cases[] = {
        {"", RELOAD_UNCHANGED},
        {"priority = 90\n", RELOAD_TUNED},
        {"memory_limit = 100M\n", RELOAD_TUNED},
        {"max_age = 3s\n", RELOAD_TUNED},
        {"enabled = yes\n", RELOAD_UNCHANGED},
        {"url = y\n", RELOAD_RESTARTED},
        {"input_options = -rtsp_transport tcp\n", RELOAD_RESTARTED},
        {"fps = 5\n", RELOAD_RESTARTED},
        {"data = off\n", RELOAD_RESTARTED},
        {"data_rate_limit = 1M\n", RELOAD_RESTARTED},
        {"width = 32\n", RELOAD_REPLACED},
        {"height = 32\n", RELOAD_REPLACED},
        {"pix_fmt = gray\n", RELOAD_REPLACED},
        {"slots = 4\n", RELOAD_REPLACED},
        {"slots = 4\nurl = y\npriority = 1\n", RELOAD_REPLACED},
        {"url = y\npriority = 1\n", RELOAD_RESTARTED},
    };
    static const char cam[] = "url = x\nwidth = 64\nheight = 48\ninput_options = -v 0\n";
    struct conf *old = calloc(1, sizeof(*old)), *new = calloc(1, sizeof(*new));
    char text[512], lines[256];
    (void)state;

    load_text(old, RELOAD_SUP "\n\n[camera a]\nurl = x\nwidth = 64\nheight = 48\ninput_options = -v 0\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *l = cases[i].line;

        /* Up to three lines, each replacing its key. */
        snprintf(lines, sizeof(lines), "%s", cam);
        while (*l) {
            char one[64], tmp[256];
            size_t len = strcspn(l, "\n") + 1;

            snprintf(one, sizeof(one), "%.*s", (int)len, l);
            with_line(tmp, sizeof(tmp), lines, one);
            snprintf(lines, sizeof(lines), "%s", tmp);
            l += len;
        }
        /* The section moves up a line: where it is does not count. */
        snprintf(text, sizeof(text), RELOAD_SUP "\n[camera a]\n%s", lines);
        load_text(new, text);
        enum reload_kind k = reload_camera_compare(&old->cameras[0], &new->cameras[0]);
        if (k != cases[i].kind)
            fail_msg("'%s': %s, expected %s", cases[i].line, reload_kind_name(k), reload_kind_name(cases[i].kind));
        conf_close(new);
    }
    conf_close(old);
    free(old);
    free(new);
}

static void test_reload_diff(void **state)
{
    struct conf *old = calloc(1, sizeof(*old)), *new = calloc(1, sizeof(*new));
    struct reload_diff d;
    char buf[512];
    (void)state;

    load_text(old, RELOAD_SUP
              "[camera same]\nurl = x\nwidth = 64\nheight = 48\n"
              "[camera gone]\nurl = x\nwidth = 64\nheight = 48\n"
              "[camera moved]\nurl = x\nwidth = 64\nheight = 48\n"
              "[camera off-now]\nurl = x\nwidth = 64\nheight = 48\n"
              "[camera on-now]\nurl = x\nwidth = 64\nheight = 48\nenabled = no\n"
              "[camera tuned]\nurl = x\nwidth = 64\nheight = 48\n"
              "[camera bigger]\nurl = x\nwidth = 64\nheight = 48\n");
    load_text(new, RELOAD_SUP
              "[camera new]\nurl = x\nwidth = 64\nheight = 48\n"
              "[camera bigger]\nurl = x\nwidth = 640\nheight = 48\n"
              "[camera tuned]\nurl = x\nwidth = 64\nheight = 48\npriority = 7\n"
              "[camera on-now]\nurl = x\nwidth = 64\nheight = 48\n"
              "[camera off-now]\nurl = x\nwidth = 64\nheight = 48\nenabled = no\n"
              "[camera moved]\nurl = z\nwidth = 64\nheight = 48\n"
              "[camera same]\nurl = x\nwidth = 64\nheight = 48\n");
    assert_int_equal(reload_diff_build(&d, old, new), 0);
    static const struct {
        const char *name;
        enum reload_kind kind;
    } want[] = {
        {"gone", RELOAD_REMOVED}, {"off-now", RELOAD_REMOVED}, {"new", RELOAD_ADDED},
        {"bigger", RELOAD_REPLACED}, {"tuned", RELOAD_TUNED}, {"on-now", RELOAD_ADDED},
        {"moved", RELOAD_RESTARTED}, {"same", RELOAD_UNCHANGED},
    };
    assert_int_equal(d.count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < d.count; i++) {
        const struct reload_item *it = &d.items[i];
        const char *name = it->new ? it->new->name : it->old->name;

        assert_string_equal(name, want[i].name);
        if (it->kind != want[i].kind)
            fail_msg("%s: %s, expected %s", name, reload_kind_name(it->kind), reload_kind_name(want[i].kind));
        assert_true(it->kind == RELOAD_ADDED ? it->old == NULL : it->old != NULL);
        assert_true(it->kind == RELOAD_REMOVED ? it->new == NULL : it->new != NULL);
        if (it->old)
            assert_true(it->old >= old->cameras && it->old < old->cameras + old->camera_count);
        if (it->new)
            assert_true(it->new >= new->cameras && it->new < new->cameras + new->camera_count);
    }
    assert_int_equal(d.counts[RELOAD_REMOVED], 2);
    assert_int_equal(d.counts[RELOAD_ADDED], 2);
    assert_int_equal(d.counts[RELOAD_UNCHANGED], 1);
    int len = reload_json(buf, sizeof(buf), &d);
    assert_int_equal(len, (int)strlen(buf));
    assert_string_equal(buf, "{\"added\":[\"new\",\"on-now\"],\"removed\":[\"gone\",\"off-now\"],"
                             "\"changed\":[\"bigger\",\"tuned\",\"moved\"],\"unchanged\":[\"same\"]}");
    assert_int_equal(reload_json(buf, 20, &d), -ENOBUFS);
    reload_diff_close(&d);
    reload_diff_close(&d); /* twice is harmless */

    /* The same conf: nothing but unchanged cameras. */
    assert_int_equal(reload_diff_build(&d, old, old), 0);
    assert_int_equal(d.counts[RELOAD_UNCHANGED], 6);
    assert_int_equal(d.count, 6);
    reload_diff_close(&d);

    conf_close(old);
    conf_close(new);
    free(old);
    free(new);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test(test_state_numbers_and_names),
        cmocka_unit_test(test_life),
        cmocka_unit_test(test_backoff_growth_and_cap),
        cmocka_unit_test(test_backoff_jitter_bounds),
        cmocka_unit_test(test_backoff_sequence_within_jitter),
        cmocka_unit_test(test_backoff_reset),
        cmocka_unit_test(test_backoff_no_jitter_multiplier_one),
        cmocka_unit_test(test_control_valid),
        cmocka_unit_test(test_control_malformed),
        cmocka_unit_test(test_control_binary_and_size),
        cmocka_unit_test(test_status_json),
        cmocka_unit_test(test_pressure_json),
        cmocka_unit_test(test_pressure_metrics),
        cmocka_unit_test(test_event_json),
        cmocka_unit_test(test_metrics_text),
        cmocka_unit_test(test_procmem_parse),
        cmocka_unit_test(test_procmem_sample),
        cmocka_unit_test(test_worker_argv),
        cmocka_unit_test(test_reload_supervisor_keys),
        cmocka_unit_test(test_reload_camera_compare),
        cmocka_unit_test(test_reload_diff),
    };

    return cmocka_run_group_tests_name("supervisor", tests, NULL, NULL);
}
