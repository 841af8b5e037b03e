/* conf.c - the conf file: read with inih, validated whole, every error kept.
 *
 * inih dispatches lines; a reader of our own feeds it. Debian's inih is
 * built without line numbers in its handler, cuts lines at 200 bytes and
 * section names at 50, and knows only ';' as an inline comment, so the
 * reader does the lexical work itself, one physical line per call:
 *   - it counts lines, so the handler knows the line of every key;
 *   - it strips leading blanks (inih would take an indented line for the
 *     continuation of the previous value) and comments: a line whose first
 *     non-blank is '#' or ';', and from a '#' or ';' that follows a blank to
 *     the end of the line (for input_options, only outside quotes);
 *   - it checks the syntax of every line ([SECTION] or KEY = VALUE), so that
 *     every syntax error is reported, not only the first as inih would;
 *   - it keeps the section, key and value of the line in full, and the
 *     handler reads them from there, since inih's copies may be cut short.
 * The handler then checks the key and its value against the table below;
 * whole-file rules (required keys, orders of thresholds, CURVE) run at the
 * end. Errors are gathered, sorted by line, and written out together. */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/units.h"
#include "conf/words.h"

#define KEY_MAX 48          /* longer keys are unknown without looking */
#define SHOWN_VALUE_MAX 120 /* a longer value is cut in messages */
#define IPC_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* ---- the keys -------------------------------------------------------- */

enum kind {
    K_NAME,       /* char[CONF_NAME_MAX + 1] */
    K_DIR,        /* char[PATH_MAX], absolute */
    K_PATH,       /* char[PATH_MAX], non-empty */
    K_PATH_OPT,   /* char[PATH_MAX], empty = none */
    K_PUBLISH,    /* the publish list */
    K_SIZE,       /* uint64_t bytes in [umin, umax] */
    K_SIZE_AUTO,  /* uint64_t bytes, "auto" = 0 */
    K_DATA_RATE,  /* uint64_t bytes per second: a size, or a rate */
    K_RATE,       /* double bytes per second, > 0 */
    K_RATIO,      /* double in (0, 1] */
    K_DECIMAL,    /* double in [dmin, dmax] */
    K_FPS,        /* double in [dmin, dmax], decimal or N/D */
    K_DURATION,   /* uint64_t ns in [umin, umax] */
    K_U32,        /* uint32_t in [umin, umax] */
    K_MODE,       /* unsigned, octal, owner read-write */
    K_BOOL,       /* bool */
    K_LOG_LEVEL,  /* enum conf_log_level */
    K_PIX_FMT,    /* enum pixfmt */
    K_URL,        /* the url, lavfi and input */
    K_WORDS,      /* input_options */
};

struct key {
    const char *name;
    enum kind kind;
    size_t off;           /* in struct conf or struct conf_camera */
    uint64_t umin, umax;
    double dmin, dmax;
    const char *expect;   /* the message's "expected ..." */
};

#define S(f) offsetof(struct conf, f)
#define C(f) offsetof(struct conf_camera, f)
#define MS CONF_NS_PER_MS
#define SEC CONF_NS_PER_S
#define MIB (1ULL << 20)

static const struct key supervisor_keys[] = {
    { "name", K_NAME, S(name), 0, 0, 0, 0,
      "a name of 1 to 63 characters A-Z a-z 0-9 _ -" },
    { "runtime_dir", K_DIR, S(runtime_dir), 0, 0, 0, 0,
      "an absolute directory path" },
    { "publish", K_PUBLISH, 0, 0, 0, 0, 0,
      "a comma-separated list of tcp://HOST:PORT or ipc://PATH endpoints" },
    { "ffmpeg", K_PATH, S(ffmpeg), 0, 0, 0, 0, "a program name or path" },
    { "global_limit", K_SIZE, S(global_limit), MIB, UINT64_MAX, 0, 0,
      "a size (bytes, or whole K, M, G) of at least 1M" },
    { "soft_limit", K_RATIO, S(soft_limit), 0, 0, 0, 1,
      "a ratio, a decimal above 0 and at most 1" },
    { "hard_limit", K_RATIO, S(hard_limit), 0, 0, 0, 1,
      "a ratio, a decimal above 0 and at most 1" },
    { "critical_limit", K_RATIO, S(critical_limit), 0, 0, 0, 1,
      "a ratio, a decimal above 0 and at most 1" },
    { "monitor_interval", K_DURATION, S(monitor_interval_ns), 10 * MS, 3600 * SEC, 0, 0,
      "a duration (with ms, s, m or h) from 10ms to 1h" },
    { "backoff_initial", K_DURATION, S(backoff_initial_ns), 1 * MS, 3600 * SEC, 0, 0,
      "a duration (with ms, s, m or h) from 1ms to 1h" },
    { "backoff_max", K_DURATION, S(backoff_max_ns), 1 * MS, 24 * 3600 * SEC, 0, 0,
      "a duration (with ms, s, m or h) from 1ms to 24h" },
    { "backoff_multiplier", K_DECIMAL, S(backoff_multiplier), 0, 0, 1.0, 10.0,
      "a decimal from 1 to 10" },
    { "backoff_jitter", K_DECIMAL, S(backoff_jitter), 0, 0, 0.0, 0.5,
      "a decimal from 0 to 0.5" },
    { "backoff_reset", K_DURATION, S(backoff_reset_ns), 1 * SEC, 24 * 3600 * SEC, 0, 0,
      "a duration (with ms, s, m or h) from 1s to 24h" },
    { "stall_timeout", K_DURATION, S(stall_timeout_ns), 100 * MS, 24 * 3600 * SEC, 0, 0,
      "a duration (with ms, s, m or h) from 100ms to 24h" },
    { "growth_warning", K_RATE, S(growth_warning), 0, 0, 0, 0,
      "a rate above 0: a size per s, m or h, like 10M/h" },
    { "growth_critical", K_RATE, S(growth_critical), 0, 0, 0, 0,
      "a rate above 0: a size per s, m or h, like 50M/h" },
    { "arena_mode", K_MODE, S(arena_mode), 0, 0, 0, 0,
      "an octal mode of at most 0777 with owner read and write, like 0640" },
    { "arena_size", K_SIZE_AUTO, S(arena_size), 1, UINT64_MAX, 0, 0,
      "auto, or a size (bytes, or whole K, M, G) above 0" },
    { "max_cameras", K_U32, S(max_cameras), 1, 4096, 0, 0,
      "an integer from 1 to 4096" },
    { "log_level", K_LOG_LEVEL, S(log_level), 0, 0, 0, 0,
      "error, warn, info or debug" },
    { "metrics_file", K_PATH_OPT, S(metrics_file), 0, 0, 0, 0,
      "a file path, or nothing" },
    { "allow_insecure_tcp", K_BOOL, S(allow_insecure_tcp), 0, 0, 0, 0,
      "yes, no, on, off, true, false, 1 or 0" },
    { "curve_secret_key", K_PATH_OPT, S(curve_secret_key), 0, 0, 0, 0,
      "a file path, or nothing" },
    { "curve_client_keys", K_PATH_OPT, S(curve_client_keys), 0, 0, 0, 0,
      "a file path, or nothing" },
    /* Appended, not next to growth_critical: the indices below stay. */
    { "growth_warmup", K_DURATION, S(growth_warmup_ns), 0, 3600 * SEC, 0, 0,
      "a duration (with ms, s, m or h) from 0 to 1h" },
};

