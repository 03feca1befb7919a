/* buf: writers produce the exact bytes, growth keeps content, framing. */
#include "cmocka_all.h"

#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"

static void test_big_endian_writers(void **state)
{
    static const uint8_t want[] = { 0xfe, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78,
                                    0x80, 0,    0,    0,    0,    0,    0,
                                    1 };
    buf_t                b = BUF_INIT;

    (void)state;
    buf_put_i8(&b, -2);
    buf_put_i16(&b, -2);
    buf_put_i32(&b, 0x12345678);
    buf_put_i64(&b, (int64_t)0x8000000000000001ull);
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    buf_free(&b);
    buf_free(&b); /* idempotent */
    assert_null(b.data);
}

static const struct {
    uint64_t v;
    uint8_t  want[10];
    size_t   n;
} uvarint_rows[] = {
    { 0, { 0 }, 1 },
    { 1, { 1 }, 1 },
    { 127, { 0x7f }, 1 },
    { 128, { 0x80, 1 }, 2 },
    { 300, { 0xac, 2 }, 2 },
    { UINT64_MAX, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1 }, 10 },
};

static void test_uvarint_bytes(void **state)
{
    buf_t  b = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(uvarint_rows); i++) {
        buf_reset(&b);
        buf_put_uvarint(&b, uvarint_rows[i].v);
        assert_int_equal(b.len, uvarint_rows[i].n);
        assert_int_equal(buf_uvarint_size(uvarint_rows[i].v), uvarint_rows[i].n);
        assert_memory_equal(b.data, uvarint_rows[i].want, b.len);
    }
    /* zigzag: -1 -> 1, 1 -> 2, -64 -> 127 */
    buf_reset(&b);
    buf_put_varint(&b, -1);
    buf_put_varint(&b, 1);
    buf_put_varint(&b, -64);
    assert_int_equal(b.len, 3);
    assert_int_equal(b.data[0], 1);
    assert_int_equal(b.data[1], 2);
    assert_int_equal(b.data[2], 127);
    buf_free(&b);
}

static void test_growth_and_frame(void **state)
{
    buf_t  b = BUF_INIT;
    size_t at, i;

    (void)state;
    at = buf_frame_begin(&b);
    for (i = 0; i < 100000; i++)
        buf_put_u8(&b, (uint8_t)i);
    buf_frame_end(&b, at);
    assert_int_equal(b.len, 100004);
    assert_int_equal(b.data[0], 0);
    assert_int_equal(b.data[1], 0x01);
    assert_int_equal(b.data[2], 0x86);
    assert_int_equal(b.data[3], 0xa0); /* 100000 = 0x186a0 */
    assert_int_equal(b.data[4 + 99999], (uint8_t)99999);
    buf_consume(&b, 4);
    assert_int_equal(b.data[0], 0);
    assert_int_equal(b.len, 100000);
    buf_consume(&b, 200000); /* more than there is: empties */
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_printf_and_move(void **state)
{
    buf_t b = BUF_INIT, c = BUF_INIT;
    char  big[1000];

    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf_printf(&b, "%s-%d", "a", 42);
    buf_printf(&b, "%s", big); /* forces the second vsnprintf */
    assert_int_equal(b.len, 4 + 999);
    assert_memory_equal(b.data, "a-42xx", 6);
    buf_move(&c, &b);
    assert_null(b.data);
    assert_int_equal(c.len, 1003);
    assert_string_equal(buf_cstr(&c) + 1000, "xxx");
    buf_free(&c);
}

static void test_arena(void **state)
{
    arena_t a = { 0 };
    char   *p[100];
    int     i;

    (void)state;
    for (i = 0; i < 100; i++) {
        p[i] = arena_alloc(&a, (size_t)i * 100 + 1);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        memset(p[i], i, (size_t)i * 100 + 1);
    }
    for (i = 0; i < 100; i++)
        assert_int_equal((unsigned char)p[i][i * 100], i);
    assert_string_equal(arena_strndup(&a, "hello world", 5), "hello");
    assert_non_null(arena_alloc(&a, 0));
    assert_int_equal(*(int *)arena_calloc(&a, 4, sizeof(int)), 0);
    arena_reset(&a);
    assert_int_equal(a.total, 0);
    assert_non_null(arena_alloc(&a, 1 << 20)); /* bigger than a chunk */
    arena_free(&a);
    arena_free(&a);
    assert_null(a.head);
}

static void test_err_names(void **state)
{
    (void)state;
    assert_string_equal(err_name(ERR_SHORT), "ERR_SHORT");
    assert_string_equal(err_name(-2), "ENOENT");
    assert_string_equal(err_str(0), "success");
    assert_non_null(err_str(-4096));
    assert_non_null(err_str(12345));
    assert_string_equal(err_str(ERR_CONFIG), "bad configuration");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_endian_writers),
        cmocka_unit_test(test_uvarint_bytes),
        cmocka_unit_test(test_growth_and_frame),
        cmocka_unit_test(test_printf_and_move),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_err_names),
    };

    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
