/* kf_group_api: the group handlers end to end through lib/kafka's codec:
 * requests are encoded at the versions real clients send (kafka-python,
 * librdkafka, kafkajs: reference/kafka-protocol.md section 2.3), handled
 * over an in-memory __consumer_offsets, and the response bodies decoded
 * at the same version. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kf_group_api.h"
#include "kmsg.h"

#define NPARTS 3

static buf_t   parts[NPARTS];
static int64_t next_off[NPARTS];

static int mem_append(void *ctx, int32_t p, const uint8_t *batch, size_t len,
                      kf_gstore_done_fn *done, void *arg)
{
    uint32_t last = (uint32_t)batch[23] << 24 | (uint32_t)batch[24] << 16 |
                    (uint32_t)batch[25] << 8 | batch[26];
    size_t   at = parts[p].len;

    (void)ctx;
    buf_put(&parts[p], batch, len);
    buf_set_i64(&parts[p], at, next_off[p]);
    next_off[p] += last + 1;
    done(arg, 0);
    return 0;
}

static int mem_read(void *ctx, int32_t p, int64_t *offset, buf_t *out)
{
    (void)ctx;
    if (*offset > 0)
        return 0;
    buf_put(out, parts[p].data, parts[p].len);
    *offset = 1;
    return 0;
}

struct reply {
    int   n;
    buf_t body;
};

static void on_reply(void *arg, const uint8_t *body, size_t len)
{
    struct reply *r = arg;

    r->n++;
    buf_reset(&r->body);
    buf_put(&r->body, body, len);
}

static kf_group_api_t *mk(void)
{
    struct kf_group_api_cfg cfg;
    struct kf_gstore_ops    ops = { mem_append, mem_read, NULL };

    kf_group_api_cfg_defaults(&cfg);
    cfg.group.initial_delay_ms = 0;
    cfg.offsets_partitions = NPARTS;
    cfg.host = "broker.example";
    cfg.port = 9093;
    cfg.node_id = 7;
    return kf_group_api_new(&cfg, NULL, &ops);
}

/* Encodes req at ver, hands it over; returns the handler's rc. */
static int call(kf_group_api_t *ga, int key, int16_t ver, const void *req,
                struct reply *r)
{
    const struct kmsg_api *api = kmsg_api(key);
    buf_t                  b = BUF_INIT;
    rd_t                   rd;
    int                    rc;

    kmsg_encode_buf(api->req, ver, kmsg_flexible(api, ver), req, &b);
    rd = rd_init(b.data, b.len);
    rc = kf_group_api_handle(ga, (int16_t)key, ver, &rd, "cli", "/127.0.0.1",
                             on_reply, r);
    buf_free(&b);
    return rc;
}

static void decode(int key, int16_t ver, const struct reply *r, arena_t *a,
                   void *obj)
{
    const struct kmsg_api *api = kmsg_api(key);
    rd_t                   rd = rd_init(r->body.data, r->body.len);

    assert_int_equal(kmsg_decode(api->resp, ver, kmsg_flexible(api, ver), &rd,
                                 a, obj),
                     0);
    assert_int_equal(rd_left(&rd), 0);
}

static slice_t S(const char *s)
{
    slice_t r = { (const uint8_t *)s, s ? (int32_t)strlen(s) : -1 };

    return r;
}

static void test_find_coordinator(void **state)
{
    kf_group_api_t                    *ga = mk();
    struct kmsg_find_coordinator_req   q;
    struct kmsg_find_coordinator_resp  s;
    struct reply                       r = { 0, BUF_INIT };
    arena_t                            a;
    int16_t                            v;

    (void)state;
    arena_init(&a);
    for (v = 0; v <= 3; v++) {
        kmsg_defaults(&kmsg_s_find_coordinator_req, &q);
        q.key = S("my_group");
        assert_int_equal(call(ga, KMSG_API_FIND_COORDINATOR, v, &q, &r), 0);
        decode(KMSG_API_FIND_COORDINATOR, v, &r, &a, &s);
        assert_int_equal(s.error_code, 0);
        assert_int_equal(s.node_id, 7);
        assert_true(slice_eq(s.host, "broker.example"));
        assert_int_equal(s.port, 9093);
    }
    q.key_type = 1; /* a transactional id */
    assert_int_equal(call(ga, KMSG_API_FIND_COORDINATOR, 2, &q, &r), 0);
    decode(KMSG_API_FIND_COORDINATOR, 2, &r, &a, &s);
    assert_int_equal(s.error_code, 15);
    assert_int_equal(r.n, 5);
    assert_true(kf_group_api_serves(KMSG_API_OFFSET_DELETE));
    assert_false(kf_group_api_serves(KMSG_API_PRODUCE));
    kf_group_api_close(ga, NULL, NULL);
    buf_free(&r.body);
    arena_free(&a);
}

