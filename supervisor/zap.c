/* zap.c - CURVE keys, the secure bind and the ZAP handler (see zap.h). */
#define _GNU_SOURCE
#include "supervisor/zap.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_LINE_MAX 1024  /* longest line of a key file */
#define ZAP_PART_MAX 8     /* parts of a request kept: version .. first credential */

struct zap {
    void *rep;                            /* REP on ZAP_ENDPOINT */
    uint8_t secret[ZAP_KEY_BYTES];
    char public_z85[ZAP_KEY_Z85 + 1];
    uint8_t (*clients)[ZAP_KEY_BYTES];    /* sorted, for bsearch */
    size_t client_count;
    zap_refused_fn *refused;
    void *arg;
    uint64_t admitted, refused_count;
};

static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* ---- key files ----------------------------------------------------------- */

/* Decodes the 40 Z85 characters at s. Returns NULL if good, else why not. */
static const char *key_decode(const char *s, size_t len, uint8_t out[ZAP_KEY_BYTES])
{
    char z[ZAP_KEY_Z85 + 1];

    if (len != ZAP_KEY_Z85)
        return "expected a key of 40 Z85 characters";
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || !strchr(z85_chars, s[i]))
            return "expected a key of 40 Z85 characters, found a character outside Z85";
    memcpy(z, s, len);
    z[len] = '\0';
    if (!zmq_z85_decode(out, z))
        return "expected a key of 40 Z85 characters";
    return NULL;
}

/* Returns true if s is exactly 40 Z85 characters. */
static bool is_key(const char *s)
{
    return strlen(s) == ZAP_KEY_Z85 && strspn(s, z85_chars) == ZAP_KEY_Z85;
}

/* Strips leading and trailing white space in place; returns the start. */
static char *trim(char *s)
{
    size_t n;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* If line is `NAME = "VALUE"` (as in a ZeroMQ certificate), returns VALUE
 * (NUL-terminated in place) and its length in *len; else NULL. */
static char *cert_value(char *line, const char *name, size_t *len)
{
    size_t n = strlen(name);
    char *p, *end;

    if (strncmp(line, name, n) != 0)
        return NULL;
    p = line + n;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=')
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '"' || (end = strchr(p, '"')) == NULL)
        return NULL;
    *end = '\0';
    *len = (size_t)(end - p);
    return p;
}

/* Returns true for a line of a ZeroMQ certificate: a section name or
 * `name = "value"`. */
static bool cert_line(const char *l)
{
    size_t n = strspn(l, "abcdefghijklmnopqrstuvwxyz-_");

    if (n == strlen(l))
        return strcmp(l, "metadata") == 0 || strcmp(l, "curve") == 0;
    if (n == 0)
        return false;
    l += n;
    while (*l == ' ' || *l == '\t')
        l++;
    return *l == '=';
}

static FILE *key_file_open(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");

    if (!f)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}

