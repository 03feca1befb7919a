/* kf_offsets: golden bytes of each __consumer_offsets record version,
 * round trips, hostile inputs, Java String.hashCode vectors (computed
 * independently over UTF-16 code units) and the expiry rule. */
#include "cmocka_all.h"

#include <string.h>

#include "err.h"
#include "kf_offsets.h"

static slice_t S(const char *s)
{
    slice_t r = { (const uint8_t *)s, s ? (int32_t)strlen(s) : -1 };

    return r;
}

static const slice_t NUL = { NULL, -1 };

static void expect_bytes(const buf_t *b, const uint8_t *want, size_t n)
{
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, want, n);
}

static void test_key_golden(void **state)
{
    static const uint8_t k1[] = { 0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3 };
    static const uint8_t k2[] = { 0, 2, 0, 2, 'g', 'g' };
    buf_t                b = BUF_INIT;
    struct kf_offsets_key k;

    (void)state;
    assert_int_equal(kf_offsets_key_commit_put(&b, 1, S("g"), S("t"), 3), 0);
    expect_bytes(&b, k1, sizeof k1);
    assert_int_equal(kf_offsets_key_get(b.data, b.len, &k), 0);
    assert_int_equal(k.version, 1);
    assert_true(slice_eq(k.group, "g"));
    assert_true(slice_eq(k.topic, "t"));
    assert_int_equal(k.partition, 3);
    buf_reset(&b);
    assert_int_equal(kf_offsets_key_group_put(&b, S("gg")), 0);
    expect_bytes(&b, k2, sizeof k2);
    assert_int_equal(kf_offsets_key_get(b.data, b.len, &k), 0);
    assert_int_equal(k.version, 2);
    assert_true(slice_eq(k.group, "gg"));
    assert_int_equal(k.partition, -1);
    buf_reset(&b);
    assert_int_equal(kf_offsets_key_commit_put(&b, 0, S("g"), S("t"), 3), 0);
    assert_int_equal(kf_offsets_key_get(b.data, b.len, &k), 0);
    assert_int_equal(k.version, 0);
    assert_int_equal(kf_offsets_key_commit_put(&b, 2, S("g"), S("t"), 3),
                     ERR_UNSUPPORTED);
    buf_free(&b);
}

static void test_commit_values(void **state)
{
    /* v3: offset 0x0102, epoch 5, metadata "md", commit ts 0x10 */
    static const uint8_t v3[] = { 0, 3, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 5,
                                  0, 2, 'm', 'd', 0, 0, 0, 0, 0, 0, 0, 0x10 };
    /* v1: offset 7, "", commit 1, expire 2 */
    static const uint8_t v1[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
                                  0, 0, 0, 2 };
    struct kf_offsets_commit c = { 3, 0x0102, 5, S("md"), 0x10, -1 };
    struct kf_offsets_commit d;
    buf_t                    b = BUF_INIT;
    int16_t                  ver;

    (void)state;
    assert_int_equal(kf_offsets_commit_version(&c), 3);
    assert_int_equal(kf_offsets_commit_put(&b, &c), 0);
    expect_bytes(&b, v3, sizeof v3);
    assert_int_equal(kf_offsets_commit_get(b.data, b.len, &d), 0);
    assert_int_equal(d.offset, 0x0102);
    assert_int_equal(d.leader_epoch, 5);
    assert_true(slice_eq(d.metadata, "md"));
    assert_int_equal(d.commit_ts, 0x10);
    assert_int_equal(d.expire_ts, -1);

    c = (struct kf_offsets_commit){ 1, 7, -1, S(""), 1, 2 };
    assert_int_equal(kf_offsets_commit_version(&c), 1);
    buf_reset(&b);
    assert_int_equal(kf_offsets_commit_put(&b, &c), 0);
    expect_bytes(&b, v1, sizeof v1);
    assert_int_equal(kf_offsets_commit_get(b.data, b.len, &d), 0);
    assert_int_equal(d.expire_ts, 2);
    assert_int_equal(d.leader_epoch, -1);

    /* every version round-trips */
    for (ver = 0; ver <= 3; ver++) {
        c = (struct kf_offsets_commit){ ver, 99, 4, S("x"), 123, 456 };
        buf_reset(&b);
        assert_int_equal(kf_offsets_commit_put(&b, &c), 0);
        assert_int_equal(kf_offsets_commit_get(b.data, b.len, &d), 0);
        assert_int_equal(d.version, ver);
        assert_int_equal(d.offset, 99);
        assert_int_equal(d.commit_ts, 123);
        assert_int_equal(d.leader_epoch, ver >= 3 ? 4 : -1);
        assert_int_equal(d.expire_ts, ver == 1 ? 456 : -1);
        assert_int_equal(b.len, 2 + 8 + 2 + 1 + 8 + (ver == 1 ? 8 : 0) +
                                    (ver == 3 ? 4 : 0));
    }
    c.version = 4;
    assert_int_equal(kf_offsets_commit_put(&b, &c), ERR_UNSUPPORTED);
    buf_free(&b);
}

