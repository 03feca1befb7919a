/* kbatch: record batch v2 headers, validation, records, building.
 * Layout (DefaultRecordBatch): BaseOffset int64, Length int32,
 * PartitionLeaderEpoch int32, Magic int8, CRC uint32 (CRC-32C of
 * everything from Attributes to the end), Attributes int16,
 * LastOffsetDelta int32, BaseTimestamp int64, MaxTimestamp int64,
 * ProducerId int64, ProducerEpoch int16, BaseSequence int32, then an
 * int32 record count and the records.  A record: varint length, int8
 * attributes, varlong timestamp delta, varint offset delta, varint-length
 * key and value (-1 = null), varint header count, headers (varint-length
 * key, varint-length value). */
#include "kbatch.h"

#include <string.h>

#include "crc32c.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int kbatch_hdr_read(const uint8_t *p, size_t n, struct kbatch_hdr *h)
{
    rd_t r = rd_init(p, n);

    h->base_offset = rd_i64(&r);
    h->length = rd_i32(&r);
    h->leader_epoch = rd_i32(&r);
    h->magic = rd_i8(&r);
    h->crc = rd_u32(&r);
    h->attributes = rd_i16(&r);
    h->last_offset_delta = rd_i32(&r);
    h->base_timestamp = rd_i64(&r);
    h->max_timestamp = rd_i64(&r);
    h->producer_id = rd_i64(&r);
    h->producer_epoch = rd_i16(&r);
    h->base_sequence = rd_i32(&r);
    h->count = rd_i32(&r);
    return r.err;
}

int kbatch_magic(const uint8_t *p, size_t n)
{
    return n >= 17 ? (int8_t)p[16] : -1;
}

uint32_t kbatch_crc(const uint8_t *p, size_t n)
{
    return crc32c(0, p + KBATCH_CRC_START, n - KBATCH_CRC_START);
}

void kbatch_set_base_offset(uint8_t *p, int64_t base_offset)
{
    put32(p, (uint32_t)((uint64_t)base_offset >> 32));
    put32(p + 4, (uint32_t)base_offset);
}

void kbatch_set_leader_epoch(uint8_t *p, int32_t epoch)
{
    put32(p + 12, (uint32_t)epoch);
}

int krecord_read(rd_t *r, struct krecord *rec)
{
    int32_t len = rd_varint(r);
    rd_t    b;
    int32_t i;

    if (!rd_ok(r))
        return r->err;
    if (len < 0 || (size_t)len > rd_left(r))
        return rd_fail(r, ERR_MALFORMED), r->err;
    b = rd_init(r->p, (size_t)len);
    r->p += len;
    rec->attributes = rd_i8(&b);
    rec->timestamp_delta = rd_varlong(&b);
    rec->offset_delta = rd_varint(&b);
    rec->key = rd_vbytes(&b);
    rec->value = rd_vbytes(&b);
    rec->nheaders = rd_varint(&b);
    rec->headers = b.p;
    if (rd_ok(&b) && rec->nheaders < 0)
        rd_fail(&b, ERR_MALFORMED);
    for (i = 0; i < rec->nheaders && rd_ok(&b); i++) {
        slice_t k = rd_vbytes(&b);

        if (k.n < 0)
            rd_fail(&b, ERR_MALFORMED); /* header keys are never null */
        (void)rd_vbytes(&b);
    }
    rec->headers_len = (size_t)(b.p - rec->headers);
    if (rd_ok(&b) && rd_left(&b) != 0)
        rd_fail(&b, ERR_MALFORMED); /* length disagrees with the fields */
    if (!rd_ok(&b))
        return rd_fail(r, b.err), r->err;
    return 0;
}

/* The produce path checks every record of every uncompressed batch, so the
 * walk below is the hot loop of small-record produce: a varint of one byte
 * (almost every length and delta) is read inline, and nothing is decoded
 * that validation does not need.  It accepts exactly what krecord_read
 * accepts (the unit tests hold the two to the same rows). */