int zap_secret_read(const char *path, uint8_t secret[ZAP_KEY_BYTES], char *err, size_t errlen)
{
    char line[ZAP_LINE_MAX];
    uint8_t pub_cert[ZAP_KEY_BYTES];
    bool have_secret = false, have_pub = false, cert = false;
    int lineno = 0, rc = -EINVAL;
    FILE *f;

    assert(path && secret && err);
    f = key_file_open(path, err, errlen);
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char *l = trim(line), *v;
        const char *why;
        size_t n;

        lineno++;
        /* '#' and '=' are Z85 characters: a line that is a key is a key. */
        if (is_key(l)) {
            if (have_secret || cert) {
                snprintf(err, errlen, "%s:%d: expected one key only", path, lineno);
                goto err;
            }
            if ((why = key_decode(l, strlen(l), secret)) != NULL) {
                snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
                goto err;
            }
            have_secret = true;
            continue;
        }
        if (*l == '\0' || *l == '#')
            continue;
        if ((v = cert_value(l, "secret-key", &n)) != NULL || (v = cert_value(l, "public-key", &n)) != NULL) {
            bool is_secret = l[0] == 's';
            uint8_t *dst = is_secret ? secret : pub_cert;

            cert = true;
            if ((why = key_decode(v, n, dst)) != NULL) {
                snprintf(err, errlen, "%s:%d: %s-key: %s", path, lineno, is_secret ? "secret" : "public", why);
                goto err;
            }
            if (is_secret)
                have_secret = true;
            else
                have_pub = true;
            continue;
        }
        if (cert || have_secret) {
            /* Certificate lines we do not use (metadata, section names). */
            if (cert)
                continue;
            snprintf(err, errlen, "%s:%d: expected one key only", path, lineno);
            goto err;
        }
        if (cert_line(l)) {
            cert = true; /* a certificate whose secret-key line comes later */
            continue;
        }
        if ((why = key_decode(l, strlen(l), secret)) != NULL) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            goto err;
        }
        have_secret = true;
    }
    if (ferror(f)) {
        rc = -EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(EIO));
        goto err;
    }
    if (!have_secret) {
        snprintf(err, errlen, "%s: no secret key (40 Z85 characters, or a certificate's secret-key line)%s",
                 path, have_pub ? "; this looks like a public key file" : "");
        goto err;
    }
    if (have_pub) {
        char z[ZAP_KEY_Z85 + 1], pub[ZAP_KEY_Z85 + 1], want[ZAP_KEY_Z85 + 1];

        zmq_z85_encode(z, secret, ZAP_KEY_BYTES);
        if (zmq_curve_public(pub, z) < 0 || !zmq_z85_encode(want, pub_cert, ZAP_KEY_BYTES) || strcmp(pub, want)) {
            snprintf(err, errlen, "%s: its public-key is not that of its secret-key", path);
            explicit_bzero(z, sizeof(z));
            goto err;
        }
        explicit_bzero(z, sizeof(z));
    }
    fclose(f);
    explicit_bzero(line, sizeof(line));
    return 0;
err:
    fclose(f);
    explicit_bzero(line, sizeof(line));
    explicit_bzero(secret, ZAP_KEY_BYTES);
    return rc;
}

int zap_public_read(const char *path, uint8_t key[ZAP_KEY_BYTES], char *err, size_t errlen)
{
    char line[ZAP_LINE_MAX];
    int lineno = 0, rc = -EINVAL;
    bool have = false;
    FILE *f;

    assert(path && key && err);
    f = key_file_open(path, err, errlen);
    if (!f)
        return -errno;
    while (!have && fgets(line, sizeof(line), f)) {
        char *l = trim(line), *v;
        const char *why = NULL;
        size_t n;

        lineno++;
        if (is_key(l))
            why = key_decode(l, strlen(l), key);
        else if ((v = cert_value(l, "public-key", &n)) != NULL)
            why = key_decode(v, n, key);
        else if (cert_value(l, "secret-key", &n) != NULL)
            continue; /* a secret certificate holds the public key too */
        else if (*l == '\0' || *l == '#' || cert_line(l))
            continue;
        else
            why = key_decode(l, strlen(l), key);
        if (why) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            goto out;
        }
        have = true;
    }
    if (!have)
        snprintf(err, errlen, "%s: no public key (40 Z85 characters, or a certificate's public-key line)", path);
    else
        rc = 0;
out:
    fclose(f);
    explicit_bzero(line, sizeof(line));
    return rc;
}

static int key_cmp(const void *a, const void *b)
{
    return memcmp(a, b, ZAP_KEY_BYTES);
}

