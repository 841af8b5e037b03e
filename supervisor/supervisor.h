/* supervisor.h - camarenad's instance: the arena, the sockets, the cameras,
 * and the one event loop that runs them.
 *
 * The loop polls four ZeroMQ sockets (publish XPUB, control ROUTER, the
 * workers' XSUB and ROUTER) and a signalfd; timers are the poll's timeout.
 * Children are reaped in the loop. Each camera follows camera_step
 * (camera.h); this module carries out the actions and publishes the events. */
#ifndef CAMARENA_SUPERVISOR_SUPERVISOR_H
#define CAMARENA_SUPERVISOR_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

struct supervisor;

/* Prepares the runtime directory, creates the arena, binds the sockets.
 * conf must outlive the supervisor. Returns 0 and *out, or -errno with err
 * saying what failed (-EEXIST: another instance of this name is running). */
int supervisor_new(struct supervisor **out, const struct conf *conf, char *err, size_t errlen);

/* Runs until SIGTERM or SIGINT has stopped every camera. Returns the exit
 * status of camarenad: 0 after a clean stop, 1 if the loop failed. */
int supervisor_run(struct supervisor *s);

/* Stops what is left, unlinks the arena, closes and removes the sockets,
 * frees *s and sets it to NULL. Safe on NULL. */
void supervisor_destroy(struct supervisor **s);

/* Tells camera index to keep every nth frame (1 keeps all): now if its
 * worker runs, and at every later start. Returns 0 or -ERANGE. */
int supervisor_decimate(struct supervisor *s, size_t index, uint32_t n);

#endif
