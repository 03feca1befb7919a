/* kf_group_api: consumer-group request handlers (see kf_group_api.h).
 * Behaviour follows Kafka 2.8 KafkaApis.handle{FindCoordinator,JoinGroup,
 * SyncGroup,Heartbeat,LeaveGroup,OffsetCommit,OffsetFetch,ListGroups,
 * DescribeGroups,DeleteGroups,OffsetDelete}Request. */
#include "kf_group_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "clock.h"
#include "err.h"
#include "kf_offsets.h"
#include "kmsg.h"
#include "xalloc.h"

/* Kafka error codes used here beyond kf_group's. */
enum {
    E_NONE = 0,
    E_OFFSET_METADATA_TOO_LARGE = 12,
    E_COORDINATOR_NOT_AVAILABLE = 15,
    E_INCONSISTENT_GROUP_PROTOCOL = 23,
    E_NON_EMPTY_GROUP = 68,
    E_GROUP_ID_NOT_FOUND = 69,
    E_GROUP_SUBSCRIBED_TO_TOPIC = 86,
};

struct kf_group_api {
    struct kf_group_api_cfg cfg;
    char                   *host;
    kf_group_coord_t       *co;
    kf_gstore_t            *gs;
    uv_loop_t              *loop;
    uv_timer_t              timer;
    int64_t                 next_expiry; /* mono ms */
    void                  (*done)(void *arg);
    void                   *done_arg;
    bool                    closing;
};

void kf_group_api_cfg_defaults(struct kf_group_api_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    kf_group_cfg_defaults(&cfg->group);
    cfg->node_id = 0;
    cfg->host = "localhost";
    cfg->port = 9092;
    cfg->offsets_partitions = 50;
    cfg->retention_ms = 10080LL * 60 * 1000;
    cfg->retention_check_ms = 600000;
    cfg->metadata_max_bytes = 4096;
}

static int64_t mono(void *arg)
{
    (void)arg;
    return clock_mono_ms();
}

/* ---- timer ------------------------------------------------------------------ */

static void on_timer(uv_timer_t *t);

static void rearm(kf_group_api_t *ga)
{
    int64_t d, now;

    if (ga->loop == NULL || ga->closing)
        return;
    d = kf_group_next_deadline(ga->co);
    if (ga->next_expiry < d)
        d = ga->next_expiry;
    now = clock_mono_ms();
    uv_timer_start(&ga->timer, on_timer, d > now ? (uint64_t)(d - now) : 0,
                   0);
}

void kf_group_api_tick(kf_group_api_t *ga)
{
    kf_group_tick(ga->co);
    if (clock_mono_ms() >= ga->next_expiry) {
        (void)kf_gstore_expire(ga->gs, clock_wall_ms(), ga->cfg.retention_ms);
        ga->next_expiry = clock_mono_ms() + ga->cfg.retention_check_ms;
    }
}

static void on_timer(uv_timer_t *t)
{
    kf_group_api_t *ga = t->data;

    kf_group_api_tick(ga);
    rearm(ga);
}

/* ---- lifetime ----------------------------------------------------------------- */

kf_group_api_t *kf_group_api_new(const struct kf_group_api_cfg *cfg,
                                 uv_loop_t *loop,
                                 const struct kf_gstore_ops *ops)
{
    kf_group_api_t       *ga = xcalloc(1, sizeof *ga);
    struct kf_group_hooks h = { kf_gstore_store_hook, NULL, NULL };

    ga->cfg = *cfg;
    ga->host = xstrdup(cfg->host != NULL ? cfg->host : "localhost");
    ga->cfg.host = ga->host;
    ga->gs = kf_gstore_new(ops, cfg->offsets_partitions);
    h.arg = ga->gs;
    ga->co = kf_group_coord_new(&cfg->group, mono, NULL, &h);
    kf_gstore_attach(ga->gs, ga->co);
    ga->next_expiry = clock_mono_ms() + cfg->retention_check_ms;
    ga->loop = loop;
    if (loop != NULL) {
        uv_timer_init(loop, &ga->timer);
        ga->timer.data = ga;
        rearm(ga);
    }
    return ga;
}

int kf_group_api_load(kf_group_api_t *ga)
{
    int rc = kf_gstore_load(ga->gs);

    rearm(ga);
    return rc;
}

kf_group_coord_t *kf_group_api_coord(kf_group_api_t *ga)
{
    return ga->co;
}

