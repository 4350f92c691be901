/*
 * A small JSON reader and writer, enough for `provider_config` (a JSON text
 * the provider validates itself) and for the tenant records kept in state.
 *
 * The reader builds a tree. It follows RFC 8259 strictly and mirrors
 * serde_json (the Rust mock's parser) where that shows: objects keep each
 * key once (the last occurrence wins) in byte-wise sorted order, nesting
 * stops at 128 levels, and errors read like serde_json's, e.g.
 * "EOF while parsing an object at line 1 column 1".
 */
#ifndef C_MOCK_JSON_H
#define C_MOCK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef enum {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

typedef struct json_value json_value;

typedef struct {
    string_t key; /* decoded UTF-8 */
    json_value *value;
} json_member;

struct json_value {
    json_type type;
    /* One of these, by `type` (C11 anonymous members: value->string etc.). */
    union {
        bool boolean; /* JSON_BOOL */
        struct {      /* JSON_NUMBER */
            bool is_uint;  /* written as a plain integer that fits a u64 ... */
            uint64_t uint; /* ... and its exact value */
        };
        string_t string; /* JSON_STRING: decoded UTF-8 */
        struct {         /* JSON_ARRAY, JSON_OBJECT */
            size_t count;
            union {
                json_value **items;   /* JSON_ARRAY */
                json_member *members; /* JSON_OBJECT: sorted by key, keys unique */
            };
        };
    };
};

/* Parses `len` bytes of `text`. On success returns the tree (free it with
 * json_free); on failure returns NULL and sets *error to an owned message. */
json_value *json_parse(const char *text, size_t len, string_t *error);
void json_free(json_value *value);

/* The member `key` of an object, or NULL (also when `object` is no object). */
const json_value *json_get(const json_value *object, const char *key);

/* Writers, appending compact JSON to `sb` (escaping as serde_json does). */
void json_write_string(strbuf *sb, string_t text);
void json_write_cstring(strbuf *sb, const char *text);

#endif
