/* zk_log: transaction log files, group commit on the libuv threadpool,
 * replay and purge (see zk_log.h).
 *
 * Group commit: appends go to l->pending on the loop.  A uv_check handle
 * (runs after each loop iteration's I/O callbacks) hands pending over to
 * the worker when none is running: so all writes read in one iteration,
 * and everything that arrives while an fdatasync is in progress, share one
 * write + fdatasync, as ZooKeeper's SyncRequestProcessor does. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "crc32c.h"
#include "err.h"
#include "rd.h"
#include "xalloc.h"
#include "zk_log.h"
#include "zk_files.h"

#define LOG_MAGIC   0x4f445a4cu /* "ODZL" */
#define LOG_VERSION 1
#define HDR_LEN     16
#define REC_HDR     8
#define REC_FIXED   28          /* zxid, session, time, type */
#define REC_MAX     (256u << 20)

static void kick(zk_log_t *l);

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n, int64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

/* -- the worker (threadpool) --------------------------------------------- */

static int open_new(zk_log_t *l)
{
    char    path[4096];
    uint8_t hdr[HDR_LEN];
    buf_t   h = { hdr, 0, sizeof hdr };
    int     rc;

    if (l->fd >= 0)
        close(l->fd);
    snprintf(path, sizeof path, "%s/log.%016" PRIx64, l->dir, (uint64_t)l->flight_first);
    l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (l->fd < 0)
        return -errno;
    buf_put_u32(&h, LOG_MAGIC);
    buf_put_u32(&h, LOG_VERSION);
    buf_put_i64(&h, l->flight_first);
    rc = write_all(l->fd, hdr, HDR_LEN, 0);
    if (rc < 0)
        return rc;
    l->off = HDR_LEN;
    l->alloc_end = HDR_LEN;
    /* The new name must survive a crash before the first ack from it. */
    if (l->force_sync && (rc = fsync_dir(l->dir)) < 0)
        return rc;
    return 0;
}

static void work_cb(uv_work_t *w)
{
    zk_log_t *l = w->data;
    int64_t   need, t0;
    int       rc = 0;

    if (l->fd < 0 || l->roll) {
        rc = open_new(l);
        if (rc < 0)
            goto out;
    }
    need = l->off + (int64_t)l->flight.len;
    if (need > l->alloc_end) {
        int64_t end = need + l->prealloc;

        /* Extend the size ahead (sparse, as ZooKeeper's FilePadding does by
         * writing one byte at the new end), so that fdatasync does not have
         * to log an inode size change per batch.  Not fallocate: real
         * blocks would cost 64 MiB of disk per log file even for a daemon
         * that writes ten records (a test suite starts hundreds). */
        if (ftruncate(l->fd, (off_t)end) < 0) {
            rc = -errno;
            goto out;
        }
        l->alloc_end = end;
    }
    rc = write_all(l->fd, l->flight.data, l->flight.len, l->off);
    if (rc < 0)
        goto out;
    l->off = need;
    if (l->force_sync) {
        t0 = clock_mono_ns();
        if (fdatasync(l->fd) < 0) {
            rc = -errno;
            goto out;
        }
        t0 = clock_mono_ns() - t0;
        l->sync_ns_total += (uint64_t)t0;
        if ((uint64_t)t0 > l->sync_ns_max)
            l->sync_ns_max = (uint64_t)t0;
    }
out:
    l->work_err = rc;
}

static void after_work_cb(uv_work_t *w, int status)
{
    zk_log_t *l = w->data;
    int       err = status < 0 ? status : l->work_err;

    l->busy = false;
    if (err == 0) {
        l->durable = l->flight_last;
        l->nsyncs++;
        l->ntxns += l->flight_n;
        if (l->flight_n > l->max_batch)
            l->max_batch = l->flight_n;
    }
    buf_reset(&l->flight);
    l->flight_n = 0;
    l->on_durable(l, l->durable, err);
    if (err == 0)
        kick(l);
}

/* -- the loop side ---------------------------------------------------------- */

static void on_closed_check(uv_handle_t *h)
{
    zk_log_t *l = h->data;

    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    buf_free(&l->pending);
    buf_free(&l->flight);
    free(l->dir);
    l->dir = NULL;
    if (l->on_closed)
        l->on_closed(l);
}

