/* test_conf.c - the conf module: units, shell words, every key, every rule,
 * error messages with their lines, and the shipped confs. Runs from the
 * repository root (tests/run cds there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/units.h"
#include "conf/words.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define MS 1000000ULL
#define SEC 1000000000ULL

/* ---- fixture: a temporary directory for conf files ------------------- */

static char tmpdir[64];
static int file_seq;

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_conf.XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
    char path[128];
    (void)state;
    for (int i = 0; i < file_seq; i++) {
        snprintf(path, sizeof path, "%s/%d.ini", tmpdir, i);
        unlink(path);
    }
    return rmdir(tmpdir);
}

/* Writes text to a new file of the temporary directory; returns its path
 * (static storage, valid until the next call). */
static const char *conf_write(const char *text)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof path, "%s/%d.ini", tmpdir, file_seq++);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static struct conf conf;
static struct conf_errors errs;

/* Loads text; on success the caller must conf_close. */
static int load_text(const char *text)
{
    return conf_load(&conf, conf_write(text), &errs);
}

/* Loads text that must succeed, printing the errors if it does not. */
static void load_ok(const char *text)
{
    int rc = load_text(text);
    if (rc != 0)
        print_error("unexpected errors:\n%s", errs.text);
    assert_int_equal(rc, 0);
    assert_int_equal(errs.count, 0);
}

/* Loads text that must fail with exactly one error, at line, beginning
 * (after "FILE:LINE: ") with head, like "[supervisor] name", and containing
 * want. */
static void load_one_error(const char *text, int line, const char *head, const char *want)
{
    char prefix[256];
    const char *path;
    int rc;

    path = conf_write(text);
    rc = conf_load(&conf, path, &errs);
    if (rc != -EINVAL || errs.count != 1)
        print_error("for:\n%s\ngot rc %d and %zu errors:\n%s", text, rc, errs.count, errs.text);
    assert_int_equal(rc, -EINVAL);
    assert_int_equal(errs.count, 1);
    snprintf(prefix, sizeof prefix, "%s:%d: %s", path, line, head);
    if (strncmp(errs.text, prefix, strlen(prefix)) != 0 || strstr(errs.text, want) == NULL)
        print_error("want prefix '%s' and '%s', got: %s", prefix, want, errs.text);
    assert_int_equal(strncmp(errs.text, prefix, strlen(prefix)), 0);
    assert_non_null(strstr(errs.text, want));
    assert_non_null(strstr(errs.text, "expected "));
    assert_int_equal(errs.text[strlen(errs.text) - 1], '\n');
    /* The failed load left nothing to free. */
    assert_null(conf.cameras);
    assert_null(conf.publish);
}

/* A camera good enough to load, for files that test something else. */
#define CAMERA "[camera cam]\nurl = rtsp://10.0.0.5/s\nwidth = 640\nheight = 480\n"

/* ---- units ----------------------------------------------------------- */

static void test_size(void **state)
{
    static const struct { const char *s; int rc; uint64_t v; } cases[] = {
        { "0", 0, 0 }, { "1", 0, 1 }, { "4096", 0, 4096 }, { "1K", 0, 1024 },
        { "400M", 0, 400 * MIB }, { "6G", 0, 6 * GIB }, { "1024K", 0, MIB },
        { "18446744073709551615", 0, UINT64_MAX }, { "17179869183G", 0, 17179869183ULL * GIB },
        { "18446744073709551616", -ERANGE, 0 }, { "17179869184G", -ERANGE, 0 },
        { "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "1k", -EINVAL, 0 }, { "1KB", -EINVAL, 0 },
        { "1.5G", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 }, { " 1", -EINVAL, 0 },
        { "1 ", -EINVAL, 0 }, { "1T", -EINVAL, 0 }, { "0x10", -EINVAL, 0 }, { "1M/h", -EINVAL, 0 },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint64_t v = 12345;
        int rc = conf_size_parse(cases[i].s, &v);
        if (rc != cases[i].rc)
            print_error("'%s': rc %d\n", cases[i].s, rc);
        assert_int_equal(rc, cases[i].rc);
        assert_true(v == (rc == 0 ? cases[i].v : 12345));
    }
}

static void test_duration(void **state)
{
    static const struct { const char *s; int rc; uint64_t ns; } cases[] = {
        { "0ms", 0, 0 }, { "1ms", 0, MS }, { "500ms", 0, 500 * MS }, { "1s", 0, SEC },
        { "1.5s", 0, 1500 * MS }, { "0.001s", 0, MS }, { "10m", 0, 600 * SEC },
        { "1h", 0, 3600 * SEC }, { "2.5h", 0, 9000 * SEC }, { ".5s", 0, 500 * MS },
        { "0.0000000001s", 0, 0 }, { "1.5ms", 0, 1500000 },
        { "5124095h", 0, 5124095ULL * 3600 * SEC }, { "5124096h", -ERANGE, 0 },
        { "5", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "s", -EINVAL, 0 }, { "1d", -EINVAL, 0 },
        { "1 s", -EINVAL, 0 }, { "1S", -EINVAL, 0 }, { "1sec", -EINVAL, 0 }, { "-1s", -EINVAL, 0 },
        { "1e3ms", -EINVAL, 0 }, { "1..5s", -EINVAL, 0 }, { "1h30m", -EINVAL, 0 }, { "1us", -EINVAL, 0 },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint64_t v = 7;
        int rc = conf_duration_parse(cases[i].s, &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].ns))
            print_error("'%s': rc %d v %llu\n", cases[i].s, rc, (unsigned long long)v);
        assert_int_equal(rc, cases[i].rc);
        assert_true(v == (rc == 0 ? cases[i].ns : 7));
    }
}

static void test_rate(void **state)
{
    static const struct { const char *s; int rc; double v; } cases[] = {
        { "10M/h", 0, 10.0 * MIB / 3600 }, { "50M/h", 0, 50.0 * MIB / 3600 },
        { "1K/s", 0, 1024 }, { "60/m", 0, 1 }, { "0/s", 0, 0 }, { "1G/m", 0, (double)GIB / 60 },
        { "10M", -EINVAL, 0 }, { "10M/", -EINVAL, 0 }, { "10M/d", -EINVAL, 0 }, { "/h", -EINVAL, 0 },
        { "10M/ms", -EINVAL, 0 }, { "1.5M/h", -EINVAL, 0 }, { "10M/h ", -EINVAL, 0 },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        double v = -1;
        int rc = conf_rate_parse(cases[i].s, &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(v == cases[i].v);
        else
            assert_true(v == -1);
    }
}

static void test_decimal(void **state)
{
    static const char *const good[] = { "0", "0.8", "0.80", "0.95", "0.98", "1", "2.0", ".5", "2.",
                                        "123.456", "0.000001", "10", "29.97", "007.5" };
    static const char *const bad[] = { "", ".", "-1", "+1", "1e3", "1,5", "0x1", "inf", "nan",
                                       "1.2.3", " 1", "1 ", "1/2" };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        double v = -1;
        assert_int_equal(conf_decimal_parse(good[i], &v), 0);
        /* The same double as strtod in the C locale. */
        assert_true(v == strtod(good[i], NULL));
    }
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        double v = -1;
        assert_int_equal(conf_decimal_parse(bad[i], &v), -EINVAL);
        assert_true(v == -1);
    }
    double v;
    assert_int_equal(conf_decimal_parse("1234567890123456", &v), -ERANGE);
    assert_int_equal(conf_decimal_parse("123456789012345", &v), 0);
    assert_true(v == 123456789012345.0);
}

