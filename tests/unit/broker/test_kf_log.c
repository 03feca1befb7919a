/* kf_log: append, read slices, roll, retention, flush/group commit,
 * recovery with torn tails and torn or missing indexes, the clean-shutdown
 * shortcut, producer state across restarts, and hostile append inputs. */
#include "cmocka_all.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "crc32c.h"
#include "err.h"
#include "kf_compact.h"
#include "kf_log.h"
#include "kf_testbatch.h"
#include "kf_testfs.h"
#include "rd.h"



static int setup(void **state)
{
    return kf_testfs_setup(state, "/tmp/kflogXXXXXX");
}

static int teardown(void **state)
{
    return kf_testfs_teardown(state);
}

static struct kf_log_config cfg_small(void)
{
    struct kf_log_config c;

    kf_log_config_default(&c);
    c.index_interval_bytes = 100;
    return c;
}

static kf_log_t *open_log(struct kf_testfs *f, const struct kf_log_config *c,
                          bool clean, int64_t rp, int64_t *cut)
{
    struct kf_log_open_opts o = {rp, -1, clean, true, 1700000000000LL};
    kf_log_t               *l = NULL;
    int64_t                 dummy;

    assert_int_equal(
        kf_log_open(&l, &f->loop, f->root, "t", 0, c, &o, cut ? cut : &dummy),
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

static int64_t append_n(kf_log_t *l, int nrec, struct tb_opts *o)
{
    buf_t                       b = BUF_INIT;
    struct kf_log_append_result r;
    int                         rc;

    tb_batch(&b, nrec, o);
    rc = kf_log_append(l, b.data, b.len, 3, 1700000000000LL, &r, NULL, NULL);
    buf_free(&b);
    assert_int_equal(rc, 0);
    return r.base_offset;
}

/* Read the slice and check every whole batch: base offsets follow, CRC
 * valid; returns the number of records seen in whole batches. */
static int64_t check_slice(const struct kf_log_slice *s, int64_t *first_base)
{
    uint8_t *p = malloc(s->len ? s->len : 1);
    size_t   at = 0;
    int64_t  recs = 0;

    assert_int_equal(pread(s->fd, p, s->len, s->pos), (ssize_t)s->len);
    *first_base = -1;
    while (at + 61 <= s->len) {
        rd_t     r = rd_init(p + at, s->len - at);
        int64_t  base = rd_i64(&r);
        int32_t  blen = rd_i32(&r);
        int32_t  epoch = rd_i32(&r);
        int8_t   magic = rd_i8(&r);
        uint32_t crc = rd_u32(&r);
        int32_t  delta;

        if (at + 12 + (size_t)blen > s->len)
            break; /* a partial last batch */
        if (*first_base < 0)
            *first_base = base;
        assert_int_equal(magic, 2);
        assert_int_equal(epoch, 3);
        assert_int_equal(crc32c(0, p + at + 21, 12 + (size_t)blen - 21), crc);
        r.p += 2;
        delta = rd_i32(&r);
        recs += delta + 1;
        at += 12 + (size_t)blen;
    }
    free(p);
    return recs;
}

static void test_append_read(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    struct kf_log_slice  s;
    kf_log_t            *l = open_log(f, &c, false, -1, NULL);
    int64_t              base, i;

    assert_int_equal(kf_log_end(l), 0);
    assert_int_equal(append_n(l, 1, &o), 0);
    assert_int_equal(append_n(l, 5, &o), 1);
    assert_int_equal(append_n(l, 3, &o), 6);
    assert_int_equal(kf_log_end(l), 9);
    assert_int_equal(kf_log_hw(l), 9);
    /* each offset reads from the batch that holds it */
    for (i = 0; i < 9; i++) {
        int64_t want = i < 1 ? 0 : i < 6 ? 1 : 6;

        assert_int_equal(kf_log_read(l, i, 1 << 20, kf_log_hw(l), true, &s), 0);
        assert_true(s.len > 0);
        assert_int_equal(s.first_offset, want);
        check_slice(&s, &base);
        assert_int_equal(base, want);
        kf_log_slice_release(s.ref);
    }
    /* at the LEO: nothing; beyond: out of range */
    assert_int_equal(kf_log_read(l, 9, 1 << 20, 9, true, &s), 0);
    assert_int_equal(s.len, 0);
    assert_int_equal(kf_log_read(l, 10, 1 << 20, 9, true, &s), ERR_NOTFOUND);
    /* max_bytes smaller than a batch: min_one gives it whole */
    assert_int_equal(kf_log_read(l, 1, 10, 9, true, &s), 0);
    assert_true(s.len > 10);
    assert_int_equal(check_slice(&s, &base), 5);
    kf_log_slice_release(s.ref);
    /* without min_one a partial range, as Kafka */
    assert_int_equal(kf_log_read(l, 1, 10, 9, false, &s), 0);
    assert_int_equal(s.len, 10);
    kf_log_slice_release(s.ref);
    /* max_offset stops before the batch at 6 */
    assert_int_equal(kf_log_read(l, 0, 1 << 20, 6, true, &s), 0);
    assert_int_equal(check_slice(&s, &base), 6);
    kf_log_slice_release(s.ref);
    close_log(f, l);
}

static void test_multi_batch_append(void **state)
{
    struct kf_testfs                  *f = *state;
    struct kf_log_config        c = cfg_small();
    struct tb_opts              o = tb_default();
    struct kf_log_append_result r;
    struct kf_log_slice         s;
    buf_t                       b = BUF_INIT;
    kf_log_t                   *l = open_log(f, &c, false, -1, NULL);
    int64_t                     base;
    int                         i;

    for (i = 0; i < 20; i++)
        tb_batch(&b, 2, &o);
    assert_int_equal(kf_log_append(l, b.data, b.len, 3, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.base_offset, 0);
    assert_int_equal(r.last_offset, 39);
    assert_int_equal(kf_log_read(l, 0, 1 << 20, 40, true, &s), 0);
    assert_int_equal(s.len, b.len);
    assert_int_equal(check_slice(&s, &base), 40);
    kf_log_slice_release(s.ref);
    /* the caller's bytes are untouched */
    assert_int_equal(b.data[7], 0);
    buf_free(&b);
    close_log(f, l);
}

/* Hostile appends: each is refused and the log does not move. */
static void test_append_hostile(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    kf_log_t            *l = open_log(f, &c, false, -1, NULL);
    buf_t                good = BUF_INIT;
    static const struct {
        const char *name;
        size_t      at; /* byte to change, or SIZE_MAX */
        int         value;
        long        cut; /* bytes to drop from the end */
    } rows[] = {
        {"empty", SIZE_MAX, 0, -1},
        {"shorter than a header", SIZE_MAX, 0, 30},
        {"truncated body", SIZE_MAX, 0, 1},
        {"magic 1", 16, 1, 0},
        {"magic 3", 16, 3, 0},
        {"length huge", 8, 0x7f, 0},
        {"length negative", 8, 0x80, 0},
        {"length below header", 10, 0, 0},
        {"negative last delta", 23, 0xff, 0},
        {"negative record count", 57, 0xff, 0},
    };
    size_t i;

    tb_batch(&good, 3, &o);
    for (i = 0; i < N_ELEMS(rows); i++) {
        buf_t  bad = BUF_INIT;
        size_t n = good.len;

        print_message("case: %s\n", rows[i].name);
        buf_put(&bad, good.data, good.len);
        if (rows[i].at != SIZE_MAX) {
            bad.data[rows[i].at] = (uint8_t)rows[i].value;
            if (rows[i].at == 10)
                bad.data[11] = 10, bad.data[9] = 0, bad.data[8] = 0;
        }
        if (rows[i].cut < 0)
            n = 0;
        else
            n -= (size_t)rows[i].cut;
        assert_int_equal(kf_log_append(l, bad.data, n, 0, 0, NULL, NULL, NULL),
                         ERR_MALFORMED);
        assert_int_equal(kf_log_end(l), 0);
        assert_int_equal(kf_log_size(l), 0);
        buf_free(&bad);
    }
    /* a good batch followed by garbage: all refused */
    {
        buf_t two = BUF_INIT;

        buf_put(&two, good.data, good.len);
        buf_put(&two, "garbage", 7);
        assert_int_equal(
            kf_log_append(l, two.data, two.len, 0, 0, NULL, NULL, NULL),
            ERR_MALFORMED);
        assert_int_equal(kf_log_end(l), 0);
        buf_free(&two);
    }
    buf_free(&good);
    close_log(f, l);
}

static int flushed_status = 99;
static int flushed_calls;

static void on_flushed(void *arg, int status)
{
    (void)arg;
    flushed_status = status;
    flushed_calls++;
}

static void test_flush_policy_and_group_commit(void **state)
{
    struct kf_testfs                  *f = *state;
    struct kf_log_config        c = cfg_small();
    struct tb_opts              o = tb_default();
    struct kf_log_append_result r;
    buf_t                       b = BUF_INIT;
    kf_log_t                   *l;
    int                         i;

    /* default policy: no fsync before the ack */
    l = open_log(f, &c, false, -1, NULL);
    tb_batch(&b, 1, &o);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 0, &r, on_flushed, NULL), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(flushed_calls, 0);
    /* flush.messages=1: every append waits for its fsync */
    c.flush_messages = 1;
    kf_log_set_config(l, &c);
    flushed_calls = 0;
    for (i = 0; i < 50; i++)
        assert_int_equal(
            kf_log_append(l, b.data, b.len, 0, 0, &r, on_flushed, NULL), 1);
    assert_int_equal(flushed_calls, 0); /* never before the fsync */
    {
        uint64_t before = kf_log_flush_count(l);

        uv_run(&f->loop, UV_RUN_DEFAULT);
        assert_int_equal(flushed_calls, 50);
        assert_int_equal(flushed_status, 0);
        /* group commit: 50 appends, at most 2 fdatasync rounds (the one
         * that started with the first append, one for all the rest) */
        assert_true(kf_log_flush_count(l) - before <= 2);
    }
    assert_int_equal(kf_log_flushed(l), kf_log_end(l));
    /* flush.messages=3: the third append waits, the others do not */
    c.flush_messages = 3;
    kf_log_set_config(l, &c);
    flushed_calls = 0;
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 0, &r, on_flushed, NULL), 0);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 0, &r, on_flushed, NULL), 0);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 0, &r, on_flushed, NULL), 1);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(flushed_calls, 1);
    /* flush.ms: the tick flushes data older than flush.ms */
    c.flush_messages = INT64_MAX;
    c.flush_ms = 1000;
    kf_log_set_config(l, &c);
    assert_int_equal(kf_log_append(l, b.data, b.len, 0, 5000, &r, NULL, NULL),
                     0);
    kf_log_flush_tick(l, 5500);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_true(kf_log_flushed(l) < kf_log_end(l));
    kf_log_flush_tick(l, 6001);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(kf_log_flushed(l), kf_log_end(l));
    buf_free(&b);
    close_log(f, l);
}

