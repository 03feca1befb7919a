/* kf_log: one partition's log: its segments, offsets, appends, reads,
 * roll, retention, group-committed flushes, recovery and producer state
 * persistence (see kf_log.h).  The segment files themselves are kf_seg's.
 *
 * Invariants:
 * - segs[0..nsegs) are sorted by base offset, contiguous in offsets
 *   (segs[i]->next <= segs[i+1]->base), and there is always at least one;
 *   segs[nsegs-1] is the active segment, the only one appended to.
 * - start <= LEO; hw == LEO (single replica); flushed <= LEO.
 * - Every appended batch is in the page cache when kf_log_append returns;
 *   waiters (acks=-1 under a flush policy) are ordered by offset and
 *   completed only by the flush job whose target covers them.
 * - At most one flush job runs per log; appends that arrive meanwhile are
 *   covered by the next one, which starts as soon as it ends (group
 *   commit: one fdatasync for all of them).
 * - The log is freed only when it is closing and no thread-pool job
 *   refers to it (busy == 0).  Segments are reference-counted on their
 *   own, because a read slice may outlive the log.
 * - Small file operations ride on the flush job, off the loop and in
 *   order: a deleted segment's renames to *.deleted (doomed[], handed to
 *   the next job, which renames before it fsyncs the directory; the
 *   unlink runs once the last reference goes, after the rename), and the
 *   leader-epoch checkpoint (epochs_dirty: the next job writes the
 *   table as it was when the job was made; jobs of a log overlap only at
 *   close, and a generation number under rename_mu keeps an older table
 *   from replacing a newer one).  A segment file name is
 *   reused only by a segment created at the same base (roll or truncate
 *   after a truncation): renames_settle() renames a pending one first,
 *   under rename_mu, which the job's renames also take.
 * - While kf_log_open_blocking runs (opening), nothing touches the loop:
 *   dooms and the epoch checkpoint are done inline, so the manager can
 *   recover logs on pool threads; kf_log_open_attach starts the flush. */
#include "kf_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "crc32c.h"
#include "err.h"
#include "kcompress.h"
#include "kf_ckpt.h"
#include "kf_compact.h"
#include "kf_seg.h"
#include "rd.h"
#include "xalloc.h"

#define LOG_IOV_BATCHES 256 /* batches per pwritev (2 iovs each) */
#define PRODUCER_MAX_AGE                                                       \
    (7LL * 24 * 3600 * 1000) /* transactional.id.expiration.ms */
/* largest stored batch parsed for an exact offset-for-timestamp, and its
 * largest decompressed records section */
#define OFT_SCAN_MAX (16u << 20)
#define OFT_INFLATE_MAX (64u << 20)

struct waiter {
    struct waiter     *next;
    int64_t            offset; /* satisfied once flushed >= offset */
    kf_log_flushed_cb *cb;
    void              *arg;
};

struct epoch_entry {
    int32_t epoch;
    int64_t start;
};

struct flush_job {
    uv_work_t  req;
    kf_log_t  *l;
    int64_t    target;
    kf_seg_t **segs;
    int        nsegs;
    bool      *meta; /* also fsync that segment's indexes */
    bool       sync_dir;
    char      *dir;      /* for the directory fsync */
    buf_t      snapshot; /* producer snapshot to write, if len > 0 */
    char      *snapshot_path;
    int64_t    keep_snapshots_from; /* unlink older *.snapshot; -1 = none */
    kf_seg_t **renames; /* doomed segments to rename to *.deleted */
    int        nrenames;
    buf_t      epochs; /* leader-epoch-checkpoint rows, if write_epochs */
    int        nepochs;
    uint64_t   epochs_gen; /* newer tables have larger numbers */
    bool       write_epochs;
    int        status;
};

struct kf_log {
    uv_loop_t           *loop;
    char                *root, *dir, *topic;
    int32_t              partition;
    struct kf_log_config cfg;
    kf_seg_t           **segs;
    int                  nsegs, capsegs;
    int64_t              start, hw, flushed;
    int64_t              unflushed_msgs;
    int64_t              unflushed_since; /* wall ms; -1 if all flushed */
    struct flush_job    *job;
    int64_t              want;      /* flush requested up to here */
    bool                 dir_dirty; /* files created since the last flush */
    struct waiter       *wh, *wt;
    kf_pstate_t         *ps;
    struct epoch_entry  *epochs;
    int                  nepochs;
    kf_log_notify_fn    *notify;
    void                *notify_arg;
    int                  busy;            /* thread-pool jobs referring to l */
    kf_seg_t           **doomed; /* removed, files not yet renamed */
    int                  ndoomed, capdoomed;
    int                  renaming;     /* doomed + in the running job */
    uv_mutex_t           rename_mu;    /* kf_seg.renamed of doomed segs,
                                          epochs_written, the epoch file */
    uint64_t             epochs_gen;     /* tables handed to jobs */
    uint64_t             epochs_written; /* newest on disk (rename_mu) */
    bool                 epochs_dirty; /* checkpoint to write */
    buf_t                snap;      /* producer snapshot for the next job */
    char                *snap_path; /* NULL: none pending */
    int64_t              snap_keep_from;
    bool                 opening;      /* in kf_log_open_blocking */
    bool                 compacting;      /* kf_log_compact job running */
    int64_t              compacted_below; /* active base at the last run */
    int64_t              compacted_ms;    /* wall time of the last run */
    uint64_t             flushes;         /* flush jobs completed */
    uint64_t             bytes_in, msgs_in, bytes_out; /* kf_log_traffic */
    bool                 closing;
    int                  close_status;
    void (*closed_cb)(void *arg, int status);
    void *closed_arg;
};

/* ---- small helpers ---------------------------------------------------- */

static void put32(uint8_t *p, int32_t v)
{
    p[0] = (uint8_t)((uint32_t)v >> 24);
    p[1] = (uint8_t)((uint32_t)v >> 16);
    p[2] = (uint8_t)((uint32_t)v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, int64_t v)
{
    put32(p, (int32_t)((uint64_t)v >> 32));
    put32(p + 4, (int32_t)(uint64_t)v);
}

void kf_log_config_default(struct kf_log_config *c)
{
    c->segment_bytes = 1073741824;
    c->segment_ms = 7LL * 24 * 3600 * 1000;
    c->retention_ms = 7LL * 24 * 3600 * 1000;
    c->retention_bytes = -1;
    c->flush_messages = INT64_MAX;
    c->flush_ms = INT64_MAX;
    c->index_interval_bytes = 4096;
    c->index_max_bytes = 10485760;
    c->max_message_bytes = 1048588;
    c->log_append_time = false;
    c->cleanup_delete = true;
    c->cleanup_compact = false;
}

/* Kafka creates __consumer_offsets with cleanup.policy=compact: offsets
 * and group metadata must never expire by retention.ms. */
static void config_apply(kf_log_t *l, const struct kf_log_config *c)
{
    l->cfg = *c;
    if (strcmp(l->topic, "__consumer_offsets") == 0) {
        l->cfg.cleanup_delete = false;
        l->cfg.cleanup_compact = true;
    }
}

static kf_seg_t *active(const kf_log_t *l)
{
    return l->segs[l->nsegs - 1];
}

int64_t kf_log_start(const kf_log_t *l)
{
    return l->start;
}
int64_t kf_log_end(const kf_log_t *l)
{
    return active(l)->next;
}
int64_t kf_log_hw(const kf_log_t *l)
{
    return l->hw;
}
int64_t kf_log_flushed(const kf_log_t *l)
{
    return l->flushed;
}
const char *kf_log_topic(const kf_log_t *l)
{
    return l->topic;
}
int32_t kf_log_partition(const kf_log_t *l)
{
    return l->partition;
}
const char *kf_log_dir(const kf_log_t *l)
{
    return l->dir;
}
const char *kf_log_root(const kf_log_t *l)
{
    return l->root;
}
kf_pstate_t *kf_log_pstate(kf_log_t *l)
{
    return l->ps;
}
const struct kf_log_config *kf_log_config(const kf_log_t *l)
{
    return &l->cfg;
}

int64_t kf_log_size(const kf_log_t *l)
{
    int64_t n = 0;
    int     i;

    for (i = 0; i < l->nsegs; i++)
        n += l->segs[i]->size;
    return n;
}

uint64_t kf_log_flush_count(const kf_log_t *l)
{
    return l->flushes;
}

int32_t kf_log_leader_epoch(const kf_log_t *l)
{
    return l->nepochs ? l->epochs[l->nepochs - 1].epoch : -1;
}

void kf_log_set_notify(kf_log_t *l, kf_log_notify_fn *fn, void *arg)
{
    l->notify = fn;
    l->notify_arg = arg;
}

void kf_log_set_config(kf_log_t *l, const struct kf_log_config *c)
{
    config_apply(l, c);
}

static void notify(kf_log_t *l)
{
    if (l->notify != NULL)
        l->notify(l->notify_arg, l);
}

/* ---- segment lifetime --------------------------------------------------- */

struct seg_gc {
    uv_work_t req;
    kf_seg_t *s;
};

static void seg_gc_work(uv_work_t *req)
{
    struct seg_gc           *g = req->data;
    static const char *const sfx[] = {".log.deleted", ".index.deleted",
                                      ".timeindex.deleted"};
    size_t                   i;

    if (!g->s->dir_gone) {
        for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
            char *p = kf_seg_file(g->s, sfx[i]);

            unlink(p);
            free(p);
        }
    }
    /* closing the last fd of an unlinked file frees its blocks, which can
     * take milliseconds on a big segment: here, not on the loop */
    kf_seg_close_fds(g->s);
}

