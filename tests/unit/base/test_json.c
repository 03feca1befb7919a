/* json: good and hostile documents, accessors, limits. */
#include "cmocka_all.h"

#include <string.h>

#include "arena.h"
#include "err.h"
#include "json.h"

static const struct {
    const char *in;
    int         ok; /* 1 parses, 0 fails */
} rows[] = {
    { "{}", 1 }, { "[]", 1 }, { " 0 ", 1 }, { "-0.5e-3", 1 }, { "\"\"", 1 },
    { "true", 1 }, { "null", 1 }, { "{\"a\":[1,{\"b\":null}]}", 1 },
    { "", 0 }, { "{", 0 }, { "[1,]", 0 }, { "{\"a\":1,}", 0 }, { "01", 0 },
    { "1.", 0 }, { ".5", 0 }, { "1e", 0 }, { "tru", 0 }, { "nul", 0 },
    { "\"a", 0 }, { "\"\\x\"", 0 }, { "\"\\u12\"", 0 }, { "\"\\ud800\"", 0 },
    { "\"\\udc00\"", 0 }, { "\"a\nb\"", 0 }, { "{a:1}", 0 }, { "[1 2]", 0 },
    { "{} {}", 0 }, { "\"\\", 0 }, { "[\"\\u00\"]", 0 }, { "+1", 0 },
};

static void test_rows(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        arena_t      a;
        struct json *v;
        int          rc;

        arena_init(&a);
        rc = json_parse(&a, (const uint8_t *)rows[i].in, strlen(rows[i].in), &v, NULL);
        if ((rc == 0) != rows[i].ok)
            fail_msg("row %zu '%s': rc %d", i, rows[i].in, rc);
        arena_free(&a);
    }
}

static void test_values(void **state)
{
    const char *doc = "{\"key\":\"k\\u00e9\\ud83d\\ude00\\n\",\"n\":-42,\"big\":"
                      "99999999999999999999,\"f\":1.5,\"t\":true,\"a\":[1,2,3],"
                      "\"n\":7,\"z\":\"a\\u0000b\"}";
    arena_t      a;
    struct json *v;
    size_t       len;
    const char  *s;

    (void)state;
    arena_init(&a);
    assert_int_equal(json_parse(&a, (const uint8_t *)doc, strlen(doc), &v, NULL), 0);
    s = json_get_str(v, "key", &len);
    assert_non_null(s);
    assert_int_equal(len, 1 + 2 + 4 + 1);
    assert_memory_equal(s, "k\xc3\xa9\xf0\x9f\x98\x80\n", len);
    assert_int_equal(json_get_int(v, "n", 0), 7); /* last one wins */
    assert_int_equal(json_get_int(v, "big", -1), -1); /* does not fit */
    assert_int_equal(json_get_int(v, "f", -1), -1);  /* not an integer */
    assert_true(json_get_bool(v, "t", false));
    assert_false(json_get_bool(v, "missing", false));
    assert_null(json_get_str(v, "n", NULL));
    assert_int_equal(json_get(v, "a")->len, 3);
    s = json_get_str(v, "z", &len);
    assert_int_equal(len, 3);
    assert_int_equal(s[1], '\0');
    arena_free(&a);
}

static void test_limits(void **state)
{
    char         deep[200], wide[64 * 1024];
    arena_t      a;
    struct json *v;
    size_t       at = 0, i;

    (void)state;
    memset(deep, '[', sizeof deep);
    arena_init(&a);
    assert_int_equal(json_parse(&a, (const uint8_t *)deep, JSON_MAX_DEPTH, &v, &at),
                     ERR_MALFORMED); /* short, but within depth */
    memset(deep + 100, ']', 100);
    assert_int_equal(json_parse(&a, (const uint8_t *)deep, sizeof deep, &v, &at),
                     ERR_MALFORMED); /* too deep */
    assert_true(at <= JSON_MAX_DEPTH + 1);
    wide[0] = '[';
    for (i = 1; i + 3 < sizeof wide; i += 2) {
        wide[i] = '0';
        wide[i + 1] = ',';
    }
    wide[i] = '0';
    wide[i + 1] = ']';
    assert_int_equal(json_parse(&a, (const uint8_t *)wide, i + 2, &v, NULL),
                     ERR_MALFORMED); /* more than JSON_MAX_NODES values */
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