/* Waiters still pending when the partition is deleted get ERR_CLOSED. */
static void test_destroy_fails_waiters(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    buf_t                b = BUF_INIT;
    kf_log_t            *l;
    struct stat          st;

    c.flush_messages = 1;
    l = open_log(f, &c, false, -1, NULL);
    tb_batch(&b, 1, &o);
    flushed_calls = 0;
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 0, NULL, on_flushed, NULL), 1);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 0, NULL, on_flushed, NULL), 1);
    assert_int_equal(kf_log_destroy(l), 0);
    assert_int_equal(flushed_calls, 2);
    assert_int_equal(flushed_status, ERR_CLOSED);
    assert_int_not_equal(stat(f->dir, &st), 0); /* renamed at once */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    {
        DIR           *d = opendir(f->root);
        struct dirent *e;
        int            n = 0;

        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        assert_int_equal(n, 0); /* removed off the loop */
    }
    buf_free(&b);
}

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

static void test_roll_and_retention(void **state)
{
    struct kf_testfs             *f = *state;
    struct kf_log_config   c = cfg_small();
    struct tb_opts         o = tb_default();
    struct kf_log_seg_info info[64];
    struct kf_log_slice    s;
    kf_log_t              *l;
    int                    i, n;
    int64_t                base;
    char                   p[256];

    c.segment_bytes = 1000;
    o.value_len = 100;
    l = open_log(f, &c, false, -1, NULL);
    for (i = 0; i < 30; i++)
        append_n(l, 2, &o); /* ~ 320 bytes per batch */
    n = kf_log_segments(l, info, 64);
    assert_true(n >= 10);
    assert_int_equal(info[0].base_offset, 0);
    for (i = 1; i < n; i++) {
        assert_int_equal(info[i].base_offset, info[i - 1].next_offset);
        assert_true(info[i - 1].size <= 1000);
    }
    assert_true(info[n - 1].active);
    snprintf(p, sizeof p, "%s/%020" PRId64 ".log", f->dir, info[1].base_offset);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(count_files(f->dir, ".log"), n);
    /* a read in a middle segment */
    assert_int_equal(kf_log_read(l, info[2].base_offset + 1, 1 << 20,
                                 kf_log_hw(l), true, &s),
                     0);
    assert_int_equal(s.first_offset, info[2].base_offset);
    check_slice(&s, &base);
    /* keep this slice across the deletion of its segment */

    /* retention.bytes: keep about 3000 bytes */
    c.retention_bytes = 3000;
    kf_log_set_config(l, &c);
    assert_true(kf_log_retain(l, 1700000000000LL) > 0);
    assert_true(kf_log_size(l) <= 3000 + 1000);
    assert_true(kf_log_size(l) >= 3000 - 1000);
    {
        struct kf_log_slice gone;
        int64_t             recs = check_slice(&s, &base), base2;

        kf_log_segments(l, info, 64);
        assert_int_equal(kf_log_start(l), info[0].base_offset);
        assert_true(info[0].base_offset > s.first_offset);
        assert_int_equal(kf_log_read(l, 0, 100, kf_log_hw(l), true, &gone),
                         ERR_NOTFOUND);
        uv_run(&f->loop, UV_RUN_DEFAULT);
        /* the slice still reads its (deleted) segment */
        assert_int_equal(check_slice(&s, &base2), recs);
        assert_int_equal(base2, base);
    }
    kf_log_slice_release(s.ref);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(count_files(f->dir, ".log"), kf_log_segments(l, info, 64));
    assert_int_equal(count_files(f->dir, ".deleted"), 0);

    /* retention.ms: everything is older than a day: all but a fresh
     * active segment go */
    c.retention_bytes = -1;
    c.retention_ms = 24 * 3600 * 1000;
    kf_log_set_config(l, &c);
    assert_true(kf_log_retain(l, 1700000000000LL + 2 * 24 * 3600 * 1000LL) > 0);
    assert_int_equal(kf_log_segments(l, info, 64), 1);
    assert_int_equal(kf_log_size(l), 0);
    assert_int_equal(kf_log_start(l), kf_log_end(l));
    assert_int_equal(kf_log_end(l), 60);
    close_log(f, l);
}