static void seg_gc_done(uv_work_t *req, int status)
{
    struct seg_gc *g = req->data;

    (void)status;
    kf_seg_free(g->s);
    free(g);
}

/* on_last_ref of every segment of a log: seg->owner is the loop, because
 * a read slice may drop the last reference after the log is gone. */
static void seg_last_ref(kf_seg_t *s)
{
    struct seg_gc *g;

    if (!s->doomed) {
        kf_seg_close_fds(s);
        kf_seg_free(s);
        return;
    }
    g = xcalloc(1, sizeof *g);
    g->s = s;
    g->req.data = g;
    if (uv_queue_work((uv_loop_t *)s->owner, &g->req, seg_gc_work,
                      seg_gc_done) < 0) {
        seg_gc_work(&g->req);
        seg_gc_done(&g->req, 0);
    }
}

static void seg_adopt(kf_log_t *l, kf_seg_t *s)
{
    s->owner = l->loop;
    s->on_last_ref = seg_last_ref;
}

static void segs_push(kf_log_t *l, kf_seg_t *s)
{
    if (l->nsegs == l->capsegs) {
        l->capsegs = l->capsegs ? l->capsegs * 2 : 8;
        l->segs = xrealloc(l->segs, (size_t)l->capsegs * sizeof *l->segs);
    }
    l->segs[l->nsegs++] = s;
}

/* Rename the segment's files to *.deleted (a missing file is fine).
 * Any thread; the caller holds rename_mu if the segment is doomed[]. */
static void seg_rename_deleted(kf_seg_t *s)
{
    static const char *const sfx[] = {".log", ".index", ".timeindex"};
    size_t                   i;

    for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        char *from = kf_seg_file(s, sfx[i]);
        char *to = xasprintf("%s.deleted", from);

        rename(from, to);
        free(from);
        free(to);
    }
    s->renamed = 1;
}

/* Delete a segment the log has dropped (takes the log's reference).  Its
 * files are renamed to *.deleted by the next flush job, off the loop, and
 * unlinked once no slice refers to them.  The caller starts that job
 * (renames_kick) once the log is consistent again.  While opening (no
 * slice can exist, nothing may touch the loop) the files go at once. */
static void seg_doom(kf_log_t *l, kf_seg_t *s)
{
    if (l->opening) {
        static const char *const sfx[] = {".log", ".index", ".timeindex"};
        size_t                   i;

        for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
            char *p = kf_seg_file(s, sfx[i]);

            unlink(p);
            free(p);
        }
        kf_seg_unref(s); /* not doomed: fds closed and freed inline */
        return;
    }
    s->doomed = 1;
    if (l->ndoomed == l->capdoomed) {
        l->capdoomed = l->capdoomed ? l->capdoomed * 2 : 8;
        l->doomed =
            xrealloc(l->doomed, (size_t)l->capdoomed * sizeof *l->doomed);
    }
    l->doomed[l->ndoomed++] = s;
    l->renaming++;
    l->dir_dirty = true;
}

/* A segment is about to be created at base: if a doomed one of that base
 * still has its files under the live names (its job has not renamed them
 * yet), rename them now, so the new files are not renamed away later.
 * Rare (a roll or truncation onto the base of a segment a truncation
 * just deleted); waits at most for one running rename. */
static void renames_settle(kf_log_t *l, int64_t base)
{
    int i;

    if (l->renaming == 0)
        return;
    uv_mutex_lock(&l->rename_mu);
    for (i = 0; i < l->ndoomed; i++)
        if (l->doomed[i]->base == base && !l->doomed[i]->renamed)
            seg_rename_deleted(l->doomed[i]);
    if (l->job != NULL)
        for (i = 0; i < l->job->nrenames; i++)
            if (l->job->renames[i]->base == base &&
                !l->job->renames[i]->renamed)
                seg_rename_deleted(l->job->renames[i]);
    uv_mutex_unlock(&l->rename_mu);
}

static void flush_start(kf_log_t *l);

/* Start the job that renames doomed segments and writes the epoch
 * checkpoint (a running job's successor takes them otherwise). */
static void renames_kick(kf_log_t *l)
{
    if (!l->opening && !l->closing && (l->ndoomed > 0 || l->epochs_dirty))
        flush_start(l);
}

/* Remove segs[i] (never the last one) from the log and delete it. */
static void seg_remove_at(kf_log_t *l, int i)
{
    kf_seg_t *s = l->segs[i];

    memmove(&l->segs[i], &l->segs[i + 1],
            (size_t)(l->nsegs - i - 1) * sizeof *l->segs);
    l->nsegs--;
    seg_doom(l, s);
    l->dir_dirty = true;
}

/* ---- leader epochs ----------------------------------------------------- */

static void epochs_encode(const kf_log_t *l, buf_t *rows)
{
    int i;

    for (i = 0; i < l->nepochs; i++)
        buf_printf(rows, "%" PRId32 " %" PRId64 "\n", l->epochs[i].epoch,
                   l->epochs[i].start);
}

/* leader-epoch-checkpoint: written by the next flush job (off the loop,
 * in order with the data it describes: the job that makes an epoch's
 * first batch durable also writes the checkpoint naming it); inline
 * while opening.  Returns 0 or, inline only, < 0. */
static int epochs_write(kf_log_t *l)
{
    buf_t rows = BUF_INIT;
    char *path;
    int   rc;

    if (!l->opening) {
        l->epochs_dirty = true;
        renames_kick(l);
        return 0;
    }
    path = xasprintf("%s/leader-epoch-checkpoint", l->dir);
    epochs_encode(l, &rows);
    rc = kf_ckpt_write(path, &rows, l->nepochs);
    buf_free(&rows);
    free(path);
    return rc;
}

static int epoch_row(void *arg, char *const *cols)
{
    kf_log_t *l = arg;
    char     *e1, *e2;
    long long epoch = strtoll(cols[0], &e1, 10);
    long long start = strtoll(cols[1], &e2, 10);

    if (*e1 != '\0' || *e2 != '\0' || epoch < 0 || epoch > INT32_MAX ||
        start < 0)
        return ERR_MALFORMED;
    if (l->nepochs > 0 && (epoch <= l->epochs[l->nepochs - 1].epoch ||
                           start < l->epochs[l->nepochs - 1].start))
        return ERR_MALFORMED;
    l->epochs =
        xrealloc(l->epochs, (size_t)(l->nepochs + 1) * sizeof *l->epochs);
    l->epochs[l->nepochs].epoch = (int32_t)epoch;
    l->epochs[l->nepochs].start = start;
    l->nepochs++;
    return 0;
}

/* Drop epochs that start at or after the log end (truncation). */
static bool epochs_trim(kf_log_t *l, int64_t leo)
{
    int n = l->nepochs;

    while (l->nepochs > 0 && l->epochs[l->nepochs - 1].start >= leo &&
           !(l->nepochs == 1 && l->epochs[0].start == leo))
        l->nepochs--;
    return n != l->nepochs;
}

static void epoch_note(kf_log_t *l, int32_t epoch, int64_t start)
{
    if (epoch < 0 || epoch <= kf_log_leader_epoch(l))
        return;
    l->epochs =
        xrealloc(l->epochs, (size_t)(l->nepochs + 1) * sizeof *l->epochs);
    l->epochs[l->nepochs].epoch = epoch;
    l->epochs[l->nepochs].start = start;
    l->nepochs++;
    /* a rare event (leadership change): the checkpoint is written by the
     * flush job, which also makes this batch durable */
    epochs_write(l);
}