static void test_uint_mode_bool(void **state)
{
    uint64_t u;
    unsigned m;
    bool b;
    (void)state;

    assert_int_equal(conf_uint_parse("0", 10, &u), 0);
    assert_int_equal(u, 0);
    assert_int_equal(conf_uint_parse("10", 10, &u), 0);
    assert_int_equal(u, 10);
    assert_int_equal(conf_uint_parse("11", 10, &u), -ERANGE);
    assert_int_equal(conf_uint_parse("99999999999999999999999", UINT64_MAX, &u), -ERANGE);
    assert_int_equal(conf_uint_parse("", 10, &u), -EINVAL);
    assert_int_equal(conf_uint_parse("-1", 10, &u), -EINVAL);
    assert_int_equal(conf_uint_parse("1.0", 10, &u), -EINVAL);
    assert_int_equal(conf_uint_parse("1x", 10, &u), -EINVAL);

    static const struct { const char *s; int rc; unsigned m; } modes[] = {
        { "0640", 0, 0640 }, { "640", 0, 0640 }, { "0600", 0, 0600 }, { "0777", 0, 0777 },
        { "0", 0, 0 }, { "0000", 0, 0 }, { "1777", -ERANGE, 0 }, { "0888", -EINVAL, 0 },
        { "", -EINVAL, 0 }, { "00640", -EINVAL, 0 }, { "0o640", -EINVAL, 0 }, { "rw-r-----", -EINVAL, 0 },
    };
    for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
        m = 12345;
        assert_int_equal(conf_mode_parse(modes[i].s, &m), modes[i].rc);
        assert_int_equal(m, modes[i].rc == 0 ? modes[i].m : 12345);
    }

    static const char *const yes[] = { "yes", "on", "true", "1", "YES", "On", "True" };
    static const char *const no[] = { "no", "off", "false", "0", "NO", "Off", "FALSE" };
    static const char *const neither[] = { "", "y", "n", "2", "enabled", "yes please", "nope" };
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        b = false;
        assert_int_equal(conf_bool_parse(yes[i], &b), 0);
        assert_true(b);
    }
    for (size_t i = 0; i < ARRAY_LEN(no); i++) {
        b = true;
        assert_int_equal(conf_bool_parse(no[i], &b), 0);
        assert_false(b);
    }
    for (size_t i = 0; i < ARRAY_LEN(neither); i++)
        assert_int_equal(conf_bool_parse(neither[i], &b), -EINVAL);
}

/* ---- shell words ----------------------------------------------------- */

#define WORDS_MAX 8

static void test_words(void **state)
{
    static const struct {
        const char *in;
        const char *words[WORDS_MAX + 1]; /* NULL-terminated */
    } cases[] = {
        { "", { NULL } },
        { "   \t ", { NULL } },
        { "-rtsp_transport tcp", { "-rtsp_transport", "tcp", NULL } },
        { "  a\tb\nc  ", { "a", "b", "c", NULL } },
        { "'a b' \"c d\"", { "a b", "c d", NULL } },
        { "a'b'\"c\"d", { "abcd", NULL } },
        { "'' \"\"", { "", "", NULL } },
        { "x ''", { "x", "", NULL } },
        { "'it''s'", { "its", NULL } },
        { "'a\\b'", { "a\\b", NULL } },
        { "\"a\\\"b\"", { "a\"b", NULL } },
        { "\"a\\\\b\"", { "a\\b", NULL } },
        { "\"\\$HOME \\`x\\`\"", { "$HOME `x`", NULL } },
        { "\"a\\nb\"", { "a\\nb", NULL } },
        { "a\\ b", { "a b", NULL } },
        { "\\'a\\'", { "'a'", NULL } },
        { "\\\\", { "\\", NULL } },
        { "a\\\nb", { "ab", NULL } },
        { "\"it's\"", { "it's", NULL } },
        { "'say \"hi\"'", { "say \"hi\"", NULL } },
        { "-headers 'User-Agent: cam\r\n'", { "-headers", "User-Agent: cam\r\n", NULL } },
        { "-vf \"drawtext=text='a b'\"", { "-vf", "drawtext=text='a b'", NULL } },
        /* Nothing is expanded or interpreted: these are all plain words. */
        { "$(rm -rf /)", { "$(rm", "-rf", "/)", NULL } },
        { "\"$(rm -rf /)\"", { "$(rm -rf /)", NULL } },
        { "`reboot`", { "`reboot`", NULL } },
        { "\"`id`\"", { "`id`", NULL } },
        { "a; rm -rf /", { "a;", "rm", "-rf", "/", NULL } },
        { "a ; rm", { "a", ";", "rm", NULL } },
        { "x | cat /etc/passwd", { "x", "|", "cat", "/etc/passwd", NULL } },
        { "a && b || c", { "a", "&&", "b", "||", "c", NULL } },
        { "> /etc/x < /dev/zero &", { ">", "/etc/x", "<", "/dev/zero", "&", NULL } },
        { "$HOME ${PATH} ~ ~root", { "$HOME", "${PATH}", "~", "~root", NULL } },
        { "* ?.c [a-z]", { "*", "?.c", "[a-z]", NULL } },
        { "# not a comment", { "#", "not", "a", "comment", NULL } },
        { "'$(reboot)'", { "$(reboot)", NULL } },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char **w = (char **)1;
        size_t n = 99, want = 0;
        char err[128] = "x";

        while (cases[i].words[want] != NULL)
            want++;
        assert_int_equal(conf_words_split(cases[i].in, &w, &n, err, sizeof err), 0);
        assert_string_equal(err, "");
        assert_non_null(w);
        if (n != want)
            print_error("'%s': %zu words, want %zu\n", cases[i].in, n, want);
        assert_int_equal(n, want);
        for (size_t k = 0; k < n; k++)
            assert_string_equal(w[k], cases[i].words[k]);
        assert_null(w[n]);
        conf_words_free(&w);
        assert_null(w);
    }
}

static void test_words_errors(void **state)
{
    static const struct { const char *in; const char *msg; } cases[] = {
        { "'abc", "unterminated single quote opened at character 1" },
        { "a \"b c", "unterminated double quote opened at character 3" },
        { "\"a\\\"", "unterminated double quote" },
        { "'a'\"b", "unterminated double quote opened at character 4" },
        { "\"'\" '", "unterminated single quote opened at character 5" },
        { "abc\\", "backslash" },
        { "-i x '$(rm -rf /)", "unterminated single quote" },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char **w = (char **)1;
        size_t n = 99;
        char err[128] = "";

        assert_int_equal(conf_words_split(cases[i].in, &w, &n, err, sizeof err), -EINVAL);
        assert_null(w);
        assert_int_equal(n, 0);
        if (strstr(err, cases[i].msg) == NULL)
            print_error("'%s': '%s'\n", cases[i].in, err);
        assert_non_null(strstr(err, cases[i].msg));
        /* No error buffer is fine too. */
        assert_int_equal(conf_words_split(cases[i].in, &w, &n, NULL, 0), -EINVAL);
    }
    conf_words_free(NULL);
    char **none = NULL;
    conf_words_free(&none);
}

/* ---- defaults -------------------------------------------------------- */

static void defaults_assert(const struct conf *c)
{
    assert_string_equal(c->name, "default");
    assert_int_equal(c->publish_count, 0);
    assert_string_equal(c->ffmpeg, "ffmpeg");
    assert_true(c->global_limit == 6 * GIB);
    assert_true(c->soft_limit == 0.80);
    assert_true(c->hard_limit == 0.95);
    assert_true(c->critical_limit == 0.98);
    assert_true(c->monitor_interval_ns == 1 * SEC);
    assert_true(c->backoff_initial_ns == 500 * MS);
    assert_true(c->backoff_max_ns == 30 * SEC);
    assert_true(c->backoff_multiplier == 2.0);
    assert_true(c->backoff_jitter == 0.2);
    assert_true(c->backoff_reset_ns == 60 * SEC);
    assert_true(c->stall_timeout_ns == 10 * SEC);
    assert_true(c->growth_warning == 10.0 * MIB / 3600);
    assert_true(c->growth_critical == 50.0 * MIB / 3600);
    assert_true(c->growth_warmup_ns == 60 * SEC);
    assert_int_equal(c->arena_mode, 0640);
    assert_true(c->arena_size == 0);
    assert_int_equal(c->max_cameras, 64);
    assert_int_equal(c->log_level, CONF_LOG_INFO);
    assert_string_equal(c->metrics_file, "");
    assert_false(c->allow_insecure_tcp);
    assert_string_equal(c->curve_secret_key, "");
    assert_string_equal(c->curve_client_keys, "");
}

static void test_defaults(void **state)
{
    char *saved = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
    char want[64];
    (void)state;

    setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
    conf_defaults(&conf);
    defaults_assert(&conf);
    assert_int_equal(conf.camera_count, 0);
    assert_null(conf.cameras);
    assert_string_equal(conf.runtime_dir, "/run/user/1234/camarena");

    unsetenv("XDG_RUNTIME_DIR");
    conf_defaults(&conf);
    snprintf(want, sizeof want, "/tmp/camarena-%u", (unsigned)getuid());
    assert_string_equal(conf.runtime_dir, want);

    /* An empty or relative XDG_RUNTIME_DIR is not a directory to use. */
    setenv("XDG_RUNTIME_DIR", "", 1);
    conf_defaults(&conf);
    assert_string_equal(conf.runtime_dir, want);

    if (saved != NULL)
        setenv("XDG_RUNTIME_DIR", saved, 1);
    else
        unsetenv("XDG_RUNTIME_DIR");
    free(saved);
}

