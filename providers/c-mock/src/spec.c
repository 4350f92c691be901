/* Equality of specs and their parts; see spec.h. */
#include "spec.h"

#define OPTION_EQ(a, b) \
    ((a)->is_some == (b)->is_some && (!(a)->is_some || (a)->val == (b)->val))

bool option_string_eq(const option_string_t *a, const option_string_t *b) {
    return a->is_some == b->is_some && (!a->is_some || str_eq(a->val, b->val));
}

bool strings_eq(const list_string_t *a, const list_string_t *b) {
    if (a->len != b->len) return false;
    for (size_t i = 0; i < a->len; i++)
        if (!str_eq(a->ptr[i], b->ptr[i])) return false;
    return true;
}

bool string_map_eq(const string_map_t *a, const string_map_t *b) {
    if (a->len != b->len) return false;
    for (size_t i = 0; i < a->len; i++)
        if (!str_eq(a->ptr[i].f0, b->ptr[i].f0) || !str_eq(a->ptr[i].f1, b->ptr[i].f1))
            return false;
    return true;
}

static bool port_eq(const port_t *a, const port_t *b) {
    return a->container_port == b->container_port && OPTION_EQ(&a->host_port, &b->host_port) &&
           a->protocol == b->protocol && option_string_eq(&a->name, &b->name);
}

bool ports_eq(const landlord_compute_types_list_port_mapping_t *a,
              const landlord_compute_types_list_port_mapping_t *b) {
    if (a->len != b->len) return false;
    for (size_t i = 0; i < a->len; i++)
        if (!port_eq(&a->ptr[i], &b->ptr[i])) return false;
    return true;
}

static bool health_check_eq(const health_check_t *a, const health_check_t *b) {
    return a->check_type == b->check_type && option_string_eq(&a->http_path, &b->http_path) &&
           OPTION_EQ(&a->port, &b->port) && strings_eq(&a->command, &b->command) &&
           a->interval_seconds == b->interval_seconds &&
           a->timeout_seconds == b->timeout_seconds &&
           OPTION_EQ(&a->healthy_threshold, &b->healthy_threshold) &&
           OPTION_EQ(&a->unhealthy_threshold, &b->unhealthy_threshold);
}

bool option_health_check_eq(const landlord_compute_types_option_health_check_config_t *a,
                            const landlord_compute_types_option_health_check_config_t *b) {
    return a->is_some == b->is_some && (!a->is_some || health_check_eq(&a->val, &b->val));
}

bool resources_eq(const resources_t *a, const resources_t *b) {
    return a->cpu_millicores == b->cpu_millicores && a->memory_mib == b->memory_mib &&
           OPTION_EQ(&a->storage_mib, &b->storage_mib);
}

bool option_resources_eq(const landlord_compute_types_option_resource_requirements_t *a,
                         const landlord_compute_types_option_resource_requirements_t *b) {
    return a->is_some == b->is_some && (!a->is_some || resources_eq(&a->val, &b->val));
}

static bool dns_eq(const dns_t *a, const dns_t *b) {
    return option_string_eq(&a->hostname, &b->hostname) && option_string_eq(&a->domain, &b->domain);
}

bool network_eq(const network_t *a, const network_t *b) {
    return a->public_ip == b->public_ip && strings_eq(&a->security_groups, &b->security_groups) &&
           strings_eq(&a->subnets, &b->subnets) && a->dns.is_some == b->dns.is_some &&
           (!a->dns.is_some || dns_eq(&a->dns.val, &b->dns.val));
}

static bool secret_eq(const secret_t *a, const secret_t *b) {
    return str_eq(a->name, b->name) && str_eq(a->source, b->source) && str_eq(a->key, b->key) &&
           option_string_eq(&a->env_var, &b->env_var);
}

bool secrets_eq(const landlord_compute_types_list_secret_reference_t *a,
                const landlord_compute_types_list_secret_reference_t *b) {
    if (a->len != b->len) return false;
    for (size_t i = 0; i < a->len; i++)
        if (!secret_eq(&a->ptr[i], &b->ptr[i])) return false;
    return true;
}

bool container_eq(const container_t *a, const container_t *b) {
    return str_eq(a->name, b->name) && str_eq(a->image, b->image) &&
           strings_eq(&a->command, &b->command) && strings_eq(&a->args, &b->args) &&
           string_map_eq(&a->env, &b->env) && ports_eq(&a->ports, &b->ports) &&
           option_health_check_eq(&a->health_check, &b->health_check) &&
           option_resources_eq(&a->resources, &b->resources);
}

bool spec_eq(const spec_t *a, const spec_t *b) {
    if (!str_eq(a->tenant_id, b->tenant_id) || !str_eq(a->provider_type, b->provider_type) ||
        a->containers.len != b->containers.len)
        return false;
    for (size_t i = 0; i < a->containers.len; i++)
        if (!container_eq(&a->containers.ptr[i], &b->containers.ptr[i])) return false;
    return resources_eq(&a->resources, &b->resources) &&
           network_eq(&a->networking, &b->networking) && secrets_eq(&a->secrets, &b->secrets) &&
           string_map_eq(&a->labels, &b->labels) &&
           option_string_eq(&a->provider_config, &b->provider_config);
}
