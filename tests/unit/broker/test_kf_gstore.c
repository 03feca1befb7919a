/* kf_gstore over an in-memory __consumer_offsets: commits, group
 * metadata written by the coordinator's store hook, a "restart" (a new
 * coordinator loading the log), tombstones from OffsetDelete and
 * DeleteGroups, retention expiry, and an append that fails. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kf_gstore.h"
#include "kf_offsets.h"

#define NPARTS 5

struct memlog {
    buf_t   part[NPARTS];
    int64_t next[NPARTS];
    int     fail;     /* next append fails */
    int     defer;    /* hold done callbacks */
    kf_gstore_done_fn *held;
    void   *held_arg;
    int     appends;
};

static int mem_append(void *ctx, int32_t p, const uint8_t *batch, size_t len,
                      kf_gstore_done_fn *done, void *arg)
{
    struct memlog *m = ctx;
    size_t         at = m->part[p].len;
    int32_t        last = (int32_t)((uint32_t)batch[23] << 24 |
                                    (uint32_t)batch[24] << 16 |
                                    (uint32_t)batch[25] << 8 | batch[26]);

    assert_true(p >= 0 && p < NPARTS);
    if (m->fail) {
        m->fail = 0;
        return -5;
    }
    m->appends++;
    buf_put(&m->part[p], batch, len);
    buf_set_i64(&m->part[p], at, m->next[p]); /* outside the CRC */
    m->next[p] += last + 1;
    if (m->defer) {
        m->held = done;
        m->held_arg = arg;
    } else {
        done(arg, 0);
    }
    return 0;
}

static int mem_read(void *ctx, int32_t p, int64_t *offset, buf_t *out)
{
    struct memlog *m = ctx;

    if (*offset > 0)
        return 0; /* everything was given at once */
    buf_put(out, m->part[p].data, m->part[p].len);
    *offset = m->next[p] > 0 ? m->next[p] : 1;
    return 0;
}

static int64_t t_now;

static int64_t clk(void *arg)
{
    (void)arg;
    return t_now;
}

static struct memlog  mlog;
static kf_gstore_t   *gs;

static kf_group_coord_t *boot(void)
{
    struct kf_gstore_ops  ops = { mem_append, mem_read, &mlog };
    struct kf_group_cfg   cfg;
    struct kf_group_hooks h = { kf_gstore_store_hook, NULL, NULL };
    kf_group_coord_t     *co;

    kf_group_cfg_defaults(&cfg);
    cfg.initial_delay_ms = 0;
    gs = kf_gstore_new(&ops, NPARTS);
    h.arg = gs;
    co = kf_group_coord_new(&cfg, clk, NULL, &h);
    kf_gstore_attach(gs, co);
    return co;
}

static void shutdown_(kf_group_coord_t *co)
{
    kf_group_coord_free(co);
    kf_gstore_free(gs);
}

static int done_calls, done_status;

static void on_done(void *arg, int status)
{
    (void)arg;
    done_calls++;
    done_status = status;
}

static void commit(const char *group, const char *topic, int32_t p,
                   int64_t off, int64_t ts)
{
    struct kf_group_offset o = { (char *)topic, p, off, -1, (char *)"md", ts,
                                 -1 };

    assert_int_equal(kf_gstore_commit(gs, group, 1, &o, on_done, NULL), 0);
}

struct jres {
    int     called;
    int16_t err;
    int32_t gen;
    char    member[128];
};

static void on_join(void *arg, const struct kf_group_join_res *r)
{
    struct jres *j = arg;

    j->called++;
    j->err = r->error;
    j->gen = r->generation;
    strncpy(j->member, r->member_id, sizeof j->member - 1);
}

static void on_sync(void *arg, const struct kf_group_sync_res *r)
{
    (void)arg, (void)r;
}

/* ConsumerProtocol Subscription v0 for topic "t" */
static const uint8_t SUB[] = { 0, 0, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff,
                               0xff };

