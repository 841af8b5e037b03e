/* supervisor.h - camarenad's instance: the arena, the sockets, the cameras,
 * and the one event loop that runs them.
 *
 * The loop polls four ZeroMQ sockets (publish XPUB, control ROUTER, the
 * workers' XSUB and ROUTER) and a signalfd; timers are the poll's timeout.
 * Children are reaped in the loop. Each camera follows camera_step
 * (camera.h); this module carries out the actions and publishes the events.
 *
 * reload (control) and SIGHUP read the conf file again (reload.h says what
 * each change does). A refused reload changes nothing. An accepted one
 * applies the [supervisor] settings, restarts or tunes the changed cameras,
 * and stops the removed ones; once their units are reaped (in the loop, like
 * any other), their descriptors and partitions are freed (arena_desc_free)
 * and the added cameras get theirs (arena_desc_set, placed beforehand by
 * arena_space_fit as if the removed ones were gone) and start. The cameras
 * of a running instance point into its running conf; a reloaded conf
 * replaces the old one at once for the settings, and the old one is freed
 * once no camera (a removed one still stopping) points into it. The arrays
 * that hold cameras are sized for max_cameras at start, never reallocated. */
#ifndef CAMARENA_SUPERVISOR_SUPERVISOR_H
#define CAMARENA_SUPERVISOR_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

struct supervisor;

/* Prepares the runtime directory, creates the arena, binds the sockets.
 * conf must outlive the supervisor (confs read by a reload are the
 * supervisor's own). Returns 0 and *out, or -errno with err
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
