/* rd: the bounded reader, with hostile rows for every variable-length
 * field and the sticky error. */
#include "cmocka_all.h"

#include "buf.h"
#include "rd.h"

static void test_short_read_is_sticky(void **state)
{
    static const uint8_t in[] = { 0x00, 0x07, 0xff };
    rd_t                 r = rd_init(in, sizeof in);

    (void)state;
    assert_int_equal(rd_i16(&r), 7);
    assert_int_equal(rd_i32(&r), 0); /* only 1 byte left */
    assert_int_equal(r.err, ERR_SHORT);
    assert_int_equal(rd_i16(&r), 0); /* stays failed, does not move */
    assert_int_equal(rd_left(&r), 1);
    assert_false(rd_ok(&r));
}

static void test_fixed_width(void **state)
{
    static const uint8_t in[] = { 0x80, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78,
                                  0x80, 0, 0, 0, 0, 0, 0, 1, 0x01 };
    rd_t                 r = rd_init(in, sizeof in);

    (void)state;
    assert_int_equal(rd_i8(&r), -128);
    assert_int_equal(rd_i16(&r), -2);
    assert_int_equal(rd_u32(&r), 0x12345678u);
    assert_true(rd_i64(&r) == (int64_t)0x8000000000000001ull);
    assert_true(rd_bool(&r));
    assert_true(rd_ok(&r));
    assert_int_equal(rd_left(&r), 0);
}

static const struct {
    const char *name;
    uint8_t     in[12];
    size_t      len;
    uint64_t    want;
    int         want_err;
} uvarint_cases[] = {
    { "zero", { 0x00 }, 1, 0, 0 },
    { "one byte max", { 0x7f }, 1, 127, 0 },
    { "two bytes", { 0x80, 0x01 }, 2, 128, 0 },
    { "300", { 0xac, 0x02 }, 2, 300, 0 },
    { "u64 max", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 },
      10, UINT64_MAX, 0 },
    { "beyond 64 bits",
      { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, 10, 0,
      ERR_MALFORMED },
    { "11 bytes", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                    0x00 }, 11, 0, ERR_MALFORMED },
    { "truncated", { 0x80, 0x80 }, 2, 0, ERR_SHORT },
    { "empty", { 0 }, 0, 0, ERR_SHORT },
};

static void test_uvarint_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(uvarint_cases); i++) {
        rd_t     r = rd_init(uvarint_cases[i].in, uvarint_cases[i].len);
        uint64_t v = rd_uvarint(&r);

        print_message("case: %s\n", uvarint_cases[i].name);
        assert_true(v == uvarint_cases[i].want);
        assert_int_equal(r.err, uvarint_cases[i].want_err);
    }
}

static void test_uvarint32_limits(void **state)
{
    static const uint8_t too_big[] = { 0xff, 0xff, 0xff, 0xff, 0x1f }; /* 2^35-1 */
    static const uint8_t six[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    static const uint8_t max[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    rd_t                 r = rd_init(too_big, sizeof too_big);

    (void)state;
    assert_int_equal(rd_uvarint32(&r), 0);
    assert_int_equal(r.err, ERR_MALFORMED);
    r = rd_init(six, sizeof six);
    rd_uvarint32(&r);
    assert_int_equal(r.err, ERR_MALFORMED);
    r = rd_init(max, sizeof max);
    assert_true(rd_uvarint32(&r) == UINT32_MAX);
    assert_true(rd_ok(&r));
}

/* Writers and readers agree on zigzag varints across the range. */
static void test_varint_roundtrip(void **state)
{
    static const int64_t vals[] = { 0, -1, 1, -64, 63, 64, -65, INT32_MAX,
                                    INT32_MIN, INT64_MAX, INT64_MIN, 300 };
    buf_t                b = BUF_INIT;
    size_t               i;
    rd_t                 r;

    (void)state;
    for (i = 0; i < N_ELEMS(vals); i++) {
        buf_reset(&b);
        buf_put_varint(&b, vals[i]);
        assert_int_equal(b.len, buf_varint_size(vals[i]));
        r = rd_init(b.data, b.len);
        assert_true(rd_varlong(&r) == vals[i]);
        assert_true(rd_ok(&r));
        if (vals[i] >= INT32_MIN && vals[i] <= INT32_MAX) {
            r = rd_init(b.data, b.len);
            assert_int_equal(rd_varint(&r), (int32_t)vals[i]);
            assert_true(rd_ok(&r));
        }
    }
    buf_free(&b);
}

static const struct {
    const char *name;
    uint8_t     in[8];
    size_t      len;
    int         compact;
    int32_t     want;
    int         want_err;
} count_cases[] = {
    { "null array", { 0xff, 0xff, 0xff, 0xff }, 4, 0, -1, 0 },
    { "compact null", { 0x00 }, 1, 1, -1, 0 },
    { "negative count", { 0xff, 0xff, 0xff, 0xfe }, 4, 0, 0, ERR_MALFORMED },
    { "2^31-1 elements", { 0x7f, 0xff, 0xff, 0xff }, 4, 0, 0, ERR_SHORT },
    { "varint too long", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 6, 1, 0,
      ERR_MALFORMED },
    { "fits exactly", { 0, 0, 0, 1, 0xaa, 0xbb }, 6, 0, 1, 0 },
    { "one too many", { 0, 0, 0, 2, 0xaa, 0xbb }, 6, 0, 0, ERR_SHORT },
    { "compact two", { 0x03, 1, 2, 3, 4 }, 5, 1, 2, 0 },
    { "truncated header", { 0, 0 }, 2, 0, 0, ERR_SHORT },
};

static void test_count_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(count_cases); i++) {
        rd_t    r = rd_init(count_cases[i].in, count_cases[i].len);
        int32_t n = rd_count(&r, count_cases[i].compact, 2);

        print_message("case: %s\n", count_cases[i].name);
        assert_int_equal(n, count_cases[i].want);
        assert_int_equal(r.err, count_cases[i].want_err);
    }
}

