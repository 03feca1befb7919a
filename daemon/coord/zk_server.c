/* zk_server: listener, connections, sessions, dispatch, durable replies
 * (see zk_server.h for what it owns and the ordering rules). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "rd.h"
#include "xalloc.h"
#include "zk_server.h"
#include "zk_snap.h"

#define SESSIONLESS_MS 10000 /* a connection must say ConnectRequest by then */

static void out_flush(struct zk_server *s);

/* -- outputs ordered behind the log ----------------------------------------- */

static void note_latency(struct zk_server *s, struct zk_cnx *x, int64_t t0)
{
    int64_t ms;

    if (t0 == 0)
        return;
    ms = (clock_mono_ns() - t0) / 1000000;
    if (s->lat_n == 0 || ms < s->lat_min)
        s->lat_min = ms;
    if (ms > s->lat_max)
        s->lat_max = ms;
    s->lat_sum += ms;
    s->lat_n++;
    if (x) {
        if (x->lat_n == 0 || ms < x->lat_min)
            x->lat_min = ms;
        if (ms > x->lat_max)
            x->lat_max = ms;
        x->lat_sum += ms;
        x->lat_n++;
        x->last_lat = ms;
    }
}

/* Queue a reply frame for x's connection, released once zxid is durable.
 * Takes the bytes of *frame. */
static void out_reply(struct zk_server *s, struct zk_cnx *x, int64_t zxid,
                      buf_t *frame, int64_t t0, bool close_after)
{
    conn_t        *c = x->c;
    struct zk_out *o;

    x->sent++;
    s->packets_sent++;
    if (s->outq == NULL && zxid <= s->log.durable) {
        note_latency(s, x, t0);
        conn_send(c, frame);
        if (close_after)
            conn_close_after_flush(c);
        return;
    }
    o = xcalloc(1, sizeof *o);
    o->zxid = zxid;
    o->c = c;
    conn_ref(c);
    o->slot = conn_reserve(c);
    buf_move(&o->bytes, frame);
    o->t0 = t0;
    o->close_after = close_after;
    *s->outq_tail = o;
    s->outq_tail = &o->next;
    s->noutq++;
}

static void out_event(struct zk_server *s, conn_t *c, int64_t zxid, buf_t *frame)
{
    struct zk_out *o;

    s->packets_sent++;
    if (s->outq == NULL && zxid <= s->log.durable) {
        conn_send_first(c, frame);
        return;
    }
    o = xcalloc(1, sizeof *o);
    o->zxid = zxid;
    o->c = c;
    conn_ref(c);
    buf_move(&o->bytes, frame);
    *s->outq_tail = o;
    s->outq_tail = &o->next;
    s->noutq++;
}

static void out_release(struct zk_server *s, struct zk_out *o)
{
    conn_t *c = o->c;

    if (o->slot) {
        struct zk_cnx *x = conn_is_closing(c) ? NULL : c->data;

        note_latency(s, x, o->t0);
        if (o->close_after)
            conn_close_after_flush(c);
        conn_fill_buf(c, o->slot, &o->bytes);
    } else {
        conn_send_first(c, &o->bytes);
    }
    buf_free(&o->bytes);
    conn_unref(c);
    free(o);
}

/* Release every output whose zxid is on disk, in order. */
static void out_flush(struct zk_server *s)
{
    while (s->outq && s->outq->zxid <= s->log.durable) {
        struct zk_out *o = s->outq;

        s->outq = o->next;
        if (s->outq == NULL)
            s->outq_tail = &s->outq;
        s->noutq--;
        out_release(s, o);
    }
}

/* -- watches ------------------------------------------------------------------ */

static void fire_cb(void *owner, int32_t type, const char *path, size_t len,
                    void *arg)
{
    struct zk_cnx *x = owner;
    buf_t          f = BUF_INIT;

    zk_jute_event_frame(&f, type, ZK_STATE_SYNC_CONNECTED, path, len);
    out_event(x->s, x->c, *(int64_t *)arg, &f);
}

static void fire_events(struct zk_server *s, int64_t zxid)
{
    uint32_t i;

    for (i = 0; i < s->tree.nev; i++)
        zk_watch_trigger(&s->watches, s->tree.ev[i].type, s->tree.ev[i].path,
                         strlen(s->tree.ev[i].path), fire_cb, &zxid);
    zk_tree_events_clear(&s->tree);
}

/* -- sessions ------------------------------------------------------------------ */

static struct zk_sess *sess_new(struct zk_server *s, struct zk_tsess *ts)
{
    struct zk_sess *x = xcalloc(1, sizeof *x);

    x->id = ts->id;
    x->timeout = ts->timeout;
    x->deadline = clock_mono_ms() + ts->timeout;
    ts->data = x;
    (void)s;
    return x;
}

static void sess_touch(struct zk_sess *x)
{
    x->deadline = clock_mono_ms() + x->timeout;
}

static void sess_unbind(struct zk_cnx *x)
{
    if (x->sess && x->sess->cnx == x)
        x->sess->cnx = NULL;
    x->sess = NULL;
}

/* -- writes ---------------------------------------------------------------------- */

static void maybe_snapshot(struct zk_server *s);

/* Executes a write at the next zxid, logs it, fires its watches.  The
 * reply body (if any) is appended to out.  Returns the zxid. */
