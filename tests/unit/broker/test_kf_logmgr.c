/* kf_logmgr: several log dirs, discovery at start, meta.properties,
 * checkpoints and the clean-shutdown marker, create/delete of partitions,
 * refusal of a foreign broker.id and of a locked dir. */
#include "cmocka_all.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
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



static int setup(void **state)
{
    int rc = kf_testfs_setup(state, "/tmp/kfmgrXXXXXX");

    if (rc == 0) { /* the first log dir one level deeper */
        struct kf_testfs *f = *state;

        snprintf(f->d1, sizeof f->d1, "%s/a/logs", f->root);
    }
    return rc;
}

static int teardown(void **state)
{
    return kf_testfs_teardown(state);
}

static struct kf_logmgr_config mcfg(struct kf_testfs *f, int32_t id)
{
    struct kf_logmgr_config c;

    memset(&c, 0, sizeof c);
    c.dirs = f->dirs;
    c.ndirs = 2;
    c.broker_id = id;
    kf_log_config_default(&c.defaults);
    c.retention_check_ms = 300000;
    c.flush_check_ms = 1000;
    c.checkpoint_ms = 60000;
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

static char *slurp(const char *path)
{
    static char txt[4096];
    FILE       *fp = fopen(path, "r");
    size_t      n;

    if (fp == NULL)
        return NULL;
    n = fread(txt, 1, sizeof txt - 1, fp);
    fclose(fp);
    txt[n] = 0;
    return txt;
}

static void append_some(kf_log_t *l, int batches)
{
    struct tb_opts o = tb_default();
    buf_t          b = BUF_INIT;
    int            i;

    tb_batch(&b, 2, &o);
    for (i = 0; i < batches; i++)
        assert_int_equal(
            kf_log_append(l, b.data, b.len, 0, 0, NULL, NULL, NULL), 0);
    buf_free(&b);
}

static void test_lifecycle(void **state)
{
    struct kf_testfs              *f = *state;
    struct kf_logmgr_config c = mcfg(f, 7);
    kf_logmgr_t            *m;
    kf_log_t               *l, *l2;
    const char             *what;
    char                    p[256], *txt;
    int                     i, in1 = 0, in2 = 0;

    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), 0);
    assert_int_equal(kf_logmgr_count(m), 0);
    assert_string_equal(kf_logmgr_cluster_id(m), "");
    for (i = 0; i < 4; i++) {
        assert_int_equal(kf_logmgr_create(m, "orders", i, NULL, &l), 0);
        append_some(l, i + 1);
        if (strcmp(kf_log_root(l), f->d1) == 0)
            in1++;
        else
            in2++;
    }
    assert_int_equal(in1, 2); /* spread over the dirs */
    assert_int_equal(in2, 2);
    assert_int_equal(kf_logmgr_create(m, "orders", 1, NULL, &l2), 0);
    assert_ptr_equal(l2, kf_logmgr_get(m, "orders", 1));
    assert_int_equal(kf_logmgr_create(m, "bad/name", 0, NULL, &l2),
                     ERR_MALFORMED);
    assert_int_equal(kf_logmgr_create(m, "..", 0, NULL, &l2), ERR_MALFORMED);
    assert_int_equal(kf_logmgr_create(m, "", 0, NULL, &l2), ERR_MALFORMED);
    assert_int_equal(kf_logmgr_create(m, "x", -1, NULL, &l2), ERR_MALFORMED);
    assert_int_equal(kf_logmgr_create(m, "my-topic.v2_x", 0, NULL, &l2), 0);
    assert_int_equal(kf_logmgr_set_cluster_id(m, "AAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(kf_logmgr_set_cluster_id(m, "BBBBBBBBBBBBBBBBBBBBBB"),
                     ERR_CONFIG);
    /* a second broker on the same dirs is refused (flock) */
    {
        kf_logmgr_t *m2;

        assert_int_equal(kf_logmgr_open(&m2, &f->loop, &c, &what), UV_EBUSY);
    }
    assert_int_equal(kf_logmgr_delete(m, "orders", 3), 0);
    assert_int_equal(kf_logmgr_delete(m, "orders", 3), ERR_NOTFOUND);
    assert_null(kf_logmgr_get(m, "orders", 3));
    assert_int_equal(kf_logmgr_checkpoint(m), 0);
    close_mgr(f, m);

    /* files at the roots, in Kafka's formats */
    snprintf(p, sizeof p, "%s/meta.properties", f->d1);
    txt = slurp(p);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "version=0\n"));
    assert_non_null(strstr(txt, "broker.id=7\n"));
    assert_non_null(strstr(txt, "cluster.id=AAAAAAAAAAAAAAAAAAAAAA\n"));
    snprintf(p, sizeof p, "%s/.kafka_cleanshutdown", f->d2);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/recovery-point-offset-checkpoint", f->d1);
    txt = slurp(p);
    assert_non_null(txt);
    assert_memory_equal(txt, "0\n", 2);
    {
        int   n1 = 0, n2 = 0;
        char *q;

        snprintf(p, sizeof p, "%s/replication-offset-checkpoint", f->d1);
        txt = slurp(p);
        sscanf(txt, "0\n%d\n", &n1);
        q = strstr(txt, "orders ");
        assert_non_null(q);
        snprintf(p, sizeof p, "%s/replication-offset-checkpoint", f->d2);
        sscanf(slurp(p), "0\n%d\n", &n2);
        assert_int_equal(n1 + n2, 4); /* orders 0..2 + my-topic.v2_x */
    }
    snprintf(p, sizeof p, "%s/cleaner-offset-checkpoint", f->d1);
    assert_string_equal(slurp(p), "0\n0\n");

    /* restart: everything is discovered, offsets intact, marker gone */
    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), 0);
    assert_int_equal(kf_logmgr_count(m), 4);
    assert_string_equal(kf_logmgr_cluster_id(m), "AAAAAAAAAAAAAAAAAAAAAA");
    for (i = 0; i < 3; i++) {
        l = kf_logmgr_get(m, "orders", i);
        assert_non_null(l);
        assert_int_equal(kf_log_end(l), 2 * (i + 1));
        assert_int_equal(kf_log_flushed(l), 2 * (i + 1));
    }
    assert_null(kf_logmgr_get(m, "orders", 3));
    snprintf(p, sizeof p, "%s/.kafka_cleanshutdown", f->d2);
    assert_int_not_equal(access(p, F_OK), 0);
    close_mgr(f, m);

    /* another broker.id is a configuration error */
    c = mcfg(f, 8);
    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), ERR_CONFIG);
    assert_non_null(strstr(what, "broker.id"));
}

