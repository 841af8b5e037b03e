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

void ipc_report_add(struct ipc_report *sum, const struct ipc_report *r)
{
    sum->frames += r->frames;
    sum->dropped_decimated += r->dropped_decimated;
    sum->dropped_notify += r->dropped_notify;
    sum->dropped_partial += r->dropped_partial;
    sum->bytes_read += r->bytes_read;
    sum->data_frames += r->data_frames;
    sum->data_raw_frames += r->data_raw_frames;
    sum->data_bytes += r->data_bytes;
    sum->compressed_frames += r->compressed_frames;
    sum->compressed_in_bytes += r->compressed_in_bytes;
    sum->compressed_out_bytes += r->compressed_out_bytes;
    sum->dropped_data_rate += r->dropped_data_rate;
    sum->dropped_data_hold += r->dropped_data_hold;
    sum->dropped_data_queue += r->dropped_data_queue;
    sum->dropped_data_overwritten += r->dropped_data_overwritten;
}