static int64_t submit_write(struct zk_server *s, struct zk_req *q, int64_t session,
                            const struct zk_auth *auth, buf_t *out, int32_t *err)
{
    int64_t       zxid = s->tree.zxid + 1;
    struct zk_txn tx = { zxid, clock_wall_ms(), session, q };
    buf_t         scratch = BUF_INIT;
    int32_t       e;
    bool          failed;

    e = zk_tree_exec(&s->tree, &tx, auth, &s->arena, out ? out : &scratch);
    buf_free(&scratch);
    s->tree.zxid = zxid;
    failed = e != ZK_OK || (q->type == ZK_OP_MULTI && s->tree.multi_failed);
    if (failed) {
        /* ZooKeeper logs an ErrorTxn: the zxid is used, nothing changes,
         * and replay must not re-run checks that depended on who asked. */
        struct zk_req er = { 0 };

        er.type = ZK_OP_ERROR;
        zk_log_append(&s->log, zxid, session, tx.time, &er);
    } else {
        zk_log_append(&s->log, zxid, session, tx.time, q);
    }
    fire_events(s, zxid);
    if (err)
        *err = e;
    s->since_snap++;
    maybe_snapshot(s);
    return zxid;
}

static void expire_session(struct zk_server *s, struct zk_sess *x, const char *why)
{
    struct zk_req    q = { 0 };
    struct zk_tsess *ts = zk_tree_session(&s->tree, x->id);
    struct zk_cnx   *c = x->cnx;

    log_info("session 0x%" PRIx64 " %s", (uint64_t)x->id, why);
    if (ts)
        ts->data = NULL;
    x->closing = true;
    q.type = ZK_OP_CLOSE_SESSION;
    submit_write(s, &q, x->id, NULL, NULL, NULL);
    if (c) {
        sess_unbind(c);
        c->closing = true;
        conn_close_after_flush(c->c);
    }
    free(x);
}

/* -- snapshots ---------------------------------------------------------------- */

/* The snapshot child exited (SIGCHLD; we have no other children). */
static void on_sigchld(uv_signal_t *h, int signum)
{
    struct zk_server *s = h->data;
    int               status;
    pid_t             pid;

    (void)signum;
    if (s->snap_pid <= 0)
        return;
    pid = waitpid(s->snap_pid, &status, WNOHANG);
    if (pid != s->snap_pid)
        return;
    s->snap_pid = 0;
    s->snapping = false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        s->last_snap_zxid = s->snap_zxid;
        s->snaps_taken++;
        log_info("snapshot 0x%" PRIx64 " written", (uint64_t)s->snap_zxid);
    } else {
        log_error("snapshot 0x%" PRIx64 " failed (child status 0x%x); the txn log still "
                  "holds everything", (uint64_t)s->snap_zxid, (unsigned)status);
    }
}

static void maybe_snapshot(struct zk_server *s)
{
    pid_t   pid;
    int64_t t0;

    if (s->snapping || s->since_snap < (uint64_t)s->cfg->snap_count || s->stopping)
        return;
    s->since_snap = 0;
    t0 = clock_mono_ns();
    /* ZooKeeper serialises from a thread while the tree changes (a fuzzy
     * snapshot, made consistent by idempotent replay).  Our replay is not
     * idempotent, so the snapshot must be exact at one zxid: a forked child
     * gets a copy-on-write image of the tree for the price of the fork. */
    pid = zk_snap_fork(&s->tree, s->cfg->data_dir);
    if (pid < 0) {
        log_error("snapshot: fork: %s", err_str((int)pid));
        return;
    }
    s->snapping = true;
    s->snap_pid = pid;
    s->snap_zxid = s->tree.zxid;
    zk_log_roll(&s->log);
    log_info("snapshot 0x%" PRIx64 ": %u znodes, writer pid %d forked in %.1f ms",
             (uint64_t)s->tree.zxid, zk_tree_node_count(&s->tree), (int)pid,
             (double)(clock_mono_ns() - t0) / 1e6);
}

/* -- autopurge (PurgeTxnLog every autopurge.purgeInterval hours) -------------- */

struct purge_job {
    uv_work_t         work;
    struct zk_server *s;
    int64_t           oldest;
    int               logs;
};

static void purge_work(uv_work_t *w)
{
    struct purge_job *j = w->data;

    j->oldest = zk_snap_purge(j->s->cfg->data_dir, j->s->cfg->purge_retain);
    j->logs = j->oldest > 0 ? zk_log_purge(zk_config_log_dir(j->s->cfg), j->oldest) : 0;
}

static void purge_done(uv_work_t *w, int status)
{
    struct purge_job *j = w->data;

    if (status == 0)
        log_info("autopurge: kept snapshots from 0x%" PRIx64 ", deleted %d log file(s)",
                 (uint64_t)j->oldest, j->logs > 0 ? j->logs : 0);
    j->s->purging = false;
    free(j);
}

static void on_purge_timer(uv_timer_t *t)
{
    struct zk_server *s = t->data;
    struct purge_job *j;

    if (s->purging || s->stopping)
        return;
    j = xcalloc(1, sizeof *j);
    j->s = s;
    j->work.data = j;
    if (uv_queue_work(s->loop, &j->work, purge_work, purge_done) == 0)
        s->purging = true;
    else
        free(j);
}

/* -- request handlers ------------------------------------------------------------ */

struct ctx {
    struct zk_server *s;
    struct zk_cnx    *x;
    int32_t           xid, type;
    rd_t             *r;
    int64_t           t0;
};

typedef int srv_fn(struct ctx *k);

/* Sends a header-only reply at the current zxid. */
static void reply_hdr(struct ctx *k, int32_t xid, int64_t zxid, int32_t err,
                      bool close_after)
{
    buf_t  f = BUF_INIT;
    size_t at = zk_jute_reply_begin(&f, xid, zxid, err);

    buf_frame_end(&f, at);
    out_reply(k->s, k->x, k->s->tree.zxid, &f, k->t0, close_after);
}

static int h_ping(struct ctx *k)
{
    reply_hdr(k, k->xid, k->s->tree.zxid, ZK_OK, false);
    return 0;
}

