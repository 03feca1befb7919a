/* kf_http_coord: the coordination tree (children, Stat, data), read-only.
 * (Module of kf_http: see kf_http_int.h.)
 *
 * GET /api/v1/coord/node?path=/brokers/ids[&children=N][&max_data=B]
 *   -> {"path", "chroot", "stat": {czxid, mzxid, ctime, mtime, version,
 *       cversion, aversion, ephemeralOwner, dataLength, numChildren,
 *       pzxid}, "data" (base64, null for null data), "data_truncated",
 *       "children" (sorted, the first N), "children_total",
 *       "children_truncated"}
 *
 * It uses the broker's own ZooKeeper session (kf_zk_client): one getData
 * and one getChildren2 are queued (the session's FIFO answers them in
 * order), a conn slot is reserved and filled when both replies are in, so
 * the loop never waits.  Paths are those the broker sees: relative to the
 * chroot of zookeeper.connect, which is prefixed here (the broker's client
 * connects without one) and named in the answer.  No session now: 503; no
 * such node: 404; an ACL that refuses the broker: 403.
 *
 * Bounds: data is cut at max_data (1 MiB at most, also the default);
 * children are sorted and cut at N (default 1000, 10000 at most), with
 * the total count; the reply itself is bounded by the client's frame
 * limit.  It does not own: the session (kf_zk), writes (there are none). */
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
    int64_t         max_data, max_children;
    struct zk_stat  stat;
    bool            have_stat;
    buf_t           data;   /* the node's data, cut at max_data */
    bool            null_data, data_cut;
    char          **children; /* sorted copies, at most max_children */
    int32_t         nchildren, children_total;
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
    buf_printf(o, "],\"children_total\":%d,\"children_truncated\":%s}\n",
               q->children_total, q->nchildren < q->children_total ? "true" : "false");
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
    int32_t                   i, n;

    (void)c;
    if (res->err != 0) {
        kf_http_coord_fail(q, res->err);
        kf_http_coord_finish(q);
        return;
    }
    n = res->nchildren > 0 ? res->nchildren : 0;
    /* sort pointers into the reply, copy only the first max_children */
    all = xcalloc((size_t)n + 1, sizeof *all);
    for (i = 0; i < n; i++)
        all[i] = (char *)res->children[i];
    qsort(all, (size_t)n, sizeof *all, kf_http_coord_cmp);
    q->children_total = n;
    q->nchildren = n < q->max_children ? n : (int32_t)q->max_children;
    q->children = xcalloc((size_t)q->nchildren + 1, sizeof *q->children);
    for (i = 0; i < q->nchildren; i++)
        q->children[i] = xstrdup(all[i]);
    free(all);
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
        kf_http_query_int(x, "max_data", 0, KF_HTTP_COORD_DATA_MAX, &max_data) < 0) {
        kf_http_error(x, 400, "children must be in 0..10000, max_data in 0..1048576");
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
    snprintf(q->path, sizeof q->path, "%s", path);
    snprintf(q->chroot, sizeof q->chroot, "%s", chroot);
    /* callbacks never run from inside the calls: reserve after queueing */
    rc = zk_client_get(zc, full, false, kf_http_coord_on_get, q);
    if (rc < 0) {
        free(q);
        kf_http_error(x, rc == ERR_MALFORMED ? 400 : 503, err_str(rc));
        return;
    }
    q->pending = 2;
    kf_http_hold(x->h);
    q->slot = conn_reserve(x->c);
    if (zk_client_children(zc, full, false, kf_http_coord_on_children, q) < 0) {
        kf_http_coord_fail(q, ZK_ECONNECTIONLOSS);
        kf_http_coord_finish(q); /* the getData reply still comes */
    }
}

static const struct kf_http_route kf_http_coord_routes[] = {
    { "GET", "/api/v1/coord/node", KF_HTTP_READ, kf_http_coord_node },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_coord = { "coord", kf_http_coord_routes, NULL,
                                                 NULL, NULL };
