/* keygen.h - camarena-ctl keygen: a CURVE key pair written with safe modes. */
#ifndef CAMARENA_TOOLS_CTL_KEYGEN_H
#define CAMARENA_TOOLS_CTL_KEYGEN_H

#include <stddef.h>

#define KEYGEN_KEY_Z85 40

/* Makes a CURVE key pair (zmq_curve_keypair) and writes DIR/NAME.key (the
 * secret key, mode 0600) and DIR/NAME.pub (the public key, mode 0644), each
 * a '#' comment line and the key in Z85 on a line of its own, as
 * curve_secret_key, camarena-sub and camarena.load_key read them. DIR is
 * created with mode 0700 if missing (its parent must exist). The modes are
 * set at creation and again with fchmod, whatever the umask. Neither file
 * is overwritten: if either exists, nothing is written. NAME is
 * [A-Za-z0-9_-]{1,63}. Returns 0 with the public key in pub, or -errno with
 * err saying what failed (-EEXIST: a file is there already). */
int keygen_write(const char *dir, const char *name, char pub[KEYGEN_KEY_Z85 + 1], char *err, size_t errlen);

#endif
