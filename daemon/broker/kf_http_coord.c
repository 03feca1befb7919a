/* kf_http_coord: the coordination tree (children, Stat, data), read-only.
 * (Module of kf_http: see kf_http_int.h.)
 *
 * GET /api/v1/coord/node?path=/brokers/ids[&children=N][&offset=K][&max_data=B]
 *   -> {"path", "chroot", "stat": {czxid, mzxid, ctime, mtime, version,
 *       cversion, aversion, ephemeralOwner, dataLength, numChildren,
 *       pzxid}, "data" (base64, null for null data), "data_truncated",
 *       "children" (sorted, N from the K-th), "children_offset",
 *       "children_total", "children_truncated" (more after these),
 *       "acl": [{"scheme", "id", "perms": "cdrwa"}]}
 *
 * It uses the broker's own ZooKeeper session (kf_zk_client): a getData, a
 * getChildren2 and a getACL are queued (the session's FIFO answers them in
 * order), a conn slot is reserved and filled when both replies are in, so
 * the loop never waits.  Paths are those the broker sees: relative to the
 * chroot of zookeeper.connect, which is prefixed here (the broker's client
 * connects without one) and named in the answer.  No session now: 503; no
 * such node: 404; an ACL that refuses the broker: 403.
 *
 * Bounds: data is cut at max_data (1 MiB at most, also the default);
 * children are sorted and cut at N (default 1000, 10000 at most), with
 * the total count; the reply itself is bounded by the client's frame
 * limit.  It does not own: the session (kf_zk), writes (there are none).
 *
 * GET /api/v1/coord/servers
 *   -> {"servers": [{"address", "mntr": {key: value} | null, "srvr": {...}
 *       | null, "error"}]}
 * asks every server of zookeeper.connect (at most KF_HTTP_COORD_SERVERS)
 * the four-letter words mntr and srvr (ZooKeeper answers only those in
 * its 4lw.commands.whitelist; srvr is there by default), each over its
 * own TCP connection on the loop with a KF_HTTP_COORD_4LW_MS timeout:
 * mode, znodes, watches, ephemerals, connections, latency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kf_config.h"
#include "kf_http_int.h"
#include "kf_zk.h"
#include "xalloc.h"
#include "zk_client.h"

#define KF_HTTP_COORD_DATA_MAX     (1 << 20)
#define KF_HTTP_COORD_CHILDREN_DEF 1000
#define KF_HTTP_COORD_CHILDREN_MAX 10000
#define KF_HTTP_COORD_PATH_MAX     1024
#define KF_HTTP_COORD_SERVERS      8
#define KF_HTTP_COORD_4LW_MS       2000
#define KF_HTTP_COORD_4LW_MAX      (64 * 1024) /* bytes of one answer */
#define KF_HTTP_COORD_4LW_KEYS     128         /* lines kept per answer */

/* One request in flight: two replies to collect. */
struct kf_http_coord_req {
    kf_http_t      *h; /* held (kf_http_hold) until filled */
    conn_t         *c;
    conn_slot_t    *slot;
    bool            keep_alive, head;
    int             pending; /* replies still to come */
    int             status;  /* 200, or the error to answer */
    char            err[KF_HTTP_COORD_PATH_MAX + 128];
    char            path[KF_HTTP_COORD_PATH_MAX]; /* as asked (no chroot) */
    char            chroot[256];
    int64_t         max_data, max_children, children_offset;
    struct zk_stat  stat;
    bool            have_stat;
    buf_t           data;   /* the node's data, cut at max_data */
    bool            null_data, data_cut;
    char          **children; /* sorted copies, at most max_children */
    int32_t         nchildren, children_total;
    buf_t           acl; /* the "acl" array's JSON */
};

static int kf_http_coord_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ZooKeeper error -> HTTP status and message (the rest: 502). */
static const struct {
    int32_t     zerr;
    int         status;
    const char *msg;
} kf_http_coord_errs[] = {
    { ZK_ENONODE, 404, "no such node" },
    { ZK_ENOAUTH, 403, "the node's ACL does not let the broker read it" },
    { ZK_ECONNECTIONLOSS, 503, "the coordination session was lost; try again" },
    { ZK_ESESSIONEXPIRED, 503, "the coordination session expired; try again" },
    { ZK_ECLOSING, 503, "the broker is stopping" },
};

