/* kf_group: the group coordinator's state machine, with a clock the test
 * moves by hand.  One table of (state, event) -> (error, state, answered
 * now?) rows, then scenarios: two members join / one leaves / rejoin,
 * initial rebalance delay, static member restart, mixed protocols,
 * expiry of members, pending ids and silent rejoiners, limits. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kf_group.h"

static int64_t t_now;

static int64_t clk(void *arg)
{
    (void)arg;
    return t_now;
}

static int64_t wall(void *arg)
{
    (void)arg;
    return 1700000000000 + t_now;
}

static int n_stores;

static void on_store(void *arg, const struct kf_group *g)
{
    (void)arg, (void)g;
    n_stores++;
}

struct jres {
    int     called;
    int16_t err;
    int32_t gen;
    char    member[160];
    char    leader[160];
    char    proto[64];
    int     nmembers;
    char    first_meta[64];
};

static void on_join(void *arg, const struct kf_group_join_res *r)
{
    struct jres *j = arg;

    j->called++;
    j->err = r->error;
    j->gen = r->generation;
    snprintf(j->member, sizeof j->member, "%s", r->member_id);
    snprintf(j->leader, sizeof j->leader, "%s", r->leader);
    snprintf(j->proto, sizeof j->proto, "%s",
             r->protocol_name ? r->protocol_name : "");
    j->nmembers = r->nmembers;
    j->first_meta[0] = '\0';
    if (r->nmembers > 0)
        snprintf(j->first_meta, sizeof j->first_meta, "%.*s",
                 (int)r->members[0].meta_len, (const char *)r->members[0].meta);
}

struct sres {
    int     called;
    int16_t err;
    char    a[64];
};

static void on_sync(void *arg, const struct kf_group_sync_res *r)
{
    struct sres *s = arg;

    s->called++;
    s->err = r->error;
    snprintf(s->a, sizeof s->a, "%.*s", (int)r->len, (const char *)r->assignment);
}

static kf_group_coord_t *mk(int32_t delay, int32_t max_size)
{
    struct kf_group_cfg   cfg;
    struct kf_group_hooks h = { on_store, wall, NULL };

    kf_group_cfg_defaults(&cfg);
    cfg.initial_delay_ms = delay;
    cfg.max_size = max_size;
    t_now = 0;
    n_stores = 0;
    return kf_group_coord_new(&cfg, clk, NULL, &h);
}

/* protos: "range,roundrobin"; each protocol's metadata is "m:<name>" */
static void join_full(kf_group_coord_t *co, const char *group, const char *member,
                      const char *instance, const char *ptype,
                      const char *protos, bool v4, int32_t session,
                      struct jres *out)
{
    struct kf_group_proto    p[8];
    char                     names[8][32], metas[8][48];
    struct kf_group_join_req r = { 0 };
    const char              *s = protos;
    int                      n = 0;

    while (s != NULL && *s != '\0' && n < 8) {
        const char *c = strchr(s, ',');
        size_t      l = c ? (size_t)(c - s) : strlen(s);

        snprintf(names[n], sizeof names[n], "%.*s", (int)(l < 31 ? l : 31), s);
        snprintf(metas[n], sizeof metas[n], "m:%.30s", names[n]);
        p[n].name = names[n];
        p[n].meta = (const uint8_t *)metas[n];
        p[n].meta_len = strlen(metas[n]);
        n++;
        s = c ? c + 1 : NULL;
    }
    r.group_id = group;
    r.member_id = member;
    r.instance_id = instance;
    r.client_id = "cli";
    r.client_host = "/127.0.0.1";
    r.session_ms = session;
    r.rebalance_ms = 10000;
    r.protocol_type = ptype;
    r.nprotos = n;
    r.protos = p;
    r.require_known_id = v4;
    memset(out, 0, sizeof *out);
    kf_group_join(co, &r, on_join, out);
}

static void join(kf_group_coord_t *co, const char *member, const char *protos,
                 struct jres *out)
{
    join_full(co, "g", member, NULL, "consumer", protos, false, 10000, out);
}

static void sync2(kf_group_coord_t *co, const char *member, const char *inst,
                  int32_t gen, int n, const char *const *ids,
                  const char *const *bytes, struct sres *out)
{
    struct kf_group_assignment a[8];
    struct kf_group_sync_req   r = { 0 };
    int                        i;

    for (i = 0; i < n; i++) {
        a[i].member_id = ids[i];
        a[i].p = (const uint8_t *)bytes[i];
        a[i].n = strlen(bytes[i]);
    }
    r.group_id = "g";
    r.member_id = member;
    r.instance_id = inst;
    r.generation = gen;
    r.nassign = n;
    r.assign = a;
    memset(out, 0, sizeof *out);
    kf_group_sync(co, &r, on_sync, out);
}

