/*
 * Field-by-field equality of specs and their parts (lists compared in
 * order), as the Rust mock's derived PartialEq: used to tell "the same spec
 * again" in provision and to find what changed in update (diff.c).
 */
#ifndef C_MOCK_SPEC_H
#define C_MOCK_SPEC_H

#include <stdbool.h>

#include "util.h"

bool option_string_eq(const option_string_t *a, const option_string_t *b);
bool strings_eq(const list_string_t *a, const list_string_t *b);
bool string_map_eq(const string_map_t *a, const string_map_t *b);
bool ports_eq(const landlord_compute_types_list_port_mapping_t *a,
              const landlord_compute_types_list_port_mapping_t *b);
bool option_health_check_eq(const landlord_compute_types_option_health_check_config_t *a,
                            const landlord_compute_types_option_health_check_config_t *b);
bool resources_eq(const resources_t *a, const resources_t *b);
bool option_resources_eq(const landlord_compute_types_option_resource_requirements_t *a,
                         const landlord_compute_types_option_resource_requirements_t *b);
bool network_eq(const network_t *a, const network_t *b);
bool secrets_eq(const landlord_compute_types_list_secret_reference_t *a,
                const landlord_compute_types_list_secret_reference_t *b);
bool container_eq(const container_t *a, const container_t *b);
bool spec_eq(const spec_t *a, const spec_t *b);

#endif
