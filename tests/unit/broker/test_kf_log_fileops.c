/* kf_log: the small file operations that left the loop thread, and the
 * split open the log manager's parallel recovery uses:
 * - segment deletion: the renames to *.deleted happen in the flush job,
 *   not in kf_log_retain (the files are still there when it returns, and
 *   gone, not even as *.deleted, once the loop has run);
 * - a roll onto the base of a segment a truncation just deleted, before
 *   its job ran: the new file must not be renamed away (renames_settle);
 * - a destroy while renames are pending; compaction waits for them;
 * - leader-epoch-checkpoint written by the flush job, in order, and a
 *   roll's producer snapshot by the next job when one is running;
 * - kf_log_open_blocking on other threads, several logs at once, torn
 *   tails cut, then kf_log_open_attach on the loop. */
#include "cmocka_all.h"

#include <dirent.h>
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
#include "kf_compact.h"
#include "kf_log.h"
#include "kf_testbatch.h"
#include "kf_testfs.h"

#define T0 1700000000000LL



static int setup(void **state)
{
    return kf_testfs_setup(state, "/tmp/kffopsXXXXXX");
}

/* The thread pool has one thread (main sets UV_THREADPOOL_SIZE=1); a
 * closed gate occupies it, so the jobs queued behind it wait until
 * gate_open: what the loop thread did by itself is visible before. */
static uv_sem_t  gate_sem;
static uv_work_t gate_req;
static bool      gate_closed; /* teardown opens it after a failure */

static void gate_work(uv_work_t *req)
{
    (void)req;
    uv_sem_wait(&gate_sem);
}

static void gate_after(uv_work_t *req, int status)
{
    (void)req;
    (void)status;
}

static void gate_close(struct kf_testfs *f)
{
    assert_int_equal(uv_sem_init(&gate_sem, 0), 0);
    gate_closed = true;
    assert_int_equal(uv_queue_work(&f->loop, &gate_req, gate_work, gate_after),
                     0);
}

static void gate_open(struct kf_testfs *f)
{
    gate_closed = false;
    uv_sem_post(&gate_sem);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_sem_destroy(&gate_sem);
}

static int teardown(void **state)
{
    struct kf_testfs *f = *state;

    if (gate_closed) { /* a test failed with the gate closed */
        gate_closed = false;
        uv_sem_post(&gate_sem);
    }
    (void)f;
    return kf_testfs_teardown(state);
}

static struct kf_log_config cfg_small(void)
{
    struct kf_log_config c;

    kf_log_config_default(&c);
    c.index_interval_bytes = 100;
    return c;
}

static kf_log_t *open_log(struct kf_testfs *f, const char *topic, bool clean)
{
    struct kf_log_config    c = cfg_small();
    struct kf_log_open_opts o = {-1, -1, clean, true, T0};
    kf_log_t               *l = NULL;

    assert_int_equal(kf_log_open(&l, &f->loop, f->root, topic, 0, &c, &o, NULL),
                     0);
    return l;
}

static void closed_cb(void *arg, int status)
{
    int *flag = arg;

    *flag = status == 0 ? 1 : status;
}

static void close_log(struct kf_testfs *f, kf_log_t *l)
{
    int done = 0;

    kf_log_close(l, closed_cb, &done);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(done, 1);
}

static void append_n(kf_log_t *l, int nrec, int64_t ts, int32_t epoch)
{
    buf_t                       b = BUF_INIT;
    struct kf_log_append_result r;
    struct tb_opts              o = tb_default();

    o.base_ts = ts;
    tb_batch(&b, nrec, &o);
    assert_int_equal(kf_log_append(l, b.data, b.len, epoch, T0, &r, NULL, NULL),
                     0);
    buf_free(&b);
}

