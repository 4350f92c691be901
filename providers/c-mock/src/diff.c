/* The change lines of an update; see diff.h. */
#include "diff.h"

#include <stdlib.h>

#include "spec.h"

/* A spec's containers by name, sorted, each name once (the last container
 * of a repeated name wins), like the Rust mock's BTreeMap. Validation has
 * already refused repeated names, so that rule is only for completeness. */
typedef struct {
    const container_t **items;
    size_t len;
} container_index;

typedef struct {
    const container_t *container;
    size_t position;
} positioned;

static int by_name_then_position(const void *a, const void *b) {
    const positioned *x = a, *y = b;
    int c = str_cmp(x->container->name, y->container->name);
    if (c) return c;
    return x->position < y->position ? -1 : x->position > y->position;
}

static container_index index_containers(const spec_t *spec) {
    size_t n = spec->containers.len;
    positioned *sorted = xmalloc((n ? n : 1) * sizeof *sorted);
    for (size_t i = 0; i < n; i++) sorted[i] = (positioned){&spec->containers.ptr[i], i};
    qsort(sorted, n, sizeof *sorted, by_name_then_position);

    container_index index = {xmalloc((n ? n : 1) * sizeof *index.items), 0};
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && str_eq(sorted[i].container->name, sorted[i + 1].container->name))
            continue; /* a later container of the same name replaces it */
        index.items[index.len++] = sorted[i].container;
    }
    free(sorted);
    return index;
}

static const container_t *find(const container_index *index, string_t name) {
    for (size_t i = 0; i < index->len; i++)
        if (str_eq(index->items[i]->name, name)) return index->items[i];
    return NULL;
}

/* "cpu 500m, memory 512 MiB[, storage 10 MiB]" */
static void describe(strbuf *sb, const resources_t *r) {
    sb_printf(sb, "cpu %lum, memory %lu MiB", (unsigned long)r->cpu_millicores,
              (unsigned long)r->memory_mib);
    if (r->storage_mib.is_some)
        sb_printf(sb, ", storage %lu MiB", (unsigned long)r->storage_mib.val);
}

static void describe_option(strbuf *sb,
                            const landlord_compute_types_option_resource_requirements_t *r) {
    if (r->is_some) describe(sb, &r->val);
    else sb_puts(sb, "tenant share");
}

static void container_changes(list_string_t *out, string_t name, const container_t *old,
                              const container_t *new_c) {
    if (!str_eq(old->image, new_c->image)) {
        strings_push(out, str_format("container " STR_FMT ": image " STR_FMT " -> " STR_FMT,
                                     STR_ARG(name), STR_ARG(old->image), STR_ARG(new_c->image)));
    }
    if (!option_resources_eq(&old->resources, &new_c->resources)) {
        strbuf sb = {0};
        sb_printf(&sb, "container " STR_FMT ": resources ", STR_ARG(name));
        describe_option(&sb, &old->resources);
        sb_puts(&sb, " -> ");
        describe_option(&sb, &new_c->resources);
        strings_push(out, sb_finish(&sb));
    }
    const struct {
        const char *what;
        bool differs;
    } fields[] = {
        {"command", !strings_eq(&old->command, &new_c->command)},
        {"args", !strings_eq(&old->args, &new_c->args)},
        {"env", !string_map_eq(&old->env, &new_c->env)},
        {"ports", !ports_eq(&old->ports, &new_c->ports)},
        {"health_check", !option_health_check_eq(&old->health_check, &new_c->health_check)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].differs)
            strings_push(out, str_format("container " STR_FMT ": %s changed", STR_ARG(name),
                                         fields[i].what));
    }
}

void diff_changes(const spec_t *old, const spec_t *new_spec, list_string_t *out) {
    container_index before = index_containers(old);
    container_index after = index_containers(new_spec);

    for (size_t i = 0; i < after.len; i++) {
        const container_t *container = after.items[i];
        const container_t *previous = find(&before, container->name);
        if (!previous) {
            strings_push(out, str_format("container " STR_FMT ": added (image " STR_FMT ")",
                                         STR_ARG(container->name), STR_ARG(container->image)));
        } else {
            container_changes(out, container->name, previous, container);
        }
    }
    for (size_t i = 0; i < before.len; i++) {
        if (!find(&after, before.items[i]->name))
            strings_push(out, str_format("container " STR_FMT ": removed",
                                         STR_ARG(before.items[i]->name)));
    }
    free(before.items);
    free(after.items);

    if (!resources_eq(&old->resources, &new_spec->resources)) {
        strbuf sb = {0};
        sb_puts(&sb, "resources: ");
        describe(&sb, &old->resources);
        sb_puts(&sb, " -> ");
        describe(&sb, &new_spec->resources);
        strings_push(out, sb_finish(&sb));
    }
    const struct {
        const char *what;
        bool differs;
    } sections[] = {
        {"networking", !network_eq(&old->networking, &new_spec->networking)},
        {"secrets", !secrets_eq(&old->secrets, &new_spec->secrets)},
        {"labels", !string_map_eq(&old->labels, &new_spec->labels)},
        {"provider_config",
         !option_string_eq(&old->provider_config, &new_spec->provider_config)},
    };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (sections[i].differs) strings_push(out, str_format("%s: changed", sections[i].what));
    }
}