static void test_roll_by_time(void **state)
{
    struct kf_testfs                  *f = *state;
    struct kf_log_config        c = cfg_small();
    struct tb_opts              o = tb_default();
    struct kf_log_append_result r;
    buf_t                       b = BUF_INIT;
    kf_log_t                   *l;

    c.segment_ms = 1000;
    l = open_log(f, &c, false, -1, NULL);
    tb_batch(&b, 1, &o);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 1700000000000LL, &r, NULL, NULL), 0);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 1700000000500LL, &r, NULL, NULL), 0);
    assert_int_equal(kf_log_segments(l, NULL, 0), 1);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 0, 1700000001500LL, &r, NULL, NULL), 0);
    assert_int_equal(kf_log_segments(l, NULL, 0), 2);
    /* and the retention pass rolls an idle segment too */
    assert_int_equal(kf_log_retain(l, 1700000003000LL), 0);
    assert_int_equal(kf_log_segments(l, NULL, 0), 3);
    buf_free(&b);
    close_log(f, l);
}

static void append_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static void truncate_file(const char *path, off_t delta)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size + delta), 0);
}

/* Crash shapes at the tail of the active segment: each row damages the
 * file after 5 good batches; unclean recovery must come back with exactly
 * the good ones and accept new appends after them. */
static void test_recovery_torn_tail(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    static const struct {
        const char *name;
        int         kind;
    } rows[] = {
        {"half a header", 0},
        {"header without body", 1},
        {"body cut short", 2},
        {"bad crc", 3},
        {"zeros (preallocated tail)", 4},
        {"offset goes backwards", 5},
        {"random garbage", 6},
        {"offset too far for a relative index", 7},
    };
    size_t i;

    for (i = 0; i < N_ELEMS(rows); i++) {
        kf_log_t *l;
        buf_t     b = BUF_INIT;
        char      p[256];
        int64_t   cut = 0;
        int       k;

        print_message("case: %s\n", rows[i].name);
        nftw(f->dir, kf_testfs_rm, 16, FTW_DEPTH | FTW_PHYS);
        l = open_log(f, &c, false, -1, NULL);
        for (k = 0; k < 5; k++)
            append_n(l, 3, &o);
        close_log(f, l);
        snprintf(p, sizeof p, "%s/%020d.log", f->dir, 0);
        tb_batch(&b, 4, &o);
        /* a batch with offset 15 (the next), as the broker would write */
        buf_set_i64(&b, 0, 15);
        switch (rows[i].kind) {
        case 0:
            append_file(p, b.data, 30);
            break;
        case 1:
            append_file(p, b.data, 61);
            break;
        case 2:
            append_file(p, b.data, b.len - 1);
            break;
        case 3:
            b.data[b.len - 1] ^= 1;
            append_file(p, b.data, b.len);
            break;
        case 4: {
            uint8_t z[4096] = {0};
            append_file(p, z, sizeof z);
            break;
        }
        case 5:
            buf_set_i64(&b, 0, 2);
            append_file(p, b.data, b.len);
            break;
        case 6:
            append_file(
                p, "\x00\x00\x00\x00\x00\x00\x00\x0f\xff\xff\xff\xff junk", 17);
            break;
        case 7:
            buf_set_i64(&b, 0, 15 + (1LL << 32));
            append_file(p, b.data, b.len);
            break;
        }
        l = open_log(f, &c, false, -1, &cut);
        assert_true(cut > 0);
        assert_int_equal(kf_log_end(l), 15);
        assert_int_equal(append_n(l, 2, &o), 15);
        assert_int_equal(kf_log_end(l), 17);
        close_log(f, l);
        /* and it stays recovered */
        l = open_log(f, &c, false, -1, &cut);
        assert_int_equal(cut, 0);
        assert_int_equal(kf_log_end(l), 17);
        close_log(f, l);
        buf_free(&b);
    }
}

