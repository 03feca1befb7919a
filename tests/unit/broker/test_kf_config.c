/* kf_config and kf_pid_check: the tutorial's server.properties (with its
 * trailing comments) loads with Kafka's defaults filled in; the derived
 * values follow Kafka's precedence rules; bad values are errors; and the
 * idempotent-producer sequence rules, row by row. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "kerr.h"
#include "kf_config.h"
#include "kf_pid.h"

static int load(const char *text, struct kf_config *kc, cfg_t *c)
{
    char  path[] = "/tmp/kfcfgXXXXXX";
    int   fd = mkstemp(path), rc;
    FILE *f = fdopen(fd, "w");

    fputs(text, f);
    fclose(f);
    kf_config_init(c, kc);
    c->quiet = true;
    rc = cfg_load_file(c, path);
    if (rc == 0)
        rc = kf_config_finish(c, kc);
    unlink(path);
    return rc;
}

static void test_tutorial_file(void **state)
{
    struct kf_config kc;
    cfg_t            c;

    (void)state;
    assert_int_equal(load("broker.id=0 # id\nport=9092 # port\n"
                          "log.dirs=/tmp/kafka-logs\nnum.partitions=1\n"
                          "log.retention.hours=168\n"
                          "zookeeper.connect=localhost:2181 # zk\n"
                          "zookeeper.connection.timeout.ms=6000\n",
                          &kc, &c),
                     0);
    assert_int_equal(kc.broker_id, 0);
    assert_int_equal(kc.listen_port, 9092);
    assert_string_equal(kc.listen_host, "");
    assert_string_equal(kc.adv_host, "localhost");
    assert_int_equal(kc.adv_port, 9092);
    assert_int_equal(kc.ndirs, 1);
    assert_string_equal(kc.dirs[0], "/tmp/kafka-logs");
    assert_int_equal(kc.retention_ms, 168LL * 3600000);
    assert_string_equal(kc.zk_hosts, "localhost:2181");
    assert_string_equal(kc.zk_chroot, "");
    assert_int_equal(kc.zookeeper_connection_timeout_ms, 6000);
    /* Kafka's defaults for what the file does not say */
    assert_true(kc.auto_create_topics_enable);
    assert_true(kc.delete_topic_enable);
    assert_int_equal(kc.message_max_bytes, 1048588);
    assert_int_equal(kc.log_segment_bytes, 1073741824);
    assert_int_equal(kc.socket_request_max_bytes, 104857600);
    assert_int_equal(kc.log_index_interval_bytes, 4096);
    assert_int_equal(kc.roll_ms, 168LL * 3600000);
    kf_config_free(&c, &kc);
}

static void test_precedence_and_listeners(void **state)
{
    struct kf_config kc;
    cfg_t            c;

    (void)state;
    assert_int_equal(load("listeners=PLAINTEXT://127.0.0.1:9999\n"
                          "advertised.listeners=PLAINTEXT://kafka.example:19\n"
                          "log.dirs=/a, /b ,/c\nlog.retention.minutes=5\n"
                          "log.retention.hours=1\nlog.roll.ms=1234\n"
                          "zookeeper.connect=h1:1,h2:2/kafka/x\n",
                          &kc, &c),
                     0);
    assert_string_equal(kc.listen_host, "127.0.0.1");
    assert_int_equal(kc.listen_port, 9999);
    assert_string_equal(kc.adv_host, "kafka.example");
    assert_int_equal(kc.adv_port, 19);
    assert_int_equal(kc.ndirs, 3);
    assert_string_equal(kc.dirs[1], "/b");
    assert_int_equal(kc.retention_ms, 300000); /* minutes beat hours */
    assert_int_equal(kc.roll_ms, 1234);
    assert_string_equal(kc.zk_hosts, "h1:1,h2:2");
    assert_string_equal(kc.zk_chroot, "/kafka/x");
    /* connection timeout defaults to the session timeout */
    assert_int_equal(kc.zookeeper_connection_timeout_ms, 18000);
    kf_config_free(&c, &kc);
    assert_int_equal(
        load("log.retention.ms=-1\nlog.retention.hours=1\n", &kc, &c), 0);
    assert_int_equal(kc.retention_ms, -1);
    kf_config_free(&c, &kc);
}

static void test_bad_values(void **state)
{
    static const char *bad[] = {
        "port=abc\n",
        "num.partitions=0\n",
        "auto.create.topics.enable=maybe\n",
        "log.message.timestamp.type=Whenever\n",
        "listeners=SSL://h:1\n",
        "log.segment.bytes=10\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct kf_config kc;
        cfg_t            c;

        print_message("row: %s", bad[i]);
        assert_int_equal(load(bad[i], &kc, &c), ERR_CONFIG);
        kf_config_free(&c, &kc);
    }
}

/* Sequence rules (Kafka 2.8 ProducerAppendInfo), one row each, against a
 * producer that has appended batches seq 0-2 and 3-4 at epoch 1. */
static void test_sequence_rules(void **state)
{
    static const struct {
        const char *name;
        int64_t     pid;
        int16_t     epoch;
        int32_t     seq, n;
        int         want;
        bool        cached;
    } rows[] = {
        {"next in order", 7, 1, 5, 1, KERR_NONE, false},
        {"retry of the last batch", 7, 1, 3, 2, KERR_DUPLICATE_SEQUENCE_NUMBER,
         true},
        {"retry of an earlier batch", 7, 1, 0, 3,
         KERR_DUPLICATE_SEQUENCE_NUMBER, true},
        {"overlapping old range", 7, 1, 1, 1, KERR_DUPLICATE_SEQUENCE_NUMBER,
         false},
        {"gap", 7, 1, 7, 1, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER, false},
        {"older epoch", 7, 0, 5, 1, KERR_INVALID_PRODUCER_EPOCH, false},
        {"new epoch from 0", 7, 2, 0, 1, KERR_NONE, false},
        {"new epoch not from 0", 7, 2, 4, 1, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
         false},
        {"unknown producer from 0", 9, 0, 0, 4, KERR_NONE, false},
        {"unknown producer mid-stream", 9, 0, 10, 1,
         KERR_OUT_OF_ORDER_SEQUENCE_NUMBER, false},
        {"negative sequence", 7, 1, -1, 1, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
         false},
    };
    kf_pstate_t *ps = kf_pstate_new();
    size_t       i;

    (void)state;
    kf_pstate_update(ps, 7, 1, 0, 2, 100, 102, 1, 1);
    kf_pstate_update(ps, 7, 1, 3, 4, 103, 104, 2, 2);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct kbatch_hdr      h;
        struct kf_pstate_batch dup;
        bool                   cached;

        memset(&h, 0, sizeof h);
        h.producer_id = rows[i].pid;
        h.producer_epoch = rows[i].epoch;
        h.base_sequence = rows[i].seq;
        h.last_offset_delta = rows[i].n - 1;
        h.count = rows[i].n;
        print_message("row: %s\n", rows[i].name);
        assert_int_equal(kf_pid_check(ps, &h, &dup, &cached), rows[i].want);
        assert_int_equal(cached, rows[i].cached);
        if (cached)
            assert_int_equal(dup.first_offset, rows[i].seq == 3 ? 103 : 100);
    }
    kf_pstate_free(ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tutorial_file),
        cmocka_unit_test(test_precedence_and_listeners),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_sequence_rules),
    };

    return cmocka_run_group_tests_name("kf_config", tests, NULL, NULL);
}