static void join_and_sync(kf_group_coord_t *co, struct jres *j)
{
    struct kf_group_proto      p = { "range", SUB, sizeof SUB };
    struct kf_group_join_req   r = { 0 };
    struct kf_group_sync_req   s = { 0 };
    struct kf_group_assignment a;

    r.group_id = "g";
    r.member_id = "";
    r.client_id = "c";
    r.client_host = "/h";
    r.session_ms = 10000;
    r.rebalance_ms = 10000;
    r.protocol_type = "consumer";
    r.nprotos = 1;
    r.protos = &p;
    memset(j, 0, sizeof *j);
    kf_group_join(co, &r, on_join, j);
    kf_group_tick(co);
    assert_int_equal(j->err, 0);
    a.member_id = j->member;
    a.p = (const uint8_t *)"ASSIGN";
    a.n = 6;
    s.group_id = "g";
    s.member_id = j->member;
    s.generation = j->gen;
    s.nassign = 1;
    s.assign = &a;
    kf_group_sync(co, &s, on_sync, NULL);
}

static void test_commit_restart_load(void **state)
{
    kf_group_coord_t       *co;
    struct jres             j;
    const struct kf_group  *g;
    int32_t                 p = kf_offsets_partition_for("g", NPARTS);

    (void)state;
    memset(&mlog, 0, sizeof mlog);
    co = boot();
    join_and_sync(co, &j);
    commit("g", "t", 0, 10, 1000);
    commit("g", "t", 0, 11, 1001);
    commit("g", "t", 1, 5, 1002);
    commit("simple", "t", 0, 3, 1003);
    assert_int_equal(done_status, 0);
    assert_int_equal(kf_group_offset_get(co, "g", "t", 0)->offset, 11);
    assert_true(mlog.part[p].len > 0);
    shutdown_(co);

    /* restart: everything comes back from the log */
    co = boot();
    assert_int_equal(kf_gstore_load(gs), 0);
    assert_int_equal(kf_gstore_errors(gs), 0);
    assert_int_equal(kf_group_offset_get(co, "g", "t", 0)->offset, 11);
    assert_int_equal(kf_group_offset_get(co, "g", "t", 1)->offset, 5);
    assert_string_equal(kf_group_offset_get(co, "g", "t", 1)->metadata, "md");
    assert_int_equal(kf_group_offset_get(co, "simple", "t", 0)->offset, 3);
    g = kf_group_find(co, "g");
    assert_non_null(g);
    assert_int_equal(g->state, KF_GROUP_STABLE);
    assert_int_equal(g->generation, j.gen);
    assert_int_equal(g->nmembers, 1);
    assert_string_equal(g->members[0]->id, j.member);
    assert_int_equal(g->members[0]->assignment.len, 6);
    assert_memory_equal(g->members[0]->assignment.data, "ASSIGN", 6);
    assert_int_equal(kf_group_heartbeat(co, "g", j.member, NULL, j.gen), 0);
    assert_int_equal(kf_group_find(co, "simple")->state, KF_GROUP_EMPTY);

    /* OffsetDelete and DeleteGroups write tombstones that survive */
    assert_int_equal(kf_gstore_delete_offset(gs, "g", "t", 1), 0);
    assert_int_equal(kf_gstore_delete_offset(gs, "g", "t", 1), ERR_NOTFOUND);
    assert_int_equal(kf_gstore_delete_group(gs, "g"),
                     KF_GROUP_ERR_NON_EMPTY_GROUP);
    assert_int_equal(kf_gstore_delete_group(gs, "simple"), 0);
    assert_int_equal(kf_gstore_delete_group(gs, "nope"),
                     KF_GROUP_ERR_GROUP_ID_NOT_FOUND);
    shutdown_(co);
    co = boot();
    assert_int_equal(kf_gstore_load(gs), 0);
    assert_null(kf_group_offset_get(co, "g", "t", 1));
    assert_non_null(kf_group_offset_get(co, "g", "t", 0));
    assert_null(kf_group_find(co, "simple"));
    shutdown_(co);
    for (p = 0; p < NPARTS; p++)
        buf_free(&mlog.part[p]);
}