/* A bad batch in an older segment (past the recovery point) cuts the log
 * there and removes the later segments, as Kafka does. */
static void test_recovery_drops_later_segments(void **state)
{
    struct kf_testfs             *f = *state;
    struct kf_log_config   c = cfg_small();
    struct tb_opts         o = tb_default();
    struct kf_log_seg_info info[32];
    kf_log_t              *l;
    char                   p[256];
    int64_t                cut;
    int                    i, n;

    c.segment_bytes = 400;
    o.value_len = 50;
    l = open_log(f, &c, false, -1, NULL);
    for (i = 0; i < 12; i++)
        append_n(l, 2, &o);
    n = kf_log_segments(l, info, 32);
    assert_true(n >= 4);
    close_log(f, l);
    /* flip a byte inside the second batch of segment 1 */
    snprintf(p, sizeof p, "%s/%020" PRId64 ".log", f->dir, info[1].base_offset);
    {
        int     fd = open(p, O_RDWR);
        uint8_t x;

        assert_true(pread(fd, &x, 1, info[1].size - 5) == 1);
        x ^= 0x55;
        assert_true(pwrite(fd, &x, 1, info[1].size - 5) == 1);
        close(fd);
    }
    l = open_log(f, &c, false, -1, &cut);
    assert_true(cut > 0);
    assert_true(kf_log_end(l) < info[1].next_offset);
    assert_true(kf_log_end(l) >= info[1].base_offset);
    assert_int_equal(kf_log_segments(l, NULL, 0), 2);
    assert_int_equal(count_files(f->dir, ".log"), 2);
    close_log(f, l);
}