static const struct key camera_keys[] = {
    { "url", K_URL, 0, 0, 0, 0, 0,
      "a URL not beginning with '-', or lavfi:GRAPH" },
    { "input_options", K_WORDS, 0, 0, 0, 0, 0,
      "FFmpeg input options as shell words, quotes closed" },
    { "width", K_U32, C(width), 16, 8192, 0, 0, "an integer from 16 to 8192" },
    { "height", K_U32, C(height), 16, 8192, 0, 0, "an integer from 16 to 8192" },
    { "pix_fmt", K_PIX_FMT, C(pix_fmt), 0, 0, 0, 0,
      "bgr24, rgb24, gray, yuv420p, nv12, bgra or rgba" },
    { "fps", K_FPS, C(fps), 0, 0, 0.0, 240.0,
      "a frame rate from 0 to 240 (decimal or N/D; 0 keeps the source rate)" },
    { "slots", K_U32, C(slots), 2, 1024, 0, 0, "an integer from 2 to 1024" },
    { "priority", K_U32, C(priority), 0, 100, 0, 0, "an integer from 0 to 100" },
    { "memory_limit", K_SIZE, C(memory_limit), MIB, UINT64_MAX, 0, 0,
      "a size (bytes, or whole K, M, G) of at least 1M" },
    { "max_age", K_DURATION, C(max_age_ns), 1 * MS, 24 * 3600 * SEC, 0, 0,
      "a duration (with ms, s, m or h) from 1ms to 24h" },
    { "data", K_BOOL, C(data), 0, 0, 0, 0, "yes, no, on, off, true, false, 1 or 0" },
    { "data_rate_limit", K_DATA_RATE, C(data_rate_limit), 0, 0, 0, 0,
      "bytes per second: a size, or a size per s, m or h (0 = none)" },
    { "enabled", K_BOOL, C(enabled), 0, 0, 0, 0, "yes, no, on, off, true, false, 1 or 0" },
};

#define NSUP (sizeof supervisor_keys / sizeof supervisor_keys[0])
#define NCAM (sizeof camera_keys / sizeof camera_keys[0])

/* Indices used by the whole-file rules. */
enum {
    SUP_NAME = 0, SUP_RUNTIME_DIR = 1, SUP_PUBLISH = 2, SUP_SOFT = 5, SUP_HARD = 6,
    SUP_CRITICAL = 7, SUP_BACKOFF_INITIAL = 9, SUP_BACKOFF_MAX = 10,
    SUP_GROWTH_WARNING = 15, SUP_GROWTH_CRITICAL = 16, SUP_MAX_CAMERAS = 19,
    SUP_INSECURE = 22, SUP_CURVE_SECRET = 23, SUP_CURVE_CLIENTS = 24,
};
enum { CAM_URL = 0, CAM_WIDTH = 2, CAM_HEIGHT = 3, CAM_ENABLED = 12 };

_Static_assert(NSUP == 26 && NCAM == 13, "update the key indices with the tables");

/* ---- the loading context --------------------------------------------- */

struct error {
    int line;
    char *text;   /* "FILE:LINE: ..." without the newline */
};

enum section { SEC_NONE, SEC_SUPERVISOR, SEC_CAMERA, SEC_UNKNOWN };

struct camera_lines {
    int key[NCAM];                   /* line of each key set, 0 if defaulted */
};

struct loader {
    struct conf *conf;
    const char *path;
    FILE *file;
    char *buf;                       /* getline's */
    size_t bufcap;
    int line;                        /* of the line last read */

    enum section section;
    char section_label[CONF_NAME_MAX + 16]; /* "supervisor", "camera NAME" */
    size_t camera;                   /* index of the camera being read */
    char *key;                       /* of the current line, in buf */
    char *value;                     /* of the current line, in buf */