static void test_group_values(void **state)
{
    /* v3, one static member, as Kafka 2.3+ writes it */
    static const uint8_t g3[] = {
        0, 3,                                   /* version */
        0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',
        0, 0, 0, 4,                             /* generation */
        0, 5, 'r', 'a', 'n', 'g', 'e',          /* protocol */
        0, 2, 'm', '1',                         /* leader */
        0, 0, 0, 0, 0, 0, 0, 9,                 /* state timestamp */
        0, 0, 0, 1,                             /* members */
        0, 2, 'm', '1', 0, 2, 'i', '1',         /* member, instance */
        0, 1, 'c', 0, 2, '/', 'h',              /* client id, host */
        0, 0, 0x75, 0x30, 0, 0, 0x27, 0x10,     /* 30000, 10000 */
        0, 0, 0, 1, 'S', 0, 0, 0, 2, 'A', 'A',  /* subscription, assign */
    };
    struct kf_offsets_member m = { S("m1"), S("i1"), S("c"), S("/h"),
                                   30000, 10000, S("S"), S("AA") };
    struct kf_offsets_group  g = { 3, S("consumer"), 4, S("range"), S("m1"),
                                   9, 1, &m };
    struct kf_offsets_group  d;
    buf_t                    b = BUF_INIT;
    arena_t                  a;
    int16_t                  ver;

    (void)state;
    arena_init(&a);
    assert_int_equal(kf_offsets_group_put(&b, &g), 0);
    expect_bytes(&b, g3, sizeof g3);
    assert_int_equal(kf_offsets_group_get(b.data, b.len, &a, &d), 0);
    assert_int_equal(d.nmembers, 1);
    assert_true(slice_eq(d.members[0].instance_id, "i1"));
    assert_true(slice_eq(d.members[0].assignment, "AA"));
    assert_int_equal(d.members[0].rebalance_ms, 30000);
    assert_int_equal(d.state_ts, 9);

    for (ver = 0; ver <= 3; ver++) {
        g.version = ver;
        buf_reset(&b);
        assert_int_equal(kf_offsets_group_put(&b, &g), 0);
        assert_int_equal(kf_offsets_group_get(b.data, b.len, &a, &d), 0);
        assert_int_equal(d.version, ver);
        assert_int_equal(d.generation, 4);
        assert_true(slice_eq(d.protocol, "range"));
        assert_true(slice_eq(d.members[0].subscription, "S"));
        assert_int_equal(d.members[0].session_ms, 10000);
        assert_int_equal(d.members[0].rebalance_ms, ver >= 1 ? 30000 : 10000);
        assert_int_equal(d.members[0].instance_id.n, ver >= 3 ? 2 : -1);
        assert_int_equal(d.state_ts, ver >= 2 ? 9 : -1);
    }
    /* an Empty group: null protocol and leader, no members */
    g = (struct kf_offsets_group){ 3, S("consumer"), 5, NUL, NUL, 1, 0, NULL };
    buf_reset(&b);
    assert_int_equal(kf_offsets_group_put(&b, &g), 0);
    assert_int_equal(kf_offsets_group_get(b.data, b.len, &a, &d), 0);
    assert_int_equal(d.protocol.n, -1);
    assert_int_equal(d.leader.n, -1);
    assert_int_equal(d.nmembers, 0);
    buf_free(&b);
    arena_free(&a);
}

