/* proto.c - endpoints and topics of one instance (see proto.h). */
#include "ipc/proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

static const char *const suffixes[] = {
    [IPC_PUB] = "pub",
    [IPC_CTL] = "ctl",
    [IPC_UP] = "up",
    [IPC_WRK] = "wrk",
};

int ipc_endpoint(char *out, size_t outlen, const char *runtime_dir, const char *instance, enum ipc_socket which)
{
    struct sockaddr_un sun;
    int n;

    if ((unsigned)which >= sizeof(suffixes) / sizeof(suffixes[0]))
        return -EINVAL;
    n = snprintf(out, outlen, "ipc://%s/%s.%s", runtime_dir, instance, suffixes[which]);
    if (n < 0 || (size_t)n >= outlen)
        return -ENAMETOOLONG;
    /* ZeroMQ copies the path into sun_path, which must keep its NUL. */
    if ((size_t)n - strlen("ipc://") >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    return 0;
}

const char *ipc_endpoint_path(const char *endpoint)
{
    static const char prefix[] = "ipc://";

    if (!endpoint || strncmp(endpoint, prefix, sizeof(prefix) - 1) != 0)
        return NULL;
    if (endpoint[sizeof(prefix) - 1] == '\0')
        return NULL;
    return endpoint + sizeof(prefix) - 1;
}

int ipc_topic(char *out, size_t outlen, const char *kind, const char *camera)
{
    int n = snprintf(out, outlen, "%s/%s/", kind, camera);

    if (n < 0 || (size_t)n >= outlen)
        return -ENAMETOOLONG;
    return n;
}
