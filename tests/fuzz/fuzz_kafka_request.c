/* Fuzz request decoding: the input is a request frame body (header +
 * body) as the broker's frame callback gets it.  Whatever the bytes: the
 * header and body decode within bounds, a decoded request re-encodes, and
 * the re-encoding decodes again to the same bytes (the codec is its own
 * oracle).  Responses of the same API/version are decoded too, because
 * the CLI and tests decode responses with the same tables. */
#include "fuzz_check.h"
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "kmsg.h"

static void decode_reencode(const struct kmsg_struct *s, int16_t ver, bool flex,
                            const uint8_t *p, size_t n)
{
    arena_t a;
    void   *obj, *again;
    rd_t    r = rd_init(p, n);

    arena_init(&a);
    obj = arena_alloc(&a, s->size);
    if (kmsg_decode(s, ver, flex, &r, &a, obj) == 0) {
        buf_t one = BUF_INIT, two = BUF_INIT;
        rd_t  r2;

        FUZZ_CHECK(r.p <= r.end);
        kmsg_encode_buf(s, ver, flex, obj, &one);
        r2 = rd_init(one.data, one.len);
        again = arena_alloc(&a, s->size);
        FUZZ_CHECK(kmsg_decode(s, ver, flex, &r2, &a, again) == 0);
        FUZZ_CHECK(rd_left(&r2) == 0);
        kmsg_encode_buf(s, ver, flex, again, &two);
        FUZZ_CHECK(one.len == two.len &&
                   (one.len == 0 || memcmp(one.data, two.data, one.len) == 0));
        buf_free(&one);
        buf_free(&two);
    }
    arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd_t                   r = rd_init(data, size);
    struct kmsg_req_hdr    h;
    const struct kmsg_api *api;
    bool                   flex;

    if (kmsg_req_hdr_read(&r, &h) != 0)
        return 0;
    api = kmsg_api(h.api_key);
    if (api == NULL || h.api_ver < api->vmin || h.api_ver > api->vmax)
        return 0;
    flex = kmsg_flexible(api, h.api_ver);
    if (flex)
        rd_skip_tags(&r);
    if (!rd_ok(&r))
        return 0;
    decode_reencode(api->req, h.api_ver, flex, r.p, rd_left(&r));
    decode_reencode(api->resp, h.api_ver, flex, r.p, rd_left(&r));
    return 0;
}
