/* kf_logmgr's start-up recovery on the thread pool: many partitions over
 * two log dirs after an unclean stop, each with a torn tail, recovered
 * with several jobs per dir at once and with one; a partition that cannot
 * be opened fails the whole start cleanly (no leak, logs closed, the
 * clean-shutdown marker left in place); the marker skips the scan. */
#include "cmocka_all.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "kf_log.h"
#include "kf_testbatch.h"
#include "kf_testfs.h"

#define NPARTS 24



static int setup(void **state)
{
    return kf_testfs_setup(state, "/tmp/kfrecXXXXXX");
}

static int teardown(void **state)
{
    return kf_testfs_teardown(state);
}

static struct kf_logmgr_config mcfg(struct kf_testfs *f, int threads)
{
    struct kf_logmgr_config c;

    memset(&c, 0, sizeof c);
    c.dirs = f->dirs;
    c.ndirs = 2;
    c.broker_id = 1;
    kf_log_config_default(&c.defaults);
    c.defaults.index_interval_bytes = 100;
    c.retention_check_ms = 300000;
    c.flush_check_ms = 1000;
    c.checkpoint_ms = 60000;
    c.recovery_threads = threads;
    return c;
}

static void done_cb(void *arg)
{
    *(int *)arg = 1;
}

static void close_mgr(struct kf_testfs *f, kf_logmgr_t *m)
{
    int done = 0;

    kf_logmgr_close(m, done_cb, &done);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(done, 1);
}

static int64_t records_of(int p)
{
    return 20 + 3 * p;
}

/* NPARTS partitions "r-<p>" over both dirs, records_of(p) records each in
 * batches of 1..3; then an unclean stop: the marker removed, garbage
 * after every active segment. */
static void make_unclean(struct kf_testfs *f)
{
    struct kf_logmgr_config c = mcfg(f, 1);
    kf_logmgr_t            *m;
    int                     p, i;

    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, NULL), 0);
    for (p = 0; p < NPARTS; p++) {
        kf_log_t      *l;
        struct tb_opts o = tb_default();

        assert_int_equal(kf_logmgr_create(m, "r", p, NULL, &l), 0);
        for (i = 0; i < records_of(p);) {
            buf_t b = BUF_INIT;
            int   n = 1 + i % 3;

            if (i + n > records_of(p))
                n = (int)records_of(p) - i;
            tb_batch(&b, n, &o);
            assert_int_equal(
                kf_log_append(l, b.data, b.len, 0, o.base_ts, NULL, NULL, NULL),
                0);
            buf_free(&b);
            i += n;
        }
    }
    close_mgr(f, m);
    for (i = 0; i < 2; i++) {
        char path[256];

        snprintf(path, sizeof path, "%s/.kafka_cleanshutdown", f->dirs[i]);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof path, "%s/recovery-point-offset-checkpoint",
                 f->dirs[i]);
        unlink(path); /* full recovery of every segment */
    }
    for (p = 0; p < NPARTS; p++) {
        char  path[256];
        FILE *fp = NULL;

        for (i = 0; i < 2 && fp == NULL; i++) {
            snprintf(path, sizeof path, "%s/r-%d/%020d.log", f->dirs[i], p, 0);
            if (access(path, F_OK) == 0)
                fp = fopen(path, "a");
        }
        assert_non_null(fp);
        fputs("torn-tail", fp);
        fclose(fp);
    }
}

static void check_recovered(struct kf_testfs *f, int threads)
{
    struct kf_logmgr_config c = mcfg(f, threads);
    kf_logmgr_t            *m;
    int                     p;

    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, NULL), 0);
    assert_int_equal(kf_logmgr_count(m), NPARTS);
    for (p = 0; p < NPARTS; p++) {
        kf_log_t *l = kf_logmgr_get(m, "r", p);

        assert_non_null(l);
        assert_int_equal(kf_log_end(l), records_of(p));
    }
    close_mgr(f, m);
}

static void test_parallel_recovery(void **state)
{
    struct kf_testfs *f = *state;

    make_unclean(f);
    check_recovered(f, 4);
    /* clean now: the marker's shortcut, one at a time */
    check_recovered(f, 1);
}

static void test_serial_recovery(void **state)
{
    struct kf_testfs *f = *state;

    make_unclean(f);
    check_recovered(f, 0); /* <= 0: one job per dir */
}

/* One partition is not a Kafka log (overlapping segments): the start
 * fails, naming the step, every other log is closed and freed, and the
 * marker stays (the next start may still take the shortcut). */
static void test_one_bad_partition_fails_start(void **state)
{
    struct kf_testfs              *f = *state;
    struct kf_logmgr_config c = mcfg(f, 3);
    kf_logmgr_t            *m;
    const char             *what = NULL;
    char                    from[256], to[256], marker[256];
    int                     i;

    make_unclean(f);
    check_recovered(f, 2); /* writes the markers */
    for (i = 0; i < 2; i++) {
        snprintf(from, sizeof from, "%s/r-5/%020d.log", f->dirs[i], 0);
        if (access(from, F_OK) == 0)
            break;
    }
    assert_true(i < 2);
    /* a second segment that overlaps the first */
    snprintf(to, sizeof to, "%s/r-5/%020d.log", f->dirs[i], 3);
    {
        FILE  *in = fopen(from, "rb"), *out = fopen(to, "wb");
        char   b[4096];
        size_t n;

        assert_non_null(in);
        assert_non_null(out);
        while ((n = fread(b, 1, sizeof b, in)) > 0)
            fwrite(b, 1, n, out);
        fclose(in);
        fclose(out);
    }
    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), ERR_CORRUPT);
    assert_string_equal(what, "open partition log");
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the other logs' closes finish */
    snprintf(marker, sizeof marker, "%s/.kafka_cleanshutdown", f->dirs[0]);
    assert_int_equal(access(marker, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parallel_recovery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_serial_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_bad_partition_fails_start,
                                        setup, teardown),
    };

    return cmocka_run_group_tests_name("kf_recovery_par", tests, NULL, NULL);
}
