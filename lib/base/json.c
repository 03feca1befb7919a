/* json: a bounded JSON reader (see json.h). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct json_rd {
    arena_t       *a;
    const uint8_t *p;
    size_t         n, i;
    int            depth;
    size_t         nodes;
};

static void json_ws(struct json_rd *r)
{
    while (r->i < r->n && (r->p[r->i] == ' ' || r->p[r->i] == '\t' ||
                           r->p[r->i] == '\n' || r->p[r->i] == '\r'))
        r->i++;
}

static int json_hex4(struct json_rd *r, uint32_t *v)
{
    int k;

    *v = 0;
    if (r->n - r->i < 4)
        return ERR_MALFORMED;
    for (k = 0; k < 4; k++) {
        uint8_t c = r->p[r->i++];

        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (uint32_t)(c - 'A' + 10);
        else
            return ERR_MALFORMED;
    }
    return 0;
}

static size_t json_utf8(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* At the opening quote.  The decoded string is never longer than the
 * encoded one (an escape of 6 bytes yields at most 3, a pair of 12 yields
 * 4), so one arena block of the raw length suffices. */
static int json_string(struct json_rd *r, const char **out, size_t *len)
{
    size_t   start = ++r->i, end = start, k = 0;
    uint8_t *o;

    while (end < r->n && r->p[end] != '"') {
        if (r->p[end] == '\\')
            end++;
        end++;
    }
    if (end >= r->n)
        return ERR_MALFORMED;
    o = arena_alloc(r->a, end - start + 1);
    while (r->i < end) {
        uint8_t  c = r->p[r->i++];
        uint32_t cp, lo;

        if (c < 0x20)
            return ERR_MALFORMED;
        if (c != '\\') {
            o[k++] = c;
            continue;
        }
        c = r->p[r->i++];
        switch (c) {
        case '"': case '\\': case '/':
            o[k++] = c;
            break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u':
            if (json_hex4(r, &cp) < 0)
                return ERR_MALFORMED;
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (r->i + 6 > end || r->p[r->i] != '\\' || r->p[r->i + 1] != 'u')
                    return ERR_MALFORMED;
                r->i += 2;
                if (json_hex4(r, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                    return ERR_MALFORMED;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                return ERR_MALFORMED;
            }
            k += json_utf8(o + k, cp);
            break;
        default:
            return ERR_MALFORMED;
        }
        if (r->i > end) /* an escape ran past the closing quote */
            return ERR_MALFORMED;
    }
    o[k] = '\0';
    r->i = end + 1;
    *out = (const char *)o;
    *len = k;
    return 0;
}

static int json_number(struct json_rd *r, struct json *v)
{
    size_t start = r->i;
    bool   integral = true;
    char   tmp[64];

    if (r->i < r->n && r->p[r->i] == '-')
        r->i++;
    if (r->i >= r->n || r->p[r->i] < '0' || r->p[r->i] > '9')
        return ERR_MALFORMED;
    if (r->p[r->i] == '0')
        r->i++;
    else
        while (r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9')
            r->i++;
    if (r->i < r->n && r->p[r->i] == '.') {
        integral = false;
        r->i++;
        if (r->i >= r->n || r->p[r->i] < '0' || r->p[r->i] > '9')
            return ERR_MALFORMED;
        while (r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9')
            r->i++;
    }
    if (r->i < r->n && (r->p[r->i] == 'e' || r->p[r->i] == 'E')) {
        integral = false;
        r->i++;
        if (r->i < r->n && (r->p[r->i] == '+' || r->p[r->i] == '-'))
            r->i++;
        if (r->i >= r->n || r->p[r->i] < '0' || r->p[r->i] > '9')
            return ERR_MALFORMED;
        while (r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9')
            r->i++;
    }
    if (r->i - start >= sizeof tmp) { /* precision beyond a double's anyway */
        integral = false;
        v->num = r->p[start] == '-' ? -HUGE_VAL : HUGE_VAL;
    } else {
        memcpy(tmp, r->p + start, r->i - start);
        tmp[r->i - start] = '\0';
        v->num = strtod(tmp, NULL);
        if (integral) {
            errno = 0;
            v->i = strtoll(tmp, NULL, 10);
            v->is_int = errno == 0;
        }
    }
    v->type = JSON_NUMBER;
    return 0;
}

static bool json_word(struct json_rd *r, const char *w)
{
    size_t n = strlen(w);

    if (r->n - r->i < n || memcmp(r->p + r->i, w, n) != 0)
        return false;
    r->i += n;
    return true;
}

static int json_value(struct json_rd *r, struct json *v);

/* At '[' or '{'. */
static int json_container(struct json_rd *r, struct json *v, bool obj)
{
    struct json **tail = &v->child;
    uint8_t       close = obj ? '}' : ']';

    if (++r->depth > JSON_MAX_DEPTH)
        return ERR_MALFORMED;
    v->type = obj ? JSON_OBJECT : JSON_ARRAY;
    r->i++;
    json_ws(r);
    if (r->i < r->n && r->p[r->i] == close) {
        r->i++;
        r->depth--;
        return 0;
    }
    for (;;) {
        struct json *m;

        if (++r->nodes > JSON_MAX_NODES)
            return ERR_MALFORMED;
        m = arena_calloc(r->a, 1, sizeof *m);
        json_ws(r);
        if (obj) {
            if (r->i >= r->n || r->p[r->i] != '"' ||
                json_string(r, &m->key, &m->keylen) < 0)
                return ERR_MALFORMED;
            json_ws(r);
            if (r->i >= r->n || r->p[r->i] != ':')
                return ERR_MALFORMED;
            r->i++;
        }
        if (json_value(r, m) < 0)
            return ERR_MALFORMED;
        *tail = m;
        tail = &m->next;
        v->len++;
        json_ws(r);
        if (r->i < r->n && r->p[r->i] == ',') {
            r->i++;
            continue;
        }
        if (r->i < r->n && r->p[r->i] == close) {
            r->i++;
            r->depth--;
            return 0;
        }
        return ERR_MALFORMED;
    }
}

static int json_value(struct json_rd *r, struct json *v)
{
    json_ws(r);
    if (r->i >= r->n)
        return ERR_MALFORMED;
    switch (r->p[r->i]) {
    case '{':
        return json_container(r, v, true);
    case '[':
        return json_container(r, v, false);
    case '"':
        v->type = JSON_STRING;
        return json_string(r, &v->str, &v->len);
    case 't':
        v->type = JSON_BOOL;
        v->b = true;
        return json_word(r, "true") ? 0 : ERR_MALFORMED;
    case 'f':
        v->type = JSON_BOOL;
        return json_word(r, "false") ? 0 : ERR_MALFORMED;
    case 'n':
        v->type = JSON_NULL;
        return json_word(r, "null") ? 0 : ERR_MALFORMED;
    default:
        return json_number(r, v);
    }
}

int json_parse(arena_t *a, const uint8_t *p, size_t n, struct json **out,
               size_t *at)
{
    struct json_rd r = { a, p, n, 0, 0, 0 };
    struct json   *v = arena_calloc(a, 1, sizeof *v);

    *out = NULL;
    if (json_value(&r, v) < 0)
        goto bad;
    json_ws(&r);
    if (r.i != n)
        goto bad;
    *out = v;
    return 0;
bad:
    if (at != NULL)
        *at = r.i;
    return ERR_MALFORMED;
}

const struct json *json_get(const struct json *obj, const char *key)
{
    const struct json *m, *found = NULL;
    size_t             kl = strlen(key);

    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    for (m = obj->child; m != NULL; m = m->next)
        if (m->keylen == kl && memcmp(m->key, key, kl) == 0)
            found = m;
    return found;
}

const char *json_get_str(const struct json *obj, const char *key, size_t *len)
{
    const struct json *m = json_get(obj, key);

    if (m == NULL || m->type != JSON_STRING)
        return NULL;
    if (len != NULL)
        *len = m->len;
    return m->str;
}

int64_t json_get_int(const struct json *obj, const char *key, int64_t def)
{
    const struct json *m = json_get(obj, key);

    return m != NULL && m->type == JSON_NUMBER && m->is_int ? m->i : def;
}

bool json_get_bool(const struct json *obj, const char *key, bool def)
{
    const struct json *m = json_get(obj, key);

    return m != NULL && m->type == JSON_BOOL ? m->b : def;
}