static void test_minimal(void **state)
{
    const struct conf_camera *cam;
    (void)state;

    load_ok(CAMERA);
    defaults_assert(&conf);
    assert_string_equal(conf.path + strlen(conf.path) - 4, ".ini");
    assert_int_equal(conf.camera_count, 1);
    cam = conf_camera_find(&conf, "cam");
    assert_non_null(cam);
    assert_null(conf_camera_find(&conf, "nope"));
    assert_string_equal(cam->name, "cam");
    assert_int_equal(cam->line, 1);
    assert_string_equal(cam->url, "rtsp://10.0.0.5/s");
    assert_false(cam->lavfi);
    assert_ptr_equal(cam->input, cam->url);
    assert_non_null(cam->input_options);
    assert_null(cam->input_options[0]);
    assert_int_equal(cam->input_option_count, 0);
    assert_int_equal(cam->width, 640);
    assert_int_equal(cam->height, 480);
    assert_int_equal(cam->pix_fmt, PIXFMT_BGR24);
    assert_true(cam->fps == 15);
    assert_int_equal(cam->slots, 30);
    assert_int_equal(cam->priority, 50);
    assert_true(cam->memory_limit == 400 * MIB);
    assert_true(cam->max_age_ns == 10 * SEC);
    assert_true(cam->data);
    assert_true(cam->data_rate_limit == 0);
    assert_true(cam->enabled);
    conf_close(&conf);
    assert_null(conf.cameras);
    assert_int_equal(conf.camera_count, 0);
    conf_close(&conf); /* twice is fine */

    /* A file of no camera is valid; an empty file too. */
    load_ok("[supervisor]\nname = lonely\n");
    assert_int_equal(conf.camera_count, 0);
    conf_close(&conf);
    load_ok("");
    conf_close(&conf);
}

/* ---- every key: valid values ----------------------------------------- */

enum type { T_STR, T_U64, T_U32, T_DBL, T_BOOL, T_UNS, T_INT };

struct key_case {
    bool camera;         /* in [camera cam], else [supervisor] */
    const char *key;
    const char *value;
    enum type type;
    size_t off;
    const char *s;       /* T_STR */
    uint64_t u;          /* T_U64 T_U32 T_UNS T_INT T_BOOL */
    double d;            /* T_DBL */
};

#define SUP(k, v, t, f, ...) { false, k, v, t, offsetof(struct conf, f), __VA_ARGS__ }
#define CAM(k, v, t, f, ...) { true, k, v, t, offsetof(struct conf_camera, f), __VA_ARGS__ }

static const struct key_case valid_keys[] = {
    SUP("name", "front_1-A", T_STR, name, .s = "front_1-A"),
    SUP("name", "x", T_STR, name, .s = "x"),
    SUP("name", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123", T_STR, name,
        .s = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"),
    SUP("runtime_dir", "/run/camarena", T_STR, runtime_dir, .s = "/run/camarena"),
    SUP("ffmpeg", "/usr/local/bin/ffmpeg", T_STR, ffmpeg, .s = "/usr/local/bin/ffmpeg"),
    SUP("ffmpeg", "tests/fake-ffmpeg", T_STR, ffmpeg, .s = "tests/fake-ffmpeg"),
    SUP("global_limit", "1M", T_U64, global_limit, .u = MIB),
    SUP("global_limit", "2G", T_U64, global_limit, .u = 2 * GIB),
    SUP("global_limit", "123456789", T_U64, global_limit, .u = 123456789),
    SUP("global_limit", "4096K", T_U64, global_limit, .u = 4 * MIB),
    SUP("soft_limit", "0.5", T_DBL, soft_limit, .d = 0.5),
    SUP("soft_limit", "0.01", T_DBL, soft_limit, .d = 0.01),
    SUP("hard_limit", "0.9", T_DBL, hard_limit, .d = 0.9),
    SUP("critical_limit", "1", T_DBL, critical_limit, .d = 1.0),
    SUP("critical_limit", "0.99", T_DBL, critical_limit, .d = 0.99),
    SUP("monitor_interval", "10ms", T_U64, monitor_interval_ns, .u = 10 * MS),
    SUP("monitor_interval", "250ms", T_U64, monitor_interval_ns, .u = 250 * MS),
    SUP("monitor_interval", "1.5s", T_U64, monitor_interval_ns, .u = 1500 * MS),
    SUP("monitor_interval", "1h", T_U64, monitor_interval_ns, .u = 3600 * SEC),
    SUP("backoff_initial", "1ms", T_U64, backoff_initial_ns, .u = MS),
    SUP("backoff_initial", "2s", T_U64, backoff_initial_ns, .u = 2 * SEC),
    SUP("backoff_max", "1m", T_U64, backoff_max_ns, .u = 60 * SEC),
    SUP("backoff_max", "24h", T_U64, backoff_max_ns, .u = 24 * 3600 * SEC),
    SUP("backoff_max", "500ms", T_U64, backoff_max_ns, .u = 500 * MS),
    SUP("backoff_multiplier", "1", T_DBL, backoff_multiplier, .d = 1.0),
    SUP("backoff_multiplier", "1.5", T_DBL, backoff_multiplier, .d = 1.5),
    SUP("backoff_multiplier", "10", T_DBL, backoff_multiplier, .d = 10.0),
    SUP("backoff_jitter", "0", T_DBL, backoff_jitter, .d = 0.0),
    SUP("backoff_jitter", "0.5", T_DBL, backoff_jitter, .d = 0.5),
    SUP("backoff_reset", "1s", T_U64, backoff_reset_ns, .u = SEC),
    SUP("backoff_reset", "2h", T_U64, backoff_reset_ns, .u = 7200 * SEC),
    SUP("stall_timeout", "100ms", T_U64, stall_timeout_ns, .u = 100 * MS),
    SUP("stall_timeout", "5m", T_U64, stall_timeout_ns, .u = 300 * SEC),
    SUP("growth_warning", "1M/h", T_DBL, growth_warning, .d = (double)MIB / 3600),
    SUP("growth_warning", "1K/s", T_DBL, growth_warning, .d = 1024.0),
    SUP("growth_critical", "1G/h", T_DBL, growth_critical, .d = (double)GIB / 3600),
    SUP("growth_critical", "100M/m", T_DBL, growth_critical, .d = 100.0 * MIB / 60),
    SUP("growth_warmup", "0s", T_U64, growth_warmup_ns, .u = 0),
    SUP("growth_warmup", "2s", T_U64, growth_warmup_ns, .u = 2 * SEC),
    SUP("growth_warmup", "1h", T_U64, growth_warmup_ns, .u = 3600 * SEC),
    SUP("arena_mode", "0600", T_UNS, arena_mode, .u = 0600),
    SUP("arena_mode", "660", T_UNS, arena_mode, .u = 0660),
    SUP("arena_mode", "0777", T_UNS, arena_mode, .u = 0777),
    SUP("arena_size", "auto", T_U64, arena_size, .u = 0),
    SUP("arena_size", "1G", T_U64, arena_size, .u = GIB),
    SUP("arena_size", "1", T_U64, arena_size, .u = 1),
    SUP("max_cameras", "1", T_U32, max_cameras, .u = 1),
    SUP("max_cameras", "4096", T_U32, max_cameras, .u = 4096),
    SUP("log_level", "error", T_INT, log_level, .u = CONF_LOG_ERROR),
    SUP("log_level", "warn", T_INT, log_level, .u = CONF_LOG_WARN),
    SUP("log_level", "info", T_INT, log_level, .u = CONF_LOG_INFO),
    SUP("log_level", "debug", T_INT, log_level, .u = CONF_LOG_DEBUG),
    SUP("log_level", "DEBUG", T_INT, log_level, .u = CONF_LOG_DEBUG),
    SUP("metrics_file", "/var/lib/node/camarena.prom", T_STR, metrics_file, .s = "/var/lib/node/camarena.prom"),
    SUP("metrics_file", "", T_STR, metrics_file, .s = ""),
    SUP("allow_insecure_tcp", "yes", T_BOOL, allow_insecure_tcp, .u = 1),
    SUP("allow_insecure_tcp", "on", T_BOOL, allow_insecure_tcp, .u = 1),
    SUP("allow_insecure_tcp", "TRUE", T_BOOL, allow_insecure_tcp, .u = 1),
    SUP("allow_insecure_tcp", "1", T_BOOL, allow_insecure_tcp, .u = 1),
    SUP("allow_insecure_tcp", "no", T_BOOL, allow_insecure_tcp, .u = 0),
    SUP("allow_insecure_tcp", "off", T_BOOL, allow_insecure_tcp, .u = 0),
    SUP("allow_insecure_tcp", "false", T_BOOL, allow_insecure_tcp, .u = 0),
    SUP("allow_insecure_tcp", "0", T_BOOL, allow_insecure_tcp, .u = 0),
    SUP("curve_secret_key", "", T_STR, curve_secret_key, .s = ""),
    SUP("curve_client_keys", "", T_STR, curve_client_keys, .s = ""),
    CAM("url", "rtsp://user:pw@10.0.0.5:554/stream1?x=1&y=2", T_STR, url,
        .s = "rtsp://user:pw@10.0.0.5:554/stream1?x=1&y=2"),
    CAM("url", "/dev/video0", T_STR, url, .s = "/dev/video0"),
    CAM("width", "16", T_U32, width, .u = 16),
    CAM("width", "8192", T_U32, width, .u = 8192),
    CAM("width", "641", T_U32, width, .u = 641),
    CAM("height", "16", T_U32, height, .u = 16),
    CAM("height", "8192", T_U32, height, .u = 8192),
    CAM("pix_fmt", "bgr24", T_INT, pix_fmt, .u = PIXFMT_BGR24),
    CAM("pix_fmt", "rgb24", T_INT, pix_fmt, .u = PIXFMT_RGB24),
    CAM("pix_fmt", "gray", T_INT, pix_fmt, .u = PIXFMT_GRAY),
    CAM("pix_fmt", "yuv420p", T_INT, pix_fmt, .u = PIXFMT_YUV420P),
    CAM("pix_fmt", "nv12", T_INT, pix_fmt, .u = PIXFMT_NV12),
    CAM("pix_fmt", "bgra", T_INT, pix_fmt, .u = PIXFMT_BGRA),
    CAM("pix_fmt", "rgba", T_INT, pix_fmt, .u = PIXFMT_RGBA),
    CAM("fps", "0", T_DBL, fps, .d = 0.0),
    CAM("fps", "240", T_DBL, fps, .d = 240.0),
    CAM("fps", "29.97", T_DBL, fps, .d = 29.97),
    CAM("fps", "30000/1001", T_DBL, fps, .d = 30000.0 / 1001),
    CAM("fps", "1/2", T_DBL, fps, .d = 0.5),
    CAM("slots", "2", T_U32, slots, .u = 2),
    CAM("slots", "1024", T_U32, slots, .u = 1024),
    CAM("priority", "0", T_U32, priority, .u = 0),
    CAM("priority", "100", T_U32, priority, .u = 100),
    CAM("memory_limit", "1M", T_U64, memory_limit, .u = MIB),
    CAM("memory_limit", "2G", T_U64, memory_limit, .u = 2 * GIB),
    CAM("max_age", "1ms", T_U64, max_age_ns, .u = MS),
    CAM("max_age", "24h", T_U64, max_age_ns, .u = 24 * 3600 * SEC),
    CAM("data", "off", T_BOOL, data, .u = 0),
    CAM("data", "on", T_BOOL, data, .u = 1),
    CAM("data_rate_limit", "0", T_U64, data_rate_limit, .u = 0),
    CAM("data_rate_limit", "1000", T_U64, data_rate_limit, .u = 1000),
    CAM("data_rate_limit", "2M", T_U64, data_rate_limit, .u = 2 * MIB),
    CAM("data_rate_limit", "2M/s", T_U64, data_rate_limit, .u = 2 * MIB),
    CAM("data_rate_limit", "60M/m", T_U64, data_rate_limit, .u = MIB),
    CAM("data_rate_limit", "3600K/h", T_U64, data_rate_limit, .u = 1024),
    CAM("enabled", "no", T_BOOL, enabled, .u = 0),
    CAM("enabled", "yes", T_BOOL, enabled, .u = 1),
};

/* A file holding key = value in its section (line 2 or 4) and a camera
 * complete without it. */
static void key_file(char *buf, size_t len, bool camera, const char *key, const char *value)
{
    char line[512];
    snprintf(line, sizeof line, "%s = %s\n", key, value);
    snprintf(buf, len, "[supervisor]\n%s[camera cam]\n%s%s%s%s",
             camera ? "# nothing\n" : line, camera ? line : "# nothing\n",
             camera && strcmp(key, "url") == 0 ? "" : "url = rtsp://10.0.0.5/s\n",
             camera && strcmp(key, "width") == 0 ? "" : "width = 640\n",
             camera && strcmp(key, "height") == 0 ? "" : "height = 480\n");
}

static void test_keys_valid(void **state)
{
    char text[2048];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(valid_keys); i++) {
        const struct key_case *k = &valid_keys[i];
        const char *base;
        const char *f;

        key_file(text, sizeof text, k->camera, k->key, k->value);
        load_ok(text);
        assert_int_equal(conf.camera_count, 1);
        base = k->camera ? (const char *)&conf.cameras[0] : (const char *)&conf;
        f = base + k->off;
        if (k->camera && strcmp(k->key, "url") == 0)
            f = conf.cameras[0].url;
        switch (k->type) {
        case T_STR: assert_string_equal(f, k->s); break;
        case T_U64: assert_true(*(const uint64_t *)f == k->u); break;
        case T_U32: assert_int_equal(*(const uint32_t *)f, k->u); break;
        case T_UNS: assert_int_equal(*(const unsigned *)f, k->u); break;
        case T_INT: assert_int_equal(*(const int *)f, k->u); break;
        case T_BOOL: assert_int_equal(*(const bool *)f, k->u); break;
        case T_DBL:
            if (*(const double *)f != k->d)
                print_error("%s = %s: %.17g != %.17g\n", k->key, k->value, *(const double *)f, k->d);
            assert_true(*(const double *)f == k->d);
            break;
        }
        conf_close(&conf);
    }
}

