/* Unit tests for lib/zk/zk_jute: request round trips through the op table,
 * hostile bodies, the handshake records and reply framing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "zk_jute.h"

#define S(z) ((slice_t){ (const uint8_t *)(z), (int32_t)sizeof(z) - 1 })

static void roundtrip(struct zk_req *q, struct zk_req *back, arena_t *a, buf_t *b)
{
    rd_t r;

    buf_reset(b);
    assert_int_equal(zk_jute_req_encode(b, q), 0);
    r = rd_init(b->data, b->len);
    memset(back, 0, sizeof *back);
    back->type = q->type;
    assert_int_equal(zk_jute_req_decode(&r, back, a), 0);
    assert_int_equal(rd_left(&r), 0);
}

static void test_create_roundtrip(void **state)
{
    struct zk_acl acl[2] = { { 31, S("world"), S("anyone") },
                             { 1, S("digest"), S("u:h") } };
    struct zk_req q = { 0 }, back;
    arena_t       a = { 0 };
    buf_t         b = BUF_INIT;

    (void)state;
    q.type = ZK_OP_CREATE;
    q.path = S("/a/b");
    q.data = S("hello");
    q.acl = acl;
    q.nacl = 2;
    q.flags = 3;
    roundtrip(&q, &back, &a, &b);
    assert_true(slice_eq(back.path, "/a/b"));
    assert_true(slice_eq(back.data, "hello"));
    assert_int_equal(back.nacl, 2);
    assert_int_equal(back.acl[1].perms, 1);
    assert_true(slice_eq(back.acl[1].id, "u:h"));
    assert_int_equal(back.flags, 3);
    /* exact bytes: path, data, acl vector, flags */
    assert_int_equal(b.len, 4 + 4 + 4 + 5 + 4 + (4 + 4 + 5 + 4 + 6) + (4 + 4 + 6 + 4 + 3) + 4);
    buf_free(&b);
    arena_free(&a);
}

static void test_multi_roundtrip(void **state)
{
    struct zk_req ops[3] = { 0 }, q = { 0 }, back;
    arena_t       a = { 0 };
    buf_t         b = BUF_INIT;

    (void)state;
    ops[0].type = ZK_OP_CHECK;
    ops[0].path = S("/c");
    ops[0].version = 7;
    ops[1].type = ZK_OP_SET_DATA;
    ops[1].path = S("/s");
    ops[1].data = S("x");
    ops[1].version = -1;
    ops[2].type = ZK_OP_DELETE;
    ops[2].path = S("/d");
    ops[2].version = 2;
    q.type = ZK_OP_MULTI;
    q.ops = ops;
    q.nops = 3;
    roundtrip(&q, &back, &a, &b);
    assert_int_equal(back.nops, 3);
    assert_int_equal(back.ops[0].type, ZK_OP_CHECK);
    assert_int_equal(back.ops[0].version, 7);
    assert_true(slice_eq(back.ops[1].data, "x"));
    assert_int_equal(back.ops[2].version, 2);
    /* the end marker is {-1, true, -1} */
    assert_int_equal(b.data[b.len - 5], 1);
    buf_free(&b);
    arena_free(&a);
}

static void test_set_watches2_roundtrip(void **state)
{
    slice_t       d[2] = { S("/x"), S("/y") }, r[1] = { S("/r") };
    struct zk_req q = { 0 }, back;
    arena_t       a = { 0 };
    buf_t         b = BUF_INIT;

    (void)state;
    q.type = ZK_OP_SET_WATCHES2;
    q.rel_zxid = 0x1234;
    q.wl[ZK_WL_DATA].v = d;
    q.wl[ZK_WL_DATA].n = 2;
    q.wl[ZK_WL_PERSISTENT_RECURSIVE].v = r;
    q.wl[ZK_WL_PERSISTENT_RECURSIVE].n = 1;
    roundtrip(&q, &back, &a, &b);
    assert_int_equal(back.rel_zxid, 0x1234);
    assert_int_equal(back.wl[ZK_WL_DATA].n, 2);
    assert_true(slice_eq(back.wl[ZK_WL_DATA].v[1], "/y"));
    assert_int_equal(back.wl[ZK_WL_CHILD].n, 0);
    assert_true(slice_eq(back.wl[ZK_WL_PERSISTENT_RECURSIVE].v[0], "/r"));
    buf_free(&b);
    arena_free(&a);
}