/* The clean-shutdown shortcut: with clean=true a damaged batch in the
 * middle goes unseen (no scan), with clean=false it is found. */
static void test_clean_shutdown_skips_scan(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    kf_log_t            *l;
    char                 p[256];
    int64_t              cut;
    int                  i;

    c.index_interval_bytes = 1 << 20; /* no index entries: tail = whole */
    l = open_log(f, &c, false, -1, NULL);
    for (i = 0; i < 10; i++)
        append_n(l, 1, &o);
    close_log(f, l);
    /* with an index entry near the end, only the tail is scanned: build
     * one by rebuilding with a small interval */
    c.index_interval_bytes = 10;
    l = open_log(f, &c, false, -1, &cut); /* unclean: rebuilds */
    assert_int_equal(cut, 0);
    close_log(f, l);
    snprintf(p, sizeof p, "%s/%020d.log", f->dir, 0);
    {
        int     fd = open(p, O_RDWR);
        uint8_t x = 0xee;

        assert_true(pwrite(fd, &x, 1, 70) == 1); /* inside batch 0's records */
        close(fd);
    }
    l = open_log(f, &c, true, 10, &cut);
    assert_int_equal(cut, 0);
    assert_int_equal(kf_log_end(l), 10);
    close_log(f, l);
    l = open_log(f, &c, false, -1, &cut);
    assert_true(cut > 0);
    assert_int_equal(kf_log_end(l), 0);
    close_log(f, l);
}

