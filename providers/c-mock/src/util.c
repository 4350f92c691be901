/* Helpers over the generated bindings; see util.h for the ownership rules. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t size) {
    void *ptr = malloc(size ? size : 1);
    if (!ptr) abort();
    return ptr;
}

void *xrealloc(void *ptr, size_t size) {
    ptr = realloc(ptr, size ? size : 1);
    if (!ptr) abort();
    return ptr;
}

/* Room for `n` more bytes plus the NUL kept after the data. */
static void sb_reserve(strbuf *sb, size_t n) {
    if (sb->len + n + 1 <= sb->cap) return;
    size_t cap = sb->cap ? sb->cap * 2 : 64;
    while (cap < sb->len + n + 1) cap *= 2;
    sb->data = xrealloc(sb->data, cap);
    sb->cap = cap;
}

void sb_append(strbuf *sb, const void *bytes, size_t n) {
    sb_reserve(sb, n);
    if (n) memcpy(sb->data + sb->len, bytes, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void sb_puts(strbuf *sb, const char *text) { sb_append(sb, text, strlen(text)); }

void sb_put(strbuf *sb, string_t text) { sb_append(sb, text.ptr, text.len); }

void sb_vprintf(strbuf *sb, const char *format, va_list args) {
    va_list again;
    va_copy(again, args);
    int n = vsnprintf(NULL, 0, format, args);
    if (n < 0) abort();
    sb_reserve(sb, (size_t)n);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, format, again);
    sb->len += (size_t)n;
    va_end(again);
}

void sb_printf(strbuf *sb, const char *format, ...) {
    va_list args;
    va_start(args, format);
    sb_vprintf(sb, format, args);
    va_end(args);
}

string_t sb_finish(strbuf *sb) {
    string_t out = {NULL, sb->len};
    if (sb->len == 0) {
        /* The generated free helpers and post-return functions free a
         * string only when its length is not 0: keep empty ones unallocated. */
        free(sb->data);
    } else {
        /* Give back the spare capacity: a stored record holds thousands of
         * short strings. */
        out.ptr = xrealloc(sb->data, sb->len + 1);
    }
    *sb = (strbuf){0};
    return out;
}

string_t str_from(const char *text) {
    strbuf sb = {0};
    sb_puts(&sb, text);
    return sb_finish(&sb);
}

string_t str_copy(string_t text) {
    strbuf sb = {0};
    sb_put(&sb, text);
    return sb_finish(&sb);
}

string_t str_format(const char *format, ...) {
    strbuf sb = {0};
    va_list args;
    va_start(args, format);
    sb_vprintf(&sb, format, args);
    va_end(args);
    return sb_finish(&sb);
}

option_string_t some_str(string_t owned) { return (option_string_t){true, owned}; }

option_string_t none_str(void) { return (option_string_t){0}; }

bool str_eq(string_t a, string_t b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool str_eq_c(string_t a, const char *b) {
    return str_eq(a, (string_t){(uint8_t *)b, strlen(b)});
}

int str_cmp(string_t a, string_t b) {
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* Lists are tiny (a few containers, a few changes): grow one at a time. */
void strings_push(list_string_t *list, string_t owned) {
    list->ptr = xrealloc(list->ptr, (list->len + 1) * sizeof *list->ptr);
    list->ptr[list->len++] = owned;
}

void string_map_push(string_map_t *map, string_t key, string_t value) {
    map->ptr = xrealloc(map->ptr, (map->len + 1) * sizeof *map->ptr);
    map->ptr[map->len++] = (string_pair_t){key, value};
}

void field_errors_push(field_errors_t *list, string_t path, string_t message) {
    list->ptr = xrealloc(list->ptr, (list->len + 1) * sizeof *list->ptr);
    list->ptr[list->len++] = (field_error_t){path, message};
}