/* Files in dir whose name ends with suffix. */
static int count_files(const char *dir, const char *suffix)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    int            n = 0;
    size_t         sl = strlen(suffix);

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len > sl && strcmp(e->d_name + len - sl, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static bool seg_exists(const char *dir, int64_t base, const char *suffix)
{
    char p[256];

    snprintf(p, sizeof p, "%s/%020" PRId64 "%s", dir, base, suffix);
    return access(p, F_OK) == 0;
}

static void test_retention_renames_in_flush_job(void **state)
{
    struct kf_testfs             *f = *state;
    kf_log_t              *l = open_log(f, "t", false);
    struct kf_log_config   c = cfg_small();
    struct kf_log_seg_info info[8];
    int                    i;

    for (i = 0; i < 4; i++) { /* four segments of 5 records, old stamps */
        append_n(l, 5, T0 - 10 * 24 * 3600 * 1000LL, -1);
        assert_int_equal(kf_log_roll(l, T0), 0);
    }
    append_n(l, 5, T0, -1);
    assert_int_equal(kf_log_segments(l, info, 8), 5);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the rolls' flushes */
    kf_log_set_config(l, &c);
    gate_close(f);
    assert_int_equal(kf_log_retain(l, T0), 4);
    assert_int_equal(kf_log_start(l), 20);
    /* nothing renamed on the loop: the files still have their names */
    for (i = 0; i < 4; i++)
        assert_true(seg_exists(f->dir, info[i].base_offset, ".log"));
    assert_int_equal(count_files(f->dir, ".deleted"), 0);
    /* compaction waits until they are renamed */
    {
        struct kf_compact_cfg cc;

        kf_compact_cfg_defaults(&cc);
        assert_int_equal(kf_log_compact(l, &cc, T0, NULL, NULL), ERR_STATE);
    }
    gate_open(f);
    for (i = 0; i < 4; i++)
        assert_false(seg_exists(f->dir, info[i].base_offset, ".log"));
    assert_int_equal(count_files(f->dir, ".deleted"), 0);
    assert_int_equal(count_files(f->dir, ".log"), 1);
    close_log(f, l);
    l = open_log(f, "t", true);
    assert_int_equal(kf_log_start(l), 20);
    assert_int_equal(kf_log_end(l), 25);
    close_log(f, l);
}

/* Truncation deletes segments 10 and 20; before their job has run, the
 * log grows back and rolls at 10: the new 10 must survive that job. */
static void test_roll_onto_pending_deleted_base(void **state)
{
    struct kf_testfs *f = *state;
    kf_log_t  *l = open_log(f, "t", false);
    int        i;

    for (i = 0; i < 3; i++) { /* segments 0, 10, 20 of two batches */
        append_n(l, 5, T0, -1);
        append_n(l, 5, T0, -1);
        assert_int_equal(kf_log_roll(l, T0), 0);
    }
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(kf_log_end(l), 30);
    gate_close(f);
    assert_int_equal(kf_log_truncate(l, 5), 0);
    assert_int_equal(kf_log_end(l), 5);
    assert_true(seg_exists(f->dir, 10, ".log")); /* rename pending */
    append_n(l, 5, T0, -1);
    assert_int_equal(kf_log_roll(l, T0), 0); /* a new 10 */
    append_n(l, 7, T0, -1);
    gate_open(f);
    assert_true(seg_exists(f->dir, 10, ".log"));
    assert_false(seg_exists(f->dir, 20, ".log"));
    assert_int_equal(count_files(f->dir, ".deleted"), 0);
    close_log(f, l);
    l = open_log(f, "t", true);
    assert_int_equal(kf_log_end(l), 17);
    close_log(f, l);
    /* and after an unclean stop (full scan) as well */
    l = open_log(f, "t", false);
    assert_int_equal(kf_log_end(l), 17);
    close_log(f, l);
}

static void test_destroy_with_renames_pending(void **state)
{
    struct kf_testfs *f = *state;
    kf_log_t  *l = open_log(f, "t", false);
    int        i;

    for (i = 0; i < 3; i++) {
        append_n(l, 10, T0, -1);
        assert_int_equal(kf_log_roll(l, T0), 0);
    }
    assert_int_equal(kf_log_delete_records(l, 25), 0);
    assert_int_equal(kf_log_destroy(l), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_not_equal(access(f->dir, F_OK), 0);
    /* a new log of that name is not touched by the old one's jobs */
    l = open_log(f, "t", false);
    append_n(l, 3, T0, -1);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_true(seg_exists(f->dir, 0, ".log"));
    close_log(f, l);
}

static void read_text(const char *path, char *out, size_t cap)
{
    FILE  *fp = fopen(path, "r");
    size_t n;

    assert_non_null(fp);
    n = fread(out, 1, cap - 1, fp);
    fclose(fp);
    out[n] = '\0';
}

static void test_epoch_checkpoint_in_flush_job(void **state)
{
    struct kf_testfs *f = *state;
    kf_log_t  *l = open_log(f, "t", false);
    char       p[256], txt[128];

    snprintf(p, sizeof p, "%s/leader-epoch-checkpoint", f->dir);
    gate_close(f);
    append_n(l, 2, T0, 3);
    assert_int_equal(kf_log_set_leader_epoch(l, 5), 0);
    assert_int_equal(kf_log_leader_epoch(l), 5);
    append_n(l, 2, T0, 5);
    assert_int_equal(kf_log_set_leader_epoch(l, 7), 0);
    /* not written on the loop thread */
    assert_int_not_equal(access(p, F_OK), 0);
    gate_open(f);
    read_text(p, txt, sizeof txt);
    assert_string_equal(txt, "0\n3\n3 0\n5 2\n7 4\n");
    /* truncation trims the table, written by the job again */
    assert_int_equal(kf_log_truncate(l, 2), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    read_text(p, txt, sizeof txt);
    assert_string_equal(txt, "0\n1\n3 0\n");
    close_log(f, l);
}

/* An epoch change while a job runs, then a close (whose final job
 * overlaps the running one): the newest table is what stays. */
static void test_epoch_checkpoint_close_overlap(void **state)
{
    struct kf_testfs *f = *state;
    kf_log_t  *l = open_log(f, "t", false);
    char       p[256], txt[128];
    int        done = 0;

    snprintf(p, sizeof p, "%s/leader-epoch-checkpoint", f->dir);
    gate_close(f);
    append_n(l, 2, T0, 3); /* a job for epoch 3, held by the gate */
    assert_int_equal(kf_log_set_leader_epoch(l, 5), 0);
    kf_log_close(l, closed_cb, &done); /* its job has 3 and 5 */
    gate_open(f);
    assert_int_equal(done, 1);
    read_text(p, txt, sizeof txt);
    assert_string_equal(txt, "0\n2\n3 0\n5 2\n");
}

/* A roll while a flush job runs: the producer snapshot at the new base
 * is written by the next job, not on the loop. */
static void test_roll_snapshot_while_job_runs(void **state)
{
    struct kf_testfs *f = *state;
    kf_log_t  *l = open_log(f, "t", false);

    uv_run(&f->loop, UV_RUN_DEFAULT); /* the new log's first flush */
    gate_close(f);
    append_n(l, 5, T0, -1);
    assert_int_equal(kf_log_roll(l, T0), 0); /* job 1: snapshot at 5 */
    append_n(l, 5, T0, -1);
    assert_int_equal(kf_log_roll(l, T0), 0); /* job 1 runs: pending 10 */
    assert_false(seg_exists(f->dir, 5, ".snapshot"));
    assert_false(seg_exists(f->dir, 10, ".snapshot"));
    gate_open(f);
    assert_true(seg_exists(f->dir, 5, ".snapshot"));
    assert_true(seg_exists(f->dir, 10, ".snapshot"));
    close_log(f, l);
    assert_true(seg_exists(f->dir, 10, ".snapshot"));
}

/* ---- split open on other threads ---------------------------------------- */

#define NPAR 6

struct par_open {
    struct kf_testfs *f;
    char       topic[16];
    kf_log_t  *l;
    int64_t    cut;
    int        rc;
};

static void par_open_thread(void *arg)
{
    struct par_open        *po = arg;
    struct kf_log_config    c = cfg_small();
    struct kf_log_open_opts o = {-1, -1, false, false, T0};

    po->rc = kf_log_open_blocking(&po->l, &po->f->loop, po->f->root, po->topic,
                                  0, &c, &o, &po->cut);
}

static void test_open_blocking_on_threads(void **state)
{
    struct kf_testfs      *f = *state;
    struct par_open po[NPAR];
    uv_thread_t     th[NPAR];
    int             i;

    for (i = 0; i < NPAR; i++) {
        kf_log_t *l;
        char      p[256];
        FILE     *fp;

        memset(&po[i], 0, sizeof po[i]);
        po[i].f = f;
        snprintf(po[i].topic, sizeof po[i].topic, "p%d", i);
        l = open_log(f, po[i].topic, false);
        append_n(l, 10, T0, 1);
        assert_int_equal(kf_log_roll(l, T0), 0);
        append_n(l, 10 + i, T0, 2);
        close_log(f, l);
        /* a torn tail on every other log: 7 bytes of garbage */
        if (i % 2 == 0) {
            snprintf(p, sizeof p, "%s/p%d-0/%020d.log", f->root, i, 10);
            fp = fopen(p, "a");
            assert_non_null(fp);
            fputs("garbage", fp);
            fclose(fp);
        }
    }
    for (i = 0; i < NPAR; i++)
        assert_int_equal(uv_thread_create(&th[i], par_open_thread, &po[i]), 0);
    for (i = 0; i < NPAR; i++)
        assert_int_equal(uv_thread_join(&th[i]), 0);
    for (i = 0; i < NPAR; i++) {
        assert_int_equal(po[i].rc, 0);
        assert_int_equal(po[i].cut, i % 2 == 0 ? 7 : 0);
        kf_log_open_attach(po[i].l);
        assert_int_equal(kf_log_end(po[i].l), 20 + i);
        assert_int_equal(kf_log_leader_epoch(po[i].l), 2);
    }
    uv_run(&f->loop, UV_RUN_DEFAULT);
    for (i = 0; i < NPAR; i++) {
        assert_int_equal(kf_log_flushed(po[i].l), 20 + i);
        close_log(f, po[i].l);
    }
}

int main(void)
{
    setenv("UV_THREADPOOL_SIZE", "1", 1); /* before the pool starts */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retention_renames_in_flush_job,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_roll_onto_pending_deleted_base,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_with_renames_pending,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_checkpoint_in_flush_job,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_checkpoint_close_overlap,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_roll_snapshot_while_job_runs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_blocking_on_threads, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("kf_log_fileops", tests, NULL, NULL);
}