int16_t kf_group_api_commit(kf_group_api_t *ga, const char *group, int n,
                            const struct kf_group_offset *offs,
                            kf_gstore_done_fn *done, void *arg)
{
    int16_t err;

    if (ga->closing)
        return KF_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    err = kf_group_commit_check(ga->co, group, "", NULL, -1);
    if (err != KF_GROUP_ERR_NONE)
        return err;
    if (kf_gstore_commit(ga->gs, group, n, offs, done, arg) < 0)
        return KF_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    rearm(ga);
    return KF_GROUP_ERR_NONE;
}

int16_t kf_group_api_delete(kf_group_api_t *ga, const char *group)
{
    int16_t err;

    if (ga->closing)
        return KF_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    err = kf_gstore_delete_group(ga->gs, group);
    rearm(ga);
    return err;
}

static void api_free(kf_group_api_t *ga)
{
    void (*done)(void *) = ga->done;
    void *arg = ga->done_arg;

    kf_gstore_free(ga->gs);
    free(ga->host);
    free(ga);
    if (done != NULL)
        done(arg);
}

static void on_timer_closed(uv_handle_t *h)
{
    api_free(h->data);
}

void kf_group_api_close(kf_group_api_t *ga, void (*done)(void *arg),
                        void *arg)
{
    if (ga == NULL || ga->closing)
        return;
    ga->closing = true;
    ga->done = done;
    ga->done_arg = arg;
    kf_gstore_attach(ga->gs, NULL); /* commits still in the log: no cache */
    kf_group_coord_free(ga->co);    /* answers what waits */
    ga->co = NULL;
    if (ga->loop != NULL)
        uv_close((uv_handle_t *)&ga->timer, on_timer_closed);
    else
        api_free(ga);
}

/* ---- helpers ------------------------------------------------------------------ */

/* A request being answered: the body is encoded at the version asked. */
struct req {
    kf_group_api_t        *ga;
    const struct kmsg_api *api;
    int16_t                ver;
    bool                   flex;
    kf_group_api_reply_fn *reply;
    void                  *arg;
    arena_t                arena; /* what outlives the frame */
    void                  *resp;  /* deferred responses */
};

static char *cstr(arena_t *a, slice_t s)
{
    if (s.n < 0)
        return NULL;
    return arena_strndup(a, (const char *)s.p, (size_t)s.n);
}

static slice_t sl(const char *s)
{
    slice_t r = { (const uint8_t *)s, s != NULL ? (int32_t)strlen(s) : -1 };

    return r;
}

static slice_t sl_copy(arena_t *a, slice_t s)
{
    slice_t r = s;

    if (s.n > 0) {
        uint8_t *p = arena_alloc(a, (size_t)s.n);

        memcpy(p, s.p, (size_t)s.n);
        r.p = p;
    }
    return r;
}

static void respond(struct req *q, const void *resp)
{
    buf_t out = BUF_INIT;

    kmsg_encode_buf(q->api->resp, q->ver, q->flex, resp, &out);
    q->reply(q->arg, out.data, out.len);
    buf_free(&out);
}

static struct req *req_keep(const struct req *q)
{
    struct req *k = xmalloc(sizeof *k);

    *k = *q;
    arena_init(&k->arena);
    return k;
}

static void req_free(struct req *k)
{
    arena_free(&k->arena);
    free(k);
}

/* ---- FindCoordinator ------------------------------------------------------------ */

static int h_find_coordinator(struct req *q, void *body)
{
    const struct kmsg_find_coordinator_req *r = body;
    struct kmsg_find_coordinator_resp       s;

    kmsg_defaults(&kmsg_s_find_coordinator_resp, &s);
    if (r->key_type != 0) {
        /* transactions are not served: no transaction coordinator */
        s.error_code = E_COORDINATOR_NOT_AVAILABLE;
        s.error_message = sl("transactions are not supported");
        s.node_id = -1;
        s.host = sl("");
        s.port = -1;
    } else {
        s.node_id = q->ga->cfg.node_id;
        s.host = sl(q->ga->host);
        s.port = q->ga->cfg.port;
    }
    respond(q, &s);
    return 0;
}

/* ---- JoinGroup -------------------------------------------------------------------- */

