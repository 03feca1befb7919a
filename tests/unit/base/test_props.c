/* props: java.util.Properties rules (reference/supervision-packaging.md §7)
 * plus the trailing-comment extension, one row per rule. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "props.h"

struct got {
    int  n;
    char key[8][300];
    char val[8][300];
    int  line[8];
    int  stripped[8];
};

static int collect(void *ud, const struct props_entry *e)
{
    struct got *g = ud;

    if (g->n < 8) {
        snprintf(g->key[g->n], sizeof g->key[0], "%s", e->key);
        snprintf(g->val[g->n], sizeof g->val[0], "%s", e->value);
        g->line[g->n] = e->line;
        g->stripped[g->n] = e->stripped_comment;
    }
    g->n++;
    return 0;
}

static const struct {
    const char *name;
    const char *in;
    int         n;
    const char *k0, *v0;
    int         line0;
    int         stripped0;
} rows[] = {
    { "simple", "broker.id=0\n", 1, "broker.id", "0", 1, 0 },
    { "colon separator", "zookeeper.connect: localhost:2181", 1,
      "zookeeper.connect", "localhost:2181", 1, 0 },
    { "whitespace separator", "key with spaces value", 1, "key",
      "with spaces value", 1, 0 },
    { "spaces around =", "  a   =   b", 1, "a", "b", 1, 0 },
    { "hash comment", "# c\nx=1", 1, "x", "1", 2, 0 },
    { "bang comment", "! c\n  ! d\nx=1", 1, "x", "1", 3, 0 },
    { "trailing comment stripped", "port=9092 # Kafka のポート番号", 1, "port",
      "9092", 1, 1 },
    { "hash without space kept", "a=b#c", 1, "a", "b#c", 1, 0 },
    { "escaped hash kept", "a=b \\# c", 1, "a", "b # c", 1, 0 },
    { "continuation", "multi.value=a,\\\n    b,\\\n    c\nz=1", 2, "multi.value",
      "a,b,c", 1, 0 },
    { "indented key is a key", "a=1\n  indented.key=1", 2, "a", "1", 1, 0 },
    { "escaped colon in key", "escaped\\:key=v", 1, "escaped:key", "v", 1, 0 },
    { "unicode escape", "unicode=caf\\u00e9", 1, "unicode", "caf\xc3\xa9", 1, 0 },
    { "other escapes", "k=\\t\\q\\\\", 1, "k", "\tq\\", 1, 0 },
    { "crlf", "a=1\r\nb=2\r\n", 2, "a", "1", 1, 0 },
    { "cr only", "a=1\rb=2", 2, "a", "1", 1, 0 },
    { "empty value", "a=\n", 1, "a", "", 1, 0 },
    { "key only", "lonely", 1, "lonely", "", 1, 0 },
    { "separator then =", "a = =b", 1, "a", "=b", 1, 0 },
    { "trailing whitespace kept", "a=abc   ", 1, "a", "abc   ", 1, 0 },
    { "even backslashes do not continue", "a=x\\\\\nb=y", 2, "a", "x\\", 1, 0 },
    { "comment cannot continue", "# c \\\nb=y", 1, "b", "y", 2, 0 },
    { "blank lines and EOF backslash", "\n\n   \na=1\\", 1, "a", "1", 4, 0 },
    { "nothing", "", 0, NULL, NULL, 0, 0 },
};

static void test_rows(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(rows); i++) {
        struct got g;
        int        rc;

        memset(&g, 0, sizeof g);
        print_message("case: %s\n", rows[i].name);
        rc = props_parse(rows[i].in, strlen(rows[i].in), collect, &g, NULL);
        assert_int_equal(rc, 0);
        assert_int_equal(g.n, rows[i].n);
        if (rows[i].n > 0) {
            assert_string_equal(g.key[0], rows[i].k0);
            assert_string_equal(g.val[0], rows[i].v0);
            assert_int_equal(g.line[0], rows[i].line0);
            assert_int_equal(g.stripped[0], rows[i].stripped0);
        }
    }
}

static void test_duplicates_all_reported(void **state)
{
    struct got g;

    (void)state;
    memset(&g, 0, sizeof g);
    assert_int_equal(props_parse("dup=1\ndup=2\n", 12, collect, &g, NULL), 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.val[1], "2");
    assert_int_equal(g.line[1], 2);
}

static void test_bad_unicode_escape(void **state)
{
    static const char *bad[] = { "a=\\u00", "a=1\nb=\\u12zz\n", "\\uqqqq=1" };
    static const int   lines[] = { 1, 2, 1 };
    size_t             i;

    (void)state;
    for (i = 0; i < N_ELEMS(bad); i++) {
        struct got g;
        int        line = 0;

        memset(&g, 0, sizeof g);
        assert_int_equal(props_parse(bad[i], strlen(bad[i]), collect, &g, &line),
                         ERR_MALFORMED);
        assert_int_equal(line, lines[i]);
    }
}

/* The 200-byte trap of inih: a long line stays one key. */
static void test_long_line(void **state)
{
    char       *in = malloc(70000);
    struct got  g;
    size_t      n;

    (void)state;
    memcpy(in, "long=", 5);
    memset(in + 5, 'y', 65000);
    memcpy(in + 65005, "evil.key=1", 10);
    n = 65015;
    memset(&g, 0, sizeof g);
    assert_int_equal(props_parse(in, n, collect, &g, NULL), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.key[0], "long");
    free(in);
}

static int stop_at_second(void *ud, const struct props_entry *e)
{
    int *n = ud;

    (void)e;
    return ++*n == 2 ? -42 : 0;
}

static void test_callback_stops(void **state)
{
    int n = 0;

    (void)state;
    assert_int_equal(props_parse("a=1\nb=2\nc=3", 11, stop_at_second, &n, NULL),
                     -42);
    assert_int_equal(n, 2);
}

static void test_missing_file(void **state)
{
    struct got g;

    (void)state;
    assert_int_equal(props_parse_file("/nonexistent/x.properties", collect, &g,
                                      NULL),
                     -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_duplicates_all_reported),
        cmocka_unit_test(test_bad_unicode_escape),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_missing_file),
    };

    return cmocka_run_group_tests_name("props", tests, NULL, NULL);
}