static int h_close(struct ctx *k)
{
    struct zk_server *s = k->s;
    struct zk_cnx    *x = k->x;
    struct zk_sess   *se = x->sess;
    struct zk_tsess  *ts = zk_tree_session(&s->tree, se->id);
    struct zk_req     q = { 0 };
    int64_t           zxid;
    buf_t             f = BUF_INIT;
    size_t            at;

    if (ts)
        ts->data = NULL;
    q.type = ZK_OP_CLOSE_SESSION;
    zxid = submit_write(s, &q, se->id, NULL, NULL, NULL);
    sess_unbind(x);
    free(se);
    x->closing = true;
    at = zk_jute_reply_begin(&f, k->xid, zxid, ZK_OK);
    buf_frame_end(&f, at);
    out_reply(s, x, zxid, &f, k->t0, true);
    return 0;
}

static int h_auth(struct ctx *k)
{
    arena_t      *a = &k->s->arena;
    struct zk_req q = { 0 };
    char          id[1024];
    int           rc;

    q.type = ZK_OP_AUTH;
    rc = zk_jute_req_decode(k->r, &q, a);
    if (rc < 0)
        return rc;
    if (slice_eq(q.scheme, "digest") && q.data.n > 0 && q.data.n < 900 &&
        zk_acl_digest((const char *)q.data.p, (size_t)q.data.n, id, sizeof id) == 0) {
        zk_acl_auth_add(&k->x->auth, "digest", id);
        if (k->s->super_id[0] && strcmp(id, k->s->super_id) == 0)
            k->x->auth.trusted = true;
        reply_hdr(k, ZK_XID_AUTH, 0, ZK_OK, false);
        return 0;
    }
    /* Unknown scheme or a bad digest: AUTHFAILED, then the server closes. */
    k->s->auth_failed++;
    k->x->closing = true;
    reply_hdr(k, ZK_XID_AUTH, 0, ZK_EAUTHFAILED, true);
    return 0;
}

static void send_now_event(struct ctx *k, int32_t type, slice_t path)
{
    buf_t f = BUF_INIT;

    zk_jute_event_frame(&f, type, ZK_STATE_SYNC_CONNECTED, (const char *)path.p,
                        (size_t)path.n);
    out_event(k->s, k->x->c, k->s->tree.zxid, &f);
}

/* SetWatches (101) and SetWatches2 (105): re-register after a reconnect,
 * firing at once what changed after relativeZxid (DataTree.setWatches). */
static int h_set_watches(struct ctx *k)
{
    struct zk_server *s = k->s;
    struct zk_req     q = { 0 };
    int32_t           i;
    int               rc;

    q.type = k->type;
    rc = zk_jute_req_decode(k->r, &q, &s->arena);
    if (rc < 0)
        return rc;
    for (i = 0; i < q.wl[ZK_WL_DATA].n; i++) {
        slice_t         p = q.wl[ZK_WL_DATA].v[i];
        struct zk_node *n = p.n > 0 ? zk_tree_find(&s->tree, (const char *)p.p, (size_t)p.n) : NULL;

        if (p.n <= 0)
            continue;
        if (n == NULL)
            send_now_event(k, ZK_EVENT_DELETED, p);
        else if (n->mzxid > q.rel_zxid)
            send_now_event(k, ZK_EVENT_DATA_CHANGED, p);
        else
            zk_watch_add(&s->watches, k->x, &k->x->watches, ZK_WATCH_DATA,
                         (const char *)p.p, (size_t)p.n);
    }
    for (i = 0; i < q.wl[ZK_WL_EXIST].n; i++) {
        slice_t p = q.wl[ZK_WL_EXIST].v[i];

        if (p.n <= 0)
            continue;
        if (zk_tree_find(&s->tree, (const char *)p.p, (size_t)p.n))
            send_now_event(k, ZK_EVENT_CREATED, p);
        else
            zk_watch_add(&s->watches, k->x, &k->x->watches, ZK_WATCH_DATA,
                         (const char *)p.p, (size_t)p.n);
    }
    for (i = 0; i < q.wl[ZK_WL_CHILD].n; i++) {
        slice_t         p = q.wl[ZK_WL_CHILD].v[i];
        struct zk_node *n = p.n > 0 ? zk_tree_find(&s->tree, (const char *)p.p, (size_t)p.n) : NULL;

        if (p.n <= 0)
            continue;
        if (n == NULL)
            send_now_event(k, ZK_EVENT_DELETED, p);
        else if (n->pzxid > q.rel_zxid)
            send_now_event(k, ZK_EVENT_CHILDREN_CHANGED, p);
        else
            zk_watch_add(&s->watches, k->x, &k->x->watches, ZK_WATCH_CHILD,
                         (const char *)p.p, (size_t)p.n);
    }
    for (i = 0; i < q.wl[ZK_WL_PERSISTENT].n; i++)
        if (q.wl[ZK_WL_PERSISTENT].v[i].n > 0)
            zk_watch_add(&s->watches, k->x, &k->x->watches, ZK_WATCH_PERSISTENT,
                         (const char *)q.wl[ZK_WL_PERSISTENT].v[i].p,
                         (size_t)q.wl[ZK_WL_PERSISTENT].v[i].n);
    for (i = 0; i < q.wl[ZK_WL_PERSISTENT_RECURSIVE].n; i++)
        if (q.wl[ZK_WL_PERSISTENT_RECURSIVE].v[i].n > 0)
            zk_watch_add(&s->watches, k->x, &k->x->watches, ZK_WATCH_RECURSIVE,
                         (const char *)q.wl[ZK_WL_PERSISTENT_RECURSIVE].v[i].p,
                         (size_t)q.wl[ZK_WL_PERSISTENT_RECURSIVE].v[i].n);
    reply_hdr(k, k->xid, s->tree.zxid, ZK_OK, false);
    return 0;
}

