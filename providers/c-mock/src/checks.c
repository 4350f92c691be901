/* The provider's own validation; see checks.h. */
#include "checks.h"

#include <stdlib.h>

#include "json.h"

/* The one setting accepted in provider_config, and what it must be. */
#define ZONE_KEY "zone"
#define ZONE_HINT "a zone name such as \"eu-1\""
#define UNKNOWN_SETTING "unknown setting; the mock accepts: " ZONE_KEY " (" ZONE_HINT ")"
#define BAD_ZONE "must be a zone name: lowercase letters, digits and '-'"

/* A zone name: lowercase ASCII letters, digits and '-', not empty. */
static bool is_identifier(string_t text) {
    if (text.len == 0) return false;
    for (size_t i = 0; i < text.len; i++) {
        uint8_t b = text.ptr[i];
        if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-')) return false;
    }
    return true;
}

static void check_provider_config(string_t text, field_errors_t *out) {
    string_t error;
    json_value *config = json_parse((const char *)text.ptr, text.len, &error);
    if (!config) {
        field_errors_push(out, str_from("provider_config"),
                          str_format("is not valid JSON: " STR_FMT, STR_ARG(error)));
        free(error.ptr);
        return;
    }
    if (config->type != JSON_OBJECT) {
        field_errors_push(out, str_from("provider_config"),
                          str_from("must be a JSON object such as {\"zone\": \"eu-1\"}"));
        json_free(config);
        return;
    }
    /* Members come sorted by key, as serde_json's map iterates. */
    for (size_t i = 0; i < config->count; i++) {
        const json_member *m = &config->members[i];
        string_t path = str_format("provider_config." STR_FMT, STR_ARG(m->key));
        if (!str_eq_c(m->key, ZONE_KEY)) {
            /* "the mock accepts" on purpose: the Rust mock's wording. */
            field_errors_push(out, path, str_from(UNKNOWN_SETTING));
        } else if (m->value->type != JSON_STRING || !is_identifier(m->value->string)) {
            field_errors_push(out, path, str_from(BAD_ZONE));
        } else {
            free(path.ptr);
        }
    }
    json_free(config);
}

void checks_problems(const spec_t *spec, const char *name, field_errors_t *out) {
    if (!str_eq_c(spec->provider_type, name)) {
        field_errors_push(out, str_from("provider_type"),
                          str_format("is '" STR_FMT "', but this is the '%s' provider",
                                     STR_ARG(spec->provider_type), name));
    }
    if (spec->containers.len == 0) {
        field_errors_push(out, str_from("containers"),
                          str_from("must list at least one container"));
    }
    /* Every repeat of an earlier name is a problem (a few containers: the
     * quadratic scan is fine). */
    for (size_t i = 0; i < spec->containers.len; i++) {
        string_t name_i = spec->containers.ptr[i].name;
        for (size_t j = 0; j < i; j++) {
            if (str_eq(spec->containers.ptr[j].name, name_i)) {
                field_errors_push(out, str_format("containers[%zu].name", i),
                                  str_format("duplicate container name '" STR_FMT "'",
                                             STR_ARG(name_i)));
                break;
            }
        }
    }
    if (spec->provider_config.is_some) check_provider_config(spec->provider_config.val, out);
}

bool checks_zone(const spec_t *spec, string_t *zone) {
    if (!spec->provider_config.is_some) return false;
    string_t text = spec->provider_config.val, error;
    json_value *config = json_parse((const char *)text.ptr, text.len, &error);
    if (!config) {
        free(error.ptr);
        return false;
    }
    const json_value *value = json_get(config, ZONE_KEY);
    bool found = value && value->type == JSON_STRING;
    if (found) *zone = str_copy(value->string);
    json_free(config);
    return found;
}
