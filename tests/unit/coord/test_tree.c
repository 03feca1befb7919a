/* Unit tests for daemon/coord/zk_tree (and zk_acl): ZooKeeper 3.8's
 * semantics for every op the tree executes, checked through the replies
 * it encodes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "zk_tree.h"

#define S(z) ((slice_t){ (const uint8_t *)(z), (int32_t)strlen(z) })

static zk_tree_t t;
static arena_t   a;
static buf_t     out;
static int64_t   zxid;
static struct zk_acl open_acl[1] = { { 31, { (const uint8_t *)"world", 5 },
                                       { (const uint8_t *)"anyone", 6 } } };

static int setup(void **state)
{
    (void)state;
    zk_tree_init(&t);
    zxid = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zk_tree_free(&t);
    arena_free(&a);
    buf_free(&out);
    return 0;
}

static int32_t run(struct zk_req *q, int64_t session, const struct zk_auth *auth)
{
    struct zk_txn tx = { 0, 1000 + zxid, session, q };
    int32_t       err;

    if (zk_jute_op_is_write(q->type))
        tx.zxid = ++zxid;
    buf_reset(&out);
    zk_tree_events_clear(&t);
    err = zk_tree_exec(&t, &tx, auth, &a, &out);
    return err;
}

static int32_t create(const char *path, const char *data, int flags, int64_t sess)
{
    struct zk_req q = { 0 };

    q.type = ZK_OP_CREATE;
    q.path = S(path);
    q.data = data ? S(data) : (slice_t){ NULL, -1 };
    q.acl = open_acl;
    q.nacl = 1;
    q.flags = flags;
    return run(&q, sess, NULL);
}

static int32_t simple(int32_t type, const char *path, int32_t version)
{
    struct zk_req q = { 0 };

    q.type = type;
    q.path = S(path);
    q.version = version;
    return run(&q, 0, NULL);
}

static void stat_of(const char *path, struct zk_stat *st)
{
    struct zk_node *n = zk_tree_find(&t, path, strlen(path));

    memset(st, 0, sizeof *st); /* padding, for memory compares */
    assert_non_null(n);
    zk_tree_stat(n, st);
}

static void test_fresh_tree(void **state)
{
    rd_t    r;
    slice_t s;

    (void)state;
    assert_int_equal(zk_tree_node_count(&t), 5); /* mntr zk_znode_count */
    assert_int_equal(simple(ZK_OP_GET_CHILDREN, "/", 0), ZK_OK);
    r = rd_init(out.data, out.len);
    assert_int_equal(rd_i32(&r), 1);
    s = rd_bytes(&r, false);
    assert_true(slice_eq(s, "zookeeper"));
    assert_int_equal(simple(ZK_OP_GET_CHILDREN, "/zookeeper", 0), ZK_OK);
    assert_int_equal(out.data[3], 2); /* config, quota */
}

static void test_create_stat_and_sequential(void **state)
{
    struct zk_stat st;
    rd_t           r;

    (void)state;
    assert_int_equal(create("/t1", "v", 0, 0), ZK_OK);
    r = rd_init(out.data, out.len);
    assert_true(slice_eq(rd_bytes(&r, false), "/t1"));
    assert_int_equal(create("/t1/a", NULL, 0, 0), ZK_OK);
    /* sequential suffix = the parent's cversion (1 after one create) */
    assert_int_equal(create("/t1/seq-", "", 2, 0), ZK_OK);
    r = rd_init(out.data, out.len);
    assert_true(slice_eq(rd_bytes(&r, false), "/t1/seq-0000000001"));
    stat_of("/t1", &st);
    assert_int_equal(st.cversion, 2);
    assert_int_equal(st.num_children, 2);
    assert_int_equal(st.pzxid, 3);
    assert_int_equal(st.czxid, 1);
    assert_int_equal(st.data_length, 1);
    /* the suffix counts child creates only (the stored cversion); clients
     * see cversion = creates + deletes (2 * creates - children) */
    assert_int_equal(simple(ZK_OP_DELETE, "/t1/a", -1), ZK_OK);
    stat_of("/t1", &st);
    assert_int_equal(st.cversion, 3);
    assert_int_equal(st.pzxid, 4);
    assert_int_equal(create("/t1/seq-", "", 2, 0), ZK_OK);
    r = rd_init(out.data, out.len);
    assert_true(slice_eq(rd_bytes(&r, false), "/t1/seq-0000000002"));
    stat_of("/t1", &st);
    assert_int_equal(st.cversion, 4);
    assert_int_equal(st.pzxid, 5);
    /* a fresh server shows "/" at -1 and "/zookeeper" at -2 (measured) */
    stat_of("/", &st);
    assert_int_equal(st.cversion, 2 * 1 - 2);
    stat_of("/zookeeper", &st);
    assert_int_equal(st.cversion, -2);
}