/* ---- every key: invalid values --------------------------------------- */

struct bad_case {
    bool camera;
    const char *key;
    const char *value;
    const char *want;    /* in the message */
};

static const struct bad_case invalid_keys[] = {
    { false, "name", "", "expected a name of 1 to 63" },
    { false, "name", "bad name", "got 'bad name'" },
    { false, "name", "a/b", "A-Z a-z 0-9 _ -" },
    { false, "name", "caf\xc3\xa9", "expected a name" },
    { false, "name", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234", "1 to 63" },
    { false, "runtime_dir", "relative/dir", "expected an absolute directory path" },
    { false, "runtime_dir", "", "absolute" },
    { false, "ffmpeg", "", "expected a program name or path" },
    { false, "global_limit", "6X", "expected a size" },
    { false, "global_limit", "1023K", "at least 1M" },
    { false, "global_limit", "0", "at least 1M" },
    { false, "global_limit", "-1G", "expected a size" },
    { false, "global_limit", "", "got ''" },
    { false, "soft_limit", "0", "above 0 and at most 1" },
    { false, "soft_limit", "1.01", "above 0 and at most 1" },
    { false, "soft_limit", "80%", "expected a ratio" },
    { false, "hard_limit", "-0.5", "expected a ratio" },
    { false, "critical_limit", "abc", "expected a ratio" },
    { false, "critical_limit", "1e0", "expected a ratio" },
    { false, "monitor_interval", "5", "expected a duration (with ms, s, m or h)" },
    { false, "monitor_interval", "9ms", "from 10ms to 1h" },
    { false, "monitor_interval", "61m", "from 10ms to 1h" },
    { false, "backoff_initial", "0ms", "from 1ms to 1h" },
    { false, "backoff_initial", "500", "expected a duration" },
    { false, "backoff_max", "25h", "from 1ms to 24h" },
    { false, "backoff_multiplier", "0.9", "from 1 to 10" },
    { false, "backoff_multiplier", "11", "from 1 to 10" },
    { false, "backoff_multiplier", "x2", "expected a decimal" },
    { false, "backoff_jitter", "0.6", "from 0 to 0.5" },
    { false, "backoff_jitter", "-0.1", "expected a decimal" },
    { false, "backoff_reset", "999ms", "from 1s to 24h" },
    { false, "stall_timeout", "99ms", "from 100ms to 24h" },
    { false, "stall_timeout", "1d", "expected a duration" },
    { false, "growth_warning", "10M", "expected a rate" },
    { false, "growth_warning", "0/h", "above 0" },
    { false, "growth_critical", "50M/d", "expected a rate" },
    { false, "growth_warmup", "61m", "from 0 to 1h" },
    { false, "growth_warmup", "5", "expected a duration" },
    { false, "arena_mode", "0888", "expected an octal mode" },
    { false, "arena_mode", "01777", "at most 0777" },
    { false, "arena_mode", "0440", "owner read and write" },
    { false, "arena_mode", "rw", "octal" },
    { false, "arena_size", "0", "auto, or a size" },
    { false, "arena_size", "AUTO", "auto, or a size" },
    { false, "arena_size", "big", "auto, or a size" },
    { false, "max_cameras", "0", "from 1 to 4096" },
    { false, "max_cameras", "4097", "from 1 to 4096" },
    { false, "max_cameras", "1.5", "from 1 to 4096" },
    { false, "log_level", "verbose", "error, warn, info or debug" },
    { false, "log_level", "warning", "error, warn, info or debug" },
    { false, "allow_insecure_tcp", "maybe", "yes, no, on, off, true, false, 1 or 0" },
    { false, "allow_insecure_tcp", "", "yes, no" },
    { false, "bogus", "1", "expected a known key of [supervisor], got 'bogus'" },
    { false, "url", "rtsp://x", "expected a known key of [supervisor]" },
    { true, "url", "", "expected a URL not beginning with '-'" },
    { true, "url", "-i /etc/passwd", "not beginning with '-', or lavfi:GRAPH, got '-i /etc/passwd'" },
    { true, "url", "-", "not beginning with '-'" },
    { true, "url", "lavfi:", "expected lavfi:GRAPH with a GRAPH" },
    { true, "input_options", "-headers 'x", "unterminated single quote" },
    { true, "input_options", "\"abc", "unterminated double quote" },
    { true, "input_options", "abc\\", "backslash" },
    { true, "width", "15", "from 16 to 8192" },
    { true, "width", "8193", "from 16 to 8192" },
    { true, "width", "640px", "from 16 to 8192" },
    { true, "width", "", "an integer" },
    { true, "height", "0", "from 16 to 8192" },
    { true, "height", "-480", "from 16 to 8192" },
    { true, "pix_fmt", "yuv422p", "bgr24, rgb24, gray, yuv420p, nv12, bgra or rgba" },
    { true, "pix_fmt", "BGR24", "bgr24, rgb24" },
    { true, "fps", "241", "from 0 to 240" },
    { true, "fps", "-1", "a frame rate" },
    { true, "fps", "30/0", "a frame rate" },
    { true, "fps", "fast", "a frame rate" },
    { true, "slots", "1", "from 2 to 1024" },
    { true, "slots", "1025", "from 2 to 1024" },
    { true, "priority", "101", "from 0 to 100" },
    { true, "priority", "-1", "from 0 to 100" },
    { true, "memory_limit", "1023K", "at least 1M" },
    { true, "memory_limit", "400MB", "expected a size" },
    { true, "max_age", "0ms", "from 1ms to 24h" },
    { true, "max_age", "10", "expected a duration" },
    { true, "data", "sometimes", "yes, no, on, off" },
    { true, "data_rate_limit", "1X", "bytes per second" },
    { true, "data_rate_limit", "1M/d", "bytes per second" },
    { true, "enabled", "y", "yes, no, on, off" },
    { true, "name", "x", "expected a known key of [camera NAME], got 'name'" },
    { true, "log_level", "info", "expected a known key of [camera NAME]" },
};

static void test_keys_invalid(void **state)
{
    char text[2048];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(invalid_keys); i++) {
        const struct bad_case *k = &invalid_keys[i];
        char head[128];
        key_file(text, sizeof text, k->camera, k->key, k->value);
        snprintf(head, sizeof head, "[%s] %s", k->camera ? "camera cam" : "supervisor", k->key);
        load_one_error(text, k->camera ? 4 : 2, head, k->want);
        /* The value is quoted as written. */
        char got[512];
        snprintf(got, sizeof got, ", got '%s'", k->value);
        if (strcmp(k->key, "bogus") != 0 && strcmp(k->key, "url") != 0 && strcmp(k->key, "name") != 0 &&
            strcmp(k->key, "log_level") != 0)
            assert_non_null(strstr(errs.text, got));
    }
}

