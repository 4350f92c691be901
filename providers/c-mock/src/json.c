/* A small JSON reader and writer; see json.h. Our own code: a recursive
 * descent parser over a byte buffer (the input need not be NUL-terminated). */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* serde_json's default nesting limit: the 128th open bracket is refused. */
#define JSON_RECURSION_LIMIT 128

typedef struct {
    const char *text;
    size_t len;
    size_t pos;
    int remaining_depth;
    const char *error; /* first error found (a static message), else NULL */
    size_t error_at;   /* how many bytes of input the error position covers */
} parser;

/* ---------------------------------------------------------------- reading */

static int peek(const parser *p) {
    return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1;
}

static void skip_whitespace(parser *p) {
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Records an error at the byte being looked at (or the end of the input),
 * the position serde_json reports; always returns NULL for convenience. */
static void *fail(parser *p, const char *message) {
    if (!p->error) {
        p->error = message;
        p->error_at = p->pos < p->len ? p->pos + 1 : p->len;
    }
    return NULL;
}

/* Records an error just after the bytes consumed so far (where serde_json
 * reports errors found inside a hex escape). */
static void *fail_after(parser *p, const char *message) {
    if (!p->error) {
        p->error = message;
        p->error_at = p->pos;
    }
    return NULL;
}

static json_value *new_value(json_type type) {
    json_value *value = xmalloc(sizeof *value);
    memset(value, 0, sizeof *value);
    value->type = type;
    return value;
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static json_value *parse_value(parser *p);

/* `null`, `true` or `false`, whose first letter was seen. */
static json_value *parse_literal(parser *p, const char *word, json_value *value) {
    for (const char *w = word; *w; w++, p->pos++) {
        if (p->pos >= p->len || p->text[p->pos] != *w) {
            json_free(value);
            return fail(p, p->pos >= p->len ? "EOF while parsing a value" : "expected ident");
        }
    }
    return value;
}

static json_value *parse_number(parser *p) {
    size_t start = p->pos;
    bool plain = true; /* no sign, fraction or exponent */
    if (peek(p) == '-') {
        p->pos++;
        plain = false;
    }
    if (peek(p) == '0') {
        p->pos++;
        if (is_digit(peek(p))) return fail(p, "invalid number");
    } else if (is_digit(peek(p))) {
        while (is_digit(peek(p))) p->pos++;
    } else {
        return fail(p, peek(p) < 0 ? "EOF while parsing a value" : "invalid number");
    }
    if (peek(p) == '.') {
        p->pos++;
        plain = false;
        if (!is_digit(peek(p)))
            return fail(p, peek(p) < 0 ? "EOF while parsing a value" : "invalid number");
        while (is_digit(peek(p))) p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        plain = false;
        if (peek(p) == '+' || peek(p) == '-') p->pos++;
        if (!is_digit(peek(p)))
            return fail(p, peek(p) < 0 ? "EOF while parsing a value" : "invalid number");
        while (is_digit(peek(p))) p->pos++;
    }

    /* strtod wants a NUL-terminated copy. */
    size_t n = p->pos - start;
    char *digits = xmalloc(n + 1);
    memcpy(digits, p->text + start, n);
    digits[n] = '\0';
    /* serde_json refuses numbers beyond the f64 range; strtod tells. */
    bool in_range = !isinf(strtod(digits, NULL));
    json_value *value = new_value(JSON_NUMBER);
    if (plain) {
        /* An exact unsigned integer when it fits (record generations). */
        uint64_t u = 0;
        value->is_uint = true;
        for (size_t i = 0; i < n; i++) {
            unsigned d = (unsigned)(digits[i] - '0');
            if (u > (UINT64_MAX - d) / 10) {
                value->is_uint = false;
                break;
            }
            u = u * 10 + d;
        }
        value->uint = value->is_uint ? u : 0;
    }
    free(digits);
    if (!in_range) {
        json_free(value);
        return fail(p, "number out of range");
    }
    return value;
}

/* Appends code point `cp` to `sb` as UTF-8. */
static void put_utf8(strbuf *sb, uint32_t cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_append(sb, out, n);
}

/* The four hex digits after `\u`. */
static bool parse_hex4(parser *p, uint32_t *out) {
    if (p->len - p->pos < 4) {
        p->pos = p->len;
        fail(p, "EOF while parsing a string");
        return false;
    }
    uint32_t n = 0;
    bool valid = true;
    for (int i = 0; i < 4; i++) {
        char c = p->text[p->pos++];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) valid = false;
        n = n * 16 + (uint32_t)d;
    }
    if (!valid) {
        fail_after(p, "invalid escape");
        return false;
    }
    *out = n;
    return true;
}

/* A `\uXXXX` escape (after the `u`), pairing UTF-16 surrogates. */
static bool parse_unicode_escape(parser *p, strbuf *sb) {
    uint32_t n;
    if (!parse_hex4(p, &n)) return false;
    if (n >= 0xDC00 && n <= 0xDFFF) {
        /* (serde_json's name for a lone trailing surrogate too) */
        fail_after(p, "lone leading surrogate in hex escape");
        return false;
    }
    if (n >= 0xD800 && n <= 0xDBFF) {
        /* A leading surrogate must be followed by `\u` and a trailing one. */
        for (const char *expected = "\\u"; *expected; expected++) {
            if (peek(p) < 0) {
                fail(p, "EOF while parsing a string");
                return false;
            }
            if (p->text[p->pos++] != *expected) {
                fail_after(p, "unexpected end of hex escape");
                return false;
            }
        }
        uint32_t low;
        if (!parse_hex4(p, &low)) return false;
        if (low < 0xDC00 || low > 0xDFFF) {
            fail_after(p, "lone leading surrogate in hex escape");
            return false;
        }
        n = 0x10000 + ((n - 0xD800) << 10) + (low - 0xDC00);
    }
    put_utf8(sb, n);
    return true;
}

/* A string, whose opening quote is at p->pos; decoded into *out (owned). */
static bool parse_string(parser *p, string_t *out) {
    strbuf sb = {0};
    p->pos++;
    for (;;) {
        int c = peek(p);
        if (c < 0) {
            fail(p, "EOF while parsing a string");
            break;
        }
        if (c == '"') {
            p->pos++;
            *out = sb_finish(&sb);
            return true;
        }
        if (c < 0x20) {
            fail(p, "control character (\\u0000-\\u001F) found while parsing a string");
            break;
        }
        if (c != '\\') {
            /* Copy the run of plain bytes up to the next quote, escape or control. */
            size_t start = p->pos;
            while (p->pos < p->len) {
                unsigned char b = (unsigned char)p->text[p->pos];
                if (b == '"' || b == '\\' || b < 0x20) break;
                p->pos++;
            }
            sb_append(&sb, p->text + start, p->pos - start);
            continue;
        }
        p->pos++; /* the backslash */
        int e = peek(p);
        if (e < 0) {
            fail(p, "EOF while parsing a string");
            break;
        }
        p->pos++;
        const char *simple = NULL;
        switch (e) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u':
                if (!parse_unicode_escape(p, &sb)) goto failed;
                continue;
            default:
                p->pos--;
                fail(p, "invalid escape");
                goto failed;
        }
        sb_append(&sb, simple, 1);
    }
failed:
    free(sb.data);
    return false;
}