static int h_add_watch(struct ctx *k)
{
    struct zk_req q = { 0 };
    int           rc;

    q.type = k->type;
    rc = zk_jute_req_decode(k->r, &q, &k->s->arena);
    if (rc < 0)
        return rc;
    /* AddWatchMode.fromInt fails on other modes: MARSHALLINGERROR. */
    if (q.mode != ZK_ADD_WATCH_PERSISTENT && q.mode != ZK_ADD_WATCH_PERSISTENT_RECURSIVE) {
        reply_hdr(k, k->xid, k->s->tree.zxid, ZK_EMARSHALLING, false);
        return 0;
    }
    if (q.path.n > 0)
        zk_watch_add(&k->s->watches, k->x, &k->x->watches,
                     q.mode == ZK_ADD_WATCH_PERSISTENT ? ZK_WATCH_PERSISTENT
                                                       : ZK_WATCH_RECURSIVE,
                     (const char *)q.path.p, (size_t)q.path.n);
    {
        /* 3.8 answers addWatch with an ErrorResponse{0} body (measured) */
        buf_t  f = BUF_INIT;
        size_t at = zk_jute_reply_begin(&f, k->xid, k->s->tree.zxid, ZK_OK);

        buf_put_i32(&f, 0);
        buf_frame_end(&f, at);
        out_reply(k->s, k->x, k->s->tree.zxid, &f, k->t0, false);
    }
    return 0;
}

/* removeWatches (18) and checkWatches (17): NOWATCHER if none matched. */
static int h_remove_watches(struct ctx *k)
{
    struct zk_req q = { 0 };
    int           rc, n;

    q.type = k->type;
    rc = zk_jute_req_decode(k->r, &q, &k->s->arena);
    if (rc < 0)
        return rc;
    /* WatcherType.fromInt knows Children(1), Data(2), Any(3) only. */
    if (q.mode < ZK_WTYPE_CHILDREN || q.mode > ZK_WTYPE_ANY) {
        reply_hdr(k, k->xid, k->s->tree.zxid, ZK_EMARSHALLING, false);
        return 0;
    }
    n = zk_watch_remove(&k->s->watches, &k->x->watches, (const char *)q.path.p,
                        (size_t)q.path.n, q.mode, k->type == ZK_OP_CHECK_WATCHES);
    reply_hdr(k, k->xid, k->s->tree.zxid, n > 0 ? ZK_OK : ZK_ENOWATCHER, false);
    return 0;
}

/* whoAmI: ClientInfo{authScheme, user} per identity; digest shows the user. */
static int h_who_am_i(struct ctx *k)
{
    buf_t  f = BUF_INIT;
    size_t at = zk_jute_reply_begin(&f, k->xid, k->s->tree.zxid, ZK_OK);
    int    i;

    buf_put_i32(&f, k->x->auth.nids);
    for (i = 0; i < k->x->auth.nids; i++) {
        const char *id = k->x->auth.ids[i].id;
        const char *colon = strcmp(k->x->auth.ids[i].scheme, "digest") == 0
                                ? strchr(id, ':') : NULL;

        zk_jute_put_string(&f, k->x->auth.ids[i].scheme);
        zk_jute_put_buffer(&f, id, colon ? (int32_t)(colon - id) : (int32_t)strlen(id));
    }
    buf_frame_end(&f, at);
    out_reply(k->s, k->x, k->s->tree.zxid, &f, k->t0, false);
    return 0;
}

/* A request ZooKeeper turns into an ErrorTxn: it consumes a zxid (and a
 * log record) and answers err with that zxid (measured for reconfig and
 * for a multi holding a read op). */
static void reply_error_txn(struct ctx *k, int32_t err)
{
    struct zk_req er = { 0 };
    int64_t       zxid;
    buf_t         f = BUF_INIT;
    size_t        at;

    er.type = ZK_OP_ERROR;
    zxid = submit_write(k->s, &er, k->x->sess->id, NULL, NULL, NULL);
    at = zk_jute_reply_begin(&f, k->xid, zxid, err);
    buf_frame_end(&f, at);
    out_reply(k->s, k->x, zxid, &f, k->t0, false);
}

static int h_reconfig(struct ctx *k)
{
    /* standalone ZooKeeper 3.8 with reconfigEnabled=false */
    reply_error_txn(k, ZK_ERECONFIGDISABLED);
    return 0;
}

/* Without SASL configured 3.8 answers an empty SetSASLResponse (token
 * null), err 0 (measured). */
static int h_sasl(struct ctx *k)
{
    buf_t  f = BUF_INIT;
    size_t at = zk_jute_reply_begin(&f, k->xid, 0, ZK_OK);

    zk_jute_put_buffer(&f, NULL, -1);
    buf_frame_end(&f, at);
    out_reply(k->s, k->x, k->s->tree.zxid, &f, k->t0, false);
    return 0;
}

/* An op code ZooKeeper does not know: UNIMPLEMENTED, then the server
 * closes the connection (measured on 3.8.0). */
static int h_unknown(struct ctx *k)
{
    k->x->closing = true;
    reply_hdr(k, k->xid, -1, ZK_EUNIMPLEMENTED, true); /* zxid -1, measured */
    return 0;
}

