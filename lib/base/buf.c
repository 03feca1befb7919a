/* buf: growable byte buffer.  All bounds arithmetic for writers is here. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void buf_init(buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_free(buf_t *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(buf_t *b)
{
    b->len = 0;
}

void buf_reserve(buf_t *b, size_t extra)
{
    size_t need = b->len + extra, cap;

    if (need < b->len) /* overflow: cannot be satisfied */
        abort();
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

uint8_t *buf_extend(buf_t *b, size_t n)
{
    uint8_t *p;

    buf_reserve(b, n);
    p = b->data + b->len;
    b->len += n;
    return p;
}

void buf_put(buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(buf_extend(b, n), p, n);
}

void buf_put_u8(buf_t *b, uint8_t v)
{
    *buf_extend(b, 1) = v;
}

void buf_put_i8(buf_t *b, int8_t v)
{
    *buf_extend(b, 1) = (uint8_t)v;
}

void buf_put_u16(buf_t *b, uint16_t v)
{
    uint8_t *p = buf_extend(b, 2);

    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void buf_put_i16(buf_t *b, int16_t v)
{
    buf_put_u16(b, (uint16_t)v);
}

void buf_put_u32(buf_t *b, uint32_t v)
{
    uint8_t *p = buf_extend(b, 4);

    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void buf_put_i32(buf_t *b, int32_t v)
{
    buf_put_u32(b, (uint32_t)v);
}

void buf_put_i64(buf_t *b, int64_t v)
{
    buf_put_u32(b, (uint32_t)((uint64_t)v >> 32));
    buf_put_u32(b, (uint32_t)v);
}

void buf_put_f64(buf_t *b, double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof u);
    buf_put_i64(b, (int64_t)u);
}

void buf_put_uvarint(buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t  n = 0;

    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    buf_put(b, tmp, n);
}

void buf_put_varint(buf_t *b, int64_t v)
{
    buf_put_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

size_t buf_uvarint_size(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t buf_varint_size(int64_t v)
{
    return buf_uvarint_size(((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int     n;

    va_copy(ap2, ap);
    buf_reserve(b, 128);
    n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n + 1);
        vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_puts(buf_t *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_set_i32(buf_t *b, size_t at, int32_t v)
{
    uint32_t u = (uint32_t)v;

    b->data[at] = (uint8_t)(u >> 24);
    b->data[at + 1] = (uint8_t)(u >> 16);
    b->data[at + 2] = (uint8_t)(u >> 8);
    b->data[at + 3] = (uint8_t)u;
}

void buf_set_i64(buf_t *b, size_t at, int64_t v)
{
    buf_set_i32(b, at, (int32_t)((uint64_t)v >> 32));
    buf_set_i32(b, at + 4, (int32_t)(uint32_t)v);
}

size_t buf_frame_begin(buf_t *b)
{
    size_t at = b->len;

    buf_extend(b, 4);
    return at;
}

void buf_frame_end(buf_t *b, size_t at)
{
    buf_set_i32(b, at, (int32_t)(b->len - at - 4));
}

void buf_consume(buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_move(buf_t *dst, buf_t *src)
{
    if (dst == src)
        return;
    buf_free(dst);
    *dst = *src;
    buf_init(src);
}

const char *buf_cstr(buf_t *b)
{
    buf_reserve(b, 1);
    b->data[b->len] = '\0';
    return (const char *)b->data;
}
