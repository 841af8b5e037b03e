/* control.h - the control protocol of SPEC 6: a request's parts checked and
 * turned into a verb and its argument, or a sentence saying what is wrong. */
#ifndef CAMARENA_SUPERVISOR_CONTROL_H
#define CAMARENA_SUPERVISOR_CONTROL_H

#include <stddef.h>

#include "conf/conf.h"

#define CONTROL_PARTS_MAX 8    /* parts of a request kept; more is an error */
#define CONTROL_ERR_MAX 256    /* bytes of an error sentence */

enum control_verb {
    CONTROL_PING,
    CONTROL_STATUS,
    CONTROL_RESTART,
    CONTROL_PAUSE,
    CONTROL_RESUME,
    CONTROL_METRICS,
    CONTROL_RELOAD,
};

/* One part of a request as received (not NUL-terminated). */
struct control_part {
    const void *data;
    size_t len;
};

struct control_request {
    enum control_verb verb;
    int camera;  /* index given by the lookup, or -1 when the verb takes none or none was given */
    char camera_name[CONF_NAME_MAX + 1];
};

/* Returns the index of the camera named name, or -1. */
typedef int (*control_lookup_fn)(void *ctx, const char *name);

/* Checks a request of count parts (the envelope already removed) whose bytes
 * total total_len (the parts beyond CONTROL_PARTS_MAX are counted in count
 * and total_len but not given). Returns 0 with req filled, or -EINVAL with a
 * sentence in err for: no parts, too many bytes (IPC_CONTROL_MAX) or parts,
 * a verb or argument that is empty, not UTF-8 text or holds control
 * characters, an unknown verb, a missing, invalid or unknown camera, or an
 * extra argument. */
int control_parse(const struct control_part *parts, size_t count, size_t total_len,
                  control_lookup_fn lookup, void *ctx, struct control_request *req,
                  char *err, size_t errlen);

#endif