/* Everything the tree executes: decode, run, register read watches, reply. */
static int h_tree(struct ctx *k)
{
    struct zk_server *s = k->s;
    struct zk_cnx    *x = k->x;
    struct zk_req     q = { 0 };
    buf_t             f = BUF_INIT;
    bool              write = zk_jute_op_is_write(k->type);
    int64_t           zxid;
    int32_t           err;
    size_t            at;
    int               rc;

    q.type = k->type;
    q.xid = k->xid;
    rc = zk_jute_req_decode(k->r, &q, &s->arena);
    if (rc == ERR_UNSUPPORTED &&
        (k->type == ZK_OP_MULTI || k->type == ZK_OP_MULTI_READ)) {
        /* An op a multi may not hold: MARSHALLINGERROR, connection kept.
         * multi consumes a zxid (ErrorTxn); multiRead, a read, does not
         * but still carries its (empty) result list (measured). */
        if (k->type == ZK_OP_MULTI) {
            reply_error_txn(k, ZK_EMARSHALLING);
            return 0;
        }
        at = zk_jute_reply_begin(&f, k->xid, s->tree.zxid, ZK_EMARSHALLING);
        buf_put_i32(&f, -1);
        zk_jute_put_bool(&f, true);
        buf_put_i32(&f, -1);
        buf_frame_end(&f, at);
        out_reply(s, x, s->tree.zxid, &f, k->t0, false);
        return 0;
    }
    if (rc < 0)
        return rc;
    zxid = write ? s->tree.zxid + 1 : s->tree.zxid;
    at = zk_jute_reply_begin(&f, k->xid, zxid, ZK_OK);
    if (write) {
        size_t body = f.len;

        zxid = submit_write(s, &q, x->sess->id, &x->auth, &f, &err);
        if (err != ZK_OK)
            f.len = body;
    } else {
        struct zk_txn tx = { 0, 0, x->sess->id, &q };

        err = zk_tree_exec(&s->tree, &tx, &x->auth, &s->arena, &f);
        if (q.watch && q.path.n > 0) {
            const char *p = (const char *)q.path.p;
            size_t      n = (size_t)q.path.n;

            if (k->type == ZK_OP_EXISTS && (err == ZK_OK || err == ZK_ENONODE))
                zk_watch_add(&s->watches, x, &x->watches, ZK_WATCH_DATA, p, n);
            else if (k->type == ZK_OP_GET_DATA && err == ZK_OK)
                zk_watch_add(&s->watches, x, &x->watches, ZK_WATCH_DATA, p, n);
            else if ((k->type == ZK_OP_GET_CHILDREN || k->type == ZK_OP_GET_CHILDREN2) &&
                     err == ZK_OK)
                zk_watch_add(&s->watches, x, &x->watches, ZK_WATCH_CHILD, p, n);
        }
    }
    buf_set_i32(&f, at + 4 + 4 + 8, err);
    buf_frame_end(&f, at);
    x->last_zxid = zxid;
    out_reply(s, x, zxid, &f, k->t0, false);
    return 0;
}

/* The server's op table: requests answered here rather than by the tree
 * (the tree's own table is in zk_tree.c).  Unknown ops get UNIMPLEMENTED. */
static const struct {
    int32_t op;
    srv_fn *fn;
} zk_srv_ops[] = {
    { ZK_OP_PING, h_ping },
    { ZK_OP_CLOSE_SESSION, h_close },
    { ZK_OP_AUTH, h_auth },
    { ZK_OP_SET_WATCHES, h_set_watches },
    { ZK_OP_SET_WATCHES2, h_set_watches },
    { ZK_OP_ADD_WATCH, h_add_watch },
    { ZK_OP_REMOVE_WATCHES, h_remove_watches },
    { ZK_OP_CHECK_WATCHES, h_remove_watches },
    { ZK_OP_WHO_AM_I, h_who_am_i },
    { ZK_OP_RECONFIG, h_reconfig },
    { ZK_OP_SASL, h_sasl },
    { ZK_OP_CREATE, h_tree },
    { ZK_OP_CREATE2, h_tree },
    { ZK_OP_CREATE_CONTAINER, h_tree },
    { ZK_OP_CREATE_TTL, h_tree },
    { ZK_OP_DELETE, h_tree },
    { ZK_OP_EXISTS, h_tree },
    { ZK_OP_GET_DATA, h_tree },
    { ZK_OP_SET_DATA, h_tree },
    { ZK_OP_GET_ACL, h_tree },
    { ZK_OP_SET_ACL, h_tree },
    { ZK_OP_GET_CHILDREN, h_tree },
    { ZK_OP_GET_CHILDREN2, h_tree },
    { ZK_OP_SYNC, h_tree },
    { ZK_OP_CHECK, h_tree },
    { ZK_OP_MULTI, h_tree },
    { ZK_OP_MULTI_READ, h_tree },
    { ZK_OP_GET_EPHEMERALS, h_tree },
    { ZK_OP_GET_ALL_CHILDREN_NUMBER, h_tree },
};

/* -- the handshake -------------------------------------------------------------- */

static int64_t new_session_id(struct zk_server *s)
{
    while (zk_tree_session(&s->tree, s->next_session) != NULL || s->next_session == 0)
        s->next_session++;
    return s->next_session++;
}

static void random_bytes(uint8_t *p, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            abort(); /* no entropy at all: nothing sensible to do */
        }
        got += (size_t)r;
    }
}

