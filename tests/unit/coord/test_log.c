/* Unit tests for the coord's txn log (zk_log: group commit on the thread
 * pool, replay, torn-tail truncation, purge) and snapshots (zk_snap:
 * round trip, checksum, newest-valid selection). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zk_log.h"
#include "zk_snap.h"

static char    dir[128];
static int64_t durable;
static int     durable_calls;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/odradek-zklog-XXXXXX");
    assert_non_null(mkdtemp(dir));
    durable = 0;
    durable_calls = 0;
    return 0;
}

static int teardown(void **state)
{
    char cmd[200];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void on_durable(zk_log_t *l, int64_t zxid, int err)
{
    (void)l;
    assert_int_equal(err, 0);
    durable = zxid;
    durable_calls++;
}

static int log_closed;

static void on_log_closed(zk_log_t *l)
{
    (void)l;
    log_closed = 1;
}

/* Writes records 1..n through the group-commit path, in batches of
 * `per_iter` appends per loop iteration. */
static void write_records(int from, int n, int per_iter, bool roll_midway)
{
    uv_loop_t loop;
    zk_log_t  l;
    int       i;

    uv_loop_init(&loop);
    zk_log_open(&l, &loop, dir, true, 64 * 1024, from - 1, on_durable, NULL);
    for (i = from; i < from + n; i++) {
        struct zk_req q = { 0 };
        char          path[32];

        snprintf(path, sizeof path, "/n%d", i);
        q.type = ZK_OP_SET_DATA;
        q.path = (slice_t){ (const uint8_t *)path, (int32_t)strlen(path) };
        q.data = (slice_t){ (const uint8_t *)"data", 4 };
        q.version = -1;
        zk_log_append(&l, i, 42, 1000 + i, &q);
        if (roll_midway && i == from + n / 2)
            zk_log_roll(&l);
        if ((i - from + 1) % per_iter == 0)
            uv_run(&loop, UV_RUN_NOWAIT);
    }
    log_closed = 0;
    zk_log_close(&l, on_log_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(log_closed);
    assert_int_equal(durable, from + n - 1);
    assert_int_equal(uv_loop_close(&loop), 0);
}

struct seen {
    int     n;
    int64_t first, last;
};

static int apply(const struct zk_log_rec *rec, void *arg)
{
    struct seen  *s = arg;
    struct zk_req q = { 0 };
    arena_t       a = { 0 };
    rd_t          r = rd_init(rec->body, rec->len);
    char          want[32];

    q.type = rec->type;
    assert_int_equal(zk_jute_req_decode(&r, &q, &a), 0);
    snprintf(want, sizeof want, "/n%lld", (long long)rec->zxid);
    assert_true(slice_eq(q.path, want));
    assert_int_equal(rec->session, 42);
    assert_int_equal(rec->time, 1000 + rec->zxid);
    if (s->n == 0)
        s->first = rec->zxid;
    s->last = rec->zxid;
    s->n++;
    arena_free(&a);
    return 0;
}

static void test_group_commit_and_replay(void **state)
{
    struct seen                s = { 0 };
    struct zk_log_replay_stats st;

    (void)state;
    write_records(1, 500, 50, true);
    /* batches: far fewer fsyncs than records */
    assert_true(durable_calls < 500);
    assert_int_equal(zk_log_replay(dir, 0, apply, &s, &st), 500);
    assert_int_equal(s.first, 1);
    assert_int_equal(st.last, 500);
    assert_int_equal(st.truncated, 0);
    /* replay after a snapshot point skips what it holds */
    memset(&s, 0, sizeof s);
    assert_int_equal(zk_log_replay(dir, 300, apply, &s, &st), 200);
    assert_int_equal(s.first, 301);
    /* a second writer continues in a new file */
    write_records(501, 10, 10, false);
    memset(&s, 0, sizeof s);
    assert_int_equal(zk_log_replay(dir, 0, apply, &s, &st), 510);
}

static void last_log(char *out, size_t n)
{
    char cmd[256];
    FILE *p;

    snprintf(cmd, sizeof cmd, "ls %s/log.* | sort | tail -1", dir);
    p = popen(cmd, "r");
    assert_non_null(fgets(out, (int)n, p));
    out[strcspn(out, "\n")] = 0;
    pclose(p);
}

static void test_torn_tail_truncated(void **state)
{
    struct seen                s = { 0 };
    struct zk_log_replay_stats st;
    char                       path[256];
    int                        fd;
    struct stat                sb;
    off_t                      end;
    uint8_t                    rec[64];

    (void)state;
    write_records(1, 20, 5, false);
    last_log(path, sizeof path);
    /* find the end of data: replay once and look at the file size after */
    assert_int_equal(zk_log_replay(dir, 0, apply, &s, &st), 20);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    /* overwrite the last record's checksum byte: it becomes the torn tail */
    {
        uint8_t buf[1 << 16];
        ssize_t n = pread(fd, buf, sizeof buf, 0);
        size_t  off = 16, last = 16;

        while (off + 8 <= (size_t)n) {
            uint32_t len = (uint32_t)buf[off] << 24 | buf[off + 1] << 16 |
                           buf[off + 2] << 8 | buf[off + 3];

            if (len == 0)
                break;
            last = off;
            off += 8 + len;
        }
        end = (off_t)off;
        buf[last + 5] ^= 0xff;
        assert_int_equal(pwrite(fd, buf + last + 5, 1, (off_t)last + 5), 1);
        end = (off_t)last;
    }
    memset(rec, 0x11, sizeof rec);
    close(fd);
    memset(&s, 0, sizeof s);
    assert_int_equal(zk_log_replay(dir, 0, apply, &s, &st), 19);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(st.last, 19);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, end); /* cut right before the bad record */
    /* idempotent: a second recovery sees a clean log */
    memset(&s, 0, sizeof s);
    assert_int_equal(zk_log_replay(dir, 0, apply, &s, &st), 19);
    assert_int_equal(st.truncated, 0);
}

