/* control.c - checking control requests (see control.h). */
#include "supervisor/control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ipc/json.h"
#include "ipc/proto.h"

enum arity { NONE, OPTIONAL_CAMERA, CAMERA };

static const struct {
    const char *name;
    enum control_verb verb;
    enum arity arity;
} verbs[] = {
    {"ping", CONTROL_PING, NONE},
    {"status", CONTROL_STATUS, OPTIONAL_CAMERA},
    {"restart", CONTROL_RESTART, CAMERA},
    {"pause", CONTROL_PAUSE, CAMERA},
    {"resume", CONTROL_RESUME, CAMERA},
    {"metrics", CONTROL_METRICS, NONE},
    {"reload", CONTROL_RELOAD, NONE},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* A verb or argument is printable UTF-8 text: no NUL, no control characters.
 * Only such text is ever quoted back in an error. */
static bool part_is_text(const struct control_part *p)
{
    const unsigned char *s = p->data;

    if (!json_utf8_valid(p->data, p->len))
        return false;
    for (size_t i = 0; i < p->len; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

int control_parse(const struct control_part *parts, size_t count, size_t total_len,
                  control_lookup_fn lookup, void *ctx, struct control_request *req,
                  char *err, size_t errlen)
{
    const struct control_part *verb, *arg;
    size_t v, nverbs = sizeof(verbs) / sizeof(verbs[0]);

    memset(req, 0, sizeof(*req));
    req->camera = -1;
    if (count == 0)
        return fail(err, errlen, "empty request: expected a verb");
    if (total_len > IPC_CONTROL_MAX)
        return fail(err, errlen, "request too large: %zu bytes, at most %d", total_len, IPC_CONTROL_MAX);
    if (count > CONTROL_PARTS_MAX)
        return fail(err, errlen, "too many parts: %zu, at most %d", count, CONTROL_PARTS_MAX);
    verb = &parts[0];
    if (verb->len == 0)
        return fail(err, errlen, "empty verb");
    if (!part_is_text(verb))
        return fail(err, errlen, "the verb is not text");
    for (v = 0; v < nverbs; v++)
        if (strlen(verbs[v].name) == verb->len && memcmp(verbs[v].name, verb->data, verb->len) == 0)
            break;
    if (v == nverbs) {
        if (verb->len > 32)
            return fail(err, errlen, "unknown verb '%.32s...'", (const char *)verb->data);
        return fail(err, errlen, "unknown verb '%.*s'", (int)verb->len, (const char *)verb->data);
    }
    req->verb = verbs[v].verb;

    if (verbs[v].arity == NONE && count > 1)
        return fail(err, errlen, "%s takes no argument", verbs[v].name);
    if (verbs[v].arity == CAMERA && count < 2)
        return fail(err, errlen, "%s needs a camera", verbs[v].name);
    if (count > 2)
        return fail(err, errlen, "%s takes one camera, got %zu arguments", verbs[v].name, count - 1);
    if (count == 1)
        return 0;

    arg = &parts[1];
    if (arg->len == 0)
        return fail(err, errlen, "empty camera name");
    if (!part_is_text(arg) || arg->len > CONF_NAME_MAX)
        return fail(err, errlen, "invalid camera name");
    memcpy(req->camera_name, arg->data, arg->len);
    req->camera_name[arg->len] = '\0';
    if (!conf_name_valid(req->camera_name))
        return fail(err, errlen, "invalid camera name '%s'", req->camera_name);
    req->camera = lookup ? lookup(ctx, req->camera_name) : -1;
    if (req->camera < 0)
        return fail(err, errlen, "unknown camera '%s'", req->camera_name);
    return 0;
}