static void test_errors(void **state)
{
    (void)state;
    assert_int_equal(create("/a", "", 0, 0), ZK_OK);
    assert_int_equal(create("/a", "", 0, 0), ZK_ENODEEXISTS);
    assert_int_equal(create("/x/y", "", 0, 0), ZK_ENONODE);
    assert_int_equal(create("bad/path", "", 0, 0), ZK_ENONODE); /* measured */
    assert_int_equal(create("/a/", "", 0, 0), ZK_EBADARGUMENTS);
    assert_int_equal(create("/a//b", "", 0, 0), ZK_ENONODE); /* parent "/a/" */
    assert_int_equal(create("/a/./b", "", 0, 0), ZK_ENONODE);
    assert_int_equal(create("/a/.", "", 0, 0), ZK_EBADARGUMENTS);
    assert_int_equal(create("/a/b", "", 9, 0), ZK_EBADARGUMENTS);
    assert_int_equal(create("/a/b", "", 4, 0), ZK_EBADARGUMENTS); /* container via create */
    assert_int_equal(create("/a/b", "", 0, 0), ZK_OK);
    assert_int_equal(simple(ZK_OP_DELETE, "/a", -1), ZK_ENOTEMPTY);
    assert_int_equal(simple(ZK_OP_DELETE, "/a/b", 3), ZK_EBADVERSION);
    assert_int_equal(simple(ZK_OP_DELETE, "/zookeeper", -1), ZK_EBADARGUMENTS);
    assert_int_equal(simple(ZK_OP_DELETE, "/nope", -1), ZK_ENONODE);
    assert_int_equal(simple(ZK_OP_GET_DATA, "/nope", 0), ZK_ENONODE);
    assert_int_equal(out.len, 0); /* error replies have no body */
    assert_int_equal(simple(ZK_OP_EXISTS, "/nope", 0), ZK_ENONODE);
    assert_int_equal(simple(ZK_OP_CHECK, "/a", 1), ZK_EBADVERSION);
    assert_int_equal(simple(ZK_OP_CHECK, "/a", 0), ZK_OK);
    /* a failed write still consumed its zxid */
    assert_int_equal(t.zxid, zxid);
}

static void test_set_data_versions(void **state)
{
    struct zk_req  q = { 0 };
    struct zk_stat st;

    (void)state;
    assert_int_equal(create("/s", "1", 0, 0), ZK_OK);
    q.type = ZK_OP_SET_DATA;
    q.path = S("/s");
    q.data = S("22");
    q.version = 0;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    assert_int_equal(out.len, ZK_STAT_WIRE);
    assert_int_equal(t.nev, 1);
    assert_int_equal(t.ev[0].type, ZK_EVENT_DATA_CHANGED);
    assert_int_equal(run(&q, 0, NULL), ZK_EBADVERSION);
    q.version = -1;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    stat_of("/s", &st);
    assert_int_equal(st.version, 2);
    assert_int_equal(st.czxid, 1);
    assert_int_equal(st.mzxid, 4);
    assert_int_equal(st.data_length, 2);
}

