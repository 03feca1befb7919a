/* kf_zkjson: bounded JSON scanning and string escaping for znode data
 * (see kf_zkjson.h). */
#include "kf_zkjson.h"

#include <stdbool.h>
#include <string.h>

#include "err.h"

#define JSON_MAX_DEPTH 32

static void ws(rd_t *r)
{
    while (rd_left(r) > 0 &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool lit(rd_t *r, const char *s)
{
    size_t n = strlen(s);

    if (rd_left(r) < n || memcmp(r->p, s, n) != 0)
        return rd_fail(r, ERR_MALFORMED);
    r->p += n;
    return true;
}

/* A string starting at the opening quote; r ends after the closing one. */
static void skip_string(rd_t *r)
{
    if (!rd_need(r, 1) || *r->p != '"') {
        rd_fail(r, ERR_MALFORMED);
        return;
    }
    r->p++;
    while (rd_left(r) > 0) {
        uint8_t c = *r->p++;

        if (c == '"')
            return;
        if (c == '\\') {
            if (rd_left(r) == 0)
                break;
            r->p++;
        } else if (c < 0x20) {
            rd_fail(r, ERR_MALFORMED);
            return;
        }
    }
    rd_fail(r, ERR_MALFORMED);
}

static void skip_value(rd_t *r, int depth)
{
    uint8_t c;

    ws(r);
    if (!rd_need(r, 1))
        return;
    if (depth > JSON_MAX_DEPTH) {
        rd_fail(r, ERR_MALFORMED);
        return;
    }
    c = *r->p;
    if (c == '"') {
        skip_string(r);
    } else if (c == '{' || c == '[') {
        uint8_t close = c == '{' ? '}' : ']';

        r->p++;
        ws(r);
        if (rd_left(r) > 0 && *r->p == close) {
            r->p++;
            return;
        }
        while (rd_ok(r)) {
            if (c == '{') {
                ws(r);
                skip_string(r);
                ws(r);
                if (!lit(r, ":"))
                    return;
            }
            skip_value(r, depth + 1);
            ws(r);
            if (!rd_need(r, 1))
                return;
            if (*r->p == ',') {
                r->p++;
                continue;
            }
            if (*r->p == close) {
                r->p++;
                return;
            }
            rd_fail(r, ERR_MALFORMED);
        }
    } else if (c == 't') {
        lit(r, "true");
    } else if (c == 'f') {
        lit(r, "false");
    } else if (c == 'n') {
        lit(r, "null");
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        r->p++;
        while (rd_left(r) > 0 &&
               ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' ||
                *r->p == 'e' || *r->p == 'E' || *r->p == '+' || *r->p == '-'))
            r->p++;
    } else {
        rd_fail(r, ERR_MALFORMED);
    }
}

static int str_into(const uint8_t *p, size_t n, char *out, size_t outlen)
{
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        uint8_t c = p[i];

        if (c == '\\') {
            if (++i >= n)
                return ERR_MALFORMED;
            switch (p[i]) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u': {
                unsigned v = 0, d;

                if (i + 4 >= n)
                    return ERR_MALFORMED;
                for (d = 1; d <= 4; d++) {
                    uint8_t h = p[i + d];

                    v <<= 4;
                    if (h >= '0' && h <= '9')
                        v |= h - '0';
                    else if (h >= 'a' && h <= 'f')
                        v |= h - 'a' + 10;
                    else if (h >= 'A' && h <= 'F')
                        v |= h - 'A' + 10;
                    else
                        return ERR_MALFORMED;
                }
                if (v == 0 || v >= 0x80)
                    return ERR_MALFORMED;
                c = (uint8_t)v;
                i += 4;
                break;
            }
            default:
                c = p[i];
                break; /* \" \\ \/ */
            }
        }
        if (k + 1 >= outlen)
            return ERR_TOO_BIG;
        out[k++] = (char)c;
    }
    if (outlen == 0)
        return ERR_TOO_BIG;
    out[k] = '\0';
    return 0;
}

