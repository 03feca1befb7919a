/* http: request heads, good and hostile, and response helpers. */
#include "cmocka_all.h"

#include <string.h>

#include "err.h"
#include "http.h"

static const struct {
    const char *name;
    const char *in;
    int         want; /* > 0: expect success with head_len == strlen(in) */
} rows[] = {
    { "simple get", "GET /api/v1/topics HTTP/1.1\r\nHost: x\r\n\r\n", 1 },
    { "bare LF", "GET / HTTP/1.0\nHost: x\n\n", 1 },
    { "no headers", "GET / HTTP/1.1\r\n\r\n", 1 },
    { "incomplete", "GET / HTTP/1.1\r\nHost: x\r\n", ERR_SHORT },
    { "empty", "", ERR_SHORT },
    { "http/2 preface", "PRI * HTTP/2.0\r\n\r\n", ERR_MALFORMED },
    { "no version", "GET /\r\n\r\n", ERR_MALFORMED },
    { "space in target", "GET /a b HTTP/1.1\r\n\r\n", ERR_MALFORMED },
    { "header without colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", ERR_MALFORMED },
    { "obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", ERR_MALFORMED },
    { "chunked refused", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      ERR_MALFORMED },
    { "two content-lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
      "Content-Length: 2\r\n\r\n", ERR_MALFORMED },
    { "negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      ERR_MALFORMED },
    { "body too big", "POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n",
      ERR_TOO_BIG },
    { "huge length", "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      ERR_MALFORMED },
    { "control char in value", "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", ERR_MALFORMED },
};

static void test_rows(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(rows); i++) {
        struct http_req r;
        int             rc;

        print_message("case: %s\n", rows[i].name);
        rc = http_parse_request((const uint8_t *)rows[i].in, strlen(rows[i].in),
                                4096, 1 << 20, &r);
        if (rows[i].want > 0)
            assert_int_equal(rc, (int)strlen(rows[i].in));
        else
            assert_int_equal(rc, rows[i].want);
    }
}

static void test_fields(void **state)
{
    static const char in[] =
        "POST /api/v1/topics/t1/messages?offset=42&q=a%20b+c HTTP/1.1\r\n"
        "Host: localhost\r\ncontent-length:  5 \r\nConnection: close\r\n\r\nhello";
    struct http_req   r;
    char              v[64];
    slice_t           h;

    (void)state;
    assert_int_equal(http_parse_request((const uint8_t *)in, sizeof in - 1, 4096,
                                        1024, &r),
                     (int)(sizeof in - 1 - 5));
    assert_true(slice_eq(r.method, "POST"));
    assert_true(slice_eq(r.path, "/api/v1/topics/t1/messages"));
    assert_true(slice_eq(r.query, "offset=42&q=a%20b+c"));
    assert_int_equal(r.content_length, 5);
    assert_false(r.keep_alive);
    h = http_header_get(&r, "HOST");
    assert_true(slice_eq(h, "localhost"));
    assert_int_equal(http_header_get(&r, "Missing").n, -1);
    assert_int_equal(http_query_get(r.query, "offset", v, sizeof v), 2);
    assert_string_equal(v, "42");
    assert_int_equal(http_query_get(r.query, "q", v, sizeof v), 5);
    assert_string_equal(v, "a b c");
    assert_int_equal(http_query_get(r.query, "nope", v, sizeof v), ERR_NOTFOUND);
    assert_int_equal(http_unescape((slice_t){ (const uint8_t *)"%4", 2 }, false,
                                   v, sizeof v),
                     ERR_MALFORMED);
    assert_int_equal(http_unescape((slice_t){ (const uint8_t *)"%zz", 3 }, false,
                                   v, sizeof v),
                     ERR_MALFORMED);
}

static void test_head_limit(void **state)
{
    char            big[9000];
    struct http_req r;

    (void)state;
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(big + 19, 'a', sizeof big - 19);
    assert_int_equal(http_parse_request((const uint8_t *)big, sizeof big, 8192, 0,
                                        &r),
                     ERR_TOO_BIG);
    assert_int_equal(http_parse_request((const uint8_t *)big, 100, 8192, 0, &r),
                     ERR_SHORT);
}

static void test_response_and_json(void **state)
{
    buf_t b = BUF_INIT;

    (void)state;
    http_response_head(&b, 404, "application/json", 2, true, "X-A: b\r\n");
    buf_puts(&b, "{}");
    assert_non_null(strstr(buf_cstr(&b), "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr(buf_cstr(&b), "Content-Length: 2\r\nX-A: b\r\n\r\n{}"));
    buf_reset(&b);
    http_json_escape(&b, (const uint8_t *)"a\"\\\n\x01\xc3\xa9\xff\xed\xa0\x80z", 12);
    assert_string_equal(buf_cstr(&b),
                        "a\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffdz");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_head_limit),
        cmocka_unit_test(test_response_and_json),
    };

    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
