/* reload.c - what a reload changes (see reload.h). */
#include "supervisor/reload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/json.h"

static bool words_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

int reload_supervisor_check(const struct conf *old, const struct conf *new, char *err, size_t errlen)
{
    const char *key = NULL;

    if (strcmp(old->name, new->name) != 0)
        key = "name";
    else if (strcmp(old->runtime_dir, new->runtime_dir) != 0)
        key = "runtime_dir";
    else if (!words_equal(old->publish, old->publish_count, new->publish, new->publish_count))
        key = "publish";
    else if (old->arena_size != new->arena_size)
        key = "arena_size";
    else if (old->max_cameras != new->max_cameras)
        key = "max_cameras";
    else if (old->arena_mode != new->arena_mode)
        key = "arena_mode";
    else if (old->allow_insecure_tcp != new->allow_insecure_tcp)
        key = "allow_insecure_tcp";
    else if (strcmp(old->curve_secret_key, new->curve_secret_key) != 0)
        key = "curve_secret_key";
    else if (strcmp(old->curve_client_keys, new->curve_client_keys) != 0)
        key = "curve_client_keys";
    if (!key)
        return 0;
    snprintf(err, errlen, "%s cannot change on reload: restart camarenad", key);
    return -EINVAL;
}

enum reload_kind reload_camera_compare(const struct conf_camera *old, const struct conf_camera *new)
{
    if (old->width != new->width || old->height != new->height || old->pix_fmt != new->pix_fmt ||
        old->slots != new->slots)
        return RELOAD_REPLACED;
    if (strcmp(old->url, new->url) != 0 ||
        !words_equal(old->input_options, old->input_option_count, new->input_options, new->input_option_count) ||
        old->fps != new->fps || old->data != new->data || old->data_rate_limit != new->data_rate_limit)
        return RELOAD_RESTARTED;
    if (old->priority != new->priority || old->memory_limit != new->memory_limit ||
        old->max_age_ns != new->max_age_ns)
        return RELOAD_TUNED;
    return RELOAD_UNCHANGED;
}

static const struct conf_camera *enabled_named(const struct conf *conf, const char *name)
{
    const struct conf_camera *c = conf_camera_find(conf, name);

    return c && c->enabled ? c : NULL;
}

int reload_diff_build(struct reload_diff *d, const struct conf *old, const struct conf *new)
{
    size_t max = old->camera_count + new->camera_count;

    memset(d, 0, sizeof(*d));
    d->items = calloc(max ? max : 1, sizeof(*d->items));
    if (!d->items)
        return -ENOMEM;
    for (size_t i = 0; i < old->camera_count; i++) {
        const struct conf_camera *o = &old->cameras[i];

        if (o->enabled && !enabled_named(new, o->name))
            d->items[d->count++] = (struct reload_item){RELOAD_REMOVED, o, NULL};
    }
    for (size_t i = 0; i < new->camera_count; i++) {
        const struct conf_camera *n = &new->cameras[i], *o;

        if (!n->enabled)
            continue;
        o = enabled_named(old, n->name);
        d->items[d->count++] = (struct reload_item){o ? reload_camera_compare(o, n) : RELOAD_ADDED, o, n};
    }
    for (size_t i = 0; i < d->count; i++)
        d->counts[d->items[i].kind]++;
    return 0;
}

void reload_diff_close(struct reload_diff *d)
{
    free(d->items);
    memset(d, 0, sizeof(*d));
}

const char *reload_kind_name(enum reload_kind kind)
{
    static const char *const names[] = {"unchanged", "tuned", "restarted", "replaced", "added", "removed"};

    return (unsigned)kind < RELOAD_KIND_COUNT ? names[kind] : "unknown";
}

static void names_of(struct json_writer *w, const char *key, const struct reload_diff *d, enum reload_kind from,
                     enum reload_kind to)
{
    json_key(w, key);
    json_array_begin(w);
    for (size_t i = 0; i < d->count; i++) {
        const struct reload_item *it = &d->items[i];

        if (it->kind >= from && it->kind <= to)
            json_string(w, it->new ? it->new->name : it->old->name);
    }
    json_array_end(w);
}

int reload_json(char *buf, size_t cap, const struct reload_diff *d)
{
    struct json_writer w;

    json_init(&w, buf, cap);
    json_object_begin(&w);
    names_of(&w, "added", d, RELOAD_ADDED, RELOAD_ADDED);
    names_of(&w, "removed", d, RELOAD_REMOVED, RELOAD_REMOVED);
    names_of(&w, "changed", d, RELOAD_TUNED, RELOAD_REPLACED);
    names_of(&w, "unchanged", d, RELOAD_UNCHANGED, RELOAD_UNCHANGED);
    json_object_end(&w);
    return json_finish(&w);
}