static json_value *parse_array(parser *p) {
    if (--p->remaining_depth == 0) return fail(p, "recursion limit exceeded");
    p->pos++; /* [ */
    json_value *array = new_value(JSON_ARRAY);
    size_t capacity = 0;
    skip_whitespace(p);
    if (peek(p) == ']') {
        p->pos++;
    } else if (peek(p) < 0) {
        json_free(array);
        return fail(p, "EOF while parsing a list");
    } else {
        for (;;) {
            json_value *item = parse_value(p);
            if (!item) {
                json_free(array);
                return NULL;
            }
            if (array->count == capacity) {
                capacity = capacity ? capacity * 2 : 4;
                array->items = xrealloc(array->items, capacity * sizeof *array->items);
            }
            array->items[array->count++] = item;
            skip_whitespace(p);
            int c = peek(p);
            if (c == ']') {
                p->pos++;
                break;
            }
            if (c != ',') {
                json_free(array);
                return fail(p, c < 0 ? "EOF while parsing a list" : "expected `,` or `]`");
            }
            p->pos++;
            skip_whitespace(p);
            if (peek(p) == ']') {
                json_free(array);
                return fail(p, "trailing comma");
            }
        }
    }
    p->remaining_depth++;
    return array;
}

/* Order of members while sorting: by key, then by position in the text. */
typedef struct {
    json_member member;
    size_t index;
} indexed_member;

