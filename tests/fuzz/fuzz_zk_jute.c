/* Fuzz lib/zk's request decoder (the frame decoder every server and the
 * txn log use): input = int16 op type + request body.  Whatever the bytes:
 * no out-of-bounds read, nothing sized by a lying count, and whatever
 * decodes re-encodes to bytes that decode to the same encoding again
 * (the coord's txn log relies on that round trip).  The ConnectRequest
 * decoder gets the same bytes. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "zk_jute.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct zk_req         q, q2;
    struct zk_connect_req cr;
    arena_t               a = { 0 };
    buf_t                 b1 = BUF_INIT, b2 = BUF_INIT;
    rd_t                  r;

    (void)zk_jute_connect_req_decode(data, size, &cr);
    if (size < 2)
        return 0;
    memset(&q, 0, sizeof q);
    q.type = (int16_t)(data[0] << 8 | data[1]);
    r = rd_init(data + 2, size - 2);
    if (zk_jute_req_decode(&r, &q, &a) == 0) {
        FUZZ_CHECK(r.p <= r.end);
        FUZZ_CHECK(zk_jute_req_encode(&b1, &q) == 0);
        memset(&q2, 0, sizeof q2);
        q2.type = q.type;
        r = rd_init(b1.data, b1.len);
        FUZZ_CHECK(zk_jute_req_decode(&r, &q2, &a) == 0);
        FUZZ_CHECK(zk_jute_req_encode(&b2, &q2) == 0);
        FUZZ_CHECK(b1.len == b2.len &&
                   (b1.len == 0 || memcmp(b1.data, b2.data, b1.len) == 0));
        FUZZ_CHECK(q2.nops == q.nops && q2.nacl == q.nacl);
    }
    /* a lying count never makes the arena grow beyond the input's scale */
    FUZZ_CHECK(a.total <= 64 * size + 4096);
    buf_free(&b1);
    buf_free(&b2);
    arena_free(&a);
    return 0;
}
