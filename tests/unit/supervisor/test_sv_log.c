/* sv_log: the in-memory ring for `ctl tail`, size rotation with backups,
 * reopen after logrotate moved the file. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sv_log.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/sv_log_test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static long fsize(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_ring_keeps_the_last_bytes(void **state)
{
    struct sv_log l;
    buf_t         out = BUF_INIT;
    uint8_t       chunk[1000];

    (void)state;
    assert_int_equal(sv_log_open(&l, "p", NULL, false, 0, 0), 0);
    sv_log_tail(&l, &out, 100);
    assert_int_equal(out.len, 0);
    sv_log_write(&l, (const uint8_t *)"hello\n", 6);
    sv_log_tail(&l, &out, 100);
    assert_int_equal(out.len, 6);
    assert_memory_equal(out.data, "hello\n", 6);
    /* wrap around several times with a counting pattern */
    for (int i = 0; i < 200; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        sv_log_write(&l, chunk, sizeof chunk);
    }
    buf_reset(&out);
    sv_log_tail(&l, &out, SV_LOG_RING * 2);
    assert_int_equal(out.len, SV_LOG_RING);
    assert_int_equal(out.data[out.len - 1], 'a' + 199 % 26);
    assert_int_equal(out.data[out.len - 1000], 'a' + 199 % 26);
    assert_int_equal(out.data[out.len - 1001], 'a' + 198 % 26);
    /* one write bigger than the ring keeps its tail */
    {
        uint8_t *big = malloc(SV_LOG_RING + 10);

        memset(big, 'x', SV_LOG_RING + 10);
        big[SV_LOG_RING + 9] = 'z';
        sv_log_write(&l, big, SV_LOG_RING + 10);
        free(big);
    }
    buf_reset(&out);
    sv_log_tail(&l, &out, 1);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.data[0], 'z');
    buf_free(&out);
    sv_log_close(&l);
    sv_log_close(&l); /* idempotent */
}

static void test_rotation_and_backups(void **state)
{
    struct sv_log l;
    char          path[128], p1[140], p2[140], p3[140];
    uint8_t       line[100];

    (void)state;
    snprintf(path, sizeof path, "%s/prog.log", dir);
    snprintf(p1, sizeof p1, "%s.1", path);
    snprintf(p2, sizeof p2, "%s.2", path);
    snprintf(p3, sizeof p3, "%s.3", path);
    assert_int_equal(sv_log_open(&l, "prog", path, false, 1000, 2), 0);
    memset(line, 'q', sizeof line);
    for (int i = 0; i < 55; i++)   /* 5500 bytes through 1000-byte files */
        sv_log_write(&l, line, sizeof line);
    assert_true(fsize(path) > 0 && fsize(path) <= 1000);
    assert_int_equal(fsize(p1), 1000);
    assert_int_equal(fsize(p2), 1000);
    assert_int_equal(fsize(p3), -1);       /* only 2 backups kept */
    assert_int_equal(l.dropped, 0);
    /* logrotate moved the file away: reopen makes a new one */
    assert_int_equal(rename(path, p3), 0);
    assert_int_equal(sv_log_reopen(&l), 0);
    sv_log_write(&l, (const uint8_t *)"new\n", 4);
    assert_int_equal(fsize(path), 4);
    sv_log_close(&l);
}

static void test_unwritable_path(void **state)
{
    struct sv_log l;

    (void)state;
    assert_true(sv_log_open(&l, "p", "/nonexistent-dir/x.log", false, 0, 0) < 0);
    sv_log_write(&l, (const uint8_t *)"lost\n", 5);
    assert_int_equal(l.dropped, 5);
    {   /* the ring still has it for ctl tail */
        buf_t out = BUF_INIT;

        sv_log_tail(&l, &out, 10);
        assert_int_equal(out.len, 5);
        buf_free(&out);
    }
    sv_log_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_keeps_the_last_bytes),
        cmocka_unit_test(test_rotation_and_backups),
        cmocka_unit_test(test_unwritable_path),
    };

    return cmocka_run_group_tests_name("sv_log", tests, setup, teardown);
}