static void kf_http_coord_fail(struct kf_http_coord_req *q, int32_t zerr)
{
    size_t i;

    if (q->status != 200)
        return; /* the first error wins */
    for (i = 0; i < sizeof kf_http_coord_errs / sizeof kf_http_coord_errs[0]; i++)
        if (kf_http_coord_errs[i].zerr == zerr) {
            q->status = kf_http_coord_errs[i].status;
            snprintf(q->err, sizeof q->err, "%s: %s", kf_http_coord_errs[i].msg,
                     q->path);
            return;
        }
    q->status = 502;
    snprintf(q->err, sizeof q->err, "coordination service: %s",
             zk_jute_err_name(zerr));
}

static void kf_http_coord_json(struct kf_http_coord_req *q, buf_t *o)
{
    const struct zk_stat *s = &q->stat;
    int32_t               i;

    buf_puts(o, "{\"path\":");
    kf_http_json_str(o, q->path);
    buf_puts(o, ",\"chroot\":");
    kf_http_json_str(o, q->chroot);
    buf_puts(o, ",\"note\":");
    kf_http_json_str(o, q->chroot[0] ? "paths are relative to the broker's chroot "
                                       "(zookeeper.connect)"
                                     : "the broker uses no chroot");
    buf_printf(o, ",\"stat\":{\"czxid\":%lld,\"mzxid\":%lld,\"ctime\":%lld,"
                  "\"mtime\":%lld,\"version\":%d,\"cversion\":%d,\"aversion\":%d,"
                  "\"ephemeralOwner\":%lld,\"ephemeralOwnerHex\":\"0x%llx\","
                  "\"dataLength\":%d,\"numChildren\":%d,\"pzxid\":%lld}",
               (long long)s->czxid, (long long)s->mzxid, (long long)s->ctime,
               (long long)s->mtime, s->version, s->cversion, s->aversion,
               (long long)s->ephemeral_owner, (unsigned long long)s->ephemeral_owner,
               s->data_length, s->num_children, (long long)s->pzxid);
    buf_puts(o, ",\"data\":");
    if (q->null_data) {
        buf_puts(o, "null");
    } else {
        buf_put_u8(o, '"');
        kf_http_b64(o, q->data.data, q->data.len);
        buf_put_u8(o, '"');
    }
    buf_printf(o, ",\"data_truncated\":%s,\"children\":[", q->data_cut ? "true" : "false");
    for (i = 0; i < q->nchildren; i++) {
        if (i)
            buf_put_u8(o, ',');
        kf_http_json_str(o, q->children[i]);
    }
    buf_printf(o, "],\"children_offset\":%lld,\"children_total\":%d,"
                  "\"children_truncated\":%s,\"acl\":",
               (long long)q->children_offset, q->children_total,
               q->children_offset + q->nchildren < q->children_total ? "true" : "false");
    if (q->acl.len)
        buf_put(o, q->acl.data, q->acl.len);
    else
        buf_puts(o, "null");
    buf_puts(o, "}\n");
}

/* Both replies are in (or the request failed to queue): answer, free. */
static void kf_http_coord_finish(struct kf_http_coord_req *q)
{
    buf_t       body = BUF_INIT;
    conn_msg_t *m;
    int32_t     i;

    if (--q->pending > 0)
        return;
    if (q->status == 200 && !q->have_stat)
        kf_http_coord_fail(q, ZK_ECONNECTIONLOSS);
    if (q->status == 200) {
        kf_http_coord_json(q, &body);
    } else {
        buf_puts(&body, "{\"error\":");
        kf_http_json_str(&body, q->err);
        buf_puts(&body, "}\n");
    }
    m = kf_http_msg(q->status, q->keep_alive, q->head, &body);
    conn_ref(q->c); /* conn_fill may drop the last reference */
    conn_fill(q->c, q->slot, m);
    if (!q->keep_alive)
        conn_close_after_flush(q->c);
    conn_unref(q->c);
    for (i = 0; i < q->nchildren; i++)
        free(q->children[i]);
    free(q->children);
    buf_free(&q->data);
    buf_free(&q->acl);
    kf_http_release(q->h);
    free(q);
}

