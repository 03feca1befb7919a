/* The default partitioner: Kafka's Utils.murmur2 and toPositive(h) % n.
 * The expected hashes are the Java client's (UtilsTest.testMurmur2, and
 * kafka-python's kafka.partitioner.default.murmur2 for the rest), so a
 * keyed record lands where a Java, kafka-python or kcat (murmur2_random)
 * producer would put it. */
#include "cmocka_all.h"

#include <string.h>

#include "cli_kafka.h"

static const struct {
    const char *key;
    int32_t     hash;
    int32_t     p3;  /* partition of 3 (kafka-python's choice) */
    int32_t     p10;
} rows[] = {
    { "21", -973932308, 0, 0 },
    { "foobar", -790332482, 0, 6 },
    { "a-little-bit-long-string", -985981536, 2, 2 },
    { "a-little-bit-longer-string", -1486304829, 2, 9 },
    { "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971, 2, 7 },
    { "abc", 479470107, 0, 7 },
    { "a", -1563381124, 1, 4 },
    { "b", -1853091852, 2, 6 },
    { "c", -1877468854, 1, 4 },
    { "d", 284602193, 2, 3 },
    { "", 275646681, 0, 1 },
};

static void test_murmur2(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        print_message("key: '%s'\n", rows[i].key);
        assert_int_equal(cli_murmur2((const uint8_t *)rows[i].key, strlen(rows[i].key)),
                         rows[i].hash);
    }
}

static void test_partition(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        const uint8_t *k = (const uint8_t *)rows[i].key;
        size_t         n = strlen(rows[i].key);
        uint32_t       pos = (uint32_t)rows[i].hash & 0x7fffffffU;

        print_message("key: '%s'\n", rows[i].key);
        assert_int_equal(cli_kafka_partition_for(k, n, 3), (int32_t)(pos % 3));
        assert_int_equal(cli_kafka_partition_for(k, n, 3), rows[i].p3);
        assert_int_equal(cli_kafka_partition_for(k, n, 10), rows[i].p10);
        assert_int_equal(cli_kafka_partition_for(k, n, 10), (int32_t)(pos % 10));
        assert_int_equal(cli_kafka_partition_for(k, n, 1), 0);
        assert_int_equal(cli_kafka_partition_for(k, n, 0), 0); /* no partitions: no crash */
    }
    assert_int_equal(cli_kafka_partition_for((const uint8_t *)"a", 1, 3), 1);
    assert_int_equal(cli_kafka_partition_for((const uint8_t *)"b", 1, 3), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_murmur2),
        cmocka_unit_test(test_partition),
    };

    return cmocka_run_group_tests_name("cli_murmur2", tests, NULL, NULL);
}