static void test_keys_twice(void **state)
{
    (void)state;
    load_one_error("[supervisor]\nname = a\nname = b\n", 3, "[supervisor] name",
                   "expected the key once (set on line 2), got 'b'");
    load_one_error("[camera cam]\nurl = a\nwidth = 640\nheight = 480\nwidth = 320\n", 5,
                   "[camera cam] width", "(set on line 3)");
    /* Two [supervisor] sections are one section: keys still count once. */
    load_one_error("[supervisor]\nname = a\n" CAMERA "[supervisor]\nname = b\n", 8, "[supervisor] name", "set on line 2");
    load_ok("[supervisor]\nname = a\n" CAMERA "[supervisor]\nlog_level = debug\n");
    assert_string_equal(conf.name, "a");
    assert_int_equal(conf.log_level, CONF_LOG_DEBUG);
    conf_close(&conf);
}

/* ---- syntax, comments, lines ----------------------------------------- */

static void test_comments(void **state)
{
    char text[4096], longval[1024];
    (void)state;

    load_ok("# a comment\n"
            "; another\n"
            "   # indented comment\n"
            "\n"
            "[supervisor] # after a section\n"
            "name = home # comment after a value\n"
            "  log_level = debug ; inih's own kind\n"
            "\tffmpeg = /opt/ff#mpeg\n"
            "metrics_file = /tmp/m;prom\n"
            "[camera cam] ; note\n"
            "    url = rtsp://10.0.0.5/s#frag\n"
            "    width = 640   # pixels\n"
            "    height = 480\n"
            "    input_options = -vf \"drawtext=text='#1 ; x'\" -y 'a #b' # the comment\n");
    assert_string_equal(conf.name, "home");
    assert_int_equal(conf.log_level, CONF_LOG_DEBUG);
    assert_string_equal(conf.ffmpeg, "/opt/ff#mpeg");
    assert_string_equal(conf.metrics_file, "/tmp/m;prom");
    assert_string_equal(conf.cameras[0].url, "rtsp://10.0.0.5/s#frag");
    assert_int_equal(conf.cameras[0].width, 640);
    assert_int_equal(conf.cameras[0].input_option_count, 4);
    assert_string_equal(conf.cameras[0].input_options[0], "-vf");
    assert_string_equal(conf.cameras[0].input_options[1], "drawtext=text='#1 ; x'");
    assert_string_equal(conf.cameras[0].input_options[2], "-y");
    assert_string_equal(conf.cameras[0].input_options[3], "a #b");
    conf_close(&conf);

    /* A comment right after '=' leaves the value empty. */
    load_ok("[supervisor]\nmetrics_file = # none\n" CAMERA);
    assert_string_equal(conf.metrics_file, "");
    conf_close(&conf);

    /* CRLF line endings and a UTF-8 byte order mark. */
    load_ok("\xEF\xBB\xBF[supervisor]\r\nname = dos\r\n[camera cam]\r\nurl = x\r\nwidth = 64\r\n"
            "height = 48\r\n");
    assert_string_equal(conf.name, "dos");
    assert_string_equal(conf.cameras[0].url, "x");
    conf_close(&conf);

    /* Lines far longer than inih's 200 bytes are read whole, and the line
     * numbers after them stay right. */
    memset(longval, 'a', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    snprintf(text, sizeof text, "[camera cam]\nurl = lavfi:color=c=red:size=64x48,%s\nwidth = 64\n"
             "height = 48\ninput_options = -x %s\n[supervisor]\nlog_level = loud\n", longval, longval);
    load_one_error(text, 7, "[supervisor] log_level", "got 'loud'");
    snprintf(text, sizeof text, "[camera cam]\nurl = lavfi:color=c=red:size=64x48,%s\nwidth = 64\n"
             "height = 48\ninput_options = -x %s\n", longval, longval);
    load_ok(text);
    assert_int_equal(strlen(conf.cameras[0].url), strlen("lavfi:color=c=red:size=64x48,") + strlen(longval));
    assert_string_equal(conf.cameras[0].input_options[1], longval);
    conf_close(&conf);

    /* A long value is cut in the message, not in the check. */
    snprintf(text, sizeof text, "[supervisor]\nname = %s\n", longval);
    load_one_error(text, 2, "[supervisor] name", "...'");
    assert_true(strlen(errs.text) < 400);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    load_one_error("[supervisor]\nthis is not a key\n", 2, "[supervisor] expected KEY = VALUE",
                   "got 'this is not a key'");
    load_one_error("[supervisor]\nbad key = 1\n", 2, "[supervisor] expected KEY = VALUE with a KEY",
                   "got 'bad key'");
    load_one_error("[supervisor]\n= 1\n", 2, "[supervisor] expected KEY = VALUE", "got ''");
    load_one_error("name = x\n" CAMERA, 1, "name: expected the key inside a section", "got 'x'");
    /* The keys of an unknown section are not reported one by one. */
    load_one_error(CAMERA "[nosuch]\nfoo = 1\nbar = 2\n", 5, "[nosuch]: expected a section",
                   "got 'nosuch'");
    load_one_error(CAMERA "[supervisor\nfoo = 1\n", 5, "expected a section header",
                   "got '[supervisor'");
    load_one_error(CAMERA "[supervisor] x\n", 5, "expected a section header", "got '[supervisor] x'");
    load_one_error(CAMERA "[ supervisor ]\n", 5, "[ supervisor ]: expected a section", "");
    load_one_error(CAMERA "[Supervisor]\n", 5, "[Supervisor]: expected a section", "");
}

/* Errors of every kind in one file: each one reported, sorted by line, each
 * naming file, line, section and key. */
static void test_many_errors(void **state)
{
    static const char text[] =
        "[supervisor]\n"                          /* 1 */
        "name = no good\n"                        /* 2 */
        "global_limit = 6X\n"                     /* 3 */
        "soft_limit = 0.96\n"                     /* 4: above hard's default */
        "monitor_interval = 5\n"                  /* 5 */
        "unknown = 1\n"                           /* 6 */
        "[camera a]\n"                            /* 7: no height */
        "url = -rf\n"                             /* 8 */
        "width = 640\n"                           /* 9 */
        "input_options = 'open\n"                 /* 10 */
        "[camera a]\n"                            /* 11: twice */
        "url = x\n"                               /* 12 */
        "width = 64\n"                            /* 13 */
        "height = 48\n"                           /* 14 */
        "fps = 1000\n"                            /* 15 */
        "[camera b!]\n"                           /* 16 */
        "url = y\nwidth = 64\nheight = 48\n";     /* 17-19 */
    static const struct { int line; const char *what; } want[] = {
        { 2, "[supervisor] name: expected a name" },
        { 3, "[supervisor] global_limit: expected a size" },
        { 4, "[supervisor] soft_limit: expected a value below hard_limit (0.95), got '0.96'" },
        { 5, "[supervisor] monitor_interval: expected a duration" },
        { 6, "[supervisor] unknown: expected a known key" },
        { 7, "[camera a] height: expected a height (the key is required), got nothing" },
        { 8, "[camera a] url: expected a URL not beginning with '-'" },
        { 10, "[camera a] input_options: expected FFmpeg input options" },
        { 11, "[camera a]: expected a camera name not used before (it is on line 7), got 'a'" },
        { 15, "[camera a] fps: expected a frame rate" },
        { 16, "[camera b!]: expected [camera NAME] with one space and a NAME" },
    };
    const char *path = conf_write(text);
    char *line;
    size_t n = 0;
    (void)state;

    assert_int_equal(conf_load(&conf, path, &errs), -EINVAL);
    assert_int_equal(errs.count, ARRAY_LEN(want));
    line = errs.text;
    for (char *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1, n++) {
        char prefix[256];
        *nl = '\0';
        assert_true(n < ARRAY_LEN(want));
        snprintf(prefix, sizeof prefix, "%s:%d: %s", path, want[n].line, want[n].what);
        if (strncmp(line, prefix, strlen(prefix)) != 0)
            print_error("line %zu: want '%s'\ngot '%s'\n", n, prefix, line);
        assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
    }
    assert_int_equal(n, ARRAY_LEN(want));
    assert_null(conf.cameras);
}

/* More errors than errs.text holds: whole lines only, and the count of all. */
static void test_errors_overflow(void **state)
{
    size_t len = 3000 * 20 + 64, used = 0;
    char *text = malloc(len);
    (void)state;

    assert_non_null(text);
    used += (size_t)snprintf(text, len, "[supervisor]\n");
    for (int i = 0; i < 3000; i++)
        used += (size_t)snprintf(text + used, len - used, "bogus%d = 1\n", i);
    assert_int_equal(load_text(text), -EINVAL);
    free(text);
    assert_int_equal(errs.count, 3000);
    assert_true(strlen(errs.text) < sizeof errs.text);
    assert_true(strlen(errs.text) > sizeof errs.text / 2);
    assert_int_equal(errs.text[strlen(errs.text) - 1], '\n');
    assert_non_null(strstr(errs.text, ":2: [supervisor] bogus0: "));
}

static void test_file_errors(void **state)
{
    char path[PATH_MAX + 16];
    (void)state;

    snprintf(path, sizeof path, "%s/does-not-exist.ini", tmpdir);
    assert_int_equal(conf_load(&conf, path, &errs), -ENOENT);
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.text, "does-not-exist.ini: cannot read: "));
    assert_int_equal(errs.text[strlen(errs.text) - 1], '\n');

    assert_int_equal(conf_load(&conf, tmpdir, &errs), -EISDIR);
    assert_int_equal(errs.count, 1);

    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    assert_int_equal(conf_load(&conf, path, &errs), -ENAMETOOLONG);

    /* A NUL byte is not text. */
    const char *p = conf_write("[supervisor]\n");
    FILE *f = fopen(p, "a");
    assert_non_null(f);
    fwrite("name = a\0b\n", 1, 11, f);
    fclose(f);
    assert_int_equal(conf_load(&conf, p, &errs), -EINVAL);
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.text, ":2: expected text, got a NUL byte"));
}