static int compare_members(const void *a, const void *b) {
    const indexed_member *x = a, *y = b;
    int c = str_cmp(x->member.key, y->member.key);
    if (c) return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts the members by key and keeps the last of each repeated key, the
 * way serde_json's map (a BTreeMap) ends up. */
static void normalize_members(json_value *object, indexed_member *found, size_t count) {
    if (count > 1) qsort(found, count, sizeof *found, compare_members);
    object->members = xmalloc((count ? count : 1) * sizeof *object->members);
    object->count = 0;
    for (size_t i = 0; i < count; i++) {
        if (i + 1 < count && str_eq(found[i].member.key, found[i + 1].member.key)) {
            /* A later occurrence of the same key replaces this one. */
            free(found[i].member.key.ptr);
            json_free(found[i].member.value);
            continue;
        }
        object->members[object->count++] = found[i].member;
    }
}

static json_value *parse_object(parser *p) {
    if (--p->remaining_depth == 0) return fail(p, "recursion limit exceeded");
    p->pos++; /* { */
    indexed_member *found = NULL;
    size_t count = 0, capacity = 0;
    bool ok = true;
    skip_whitespace(p);
    if (peek(p) == '}') {
        p->pos++;
    } else if (peek(p) < 0) {
        fail(p, "EOF while parsing an object");
        ok = false;
    } else {
        for (;;) {
            if (peek(p) != '"') {
                fail(p, peek(p) < 0 ? "EOF while parsing a value" : "key must be a string");
                ok = false;
                break;
            }
            string_t key;
            if (!parse_string(p, &key)) {
                ok = false;
                break;
            }
            skip_whitespace(p);
            if (peek(p) != ':') {
                free(key.ptr);
                fail(p, peek(p) < 0 ? "EOF while parsing an object" : "expected `:`");
                ok = false;
                break;
            }
            p->pos++;
            json_value *value = parse_value(p);
            if (!value) {
                free(key.ptr);
                ok = false;
                break;
            }
            if (count == capacity) {
                capacity = capacity ? capacity * 2 : 4;
                found = xrealloc(found, capacity * sizeof *found);
            }
            found[count] = (indexed_member){{key, value}, count};
            count++;
            skip_whitespace(p);
            int c = peek(p);
            if (c == '}') {
                p->pos++;
                break;
            }
            if (c != ',') {
                fail(p, c < 0 ? "EOF while parsing an object" : "expected `,` or `}`");
                ok = false;
                break;
            }
            p->pos++;
            skip_whitespace(p);
            if (peek(p) == '}') {
                fail(p, "trailing comma");
                ok = false;
                break;
            }
        }
    }
    json_value *object = new_value(JSON_OBJECT);
    normalize_members(object, found, count);
    free(found);
    if (!ok) {
        json_free(object);
        return NULL;
    }
    p->remaining_depth++;
    return object;
}

static json_value *parse_value(parser *p) {
    skip_whitespace(p);
    int c = peek(p);
    switch (c) {
        case -1: return fail(p, "EOF while parsing a value");
        case 'n': p->pos++; return parse_literal(p, "ull", new_value(JSON_NULL));
        case 't': {
            json_value *value = new_value(JSON_BOOL);
            value->boolean = true;
            p->pos++;
            return parse_literal(p, "rue", value);
        }
        case 'f': p->pos++; return parse_literal(p, "alse", new_value(JSON_BOOL));
        case '"': {
            string_t text;
            if (!parse_string(p, &text)) return NULL;
            json_value *value = new_value(JSON_STRING);
            value->string = text;
            return value;
        }
        case '[': return parse_array(p);
        case '{': return parse_object(p);
        default:
            if (c == '-' || is_digit(c)) return parse_number(p);
            return fail(p, "expected value");
    }
}

json_value *json_parse(const char *text, size_t len, string_t *error) {
    parser p = {text, len, 0, JSON_RECURSION_LIMIT, NULL, 0};
    json_value *value = parse_value(&p);
    if (value) {
        skip_whitespace(&p);
        if (p.pos < p.len) {
            json_free(value);
            value = fail(&p, "trailing characters");
        }
    }
    if (value) return value;

    /* Line and column as serde_json counts them: the column is the number of
     * bytes of that line up to and including the offending one. */
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < p.error_at; i++) {
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    *error = str_format("%s at line %zu column %zu", p.error, line, p.error_at - line_start);
    return NULL;
}

void json_free(json_value *value) {
    if (!value) return;
    switch (value->type) {
        case JSON_STRING: free(value->string.ptr); break;
        case JSON_ARRAY:
            for (size_t i = 0; i < value->count; i++) json_free(value->items[i]);
            free(value->items);
            break;
        case JSON_OBJECT:
            for (size_t i = 0; i < value->count; i++) {
                free(value->members[i].key.ptr);
                json_free(value->members[i].value);
            }
            free(value->members);
            break;
        default: break;
    }
    free(value);
}

const json_value *json_get(const json_value *object, const char *key) {
    if (!object || object->type != JSON_OBJECT) return NULL;
    for (size_t i = 0; i < object->count; i++)
        if (str_eq_c(object->members[i].key, key)) return object->members[i].value;
    return NULL;
}

/* ---------------------------------------------------------------- writing */

void json_write_string(strbuf *sb, string_t text) {
    static const char hex[] = "0123456789abcdef";
    sb_append(sb, "\"", 1);
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < text.len; i++) {
        unsigned char c = text.ptr[i];
        const char *escape = NULL;
        char unicode[7];
        switch (c) {
            case '"': escape = "\\\""; break;
            case '\\': escape = "\\\\"; break;
            case '\b': escape = "\\b"; break;
            case '\f': escape = "\\f"; break;
            case '\n': escape = "\\n"; break;
            case '\r': escape = "\\r"; break;
            case '\t': escape = "\\t"; break;
            default:
                if (c < 0x20) {
                    memcpy(unicode, "\\u00", 4);
                    unicode[4] = hex[c >> 4];
                    unicode[5] = hex[c & 0xF];
                    unicode[6] = '\0';
                    escape = unicode;
                }
        }
        if (!escape) continue;
        sb_append(sb, text.ptr + run, i - run);
        sb_puts(sb, escape);
        run = i + 1;
    }
    sb_append(sb, text.ptr + run, text.len - run);
    sb_append(sb, "\"", 1);
}

void json_write_cstring(strbuf *sb, const char *text) {
    json_write_string(sb, (string_t){(uint8_t *)text, strlen(text)});
}
