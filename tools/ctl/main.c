/* camarena-ctl - sends one control verb to camarenad (SPEC 6) and prints the reply.
 *
 *   camarena-ctl [-c FILE | -e ENDPOINT] [--json] [-t SECONDS] VERB [ARG...]
 *   camarena-ctl keygen [--name NAME] DIR
 *
 * keygen runs here, without a daemon: it writes a CURVE key pair,
 * DIR/NAME.key (secret, 0600) and DIR/NAME.pub (0644), NAME "server" by
 * default, and prints the public key (tools/ctl/keygen.h).
 *
 * Exit status: 0 the reply was "ok", 1 it was "error" (the sentence goes to
 * stderr) or no answer came, 2 usage or conf error. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "conf/conf.h"
#include "ipc/proto.h"
#include "tools/ctl/keygen.h"
#include "tools/ctl/status.h"

#define PROG "camarena-ctl"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

struct reply {
    char *status; /* owned, NUL-terminated */
    char *body;   /* owned, NUL-terminated */
    size_t body_len;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [-c FILE | -e ENDPOINT] [--json] [-t SECONDS] VERB [ARG...]\n"
            "  -c, --conf FILE        find the control endpoint from the instance's conf\n"
            "  -e, --endpoint EP      the control endpoint (ipc://RUNTIME_DIR/NAME.ctl)\n"
            "      --json             print status as the raw JSON body\n"
            "  -t, --timeout SECONDS  how long to wait for the answer (default 5)\n"
            "verbs: ping, status [CAMERA], restart CAMERA, pause CAMERA, resume CAMERA,\n"
            "       metrics, reload\n"
            "       " PROG " keygen [--name NAME] DIR   writes a CURVE key pair DIR/NAME.key (secret,\n"
            "       0600) and DIR/NAME.pub; NAME defaults to server; prints the public key\n"
            "exit: 0 ok, 1 error or no answer, 2 usage\n");
}

/* Fills endpoint from the conf at path. Returns 0, or prints why and returns -1. */
static int endpoint_from_conf(char *endpoint, size_t len, const char *path)
{
    struct conf conf;
    static struct conf_errors errs;
    int rc = conf_load(&conf, path, &errs);
    if (rc < 0) {
        fputs(errs.text, stderr);
        if (!errs.text[0])
            fprintf(stderr, PROG ": %s: %s\n", path, strerror(-rc));
        return -1;
    }
    rc = ipc_endpoint(endpoint, len, conf.runtime_dir, conf.name, IPC_CTL);
    if (rc < 0)
        fprintf(stderr, PROG ": %s: the control socket path in %s is too long\n", path, conf.runtime_dir);
    conf_close(&conf);
    return rc < 0 ? -1 : 0;
}

static char *msg_strdup(zmq_msg_t *m, size_t *len)
{
    size_t n = zmq_msg_size(m);
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, zmq_msg_data(m), n);
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

/* Receives the two-part reply. Returns 0, or -EPROTO for any other shape. */
static int reply_recv(void *sock, struct reply *r)
{
    int rc = 0, part = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            rc = -errno;
            zmq_msg_close(&m);
            return rc;
        }
        if (part == 0)
            r->status = msg_strdup(&m, NULL);
        else if (part == 1)
            r->body = msg_strdup(&m, &r->body_len);
        else
            rc = -EPROTO;
        part++;
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        if (!more)
            break;
    }
    if (part != 2 || !r->status || !r->body)
        rc = rc < 0 ? rc : -EPROTO;
    return rc;
}

/* Sends the request and waits timeout_ms for the reply. Returns 0, -ETIMEDOUT
 * with nothing in r, or another -errno. */
static int request(void *ctx, const char *endpoint, char **parts, int nparts, int timeout_ms,
                   struct reply *r)
{
    int rc = 0, linger = 0;
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    if (!sock)
        return -errno;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_connect(sock, endpoint) < 0) {
        rc = -errno;
        goto out;
    }
    for (int i = 0; i < nparts; i++) {
        if (zmq_send(sock, parts[i], strlen(parts[i]), i + 1 < nparts ? ZMQ_SNDMORE : 0) < 0) {
            rc = -errno;
            goto out;
        }
    }
    zmq_pollitem_t item = { .socket = sock, .events = ZMQ_POLLIN };
    int n = zmq_poll(&item, 1, timeout_ms);
    if (n < 0)
        rc = -errno;
    else if (n == 0)
        rc = -ETIMEDOUT;
    else
        rc = reply_recv(sock, r);
out:
    zmq_close(sock);
    return rc;
}

