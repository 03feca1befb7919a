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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kf_group_api_cfg cfg;
    struct kf_gstore_ops    ops = { mem_append, mem_read, NULL };
    kf_group_api_t         *ga;
    struct answer           a[2];
    int                     i, rc[2];

    if (size < 2)
        return 0;
    kf_group_api_cfg_defaults(&cfg);
    cfg.group.initial_delay_ms = 0;
    cfg.offsets_partitions = 1;
    ga = kf_group_api_new(&cfg, NULL, &ops);
    for (i = 0; i < 2; i++) {
        rd_t r = rd_init(data + 2, size - 2);

        a[i].key = apis[data[0] % (sizeof apis / sizeof apis[0])];
        a[i].ver = (int16_t)(data[1] % 9);
        a[i].n = 0;
        rc[i] = kf_group_api_handle(ga, a[i].key, a[i].ver, &r, "fuzz",
                                    "/127.0.0.1", on_reply, &a[i]);
        if (rc[i] < 0)
            FUZZ_CHECK(a[i].n == 0);
    }
    kf_group_api_tick(ga);
    (void)kf_group_api_load(ga);
    kf_group_api_close(ga, NULL, NULL);
    for (i = 0; i < 2; i++)
        if (rc[i] == 0)
            FUZZ_CHECK(a[i].n == 1);
    buf_free(&log_bytes);
    return 0;
}
