/* Fuzz the bounded reader: the input is a little program whose bytes pick
 * which reader to call next; whatever the bytes, no read may go out of
 * bounds, the cursor never passes the end, and after an error nothing
 * moves. */
#include "fuzz_check.h"
#include <stdint.h>
#include <stdlib.h>

#include "rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd_t          r;
    const uint8_t *before;
    int           err;

    if (size < 1)
        return 0;
    r = rd_init(data + 1, size - 1);
    for (size_t step = 0; step < 256 && rd_left(&r) > 0; step++) {
        uint8_t op = data[(step % size)];
        slice_t s;

        before = r.p;
        err = r.err;
        switch (op % 14) {
        case 0: (void)rd_i8(&r); break;
        case 1: (void)rd_i16(&r); break;
        case 2: (void)rd_i32(&r); break;
        case 3: (void)rd_i64(&r); break;
        case 4: (void)rd_uvarint(&r); break;
        case 5: (void)rd_uvarint32(&r); break;
        case 6: (void)rd_varint(&r); break;
        case 7: (void)rd_varlong(&r); break;
        case 8:
            s = rd_string(&r, op & 0x10);
            if (rd_ok(&r) && s.n > 0)
                FUZZ_CHECK(s.p >= data && s.p + s.n <= data + size);
            break;
        case 9:
            s = rd_bytes(&r, op & 0x10);
            if (rd_ok(&r) && s.n > 0)
                FUZZ_CHECK(s.p >= data && s.p + s.n <= data + size);
            break;
        case 10: (void)rd_vbytes(&r); break;
        case 11: {
            int32_t n = rd_count(&r, op & 0x10, 1 + (op >> 5));

            if (rd_ok(&r) && n > 0)
                FUZZ_CHECK((size_t)n <= rd_left(&r));
            break;
        }
        case 12: rd_skip_tags(&r); break;
        case 13: (void)rd_raw(&r, op); break;
        }
        FUZZ_CHECK(r.p <= r.end);
        if (err != 0)
            FUZZ_CHECK(r.p == before && r.err == err);
        if (!rd_ok(&r))
            break;
    }
    return 0;
}