/* Each row: hostile bytes for one decoder and the error it must give. */
static const struct {
    const char *name;
    int         which; /* 0 key, 1 commit value, 2 group value */
    uint8_t     in[40];
    size_t      len;
    int         want;
} bad[] = {
    { "empty key", 0, { 0 }, 0, ERR_SHORT },
    { "one byte", 0, { 0 }, 1, ERR_SHORT },
    { "key v3", 0, { 0, 3, 0, 0 }, 4, ERR_UNSUPPORTED },
    { "key v-1", 0, { 0xff, 0xff }, 2, ERR_UNSUPPORTED },
    { "key null group", 0, { 0, 2, 0xff, 0xff }, 4, ERR_MALFORMED },
    { "key trailing", 0, { 0, 2, 0, 0, 9 }, 5, ERR_MALFORMED },
    { "key long string", 0, { 0, 2, 0x7f, 0xff, 'a' }, 5, ERR_SHORT },
    { "key v1 no partition", 0, { 0, 1, 0, 0, 0, 0, 0, 0 }, 8, ERR_SHORT },
    { "key bad length", 0, { 0, 2, 0xff, 0xfe }, 4, ERR_MALFORMED },
    { "commit v9", 1, { 0, 9 }, 2, ERR_UNSUPPORTED },
    { "commit short", 1, { 0, 3, 0, 0, 0, 0 }, 6, ERR_SHORT },
    { "commit null metadata", 1,
      { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 },
      20, ERR_MALFORMED },
    { "commit trailing", 1,
      { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 },
      21, ERR_MALFORMED },
    { "group v4", 2, { 0, 4 }, 2, ERR_UNSUPPORTED },
    { "group 2^31-1 members", 2,
      { 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff,
        0xff },
      16, ERR_SHORT },
    { "group null members", 2,
      { 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff },
      16, ERR_MALFORMED },
    { "group negative members", 2,
      { 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0 },
      16, ERR_MALFORMED },
    { "group member null assignment", 2,
      { 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff },
      34, ERR_MALFORMED },
    { "group member lying bytes", 2,
      { 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0, 0, 0, 0, 0, 0, 0 },
      34, ERR_SHORT },
};

static void test_hostile(void **state)
{
    size_t                   i;
    arena_t                  a;
    struct kf_offsets_key    k;
    struct kf_offsets_commit c;
    struct kf_offsets_group  g;

    (void)state;
    arena_init(&a);
    for (i = 0; i < N_ELEMS(bad); i++) {
        int rc;

        print_message("case: %s\n", bad[i].name);
        if (bad[i].which == 0)
            rc = kf_offsets_key_get(bad[i].in, bad[i].len, &k);
        else if (bad[i].which == 1)
            rc = kf_offsets_commit_get(bad[i].in, bad[i].len, &c);
        else
            rc = kf_offsets_group_get(bad[i].in, bad[i].len, &a, &g);
        assert_int_equal(rc, bad[i].want);
    }
    assert_true(a.total < 4096); /* no lying count allocated */
    arena_free(&a);
}

/* Expected values computed over UTF-16 code units (as Java does). */
static const struct {
    const char *s;
    int32_t     hash;
    int32_t     part50;
} hashes[] = {
    { "", 0, 0 },
    { "a", 97, 47 },
    { "hello", 99162322, 22 },
    { "my_group", -475040212, 12 },
    { "polygenelubricants", INT32_MIN, 0 }, /* Utils.abs(MIN_VALUE) = 0 */
    { "console-consumer-12345", 158455506, 6 },
    { "gr\xc3\xbc\xc3\x9f" "e", 98768023, 23 },
    { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 25921943, 43 },
    { "\xf0\x9f\x98\x80", 1772899, 49 },               /* surrogate pair */
    { "group-\xf0\x9f\x98\x80-x", -1358452452, 2 },
    { "Aa", 2112, 12 },
    { "BB", 2112, 12 },
    /* malformed UTF-8: U+FFFD per maximal subpart */
    { "a\xff" "b\xe2\x82" "c\xf0\x9f\x98", -1060414767, -1 },
};

