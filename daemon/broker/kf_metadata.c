/* kf_metadata: Metadata (all versions 0-11) and DescribeCluster: this
 * broker as the only broker, the controller id, the topics with their
 * partitions led by this broker, and auto-creation.
 *
 * Controller id: admin clients send topic admin to Metadata's
 * controller_id, so it must be a broker listed in the same response:
 * kafka-python's admin client asks the node for its API versions and
 * fails on an unknown id, librdkafka's waits for a controller it can
 * connect to.  We list only ourselves (we lead every partition and serve
 * every admin request locally), so the answer is the controller elected
 * in /controller (kf_zk_controller) when that is a listed broker, i.e.
 * us, and otherwise still us: while an election is under way (-1) or
 * when /controller names another broker id (a second broker sharing the
 * coordination service), pointing clients elsewhere would only break
 * them, and this broker answers CreateTopics & co. itself.
 *
 * Topic lists (MetadataRequest): v0 an empty array means all topics; v1+
 * null means all and empty means none.  An unknown topic is created when
 * auto.create.topics.enable is set and (v4+) the client allows it; like
 * Kafka's AutoTopicCreationManager the answer for that request is
 * LEADER_NOT_AVAILABLE, and the topic is ready at the next request. */
#include <stdlib.h>
#include <string.h>

#include "kerr.h"
#include "kf_api.h"
#include "kf_zk.h"
#include "log.h"
#include "xalloc.h"

static void fill_broker(struct kf_broker                 *b,
                        struct kmsg_metadata_resp_broker *br)
{
    br->node_id = b->kc->broker_id;
    br->host = (slice_t){(const uint8_t *)b->kc->adv_host,
                         (int32_t)strlen(b->kc->adv_host)};
    br->port = b->kc->adv_port;
    if (b->kc->broker_rack != NULL)
        br->rack = (slice_t){(const uint8_t *)b->kc->broker_rack,
                             (int32_t)strlen(b->kc->broker_rack)};
    else
        br->rack = (slice_t){NULL, -1};
}

static void fill_topic(struct kf_req *rq, struct kf_topic *t,
                       struct kmsg_metadata_resp_topic *out)
{
    int32_t *one = arena_alloc(rq->arena, sizeof *one);
    int32_t  p;

    *one = rq->b->kc->broker_id;
    kmsg_defaults(&kmsg_s_metadata_resp_topic, out);
    out->name = (slice_t){(const uint8_t *)t->name, (int32_t)strlen(t->name)};
    memcpy(out->topic_id.b, t->id, 16);
    out->is_internal = t->internal;
    out->partitions_n = t->npart;
    out->partitions =
        arena_calloc(rq->arena, (size_t)t->npart, sizeof *out->partitions);
    for (p = 0; p < t->npart; p++) {
        struct kmsg_metadata_resp_part *mp = &out->partitions[p];

        kmsg_defaults(&kmsg_s_metadata_resp_part, mp);
        mp->partition_index = p;
        mp->leader_id = rq->b->kc->broker_id;
        mp->leader_epoch =
            t->logs[p] != NULL && kf_log_leader_epoch(t->logs[p]) >= 0
                ? kf_log_leader_epoch(t->logs[p])
                : 0;
        mp->replica_nodes = one;
        mp->replica_nodes_n = 1;
        mp->isr_nodes = one;
        mp->isr_nodes_n = 1;
        mp->offline_replicas_n = 0;
    }
}

/* Whether Metadata's broker list holds id (fill_broker: only us). */
static bool broker_listed(const struct kf_broker *b, int32_t id)
{
    return id == b->kc->broker_id;
}

/* Metadata's and DescribeCluster's controller_id: the elected one if
 * listed, else this broker (see the top). */
static int32_t controller_id(const struct kf_broker *b)
{
    int32_t id = kf_zk_controller(b);

    return broker_listed(b, id) ? id : b->kc->broker_id;
}

