/* Encoding and decoding of tenant records; see record.h for the format. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---------------------------------------------------------------- encoding */

static void put_key(strbuf *sb, const char *key) {
    json_write_cstring(sb, key);
    sb_append(sb, ":", 1);
}

static void put_option_string(strbuf *sb, const option_string_t *value) {
    if (value->is_some) json_write_string(sb, value->val);
    else sb_puts(sb, "null");
}

#define PUT_OPTION_NUMBER(sb, option)                                      \
    do {                                                                   \
        if ((option).is_some) sb_printf(sb, "%lu", (unsigned long)(option).val); \
        else sb_puts(sb, "null");                                          \
    } while (0)

static void put_strings(strbuf *sb, const list_string_t *list) {
    sb_append(sb, "[", 1);
    for (size_t i = 0; i < list->len; i++) {
        if (i) sb_append(sb, ",", 1);
        json_write_string(sb, list->ptr[i]);
    }
    sb_append(sb, "]", 1);
}

static void put_string_map(strbuf *sb, const string_map_t *map) {
    sb_append(sb, "[", 1);
    for (size_t i = 0; i < map->len; i++) {
        sb_puts(sb, i ? ",[" : "[");
        json_write_string(sb, map->ptr[i].f0);
        sb_append(sb, ",", 1);
        json_write_string(sb, map->ptr[i].f1);
        sb_append(sb, "]", 1);
    }
    sb_append(sb, "]", 1);
}

static void put_resources(strbuf *sb, const resources_t *r) {
    sb_printf(sb, "{\"cpu_millicores\":%lu,\"memory_mib\":%lu,\"storage_mib\":",
              (unsigned long)r->cpu_millicores, (unsigned long)r->memory_mib);
    PUT_OPTION_NUMBER(sb, r->storage_mib);
    sb_append(sb, "}", 1);
}

static const char *const PROTOCOLS[] = {"Tcp", "Udp"};
static const char *const CHECK_TYPES[] = {"Http", "Tcp", "Exec"};

static void put_port(strbuf *sb, const port_t *port) {
    sb_printf(sb, "{\"container_port\":%u,\"host_port\":", (unsigned)port->container_port);
    PUT_OPTION_NUMBER(sb, port->host_port);
    sb_printf(sb, ",\"protocol\":\"%s\",\"name\":", PROTOCOLS[port->protocol]);
    put_option_string(sb, &port->name);
    sb_append(sb, "}", 1);
}

static void put_health_check(strbuf *sb, const health_check_t *h) {
    sb_printf(sb, "{\"check_type\":\"%s\",\"http_path\":", CHECK_TYPES[h->check_type]);
    put_option_string(sb, &h->http_path);
    sb_puts(sb, ",\"port\":");
    PUT_OPTION_NUMBER(sb, h->port);
    sb_puts(sb, ",\"command\":");
    put_strings(sb, &h->command);
    sb_printf(sb, ",\"interval_seconds\":%lu,\"timeout_seconds\":%lu,\"healthy_threshold\":",
              (unsigned long)h->interval_seconds, (unsigned long)h->timeout_seconds);
    PUT_OPTION_NUMBER(sb, h->healthy_threshold);
    sb_puts(sb, ",\"unhealthy_threshold\":");
    PUT_OPTION_NUMBER(sb, h->unhealthy_threshold);
    sb_append(sb, "}", 1);
}

static void put_container(strbuf *sb, const container_t *c) {
    sb_append(sb, "{", 1);
    put_key(sb, "name");
    json_write_string(sb, c->name);
    sb_puts(sb, ",\"image\":");
    json_write_string(sb, c->image);
    sb_puts(sb, ",\"command\":");
    put_strings(sb, &c->command);
    sb_puts(sb, ",\"args\":");
    put_strings(sb, &c->args);
    sb_puts(sb, ",\"env\":");
    put_string_map(sb, &c->env);
    sb_puts(sb, ",\"ports\":[");
    for (size_t i = 0; i < c->ports.len; i++) {
        if (i) sb_append(sb, ",", 1);
        put_port(sb, &c->ports.ptr[i]);
    }
    sb_puts(sb, "],\"health_check\":");
    if (c->health_check.is_some) put_health_check(sb, &c->health_check.val);
    else sb_puts(sb, "null");
    sb_puts(sb, ",\"resources\":");
    if (c->resources.is_some) put_resources(sb, &c->resources.val);
    else sb_puts(sb, "null");
    sb_append(sb, "}", 1);
}