static void kf_http_coord_on_get(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct kf_http_coord_req *q = arg;

    (void)c;
    if (res->err != 0) {
        kf_http_coord_fail(q, res->err);
    } else {
        if (res->stat != NULL) {
            q->stat = *res->stat;
            q->have_stat = true;
        }
        q->null_data = res->data == NULL || res->dlen < 0;
        if (!q->null_data) {
            size_t n = (size_t)res->dlen;

            q->data_cut = n > (size_t)q->max_data;
            buf_put(&q->data, res->data, q->data_cut ? (size_t)q->max_data : n);
        }
    }
    kf_http_coord_finish(q);
}

static void kf_http_coord_on_children(zk_client_t *c, const struct zk_result *res,
                                      void *arg)
{
    struct kf_http_coord_req *q = arg;
    char                    **all;
    int32_t                   i, n, from;

    (void)c;
    if (res->err != 0) {
        kf_http_coord_fail(q, res->err);
        kf_http_coord_finish(q);
        return;
    }
    n = res->nchildren > 0 ? res->nchildren : 0;
    /* sort pointers into the reply, copy only the page asked for */
    all = xcalloc((size_t)n + 1, sizeof *all);
    for (i = 0; i < n; i++)
        all[i] = (char *)res->children[i];
    qsort(all, (size_t)n, sizeof *all, kf_http_coord_cmp);
    q->children_total = n;
    from = q->children_offset < n ? (int32_t)q->children_offset : n;
    q->nchildren = n - from < q->max_children ? n - from : (int32_t)q->max_children;
    q->children = xcalloc((size_t)q->nchildren + 1, sizeof *q->children);
    for (i = 0; i < q->nchildren; i++)
        q->children[i] = xstrdup(all[from + i]);
    free(all);
    kf_http_coord_finish(q);
}

/* An ACL's perms as ZooKeeper's shell writes them (getAcl: "cdrwa"). */
static const struct {
    int32_t bit;
    char    ch;
} kf_http_coord_perms[] = {
    { ZK_PERM_CREATE, 'c' }, { ZK_PERM_DELETE, 'd' }, { ZK_PERM_READ, 'r' },
    { ZK_PERM_WRITE, 'w' },  { ZK_PERM_ADMIN, 'a' },
};

static void kf_http_coord_on_acl(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct kf_http_coord_req *q = arg;
    int32_t                   i;
    size_t                    k;

    (void)c;
    if (res->err != 0) {
        kf_http_coord_fail(q, res->err);
        kf_http_coord_finish(q);
        return;
    }
    buf_put_u8(&q->acl, '[');
    for (i = 0; i < res->nacl && i < 64; i++) {
        const struct zk_acl *a = &res->acl[i];
        char                 perms[8];
        size_t               n = 0;

        for (k = 0; k < sizeof kf_http_coord_perms / sizeof kf_http_coord_perms[0]; k++)
            if (a->perms & kf_http_coord_perms[k].bit)
                perms[n++] = kf_http_coord_perms[k].ch;
        perms[n] = '\0';
        buf_puts(&q->acl, i ? ",{\"scheme\":" : "{\"scheme\":");
        kf_http_json_strn(&q->acl, a->scheme.p, a->scheme.n > 0 ? (size_t)a->scheme.n : 0);
        buf_puts(&q->acl, ",\"id\":");
        kf_http_json_strn(&q->acl, a->id.p, a->id.n > 0 ? (size_t)a->id.n : 0);
        buf_puts(&q->acl, ",\"perms\":");
        kf_http_json_str(&q->acl, perms);
        buf_put_u8(&q->acl, '}');
    }
    buf_put_u8(&q->acl, ']');
    kf_http_coord_finish(q);
}

/* A path as ZooKeeper's PathUtils.validatePath accepts it: absolute, no
 * empty, "." or ".." segment, no trailing '/', no control characters. */
static bool kf_http_coord_path_ok(const char *p)
{
    const char *seg;

    if (p[0] != '/')
        return false;
    if (p[1] == '\0')
        return true;
    for (seg = p + 1;;) {
        const char *end = strchr(seg, '/');
        size_t      n = end ? (size_t)(end - seg) : strlen(seg);

        if (n == 0 || (n == 1 && seg[0] == '.') ||
            (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)seg[i] < 0x20 || seg[i] == 0x7f)
                return false;
        if (end == NULL)
            return true;
        seg = end + 1;
    }
}

