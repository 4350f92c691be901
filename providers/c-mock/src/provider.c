/*
 * c-mock: the mock compute provider written in C, behaving exactly like the
 * Rust reference mock (providers/mock). It provisions nothing real: it keeps
 * each tenant's spec in host state (the `state` import) and answers as a
 * real provider would. An operator can make any operation fail through the
 * `config` import: `fail.<operation>` = the message to fail with (for example
 * `fail.provision = "quota exceeded"`).
 *
 * The six exports below are the functions `wit-bindgen c` declares in the
 * generated compute_provider.h (exports_landlord_compute_provider_*). Each
 * returns true with *ret filled, or false with *err filled. Ownership (see
 * util.h): the arguments are ours and each export frees them once, at its
 * end; everything put in *ret / *err must be freshly malloc'd, because the
 * generated post-return function frees it after the host has read it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "diff.h"
#include "record.h"
#include "spec.h"
#include "util.h"

/* The provider's registry name. */
#define NAME "c-mock"

/* Domain of endpoint addresses when the spec names none. */
#define DEFAULT_DOMAIN "mock.internal"

typedef landlord_compute_types_provision_result_t provision_result_t;
typedef landlord_compute_types_update_result_t update_result_t;
typedef landlord_compute_types_compute_status_t compute_status_t;
typedef landlord_compute_state_state_error_t state_error_t;

/* ------------------------------------------------------------ small helpers */

static provider_error_t error_message(uint8_t tag, string_t owned_message) {
    provider_error_t err = {.tag = tag};
    /* Every case but invalid-spec carries one string; the union puts them
     * all at the same place, so any of its string members will do. */
    err.val.operation_failed = owned_message;
    return err;
}

static provider_error_t invalid_spec(field_errors_t problems) {
    provider_error_t err = {.tag = LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_INVALID_SPEC};
    err.val.invalid_spec = problems;
    return err;
}

static void log_info(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void log_info(const char *format, ...) {
    strbuf sb = {0};
    va_list args;
    va_start(args, format);
    sb_vprintf(&sb, format, args);
    va_end(args);
    string_t message = sb_finish(&sb);
    landlord_compute_log_log(LANDLORD_COMPUTE_LOG_LEVEL_INFO, &message); /* borrowed */
    free(message.ptr);
}

/* The operator's failure switch for `operation` (config `fail.<operation>`):
 * true with *message set (owned) when it is on. */
static bool configured_failure(const char *operation, string_t *message) {
    string_t key = str_format("fail.%s", operation);
    bool on = landlord_compute_config_get(&key, message); /* *message becomes ours */
    free(key.ptr);
    return on;
}

static string_t tenant_key(string_t tenant_id) {
    return str_format("tenant/" STR_FMT, STR_ARG(tenant_id));
}

/* A state error as operation-failed("state: ..."), in the words of the Rust
 * mock's Debug output, e.g. `state: StateError::ValueTooLarge(65536)`.
 * Frees the error's payload. */
static provider_error_t state_failure(state_error_t *e) {
    strbuf sb = {0};
    switch (e->tag) {
        case LANDLORD_COMPUTE_STATE_STATE_ERROR_KEY_TOO_LARGE:
            sb_printf(&sb, "state: StateError::KeyTooLarge(%lu)",
                      (unsigned long)e->val.key_too_large);
            break;
        case LANDLORD_COMPUTE_STATE_STATE_ERROR_VALUE_TOO_LARGE:
            sb_printf(&sb, "state: StateError::ValueTooLarge(%lu)",
                      (unsigned long)e->val.value_too_large);
            break;
        default: {
            sb_puts(&sb, "state: StateError::Unavailable(\"");
            string_t why = e->val.unavailable;
            for (size_t i = 0; i < why.len; i++) {
                uint8_t c = why.ptr[i];
                if (c == '"' || c == '\\') sb_printf(&sb, "\\%c", c);
                else if (c == '\0') sb_puts(&sb, "\\0");
                else if (c == '\n') sb_puts(&sb, "\\n");
                else if (c == '\r') sb_puts(&sb, "\\r");
                else if (c == '\t') sb_puts(&sb, "\\t");
                else if (c < 0x20 || c == 0x7F) sb_printf(&sb, "\\u{%x}", c);
                else sb_append(&sb, &c, 1);
            }
            sb_puts(&sb, "\")");
        }
    }
    landlord_compute_state_state_error_free(e);
    return error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_OPERATION_FAILED, sb_finish(&sb));
}