static const struct {
    const char *name;
    uint8_t     in[10];
    size_t      len;
    int         kind; /* 0 string, 1 compact string, 2 bytes, 3 compact bytes */
    int32_t     want_n;
    const char *want;
    int         want_err;
} str_cases[] = {
    { "string", { 0, 3, 'a', 'b', 'c' }, 5, 0, 3, "abc", 0 },
    { "null string", { 0xff, 0xff }, 2, 0, -1, NULL, 0 },
    { "string -2", { 0xff, 0xfe }, 2, 0, 0, NULL, ERR_MALFORMED },
    { "string longer than input", { 0, 9, 'a' }, 3, 0, 0, NULL, ERR_SHORT },
    { "compact string", { 4, 'x', 'y', 'z' }, 4, 1, 3, "xyz", 0 },
    { "compact null", { 0 }, 1, 1, -1, NULL, 0 },
    { "compact empty", { 1 }, 1, 1, 0, "", 0 },
    { "bytes", { 0, 0, 0, 2, 1, 2 }, 6, 2, 2, "\x01\x02", 0 },
    { "null bytes", { 0xff, 0xff, 0xff, 0xff }, 4, 2, -1, NULL, 0 },
    { "bytes 2^31-1", { 0x7f, 0xff, 0xff, 0xff, 0 }, 5, 2, 0, NULL, ERR_SHORT },
    { "bytes -5", { 0xff, 0xff, 0xff, 0xfb }, 4, 2, 0, NULL, ERR_MALFORMED },
    { "compact bytes 2^32-2", { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 3, 0, NULL,
      ERR_MALFORMED },
    { "compact bytes 2^28-2", { 0xff, 0xff, 0xff, 0x7f }, 4, 3, 0, NULL,
      ERR_SHORT },
};

static void test_string_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(str_cases); i++) {
        rd_t    r = rd_init(str_cases[i].in, str_cases[i].len);
        int     k = str_cases[i].kind;
        slice_t s = k < 2 ? rd_string(&r, k == 1) : rd_bytes(&r, k == 3);

        print_message("case: %s\n", str_cases[i].name);
        assert_int_equal(r.err, str_cases[i].want_err);
        if (str_cases[i].want_err == 0) {
            assert_int_equal(s.n, str_cases[i].want_n);
            if (s.n > 0)
                assert_memory_equal(s.p, str_cases[i].want, (size_t)s.n);
        }
    }
}

static void test_vbytes(void **state)
{
    static const uint8_t in[] = { 0x01 /* -1 */, 0x04, 'h', 'i', 0x06, 'x' };
    rd_t                 r = rd_init(in, sizeof in);
    slice_t              s;

    (void)state;
    s = rd_vbytes(&r);
    assert_int_equal(s.n, -1);
    s = rd_vbytes(&r);
    assert_int_equal(s.n, 2);
    assert_true(slice_eq(s, "hi"));
    s = rd_vbytes(&r); /* says 3, one left */
    assert_int_equal(r.err, ERR_SHORT);
}

static void test_skip_tags(void **state)
{
    /* two tagged fields: tag 0 size 2, tag 5 size 0; then a trailing byte */
    static const uint8_t ok[] = { 2, 0, 2, 0xaa, 0xbb, 5, 0, 0x42 };
    static const uint8_t lying[] = { 1, 0, 9, 0xaa };
    static const uint8_t many[] = { 0xff, 0xff, 0x03, 0 };
    rd_t                 r = rd_init(ok, sizeof ok);

    (void)state;
    rd_skip_tags(&r);
    assert_true(rd_ok(&r));
    assert_int_equal(rd_u8(&r), 0x42);
    r = rd_init(lying, sizeof lying);
    rd_skip_tags(&r);
    assert_int_equal(r.err, ERR_SHORT);
    r = rd_init(many, sizeof many);
    rd_skip_tags(&r);
    assert_int_equal(r.err, ERR_SHORT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_read_is_sticky),
        cmocka_unit_test(test_fixed_width),
        cmocka_unit_test(test_uvarint_table),
        cmocka_unit_test(test_uvarint32_limits),
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_count_table),
        cmocka_unit_test(test_string_table),
        cmocka_unit_test(test_vbytes),
        cmocka_unit_test(test_skip_tags),
    };

    return cmocka_run_group_tests_name("rd", tests, NULL, NULL);
}