static void join_done(void *arg, const struct kf_group_join_res *res)
{
    struct req                     *k = arg;
    struct kmsg_join_group_resp     s;
    struct kmsg_join_group_resp_member *ms = NULL;
    int                             i;

    kmsg_defaults(&kmsg_s_join_group_resp, &s);
    s.error_code = res->error;
    s.generation_id = res->generation;
    s.protocol_type = sl(res->protocol_type);
    /* before v7 the protocol name is not nullable */
    s.protocol_name = res->protocol_name != NULL || k->ver >= 7
                          ? sl(res->protocol_name)
                          : sl("");
    s.leader = sl(res->leader);
    s.member_id = sl(res->member_id);
    if (res->nmembers > 0)
        ms = arena_calloc(&k->arena, (size_t)res->nmembers, sizeof *ms);
    for (i = 0; i < res->nmembers; i++) {
        ms[i].member_id = sl(res->members[i].member_id);
        ms[i].group_instance_id = sl(res->members[i].instance_id);
        ms[i].metadata.p = res->members[i].meta;
        ms[i].metadata.n = (int32_t)res->members[i].meta_len;
    }
    s.members = ms;
    s.members_n = res->nmembers;
    respond(k, &s);
    req_free(k);
}

static int h_join_group(struct req *q, void *body)
{
    const struct kmsg_join_group_req *r = body;
    struct kf_group_join_req          j = { 0 };
    struct kf_group_proto            *p = NULL;
    struct req                       *k = req_keep(q);
    int                               i;

    j.group_id = cstr(&k->arena, r->group_id);
    j.member_id = cstr(&k->arena, r->member_id);
    j.instance_id = q->ver >= 5 ? cstr(&k->arena, r->group_instance_id) : NULL;
    j.session_ms = r->session_timeout_ms;
    j.rebalance_ms = q->ver >= 1 ? r->rebalance_timeout_ms
                                 : r->session_timeout_ms;
    j.protocol_type = cstr(&k->arena, r->protocol_type);
    j.require_known_id = q->ver >= 4;
    if (r->protocols_n > 0)
        p = arena_calloc(&k->arena, (size_t)r->protocols_n, sizeof *p);
    for (i = 0; i < r->protocols_n; i++) {
        p[i].name = cstr(&k->arena, r->protocols[i].name);
        if (p[i].name == NULL)
            p[i].name = "";
        p[i].meta = r->protocols[i].metadata.p;
        p[i].meta_len = r->protocols[i].metadata.n > 0
                            ? (size_t)r->protocols[i].metadata.n
                            : 0;
    }
    j.nprotos = r->protocols_n;
    j.protos = p;
    /* kf_group_api_handle passes the connection's client id and host */
    j.client_id = ((const char *const *)q->resp)[0];
    j.client_host = ((const char *const *)q->resp)[1];
    k->resp = NULL;
    if (j.group_id == NULL || j.member_id == NULL || j.protocol_type == NULL) {
        struct kf_group_join_res e = { 0 };

        e.error = KF_GROUP_ERR_INVALID_GROUP_ID;
        e.generation = -1;
        e.leader = "";
        e.member_id = j.member_id != NULL ? j.member_id : "";
        join_done(k, &e);
        return 0;
    }
    kf_group_join(k->ga->co, &j, join_done, k);
    return 0;
}

/* ---- SyncGroup -------------------------------------------------------------------- */

static void sync_done(void *arg, const struct kf_group_sync_res *res)
{
    struct req                 *k = arg;
    struct kmsg_sync_group_resp s;

    kmsg_defaults(&kmsg_s_sync_group_resp, &s);
    s.error_code = res->error;
    s.protocol_type = sl(res->protocol_type);
    s.protocol_name = sl(res->protocol_name);
    s.assignment.p = res->assignment;
    s.assignment.n = (int32_t)res->len;
    respond(k, &s);
    req_free(k);
}

static int h_sync_group(struct req *q, void *body)
{
    const struct kmsg_sync_group_req *r = body;
    struct kf_group_sync_req          s = { 0 };
    struct kf_group_assignment       *as = NULL;
    struct req                       *k = req_keep(q);
    int                               i;

    s.group_id = cstr(&k->arena, r->group_id);
    s.member_id = cstr(&k->arena, r->member_id);
    s.instance_id = q->ver >= 3 ? cstr(&k->arena, r->group_instance_id) : NULL;
    s.generation = r->generation_id;
    if (q->ver >= 5) {
        s.protocol_type = cstr(&k->arena, r->protocol_type);
        s.protocol_name = cstr(&k->arena, r->protocol_name);
        if (s.protocol_type == NULL || s.protocol_name == NULL) {
            /* KafkaApis: v5 must carry both */
            struct kf_group_sync_res e = { 0 };

            e.error = E_INCONSISTENT_GROUP_PROTOCOL;
            sync_done(k, &e);
            return 0;
        }
    }
    if (r->assignments_n > 0)
        as = arena_calloc(&k->arena, (size_t)r->assignments_n, sizeof *as);
    for (i = 0; i < r->assignments_n; i++) {
        as[i].member_id = cstr(&k->arena, r->assignments[i].member_id);
        as[i].p = r->assignments[i].assignment.p;
        as[i].n = r->assignments[i].assignment.n > 0
                      ? (size_t)r->assignments[i].assignment.n
                      : 0;
    }
    s.nassign = r->assignments_n;
    s.assign = as;
    if (s.group_id == NULL || s.member_id == NULL) {
        struct kf_group_sync_res e = { 0 };

        e.error = KF_GROUP_ERR_INVALID_GROUP_ID;
        sync_done(k, &e);
        return 0;
    }
    kf_group_sync(k->ga->co, &s, sync_done, k);
    return 0;
}

