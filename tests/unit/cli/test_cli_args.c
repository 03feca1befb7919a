/* cli_args: the option-table parser every Kafka subcommand uses, row by
 * row (good and hostile command lines), and the small parsers next to it
 * (integers, --to-datetime, JSON strings). */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kafka.h"
#include "err.h"

int64_t cli_groups_datetime(const char *s); /* cli_groups.c */
int64_t cli_groups_duration(const char *s); /* cli_groups.c */

static const struct cli_opt tab[] = {
    CLI_OPT_ARG("--topic", "t"),
    CLI_OPT_FLAG("--list", "l"),
    CLI_OPT_MULTI("--config", "c"),
    CLI_OPT_OPTARG("--compression-codec", "z"),
    CLI_OPT_ARG("--alias", NULL),
};
#define NTAB ((int)N_ELEMS(tab))

/* Each row: a command line (NULL-terminated), whether it parses, the
 * error text expected, and one value to check. */
static const struct {
    const char *name;
    const char *argv[8];
    int         rc;
    const char *err;     /* substring of the error */
    const char *opt;     /* check cli_args_get(opt) == want */
    const char *want;
} rows[] = {
    { "value after space", { "x", "--topic", "t1", NULL }, 0, NULL, "--topic", "t1" },
    { "value after =", { "x", "--topic=t2", NULL }, 0, NULL, "--topic", "t2" },
    { "empty value after =", { "x", "--topic=", NULL }, 0, NULL, "--topic", "" },
    { "flag", { "x", "--list", NULL }, 0, NULL, "--topic", NULL },
    { "unknown", { "x", "--nope", NULL }, ERR_MALFORMED, "unknown option '--nope'", NULL, NULL },
    { "unknown with =", { "x", "--nope=1", NULL }, ERR_MALFORMED, "unknown option '--nope'", NULL, NULL },
    { "missing value", { "x", "--topic", NULL }, ERR_MALFORMED, "needs a value", NULL, NULL },
    { "value to a flag", { "x", "--list=yes", NULL }, ERR_MALFORMED, "takes no value", NULL, NULL },
    { "twice", { "x", "--topic", "a", "--topic", "b", NULL }, ERR_MALFORMED, "more than once", NULL, NULL },
    { "stray argument", { "x", "--list", "extra", NULL }, ERR_MALFORMED, "unexpected argument 'extra'", NULL, NULL },
    { "single dash", { "x", "-topic", "t", NULL }, ERR_MALFORMED, "unexpected argument", NULL, NULL },
    { "bare --", { "x", "--", NULL }, ERR_MALFORMED, "unexpected argument", NULL, NULL },
    { "multi last wins", { "x", "--config", "a=1", "--config", "a=2", NULL }, 0, NULL, "--config", "a=2" },
    { "optional value given", { "x", "--compression-codec", "lz4", NULL }, 0, NULL, "--compression-codec", "lz4" },
    { "optional value left out", { "x", "--compression-codec", "--list", NULL }, 0, NULL, "--compression-codec", "" },
    { "optional value at end", { "x", "--compression-codec", NULL }, 0, NULL, "--compression-codec", "" },
    { "value may start with a dash", { "x", "--topic", "-t", NULL }, 0, NULL, "--topic", "-t" },
    { "an option is not a value", { "x", "--topic", "--list", NULL }, ERR_MALFORMED,
      "'--topic' needs a value", NULL, NULL },
    { "unknown --word can be a value", { "x", "--topic", "--odd", NULL }, 0, NULL, "--topic",
      "--odd" },
    { "hidden alias parses", { "x", "--alias", "v", NULL }, 0, NULL, "--alias", "v" },
    { "prefix is not a match", { "x", "--top", "t", NULL }, ERR_MALFORMED, "unknown option", NULL, NULL },
};

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        struct cli_args a;
        char            err[128] = "";
        int             argc = 0, rc;

        while (rows[i].argv[argc] != NULL)
            argc++;
        print_message("case: %s\n", rows[i].name);
        rc = cli_args_parse(&a, tab, NTAB, argc, (char **)rows[i].argv, err, sizeof err);
        assert_int_equal(rc, rows[i].rc);
        if (rows[i].err != NULL)
            assert_non_null(strstr(err, rows[i].err));
        if (rows[i].opt != NULL) {
            if (rows[i].want == NULL)
                assert_null(cli_args_get(&a, rows[i].opt));
            else
                assert_string_equal(cli_args_get(&a, rows[i].opt), rows[i].want);
        }
        cli_args_free(&a);
        cli_args_free(&a); /* idempotent */
    }
}