/* Hostile bodies: each must fail cleanly without allocating its claim. */
static const struct {
    const char *name;
    int32_t     type;
    uint8_t     in[32];
    size_t      len;
    int         want;
} hostile[] = {
    { "empty getData", ZK_OP_GET_DATA, { 0 }, 0, ERR_SHORT },
    { "path longer than body", ZK_OP_GET_DATA, { 0, 0, 0, 9, '/', 'a' }, 6, ERR_SHORT },
    { "huge acl count", ZK_OP_CREATE,
      { 0, 0, 0, 1, '/', 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff }, 13, ERR_SHORT },
    { "negative acl count", ZK_OP_CREATE,
      { 0, 0, 0, 1, '/', 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe }, 13, ERR_MALFORMED },
    { "multi without end", ZK_OP_MULTI, { 0, 0, 0, 13, 0, 0xff, 0xff, 0xff, 0xff }, 9,
      ERR_SHORT },
    { "multi with a read op", ZK_OP_MULTI, { 0, 0, 0, 4, 0, 0xff, 0xff, 0xff, 0xff }, 9,
      ERR_UNSUPPORTED },
    { "unknown op", 55, { 0 }, 0, ERR_UNSUPPORTED },
    { "huge watch list", ZK_OP_SET_WATCHES,
      { 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0 }, 12, ERR_SHORT },
};

static void test_hostile(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        arena_t       a = { 0 };
        struct zk_req q = { 0 };
        rd_t          r = rd_init(hostile[i].in, hostile[i].len);

        print_message("case: %s\n", hostile[i].name);
        q.type = hostile[i].type;
        assert_int_equal(zk_jute_req_decode(&r, &q, &a), hostile[i].want);
        assert_true(a.total < 4096); /* nothing sized by the claim */
        arena_free(&a);
    }
}

static void test_connect(void **state)
{
    struct zk_connect_req  q = { 0 }, back;
    struct zk_connect_resp s = { 0 }, sb;
    uint8_t                pw[16] = { 1, 2, 3 };
    buf_t                  b = BUF_INIT;

    (void)state;
    q.last_zxid = 77;
    q.timeout = 30000;
    q.session_id = 0x100000000000abcLL;
    q.passwd = (slice_t){ pw, 16 };
    q.has_read_only = true;
    zk_jute_connect_req_encode(&b, &q);
    assert_int_equal(b.len, 45); /* measured: ConnectRequest frame 45 */
    assert_int_equal(zk_jute_connect_req_decode(b.data, b.len, &back), 0);
    assert_int_equal(back.timeout, 30000);
    assert_true(back.has_read_only);
    /* old clients omit readOnly */
    assert_int_equal(zk_jute_connect_req_decode(b.data, b.len - 1, &back), 0);
    assert_false(back.has_read_only);
    assert_int_equal(back.session_id, 0x100000000000abcLL);
    buf_reset(&b);
    s.timeout = 4000;
    s.session_id = 9;
    memcpy(s.passwd, pw, 16);
    zk_jute_connect_resp_encode(&b, &s, true);
    assert_int_equal(b.len, 37); /* measured: ConnectResponse 37 */
    assert_int_equal(zk_jute_connect_resp_decode(b.data, b.len, &sb), 0);
    assert_int_equal(sb.session_id, 9);
    assert_int_equal(sb.passwd[2], 3);
    buf_free(&b);
}

static void test_reply_and_event(void **state)
{
    static const uint8_t want_err[] = { 0, 0, 0, 16, 0, 0, 0, 3, 0, 0, 0, 0, 0, 2,
                                        0xbf, 0x4d, 0xff, 0xff, 0xff, 0x9b };
    buf_t  b = BUF_INIT;
    size_t at;

    (void)state;
    /* Appendix A: getData /nonexist -> 16 bytes, no body */
    at = zk_jute_reply_begin(&b, 3, 0x2bf4d, ZK_ENONODE);
    buf_frame_end(&b, at);
    assert_int_equal(b.len, sizeof want_err);
    assert_memory_equal(b.data, want_err, sizeof want_err);
    buf_reset(&b);
    zk_jute_event_frame(&b, ZK_EVENT_DATA_CHANGED, 3, "/t1", 3);
    assert_int_equal(b.len, 4 + 16 + 4 + 4 + 4 + 3);
    assert_int_equal(b.data[7], 0xff); /* xid -1 */
    assert_int_equal(b.data[15], 0xff); /* zxid -1 */
    buf_free(&b);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(zk_jute_op_name(ZK_OP_GET_CHILDREN2), "getChildren2");
    assert_string_equal(zk_jute_op_name(999), "?");
    assert_string_equal(zk_jute_err_name(ZK_ENONODE), "NONODE");
    assert_true(zk_jute_op_is_write(ZK_OP_MULTI));
    assert_false(zk_jute_op_is_write(ZK_OP_GET_DATA));
    assert_false(zk_jute_op_is_write(ZK_OP_MULTI_READ));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_roundtrip),
        cmocka_unit_test(test_multi_roundtrip),
        cmocka_unit_test(test_set_watches2_roundtrip),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_reply_and_event),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests_name("zk_jute", tests, NULL, NULL);
}
