/* rd: out-of-line parts of the bounded reader (varints, strings, counts,
 * tagged fields).  The inline fixed-width readers are in rd.h. */
#include "rd.h"

#include "xalloc.h"

static uint64_t rd_uvarint_max(rd_t *r, int max_bytes)
{
    uint64_t v = 0;
    int      shift = 0, i;
    uint8_t  b;

    for (i = 0; i < max_bytes; i++) {
        if (!rd_need(r, 1))
            return 0;
        b = *r->p++;
        if (shift == 63 && (b & 0x7e) != 0) { /* bits beyond 64 */
            rd_fail(r, ERR_MALFORMED);
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            return v;
        shift += 7;
    }
    rd_fail(r, ERR_MALFORMED); /* too many continuation bytes */
    return 0;
}

uint64_t rd_uvarint(rd_t *r)
{
    return rd_uvarint_max(r, 10);
}

uint32_t rd_uvarint32(rd_t *r)
{
    uint64_t v = rd_uvarint_max(r, 5);

    if (v > UINT32_MAX) {
        rd_fail(r, ERR_MALFORMED);
        return 0;
    }
    return (uint32_t)v;
}

int32_t rd_varint(rd_t *r)
{
    uint32_t u = rd_uvarint32(r);

    return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

int64_t rd_varlong(rd_t *r)
{
    uint64_t u = rd_uvarint(r);

    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

static slice_t rd_slice(rd_t *r, int64_t n)
{
    slice_t s = { NULL, -1 };

    if (!rd_ok(r))
        return (slice_t){ NULL, 0 };
    if (n == -1)
        return s;
    if (n < -1 || n > INT32_MAX) {
        rd_fail(r, ERR_MALFORMED);
        return (slice_t){ NULL, 0 };
    }
    s.p = rd_raw(r, (size_t)n);
    if (s.p == NULL)
        return (slice_t){ NULL, 0 };
    s.n = (int32_t)n;
    return s;
}

slice_t rd_string(rd_t *r, bool compact)
{
    int64_t n = compact ? (int64_t)rd_uvarint32(r) - 1 : rd_i16(r);

    return rd_slice(r, n);
}

slice_t rd_bytes(rd_t *r, bool compact)
{
    int64_t n = compact ? (int64_t)rd_uvarint32(r) - 1 : rd_i32(r);

    return rd_slice(r, n);
}

slice_t rd_vbytes(rd_t *r)
{
    return rd_slice(r, rd_varint(r));
}

int32_t rd_count(rd_t *r, bool compact, size_t min_elem_size)
{
    int64_t n;

    if (min_elem_size == 0)
        min_elem_size = 1;
    n = compact ? (int64_t)rd_uvarint32(r) - 1 : rd_i32(r);
    if (!rd_ok(r))
        return 0;
    if (n < -1 || n > INT32_MAX) {
        rd_fail(r, ERR_MALFORMED);
        return 0;
    }
    if (n > 0 && (uint64_t)n > rd_left(r) / min_elem_size) {
        rd_fail(r, ERR_SHORT); /* cannot possibly fit */
        return 0;
    }
    return (int32_t)n;
}

void rd_skip_tags(rd_t *r)
{
    uint32_t n = rd_uvarint32(r), i, size;

    if (n > rd_left(r) / 2) { /* each field needs >= 2 bytes */
        rd_fail(r, ERR_SHORT);
        return;
    }
    for (i = 0; i < n && rd_ok(r); i++) {
        (void)rd_uvarint32(r); /* tag */
        size = rd_uvarint32(r);
        rd_skip(r, size);
    }
}

char *slice_dup(slice_t s)
{
    if (s.n < 0)
        return NULL;
    return xstrndup((const char *)s.p, (size_t)s.n);
}

bool slice_eq(slice_t s, const char *z)
{
    size_t n = strlen(z);

    return s.n >= 0 && (size_t)s.n == n && memcmp(s.p, z, n) == 0;
}
