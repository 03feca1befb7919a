/* kf_ckpt (Kafka's text checkpoint files) and kf_pstate (producer table
 * and its snapshot format): table-driven, with hostile rows. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "kf_ckpt.h"
#include "kf_pstate.h"
#include <uv.h>

static int rows_seen;

static int count_row(void *arg, char *const *cols)
{
    (void)arg;
    assert_true(strlen(cols[0]) > 0);
    rows_seen++;
    return 0;
}

static void test_ckpt_table(void **state)
{
    static const struct {
        const char *name;
        const char *text;
        int         ncols;
        int         want;
        int         rows;
    } cases[] = {
        {"empty checkpoint", "0\n0\n", 3, 0, 0},
        {"two entries", "0\n2\nt 0 5\nmy-topic 12 99\n", 3, 0, 2},
        {"epoch file", "0\n1\n3 100\n", 2, 0, 1},
        {"no trailing newline", "0\n1\nt 0 5", 3, ERR_MALFORMED, 0},
        {"empty file", "", 3, ERR_MALFORMED, 0},
        {"version 1", "1\n0\n", 3, ERR_UNSUPPORTED, 0},
        {"count too big", "0\n3\nt 0 5\n", 3, ERR_MALFORMED, 1},
        {"count too small", "0\n1\nt 0 5\nt 1 6\n", 3, ERR_MALFORMED, 1},
        {"negative count", "0\n-1\n", 3, ERR_MALFORMED, 0},
        {"huge count", "0\n99999999999\n", 3, ERR_MALFORMED, 0},
        {"too few columns", "0\n1\nt 0\n", 3, ERR_MALFORMED, 0},
        {"too many columns", "0\n1\nt 0 5 7\n", 3, ERR_MALFORMED, 0},
        {"garbage version", "x\n0\n", 3, ERR_MALFORMED, 0},
        {"NUL inside a line", "0\n1\nt\0 0 5\n", 3, ERR_MALFORMED, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(cases); i++) {
        size_t n = strlen(cases[i].text);

        if (strcmp(cases[i].name, "NUL inside a line") == 0)
            n = 12;
        print_message("case: %s\n", cases[i].name);
        rows_seen = 0;
        assert_int_equal(
            kf_ckpt_parse(cases[i].text, n, cases[i].ncols, count_row, NULL),
            cases[i].want);
        assert_int_equal(rows_seen, cases[i].rows);
    }
}

static void test_ckpt_write_read(void **state)
{
    char  path[] = "/tmp/kfckptXXXXXX";
    buf_t rows = BUF_INIT;
    int   fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    buf_printf(&rows, "a 0 1\nb 1 2\n");
    assert_int_equal(kf_ckpt_write(path, &rows, 2), 0);
    rows_seen = 0;
    assert_int_equal(kf_ckpt_read(path, 3, count_row, NULL), 0);
    assert_int_equal(rows_seen, 2);
    unlink(path);
    assert_int_equal(kf_ckpt_read(path, 3, count_row, NULL), UV_ENOENT);
    buf_free(&rows);
}

static void test_pstate_table(void **state)
{
    kf_pstate_t                  *ps = kf_pstate_new();
    const struct kf_pstate_entry *e;
    int64_t                       i;

    (void)state;
    /* many producers: the hash grows and every one is found */
    for (i = 0; i < 1000; i++)
        kf_pstate_update(ps, i * 7919, 0, 0, 4, i * 10, i * 10 + 4, 100, i);
    assert_int_equal(kf_pstate_count(ps), 1000);
    for (i = 0; i < 1000; i++) {
        e = kf_pstate_get(ps, i * 7919);
        assert_non_null(e);
        assert_int_equal(e->batches[0].first_offset, i * 10);
    }
    assert_null(kf_pstate_get(ps, 5));
    assert_null(kf_pstate_get(ps, -1));
    /* 5 batches retained, oldest dropped */
    for (i = 1; i <= 7; i++)
        kf_pstate_update(ps, 0, 0, (int32_t)i * 5, (int32_t)i * 5 + 4, i * 10,
                         i * 10 + 4, 100, 2000);
    e = kf_pstate_get(ps, 0);
    assert_int_equal(e->nbatches, KF_PSTATE_RECENT);
    assert_int_equal(e->batches[0].first_seq, 15);
    assert_int_equal(e->batches[4].last_seq, 39);
    /* an older epoch is ignored, a newer resets the history */
    kf_pstate_update(ps, 0, -1, 0, 0, 900, 900, 1, 2000);
    assert_int_equal(kf_pstate_get(ps, 0)->nbatches, 5);
    kf_pstate_update(ps, 0, 1, 0, 0, 901, 901, 1, 2000);
    e = kf_pstate_get(ps, 0);
    assert_int_equal(e->epoch, 1);
    assert_int_equal(e->nbatches, 1);
    /* expiry by age removes exactly the old ones, others still found */
    assert_int_equal(kf_pstate_expire(ps, 1000 + 500, 1000), 499);
    assert_int_equal(kf_pstate_count(ps), 501);
    for (i = 1; i < 1000; i++)
        assert_true((kf_pstate_get(ps, i * 7919) != NULL) == (i >= 500));
    assert_non_null(kf_pstate_get(ps, 0));
    kf_pstate_truncate(ps, 901);
    assert_null(kf_pstate_get(ps, 0));
    kf_pstate_free(ps);
}

