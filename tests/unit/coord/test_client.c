/* lib/zk/zk_client against the real coord server, both on one libuv loop:
 * every op, watches, multi, a dropped connection (re-attach with the same
 * session, watches re-registered with SetWatches), session expiry (a new
 * session follows) and close (ephemerals go at once). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "zk_client.h"
#include "zk_server.h"

static uv_loop_t        loop;
static struct zk_server srv;
static struct zk_config zc;
static char             dir[256];
static char             connect_str[64];

struct got {
    int              calls;
    struct zk_result r;
    char             path[256];
    char             data[256];
    int32_t          nchildren;
    char             kids[8][64];
    struct zk_stat   st;
    int32_t          op_errs[8];
};

static int  states[16], nstates;
static int  watch_types[16], nwatch;
static char watch_paths[16][64];

static void on_state(zk_client_t *c, enum zk_client_state st, void *arg)
{
    (void)c, (void)arg;
    if (nstates < 16)
        states[nstates++] = st;
}

static void on_watch(zk_client_t *c, int32_t type, const char *path, void *arg)
{
    (void)c, (void)arg;
    if (nwatch < 16) {
        watch_types[nwatch] = type;
        snprintf(watch_paths[nwatch], sizeof watch_paths[0], "%s", path);
        nwatch++;
    }
}

static void cb(zk_client_t *c, const struct zk_result *r, void *arg)
{
    struct got *g = arg;
    int32_t     i;

    (void)c;
    g->calls++;
    g->r = *r;
    if (r->path)
        snprintf(g->path, sizeof g->path, "%s", r->path);
    if (r->acl && r->nacl > 0)
        assert_int_equal(r->acl[0].perms, ZK_PERM_ALL);
    if (r->data && r->dlen >= 0 && r->dlen < 255) {
        memcpy(g->data, r->data, (size_t)r->dlen);
        g->data[r->dlen] = 0;
    }
    if (r->stat)
        g->st = *r->stat;
    g->nchildren = r->nchildren;
    for (i = 0; i < r->nchildren && i < 8; i++)
        snprintf(g->kids[i], sizeof g->kids[0], "%s", r->children[i]);
    for (i = 0; i < r->nops && i < 8; i++)
        g->op_errs[i] = r->ops[i].err;
}

static bool run_until(int *flag, int want, int ms)
{
    int64_t end = clock_mono_ms() + ms;

    while (*flag < want && clock_mono_ms() < end)
        uv_run(&loop, UV_RUN_ONCE);
    return *flag >= want;
}

static void wait_got(struct got *g)
{
    assert_true(run_until(&g->calls, 1, 5000));
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/odradek-zkclient-XXXXXX");
    assert_non_null(mkdtemp(dir));
    uv_loop_init(&loop);
    memset(&zc, 0, sizeof zc);
    zc.data_dir = dir;
    zc.data_log_dir = "";
    zc.client_port = 0;
    zc.client_port_address = "127.0.0.1";
    zc.tick_time = 100;
    zc.min_session_timeout = -1;
    zc.max_session_timeout = -1;
    zc.snap_count = 100000;
    zc.prealloc_kb = 1024;
    zc.force_sync = false;
    zc.purge_retain = 3;
    zc.whitelist = "*";
    zc.jute_maxbuffer = 1 << 20;
    zc.super_digest = "";
    assert_int_equal(zk_server_start(&srv, &loop, &zc), 0);
    snprintf(connect_str, sizeof connect_str, "127.0.0.1:%d", zk_server_port(&srv));
    nstates = nwatch = 0;
    return 0;
}

static int stopped;

static void on_stopped(struct zk_server *s)
{
    (void)s;
    stopped = 1;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    stopped = 0;
    zk_server_stop(&srv, on_stopped);
    run_until(&stopped, 1, 5000);
    uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&loop), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static zk_client_t *open_client(int timeout_ms, const char *chroot)
{
    struct zk_client_opts o = { 0 };
    zk_client_t          *c;
    char                  cs[128];

    snprintf(cs, sizeof cs, "%s%s", connect_str, chroot ? chroot : "");
    o.connect = cs;
    o.session_timeout_ms = timeout_ms;
    o.on_state = on_state;
    o.on_watch = on_watch;
    assert_int_equal(zk_client_new(&loop, &o, &c), 0);
    return c;
}

static int closed;

static void on_closed(void *arg)
{
    (void)arg;
    closed++;
}

static void close_client(zk_client_t *c)
{
    int before = closed;

    zk_client_close(c, on_closed, NULL);
    assert_true(run_until(&closed, before + 1, 5000));
}

static void test_ops(void **state)
{
    zk_client_t         *c = open_client(4000, NULL);
    struct got           g = { 0 };
    struct zk_client_op  ops[3];

    (void)state;
    /* queued while connecting, sent once connected */
    assert_int_equal(zk_client_create(c, "/a", "v1", 2, 0, cb, &g), 0);
    assert_int_equal(g.calls, 0); /* never from inside the call */
    wait_got(&g);
    assert_int_equal(g.r.err, 0);
    assert_string_equal(g.path, "/a");
    assert_int_equal(zk_client_state(c), ZK_CLIENT_CONNECTED);
    assert_true(zk_client_session_id(c) != 0);
    assert_int_equal(zk_client_session_timeout(c), 2000); /* max 20 ticks */

    memset(&g, 0, sizeof g);
    zk_client_get(c, "/a", false, cb, &g);
    wait_got(&g);
    assert_string_equal(g.data, "v1");
    assert_int_equal(g.st.version, 0);

    memset(&g, 0, sizeof g);
    zk_client_set(c, "/a", "v2", 2, 0, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, 0);
    assert_int_equal(g.st.version, 1);
    memset(&g, 0, sizeof g);
    zk_client_set(c, "/a", "v3", 2, 0, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, ZK_EBADVERSION);

    memset(&g, 0, sizeof g);
    zk_client_create(c, "/a/s-", NULL, -1, ZK_FLAG_SEQUENTIAL | ZK_FLAG_EPHEMERAL, cb, &g);
    wait_got(&g);
    assert_string_equal(g.path, "/a/s-0000000000");

    memset(&g, 0, sizeof g);
    zk_client_children(c, "/a", false, cb, &g);
    wait_got(&g);
    assert_int_equal(g.nchildren, 1);
    assert_string_equal(g.kids[0], "s-0000000000");
    assert_int_equal(g.st.num_children, 1);

    memset(&g, 0, sizeof g);
    zk_client_exists(c, "/nope", false, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, ZK_ENONODE);

    /* multi: all or nothing */
    memset(ops, 0, sizeof ops);
    ops[0].type = ZK_OP_CHECK;
    ops[0].path = "/a";
    ops[0].version = 1;
    ops[1].type = ZK_OP_CREATE;
    ops[1].path = "/a/m";
    ops[1].data = "x";
    ops[1].dlen = 1;
    ops[2].type = ZK_OP_SET_DATA;
    ops[2].path = "/a";
    ops[2].data = "v4";
    ops[2].dlen = 2;
    ops[2].version = 1;
    memset(&g, 0, sizeof g);
    zk_client_multi(c, ops, 3, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, 0);
    assert_int_equal(g.r.nops, 3);
    ops[0].version = 99;
    ops[1].path = "/a/m2";
    memset(&g, 0, sizeof g);
    zk_client_multi(c, ops, 3, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, ZK_EBADVERSION);
    assert_int_equal(g.op_errs[0], ZK_EBADVERSION);
    assert_int_equal(g.op_errs[1], ZK_ERUNTIMEINCONSISTENCY);

    /* ACLs: read back, then set (aversion 0 -> 1) */
    {
        struct zk_acl acl[1] = { { ZK_PERM_READ | ZK_PERM_ADMIN,
                                   { (const uint8_t *)"world", 5 },
                                   { (const uint8_t *)"anyone", 6 } } };

        memset(&g, 0, sizeof g);
        zk_client_get_acl(c, "/a", cb, &g);
        wait_got(&g);
        assert_int_equal(g.r.err, 0);
        assert_int_equal(g.st.aversion, 0);
        memset(&g, 0, sizeof g);
        zk_client_set_acl(c, "/a/m", acl, 1, 0, cb, &g);
        wait_got(&g);
        assert_int_equal(g.r.err, 0);
        assert_int_equal(g.st.aversion, 1);
        memset(&g, 0, sizeof g);
        zk_client_set(c, "/a/m", "w", 1, -1, cb, &g);
        wait_got(&g);
        assert_int_equal(g.r.err, ZK_ENOAUTH);
    }
    memset(&g, 0, sizeof g);
    zk_client_delete(c, "/a/m", -1, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, 0);
    assert_int_equal(zk_client_get(c, "relative", false, cb, &g), ERR_MALFORMED);
    close_client(c);
    /* the ephemeral went with the closed session */
    assert_null(zk_tree_find(&srv.tree, "/a/s-0000000000", 15));
}