/* ---- Heartbeat, LeaveGroup ------------------------------------------------------- */

static int h_heartbeat(struct req *q, void *body)
{
    const struct kmsg_heartbeat_req *r = body;
    struct kmsg_heartbeat_resp       s;
    arena_t                          a;

    arena_init(&a);
    kmsg_defaults(&kmsg_s_heartbeat_resp, &s);
    s.error_code = kf_group_heartbeat(
        q->ga->co, cstr(&a, r->group_id), cstr(&a, r->member_id),
        q->ver >= 3 ? cstr(&a, r->group_instance_id) : NULL,
        r->generation_id);
    respond(q, &s);
    arena_free(&a);
    return 0;
}

static int h_leave_group(struct req *q, void *body)
{
    const struct kmsg_leave_group_req     *r = body;
    struct kmsg_leave_group_resp           s;
    struct kmsg_leave_group_resp_member   *rm = NULL;
    struct kf_group_leave_member          *lm;
    int16_t                               *errs;
    arena_t                                a;
    int                                    n, i;

    arena_init(&a);
    kmsg_defaults(&kmsg_s_leave_group_resp, &s);
    n = q->ver >= 3 ? r->members_n : 1;
    lm = arena_calloc(&a, (size_t)(n > 0 ? n : 1), sizeof *lm);
    errs = arena_calloc(&a, (size_t)(n > 0 ? n : 1), sizeof *errs);
    if (q->ver >= 3) {
        for (i = 0; i < n; i++) {
            lm[i].member_id = cstr(&a, r->members[i].member_id);
            lm[i].instance_id = cstr(&a, r->members[i].group_instance_id);
            if (lm[i].member_id == NULL)
                lm[i].member_id = "";
        }
    } else {
        lm[0].member_id = cstr(&a, r->member_id);
        if (lm[0].member_id == NULL)
            lm[0].member_id = "";
    }
    s.error_code = kf_group_leave(q->ga->co, cstr(&a, r->group_id), n, lm,
                                  errs);
    if (q->ver >= 3) {
        if (n > 0)
            rm = arena_calloc(&a, (size_t)n, sizeof *rm);
        for (i = 0; i < n && s.error_code == E_NONE; i++) {
            rm[i].member_id = sl(lm[i].member_id);
            rm[i].group_instance_id = sl(lm[i].instance_id);
            rm[i].error_code = errs[i];
        }
        s.members = rm;
        s.members_n = s.error_code == E_NONE ? n : 0;
    } else if (s.error_code == E_NONE) {
        s.error_code = errs[0]; /* v0-2: the one member's error */
    }
    respond(q, &s);
    arena_free(&a);
    return 0;
}

/* ---- OffsetCommit ----------------------------------------------------------------- */

static void commit_done(void *arg, int status)
{
    struct req                    *k = arg;
    struct kmsg_offset_commit_resp *s = k->resp;
    int                            i, j;

    if (status < 0)
        for (i = 0; i < s->topics_n; i++)
            for (j = 0; j < s->topics[i].partitions_n; j++)
                if (s->topics[i].partitions[j].error_code == E_NONE)
                    s->topics[i].partitions[j].error_code =
                        E_COORDINATOR_NOT_AVAILABLE;
    respond(k, s);
    req_free(k);
}

