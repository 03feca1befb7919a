/* zk_client: asynchronous ZooKeeper client on libuv (see zk_client.h).
 *
 * Connection phases: IDLE (no socket; a timer schedules the next attempt)
 * -> RESOLVE (uv_getaddrinfo) -> CONNECT (uv_tcp_connect) -> HANDSHAKE
 * (ConnectRequest sent, waiting for the ConnectResponse) -> READY.  Any
 * error or timeout closes the socket, fails the requests in flight with
 * CONNECTIONLOSS and goes back to IDLE with the next server.  One timer
 * serves all phases: attempt timeout, ping interval, reconnect delay.
 *
 * Replies arrive in request order (ZooKeeper answers each session FIFO),
 * so a reply matches the head of the in-flight queue; special xids are
 * -1 (watch event), -2 (ping), -4 (auth), -8 (SetWatches). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conn.h"
#include "err.h"
#include "xalloc.h"
#include "zk_client.h"

enum phase { P_IDLE, P_RESOLVE, P_CONNECT, P_HANDSHAKE, P_READY };

enum wkind { W_NONE = 0, W_DATA, W_EXIST, W_CHILD, W_KINDS };

struct creq {
    struct creq  *next;
    int32_t       xid, type;
    buf_t         body;      /* request body (no header) */
    zk_client_cb *cb;
    void         *arg;
    char         *wpath;     /* watch to arm on success (chrooted path) */
    uint8_t       wkind;
    int32_t       nops;      /* multi */
};

struct wnode {
    struct wnode *next;
    char         *path;      /* server path (with chroot) */
};

struct host {
    char host[256];
    int  port;
};

struct authent {
    struct authent *next;
    char           *scheme, *auth;
};

struct zk_client {
    uv_loop_t           *loop;
    struct zk_client_opts o;
    struct host         *hosts;
    int                  nhosts, next_host;
    char                *chroot;
    size_t               chroot_len;
    enum zk_client_state state;
    enum phase           phase;
    uv_tcp_t             tcp;
    bool                 tcp_live;    /* initialised, not yet closed */
    uv_connect_t         connect_req;
    uv_getaddrinfo_t     gai;
    uv_timer_t           timer;
    buf_t                in;
    int64_t              session_id;
    uint8_t              passwd[ZK_PASSWD_LEN];
    int32_t              timeout;     /* negotiated */
    int64_t              last_zxid;
    int64_t              last_recv;   /* mono ms */
    int32_t              xid;
    struct creq         *pending, **pending_tail;   /* not sent yet */
    struct creq         *inflight, **inflight_tail; /* sent, in order */
    struct wnode        *w[W_KINDS];
    struct authent      *auths;
    int                  attempts;
    bool                 closing, close_sent;
    int                  handles;
    void               (*on_closed)(void *arg);
    void                *closed_arg;
    uint64_t             gen;         /* connection generation */
};

static void start_attempt(zk_client_t *c);
static void on_tick(uv_timer_t *t);
static void on_timer_closed(uv_handle_t *h);
static void drop_connection(zk_client_t *c, int32_t fail_err);
static void flush_pending(zk_client_t *c);
static void maybe_finish_close(zk_client_t *c);

/* -- small helpers --------------------------------------------------------- */

static void set_state(zk_client_t *c, enum zk_client_state st)
{
    if (c->state == st && st != ZK_CLIENT_CONNECTED)
        return;
    c->state = st;
    if (c->o.on_state)
        c->o.on_state(c, st, c->o.arg);
}

static char *full_path(const zk_client_t *c, const char *path)
{
    size_t n = strlen(path);
    char  *p;

    if (c->chroot_len == 0)
        return xstrdup(path);
    if (n == 1 && path[0] == '/')
        return xstrdup(c->chroot);
    p = xmalloc(c->chroot_len + n + 1);
    memcpy(p, c->chroot, c->chroot_len);
    memcpy(p + c->chroot_len, path, n + 1);
    return p;
}

/* Server path -> client path (chroot removed). */
static const char *strip(const zk_client_t *c, const char *p)
{
    if (c->chroot_len && strncmp(p, c->chroot, c->chroot_len) == 0) {
        if (p[c->chroot_len] == 0)
            return "/";
        return p + c->chroot_len;
    }
    return p;
}

static bool valid_path(const char *p)
{
    size_t n;

    if (p == NULL || p[0] != '/')
        return false;
    n = strlen(p);
    return n == 1 || p[n - 1] != '/';
}

static void creq_free(struct creq *r)
{
    buf_free(&r->body);
    free(r->wpath);
    free(r);
}