int zap_clients_read(const char *path, uint8_t (**keys)[ZAP_KEY_BYTES], size_t *count, char *err, size_t errlen)
{
    char line[ZAP_LINE_MAX];
    uint8_t (*k)[ZAP_KEY_BYTES] = NULL;
    size_t n = 0, cap = 0;
    int lineno = 0, rc = -EINVAL;
    FILE *f;

    assert(path && keys && count && err);
    *keys = NULL;
    *count = 0;
    f = key_file_open(path, err, errlen);
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char *l, *sp;
        const char *why;

        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            goto err;
        }
        l = trim(line);
        /* A comment after the key: "KEY  # laptop". */
        sp = l + strcspn(l, " \t");
        if (*sp && sp > l && sp[strspn(sp, " \t")] == '#')
            *sp = '\0';
        /* '#' is a Z85 character: a line that is a key is a key, even one
         * that starts with '#'. */
        if (!is_key(l) && (*l == '\0' || *l == '#'))
            continue;
        if (n == ZAP_CLIENTS_MAX) {
            snprintf(err, errlen, "%s:%d: more than %d keys", path, lineno, ZAP_CLIENTS_MAX);
            goto err;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *p = realloc(k, ncap * sizeof(*k));

            if (!p) {
                rc = -ENOMEM;
                snprintf(err, errlen, "%s: out of memory", path);
                goto err;
            }
            k = p;
            cap = ncap;
        }
        if ((why = key_decode(l, strlen(l), k[n])) != NULL) {
            snprintf(err, errlen, "%s:%d: %s, got '%.60s'", path, lineno, why, l);
            goto err;
        }
        n++;
    }
    if (ferror(f)) {
        rc = -EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(EIO));
        goto err;
    }
    fclose(f);
    if (n)
        qsort(k, n, sizeof(*k), key_cmp);
    *keys = k;
    *count = n;
    return 0;
err:
    fclose(f);
    free(k);
    return rc;
}

/* ---- the handler --------------------------------------------------------- */

int zap_new(struct zap **out, void *zctx, const char *secret_path, const char *clients_path,
            zap_refused_fn *refused, void *arg, char *err, size_t errlen)
{
    struct zap *z;
    char secret_z85[ZAP_KEY_Z85 + 1];
    int zero = 0, rc;

    assert(out && zctx && secret_path && clients_path && err);
    *out = NULL;
    z = calloc(1, sizeof(*z));
    if (!z) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    z->refused = refused;
    z->arg = arg;
    rc = zap_secret_read(secret_path, z->secret, err, errlen);
    if (rc < 0)
        goto err;
    zmq_z85_encode(secret_z85, z->secret, ZAP_KEY_BYTES);
    rc = zmq_curve_public(z->public_z85, secret_z85);
    explicit_bzero(secret_z85, sizeof(secret_z85));
    if (rc < 0) {
        rc = -zmq_errno();
        snprintf(err, errlen, "%s: cannot derive the public key: %s (libzmq without CURVE?)", secret_path,
                 zmq_strerror(-rc));
        goto err;
    }
    rc = zap_clients_read(clients_path, &z->clients, &z->client_count, err, errlen);
    if (rc < 0)
        goto err;
    z->rep = zmq_socket(zctx, ZMQ_REP);
    if (!z->rep) {
        rc = -zmq_errno();
        snprintf(err, errlen, "cannot create the ZAP socket: %s", zmq_strerror(-rc));
        goto err;
    }
    zmq_setsockopt(z->rep, ZMQ_LINGER, &zero, sizeof(zero));
    if (zmq_bind(z->rep, ZAP_ENDPOINT) < 0) {
        rc = -zmq_errno();
        snprintf(err, errlen, "cannot bind the ZAP handler on %s: %s", ZAP_ENDPOINT, zmq_strerror(-rc));
        goto err;
    }
    *out = z;
    return 0;
err:
    zap_destroy(&z);
    return rc;
}

void zap_destroy(struct zap **zp)
{
    struct zap *z = zp ? *zp : NULL;

    if (!z)
        return;
    if (z->rep)
        zmq_close(z->rep);
    free(z->clients);
    explicit_bzero(z, sizeof(*z));
    free(z);
    *zp = NULL;
}

