/* The consumer protocol bytes the CLI reads and writes (subscription,
 * assignment), the range assignor, and the /brokers/ids JSON reader —
 * table-driven, with hostile rows. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "cli_kafka.h"
#include "err.h"

static slice_t sl(const char *s)
{
    slice_t x = { (const uint8_t *)s, (int32_t)strlen(s) };

    return x;
}

/* Range over members given out of order: expected partitions per member
 * in member-id order ("a" < "b" < "c" ...). */
static const struct {
    const char *name;
    const char *ids[6];     /* given order */
    bool        sub[6];
    int32_t     nparts;
    const char *want[6];    /* after sorting by id: "0,1,2" */
} range_rows[] = {
    { "8 over 3", { "c", "a", "b" }, { 1, 1, 1 }, 8, { "0,1,2", "3,4,5", "6,7" } },
    { "even split", { "b", "a" }, { 1, 1 }, 4, { "0,1", "2,3" } },
    { "more members than partitions", { "e", "d", "c", "b", "a" }, { 1, 1, 1, 1, 1 }, 2,
      { "0", "1", "", "", "" } },
    { "unsubscribed gets nothing", { "a", "b", "c" }, { 1, 0, 1 }, 3, { "0,1", "", "2" } },
    { "no partitions", { "a", "b" }, { 1, 1 }, 0, { "", "" } },
    { "one member takes all", { "only" }, { 1 }, 5, { "0,1,2,3,4" } },
    { "nobody subscribed", { "a", "b" }, { 0, 0 }, 3, { "", "" } },
};

static void parts_str(slice_t as, int32_t nparts, char *out, size_t n)
{
    int32_t *parts;
    int      np;

    assert_int_equal(cli_consume_assignment_parts(as, "t", nparts, &parts, &np), 0);
    out[0] = '\0';
    for (int i = 0; i < np; i++)
        snprintf(out + strlen(out), n - strlen(out), i ? ",%d" : "%d", parts[i]);
    free(parts);
}

static void test_range(void **state)
{
    (void)state;
    for (size_t r = 0; r < N_ELEMS(range_rows); r++) {
        struct cli_gmember m[6];
        int                nm = 0;

        print_message("case: %s\n", range_rows[r].name);
        memset(m, 0, sizeof m);
        while (nm < 6 && range_rows[r].ids[nm] != NULL) {
            m[nm].id = sl(range_rows[r].ids[nm]);
            m[nm].subscribed = range_rows[r].sub[nm];
            nm++;
        }
        cli_consume_range(m, nm, "t", range_rows[r].nparts);
        for (int i = 0; i < nm; i++) {
            slice_t as = { m[i].assignment.data, (int32_t)m[i].assignment.len };
            char    got[64];

            if (i > 0) /* sorted by member id */
                assert_true(memcmp(m[i - 1].id.p, m[i].id.p, 1) < 0 ||
                            m[i - 1].id.n < m[i].id.n);
            parts_str(as, range_rows[r].nparts, got, sizeof got);
            assert_string_equal(got, range_rows[r].want[i]);
            buf_free(&m[i].assignment);
        }
    }
}

/* Hand-built assignments: version, [topic, [partitions]], user data. */
static const struct {
    const char *name;
    uint8_t     in[48];
    size_t      len;
    int         rc;
    const char *want;
} asg_rows[] = {
    { "one topic", { 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1,
                     0xff, 0xff, 0xff, 0xff }, 25, 0, "3,1" },
    { "other topic ignored", { 0, 0, 0, 0, 0, 2, 0, 1, 'u', 0, 0, 0, 1, 0, 0, 0, 0,
                               0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 2 }, 28, 0, "2" },
    { "out of range dropped", { 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 9,
                                0xff, 0xff, 0xff, 0xff }, 21, 0, "" },
    { "empty = nothing", { 0 }, 0, 0, "" },
    { "truncated in partitions", { 0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 1 }, 17,
      ERR_SHORT, "" },
    { "count bigger than the bytes", { 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1, 't' }, 9,
      ERR_SHORT, "" },
    { "negative count", { 0, 0, 0xff, 0xff, 0xff, 0xf0 }, 6, ERR_MALFORMED, "" },
    { "topic name runs off the end", { 0, 0, 0, 0, 0, 1, 0, 9, 't' }, 9, ERR_SHORT, "" },
};

static void test_assignment_rows(void **state)
{
    (void)state;
    for (size_t r = 0; r < N_ELEMS(asg_rows); r++) {
        slice_t  as = { asg_rows[r].in, (int32_t)asg_rows[r].len };
        int32_t *parts;
        int      n;
        char     got[64] = "";

        print_message("case: %s\n", asg_rows[r].name);
        assert_int_equal(cli_consume_assignment_parts(as, "t", 4, &parts, &n),
                         asg_rows[r].rc);
        for (int i = 0; i < n; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), i ? ",%d" : "%d", parts[i]);
        assert_string_equal(got, asg_rows[r].want);
        free(parts);
    }
}

static void test_subscription(void **state)
{
    static const uint8_t two[] = { 0, 1, 0, 0, 0, 2, 0, 1, 'x', 0, 1, 't', 0xff, 0xff, 0xff,
                                   0xff };
    static const uint8_t lying[] = { 0, 0, 0x7f, 0, 0, 0, 0, 1, 't' };
    slice_t              a = { two, sizeof two }, b = { lying, sizeof lying };
    slice_t              none = { NULL, -1 };

    (void)state;
    assert_true(cli_consume_subscribes(a, "t"));
    assert_true(cli_consume_subscribes(a, "x"));
    assert_false(cli_consume_subscribes(a, "y"));
    assert_false(cli_consume_subscribes(b, "t"));
    assert_false(cli_consume_subscribes(none, "t"));
}

static const struct {
    const char *json;
    const char *want; /* NULL: not found */
} zk_rows[] = {
    { "{\"endpoints\":[\"PLAINTEXT://h1:9092\"],\"host\":\"x\",\"port\":1}", "h1:9092" },
    { "{\"endpoints\" : [ \"SASL_PLAINTEXT://h2:9093\" ],\"host\":null,\"port\":-1}",
      "h2:9093" },
    { "{\"host\": \"h3\", \"port\": 9094, \"version\": 4}", "h3:9094" },
    { "{\"endpoints\":[],\"host\":\"h4\",\"port\":9095}", "h4:9095" },
    { "{\"host\":null,\"port\":-1}", NULL },
    { "{\"endpoints\":[\"PLAINTEXT://\"]}", NULL },
    { "{\"endpoints\":[],\"x\":\"PLAINTEXT://h5:1\"}", NULL },
    { "", NULL },
    { "{\"host\":\"unterminated,\"port\":", NULL },
};

static void test_zk_broker_json(void **state)
{
    (void)state;
    for (size_t r = 0; r < N_ELEMS(zk_rows); r++) {
        buf_t out = BUF_INIT;
        bool  ok = cli_kafka_zk_broker_addr(zk_rows[r].json, &out);

        print_message("json: %s\n", zk_rows[r].json);
        assert_int_equal(ok, zk_rows[r].want != NULL);
        if (ok)
            assert_string_equal(buf_cstr(&out), zk_rows[r].want);
        buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_assignment_rows),
        cmocka_unit_test(test_subscription),
        cmocka_unit_test(test_zk_broker_json),
    };

    return cmocka_run_group_tests_name("cli_assign", tests, NULL, NULL);
}
