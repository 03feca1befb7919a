/* klegacy: message format v0/v1 in and out (see klegacy.h). */
#include "klegacy.h"

#include <zlib.h>

#include "kbatch.h"
#include "kcompress.h"
#include "rd.h"

struct legacy_msg {
    int64_t offset;
    int8_t  magic;
    int8_t  attributes;
    int64_t timestamp;
    slice_t key;
    slice_t value;
};

/* One message from r; validates size and CRC. */
static int read_msg(rd_t *r, struct legacy_msg *m)
{
    int32_t        size;
    const uint8_t *body;
    rd_t           b;
    uint32_t       crc;

    m->offset = rd_i64(r);
    size = rd_i32(r);
    if (!rd_ok(r))
        return r->err;
    if (size < 14 || (size_t)size > rd_left(r))
        return ERR_MALFORMED;
    body = rd_raw(r, (size_t)size);
    b = rd_init(body, (size_t)size);
    crc = rd_u32(&b);
    if ((uint32_t)crc32(0, body + 4, (uInt)(size - 4)) != crc)
        return ERR_CORRUPT;
    m->magic = rd_i8(&b);
    m->attributes = rd_i8(&b);
    if (m->magic != 0 && m->magic != 1)
        return ERR_MALFORMED;
    m->timestamp = m->magic == 1 ? rd_i64(&b) : -1;
    m->key = rd_bytes(&b, false);
    m->value = rd_bytes(&b, false);
    if (!rd_ok(&b) || rd_left(&b) != 0)
        return ERR_MALFORMED;
    return 0;
}

static int convert_set(const uint8_t *p, size_t n, int depth, int *magic,
                       int64_t wrapper_ts, size_t max_bytes,
                       struct kbatch_builder *b, bool *begun, buf_t *out)
{
    rd_t r = rd_init(p, n);
    int  rc, count = 0;

    while (rd_left(&r) > 0) {
        struct legacy_msg m;
        int               codec;

        rc = read_msg(&r, &m);
        if (rc < 0)
            return rc;
        if (*magic < 0)
            *magic = m.magic;
        else if (m.magic != *magic)
            return ERR_MALFORMED;
        codec = m.attributes & 0x07;
        if (codec != 0) {
            buf_t inner = BUF_INIT;

            if (depth > 0 || m.value.n <= 0)
                return ERR_MALFORMED; /* no nested compression */
            if (codec == 4)           /* zstd never existed for magic < 2 */
                return ERR_UNSUPPORTED;
            rc = kcompress_decompress(codec, m.value.p, (size_t)m.value.n,
                                      &inner, max_bytes);
            if (rc == 0)
                rc = convert_set(
                    inner.data, inner.len, depth + 1, magic,
                    (m.magic == 1 && (m.attributes & 0x08)) ? m.timestamp : -2,
                    max_bytes, b, begun, out);
            buf_free(&inner);
            if (rc < 0)
                return rc;
            count += rc;
            continue;
        }
        if (wrapper_ts != -2)
            m.timestamp = wrapper_ts; /* LogAppendTime of the wrapper */
        if (!*begun) {
            kbatch_build_begin(b, out, 0, m.timestamp, 0, -1, -1, -1);
            *begun = true;
        }
        kbatch_build_add(b, m.timestamp, m.key, m.value, NULL, 0, 0);
        count++;
    }
    return count;
}

int klegacy_to_v2(const uint8_t *p, size_t n, size_t max_bytes, buf_t *out)
{
    struct kbatch_builder b;
    bool                  begun = false;
    int                   magic = -1;
    size_t                at = out->len;
    int                   rc;

    rc = convert_set(p, n, 0, &magic, -2, max_bytes, &b, &begun, out);
    if (rc == 0 && begun == false)
        rc = ERR_MALFORMED;
    if (rc < 0) {
        out->len = at;
        return rc;
    }
    kbatch_build_end(&b);
    return rc;
}

