/* kf_admin: topic administration: CreateTopics 0-7, DeleteTopics 0-6,
 * CreatePartitions 0-3, DeleteRecords 0-2, DescribeLogDirs 0-2.
 *
 * This broker is the only one, so a replication factor above 1 or an
 * assignment naming another broker is refused as Kafka refuses it
 * (INVALID_REPLICATION_FACTOR / INVALID_REPLICA_ASSIGNMENT), with Kafka's
 * messages.  Errors are per topic; validate_only checks without acting. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kerr.h"
#include "kf_api.h"
#include "log.h"

/* Every partition is a directory with open segment and index files; a
 * request for a billion of them must not be able to take the broker
 * down.  Kafka has no such cap; this one is far above real use. */
#define KF_ADMIN_MAX_PARTITIONS 10000

static slice_t msg(struct kf_req *rq, const char *s)
{
    size_t n = strlen(s);
    char  *p = arena_strndup(rq->arena, s, n);

    return (slice_t){(const uint8_t *)p, (int32_t)n};
}

static char *cstr(struct kf_req *rq, slice_t s)
{
    return arena_strndup(rq->arena, s.n > 0 ? (const char *)s.p : "",
                         (size_t)(s.n > 0 ? s.n : 0));
}

/* v5+: the created topic's configs, as DescribeConfigs would list them */
static void created_configs(struct kf_req *rq, struct kf_topic *t,
                            struct kmsg_create_topics_resp_topic *rt)
{
    const struct kf_tconf_key *k;
    int                        n = 0;

    for (k = kf_tconf_keys; k->name != NULL; k++)
        n++;
    rt->configs = arena_calloc(rq->arena, (size_t)n, sizeof *rt->configs);
    rt->configs_n = n;
    for (n = 0, k = kf_tconf_keys; k->name != NULL; k++, n++) {
        struct kmsg_create_topics_resp_config *c = &rt->configs[n];
        char                                   v[256];
        bool                                   def;

        kf_topics_config_value(rq->b->topics, t, k->name, v, sizeof v, &def);
        c->name = msg(rq, k->name);
        c->value = msg(rq, v);
        c->read_only = false;
        c->config_source = def ? 5 : 1; /* DEFAULT_CONFIG / TOPIC_CONFIG */
        c->is_sensitive = false;
    }
}

