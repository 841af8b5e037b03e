/* zap.h - CURVE on camarenad's tcp:// publish endpoints (SPEC 9): the key
 * files, the binding, and a ZAP handler (ZeroMQ RFC 27) that admits only
 * the listed client keys.
 *
 * The handler is a REP socket bound on "inproc://zeromq.zap.01" in
 * camarenad's ZeroMQ context. It is served from camarenad's one loop: put
 * zap_socket() in the poll set and call zap_handle() when it is readable.
 * A handshake waits for the loop meanwhile; nothing blocks.
 *
 * Which connections the handler sees, and what it answers:
 *   CURVE  (the tcp:// endpoints bound by zap_secure_bind, ZAP domain
 *          ZAP_DOMAIN): 200 for a key of curve_client_keys, else 400;
 *   NULL   with any other domain (the ipc:// endpoints, if libzmq asks at
 *          all): 200; with ZAP_DOMAIN: 400;
 *   anything else (PLAIN, GSSAPI): 400.
 * A client that does not speak CURVE to a CURVE endpoint never reaches the
 * handler: libzmq fails its handshake (mechanism mismatch). Those are seen
 * through the socket monitor and zap_monitor_event.
 *
 * Every refusal, from the handler or from the monitor, is counted and given
 * to the refusal callback; the library itself never prints. */
#ifndef CAMARENA_SUPERVISOR_ZAP_H
#define CAMARENA_SUPERVISOR_ZAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01" /* where libzmq looks for the handler */
#define ZAP_DOMAIN "camarena-tcp"             /* ZMQ_ZAP_DOMAIN of the CURVE endpoints */
#define ZAP_KEY_Z85 40                        /* characters of a Z85 key */
#define ZAP_KEY_BYTES 32                      /* bytes of a binary key */
#define ZAP_CLIENTS_MAX 65536                 /* keys in curve_client_keys */

/* The monitor events zap_monitor_event wants, to add to the publish
 * socket's zmq_socket_monitor mask. */
#define ZAP_MONITOR_EVENTS (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

struct zap;

/* One refused connection, as given to the callback. The strings live until
 * the callback returns. */
struct zap_refusal {
    const char *mechanism; /* "CURVE", "NULL", "PLAIN", or "plaintext" (failed before ZAP) */
    const char *key;       /* the client's public key in Z85, "" if none */
    const char *address;   /* the peer's IP address as ZAP tells it, "" if unknown */
    const char *endpoint;  /* the endpoint (monitor refusals), "" if unknown */
    const char *text;      /* the whole sentence to log, e.g.
                            * "refused CURVE client KEY from 127.0.0.1: not in curve_client_keys" */
};

typedef void zap_refused_fn(void *arg, const struct zap_refusal *r);

/* Reads the server's secret key from path: a file holding the bare key (40
 * Z85 characters on a line of its own; blank lines and '#' comments
 * allowed), or a ZeroMQ certificate with a line `secret-key = "KEY"` (its
 * `public-key`, if present, must match). Writes the key's 32 bytes into
 * secret. Returns 0, or -errno of the read, or -EINVAL with err saying
 * "PATH:LINE: why" (or "PATH: why"). */
int zap_secret_read(const char *path, uint8_t secret[ZAP_KEY_BYTES], char *err, size_t errlen);

/* Reads a public key from path: the first line that is a bare key (40 Z85
 * characters), or a certificate's `public-key = "KEY"` line. Blank lines,
 * '#' comments and other certificate lines are skipped. Returns 0 with the
 * key's 32 bytes in key, -errno of the read, or -EINVAL with err saying
 * "PATH:LINE: why" (or "PATH: no public key ..."). */
int zap_public_read(const char *path, uint8_t key[ZAP_KEY_BYTES], char *err, size_t errlen);

/* Reads the allowed client keys from path: one Z85 public key per line;
 * blank lines and lines starting with '#' are skipped, and a key may be
 * followed by whitespace and a '#' comment. On success returns 0 with
 * *keys (malloc'd, the caller frees) holding *count keys of 32 bytes,
 * *count >= 0. Returns -errno of the read, -ENOMEM, or -EINVAL with err
 * saying "PATH:LINE: why" for the first bad line; *keys is then NULL. */
int zap_clients_read(const char *path, uint8_t (**keys)[ZAP_KEY_BYTES], size_t *count, char *err,
                     size_t errlen);

/* Loads the server's secret key and the client list and binds the ZAP
 * handler in zctx. Call it before anything in zctx binds a CURVE endpoint:
 * without a handler libzmq would let every CURVE client in. refused (may be
 * NULL) is called with arg for each refusal. Returns 0 and *out, or -errno
 * with err saying what failed (-EADDRINUSE: zctx has a handler already). */
int zap_new(struct zap **out, void *zctx, const char *secret_path, const char *clients_path,
            zap_refused_fn *refused, void *arg, char *err, size_t errlen);

/* Closes the handler's socket (before zmq_ctx_term of its context), wipes
 * the secret key, frees *z and sets it to NULL. Safe on NULL. */
void zap_destroy(struct zap **z);

/* The handler's REP socket, for the caller's poll set (ZMQ_POLLIN). */
void *zap_socket(const struct zap *z);

/* Answers every ZAP request waiting on the socket, without blocking.
 * Returns how many were answered, or -errno if the socket failed. */
int zap_handle(struct zap *z);

/* The server's public key in Z85 (NUL-terminated), derived from the secret. */
const char *zap_public_key(const struct zap *z);

/* Returns true if endpoint must be bound with zap_secure_bind: z is not
 * NULL (CURVE keys are configured) and endpoint is tcp://. */
bool zap_wants_curve(const struct zap *z, const char *endpoint);

/* Binds sock (an XPUB, or any socket) on endpoint as a CURVE server with
 * ZAP domain ZAP_DOMAIN, then restores sock's options to the NULL
 * mechanism and no domain. libzmq copies a socket's options into each
 * listener when it binds, so endpoints bound before or after keep theirs:
 * one XPUB serves plain ipc:// and CURVE tcp:// at once. Returns 0, or
 * -errno with err saying "cannot bind ENDPOINT: why". */
int zap_secure_bind(struct zap *z, void *sock, const char *endpoint, char *err, size_t errlen);

/* Takes one socket monitor message (its two parts: the 6 bytes of event
 * and value, and the endpoint) and, for a handshake that failed on a
 * tcp:// endpoint before ZAP could see it (a plaintext client, a protocol
 * error), counts and reports a refusal. Other events are ignored. Safe on
 * a NULL z. */
void zap_monitor_event(struct zap *z, const void *part0, size_t len0, const void *part1, size_t len1);

/* Counters since zap_new. */
uint64_t zap_admitted(const struct zap *z); /* CURVE clients let in */
uint64_t zap_refused(const struct zap *z);  /* refusals, of every kind */

#endif