static void test_recovery_torn_index(void **state)
{
    struct kf_testfs               *f = *state;
    struct kf_log_config     c = cfg_small();
    struct tb_opts           o = tb_default();
    static const char *const rows[] = {
        "torn index",     "missing index",     "garbage index",
        "torn timeindex", "missing timeindex", "index past the log"};
    size_t i;

    for (i = 0; i < N_ELEMS(rows); i++) {
        struct kf_log_slice s;
        kf_log_t           *l;
        char                ip[256], tp[256];
        int64_t             cut, base, k;

        print_message("case: %s\n", rows[i]);
        nftw(f->dir, kf_testfs_rm, 16, FTW_DEPTH | FTW_PHYS);
        l = open_log(f, &c, false, -1, NULL);
        for (k = 0; k < 40; k++)
            append_n(l, 2, &o);
        close_log(f, l);
        snprintf(ip, sizeof ip, "%s/%020d.index", f->dir, 0);
        snprintf(tp, sizeof tp, "%s/%020d.timeindex", f->dir, 0);
        switch (i) {
        case 0:
            truncate_file(ip, -3);
            break;
        case 1:
            unlink(ip);
            break;
        case 2: {
            int fd = open(ip, O_WRONLY);
            assert_int_equal(
                pwrite(fd, "\x7f\xff\xff\xff\x00\x00\x00\x01", 8, 8), 8);
            close(fd);
            break;
        }
        case 3:
            truncate_file(tp, -5);
            break;
        case 4:
            unlink(tp);
            break;
        case 5: {
            int fd = open(ip, O_WRONLY | O_APPEND);
            assert_int_equal(write(fd, "\x00\x00\x7f\x00\x7f\x00\x00\x00", 8),
                             8);
            close(fd);
            break;
        }
        }
        /* even after a clean shutdown, a bad index is rebuilt */
        l = open_log(f, &c, true, 80, &cut);
        assert_int_equal(kf_log_end(l), 80);
        for (k = 0; k < 80; k += 7) {
            assert_int_equal(kf_log_read(l, k, 1 << 20, 80, true, &s), 0);
            assert_int_equal(s.first_offset, k & ~1LL);
            check_slice(&s, &base);
            kf_log_slice_release(s.ref);
        }
        close_log(f, l);
        {
            struct stat st;

            assert_int_equal(stat(ip, &st), 0);
            assert_int_equal(st.st_size % 8, 0);
            assert_true(st.st_size > 0);
            assert_int_equal(stat(tp, &st), 0);
            assert_int_equal(st.st_size % 12, 0);
        }
    }
}

static void test_offset_for_time(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    kf_log_t            *l;
    int64_t              off, ts;
    int                  i;

    c.segment_bytes = 500;
    l = open_log(f, &c, false, -1, NULL);
    /* batch i: 4 records at 1000*i + 0..3 */
    o.ts_step = 1;
    for (i = 0; i < 30; i++) {
        o.base_ts = 1000 * (int64_t)(i + 1);
        append_n(l, 4, &o);
    }
    assert_true(kf_log_segments(l, NULL, 0) > 2);
    assert_int_equal(kf_log_offset_for_time(l, 0, &off, &ts), 0);
    assert_int_equal(off, 0);
    assert_int_equal(ts, 1000);
    /* exact record inside an uncompressed batch */
    assert_int_equal(kf_log_offset_for_time(l, 5002, &off, &ts), 0);
    assert_int_equal(off, 4 * 4 + 2);
    assert_int_equal(ts, 5002);
    assert_int_equal(kf_log_offset_for_time(l, 5004, &off, &ts), 0);
    assert_int_equal(off, 5 * 4);
    assert_int_equal(ts, 6000);
    assert_int_equal(kf_log_offset_for_time(l, 30003, &off, &ts), 0);
    assert_int_equal(off, 119);
    assert_int_equal(kf_log_offset_for_time(l, 30004, &off, &ts), ERR_NOTFOUND);
    close_log(f, l);
    /* and after a restart (time index from the files) */
    l = open_log(f, &c, true, 120, NULL);
    assert_int_equal(kf_log_offset_for_time(l, 17001, &off, &ts), 0);
    assert_int_equal(off, 16 * 4 + 1);
    close_log(f, l);
}

