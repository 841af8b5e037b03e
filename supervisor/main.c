/* main.c - camarenad: `camarenad -c FILE [--check]`.
 *
 * Exit status: 0 after a clean stop (or a valid conf with --check), 1 when
 * the instance fails at run time (the arena or a socket cannot be made,
 * another instance of the same name runs), 2 for a bad conf or bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "supervisor/log.h"
#include "supervisor/plan.h"
#include "supervisor/supervisor.h"
#include "supervisor/zap.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: camarenad -c FILE [--check]\n"
               "  -c, --conf FILE  the conf file (see conf/example.ini)\n"
               "      --check      validate the conf, print the arena plan, exit\n"
               "exit status: 0 clean stop, 1 runtime failure, 2 conf or usage error\n");
}

/* The CURVE key files are part of the conf: a bad one is a conf error
 * (exit 2, with its file and line), found by --check and before a start.
 * Returns 0, or the number of files in error, each said on stderr. */
static int keys_check(const struct conf *conf)
{
    uint8_t secret[ZAP_KEY_BYTES], (*clients)[ZAP_KEY_BYTES] = NULL;
    size_t count = 0;
    char err[512];
    int bad = 0;

    if (!conf->curve_secret_key[0])
        return 0;
    if (zap_secret_read(conf->curve_secret_key, secret, err, sizeof(err)) < 0) {
        fprintf(stderr, "camarenad: %s: curve_secret_key: %s\n", conf->path, err);
        bad++;
    }
    memset(secret, 0, sizeof(secret));
    if (zap_clients_read(conf->curve_client_keys, &clients, &count, err, sizeof(err)) < 0) {
        fprintf(stderr, "camarenad: %s: curve_client_keys: %s\n", conf->path, err);
        bad++;
    }
    free(clients);
    return bad;
}

static int check(const struct conf *conf)
{
    struct arena_plan plan;
    char err[512];

    memset(&plan, 0, sizeof(plan));
    if (plan_from_conf(&plan, conf, err, sizeof(err)) < 0) {
        fprintf(stderr, "camarenad: %s: %s\n", conf->path, err);
        keys_check(conf);
        return 2;
    }
    if (keys_check(conf) > 0) {
        arena_plan_close(&plan);
        return 2;
    }
    printf("%s: ok\n", conf->path);
    plan_print(stdout, conf, &plan);
    arena_plan_close(&plan);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"conf", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct conf conf;
    static struct conf_errors errs;
    struct supervisor *s = NULL;
    const char *path = NULL;
    bool check_only = false;
    char err[1024];
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check_only = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (conf_load(&conf, path, &errs) < 0) {
        fputs(errs.text, stderr);
        if (errs.count > 0 && strlen(errs.text) == 0)
            fprintf(stderr, "camarenad: %s: %zu errors\n", path, errs.count);
        return 2;
    }
    if (check_only) {
        rc = check(&conf);
        conf_close(&conf);
        return rc;
    }

    if (keys_check(&conf) > 0) {
        conf_close(&conf);
        return 2;
    }
    log_init(conf.name, conf.log_level);
    if (supervisor_new(&s, &conf, err, sizeof(err)) < 0) {
        log_error("%s", err);
        conf_close(&conf);
        return 1;
    }
    rc = supervisor_run(s);
    supervisor_destroy(&s);
    conf_close(&conf);
    return rc;
}