/* Loads the record of `tenant_id`: returns false with *err on failure;
 * otherwise *found says whether it exists, and if so *spec (owned) and
 * *generation hold it. */
static bool load(string_t tenant_id, bool *found, spec_t *spec, uint64_t *generation,
                 provider_error_t *err) {
    string_t key = tenant_key(tenant_id);
    compute_provider_option_list_u8_t value;
    state_error_t state_err;
    bool ok = landlord_compute_state_get(&key, &value, &state_err);
    free(key.ptr);
    if (!ok) {
        *err = state_failure(&state_err);
        return false;
    }
    *found = value.is_some;
    if (!value.is_some) return true;

    string_t why;
    ok = record_decode(value.val.ptr, value.val.len, spec, generation, &why);
    compute_provider_list_u8_free(&value.val); /* the import's result is ours */
    if (!ok) {
        *err = error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_OPERATION_FAILED,
                             str_format("stored record of " STR_FMT " is corrupt: " STR_FMT,
                                        STR_ARG(tenant_id), STR_ARG(why)));
        free(why.ptr);
    }
    return ok;
}

static bool save(const spec_t *spec, uint64_t generation, provider_error_t *err) {
    string_t key = tenant_key(spec->tenant_id);
    string_t bytes = record_encode(spec, generation);
    compute_provider_list_u8_t value = {bytes.ptr, bytes.len};
    state_error_t state_err;
    bool ok = landlord_compute_state_set(&key, &value, &state_err);
    free(key.ptr);
    free(bytes.ptr);
    if (!ok) *err = state_failure(&state_err);
    return ok;
}

/* The provider's own rules (checks.c): false with invalid-spec in *err. */
static bool accept(const spec_t *spec, provider_error_t *err) {
    field_errors_t problems = {0};
    checks_problems(spec, NAME, &problems);
    if (problems.len == 0) return true;
    *err = invalid_spec(problems);
    return false;
}

static int by_key_then_value(const void *a, const void *b) {
    const string_pair_t *x = a, *y = b;
    int c = str_cmp(x->f0, y->f0);
    return c ? c : str_cmp(x->f1, y->f1);
}

/* `network` -> mock-net-<tenant>, `container/<name>` -> mock-<tenant>-<name>,
 * sorted. (The ids keep the Rust mock's `mock` prefix.) */
static string_map_t resource_ids(const spec_t *spec) {
    string_map_t ids = {0};
    string_map_push(&ids, str_from("network"),
                    str_format("mock-net-" STR_FMT, STR_ARG(spec->tenant_id)));
    for (size_t i = 0; i < spec->containers.len; i++) {
        string_t name = spec->containers.ptr[i].name;
        string_map_push(&ids, str_format("container/" STR_FMT, STR_ARG(name)),
                        str_format("mock-" STR_FMT "-" STR_FMT, STR_ARG(spec->tenant_id),
                                   STR_ARG(name)));
    }
    qsort(ids.ptr, ids.len, sizeof *ids.ptr, by_key_then_value);
    return ids;
}