/* ---- names, cameras, urls -------------------------------------------- */

static void test_names(void **state)
{
    static const char *const good[] = {
        "a", "default", "front-door", "cam_01", "A-Z_a-z-0-9", "-", "_", "0",
        "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123",
    };
    static const char *const bad[] = {
        "", "front door", "a/b", "a.b", "../x", "caf\xc3\xa9", "a\tb", "x;y", "$(x)", "a\n",
        "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234",
    };
    char text[512];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        assert_true(conf_name_valid(good[i]));
        snprintf(text, sizeof text, "[supervisor]\nname = %s\n[camera %s]\nurl = x\nwidth = 64\n"
                 "height = 48\n", good[i], good[i]);
        load_ok(text);
        assert_string_equal(conf.name, good[i]);
        assert_string_equal(conf.cameras[0].name, good[i]);
        assert_non_null(conf_camera_find(&conf, good[i]));
        conf_close(&conf);
    }
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_false(conf_name_valid(bad[i]));
        if (strchr(bad[i], '\n') != NULL || bad[i][0] == '\0')
            continue;
        snprintf(text, sizeof text, "[camera %s]\nurl = x\nwidth = 64\nheight = 48\n", bad[i]);
        assert_int_equal(load_text(text), -EINVAL);
        assert_int_equal(errs.count, 1);
        assert_non_null(strstr(errs.text, ":1: [camera "));
        assert_non_null(strstr(errs.text, "expected [camera NAME] with one space"));
    }
    /* One space exactly, and a name. */
    load_one_error("[camera  two]\nurl = x\nwidth = 64\nheight = 48\n", 1,
                   "[camera  two]: expected [camera NAME] with one space", "got ' two'");
    load_one_error("[camera\ttab]\nurl = x\nwidth = 64\nheight = 48\n", 1,
                   "[camera?tab]: expected a section", "");
    load_one_error("[cameras x]\n", 1, "[cameras x]: expected a section [supervisor] or [camera NAME]", "");
    assert_int_equal(load_text("[camera]\nurl = x\nwidth = 64\nheight = 48\n"), -EINVAL);
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.text, "expected [camera NAME] with one space"));
}