static void test_delete_records_and_truncate(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    struct kf_log_slice  s;
    kf_log_t            *l;
    int                  i;

    c.segment_bytes = 300;
    l = open_log(f, &c, false, -1, NULL);
    for (i = 0; i < 20; i++)
        append_n(l, 2, &o);
    assert_int_equal(kf_log_delete_records(l, 41), ERR_NOTFOUND);
    assert_int_equal(kf_log_delete_records(l, 13), 0);
    assert_int_equal(kf_log_start(l), 13);
    assert_int_equal(kf_log_read(l, 12, 1000, 40, true, &s), ERR_NOTFOUND);
    assert_int_equal(kf_log_read(l, 13, 1000, 40, true, &s), 0);
    assert_int_equal(s.first_offset, 12); /* its batch */
    kf_log_slice_release(s.ref);
    assert_int_equal(kf_log_delete_records(l, 5), 0); /* no-op */
    assert_int_equal(kf_log_start(l), 13);
    /* truncate in the middle of the log, then append again */
    assert_int_equal(kf_log_truncate(l, 30), 0);
    assert_int_equal(kf_log_end(l), 30);
    assert_int_equal(append_n(l, 3, &o), 30);
    assert_int_equal(kf_log_end(l), 33);
    close_log(f, l);
    /* the start survives through the caller's checkpoint */
    {
        struct kf_log_open_opts oo = {33, 13, true, false, 0};
        int64_t                 cut;

        assert_int_equal(
            kf_log_open(&l, &f->loop, f->root, "t", 0, &c, &oo, &cut), 0);
        assert_int_equal(kf_log_start(l), 13);
        assert_int_equal(kf_log_end(l), 33);
        close_log(f, l);
    }
}

static void test_producer_state_survives(void **state)
{
    struct kf_testfs                    *f = *state;
    struct kf_log_config          c = cfg_small();
    struct tb_opts                o = tb_default();
    const struct kf_pstate_entry *e;
    kf_log_t                     *l, *crash;
    int                           i;

    c.segment_bytes = 600;
    l = open_log(f, &c, false, -1, NULL);
    o.producer_id = 77;
    o.producer_epoch = 2;
    for (i = 0; i < 12; i++) {
        o.base_seq = i * 3;
        append_n(l, 3, &o);
    }
    o.producer_id = 78;
    o.base_seq = 0;
    append_n(l, 1, &o);
    e = kf_pstate_get(kf_log_pstate(l), 77);
    assert_non_null(e);
    assert_int_equal(e->nbatches, 5);
    assert_int_equal(e->batches[4].last_seq, 35);
    assert_int_equal(e->batches[4].last_offset, 35);
    /* kill -9: another open of the same directory sees no marker and no
     * close-time snapshot, only the roll-time ones and the log */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    crash = open_log(f, &c, false, -1, NULL);
    e = kf_pstate_get(kf_log_pstate(crash), 77);
    assert_non_null(e);
    assert_int_equal(e->epoch, 2);
    assert_int_equal(e->batches[e->nbatches - 1].last_seq, 35);
    assert_int_equal(e->batches[e->nbatches - 1].first_offset, 33);
    assert_non_null(kf_pstate_get(kf_log_pstate(crash), 78));
    close_log(f, crash);
    close_log(f, l);
    /* clean: from the close-time snapshot */
    assert_true(count_files(f->dir, ".snapshot") >= 1);
    l = open_log(f, &c, true, 37, NULL);
    e = kf_pstate_get(kf_log_pstate(l), 77);
    assert_non_null(e);
    assert_int_equal(e->batches[e->nbatches - 1].last_seq, 35);
    /* truncation forgets the batches that went */
    assert_int_equal(kf_log_truncate(l, 30), 0);
    e = kf_pstate_get(kf_log_pstate(l), 77);
    assert_non_null(e);
    assert_int_equal(e->batches[e->nbatches - 1].last_seq, 29);
    assert_null(kf_pstate_get(kf_log_pstate(l), 78));
    close_log(f, l);
}

static void test_log_append_time(void **state)
{
    struct kf_testfs                  *f = *state;
    struct kf_log_config        c = cfg_small();
    struct tb_opts              o = tb_default();
    struct kf_log_append_result r;
    struct kf_log_slice         s;
    buf_t                       b = BUF_INIT;
    kf_log_t                   *l;
    int64_t                     base;
    uint8_t                     hdr[61];

    c.log_append_time = true;
    l = open_log(f, &c, false, -1, NULL);
    tb_batch(&b, 3, &o);
    assert_int_equal(
        kf_log_append(l, b.data, b.len, 3, 1800000000000LL, &r, NULL, NULL), 0);
    assert_int_equal(r.log_append_time, 1800000000000LL);
    assert_int_equal(kf_log_read(l, 0, 1 << 20, 3, true, &s), 0);
    assert_int_equal(check_slice(&s, &base), 3); /* CRC recomputed */
    assert_int_equal(pread(s.fd, hdr, 61, s.pos), 61);
    assert_true(hdr[22] & 0x08);
    {
        rd_t r2 = rd_init(hdr + 35, 8);

        assert_int_equal(rd_i64(&r2), 1800000000000LL);
    }
    kf_log_slice_release(s.ref);
    buf_free(&b);
    close_log(f, l);
}