static void test_deferred_and_failed_append(void **state)
{
    kf_group_coord_t      *co;
    struct kf_group_offset o = { (char *)"t", 0, 7, -1, NULL, 1, -1 };
    int32_t                p;

    (void)state;
    memset(&mlog, 0, sizeof mlog);
    co = boot();
    done_calls = 0;
    mlog.defer = 1;
    assert_int_equal(kf_gstore_commit(gs, "d", 1, &o, on_done, NULL), 0);
    /* not visible before the log said it is stored */
    assert_null(kf_group_offset_get(co, "d", "t", 0));
    assert_int_equal(done_calls, 0);
    mlog.held(mlog.held_arg, 0);
    assert_int_equal(done_calls, 1);
    assert_int_equal(kf_group_offset_get(co, "d", "t", 0)->offset, 7);
    assert_string_equal(kf_group_offset_get(co, "d", "t", 0)->metadata, "");
    /* a failed flush: done gets the error, nothing is visible */
    o.offset = 8;
    assert_int_equal(kf_gstore_commit(gs, "d", 1, &o, on_done, NULL), 0);
    mlog.held(mlog.held_arg, -5);
    assert_int_equal(done_status, -5);
    assert_int_equal(kf_group_offset_get(co, "d", "t", 0)->offset, 7);
    /* the store let go while the log still holds a commit: the callback
     * still runs (the request is answered), nothing touches freed memory */
    assert_int_equal(kf_gstore_commit(gs, "d", 1, &o, on_done, NULL), 0);
    kf_group_coord_free(co);
    kf_gstore_free(gs);
    done_calls = 0;
    mlog.held(mlog.held_arg, 0);
    assert_int_equal(done_calls, 1);
    co = boot();
    mlog.defer = 0;
    /* an append refused at once: no callback */
    mlog.fail = 1;
    done_calls = 0;
    assert_int_equal(kf_gstore_commit(gs, "d", 1, &o, on_done, NULL), -5);
    assert_int_equal(done_calls, 0);
    shutdown_(co);
    for (p = 0; p < NPARTS; p++)
        buf_free(&mlog.part[p]);
}

static void test_expiry(void **state)
{
    kf_group_coord_t *co;
    struct jres       j;
    const int64_t     ret = 1000;
    int32_t           p;

    (void)state;
    memset(&mlog, 0, sizeof mlog);
    co = boot();
    commit("simple", "t", 0, 1, 100);
    commit("simple", "t", 1, 1, 900);
    join_and_sync(co, &j);         /* "g" subscribes to t */
    commit("g", "t", 0, 1, 100);
    commit("g", "u", 0, 1, 100);   /* not subscribed */
    assert_int_equal(kf_gstore_expire(gs, 1099, ret), 0);
    /* at 1100: simple t-0 (100+1000) and g's u-0 */
    assert_int_equal(kf_gstore_expire(gs, 1100, ret), 2);
    assert_null(kf_group_offset_get(co, "simple", "t", 0));
    assert_non_null(kf_group_offset_get(co, "simple", "t", 1));
    assert_non_null(kf_group_offset_get(co, "g", "t", 0));
    assert_null(kf_group_offset_get(co, "g", "u", 0));
    /* simple's last offset expires: the group goes too */
    assert_int_equal(kf_gstore_expire(gs, 1900, ret), 1);
    assert_null(kf_group_find(co, "simple"));
    shutdown_(co);
    /* and stays gone after a restart */
    co = boot();
    assert_int_equal(kf_gstore_load(gs), 0);
    assert_null(kf_group_find(co, "simple"));
    assert_null(kf_group_offset_get(co, "g", "u", 0));
    assert_non_null(kf_group_offset_get(co, "g", "t", 0));
    shutdown_(co);
    for (p = 0; p < NPARTS; p++)
        buf_free(&mlog.part[p]);
}

static void test_garbage_in_log(void **state)
{
    kf_group_coord_t *co;
    int32_t           p;
    static const uint8_t junk[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60, 1 };

    (void)state;
    memset(&mlog, 0, sizeof mlog);
    co = boot();
    commit("g2", "t", 0, 1, 1);
    shutdown_(co);
    p = kf_offsets_partition_for("g2", NPARTS);
    buf_put(&mlog.part[p], junk, sizeof junk); /* a torn batch at the end */
    co = boot();
    assert_int_equal(kf_gstore_load(gs), 0);
    assert_true(kf_gstore_errors(gs) > 0);
    assert_non_null(kf_group_offset_get(co, "g2", "t", 0));
    shutdown_(co);
    for (p = 0; p < NPARTS; p++)
        buf_free(&mlog.part[p]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_restart_load),
        cmocka_unit_test(test_deferred_and_failed_append),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_garbage_in_log),
    };

    return cmocka_run_group_tests_name("kf_gstore", tests, NULL, NULL);
}
