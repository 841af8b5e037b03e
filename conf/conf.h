/* conf.h - the camarena conf file (SPEC section 2): parsed with inih, validated whole. */
#ifndef CAMARENA_CONF_H
#define CAMARENA_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena/pixfmt.h"

#define CONF_NAME_MAX 63       /* instance and camera names: [A-Za-z0-9_-]{1,63} */
#define CONF_ERRORS_MAX 16384  /* bytes of error text kept by conf_load */

enum conf_log_level { CONF_LOG_ERROR, CONF_LOG_WARN, CONF_LOG_INFO, CONF_LOG_DEBUG };

struct conf_camera {
    char name[CONF_NAME_MAX + 1];
    int line;                  /* line of the [camera NAME] header, for messages */
    char *url;                 /* owned; as written in the file */
    bool lavfi;                /* url is "lavfi:<graph>" */
    const char *input;         /* what follows -i: the graph for lavfi, else url (points into url) */
    char **input_options;      /* owned, NULL-terminated words of input_options */
    size_t input_option_count;
    uint32_t width;            /* 16..8192, even not required */
    uint32_t height;           /* 16..8192 */
    enum pixfmt pix_fmt;       /* default bgr24 */
    double fps;                /* 0..240; 0 keeps the source rate; default 15 */
    uint32_t slots;            /* 2..1024; default 30 */
    uint32_t priority;         /* 0..100; default 50 */
    uint64_t memory_limit;     /* bytes; default 400M */
    uint64_t max_age_ns;       /* default 10s */
    bool data;                 /* default on */
    uint64_t data_rate_limit;  /* bytes per second, 0 = none */
    bool enabled;              /* default yes */
};

struct conf {
    char path[PATH_MAX];          /* the file it was read from */
    char name[CONF_NAME_MAX + 1]; /* default "default" */
    char runtime_dir[PATH_MAX];   /* default $XDG_RUNTIME_DIR/camarena, else /tmp/camarena-<uid> */
    char **publish;               /* owned, NULL-terminated extra publish endpoints */
    size_t publish_count;
    char ffmpeg[PATH_MAX];        /* default "ffmpeg" */
    uint64_t global_limit;        /* bytes; default 6G */
    double soft_limit;            /* ratios in (0,1], soft < hard < critical */
    double hard_limit;
    double critical_limit;
    uint64_t monitor_interval_ns; /* default 1s */
    uint64_t backoff_initial_ns;  /* default 500ms */
    uint64_t backoff_max_ns;      /* default 30s, >= backoff_initial */
    double backoff_multiplier;    /* 1.0..10.0; default 2.0 */
    double backoff_jitter;        /* 0..0.5; default 0.2 */
    uint64_t backoff_reset_ns;    /* default 60s */
    uint64_t stall_timeout_ns;    /* default 10s */
    double growth_warning;        /* bytes per second (written like 10M/h); default 10M/h */
    double growth_critical;       /* bytes per second; default 50M/h, > growth_warning */
    uint64_t growth_warmup_ns;    /* growth samples ignored this long after a start; 0..1h, default 60s */
    unsigned arena_mode;          /* octal in the file; default 0640 */
    uint64_t arena_size;          /* bytes, 0 = auto */
    uint32_t max_cameras;         /* 1..4096; default 64, >= enabled camera count */
    enum conf_log_level log_level;
    char metrics_file[PATH_MAX];  /* empty = none */
    bool allow_insecure_tcp;
    char curve_secret_key[PATH_MAX];  /* empty = none */
    char curve_client_keys[PATH_MAX]; /* empty = none */
    struct conf_camera *cameras;  /* owned, in file order, disabled ones included */
    size_t camera_count;
};

/* All the errors of one conf_load, one line each:
 * "FILE:LINE: [SECTION] KEY: what was expected, got 'VALUE'". */
struct conf_errors {
    size_t count;                 /* errors found, even those whose text did not fit */
    char text[CONF_ERRORS_MAX];   /* NUL-terminated, '\n' after each line */
};

/* Fills conf with every default of SPEC section 2 (no cameras). Never fails. */
void conf_defaults(struct conf *conf);

/* Reads and validates the file at path into conf (conf_defaults first).
 * Returns 0 on success. Returns -EINVAL if the file has errors: every one is
 * in errs and conf holds nothing to free. Returns another -errno if the file
 * cannot be read, with one line in errs. On failure conf needs no conf_close. */
int conf_load(struct conf *conf, const char *path, struct conf_errors *errs);

/* Frees what conf_load allocated; conf can be loaded again. */
void conf_close(struct conf *conf);

/* Returns the camera named name, or NULL. */
const struct conf_camera *conf_camera_find(const struct conf *conf, const char *name);

/* Returns true if name is a valid instance or camera name. */
bool conf_name_valid(const char *name);

#endif