static void kick(zk_log_t *l)
{
    buf_t   tmp;
    int     rc;

    if (l->busy)
        return;
    if (l->pending.len == 0) {
        if (l->closing && !uv_is_closing((uv_handle_t *)&l->check))
            uv_close((uv_handle_t *)&l->check, on_closed_check);
        else
            uv_check_stop(&l->check);
        return;
    }
    tmp = l->flight;
    l->flight = l->pending;
    l->pending = tmp;
    l->roll = l->roll_next;
    l->roll_next = false;
    l->flight_first = l->pending_first;
    l->flight_last = l->pending_last;
    l->flight_n = 0;
    {
        /* count records for statistics */
        rd_t r = rd_init(l->flight.data, l->flight.len);

        while (rd_left(&r) >= REC_HDR) {
            uint32_t n = rd_u32(&r);

            rd_skip(&r, 4 + n);
            l->flight_n++;
        }
    }
    l->pending_first = 0;
    l->busy = true;
    l->work.data = l;
    rc = uv_queue_work(l->loop, &l->work, work_cb, after_work_cb);
    if (rc < 0) {
        l->busy = false;
        l->on_durable(l, l->durable, rc);
    }
}

static void on_check(uv_check_t *h)
{
    kick(h->data);
}

int zk_log_open(zk_log_t *l, uv_loop_t *loop, const char *dir, bool force_sync,
                int64_t prealloc_bytes, int64_t last_zxid,
                zk_log_durable_fn *on_durable, void *data)
{
    memset(l, 0, sizeof *l);
    l->loop = loop;
    l->dir = xstrdup(dir);
    l->force_sync = force_sync;
    l->prealloc = prealloc_bytes;
    l->fd = -1;
    l->durable = last_zxid;
    l->on_durable = on_durable;
    l->data = data;
    uv_check_init(loop, &l->check);
    l->check.data = l;
    return 0;
}

void zk_log_append(zk_log_t *l, int64_t zxid, int64_t session, int64_t time,
                   const struct zk_req *req)
{
    size_t   at = l->pending.len;
    uint32_t crc;

    buf_put_u32(&l->pending, 0);
    buf_put_u32(&l->pending, 0);
    buf_put_i64(&l->pending, zxid);
    buf_put_i64(&l->pending, session);
    buf_put_i64(&l->pending, time);
    buf_put_i32(&l->pending, req->type);
    if (zk_jute_req_encode(&l->pending, req) < 0)
        abort(); /* every logged type has an encoding: a programming error */
    buf_set_i32(&l->pending, at, (int32_t)(l->pending.len - at - REC_HDR));
    crc = crc32c(0, l->pending.data + at + REC_HDR, l->pending.len - at - REC_HDR);
    buf_set_i32(&l->pending, at + 4, (int32_t)crc);
    if (l->pending_first == 0)
        l->pending_first = zxid;
    l->pending_last = zxid;
    if (!l->busy)
        uv_check_start(&l->check, on_check);
}

void zk_log_roll(zk_log_t *l)
{
    /* Takes effect when the next batch starts (the worker owns the fd). */
    /* The worker reads it only when the next batch starts; a batch in
     * flight finishes in the old file. */
    l->roll_next = true;
}

void zk_log_close(zk_log_t *l, void (*on_closed)(zk_log_t *l))
{
    if (l->closing)
        return;
    l->closing = true;
    l->on_closed = on_closed;
    if (!l->busy)
        kick(l);
}

/* -- recovery ------------------------------------------------------------------ */

/* A streaming reader over one log file: records are parsed as 1 MiB
 * chunks arrive, and reading stops at the first zero length, so a 64 MiB
 * preallocated file costs what it holds, not its size. */
struct lr {
    int      fd;
    buf_t    b;
    size_t   pos;   /* parse cursor in b */
    uint64_t base;  /* file offset of b.data[0] */
    bool     eof;
    int      err;
};

