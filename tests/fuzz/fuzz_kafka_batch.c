/* Fuzz record-batch handling: the bytes are a Produce RECORDS blob.  Every
 * batch is split and validated; a batch that validates must have a sane
 * header and, if uncompressed, records that read back; a legacy message
 * set goes through klegacy_to_v2 (bounded decompression), whose output
 * must validate; and down-conversion of whatever validated must not fail
 * on framing. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "kbatch.h"
#include "klegacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd_t           r = rd_init(data, size);
    const uint8_t *p;
    size_t         n;
    int            magic = kbatch_magic(data, size);

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