static void kf_http_coord_node(struct kf_http_ctx *x)
{
    const struct kf_config   *kc = x->h->b->kc;
    zk_client_t              *zc = kf_zk_client(x->h->b);
    struct kf_http_coord_req *q;
    char                      path[KF_HTTP_COORD_PATH_MAX], full[KF_HTTP_COORD_PATH_MAX + 256];
    const char               *chroot = strcmp(kc->zk_chroot, "/") == 0 ? "" : kc->zk_chroot;
    int64_t                   max_data = KF_HTTP_COORD_DATA_MAX;
    int64_t                   max_children = KF_HTTP_COORD_CHILDREN_DEF;
    int64_t                   offset = 0;
    int                       rc;

    rc = http_query_get(x->req->query, "path", path, sizeof path);
    if (rc == ERR_NOTFOUND)
        snprintf(path, sizeof path, "/");
    else if (rc <= 0 || !kf_http_coord_path_ok(path)) {
        kf_http_error(x, 400, "path must be an absolute ZooKeeper path "
                              "(no empty, '.' or '..' segment, no trailing '/')");
        return;
    }
    if (kf_http_query_int(x, "children", 0, KF_HTTP_COORD_CHILDREN_MAX, &max_children) < 0 ||
        kf_http_query_int(x, "offset", 0, INT32_MAX, &offset) < 0 ||
        kf_http_query_int(x, "max_data", 0, KF_HTTP_COORD_DATA_MAX, &max_data) < 0) {
        kf_http_error(x, 400, "children must be in 0..10000, offset >= 0, max_data in "
                              "0..1048576");
        return;
    }
    if (x->h->b->kc->zk_hosts[0] == '\0') {
        kf_http_error(x, 503, "the broker has no zookeeper.connect");
        return;
    }
    if (zc == NULL) {
        kf_http_error(x, 503, "the broker's coordination session is not connected");
        return;
    }
    /* "/" under a chroot is the chroot itself */
    snprintf(full, sizeof full, "%s%s", chroot, chroot[0] && path[1] == '\0' ? "" : path);
    q = xcalloc(1, sizeof *q);
    q->h = x->h;
    q->c = x->c;
    q->keep_alive = x->req->keep_alive;
    q->head = slice_eq(x->req->method, "HEAD");
    q->status = 200;
    q->max_data = max_data;
    q->max_children = max_children;
    q->children_offset = offset;
    snprintf(q->path, sizeof q->path, "%s", path);
    snprintf(q->chroot, sizeof q->chroot, "%s", chroot);
    /* callbacks never run from inside the calls: reserve after queueing */
    rc = zk_client_get(zc, full, false, kf_http_coord_on_get, q);
    if (rc < 0) {
        free(q);
        kf_http_error(x, rc == ERR_MALFORMED ? 400 : 503, err_str(rc));
        return;
    }
    q->pending = 3;
    kf_http_hold(x->h);
    q->slot = conn_reserve(x->c);
    /* a failure to queue is the request's error; the replies of what was
     * queued still come (and finish counts them) */
    if (zk_client_children(zc, full, false, kf_http_coord_on_children, q) < 0) {
        kf_http_coord_fail(q, ZK_ECONNECTIONLOSS);
        kf_http_coord_finish(q);
    }
    if (zk_client_get_acl(zc, full, kf_http_coord_on_acl, q) < 0) {
        kf_http_coord_fail(q, ZK_ECONNECTIONLOSS);
        kf_http_coord_finish(q);
    }
}

/* ---- the servers' four-letter words ------------------------------------- */

/* The module's state (h->mod[KF_HTTP_MOD_COORD]): the probes in flight,
 * so that stop can end them at once. */
struct kf_http_coord {
    kf_http_t                *h;
    struct kf_http_coord_4lw *list;
    int                       probes;
    bool                      stopping;
};

/* One GET /api/v1/coord/servers: 2 probes per server. */
struct kf_http_coord_servers {
    kf_http_t   *h;
    conn_t      *c;
    conn_slot_t *slot;
    bool         keep_alive, head;
    int          n, pending;
    char         addr[KF_HTTP_COORD_SERVERS][300];
    struct kf_http_coord_4lw *probe[KF_HTTP_COORD_SERVERS][2];
};

