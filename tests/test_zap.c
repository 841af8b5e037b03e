/* test_zap.c - CURVE keys and the ZAP handler (supervisor/zap.h): key
 * files good and bad, the handler's answers to raw ZAP requests, and a real
 * exchange on one XPUB bound plain on ipc:// and CURVE on
 * tcp://127.0.0.1:<ephemeral>, served from a single-threaded poll loop as
 * camarenad serves it. Clients live in a context of their own, so that the
 * handler never judges them. Loopback and a temporary directory only. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "supervisor/zap.h"

/* 39 Z85 characters: one short of a key. Bad lines are built from it, not
 * from random keys, which may start with '#' (a Z85 character). */
#define KEY39 "abcdefghij0123456789ABCDEFGHIJ.-:+=^!/*"
#define MONITOR "inproc://test-zap-monitor"
#define GUARD_NS (15ull * 1000000000ull) /* failure guard of the exchange */

struct fixture {
    char dir[64];
    char path[128];
    char pub[ZAP_KEY_Z85 + 1], secret[ZAP_KEY_Z85 + 1];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/test-zap-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/keys", f->dir);
    if (zmq_curve_keypair(f->pub, f->secret) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* ---- the secret key file -------------------------------------------------- */

static void test_secret_bare(void **state)
{
    struct fixture *f = *state;
    uint8_t key[ZAP_KEY_BYTES], want[ZAP_KEY_BYTES];
    char text[256], err[256] = "";

    snprintf(text, sizeof(text), "# the server's secret key\n\n  %s  \n", f->secret);
    write_file(f->path, text);
    assert_int_equal(zap_secret_read(f->path, key, err, sizeof(err)), 0);
    assert_non_null(zmq_z85_decode(want, f->secret));
    assert_memory_equal(key, want, ZAP_KEY_BYTES);
}

static void test_secret_zcert(void **state)
{
    struct fixture *f = *state;
    uint8_t key[ZAP_KEY_BYTES], want[ZAP_KEY_BYTES];
    char text[512], err[256] = "";

    /* As czmq's zcert_save_secret writes it. */
    snprintf(text, sizeof(text),
             "#   ****  Generated on 2024-01-01 by CZMQ  ****\n"
             "#   ZeroMQ CURVE **Secret** Certificate\n"
             "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n"
             "metadata\n    name = \"camarena\"\ncurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
             f->pub, f->secret);
    write_file(f->path, text);
    assert_int_equal(zap_secret_read(f->path, key, err, sizeof(err)), 0);
    assert_non_null(zmq_z85_decode(want, f->secret));
    assert_memory_equal(key, want, ZAP_KEY_BYTES);
}

/* Expects zap_secret_read to refuse text with an error containing needle. */
static void secret_refused(struct fixture *f, const char *text, const char *needle)
{
    uint8_t key[ZAP_KEY_BYTES];
    char err[512] = "";

    write_file(f->path, text);
    assert_int_equal(zap_secret_read(f->path, key, err, sizeof(err)), -EINVAL);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not contain '%s'", err, needle);
    assert_non_null(strstr(err, f->path));
}

static void test_secret_bad(void **state)
{
    struct fixture *f = *state;
    char text[512], other_pub[ZAP_KEY_Z85 + 1], other_secret[ZAP_KEY_Z85 + 1], line[256];
    uint8_t key[ZAP_KEY_BYTES];
    char err[256];

    snprintf(text, sizeof(text), "# comment\n%s\n", KEY39);
    snprintf(line, sizeof(line), "%s:2: expected a key of 40 Z85 characters", f->path);
    secret_refused(f, text, line);
    snprintf(text, sizeof(text), "%s~\n", KEY39);
    secret_refused(f, text, ":1: expected a key of 40 Z85 characters, found a character outside Z85");
    secret_refused(f, "# nothing here\n\n", "no secret key");
    snprintf(text, sizeof(text), "curve\n    public-key = \"%s\"\n", f->pub);
    secret_refused(f, text, "looks like a public key file");
    assert_int_equal(zmq_curve_keypair(other_pub, other_secret), 0);
    snprintf(text, sizeof(text), "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", other_pub, f->secret);
    secret_refused(f, text, "its public-key is not that of its secret-key");
    snprintf(text, sizeof(text), "%s\n%s\n", f->secret, f->secret);
    secret_refused(f, text, ":2: expected one key only");
    snprintf(text, sizeof(text), "curve\n    secret-key = \"%s\"\n", KEY39);
    secret_refused(f, text, ":2: secret-key: expected a key of 40 Z85 characters");

    snprintf(text, sizeof(text), "%s/none", f->dir);
    assert_int_equal(zap_secret_read(text, key, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "No such file"));
}

static void test_public_read(void **state)
{
    struct fixture *f = *state;
    uint8_t key[ZAP_KEY_BYTES], want[ZAP_KEY_BYTES];
    char text[512], err[256] = "";

    assert_non_null(zmq_z85_decode(want, f->pub));
    snprintf(text, sizeof(text), "# the server's public key\n%s\n", f->pub);
    write_file(f->path, text);
    assert_int_equal(zap_public_read(f->path, key, err, sizeof(err)), 0);
    assert_memory_equal(key, want, ZAP_KEY_BYTES);
    /* A certificate, public or secret: its public-key line. */
    snprintf(text, sizeof(text), "metadata\ncurve\n    secret-key = \"%s\"\n    public-key = \"%s\"\n", f->secret,
             f->pub);
    write_file(f->path, text);
    memset(key, 0, sizeof(key));
    assert_int_equal(zap_public_read(f->path, key, err, sizeof(err)), 0);
    assert_memory_equal(key, want, ZAP_KEY_BYTES);
    snprintf(text, sizeof(text), "# x\n%s\n", KEY39);
    write_file(f->path, text);
    assert_int_equal(zap_public_read(f->path, key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, ":2: expected a key of 40 Z85 characters"));
    write_file(f->path, "# empty\n");
    assert_int_equal(zap_public_read(f->path, key, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "no public key"));
}

/* ---- the client list ----------------------------------------------------- */

static void test_clients_good(void **state)
{
    struct fixture *f = *state;
    char pubs[3][ZAP_KEY_Z85 + 1], secret[ZAP_KEY_Z85 + 1], text[512], err[256] = "";
    uint8_t (*keys)[ZAP_KEY_BYTES] = NULL;
    size_t count = 99;

    for (int i = 0; i < 3; i++)
        assert_int_equal(zmq_curve_keypair(pubs[i], secret), 0);
    snprintf(text, sizeof(text), "# clients allowed in\n\n%s\n   # indented comment\n\t%s  # laptop\n%s\n\n",
             pubs[0], pubs[1], pubs[2]);
    write_file(f->path, text);
    if (zap_clients_read(f->path, &keys, &count, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(count, 3);
    for (int i = 0; i < 3; i++) {
        uint8_t k[ZAP_KEY_BYTES];
        bool found = false;

        assert_non_null(zmq_z85_decode(k, pubs[i]));
        for (size_t j = 0; j < count; j++)
            found |= memcmp(keys[j], k, ZAP_KEY_BYTES) == 0;
        assert_true(found);
    }
    free(keys);

    /* An empty list is valid: nobody gets in. */
    write_file(f->path, "# nobody yet\n");
    assert_int_equal(zap_clients_read(f->path, &keys, &count, err, sizeof(err)), 0);
    assert_int_equal(count, 0);
    free(keys);
}

static void clients_refused(struct fixture *f, const char *text, const char *needle)
{
    uint8_t (*keys)[ZAP_KEY_BYTES] = (void *)1;
    size_t count = 99;
    char err[512] = "", want[256];

    write_file(f->path, text);
    assert_int_equal(zap_clients_read(f->path, &keys, &count, err, sizeof(err)), -EINVAL);
    assert_null(keys);
    assert_int_equal(count, 0);
    snprintf(want, sizeof(want), "%s:%s", f->path, needle);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_clients_bad(void **state)
{
    struct fixture *f = *state;
    char text[512], err[256];
    uint8_t (*keys)[ZAP_KEY_BYTES];
    size_t count;

    snprintf(text, sizeof(text), "# ok\n%s\n%s\n", f->pub, KEY39);
    clients_refused(f, text, "3: expected a key of 40 Z85 characters");
    snprintf(text, sizeof(text), "%s\n\n%sAB\n", f->pub, KEY39);
    clients_refused(f, text, "3: expected a key of 40 Z85 characters");
    snprintf(text, sizeof(text), "%s\"\n", KEY39);
    clients_refused(f, text, "1: expected a key of 40 Z85 characters, found a character outside Z85");
    snprintf(text, sizeof(text), "%s0 %s0\n", KEY39, KEY39);
    clients_refused(f, text, "1: expected a key of 40 Z85 characters");
    snprintf(text, sizeof(text), "public-key = \"%s\"\n", f->pub);
    clients_refused(f, text, "1: expected a key of 40 Z85 characters");

    snprintf(text, sizeof(text), "%s/none", f->dir);
    assert_int_equal(zap_clients_read(text, &keys, &count, err, sizeof(err)), -ENOENT);
}

/* ---- the handler's answers ------------------------------------------------- */

struct seen {
    int curve, plaintext, other;
    char last_key[ZAP_KEY_Z85 + 1];
    char last_text[512];
};

static void on_refused(void *arg, const struct zap_refusal *r)
{
    struct seen *s = arg;

    if (strcmp(r->mechanism, "CURVE") == 0) {
        s->curve++;
        snprintf(s->last_key, sizeof(s->last_key), "%s", r->key);
    } else if (strcmp(r->mechanism, "plaintext") == 0) {
        s->plaintext++;
    } else {
        s->other++;
    }
    snprintf(s->last_text, sizeof(s->last_text), "%s", r->text);
}

/* Writes the server key and a client list holding listed; starts a zap. */
static struct zap *zap_start(struct fixture *f, void *ctx, const char *listed, struct seen *seen)
{
    char secret_path[160], clients_path[160], text[128], err[256] = "";
    struct zap *z = NULL;

    snprintf(secret_path, sizeof(secret_path), "%s/server.key", f->dir);
    snprintf(clients_path, sizeof(clients_path), "%s/clients", f->dir);
    snprintf(text, sizeof(text), "%s\n", f->secret);
    write_file(secret_path, text);
    snprintf(text, sizeof(text), "# allowed\n%s\n", listed);
    write_file(clients_path, text);
    if (zap_new(&z, ctx, secret_path, clients_path, on_refused, seen, err, sizeof(err)) < 0)
        fail_msg("zap_new: %s", err);
    assert_string_equal(zap_public_key(z), f->pub);
    return z;
}

/* Sends one ZAP request on req and serves it; returns the reply's status code. */
static int ask(struct zap *z, void *req, const char *version, const char *domain, const char *mechanism,
               const void *cred, size_t cred_len, char *user_id)
{
    const char *head[] = { version, "id-7", domain, "127.0.0.9", "", mechanism };
    char parts[6][64];
    int n = 0, more = 1;

    for (int i = 0; i < 6; i++)
        assert_true(zmq_send(req, head[i], strlen(head[i]), (i < 5 || cred) ? ZMQ_SNDMORE : 0) >= 0);
    if (cred)
        assert_true(zmq_send(req, cred, cred_len, 0) >= 0);
    /* The request arrives on the handler's socket: wait for it, as camarenad's loop does. */
    zmq_pollitem_t item = {zap_socket(z), 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&item, 1, 10000), 1);
    assert_true(zap_handle(z) > 0);
    while (more) {
        size_t len = sizeof(more);
        int r = zmq_recv(req, parts[n < 6 ? n : 5], 63, 0);

        assert_true(r >= 0);
        parts[n < 6 ? n : 5][r > 63 ? 63 : r] = '\0';
        n++;
        zmq_getsockopt(req, ZMQ_RCVMORE, &more, &len);
    }
    assert_int_equal(n, 6);
    assert_string_equal(parts[0], "1.0");
    assert_string_equal(parts[1], "id-7");
    if (user_id)
        strcpy(user_id, parts[4]);
    return atoi(parts[2]);
}

static void test_handler_answers(void **state)
{
    struct fixture *f = *state;
    char cpub[ZAP_KEY_Z85 + 1], csec[ZAP_KEY_Z85 + 1], user[64];
    uint8_t listed[ZAP_KEY_BYTES], other[ZAP_KEY_BYTES];
    struct seen seen = { 0 };
    void *ctx = zmq_ctx_new(), *req;
    struct zap *z;
    int zero = 0;

    assert_int_equal(zmq_curve_keypair(cpub, csec), 0);
    assert_non_null(zmq_z85_decode(listed, cpub));
    memcpy(other, listed, sizeof(other));
    other[0] ^= 1;
    z = zap_start(f, ctx, cpub, &seen);
    req = zmq_socket(ctx, ZMQ_REQ);
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(req, ZAP_ENDPOINT), 0);

    assert_int_equal(ask(z, req, "1.0", ZAP_DOMAIN, "CURVE", listed, sizeof(listed), user), 200);
    assert_string_equal(user, cpub);
    assert_int_equal(ask(z, req, "1.0", ZAP_DOMAIN, "CURVE", other, sizeof(other), NULL), 400);
    assert_int_equal(seen.curve, 1);
    assert_non_null(strstr(seen.last_text, "refused CURVE client "));
    assert_non_null(strstr(seen.last_text, " from 127.0.0.9"));
    assert_int_equal(ask(z, req, "1.0", ZAP_DOMAIN, "CURVE", listed, 31, NULL), 500);
    assert_int_equal(ask(z, req, "1.0", "", "NULL", NULL, 0, NULL), 200);
    assert_int_equal(ask(z, req, "1.0", ZAP_DOMAIN, "NULL", NULL, 0, NULL), 400);
    assert_int_equal(ask(z, req, "1.0", "", "PLAIN", "u", 1, NULL), 400);
    assert_int_equal(ask(z, req, "2.0", ZAP_DOMAIN, "CURVE", listed, sizeof(listed), NULL), 500);
    assert_int_equal(seen.other, 2);
    assert_int_equal(zap_admitted(z), 1);
    assert_int_equal(zap_refused(z), 3);

    /* A second handler in the same context is refused. */
    {
        struct zap *z2 = NULL;
        char err[256] = "", sp[160], cp[160];

        snprintf(sp, sizeof(sp), "%s/server.key", f->dir);
        snprintf(cp, sizeof(cp), "%s/clients", f->dir);
        assert_int_equal(zap_new(&z2, ctx, sp, cp, NULL, NULL, err, sizeof(err)), -EADDRINUSE);
        assert_null(z2);
    }
    zmq_close(req);
    zap_destroy(&z);
    assert_null(z);
    zap_destroy(&z);
    zmq_ctx_term(ctx);
}

/* ---- a real exchange -------------------------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *client(void *ctx, const char *endpoint, const char *server_pub, const char *pub, const char *secret)
{
    void *s = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0, ivl = 50;

    assert_non_null(s);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
    if (server_pub) {
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_pub, ZAP_KEY_Z85 + 1), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, ZAP_KEY_Z85 + 1), 0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret, ZAP_KEY_Z85 + 1), 0);
    }
    assert_int_equal(zmq_setsockopt(s, ZMQ_SUBSCRIBE, "t/", 2), 0);
    assert_int_equal(zmq_connect(s, endpoint), 0);
    return s;
}

/* Receives whatever is queued on s; returns how many messages. */
static int drain(void *s)
{
    char buf[64];
    int n = 0;

    while (zmq_recv(s, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
        n++;
    return n;
}

static void test_exchange(void **state)
{
    struct fixture *f = *state;
    char lpub[ZAP_KEY_Z85 + 1], lsec[ZAP_KEY_Z85 + 1], upub[ZAP_KEY_Z85 + 1], usec[ZAP_KEY_Z85 + 1];
    char ipc[128], tcp[128], err[256] = "";
    size_t len = sizeof(tcp);
    struct seen seen = { 0 };
    void *sctx = zmq_ctx_new(), *cctx = zmq_ctx_new(), *xpub, *mon;
    void *listed, *unlisted, *plain_tcp, *plain_ipc;
    int got_listed = 0, got_ipc = 0, zero = 0, one = 1;
    struct zap *z;
    uint64_t deadline;

    assert_int_equal(zmq_curve_keypair(lpub, lsec), 0);
    assert_int_equal(zmq_curve_keypair(upub, usec), 0);
    z = zap_start(f, sctx, lpub, &seen);

    xpub = zmq_socket(sctx, ZMQ_XPUB);
    zmq_setsockopt(xpub, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(xpub, ZMQ_XPUB_VERBOSE, &one, sizeof(one));
    assert_int_equal(zmq_socket_monitor(xpub, MONITOR, ZAP_MONITOR_EVENTS), 0);
    mon = zmq_socket(sctx, ZMQ_PAIR);
    zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(mon, MONITOR), 0);
    /* Plain ipc first, CURVE tcp next, plain again after: each listener
     * keeps the options it was bound with. */
    snprintf(ipc, sizeof(ipc), "ipc://%s/pub", f->dir);
    assert_false(zap_wants_curve(z, ipc));
    assert_false(zap_wants_curve(NULL, "tcp://127.0.0.1:1"));
    assert_true(zap_wants_curve(z, "tcp://127.0.0.1:*"));
    assert_int_equal(zmq_bind(xpub, ipc), 0);
    if (zap_secure_bind(z, xpub, "tcp://127.0.0.1:*", err, sizeof(err)) < 0)
        fail_msg("zap_secure_bind: %s", err);
    assert_int_equal(zmq_getsockopt(xpub, ZMQ_LAST_ENDPOINT, tcp, &len), 0);
    assert_int_equal(strncmp(tcp, "tcp://127.0.0.1:", 16), 0);
    {
        int mech = -1;
        size_t ml = sizeof(mech);

        assert_int_equal(zmq_getsockopt(xpub, ZMQ_MECHANISM, &mech, &ml), 0);
        assert_int_equal(mech, ZMQ_NULL);
    }
    /* Binding the same port again fails and says so. */
    assert_true(zap_secure_bind(z, xpub, tcp, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "cannot bind tcp://127.0.0.1:"));

    listed = client(cctx, tcp, f->pub, lpub, lsec);
    unlisted = client(cctx, tcp, f->pub, upub, usec);
    plain_tcp = client(cctx, tcp, NULL, NULL, NULL);
    plain_ipc = client(cctx, ipc, NULL, NULL, NULL);

    deadline = mono_ns() + GUARD_NS;
    while (!(got_listed && got_ipc && seen.curve > 0 && seen.plaintext > 0)) {
        zmq_pollitem_t items[] = {
            { zap_socket(z), 0, ZMQ_POLLIN, 0 },
            { mon, 0, ZMQ_POLLIN, 0 },
            { xpub, 0, ZMQ_POLLIN, 0 },
        };

        if (mono_ns() > deadline)
            fail_msg("gave up: listed %d ipc %d curve refusals %d plaintext refusals %d", got_listed, got_ipc,
                     seen.curve, seen.plaintext);
        assert_true(zmq_poll(items, 3, 20) >= 0);
        if (items[0].revents & ZMQ_POLLIN)
            assert_true(zap_handle(z) >= 0);
        if (items[1].revents & ZMQ_POLLIN) {
            zmq_msg_t p0, p1;

            zmq_msg_init(&p0);
            zmq_msg_init(&p1);
            assert_true(zmq_msg_recv(&p0, mon, 0) >= 0);
            assert_true(zmq_msg_recv(&p1, mon, 0) >= 0);
            zap_monitor_event(z, zmq_msg_data(&p0), zmq_msg_size(&p0), zmq_msg_data(&p1), zmq_msg_size(&p1));
            zmq_msg_close(&p0);
            zmq_msg_close(&p1);
        }
        if (items[2].revents & ZMQ_POLLIN)
            drain(xpub);
        zmq_send(xpub, "t/", 2, ZMQ_DONTWAIT);
        got_listed += drain(listed);
        got_ipc += drain(plain_ipc);
        assert_int_equal(drain(unlisted), 0);
        assert_int_equal(drain(plain_tcp), 0);
    }
    assert_string_equal(seen.last_key[0] ? seen.last_key : "", upub);
    assert_true(zap_admitted(z) >= 1);
    assert_true(zap_refused(z) >= 2);

    zmq_close(listed);
    zmq_close(unlisted);
    zmq_close(plain_tcp);
    zmq_close(plain_ipc);
    zmq_ctx_term(cctx);
    zmq_socket_monitor(xpub, NULL, 0);
    zmq_close(mon);
    zmq_close(xpub);
    zap_destroy(&z);
    zmq_ctx_term(sctx);
}

static void test_monitor_event_filter(void **state)
{
    struct fixture *f = *state;
    struct seen seen = { 0 };
    void *ctx = zmq_ctx_new();
    struct zap *z = zap_start(f, ctx, f->pub, &seen);
    uint8_t ev[6];
    uint16_t e;
    uint32_t v = ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;

    e = ZMQ_EVENT_ACCEPTED;
    memcpy(ev, &e, 2);
    memcpy(ev + 2, &v, 4);
    zap_monitor_event(z, ev, sizeof(ev), "tcp://127.0.0.1:9", 17);
    e = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    memcpy(ev, &e, 2);
    zap_monitor_event(z, ev, sizeof(ev), "ipc:///tmp/x", 12);
    zap_monitor_event(z, ev, 3, "tcp://127.0.0.1:9", 17);
    zap_monitor_event(NULL, ev, sizeof(ev), "tcp://127.0.0.1:9", 17);
    assert_int_equal(seen.plaintext, 0);
    zap_monitor_event(z, ev, sizeof(ev), "tcp://127.0.0.1:9", 17);
    assert_int_equal(seen.plaintext, 1);
    assert_string_equal(seen.last_text, "refused a client on tcp://127.0.0.1:9: it does not speak CURVE "
                                        "(a plaintext client?)");
    zap_destroy(&z);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_secret_bare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_zcert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_event_filter, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
