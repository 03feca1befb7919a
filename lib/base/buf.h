/* buf: owned, growable bytes with big-endian and varint writers.
 *
 * A buf_t owns data[0, cap); bytes [0, len) are valid.  A zeroed buf_t is
 * a valid empty buffer; buf_free() is idempotent.  Growth aborts on OOM
 * (xalloc).  Writers append; buf_frame_begin/end patch a 4-byte length in
 * front of a frame (Kafka and ZooKeeper both frame with int32 lengths). */
#ifndef ODRADEK_BUF_H
#define ODRADEK_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *data;
    size_t   len;
    size_t   cap;
} buf_t;

#define BUF_INIT { NULL, 0, 0 }

void buf_init(buf_t *b);
void buf_free(buf_t *b);          /* releases memory; b is empty after */
void buf_reset(buf_t *b);         /* len = 0, keeps the memory */
void buf_reserve(buf_t *b, size_t extra); /* cap >= len + extra */
/* Appends n uninitialised bytes and returns a pointer to them. */
uint8_t *buf_extend(buf_t *b, size_t n);
void     buf_put(buf_t *b, const void *p, size_t n);
void     buf_put_u8(buf_t *b, uint8_t v);
void     buf_put_i8(buf_t *b, int8_t v);
void     buf_put_i16(buf_t *b, int16_t v);
void     buf_put_u16(buf_t *b, uint16_t v);
void     buf_put_i32(buf_t *b, int32_t v);
void     buf_put_u32(buf_t *b, uint32_t v);
void     buf_put_i64(buf_t *b, int64_t v);
void     buf_put_f64(buf_t *b, double v);
/* Unsigned LEB128 (protobuf/Kafka UNSIGNED_VARINT, up to 10 bytes). */
void     buf_put_uvarint(buf_t *b, uint64_t v);
/* Zigzag-encoded signed varint (Kafka VARINT/VARLONG). */
void     buf_put_varint(buf_t *b, int64_t v);
/* Bytes a value takes as uvarint / zigzag varint. */
size_t   buf_uvarint_size(uint64_t v);
size_t   buf_varint_size(int64_t v);
void     buf_printf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void     buf_vprintf(buf_t *b, const char *fmt, va_list ap);
void     buf_puts(buf_t *b, const char *s); /* no terminator */
/* Overwrite 4 bytes at offset at (which must be inside [0, len-4]). */
void     buf_set_i32(buf_t *b, size_t at, int32_t v);
void     buf_set_i64(buf_t *b, size_t at, int64_t v);
/* Reserve a 4-byte length field; returns its offset for buf_frame_end. */
size_t   buf_frame_begin(buf_t *b);
/* Writes len - at - 4 as int32 at offset at. */
void     buf_frame_end(buf_t *b, size_t at);
/* Drops the first n bytes (n <= len), moving the rest down. */
void     buf_consume(buf_t *b, size_t n);
/* Moves src's memory into dst (dst freed first); src becomes empty. */
void     buf_move(buf_t *dst, buf_t *src);
/* A NUL-terminated view: ensures data[len] == 0 without changing len. */
const char *buf_cstr(buf_t *b);

#endif