static int state_of(kf_group_coord_t *co)
{
    const struct kf_group *g = kf_group_find(co, "g");

    return g != NULL ? g->state : -1;
}

static int32_t gen_of(kf_group_coord_t *co)
{
    return kf_group_find(co, "g")->generation;
}

/* ---- the state x event table -------------------------------------------- */

struct ctx {
    kf_group_coord_t *co;
    char              a[160]; /* member A's id ("A-none" if no member) */
    int32_t           gen;
    struct jres       aj;     /* A's JoinGroup answer */
};

static void to_empty(struct ctx *c)
{
    assert_int_equal(kf_group_commit_check(c->co, "g", "", NULL, -1), 0);
    strcpy(c->a, "A-none");
    c->gen = 0;
}

static void to_preparing(struct ctx *c)
{
    join(c->co, "", "range", &c->aj);
    assert_int_equal(c->aj.called, 0);
    assert_int_equal(state_of(c->co), KF_GROUP_PREPARING_REBALANCE);
    /* the id is not told yet: find it in the group */
    strcpy(c->a, kf_group_find(c->co, "g")->members[0]->id);
    c->gen = 0;
}

static void to_completing(struct ctx *c)
{
    to_preparing(c);
    t_now += 3000;
    kf_group_tick(c->co);
    assert_int_equal(c->aj.called, 1);
    assert_int_equal(c->aj.err, 0);
    assert_string_equal(c->aj.member, c->a);
    c->gen = 1;
    assert_int_equal(state_of(c->co), KF_GROUP_COMPLETING_REBALANCE);
}

static void to_stable(struct ctx *c)
{
    struct sres        s;
    const char *const  ids[] = { c->a };
    const char *const  by[] = { "assign-A" };

    to_completing(c);
    sync2(c->co, c->a, NULL, 1, 1, ids, by, &s);
    assert_int_equal(s.called, 1);
    assert_string_equal(s.a, "assign-A");
    assert_int_equal(state_of(c->co), KF_GROUP_STABLE);
}

enum tev {
    T_HB, T_HB_BADGEN, T_HB_UNKNOWN, T_SYNC, T_COMMIT, T_JOIN_SAME,
    T_JOIN_NEW_V4, T_JOIN_NEW, T_JOIN_OTHER_PROTO, T_LEAVE
};

static const char *const tev_names[] = {
    "heartbeat", "heartbeat bad generation", "heartbeat unknown member",
    "sync", "commit", "join same metadata", "join new v4", "join new",
    "join other protocol", "leave",
};