static void test_props_and_counts(void **state)
{
    const char     *argv[] = { "x", "--config", "retention.ms=5", "--config", "a=b=c",
                               "--config", "retention.ms=7", "--list", NULL };
    struct cli_args a;
    char            err[64];

    (void)state;
    assert_int_equal(cli_args_parse(&a, tab, NTAB, 8, (char **)argv, err, sizeof err), 0);
    assert_int_equal(cli_args_count(&a, "--config"), 3);
    assert_int_equal(cli_args_count(&a, "--list"), 1);
    assert_int_equal(cli_args_count(&a, "--topic"), 0);
    assert_int_equal(cli_args_count(&a, "--not-in-table"), 0);
    assert_string_equal(cli_args_nth(&a, "--config", 1), "a=b=c");
    assert_null(cli_args_nth(&a, "--config", 3));
    assert_null(cli_args_nth(&a, "--config", -1));
    assert_string_equal(cli_args_prop(&a, "--config", "retention.ms"), "7");
    assert_string_equal(cli_args_prop(&a, "--config", "a"), "b=c");
    assert_null(cli_args_prop(&a, "--config", "retention"));
    cli_args_free(&a);
}

static void test_parse_i64(void **state)
{
    int64_t v = 42;

    (void)state;
    assert_int_equal(cli_parse_i64("12", 0, 100, &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(cli_parse_i64("-3", -5, 0, &v), 0);
    assert_int_equal(v, -3);
    assert_int_equal(cli_parse_i64("101", 0, 100, &v), ERR_MALFORMED);
    assert_int_equal(cli_parse_i64("12x", 0, 100, &v), ERR_MALFORMED);
    assert_int_equal(cli_parse_i64("", 0, 100, &v), ERR_MALFORMED);
    assert_int_equal(cli_parse_i64(NULL, 0, 100, &v), ERR_MALFORMED);
    assert_int_equal(cli_parse_i64("99999999999999999999", 0, INT64_MAX, &v), ERR_MALFORMED);
    assert_int_equal(v, -3); /* failures leave it alone */
}

static void test_datetime(void **state)
{
    (void)state;
    assert_int_equal(cli_groups_datetime("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(cli_groups_datetime("2021-03-04T05:06:07.089Z"), 1614834367089LL);
    assert_int_equal(cli_groups_datetime("2021-03-04T05:06:07.1Z"), 1614834367100LL);
    assert_int_equal(cli_groups_datetime("2021-03-04T06:06:07.089+01:00"), 1614834367089LL);
    assert_int_equal(cli_groups_datetime("2021-03-04T04:06:07.089-0100"), 1614834367089LL);
    setenv("TZ", "UTC", 1);
    assert_int_equal(cli_groups_datetime("2021-03-04T05:06:07"), 1614834367000LL);
    assert_int_equal(cli_groups_datetime("yesterday"), -1);
    assert_int_equal(cli_groups_datetime("2021-03-04"), -1);
    assert_int_equal(cli_groups_datetime("2021-03-04T05:06:07Q"), -1);
}

static const struct {
    const char *in;
    int64_t     ms; /* -1: refused */
} dur_rows[] = {
    { "PT1H", 3600000 },  { "P1D", 86400000 },   { "P1DT2H3M4S", 93784000 },
    { "PT30M", 1800000 }, { "PT0.5S", 500 },     { "PT0S", 0 },
    { "PT1.25S", 1250 },  { "P", -1 },           { "PT", -1 },
    { "1H", -1 },         { "PT1D", -1 },        { "P1H", -1 },
    { "PT1S2M", -1 },     { "PT-5S", -1 },       { "PT1.5M", -1 },
    { "PT5X", -1 },       { "PT99999999999999S", -1 }, { "", -1 },
};

static void test_duration(void **state)
{
    (void)state;
    assert_int_equal(cli_groups_duration(NULL), -1);
    for (size_t i = 0; i < N_ELEMS(dur_rows); i++) {
        print_message("duration: '%s'\n", dur_rows[i].in);
        assert_int_equal(cli_groups_duration(dur_rows[i].in), dur_rows[i].ms);
    }
}

static void test_json_str(void **state)
{
    char  *out = NULL;
    size_t n = 0;
    FILE  *f = open_memstream(&out, &n);

    (void)state;
    cli_json_str(f, "a\"b\\c\n\t\x01", -1);
    fputc(' ', f);
    cli_json_str(f, NULL, 0);
    fputc(' ', f);
    cli_json_str(f, "xyz", 2);
    fclose(f);
    assert_string_equal(out, "\"a\\\"b\\\\c\\n\\t\\u0001\" null \"xy\"");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_props_and_counts),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_json_str),
    };

    return cmocka_run_group_tests_name("cli_args", tests, NULL, NULL);
}