/* A zigzag varint of at most max bytes (5: 32-bit, 10: 64-bit) at *pp,
 * not past end; false as rd_varint / rd_varlong would fail. */
static inline bool kbatch_varint(const uint8_t **pp, const uint8_t *end, int max,
                                 int64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t       u = 0;
    int            i, shift = 0;

    if (p < end && *p < 0x80) {
        u = *p++;
    } else {
        for (i = 0;; i++) {
            uint8_t b;

            if (i == max || p >= end)
                return false;
            b = *p++;
            if (shift == 63 && (b & 0x7e) != 0)
                return false;
            u |= (uint64_t)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                break;
            shift += 7;
        }
        if (max == 5 && u > UINT32_MAX)
            return false;
    }
    *pp = p;
    if (max == 5) {
        uint32_t w = (uint32_t)u;

        *out = (int32_t)((w >> 1) ^ (~(w & 1) + 1));
    } else {
        *out = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    }
    return true;
}

/* Skips varint-length bytes (-1 = null, allowed when nullable). */
static inline bool kbatch_skip_bytes(const uint8_t **pp, const uint8_t *end,
                                     bool nullable)
{
    int64_t n;

    if (!kbatch_varint(pp, end, 5, &n))
        return false;
    if (n == -1)
        return nullable;
    if (n < -1 || n > end - *pp)
        return false;
    *pp += n;
    return true;
}

/* count records in [p, end), offset deltas 0, 1, 2..., nothing after. */
static bool kbatch_records_ok(const uint8_t *p, const uint8_t *end, int32_t count)
{
    int32_t i;

    for (i = 0; i < count; i++) {
        const uint8_t *rend;
        int64_t        len, v, nh, k;

        if (!kbatch_varint(&p, end, 5, &len) || len < 0 || len > end - p)
            return false;
        rend = p + len;
        if (p >= rend) /* attributes */
            return false;
        p++;
        if (!kbatch_varint(&p, rend, 10, &v) ||         /* timestamp delta */
            !kbatch_varint(&p, rend, 5, &v) || v != i || /* offset delta */
            !kbatch_skip_bytes(&p, rend, true) ||         /* key */
            !kbatch_skip_bytes(&p, rend, true) ||         /* value */
            !kbatch_varint(&p, rend, 5, &nh) || nh < 0)
            return false;
        for (k = 0; k < nh; k++)
            if (!kbatch_skip_bytes(&p, rend, false) || !kbatch_skip_bytes(&p, rend, true))
                return false;
        if (p != rend)
            return false;
    }
    return p == end;
}

int kbatch_validate(const uint8_t *p, size_t n, struct kbatch_hdr *h)
{
    if (n < KBATCH_HEADER_SIZE || kbatch_hdr_read(p, n, h) != 0)
        return KBATCH_BAD_LENGTH;
    if (h->length < KBATCH_HEADER_SIZE - KBATCH_LOG_OVERHEAD ||
        (size_t)h->length + KBATCH_LOG_OVERHEAD != n)
        return KBATCH_BAD_LENGTH;
    if (h->magic != 2)
        return KBATCH_BAD_MAGIC;
    if (kbatch_crc(p, n) != h->crc)
        return KBATCH_BAD_CRC;
    if (h->count <= 0 || h->last_offset_delta < 0 ||
        h->count != h->last_offset_delta + 1)
        return KBATCH_BAD_COUNT;
    if ((h->attributes & KBATCH_CODEC_MASK) > KBATCH_ZSTD)
        return KBATCH_BAD_CODEC;
    if ((h->attributes & KBATCH_CODEC_MASK) != KBATCH_NONE)
        return KBATCH_OK; /* CRC covers the compressed payload */
    if (!kbatch_records_ok(p + KBATCH_HEADER_SIZE, p + n, h->count))
        return KBATCH_BAD_RECORDS;
    return KBATCH_OK;
}