static void test_purge(void **state)
{
    struct seen                s = { 0 };
    struct zk_log_replay_stats st;

    (void)state;
    write_records(1, 10, 10, false);
    write_records(11, 10, 10, false);
    write_records(21, 10, 10, false);
    assert_int_equal(zk_log_purge(dir, 5), 0);   /* file 1 holds 6..10 still */
    assert_int_equal(zk_log_purge(dir, 20), 2);  /* files 1 and 11 go */
    assert_int_equal(zk_log_replay(dir, 20, apply, &s, &st), 10);
}

static void test_snapshot_roundtrip_and_newest_valid(void **state)
{
    zk_tree_t      t, t2;
    struct zk_req  q = { 0 };
    struct zk_acl  acl[1] = { { 31, { (const uint8_t *)"world", 5 },
                                { (const uint8_t *)"anyone", 6 } } };
    arena_t        a = { 0 };
    buf_t          out = BUF_INIT, snap = BUF_INIT;
    uint8_t        pw[16] = { 9 };
    int64_t        zxid;
    int            i, skipped;
    char           path[300];
    struct zk_node *n;

    (void)state;
    zk_tree_init(&t);
    zk_tree_restore_session(&t, 77, 5000, pw);
    for (i = 1; i <= 100; i++) {
        struct zk_txn tx = { i, 5000 + i, 77, &q };
        char          p[32];

        snprintf(p, sizeof p, i % 10 ? "/d%d" : "/d%d-eph", i);
        q.type = ZK_OP_CREATE;
        q.path = (slice_t){ (const uint8_t *)p, (int32_t)strlen(p) };
        q.data = (slice_t){ (const uint8_t *)p, (int32_t)strlen(p) };
        q.acl = acl;
        q.nacl = 1;
        q.flags = i % 10 ? 0 : 1;
        assert_int_equal(zk_tree_exec(&t, &tx, NULL, &a, &out), 0);
        zk_tree_events_clear(&t);
    }
    zk_snap_serialize(&t, &snap);
    zk_tree_init(&t2);
    assert_int_equal(zk_snap_parse(&t2, snap.data, snap.len, &zxid), 0);
    assert_int_equal(zxid, 100);
    assert_int_equal(t2.nnodes, t.nnodes);
    assert_int_equal(t2.neph, 10);
    n = zk_tree_find(&t2, "/d10-eph", 8);
    assert_non_null(n);
    assert_int_equal(n->owner, 77);
    assert_int_equal(n->ctime, 5010);
    assert_int_equal(zk_tree_session(&t2, 77)->passwd[0], 9);
    assert_int_equal(zk_tree_find(&t2, "/", 1)->cversion, 100); /* stored: creates */
    zk_tree_free(&t2);
    /* every flipped byte is detected */
    for (i = 0; i < (int)snap.len; i += 97) {
        zk_tree_init(&t2);
        snap.data[i] ^= 0x40;
        assert_int_not_equal(zk_snap_parse(&t2, snap.data, snap.len, &zxid), 0);
        snap.data[i] ^= 0x40;
        zk_tree_free(&t2);
    }
    /* files: the newest valid one wins; a corrupt newest is skipped */
    assert_int_equal(zk_snap_write(dir, 100, &snap), 0);
    snap.data[20] ^= 1;
    assert_int_equal(zk_snap_write(dir, 200, &snap), 0);
    zk_tree_init(&t2);
    assert_int_equal(zk_snap_load(dir, &t2, &zxid, &skipped), 1);
    assert_int_equal(zxid, 100);
    assert_int_equal(skipped, 1);
    zk_tree_free(&t2);
    snprintf(path, sizeof path, "%s/snapshot.0000000000000064", dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(zk_snap_purge(dir, 1), 200);
    assert_int_not_equal(access(path, F_OK), 0);
    zk_tree_free(&t);
    arena_free(&a);
    buf_free(&out);
    buf_free(&snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_commit_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_roundtrip_and_newest_valid, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("zk_log", tests, NULL, NULL);
}
