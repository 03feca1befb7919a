/* klegacy: the legacy message sets (message format v0 and v1, "magic 0/1")
 * that clients pinned to old protocol versions still send and expect.
 *
 * It owns: parsing and validating a message set (each message: offset
 * int64, size int32, CRC-32 (IEEE) of the rest, magic int8, attributes
 * int8, [v1: timestamp int64], key and value as int32-length bytes),
 * including compressed wrapper messages whose value is a compressed inner
 * message set (gzip, snappy raw or xerial-framed, lz4), converting a set
 * into one uncompressed v2 record batch (what the broker stores), and
 * down-converting stored v2 batches into a v0/v1 message set for Fetch
 * v0-3.  It does not own the codecs (kcompress) or v2 batches (kbatch). */
#ifndef ODRADEK_KLEGACY_H
#define ODRADEK_KLEGACY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Converts the message set p[0..n) (magic 0 or 1 throughout) into one
 * uncompressed v2 batch appended to out (base offset 0, no producer).
 * Decompressed data is bounded by max_bytes.  Returns the number of
 * records (> 0), or < 0: ERR_CORRUPT (bad CRC), ERR_MALFORMED (framing,
 * mixed magic, nested compression, empty set), ERR_TOO_BIG,
 * ERR_UNSUPPORTED (codec). */
int klegacy_to_v2(const uint8_t *p, size_t n, size_t max_bytes, buf_t *out);

/* Down-converts the v2 batches in p[0..n) (a trailing partial batch is
 * ignored, as a fetch may end in one) to an uncompressed message set of
 * the given magic (0 or 1) appended to out, skipping control batches and
 * records below min_offset, stopping before out grows past max_out bytes
 * (but always emitting at least one message if there is one).  Returns 0,
 * ERR_UNSUPPORTED for zstd (old fetch versions cannot carry it), or
 * ERR_CORRUPT. */
int klegacy_from_v2(const uint8_t *p, size_t n, int magic, int64_t min_offset,
                    size_t max_out, buf_t *out);

/* Appends one uncompressed legacy message (for tests and the CLI). */
void klegacy_put_message(buf_t *out, int magic, int64_t offset,
                         int8_t attributes, int64_t timestamp,
                         const uint8_t *key, int32_t keylen,
                         const uint8_t *value, int32_t valuelen);

#endif