static void test_ephemerals_and_sessions(void **state)
{
    struct zk_req q = { 0 };
    uint8_t       pw[16] = { 0 };
    rd_t          r;

    (void)state;
    /* an ephemeral needs a live session */
    assert_int_equal(create("/e", "", 1, 42), ZK_ESESSIONEXPIRED);
    q.type = ZK_OP_CREATE_SESSION;
    q.mode = 10000;
    q.data = (slice_t){ pw, 16 };
    assert_int_equal(run(&q, 42, NULL), ZK_OK);
    assert_int_equal(create("/p", "", 0, 0), ZK_OK);
    assert_int_equal(create("/p/e", "", 1, 42), ZK_OK);
    assert_int_equal(create("/p/e/x", "", 0, 42), ZK_ENOCHILDRENFOREPHEMERALS);
    assert_int_equal(create("/p/es", "", 3, 42), ZK_OK);
    memset(&q, 0, sizeof q);
    q.type = ZK_OP_GET_EPHEMERALS;
    q.path = S("/p");
    assert_int_equal(run(&q, 42, NULL), ZK_OK);
    r = rd_init(out.data, out.len);
    assert_int_equal(rd_i32(&r), 2);
    assert_int_equal(t.neph, 2);
    memset(&q, 0, sizeof q);
    q.type = ZK_OP_CLOSE_SESSION;
    assert_int_equal(run(&q, 42, NULL), ZK_OK);
    assert_null(zk_tree_find(&t, "/p/e", 4));
    assert_null(zk_tree_session(&t, 42));
    assert_int_equal(t.neph, 0);
    /* each ephemeral: NodeDeleted + parent's NodeChildrenChanged */
    assert_int_equal(t.nev, 4);
    assert_int_equal(t.ev[0].type, ZK_EVENT_DELETED);
    assert_int_equal(t.ev[1].type, ZK_EVENT_CHILDREN_CHANGED);
    assert_string_equal(t.ev[1].path, "/p");
}

static void test_multi_ok_and_fail(void **state)
{
    struct zk_req ops[3] = { 0 }, q = { 0 };
    rd_t          r;
    int           i;

    (void)state;
    ops[0].type = ZK_OP_CREATE;
    ops[0].path = S("/mp");
    ops[0].acl = open_acl;
    ops[0].nacl = 1;
    ops[1].type = ZK_OP_SET_DATA;
    ops[1].path = S("/mp");
    ops[1].data = S("d");
    ops[1].version = 0;
    ops[2].type = ZK_OP_CHECK;
    ops[2].path = S("/mp");
    ops[2].version = 1;
    q.type = ZK_OP_MULTI;
    q.ops = ops;
    q.nops = 3;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    r = rd_init(out.data, out.len);
    assert_int_equal(rd_i32(&r), ZK_OP_CREATE);
    assert_false(rd_bool(&r));
    assert_int_equal(rd_i32(&r), 0);
    assert_true(slice_eq(rd_bytes(&r, false), "/mp"));
    assert_int_equal(rd_i32(&r), ZK_OP_SET_DATA);
    rd_skip(&r, 5 + ZK_STAT_WIRE);
    assert_int_equal(rd_i32(&r), ZK_OP_CHECK);
    rd_skip(&r, 5);
    assert_int_equal(rd_i32(&r), -1);
    assert_true(rd_bool(&r));
    assert_int_equal(rd_i32(&r), -1);
    assert_int_equal(rd_left(&r), 0);

    /* [create /mp2, check /nonexist, setData /mp2]: reply err 0, all undone */
    ops[0].path = S("/mp2");
    ops[1].type = ZK_OP_CHECK;
    ops[1].path = S("/nonexist");
    ops[1].version = 0;
    ops[2].type = ZK_OP_SET_DATA;
    ops[2].path = S("/mp2");
    ops[2].version = -1;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    assert_null(zk_tree_find(&t, "/mp2", 4));
    assert_int_equal(t.nev, 0);
    r = rd_init(out.data, out.len);
    for (i = 0; i < 3; i++) {
        int32_t want = i == 0 ? 0 : i == 1 ? ZK_ENONODE : ZK_ERUNTIMEINCONSISTENCY;

        assert_int_equal(rd_i32(&r), -1);
        assert_false(rd_bool(&r));
        assert_int_equal(rd_i32(&r), want);
        assert_int_equal(rd_i32(&r), want);
    }
    assert_int_equal(rd_i32(&r), -1);
    /* a failed multi consumed a zxid */
    assert_int_equal(t.zxid, zxid);
}

