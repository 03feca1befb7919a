/* Test helper: build valid record batches v2 (uncompressed, CRC-32C set)
 * the way a producer sends them, for the storage tests and the recovery
 * fuzz target. */
#ifndef ODRADEK_TEST_KF_TESTBATCH_H
#define ODRADEK_TEST_KF_TESTBATCH_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crc32c.h"

struct tb_opts {
    int64_t producer_id; /* -1 none */
    int16_t producer_epoch;
    int32_t base_seq;
    int64_t base_ts;
    int     ts_step; /* per record */
    int     value_len;
    int     keys; /* 0: null keys; else key = (key_base + k) % keys */
    int     key_base;
};

/* Append one batch of n records to b; returns its size. */
static inline size_t tb_batch(buf_t *b, int n, const struct tb_opts *o)
{
    size_t   at = b->len, i;
    buf_t    rec = BUF_INIT;
    uint32_t crc;
    int      k;

    buf_put_i64(b, 0);     /* base offset: the broker sets it */
    buf_put_i32(b, 0);     /* length, patched */
    buf_put_i32(b, -1);    /* leader epoch */
    buf_put_i8(b, 2);      /* magic */
    buf_put_u32(b, 0);     /* crc, patched */
    buf_put_i16(b, 0);     /* attributes */
    buf_put_i32(b, n - 1); /* last offset delta */
    buf_put_i64(b, o->base_ts);
    buf_put_i64(b, o->base_ts + (int64_t)(n - 1) * o->ts_step);
    buf_put_i64(b, o->producer_id);
    buf_put_i16(b, o->producer_epoch);
    buf_put_i32(b, o->base_seq);
    buf_put_i32(b, n);
    for (k = 0; k < n; k++) {
        buf_reset(&rec);
        buf_put_i8(&rec, 0);
        buf_put_varint(&rec, (int64_t)k * o->ts_step);
        buf_put_varint(&rec, k);
        if (o->keys > 0) {
            char kb[16];
            int  kl =
                snprintf(kb, sizeof kb, "k%d", (o->key_base + k) % o->keys);

            buf_put_varint(&rec, kl);
            buf_put(&rec, kb, (size_t)kl);
        } else {
            buf_put_varint(&rec, -1); /* null key */
        }
        buf_put_varint(&rec, o->value_len);
        for (i = 0; i < (size_t)o->value_len; i++)
            buf_put_u8(&rec, (uint8_t)('a' + (k + (int)i) % 26));
        buf_put_varint(&rec, 0); /* no headers */
        buf_put_varint(b, (int64_t)rec.len);
        buf_put(b, rec.data, rec.len);
    }
    buf_free(&rec);
    buf_set_i32(b, at + 8, (int32_t)(b->len - at - 12));
    crc = crc32c(0, b->data + at + 21, b->len - at - 21);
    buf_set_i32(b, at + 17, (int32_t)crc);
    return b->len - at;
}

static inline struct tb_opts tb_default(void)
{
    struct tb_opts o = {-1, -1, -1, 1700000000000LL, 1, 10, 0, 0};
    return o;
}

#endif