/* Makes n bytes available at pos; false if the file ends first. */
static bool lr_need(struct lr *l, size_t n)
{
    while (l->b.len - l->pos < n && !l->eof) {
        ssize_t r;

        if (l->pos > 0) {
            buf_consume(&l->b, l->pos);
            l->base += l->pos;
            l->pos = 0;
        }
        buf_reserve(&l->b, n > (1u << 20) ? n : (1u << 20));
        r = read(l->fd, l->b.data + l->b.len, l->b.cap - l->b.len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            l->err = -errno;
        if (r <= 0) {
            l->eof = true;
            break;
        }
        l->b.len += (size_t)r;
    }
    return l->b.len - l->pos >= n;
}

int zk_log_replay(const char *dir, int64_t after, zk_log_apply_fn *apply,
                  void *arg, struct zk_log_replay_stats *st)
{
    int64_t        *last = &st->last;
    struct zk_file *files;
    int             nf, i, rc, applied = 0;
    bool            torn = false;
    buf_t           b = BUF_INIT;

    memset(st, 0, sizeof *st);
    *last = after;
    rc = zk_files_list(dir, "log.", false, NULL, &files, &nf);
    if (rc < 0)
        return rc;
    for (i = 0; i < nf; i++) {
        char    path[4096];
        int     fd;
        rd_t    r;
        size_t  good;

        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        if (torn) {
            char bad[4200];

            /* Records after a hole cannot be trusted to follow it. */
            snprintf(bad, sizeof bad, "%s.corrupt", path);
            if (rename(path, bad) == 0)
                st->set_aside++;
            continue;
        }
        /* A file that starts after the next one's start is not needed. */
        if (i + 1 < nf && files[i + 1].zxid <= after + 1)
            continue;
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            goto out;
        }
        struct lr l = { fd, BUF_INIT, 0, 0, false, 0 };

        buf_move(&l.b, &b);
        buf_reset(&l.b);
        if (!lr_need(&l, HDR_LEN) ||
            (r = rd_init(l.b.data, HDR_LEN), rd_u32(&r) != LOG_MAGIC) ||
            rd_u32(&r) != LOG_VERSION) {
            char bad[4200];

            buf_move(&b, &l.b);
            close(fd);
            if (l.err) {
                rc = l.err;
                goto out;
            }
            /* A header torn at creation (nothing in the file was acked) or
             * not our file at all: set it aside, keep what came before. */
            torn = true;
            snprintf(bad, sizeof bad, "%s.corrupt", path);
            if (rename(path, bad) == 0)
                st->set_aside++;
            continue;
        }
        l.pos = HDR_LEN;
        good = HDR_LEN;
        for (;;) {
            uint32_t          n, crc;
            const uint8_t    *p;
            struct zk_log_rec rec;
            rd_t              pr;

            if (!lr_need(&l, REC_HDR)) {
                size_t k;

                /* fewer bytes than a record header: zeros are the end */
                for (k = l.pos; k < l.b.len; k++)
                    if (l.b.data[k])
                        torn = true;
                break;
            }
            r = rd_init(l.b.data + l.pos, REC_HDR);
            n = rd_u32(&r);
            crc = rd_u32(&r);
            if (n == 0)
                break;                 /* preallocated space: the end */
            if (n < REC_FIXED || n > REC_MAX || !lr_need(&l, REC_HDR + (size_t)n)) {
                torn = true;
                break;
            }
            p = l.b.data + l.pos + REC_HDR;
            if (crc32c(0, p, n) != crc) {
                torn = true;
                break;
            }
            pr = rd_init(p, n);
            rec.zxid = rd_i64(&pr);
            rec.session = rd_i64(&pr);
            rec.time = rd_i64(&pr);
            rec.type = rd_i32(&pr);
            rec.body = pr.p;
            rec.len = rd_left(&pr);
            if (rec.zxid <= *last && rec.zxid > after) {
                torn = true;           /* zxids must increase */
                break;
            }
            if (rec.zxid > after) {
                rc = apply(&rec, arg);
                if (rc < 0) {
                    buf_move(&b, &l.b);
                    close(fd);
                    goto out;
                }
                applied++;
                *last = rec.zxid;
            }
            l.pos += REC_HDR + (size_t)n;
            good = (size_t)(l.base + l.pos);
        }
        buf_move(&b, &l.b);
        if (l.err) {
            close(fd);
            rc = l.err;
            goto out;
        }
        if (torn) {
            st->truncated++;
            /* Cut the torn tail so that new records never follow garbage. */
            if (ftruncate(fd, (off_t)good) < 0 || fsync(fd) < 0) {
                rc = -errno;
                close(fd);
                goto out;
            }
        }
        close(fd);
    }
    rc = applied;
out:
    buf_free(&b);
    free(files);
    return rc;
}

int zk_log_purge(const char *dir, int64_t upto)
{
    struct zk_file *files;
    int             nf, i, rc, n = 0;

    rc = zk_files_list(dir, "log.", false, NULL, &files, &nf);
    if (rc < 0)
        return rc;
    for (i = 0; i + 1 < nf; i++) {
        char path[4096];

        /* file i holds [first_i, first_{i+1}): deletable if all <= upto */
        if (files[i + 1].zxid > upto + 1)
            break;
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        if (unlink(path) == 0)
            n++;
    }
    free(files);
    return n;
}