static void test_leader_epoch_checkpoint(void **state)
{
    struct kf_testfs           *f = *state;
    struct kf_log_config c = cfg_small();
    struct tb_opts       o = tb_default();
    kf_log_t            *l;
    char                 p[256], txt[128];
    FILE                *fp;
    size_t               n;

    l = open_log(f, &c, false, -1, NULL);
    append_n(l, 2, &o); /* epoch 3 starts at 0 */
    assert_int_equal(kf_log_set_leader_epoch(l, 5), 0);
    append_n(l, 2, &o);
    close_log(f, l);
    snprintf(p, sizeof p, "%s/leader-epoch-checkpoint", f->dir);
    fp = fopen(p, "r");
    assert_non_null(fp);
    n = fread(txt, 1, sizeof txt - 1, fp);
    fclose(fp);
    txt[n] = 0;
    assert_string_equal(txt, "0\n2\n3 0\n5 2\n");
    l = open_log(f, &c, true, 4, NULL);
    assert_int_equal(kf_log_leader_epoch(l), 5);
    close_log(f, l);
}

static int compact_status = 99;

static void on_compacted(void *arg, int status)
{
    (void)arg;
    compact_status = status;
}

/* Compaction keeps the newest record per key below the active segment;
 * offsets and the LEO do not move; slices taken before stay readable. */
static void test_compact(void **state)
{
    struct kf_testfs            *f = *state;
    struct kf_log_config  c = cfg_small();
    struct tb_opts        o = tb_default();
    struct kf_compact_cfg cc;
    struct kf_log_slice   before, s;
    kf_log_t             *l;
    int64_t               base, recs, leo;
    int                   i;

    c.segment_bytes = 400;
    c.cleanup_compact = true;
    l = open_log(f, &c, false, -1, NULL);
    o.keys = 4;
    for (i = 0; i < 40; i++) {
        o.key_base = i;
        append_n(l, 1, &o);
    }
    leo = kf_log_end(l);
    assert_true(kf_log_segments(l, NULL, 0) > 3);
    assert_int_equal(kf_log_read(l, 0, 1 << 20, leo, true, &before), 0);
    recs = check_slice(&before, &base);
    kf_compact_cfg_defaults(&cc);
    assert_int_equal(
        kf_log_compact(l, &cc, 1700000000000LL, on_compacted, NULL), 0);
    assert_true(kf_log_compacting(l));
    assert_int_equal(
        kf_log_compact(l, &cc, 1700000000000LL, on_compacted, NULL), ERR_STATE);
    assert_int_equal(kf_log_truncate(l, 3), ERR_STATE);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(compact_status, 0);
    assert_false(kf_log_compacting(l));
    assert_int_equal(kf_log_end(l), leo);
    /* records left below the active segment: at most one per key */
    {
        struct kf_log_seg_info info[64];
        int                    n = kf_log_segments(l, info, 64), k;
        int64_t                left = 0;

        for (k = 0; k < n - 1; k++) {
            if (info[k].size == 0)
                continue;
            assert_int_equal(kf_log_read(l, info[k].base_offset, 1 << 20,
                                         info[k].next_offset, true, &s),
                             0);
            assert_true(s.len > 0);
            assert_int_equal(s.len, info[k].size);
            left += check_slice(&s, &base);
            kf_log_slice_release(s.ref);
        }
        assert_true(left >= 1);
        assert_true(left <= 4);
    }
    /* the old slice still reads the pre-compaction bytes */
    assert_int_equal(check_slice(&before, &base), recs);
    kf_log_slice_release(before.ref);
    /* nothing new: a second run is refused until the log rolls again */
    assert_int_equal(
        kf_log_compact(l, &cc, 1700000000000LL, on_compacted, NULL), ERR_STATE);
    close_log(f, l);
    /* reopened after a crash (full verification): all batches valid */
    {
        int64_t cut;

        l = open_log(f, &c, false, -1, &cut);
        assert_int_equal(cut, 0);
        assert_int_equal(kf_log_end(l), leo);
        close_log(f, l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_batch_append, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_append_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_policy_and_group_commit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_fails_waiters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_roll_and_retention, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_roll_by_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_torn_tail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recovery_drops_later_segments,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_shutdown_skips_scan, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recovery_torn_index, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_offset_for_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_records_and_truncate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_producer_state_survives, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_append_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leader_epoch_checkpoint, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
    };

    return cmocka_run_group_tests_name("kf_log", tests, NULL, NULL);
}
