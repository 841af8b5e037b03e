/* plan.h - the arena plan of a conf: its enabled cameras laid out, and the
 * plan printed for `camarenad --check`. */
#ifndef CAMARENA_SUPERVISOR_PLAN_H
#define CAMARENA_SUPERVISOR_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "arena/arena.h"
#include "conf/conf.h"

/* Builds the plan of conf's enabled cameras, in file order: part i is the
 * i-th enabled camera and arena descriptor i. Returns 0 or the -errno of
 * arena_plan_build, with err saying why. */
int plan_from_conf(struct arena_plan *plan, const struct conf *conf, char *err, size_t errlen);

/* Writes "1.5 MiB"-style text for bytes into out. Returns out. */
const char *plan_human(char *out, size_t outlen, uint64_t bytes);

/* Prints the plan: a line per camera, the descriptors, the spare room, the total. */
void plan_print(FILE *f, const struct conf *conf, const struct arena_plan *plan);

#endif