static int h_offset_commit(struct req *q, void *body)
{
    const struct kmsg_offset_commit_req *r = body;
    struct req                          *k = req_keep(q);
    struct kmsg_offset_commit_resp      *s;
    struct kf_group_offset              *offs;
    const char                          *group;
    int64_t                              now = clock_wall_ms();
    int16_t                              err;
    int                                  i, j, n = 0, total = 0;

    s = arena_calloc(&k->arena, 1, sizeof *s);
    kmsg_defaults(&kmsg_s_offset_commit_resp, s);
    k->resp = s;
    group = cstr(&k->arena, r->group_id);
    err = kf_group_commit_check(
        k->ga->co, group != NULL ? group : "",
        q->ver >= 1 ? cstr(&k->arena, r->member_id) : "",
        q->ver >= 7 ? cstr(&k->arena, r->group_instance_id) : NULL,
        q->ver >= 1 ? r->generation_id : -1);
    for (i = 0; i < r->topics_n; i++)
        total += r->topics[i].partitions_n;
    offs = arena_calloc(&k->arena, (size_t)(total > 0 ? total : 1),
                        sizeof *offs);
    s->topics_n = r->topics_n;
    if (r->topics_n > 0)
        s->topics = arena_calloc(&k->arena, (size_t)r->topics_n,
                                 sizeof *s->topics);
    for (i = 0; i < r->topics_n; i++) {
        const struct kmsg_offset_commit_req_topic *t = &r->topics[i];
        struct kmsg_offset_commit_resp_topic      *st = &s->topics[i];
        char *topic = cstr(&k->arena, t->name);

        st->name = sl_copy(&k->arena, t->name);
        st->partitions_n = t->partitions_n;
        if (t->partitions_n > 0)
            st->partitions = arena_calloc(&k->arena, (size_t)t->partitions_n,
                                          sizeof *st->partitions);
        for (j = 0; j < t->partitions_n; j++) {
            const struct kmsg_offset_commit_req_part *p = &t->partitions[j];
            struct kf_group_offset                   *o = &offs[n];

            st->partitions[j].partition_index = p->partition_index;
            st->partitions[j].error_code = err;
            if (err != E_NONE || topic == NULL)
                continue;
            if (p->committed_metadata.n > k->ga->cfg.metadata_max_bytes) {
                st->partitions[j].error_code = E_OFFSET_METADATA_TOO_LARGE;
                continue;
            }
            o->topic = topic;
            o->partition = p->partition_index;
            o->offset = p->committed_offset;
            o->leader_epoch = q->ver >= 6 ? p->committed_leader_epoch : -1;
            o->metadata = cstr(&k->arena, p->committed_metadata);
            o->commit_ts = q->ver == 1 && p->commit_timestamp != -1
                               ? p->commit_timestamp
                               : now;
            o->expire_ts = -1;
            if (q->ver >= 2 && q->ver <= 4 && r->retention_time_ms != -1)
                o->expire_ts = r->retention_time_ms > INT64_MAX - now
                                   ? INT64_MAX /* a peer's value: saturate */
                                   : now + r->retention_time_ms;
            n++;
        }
    }
    if (n == 0 || kf_gstore_commit(k->ga->gs, group, n, offs, commit_done,
                                   k) < 0) {
        commit_done(k, n == 0 ? 0 : -1);
    }
    return 0;
}

/* ---- OffsetFetch ------------------------------------------------------------------ */

static void fetch_part(kf_group_api_t *ga, const char *group,
                       const char *topic, int32_t part,
                       struct kmsg_offset_fetch_resp_part *p)
{
    const struct kf_group_offset *o =
        group != NULL && topic != NULL
            ? kf_group_offset_get(ga->co, group, topic, part)
            : NULL;

    p->partition_index = part;
    p->error_code = E_NONE;
    p->committed_offset = o != NULL ? o->offset : -1;
    p->committed_leader_epoch = o != NULL ? o->leader_epoch : -1;
    p->metadata = sl(o != NULL ? o->metadata : "");
}