static void put_secret(strbuf *sb, const secret_t *s) {
    sb_append(sb, "{", 1);
    put_key(sb, "name");
    json_write_string(sb, s->name);
    sb_puts(sb, ",\"source\":");
    json_write_string(sb, s->source);
    sb_puts(sb, ",\"key\":");
    json_write_string(sb, s->key);
    sb_puts(sb, ",\"env_var\":");
    put_option_string(sb, &s->env_var);
    sb_append(sb, "}", 1);
}

static void put_networking(strbuf *sb, const network_t *n) {
    sb_printf(sb, "{\"public_ip\":%s,\"security_groups\":", n->public_ip ? "true" : "false");
    put_strings(sb, &n->security_groups);
    sb_puts(sb, ",\"subnets\":");
    put_strings(sb, &n->subnets);
    sb_puts(sb, ",\"dns\":");
    if (n->dns.is_some) {
        sb_puts(sb, "{\"hostname\":");
        put_option_string(sb, &n->dns.val.hostname);
        sb_puts(sb, ",\"domain\":");
        put_option_string(sb, &n->dns.val.domain);
        sb_append(sb, "}", 1);
    } else {
        sb_puts(sb, "null");
    }
    sb_append(sb, "}", 1);
}

string_t record_encode(const spec_t *spec, uint64_t generation) {
    strbuf sb = {0};
    sb_puts(&sb, "{\"spec\":{\"tenant_id\":");
    json_write_string(&sb, spec->tenant_id);
    sb_puts(&sb, ",\"provider_type\":");
    json_write_string(&sb, spec->provider_type);
    sb_puts(&sb, ",\"containers\":[");
    for (size_t i = 0; i < spec->containers.len; i++) {
        if (i) sb_append(&sb, ",", 1);
        put_container(&sb, &spec->containers.ptr[i]);
    }
    sb_puts(&sb, "],\"resources\":");
    put_resources(&sb, &spec->resources);
    sb_puts(&sb, ",\"networking\":");
    put_networking(&sb, &spec->networking);
    sb_puts(&sb, ",\"secrets\":[");
    for (size_t i = 0; i < spec->secrets.len; i++) {
        if (i) sb_append(&sb, ",", 1);
        put_secret(&sb, &spec->secrets.ptr[i]);
    }
    sb_puts(&sb, "],\"labels\":");
    put_string_map(&sb, &spec->labels);
    sb_puts(&sb, ",\"provider_config\":");
    put_option_string(&sb, &spec->provider_config);
    sb_printf(&sb, "},\"generation\":%llu}", (unsigned long long)generation);
    return sb_finish(&sb);
}

/* ---------------------------------------------------------------- decoding */

/* Decoding reads the tree json_parse built. Each reader takes the object
 * and a field name, fills *out and returns false (after noting why in the
 * decoder) when the field is missing or of the wrong type. Lists and
 * strings are allocated fresh, so the generated *_free helpers can free a
 * partly decoded spec. */
typedef struct {
    string_t error; /* why decoding stopped */
} decoder;

static bool wrong(decoder *d, const char *field, const char *expected) {
    if (!d->error.len) d->error = str_format("field `%s`: expected %s", field, expected);
    return false;
}

static bool get_string(decoder *d, const json_value *obj, const char *name, string_t *out) {
    const json_value *v = json_get(obj, name);
    if (!v || v->type != JSON_STRING) return wrong(d, name, "a string");
    *out = str_copy(v->string);
    return true;
}

static bool get_option_string(decoder *d, const json_value *obj, const char *name,
                              option_string_t *out) {
    const json_value *v = json_get(obj, name);
    if (v && v->type == JSON_NULL) {
        *out = none_str();
        return true;
    }
    if (!v || v->type != JSON_STRING) return wrong(d, name, "a string or null");
    *out = some_str(str_copy(v->string));
    return true;
}

static bool get_uint(decoder *d, const json_value *obj, const char *name, uint64_t max,
                     uint64_t *out) {
    const json_value *v = json_get(obj, name);
    if (!v || v->type != JSON_NUMBER || !v->is_uint || v->uint > max)
        return wrong(d, name, "an unsigned integer in range");
    *out = v->uint;
    return true;
}

static bool get_u32(decoder *d, const json_value *obj, const char *name, uint32_t *out) {
    uint64_t n;
    if (!get_uint(d, obj, name, UINT32_MAX, &n)) return false;
    *out = (uint32_t)n;
    return true;
}

static bool get_u16(decoder *d, const json_value *obj, const char *name, uint16_t *out) {
    uint64_t n;
    if (!get_uint(d, obj, name, UINT16_MAX, &n)) return false;
    *out = (uint16_t)n;
    return true;
}

/* A field that may be null: *is_some says which; returns false on a type error. */
static bool get_nullable(decoder *d, const json_value *obj, const char *name, bool *is_some) {
    const json_value *v = json_get(obj, name);
    if (!v) return wrong(d, name, "a value or null");
    *is_some = v->type != JSON_NULL;
    return true;
}