int kf_admin_create_topics(struct kf_req *rq)
{
    struct kmsg_create_topics_req *req = rq->body;
    struct kmsg_create_topics_resp resp;
    struct kf_broker              *b = rq->b;
    int32_t                        i, j;

    kmsg_defaults(&kmsg_s_create_topics_resp, &resp);
    resp.topics_n = req->topics_n < 0 ? 0 : req->topics_n;
    resp.topics =
        arena_calloc(rq->arena, (size_t)resp.topics_n + 1, sizeof *resp.topics);
    for (i = 0; i < resp.topics_n; i++) {
        struct kmsg_create_topics_req_topic  *t = &req->topics[i];
        struct kmsg_create_topics_resp_topic *rt = &resp.topics[i];
        char                 *name = cstr(rq, t->name), why[512] = "";
        int32_t               np = t->num_partitions;
        int32_t               rf = t->replication_factor;
        struct kf_topic_conf *confs;
        struct kf_topic      *topic = NULL;
        int                   rc;

        kmsg_defaults(&kmsg_s_create_topics_resp_topic, rt);
        rt->name = t->name;
        rt->configs_n = -1;
        if (t->assignments_n > 0) {
            np = t->assignments_n;
            rf = t->assignments[0].broker_ids_n;
            for (j = 0; j < t->assignments_n; j++) {
                struct kmsg_create_topics_req_assign *as = &t->assignments[j];

                if (as->broker_ids_n != 1 ||
                    as->broker_ids[0] != b->kc->broker_id ||
                    as->partition_index != j) {
                    rt->error_code = KERR_INVALID_REPLICA_ASSIGNMENT;
                    rt->error_message =
                        msg(rq, "Replica assignment must name this broker "
                                "once per partition, partitions 0..n-1");
                    break;
                }
            }
            if (rt->error_code != KERR_NONE)
                continue;
        }
        if (np == -1)
            np = b->kc->num_partitions;
        if (rf == -1)
            rf = (int32_t)b->kc->default_replication_factor;
        if (kf_topics_get(b->topics, name, strlen(name)) != NULL) {
            rt->error_code = KERR_TOPIC_ALREADY_EXISTS;
            snprintf(why, sizeof why, "Topic '%s' already exists.", name);
            rt->error_message = msg(rq, why);
            continue;
        }
        if (!kf_topics_valid_name(name, strlen(name))) {
            rt->error_code = KERR_INVALID_TOPIC_EXCEPTION;
            snprintf(why, sizeof why,
                     "Topic name \"%s\" is illegal, it contains a character "
                     "other than ASCII alphanumerics, '.', '_' and '-'",
                     name);
            rt->error_message = msg(rq, why);
            continue;
        }
        if (np <= 0) {
            rt->error_code = KERR_INVALID_PARTITIONS;
            rt->error_message = msg(rq, "Number of partitions must be larger "
                                        "than 0.");
            continue;
        }
        if (np > KF_ADMIN_MAX_PARTITIONS) {
            rt->error_code = KERR_INVALID_PARTITIONS;
            snprintf(why, sizeof why,
                     "Number of partitions %d is larger than this broker's "
                     "limit of %d (a directory and open files each).",
                     np, KF_ADMIN_MAX_PARTITIONS);
            rt->error_message = msg(rq, why);
            continue;
        }
        if (rf <= 0 || rf > 1) {
            rt->error_code = KERR_INVALID_REPLICATION_FACTOR;
            snprintf(why, sizeof why,
                     rf <= 0 ? "Replication factor must be larger than 0."
                             : "Replication factor: %d larger than available "
                               "brokers: 1.",
                     rf);
            rt->error_message = msg(rq, why);
            continue;
        }
        confs =
            arena_calloc(rq->arena, (size_t)t->configs_n + 1, sizeof *confs);
        for (j = 0; j < t->configs_n; j++) {
            confs[j].key = cstr(rq, t->configs[j].name);
            confs[j].value = t->configs[j].value.n < 0
                                 ? NULL
                                 : cstr(rq, t->configs[j].value);
        }
        if (req->validate_only) {
            /* check the configs on a throwaway: create nothing */
            struct kf_topic probe;

            memset(&probe, 0, sizeof probe);
            rc = kf_topics_set_configs(b->topics, &probe, confs,
                                       t->configs_n < 0 ? 0 : t->configs_n,
                                       true, why, sizeof why);
            if (rc < 0) {
                rt->error_code = KERR_INVALID_CONFIG;
                rt->error_message = msg(rq, why);
            } else {
                rt->num_partitions = np;
                rt->replication_factor = (int16_t)rf;
            }
            continue;
        }
        rc = kf_topics_create(b->topics, name, np, confs,
                              t->configs_n < 0 ? 0 : t->configs_n, &topic, why,
                              sizeof why);
        if (rc == ERR_CONFIG) {
            rt->error_code = KERR_INVALID_CONFIG;
            rt->error_message = msg(rq, why);
            continue;
        }
        if (rc < 0) {
            rt->error_code = KERR_UNKNOWN_SERVER_ERROR;
            rt->error_message = msg(rq, err_str(rc));
            log_warn("CreateTopics %s: %s", name, err_str(rc));
            continue;
        }
        log_info("created topic %s with %d partitions", name, np);
        memcpy(rt->topic_id.b, topic->id, 16);
        rt->num_partitions = np;
        rt->replication_factor = 1;
        created_configs(rq, topic, rt);
    }
    kf_api_reply(rq, &resp);
    return 0;
}