static int h_offset_fetch(struct req *q, void *body)
{
    const struct kmsg_offset_fetch_req *r = body;
    struct kmsg_offset_fetch_resp       s;
    arena_t                             a;
    const char                         *group;
    int                                 i, j;

    arena_init(&a);
    kmsg_defaults(&kmsg_s_offset_fetch_resp, &s);
    group = cstr(&a, r->group_id);
    if (r->topics_n >= 0) { /* the partitions asked for */
        s.topics_n = r->topics_n;
        s.topics = arena_calloc(&a, (size_t)(r->topics_n > 0 ? r->topics_n : 1),
                                sizeof *s.topics);
        for (i = 0; i < r->topics_n; i++) {
            const struct kmsg_offset_fetch_req_topic *t = &r->topics[i];
            char *topic = cstr(&a, t->name);

            s.topics[i].name = t->name;
            s.topics[i].partitions_n = t->partition_indexes_n;
            s.topics[i].partitions =
                arena_calloc(&a, (size_t)(t->partition_indexes_n > 0
                                              ? t->partition_indexes_n
                                              : 1),
                             sizeof *s.topics[i].partitions);
            for (j = 0; j < t->partition_indexes_n; j++)
                fetch_part(q->ga, group, topic, t->partition_indexes[j],
                           &s.topics[i].partitions[j]);
        }
    } else {
        /* v2+: null topics = every offset of the group, by topic */
        const struct kf_group *g =
            group != NULL ? kf_group_find(q->ga->co, group) : NULL;
        int                    n = g != NULL ? g->noffsets : 0;

        s.topics = arena_calloc(&a, (size_t)(n > 0 ? n : 1), sizeof *s.topics);
        s.topics_n = 0;
        for (i = 0; i < n; i++) {
            const struct kf_group_offset       *o = &g->offsets[i];
            struct kmsg_offset_fetch_resp_topic *t = NULL;

            for (j = 0; j < s.topics_n && t == NULL; j++)
                if (slice_eq(s.topics[j].name, o->topic))
                    t = &s.topics[j];
            if (t == NULL) {
                t = &s.topics[s.topics_n++];
                t->name = sl(o->topic);
                t->partitions = arena_calloc(&a, (size_t)n,
                                             sizeof *t->partitions);
            }
            fetch_part(q->ga, group, o->topic, o->partition,
                       &t->partitions[t->partitions_n++]);
        }
    }
    respond(q, &s);
    arena_free(&a);
    return 0;
}

/* ---- ListGroups, DescribeGroups ------------------------------------------------- */

struct list_ctx {
    arena_t                           *a;
    const struct kmsg_list_groups_req *r;
    struct kmsg_list_groups_resp_group *out;
    int                                n, cap;
};

static void list_one(void *arg, const struct kf_group *g)
{
    struct list_ctx *c = arg;
    const char      *state = kf_group_state_name(g->state);
    int              i;
    bool             ok = c->r->states_filter_n <= 0;

    for (i = 0; i < c->r->states_filter_n && !ok; i++)
        ok = c->r->states_filter[i].n == (int32_t)strlen(state) &&
             strncasecmp((const char *)c->r->states_filter[i].p, state,
                         strlen(state)) == 0;
    if (!ok)
        return;
    if (c->n == c->cap) {
        struct kmsg_list_groups_resp_group *o;

        c->cap = c->cap ? c->cap * 2 : 16;
        o = arena_calloc(c->a, (size_t)c->cap, sizeof *o);
        if (c->n > 0)
            memcpy(o, c->out, (size_t)c->n * sizeof *o);
        c->out = o;
    }
    c->out[c->n].group_id = sl(g->id);
    c->out[c->n].protocol_type = sl(g->protocol_type ? g->protocol_type : "");
    c->out[c->n].group_state = sl(state);
    c->n++;
}

static int h_list_groups(struct req *q, void *body)
{
    struct kmsg_list_groups_resp s;
    arena_t                      a;
    struct list_ctx              c = { &a, body, NULL, 0, 0 };

    arena_init(&a);
    kmsg_defaults(&kmsg_s_list_groups_resp, &s);
    kf_group_each(q->ga->co, list_one, &c);
    s.groups = c.out;
    s.groups_n = c.n;
    respond(q, &s);
    arena_free(&a);
    return 0;
}