static const struct row {
    const char *state_name;
    void (*setup)(struct ctx *c);
    enum tev    ev;
    int         want_err;   /* -1: no answer yet (join/sync wait) */
    int         want_state;
} rows[] = {
    { "Empty", to_empty, T_HB, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_EMPTY },
    { "Empty", to_empty, T_HB_UNKNOWN, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_EMPTY },
    { "Empty", to_empty, T_SYNC, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_EMPTY },
    { "Empty", to_empty, T_COMMIT, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_EMPTY },
    { "Empty", to_empty, T_JOIN_SAME, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_EMPTY },
    { "Empty", to_empty, T_JOIN_NEW_V4, KF_GROUP_ERR_MEMBER_ID_REQUIRED, KF_GROUP_EMPTY },
    { "Empty", to_empty, T_JOIN_NEW, -1, KF_GROUP_PREPARING_REBALANCE },
    { "Empty", to_empty, T_JOIN_OTHER_PROTO, -1, KF_GROUP_PREPARING_REBALANCE },
    { "Empty", to_empty, T_LEAVE, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_EMPTY },

    { "Preparing", to_preparing, T_HB, KF_GROUP_ERR_REBALANCE_IN_PROGRESS, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_HB_BADGEN, KF_GROUP_ERR_ILLEGAL_GENERATION, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_HB_UNKNOWN, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_SYNC, KF_GROUP_ERR_REBALANCE_IN_PROGRESS, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_COMMIT, KF_GROUP_ERR_NONE, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_JOIN_SAME, -1, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_JOIN_NEW_V4, KF_GROUP_ERR_MEMBER_ID_REQUIRED, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_JOIN_NEW, -1, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_JOIN_OTHER_PROTO, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL, KF_GROUP_PREPARING_REBALANCE },
    { "Preparing", to_preparing, T_LEAVE, KF_GROUP_ERR_NONE, KF_GROUP_PREPARING_REBALANCE },

    { "Completing", to_completing, T_HB, KF_GROUP_ERR_NONE, KF_GROUP_COMPLETING_REBALANCE },
    { "Completing", to_completing, T_HB_BADGEN, KF_GROUP_ERR_ILLEGAL_GENERATION, KF_GROUP_COMPLETING_REBALANCE },
    { "Completing", to_completing, T_HB_UNKNOWN, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_COMPLETING_REBALANCE },
    { "Completing", to_completing, T_SYNC, KF_GROUP_ERR_NONE, KF_GROUP_STABLE },
    { "Completing", to_completing, T_COMMIT, KF_GROUP_ERR_REBALANCE_IN_PROGRESS, KF_GROUP_COMPLETING_REBALANCE },
    { "Completing", to_completing, T_JOIN_SAME, KF_GROUP_ERR_NONE, KF_GROUP_COMPLETING_REBALANCE },
    { "Completing", to_completing, T_JOIN_NEW_V4, KF_GROUP_ERR_MEMBER_ID_REQUIRED, KF_GROUP_COMPLETING_REBALANCE },
    { "Completing", to_completing, T_JOIN_NEW, -1, KF_GROUP_PREPARING_REBALANCE },
    { "Completing", to_completing, T_JOIN_OTHER_PROTO, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL, KF_GROUP_COMPLETING_REBALANCE },
    { "Completing", to_completing, T_LEAVE, KF_GROUP_ERR_NONE, KF_GROUP_EMPTY },

    { "Stable", to_stable, T_HB, KF_GROUP_ERR_NONE, KF_GROUP_STABLE },
    { "Stable", to_stable, T_HB_BADGEN, KF_GROUP_ERR_ILLEGAL_GENERATION, KF_GROUP_STABLE },
    { "Stable", to_stable, T_HB_UNKNOWN, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, KF_GROUP_STABLE },
    { "Stable", to_stable, T_SYNC, KF_GROUP_ERR_NONE, KF_GROUP_STABLE },
    { "Stable", to_stable, T_COMMIT, KF_GROUP_ERR_NONE, KF_GROUP_STABLE },
    /* the leader rejoining forces a rebalance; alone, it completes at once */
    { "Stable", to_stable, T_JOIN_SAME, KF_GROUP_ERR_NONE, KF_GROUP_COMPLETING_REBALANCE },
    { "Stable", to_stable, T_JOIN_NEW_V4, KF_GROUP_ERR_MEMBER_ID_REQUIRED, KF_GROUP_STABLE },
    { "Stable", to_stable, T_JOIN_NEW, -1, KF_GROUP_PREPARING_REBALANCE },
    { "Stable", to_stable, T_JOIN_OTHER_PROTO, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL, KF_GROUP_STABLE },
    { "Stable", to_stable, T_LEAVE, KF_GROUP_ERR_NONE, KF_GROUP_EMPTY },
};

static void test_state_event_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(rows); i++) {
        struct ctx   c = { 0 };
        struct jres  j;
        struct sres  s;
        int          err = -1;
        const char  *ids[1];
        const char  *by[] = { "x" };

        c.co = mk(3000, 100);
        rows[i].setup(&c);
        print_message("row %zu: %s x %s\n", i, rows[i].state_name,
                      tev_names[rows[i].ev]);
        ids[0] = c.a;
        switch (rows[i].ev) { /* test driver only: the code has a table */
        case T_HB:
            err = kf_group_heartbeat(c.co, "g", c.a, NULL, c.gen);
            break;
        case T_HB_BADGEN:
            err = kf_group_heartbeat(c.co, "g", c.a, NULL, c.gen + 1);
            break;
        case T_HB_UNKNOWN:
            err = kf_group_heartbeat(c.co, "g", "nobody", NULL, c.gen);
            break;
        case T_SYNC:
            sync2(c.co, c.a, NULL, c.gen, 1, ids, by, &s);
            err = s.called ? s.err : -1;
            break;
        case T_COMMIT:
            err = kf_group_commit_check(c.co, "g", c.a, NULL, c.gen);
            break;
        case T_JOIN_SAME:
            join(c.co, c.a, "range", &j);
            err = j.called ? j.err : -1;
            if (j.called && j.err == 0)
                assert_int_equal(j.gen, gen_of(c.co));
            break;
        case T_JOIN_NEW_V4:
            join_full(c.co, "g", "", NULL, "consumer", "range", true, 10000, &j);
            err = j.called ? j.err : -1;
            if (j.called)
                assert_true(strncmp(j.member, "cli-", 4) == 0);
            break;
        case T_JOIN_NEW:
            join(c.co, "", "range", &j);
            err = j.called ? j.err : -1;
            break;
        case T_JOIN_OTHER_PROTO:
            join(c.co, "", "sticky", &j);
            err = j.called ? j.err : -1;
            break;
        case T_LEAVE: {
            struct kf_group_leave_member lm = { c.a, NULL };
            int16_t                      e1 = -1;

            assert_int_equal(kf_group_leave(c.co, "g", 1, &lm, &e1), 0);
            err = e1;
            break;
        }
        }
        assert_int_equal(err, rows[i].want_err);
        if (rows[i].want_state == KF_GROUP_EMPTY && rows[i].ev == T_LEAVE &&
            rows[i].setup != to_empty) {
            /* the member was the last: the join phase ends at once */
            assert_int_equal(state_of(c.co), KF_GROUP_EMPTY);
        }
        assert_int_equal(state_of(c.co), rows[i].want_state);
        kf_group_coord_free(c.co);
    }
}

