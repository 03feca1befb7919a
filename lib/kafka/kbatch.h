/* kbatch: record batches (message format v2, "magic 2") as Kafka's
 * DefaultRecordBatch lays them out, and the records inside them.
 *
 * It owns: the 61-byte batch header, validation of a batch from the wire
 * (length, magic, CRC-32C over attributes..end, record count against last
 * offset delta, and for uncompressed batches every record's framing and
 * offset delta), splitting a RECORDS blob into batches, rewriting
 * BaseOffset and PartitionLeaderEpoch in place (both lie outside the CRC,
 * so the CRC stays valid), reading records, and building an uncompressed
 * batch (used for legacy conversion and by clients such as the CLI).  It
 * does not own: compression codecs (kcompress), legacy message sets
 * (klegacy), or storage.
 *
 * Compressed batches are validated by header and CRC only: the count and
 * offsets of their records are in the uncompressed header, so the broker
 * never needs to decompress them (DESIGN.md). */
#ifndef ODRADEK_KBATCH_H
#define ODRADEK_KBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rd.h"

#define KBATCH_HEADER_SIZE 61  /* up to and including the record count */
#define KBATCH_LOG_OVERHEAD 12 /* BaseOffset + Length */
#define KBATCH_CRC_START 21    /* attributes: first byte under the CRC */

enum {
    KBATCH_CODEC_MASK = 0x07, /* 0 none 1 gzip 2 snappy 3 lz4 4 zstd */
    KBATCH_ATTR_LOG_APPEND = 0x08,
    KBATCH_ATTR_TXN = 0x10,
    KBATCH_ATTR_CONTROL = 0x20,
};

enum kbatch_codec {
    KBATCH_NONE = 0,
    KBATCH_GZIP = 1,
    KBATCH_SNAPPY = 2,
    KBATCH_LZ4 = 3,
    KBATCH_ZSTD = 4,
};

struct kbatch_hdr {
    int64_t  base_offset;
    int32_t  length; /* bytes after the length field */
    int32_t  leader_epoch;
    int8_t   magic;
    uint32_t crc;
    int16_t  attributes;
    int32_t  last_offset_delta;
    int64_t  base_timestamp;
    int64_t  max_timestamp;
    int64_t  producer_id;
    int16_t  producer_epoch;
    int32_t  base_sequence;
    int32_t  count;
};

/* Reads the header of a v2 batch (needs n >= KBATCH_HEADER_SIZE; does not
 * validate anything).  Returns 0 or ERR_SHORT. */
int kbatch_hdr_read(const uint8_t *p, size_t n, struct kbatch_hdr *h);

/* Why a batch is invalid; the produce handler maps these to Kafka codes
 * (CORRUPT_MESSAGE for a bad CRC, INVALID_RECORD otherwise). */
enum kbatch_verdict {
    KBATCH_OK = 0,
    KBATCH_BAD_LENGTH, /* length field disagrees with the bytes */
    KBATCH_BAD_MAGIC,  /* not 2 (legacy sets go through klegacy) */
    KBATCH_BAD_CRC,
    KBATCH_BAD_COUNT,   /* count <= 0 or != last_offset_delta + 1 */
    KBATCH_BAD_RECORDS, /* uncompressed records do not parse / add up */
    KBATCH_BAD_CODEC,   /* compression type 5..7 */
};

/* Validates the one batch p[0..n) (n must be exactly 12 + length).
 * Fills *h.  Returns a verdict (KBATCH_OK == 0). */
int kbatch_validate(const uint8_t *p, size_t n, struct kbatch_hdr *h);

/* Splits a RECORDS blob: the next batch at *r, as [*p, *p + *n).  Returns
 * 1 for a batch, 0 at the end, or ERR_SHORT if the blob ends inside a
 * batch (a fetch response may do that; a produce request may not). */
int kbatch_next(rd_t *r, const uint8_t **p, size_t *n);

/* The magic byte of the first batch / message of a RECORDS blob (offset
 * 16 in every format), or -1 if too short. */
int kbatch_magic(const uint8_t *p, size_t n);

/* Rewrites the fields outside the CRC (in place). */
void kbatch_set_base_offset(uint8_t *p, int64_t base_offset);
void kbatch_set_leader_epoch(uint8_t *p, int32_t epoch);

/* CRC-32C of a batch as it should be (bytes 21..n). */
uint32_t kbatch_crc(const uint8_t *p, size_t n);

/* One record inside an uncompressed batch (or a decompressed payload). */
struct krecord {
    int8_t         attributes;
    int64_t        timestamp_delta;
    int32_t        offset_delta;
    slice_t        key;   /* n == -1: null */
    slice_t        value; /* n == -1: null */
    int32_t        nheaders;
    const uint8_t *headers; /* the encoded headers, for copying */
    size_t         headers_len;
};

/* Reads one record (varint length + body) from r.  Returns 0 or < 0. */
int krecord_read(rd_t *r, struct krecord *rec);

/* Builds one uncompressed v2 batch.  begin writes the header with
 * placeholders; add appends a record (offset delta = records added so
 * far); end patches length, count, last offset delta, max timestamp and
 * the CRC.  headers may be NULL (no headers). */
struct kbatch_builder {
    buf_t  *out;
    size_t  at; /* where the batch starts in out */
    int32_t count;
    int64_t base_ts;
    int64_t max_ts;
};

void kbatch_build_begin(struct kbatch_builder *b, buf_t *out,
                        int64_t base_offset, int64_t base_ts,
                        int16_t attributes, int64_t producer_id,
                        int16_t producer_epoch, int32_t base_sequence);
void kbatch_build_add(struct kbatch_builder *b, int64_t ts, slice_t key,
                      slice_t value, const uint8_t *headers, size_t headers_len,
                      int32_t nheaders);
void kbatch_build_end(struct kbatch_builder *b);

#endif