static int handle_connect(struct zk_server *s, struct zk_cnx *x, const uint8_t *p,
                          size_t n, int64_t t0)
{
    struct zk_connect_req  q;
    struct zk_connect_resp r = { 0 };
    struct zk_tsess       *ts;
    buf_t                  f = BUF_INIT;
    size_t                 at;
    int64_t                zxid = s->tree.zxid;
    int32_t                to;
    int                    rc;
    bool                   dead = false;

    rc = zk_jute_connect_req_decode(p, n, &q);
    if (rc < 0)
        return rc;
    if (q.last_zxid > s->tree.zxid) {
        /* ZooKeeperServer.processConnectRequest: the client has seen a
         * newer state than ours; it must try another server. */
        log_info("refusing session request for client %s as it has seen zxid 0x%" PRIx64
                 " our last zxid is 0x%" PRIx64,
                 x->c->peer, (uint64_t)q.last_zxid, (uint64_t)s->tree.zxid);
        return ERR_STATE;
    }
    x->connected = true;
    to = q.timeout;
    if (to < zk_config_min_timeout(s->cfg))
        to = zk_config_min_timeout(s->cfg);
    if (to > zk_config_max_timeout(s->cfg))
        to = zk_config_max_timeout(s->cfg);
    if (q.session_id == 0) {
        struct zk_req cq = { 0 };
        uint8_t       pw[ZK_PASSWD_LEN];

        random_bytes(pw, sizeof pw);
        r.session_id = new_session_id(s);
        cq.type = ZK_OP_CREATE_SESSION;
        cq.mode = to;
        cq.data = (slice_t){ pw, ZK_PASSWD_LEN };
        zxid = submit_write(s, &cq, r.session_id, NULL, NULL, NULL);
        ts = zk_tree_session(&s->tree, r.session_id);
        x->sess = sess_new(s, ts);
        x->sess->cnx = x;
        memcpy(r.passwd, pw, ZK_PASSWD_LEN);
        r.timeout = to;
    } else {
        ts = zk_tree_session(&s->tree, q.session_id);
        if (ts && ts->data && ((struct zk_sess *)ts->data)->cnx &&
            ((struct zk_sess *)ts->data)->cnx != x) {
            struct zk_cnx *old = ((struct zk_sess *)ts->data)->cnx;

            /* ZooKeeperServer.processConnectRequest closes the session's
             * current connection (CLIENT_RECONNECT) before it checks the
             * password (measured: a wrong password drops it too). */
            sess_unbind(old);
            old->closing = true;
            conn_close(old->c, ERR_CLOSED);
        }
        if (ts == NULL || ts->data == NULL || q.passwd.n != ZK_PASSWD_LEN ||
            memcmp(q.passwd.p, ts->passwd, ZK_PASSWD_LEN) != 0) {
            dead = true; /* timeOut 0, sessionId 0, zero password: expired */
        } else {
            struct zk_sess *se = ts->data;

            se->cnx = x;
            se->timeout = to;
            sess_touch(se);
            x->sess = se;
            r.session_id = se->id;
            memcpy(r.passwd, ts->passwd, ZK_PASSWD_LEN);
            r.timeout = to;
        }
    }
    x->established = clock_wall_ms();
    at = buf_frame_begin(&f);
    zk_jute_connect_resp_encode(&f, &r, q.has_read_only);
    buf_frame_end(&f, at);
    if (dead)
        x->closing = true;
    out_reply(s, x, zxid, &f, t0, dead);
    return 0;
}

/* -- conn callbacks ------------------------------------------------------------- */

static int on_open(conn_t *c)
{
    struct zk_server *s = c->listener->data;
    struct zk_cnx    *x = xcalloc(1, sizeof *x), *y;
    uint32_t          same = 0;

    x->c = c;
    x->s = s;
    x->opened = clock_mono_ms();
    c->data = x;
    x->next = s->cnxs;
    if (s->cnxs)
        s->cnxs->prev = x;
    s->cnxs = x;
    s->ncnx++;
    if (s->stopping)
        return ERR_CLOSED;
    if (s->cfg->max_client_cnxns > 0) {
        for (y = s->cnxs; y; y = y->next)
            if (strcmp(y->c->peer_ip, c->peer_ip) == 0)
                same++;
        if (same > (uint32_t)s->cfg->max_client_cnxns) {
            /* NIOServerCnxnFactory: "Too many connections from /ip - max is N" */
            log_warn("too many connections from %s - max is %d", c->peer_ip,
                     s->cfg->max_client_cnxns);
            s->conn_rejected++;
            return ERR_LIMIT;
        }
    }
    zk_acl_auth_add(&x->auth, "ip", c->peer_ip);
    return 0;
}

static void on_close(conn_t *c, int why)
{
    struct zk_cnx    *x = c->data;
    struct zk_server *s;

    if (x == NULL)
        return;
    s = x->s;
    sess_unbind(x);
    zk_watch_drop_owner(&s->watches, &x->watches);
    zk_acl_auth_free(&x->auth);
    if (x->prev)
        x->prev->next = x->next;
    else
        s->cnxs = x->next;
    if (x->next)
        x->next->prev = x->prev;
    s->ncnx--;
    c->data = NULL;
    free(x);
    (void)why;
}

static int on_sniff(conn_t *c, const uint8_t *p, size_t n)
{
    if (n < 4)
        return ERR_SHORT;
    return zk_4lw_known(p) ? 1 : 0;
}

static ssize_t on_raw(conn_t *c, const uint8_t *p, size_t n)
{
    struct zk_cnx *x = c->data;
    char           word[5];
    buf_t          out = BUF_INIT;

    if (x->closing)
        return (ssize_t)n;
    memcpy(word, p, 4);
    word[4] = 0;
    x->recv++;
    zk_4lw_answer(x->s, word, &out);
    x->closing = true;
    conn_send(c, &out);
    conn_close_after_flush(c);
    return (ssize_t)n;
}

static int on_frame(conn_t *c, const uint8_t *p, size_t n)
{
    struct zk_cnx    *x = c->data;
    struct zk_server *s = x->s;
    struct ctx        k;
    rd_t              r = rd_init(p, n);
    size_t            i;
    int               rc;

    if (x->closing)
        return 0; /* after closeSession / AUTHFAILED: ignore the rest */
    x->recv++;
    s->packets_recv++;
    k.t0 = clock_mono_ns();
    arena_reset(&s->arena);
    if (!x->connected)
        return handle_connect(s, x, p, n, k.t0);
    if (x->sess == NULL)
        return ERR_CLOSED;
    k.s = s;
    k.x = x;
    k.r = &r;
    k.xid = rd_i32(&r);
    k.type = rd_i32(&r);
    if (!rd_ok(&r))
        return r.err;
    x->last_op = k.type;
    x->last_xid = k.xid;
    sess_touch(x->sess);
    for (i = 0; i < sizeof zk_srv_ops / sizeof zk_srv_ops[0]; i++) {
        if (zk_srv_ops[i].op == k.type) {
            rc = zk_srv_ops[i].fn(&k);
            if (rc < 0)
                log_debug("%s: bad %s request: %s", c->peer, zk_jute_op_name(k.type),
                          err_str(rc));
            return rc; /* a request that does not parse closes the connection */
        }
    }
    return h_unknown(&k);
}