static void test_cameras(void **state)
{
    const struct conf_camera *c;
    (void)state;

    load_ok("[camera one]\nurl = rtsp://a/1\nwidth = 64\nheight = 48\n"
            "[camera two]\nurl = lavfi:testsrc2=size=64x48:rate=5\nwidth = 64\nheight = 48\n"
            "input_options = -thread_queue_size 64\n"
            "[camera three]\nurl = lavfi:color=c=blue\nwidth = 64\nheight = 48\nenabled = no\n");
    assert_int_equal(conf.camera_count, 3);
    assert_string_equal(conf.cameras[0].name, "one");
    assert_string_equal(conf.cameras[1].name, "two");
    assert_string_equal(conf.cameras[2].name, "three");
    c = conf_camera_find(&conf, "two");
    assert_ptr_equal(c, &conf.cameras[1]);
    assert_int_equal(c->line, 5);
    assert_true(c->lavfi);
    assert_string_equal(c->input, "testsrc2=size=64x48:rate=5");
    assert_ptr_equal(c->input, c->url + 6);
    assert_int_equal(c->input_option_count, 2);
    assert_string_equal(c->input_options[0], "-thread_queue_size");
    assert_null(c->input_options[2]);
    assert_false(conf.cameras[2].enabled);
    assert_false(conf.cameras[0].lavfi);
    assert_string_equal(conf.cameras[0].input, "rtsp://a/1");
    conf_close(&conf);

    /* "lavfi:" only at the start, and case matters. */
    load_ok("[camera x]\nurl = LAVFI:foo\nwidth = 64\nheight = 48\n");
    assert_false(conf.cameras[0].lavfi);
    conf_close(&conf);

    /* Duplicate names. */
    load_one_error("[camera a]\nurl = x\nwidth = 64\nheight = 48\n"
                   "[camera b]\nurl = x\nwidth = 64\nheight = 48\n"
                   "[camera a]\nurl = y\nwidth = 64\nheight = 48\n",
                   9, "[camera a]: expected a camera name not used before",
                   "(it is on line 1), got 'a'");

    /* Required keys: reported on the line of the section header. */
    load_one_error("[supervisor]\n\n[camera c]\nwidth = 64\nheight = 48\n", 3, "[camera c] url",
                   "expected a URL (the key is required), got nothing");
    load_one_error("[camera c]\nurl = x\nheight = 48\n", 1, "[camera c] width",
                   "expected a width (the key is required)");
    load_one_error("[camera c]\nurl = x\nwidth = 48\n", 1, "[camera c] height",
                   "expected a height (the key is required)");
    assert_int_equal(load_text("# x\n[camera empty]\n"), -EINVAL);
    assert_int_equal(errs.count, 3);
    assert_non_null(strstr(errs.text, ":2: [camera empty] url: "));
    assert_non_null(strstr(errs.text, ":2: [camera empty] width: "));
    assert_non_null(strstr(errs.text, ":2: [camera empty] height: "));

    /* A url that FFmpeg would take for an option. */
    load_one_error("[camera c]\nurl = -f lavfi -i testsrc\nwidth = 64\nheight = 48\n", 2, "[camera c] url", "not beginning with '-'");
    load_one_error("[camera c]\nurl = lavfi:\nwidth = 64\nheight = 48\n", 2, "[camera c] url",
                   "lavfi:GRAPH with a GRAPH");
}

static void test_max_cameras(void **state)
{
    (void)state;
    load_one_error("[supervisor]\nmax_cameras = 1\n"
                   "[camera a]\nurl = x\nwidth = 64\nheight = 48\n"
                   "[camera b]\nurl = x\nwidth = 64\nheight = 48\n",
                   2, "[supervisor] max_cameras",
                   "expected at least the number of enabled cameras (2), got '1'");
    /* Disabled cameras take no descriptor. */
    load_ok("[supervisor]\nmax_cameras = 1\n"
            "[camera a]\nurl = x\nwidth = 64\nheight = 48\n"
            "[camera b]\nurl = x\nwidth = 64\nheight = 48\nenabled = no\n");
    conf_close(&conf);

    /* With the default of 64, the 65th enabled camera is the one named. */
    size_t len = 65 * 80 + 1, used = 0;
    char *text = malloc(len);
    assert_non_null(text);
    for (int i = 0; i < 65; i++)
        used += (size_t)snprintf(text + used, len - used,
                                 "[camera c%d]\nurl = x\nwidth = 64\nheight = 48\n", i);
    load_one_error(text, 64 * 4 + 1, "[camera c64]: expected at most max_cameras (64) enabled cameras",
                   "got 65");
    free(text);
}

/* ---- the rules between keys ------------------------------------------ */

static void test_orders(void **state)
{
    static const struct {
        const char *text;
        int line;
        const char *key;
        const char *want;
    } bad[] = {
        { "soft_limit = 0.9\nhard_limit = 0.9\n", 3, "hard_limit",
          "expected a value above soft_limit (0.9), got '0.9'" },
        { "soft_limit = 0.96\n", 2, "soft_limit", "expected a value below hard_limit (0.95), got '0.96'" },
        { "hard_limit = 0.7\n", 2, "hard_limit", "expected a value above soft_limit (0.80), got '0.7'" },
        { "hard_limit = 0.99\n", 2, "hard_limit", "expected a value below critical_limit (0.98)" },
        { "critical_limit = 0.9\n", 2, "critical_limit", "expected a value above hard_limit (0.95)" },
        { "hard_limit = 0.97\ncritical_limit = 0.97\n", 3, "critical_limit", "above hard_limit (0.97)" },
        { "backoff_initial = 1m\n", 2, "backoff_initial", "expected a value at most backoff_max (30s), got '1m'" },
        { "backoff_max = 100ms\n", 2, "backoff_max", "expected a value at least backoff_initial (500ms)" },
        { "backoff_initial = 10s\nbackoff_max = 5s\n", 3, "backoff_max", "at least backoff_initial (10s)" },
        { "growth_warning = 50M/h\n", 2, "growth_warning", "expected a value below growth_critical (50M/h)" },
        { "growth_critical = 1M/h\n", 2, "growth_critical", "above growth_warning (10M/h)" },
        { "growth_warning = 1M/s\ngrowth_critical = 60M/m\n", 3, "growth_critical",
          "above growth_warning (1M/s), got '60M/m'" },
    };
    static const char *const good[] = {
        "soft_limit = 0.1\nhard_limit = 0.2\ncritical_limit = 0.3\n",
        "soft_limit = 0.97\nhard_limit = 0.98\ncritical_limit = 1\n",
        "backoff_initial = 30s\n",
        "backoff_initial = 1s\nbackoff_max = 1s\n",
        "growth_warning = 1M/s\ngrowth_critical = 61M/m\n",
    };
    char text[512];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        snprintf(text, sizeof text, "[supervisor]\n%s" CAMERA, bad[i].text);
        char head[64];
        snprintf(head, sizeof head, "[supervisor] %s", bad[i].key);
        load_one_error(text, bad[i].line, head, bad[i].want);
    }
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        snprintf(text, sizeof text, "[supervisor]\n%s" CAMERA, good[i]);
        load_ok(text);
        conf_close(&conf);
    }
}

static void test_publish(void **state)
{
    static const struct {
        const char *publish;
        const char *extra;   /* more [supervisor] lines */
        const char *want;    /* NULL: loads */
    } cases[] = {
        { "tcp://127.0.0.1:7200", "", NULL },
        { "tcp://127.1.2.3:1", "", NULL },
        { "tcp://localhost:65535", "", NULL },
        { "tcp://LOCALHOST:7200", "", NULL },
        { "tcp://[::1]:7200", "", NULL },
        { "tcp://[0:0:0:0:0:0:0:1]:7200", "", NULL },
        { "ipc:///tmp/x.pub", "", NULL },
        { "ipc://@abstract", "", NULL },
        { "ipc://rel/x.pub", "", NULL },
        { "tcp://127.0.0.1:7200, ipc:///tmp/x.pub", "", NULL },
        { "", "", NULL },
        /* Not loopback. */
        { "tcp://*:7200", "", "a loopback tcp:// endpoint" },
        { "tcp://0.0.0.0:7200", "", "got 'tcp://0.0.0.0:7200'" },
        { "tcp://10.0.0.1:7200", "", "unless curve_secret_key and curve_client_keys are set or allow_insecure_tcp = yes" },
        { "tcp://camhost:7200", "", "loopback" },
        { "tcp://eth0:7200", "", "loopback" },
        { "tcp://[::]:7200", "", "loopback" },
        { "tcp://[2001:db8::1]:7200", "", "loopback" },
        { "tcp://128.0.0.1:7200", "", "loopback" },
        { "tcp://127.0.0.1.evil.com:7200", "", "loopback" },
        { "tcp://localhost.evil.com:7200", "", "loopback" },
        { "tcp://127.0.0.1:7200,tcp://*:7201", "", "got 'tcp://*:7201'" },
        /* ... unless allowed. */
        { "tcp://*:7200", "allow_insecure_tcp = yes\n", NULL },
        { "tcp://0.0.0.0:7200", "allow_insecure_tcp = on\n", NULL },
        { "tcp://*:7200", "allow_insecure_tcp = no\n", "loopback" },
        { "tcp://*:7200", "curve_secret_key = /etc/camarena/server.key\n"
                          "curve_client_keys = /etc/camarena/clients\n", NULL },
        { "tcp://*:7200", "curve_secret_key = /etc/camarena/server.key\n", "loopback" },
        { "tcp://*:7200", "curve_client_keys = /etc/camarena/clients\n", "loopback" },
        /* Malformed endpoints. */
        { "tcp://127.0.0.1", "", "tcp://HOST:PORT with a PORT from 1 to 65535" },
        { "tcp://127.0.0.1:0", "", "PORT from 1 to 65535" },
        { "tcp://127.0.0.1:65536", "", "PORT from 1 to 65535" },
        { "tcp://127.0.0.1:*", "", "PORT from 1 to 65535" },
        { "tcp://:7200", "", "with a HOST" },
        { "tcp://a;b:7200", "", "with a HOST name" },
        { "tcp://[::1:7200", "", "valid IPv6" },
        { "tcp://[zz]:7200", "", "valid IPv6" },
        { "ipc://", "", "ipc://PATH with a PATH of 1 to 107 bytes" },
        { "inproc://x", "", "tcp://HOST:PORT or ipc://PATH, got 'inproc://x'" },
        { "127.0.0.1:7200", "", "tcp://HOST:PORT or ipc://PATH" },
        { "tcp://127.0.0.1:7200,,ipc:///x", "", "between commas, got ''" },
        { "tcp://127.0.0.1:7200,", "", "between commas" },
    };
    char text[1024];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(text, sizeof text, "[supervisor]\npublish = %s\n%s" CAMERA, cases[i].publish, cases[i].extra);
        if (cases[i].want == NULL) {
            load_ok(text);
            conf_close(&conf);
        } else if (strstr(cases[i].extra, "curve") != NULL) {
            /* One key alone is an error of its own, besides the endpoint. */
            assert_int_equal(load_text(text), -EINVAL);
            assert_int_equal(errs.count, 2);
            assert_non_null(strstr(errs.text, "to be set with it"));
            assert_non_null(strstr(errs.text, ":2: [supervisor] publish: expected a loopback"));
        } else {
            load_one_error(text, 2, "[supervisor] publish", cases[i].want);
        }
    }

    load_ok("[supervisor]\npublish = tcp://127.0.0.1:7200 ,  ipc:///run/x.pub\n" CAMERA);
    assert_int_equal(conf.publish_count, 2);
    assert_string_equal(conf.publish[0], "tcp://127.0.0.1:7200");
    assert_string_equal(conf.publish[1], "ipc:///run/x.pub");
    assert_null(conf.publish[2]);
    conf_close(&conf);
    assert_null(conf.publish);

    /* An ipc path must fit a socket address: 107 bytes. */
    char path[120];
    memset(path, 'p', sizeof path);
    path[0] = '/';
    path[107] = '\0';
    snprintf(text, sizeof text, "[supervisor]\npublish = ipc://%s\n", path);
    load_ok(text);
    conf_close(&conf);
    path[107] = 'p';
    path[108] = '\0';
    snprintf(text, sizeof text, "[supervisor]\npublish = ipc://%s\n", path);
    load_one_error(text, 2, "[supervisor] publish", "1 to 107 bytes");
}

