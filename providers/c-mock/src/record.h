/*
 * The record kept for each tenant under the state key `tenant/<id>`: the
 * spec last applied and its generation (1 after provision, +1 per applied
 * update).
 *
 * Encoding: compact JSON, byte for byte what the Rust mock's serde_json
 * writes for the same record, e.g.
 *   {"spec":{"tenant_id":"acme","provider_type":"c-mock","containers":[...],
 *    ...,"labels":[["team","core"]],"provider_config":"{\"zone\":\"eu-1\"}"},
 *    "generation":1}
 * (string maps as [key, value] pairs, enums by their Rust names "Tcp",
 * "Http", absent options as null).
 */
#ifndef C_MOCK_RECORD_H
#define C_MOCK_RECORD_H

#include <stdint.h>

#include "util.h"

/* The encoded record of `spec` at `generation`, as an owned byte string. */
string_t record_encode(const spec_t *spec, uint64_t generation);

/* Decodes a stored record into *spec (owned: free it with
 * landlord_compute_types_tenant_compute_spec_free) and *generation. On
 * failure returns false and sets *error to an owned reason. */
bool record_decode(const uint8_t *bytes, size_t len, spec_t *spec, uint64_t *generation,
                   string_t *error);

#endif