/* One four-letter word to one server. */
struct kf_http_coord_4lw {
    struct kf_http_coord         *mod;
    struct kf_http_coord_4lw     *next;
    struct kf_http_coord_servers *req;
    const char                   *word; /* "mntr" or "srvr" */
    char                          host[256];
    char                          port[8];
    uv_getaddrinfo_t              gai;
    uv_tcp_t                      tcp;   /* tcp.data == this */
    uv_timer_t                    timer; /* timer.data == this */
    uv_connect_t                  creq;
    uv_write_t                    wreq;
    int                           open;  /* timer + tcp handle + pending getaddrinfo */
    bool                          resolving, tcp_init, done, ok;
    char                          err[128];
    buf_t                         in;
};

/* mntr: "key<TAB>value" lines; srvr: "Key: value" lines. */
static void kf_http_coord_4lw_json(buf_t *o, const buf_t *in, char sep)
{
    const uint8_t *p = in->data, *end = in->data + in->len;
    int            n = 0;

    buf_put_u8(o, '{');
    while (p < end && n < KF_HTTP_COORD_4LW_KEYS) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        const uint8_t *k = memchr(p, sep, (size_t)(le - p));

        if (k != NULL && k > p) {
            const uint8_t *v = k + 1;

            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            buf_puts(o, n++ ? "," : "");
            kf_http_json_strn(o, p, (size_t)(k - p));
            buf_put_u8(o, ':');
            kf_http_json_strn(o, v, (size_t)(le - v) > 256 ? 256 : (size_t)(le - v));
        }
        p = nl ? nl + 1 : end;
    }
    buf_put_u8(o, '}');
}

/* Did q get a real answer (not "mntr is not executed because it is not
 * in the whitelist.")?  Else why not, into why. */
static bool kf_http_coord_4lw_answered(const struct kf_http_coord_4lw *q, const char **why)
{
    if (!q->ok)
        *why = q->err;
    else if (q->in.len == 0)
        *why = "empty answer";
    else if (memmem(q->in.data, q->in.len, "not in the whitelist", 20) != NULL ||
             memmem(q->in.data, q->in.len, "not executed", 12) != NULL)
        *why = "not in the server's 4lw.commands.whitelist";
    else
        return true;
    return false;
}

static void kf_http_coord_servers_answer(struct kf_http_coord_servers *r)
{
    buf_t       body = BUF_INIT;
    conn_msg_t *m;
    int         i, j;

    buf_puts(&body, "{\"servers\":[");
    for (i = 0; i < r->n; i++) {
        const char *why[2] = { NULL, NULL };
        bool        ok[2];
        char        err[200];

        buf_puts(&body, i ? ",{\"address\":" : "{\"address\":");
        kf_http_json_str(&body, r->addr[i]);
        for (j = 0; j < 2; j++) {
            struct kf_http_coord_4lw *q = r->probe[i][j];

            buf_printf(&body, ",\"%s\":", q->word);
            ok[j] = kf_http_coord_4lw_answered(q, &why[j]);
            if (ok[j])
                kf_http_coord_4lw_json(&body, &q->in, j == 0 ? '\t' : ':');
            else
                buf_puts(&body, "null");
        }
        /* unreachable: one reason; else which word was not answered */
        if (!ok[0] && !ok[1] && strcmp(why[0], why[1]) == 0)
            snprintf(err, sizeof err, "%s", why[0]);
        else if (!ok[0] || !ok[1])
            snprintf(err, sizeof err, "%s: %s", ok[0] ? "srvr" : "mntr", ok[0] ? why[1] : why[0]);
        buf_puts(&body, ",\"error\":");
        if (ok[0] && ok[1])
            buf_puts(&body, "null");
        else
            kf_http_json_str(&body, err);
        buf_put_u8(&body, '}');
    }
    buf_puts(&body, "]}\n");
    m = kf_http_msg(200, r->keep_alive, r->head, &body);
    conn_ref(r->c); /* conn_fill may drop the last reference */
    conn_fill(r->c, r->slot, m);
    if (!r->keep_alive)
        conn_close_after_flush(r->c);
    conn_unref(r->c);
}

/* Drops one of what keeps q alive (its timer, its TCP handle, a pending
 * getaddrinfo); the last one frees it, and the request with its last
 * probe. */