    int sup_line[NSUP];              /* line of each [supervisor] key, 0 if defaulted */
    char *sup_raw[NSUP];             /* its value as written, NULL if defaulted */
    struct camera_lines *cam_lines;  /* parallel to conf->cameras */
    size_t camera_cap;

    struct error *errors;
    size_t error_count;
    size_t error_cap;
    bool nomem;
    int read_errno;                  /* why reading stopped early, 0 at end of file */
};

/* Records one error at line (0: none known). Out of memory, it sets nomem. */
static void __attribute__((format(printf, 3, 4)))
error_add(struct loader *ld, int line, const char *fmt, ...)
{
    char msg[1024];
    char *text;
    size_t len;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    len = strlen(ld->path) + strlen(msg) + 16;
    if ((text = malloc(len)) == NULL) {
        ld->nomem = true;
        return;
    }
    if (line > 0)
        snprintf(text, len, "%s:%d: %s", ld->path, line, msg);
    else
        snprintf(text, len, "%s: %s", ld->path, msg);
    if (ld->error_count == ld->error_cap) {
        size_t cap = ld->error_cap ? 2 * ld->error_cap : 16;
        struct error *v = realloc(ld->errors, cap * sizeof *v);
        if (v == NULL) {
            free(text);
            ld->nomem = true;
            return;
        }
        ld->errors = v;
        ld->error_cap = cap;
    }
    ld->errors[ld->error_count++] = (struct error){ line, text };
}