int kf_log_set_leader_epoch(kf_log_t *l, int32_t epoch)
{
    if (epoch <= kf_log_leader_epoch(l))
        return 0;
    l->epochs =
        xrealloc(l->epochs, (size_t)(l->nepochs + 1) * sizeof *l->epochs);
    l->epochs[l->nepochs].epoch = epoch;
    l->epochs[l->nepochs].start = kf_log_end(l);
    l->nepochs++;
    return epochs_write(l);
}

/* ---- flush (group commit) ---------------------------------------------- */

static void close_finish(kf_log_t *l);

/* Group-commit latency, process-wide (jobs run on pool threads). */
static _Atomic uint64_t fsync_count, fsync_sum_us,
    fsync_le[KF_LOG_FSYNC_BUCKETS];
const int64_t kf_log_fsync_bounds_us[KF_LOG_FSYNC_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000,
};

static void fsync_note(int64_t us)
{
    int k;

    fsync_count++;
    fsync_sum_us += (uint64_t)(us < 0 ? 0 : us);
    for (k = 0; k < KF_LOG_FSYNC_BUCKETS; k++)
        if (us <= kf_log_fsync_bounds_us[k]) {
            fsync_le[k]++;
            break;
        }
}

void kf_log_fsync_stats(struct kf_log_fsync_stats *out)
{
    uint64_t acc = 0;
    int      k;

    out->count = fsync_count;
    out->sum_us = fsync_sum_us;
    for (k = 0; k < KF_LOG_FSYNC_BUCKETS; k++) {
        acc += fsync_le[k];
        out->le[k] = acc; /* cumulative, as Prometheus buckets are */
    }
}

void kf_log_traffic(const kf_log_t *l, uint64_t *bytes_in, uint64_t *msgs_in,
                    uint64_t *bytes_out)
{
    *bytes_in = l->bytes_in;
    *msgs_in = l->msgs_in;
    *bytes_out = l->bytes_out;
}

void kf_log_note_out(kf_log_t *l, size_t n)
{
    l->bytes_out += n;
}

static void flush_work(uv_work_t *req)
{
    struct flush_job *j = req->data;
    int               i, dfd;
    int64_t           t0 = clock_mono_ns();

    /* deleted segments first, so the directory fsync below covers them */
    if (j->nrenames > 0) {
        uv_mutex_lock(&j->l->rename_mu);
        for (i = 0; i < j->nrenames; i++)
            if (!j->renames[i]->renamed)
                seg_rename_deleted(j->renames[i]);
        uv_mutex_unlock(&j->l->rename_mu);
    }
    /* A close's final job may overlap a running one: the lock orders
     * their writes, and an older table never replaces a newer one. */
    if (j->write_epochs) {
        uv_mutex_lock(&j->l->rename_mu);
        if (j->epochs_gen > j->l->epochs_written) {
            char *p = xasprintf("%s/leader-epoch-checkpoint", j->dir);
            int   rc = kf_ckpt_write(p, &j->epochs, j->nepochs);

            free(p);
            if (rc < 0 && j->status == 0)
                j->status = rc;
            if (rc == 0)
                j->l->epochs_written = j->epochs_gen;
        }
        uv_mutex_unlock(&j->l->rename_mu);
    }
    for (i = 0; i < j->nsegs; i++) {
        kf_seg_t *s = j->segs[i];

        if (fdatasync(s->fd) < 0 && j->status == 0)
            j->status = -errno;
        if (j->meta[i]) {
            if (fdatasync(s->ifd) < 0 && j->status == 0)
                j->status = -errno;
            if (fdatasync(s->tfd) < 0 && j->status == 0)
                j->status = -errno;
        }
    }
    if (j->snapshot.len > 0) {
        int rc = kf_ckpt_write_file(j->snapshot_path, j->snapshot.data,
                                    j->snapshot.len);

        if (rc < 0 && j->status == 0)
            j->status = rc;
    }
    if (j->keep_snapshots_from >= 0) {
        DIR           *d = opendir(j->dir);
        struct dirent *e;

        while (d != NULL && (e = readdir(d)) != NULL) {
            char     *end;
            long long off;

            if (strlen(e->d_name) != 20 + 9 ||
                strcmp(e->d_name + 20, ".snapshot") != 0)
                continue;
            off = strtoll(e->d_name, &end, 10);
            if (end == e->d_name + 20 && off < j->keep_snapshots_from) {
                char *p = xasprintf("%s/%s", j->dir, e->d_name);

                unlink(p);
                free(p);
            }
        }
        if (d != NULL)
            closedir(d);
    }
    if (j->sync_dir) {
        dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            if (fsync(dfd) < 0 && j->status == 0)
                j->status = -errno;
            close(dfd);
        }
    }
    fsync_note((clock_mono_ns() - t0) / 1000);
}

static void waiters_complete(kf_log_t *l, int64_t upto, int status)
{
    while (l->wh != NULL && l->wh->offset <= upto) {
        struct waiter *w = l->wh;

        l->wh = w->next;
        if (l->wh == NULL)
            l->wt = NULL;
        w->cb(w->arg, status);
        free(w);
    }
}

static void waiters_fail_all(kf_log_t *l, int status)
{
    waiters_complete(l, INT64_MAX, status);
}

static void flush_done(uv_work_t *req, int status)
{
    struct flush_job *j = req->data;
    kf_log_t         *l = j->l;
    int               i;
    bool              failed = j->status < 0;

    (void)status;
    l->job = NULL;
    l->busy--;
    l->flushes++;
    if (j->status == 0 && j->target > l->flushed)
        l->flushed = j->target;
    for (i = 0; i < j->nsegs; i++) {
        if (j->status == 0 && j->meta[i])
            j->segs[i]->unflushed_meta = 0;
        kf_seg_unref(j->segs[i]);
    }
    /* renamed: the last reference unlinks the *.deleted files */
    for (i = 0; i < j->nrenames; i++)
        kf_seg_unref(j->renames[i]);
    l->renaming -= j->nrenames;
    if (j->write_epochs && j->status < 0)
        l->epochs_dirty = true; /* try again with the next job */
    if (j->status < 0 && l->close_status == 0)
        l->close_status = j->status;
    waiters_complete(l, j->target, j->status);
    free(j->renames);
    buf_free(&j->epochs);
    free(j->segs);
    free(j->meta);
    free(j->dir);
    free(j->snapshot_path);
    buf_free(&j->snapshot);
    free(j);
    if (l->closing) {
        if (l->busy == 0)
            close_finish(l);
        return;
    }
    if (l->want > l->flushed || (l->wh != NULL && l->wh->offset > l->flushed) ||
        l->ndoomed > 0 || l->snap_path != NULL || (l->epochs_dirty && !failed))
        flush_start(l);
}

static struct flush_job *flush_job_new(kf_log_t *l)
{
    struct flush_job *j = xcalloc(1, sizeof *j);
    int               i;

    j->l = l;
    j->req.data = j;
    j->target = kf_log_end(l);
    j->segs = xcalloc((size_t)l->nsegs, sizeof *j->segs);
    j->meta = xcalloc((size_t)l->nsegs, sizeof *j->meta);
    j->dir = xstrdup(l->dir);
    j->keep_snapshots_from = -1;
    for (i = 0; i < l->nsegs; i++) {
        kf_seg_t *s = l->segs[i];
        bool      is_active = i == l->nsegs - 1;

        /* index entries reach their files before each flush (the thread
         * never touches the in-memory arrays) */
        if (s->nidx > s->idx_synced || s->ntidx > s->tidx_synced)
            kf_seg_sync_index(s);

        if (s->next <= l->flushed && !(s->unflushed_meta && !is_active))
            continue;
        kf_seg_ref(s);
        j->meta[j->nsegs] = !is_active && s->unflushed_meta;
        j->segs[j->nsegs++] = s;
    }
    /* the doomed segments' references move to the job */
    j->renames = l->doomed;
    j->nrenames = l->ndoomed;
    l->doomed = NULL;
    l->ndoomed = l->capdoomed = 0;
    if (l->snap_path != NULL) { /* a roll's snapshot, made meanwhile */
        j->snapshot = l->snap;
        j->snapshot_path = l->snap_path;
        j->keep_snapshots_from = l->snap_keep_from;
        buf_init(&l->snap);
        l->snap_path = NULL;
    }
    if (l->epochs_dirty) {
        epochs_encode(l, &j->epochs);
        j->nepochs = l->nepochs;
        j->epochs_gen = ++l->epochs_gen;
        j->write_epochs = true;
        l->epochs_dirty = false;
    }
    j->sync_dir = l->dir_dirty;
    l->dir_dirty = false;
    l->unflushed_msgs = 0;
    l->unflushed_since = -1;
    return j;
}

