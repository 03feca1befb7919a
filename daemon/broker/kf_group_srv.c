/* kf_group_srv: the group coordinator inside the broker (see
 * kf_group_srv.h). */
#include "kf_group_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kf_api.h"
#include "kf_group_api.h"
#include "xalloc.h"

/* One broker per process: the coordinator lives here rather than in
 * struct kf_broker so that this file does not need the server's struct to
 * change (it can move there; see requests-protocol.md). */
static kf_group_api_t *groups;

int kf_group_srv_start(struct kf_broker *b)
{
    struct kf_group_api_cfg cfg;
    struct kf_gstore_ops    ops;
    const struct kf_config *kc = b->kc;

    kf_group_api_cfg_defaults(&cfg);
    cfg.group.initial_delay_ms = kc->group_initial_rebalance_delay_ms;
    cfg.group.min_session_ms = kc->group_min_session_timeout_ms;
    cfg.group.max_session_ms = kc->group_max_session_timeout_ms;
    cfg.node_id = kc->broker_id;
    cfg.host = kc->adv_host;
    cfg.port = kc->adv_port;
    if (kc->offsets_topic_num_partitions > 0)
        cfg.offsets_partitions = kc->offsets_topic_num_partitions;
    kf_group_api_log_ops(b->logs, &ops);
    groups = kf_group_api_new(&cfg, b->loop, &ops);
    return kf_group_api_load(groups);
}

void kf_group_srv_stop(struct kf_broker *b, void (*done)(void *arg),
                       void *arg)
{
    kf_group_api_t *g = groups;

    (void)b;
    groups = NULL;
    if (g == NULL) {
        if (done != NULL)
            done(arg);
        return;
    }
    kf_group_api_close(g, done, arg);
}

/* A request waiting for its answer: the slot keeps the conn alive. */
struct pending {
    conn_t      *c;
    conn_slot_t *slot;
    int32_t      corr_id;
    bool         flex;
};

/* Response header v1 (with a tag buffer) for flexible versions, v0
 * otherwise, as kf_api writes them; then the body. */
static void on_reply(void *arg, const uint8_t *body, size_t len)
{
    struct pending *p = arg;
    buf_t           out = BUF_INIT;
    size_t          at = buf_frame_begin(&out);

    buf_put_i32(&out, p->corr_id);
    if (p->flex)
        buf_put_uvarint(&out, 0);
    buf_put(&out, body, len);
    buf_frame_end(&out, at);
    conn_fill_buf(p->c, p->slot, &out);
    buf_free(&out);
    free(p);
}

int kf_group_srv_handle(struct kf_req *rq)
{
    struct pending *p;
    char            host[64], *client;
    int             rc;

    if (groups == NULL)
        return ERR_CLOSED;
    p = xmalloc(sizeof *p);
    p->c = rq->c;
    p->slot = conn_reserve(rq->c);
    p->corr_id = rq->hdr.corr_id;
    p->flex = rq->flex;
    snprintf(host, sizeof host, "/%s", rq->c->peer_ip);
    client = rq->hdr.client_id.n > 0
                 ? arena_strndup(rq->arena, (const char *)rq->hdr.client_id.p,
                                 (size_t)rq->hdr.client_id.n)
                 : "";
    rc = kf_group_api_dispatch(groups, rq->hdr.api_key, rq->ver, rq->body,
                               client, host, on_reply, p);
    if (rc < 0) { /* reply will not run: release the slot */
        conn_fill(p->c, p->slot, NULL);
        free(p);
    }
    return rc;
}