/* Writes value for a message: cut if long, control characters as '?'. */
static const char *shown(const char *value, char *buf, size_t len)
{
    size_t n = 0;

    for (; value[n] != '\0' && n + 4 < len && n < SHOWN_VALUE_MAX; n++)
        buf[n] = (value[n] > 0 && value[n] < ' ') || value[n] == 0x7f ? '?' : value[n];
    if (value[n] != '\0') {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* "FILE:LINE: [SECTION] KEY: expected EXPECT, got 'VALUE'" */
static void value_error(struct loader *ld, int line, const char *label, const char *key,
                        const char *expect, const char *value)
{
    char b[SHOWN_VALUE_MAX + 8];
    error_add(ld, line, "[%s] %s: expected %s, got '%s'", label, key, expect,
              shown(value, b, sizeof b));
}

/* ---- the reader: one physical line per call -------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *trim(char *s)
{
    char *e;

    while (is_blank(*s))
        s++;
    e = s + strlen(s);
    while (e > s && is_blank(e[-1]))
        *--e = '\0';
    return s;
}

/* Cuts s at an inline comment: '#' or ';' after a blank. If quoted, quotes
 * and backslashes are honoured as conf_words_split does, so that a quoted
 * '#' survives in input_options. */
static void comment_cut(char *s, bool quoted)
{
    char quote = 0;

    for (char *p = s; *p != '\0'; p++) {
        if (quoted && quote == 0 && *p == '\\' && p[1] != '\0') {
            p++;
        } else if (quoted && quote == '"' && *p == '\\' && p[1] != '\0') {
            p++;
        } else if (quoted && quote == 0 && (*p == '\'' || *p == '"')) {
            quote = *p;
        } else if (quote != 0) {
            if (*p == quote)
                quote = 0;
        } else if ((*p == '#' || *p == ';') && p > s && is_blank(p[-1])) {
            *p = '\0';
            return;
        }
    }
}

static bool key_valid(const char *k)
{
    size_t n = strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    return n > 0 && n <= KEY_MAX && k[n] == '\0';
}

static void section_begin(struct loader *ld, const char *name);

/* Copies text into inih's buffer of num bytes, ending it with a newline. */
static char *feed(char *str, int num, const char *text)
{
    snprintf(str, (size_t)num, "%.*s\n", num - 2, text);
    return str;
}

/* Reads the next line, checks its syntax and hands inih a line it will
 * parse the same way: a blank line (nothing to do, or an error already
 * recorded), "[section]" or "key=value". */
static char *line_read(char *str, int num, void *stream)
{
    struct loader *ld = stream;
    ssize_t n;
    char *s, *eq;

    ld->key = ld->value = NULL;
    errno = 0;
    n = getline(&ld->buf, &ld->bufcap, ld->file);
    if (n < 0) {
        if (ferror(ld->file))
            ld->read_errno = errno ? errno : EIO;
        return NULL;
    }
    ld->line++;
    s = ld->buf;
    if ((size_t)n != strlen(s)) {
        error_add(ld, ld->line, "expected text, got a NUL byte");
        return feed(str, num, "");
    }
    if (ld->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    s[strcspn(s, "\n")] = '\0';
    s = trim(s);
    if (*s == '\0' || *s == '#' || *s == ';')
        return feed(str, num, "");

    if (*s == '[') {
        char *end;
        comment_cut(s, false);
        s = trim(s);
        end = s + strlen(s) - 1;
        if (*end != ']' || strchr(s + 1, ']') != end) {
            char b[SHOWN_VALUE_MAX + 8];
            error_add(ld, ld->line, "expected a section header, [supervisor] or [camera NAME], got '%s'",
                      shown(s, b, sizeof b));
            /* The keys that follow belong to no valid section. */
            section_begin(ld, NULL);
            return feed(str, num, "[?]");
        }
        *end = '\0';
        section_begin(ld, s + 1);
        return feed(str, num, "[s]");
    }

    eq = strchr(s, '=');
    if (eq == NULL) {
        char b[SHOWN_VALUE_MAX + 8];
        comment_cut(s, false);
        error_add(ld, ld->line, "[%s] expected KEY = VALUE, got '%s'", ld->section_label,
                  shown(trim(s), b, sizeof b));
        return feed(str, num, "");
    }
    *eq = '\0';
    ld->key = trim(s);
    ld->value = eq + 1;
    comment_cut(ld->value, strcmp(ld->key, "input_options") == 0);
    ld->value = trim(ld->value);
    if (!key_valid(ld->key)) {
        char b[SHOWN_VALUE_MAX + 8];
        if (ld->section != SEC_UNKNOWN)
            error_add(ld, ld->line, "[%s] expected KEY = VALUE with a KEY of letters, digits and _, got '%s'",
                      ld->section_label, shown(ld->key, b, sizeof b));
        ld->key = ld->value = NULL;
        return feed(str, num, "");
    }
    /* inih's copy of the value may be cut short; the handler uses ours. */
    snprintf(str, (size_t)num, "%s=\n", ld->key);
    return str;
}

/* ---- sections -------------------------------------------------------- */

static void camera_defaults(struct conf_camera *cam)
{
    memset(cam, 0, sizeof *cam);
    cam->pix_fmt = PIXFMT_BGR24;
    cam->fps = 15;
    cam->slots = 30;
    cam->priority = 50;
    cam->memory_limit = 400 * MIB;
    cam->max_age_ns = 10 * SEC;
    cam->data = true;
    cam->data_rate_limit = 0;
    cam->enabled = true;
}

static int camera_add(struct loader *ld, const char *name)
{
    struct conf *conf = ld->conf;
    struct conf_camera *cam;

    if (conf->camera_count == ld->camera_cap) {
        size_t cap = ld->camera_cap ? 2 * ld->camera_cap : 8;
        struct conf_camera *v = realloc(conf->cameras, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        conf->cameras = v;
        struct camera_lines *l = realloc(ld->cam_lines, cap * sizeof *l);
        if (l == NULL)
            return -ENOMEM;
        ld->cam_lines = l;
        ld->camera_cap = cap;
    }
    cam = &conf->cameras[conf->camera_count];
    camera_defaults(cam);
    /* An empty list rather than NULL, so that users can walk it. */
    if ((cam->input_options = calloc(1, sizeof *cam->input_options)) == NULL)
        return -ENOMEM;
    snprintf(cam->name, sizeof cam->name, "%s", name);
    cam->line = ld->line;
    memset(&ld->cam_lines[conf->camera_count], 0, sizeof ld->cam_lines[0]);
    ld->camera = conf->camera_count++;
    return 0;
}

/* Starts the section named name (NULL: a malformed header). Keys of an
 * unknown section are skipped without a message each; a camera whose name
 * is refused is still read, so that its keys are checked too. */
static void section_begin(struct loader *ld, const char *name)
{
    char b[SHOWN_VALUE_MAX + 8], b2[SHOWN_VALUE_MAX + 8];
    const char *cam;

    ld->section = SEC_UNKNOWN;
    snprintf(ld->section_label, sizeof ld->section_label, "?");
    if (name == NULL)
        return;
    if (strcmp(name, "supervisor") == 0) {
        ld->section = SEC_SUPERVISOR;
        snprintf(ld->section_label, sizeof ld->section_label, "supervisor");
        return;
    }
    if (strncmp(name, "camera", 6) != 0 || (name[6] != ' ' && name[6] != '\0')) {
        error_add(ld, ld->line, "[%s]: expected a section [supervisor] or [camera NAME], got '%s'",
                  shown(name, b, sizeof b), shown(name, b2, sizeof b2));
        return;
    }
    cam = name[6] == ' ' ? name + 7 : name + 6;
    if (camera_add(ld, cam) < 0) {
        ld->nomem = true;
        return;
    }
    ld->section = SEC_CAMERA;
    snprintf(ld->section_label, sizeof ld->section_label, "camera %.*s", CONF_NAME_MAX, cam);
    if (!conf_name_valid(cam)) {
        error_add(ld, ld->line,
                  "[%s]: expected [camera NAME] with one space and a NAME of 1 to 63 characters "
                  "A-Z a-z 0-9 _ -, got '%s'", shown(name, b, sizeof b), shown(cam, b2, sizeof b2));
        return;
    }
    for (size_t i = 0; i + 1 < ld->conf->camera_count; i++) {
        if (strcmp(ld->conf->cameras[i].name, cam) == 0) {
            error_add(ld, ld->line, "[%s]: expected a camera name not used before (it is on "
                      "line %d), got '%s'", ld->section_label, ld->conf->cameras[i].line, cam);
            return;
        }
    }
}

/* ---- values ---------------------------------------------------------- */

/* Returns true if host (of tcp://HOST:PORT) is on the loopback interface. */
static bool host_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    char b[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);

    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (n >= 2 && n < sizeof b && host[0] == '[' && host[n - 1] == ']') {
        memcpy(b, host + 1, n - 2);
        b[n - 2] = '\0';
        if (inet_pton(AF_INET6, b, &a6) != 1)
            return false;
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

/* Checks one publish endpoint. Returns NULL if good, else what was expected;
 * *remote is set for a tcp:// endpoint outside loopback. */
static const char *endpoint_check(const char *ep, bool *remote)
{
    *remote = false;
    if (strncmp(ep, "ipc://", 6) == 0) {
        size_t n = strlen(ep + 6);
        if (n == 0 || n > IPC_PATH_MAX)
            return "ipc://PATH with a PATH of 1 to 107 bytes";
        return NULL;
    }
    if (strncmp(ep, "tcp://", 6) == 0) {
        const char *host = ep + 6;
        const char *colon = strrchr(host, ':');
        char h[256];
        uint64_t port;
        size_t hn;

        if (colon == NULL || conf_uint_parse(colon + 1, 65535, &port) < 0 || port == 0)
            return "tcp://HOST:PORT with a PORT from 1 to 65535";
        hn = (size_t)(colon - host);
        if (hn == 0 || hn >= sizeof h)
            return "tcp://HOST:PORT with a HOST";
        memcpy(h, host, hn);
        h[hn] = '\0';
        if (h[0] == '[') {
            struct in6_addr a6;
            char b[INET6_ADDRSTRLEN];
            if (hn < 3 || h[hn - 1] != ']' || hn - 2 >= sizeof b)
                return "tcp://[IPV6]:PORT with a valid IPv6 address";
            memcpy(b, h + 1, hn - 2);
            b[hn - 2] = '\0';
            if (inet_pton(AF_INET6, b, &a6) != 1)
                return "tcp://[IPV6]:PORT with a valid IPv6 address";
        } else if (strcmp(h, "*") != 0 &&
                   strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != hn) {
            return "tcp://HOST:PORT with a HOST name, an IPv4 address, [IPV6] or *";
        }
        *remote = !host_loopback(h);
        return NULL;
    }
    return "tcp://HOST:PORT or ipc://PATH";
}

static void publish_free(struct conf *conf)
{
    conf_words_free(&conf->publish);
    conf->publish_count = 0;
}

/* Parses the comma-separated list into conf->publish; each entry trimmed. */
static void publish_set(struct loader *ld, const char *value)
{
    struct conf *conf = ld->conf;
    char *copy = strdup(value), *save = NULL, *tok;

    publish_free(conf);
    /* A list of n commas has at most n + 1 entries, and fewer commas than
     * characters; one more slot for the NULL. */
    if (copy == NULL || (conf->publish = calloc(strlen(value) + 2, sizeof(char *))) == NULL)
        goto nomem;
    if (*value == '\0')
        goto done;
    /* strtok would silently skip empty entries; ",," is a mistake. */
    for (tok = copy; tok != NULL; tok = save) {
        bool remote;
        const char *why;
        char *ep;

        save = strchr(tok, ',');
        if (save != NULL)
            *save++ = '\0';
        ep = trim(tok);
        why = *ep == '\0' ? "tcp://HOST:PORT or ipc://PATH between commas" : endpoint_check(ep, &remote);
        if (why != NULL) {
            /* The good entries are kept for the CURVE rule, to report it too;
             * the load fails anyway. */
            value_error(ld, ld->line, "supervisor", "publish", why, ep);
            continue;
        }
        if ((conf->publish[conf->publish_count] = strdup(ep)) == NULL)
            goto nomem;
        conf->publish_count++;
    }
done:
    free(copy);
    return;
nomem:
    free(copy);
    publish_free(conf);
    ld->nomem = true;
}

static void url_set(struct loader *ld, struct conf_camera *cam, const struct key *k, const char *value)
{
    bool lavfi = strncmp(value, "lavfi:", 6) == 0;

    if (*value == '\0' || *value == '-' || (lavfi && value[6] == '\0')) {
        value_error(ld, ld->line, ld->section_label, k->name,
                    lavfi ? "lavfi:GRAPH with a GRAPH" : k->expect, value);
        return;
    }
    free(cam->url);
    if ((cam->url = strdup(value)) == NULL) {
        ld->nomem = true;
        return;
    }
    cam->lavfi = lavfi;
    cam->input = lavfi ? cam->url + 6 : cam->url;
}

static void words_set(struct loader *ld, struct conf_camera *cam, const struct key *k, const char *value)
{
    char why[128], expect[256];
    int rc;

    conf_words_free(&cam->input_options);
    cam->input_option_count = 0;
    rc = conf_words_split(value, &cam->input_options, &cam->input_option_count, why, sizeof why);
    if (rc == -ENOMEM) {
        ld->nomem = true;
    } else if (rc < 0) {
        snprintf(expect, sizeof expect, "%s (%s)", k->expect, why);
        value_error(ld, ld->line, ld->section_label, k->name, expect, value);
    }
}

/* Frame rates: a decimal, or N/D as FFmpeg writes NTSC rates (30000/1001). */
static int fps_parse(const char *s, double *fps)
{
    const char *slash = strchr(s, '/');
    uint64_t num, den;
    char b[32];

    if (slash == NULL)
        return conf_decimal_parse(s, fps);
    if ((size_t)(slash - s) >= sizeof b)
        return -EINVAL;
    memcpy(b, s, (size_t)(slash - s));
    b[slash - s] = '\0';
    if (conf_uint_parse(b, 1000000, &num) < 0 || conf_uint_parse(slash + 1, 1000000, &den) < 0 ||
        den == 0)
        return -EINVAL;
    *fps = (double)num / (double)den;
    return 0;
}

static int log_level_parse(const char *s, enum conf_log_level *level)
{
    static const char *const names[] = {
        [CONF_LOG_ERROR] = "error", [CONF_LOG_WARN] = "warn",
        [CONF_LOG_INFO] = "info", [CONF_LOG_DEBUG] = "debug",
    };
    for (int i = 0; i <= CONF_LOG_DEBUG; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *level = (enum conf_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

static int string_set(char *dst, size_t len, const char *value)
{
    if (strlen(value) >= len)
        return -ENAMETOOLONG;
    memcpy(dst, value, strlen(value) + 1);
    return 0;
}

/* Parses value for key k into base (struct conf or struct conf_camera).
 * Returns false if the value is refused; the caller reports it. */
static bool value_parse(const struct key *k, char *base, const char *value)
{
    void *f = base + k->off;
    uint64_t u;
    double d;
    unsigned mode;
    enum conf_log_level level;
    int fmt;

    switch (k->kind) {
    case K_NAME:
        return conf_name_valid(value) && string_set(f, CONF_NAME_MAX + 1, value) == 0;
    case K_DIR:
        return value[0] == '/' && string_set(f, PATH_MAX, value) == 0;
    case K_PATH:
        return value[0] != '\0' && string_set(f, PATH_MAX, value) == 0;
    case K_PATH_OPT:
        return string_set(f, PATH_MAX, value) == 0;
    case K_SIZE:
        if (conf_size_parse(value, &u) < 0 || u < k->umin || u > k->umax)
            return false;
        *(uint64_t *)f = u;
        return true;
    case K_SIZE_AUTO:
        if (strcmp(value, "auto") == 0)
            u = 0;
        else if (conf_size_parse(value, &u) < 0 || u < k->umin || u > k->umax)
            return false;
        *(uint64_t *)f = u;
        return true;
    case K_DATA_RATE:
        if (conf_size_parse(value, &u) == 0) {
            *(uint64_t *)f = u;
            return true;
        }
        if (conf_rate_parse(value, &d) < 0 || d >= 18446744073709551616.0)
            return false;
        *(uint64_t *)f = (uint64_t)d;
        return true;
    case K_RATE:
        if (conf_rate_parse(value, &d) < 0 || !(d > 0))
            return false;
        *(double *)f = d;
        return true;
    case K_RATIO:
        if (conf_decimal_parse(value, &d) < 0 || !(d > 0) || d > 1)
            return false;
        *(double *)f = d;
        return true;
    case K_DECIMAL:
        if (conf_decimal_parse(value, &d) < 0 || d < k->dmin || d > k->dmax)
            return false;
        *(double *)f = d;
        return true;
    case K_FPS:
        if (fps_parse(value, &d) < 0 || d < k->dmin || d > k->dmax)
            return false;
        *(double *)f = d;
        return true;
    case K_DURATION:
        if (conf_duration_parse(value, &u) < 0 || u < k->umin || u > k->umax)
            return false;
        *(uint64_t *)f = u;
        return true;
    case K_U32:
        if (conf_uint_parse(value, k->umax, &u) < 0 || u < k->umin)
            return false;
        *(uint32_t *)f = (uint32_t)u;
        return true;
    case K_MODE:
        if (conf_mode_parse(value, &mode) < 0 || (mode & 0600) != 0600)
            return false;
        *(unsigned *)f = mode;
        return true;
    case K_BOOL:
        return conf_bool_parse(value, f) == 0;
    case K_LOG_LEVEL:
        if (log_level_parse(value, &level) < 0)
            return false;
        *(enum conf_log_level *)f = level;
        return true;
    case K_PIX_FMT:
        if ((fmt = pixfmt_from_name(value)) < 0)
            return false;
        *(enum pixfmt *)f = (enum pixfmt)fmt;
        return true;
    case K_PUBLISH:
    case K_URL:
    case K_WORDS:
        break;
    }
    abort();
}

/* inih's handler: one key of the current line. Always returns 1 (carry on):
 * errors are gathered in the loader, not counted by inih. */
static int key_handle(void *user, const char *section, const char *name, const char *value)
{
    struct loader *ld = user;
    const struct key *table;
    size_t count;
    int *lines;
    char *base;

    (void)section, (void)name, (void)value;
    if (ld->key == NULL || ld->section == SEC_UNKNOWN)
        return 1;
    if (ld->section == SEC_NONE) {
        char b[SHOWN_VALUE_MAX + 8];
        error_add(ld, ld->line, "%s: expected the key inside a section, [supervisor] or "
                  "[camera NAME], got '%s'", ld->key, shown(ld->value, b, sizeof b));
        return 1;
    }
    if (ld->section == SEC_SUPERVISOR) {
        table = supervisor_keys, count = NSUP;
        lines = ld->sup_line, base = (char *)ld->conf;
    } else {
        table = camera_keys, count = NCAM;
        lines = ld->cam_lines[ld->camera].key;
        base = (char *)&ld->conf->cameras[ld->camera];
    }
    for (size_t i = 0; i < count; i++) {
        const struct key *k = &table[i];
        if (strcmp(k->name, ld->key) != 0)
            continue;
        if (lines[i] != 0) {
            char expect[64];
            snprintf(expect, sizeof expect, "the key once (set on line %d)", lines[i]);
            value_error(ld, ld->line, ld->section_label, k->name, expect, ld->value);
            return 1;
        }
        lines[i] = ld->line;
        if (ld->section == SEC_SUPERVISOR && (ld->sup_raw[i] = strdup(ld->value)) == NULL)
            ld->nomem = true;
        if (k->kind == K_PUBLISH)
            publish_set(ld, ld->value);
        else if (k->kind == K_URL)
            url_set(ld, (struct conf_camera *)base, k, ld->value);
        else if (k->kind == K_WORDS)
            words_set(ld, (struct conf_camera *)base, k, ld->value);
        else if (!value_parse(k, base, ld->value))
            value_error(ld, ld->line, ld->section_label, k->name, k->expect, ld->value);
        return 1;
    }
    {
        char b[SHOWN_VALUE_MAX + 8];
        error_add(ld, ld->line, "[%s] %s: expected a known key of [%s], got '%s'", ld->section_label,
                  ld->key, ld->section == SEC_SUPERVISOR ? "supervisor" : "camera NAME",
                  shown(ld->key, b, sizeof b));
    }
    return 1;
}

/* ---- the whole-file rules -------------------------------------------- */

/* The values as written in the file for the keys of the rules between two
 * keys, when the file leaves them to their defaults. */
static const char *default_text(size_t key)
{
    switch (key) {
    case SUP_SOFT: return "0.80";
    case SUP_HARD: return "0.95";
    case SUP_CRITICAL: return "0.98";
    case SUP_BACKOFF_INITIAL: return "500ms";
    case SUP_BACKOFF_MAX: return "30s";
    case SUP_GROWTH_WARNING: return "10M/h";
    case SUP_GROWTH_CRITICAL: return "50M/h";
    }
    abort();
}

/* Reports a broken rule "a below b" (or "at most") at the later of the two
 * keys set in the file: "b: expected above a (VALUE)" or, if b is defaulted,
 * "a: expected below b (VALUE)". Defaults alone never break a rule. */
static void order_check(struct loader *ld, size_t a, size_t b, bool ok, const char *below,
                        const char *above)
{
    size_t which = ld->sup_line[b] != 0 ? b : a, other = which == b ? a : b;
    const char *other_text = ld->sup_raw[other] ? ld->sup_raw[other] : default_text(other);
    char expect[256];

    if (ok || ld->sup_line[which] == 0 || ld->sup_raw[which] == NULL)
        return;
    snprintf(expect, sizeof expect, "a value %s %s (%s)", which == b ? above : below,
             supervisor_keys[other].name, other_text);
    value_error(ld, ld->sup_line[which], "supervisor", supervisor_keys[which].name, expect,
                ld->sup_raw[which]);
}

static void cameras_check(struct loader *ld)
{
    static const size_t required[] = { CAM_URL, CAM_WIDTH, CAM_HEIGHT };
    static const char *const what[] = { "a URL", "a width", "a height" };
    struct conf *conf = ld->conf;
    size_t enabled = 0;
    size_t over = 0;

    for (size_t i = 0; i < conf->camera_count; i++) {
        struct conf_camera *cam = &conf->cameras[i];

        for (size_t r = 0; r < 3; r++) {
            if (ld->cam_lines[i].key[required[r]] == 0)
                error_add(ld, cam->line, "[camera %s] %s: expected %s (the key is required), "
                          "got nothing", cam->name, camera_keys[required[r]].name, what[r]);
        }
        if (cam->enabled && ++enabled == (size_t)conf->max_cameras + 1)
            over = i;
    }
    if (enabled <= conf->max_cameras)
        return;
    if (ld->sup_line[SUP_MAX_CAMERAS] != 0)
        error_add(ld, ld->sup_line[SUP_MAX_CAMERAS], "[supervisor] max_cameras: expected at least "
                  "the number of enabled cameras (%zu), got '%u'", enabled, conf->max_cameras);
    else
        error_add(ld, conf->cameras[over].line, "[camera %s]: expected at most max_cameras (%u) "
                  "enabled cameras, got %zu", conf->cameras[over].name, conf->max_cameras, enabled);
}

static void security_check(struct loader *ld)
{
    struct conf *conf = ld->conf;
    bool secret = conf->curve_secret_key[0] != '\0';
    bool clients = conf->curve_client_keys[0] != '\0';

    if (secret != clients) {
        size_t set = secret ? SUP_CURVE_SECRET : SUP_CURVE_CLIENTS;
        size_t unset = secret ? SUP_CURVE_CLIENTS : SUP_CURVE_SECRET;
        char expect[128];
        snprintf(expect, sizeof expect, "%s to be set with it", supervisor_keys[unset].name);
        value_error(ld, ld->sup_line[set], "supervisor", supervisor_keys[set].name, expect,
                    secret ? conf->curve_secret_key : conf->curve_client_keys);
    }
    for (size_t i = 0; i < conf->publish_count; i++) {
        bool remote;
        (void)endpoint_check(conf->publish[i], &remote);
        if (remote && !(secret && clients) && !conf->allow_insecure_tcp)
            value_error(ld, ld->sup_line[SUP_PUBLISH], "supervisor", "publish",
                        "a loopback tcp:// endpoint (127.0.0.0/8, localhost, [::1]) unless "
                        "curve_secret_key and curve_client_keys are set or allow_insecure_tcp = yes",
                        conf->publish[i]);
    }
}

static void supervisor_check(struct loader *ld)
{
    struct conf *conf = ld->conf;
    size_t need;

    order_check(ld, SUP_SOFT, SUP_HARD, conf->soft_limit < conf->hard_limit, "below", "above");
    order_check(ld, SUP_HARD, SUP_CRITICAL, conf->hard_limit < conf->critical_limit, "below", "above");
    order_check(ld, SUP_BACKOFF_INITIAL, SUP_BACKOFF_MAX,
                conf->backoff_max_ns >= conf->backoff_initial_ns, "at most", "at least");
    order_check(ld, SUP_GROWTH_WARNING, SUP_GROWTH_CRITICAL,
                conf->growth_warning < conf->growth_critical, "below", "above");

    /* The control and publish sockets are runtime_dir/NAME.ctl and .pub:
     * their paths must fit in a socket address. */
    need = strlen(conf->runtime_dir) + 1 + strlen(conf->name) + 4;
    if (need > IPC_PATH_MAX) {
        char expect[160];
        snprintf(expect, sizeof expect, "a directory short enough for the socket %s/%s.ctl "
                 "(at most %zu bytes)", "DIR", conf->name, IPC_PATH_MAX);
        value_error(ld, ld->sup_line[SUP_RUNTIME_DIR] ? ld->sup_line[SUP_RUNTIME_DIR]
                                                      : ld->sup_line[SUP_NAME],
                    "supervisor", "runtime_dir", expect, conf->runtime_dir);
    }
    security_check(ld);
}

/* ---- the public functions -------------------------------------------- */

void conf_defaults(struct conf *conf)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n = -1;

    memset(conf, 0, sizeof *conf);
    snprintf(conf->name, sizeof conf->name, "default");
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(conf->runtime_dir, sizeof conf->runtime_dir, "%s/camarena", xdg);
    if (n < 0 || (size_t)n >= sizeof conf->runtime_dir)
        snprintf(conf->runtime_dir, sizeof conf->runtime_dir, "/tmp/camarena-%u", (unsigned)getuid());
    snprintf(conf->ffmpeg, sizeof conf->ffmpeg, "ffmpeg");
    conf->global_limit = 6ULL << 30;
    conf->soft_limit = 0.80;
    conf->hard_limit = 0.95;
    conf->critical_limit = 0.98;
    conf->monitor_interval_ns = 1 * SEC;
    conf->backoff_initial_ns = 500 * MS;
    conf->backoff_max_ns = 30 * SEC;
    conf->backoff_multiplier = 2.0;
    conf->backoff_jitter = 0.2;
    conf->backoff_reset_ns = 60 * SEC;
    conf->stall_timeout_ns = 10 * SEC;
    conf->growth_warning = 10.0 * MIB / 3600.0;
    conf->growth_critical = 50.0 * MIB / 3600.0;
    conf->growth_warmup_ns = 60 * SEC;
    conf->arena_mode = 0640;
    conf->arena_size = 0;
    conf->max_cameras = 64;
    conf->log_level = CONF_LOG_INFO;
    conf->allow_insecure_tcp = false;
}

/* Errors sort by line, those of no line last; a stable sort, so errors of
 * one line keep the order they were found in. */
static int error_rank(const struct error *e)
{
    return e->line > 0 ? e->line : INT_MAX;
}

/* Writes the gathered errors, sorted by line, into errs: whole lines while
 * they fit, the count of all. */
static void errors_write(struct loader *ld, struct conf_errors *errs)
{
    size_t used = 0;
    bool full = false;

    /* Insertion sort: errors come nearly sorted, and it is stable. */
    for (size_t i = 1; i < ld->error_count; i++) {
        struct error e = ld->errors[i];
        size_t j = i;
        while (j > 0 && error_rank(&ld->errors[j - 1]) > error_rank(&e)) {
            ld->errors[j] = ld->errors[j - 1];
            j--;
        }
        ld->errors[j] = e;
    }
    errs->count = ld->error_count;
    errs->text[0] = '\0';
    for (size_t i = 0; i < ld->error_count && !full; i++) {
        size_t n = strlen(ld->errors[i].text);
        if (used + n + 2 > sizeof errs->text) {
            full = true;
            break;
        }
        memcpy(errs->text + used, ld->errors[i].text, n);
        used += n;
        errs->text[used++] = '\n';
        errs->text[used] = '\0';
    }
}

static void loader_free(struct loader *ld)
{
    for (size_t i = 0; i < ld->error_count; i++)
        free(ld->errors[i].text);
    free(ld->errors);
    free(ld->cam_lines);
    for (size_t i = 0; i < NSUP; i++)
        free(ld->sup_raw[i]);
    free(ld->buf);
    if (ld->file != NULL)
        fclose(ld->file);
}

static int fail_open(struct conf_errors *errs, const char *path, const char *what, int err)
{
    char eb[128] = "";
    if (strerror_r(err, eb, sizeof eb) != 0)
        snprintf(eb, sizeof eb, "error %d", err);
    errs->count = 1;
    snprintf(errs->text, sizeof errs->text, "%s: %s: %s\n", path, what, eb);
    return -err;
}

int conf_load(struct conf *conf, const char *path, struct conf_errors *errs)
{
    struct loader ld = { .conf = conf, .path = path, .section = SEC_NONE };
    int rc;

    conf_defaults(conf);
    errs->count = 0;
    errs->text[0] = '\0';
    snprintf(ld.section_label, sizeof ld.section_label, "%s", "");
    if (string_set(conf->path, sizeof conf->path, path) < 0)
        return fail_open(errs, path, "cannot read", ENAMETOOLONG);
    ld.file = fopen(path, "re");
    if (ld.file == NULL)
        return fail_open(errs, path, "cannot read", errno);

    rc = ini_parse_stream(line_read, &ld, key_handle, &ld);
    if (ld.read_errno != 0) {
        rc = fail_open(errs, path, "cannot read", ld.read_errno);
        goto err;
    }
    if (rc == -2)
        ld.nomem = true;
    else if (rc != 0)
        error_add(&ld, rc, "expected KEY = VALUE or [SECTION], got a line inih refused");
    supervisor_check(&ld);
    cameras_check(&ld);
    if (ld.nomem) {
        rc = -ENOMEM;
        fail_open(errs, path, "cannot load", ENOMEM);
        goto err;
    }
    if (ld.error_count > 0) {
        rc = -EINVAL;
        errors_write(&ld, errs);
        goto err;
    }
    loader_free(&ld);
    return 0;
err:
    loader_free(&ld);
    conf_close(conf);
    return rc;
}

void conf_close(struct conf *conf)
{
    publish_free(conf);
    for (size_t i = 0; i < conf->camera_count; i++) {
        free(conf->cameras[i].url);
        conf_words_free(&conf->cameras[i].input_options);
    }
    free(conf->cameras);
    conf->cameras = NULL;
    conf->camera_count = 0;
}

const struct conf_camera *conf_camera_find(const struct conf *conf, const char *name)
{
    for (size_t i = 0; i < conf->camera_count; i++)
        if (strcmp(conf->cameras[i].name, name) == 0)
            return &conf->cameras[i];
    return NULL;
}

bool conf_name_valid(const char *name)
{
    size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    return n >= 1 && n <= CONF_NAME_MAX && name[n] == '\0';
}
