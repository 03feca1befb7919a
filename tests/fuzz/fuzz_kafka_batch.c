/* Fuzz record-batch handling: the bytes are a Produce RECORDS blob.  Every
 * batch is split and validated; a batch that validates must have a sane
 * header and, if uncompressed, records that read back; a legacy message
 * set goes through klegacy_to_v2 (bounded decompression), whose output
 * must validate; and down-conversion of whatever validated must not fail
 * on framing. */
#include "fuzz_check.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kbatch.h"
#include "klegacy.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The reference record walk: krecord_read, offset deltas 0, 1, 2... */
static bool ref_records(const uint8_t *p, size_t n, int32_t count)
{
    rd_t    r = rd_init(p + KBATCH_HEADER_SIZE, n - KBATCH_HEADER_SIZE);
    int32_t i;

    for (i = 0; i < count; i++) {
        struct krecord rec;

        if (krecord_read(&r, &rec) != 0 || rec.offset_delta != i)
            return false;
    }
    return rd_left(&r) == 0;
}

/* The input's tail as the records of an uncompressed batch whose header
 * (length, magic, CRC, count) is made consistent, so the fast record
 * walk in kbatch_validate meets arbitrary record bytes: it must accept
 * exactly what krecord_read accepts. */
static void walk_differential(const uint8_t *data, size_t size)
{
    uint8_t           *b;
    struct kbatch_hdr  h;
    int32_t            count;

    if (size < KBATCH_HEADER_SIZE || size > (1u << 20))
        return;
    b = malloc(size);
    memcpy(b, data, size);
    count = (int32_t)(b[57] % 64) + 1;
    put32(b + 8, (uint32_t)(size - 12));
    b[16] = 2;
    b[21] = 0;
    b[22] &= 0xf8; /* no codec */
    put32(b + 23, (uint32_t)(count - 1));
    put32(b + 57, (uint32_t)count);
    put32(b + 17, kbatch_crc(b, size));
    FUZZ_CHECK((kbatch_validate(b, size, &h) == KBATCH_OK) == ref_records(b, size, count));
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd_t           r = rd_init(data, size);
    const uint8_t *p;
    size_t         n;
    int            magic = kbatch_magic(data, size);

    walk_differential(data, size);

    if (magic == 0 || magic == 1) {
        buf_t v2 = BUF_INIT;
        int   rc = klegacy_to_v2(data, size, 1 << 20, &v2);

        if (rc > 0) {
            struct kbatch_hdr h;

            FUZZ_CHECK(kbatch_validate(v2.data, v2.len, &h) == KBATCH_OK);
            FUZZ_CHECK(h.count == rc);
        } else {
            FUZZ_CHECK(v2.len == 0);
        }
        buf_free(&v2);
        return 0;
    }
    while (kbatch_next(&r, &p, &n) == 1) {
        struct kbatch_hdr h;

        FUZZ_CHECK(p >= data && p + n <= data + size);
        if (kbatch_validate(p, n, &h) != KBATCH_OK)
            continue;
        FUZZ_CHECK(h.count > 0 && h.count == h.last_offset_delta + 1);
        FUZZ_CHECK(h.magic == 2);
        if ((h.attributes & KBATCH_CODEC_MASK) == 0) {
            buf_t out = BUF_INIT;

            FUZZ_CHECK(klegacy_from_v2(p, n, 1, 0, 1 << 20, &out) == 0);
            buf_free(&out);
        }
    }
    return 0;
}