static void test_multi_rollback_delete_and_set(void **state)
{
    struct zk_req  ops[3] = { 0 }, q = { 0 };
    struct zk_stat before, after;

    (void)state;
    assert_int_equal(create("/r", "orig", 0, 0), ZK_OK);
    assert_int_equal(create("/r/k", "", 0, 0), ZK_OK);
    stat_of("/r", &before);
    ops[0].type = ZK_OP_SET_DATA;
    ops[0].path = S("/r");
    ops[0].data = S("new");
    ops[0].version = -1;
    ops[1].type = ZK_OP_DELETE;
    ops[1].path = S("/r/k");
    ops[1].version = -1;
    ops[2].type = ZK_OP_CREATE;
    ops[2].path = S("/r");        /* exists: fails */
    ops[2].acl = open_acl;
    ops[2].nacl = 1;
    q.type = ZK_OP_MULTI;
    q.ops = ops;
    q.nops = 3;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    assert_non_null(zk_tree_find(&t, "/r/k", 4));
    stat_of("/r", &after);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(simple(ZK_OP_GET_DATA, "/r", 0), ZK_OK);
    assert_int_equal(out.data[3], 4); /* "orig" */
    assert_memory_equal(out.data + 4, "orig", 4);
    /* a multi that creates a parent then its child works in one go */
    ops[0].type = ZK_OP_CREATE;
    ops[0].path = S("/r/n");
    ops[0].acl = open_acl;
    ops[0].nacl = 1;
    ops[1].type = ZK_OP_CREATE;
    ops[1].path = S("/r/n/m");
    ops[1].acl = open_acl;
    ops[1].nacl = 1;
    q.nops = 2;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    assert_non_null(zk_tree_find(&t, "/r/n/m", 6));
}