static const uint8_t SUB[] = { 0, 0, 0, 0, 0, 1, 0, 8, 'm', 'y', '-', 't',
                               'o', 'p', 'i', 'c', 0xff, 0xff, 0xff, 0xff };

static void join(kf_group_api_t *ga, int16_t v, const char *member,
                 struct reply *r)
{
    struct kmsg_join_group_req       q;
    struct kmsg_join_group_req_proto p = { S("range"), { SUB, sizeof SUB } };

    kmsg_defaults(&kmsg_s_join_group_req, &q);
    q.group_id = S("my_group");
    q.session_timeout_ms = 10000;
    q.rebalance_timeout_ms = 30000;
    q.member_id = S(member);
    q.protocol_type = S("consumer");
    q.protocols = &p;
    q.protocols_n = 1;
    assert_int_equal(call(ga, KMSG_API_JOIN_GROUP, v, &q, r), 0);
}

/* The librdkafka flow: FindCoordinator v2, JoinGroup v5 (twice: member id
 * required), SyncGroup v3, OffsetFetch v7, Heartbeat v3, OffsetCommit v7,
 * LeaveGroup v1; then a restart that keeps the offsets. */
static void test_librdkafka_flow(void **state)
{
    kf_group_api_t                  *ga = mk();
    struct reply                     r = { 0, BUF_INIT };
    struct kmsg_join_group_resp      j;
    struct kmsg_sync_group_req       sq;
    struct kmsg_sync_group_req_assign as;
    struct kmsg_sync_group_resp      ss;
    struct kmsg_heartbeat_req        hq;
    struct kmsg_heartbeat_resp       hs;
    struct kmsg_offset_commit_req    cq;
    struct kmsg_offset_commit_req_topic ct;
    struct kmsg_offset_commit_req_part cp = { 0, 3, -1, -1, { NULL, -1 } };
    struct kmsg_offset_commit_resp   cs;
    struct kmsg_offset_fetch_req     fq;
    struct kmsg_offset_fetch_resp    fs;
    struct kmsg_leave_group_req      lq;
    struct kmsg_leave_group_resp     ls;
    arena_t                          a;
    char                             member[128];
    int32_t                          gen;

    (void)state;
    arena_init(&a);
    join(ga, 5, "", &r);
    assert_int_equal(r.n, 1);
    decode(KMSG_API_JOIN_GROUP, 5, &r, &a, &j);
    assert_int_equal(j.error_code, 79); /* MEMBER_ID_REQUIRED */
    snprintf(member, sizeof member, "%.*s", (int)j.member_id.n,
             (const char *)j.member_id.p);
    assert_true(strncmp(member, "cli-", 4) == 0);
    join(ga, 5, member, &r);
    assert_int_equal(r.n, 1); /* waits for the join phase */
    kf_group_api_tick(ga);
    assert_int_equal(r.n, 2);
    decode(KMSG_API_JOIN_GROUP, 5, &r, &a, &j);
    assert_int_equal(j.error_code, 0);
    assert_int_equal(j.generation_id, 1);
    assert_true(slice_eq(j.protocol_name, "range"));
    assert_true(slice_eq(j.leader, member));
    assert_int_equal(j.members_n, 1);
    assert_int_equal(j.members[0].metadata.n, (int32_t)sizeof SUB);
    gen = j.generation_id;

    kmsg_defaults(&kmsg_s_sync_group_req, &sq);
    sq.group_id = S("my_group");
    sq.generation_id = gen;
    sq.member_id = S(member);
    as.member_id = S(member);
    as.assignment = S("ASSIGNMENT-BYTES");
    sq.assignments = &as;
    sq.assignments_n = 1;
    assert_int_equal(call(ga, KMSG_API_SYNC_GROUP, 3, &sq, &r), 0);
    decode(KMSG_API_SYNC_GROUP, 3, &r, &a, &ss);
    assert_int_equal(ss.error_code, 0);
    assert_true(slice_eq(ss.assignment, "ASSIGNMENT-BYTES"));
    /* v5 without protocol type/name: INCONSISTENT_GROUP_PROTOCOL */
    assert_int_equal(call(ga, KMSG_API_SYNC_GROUP, 5, &sq, &r), 0);
    decode(KMSG_API_SYNC_GROUP, 5, &r, &a, &ss);
    assert_int_equal(ss.error_code, 23);
    sq.protocol_type = S("consumer");
    sq.protocol_name = S("range");
    assert_int_equal(call(ga, KMSG_API_SYNC_GROUP, 5, &sq, &r), 0);
    decode(KMSG_API_SYNC_GROUP, 5, &r, &a, &ss);
    assert_int_equal(ss.error_code, 0);
    assert_true(slice_eq(ss.protocol_name, "range"));

    kmsg_defaults(&kmsg_s_offset_fetch_req, &fq);
    fq.group_id = S("my_group");
    fq.topics = NULL;
    fq.topics_n = -1;
    assert_int_equal(call(ga, KMSG_API_OFFSET_FETCH, 7, &fq, &r), 0);
    decode(KMSG_API_OFFSET_FETCH, 7, &r, &a, &fs);
    assert_int_equal(fs.error_code, 0);
    assert_int_equal(fs.topics_n, 0);

    kmsg_defaults(&kmsg_s_heartbeat_req, &hq);
    hq.group_id = S("my_group");
    hq.generation_id = gen;
    hq.member_id = S(member);
    assert_int_equal(call(ga, KMSG_API_HEARTBEAT, 3, &hq, &r), 0);
    decode(KMSG_API_HEARTBEAT, 3, &r, &a, &hs);
    assert_int_equal(hs.error_code, 0);
    hq.generation_id = gen + 1;
    assert_int_equal(call(ga, KMSG_API_HEARTBEAT, 3, &hq, &r), 0);
    decode(KMSG_API_HEARTBEAT, 3, &r, &a, &hs);
    assert_int_equal(hs.error_code, 22);

    kmsg_defaults(&kmsg_s_offset_commit_req, &cq);
    cq.group_id = S("my_group");
    cq.generation_id = gen;
    cq.member_id = S(member);
    ct.name = S("my-topic");
    ct.partitions = &cp;
    ct.partitions_n = 1;
    cq.topics = &ct;
    cq.topics_n = 1;
    assert_int_equal(call(ga, KMSG_API_OFFSET_COMMIT, 7, &cq, &r), 0);
    decode(KMSG_API_OFFSET_COMMIT, 7, &r, &a, &cs);
    assert_int_equal(cs.topics_n, 1);
    assert_true(slice_eq(cs.topics[0].name, "my-topic"));
    assert_int_equal(cs.topics[0].partitions[0].error_code, 0);
    /* a stale generation is refused */
    cq.generation_id = gen + 5;
    assert_int_equal(call(ga, KMSG_API_OFFSET_COMMIT, 7, &cq, &r), 0);
    decode(KMSG_API_OFFSET_COMMIT, 7, &r, &a, &cs);
    assert_int_equal(cs.topics[0].partitions[0].error_code, 22);

    assert_int_equal(call(ga, KMSG_API_OFFSET_FETCH, 7, &fq, &r), 0);
    decode(KMSG_API_OFFSET_FETCH, 7, &r, &a, &fs);
    assert_int_equal(fs.topics_n, 1);
    assert_int_equal(fs.topics[0].partitions[0].committed_offset, 3);

    kmsg_defaults(&kmsg_s_leave_group_req, &lq);
    lq.group_id = S("my_group");
    lq.member_id = S(member);
    assert_int_equal(call(ga, KMSG_API_LEAVE_GROUP, 1, &lq, &r), 0);
    decode(KMSG_API_LEAVE_GROUP, 1, &r, &a, &ls);
    assert_int_equal(ls.error_code, 0);
    assert_int_equal(call(ga, KMSG_API_LEAVE_GROUP, 1, &lq, &r), 0);
    decode(KMSG_API_LEAVE_GROUP, 1, &r, &a, &ls);
    assert_int_equal(ls.error_code, 25);
    kf_group_api_close(ga, NULL, NULL);

    /* restart: the committed offset is still there (kafka-python's
     * OffsetFetch v1 with explicit partitions) */
    ga = mk();
    assert_int_equal(kf_group_api_load(ga), 0);
    {
        struct kmsg_offset_fetch_req_topic ft;
        int32_t                            pi[2] = { 0, 1 };

        ft.name = S("my-topic");
        ft.partition_indexes = pi;
        ft.partition_indexes_n = 2;
        kmsg_defaults(&kmsg_s_offset_fetch_req, &fq);
        fq.group_id = S("my_group");
        fq.topics = &ft;
        fq.topics_n = 1;
        assert_int_equal(call(ga, KMSG_API_OFFSET_FETCH, 1, &fq, &r), 0);
        decode(KMSG_API_OFFSET_FETCH, 1, &r, &a, &fs);
        assert_int_equal(fs.topics[0].partitions[0].committed_offset, 3);
        assert_int_equal(fs.topics[0].partitions[1].committed_offset, -1);
        assert_int_equal(fs.topics[0].partitions[1].error_code, 0);
    }
    kf_group_api_close(ga, NULL, NULL);
    buf_free(&r.body);
    arena_free(&a);
    {
        int i;

        for (i = 0; i < NPARTS; i++) {
            buf_free(&parts[i]);
            next_off[i] = 0;
        }
    }
}