static bool get_option_u32(decoder *d, const json_value *obj, const char *name,
                           compute_provider_option_u32_t *out) {
    if (!get_nullable(d, obj, name, &out->is_some)) return false;
    return !out->is_some || get_u32(d, obj, name, &out->val);
}

static bool get_option_u16(decoder *d, const json_value *obj, const char *name,
                           compute_provider_option_u16_t *out) {
    if (!get_nullable(d, obj, name, &out->is_some)) return false;
    return !out->is_some || get_u16(d, obj, name, &out->val);
}

static bool get_bool(decoder *d, const json_value *obj, const char *name, bool *out) {
    const json_value *v = json_get(obj, name);
    if (!v || v->type != JSON_BOOL) return wrong(d, name, "true or false");
    *out = v->boolean;
    return true;
}

/* One of `names` (a Rust enum's unit variants), as its index. */
static bool get_enum(decoder *d, const json_value *obj, const char *name,
                     const char *const *names, size_t count, uint8_t *out) {
    const json_value *v = json_get(obj, name);
    if (v && v->type == JSON_STRING) {
        for (size_t i = 0; i < count; i++) {
            if (str_eq_c(v->string, names[i])) {
                *out = (uint8_t)i;
                return true;
            }
        }
    }
    return wrong(d, name, "a known variant name");
}

/* The array `name` of obj; allocates *items zeroed, `size` bytes each. */
static const json_value *get_array(decoder *d, const json_value *obj, const char *name,
                                   size_t size, void **items, size_t *len) {
    const json_value *v = json_get(obj, name);
    if (!v || v->type != JSON_ARRAY) {
        wrong(d, name, "an array");
        return NULL;
    }
    *items = v->count ? calloc(v->count, size) : NULL;
    if (v->count && !*items) abort();
    *len = v->count;
    return v;
}

static bool get_strings(decoder *d, const json_value *obj, const char *name, list_string_t *out) {
    const json_value *v = get_array(d, obj, name, sizeof *out->ptr, (void **)&out->ptr, &out->len);
    if (!v) return false;
    for (size_t i = 0; i < v->count; i++) {
        if (v->items[i]->type != JSON_STRING) return wrong(d, name, "an array of strings");
        out->ptr[i] = str_copy(v->items[i]->string);
    }
    return true;
}

static bool get_string_map(decoder *d, const json_value *obj, const char *name,
                           string_map_t *out) {
    const json_value *v = get_array(d, obj, name, sizeof *out->ptr, (void **)&out->ptr, &out->len);
    if (!v) return false;
    for (size_t i = 0; i < v->count; i++) {
        const json_value *pair = v->items[i];
        if (pair->type != JSON_ARRAY || pair->count != 2 || pair->items[0]->type != JSON_STRING ||
            pair->items[1]->type != JSON_STRING)
            return wrong(d, name, "an array of [key, value] string pairs");
        out->ptr[i].f0 = str_copy(pair->items[0]->string);
        out->ptr[i].f1 = str_copy(pair->items[1]->string);
    }
    return true;
}

/* A nested object field; NULL (after noting why) when it is not one. */
static const json_value *get_object(decoder *d, const json_value *obj, const char *name) {
    const json_value *v = json_get(obj, name);
    if (!v || v->type != JSON_OBJECT) {
        wrong(d, name, "an object");
        return NULL;
    }
    return v;
}

static bool read_resources(decoder *d, const json_value *obj, resources_t *out) {
    return get_u32(d, obj, "cpu_millicores", &out->cpu_millicores) &&
           get_u32(d, obj, "memory_mib", &out->memory_mib) &&
           get_option_u32(d, obj, "storage_mib", &out->storage_mib);
}

static bool read_port(decoder *d, const json_value *obj, port_t *out) {
    if (obj->type != JSON_OBJECT) return wrong(d, "ports", "an array of objects");
    return get_u16(d, obj, "container_port", &out->container_port) &&
           get_option_u16(d, obj, "host_port", &out->host_port) &&
           get_enum(d, obj, "protocol", PROTOCOLS, 2, &out->protocol) &&
           get_option_string(d, obj, "name", &out->name);
}

static bool read_health_check(decoder *d, const json_value *obj, health_check_t *out) {
    return get_enum(d, obj, "check_type", CHECK_TYPES, 3, &out->check_type) &&
           get_option_string(d, obj, "http_path", &out->http_path) &&
           get_option_u16(d, obj, "port", &out->port) &&
           get_strings(d, obj, "command", &out->command) &&
           get_u32(d, obj, "interval_seconds", &out->interval_seconds) &&
           get_u32(d, obj, "timeout_seconds", &out->timeout_seconds) &&
           get_option_u32(d, obj, "healthy_threshold", &out->healthy_threshold) &&
           get_option_u32(d, obj, "unhealthy_threshold", &out->unhealthy_threshold);
}