int kbatch_next(rd_t *r, const uint8_t **p, size_t *n)
{
    int32_t len;

    if (!rd_ok(r))
        return r->err;
    if (rd_left(r) == 0)
        return 0;
    if (rd_left(r) < KBATCH_LOG_OVERHEAD)
        return rd_fail(r, ERR_SHORT), r->err;
    len = (int32_t)get32(r->p + 8);
    if (len < 0)
        return rd_fail(r, ERR_MALFORMED), r->err;
    if ((size_t)len > rd_left(r) - KBATCH_LOG_OVERHEAD)
        return rd_fail(r, ERR_SHORT), r->err;
    *p = r->p;
    *n = (size_t)len + KBATCH_LOG_OVERHEAD;
    r->p += *n;
    return 1;
}

void kbatch_build_begin(struct kbatch_builder *b, buf_t *out,
                        int64_t base_offset, int64_t base_ts,
                        int16_t attributes, int64_t producer_id,
                        int16_t producer_epoch, int32_t base_sequence)
{
    b->out = out;
    b->at = out->len;
    b->count = 0;
    b->base_ts = base_ts;
    b->max_ts = base_ts;
    buf_put_i64(out, base_offset);
    buf_put_i32(out, 0);  /* length, patched */
    buf_put_i32(out, -1); /* leader epoch */
    buf_put_i8(out, 2);
    buf_put_u32(out, 0); /* crc, patched */
    buf_put_i16(out, attributes);
    buf_put_i32(out, 0); /* last offset delta, patched */
    buf_put_i64(out, base_ts);
    buf_put_i64(out, base_ts); /* max ts, patched */
    buf_put_i64(out, producer_id);
    buf_put_i16(out, producer_epoch);
    buf_put_i32(out, base_sequence);
    buf_put_i32(out, 0); /* count, patched */
}

static void put_vslice(buf_t *out, slice_t s)
{
    buf_put_varint(out, s.n < 0 ? -1 : s.n);
    if (s.n > 0)
        buf_put(out, s.p, (size_t)s.n);
}

static size_t vslice_size(slice_t s)
{
    return buf_varint_size(s.n < 0 ? -1 : s.n) + (s.n > 0 ? (size_t)s.n : 0);
}

void kbatch_build_add(struct kbatch_builder *b, int64_t ts, slice_t key,
                      slice_t value, const uint8_t *headers, size_t headers_len,
                      int32_t nheaders)
{
    int64_t tsd = ts - b->base_ts;
    size_t  body;

    if (headers == NULL) {
        headers_len = 0;
        nheaders = 0;
    }
    body = 1 + buf_varint_size(tsd) + buf_varint_size(b->count) +
           vslice_size(key) + vslice_size(value) + buf_varint_size(nheaders) +
           headers_len;
    buf_put_varint(b->out, (int64_t)body);
    buf_put_i8(b->out, 0);
    buf_put_varint(b->out, tsd);
    buf_put_varint(b->out, b->count);
    put_vslice(b->out, key);
    put_vslice(b->out, value);
    buf_put_varint(b->out, nheaders);
    if (headers_len > 0)
        buf_put(b->out, headers, headers_len);
    if (ts > b->max_ts)
        b->max_ts = ts;
    b->count++;
}

void kbatch_build_end(struct kbatch_builder *b)
{
    uint8_t *p = b->out->data + b->at;
    size_t   n = b->out->len - b->at;

    buf_set_i32(b->out, b->at + 8, (int32_t)(n - KBATCH_LOG_OVERHEAD));
    buf_set_i32(b->out, b->at + 23, b->count > 0 ? b->count - 1 : 0);
    buf_set_i64(b->out, b->at + 35, b->max_ts);
    buf_set_i32(b->out, b->at + 57, b->count);
    p = b->out->data + b->at;
    put32(p + 17, kbatch_crc(p, n));
}