static void fail_req(zk_client_t *c, struct creq *r, int32_t err)
{
    struct zk_result res;

    memset(&res, 0, sizeof res);
    res.err = err;
    res.dlen = -1;
    if (r->cb)
        r->cb(c, &res, r->arg);
    creq_free(r);
}

/* -- watches ---------------------------------------------------------------- */

static void watch_add(zk_client_t *c, int kind, const char *path)
{
    struct wnode *w;

    for (w = c->w[kind]; w; w = w->next)
        if (strcmp(w->path, path) == 0)
            return;
    w = xcalloc(1, sizeof *w);
    w->path = xstrdup(path);
    w->next = c->w[kind];
    c->w[kind] = w;
}

static bool watch_take(zk_client_t *c, int kind, const char *path)
{
    struct wnode **pp, *w;

    for (pp = &c->w[kind]; (w = *pp) != NULL; pp = &w->next) {
        if (strcmp(w->path, path) == 0) {
            *pp = w->next;
            free(w->path);
            free(w);
            return true;
        }
    }
    return false;
}

static void watches_clear(zk_client_t *c)
{
    int k;

    for (k = 0; k < W_KINDS; k++)
        while (c->w[k]) {
            struct wnode *w = c->w[k];

            c->w[k] = w->next;
            free(w->path);
            free(w);
        }
}

static void on_event(zk_client_t *c, int32_t type, const char *path)
{
    bool hit = false;

    /* ZooKeeper's client-side mapping (ZKWatchManager.materialize). */
    if (type == ZK_EVENT_DATA_CHANGED || type == ZK_EVENT_CREATED) {
        hit |= watch_take(c, W_DATA, path);
        hit |= watch_take(c, W_EXIST, path);
    } else if (type == ZK_EVENT_CHILDREN_CHANGED) {
        hit |= watch_take(c, W_CHILD, path);
    } else if (type == ZK_EVENT_DELETED) {
        hit |= watch_take(c, W_DATA, path);
        hit |= watch_take(c, W_EXIST, path);
        hit |= watch_take(c, W_CHILD, path);
    }
    if (hit && c->o.on_watch)
        c->o.on_watch(c, type, strip(c, path), c->o.arg);
}

/* -- writing ----------------------------------------------------------------- */

struct wreq {
    uv_write_t req;
    buf_t      b;
};

static void on_written(uv_write_t *w, int status)
{
    struct wreq *wr = (struct wreq *)w;

    buf_free(&wr->b);
    free(wr);
    (void)status; /* a failed write shows up as a read error */
}

static int send_buf(zk_client_t *c, buf_t *b)
{
    struct wreq *wr = xcalloc(1, sizeof *wr);
    uv_buf_t     ub;
    int          rc;

    buf_move(&wr->b, b);
    ub = uv_buf_init((char *)wr->b.data, (unsigned)wr->b.len);
    rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &ub, 1, on_written);
    if (rc < 0) {
        buf_free(&wr->b);
        free(wr);
    }
    return rc;
}

static void send_header_only(zk_client_t *c, int32_t xid, int32_t type, buf_t *body)
{
    buf_t  b = BUF_INIT;
    size_t at = buf_frame_begin(&b);

    buf_put_i32(&b, xid);
    buf_put_i32(&b, type);
    if (body)
        buf_put(&b, body->data, body->len);
    buf_frame_end(&b, at);
    send_buf(c, &b);
}

/* -- reading ------------------------------------------------------------------ */