int kf_metadata_autocreate(struct kf_broker *b, const char *name, size_t len)
{
    char             buf[256], why[256];
    struct kf_topic *t;
    int              rc;

    if (!kf_topics_valid_name(name, len))
        return KERR_INVALID_TOPIC_EXCEPTION;
    memcpy(buf, name, len);
    buf[len] = '\0';
    rc = kf_topics_create(b->topics, buf, b->kc->num_partitions, NULL, 0, &t,
                          why, sizeof why);
    if (rc == ERR_EXISTS)
        return KERR_NONE;
    if (rc < 0) {
        log_warn("auto-create of topic %s failed: %s", buf, err_str(rc));
        return KERR_UNKNOWN_SERVER_ERROR;
    }
    log_info("auto-created topic %s with %d partitions", buf, t->npart);
    return KERR_LEADER_NOT_AVAILABLE;
}

int kf_metadata_handle(struct kf_req *rq)
{
    struct kmsg_metadata_req        *req = rq->body;
    struct kmsg_metadata_resp        resp;
    struct kmsg_metadata_resp_broker br;
    struct kf_broker                *b = rq->b;
    bool    all = req->topics_n < 0 || (rq->ver == 0 && req->topics_n == 0);
    int32_t i;

    kf_topics_sync(b->topics);
    kmsg_defaults(&kmsg_s_metadata_resp, &resp);
    fill_broker(b, &br);
    resp.brokers = &br;
    resp.brokers_n = 1;
    resp.cluster_id = (slice_t){(const uint8_t *)b->cluster_id,
                                (int32_t)strlen(b->cluster_id)};
    resp.controller_id = controller_id(b);
    if (all) {
        int               n, k = 0;
        struct kf_topic **v = kf_topics_list(b->topics, &n);

        resp.topics =
            arena_calloc(rq->arena, (size_t)n + 1, sizeof *resp.topics);
        for (i = 0; i < n; i++)
            fill_topic(rq, v[i], &resp.topics[k++]);
        resp.topics_n = k;
        free(v);
    } else {
        resp.topics_n = req->topics_n;
        resp.topics = arena_calloc(rq->arena, (size_t)req->topics_n + 1,
                                   sizeof *resp.topics);
        for (i = 0; i < req->topics_n; i++) {
            struct kmsg_metadata_resp_topic *rt = &resp.topics[i];
            slice_t                          name = req->topics[i].name;
            struct kf_topic                 *t = NULL;

            if (name.n > 0)
                t = kf_topics_get(b->topics, (const char *)name.p,
                                  (size_t)name.n);
            else if (name.n < 0)
                t = kf_topics_get_id(b->topics, req->topics[i].topic_id.b);
            if (t != NULL) {
                fill_topic(rq, t, rt);
                continue;
            }
            kmsg_defaults(&kmsg_s_metadata_resp_topic, rt);
            rt->name = name;
            rt->topic_id = req->topics[i].topic_id;
            if (name.n <= 0) {
                rt->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (b->kc->auto_create_topics_enable &&
                (rq->ver < 4 || req->allow_auto_topic_creation))
                rt->error_code = (int16_t)kf_metadata_autocreate(
                    b, (const char *)name.p, (size_t)name.n);
            else if (!kf_topics_valid_name((const char *)name.p,
                                           (size_t)name.n))
                rt->error_code = KERR_INVALID_TOPIC_EXCEPTION;
            else
                rt->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            if (rt->error_code == KERR_NONE) {
                t = kf_topics_get(b->topics, (const char *)name.p,
                                  (size_t)name.n);
                if (t != NULL)
                    fill_topic(rq, t, rt);
            }
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_metadata_describe_cluster(struct kf_req *rq)
{
    struct kmsg_describe_cluster_resp        resp;
    struct kmsg_describe_cluster_resp_broker br;
    struct kmsg_metadata_resp_broker         mb;
    struct kf_broker                        *b = rq->b;

    kmsg_defaults(&kmsg_s_describe_cluster_resp, &resp);
    fill_broker(b, &mb);
    br.broker_id = mb.node_id;
    br.host = mb.host;
    br.port = mb.port;
    br.rack = mb.rack;
    resp.brokers = &br;
    resp.brokers_n = 1;
    resp.cluster_id = (slice_t){(const uint8_t *)b->cluster_id,
                                (int32_t)strlen(b->cluster_id)};
    resp.controller_id = controller_id(b);
    kf_api_reply(rq, &resp);
    return 0;
}