int kf_zkjson_each(slice_t obj,
                   int (*fn)(void *arg, const char *key, slice_t val),
                   void *arg)
{
    rd_t r;
    char key[256];
    int  rc;

    if (obj.n < 0)
        return ERR_MALFORMED;
    r = rd_init(obj.p, (size_t)obj.n);
    ws(&r);
    if (!lit(&r, "{"))
        return ERR_MALFORMED;
    ws(&r);
    if (rd_left(&r) > 0 && *r.p == '}')
        return 0;
    for (;;) {
        const uint8_t *ks, *vs;
        slice_t        v;

        ws(&r);
        ks = r.p;
        skip_string(&r);
        if (!rd_ok(&r))
            return ERR_MALFORMED;
        rc = str_into(ks + 1, (size_t)(r.p - ks - 2), key, sizeof key);
        if (rc < 0)
            return rc;
        ws(&r);
        if (!lit(&r, ":"))
            return ERR_MALFORMED;
        ws(&r);
        vs = r.p;
        skip_value(&r, 1);
        if (!rd_ok(&r))
            return ERR_MALFORMED;
        v.p = vs;
        v.n = (int32_t)(r.p - vs);
        if (fn != NULL && (rc = fn(arg, key, v)) < 0)
            return rc;
        ws(&r);
        if (rd_left(&r) > 0 && *r.p == ',') {
            r.p++;
            continue;
        }
        if (rd_left(&r) > 0 && *r.p == '}')
            return 0;
        return ERR_MALFORMED;
    }
}

struct find {
    const char *key;
    slice_t    *val;
    bool        found;
};

static int find_cb(void *arg, const char *key, slice_t val)
{
    struct find *f = arg;

    if (!f->found && strcmp(key, f->key) == 0) {
        *f->val = val;
        f->found = true;
    }
    return 0;
}

int kf_zkjson_member(const uint8_t *p, size_t n, const char *key, slice_t *val)
{
    struct find f = {key, val, false};
    slice_t     obj;
    int         rc;

    if (n > INT32_MAX)
        return ERR_TOO_BIG;
    obj.p = p;
    obj.n = (int32_t)n;
    rc = kf_zkjson_each(obj, find_cb, &f);
    if (rc < 0)
        return rc;
    return f.found ? 0 : ERR_NOTFOUND;
}

int kf_zkjson_int(slice_t v, int64_t *out)
{
    size_t   i = 0, n;
    bool     neg = false;
    uint64_t x = 0;

    if (v.n <= 0)
        return ERR_MALFORMED;
    n = (size_t)v.n;
    if (v.p[0] == '"') {
        if (n < 3 || v.p[n - 1] != '"')
            return ERR_MALFORMED;
        i = 1;
        n--;
    }
    if (i < n && v.p[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n)
        return ERR_MALFORMED;
    for (; i < n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return ERR_MALFORMED;
        if (x > (uint64_t)INT64_MAX / 10)
            return ERR_MALFORMED;
        x = x * 10 + (uint64_t)(v.p[i] - '0');
        if (x > (uint64_t)INT64_MAX)
            return ERR_MALFORMED;
    }
    *out = neg ? -(int64_t)x : (int64_t)x;
    return 0;
}

int kf_zkjson_str(slice_t v, char *out, size_t outlen)
{
    if (v.n < 2 || v.p[0] != '"' || v.p[v.n - 1] != '"')
        return ERR_MALFORMED;
    return str_into(v.p + 1, (size_t)v.n - 2, out, outlen);
}

int kf_zkjson_array_len(slice_t arr, int32_t *n)
{
    rd_t r;

    *n = 0;
    if (arr.n < 2)
        return ERR_MALFORMED;
    r = rd_init(arr.p, (size_t)arr.n);
    if (!lit(&r, "["))
        return ERR_MALFORMED;
    ws(&r);
    if (rd_left(&r) > 0 && *r.p == ']')
        return 0;
    for (;;) {
        skip_value(&r, 1);
        if (!rd_ok(&r))
            return ERR_MALFORMED;
        (*n)++;
        ws(&r);
        if (rd_left(&r) > 0 && *r.p == ',') {
            r.p++;
            continue;
        }
        return rd_left(&r) > 0 && *r.p == ']' ? 0 : ERR_MALFORMED;
    }
}

void kf_zkjson_put_str(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    buf_put_u8(b, '"');
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;

        if (c == '"' || c == '\\') {
            buf_put_u8(b, '\\');
            buf_put_u8(b, c);
        } else if (c < 0x20) {
            buf_puts(b, "\\u00");
            buf_put_u8(b, (uint8_t)hex[c >> 4]);
            buf_put_u8(b, (uint8_t)hex[c & 15]);
        } else {
            buf_put_u8(b, c);
        }
    }
    buf_put_u8(b, '"');
}
