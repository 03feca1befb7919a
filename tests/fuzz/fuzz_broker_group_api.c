/* Fuzz the group request handlers (kf_group_api) with hostile bodies: the
 * first byte picks one of the eleven APIs, the second its version, the
 * rest is the request body.  Each input runs against a fresh coordinator
 * over an in-memory __consumer_offsets, then a second copy of the same
 * request, a timer tick and a close, so deferred answers (JoinGroup,
 * SyncGroup) are exercised too.  Whatever the bytes: no crash, every
 * accepted request is answered exactly once, and an answer decodes at its
 * version. */
#include "fuzz_check.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kf_group_api.h"
#include "kmsg.h"

static const int16_t apis[] = { 8, 9, 10, 11, 12, 13, 14, 15, 16, 42, 47 };

static buf_t log_bytes;

static int mem_append(void *ctx, int32_t p, const uint8_t *b, size_t n,
                      kf_gstore_done_fn *done, void *arg)
{
    (void)ctx, (void)p;
    if (log_bytes.len < (1u << 20))
        buf_put(&log_bytes, b, n);
    done(arg, 0);
    return 0;
}

static int mem_read(void *ctx, int32_t p, int64_t *off, buf_t *out)
{
    (void)ctx;
    if (*off > 0 || p != 0)
        return 0;
    buf_put(out, log_bytes.data, log_bytes.len);
    *off = 1;
    return 0;
}

struct answer {
    int16_t key, ver;
    int     n;
};

static void on_reply(void *arg, const uint8_t *body, size_t len)
{
    struct answer         *a = arg;
    const struct kmsg_api *api = kmsg_api(a->key);
    rd_t                   r = rd_init(body, len);
    arena_t                ar;
    void                  *obj;

    a->n++;
    arena_init(&ar);
    obj = arena_calloc(&ar, 1, api->resp->size);
    FUZZ_CHECK(kmsg_decode(api->resp, a->ver, kmsg_flexible(api, a->ver), &r,
                           &ar, obj) == 0);
    arena_free(&ar);
}

/* The input is one request (api byte, version byte, body), or, when the
 * first byte has its top bit set, a sequence of up to 8 requests each
 * framed as (api byte, version byte, uint16 body length, body): groups
 * then see joins, syncs, commits and leaves one after another. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kf_group_api_cfg cfg;
    struct kf_gstore_ops    ops = { mem_append, mem_read, NULL };
    kf_group_api_t         *ga;
    struct answer           a[9];
    int                     i, n = 0, rc[9];
    size_t                  at = 0;

    if (size < 2)
        return 0;
    kf_group_api_cfg_defaults(&cfg);
    cfg.group.initial_delay_ms = 0;
    cfg.offsets_partitions = 1;
    ga = kf_group_api_new(&cfg, NULL, &ops);
    while (n < 9 && at + 2 <= size) {
        const uint8_t *body;
        size_t         len;
        rd_t           r;

        if (n == 0 && !(data[0] & 0x80)) {
            body = data + 2;
            len = size - 2;
        } else {
            if (at + 4 > size)
                break;
            len = (size_t)data[at + 2] << 8 | data[at + 3];
            if (len > size - at - 4)
                len = size - at - 4;
            body = data + at + 4;
        }
        a[n].key = apis[(data[at] & 0x7f) % (sizeof apis / sizeof apis[0])];
        a[n].ver = (int16_t)(data[at + 1] % 9);
        a[n].n = 0;
        r = rd_init(body, len);
        rc[n] = kf_group_api_handle(ga, a[n].key, a[n].ver, &r, "fuzz",
                                    "/127.0.0.1", on_reply, &a[n]);
        if (rc[n] < 0)
            FUZZ_CHECK(a[n].n == 0);
        n++;
        if (n == 1 && !(data[0] & 0x80)) { /* the same request again */
            r = rd_init(body, len);
            a[n] = a[0];
            a[n].n = 0;
            rc[n] = kf_group_api_handle(ga, a[n].key, a[n].ver, &r, "fuzz",
                                        "/127.0.0.1", on_reply, &a[n]);
            n++;
            break;
        }
        at = (size_t)(body - data) + len;
        kf_group_api_tick(ga);
    }
    kf_group_api_tick(ga);
    (void)kf_group_api_load(ga);
    kf_group_api_close(ga, NULL, NULL);
    for (i = 0; i < n; i++)
        if (rc[i] == 0)
            FUZZ_CHECK(a[i].n == 1);
    buf_free(&log_bytes);
    return 0;
}