static void flush_submit(kf_log_t *l, struct flush_job *j)
{
    l->job = j;
    l->busy++;
    if (uv_queue_work(l->loop, &j->req, flush_work, flush_done) < 0) {
        /* cannot happen with a live loop; do it inline rather than lose
         * the waiters */
        flush_work(&j->req);
        flush_done(&j->req, 0);
    }
}

static void flush_start(kf_log_t *l)
{
    if (l->job != NULL)
        return; /* flush_done starts the next one */
    flush_submit(l, flush_job_new(l));
}

static void flush_request(kf_log_t *l, int64_t target)
{
    if (target > l->want)
        l->want = target;
    if (l->job == NULL && (target > l->flushed || l->dir_dirty))
        flush_start(l);
}

static void waiter_add(kf_log_t *l, int64_t offset, kf_log_flushed_cb *cb,
                       void *arg)
{
    struct waiter *w = xcalloc(1, sizeof *w);

    w->offset = offset;
    w->cb = cb;
    w->arg = arg;
    if (l->wt != NULL)
        l->wt->next = w;
    else
        l->wh = w;
    l->wt = w;
}

void kf_log_flush(kf_log_t *l, kf_log_flushed_cb *cb, void *arg)
{
    int64_t leo = kf_log_end(l);

    if (cb != NULL)
        waiter_add(l, leo, cb, arg);
    if (leo <= l->flushed && l->job == NULL && !l->dir_dirty) {
        waiters_complete(l, l->flushed, 0);
        return;
    }
    l->want = leo > l->want ? leo : l->want;
    flush_start(l);
}

void kf_log_flush_tick(kf_log_t *l, int64_t now_ms)
{
    if (l->closing || l->unflushed_since < 0 || l->cfg.flush_ms == INT64_MAX)
        return;
    if (now_ms - l->unflushed_since >= l->cfg.flush_ms)
        flush_request(l, kf_log_end(l));
}

/* ---- roll ---------------------------------------------------------------- */

static int roll_to(kf_log_t *l, int64_t base, int64_t now_ms)
{
    kf_seg_t         *s, *old = active(l);
    bool              rebuild;
    int               rc;
    struct flush_job *j;

    /* Stays on the loop: the append that rolls writes into the new
     * file at once (three open(O_CREAT) and page-cache index writes, the
     * cost class of the append itself). */
    kf_seg_seal(old);
    renames_settle(l, base);
    rc = kf_seg_open(l->dir, base, true, now_ms, &s, &rebuild);
    if (rc == UV_EEXIST) {
        /* a leftover file of that name (a crash between roll and
         * first append): it is empty or garbage beyond the log end */
        char *p = xasprintf("%s/%020" PRId64 ".log", l->dir, base);

        unlink(p);
        free(p);
        rc = kf_seg_open(l->dir, base, true, now_ms, &s, &rebuild);
    }
    if (rc < 0)
        return rc;
    seg_adopt(l, s);
    segs_push(l, s);
    l->dir_dirty = true;
    /* Kafka flushes the rolled segment asynchronously and snapshots the
     * producer state at the new base: the recovery point moves on and a
     * restart replays only the active segment. */
    l->want = base > l->want ? base : l->want;
    /* the snapshot goes to this flush job, or (one running) to the
     * next, which flush_done starts because want > flushed */
    buf_reset(&l->snap);
    kf_pstate_encode(l->ps, &l->snap);
    free(l->snap_path);
    l->snap_path = xasprintf("%s/%020" PRId64 ".snapshot", l->dir, base);
    l->snap_keep_from = l->segs[0]->base;
    if (l->job == NULL) {
        j = flush_job_new(l);
        flush_submit(l, j);
    }
    return 0;
}

int kf_log_roll(kf_log_t *l, int64_t now_ms)
{
    if (l->closing)
        return ERR_CLOSED;
    if (active(l)->size == 0)
        return 0;
    return roll_to(l, kf_log_end(l), now_ms);
}

static bool time_to_roll(const kf_log_t *l, const kf_seg_t *s, int64_t now_ms)
{
    /* Wall time since the segment was created (or opened): Kafka rolls
     * by the first batch's timestamp, which rolls on every append when
     * producers send old timestamps; creation time has no such trap. */
    int64_t t = s->created_ms;

    return s->size > 0 && l->cfg.segment_ms != INT64_MAX &&
           now_ms - t > l->cfg.segment_ms;
}

/* ---- append ----------------------------------------------------------------
 */