static bool read_container(decoder *d, const json_value *obj, container_t *out) {
    if (obj->type != JSON_OBJECT) return wrong(d, "containers", "an array of objects");
    if (!get_string(d, obj, "name", &out->name) || !get_string(d, obj, "image", &out->image) ||
        !get_strings(d, obj, "command", &out->command) ||
        !get_strings(d, obj, "args", &out->args) || !get_string_map(d, obj, "env", &out->env))
        return false;
    const json_value *ports = get_array(d, obj, "ports", sizeof *out->ports.ptr,
                                        (void **)&out->ports.ptr, &out->ports.len);
    if (!ports) return false;
    for (size_t i = 0; i < ports->count; i++)
        if (!read_port(d, ports->items[i], &out->ports.ptr[i])) return false;

    if (!get_nullable(d, obj, "health_check", &out->health_check.is_some)) return false;
    if (out->health_check.is_some) {
        const json_value *check = get_object(d, obj, "health_check");
        if (!check || !read_health_check(d, check, &out->health_check.val)) return false;
    }
    if (!get_nullable(d, obj, "resources", &out->resources.is_some)) return false;
    if (out->resources.is_some) {
        const json_value *resources = get_object(d, obj, "resources");
        if (!resources || !read_resources(d, resources, &out->resources.val)) return false;
    }
    return true;
}

static bool read_secret(decoder *d, const json_value *obj, secret_t *out) {
    if (obj->type != JSON_OBJECT) return wrong(d, "secrets", "an array of objects");
    return get_string(d, obj, "name", &out->name) &&
           get_string(d, obj, "source", &out->source) && get_string(d, obj, "key", &out->key) &&
           get_option_string(d, obj, "env_var", &out->env_var);
}

static bool read_networking(decoder *d, const json_value *obj, network_t *out) {
    if (!get_bool(d, obj, "public_ip", &out->public_ip) ||
        !get_strings(d, obj, "security_groups", &out->security_groups) ||
        !get_strings(d, obj, "subnets", &out->subnets) ||
        !get_nullable(d, obj, "dns", &out->dns.is_some))
        return false;
    if (!out->dns.is_some) return true;
    const json_value *dns = get_object(d, obj, "dns");
    return dns && get_option_string(d, dns, "hostname", &out->dns.val.hostname) &&
           get_option_string(d, dns, "domain", &out->dns.val.domain);
}

static bool read_spec(decoder *d, const json_value *obj, spec_t *out) {
    if (!get_string(d, obj, "tenant_id", &out->tenant_id) ||
        !get_string(d, obj, "provider_type", &out->provider_type))
        return false;
    const json_value *containers =
        get_array(d, obj, "containers", sizeof *out->containers.ptr,
                  (void **)&out->containers.ptr, &out->containers.len);
    if (!containers) return false;
    for (size_t i = 0; i < containers->count; i++)
        if (!read_container(d, containers->items[i], &out->containers.ptr[i])) return false;

    const json_value *resources = get_object(d, obj, "resources");
    if (!resources || !read_resources(d, resources, &out->resources)) return false;
    const json_value *networking = get_object(d, obj, "networking");
    if (!networking || !read_networking(d, networking, &out->networking)) return false;

    const json_value *secrets = get_array(d, obj, "secrets", sizeof *out->secrets.ptr,
                                          (void **)&out->secrets.ptr, &out->secrets.len);
    if (!secrets) return false;
    for (size_t i = 0; i < secrets->count; i++)
        if (!read_secret(d, secrets->items[i], &out->secrets.ptr[i])) return false;

    return get_string_map(d, obj, "labels", &out->labels) &&
           get_option_string(d, obj, "provider_config", &out->provider_config);
}

bool record_decode(const uint8_t *bytes, size_t len, spec_t *spec, uint64_t *generation,
                   string_t *error) {
    memset(spec, 0, sizeof *spec);
    json_value *root = json_parse((const char *)bytes, len, error);
    if (!root) return false;
    decoder d = {{0}};
    const json_value *spec_object = get_object(&d, root, "spec");
    bool ok = spec_object && read_spec(&d, spec_object, spec) &&
              get_uint(&d, root, "generation", UINT64_MAX, generation);
    json_free(root);
    if (!ok) {
        landlord_compute_types_tenant_compute_spec_free(spec);
        *error = d.error;
    }
    return ok;
}
