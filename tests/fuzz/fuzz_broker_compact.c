/* Fuzz the record-batch reader kf_compact uses for compaction and for
 * loading __consumer_offsets (kf_compact_batch_each): the input becomes
 * one v2 batch whose length and CRC fields are patched to be consistent
 * (so the fuzzer explores the records, and compressed payloads of every
 * codec, not the CRC check).  Whatever the bytes: no out-of-bounds read,
 * no decompression past the cap, slices inside the batch or the
 * decompressed buffer. */
#include "fuzz_check.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "kf_compact.h"

static int count(void *arg, int64_t offset, slice_t key, slice_t value)
{
    (void)offset;
    FUZZ_CHECK(key.n >= -1 && value.n >= -1);
    if (key.n > 0)
        FUZZ_CHECK(key.p != NULL);
    (*(int *)arg)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b;
    uint32_t crc;
    int      n = 0;

    if (size < 61 || size > (1u << 20))
        return 0;
    b = malloc(size);
    memcpy(b, data, size);
    b[8] = (uint8_t)((size - 12) >> 24);
    b[9] = (uint8_t)((size - 12) >> 16);
    b[10] = (uint8_t)((size - 12) >> 8);
    b[11] = (uint8_t)(size - 12);
    b[16] = 2;
    crc = crc32c(0, b + 21, size - 21);
    b[17] = (uint8_t)(crc >> 24);
    b[18] = (uint8_t)(crc >> 16);
    b[19] = (uint8_t)(crc >> 8);
    b[20] = (uint8_t)crc;
    (void)kf_compact_batch_each(b, size, 1u << 20, count, &n);
    FUZZ_CHECK(n >= 0 && (size_t)n <= (1u << 20));
    free(b);
    return 0;
}