static void kf_http_coord_4lw_unref(struct kf_http_coord_4lw *q)
{
    struct kf_http_coord_servers *r = q->req;
    struct kf_http_coord         *mod = q->mod;
    kf_http_t                    *h = mod->h;
    int                           i, j;

    if (--q->open > 0)
        return;
    for (struct kf_http_coord_4lw **pp = &mod->list; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    mod->probes--;
    if (--r->pending == 0) {
        kf_http_coord_servers_answer(r);
        for (i = 0; i < r->n; i++)
            for (j = 0; j < 2; j++) {
                buf_free(&r->probe[i][j]->in);
                free(r->probe[i][j]);
            }
        free(r);
        kf_http_release(h);
    }
    if (mod->stopping && mod->probes == 0)
        free(mod);
}

static void kf_http_coord_4lw_closed(uv_handle_t *hd)
{
    kf_http_coord_4lw_unref(hd->data);
}

/* Ends a probe (once): err NULL = answered. */
static void kf_http_coord_4lw_end(struct kf_http_coord_4lw *q, const char *err)
{
    if (q->done)
        return;
    q->done = true;
    q->ok = err == NULL;
    if (err != NULL)
        snprintf(q->err, sizeof q->err, "%s", err);
    if (q->resolving)
        uv_cancel((uv_req_t *)&q->gai); /* its callback still runs */
    uv_close((uv_handle_t *)&q->timer, kf_http_coord_4lw_closed);
    if (q->tcp_init)
        uv_close((uv_handle_t *)&q->tcp, kf_http_coord_4lw_closed);
}

static void kf_http_coord_4lw_timeout(uv_timer_t *t)
{
    kf_http_coord_4lw_end(t->data, "no answer in time");
}

static void kf_http_coord_4lw_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *b)
{
    struct kf_http_coord_4lw *q = hd->data;

    (void)hint;
    buf_reserve(&q->in, 4096);
    *b = uv_buf_init((char *)q->in.data + q->in.len, (unsigned)(q->in.cap - q->in.len));
}

static void kf_http_coord_4lw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct kf_http_coord_4lw *q = s->data;

    (void)b;
    if (n == UV_EOF) {
        kf_http_coord_4lw_end(q, NULL);
        return;
    }
    if (n < 0) {
        kf_http_coord_4lw_end(q, err_str((int)n));
        return;
    }
    q->in.len += (size_t)n;
    if (q->in.len > KF_HTTP_COORD_4LW_MAX)
        kf_http_coord_4lw_end(q, "answer too long");
}

static void kf_http_coord_4lw_written(uv_write_t *w, int status)
{
    if (status < 0)
        kf_http_coord_4lw_end(w->data, err_str(status));
}

static void kf_http_coord_4lw_connected(uv_connect_t *cr, int status)
{
    struct kf_http_coord_4lw *q = cr->data;
    uv_buf_t                  b = uv_buf_init((char *)q->word, 4);
    int                       rc;

    if (q->done)
        return;
    if (status < 0) {
        kf_http_coord_4lw_end(q, err_str(status));
        return;
    }
    q->wreq.data = q;
    rc = uv_write(&q->wreq, (uv_stream_t *)&q->tcp, &b, 1, kf_http_coord_4lw_written);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&q->tcp, kf_http_coord_4lw_alloc,
                           kf_http_coord_4lw_read);
    if (rc < 0)
        kf_http_coord_4lw_end(q, err_str(rc));
}

static void kf_http_coord_4lw_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *ai)
{
    struct kf_http_coord_4lw *q = g->data;
    int                       rc;

    q->resolving = false;
    if (q->done || status < 0 || ai == NULL) {
        if (!q->done)
            kf_http_coord_4lw_end(q, status < 0 ? err_str(status) : "no address");
        uv_freeaddrinfo(ai);
        kf_http_coord_4lw_unref(q); /* the request's reference */
        return;
    }
    uv_tcp_init(q->mod->h->b->loop, &q->tcp);
    q->tcp.data = q;
    q->tcp_init = true;
    q->open++;
    q->creq.data = q;
    rc = uv_tcp_connect(&q->creq, &q->tcp, ai->ai_addr, kf_http_coord_4lw_connected);
    uv_freeaddrinfo(ai);
    if (rc < 0)
        kf_http_coord_4lw_end(q, err_str(rc));
    kf_http_coord_4lw_unref(q); /* the request's reference (the timer holds q) */
}