void *zap_socket(const struct zap *z)
{
    assert(z);
    return z->rep;
}

const char *zap_public_key(const struct zap *z)
{
    assert(z);
    return z->public_z85;
}

uint64_t zap_admitted(const struct zap *z)
{
    return z ? z->admitted : 0;
}

uint64_t zap_refused(const struct zap *z)
{
    return z ? z->refused_count : 0;
}

static void refuse(struct zap *z, const char *mechanism, const char *key, const char *address,
                   const char *endpoint, const char *why)
{
    struct zap_refusal r = { mechanism, key, address, endpoint, NULL };
    char text[512];

    z->refused_count++;
    if (!z->refused)
        return;
    if (strcmp(mechanism, "plaintext") == 0)
        snprintf(text, sizeof(text), "refused a client on %s: %s", endpoint[0] ? endpoint : "a tcp endpoint", why);
    else
        snprintf(text, sizeof(text), "refused %s client %s from %s: %s", mechanism, key[0] ? key : "-",
                 address[0] ? address : "?", why);
    r.text = text;
    z->refused(z->arg, &r);
}

/* Copies a part's bytes as a string (NUL-terminated, cut to fit). */
static void part_str(zmq_msg_t *m, char *out, size_t len)
{
    size_t n = zmq_msg_size(m);

    if (n >= len)
        n = len - 1;
    memcpy(out, zmq_msg_data(m), n);
    out[n] = '\0';
}

static bool client_listed(const struct zap *z, const uint8_t key[ZAP_KEY_BYTES])
{
    return z->client_count && bsearch(key, z->clients, z->client_count, sizeof(*z->clients), key_cmp);
}

/* Decides on one request (parts[0..n-1], RFC 27: version, request id,
 * domain, address, identity, mechanism, credentials...). Fills status and
 * text, and user_id for an admitted CURVE client. */
static void decide(struct zap *z, zmq_msg_t *parts, int n, int total, const char **status, const char **text,
                   char *user_id, size_t user_len)
{
    char domain[256], address[256], mechanism[32], key[ZAP_KEY_Z85 + 1] = "";

    *status = "400";
    *text = "refused";
    user_id[0] = '\0';
    if (n < 6 || zmq_msg_size(&parts[0]) != 3 || memcmp(zmq_msg_data(&parts[0]), "1.0", 3) != 0) {
        *status = "500";
        *text = "malformed ZAP request";
        return;
    }
    part_str(&parts[2], domain, sizeof(domain));
    part_str(&parts[3], address, sizeof(address));
    part_str(&parts[5], mechanism, sizeof(mechanism));
    if (strcmp(mechanism, "CURVE") == 0) {
        if (total != 7 || n < 7 || zmq_msg_size(&parts[6]) != ZAP_KEY_BYTES) {
            *status = "500";
            *text = "malformed CURVE credentials";
            return;
        }
        zmq_z85_encode(key, zmq_msg_data(&parts[6]), ZAP_KEY_BYTES);
        if (client_listed(z, zmq_msg_data(&parts[6]))) {
            z->admitted++;
            *status = "200";
            *text = "OK";
            snprintf(user_id, user_len, "%s", key);
            return;
        }
        *text = "key not listed";
        refuse(z, "CURVE", key, address, "", "not in curve_client_keys");
        return;
    }
    if (strcmp(mechanism, "NULL") == 0 && strcmp(domain, ZAP_DOMAIN) != 0) {
        *status = "200";
        *text = "OK";
        return;
    }
    *text = "mechanism not allowed";
    refuse(z, mechanism, "", address, "", "only CURVE is allowed on tcp endpoints");
}

static int send_str(void *sock, const char *s, bool more)
{
    return zmq_send(sock, s, strlen(s), more ? ZMQ_SNDMORE : 0) < 0 ? -zmq_errno() : 0;
}

/* Receives one whole request without blocking. Returns the parts kept (at
 * most ZAP_PART_MAX, the rest read and dropped) and the total in *total, 0
 * if none is waiting, or -errno. */
