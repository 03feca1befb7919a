/* rd: the bounded reader through which every wire byte is read.
 *
 * A reader is a cursor [p, end) plus a sticky error: the first failed read
 * records why (ERR_SHORT, ERR_MALFORMED) and every later read returns 0 /
 * an empty slice without moving.  A decoder reads all its fields straight
 * through and checks rd_ok() once at the end, so bounds checks live here
 * and nowhere else (STYLE.md rule 4).  Integers are big-endian.
 *
 * Strings and bytes come back as borrowed slices into the input; n == -1
 * means null on the wire.  Counts are checked against the bytes left
 * before a caller can size an allocation with them (rule 5). */
#ifndef ODRADEK_RD_H
#define ODRADEK_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

typedef struct rd {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* one past the last readable byte */
    int            err; /* 0, or the first ERR_* seen */
} rd_t;

typedef struct slice { /* borrowed bytes; n == -1 means null on the wire */
    const uint8_t *p;
    int32_t        n;
} slice_t;

static inline rd_t rd_init(const void *p, size_t n)
{
    /* an empty buf_t has data == NULL, and NULL + 0 is undefined in C */
    rd_t r = { (const uint8_t *)p, n ? (const uint8_t *)p + n : (const uint8_t *)p,
               0 };
    return r;
}

static inline bool rd_ok(const rd_t *r)
{
    return r->err == 0;
}

static inline size_t rd_left(const rd_t *r)
{
    return (size_t)(r->end - r->p);
}

/* Records err (if none yet) and returns false. */
static inline bool rd_fail(rd_t *r, int err)
{
    if (r->err == 0)
        r->err = err;
    return false;
}

static inline bool rd_need(rd_t *r, size_t n)
{
    if (r->err != 0)
        return false;
    if (rd_left(r) < n)
        return rd_fail(r, ERR_SHORT);
    return true;
}

static inline uint8_t rd_u8(rd_t *r)
{
    if (!rd_need(r, 1))
        return 0;
    return *r->p++;
}

static inline int8_t rd_i8(rd_t *r)
{
    return (int8_t)rd_u8(r);
}

static inline uint16_t rd_u16(rd_t *r)
{
    uint16_t v;

    if (!rd_need(r, 2))
        return 0;
    v = (uint16_t)((uint16_t)r->p[0] << 8 | r->p[1]);
    r->p += 2;
    return v;
}

static inline int16_t rd_i16(rd_t *r)
{
    return (int16_t)rd_u16(r);
}

static inline uint32_t rd_u32(rd_t *r)
{
    uint32_t v;

    if (!rd_need(r, 4))
        return 0;
    v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
        (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
    r->p += 4;
    return v;
}

static inline int32_t rd_i32(rd_t *r)
{
    return (int32_t)rd_u32(r);
}

static inline int64_t rd_i64(rd_t *r)
{
    uint64_t hi, lo;

    if (!rd_need(r, 8))
        return 0;
    hi = rd_u32(r);
    lo = rd_u32(r);
    return (int64_t)(hi << 32 | lo);
}

static inline double rd_f64(rd_t *r)
{
    uint64_t u = (uint64_t)rd_i64(r);
    double   d;

    memcpy(&d, &u, sizeof d);
    return d;
}

/* Kafka BOOLEAN / jute boolean: one byte, nonzero is true. */
static inline bool rd_bool(rd_t *r)
{
    return rd_u8(r) != 0;
}

/* n raw bytes; NULL (and ERR_SHORT) if fewer are left. */
static inline const uint8_t *rd_raw(rd_t *r, size_t n)
{
    const uint8_t *p;

    if (!rd_need(r, n))
        return NULL;
    p = r->p;
    r->p += n;
    return p;
}

static inline void rd_skip(rd_t *r, size_t n)
{
    (void)rd_raw(r, n);
}

/* Unsigned LEB128 of at most 10 bytes (value must fit in 64 bits). */
uint64_t rd_uvarint(rd_t *r);
/* Unsigned LEB128 of at most 5 bytes whose value fits in 32 bits
 * (Kafka UNSIGNED_VARINT: compact lengths, tag numbers). */
uint32_t rd_uvarint32(rd_t *r);
/* Zigzag varint (Kafka VARINT, at most 5 bytes) and varlong (10 bytes). */
int32_t  rd_varint(rd_t *r);
int64_t  rd_varlong(rd_t *r);

/* Kafka STRING / NULLABLE_STRING (int16 length, -1 = null) when !compact;
 * COMPACT_(NULLABLE_)STRING (uvarint length+1, 0 = null) when compact. */
slice_t rd_string(rd_t *r, bool compact);
/* Kafka BYTES / jute buffer and ustring (int32 length, -1 = null) when
 * !compact; COMPACT_BYTES (uvarint length+1) when compact. */
slice_t rd_bytes(rd_t *r, bool compact);
/* Record-level VARINT-length bytes (Kafka record key/value, header
 * key/value: varint length, -1 = null). */
slice_t rd_vbytes(rd_t *r);

/* ARRAY (int32; -1 null) or COMPACT_ARRAY (uvarint N+1; 0 null).  A count
 * that cannot fit in the bytes left at min_elem_size bytes per element is
 * ERR_SHORT; a negative count other than -1 is ERR_MALFORMED.  Returns -1
 * for null, else the count (0 on error). */
int32_t rd_count(rd_t *r, bool compact, size_t min_elem_size);

/* Skips a KIP-482 tagged-field section: uvarint count, then per field a
 * uvarint tag, a uvarint size and that many bytes. */
void rd_skip_tags(rd_t *r);

/* Copies a slice into a fresh NUL-terminated string (NULL for null). */
char *slice_dup(slice_t s);
/* True if s has exactly the bytes of the C string z. */
bool  slice_eq(slice_t s, const char *z);

#endif