static void test_acl_digest_and_checks(void **state)
{
    char           id[128];
    struct zk_acl  acl[1] = { { ZK_PERM_READ | ZK_PERM_CREATE, S("digest"), { 0 } } };
    struct zk_auth alice = { 0 }, bob = { 0 };
    struct zk_req  q = { 0 };
    rd_t           r;

    (void)state;
    assert_int_equal(zk_acl_digest("user:pass", 9, id, sizeof id), 0);
    assert_string_equal(id, "user:smGaoVKd/cQkjm7b88GyorAUz20=");
    assert_int_equal(zk_acl_digest("super:test", 10, id, sizeof id), 0);
    assert_string_equal(id, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
    assert_int_equal(zk_acl_digest("nocolon", 7, id, sizeof id), ERR_MALFORMED);

    zk_acl_digest("alice:pw", 8, id, sizeof id);
    acl[0].id = S(id);
    zk_acl_auth_add(&alice, "ip", "127.0.0.1");
    zk_acl_auth_add(&alice, "digest", id);
    zk_acl_auth_add(&bob, "ip", "127.0.0.1");
    q.type = ZK_OP_CREATE;
    q.path = S("/sec");
    q.data = S("s");
    q.acl = acl;
    q.nacl = 1;
    assert_int_equal(run(&q, 0, &alice), ZK_OK);
    assert_int_equal(simple(ZK_OP_GET_DATA, "/sec", 0), ZK_OK); /* NULL = trusted */
    memset(&q, 0, sizeof q);
    q.type = ZK_OP_GET_DATA;
    q.path = S("/sec");
    assert_int_equal(run(&q, 0, &bob), ZK_ENOAUTH);
    assert_int_equal(run(&q, 0, &alice), ZK_OK);
    q.type = ZK_OP_EXISTS; /* no ACL check on exists */
    assert_int_equal(run(&q, 0, &bob), ZK_OK);
    q.type = ZK_OP_SET_DATA;
    q.version = -1;
    assert_int_equal(run(&q, 0, &alice), ZK_ENOAUTH); /* no WRITE */
    /* getACL by a reader without ADMIN masks the hash */
    q.type = ZK_OP_GET_ACL;
    assert_int_equal(run(&q, 0, &alice), ZK_OK);
    r = rd_init(out.data, out.len);
    assert_int_equal(rd_i32(&r), 1);
    rd_i32(&r);
    assert_true(slice_eq(rd_bytes(&r, false), "digest"));
    assert_true(slice_eq(rd_bytes(&r, false), "alice:x"));
    /* "auth" resolves to the session's digest ids; none -> INVALIDACL */
    acl[0].scheme = S("auth");
    acl[0].id = S("");
    memset(&q, 0, sizeof q);
    q.type = ZK_OP_CREATE;
    q.path = S("/sec/child");
    q.acl = acl;
    q.nacl = 1;
    assert_int_equal(run(&q, 0, &bob), ZK_EINVALIDACL);
    assert_int_equal(run(&q, 0, &alice), ZK_OK);
    assert_string_equal(zk_tree_find(&t, "/sec/child", 10)->acl->v[0].scheme, "digest");
    /* ip ACLs with a mask */
    acl[0].scheme = S("ip");
    acl[0].id = S("10.1.0.0/16");
    acl[0].perms = ZK_PERM_ALL;
    q.path = S("/ipnode");
    q.acl = acl; /* the last fixup pointed q.acl into the arena */
    q.nacl = 1;
    assert_int_equal(run(&q, 0, &bob), ZK_OK);
    zk_acl_auth_free(&bob);
    zk_acl_auth_add(&bob, "ip", "10.1.2.3");
    memset(&q, 0, sizeof q);
    q.type = ZK_OP_GET_DATA;
    q.path = S("/ipnode");
    q.acl = acl; /* the last fixup pointed q.acl into the arena */
    q.nacl = 1;
    assert_int_equal(run(&q, 0, &bob), ZK_OK);
    zk_acl_auth_free(&bob);
    zk_acl_auth_add(&bob, "ip", "10.2.2.3");
    assert_int_equal(run(&q, 0, &bob), ZK_ENOAUTH);
    /* bad ACLs */
    acl[0].scheme = S("world");
    acl[0].id = S("someone");
    memset(&q, 0, sizeof q);
    q.type = ZK_OP_CREATE;
    q.path = S("/bad");
    q.acl = acl;
    q.nacl = 1;
    assert_int_equal(run(&q, 0, NULL), ZK_EINVALIDACL);
    q.nacl = 0;
    assert_int_equal(run(&q, 0, NULL), ZK_EINVALIDACL);
    zk_acl_auth_free(&alice);
    zk_acl_auth_free(&bob);
}

static void test_containers_and_ttl(void **state)
{
    struct zk_req q = { 0 };
    buf_t         paths = BUF_INIT;

    (void)state;
    q.type = ZK_OP_CREATE_CONTAINER;
    q.path = S("/c");
    q.acl = open_acl;
    q.nacl = 1;
    q.flags = ZK_FLAG_CONTAINER;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    assert_int_equal(out.len, 4 + 2 + ZK_STAT_WIRE); /* Create2Response */
    zk_tree_reapable(&t, 0, &paths);
    assert_int_equal(paths.len, 0); /* never had a child */
    assert_int_equal(create("/c/k", "", 0, 0), ZK_OK);
    assert_int_equal(simple(ZK_OP_DELETE, "/c/k", -1), ZK_OK);
    zk_tree_reapable(&t, 0, &paths);
    assert_string_equal((char *)paths.data, "/c");
    /* createTTL: UNIMPLEMENTED unless extended types are enabled */
    q.type = ZK_OP_CREATE_TTL;
    q.path = S("/ttl");
    q.flags = ZK_FLAG_TTL;
    q.ttl = 100;
    assert_int_equal(run(&q, 0, NULL), ZK_EUNIMPLEMENTED);
    t.extended_types = true;
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    buf_reset(&paths);
    zk_tree_reapable(&t, 1000 + zxid + 50, &paths);
    assert_int_equal(paths.len, 3); /* only "/c" */
    zk_tree_reapable(&t, 1000 + zxid + 500, &paths);
    assert_string_equal((char *)paths.data + 3, "/ttl");
    buf_free(&paths);
}

static void test_all_children_and_walk_order(void **state)
{
    struct zk_req q = { 0 };

    (void)state;
    assert_int_equal(create("/w", "", 0, 0), ZK_OK);
    assert_int_equal(create("/w/a", "", 0, 0), ZK_OK);
    assert_int_equal(create("/w/a/b", "", 0, 0), ZK_OK);
    assert_int_equal(create("/w/c", "", 0, 0), ZK_OK);
    q.type = ZK_OP_GET_ALL_CHILDREN_NUMBER;
    q.path = S("/w");
    assert_int_equal(run(&q, 0, NULL), ZK_OK);
    assert_int_equal(out.data[3], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_stat_and_sequential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_data_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ephemerals_and_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_ok_and_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_rollback_delete_and_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acl_digest_and_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_containers_and_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_children_and_walk_order, setup, teardown),
    };

    return cmocka_run_group_tests_name("zk_tree", tests, NULL, NULL);
}