static int h_describe_groups(struct req *q, void *body)
{
    const struct kmsg_describe_groups_req *r = body;
    struct kmsg_describe_groups_resp       s;
    arena_t                                a;
    int                                    i, j;

    arena_init(&a);
    kmsg_defaults(&kmsg_s_describe_groups_resp, &s);
    s.groups_n = r->groups_n > 0 ? r->groups_n : 0;
    s.groups = arena_calloc(&a, (size_t)(s.groups_n > 0 ? s.groups_n : 1),
                            sizeof *s.groups);
    for (i = 0; i < s.groups_n; i++) {
        struct kmsg_describe_groups_resp_group *d = &s.groups[i];
        char                  *id = cstr(&a, r->groups[i]);
        const struct kf_group *g = id != NULL ? kf_group_find(q->ga->co, id)
                                              : NULL;
        bool                   stable;

        kmsg_defaults(&kmsg_s_describe_groups_resp_group, d);
        d->group_id = r->groups[i];
        if (r->include_authorized_operations)
            d->authorized_operations = (1 << 3) | (1 << 6) | (1 << 8);
        if (g == NULL) { /* Kafka: an unknown group is "Dead", no error */
            d->group_state = sl("Dead");
            d->protocol_type = sl("");
            d->protocol_data = sl("");
            continue;
        }
        stable = g->state == KF_GROUP_STABLE;
        d->group_state = sl(kf_group_state_name(g->state));
        d->protocol_type = sl(g->protocol_type ? g->protocol_type : "");
        d->protocol_data = sl(stable && g->protocol_name ? g->protocol_name
                                                         : "");
        d->members_n = g->nmembers;
        d->members = arena_calloc(&a, (size_t)(g->nmembers > 0 ? g->nmembers
                                                                : 1),
                                  sizeof *d->members);
        for (j = 0; j < g->nmembers; j++) {
            const struct kf_group_member             *m = g->members[j];
            struct kmsg_describe_groups_resp_member *dm = &d->members[j];
            int                                      k;

            dm->member_id = sl(m->id);
            dm->group_instance_id = sl(m->instance_id);
            dm->client_id = sl(m->client_id);
            dm->client_host = sl(m->client_host);
            dm->member_metadata = sl("");
            dm->member_assignment = sl("");
            if (!stable)
                continue; /* summaryNoMetadata */
            for (k = 0; k < m->nprotos; k++) {
                if (strcmp(m->protos[k].name, g->protocol_name) == 0) {
                    dm->member_metadata.p = m->protos[k].meta.data;
                    dm->member_metadata.n = (int32_t)m->protos[k].meta.len;
                }
            }
            dm->member_assignment.p = m->assignment.data;
            dm->member_assignment.n = (int32_t)m->assignment.len;
        }
    }
    respond(q, &s);
    arena_free(&a);
    return 0;
}

/* ---- DeleteGroups, OffsetDelete ----------------------------------------------- */

static int h_delete_groups(struct req *q, void *body)
{
    const struct kmsg_delete_groups_req *r = body;
    struct kmsg_delete_groups_resp       s;
    arena_t                              a;
    int                                  i;

    arena_init(&a);
    kmsg_defaults(&kmsg_s_delete_groups_resp, &s);
    s.results_n = r->groups_names_n > 0 ? r->groups_names_n : 0;
    s.results = arena_calloc(&a, (size_t)(s.results_n > 0 ? s.results_n : 1),
                             sizeof *s.results);
    for (i = 0; i < s.results_n; i++) {
        char *id = cstr(&a, r->groups_names[i]);

        s.results[i].group_id = r->groups_names[i];
        s.results[i].error_code =
            id != NULL ? kf_gstore_delete_group(q->ga->gs, id)
                       : KF_GROUP_ERR_INVALID_GROUP_ID;
    }
    respond(q, &s);
    arena_free(&a);
    return 0;
}

/* Whether an active consumer group subscribes to topic (Kafka 2.8
 * GroupMetadata.isSubscribedToTopic, from the members' subscriptions). */
static bool subscribed(const struct kf_group *g, const char *topic)
{
    int i, j;

    for (i = 0; i < g->nmembers; i++)
        for (j = 0; j < g->members[i]->nprotos; j++)
            if (g->protocol_name != NULL &&
                strcmp(g->members[i]->protos[j].name, g->protocol_name) == 0 &&
                kf_offsets_subscribes(g->members[i]->protos[j].meta.data,
                                      g->members[i]->protos[j].meta.len,
                                      topic))
                return true;
    return false;
}