/* kafka-python: JoinGroup v2 (no member id required), and the admin
 * calls ListGroups, DescribeGroups, DeleteGroups; OffsetDelete. */
static void test_admin(void **state)
{
    kf_group_api_t                   *ga = mk();
    struct reply                      r = { 0, BUF_INIT };
    struct kmsg_join_group_resp       j;
    struct kmsg_list_groups_req       lq;
    struct kmsg_list_groups_resp      ls;
    struct kmsg_describe_groups_req   dq;
    struct kmsg_describe_groups_resp  ds;
    struct kmsg_delete_groups_req     gq;
    struct kmsg_delete_groups_resp    gs;
    struct kmsg_offset_delete_req     oq;
    struct kmsg_offset_delete_resp    os;
    struct kmsg_offset_delete_req_topic ot;
    struct kmsg_offset_delete_req_part op = { 0 };
    slice_t                           names[2] = { { (const uint8_t *)"my_group", 8 },
                                                   { (const uint8_t *)"nope", 4 } };
    slice_t                           filt = { (const uint8_t *)"stable", 6 };
    arena_t                           a;

    (void)state;
    arena_init(&a);
    join(ga, 2, "", &r);
    kf_group_api_tick(ga);
    decode(KMSG_API_JOIN_GROUP, 2, &r, &a, &j);
    assert_int_equal(j.error_code, 0);
    assert_int_equal(j.generation_id, 1);

    kmsg_defaults(&kmsg_s_list_groups_req, &lq);
    assert_int_equal(call(ga, KMSG_API_LIST_GROUPS, 2, &lq, &r), 0);
    decode(KMSG_API_LIST_GROUPS, 2, &r, &a, &ls);
    assert_int_equal(ls.groups_n, 1);
    assert_true(slice_eq(ls.groups[0].group_id, "my_group"));
    assert_true(slice_eq(ls.groups[0].protocol_type, "consumer"));
    lq.states_filter = &filt;
    lq.states_filter_n = 1;
    assert_int_equal(call(ga, KMSG_API_LIST_GROUPS, 4, &lq, &r), 0);
    decode(KMSG_API_LIST_GROUPS, 4, &r, &a, &ls);
    assert_int_equal(ls.groups_n, 0); /* CompletingRebalance */

    kmsg_defaults(&kmsg_s_describe_groups_req, &dq);
    dq.groups = names;
    dq.groups_n = 2;
    assert_int_equal(call(ga, KMSG_API_DESCRIBE_GROUPS, 5, &dq, &r), 0);
    decode(KMSG_API_DESCRIBE_GROUPS, 5, &r, &a, &ds);
    assert_int_equal(ds.groups_n, 2);
    assert_true(slice_eq(ds.groups[0].group_state, "CompletingRebalance"));
    assert_int_equal(ds.groups[0].members_n, 1);
    assert_true(slice_eq(ds.groups[0].members[0].client_id, "cli"));
    assert_true(slice_eq(ds.groups[0].members[0].client_host, "/127.0.0.1"));
    assert_true(slice_eq(ds.groups[1].group_state, "Dead"));

    kmsg_defaults(&kmsg_s_delete_groups_req, &gq);
    gq.groups_names = names;
    gq.groups_names_n = 2;
    assert_int_equal(call(ga, KMSG_API_DELETE_GROUPS, 1, &gq, &r), 0);
    decode(KMSG_API_DELETE_GROUPS, 1, &r, &a, &gs);
    assert_int_equal(gs.results[0].error_code, 68); /* NON_EMPTY_GROUP */
    assert_int_equal(gs.results[1].error_code, 69); /* GROUP_ID_NOT_FOUND */

    kmsg_defaults(&kmsg_s_offset_delete_req, &oq);
    oq.group_id = S("nope");
    ot.name = S("my-topic");
    ot.partitions = &op;
    ot.partitions_n = 1;
    oq.topics = &ot;
    oq.topics_n = 1;
    assert_int_equal(call(ga, KMSG_API_OFFSET_DELETE, 0, &oq, &r), 0);
    decode(KMSG_API_OFFSET_DELETE, 0, &r, &a, &os);
    assert_int_equal(os.error_code, 69);
    oq.group_id = S("my_group"); /* active and subscribed to my-topic */
    assert_int_equal(call(ga, KMSG_API_OFFSET_DELETE, 0, &oq, &r), 0);
    decode(KMSG_API_OFFSET_DELETE, 0, &r, &a, &os);
    assert_int_equal(os.error_code, 0);
    assert_int_equal(os.topics[0].partitions[0].error_code, 86);
    kf_group_api_close(ga, NULL, NULL);
    buf_free(&r.body);
    arena_free(&a);
}

