/* kf_topics without logs: topic names (Kafka's rule), topic-level config
 * validation row by row (Kafka's messages), and effective values: broker
 * defaults derived from server.properties, overrides winning. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kf_topics.h"

static void test_names(void **state)
{
    static const struct {
        const char *name;
        bool        ok;
    } rows[] = {
        {"t", true},    {"my-topic", true}, {"a.b_c-D9", true},
        {"", false},    {".", false},       {"..", false},
        {"a/b", false}, {"a b", false},     {"caf\xc3\xa9", false},
        {"x:y", false},
    };
    char   long_name[251];
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(rows); i++) {
        print_message("row: '%s'\n", rows[i].name);
        assert_int_equal(
            kf_topics_valid_name(rows[i].name, strlen(rows[i].name)),
            rows[i].ok);
    }
    memset(long_name, 'a', sizeof long_name);
    assert_true(kf_topics_valid_name(long_name, 249));
    assert_false(kf_topics_valid_name(long_name, 250));
}

static void test_config_validation(void **state)
{
    static const struct {
        const char *key, *value;
        bool        ok;
        const char *why; /* substring of the reason */
    } rows[] = {
        {"retention.ms", "1000", true, NULL},
        {"retention.ms", "-1", true, NULL},
        {"retention.bytes", "-1", true, NULL},
        {"retention.ms", "-2", false, "at least 0"},
        {"retention.ms", "abc", false, "Not a number of type LONG"},
        {"segment.bytes", "13", false, "at least 14"},
        {"segment.bytes", "99999999999", false, "type INT"},
        {"cleanup.policy", "compact,delete", true, NULL},
        {"cleanup.policy", "shred", false, "compact, delete"},
        {"message.timestamp.type", "LogAppendTime", true, NULL},
        {"message.timestamp.type", "Now", false, "CreateTime"},
        {"compression.type", "zstd", true, NULL},
        {"compression.type", "brotli", false, "producer"},
        {"preallocate", "yes", false, "true or false"},
        {"min.cleanable.dirty.ratio", "0.25", true, NULL},
        {"no.such.key", "1", false, "Unknown topic config"},
        {"retention.ms", NULL, false, "null"},
    };
    struct kf_config     kc;
    struct kf_log_config lc;
    struct kf_topics    *ts;
    struct kf_topic      t;
    size_t               i;

    (void)state;
    memset(&kc, 0, sizeof kc);
    memset(&lc, 0, sizeof lc);
    ts = kf_topics_new(NULL, &kc, &lc, NULL, NULL);
    memset(&t, 0, sizeof t);
    for (i = 0; i < N_ELEMS(rows); i++) {
        struct kf_topic_conf c = {(char *)rows[i].key, (char *)rows[i].value};
        char                 why[256] = "";
        int                  rc;

        print_message("row: %s=%s\n", rows[i].key,
                      rows[i].value ? rows[i].value : "(null)");
        rc = kf_topics_set_configs(ts, &t, &c, 1, true, why, sizeof why);
        assert_int_equal(rc, rows[i].ok ? 0 : ERR_CONFIG);
        if (!rows[i].ok)
            assert_non_null(strstr(why, rows[i].why));
    }
    assert_int_equal(t.nconfs, 0); /* validate_only changed nothing */
    kf_topics_free(ts);
}

static void test_effective_values(void **state)
{
    struct kf_config     kc;
    struct kf_log_config lc;
    struct kf_topics    *ts;
    struct kf_topic      t;
    struct kf_topic_conf over = {"retention.ms", "5000"};
    char                 v[64], why[128];
    bool                 def;

    (void)state;
    memset(&kc, 0, sizeof kc);
    memset(&lc, 0, sizeof lc);
    kc.retention_ms = 7 * 24 * 3600000LL;
    kc.log_segment_bytes = 1073741824;
    kc.log_cleanup_policy = "delete";
    kc.log_message_timestamp_type = "CreateTime";
    ts = kf_topics_new(NULL, &kc, &lc, NULL, NULL);
    memset(&t, 0, sizeof t);
    assert_int_equal(
        kf_topics_config_value(ts, &t, "retention.ms", v, sizeof v, &def), 0);
    assert_string_equal(v, "604800000");
    assert_true(def);
    assert_int_equal(
        kf_topics_set_configs(ts, &t, &over, 1, false, why, sizeof why), 0);
    assert_int_equal(
        kf_topics_config_value(ts, &t, "retention.ms", v, sizeof v, &def), 0);
    assert_string_equal(v, "5000");
    assert_false(def);
    assert_int_equal(
        kf_topics_config_value(ts, &t, "segment.bytes", v, sizeof v, &def), 0);
    assert_string_equal(v, "1073741824");
    assert_int_equal(kf_topics_config_value(ts, &t, "nope", v, sizeof v, &def),
                     ERR_NOTFOUND);
    /* delete the override (IncrementalAlterConfigs DELETE) */
    assert_int_equal(kf_topics_set_config(ts, &t, "retention.ms", NULL, false,
                                          why, sizeof why),
                     0);
    assert_int_equal(t.nconfs, 0);
    free(t.confs);
    kf_topics_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test(test_effective_values),
    };

    return cmocka_run_group_tests_name("kf_topics", tests, NULL, NULL);
}
