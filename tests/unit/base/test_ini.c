/* ini: keys with line numbers, sections, and the over-long-line refusal
 * that inih alone would turn into a silent extra key. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ini.h"

struct got {
    int  n;
    char sec[8][64], key[8][64], val[8][256];
    int  line[8];
};

static int collect(void *ud, const char *section, const char *key,
                   const char *value, int line)
{
    struct got *g = ud;

    if (g->n < 8) {
        snprintf(g->sec[g->n], 64, "%s", section);
        snprintf(g->key[g->n], 64, "%s", key);
        snprintf(g->val[g->n], 256, "%s", value);
        g->line[g->n] = line;
    }
    g->n++;
    return 0;
}

static void test_sections_and_lines(void **state)
{
    static const char in[] = "; comment\n[supervisor]\ncontrol_socket=/run/x\n"
                             "\n# also a comment\n[program:coord]\n"
                             "command = odradek-coord zk.properties\n"
                             "ready=notify\n";
    struct got        g;

    (void)state;
    memset(&g, 0, sizeof g);
    assert_int_equal(ini_load_string(in, sizeof in - 1, collect, &g, NULL), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.sec[0], "supervisor");
    assert_int_equal(g.line[0], 3);
    assert_string_equal(g.sec[1], "program:coord");
    assert_string_equal(g.key[1], "command");
    assert_string_equal(g.val[1], "odradek-coord zk.properties");
    assert_int_equal(g.line[1], 7);
    assert_int_equal(g.line[2], 8);
}

static const struct {
    const char *name;
    const char *in;
    int         line;
} bad[] = {
    { "no separator", "[a]\njust words\n", 2 },
    { "unclosed section", "x=1\n[abc\n", 2 },
};

static void test_syntax_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(bad); i++) {
        struct got g;
        int        line = 0;

        memset(&g, 0, sizeof g);
        print_message("case: %s\n", bad[i].name);
        assert_int_equal(ini_load_string(bad[i].in, strlen(bad[i].in), collect,
                                         &g, &line),
                         ERR_MALFORMED);
        assert_int_equal(line, bad[i].line);
    }
}

static void test_long_line_refused(void **state)
{
    char       in[400];
    struct got g;
    int        line = 0;

    (void)state;
    memset(&g, 0, sizeof g);
    strcpy(in, "[p]\nlong=");
    memset(in + 9, 'y', 250);
    strcpy(in + 259, "evil.key=1\n");
    assert_int_equal(ini_load_string(in, strlen(in), collect, &g, &line),
                     ERR_MALFORMED);
    assert_int_equal(line, 2);
    for (int i = 0; i < g.n && i < 8; i++)
        assert_null(strstr(g.key[i], "evil"));
}

static int stop(void *ud, const char *s, const char *k, const char *v, int l)
{
    (void)ud;
    (void)s;
    (void)k;
    (void)v;
    return l == 2 ? -77 : 0;
}

static void test_callback_error_and_missing_file(void **state)
{
    int line = 0;

    (void)state;
    assert_int_equal(ini_load_string("a=1\nb=2\nc=3\n", 12, stop, NULL, &line), -77);
    assert_int_equal(line, 2);
    assert_int_equal(ini_load("/nonexistent.conf", stop, NULL, &line), -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_and_lines),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_long_line_refused),
        cmocka_unit_test(test_callback_error_and_missing_file),
    };

    return cmocka_run_group_tests_name("ini", tests, NULL, NULL);
}