static void test_watches_survive_reconnect(void **state)
{
    zk_client_t *c = open_client(4000, NULL);
    zk_client_t *w = open_client(4000, NULL);
    struct got   g = { 0 };
    int64_t      sid;

    (void)state;
    zk_client_create(c, "/w", "0", 1, 0, cb, &g);
    wait_got(&g);
    memset(&g, 0, sizeof g);
    zk_client_get(w, "/w", true, cb, &g);
    wait_got(&g);
    memset(&g, 0, sizeof g);
    zk_client_exists(w, "/w2", true, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, ZK_ENONODE);
    sid = zk_client_session_id(w);
    /* drop w's connection from the server side */
    {
        struct zk_sess *se = zk_tree_session(&srv.tree, sid)->data;

        conn_close(se->cnx->c, ERR_CLOSED);
    }
    nstates = 0;
    /* a change while w is away: SetWatches(relZxid) fires it on return */
    memset(&g, 0, sizeof g);
    zk_client_set(c, "/w", "1", 1, -1, cb, &g);
    wait_got(&g);
    assert_true(run_until(&nwatch, 1, 5000));
    assert_int_equal(watch_types[0], ZK_EVENT_DATA_CHANGED);
    assert_string_equal(watch_paths[0], "/w");
    assert_int_equal(zk_client_session_id(w), sid); /* same session */
    /* the exist watch was re-registered and fires on create */
    memset(&g, 0, sizeof g);
    zk_client_create(c, "/w2", NULL, -1, 0, cb, &g);
    wait_got(&g);
    assert_true(run_until(&nwatch, 2, 5000));
    assert_int_equal(watch_types[1], ZK_EVENT_CREATED);
    assert_string_equal(watch_paths[1], "/w2");
    close_client(c);
    close_client(w);
}

