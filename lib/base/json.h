/* json: a bounded JSON reader for request bodies (the HTTP API's POST/PUT
 * bodies).  One pass over the bytes builds a small tree in an arena; the
 * caller frees everything with the arena.
 *
 * It owns: RFC 8259 syntax (strict: no trailing commas, no comments, no
 * leading zeros, no bare control characters in strings), \uXXXX escapes
 * with surrogate pairs decoded to UTF-8, and the limits a server needs:
 * nesting depth and node count are bounded, so hostile input costs at most
 * O(length) time and memory.  It does not own writing JSON (http.h's
 * http_json_escape and buf_printf do that). */
#ifndef ODRADEK_JSON_H
#define ODRADEK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    const char    *key;  /* member name inside an object, else NULL */
    size_t         keylen;
    const char    *str;  /* JSON_STRING: decoded, NUL-terminated (may hold NULs) */
    size_t         len;  /* JSON_STRING: bytes; ARRAY/OBJECT: members */
    double         num;  /* JSON_NUMBER */
    bool           is_int; /* JSON_NUMBER without fraction/exponent, fits int64 */
    int64_t        i;      /* JSON_NUMBER when is_int */
    bool           b;      /* JSON_BOOL */
    struct json   *child;  /* first member (ARRAY/OBJECT) */
    struct json   *next;   /* next sibling */
};

#define JSON_MAX_DEPTH 32
#define JSON_MAX_NODES 10000 /* values in one document */

/* Parses p[0..n) (one value, whitespace around it allowed) into a tree in
 * a.  Returns 0, or ERR_MALFORMED (syntax, depth over JSON_MAX_DEPTH) with
 * *at set to the byte offset of the problem when at is not NULL. */
int json_parse(arena_t *a, const uint8_t *p, size_t n, struct json **out,
               size_t *at);

/* The member named key of an object (the last one if repeated), or NULL
 * (also when obj is NULL or not an object). */
const struct json *json_get(const struct json *obj, const char *key);

/* Typed accessors: the member's value if it exists with that type, else
 * def.  json_get_str returns NULL for a missing or non-string member. */
const char *json_get_str(const struct json *obj, const char *key, size_t *len);
int64_t     json_get_int(const struct json *obj, const char *key, int64_t def);
bool        json_get_bool(const struct json *obj, const char *key, bool def);

#endif