static void delete_one(struct kf_req *rq, struct kf_topic *t,
                       struct kmsg_delete_topics_resp_topic *rt)
{
    if (t == NULL) {
        rt->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    if (!rq->b->kc->delete_topic_enable) {
        rt->error_code = KERR_TOPIC_DELETION_DISABLED;
        return;
    }
    rt->name = msg(rq, t->name);
    memcpy(rt->topic_id.b, t->id, 16);
    log_info("deleting topic %s", t->name);
    if (kf_topics_delete(rq->b->topics, t->name) < 0)
        rt->error_code = KERR_UNKNOWN_SERVER_ERROR;
}

int kf_admin_delete_topics(struct kf_req *rq)
{
    struct kmsg_delete_topics_req *req = rq->body;
    struct kmsg_delete_topics_resp resp;
    int32_t                        i, n;

    kmsg_defaults(&kmsg_s_delete_topics_resp, &resp);
    n = rq->ver >= 6 ? req->topics_n : req->topic_names_n;
    resp.responses_n = n < 0 ? 0 : n;
    resp.responses = arena_calloc(rq->arena, (size_t)resp.responses_n + 1,
                                  sizeof *resp.responses);
    for (i = 0; i < resp.responses_n; i++) {
        struct kmsg_delete_topics_resp_topic *rt = &resp.responses[i];
        slice_t name = rq->ver >= 6 ? req->topics[i].name : req->topic_names[i];
        struct kf_topic *t = NULL;

        kmsg_defaults(&kmsg_s_delete_topics_resp_topic, rt);
        rt->name = name;
        if (name.n > 0)
            t = kf_topics_get(rq->b->topics, (const char *)name.p,
                              (size_t)name.n);
        else if (rq->ver >= 6) {
            rt->topic_id = req->topics[i].topic_id;
            t = kf_topics_get_id(rq->b->topics, req->topics[i].topic_id.b);
        }
        delete_one(rq, t, rt);
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_admin_create_partitions(struct kf_req *rq)
{
    struct kmsg_create_partitions_req *req = rq->body;
    struct kmsg_create_partitions_resp resp;
    int32_t                            i;

    kmsg_defaults(&kmsg_s_create_partitions_resp, &resp);
    resp.results_n = req->topics_n < 0 ? 0 : req->topics_n;
    resp.results = arena_calloc(rq->arena, (size_t)resp.results_n + 1,
                                sizeof *resp.results);
    for (i = 0; i < resp.results_n; i++) {
        struct kmsg_create_partitions_req_topic  *t = &req->topics[i];
        struct kmsg_create_partitions_resp_topic *rt = &resp.results[i];
        struct kf_topic                          *topic =
            t->name.n > 0
                                         ? kf_topics_get(rq->b->topics, (const char *)t->name.p,
                                                         (size_t)t->name.n)
                                         : NULL;
        char    why[256];
        int32_t j;

        kmsg_defaults(&kmsg_s_create_partitions_resp_topic, rt);
        rt->name = t->name;
        if (topic == NULL) {
            rt->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        if (t->count > KF_ADMIN_MAX_PARTITIONS) {
            rt->error_code = KERR_INVALID_PARTITIONS;
            rt->error_message = msg(rq, "Too many partitions for one topic.");
            continue;
        }
        if (t->count <= topic->npart) {
            rt->error_code = KERR_INVALID_PARTITIONS;
            snprintf(why, sizeof why,
                     "Topic currently has %d partitions, which is higher "
                     "than the requested %d.",
                     topic->npart, t->count);
            if (t->count == topic->npart)
                snprintf(why, sizeof why, "Topic already has %d partitions.",
                         topic->npart);
            rt->error_message = msg(rq, why);
            continue;
        }
        for (j = 0; j < t->assignments_n; j++)
            if (t->assignments[j].broker_ids_n != 1 ||
                t->assignments[j].broker_ids[0] != rq->b->kc->broker_id)
                rt->error_code = KERR_INVALID_REPLICA_ASSIGNMENT;
        if (rt->error_code != KERR_NONE || req->validate_only)
            continue;
        if (kf_topics_add_partitions(rq->b->topics, topic, t->count) < 0)
            rt->error_code = KERR_UNKNOWN_SERVER_ERROR;
        else
            log_info("topic %s now has %d partitions", topic->name,
                     topic->npart);
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_admin_delete_records(struct kf_req *rq)
{
    struct kmsg_delete_records_req *req = rq->body;
    struct kmsg_delete_records_resp resp;
    int32_t                         i, j;

    kmsg_defaults(&kmsg_s_delete_records_resp, &resp);
    resp.topics_n = req->topics_n < 0 ? 0 : req->topics_n;
    resp.topics =
        arena_calloc(rq->arena, (size_t)resp.topics_n + 1, sizeof *resp.topics);
    for (i = 0; i < resp.topics_n; i++) {
        struct kmsg_delete_records_req_topic  *t = &req->topics[i];
        struct kmsg_delete_records_resp_topic *rt = &resp.topics[i];

        rt->name = t->name;
        rt->partitions_n = t->partitions_n < 0 ? 0 : t->partitions_n;
        rt->partitions = arena_calloc(rq->arena, (size_t)rt->partitions_n + 1,
                                      sizeof *rt->partitions);
        for (j = 0; j < rt->partitions_n; j++) {
            struct kmsg_delete_records_resp_part *rp = &rt->partitions[j];
            kf_log_t                             *l =
                t->name.n > 0
                                                ? kf_topics_log(rq->b->topics, (const char *)t->name.p,
                                                                (size_t)t->name.n,
                                                                t->partitions[j].partition_index)
                                                : NULL;
            int64_t off = t->partitions[j].offset;
            int     rc;

            rp->partition_index = t->partitions[j].partition_index;
            rp->low_watermark = -1;
            if (l == NULL) {
                rp->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (off == -1) /* the high watermark */
                off = kf_log_hw(l);
            rc = off < 0 ? ERR_NOTFOUND : kf_log_delete_records(l, off);
            if (rc == ERR_NOTFOUND)
                rp->error_code = KERR_OFFSET_OUT_OF_RANGE;
            else if (rc < 0)
                rp->error_code = KERR_KAFKA_STORAGE_ERROR;
            rp->low_watermark = kf_log_start(l);
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}

struct logdir_ctx {
    struct kf_req                          *rq;
    const char                             *root;
    struct kmsg_describe_log_dirs_req      *req;
    struct kmsg_describe_log_dirs_resp_dir *dir;
    int                                     cap;
};

static bool logdir_wanted(struct kmsg_describe_log_dirs_req *req,
                          const char *topic, int32_t p)
{
    int32_t i, j;

    if (req->topics_n < 0)
        return true;
    for (i = 0; i < req->topics_n; i++) {
        slice_t n = req->topics[i].topic;

        if (n.n != (int32_t)strlen(topic) ||
            memcmp(n.p, topic, (size_t)n.n) != 0)
            continue;
        for (j = 0; j < req->topics[i].partitions_n; j++)
            if (req->topics[i].partitions[j] == p)
                return true;
    }
    return false;
}

static int logdir_add(void *arg, kf_log_t *l)
{
    struct logdir_ctx                        *x = arg;
    struct kmsg_describe_log_dirs_resp_dir   *d = x->dir;
    const char                               *topic = kf_log_topic(l);
    struct kmsg_describe_log_dirs_resp_topic *t = NULL;
    struct kmsg_describe_log_dirs_resp_part  *p;
    int32_t                                   i;

    if (strcmp(kf_log_root(l), x->root) != 0 ||
        !logdir_wanted(x->req, topic, kf_log_partition(l)))
        return 0;
    for (i = 0; i < d->topics_n; i++)
        if (d->topics[i].name.n == (int32_t)strlen(topic) &&
            memcmp(d->topics[i].name.p, topic, strlen(topic)) == 0)
            t = &d->topics[i];
    if (t == NULL) {
        if (d->topics_n == x->cap)
            return 0;
        t = &d->topics[d->topics_n++];
        t->name = msg(x->rq, topic);
        t->partitions =
            arena_calloc(x->rq->arena, (size_t)x->cap, sizeof *t->partitions);
        t->partitions_n = 0;
    }
    if (t->partitions_n == x->cap)
        return 0;
    p = &t->partitions[t->partitions_n++];
    p->partition_index = kf_log_partition(l);
    p->partition_size = kf_log_size(l);
    p->offset_lag = 0;
    p->is_future_key = false;
    return 0;
}

int kf_admin_describe_log_dirs(struct kf_req *rq)
{
    struct kmsg_describe_log_dirs_req *req = rq->body;
    struct kmsg_describe_log_dirs_resp resp;
    int                                i, nd = kf_logmgr_ndirs(rq->b->logs);
    int                                cap = kf_logmgr_count(rq->b->logs) + 1;

    kmsg_defaults(&kmsg_s_describe_log_dirs_resp, &resp);
    resp.results_n = nd;
    resp.results =
        arena_calloc(rq->arena, (size_t)nd + 1, sizeof *resp.results);
    for (i = 0; i < nd; i++) {
        struct logdir_ctx x = {rq, kf_logmgr_dir(rq->b->logs, i), req,
                               &resp.results[i], cap};

        resp.results[i].log_dir = msg(rq, x.root);
        resp.results[i].topics = arena_calloc(rq->arena, (size_t)cap,
                                              sizeof *resp.results[i].topics);
        kf_logmgr_foreach(rq->b->logs, logdir_add, &x);
    }
    kf_api_reply(rq, &resp);
    return 0;
}