static int request_recv(void *sock, zmq_msg_t *parts, int *total)
{
    int n = 0, more = 1;

    *total = 0;
    while (more) {
        zmq_msg_t m;
        size_t len = sizeof(more);

        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, n == 0 && *total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int e = zmq_errno();

            zmq_msg_close(&m);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&parts[i]);
            return e == EAGAIN && *total == 0 ? 0 : -e;
        }
        (*total)++;
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len);
        if (n < ZAP_PART_MAX)
            parts[n++] = m;
        else
            zmq_msg_close(&m);
    }
    return n;
}

int zap_handle(struct zap *z)
{
    int handled = 0;

    assert(z);
    for (;;) {
        zmq_msg_t parts[ZAP_PART_MAX];
        const char *status, *text;
        char user_id[ZAP_KEY_Z85 + 1];
        int total, n = request_recv(z->rep, parts, &total), rc;

        if (n == 0)
            return handled;
        if (n < 0)
            return n == -EINTR ? handled : n;
        decide(z, parts, n, total, &status, &text, user_id, sizeof(user_id));
        /* The reply repeats the request id; a REP must answer every request. */
        rc = send_str(z->rep, "1.0", true);
        if (rc == 0)
            rc = zmq_send(z->rep, n > 1 ? zmq_msg_data(&parts[1]) : "", n > 1 ? zmq_msg_size(&parts[1]) : 0,
                          ZMQ_SNDMORE) < 0 ? -zmq_errno() : 0;
        if (rc == 0)
            rc = send_str(z->rep, status, true);
        if (rc == 0)
            rc = send_str(z->rep, text, true);
        if (rc == 0)
            rc = send_str(z->rep, user_id, true);
        if (rc == 0)
            rc = send_str(z->rep, "", false);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&parts[i]);
        if (rc < 0)
            return rc;
        handled++;
    }
}

/* ---- binding and the monitor -------------------------------------------- */

bool zap_wants_curve(const struct zap *z, const char *endpoint)
{
    return z != NULL && endpoint != NULL && strncmp(endpoint, "tcp://", 6) == 0;
}

int zap_secure_bind(struct zap *z, void *sock, const char *endpoint, char *err, size_t errlen)
{
    int one = 1, zero = 0, rc = 0;

    assert(z && sock && endpoint && err);
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, z->secret, ZAP_KEY_BYTES) < 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) < 0) {
        rc = -zmq_errno();
        snprintf(err, errlen, "cannot bind %s: CURVE: %s", endpoint, zmq_strerror(-rc));
    } else if (zmq_bind(sock, endpoint) < 0) {
        rc = -zmq_errno();
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(-rc));
    }
    /* Back to NULL and no domain, for whatever is bound next. Setting
     * CURVE_SERVER to 0 makes the mechanism NULL again. */
    zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &zero, sizeof(zero));
    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "", 0);
    return rc;
}

void zap_monitor_event(struct zap *z, const void *part0, size_t len0, const void *part1, size_t len1)
{
    char endpoint[256], why[96];
    uint16_t event;
    uint32_t value;

    if (!z || !part0 || len0 < 6)
        return;
    memcpy(&event, part0, sizeof(event));
    memcpy(&value, (const uint8_t *)part0 + 2, sizeof(value));
    if (event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        return;
    if (len1 >= sizeof(endpoint))
        len1 = sizeof(endpoint) - 1;
    memcpy(endpoint, part1 ? part1 : "", part1 ? len1 : 0);
    endpoint[part1 ? len1 : 0] = '\0';
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        snprintf(why, sizeof(why), "it does not speak CURVE (a plaintext client?)");
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        snprintf(why, sizeof(why), "handshake failed (protocol error 0x%x)", (unsigned)value);
    else
        snprintf(why, sizeof(why), "handshake failed");
    refuse(z, "plaintext", "", "", endpoint, why);
}
