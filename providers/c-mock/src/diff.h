/*
 * What changed between a tenant's stored spec and a new one, one line per
 * change, for `update` (the Rust mock's diff.rs, line for line). Values that
 * may be secret (env, secret references, provider config) are never echoed:
 * only that they changed.
 */
#ifndef C_MOCK_DIFF_H
#define C_MOCK_DIFF_H

#include "util.h"

/* Appends the changes from `old` to `new` to *out (owned strings); nothing
 * when the specs are equivalent. */
void diff_changes(const spec_t *old, const spec_t *new_spec, list_string_t *out);

#endif