static void test_curve_keys(void **state)
{
    (void)state;
    load_ok("[supervisor]\ncurve_secret_key = /k/server.key\ncurve_client_keys = /k/clients\n");
    assert_string_equal(conf.curve_secret_key, "/k/server.key");
    assert_string_equal(conf.curve_client_keys, "/k/clients");
    conf_close(&conf);
    load_one_error("[supervisor]\ncurve_secret_key = /k/server.key\n", 2, "[supervisor] curve_secret_key",
                   "expected curve_client_keys to be set with it, got '/k/server.key'");
    load_one_error("[supervisor]\n\ncurve_client_keys = /k/c\n", 3, "[supervisor] curve_client_keys",
                   "expected curve_secret_key to be set with it");
}

static void test_runtime_dir_length(void **state)
{
    char text[512], dir[200];
    (void)state;

    /* runtime_dir/NAME.ctl must fit in a socket address (107 bytes). */
    memset(dir, 'd', sizeof dir);
    dir[0] = '/';
    dir[107 - 1 - 7 - 4] = '\0';  /* "/" + "default" + ".ctl" */
    snprintf(text, sizeof text, "[supervisor]\nruntime_dir = %s\n", dir);
    load_ok(text);
    conf_close(&conf);
    dir[strlen(dir)] = 'd';
    dir[107 - 1 - 7 - 4 + 1] = '\0';
    snprintf(text, sizeof text, "[supervisor]\nruntime_dir = %s\n", dir);
    load_one_error(text, 2, "[supervisor] runtime_dir", "short enough for the socket");
}

static void test_input_options(void **state)
{
    const struct conf_camera *c;
    (void)state;

    /* Injection attempts arrive as literal words: nothing runs them. */
    load_ok("[camera c]\nurl = x\nwidth = 64\nheight = 48\n"
            "input_options = -user_agent \"$(rm -rf /)\" -x `reboot` a;rm '; rm -rf /' '|' cat "
            "&& $HOME ~ *\n");
    c = &conf.cameras[0];
    static const char *const want[] = { "-user_agent", "$(rm -rf /)", "-x", "`reboot`", "a;rm",
                                        "; rm -rf /", "|", "cat", "&&", "$HOME", "~", "*" };
    assert_int_equal(c->input_option_count, ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_string_equal(c->input_options[i], want[i]);
    conf_close(&conf);
}

/* ---- the shipped confs ----------------------------------------------- */

static void test_example_ini(void **state)
{
    const struct conf_camera *c;
    (void)state;

    assert_int_equal(conf_load(&conf, "conf/example.ini", &errs), 0);
    assert_string_equal(conf.name, "example");
    assert_true(conf.camera_count >= 1 && conf.camera_count <= 2);
    bool lavfi = false, url = false;
    for (size_t i = 0; i < conf.camera_count; i++) {
        c = &conf.cameras[i];
        lavfi |= c->lavfi;
        url |= !c->lavfi;
    }
    assert_true(lavfi && url);
    conf_close(&conf);

    /* It documents every key: each appears as "key =" (maybe commented). */
    static const char *const keys[] = {
        "name", "runtime_dir", "publish", "ffmpeg", "global_limit", "soft_limit", "hard_limit",
        "critical_limit", "monitor_interval", "backoff_initial", "backoff_max", "backoff_multiplier",
        "backoff_jitter", "backoff_reset", "stall_timeout", "growth_warning", "growth_critical", "growth_warmup",
        "arena_mode", "arena_size", "max_cameras", "log_level", "metrics_file", "allow_insecure_tcp",
        "curve_secret_key", "curve_client_keys", "url", "input_options", "width", "height", "pix_fmt",
        "fps", "slots", "priority", "memory_limit", "max_age", "data", "data_rate_limit", "enabled",
    };
    FILE *f = fopen("conf/example.ini", "r");
    static char body[32768];
    size_t n;
    assert_non_null(f);
    n = fread(body, 1, sizeof body - 1, f);
    body[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\n%s ", keys[i]);
        char pat2[64];
        snprintf(pat2, sizeof pat2, "# %s ", keys[i]);
        if (strstr(body, pat) == NULL && strstr(body, pat2) == NULL)
            print_error("example.ini does not document %s\n", keys[i]);
        assert_true(strstr(body, pat) != NULL || strstr(body, pat2) != NULL);
    }
}

static void test_demo_ini(void **state)
{
    (void)state;
    int rc = conf_load(&conf, "conf/demo.ini", &errs);
    if (rc != 0)
        print_error("%s", errs.text);
    assert_int_equal(rc, 0);
    assert_string_equal(conf.name, "demo");
    assert_int_equal(conf.camera_count, 4);
    assert_true(conf.global_limit <= 4 * GIB);
    /* Four synthetic cameras, all different in size, format, rate and
     * priority. */
    for (size_t i = 0; i < 4; i++) {
        const struct conf_camera *a = &conf.cameras[i];
        assert_true(a->lavfi);
        assert_true(a->enabled);
        assert_non_null(strstr(a->input, "rate="));
        for (size_t j = 0; j < i; j++) {
            const struct conf_camera *b = &conf.cameras[j];
            assert_true(a->width * a->height != b->width * b->height);
            assert_int_not_equal(a->pix_fmt, b->pix_fmt);
            assert_true(a->fps != b->fps);
            assert_int_not_equal(a->priority, b->priority);
        }
    }
    conf_close(&conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_uint_mode_bool),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_words_errors),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_keys_valid),
        cmocka_unit_test(test_keys_invalid),
        cmocka_unit_test(test_keys_twice),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_many_errors),
        cmocka_unit_test(test_errors_overflow),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_cameras),
        cmocka_unit_test(test_max_cameras),
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_publish),
        cmocka_unit_test(test_curve_keys),
        cmocka_unit_test(test_runtime_dir_length),
        cmocka_unit_test(test_input_options),
        cmocka_unit_test(test_example_ini),
        cmocka_unit_test(test_demo_ini),
    };
    return cmocka_run_group_tests_name("conf", tests, group_setup, group_teardown);
}