static void test_expiry_starts_new_session(void **state)
{
    zk_client_t *c = open_client(200, "/chroot");
    struct got   g = { 0 };
    int64_t      sid;
    int          i, saw_expired = 0;

    (void)state;
    /* chroot must exist server-side: create it with a plain client */
    {
        zk_client_t *p = open_client(4000, NULL);

        zk_client_create(p, "/chroot", NULL, -1, 0, cb, &g);
        wait_got(&g);
        close_client(p);
    }
    memset(&g, 0, sizeof g);
    zk_client_create(c, "/e", NULL, -1, ZK_FLAG_EPHEMERAL, cb, &g);
    wait_got(&g);
    assert_int_equal(g.r.err, 0);
    assert_string_equal(g.path, "/e"); /* chroot stripped */
    assert_non_null(zk_tree_find(&srv.tree, "/chroot/e", 9));
    sid = zk_client_session_id(c);
    /* make the server forget the session: expire it directly */
    {
        struct zk_sess *se = zk_tree_session(&srv.tree, sid)->data;

        se->deadline = 0;
    }
    nstates = 0;
    /* CONNECTING (dropped), EXPIRED (re-attach refused), CONNECTING, CONNECTED */
    assert_true(run_until(&nstates, 4, 5000));
    for (i = 0; i < nstates; i++)
        if (states[i] == ZK_CLIENT_EXPIRED)
            saw_expired = 1;
    assert_true(saw_expired);
    assert_int_equal(states[nstates - 1], ZK_CLIENT_CONNECTED);
    assert_true(zk_client_session_id(c) != sid);
    assert_null(zk_tree_find(&srv.tree, "/chroot/e", 9));
    close_client(c);
}

/* A server that is not there: requests wait, close fails them with
 * ZK_ECLOSING, the client is freed (no leak, no late callback). */
static void test_close_while_connecting(void **state)
{
    struct zk_client_opts o = { 0 };
    zk_client_t          *c;
    struct got            g = { 0 };
    int                   before = closed, i;

    (void)state;
    o.connect = "127.0.0.1:1,localhost:1";
    o.on_state = on_state;
    o.session_timeout_ms = 4000;
    o.connect_timeout_ms = 200;
    assert_int_equal(zk_client_new(&loop, &o, &c), 0);
    assert_int_equal(zk_client_get(c, "/x", false, cb, &g), 0);
    for (i = 0; i < 20; i++)
        uv_run(&loop, UV_RUN_NOWAIT); /* a few refused attempts */
    assert_int_equal(g.calls, 0);
    assert_int_equal(zk_client_state(c), ZK_CLIENT_CONNECTING);
    nstates = 0;
    zk_client_close(c, on_closed, NULL);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.r.err, ZK_ECLOSING);
    assert_int_equal(nstates, 1);
    assert_int_equal(states[0], ZK_CLIENT_CLOSED);
    assert_true(run_until(&closed, before + 1, 5000));
    assert_int_equal(zk_client_new(&loop, &(struct zk_client_opts){ .connect = "no-port" }, &c),
                     ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watches_survive_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_starts_new_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_while_connecting, setup, teardown),
    };

    return cmocka_run_group_tests_name("zk_client", tests, NULL, NULL);
}