/* Leftovers of an interrupted delete are removed at start; foreign
 * directories and files are ignored. */
static void test_discovery_leftovers(void **state)
{
    struct kf_testfs              *f = *state;
    struct kf_logmgr_config c = mcfg(f, 1);
    kf_logmgr_t            *m;
    const char             *what;
    char                    p[256];

    c.ndirs = 1;
    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), 0);
    close_mgr(f, m);
    snprintf(p, sizeof p, "%s/t-0.0123456789abcdef0123456789abcdef-delete",
             f->d1);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p,
             "%s/t-0.0123456789abcdef0123456789abcdef-delete/"
             "00000000000000000000.log",
             f->d1);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof p, "%s/lost+found", f->d1);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/t-x", f->d1);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/good-12", f->d1);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), 0);
    assert_int_equal(kf_logmgr_count(m), 1);
    assert_non_null(kf_logmgr_get(m, "good", 12));
    snprintf(p, sizeof p, "%s/t-0.0123456789abcdef0123456789abcdef-delete",
             f->d1);
    assert_int_not_equal(access(p, F_OK), 0);
    close_mgr(f, m);
}

/* An unclean stop (no close): the next start recovers from the
 * checkpointed recovery point; data written is still there. */
static void test_unclean_restart(void **state)
{
    struct kf_testfs              *f = *state;
    struct kf_logmgr_config c = mcfg(f, 1);
    kf_logmgr_t            *m;
    kf_log_t               *l;
    const char             *what;
    char                    p[256];

    c.ndirs = 1;
    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), 0);
    assert_int_equal(kf_logmgr_create(m, "t", 0, NULL, &l), 0);
    append_some(l, 5);
    close_mgr(f, m);
    /* simulate a crash after the restart: remove the marker by hand */
    snprintf(p, sizeof p, "%s/.kafka_cleanshutdown", f->d1);
    assert_int_equal(unlink(p), 0);
    {
        int fd;

        snprintf(p, sizeof p, "%s/t-0/00000000000000000000.log", f->d1);
        fd = open(p, O_WRONLY | O_APPEND);
        assert_int_equal(write(fd, "torn", 4), 4);
        close(fd);
    }
    assert_int_equal(kf_logmgr_open(&m, &f->loop, &c, &what), 0);
    l = kf_logmgr_get(m, "t", 0);
    assert_non_null(l);
    assert_int_equal(kf_log_end(l), 10);
    close_mgr(f, m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discovery_leftovers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unclean_restart, setup, teardown),
    };

    return cmocka_run_group_tests_name("kf_logmgr", tests, NULL, NULL);
}
