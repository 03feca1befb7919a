/* kcompress: the four codecs of Kafka's compression attribute, both ways.
 *
 * It owns: gzip (zlib, gzip or zlib headers accepted), snappy (raw, and
 * the xerial framing kafka-python and the Java client write: an 8-byte
 * magic, two int32 versions, then int32-length-prefixed raw blocks), lz4
 * (the LZ4 frame format) and zstd.  Decompression is bounded by max_out so
 * a small hostile payload cannot expand without limit.  It does not own
 * record batches: the broker decompresses only legacy messages and for
 * down-conversion (v2 batches pass through untouched). */
#ifndef ODRADEK_KCOMPRESS_H
#define ODRADEK_KCOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends the decompressed bytes of p[0..n) to out.  codec: 1 gzip, 2
 * snappy, 3 lz4, 4 zstd.  Returns 0, ERR_CORRUPT for bad input,
 * ERR_TOO_BIG if the output would exceed max_out, ERR_UNSUPPORTED for an
 * unknown codec. */
int kcompress_decompress(int codec, const uint8_t *p, size_t n, buf_t *out,
                         size_t max_out);
/* Appends p[0..n) compressed with codec (snappy: raw) to out.  Returns 0
 * or ERR_UNSUPPORTED / ERR_CORRUPT. */
int kcompress_compress(int codec, const uint8_t *p, size_t n, buf_t *out);
/* Xerial-framed snappy (what kafka-python writes), for tests. */
int kcompress_snappy_xerial(const uint8_t *p, size_t n, buf_t *out);

#endif
