/*
 * Small helpers over the C bindings that `wit-bindgen c` generates into
 * compute_provider.h: short names for the long generated types, owned
 * strings, a string builder and list appends.
 *
 * Ownership rules of the generated bindings (the canonical ABI), which every
 * file here follows:
 *   - Arguments of an export (the spec, a tenant id) are OWNED by us: free them
 *     with the generated *_free helpers when done (provider.c does, once, in
 *     each export).
 *   - Whatever an export returns (result or error) must be heap memory
 *     (malloc): the generated post-return function frees it after the host
 *     has copied it out. Never return a string literal or a borrowed pointer.
 *   - Arguments we pass to an import (state, config, log) stay ours (borrowed
 *     by the host for the call); what an import returns is allocated in our
 *     memory and becomes OURS to free.
 *   - A list or string of length 0 owns no memory: the generated free helpers
 *     and post-return functions skip it, and one received from the host may
 *     carry a dummy, non-NULL pointer. So never free, realloc or append to a
 *     list you received; build results in fresh lists (util.c's *_push).
 * Each call runs in a fresh instance, so a leak would not outlive the call,
 * but a double free or a freed return value would corrupt the result.
 */
#ifndef C_MOCK_UTIL_H
#define C_MOCK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compute_provider.h"

/* Short names for the generated types used across the provider. */
typedef compute_provider_string_t string_t;
typedef compute_provider_option_string_t option_string_t;
typedef compute_provider_list_string_t list_string_t;
typedef landlord_compute_types_string_map_t string_map_t;
typedef compute_provider_tuple2_string_string_t string_pair_t;
typedef landlord_compute_types_tenant_compute_spec_t spec_t;
typedef landlord_compute_types_container_spec_t container_t;
typedef landlord_compute_types_port_mapping_t port_t;
typedef landlord_compute_types_health_check_config_t health_check_t;
typedef landlord_compute_types_resource_requirements_t resources_t;
typedef landlord_compute_types_network_config_t network_t;
typedef landlord_compute_types_dns_config_t dns_t;
typedef landlord_compute_types_secret_reference_t secret_t;
typedef landlord_compute_types_field_error_t field_error_t;
typedef landlord_compute_types_list_field_error_t field_errors_t;
typedef landlord_compute_types_provider_error_t provider_error_t;

/* printf a WIT string (not NUL-terminated): printf(STR_FMT, STR_ARG(s)). */
#define STR_FMT "%.*s"
#define STR_ARG(s) (int)(s).len, (const char *)(s).ptr

/* malloc/realloc that trap on exhaustion (abort() is a wasm `unreachable`,
 * which the host reports as a contained trap, like a Rust guest's OOM). */
void *xmalloc(size_t size);
void *xrealloc(void *ptr, size_t size);

/* A growable byte buffer; start from `strbuf sb = {0};`. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} strbuf;

void sb_append(strbuf *sb, const void *bytes, size_t n);
void sb_puts(strbuf *sb, const char *text);
void sb_put(strbuf *sb, string_t text);
void sb_printf(strbuf *sb, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *sb, const char *format, va_list args);
/* Hands the buffer's bytes over as an owned string_t (NUL-terminated unless
 * empty, when it is {NULL, 0}); `sb` is emptied. */
string_t sb_finish(strbuf *sb);

/* Owned strings (malloc'd; see sb_finish). */
string_t str_from(const char *text);
string_t str_copy(string_t text);
string_t str_format(const char *format, ...)
    __attribute__((format(printf, 1, 2)));
option_string_t some_str(string_t owned);
option_string_t none_str(void);

bool str_eq(string_t a, string_t b);
bool str_eq_c(string_t a, const char *b);
/* Byte-wise order, as Rust's `str` and serde_json's map keys sort. */
int str_cmp(string_t a, string_t b);

/* Appends take ownership of the strings passed in. */
void strings_push(list_string_t *list, string_t owned);
void string_map_push(string_map_t *map, string_t key, string_t value);
void field_errors_push(field_errors_t *list, string_t path, string_t message);

#endif
