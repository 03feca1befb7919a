/* kf_zkjson: reading Kafka's znode JSON shapes and hostile inputs; the
 * string escaper. */
#include "cmocka_all.h"

#include <string.h>

#include "buf.h"
#include "err.h"
#include "kf_zkjson.h"

static int count_cb(void *arg, const char *key, slice_t val)
{
    (void)key;
    (void)val;
    (*(int *)arg)++;
    return 0;
}

static void test_kafka_shapes(void **state)
{
    static const char topic[] =
        "{\"version\":3,\"partitions\":{\"0\":[1,2],\"1\":[2,1]},"
        "\"adding_replicas\":{},\"removing_replicas\":{},\"topic_id\":\"abc\"}";
    static const char reg[] =
        " { \"listener_security_protocol_map\" : {\"PLAINTEXT\":\"PLAINTEXT\"},"
        "\"endpoints\":[\"PLAINTEXT://"
        "h:9092\"],\"jmx_port\":-1,\"features\":{},"
        "\"host\":\"h\",\"timestamp\":\"1700000000000\",\"port\":9092,"
        "\"version\":5}\n";
    slice_t v;
    int64_t x;
    char    s[64];
    int     n = 0;
    int32_t len;

    (void)state;
    assert_int_equal(kf_zkjson_member((const uint8_t *)topic, strlen(topic),
                                      "partitions", &v),
                     0);
    assert_int_equal(kf_zkjson_each(v, count_cb, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(
        kf_zkjson_member((const uint8_t *)topic, strlen(topic), "topic_id", &v),
        0);
    assert_int_equal(kf_zkjson_str(v, s, sizeof s), 0);
    assert_string_equal(s, "abc");
    assert_int_equal(
        kf_zkjson_member((const uint8_t *)topic, strlen(topic), "nope", &v),
        ERR_NOTFOUND);
    assert_int_equal(
        kf_zkjson_member((const uint8_t *)reg, strlen(reg), "jmx_port", &v), 0);
    assert_int_equal(kf_zkjson_int(v, &x), 0);
    assert_int_equal(x, -1);
    assert_int_equal(
        kf_zkjson_member((const uint8_t *)reg, strlen(reg), "timestamp", &v),
        0);
    assert_int_equal(kf_zkjson_int(v, &x), 0); /* a number in a string */
    assert_int_equal(x, 1700000000000LL);
    assert_int_equal(
        kf_zkjson_member((const uint8_t *)reg, strlen(reg), "endpoints", &v),
        0);
    assert_int_equal(kf_zkjson_array_len(v, &len), 0);
    assert_int_equal(len, 1);
}

static void test_hostile(void **state)
{
    static const char *const bad[] = {
        "",
        "{",
        "}",
        "[]",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":\"unterminated}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{a:1}",
        "{\"a\":[1,2}",
        "{\"a\":{\"b\":}}",
        "\"str\"",
        "{\"a\":\"ctl\x01\"}",
        "{\"a\":1}}",
    };
    char    deep[200];
    slice_t v;
    size_t  i;

    (void)state;
    for (i = 0; i < N_ELEMS(bad); i++) {
        int     n = 0;
        slice_t o = {(const uint8_t *)bad[i], (int32_t)strlen(bad[i])};

        print_message("case: %s\n", bad[i]);
        assert_true(kf_zkjson_each(o, count_cb, &n) < 0 ||
                    /* trailing garbage after a complete object is ignored
                     * by each(); member() on it still works */
                    strcmp(bad[i], "{\"a\":1}}") == 0);
    }
    /* nesting deeper than the cap is refused, not recursed into */
    memset(deep, '[', sizeof deep);
    memcpy(deep, "{\"a\":", 5);
    assert_true(kf_zkjson_member((const uint8_t *)deep, sizeof deep, "a", &v) <
                0);
    /* integers: overflow, junk */
    {
        static const char *const ints[] = {
            "99999999999999999999", "1.5", "-", "\"\"", "\"12", "1e3", "abc"};
        int64_t x;

        for (i = 0; i < N_ELEMS(ints); i++) {
            slice_t s = {(const uint8_t *)ints[i], (int32_t)strlen(ints[i])};

            assert_int_equal(kf_zkjson_int(s, &x), ERR_MALFORMED);
        }
    }
    /* a bad escape is caught when the string is read */
    {
        char    out[16];
        slice_t s = {(const uint8_t *)"\"\\u12\"", 6};

        assert_int_equal(kf_zkjson_str(s, out, sizeof out), ERR_MALFORMED);
    }
    /* a string that does not fit */
    {
        char    small[4];
        slice_t s = {(const uint8_t *)"\"abcdef\"", 8};

        assert_int_equal(kf_zkjson_str(s, small, sizeof small), ERR_TOO_BIG);
    }
}

static void test_escape_roundtrip(void **state)
{
    buf_t   b = BUF_INIT;
    char    out[64];
    slice_t v;

    (void)state;
    buf_puts(&b, "{\"k\":");
    kf_zkjson_put_str(&b, "a\"b\\c\n\x01");
    buf_puts(&b, "}");
    assert_int_equal(kf_zkjson_member(b.data, b.len, "k", &v), 0);
    assert_int_equal(kf_zkjson_str(v, out, sizeof out), 0);
    assert_string_equal(out, "a\"b\\c\n\x01");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_shapes),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_escape_roundtrip),
    };

    return cmocka_run_group_tests_name("kf_zkjson", tests, NULL, NULL);
}