static void test_java_hash(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(hashes); i++) {
        print_message("hash: %zu\n", i);
        assert_int_equal(kf_offsets_java_hash((const uint8_t *)hashes[i].s,
                                              strlen(hashes[i].s)),
                         hashes[i].hash);
        if (hashes[i].part50 >= 0)
            assert_int_equal(kf_offsets_partition_for(hashes[i].s, 50),
                             hashes[i].part50);
    }
    assert_int_equal(kf_offsets_partition_for("my_group", 1), 0);
}

static void test_expiry(void **state)
{
    const int64_t day = 86400000, ret = 7 * day;

    (void)state;
    /* simple consumer: from the commit */
    assert_false(kf_offsets_expired(ret - 1, ret, 0, -1,
                                    KF_OFFSETS_OWNER_SIMPLE, -1, false));
    assert_true(kf_offsets_expired(ret, ret, 0, -1, KF_OFFSETS_OWNER_SIMPLE,
                                   -1, false));
    /* Empty group: from when it became Empty, not from the commit */
    assert_false(kf_offsets_expired(ret + day, ret, 0, -1,
                                    KF_OFFSETS_OWNER_EMPTY, 2 * day, false));
    assert_true(kf_offsets_expired(ret + 2 * day, ret, 0, -1,
                                   KF_OFFSETS_OWNER_EMPTY, 2 * day, false));
    assert_true(kf_offsets_expired(ret, ret, 0, -1, KF_OFFSETS_OWNER_EMPTY,
                                   -1, false)); /* old metadata */
    /* an active consumer group keeps offsets of subscribed topics */
    assert_false(kf_offsets_expired(100 * day, ret, 0, -1,
                                    KF_OFFSETS_OWNER_CONSUMER, -1, true));
    assert_true(kf_offsets_expired(100 * day, ret, 0, -1,
                                   KF_OFFSETS_OWNER_CONSUMER, -1, false));
    assert_false(kf_offsets_expired(100 * day, ret, 0, -1,
                                    KF_OFFSETS_OWNER_OTHER, -1, false));
    /* explicit expire timestamp (OffsetCommit v1) decides alone */
    assert_true(kf_offsets_expired(50, ret, 0, 50, KF_OFFSETS_OWNER_SIMPLE,
                                   -1, false));
    assert_false(kf_offsets_expired(49, ret, 0, 50, KF_OFFSETS_OWNER_SIMPLE,
                                    -1, false));
    /* a client's absurd commit timestamp does not overflow */
    assert_true(kf_offsets_expired(1000, ret, INT64_MIN, -1,
                                   KF_OFFSETS_OWNER_SIMPLE, -1, false));
    assert_false(kf_offsets_expired(1000, ret, INT64_MAX, -1,
                                    KF_OFFSETS_OWNER_SIMPLE, -1, false));
}

static void test_subscribes(void **state)
{
    /* ConsumerProtocol Subscription v0: topics ["a", "bb"], user data null */
    static const uint8_t sub[] = { 0, 0, 0, 0, 0, 2, 0, 1, 'a', 0, 2,
                                   'b', 'b', 0xff, 0xff, 0xff, 0xff };

    (void)state;
    assert_true(kf_offsets_subscribes(sub, sizeof sub, "a"));
    assert_true(kf_offsets_subscribes(sub, sizeof sub, "bb"));
    assert_false(kf_offsets_subscribes(sub, sizeof sub, "b"));
    assert_true(kf_offsets_subscribes(sub, 3, "zzz")); /* undecodable */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_golden),
        cmocka_unit_test(test_commit_values),
        cmocka_unit_test(test_group_values),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_java_hash),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_subscribes),
    };

    return cmocka_run_group_tests_name("kf_offsets", tests, NULL, NULL);
}
