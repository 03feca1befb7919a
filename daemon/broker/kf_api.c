/* kf_api: the dispatch table and the Kafka listener's frame callback.
 *
 * The table below is the one place where the versions the broker serves
 * and advertises live.  Minimums are 0 everywhere: librdkafka 2.0.2
 * silently turns off compression (Produce), consumer groups and LZ4
 * (FindCoordinator), and balanced consumers (the group APIs) when an
 * advertised minimum is above 0 (KAFKA-18659, librdkafka #4948/#4956).
 * Maxima are Apache Kafka 2.8's, capped by what kmsg_desc.def describes. */
#include "kf_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kerr.h"
#include "log.h"
#include "xalloc.h"

#include "kf_group_api.h"

/* handle == NULL: a consumer-group API, answered by the group coordinator
 * (kf_group_api) from the raw request. */
static const struct kf_api kf_api_table[] = {
    {KMSG_API_PRODUCE, 0, 9, kf_produce_handle},
    {KMSG_API_FETCH, 0, 12, kf_fetch_handle},
    {KMSG_API_LIST_OFFSETS, 0, 6, kf_list_offsets_handle},
    {KMSG_API_METADATA, 0, 11, kf_metadata_handle},
    {KMSG_API_OFFSET_COMMIT, 0, 8, NULL},
    {KMSG_API_OFFSET_FETCH, 0, 7, NULL},
    {KMSG_API_FIND_COORDINATOR, 0, 3, NULL},
    {KMSG_API_JOIN_GROUP, 0, 7, NULL},
    {KMSG_API_HEARTBEAT, 0, 4, NULL},
    {KMSG_API_LEAVE_GROUP, 0, 4, NULL},
    {KMSG_API_SYNC_GROUP, 0, 5, NULL},
    {KMSG_API_DESCRIBE_GROUPS, 0, 5, NULL},
    {KMSG_API_LIST_GROUPS, 0, 4, NULL},
    {KMSG_API_API_VERSIONS, 0, 3, kf_api_versions_handle},
    {KMSG_API_CREATE_TOPICS, 0, 7, kf_admin_create_topics},
    {KMSG_API_DELETE_TOPICS, 0, 6, kf_admin_delete_topics},
    {KMSG_API_DELETE_RECORDS, 0, 2, kf_admin_delete_records},
    {KMSG_API_INIT_PRODUCER_ID, 0, 4, kf_pid_init_producer_id},
    {KMSG_API_DESCRIBE_CONFIGS, 0, 4, kf_configs_describe},
    {KMSG_API_ALTER_CONFIGS, 0, 2, kf_configs_alter},
    {KMSG_API_DESCRIBE_LOG_DIRS, 0, 2, kf_admin_describe_log_dirs},
    {KMSG_API_CREATE_PARTITIONS, 0, 3, kf_admin_create_partitions},
    {KMSG_API_DELETE_GROUPS, 0, 2, NULL},
    {KMSG_API_INCREMENTAL_ALTER_CONFIGS, 0, 1, kf_configs_incremental_alter},
    {KMSG_API_OFFSET_DELETE, 0, 0, NULL},
    {KMSG_API_DESCRIBE_CLUSTER, 0, 0, kf_metadata_describe_cluster},
};

#define KF_API_N (sizeof kf_api_table / sizeof kf_api_table[0])

const struct kf_api *kf_api_lookup(int key)
{
    size_t i;

    for (i = 0; i < KF_API_N; i++)
        if (kf_api_table[i].key == key)
            return &kf_api_table[i];
    return NULL;
}

/* ---- responses ------------------------------------------------------- */

/* Response header v1 (a tag buffer after the correlation id) for flexible
 * versions, except ApiVersions: always v0 (KIP-511). */
static void put_resp_header(buf_t *out, const struct kmsg_api *api, int16_t ver,
                            int32_t corr_id)
{
    buf_put_i32(out, corr_id);
    if (kmsg_flexible(api, ver) && api->key != KMSG_API_API_VERSIONS)
        buf_put_uvarint(out, 0);
}

void kf_api_encode(buf_t *out, int16_t key, int16_t ver, int32_t corr_id,
                   const void *resp)
{
    const struct kmsg_api *api = kmsg_api(key);
    size_t                 at = buf_frame_begin(out);

    put_resp_header(out, api, ver, corr_id);
    kmsg_encode_buf(api->resp, ver, kmsg_flexible(api, ver), resp, out);
    buf_frame_end(out, at);
}

void kf_api_reply(struct kf_req *rq, const void *resp)
{
    buf_t out = BUF_INIT;

    kf_api_encode(&out, rq->hdr.api_key, rq->ver, rq->hdr.corr_id, resp);
    conn_send(rq->c, &out);
    buf_free(&out);
}

conn_msg_t *kf_api_msg(int16_t key, int16_t ver, int32_t corr_id,
                       const void *resp,
                       void (*records)(void *m, const kmsg_records_t *r))
{
    const struct kmsg_api *api = kmsg_api(key);
    conn_msg_t            *m = conn_msg_new();
    struct kmsg_enc        e = {&m->data, records, m};
    size_t                 total;

    buf_put_i32(&m->data, 0); /* frame size, patched below */
    put_resp_header(&m->data, api, ver, corr_id);
    kmsg_encode(api->resp, ver, kmsg_flexible(api, ver), resp, &e);
    total = conn_msg_len(m) - 4;
    buf_set_i32(&m->data, 0, (int32_t)total);
    return m;
}

/* ---- ApiVersions ------------------------------------------------------ */