static int h_offset_delete(struct req *q, void *body)
{
    const struct kmsg_offset_delete_req *r = body;
    struct kmsg_offset_delete_resp       s;
    arena_t                              a;
    const struct kf_group               *g;
    char                                *group;
    int                                  i, j;

    arena_init(&a);
    kmsg_defaults(&kmsg_s_offset_delete_resp, &s);
    group = cstr(&a, r->group_id);
    g = group != NULL ? kf_group_find(q->ga->co, group) : NULL;
    if (g == NULL) {
        s.error_code = E_GROUP_ID_NOT_FOUND;
    } else if (g->state != KF_GROUP_EMPTY &&
               (g->protocol_type == NULL ||
                strcmp(g->protocol_type, "consumer") != 0)) {
        s.error_code = E_NON_EMPTY_GROUP;
    } else {
        s.topics_n = r->topics_n > 0 ? r->topics_n : 0;
        s.topics = arena_calloc(&a, (size_t)(s.topics_n > 0 ? s.topics_n : 1),
                                sizeof *s.topics);
        for (i = 0; i < s.topics_n; i++) {
            const struct kmsg_offset_delete_req_topic *t = &r->topics[i];
            struct kmsg_offset_delete_resp_topic      *st = &s.topics[i];
            char *topic = cstr(&a, t->name);

            st->name = t->name;
            st->partitions_n = t->partitions_n > 0 ? t->partitions_n : 0;
            st->partitions = arena_calloc(
                &a, (size_t)(st->partitions_n > 0 ? st->partitions_n : 1),
                sizeof *st->partitions);
            for (j = 0; j < st->partitions_n; j++) {
                int32_t p = t->partitions[j].partition_index;

                st->partitions[j].partition_index = p;
                g = kf_group_find(q->ga->co, group);
                if (g != NULL && g->state != KF_GROUP_EMPTY && topic != NULL &&
                    subscribed(g, topic)) {
                    st->partitions[j].error_code = E_GROUP_SUBSCRIBED_TO_TOPIC;
                    continue;
                }
                if (topic != NULL)
                    (void)kf_gstore_delete_offset(q->ga->gs, group, topic, p);
            }
        }
    }
    respond(q, &s);
    arena_free(&a);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------- */

typedef int handler_fn(struct req *q, void *body);

/* The eleven APIs and the versions served (Kafka 2.8). */
static const struct {
    int16_t     key;
    int16_t     vmax;
    handler_fn *fn;
} handlers[] = {
    { KMSG_API_OFFSET_COMMIT, 8, h_offset_commit },
    { KMSG_API_OFFSET_FETCH, 7, h_offset_fetch },
    { KMSG_API_FIND_COORDINATOR, 3, h_find_coordinator },
    { KMSG_API_JOIN_GROUP, 7, h_join_group },
    { KMSG_API_HEARTBEAT, 4, h_heartbeat },
    { KMSG_API_LEAVE_GROUP, 4, h_leave_group },
    { KMSG_API_SYNC_GROUP, 5, h_sync_group },
    { KMSG_API_DESCRIBE_GROUPS, 5, h_describe_groups },
    { KMSG_API_LIST_GROUPS, 4, h_list_groups },
    { KMSG_API_DELETE_GROUPS, 2, h_delete_groups },
    { KMSG_API_OFFSET_DELETE, 0, h_offset_delete },
};

static int handler_index(int16_t key)
{
    size_t i;

    for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (handlers[i].key == key)
            return (int)i;
    return -1;
}

bool kf_group_api_serves(int16_t api_key)
{
    return handler_index(api_key) >= 0;
}

int kf_group_api_dispatch(kf_group_api_t *ga, int16_t api_key, int16_t ver,
                          const void *body, const char *client_id,
                          const char *client_host,
                          kf_group_api_reply_fn *reply, void *arg)
{
    int                    h = handler_index(api_key);
    const struct kmsg_api *api = kmsg_api(api_key);
    const char            *conn_info[2];
    struct req             q;
    int                    rc;

    if (h < 0 || api == NULL || ver < 0 || ver > handlers[h].vmax ||
        ga->closing || body == NULL)
        return ERR_UNSUPPORTED;
    conn_info[0] = client_id != NULL ? client_id : "";
    conn_info[1] = client_host != NULL ? client_host : "";
    memset(&q, 0, sizeof q);
    q.ga = ga;
    q.api = api;
    q.ver = ver;
    q.flex = kmsg_flexible(api, ver);
    q.reply = reply;
    q.arg = arg;
    q.resp = (void *)conn_info; /* JoinGroup reads the client id, host */
    rc = handlers[h].fn(&q, (void *)(uintptr_t)body);
    rearm(ga);
    return rc;
}

int kf_group_api_handle(kf_group_api_t *ga, int16_t api_key, int16_t ver,
                        rd_t *body, const char *client_id,
                        const char *client_host, kf_group_api_reply_fn *reply,
                        void *arg)
{
    int                    h = handler_index(api_key);
    const struct kmsg_api *api = kmsg_api(api_key);
    arena_t                a;
    void                  *obj = NULL;
    int                    rc;

    if (h < 0 || api == NULL || ver < 0 || ver > handlers[h].vmax ||
        ga->closing)
        return ERR_UNSUPPORTED;
    arena_init(&a);
    rc = kmsg_decode_req(api, ver, body, &a, &obj);
    if (rc == 0)
        rc = kf_group_api_dispatch(ga, api_key, ver, obj, client_id,
                                   client_host, reply, arg);
    arena_free(&a);
    return rc;
}
