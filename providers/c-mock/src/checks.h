/*
 * The provider's own validation, on top of the host's structural rules
 * (the Rust mock's checks.rs): the spec must name this provider, list at
 * least one container, use unique container names, and carry a
 * `provider_config` that is a JSON object whose only setting is `zone`.
 */
#ifndef C_MOCK_CHECKS_H
#define C_MOCK_CHECKS_H

#include <stdbool.h>

#include "util.h"

/* Every problem found in `spec`, in checks.rs's order, appended to *out
 * (a list of owned field errors; empty when the spec is acceptable). */
void checks_problems(const spec_t *spec, const char *name, field_errors_t *out);

/* The zone named by `provider_config`, if it names one: sets *zone to an
 * owned copy and returns true. */
bool checks_zone(const spec_t *spec, string_t *zone);

#endif