/* -- timers -------------------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    struct zk_server *s = t->data;
    int64_t           now = clock_mono_ms();
    struct zk_cnx    *x, *next;
    uint32_t          i, nexp = 0;
    int64_t          *exp = NULL;
    buf_t             paths = BUF_INIT;
    size_t            off;

    if (s->stopping)
        return;
    /* Sessions that heard nothing for their timeout (SessionTrackerImpl). */
    for (i = 0; i <= s->tree.stabmask; i++) {
        struct zk_tsess *ts;

        for (ts = s->tree.stab[i]; ts; ts = ts->hnext) {
            struct zk_sess *se = ts->data;

            if (se && !se->closing && now >= se->deadline) {
                exp = xrealloc(exp, (nexp + 1) * sizeof *exp);
                exp[nexp++] = se->id;
            }
        }
    }
    for (i = 0; i < nexp; i++) {
        struct zk_tsess *ts = zk_tree_session(&s->tree, exp[i]);

        if (ts && ts->data)
            expire_session(s, ts->data, "expired");
    }
    free(exp);
    /* Connections that never sent a ConnectRequest. */
    for (x = s->cnxs; x; x = next) {
        next = x->next;
        if (!x->connected && !x->closing && now - x->opened > SESSIONLESS_MS) {
            x->closing = true;
            conn_close(x->c, ERR_TIMEOUT);
        }
    }
    /* ContainerManager: empty containers and expired TTL nodes. */
    zk_tree_reapable(&s->tree, clock_wall_ms(), &paths);
    for (off = 0; off < paths.len;) {
        struct zk_req q = { 0 };
        size_t        l = strlen((char *)paths.data + off);

        q.type = ZK_OP_DELETE_CONTAINER;
        q.path = (slice_t){ paths.data + off, (int32_t)l };
        q.version = -1;
        arena_reset(&s->arena);
        submit_write(s, &q, 0, NULL, NULL, NULL);
        off += l + 1;
    }
    buf_free(&paths);
}

/* -- log callbacks --------------------------------------------------------------------- */

static void on_durable(zk_log_t *l, int64_t zxid, int err)
{
    struct zk_server *s = l->data;

    if (err < 0) {
        log_error("transaction log %s: %s: stopping (writes cannot be acknowledged)",
                  l->dir, err_str(err));
        s->fatal = err;
        zk_server_stop(s, s->on_stopped);
        return;
    }
    (void)zxid;
    out_flush(s);
}

/* -- recovery ---------------------------------------------------------------------------- */

static int replay_rec(const struct zk_log_rec *rec, void *arg)
{
    struct zk_server *s = arg;
    struct zk_req     q = { 0 };
    rd_t              r = rd_init(rec->body, rec->len);
    struct zk_auth    trusted = { 0 };
    struct zk_txn     tx = { rec->zxid, rec->time, rec->session, &q };
    buf_t             out = BUF_INIT;
    int               rc;

    trusted.trusted = true;
    q.type = rec->type;
    arena_reset(&s->arena);
    rc = zk_jute_req_decode(&r, &q, &s->arena);
    if (rc < 0)
        return ERR_CORRUPT;
    zk_tree_exec(&s->tree, &tx, &trusted, &s->arena, &out);
    s->tree.zxid = rec->zxid;
    zk_tree_events_clear(&s->tree);
    buf_free(&out);
    return 0;
}

static int mkdir_p(const char *dir)
{
    char   tmp[4096];
    size_t i, n = strlen(dir);

    if (n == 0 || n >= sizeof tmp)
        return UV_ENAMETOOLONG;
    memcpy(tmp, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i];

            tmp[i] = 0;
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -errno;
            tmp[i] = c;
        }
    }
    return 0;
}

static int recover(struct zk_server *s)
{
    const struct zk_config *cfg = s->cfg;
    int64_t                 snap_zxid = 0;
    struct zk_log_replay_stats rst;
    int                     rc, skipped;
    int64_t                 t0 = clock_mono_ms();
    uint32_t                i;

    rc = zk_snap_load(cfg->data_dir, &s->tree, &snap_zxid, &skipped);
    if (rc < 0) {
        log_error("%s: reading snapshots: %s", cfg->data_dir, err_str(rc));
        return rc;
    }
    if (skipped)
        log_warn("%s: skipped %d unreadable or corrupt snapshot(s)", cfg->data_dir,
                 skipped);
    s->tree.extended_types = cfg->extended_types;
    s->tree.max_data = cfg->jute_maxbuffer;
    rc = zk_log_replay(zk_config_log_dir(cfg), snap_zxid, replay_rec, s, &rst);
    if (rc < 0) {
        log_error("%s: replaying the transaction log: %s", zk_config_log_dir(cfg),
                  err_str(rc));
        return rc;
    }
    if (rst.truncated)
        log_warn("%s: transaction log had a torn or corrupt tail after zxid 0x%" PRIx64
                 ": truncated there (%d file(s))",
                 zk_config_log_dir(cfg), (uint64_t)rst.last, rst.truncated);
    if (rst.set_aside)
        log_warn("%s: %d unreadable transaction log file(s) renamed *.corrupt",
                 zk_config_log_dir(cfg), rst.set_aside);
    if (s->tree.zxid < rst.last)
        s->tree.zxid = rst.last;
    s->last_snap_zxid = snap_zxid;
    /* Restored sessions get a fresh full timeout (as ZooKeeper does), so
     * ephemerals survive a short restart. */
    for (i = 0; i <= s->tree.stabmask; i++) {
        struct zk_tsess *ts;

        for (ts = s->tree.stab[i]; ts; ts = ts->hnext)
            sess_new(s, ts);
    }
    log_info("recovered zxid 0x%" PRIx64 " (snapshot 0x%" PRIx64 " + %d txns), %u znodes,"
             " %u sessions in %" PRId64 " ms",
             (uint64_t)s->tree.zxid, (uint64_t)snap_zxid, rc, zk_tree_node_count(&s->tree),
             s->tree.nsess, clock_mono_ms() - t0);
    return 0;
}