static void kf_http_coord_servers(struct kf_http_ctx *x)
{
    struct kf_http_coord         *mod = x->h->mod[KF_HTTP_MOD_COORD];
    const char                   *hosts = x->h->b->kc->zk_hosts;
    struct kf_http_coord_servers *r;
    struct addrinfo               hints;
    char                         *copy, *tok, *save = NULL;
    int                           i, j, port;

    if (mod == NULL || mod->stopping) {
        kf_http_error(x, 503, "the broker is stopping");
        return;
    }
    if (hosts[0] == '\0') {
        kf_http_error(x, 503, "the broker has no zookeeper.connect");
        return;
    }
    r = xcalloc(1, sizeof *r);
    copy = xstrdup(hosts);
    for (tok = strtok_r(copy, ",", &save); tok != NULL && r->n < KF_HTTP_COORD_SERVERS;
         tok = strtok_r(NULL, ",", &save)) {
        char host[256];

        while (*tok == ' ')
            tok++;
        if (conn_parse_hostport(tok, host, sizeof host, &port) < 0 || port <= 0)
            continue;
        snprintf(r->addr[r->n], sizeof r->addr[r->n], "%s", tok);
        for (j = 0; j < 2; j++) {
            struct kf_http_coord_4lw *q = xcalloc(1, sizeof *q);

            q->mod = mod;
            q->req = r;
            q->word = j == 0 ? "mntr" : "srvr";
            snprintf(q->host, sizeof q->host, "%s", host[0] ? host : "127.0.0.1");
            snprintf(q->port, sizeof q->port, "%d", port);
            r->probe[r->n][j] = q;
        }
        r->n++;
    }
    free(copy);
    if (r->n == 0) {
        free(r);
        kf_http_error(x, 503, "no server in zookeeper.connect");
        return;
    }
    r->h = x->h;
    r->c = x->c;
    r->keep_alive = x->req->keep_alive;
    r->head = slice_eq(x->req->method, "HEAD");
    r->slot = conn_reserve(x->c);
    r->pending = r->n * 2;
    kf_http_hold(x->h);
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    for (i = 0; i < r->n; i++)
        for (j = 0; j < 2; j++) {
            struct kf_http_coord_4lw *q = r->probe[i][j];
            int                       rc;

            q->next = mod->list;
            mod->list = q;
            mod->probes++;
            uv_timer_init(x->h->b->loop, &q->timer);
            q->timer.data = q;
            q->open = 1;
            uv_timer_start(&q->timer, kf_http_coord_4lw_timeout, KF_HTTP_COORD_4LW_MS, 0);
            q->gai.data = q;
            q->resolving = true;
            q->open++; /* the getaddrinfo request, until its callback */
            rc = uv_getaddrinfo(x->h->b->loop, &q->gai, kf_http_coord_4lw_resolved, q->host,
                                q->port, &hints);
            if (rc < 0) {
                q->resolving = false;
                q->open--;
                kf_http_coord_4lw_end(q, err_str(rc));
            }
        }
}

static int kf_http_coord_start(kf_http_t *h)
{
    struct kf_http_coord *mod = xcalloc(1, sizeof *mod);

    mod->h = h;
    h->mod[KF_HTTP_MOD_COORD] = mod;
    return 0;
}

static void kf_http_coord_stop(kf_http_t *h)
{
    struct kf_http_coord *mod = h->mod[KF_HTTP_MOD_COORD];

    if (mod == NULL)
        return;
    h->mod[KF_HTTP_MOD_COORD] = NULL;
    mod->stopping = true;
    if (mod->probes == 0) {
        free(mod);
        return;
    }
    for (struct kf_http_coord_4lw *q = mod->list; q; q = q->next)
        kf_http_coord_4lw_end(q, "the broker is stopping");
}

static const struct kf_http_route kf_http_coord_routes[] = {
    { "GET", "/api/v1/coord/node", KF_HTTP_READ, kf_http_coord_node },
    { "GET", "/api/v1/coord/servers", KF_HTTP_READ, kf_http_coord_servers },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_coord = { "coord", kf_http_coord_routes,
                                                 kf_http_coord_start, kf_http_coord_stop,
                                                 NULL };