static void test_pending_join_answered_on_close(void **state)
{
    kf_group_api_t             *ga = mk();
    struct reply                r = { 0, BUF_INIT };
    struct kmsg_join_group_resp j;
    arena_t                     a;

    (void)state;
    arena_init(&a);
    join(ga, 2, "", &r);
    assert_int_equal(r.n, 0);
    kf_group_api_close(ga, NULL, NULL);
    assert_int_equal(r.n, 1);
    decode(KMSG_API_JOIN_GROUP, 2, &r, &a, &j);
    assert_int_equal(j.error_code, 16); /* NOT_COORDINATOR */
    buf_free(&r.body);
    arena_free(&a);
}

static void test_hostile(void **state)
{
    kf_group_api_t *ga = mk();
    struct reply    r = { 0, BUF_INIT };
    static const uint8_t junk[] = { 0, 0x7f, 0xff };
    rd_t            rd = rd_init(junk, sizeof junk);

    (void)state;
    assert_true(kf_group_api_handle(ga, KMSG_API_JOIN_GROUP, 2, &rd, "c", "h",
                                    on_reply, &r) < 0);
    rd = rd_init(junk, 0);
    assert_int_equal(kf_group_api_handle(ga, KMSG_API_JOIN_GROUP, 8, &rd, "c",
                                         "h", on_reply, &r),
                     ERR_UNSUPPORTED);
    assert_int_equal(kf_group_api_handle(ga, KMSG_API_PRODUCE, 7, &rd, "c",
                                         "h", on_reply, &r),
                     ERR_UNSUPPORTED);
    assert_int_equal(r.n, 0);
    kf_group_api_close(ga, NULL, NULL);
    buf_free(&r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_coordinator),
        cmocka_unit_test(test_librdkafka_flow),
        cmocka_unit_test(test_admin),
        cmocka_unit_test(test_pending_join_answered_on_close),
        cmocka_unit_test(test_hostile),
    };

    return cmocka_run_group_tests_name("kf_group_api", tests, NULL, NULL);
}