static void deliver(zk_client_t *c, struct creq *r, int64_t zxid, int32_t err,
                    rd_t *rd)
{
    struct zk_result        res;
    struct zk_stat          st;
    arena_t                 a = { 0 };
    char                  **kids = NULL;
    char                   *path = NULL;
    struct zk_multi_result *mr = NULL;
    int32_t                 i, n;

    memset(&res, 0, sizeof res);
    res.err = err;
    res.zxid = zxid;
    res.dlen = -1;
    if (err == ZK_OK) {
        switch (r->type) {
        case ZK_OP_GET_DATA: {
            slice_t d = rd_bytes(rd, false);

            zk_jute_get_stat(rd, &st);
            res.data = d.p;
            res.dlen = d.n;
            res.stat = &st;
            break;
        }
        case ZK_OP_GET_ACL:
            res.nacl = zk_jute_get_acls(rd, &a, (struct zk_acl **)&res.acl);
            if (res.nacl < 0)
                res.nacl = 0;
            zk_jute_get_stat(rd, &st);
            res.stat = &st;
            break;
        case ZK_OP_EXISTS:
        case ZK_OP_SET_ACL:
        case ZK_OP_SET_DATA:
            zk_jute_get_stat(rd, &st);
            res.stat = &st;
            break;
        case ZK_OP_CREATE:
        case ZK_OP_CREATE2:
        case ZK_OP_CREATE_CONTAINER: { /* a Create2Response */
            slice_t p = rd_bytes(rd, false);

            path = slice_dup(p);
            res.path = path ? strip(c, path) : NULL;
            if (r->type != ZK_OP_CREATE) {
                zk_jute_get_stat(rd, &st);
                res.stat = &st;
            }
            break;
        }
        case ZK_OP_GET_CHILDREN2:
            n = rd_count(rd, false, 4);
            kids = arena_calloc(&a, (size_t)(n > 0 ? n : 1), sizeof *kids);
            for (i = 0; i < n; i++) {
                slice_t s = rd_bytes(rd, false);

                kids[i] = arena_strndup(&a, (const char *)s.p, s.n > 0 ? (size_t)s.n : 0);
            }
            zk_jute_get_stat(rd, &st);
            res.children = (const char *const *)kids;
            res.nchildren = n > 0 ? n : 0;
            res.stat = &st;
            break;
        case ZK_OP_MULTI: {
            struct zk_stat *stats = arena_calloc(&a, (size_t)(r->nops ? r->nops : 1),
                                                 sizeof *stats);

            mr = arena_calloc(&a, (size_t)(r->nops ? r->nops : 1), sizeof *mr);
            for (i = 0; i < r->nops + 1 && rd_ok(rd); i++) {
                int32_t type = rd_i32(rd);
                bool    done = rd_bool(rd);
                int32_t e = rd_i32(rd);

                if (done || i == r->nops)
                    break;
                mr[i].type = type;
                mr[i].err = e;
                if (type == ZK_OP_ERROR) {
                    mr[i].err = rd_i32(rd);
                    if (mr[i].err != 0 && res.err == 0 &&
                        mr[i].err != ZK_ERUNTIMEINCONSISTENCY)
                        res.err = mr[i].err;
                } else if (type == ZK_OP_CREATE || type == ZK_OP_CREATE2) {
                    slice_t p = rd_bytes(rd, false);
                    char   *s = arena_strndup(&a, (const char *)p.p,
                                              p.n > 0 ? (size_t)p.n : 0);

                    mr[i].path = strip(c, s);
                    if (type == ZK_OP_CREATE2) {
                        zk_jute_get_stat(rd, &stats[i]);
                        mr[i].stat = &stats[i];
                    }
                } else if (type == ZK_OP_SET_DATA) {
                    zk_jute_get_stat(rd, &stats[i]);
                    mr[i].stat = &stats[i];
                }
            }
            res.ops = mr;
            res.nops = r->nops;
            break;
        }
        default:
            break;
        }
        if (!rd_ok(rd))
            res.err = ZK_EMARSHALLING;
    }
    /* Arm the watch: exists arms an exist watch even on NONODE. */
    if (r->wkind && (err == ZK_OK || (err == ZK_ENONODE && r->wkind == W_EXIST)))
        watch_add(c, err == ZK_OK && r->wkind == W_EXIST ? W_DATA : r->wkind, r->wpath);
    if (r->cb)
        r->cb(c, &res, r->arg);
    free(path);
    arena_free(&a);
    creq_free(r);
}