/* -- start / stop ---------------------------------------------------------------------------- */

int zk_server_start(struct zk_server *s, uv_loop_t *loop, const struct zk_config *cfg)
{
    int rc;

    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->cfg = cfg;
    s->outq_tail = &s->outq;
    s->started = clock_mono_ms();
    zk_tree_init(&s->tree);
    zk_watch_init(&s->watches);
    /* ZooKeeper: ((time << 24) >>> 8) | (serverId << 56), serverId 1. */
    s->next_session = (int64_t)(((uint64_t)clock_wall_ms() << 24) >> 8) | (1LL << 56);
    if (cfg->super_digest && cfg->super_digest[0])
        snprintf(s->super_id, sizeof s->super_id, "%s", cfg->super_digest);
    if ((rc = mkdir_p(cfg->data_dir)) < 0 || (rc = mkdir_p(zk_config_log_dir(cfg))) < 0) {
        log_error("cannot create data directory: %s", err_str(rc));
        return rc;
    }
    rc = recover(s);
    if (rc < 0)
        return rc;
    zk_log_open(&s->log, loop, zk_config_log_dir(cfg), cfg->force_sync,
                cfg->prealloc_kb * 1024, s->tree.zxid, on_durable, s);
    s->handles++; /* the log */
    s->ops.max_frame = (size_t)cfg->jute_maxbuffer + 1024;
    s->ops.max_inflight = 4096;
    s->ops.on_open = on_open;
    s->ops.on_sniff = on_sniff;
    s->ops.on_raw = on_raw;
    s->ops.on_frame = on_frame;
    s->ops.on_close = on_close;
    s->lis.data = s;
    s->lis.max_conns = (unsigned)cfg->max_cnxns;
    rc = conn_listen(&s->lis, loop, cfg->client_port_address, cfg->client_port, &s->ops,
                     511);
    if (rc < 0) {
        log_error("listen on %s:%d: %s", cfg->client_port_address, cfg->client_port,
                  err_str(rc));
        return rc;
    }
    s->lis.data = s;
    s->lis.max_conns = (unsigned)cfg->max_cnxns;
    s->handles++; /* the listener */
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    s->handles++;
    uv_timer_start(&s->tick, on_tick, (uint64_t)(cfg->tick_time / 2 + 1),
                   (uint64_t)(cfg->tick_time / 2 + 1));
    uv_signal_init(loop, &s->sigchld);
    s->sigchld.data = s;
    s->handles++;
    uv_signal_start(&s->sigchld, on_sigchld, SIGCHLD);
    uv_timer_init(loop, &s->purge);
    s->purge.data = s;
    s->handles++;
    if (cfg->purge_interval_h > 0) {
        uint64_t every = (uint64_t)cfg->purge_interval_h * 3600 * 1000;

        /* ZooKeeper's DatadirCleanupManager also purges once at start. */
        uv_timer_start(&s->purge, on_purge_timer, 0, every);
    }
    s->serving = true;
    return 0;
}

int zk_server_port(const struct zk_server *s)
{
    return conn_listener_port(&s->lis);
}

static void handle_gone(struct zk_server *s)
{
    if (--s->handles > 0)
        return;
    /* Anything still queued can no longer be made durable: drop it. */
    while (s->outq) {
        struct zk_out *o = s->outq;

        s->outq = o->next;
        if (o->slot)
            conn_fill(o->c, o->slot, NULL);
        buf_free(&o->bytes);
        conn_unref(o->c);
        free(o);
    }
    s->outq_tail = &s->outq;
    zk_watch_free(&s->watches);
    {
        uint32_t i;

        for (i = 0; i <= s->tree.stabmask; i++) {
            struct zk_tsess *ts;

            for (ts = s->tree.stab[i]; ts; ts = ts->hnext) {
                free(ts->data);
                ts->data = NULL;
            }
        }
    }
    zk_tree_free(&s->tree);
    arena_free(&s->arena);
    buf_free(&s->body);
    if (s->on_stopped)
        s->on_stopped(s);
}

static void on_lis_closed(conn_listener_t *l)
{
    handle_gone(l->data);
}

static void on_tick_closed(uv_handle_t *h)
{
    handle_gone(h->data);
}

static void on_log_closed(zk_log_t *l)
{
    handle_gone(l->data);
}

void zk_server_stop(struct zk_server *s, void (*on_stopped)(struct zk_server *s))
{
    if (s->stopping)
        return;
    s->stopping = true;
    s->serving = false;
    s->on_stopped = on_stopped;
    s->lis.on_closed = on_lis_closed;
    conn_listener_close(&s->lis);
    uv_close((uv_handle_t *)&s->tick, on_tick_closed);
    uv_close((uv_handle_t *)&s->purge, on_tick_closed);
    uv_close((uv_handle_t *)&s->sigchld, on_tick_closed);
    if (s->snap_pid > 0) {
        int status;

        /* an unfinished snapshot is only a temp file: drop it */
        kill(s->snap_pid, SIGKILL);
        waitpid(s->snap_pid, &status, 0);
        s->snap_pid = 0;
    }
    zk_log_close(&s->log, on_log_closed);
}