/* One endpoint per container port: <container>.<tenant>.<domain>. */
static landlord_compute_types_list_endpoint_t endpoints(const spec_t *spec) {
    const option_string_t *domain_option =
        spec->networking.dns.is_some ? &spec->networking.dns.val.domain : NULL;
    string_t domain = domain_option && domain_option->is_some
                          ? domain_option->val
                          : (string_t){(uint8_t *)DEFAULT_DOMAIN, strlen(DEFAULT_DOMAIN)};
    landlord_compute_types_list_endpoint_t list = {0};
    for (size_t i = 0; i < spec->containers.len; i++) {
        const container_t *c = &spec->containers.ptr[i];
        for (size_t j = 0; j < c->ports.len; j++) {
            const port_t *port = &c->ports.ptr[j];
            const char *scheme =
                port->protocol == LANDLORD_COMPUTE_TYPES_PROTOCOL_UDP ? "udp" : "tcp";
            uint16_t number = port->host_port.is_some ? port->host_port.val : port->container_port;
            string_t address = str_format(STR_FMT "." STR_FMT "." STR_FMT, STR_ARG(c->name),
                                          STR_ARG(spec->tenant_id), STR_ARG(domain));
            list.ptr = xrealloc(list.ptr, (list.len + 1) * sizeof *list.ptr);
            list.ptr[list.len++] = (landlord_compute_types_endpoint_t){
                .endpoint_type = str_from(scheme),
                .url = some_str(str_format("%s://" STR_FMT ":%u", scheme, STR_ARG(address),
                                           (unsigned)number)),
                .address = address,
                .port = number,
            };
        }
    }
    return list;
}

/* ------------------------------------------------------------ the operations */

static bool provision(const spec_t *spec, provision_result_t *ret, provider_error_t *err) {
    string_t failure;
    if (configured_failure("provision", &failure)) {
        *err = error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_PROVISION_FAILED, failure);
        return false;
    }
    if (!accept(spec, err)) return false;

    bool found;
    spec_t stored;
    uint64_t generation;
    if (!load(spec->tenant_id, &found, &stored, &generation, err)) return false;
    const char *message;
    if (found) {
        bool same = spec_eq(&stored, spec);
        landlord_compute_types_tenant_compute_spec_free(&stored);
        if (!same) {
            *err = error_message(
                LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_PROVISION_FAILED,
                str_format("tenant '" STR_FMT "' already exists with a different spec; use "
                           "update to change it",
                           STR_ARG(spec->tenant_id)));
            return false;
        }
        message = "already provisioned with this spec";
    } else {
        if (!save(spec, 1, err)) return false;
        message = "provisioned";
    }
    log_info("%s: " STR_FMT, message, STR_ARG(spec->tenant_id));

    *ret = (provision_result_t){
        .tenant_id = str_copy(spec->tenant_id),
        .provider_type = str_from(NAME),
        .status = LANDLORD_COMPUTE_TYPES_PROVISION_STATUS_SUCCESS,
        .resource_ids = resource_ids(spec),
        .endpoints = endpoints(spec),
        .message = some_str(str_from(message)),
    };
    return true;
}

static bool update(string_t tenant_id, const spec_t *spec, update_result_t *ret,
                   provider_error_t *err) {
    string_t failure;
    if (configured_failure("update", &failure)) {
        *err = error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_UPDATE_FAILED, failure);
        return false;
    }
    if (!accept(spec, err)) return false;

    bool found;
    spec_t stored;
    uint64_t generation;
    if (!load(tenant_id, &found, &stored, &generation, err)) return false;
    if (!found) {
        *err = error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_TENANT_NOT_FOUND,
                             str_copy(tenant_id));
        return false;
    }
    list_string_t changes = {0};
    diff_changes(&stored, spec, &changes);
    landlord_compute_types_tenant_compute_spec_free(&stored);

    uint8_t status = LANDLORD_COMPUTE_TYPES_UPDATE_STATUS_NO_CHANGES;
    if (changes.len) {
        if (!save(spec, generation + 1, err)) {
            compute_provider_list_string_free(&changes);
            return false;
        }
        log_info("updated " STR_FMT ": %zu change(s)", STR_ARG(tenant_id), changes.len);
        status = LANDLORD_COMPUTE_TYPES_UPDATE_STATUS_SUCCESS;
    }
    *ret = (update_result_t){
        .tenant_id = str_copy(tenant_id),
        .provider_type = str_from(NAME),
        .status = status,
        .changes = changes,
        .message = none_str(),
    };
    return true;
}

static bool destroy(string_t tenant_id, provider_error_t *err) {
    string_t failure;
    if (configured_failure("destroy", &failure)) {
        *err = error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_OPERATION_FAILED, failure);
        return false;
    }
    /* Idempotent: deleting a missing key is not an error. */
    string_t key = tenant_key(tenant_id);
    state_error_t state_err;
    bool ok = landlord_compute_state_delete(&key, &state_err);
    free(key.ptr);
    if (!ok) {
        *err = state_failure(&state_err);
        return false;
    }
    log_info("destroyed " STR_FMT, STR_ARG(tenant_id));
    return true;
}