/* camarena-ctl keygen [--name NAME] DIR */
static int keygen_main(int argc, char **argv)
{
    const char *name = "server", *dir = NULL;
    char pub[KEYGEN_KEY_Z85 + 1], err[PATH_MAX + 128];

    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--name") == 0 || strcmp(argv[i], "-n") == 0) && i + 1 < argc)
            name = argv[++i];
        else if (strncmp(argv[i], "--name=", 7) == 0)
            name = argv[i] + 7;
        else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, PROG ": keygen: unexpected '%s'\nusage: " PROG " keygen [--name NAME] DIR\n", argv[i]);
            return EXIT_USAGE;
        } else
            dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, PROG ": keygen: name the directory\nusage: " PROG " keygen [--name NAME] DIR\n");
        return EXIT_USAGE;
    }
    int rc = keygen_write(dir, name, pub, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": keygen: %s\n", err);
        return rc == -EINVAL ? EXIT_USAGE : EXIT_ERROR;
    }
    printf("%s\n", pub);
    fprintf(stderr, PROG ": wrote %s/%s.key (secret, 0600) and %s/%s.pub\n", dir, name, dir, name);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "conf", required_argument, NULL, 'c' },
        { "endpoint", required_argument, NULL, 'e' },
        { "json", no_argument, NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf_path = NULL, *endpoint_arg = NULL;
    bool json = false;
    double timeout_s = 5;
    int opt;
    while ((opt = getopt_long(argc, argv, "+c:e:t:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': conf_path = optarg; break;
        case 'e': endpoint_arg = optarg; break;
        case 'j': json = true; break;
        case 't': {
            char *end;
            timeout_s = strtod(optarg, &end);
            if (end == optarg || *end || !(timeout_s > 0 && timeout_s < 86400)) {
                fprintf(stderr, PROG ": --timeout wants seconds, got '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc && strcmp(argv[optind], "keygen") == 0)
        return keygen_main(argc - optind, argv + optind);
    if (optind >= argc || !!conf_path == !!endpoint_arg) {
        if (optind >= argc)
            fprintf(stderr, PROG ": no verb given\n");
        else
            fprintf(stderr, PROG ": give one of -c FILE or -e ENDPOINT\n");
        usage(stderr);
        return EXIT_USAGE;
    }

    char endpoint[IPC_ENDPOINT_MAX];
    if (conf_path) {
        if (endpoint_from_conf(endpoint, sizeof(endpoint), conf_path) < 0)
            return EXIT_USAGE;
    } else {
        snprintf(endpoint, sizeof(endpoint), "%s", endpoint_arg);
    }
    /* ZeroMQ connects to ipc:// lazily and would wait for a socket that does
     * not exist: say at once that no daemon is there. */
    const char *path = ipc_endpoint_path(endpoint);
    struct stat st;
    if (path && stat(path, &st) < 0) {
        fprintf(stderr, PROG ": no camarenad at %s: %s\n", endpoint, strerror(errno));
        return EXIT_ERROR;
    }

    char **parts = argv + optind;
    int nparts = argc - optind;
    bool status_table = strcmp(parts[0], "status") == 0 && !json;
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        fprintf(stderr, PROG ": zmq_ctx_new: %s\n", strerror(errno));
        return EXIT_ERROR;
    }
    struct reply r = { 0 };
    int rc = request(ctx, endpoint, parts, nparts, (int)(timeout_s * 1000), &r);
    int code = EXIT_ERROR;
    if (rc == -ETIMEDOUT) {
        fprintf(stderr, PROG ": no answer from %s\n", endpoint);
    } else if (rc < 0) {
        fprintf(stderr, PROG ": %s: %s\n", endpoint, rc == -EPROTO ? "malformed reply" : zmq_strerror(-rc));
    } else if (strcmp(r.status, "ok") == 0) {
        code = EXIT_OK;
        if (!status_table || status_print(stdout, r.body, r.body_len) < 0) {
            fwrite(r.body, 1, r.body_len, stdout);
            if (r.body_len && r.body[r.body_len - 1] != '\n')
                fputc('\n', stdout);
        }
    } else if (strcmp(r.status, "error") == 0) {
        fprintf(stderr, PROG ": %s\n", r.body);
    } else {
        fprintf(stderr, PROG ": %s: unexpected reply '%s'\n", endpoint, r.status);
    }
    free(r.status);
    free(r.body);
    zmq_ctx_term(ctx);
    if (fflush(stdout) != 0 && code == EXIT_OK) {
        fprintf(stderr, PROG ": writing the reply: %s\n", strerror(errno));
        code = EXIT_ERROR;
    }
    return code;
}
