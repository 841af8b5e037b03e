/* reload.h - what a reload (the control verb, SIGHUP) changes: the conf read
 * again, compared with the running one. Pure: supervisor.c carries it out.
 *
 * Cameras are matched by name; a disabled camera counts as absent. Every
 * key of a camera falls in one of three groups, and the most disruptive
 * group that changed decides what happens to it:
 *
 *   camarenad's own   priority, memory_limit, max_age: applied in place,
 *                     the worker keeps running (RELOAD_TUNED);
 *   the worker's      url, input_options, fps, data, data_rate_limit: the
 *                     unit is restarted with them (RELOAD_RESTARTED);
 *   the geometry      width, height, pix_fmt, slots: the camera is removed
 *                     and added again, in a new partition, and its frame
 *                     numbering starts over at 1 (RELOAD_REPLACED).
 *
 * [supervisor] keys that shape what was created at start (the arena, the
 * sockets, the keys) cannot change without a restart; the others take effect
 * at once or, for what a worker is started with, at its next start. */
#ifndef CAMARENA_SUPERVISOR_RELOAD_H
#define CAMARENA_SUPERVISOR_RELOAD_H

#include <stddef.h>

#include "conf/conf.h"

enum reload_kind {
    RELOAD_UNCHANGED,  /* every key equal: left running untouched */
    RELOAD_TUNED,      /* only camarenad's own keys changed: applied in place */
    RELOAD_RESTARTED,  /* a key the worker is started with changed: its unit restarts */
    RELOAD_REPLACED,   /* its geometry changed: removed, then added in a new partition */
    RELOAD_ADDED,      /* new, or enabled now */
    RELOAD_REMOVED,    /* gone, or disabled now */
    RELOAD_KIND_COUNT
};

/* One camera of the comparison. */
struct reload_item {
    enum reload_kind kind;
    const struct conf_camera *old;  /* in the running conf; NULL for an added camera */
    const struct conf_camera *new;  /* in the conf read again; NULL for a removed camera */
};

/* The whole comparison. */
struct reload_diff {
    struct reload_item *items;          /* owned: the removed cameras first, in the old file's order,
                                         * then every enabled camera of the new file, in its order */
    size_t count;
    size_t counts[RELOAD_KIND_COUNT];   /* items of each kind */
};

/* Returns 0 if every [supervisor] key that needs a restart is the same in
 * old and new, else -EINVAL with err naming the first that is not: "name
 * cannot change on reload: restart camarenad". Those keys are name,
 * runtime_dir, publish, arena_size, max_cameras, arena_mode,
 * allow_insecure_tcp, curve_secret_key and curve_client_keys. */
int reload_supervisor_check(const struct conf *old, const struct conf *new, char *err, size_t errlen);

/* Returns what a reload does to a camera enabled in both confs:
 * RELOAD_UNCHANGED, RELOAD_TUNED, RELOAD_RESTARTED or RELOAD_REPLACED. The
 * line of its section is not compared. */
enum reload_kind reload_camera_compare(const struct conf_camera *old, const struct conf_camera *new);

/* Compares the enabled cameras of old and new into *d. The items point into
 * both confs, which must outlive d. Returns 0, or -ENOMEM with d empty. */
int reload_diff_build(struct reload_diff *d, const struct conf *old, const struct conf *new);

/* Frees the items; d can be built again. Safe on a zeroed d. */
void reload_diff_close(struct reload_diff *d);

/* "unchanged" "tuned" "restarted" "replaced" "added" "removed". */
const char *reload_kind_name(enum reload_kind kind);

/* Writes the body of reload's ok reply:
 * {"added":[...],"removed":[...],"changed":[...],"unchanged":[...]}, names in
 * the order of d; "changed" holds the tuned, restarted and replaced cameras.
 * Returns the length, or -ENOBUFS if buf is too small. */
int reload_json(char *buf, size_t cap, const struct reload_diff *d);

#endif