int kf_log_append(kf_log_t *l, const uint8_t *records, size_t len,
                  int32_t leader_epoch, int64_t now_ms,
                  struct kf_log_append_result *res, kf_log_flushed_cb *cb,
                  void *arg)
{
    struct kf_batch_hdr hstack[8], *h = hstack;
    uint8_t             sstack[8][KF_BATCH_HEADER_SIZE],
        (*scratch)[KF_BATCH_HEADER_SIZE] = sstack;
    struct iovec iov[2 * LOG_IOV_BATCHES];
    kf_seg_t    *s;
    size_t       off = 0;
    int64_t      leo, next, pos, start_pos, msgs = 0;
    int          n = 0, cap = 8, i, rc, ret = 0;

    if (l->closing)
        return ERR_CLOSED;
    if (len == 0)
        return ERR_MALFORMED;
    /* Walk the batches once: headers must be sane and whole. */
    while (off < len) {
        if (len - off < KF_BATCH_HEADER_SIZE) {
            rc = ERR_MALFORMED;
            goto out;
        }
        if (n == cap) {
            cap *= 2;
            if (h == hstack) {
                h = xmalloc((size_t)cap * sizeof *h);
                memcpy(h, hstack, sizeof hstack);
                scratch = xmalloc((size_t)cap * sizeof *scratch);
                memcpy(scratch, sstack, sizeof sstack);
            } else {
                h = xrealloc(h, (size_t)cap * sizeof *h);
                scratch = xrealloc(scratch, (size_t)cap * sizeof *scratch);
            }
        }
        if (kf_seg_hdr_parse(records + off, &h[n]) < 0 ||
            (size_t)h[n].size > len - off) {
            rc = ERR_MALFORMED;
            goto out;
        }
        off += (size_t)h[n].size;
        n++;
    }
    if (len > INT32_MAX / 2) {
        rc = ERR_TOO_BIG;
        goto out;
    }

    /* Roll first if this append would not fit the active segment. */
    leo = kf_log_end(l);
    next = leo;
    for (i = 0; i < n; i++)
        next += (int64_t)h[i].last_delta + 1;
    s = active(l);
    if (s->size > 0 &&
        (s->size + (int64_t)len > l->cfg.segment_bytes ||
         s->size + (int64_t)len > INT32_MAX || next - 1 - s->base > INT32_MAX ||
         (int64_t)(s->nidx + (size_t)n + 1) * 8 > l->cfg.index_max_bytes ||
         (int64_t)(s->ntidx + (size_t)n + 1) * 12 > l->cfg.index_max_bytes ||
         time_to_roll(l, s, now_ms))) {
        rc = roll_to(l, leo, now_ms);
        if (rc < 0)
            goto out;
        s = active(l);
    }

    /* Rewrite each header in scratch: offsets assigned, epoch set, and
     * with LogAppendTime the timestamp type and max timestamp, whose CRC
     * is recomputed over the new header part and the untouched records. */
    start_pos = s->size;
    pos = start_pos;
    next = leo;
    off = 0;
    for (i = 0; i < n; i++) {
        const uint8_t *b = records + off;

        off += (size_t)h[i].size;
        memcpy(scratch[i], b, KF_BATCH_HEADER_SIZE);
        put64(scratch[i] + KF_BATCH_BASE_OFFSET, next);
        put32(scratch[i] + KF_BATCH_LEADER_EPOCH, leader_epoch);
        if (l->cfg.log_append_time) {
            uint16_t attr =
                (uint16_t)h[i].attributes | KF_BATCH_ATTR_LOG_APPEND_TIME;
            uint32_t crc;

            scratch[i][KF_BATCH_ATTRIBUTES] = (uint8_t)(attr >> 8);
            scratch[i][KF_BATCH_ATTRIBUTES + 1] = (uint8_t)attr;
            put64(scratch[i] + KF_BATCH_MAX_TIMESTAMP, now_ms);
            crc = crc32c(0, scratch[i] + KF_BATCH_ATTRIBUTES,
                         KF_BATCH_HEADER_SIZE - KF_BATCH_ATTRIBUTES);
            crc = crc32c(crc, b + KF_BATCH_HEADER_SIZE,
                         (size_t)h[i].size - KF_BATCH_HEADER_SIZE);
            put32(scratch[i] + KF_BATCH_CRC, (int32_t)crc);
            h[i].attributes = (int16_t)attr;
            h[i].max_ts = now_ms;
            h[i].crc = crc;
        }
        h[i].base_offset = next;
        h[i].leader_epoch = leader_epoch;
        h[i].pos = pos;
        pos += h[i].size;
        next += (int64_t)h[i].last_delta + 1;
        msgs += (int64_t)h[i].last_delta + 1;
    }

    /* One pwritev into the page cache (more only past 256 batches). */
    {
        size_t  at = 0;
        int64_t wpos = start_pos;

        for (i = 0; i < n;) {
            int     k = 0, first = i;
            ssize_t want = 0, w;

            for (; i < n && k < 2 * LOG_IOV_BATCHES; i++) {
                iov[k].iov_base = scratch[i];
                iov[k].iov_len = KF_BATCH_HEADER_SIZE;
                iov[k + 1].iov_base =
                    (void *)(records + at + KF_BATCH_HEADER_SIZE);
                iov[k + 1].iov_len = (size_t)h[i].size - KF_BATCH_HEADER_SIZE;
                want += h[i].size;
                at += (size_t)h[i].size;
                k += 2;
            }
            (void)first;
            do {
                w = pwritev(s->fd, iov, k, (off_t)wpos);
            } while (w < 0 && errno == EINTR);
            if (w != want) {
                /* short write (disk full) or error: cut what was written
                 * so the log ends on a batch boundary, as before */
                rc = w < 0 ? -errno : UV_ENOSPC;
                if (ftruncate(s->fd, (off_t)start_pos) < 0 && rc == 0)
                    rc = -errno;
                goto out;
            }
            wpos += want;
        }
    }

    /* Indexes are advisory: a failed index write only means a rebuild. */
    kf_seg_appended(s, h, n, l->cfg.index_interval_bytes);
    for (i = 0; i < n; i++) {
        if (h[i].producer_id >= 0) {
            int64_t last_seq = (int64_t)h[i].base_seq + h[i].last_delta;

            if (last_seq > INT32_MAX)
                last_seq -= (int64_t)INT32_MAX + 1;
            kf_pstate_update(l->ps, h[i].producer_id, h[i].producer_epoch,
                             h[i].base_seq, (int32_t)last_seq, h[i].base_offset,
                             h[i].base_offset + h[i].last_delta, h[i].max_ts,
                             now_ms);
        }
    }
    epoch_note(l, leader_epoch, leo);
    l->hw = kf_log_end(l);
    if (l->unflushed_since < 0)
        l->unflushed_since = now_ms;
    l->unflushed_msgs += msgs;
    l->bytes_in += len;
    l->msgs_in += (uint64_t)msgs;
    if (res != NULL) {
        res->base_offset = leo;
        res->last_offset = kf_log_end(l) - 1;
        res->log_append_time = l->cfg.log_append_time ? now_ms : -1;
        res->log_start = l->start;
    }
    if (l->unflushed_msgs >= l->cfg.flush_messages) {
        if (cb != NULL) {
            waiter_add(l, kf_log_end(l), cb, arg);
            ret = 1;
        }
        flush_request(l, kf_log_end(l));
    }
    notify(l);
    rc = ret;
out:
    if (h != hstack) {
        free(h);
        free(scratch);
    }
    return rc;
}

/* ---- read ---------------------------------------------------------------- */