/* ---- scenarios ----------------------------------------------------------- */

static void test_two_join_one_leaves_rejoin(void **state)
{
    kf_group_coord_t *co = mk(3000, 100);
    struct jres       a, b, a2, b2, b3;
    struct sres       sa, sb;
    char              ida[160], idb[160];
    const char       *ids[2];
    const char *const by[] = { "for-A", "for-B" };
    struct kf_group_leave_member lm;
    int16_t           e1;

    (void)state;
    join(co, "", "range,roundrobin", &a);
    t_now = 100;
    join(co, "", "range,roundrobin", &b);
    assert_int_equal(a.called + b.called, 0);
    /* initial delay: B arrived during it, so it is extended once */
    assert_int_equal(kf_group_next_deadline(co), 3000);
    t_now = 3000;
    kf_group_tick(co);
    assert_int_equal(a.called + b.called, 0);
    assert_int_equal(kf_group_next_deadline(co), 6000);
    t_now = 6000;
    kf_group_tick(co);
    assert_int_equal(a.called, 1);
    assert_int_equal(b.called, 1);
    assert_int_equal(a.gen, 1);
    assert_string_equal(a.proto, "range");
    assert_string_equal(a.leader, a.member);  /* first joiner leads */
    assert_string_equal(b.leader, a.member);
    assert_int_equal(a.nmembers, 2);         /* leader sees everyone */
    assert_string_equal(a.first_meta, "m:range");
    assert_int_equal(b.nmembers, 0);
    strcpy(ida, a.member);
    strcpy(idb, b.member);
    ids[0] = ida;
    ids[1] = idb;

    /* the follower's SyncGroup waits for the leader's */
    sync2(co, idb, NULL, 1, 0, NULL, NULL, &sb);
    assert_int_equal(sb.called, 0);
    sync2(co, ida, NULL, 1, 2, ids, by, &sa);
    assert_int_equal(sa.called, 1);
    assert_int_equal(sb.called, 1);
    assert_string_equal(sa.a, "for-A");
    assert_string_equal(sb.a, "for-B");
    assert_int_equal(state_of(co), KF_GROUP_STABLE);
    assert_true(n_stores >= 1);

    /* B leaves: A learns of the rebalance by heartbeat and rejoins */
    lm.member_id = idb;
    lm.instance_id = NULL;
    assert_int_equal(kf_group_leave(co, "g", 1, &lm, &e1), 0);
    assert_int_equal(e1, 0);
    assert_int_equal(kf_group_heartbeat(co, "g", ida, NULL, 1),
                     KF_GROUP_ERR_REBALANCE_IN_PROGRESS);
    assert_int_equal(kf_group_heartbeat(co, "g", idb, NULL, 1),
                     KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    join(co, ida, "range,roundrobin", &a2);
    assert_int_equal(a2.called, 1); /* everyone left rejoined */
    assert_int_equal(a2.gen, 2);
    assert_int_equal(a2.nmembers, 1);

    /* B comes back through KIP-394 */
    join_full(co, "g", "", NULL, "consumer", "range,roundrobin", true, 10000,
              &b2);
    assert_int_equal(b2.err, KF_GROUP_ERR_MEMBER_ID_REQUIRED);
    join_full(co, "g", b2.member, NULL, "consumer", "range,roundrobin", true,
              10000, &b3);
    assert_int_equal(b3.called, 0);
    assert_int_equal(state_of(co), KF_GROUP_PREPARING_REBALANCE);
    assert_int_equal(kf_group_heartbeat(co, "g", ida, NULL, 2),
                     KF_GROUP_ERR_REBALANCE_IN_PROGRESS);
    join(co, ida, "range,roundrobin", &a2);
    assert_int_equal(a2.called, 1);
    assert_int_equal(b3.called, 1);
    assert_int_equal(b3.gen, 3);
    assert_string_equal(b3.member, b2.member);
    assert_string_equal(b3.leader, ida);
    kf_group_coord_free(co);
}

static void test_static_member_restart(void **state)
{
    kf_group_coord_t *co = mk(0, 100);
    struct jres       a, b, c, a2, a3;
    struct sres       sa, sb, s2;
    const char       *ids[2];
    const char *const by[] = { "for-A", "for-B" };
    char              olda[160], idb[160];
    int               stores;

    (void)state;
    join_full(co, "g", "", "inst-a", "consumer", "range", true, 10000, &a);
    join_full(co, "g", "", "inst-b", "consumer", "range", true, 10000, &b);
    /* static members get their id at once, no MEMBER_ID_REQUIRED */
    assert_int_equal(a.called + b.called, 0);
    kf_group_tick(co);
    assert_int_equal(a.err, 0);
    assert_int_equal(b.err, 0);
    assert_true(strncmp(a.member, "inst-a-", 7) == 0);
    strcpy(olda, a.member);
    strcpy(idb, b.member);
    ids[0] = olda;
    ids[1] = idb;
    sync2(co, idb, "inst-b", 1, 0, NULL, NULL, &sb);
    sync2(co, olda, "inst-a", 1, 2, ids, by, &sa);
    assert_string_equal(sb.a, "for-B");
    assert_int_equal(state_of(co), KF_GROUP_STABLE);

    /* A restarts within its session: unknown id, known instance */
    t_now = 5000;
    stores = n_stores;
    join_full(co, "g", "", "inst-a", "consumer", "range", true, 10000, &a2);
    assert_int_equal(a2.called, 1);
    assert_int_equal(a2.err, 0);
    assert_int_equal(a2.gen, 1);                   /* no new generation */
    assert_string_not_equal(a2.member, olda);
    assert_string_equal(a2.leader, olda);          /* so it does not assign */
    assert_int_equal(a2.nmembers, 0);
    assert_int_equal(state_of(co), KF_GROUP_STABLE); /* no rebalance */
    assert_int_equal(n_stores, stores + 1);        /* new id persisted */
    assert_int_equal(kf_group_heartbeat(co, "g", idb, "inst-b", 1), 0);
    assert_int_equal(kf_group_heartbeat(co, "g", olda, "inst-a", 1),
                     KF_GROUP_ERR_FENCED_INSTANCE_ID);
    assert_int_equal(kf_group_commit_check(co, "g", olda, "inst-a", 1),
                     KF_GROUP_ERR_FENCED_INSTANCE_ID);
    assert_int_equal(kf_group_heartbeat(co, "g", a2.member, "inst-a", 1), 0);
    sync2(co, a2.member, "inst-a", 1, 0, NULL, NULL, &s2);
    assert_int_equal(s2.err, 0);
    assert_string_equal(s2.a, "for-A");            /* keeps its assignment */
    join_full(co, "g", olda, "inst-a", "consumer", "range", true, 10000, &a3);
    assert_int_equal(a3.err, KF_GROUP_ERR_FENCED_INSTANCE_ID);

    /* restarting with other protocols changes the selection: rebalance */
    join_full(co, "g", "", "inst-a", "consumer", "roundrobin,range", true,
              10000, &a3);
    assert_int_equal(state_of(co), KF_GROUP_STABLE); /* range still wins */
    join_full(co, "g", "", "inst-b", "consumer", "roundrobin", true, 10000,
              &c);
    assert_int_equal(c.err, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
    join_full(co, "g", "", "inst-b", "consumer", "roundrobin,range", true,
              10000, &b);
    assert_int_equal(b.called, 0);
    assert_int_equal(state_of(co), KF_GROUP_PREPARING_REBALANCE);
    kf_group_coord_free(co); /* answers the waiting join */
    assert_int_equal(b.called, 1);
    assert_int_equal(b.err, KF_GROUP_ERR_NOT_COORDINATOR);
}

static void test_mixed_protocols(void **state)
{
    kf_group_coord_t *co = mk(0, 100);
    struct jres       a, b, c, d, e;

    (void)state;
    join(co, "", "range,roundrobin", &a);
    join(co, "", "roundrobin", &b);
    assert_int_equal(b.called, 0); /* shares roundrobin: accepted */
    /* kafkajs next to librdkafka: nothing in common */
    join(co, "", "RoundRobinAssigner", &c);
    assert_int_equal(c.called, 1);
    assert_int_equal(c.err, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
    join_full(co, "g", "", NULL, "connect", "roundrobin", false, 10000, &d);
    assert_int_equal(d.err, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
    /* "range" is not supported by B, so it cannot be chosen either */
    join(co, "", "range", &e);
    assert_int_equal(e.err, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
    kf_group_tick(co);
    assert_string_equal(a.proto, "roundrobin");
    assert_string_equal(b.proto, "roundrobin");
    kf_group_coord_free(co);

    /* votes: two prefer range, one prefers roundrobin */
    co = mk(0, 100);
    join(co, "", "range,roundrobin", &a);
    join(co, "", "roundrobin,range", &b);
    join(co, "", "range,roundrobin", &c);
    kf_group_tick(co);
    assert_string_equal(a.proto, "range");
    assert_string_equal(b.proto, "range");
    kf_group_coord_free(co);

    /* an empty protocol list or type is refused even by an Empty group */
    co = mk(0, 100);
    join(co, "", "", &a);
    assert_int_equal(a.err, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
    join_full(co, "g", "", NULL, "", "range", false, 10000, &a);
    assert_int_equal(a.err, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
    kf_group_coord_free(co);
}

static void test_session_expiry(void **state)
{
    kf_group_coord_t *co = mk(0, 100);
    struct jres       a, b, a2;
    struct sres       sa, sb;
    char              ida[160], idb[160];

    (void)state;
    join(co, "", "range", &a);
    join(co, "", "range", &b);
    kf_group_tick(co);
    strcpy(ida, a.member);
    strcpy(idb, b.member);
    sync2(co, idb, NULL, 1, 0, NULL, NULL, &sb);
    sync2(co, ida, NULL, 1, 0, NULL, NULL, &sa);
    assert_int_equal(state_of(co), KF_GROUP_STABLE);
    assert_int_equal(kf_group_next_deadline(co), 10000); /* sessions */
    t_now = 9000;
    assert_int_equal(kf_group_heartbeat(co, "g", ida, NULL, 1), 0);
    t_now = 9999;
    kf_group_tick(co);
    assert_int_equal(kf_group_find(co, "g")->nmembers, 2);
    t_now = 10000;
    kf_group_tick(co); /* B's session ran out */
    assert_int_equal(kf_group_find(co, "g")->nmembers, 1);
    assert_int_equal(state_of(co), KF_GROUP_PREPARING_REBALANCE);
    assert_int_equal(kf_group_heartbeat(co, "g", idb, NULL, 1),
                     KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(kf_group_heartbeat(co, "g", ida, NULL, 1),
                     KF_GROUP_ERR_REBALANCE_IN_PROGRESS);
    join(co, ida, "range", &a2);
    assert_int_equal(a2.gen, 2);
    /* A waits for its assignment past its session: kept alive */
    sync2(co, ida, NULL, 2, 0, NULL, NULL, &sa); /* A is leader: done */
    assert_int_equal(sa.err, 0);
    /* A goes silent: the group ends up Empty */
    t_now = 100000;
    kf_group_tick(co);
    assert_int_equal(state_of(co), KF_GROUP_EMPTY);
    assert_int_equal(gen_of(co), 3);
    assert_int_equal(kf_group_next_deadline(co), INT64_MAX);
    kf_group_coord_free(co);
}

static void test_silent_rejoiner_dropped(void **state)
{
    kf_group_coord_t *co = mk(0, 100);
    struct jres       a, b, a2;
    struct sres       sa, sb;
    char              ida[160], idb[160];

    (void)state;
    join(co, "", "range", &a);
    join(co, "", "range", &b);
    kf_group_tick(co);
    strcpy(ida, a.member);
    strcpy(idb, b.member);
    sync2(co, idb, NULL, 1, 0, NULL, NULL, &sb);
    sync2(co, ida, NULL, 1, 0, NULL, NULL, &sa);
    /* the leader rejoins; B keeps heartbeating but never rejoins */
    join(co, ida, "range", &a2);
    assert_int_equal(a2.called, 0);
    assert_int_equal(kf_group_next_deadline(co), 10000); /* rebalance t/o */
    t_now = 5000;
    assert_int_equal(kf_group_heartbeat(co, "g", idb, NULL, 1),
                     KF_GROUP_ERR_REBALANCE_IN_PROGRESS);
    t_now = 10000;
    kf_group_tick(co);
    assert_int_equal(a2.called, 1);
    assert_int_equal(a2.gen, 2);
    assert_int_equal(a2.nmembers, 1);
    assert_int_equal(kf_group_heartbeat(co, "g", idb, NULL, 2),
                     KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    kf_group_coord_free(co);
}

static void test_pending_and_new_member_timeouts(void **state)
{
    kf_group_coord_t *co = mk(0, 100);
    struct jres       a, b, p;

    (void)state;
    join(co, "", "range", &a);
    kf_group_tick(co); /* gen 1, A alone */
    /* a pending id blocks the join phase until it expires */
    join_full(co, "g", "", NULL, "consumer", "range", true, 7000, &p);
    assert_int_equal(p.err, KF_GROUP_ERR_MEMBER_ID_REQUIRED);
    assert_int_equal(kf_group_find(co, "g")->npending, 1);
    t_now = 6999;
    kf_group_tick(co);
    assert_int_equal(kf_group_find(co, "g")->npending, 1);
    t_now = 7000;
    kf_group_tick(co);
    assert_int_equal(kf_group_find(co, "g")->npending, 0);
    /* coming back with the expired id: it is no longer known */
    join_full(co, "g", p.member, NULL, "consumer", "range", true, 7000, &b);
    assert_int_equal(b.err, KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    kf_group_coord_free(co);

    /* a new member whose JoinGroup is never completed goes after 5 min:
     * the join phase waits on the old member that does not rejoin */
    co = mk(0, 100);
    join(co, "", "range", &a);
    kf_group_tick(co);
    t_now = 1000;
    join(co, "", "range", &b);
    assert_int_equal(state_of(co), KF_GROUP_PREPARING_REBALANCE);
    /* A keeps heartbeating, never rejoins; the join phase times out at
     * 11000 and drops A; B gets its generation */
    for (t_now = 2000; t_now <= 11000; t_now += 1000) {
        (void)kf_group_heartbeat(co, "g", a.member, NULL, 1);
        kf_group_tick(co);
    }
    assert_int_equal(b.called, 1);
    assert_int_equal(b.err, 0);
    assert_int_equal(b.nmembers, 1);
    kf_group_coord_free(co);
}

static void test_limits_and_checks(void **state)
{
    kf_group_coord_t *co = mk(0, 2);
    struct jres       a, b, c;
    struct sres       s;

    (void)state;
    join_full(co, "g", "", NULL, "consumer", "range", false, 5999, &a);
    assert_int_equal(a.err, KF_GROUP_ERR_INVALID_SESSION_TIMEOUT);
    join_full(co, "g", "", NULL, "consumer", "range", false, 1800001, &a);
    assert_int_equal(a.err, KF_GROUP_ERR_INVALID_SESSION_TIMEOUT);
    join_full(co, "", "", NULL, "consumer", "range", false, 10000, &a);
    assert_int_equal(a.err, KF_GROUP_ERR_INVALID_GROUP_ID);
    join(co, "someone", "range", &a); /* no such group, known id */
    assert_int_equal(a.err, KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(kf_group_count(co), 0);
    join(co, "", "range", &a);
    join(co, "", "range", &b);
    join(co, "", "range", &c);
    assert_int_equal(c.err, KF_GROUP_ERR_GROUP_MAX_SIZE_REACHED);
    kf_group_tick(co);
    assert_int_equal(a.gen, 1);
    /* generation and membership checks of SyncGroup */
    sync2(co, a.member, NULL, 7, 0, NULL, NULL, &s);
    assert_int_equal(s.err, KF_GROUP_ERR_ILLEGAL_GENERATION);
    sync2(co, "ghost", NULL, 1, 0, NULL, NULL, &s);
    assert_int_equal(s.err, KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    {
        struct kf_group_sync_req r = { "g", NULL, NULL, 1, "connect", NULL,
                                       0, NULL };

        r.member_id = a.member;
        memset(&s, 0, sizeof s);
        kf_group_sync(co, &r, on_sync, &s);
        assert_int_equal(s.err, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL);
    }
    assert_int_equal(kf_group_heartbeat(co, "", a.member, NULL, 1),
                     KF_GROUP_ERR_INVALID_GROUP_ID);
    assert_int_equal(kf_group_heartbeat(co, "nogroup", a.member, NULL, 1),
                     KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    /* commits: a simple consumer (generation -1) on a fresh group, a
     * stale generation on an unknown one */
    assert_int_equal(kf_group_commit_check(co, "simple", "", NULL, -1), 0);
    assert_int_equal(kf_group_commit_check(co, "other", "m", NULL, 3),
                     KF_GROUP_ERR_ILLEGAL_GENERATION);
    /* a -1 commit into a group that is in use */
    assert_int_equal(kf_group_commit_check(co, "g", "", NULL, -1),
                     KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    /* deletion */
    assert_int_equal(kf_group_delete(co, "g"), KF_GROUP_ERR_NON_EMPTY_GROUP);
    assert_int_equal(kf_group_delete(co, "nope"),
                     KF_GROUP_ERR_GROUP_ID_NOT_FOUND);
    assert_int_equal(kf_group_delete(co, "simple"), 0);
    assert_null(kf_group_find(co, "simple"));
    assert_string_equal(kf_group_state_name(KF_GROUP_COMPLETING_REBALANCE),
                        "CompletingRebalance");
    assert_string_equal(kf_group_state_name(99), "Unknown");
    kf_group_coord_free(co);
}

static void test_batch_leave_and_pending(void **state)
{
    kf_group_coord_t            *co = mk(0, 100);
    struct jres                  a, b, p;
    struct kf_group_leave_member lm[4];
    int16_t                      errs[4];

    (void)state;
    join_full(co, "g", "", "inst-a", "consumer", "range", false, 10000, &a);
    join(co, "", "range", &b);
    join_full(co, "g", "", NULL, "consumer", "range", true, 10000, &p);
    assert_int_equal(a.called + b.called, 0); /* initial delay runs */
    lm[0].member_id = "";       /* by instance id (KIP-345 admin leave) */
    lm[0].instance_id = "inst-a";
    lm[1].member_id = p.member; /* a pending id */
    lm[1].instance_id = NULL;
    lm[2].member_id = "ghost";
    lm[2].instance_id = NULL;
    lm[3].member_id = "wrong-id";
    lm[3].instance_id = "inst-a"; /* gone by now: unknown */
    assert_int_equal(kf_group_leave(co, "g", 4, lm, errs), 0);
    assert_int_equal(errs[0], 0);
    assert_int_equal(errs[1], 0);
    assert_int_equal(errs[2], KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(errs[3], KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(a.err, KF_GROUP_ERR_UNKNOWN_MEMBER_ID); /* its join */
    kf_group_tick(co);
    assert_int_equal(b.called, 1);
    assert_int_equal(b.gen, 1);
    assert_int_equal(kf_group_leave(co, "none", 1, lm + 2, errs), 0);
    assert_int_equal(errs[0], KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    kf_group_coord_free(co);
}

static void test_restore_and_offsets(void **state)
{
    kf_group_coord_t                     *co = mk(0, 100);
    const struct kf_group_restore_member  m[2] = {
        { "m1", NULL, "c1", "/h", 30000, 10000, (const uint8_t *)"m:range", 7,
          (const uint8_t *)"a1", 2 },
        { "m2", "i2", "c2", "/h", 30000, 10000, (const uint8_t *)"m:range", 7,
          (const uint8_t *)"a2", 2 },
    };
    struct kf_group_offset        o = { "t", 3, 42, -1, "meta", 1000, -1 };
    const struct kf_group_offset *got;
    struct sres                   s;
    struct jres                   j;

    (void)state;
    kf_group_restore(co, "g", "consumer", 7, "range", "m2", 5, 2, m);
    assert_int_equal(state_of(co), KF_GROUP_STABLE);
    assert_string_equal(kf_group_find(co, "g")->leader, "m2");
    assert_int_equal(kf_group_heartbeat(co, "g", "m1", NULL, 7), 0);
    sync2(co, "m2", "i2", 7, 0, NULL, NULL, &s);
    assert_string_equal(s.a, "a2");
    /* a follower rejoining with the same metadata: same generation */
    join_full(co, "g", "m1", NULL, "consumer", "range", false, 10000, &j);
    assert_int_equal(j.called, 1);
    assert_int_equal(j.gen, 7);

    kf_group_offset_put(co, "g", &o);
    o.offset = 43;
    kf_group_offset_put(co, "g", &o);
    got = kf_group_offset_get(co, "g", "t", 3);
    assert_non_null(got);
    assert_int_equal(got->offset, 43);
    assert_string_equal(got->metadata, "meta");
    assert_null(kf_group_offset_get(co, "g", "t", 4));
    assert_int_equal(kf_group_offset_del(co, "g", "t", 3), 0);
    assert_int_equal(kf_group_offset_del(co, "g", "t", 3), ERR_NOTFOUND);
    /* offsets alone create an Empty group (loading from the log) */
    kf_group_offset_put(co, "lonely", &o);
    assert_int_equal(kf_group_find(co, "lonely")->state, KF_GROUP_EMPTY);
    kf_group_coord_free(co);
}

static void count_group(void *arg, const struct kf_group *g)
{
    (void)g;
    (*(int *)arg)++;
}

static void test_many_groups(void **state)
{
    kf_group_coord_t *co = mk(0, 100);
    char              name[32];
    int               i, n = 0;

    (void)state;
    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "grp-%d", i);
        assert_int_equal(kf_group_commit_check(co, name, "", NULL, -1), 0);
    }
    assert_int_equal(kf_group_count(co), 1000);
    kf_group_each(co, count_group, &n);
    assert_int_equal(n, 1000);
    assert_non_null(kf_group_find(co, "grp-999"));
    for (i = 0; i < 1000; i += 2) {
        snprintf(name, sizeof name, "grp-%d", i);
        assert_int_equal(kf_group_delete(co, name), 0);
    }
    assert_int_equal(kf_group_count(co), 500);
    assert_null(kf_group_find(co, "grp-0"));
    assert_non_null(kf_group_find(co, "grp-1"));
    kf_group_coord_free(co);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_event_table),
        cmocka_unit_test(test_two_join_one_leaves_rejoin),
        cmocka_unit_test(test_static_member_restart),
        cmocka_unit_test(test_mixed_protocols),
        cmocka_unit_test(test_session_expiry),
        cmocka_unit_test(test_silent_rejoiner_dropped),
        cmocka_unit_test(test_pending_and_new_member_timeouts),
        cmocka_unit_test(test_limits_and_checks),
        cmocka_unit_test(test_batch_leave_and_pending),
        cmocka_unit_test(test_restore_and_offsets),
        cmocka_unit_test(test_many_groups),
    };

    return cmocka_run_group_tests_name("kf_group", tests, NULL, NULL);
}
