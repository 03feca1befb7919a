/* Fuzz the JSON reader: any bytes parse or fail cleanly; a parsed tree is
 * written back out and parses again to the same shape, and no decoded
 * string is longer than the input. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "fuzz_check.h"
#include "http.h"
#include "json.h"

static void emit(buf_t *b, const struct json *v)
{
    const struct json *m;

    switch (v->type) {
    case JSON_NULL: buf_puts(b, "null"); break;
    case JSON_BOOL: buf_puts(b, v->b ? "true" : "false"); break;
    case JSON_NUMBER: buf_puts(b, "0"); break;
    case JSON_STRING: buf_puts(b, "\"s\""); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        buf_put_u8(b, v->type == JSON_ARRAY ? '[' : '{');
        for (m = v->child; m != NULL; m = m->next) {
            if (m != v->child)
                buf_put_u8(b, ',');
            if (v->type == JSON_OBJECT) {
                buf_put_u8(b, '"');
                http_json_escape(b, (const uint8_t *)m->key, m->keylen);
                buf_puts(b, "\":");
            }
            emit(b, m);
        }
        buf_put_u8(b, v->type == JSON_ARRAY ? ']' : '}');
        break;
    }
}

static int same(const struct json *x, const struct json *y)
{
    const struct json *a, *b;

    if (x->type != y->type || (x->type >= JSON_ARRAY && x->len != y->len))
        return 0;
    for (a = x->child, b = y->child; a && b; a = a->next, b = b->next)
        if (!same(a, b))
            return 0;
    return a == NULL && b == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t      a, a2;
    struct json *v, *w;
    size_t       at = 0;
    buf_t        b = BUF_INIT;
    int          rc;

    arena_init(&a);
    rc = json_parse(&a, data, size, &v, &at);
    if (rc == 0) {
        FUZZ_CHECK(v != NULL);
        if (v->type == JSON_STRING)
            FUZZ_CHECK(v->len <= size);
        emit(&b, v);
        arena_init(&a2);
        FUZZ_CHECK(json_parse(&a2, b.data, b.len, &w, NULL) == 0);
        FUZZ_CHECK(same(v, w));
        (void)json_get_str(v, "k", NULL);
        (void)json_get_int(v, "n", 0);
        arena_free(&a2);
    } else {
        FUZZ_CHECK(rc == ERR_MALFORMED && v == NULL && at <= size);
    }
    buf_free(&b);
    arena_free(&a);
    return 0;
}