static void test_pstate_snapshot(void **state)
{
    kf_pstate_t                  *ps = kf_pstate_new(), *back = kf_pstate_new();
    const struct kf_pstate_entry *e;
    buf_t                         b = BUF_INIT, b2 = BUF_INIT;
    size_t                        i;

    (void)state;
    kf_pstate_update(ps, 42, 3, 10, 14, 100, 104, 5555, 0);
    kf_pstate_update(ps, 43, 0, 2147483646, 1, 200, 203, 6666, 0); /* wraps */
    kf_pstate_encode(ps, &b);
    /* Kafka v1 layout: version, crc, count, 46-byte entries */
    assert_int_equal(b.len, 2 + 4 + 4 + 2 * 46);
    assert_int_equal(b.data[0], 0);
    assert_int_equal(b.data[1], 1);
    assert_int_equal(kf_pstate_decode(back, b.data, b.len), 0);
    e = kf_pstate_get(back, 42);
    assert_non_null(e);
    assert_int_equal(e->epoch, 3);
    assert_int_equal(e->batches[0].first_seq, 10);
    assert_int_equal(e->batches[0].last_seq, 14);
    assert_int_equal(e->batches[0].first_offset, 100);
    assert_int_equal(e->batches[0].last_offset, 104);
    e = kf_pstate_get(back, 43);
    assert_int_equal(e->batches[0].first_seq, 2147483646);
    kf_pstate_encode(back, &b2);
    assert_int_equal(b2.len, b.len);
    /* every single-byte corruption and every truncation is refused */
    for (i = 0; i < b.len; i++) {
        b.data[i] ^= 0x40;
        assert_true(kf_pstate_decode(back, b.data, b.len) < 0);
        assert_int_equal(kf_pstate_count(back), 0);
        b.data[i] ^= 0x40;
    }
    for (i = 0; i < b.len; i++)
        assert_true(kf_pstate_decode(back, b.data, i) < 0);
    buf_free(&b);
    buf_free(&b2);
    kf_pstate_free(ps);
    kf_pstate_free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ckpt_table),
        cmocka_unit_test(test_ckpt_write_read),
        cmocka_unit_test(test_pstate_table),
        cmocka_unit_test(test_pstate_snapshot),
    };

    return cmocka_run_group_tests_name("kf_ckpt", tests, NULL, NULL);
}