static int handle_frame(zk_client_t *c, const uint8_t *p, size_t n)
{
    rd_t    r = rd_init(p, n);
    int32_t xid, err;
    int64_t zxid;

    if (c->phase == P_HANDSHAKE) {
        struct zk_connect_resp s;
        bool                   resumed = c->session_id != 0;

        if (zk_jute_connect_resp_decode(p, n, &s) < 0)
            return ERR_MALFORMED;
        if (s.timeout <= 0) {
            /* Expired: the server forgot us.  Start a brand-new session. */
            c->session_id = 0;
            memset(c->passwd, 0, sizeof c->passwd);
            watches_clear(c);
            set_state(c, ZK_CLIENT_EXPIRED);
            return ERR_CLOSED;
        }
        c->session_id = s.session_id;
        memcpy(c->passwd, s.passwd, sizeof c->passwd);
        c->timeout = s.timeout;
        c->phase = P_READY;
        c->attempts = 0;
        /* auth first, then re-register watches, then queued requests */
        {
            struct authent *au;

            for (au = c->auths; au; au = au->next) {
                buf_t body = BUF_INIT;

                buf_put_i32(&body, 0);
                zk_jute_put_string(&body, au->scheme);
                zk_jute_put_string(&body, au->auth);
                send_header_only(c, ZK_XID_AUTH, ZK_OP_AUTH, &body);
                buf_free(&body);
            }
        }
        if (resumed && (c->w[W_DATA] || c->w[W_EXIST] || c->w[W_CHILD])) {
            buf_t body = BUF_INIT;
            int   k;

            buf_put_i64(&body, c->last_zxid);
            for (k = W_DATA; k <= W_CHILD; k++) {
                struct wnode *w;
                size_t        at = body.len;
                int32_t       cnt = 0;

                buf_put_i32(&body, 0);
                for (w = c->w[k]; w; w = w->next, cnt++)
                    zk_jute_put_string(&body, w->path);
                buf_set_i32(&body, at, cnt);
            }
            send_header_only(c, ZK_XID_SET_WATCHES, ZK_OP_SET_WATCHES, &body);
            buf_free(&body);
        }
        set_state(c, ZK_CLIENT_CONNECTED);
        uv_timer_again(&c->timer);
        flush_pending(c);
        return 0;
    }
    xid = rd_i32(&r);
    zxid = rd_i64(&r);
    err = rd_i32(&r);
    if (!rd_ok(&r))
        return ERR_MALFORMED;
    if (zxid > 0 && zxid > c->last_zxid)
        c->last_zxid = zxid;
    if (xid == ZK_XID_WATCH) {
        int32_t type = rd_i32(&r);
        slice_t path;

        rd_i32(&r); /* state */
        path = rd_bytes(&r, false);
        if (rd_ok(&r) && path.n > 0) {
            char *ps = slice_dup(path);

            on_event(c, type, ps);
            free(ps);
        }
        return 0;
    }
    if (xid == ZK_XID_PING || xid == ZK_XID_SET_WATCHES)
        return 0;
    if (xid == ZK_XID_AUTH) {
        if (err == ZK_EAUTHFAILED)
            return ERR_CLOSED; /* the server closes after AUTHFAILED */
        return 0;
    }
    if (c->inflight == NULL || c->inflight->xid != xid)
        return ERR_MALFORMED; /* replies must come in request order */
    {
        struct creq *q = c->inflight;

        c->inflight = q->next;
        if (c->inflight == NULL)
            c->inflight_tail = &c->inflight;
        if (q->type == ZK_OP_CLOSE_SESSION) {
            creq_free(q);
            return ERR_CLOSED;
        }
        deliver(c, q, zxid, err, &r);
    }
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    zk_client_t *c = h->data;

    (void)hint;
    buf_reserve(&c->in, 65536);
    *b = uv_buf_init((char *)c->in.data + c->in.len, (unsigned)(c->in.cap - c->in.len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    zk_client_t *c = s->data;
    size_t       off = 0;
    uint64_t     gen = c->gen;

    (void)b;
    if (n < 0) {
        drop_connection(c, ZK_ECONNECTIONLOSS);
        return;
    }
    c->in.len += (size_t)n;
    c->last_recv = clock_mono_ms();
    while (c->in.len - off >= 4) {
        rd_t    r = rd_init(c->in.data + off, 4);
        int32_t len = rd_i32(&r);
        int     rc;

        if (len < 0 || len > (64 << 20)) {
            drop_connection(c, ZK_ECONNECTIONLOSS);
            return;
        }
        if (c->in.len - off - 4 < (size_t)len)
            break;
        rc = handle_frame(c, c->in.data + off + 4, (size_t)len);
        if (gen != c->gen)
            return; /* a callback closed or replaced the connection */
        off += 4 + (size_t)len;
        if (rc < 0) {
            buf_consume(&c->in, off);
            drop_connection(c, ZK_ECONNECTIONLOSS);
            return;
        }
    }
    buf_consume(&c->in, off);
}

/* -- connection lifecycle ----------------------------------------------------- */

static void on_tcp_closed(uv_handle_t *h)
{
    zk_client_t *c = h->data;

    c->handles--;
    maybe_finish_close(c);
}

static void drop_connection(zk_client_t *c, int32_t fail_err)
{
    struct creq *q;
    int64_t      delay;

    c->gen++;
    if (c->tcp_live) {
        c->tcp_live = false;
        uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
    }
    if (c->phase == P_RESOLVE)
        uv_cancel((uv_req_t *)&c->gai);
    c->phase = P_IDLE;
    buf_reset(&c->in);
    while ((q = c->inflight) != NULL) {
        c->inflight = q->next;
        fail_req(c, q, fail_err);
    }
    c->inflight_tail = &c->inflight;
    if (c->closing) {
        while ((q = c->pending) != NULL) {
            c->pending = q->next;
            fail_req(c, q, ZK_ECLOSING);
        }
        c->pending_tail = &c->pending;
        if (c->state != ZK_CLIENT_CLOSED)
            set_state(c, ZK_CLIENT_CLOSED);
        if (!uv_is_closing((uv_handle_t *)&c->timer))
            uv_close((uv_handle_t *)&c->timer, on_timer_closed);
        maybe_finish_close(c);
        return;
    }
    if (c->state == ZK_CLIENT_CONNECTED || c->state == ZK_CLIENT_EXPIRED)
        set_state(c, ZK_CLIENT_CONNECTING);
    /* Quick retry across servers, then back off up to 1 s. */
    c->attempts++;
    delay = c->attempts <= c->nhosts ? 10 : (c->attempts < 10 ? 100 * c->attempts : 1000);
    uv_timer_start(&c->timer, on_tick, (uint64_t)delay, 0);
}

static void on_connected(uv_connect_t *req, int status)
{
    zk_client_t          *c = req->data;
    struct zk_connect_req q;
    buf_t                 b = BUF_INIT;
    size_t                at;

    if (status == UV_ECANCELED || c->phase != P_CONNECT)
        return;
    if (status < 0) {
        drop_connection(c, ZK_ECONNECTIONLOSS);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    memset(&q, 0, sizeof q);
    q.last_zxid = c->last_zxid;
    q.timeout = c->o.session_timeout_ms;
    q.session_id = c->session_id;
    q.passwd = (slice_t){ c->passwd, ZK_PASSWD_LEN };
    q.has_read_only = true;
    at = buf_frame_begin(&b);
    zk_jute_connect_req_encode(&b, &q);
    buf_frame_end(&b, at);
    c->phase = P_HANDSHAKE;
    c->last_recv = clock_mono_ms();
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0 || send_buf(c, &b) < 0) {
        buf_free(&b);
        drop_connection(c, ZK_ECONNECTIONLOSS);
    }
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *ai)
{
    zk_client_t *c = g->data;
    int          rc;

    c->handles--; /* the request counted as a handle: c outlives it */
    if (status == UV_ECANCELED || c->phase != P_RESOLVE || c->closing) {
        if (ai)
            uv_freeaddrinfo(ai);
        maybe_finish_close(c);
        return;
    }
    if (status < 0 || ai == NULL) {
        if (ai)
            uv_freeaddrinfo(ai);
        drop_connection(c, ZK_ECONNECTIONLOSS);
        return;
    }
    uv_tcp_init(c->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_live = true;
    c->handles++;
    c->phase = P_CONNECT;
    c->connect_req.data = c;
    rc = uv_tcp_connect(&c->connect_req, &c->tcp, ai->ai_addr, on_connected);
    uv_freeaddrinfo(ai);
    if (rc < 0)
        drop_connection(c, ZK_ECONNECTIONLOSS);
}

static void start_attempt(zk_client_t *c)
{
    struct host    *h = &c->hosts[c->next_host];
    struct addrinfo hints;
    char            port[16];
    int             rc;

    c->next_host = (c->next_host + 1) % c->nhosts;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", h->port);
    c->phase = P_RESOLVE;
    c->gai.data = c;
    c->last_recv = clock_mono_ms();
    uv_timer_start(&c->timer, on_tick, (uint64_t)c->o.connect_timeout_ms, 0);
    c->handles++;
    rc = uv_getaddrinfo(c->loop, &c->gai, on_resolved, h->host, port, &hints);
    if (rc < 0) {
        c->handles--;
        c->phase = P_IDLE;
        drop_connection(c, ZK_ECONNECTIONLOSS);
    }
}

/* The one timer: reconnect delay (IDLE), attempt timeout (RESOLVE,
 * CONNECT, HANDSHAKE), ping and read timeout (READY). */
static void on_tick(uv_timer_t *t)
{
    zk_client_t *c = t->data;
    int64_t      now = clock_mono_ms();

    switch (c->phase) {
    case P_IDLE:
        if (!c->closing)
            start_attempt(c);
        break;
    case P_RESOLVE:
    case P_CONNECT:
    case P_HANDSHAKE:
        drop_connection(c, ZK_ECONNECTIONLOSS);
        break;
    case P_READY:
        /* Java client: ping after readTimeout/2 idle; give up after
         * readTimeout = 2/3 of the session timeout without input. */
        if (now - c->last_recv > c->timeout * 2 / 3) {
            drop_connection(c, ZK_ECONNECTIONLOSS);
            return;
        }
        send_header_only(c, ZK_XID_PING, ZK_OP_PING, NULL);
        uv_timer_start(&c->timer, on_tick, (uint64_t)(c->timeout / 3 > 0 ? c->timeout / 3 : 1), 0);
        break;
    }
}

static void flush_pending(zk_client_t *c)
{
    struct creq *q;

    if (c->phase != P_READY)
        return;
    while ((q = c->pending) != NULL) {
        buf_t  b = BUF_INIT;
        size_t at;

        c->pending = q->next;
        if (c->pending == NULL)
            c->pending_tail = &c->pending;
        q->next = NULL;
        q->xid = ++c->xid;
        if (c->xid >= 0x7ffffff0)
            c->xid = 0;
        at = buf_frame_begin(&b);
        buf_put_i32(&b, q->xid);
        buf_put_i32(&b, q->type);
        buf_put(&b, q->body.data, q->body.len);
        buf_frame_end(&b, at);
        *c->inflight_tail = q;
        c->inflight_tail = &q->next;
        if (send_buf(c, &b) < 0) {
            drop_connection(c, ZK_ECONNECTIONLOSS);
            return;
        }
    }
    if (c->phase == P_READY && !uv_is_active((uv_handle_t *)&c->timer))
        uv_timer_start(&c->timer, on_tick, (uint64_t)(c->timeout / 3 > 0 ? c->timeout / 3 : 1), 0);
}

/* -- public API ----------------------------------------------------------------- */

static int parse_connect(zk_client_t *c, const char *s)
{
    const char *slash = strchr(s, '/');
    char       *list = xstrndup(s, slash ? (size_t)(slash - s) : strlen(s));
    char       *save = NULL, *tok;
    int         rc = 0;

    if (slash && strlen(slash) > 1) {
        c->chroot = xstrdup(slash);
        c->chroot_len = strlen(slash);
        if (c->chroot[c->chroot_len - 1] == '/')
            rc = ERR_MALFORMED;
    }
    for (tok = strtok_r(list, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        struct host h;

        while (*tok == ' ')
            tok++;
        if (*tok == 0)
            continue;
        if (conn_parse_hostport(tok, h.host, sizeof h.host, &h.port) < 0) {
            rc = ERR_MALFORMED;
            break;
        }
        c->hosts = xrealloc(c->hosts, (size_t)(c->nhosts + 1) * sizeof *c->hosts);
        c->hosts[c->nhosts++] = h;
    }
    free(list);
    if (rc == 0 && c->nhosts == 0)
        rc = ERR_MALFORMED;
    return rc;
}

int zk_client_new(uv_loop_t *loop, const struct zk_client_opts *o, zk_client_t **out)
{
    zk_client_t *c;
    int          rc;

    *out = NULL;
    if (o == NULL || o->connect == NULL)
        return ERR_MALFORMED;
    c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->o = *o;
    c->o.connect = NULL;
    if (c->o.session_timeout_ms <= 0)
        c->o.session_timeout_ms = 30000;
    if (c->o.connect_timeout_ms <= 0)
        c->o.connect_timeout_ms = 5000;
    c->pending_tail = &c->pending;
    c->inflight_tail = &c->inflight;
    rc = parse_connect(c, o->connect);
    if (rc < 0) {
        free(c->hosts);
        free(c->chroot);
        free(c);
        return rc;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles++;
    c->state = ZK_CLIENT_CONNECTING;
    uv_timer_start(&c->timer, on_tick, 0, 0); /* connect on the loop */
    *out = c;
    return 0;
}

static void maybe_finish_close(zk_client_t *c)
{
    struct authent *au;

    if (!c->closing || c->handles > 0)
        return;
    watches_clear(c);
    while ((au = c->auths) != NULL) {
        c->auths = au->next;
        free(au->scheme);
        free(au->auth);
        free(au);
    }
    buf_free(&c->in);
    free(c->hosts);
    free(c->chroot);
    if (c->on_closed)
        c->on_closed(c->closed_arg);
    free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    zk_client_t *c = h->data;

    c->handles--;
    maybe_finish_close(c);
}

static void close_now(zk_client_t *c)
{
    drop_connection(c, ZK_ECLOSING); /* closing: also closes the timer */
}

static void close_tick(uv_timer_t *t)
{
    close_now(t->data); /* closeSession reply did not come in time */
}

void zk_client_close(zk_client_t *c, void (*on_closed)(void *arg), void *arg)
{
    struct creq *q;

    if (c == NULL || c->closing)
        return;
    c->closing = true;
    c->on_closed = on_closed;
    c->closed_arg = arg;
    while ((q = c->pending) != NULL) {
        c->pending = q->next;
        fail_req(c, q, ZK_ECLOSING);
    }
    c->pending_tail = &c->pending;
    if (c->phase == P_READY) {
        /* closeSession, then wait (bounded) for its reply: ephemerals go
         * at once instead of after the session timeout. */
        q = xcalloc(1, sizeof *q);
        q->type = ZK_OP_CLOSE_SESSION;
        *c->pending_tail = q;
        c->pending_tail = &q->next;
        flush_pending(c);
        uv_timer_stop(&c->timer);
        uv_timer_start(&c->timer, close_tick, 1000, 0);
        return;
    }
    close_now(c);
}

enum zk_client_state zk_client_state(const zk_client_t *c)
{
    return c->state;
}

int64_t zk_client_session_id(const zk_client_t *c)
{
    return c->session_id;
}

int32_t zk_client_session_timeout(const zk_client_t *c)
{
    return c->timeout;
}

/* Queue a request; sent now if connected, else once connected.  The
 * callback always runs from a later loop callback (a reply or a drop). */
static struct creq *enqueue(zk_client_t *c, int32_t type, zk_client_cb *cb, void *arg)
{
    struct creq *q = xcalloc(1, sizeof *q);

    q->type = type;
    q->cb = cb;
    q->arg = arg;
    *c->pending_tail = q;
    c->pending_tail = &q->next;
    return q;
}

static int submit(zk_client_t *c, struct creq *q)
{
    (void)q;
    flush_pending(c);
    return 0;
}

static int check_open(zk_client_t *c, const char *path)
{
    if (c->closing)
        return ERR_CLOSED;
    if (path && !valid_path(path))
        return ERR_MALFORMED;
    return 0;
}

/* The common start of an op on one path: check it, queue a request of
 * type with the chrooted path as its first field.  Returns the request for
 * the caller to finish and submit, or NULL with *rc set (cb never runs). */
static struct creq *path_req(zk_client_t *c, int32_t type, const char *path,
                             zk_client_cb *cb, void *arg, int *rc)
{
    struct creq *q;
    char        *fp;

    *rc = check_open(c, path);
    if (*rc < 0)
        return NULL;
    fp = full_path(c, path);
    q = enqueue(c, type, cb, arg);
    zk_jute_put_string(&q->body, fp);
    free(fp);
    return q;
}

static const struct zk_acl open_acl[1] = {
    { ZK_PERM_ALL, { (const uint8_t *)"world", 5 }, { (const uint8_t *)"anyone", 6 } },
};

int zk_client_create_acl(zk_client_t *c, const char *path, const void *data, int32_t dlen,
                         int32_t flags, const struct zk_acl *acl, int32_t nacl,
                         zk_client_cb *cb, void *arg)
{
    int          rc;
    /* as ZooKeeper's client: CreateMode.CONTAINER is its own opcode
     * (the server refuses the container flag on a plain create) */
    struct creq *q = path_req(c, flags == ZK_FLAG_CONTAINER ? ZK_OP_CREATE_CONTAINER
                                                            : ZK_OP_CREATE,
                              path, cb, arg, &rc);

    if (q == NULL)
        return rc;
    zk_jute_put_buffer(&q->body, data, data ? dlen : -1);
    zk_jute_put_acls(&q->body, acl, nacl);
    buf_put_i32(&q->body, flags);
    return submit(c, q);
}

int zk_client_create(zk_client_t *c, const char *path, const void *data, int32_t dlen,
                     int32_t flags, zk_client_cb *cb, void *arg)
{
    return zk_client_create_acl(c, path, data, dlen, flags, open_acl, 1, cb, arg);
}

static int path_watch_req(zk_client_t *c, int32_t type, const char *path, bool watch,
                          uint8_t wkind, zk_client_cb *cb, void *arg)
{
    struct creq *q;
    int          rc = check_open(c, path);

    if (rc < 0)
        return rc;
    q = enqueue(c, type, cb, arg);
    q->wpath = full_path(c, path);
    zk_jute_put_string(&q->body, q->wpath);
    zk_jute_put_bool(&q->body, watch);
    q->wkind = watch ? wkind : W_NONE;
    return submit(c, q);
}

int zk_client_get(zk_client_t *c, const char *path, bool watch, zk_client_cb *cb, void *arg)
{
    return path_watch_req(c, ZK_OP_GET_DATA, path, watch, W_DATA, cb, arg);
}

int zk_client_exists(zk_client_t *c, const char *path, bool watch, zk_client_cb *cb,
                     void *arg)
{
    return path_watch_req(c, ZK_OP_EXISTS, path, watch, W_EXIST, cb, arg);
}

int zk_client_children(zk_client_t *c, const char *path, bool watch, zk_client_cb *cb,
                       void *arg)
{
    return path_watch_req(c, ZK_OP_GET_CHILDREN2, path, watch, W_CHILD, cb, arg);
}

int zk_client_set(zk_client_t *c, const char *path, const void *data, int32_t dlen,
                  int32_t version, zk_client_cb *cb, void *arg)
{
    int          rc;
    struct creq *q = path_req(c, ZK_OP_SET_DATA, path, cb, arg, &rc);

    if (q == NULL)
        return rc;
    zk_jute_put_buffer(&q->body, data, data ? dlen : -1);
    buf_put_i32(&q->body, version);
    return submit(c, q);
}

int zk_client_delete(zk_client_t *c, const char *path, int32_t version, zk_client_cb *cb,
                     void *arg)
{
    int          rc;
    struct creq *q = path_req(c, ZK_OP_DELETE, path, cb, arg, &rc);

    if (q == NULL)
        return rc;
    buf_put_i32(&q->body, version);
    return submit(c, q);
}

int zk_client_get_acl(zk_client_t *c, const char *path, zk_client_cb *cb, void *arg)
{
    int          rc;
    struct creq *q = path_req(c, ZK_OP_GET_ACL, path, cb, arg, &rc);

    if (q == NULL)
        return rc;
    return submit(c, q);
}

int zk_client_set_acl(zk_client_t *c, const char *path, const struct zk_acl *acl,
                      int32_t nacl, int32_t aversion, zk_client_cb *cb, void *arg)
{
    int          rc;
    struct creq *q = path_req(c, ZK_OP_SET_ACL, path, cb, arg, &rc);

    if (q == NULL)
        return rc;
    zk_jute_put_acls(&q->body, acl, nacl);
    buf_put_i32(&q->body, aversion);
    return submit(c, q);
}

int zk_client_sync(zk_client_t *c, const char *path, zk_client_cb *cb, void *arg)
{
    int          rc;
    struct creq *q = path_req(c, ZK_OP_SYNC, path, cb, arg, &rc);

    if (q == NULL)
        return rc;
    return submit(c, q);
}

int zk_client_multi(zk_client_t *c, const struct zk_client_op *ops, int32_t nops, zk_client_cb *cb,
                    void *arg)
{
    struct creq *q;
    int32_t      i;
    int          rc = check_open(c, NULL);

    if (rc < 0)
        return rc;
    for (i = 0; i < nops; i++) {
        if (!valid_path(ops[i].path))
            return ERR_MALFORMED;
        if (ops[i].type != ZK_OP_CREATE && ops[i].type != ZK_OP_DELETE &&
            ops[i].type != ZK_OP_SET_DATA && ops[i].type != ZK_OP_CHECK)
            return ERR_UNSUPPORTED;
    }
    q = enqueue(c, ZK_OP_MULTI, cb, arg);
    q->nops = nops;
    for (i = 0; i < nops; i++) {
        char *fp = full_path(c, ops[i].path);

        buf_put_i32(&q->body, ops[i].type);
        zk_jute_put_bool(&q->body, false);
        buf_put_i32(&q->body, -1);
        zk_jute_put_string(&q->body, fp);
        switch (ops[i].type) {
        case ZK_OP_CREATE:
            zk_jute_put_buffer(&q->body, ops[i].data, ops[i].data ? ops[i].dlen : -1);
            zk_jute_put_acls(&q->body, open_acl, 1);
            buf_put_i32(&q->body, ops[i].flags);
            break;
        case ZK_OP_SET_DATA:
            zk_jute_put_buffer(&q->body, ops[i].data, ops[i].data ? ops[i].dlen : -1);
            buf_put_i32(&q->body, ops[i].version);
            break;
        default: /* delete, check */
            buf_put_i32(&q->body, ops[i].version);
            break;
        }
        free(fp);
    }
    buf_put_i32(&q->body, -1);
    zk_jute_put_bool(&q->body, true);
    buf_put_i32(&q->body, -1);
    return submit(c, q);
}

int zk_client_add_auth(zk_client_t *c, const char *scheme, const char *auth,
                       zk_client_cb *cb, void *arg)
{
    struct authent *au;
    int             rc = check_open(c, NULL);

    if (rc < 0)
        return rc;
    au = xcalloc(1, sizeof *au);
    au->scheme = xstrdup(scheme);
    au->auth = xstrdup(auth);
    au->next = c->auths;
    c->auths = au;
    /* Sent as a sync round trip (an ordinary xid: the reply comes back in
     * order) so the caller learns the outcome; re-sent with xid -4 after
     * every reconnect. */
    {
        struct creq *q = enqueue(c, ZK_OP_SYNC, cb, arg);

        zk_jute_put_string(&q->body, "/");
        if (c->phase == P_READY) {
            buf_t body = BUF_INIT;

            buf_put_i32(&body, 0);
            zk_jute_put_string(&body, scheme);
            zk_jute_put_string(&body, auth);
            send_header_only(c, ZK_XID_AUTH, ZK_OP_AUTH, &body);
            buf_free(&body);
        }
        return submit(c, q);
    }
}
