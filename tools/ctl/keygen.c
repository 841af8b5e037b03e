/* keygen.c - camarena-ctl keygen (see keygen.h). */
#define _GNU_SOURCE
#include "tools/ctl/keygen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "conf/conf.h"

/* Creates path with mode (O_EXCL: never an existing file) and writes text
 * into it. Returns 0 or -errno; on failure nothing is left at path. */
static int write_new(const char *path, mode_t mode, const char *text, char *err, size_t errlen)
{
    size_t len = strlen(text), off = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode), e;

    if (fd < 0) {
        e = errno;
        snprintf(err, errlen, "%s: %s", path, e == EEXIST ? "exists already; not overwriting it" : strerror(e));
        return -e;
    }
    /* The umask may have taken bits from mode; the secret key's 0600 must
     * also not depend on it. */
    if (fchmod(fd, mode) < 0)
        goto fail;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)n;
    }
    if (fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    e = errno;
    snprintf(err, errlen, "%s: %s", path, strerror(e));
    if (fd >= 0)
        close(fd);
    unlink(path);
    return -e;
}

int keygen_write(const char *dir, const char *name, char pub[KEYGEN_KEY_Z85 + 1], char *err, size_t errlen)
{
    char secret[KEYGEN_KEY_Z85 + 1], key_path[PATH_MAX], pub_path[PATH_MAX], text[256];
    struct stat st;
    int rc;

    if (!conf_name_valid(name)) {
        snprintf(err, errlen, "'%s' is not a key name ([A-Za-z0-9_-]{1,63})", name);
        return -EINVAL;
    }
    if ((size_t)snprintf(key_path, sizeof(key_path), "%s/%s.key", dir, name) >= sizeof(key_path) ||
        (size_t)snprintf(pub_path, sizeof(pub_path), "%s/%s.pub", dir, name) >= sizeof(pub_path)) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -ENAMETOOLONG;
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
        return rc;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        rc = errno ? -errno : -ENOTDIR;
        snprintf(err, errlen, "%s: not a directory", dir);
        return rc;
    }
    /* Both refused before either is written. */
    if (lstat(pub_path, &st) == 0 || lstat(key_path, &st) == 0) {
        snprintf(err, errlen, "%s: exists already; not overwriting it",
                 lstat(key_path, &st) == 0 ? key_path : pub_path);
        return -EEXIST;
    }
    if (zmq_curve_keypair(pub, secret) < 0) {
        rc = -zmq_errno();
        snprintf(err, errlen, "zmq_curve_keypair: %s (libzmq without CURVE?)", zmq_strerror(-rc));
        return rc;
    }
    snprintf(text, sizeof(text), "# camarena CURVE secret key '%s': keep it private (mode 0600)\n%s\n", name,
             secret);
    rc = write_new(key_path, 0600, text, err, errlen);
    explicit_bzero(secret, sizeof(secret));
    explicit_bzero(text, sizeof(text));
    if (rc < 0)
        return rc;
    snprintf(text, sizeof(text), "# camarena CURVE public key '%s'\n%s\n", name, pub);
    rc = write_new(pub_path, 0644, text, err, errlen);
    if (rc < 0)
        unlink(key_path);
    return rc;
}