int kf_api_versions_handle(struct kf_req *rq)
{
    struct kmsg_api_versions_resp     resp;
    struct kmsg_api_versions_resp_key keys[KF_API_N];
    size_t                            i;

    kmsg_defaults(&kmsg_s_api_versions_resp, &resp);
    for (i = 0; i < KF_API_N; i++) {
        keys[i].api_key = kf_api_table[i].key;
        keys[i].min_version = kf_api_table[i].vmin;
        keys[i].max_version = kf_api_table[i].vmax;
    }
    resp.api_keys = keys;
    resp.api_keys_n = (int32_t)KF_API_N;
    kf_api_reply(rq, &resp);
    return 0;
}

/* An ApiVersions version we do not serve: UNSUPPORTED_VERSION in a v0
 * body (the client cannot know our newer format), listing the ApiVersions
 * range so the client retries with a version we have (KIP-511). */
static void api_versions_unsupported(conn_t *c, int32_t corr_id)
{
    struct kmsg_api_versions_resp     resp;
    struct kmsg_api_versions_resp_key key;
    const struct kf_api *row = kf_api_lookup(KMSG_API_API_VERSIONS);
    buf_t                out = BUF_INIT;

    kmsg_defaults(&kmsg_s_api_versions_resp, &resp);
    resp.error_code = KERR_UNSUPPORTED_VERSION;
    key.api_key = KMSG_API_API_VERSIONS;
    key.min_version = row->vmin;
    key.max_version = row->vmax;
    resp.api_keys = &key;
    resp.api_keys_n = 1;
    kf_api_encode(&out, KMSG_API_API_VERSIONS, 0, corr_id, &resp);
    conn_send(c, &out);
    buf_free(&out);
}

/* ---- the group coordinator's APIs ---------------------------------------- */

/* kf_group_api answers with a body, now or later; the header and the
 * conn slot (which keeps responses in request order) are ours. */
struct group_reply {
    conn_t      *c;
    conn_slot_t *slot;
    int32_t      corr_id;
    bool         flex;
};

static void group_reply(void *arg, const uint8_t *body, size_t len)
{
    struct group_reply *g = arg;
    buf_t               out = BUF_INIT;
    size_t              at = buf_frame_begin(&out);

    buf_put_i32(&out, g->corr_id);
    if (g->flex)
        buf_put_uvarint(&out, 0); /* response header v1 */
    buf_put(&out, body, len);
    buf_frame_end(&out, at);
    conn_fill_buf(g->c, g->slot, &out);
    buf_free(&out);
    free(g);
}

static int group_dispatch(struct kf_req *rq, rd_t *r)
{
    struct group_reply *g = xcalloc(1, sizeof *g);
    char                client_id[256], host[80];
    int                 rc;

    g->c = rq->c;
    g->corr_id = rq->hdr.corr_id;
    g->flex = rq->flex;
    g->slot = conn_reserve(rq->c);
    snprintf(client_id, sizeof client_id, "%.*s",
             rq->hdr.client_id.n > 0 ? (int)rq->hdr.client_id.n : 0,
             rq->hdr.client_id.n > 0 ? (const char *)rq->hdr.client_id.p : "");
    snprintf(host, sizeof host, "/%s", rq->c->peer_ip);
    rc = kf_group_api_handle(rq->b->groups, rq->hdr.api_key, rq->ver, r,
                             client_id, host, group_reply, g);
    if (rc < 0) {
        conn_fill(rq->c, g->slot, NULL);
        free(g);
    }
    return rc;
}

/* ---- the frame callback ------------------------------------------------ */

int kf_api_on_frame(conn_t *c, const uint8_t *p, size_t n)
{
    struct kf_broker    *b = c->listener->data;
    rd_t                 r = rd_init(p, n);
    struct kf_req        rq;
    const struct kf_api *row;
    int                  rc;

    memset(&rq, 0, sizeof rq);
    rq.b = b;
    rq.c = c;
    rq.arena = &b->arena;
    if (kmsg_req_hdr_read(&r, &rq.hdr) != 0)
        return ERR_MALFORMED;
    row = kf_api_lookup(rq.hdr.api_key);
    rq.codec = kmsg_api(rq.hdr.api_key);
    if (row == NULL || rq.codec == NULL) {
        log_debug("%s: unknown api key %d: closing", c->peer, rq.hdr.api_key);
        return ERR_UNSUPPORTED; /* Apache Kafka closes too */
    }
    if (rq.hdr.api_ver < row->vmin || rq.hdr.api_ver > row->vmax) {
        if (rq.hdr.api_key == KMSG_API_API_VERSIONS) {
            api_versions_unsupported(c, rq.hdr.corr_id);
            return 0;
        }
        log_debug("%s: %s v%d not supported: closing", c->peer, rq.codec->name,
                  rq.hdr.api_ver);
        return ERR_UNSUPPORTED;
    }
    rq.ver = rq.hdr.api_ver;
    rq.flex = kmsg_flexible(rq.codec, rq.ver);
    if (rq.flex)
        rd_skip_tags(&r); /* request header v2 */
    if (!rd_ok(&r))
        return r.err;
    if (row->handle == NULL) {
        b->requests++;
        return group_dispatch(&rq, &r);
    }
    rc = kmsg_decode_req(rq.codec, rq.ver, &r, rq.arena, &rq.body);
    if (rc < 0) {
        arena_reset(rq.arena);
        log_debug("%s: malformed %s v%d: %s: closing", c->peer, rq.codec->name,
                  rq.ver, err_str(rc));
        return rc;
    }
    b->requests++;
    rc = row->handle(&rq);
    arena_reset(rq.arena);
    return rc;
}