void klegacy_put_message(buf_t *out, int magic, int64_t offset,
                         int8_t attributes, int64_t timestamp,
                         const uint8_t *key, int32_t keylen,
                         const uint8_t *value, int32_t valuelen)
{
    size_t at;

    buf_put_i64(out, offset);
    at = buf_frame_begin(out);
    buf_put_u32(out, 0); /* crc, patched */
    buf_put_i8(out, (int8_t)magic);
    buf_put_i8(out, attributes);
    if (magic == 1)
        buf_put_i64(out, timestamp);
    buf_put_i32(out, key == NULL ? -1 : keylen);
    if (key != NULL && keylen > 0)
        buf_put(out, key, (size_t)keylen);
    buf_put_i32(out, value == NULL ? -1 : valuelen);
    if (value != NULL && valuelen > 0)
        buf_put(out, value, (size_t)valuelen);
    buf_frame_end(out, at);
    {
        uint8_t *m = out->data + at + 4;
        uint32_t crc = (uint32_t)crc32(0, m + 4, (uInt)(out->len - at - 8));

        m[0] = (uint8_t)(crc >> 24);
        m[1] = (uint8_t)(crc >> 16);
        m[2] = (uint8_t)(crc >> 8);
        m[3] = (uint8_t)crc;
    }
}

int klegacy_from_v2(const uint8_t *p, size_t n, int magic, int64_t min_offset,
                    size_t max_out, buf_t *out)
{
    rd_t           r = rd_init(p, n);
    const uint8_t *bp;
    size_t         bn;
    size_t         start = out->len;
    int            rc;

    while ((rc = kbatch_next(&r, &bp, &bn)) == 1) {
        struct kbatch_hdr h;
        buf_t             plain = BUF_INIT;
        rd_t              rr;
        int               codec;
        int32_t           i;

        if (kbatch_hdr_read(bp, bn, &h) != 0 || h.magic != 2)
            return ERR_CORRUPT;
        if (h.attributes & KBATCH_ATTR_CONTROL)
            continue;
        codec = h.attributes & KBATCH_CODEC_MASK;
        if (codec == KBATCH_ZSTD)
            return ERR_UNSUPPORTED;
        if (codec != 0) {
            rc = kcompress_decompress(codec, bp + KBATCH_HEADER_SIZE,
                                      bn - KBATCH_HEADER_SIZE, &plain,
                                      64u << 20);
            if (rc < 0) {
                buf_free(&plain);
                return ERR_CORRUPT;
            }
            rr = rd_init(plain.data, plain.len);
        } else {
            rr = rd_init(bp + KBATCH_HEADER_SIZE, bn - KBATCH_HEADER_SIZE);
        }
        for (i = 0; i < h.count; i++) {
            struct krecord rec;
            int64_t        off, ts;
            size_t         need;

            if (krecord_read(&rr, &rec) != 0) {
                buf_free(&plain);
                return ERR_CORRUPT;
            }
            off = h.base_offset + rec.offset_delta;
            if (off < min_offset)
                continue;
            ts = (h.attributes & KBATCH_ATTR_LOG_APPEND)
                     ? h.max_timestamp
                     : h.base_timestamp + rec.timestamp_delta;
            need = 12 + 14 + (magic == 1 ? 8 : 0) +
                   (size_t)(rec.key.n > 0 ? rec.key.n : 0) +
                   (size_t)(rec.value.n > 0 ? rec.value.n : 0);
            if (out->len > start && out->len - start + need > max_out) {
                buf_free(&plain);
                return 0;
            }
            klegacy_put_message(
                out, magic, off,
                (int8_t)(magic == 1 && (h.attributes & KBATCH_ATTR_LOG_APPEND)
                             ? 0x08
                             : 0),
                ts, rec.key.n < 0 ? NULL : rec.key.p, rec.key.n,
                rec.value.n < 0 ? NULL : rec.value.p, rec.value.n);
        }
        buf_free(&plain);
    }
    return 0; /* a partial trailing batch (rc < 0) is normal in a fetch */
}
