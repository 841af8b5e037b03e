/* plan.c - the arena plan of a conf (see plan.h). */
#include "supervisor/plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

int plan_from_conf(struct arena_plan *plan, const struct conf *conf, char *err, size_t errlen)
{
    struct arena_camera_spec *specs;
    uint32_t n = 0;
    int rc;

    specs = calloc(conf->camera_count ? conf->camera_count : 1, sizeof(*specs));
    if (!specs) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < conf->camera_count; i++) {
        const struct conf_camera *c = &conf->cameras[i];

        if (!c->enabled)
            continue;
        specs[n].name = c->name;
        specs[n].pix_fmt = c->pix_fmt;
        specs[n].width = c->width;
        specs[n].height = c->height;
        specs[n].slot_count = c->slots;
        specs[n].priority = c->priority;
        n++;
    }
    rc = arena_plan_build(plan, specs, n, conf->max_cameras, conf->arena_size, err, errlen);
    free(specs);
    return rc;
}

const char *plan_human(char *out, size_t outlen, uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;

    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(out, outlen, "%" PRIu64 " B", bytes);
    else
        snprintf(out, outlen, "%.1f %s", v, units[u]);
    return out;
}

void plan_print(FILE *f, const struct conf *conf, const struct arena_plan *plan)
{
    char a[32], b[32], c[32];
    uint64_t parts = 0;

    fprintf(f, "instance %s: arena /camarena-%s, %u camera%s\n", conf->name, conf->name, plan->part_count,
            plan->part_count == 1 ? "" : "s");
    for (uint32_t i = 0; i < plan->part_count; i++) {
        const struct arena_part *p = &plan->parts[i];
        uint64_t slots_bytes = (uint64_t)p->slot_count * p->frame_size;

        parts += p->partition_size;
        fprintf(f, "  %s %" PRIu32 "x%" PRIu32 " %s: %" PRIu32 " slots x %" PRIu32 " bytes = %" PRIu64
                   " bytes (%s), partition %" PRIu64 " bytes (%s) at offset %" PRIu64 "\n",
                p->name, p->width, p->height, pixfmt_name(p->pix_fmt), p->slot_count, p->frame_size, slots_bytes,
                plan_human(a, sizeof(a), slots_bytes), p->partition_size, plan_human(b, sizeof(b), p->partition_size),
                p->partition_offset);
    }
    fprintf(f, "  header: %u bytes\n", ARENA_HEADER_SIZE);
    fprintf(f, "  descriptors: %" PRIu32 " x %u = %" PRIu64 " bytes (%s)\n", plan->camera_capacity, ARENA_DESC_SIZE,
            plan->descriptors_size, plan_human(a, sizeof(a), plan->descriptors_size));
    fprintf(f, "  partitions: %" PRIu64 " bytes (%s)\n", parts, plan_human(b, sizeof(b), parts));
    fprintf(f, "  spare room: %" PRIu64 " bytes (%s)\n", plan->size - plan->needed,
            plan_human(c, sizeof(c), plan->size - plan->needed));
    fprintf(f, "  total: %" PRIu64 " bytes (%s)\n", plan->size, plan_human(a, sizeof(a), plan->size));
}