static bool get_status(string_t tenant_id, compute_status_t *ret, provider_error_t *err) {
    string_t failure;
    if (configured_failure("get-status", &failure)) {
        *err = error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_OPERATION_FAILED, failure);
        return false;
    }
    bool found;
    spec_t stored;
    uint64_t generation;
    if (!load(tenant_id, &found, &stored, &generation, err)) return false;
    if (!found) {
        *err = error_message(LANDLORD_COMPUTE_TYPES_PROVIDER_ERROR_TENANT_NOT_FOUND,
                             str_copy(tenant_id));
        return false;
    }

    landlord_compute_types_list_container_status_t containers = {0};
    bool checked = false;
    size_t n = stored.containers.len;
    if (n) containers.ptr = xmalloc(n * sizeof *containers.ptr);
    for (size_t i = 0; i < n; i++) {
        const container_t *c = &stored.containers.ptr[i];
        checked = checked || c->health_check.is_some;
        containers.ptr[containers.len++] = (landlord_compute_types_container_status_t){
            .name = str_copy(c->name),
            .state = str_from("running"),
            .ready = true,
            .restart_count = 0,
            .message = some_str(str_format("image " STR_FMT, STR_ARG(c->image))),
        };
    }
    string_map_t metadata = {0};
    string_t zone;
    if (!checks_zone(&stored, &zone)) zone = str_from("default");
    string_map_push(&metadata, str_from("generation"),
                    str_format("%llu", (unsigned long long)generation));
    string_map_push(&metadata, str_from("zone"), zone);
    landlord_compute_types_tenant_compute_spec_free(&stored);

    *ret = (compute_status_t){
        .tenant_id = str_copy(tenant_id),
        .provider_type = str_from(NAME),
        .state = LANDLORD_COMPUTE_TYPES_COMPUTE_STATE_RUNNING,
        .containers = containers,
        .health = checked ? LANDLORD_COMPUTE_TYPES_HEALTH_STATUS_HEALTHY
                          : LANDLORD_COMPUTE_TYPES_HEALTH_STATUS_UNKNOWN,
        .metadata = metadata,
    };
    return true;
}

static bool validate(const spec_t *spec, provider_error_t *err) {
    string_t failure;
    if (configured_failure("validate", &failure)) {
        field_errors_t problems = {0};
        field_errors_push(&problems, (string_t){0}, failure);
        *err = invalid_spec(problems);
        return false;
    }
    return accept(spec, err);
}

/* ------------------------------------------------------------ the exports */

void exports_landlord_compute_provider_name(string_t *ret) {
    *ret = str_from(NAME); /* a copy: post-return frees it */
}

bool exports_landlord_compute_provider_provision(spec_t *spec, provision_result_t *ret,
                                                 provider_error_t *err) {
    bool ok = provision(spec, ret, err);
    landlord_compute_types_tenant_compute_spec_free(spec);
    return ok;
}

bool exports_landlord_compute_provider_update(string_t *tenant_id, spec_t *spec,
                                              update_result_t *ret, provider_error_t *err) {
    bool ok = update(*tenant_id, spec, ret, err);
    compute_provider_string_free(tenant_id);
    landlord_compute_types_tenant_compute_spec_free(spec);
    return ok;
}

bool exports_landlord_compute_provider_destroy(string_t *tenant_id, provider_error_t *err) {
    bool ok = destroy(*tenant_id, err);
    compute_provider_string_free(tenant_id);
    return ok;
}

bool exports_landlord_compute_provider_get_status(string_t *tenant_id, compute_status_t *ret,
                                                  provider_error_t *err) {
    bool ok = get_status(*tenant_id, ret, err);
    compute_provider_string_free(tenant_id);
    return ok;
}

bool exports_landlord_compute_provider_validate(spec_t *spec, provider_error_t *err) {
    bool ok = validate(spec, err);
    landlord_compute_types_tenant_compute_spec_free(spec);
    return ok;
}