/* Index of the segment that holds offset: the last with base <= offset. */
static int seg_for(const kf_log_t *l, int64_t offset)
{
    int lo = 0, hi = l->nsegs;

    while (lo < hi) {
        int mid = (lo + hi) / 2;

        if (l->segs[mid]->base <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : lo - 1;
}

void kf_log_slice_release(void *ref)
{
    if (ref != NULL)
        kf_seg_unref(ref);
}

int kf_log_read(kf_log_t *l, int64_t offset, size_t max_bytes,
                int64_t max_offset, bool min_one, struct kf_log_slice *out)
{
    struct kf_batch_hdr h;
    kf_seg_t           *s;
    int64_t             end_pos, len;
    int                 i, rc;

    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->first_offset = offset;
    if (offset < l->start || offset > kf_log_end(l))
        return ERR_NOTFOUND;
    if (offset >= max_offset || offset == kf_log_end(l))
        return 0;
    for (i = seg_for(l, offset); i < l->nsegs; i++)
        if (l->segs[i]->next > offset)
            break;
    if (i == l->nsegs)
        return 0;
    s = l->segs[i];
    if (offset < s->base)
        offset = s->base;
    rc = kf_seg_find(s, offset, &h);
    if (rc < 0)
        return rc == ERR_NOTFOUND ? 0 : rc;
    if (h.base_offset >= max_offset)
        return 0;
    rc = kf_seg_pos_of(s, max_offset, &end_pos);
    if (rc < 0)
        return rc;
    len = end_pos - h.pos;
    if ((int64_t)max_bytes < len)
        len = (int64_t)max_bytes;
    if (min_one && len < h.size)
        len = h.size;
    if (len <= 0)
        return 0;
    kf_seg_ref(s);
    out->fd = s->fd;
    out->pos = (off_t)h.pos;
    out->len = (size_t)len;
    out->ref = s;
    out->first_offset = h.base_offset;
    return 0;
}

/* The first record of a batch's records section (DefaultRecord: length
 * varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 * ...) whose timestamp is >= ts: true and *offset / *timestamp set, or
 * false (none, or the records do not parse). */
static bool records_find_time(const struct kf_batch_hdr *h, const uint8_t *p,
                              size_t n, int64_t ts, int64_t *offset,
                              int64_t *timestamp)
{
    rd_t    r = rd_init(p, n);
    int32_t i;

    for (i = 0; i < h->count && rd_ok(&r); i++) {
        int32_t        rlen = rd_varint(&r);
        const uint8_t *rec = r.p;
        int64_t        tsd;
        int32_t        od;

        if (!rd_ok(&r) || rlen < 0 || (size_t)rlen > rd_left(&r))
            return false;
        (void)rd_i8(&r);
        tsd = rd_varlong(&r);
        od = rd_varint(&r);
        if (!rd_ok(&r) || od < 0 || od > h->last_delta)
            return false;
        if (h->base_ts + tsd >= ts) {
            *offset = h->base_offset + od;
            *timestamp = h->base_ts + tsd;
            return true;
        }
        r.p = rec + rlen;
    }
    return false;
}

/* Exact record offset for a timestamp inside the batch h, as Kafka's
 * LogSegment.findOffsetByTimestamp (which iterates the batch's records,
 * decompressing it): the first record whose timestamp is >= ts.  With
 * LogAppendTime every record carries the batch's max timestamp, so the
 * answer is the base offset.  A compressed batch is decompressed here,
 * on the loop: the work is bounded to this one batch (at most
 * OFT_SCAN_MAX stored bytes, OFT_INFLATE_MAX inflated), as Kafka does
 * it on a request thread.  Falls back to the batch's base offset and max
 * timestamp when the batch is too big or does not parse. */
static void exact_time_offset(kf_seg_t *s, const struct kf_batch_hdr *h,
                              int64_t ts, int64_t *offset, int64_t *timestamp)
{
    uint8_t *p;
    ssize_t  got;
    int      codec = h->attributes & 0x07;

    *offset = h->base_offset;
    *timestamp = h->max_ts;
    if ((h->attributes & KF_BATCH_ATTR_LOG_APPEND_TIME) ||
        (size_t)h->size > OFT_SCAN_MAX || h->size <= KF_BATCH_HEADER_SIZE)
        return;
    p = xmalloc((size_t)h->size);
    do {
        got = pread(s->fd, p, (size_t)h->size, (off_t)h->pos);
    } while (got < 0 && errno == EINTR);
    if (got == h->size) {
        const uint8_t *rec = p + KF_BATCH_HEADER_SIZE;
        size_t         n = (size_t)h->size - KF_BATCH_HEADER_SIZE;
        buf_t          out = BUF_INIT;

        if (codec == 0)
            records_find_time(h, rec, n, ts, offset, timestamp);
        else if (kcompress_decompress(codec, rec, n, &out, OFT_INFLATE_MAX) ==
                 0)
            records_find_time(h, out.data, out.len, ts, offset, timestamp);
        buf_free(&out);
    }
    free(p);
}

int kf_log_offset_for_time(kf_log_t *l, int64_t ts, int64_t *offset,
                           int64_t *timestamp)
{
    struct kf_batch_hdr h;
    int                 i, rc;

    for (i = 0; i < l->nsegs; i++) {
        kf_seg_t *s = l->segs[i];

        if (s->max_ts < ts || s->next <= l->start)
            continue;
        rc = kf_seg_find_time(s, ts, &h);
        if (rc == ERR_NOTFOUND)
            continue;
        if (rc < 0)
            return rc;
        exact_time_offset(s, &h, ts, offset, timestamp);
        if (*offset < l->start)
            *offset = l->start;
        return 0;
    }
    return ERR_NOTFOUND;
}

/* ---- delete-records, truncate, retention ---------------------------- */

static void drop_below_start(kf_log_t *l)
{
    while (l->nsegs > 1 && l->segs[1]->base <= l->start)
        seg_remove_at(l, 0);
}

int kf_log_delete_records(kf_log_t *l, int64_t offset)
{
    if (l->closing)
        return ERR_CLOSED;
    if (offset > l->hw || offset < 0)
        return ERR_NOTFOUND;
    if (offset <= l->start)
        return 0;
    l->start = offset;
    if (!l->compacting)
        drop_below_start(l);
    renames_kick(l);
    notify(l);
    return 0;
}

static int pstate_rebuild(kf_log_t *l);

int kf_log_truncate(kf_log_t *l, int64_t offset)
{
    kf_seg_t *s;
    bool      rebuild;
    int       rc;

    if (l->closing)
        return ERR_CLOSED;
    if (offset >= kf_log_end(l))
        return 0;
    if (offset < 0)
        return ERR_MALFORMED;
    if (l->compacting)
        return ERR_STATE;
    if (offset <= l->segs[0]->base) {
        /* nothing survives: start over at offset */
        renames_settle(l, offset);
        rc = kf_seg_open(l->dir, offset, true, clock_wall_ms(), &s, &rebuild);
        if (rc == UV_EEXIST) {
            /* the first segment has exactly that base: empty it */
            while (l->nsegs > 1)
                seg_remove_at(l, l->nsegs - 1);
            rc = kf_seg_truncate(l->segs[0], offset,
                                 l->cfg.index_interval_bytes);
            if (rc < 0)
                return rc;
        } else if (rc < 0) {
            return rc;
        } else {
            seg_adopt(l, s);
            while (l->nsegs > 0) {
                kf_seg_t *old = l->segs[--l->nsegs];

                seg_doom(l, old);
            }
            segs_push(l, s);
        }
        l->start = offset;
    } else {
        while (l->nsegs > 1 && active(l)->base >= offset) {
            kf_seg_t *old = l->segs[--l->nsegs];

            seg_doom(l, old);
        }
        rc = kf_seg_truncate(active(l), offset, l->cfg.index_interval_bytes);
        if (rc < 0)
            return rc;
    }
    l->dir_dirty = true;
    l->hw = kf_log_end(l);
    if (l->flushed > kf_log_end(l))
        l->flushed = kf_log_end(l);
    if (l->want > kf_log_end(l))
        l->want = kf_log_end(l);
    if (epochs_trim(l, kf_log_end(l)))
        epochs_write(l);
    pstate_rebuild(l);
    renames_kick(l);
    notify(l);
    return 0;
}

static bool seg_expired(const kf_log_t *l, const kf_seg_t *s, int64_t now_ms)
{
    int64_t t = s->max_ts >= 0 ? s->max_ts : s->created_ms;

    return l->cfg.retention_ms >= 0 && now_ms - t > l->cfg.retention_ms;
}

int kf_log_retain(kf_log_t *l, int64_t now_ms)
{
    int     deleted = 0, rc;
    int64_t diff;

    if (l->closing)
        return 0;
    if (l->compacting || !l->cfg.cleanup_delete) {
        if (time_to_roll(l, active(l), now_ms) && !l->compacting)
            kf_log_roll(l, now_ms);
        kf_pstate_expire(l->ps, now_ms, PRODUCER_MAX_AGE);
        return 0;
    }
    /* Kafka: if even the active segment is past retention.ms, roll so
     * that it can go too (Log.deleteSegments). */
    if (l->cfg.retention_ms >= 0 && active(l)->size > 0) {
        int  i;
        bool all = true;

        for (i = 0; i < l->nsegs && all; i++)
            all = seg_expired(l, l->segs[i], now_ms);
        if (all) {
            rc = kf_log_roll(l, now_ms);
            if (rc < 0)
                return rc;
        }
    }
    while (l->nsegs > 1 && seg_expired(l, l->segs[0], now_ms)) {
        seg_remove_at(l, 0);
        deleted++;
    }
    if (l->cfg.retention_bytes >= 0) {
        diff = kf_log_size(l) - l->cfg.retention_bytes;
        while (l->nsegs > 1 && diff - l->segs[0]->size >= 0) {
            diff -= l->segs[0]->size;
            seg_remove_at(l, 0);
            deleted++;
        }
    }
    if (l->segs[0]->base > l->start)
        l->start = l->segs[0]->base;
    drop_below_start(l);
    if (time_to_roll(l, active(l), now_ms)) {
        rc = kf_log_roll(l, now_ms);
        if (rc < 0)
            return rc;
    }
    kf_pstate_expire(l->ps, now_ms, PRODUCER_MAX_AGE);
    renames_kick(l); /* the renames, and the directory fsync after them */
    return deleted;
}

/* ---- compaction ------------------------------------------------------------
 */

struct compact_job {
    uv_work_t             req;
    kf_log_t             *l;
    struct kf_compact_cfg cfg;
    char                 *dir;
    int64_t               active_base;
    int64_t               now_ms;
    int                   status;
    void (*done)(void *arg, int status);
    void *arg;
};

static void compact_work(uv_work_t *req)
{
    struct compact_job     *j = req->data;
    struct kf_compact_stats st;

    memset(&st, 0, sizeof st);
    j->status = kf_compact_run(j->dir, &j->cfg, j->active_base, j->now_ms, &st);
}

/* Swap in fresh segments for the rewritten files (same base offsets). */
static int compact_reload(kf_log_t *l, int64_t active_base)
{
    int i, rc = 0;

    for (i = 0; i < l->nsegs && l->segs[i]->base < active_base; i++) {
        kf_seg_t *old = l->segs[i], *s;
        bool      rebuild;
        int64_t   cut;

        rc = kf_seg_open(l->dir, old->base, false, old->created_ms, &s,
                         &rebuild);
        if (rc < 0)
            break;
        seg_adopt(l, s);
        rc = rebuild ? kf_seg_recover(s, false, s->base,
                                      l->cfg.index_interval_bytes, &cut)
                     : kf_seg_load_tail(s, l->cfg.index_interval_bytes, &cut);
        if (rc < 0) {
            kf_seg_unref(s);
            break;
        }
        s->created_ms = old->created_ms;
        l->segs[i] = s;
        kf_seg_unref(old); /* its fds close when the last slice goes */
    }
    return rc;
}

static void compact_done(uv_work_t *req, int status)
{
    struct compact_job *j = req->data;
    kf_log_t           *l = j->l;
    int                 rc = j->status;

    (void)status;
    l->busy--;
    l->compacting = false;
    if (l->closing) {
        rc = ERR_CLOSED;
    } else {
        int r2 = compact_reload(l, j->active_base);

        if (rc == 0)
            rc = r2;
        if (rc == 0) {
            l->compacted_below = j->active_base;
            l->compacted_ms = j->now_ms;
        }
        drop_below_start(l);
        renames_kick(l);
    }
    if (j->done != NULL)
        j->done(j->arg, rc);
    free(j->dir);
    free(j);
    if (l->closing && l->busy == 0)
        close_finish(l);
}

bool kf_log_compacting(const kf_log_t *l)
{
    return l->compacting;
}

int kf_log_compact(kf_log_t *l, const struct kf_compact_cfg *c, int64_t now_ms,
                   void (*done)(void *arg, int status), void *arg)
{
    struct compact_job *j;

    if (l->closing)
        return ERR_CLOSED;
    /* a deleted segment not yet renamed still looks live to the
     * compactor's directory scan: wait for its flush job */
    if (l->compacting || l->nsegs < 2 || l->renaming > 0)
        return ERR_STATE;
    /* nothing new below the active segment, and tombstones not yet due */
    if (active(l)->base <= l->compacted_below &&
        now_ms - l->compacted_ms < c->delete_retention_ms)
        return ERR_STATE;
    /* the segments below the active one get their pending index entries
     * and final time-index entry before the files are rewritten */
    j = xcalloc(1, sizeof *j);
    j->req.data = j;
    j->l = l;
    j->cfg = *c;
    j->cfg.index_interval = l->cfg.index_interval_bytes;
    j->dir = xstrdup(l->dir);
    j->active_base = active(l)->base;
    j->now_ms = now_ms;
    j->done = done;
    j->arg = arg;
    l->compacting = true;
    l->busy++;
    if (uv_queue_work(l->loop, &j->req, compact_work, compact_done) < 0) {
        compact_work(&j->req);
        compact_done(&j->req, 0);
    }
    return 0;
}

/* ---- listing ---------------------------------------------------------------
 */

int kf_log_segments(const kf_log_t *l, struct kf_log_seg_info *out, int n)
{
    int i;

    for (i = 0; i < l->nsegs && i < n; i++) {
        const kf_seg_t *s = l->segs[i];

        out[i].base_offset = s->base;
        out[i].next_offset = s->next;
        out[i].size = s->size;
        out[i].created_ms = s->created_ms;
        out[i].max_timestamp = s->max_ts;
        out[i].active = i == l->nsegs - 1;
    }
    return l->nsegs;
}

/* ---- open / recovery ------------------------------------------------------
 */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* "<20 digits><suffix>" -> offset, or -1. */
static int64_t name_offset(const char *name, const char *suffix)
{
    size_t  n = strlen(name), sl = strlen(suffix), i;
    int64_t v = 0;

    if (n != 20 + sl || strcmp(name + 20, suffix) != 0)
        return -1;
    for (i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        if (v > (INT64_MAX - (name[i] - '0')) / 10)
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

static void unlink_in(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);

    unlink(p);
    free(p);
}

static int replay_segment(kf_log_t *l, kf_seg_t *s, int64_t from)
{
    struct kf_seg_scan  sc;
    struct kf_batch_hdr h;
    int                 rc;

    kf_seg_scan_init(&sc, s->fd, 0, s->size, false, 0);
    while ((rc = kf_seg_scan_next(&sc, &h)) == 1) {
        int64_t last_seq;

        if (h.base_offset + h.last_delta < from || h.producer_id < 0)
            continue;
        last_seq = (int64_t)h.base_seq + h.last_delta;
        if (last_seq > INT32_MAX)
            last_seq -= (int64_t)INT32_MAX + 1;
        kf_pstate_update(l->ps, h.producer_id, h.producer_epoch, h.base_seq,
                         (int32_t)last_seq, h.base_offset,
                         h.base_offset + h.last_delta, h.max_ts, h.max_ts);
    }
    kf_seg_scan_free(&sc);
    return rc < 0 && rc != ERR_CORRUPT ? rc : 0;
}

/* Producer state = the newest snapshot at or below the LEO, plus the
 * batches after it; snapshots beyond the LEO are stale (truncation). */
static int pstate_rebuild(kf_log_t *l)
{
    DIR           *d;
    struct dirent *e;
    int64_t        best = -1, leo = kf_log_end(l), from;
    int            i, rc;

    kf_pstate_clear(l->ps);
    d = opendir(l->dir);
    if (d == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        int64_t off = name_offset(e->d_name, ".snapshot");

        if (off < 0)
            continue;
        if (off > leo)
            unlink_in(l->dir, e->d_name);
        else if (off > best)
            best = off;
    }
    closedir(d);
    from = l->start;
    if (best >= 0) {
        char *p = xasprintf("%s/%020" PRId64 ".snapshot", l->dir, best);

        if (kf_pstate_load(l->ps, p) == 0 && best >= l->segs[0]->base)
            from = best;
        else
            kf_pstate_clear(l->ps);
        free(p);
    }
    for (i = 0; i < l->nsegs; i++) {
        if (l->segs[i]->next <= from)
            continue;
        rc = replay_segment(l, l->segs[i], from);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void log_free(kf_log_t *l)
{
    struct waiter *w;

    while ((w = l->wh) != NULL) {
        l->wh = w->next;
        free(w);
    }
    kf_pstate_free(l->ps);
    buf_free(&l->snap);
    free(l->snap_path);
    uv_mutex_destroy(&l->rename_mu);
    free(l->doomed);
    free(l->segs);
    free(l->epochs);
    free(l->root);
    free(l->dir);
    free(l->topic);
    free(l);
}

int kf_log_open_blocking(kf_log_t **out, uv_loop_t *loop, const char *root,
                         const char *topic, int32_t partition,
                         const struct kf_log_config    *cfg,
                         const struct kf_log_open_opts *o, int64_t *truncated)
{
    kf_log_t      *l = xcalloc(1, sizeof *l);
    DIR           *d;
    struct dirent *e;
    int64_t       *bases = NULL, cut_total = 0, rp, min_off = 0;
    int            nb = 0, capb = 0, i, rc = 0;
    char          *p;

    if (uv_mutex_init(&l->rename_mu) != 0)
        abort(); /* as xmalloc: out of resources */
    l->opening = true;
    l->loop = loop;
    l->root = xstrdup(root);
    l->topic = xstrdup(topic);
    l->partition = partition;
    l->dir = xasprintf("%s/%s-%" PRId32, root, topic, partition);
    config_apply(l, cfg);
    l->ps = kf_pstate_new();
    l->unflushed_since = -1;
    rp = o->recovery_point;

    if (o->create && mkdir(l->dir, 0755) < 0 && errno != EEXIST) {
        rc = -errno;
        goto fail;
    }
    /* an interrupted compaction: .swap files are complete and replace
     * their .log, .cleaned files are dropped (kf_compact) */
    rc = kf_compact_recover(l->dir);
    if (rc < 0 && rc != UV_ENOENT)
        goto fail;
    d = opendir(l->dir);
    if (d == NULL) {
        rc = -errno;
        goto fail;
    }
    while ((e = readdir(d)) != NULL) {
        int64_t off = name_offset(e->d_name, ".log");
        size_t  n = strlen(e->d_name);

        if (off >= 0) {
            if (nb == capb) {
                capb = capb ? capb * 2 : 16;
                bases = xrealloc(bases, (size_t)capb * sizeof *bases);
            }
            bases[nb++] = off;
        } else if ((n > 8 && strcmp(e->d_name + n - 8, ".deleted") == 0) ||
                   (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0)) {
            unlink_in(l->dir, e->d_name); /* interrupted deletes/writes */
        }
    }
    closedir(d);
    if (nb > 1)
        qsort(bases, (size_t)nb, sizeof *bases, cmp_i64);

    for (i = 0; i < nb; i++) {
        kf_seg_t *s;
        bool      rebuild, verify_all;
        int64_t   cut = 0;

        rc = kf_seg_open(l->dir, bases[i], false, o->now_ms, &s, &rebuild);
        if (rc < 0)
            goto fail;
        seg_adopt(l, s);
        /* A segment must be scanned with CRC checks if it may hold
         * unflushed bytes: after an unclean shutdown, every segment that
         * reaches past the recovery point. */
        verify_all = !o->clean && (i == nb - 1 || rp < 0 || bases[i + 1] > rp);
        if (s->base < min_off) {
            rc = ERR_CORRUPT; /* overlapping segments: not a Kafka log */
            kf_seg_unref(s);
            goto fail;
        }
        if (verify_all || rebuild)
            rc = kf_seg_recover(s, true, min_off, cfg->index_interval_bytes,
                                &cut);
        else
            rc = kf_seg_load_tail(s, cfg->index_interval_bytes, &cut);
        if (rc < 0) {
            kf_seg_unref(s);
            goto fail;
        }
        cut_total += cut;
        segs_push(l, s);
        min_off = s->next;
        if (cut > 0 && i < nb - 1) {
            /* Kafka: everything after the first invalid batch goes,
             * including later segments. */
            int k;

            for (k = i + 1; k < nb; k++) {
                static const char *const sfx[] = {".log", ".index",
                                                  ".timeindex"};
                size_t                   m;
                struct stat              st;

                for (m = 0; m < 3; m++) {
                    p = xasprintf("%s/%020" PRId64 "%s", l->dir, bases[k],
                                  sfx[m]);
                    if (m == 0 && stat(p, &st) == 0)
                        cut_total += st.st_size;
                    unlink(p);
                    free(p);
                }
            }
            nb = i + 1;
            break;
        }
    }
    /* Empty segments in the middle (a crash right after a roll) carry no
     * data: drop them so offsets stay contiguous. */
    for (i = 0; i + 1 < l->nsegs;) {
        if (l->segs[i]->size == 0) {
            seg_remove_at(l, i);
            continue;
        }
        i++;
    }
    if (l->nsegs == 0) {
        kf_seg_t *s;
        bool      rebuild;
        int64_t   base = o->log_start > 0 ? o->log_start : 0;

        rc = kf_seg_open(l->dir, base, true, o->now_ms, &s, &rebuild);
        if (rc < 0)
            goto fail;
        seg_adopt(l, s);
        segs_push(l, s);
        l->dir_dirty = true;
    }
    l->start = l->segs[0]->base;
    if (o->log_start > l->start)
        l->start = o->log_start;
    if (l->start > kf_log_end(l)) {
        /* the checkpointed start is past the data (lost in a crash):
         * Kafka's truncateFullyAndStartAt */
        kf_seg_t *s;
        bool      rebuild;

        rc = kf_seg_open(l->dir, l->start, true, o->now_ms, &s, &rebuild);
        if (rc < 0)
            goto fail;
        seg_adopt(l, s);
        while (l->nsegs > 0)
            seg_doom(l, l->segs[--l->nsegs]);
        segs_push(l, s);
        l->dir_dirty = true;
    }
    drop_below_start(l);
    l->hw = kf_log_end(l);
    if (o->clean)
        l->flushed = kf_log_end(l);
    else
        l->flushed =
            rp < 0 ? l->start : (rp < kf_log_end(l) ? rp : kf_log_end(l));
    if (l->flushed < l->start)
        l->flushed = l->start;

    p = xasprintf("%s/leader-epoch-checkpoint", l->dir);
    rc = kf_ckpt_read(p, 2, epoch_row, l);
    free(p);
    if (rc < 0) {
        l->nepochs = 0; /* missing or damaged: rebuilt as we go */
        free(l->epochs);
        l->epochs = NULL;
    }
    if (epochs_trim(l, kf_log_end(l)))
        epochs_write(l);

    rc = pstate_rebuild(l);
    if (rc < 0)
        goto fail;
    free(bases);
    if (truncated != NULL)
        *truncated = cut_total;
    *out = l;
    return 0;
fail:
    free(bases);
    while (l->nsegs > 0)
        kf_seg_unref(l->segs[--l->nsegs]);
    log_free(l);
    return rc;
}

void kf_log_open_attach(kf_log_t *l)
{
    l->opening = false;
    /* Data recovered after a crash is in the page cache but perhaps not
     * on disk; make it durable before the recovery point moves. */
    if (l->flushed < kf_log_end(l) || l->dir_dirty)
        kf_log_flush(l, NULL, NULL);
}

int kf_log_open(kf_log_t **out, uv_loop_t *loop, const char *root,
                const char *topic, int32_t partition,
                const struct kf_log_config    *cfg,
                const struct kf_log_open_opts *o, int64_t *truncated)
{
    int rc = kf_log_open_blocking(out, loop, root, topic, partition, cfg, o,
                                  truncated);

    if (rc == 0)
        kf_log_open_attach(*out);
    return rc;
}

/* ---- close / destroy -------------------------------------------------------
 */

static void close_finish(kf_log_t *l)
{
    void (*cb)(void *, int) = l->closed_cb;
    void *arg = l->closed_arg;
    int   status = l->close_status;

    waiters_fail_all(l, ERR_CLOSED);
    while (l->nsegs > 0)
        kf_seg_unref(l->segs[--l->nsegs]);
    /* left only by a destroy (a close's last job took them): the
     * directory is gone, nothing to rename */
    while (l->ndoomed > 0)
        kf_seg_unref(l->doomed[--l->ndoomed]);
    log_free(l);
    if (cb != NULL)
        cb(arg, status);
}

void kf_log_close(kf_log_t *l, void (*done)(void *arg, int status), void *arg)
{
    struct flush_job *j;

    l->closed_cb = done;
    l->closed_arg = arg;
    if (l->closing)
        return;
    kf_seg_seal(active(l));
    /* The final flush covers everything, every index and the producer
     * snapshot.  If a flush is still running it may overlap this one
     * (fdatasync on the same fds from two threads is safe); the log is
     * freed when the last of them ends (busy == 0). */
    l->closing = true;
    j = flush_job_new(l);
    {
        int i;

        /* close: every segment's indexes too */
        for (i = 0; i < j->nsegs; i++)
            j->meta[i] = true;
        if (j->nsegs == 0 || j->segs[j->nsegs - 1] != active(l)) {
            kf_seg_ref(active(l));
            j->meta[j->nsegs] = true;
            j->segs[j->nsegs++] = active(l);
        }
    }
    buf_reset(&j->snapshot); /* a roll's pending one: this is newer */
    kf_pstate_encode(l->ps, &j->snapshot);
    free(j->snapshot_path);
    j->snapshot_path =
        xasprintf("%s/%020" PRId64 ".snapshot", l->dir, kf_log_end(l));
    j->sync_dir = true;
    l->busy++;
    if (uv_queue_work(l->loop, &j->req, flush_work, flush_done) < 0) {
        flush_work(&j->req);
        flush_done(&j->req, 0);
    }
}

struct dir_rm {
    uv_work_t req;
    char     *path;
};

static void rm_tree(const char *path)
{
    DIR           *d = opendir(path);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        unlink_in(path, e->d_name);
    }
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

static void dir_rm_work(uv_work_t *req)
{
    struct dir_rm *r = req->data;

    rm_tree(r->path);
}

static void dir_rm_done(uv_work_t *req, int status)
{
    struct dir_rm *r = req->data;

    (void)status;
    free(r->path);
    free(r);
}

static void destroy_done(void *arg, int status)
{
    (void)arg;
    (void)status;
}

int kf_log_destroy(kf_log_t *l)
{
    uint8_t        rnd[16];
    char           uuid[33];
    char          *to;
    struct dir_rm *r;
    int            i, fd;

    /* Kafka: <topic>-<partition>.<uuid without dashes>-delete */
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, rnd, sizeof rnd) != (ssize_t)sizeof rnd) {
        int64_t t = clock_mono_ns();

        memcpy(rnd, &t, sizeof t);
        memcpy(rnd + 8, &l, sizeof l < 8 ? sizeof l : 8);
    }
    if (fd >= 0)
        close(fd);
    for (i = 0; i < 16; i++)
        snprintf(uuid + 2 * i, 3, "%02x", rnd[i]);
    to = xasprintf("%s/%s-%" PRId32 ".%s-delete", l->root, l->topic,
                   l->partition, uuid);
    /* One rename on the loop, on purpose: DeleteTopics answers whether it
     * happened, and a topic created again at once with the same name must
     * find the directory name free (Kafka renames synchronously too);
     * the removal of the files runs on the pool. */
    if (rename(l->dir, to) < 0) {
        int rc = -errno;

        free(to);
        return rc;
    }
    waiters_fail_all(l, ERR_CLOSED);
    for (i = 0; i < l->nsegs; i++) {
        l->segs[i]->doomed = 1;
        l->segs[i]->dir_gone = 1;
    }
    /* Deleted segments not yet renamed: never rename (nor unlink) by
     * their old paths, which a topic of the same name may take again. */
    uv_mutex_lock(&l->rename_mu);
    for (i = 0; i < l->ndoomed; i++) {
        l->doomed[i]->renamed = 1;
        l->doomed[i]->dir_gone = 1;
    }
    if (l->job != NULL)
        for (i = 0; i < l->job->nrenames; i++) {
            l->job->renames[i]->renamed = 1;
            l->job->renames[i]->dir_gone = 1;
        }
    uv_mutex_unlock(&l->rename_mu);
    r = xcalloc(1, sizeof *r);
    r->path = to;
    r->req.data = r;
    if (uv_queue_work(l->loop, &r->req, dir_rm_work, dir_rm_done) < 0) {
        dir_rm_work(&r->req);
        dir_rm_done(&r->req, 0);
    }
    l->closing = true;
    l->closed_cb = destroy_done;
    if (l->busy == 0)
        close_finish(l);
    return 0;
}
