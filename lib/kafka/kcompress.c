/* kcompress: gzip, snappy (raw and xerial), lz4 frame and zstd through
 * the system libraries, with bounded output. */
#include "kcompress.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "err.h"

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

static int gz_decompress(const uint8_t *p, size_t n, buf_t *out, size_t max)
{
    z_stream z;
    size_t   start = out->len;
    int      rc;

    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK) /* gzip or zlib header */
        return ERR_CORRUPT;
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    do {
        if (out->len - start >= max) {
            inflateEnd(&z);
            return ERR_TOO_BIG;
        }
        buf_reserve(out, 64 * 1024);
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len);
        if (z.avail_out > max - (out->len - start))
            z.avail_out = (uInt)(max - (out->len - start));
        rc = inflate(&z, Z_NO_FLUSH);
        out->len = (size_t)(z.next_out - out->data);
        if (rc == Z_STREAM_END && z.avail_in > 0) {
            /* concatenated gzip members */
            if (inflateReset(&z) != Z_OK)
                break;
            rc = Z_OK;
        }
    } while (rc == Z_OK);
    inflateEnd(&z);
    if (rc != Z_STREAM_END)
        return (out->len - start >= max) ? ERR_TOO_BIG : ERR_CORRUPT;
    return 0;
}

static int snappy_raw(const uint8_t *p, size_t n, buf_t *out, size_t max)
{
    size_t len;

    if (snappy_uncompressed_length((const char *)p, n, &len) != SNAPPY_OK)
        return ERR_CORRUPT;
    if (len > max)
        return ERR_TOO_BIG;
    if (len == 0)
        return 0; /* nothing to write (and out->data may still be NULL) */
    buf_reserve(out, len);
    if (snappy_uncompress((const char *)p, n, (char *)out->data + out->len,
                          &len) != SNAPPY_OK)
        return ERR_CORRUPT;
    out->len += len;
    return 0;
}

static int snappy_decompress(const uint8_t *p, size_t n, buf_t *out, size_t max)
{
    size_t start = out->len, i;
    int    rc;

    if (n < 16 || memcmp(p, xerial_magic, 8) != 0)
        return snappy_raw(p, n, out, max);
    for (i = 16; i < n;) {
        uint32_t len;

        if (n - i < 4)
            return ERR_CORRUPT;
        len = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
              (uint32_t)p[i + 2] << 8 | p[i + 3];
        i += 4;
        if (len > n - i)
            return ERR_CORRUPT;
        rc = snappy_raw(p + i, len, out, max - (out->len - start));
        if (rc < 0)
            return rc;
        i += len;
    }
    return 0;
}

static int lz4_decompress(const uint8_t *p, size_t n, buf_t *out, size_t max)
{
    LZ4F_dctx *d;
    size_t     start = out->len, rc = 1;

    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
        return ERR_CORRUPT;
    while (n > 0 && rc != 0) {
        size_t in = n, outn;

        if (out->len - start >= max) {
            LZ4F_freeDecompressionContext(d);
            return ERR_TOO_BIG;
        }
        buf_reserve(out, 64 * 1024);
        outn = out->cap - out->len;
        if (outn > max - (out->len - start))
            outn = max - (out->len - start);
        rc = LZ4F_decompress(d, out->data + out->len, &outn, p, &in, NULL);
        if (LZ4F_isError(rc)) {
            LZ4F_freeDecompressionContext(d);
            return ERR_CORRUPT;
        }
        out->len += outn;
        p += in;
        n -= in;
        if (in == 0 && outn == 0)
            break;
    }
    LZ4F_freeDecompressionContext(d);
    return rc == 0 ? 0 : ERR_CORRUPT;
}

static int zstd_decompress(const uint8_t *p, size_t n, buf_t *out, size_t max)
{
    ZSTD_DStream *z = ZSTD_createDStream();
    ZSTD_inBuffer in = {p, n, 0};
    size_t        start = out->len, rc = 1;

    if (z == NULL)
        return ERR_CORRUPT;
    ZSTD_initDStream(z);
    while (in.pos < in.size || rc != 0) {
        ZSTD_outBuffer o;

        if (out->len - start >= max) {
            ZSTD_freeDStream(z);
            return ERR_TOO_BIG;
        }
        buf_reserve(out, 64 * 1024);
        o.dst = out->data + out->len;
        o.size = out->cap - out->len;
        if (o.size > max - (out->len - start))
            o.size = max - (out->len - start);
        o.pos = 0;
        rc = ZSTD_decompressStream(z, &o, &in);
        if (ZSTD_isError(rc)) {
            ZSTD_freeDStream(z);
            return ERR_CORRUPT;
        }
        out->len += o.pos;
        if (o.pos == 0 && in.pos == in.size)
            break;
    }
    ZSTD_freeDStream(z);
    return rc == 0 ? 0 : ERR_CORRUPT;
}

int kcompress_decompress(int codec, const uint8_t *p, size_t n, buf_t *out,
                         size_t max_out)
{
    switch (codec) {
    case 1:
        return gz_decompress(p, n, out, max_out);
    case 2:
        return snappy_decompress(p, n, out, max_out);
    case 3:
        return lz4_decompress(p, n, out, max_out);
    case 4:
        return zstd_decompress(p, n, out, max_out);
    default:
        return ERR_UNSUPPORTED;
    }
}

int kcompress_compress(int codec, const uint8_t *p, size_t n, buf_t *out)
{
    switch (codec) {
    case 1: {
        z_stream z;
        int      rc;

        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return ERR_CORRUPT;
        buf_reserve(out, deflateBound(&z, (uLong)n));
        z.next_in = (Bytef *)(uintptr_t)p;
        z.avail_in = (uInt)n;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len);
        rc = deflate(&z, Z_FINISH);
        out->len = (size_t)(z.next_out - out->data);
        deflateEnd(&z);
        return rc == Z_STREAM_END ? 0 : ERR_CORRUPT;
    }
    case 2: {
        size_t len = snappy_max_compressed_length(n);

        buf_reserve(out, len);
        if (snappy_compress((const char *)p, n, (char *)out->data + out->len,
                            &len) != SNAPPY_OK)
            return ERR_CORRUPT;
        out->len += len;
        return 0;
    }
    case 3: {
        size_t bound = LZ4F_compressFrameBound(n, NULL), rc;

        buf_reserve(out, bound);
        rc = LZ4F_compressFrame(out->data + out->len, bound, p, n, NULL);
        if (LZ4F_isError(rc))
            return ERR_CORRUPT;
        out->len += rc;
        return 0;
    }
    case 4: {
        size_t bound = ZSTD_compressBound(n), rc;

        buf_reserve(out, bound);
        rc = ZSTD_compress(out->data + out->len, bound, p, n, 1);
        if (ZSTD_isError(rc))
            return ERR_CORRUPT;
        out->len += rc;
        return 0;
    }
    default:
        return ERR_UNSUPPORTED;
    }
}

int kcompress_snappy_xerial(const uint8_t *p, size_t n, buf_t *out)
{
    size_t at;
    int    rc;

    buf_put(out, xerial_magic, 8);
    buf_put_i32(out, 1);
    buf_put_i32(out, 1);
    at = buf_frame_begin(out);
    rc = kcompress_compress(2, p, n, out);
    if (rc < 0)
        return rc;
    buf_frame_end(out, at);
    return 0;
}
