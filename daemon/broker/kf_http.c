/* kf_http: HTTP listener, routes, JSON API and /metrics (see kf_http.h). */
#include "kf_http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conn.h"
#include "err.h"
#include "http.h"
#include "kbatch.h"
#include "kcompress.h"
#include "kf_server.h"
#include "log.h"
#include "ui_assets.h"
#include "xalloc.h"

#define KF_HTTP_MAX_LISTENERS 4
#define KF_HTTP_MAX_HEAD      (16 * 1024)
#define KF_HTTP_MAX_BODY      (1024 * 1024)
#define KF_HTTP_PAGE_MAX      1000
#define KF_HTTP_MSG_LIMIT     500        /* records per page, at most */
#define KF_HTTP_MSG_BYTES     (4u << 20) /* log bytes read per page, at most */
#define KF_HTTP_MSG_INFLATE   (16u << 20) /* decompressed bytes per batch */

struct kf_http {
    struct kf_broker *b;
    conn_listener_t   l[KF_HTTP_MAX_LISTENERS];
    int               nl;
    int               open; /* listeners not yet closed */
    int64_t           started_ms;
    uint64_t          requests;
    void (*done)(void *arg);
    void *done_arg;
};

/* Headers on every response: no framing by other sites, no MIME sniffing,
 * scripts and styles only from us (the UI has no inline code). */
static const char kf_http_sec_headers[] =
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"
    "X-Frame-Options: DENY\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n";

static void kf_http_reply(conn_t *c, const struct http_req *req, int status,
                          const char *ctype, buf_t *body, const char *extra)
{
    buf_t out = BUF_INIT;
    char  hdrs[1024];
    bool  head = slice_eq(req->method, "HEAD");

    snprintf(hdrs, sizeof hdrs, "%sCache-Control: no-store\r\n%s",
             kf_http_sec_headers, extra ? extra : "");
    http_response_head(&out, status, ctype, (int64_t)body->len, req->keep_alive,
                       hdrs);
    if (!head)
        buf_put(&out, body->data, body->len);
    conn_send(c, &out);
    buf_free(body);
    if (!req->keep_alive)
        conn_close_after_flush(c);
}

static void kf_http_error(conn_t *c, const struct http_req *req, int status,
                          const char *msg)
{
    buf_t body = BUF_INIT;

    buf_puts(&body, "{\"error\":\"");
    http_json_escape(&body, (const uint8_t *)msg, strlen(msg));
    buf_puts(&body, "\"}\n");
    kf_http_reply(c, req, status, "application/json", &body, NULL);
}

static void kf_http_json_str(buf_t *b, const char *s)
{
    buf_put_u8(b, '"');
    http_json_escape(b, (const uint8_t *)s, strlen(s));
    buf_put_u8(b, '"');
}

/* ---- /api/v1 ------------------------------------------------------------ */

static void kf_http_topic_totals(const struct kf_topic *t, int64_t *msgs,
                                 int64_t *bytes)
{
    int32_t p;

    *msgs = *bytes = 0;
    for (p = 0; p < t->npart; p++) {
        if (t->logs[p] == NULL)
            continue;
        *msgs += kf_log_end(t->logs[p]) - kf_log_start(t->logs[p]);
        *bytes += kf_log_size(t->logs[p]);
    }
}

static void kf_http_cluster(kf_http_t *h, conn_t *c, const struct http_req *req)
{
    struct kf_broker *b = h->b;
    struct kf_topic **ts;
    int               n, i;
    int64_t           parts = 0;
    buf_t             o = BUF_INIT;

    ts = kf_topics_list(b->topics, &n);
    for (i = 0; i < n; i++)
        parts += ts[i]->npart;
    free(ts);
    buf_printf(&o, "{\"cluster_id\":");
    kf_http_json_str(&o, b->cluster_id);
    buf_printf(&o, ",\"version\":\"%s\",\"controller_id\":%d,\"brokers\":[{\"id\":%d,"
                   "\"host\":",
               ODRADEK_VERSION, b->kc->broker_id, b->kc->broker_id);
    kf_http_json_str(&o, b->kc->adv_host);
    buf_printf(&o, ",\"port\":%d}],\"topics\":%d,\"partitions\":%" PRId64
                   ",\"requests\":%" PRIu64 ",\"connections\":%u,"
                   "\"uptime_ms\":%" PRId64 "}\n",
               b->kc->adv_port, n, parts, b->requests, b->listener.nconns,
               clock_mono_ms() - h->started_ms);
    kf_http_reply(c, req, 200, "application/json", &o, NULL);
}

/* GET /api/v1/topics?offset=&limit=&filter= : name-sorted, paginated. */
static void kf_http_topics(kf_http_t *h, conn_t *c, const struct http_req *req)
{
    struct kf_topic **ts;
    int               n, i, shown = 0, matched = 0;
    long              off = 0, limit = 100;
    char              v[256], filter[256] = "";
    buf_t             o = BUF_INIT;

    if (http_query_get(req->query, "offset", v, sizeof v) > 0)
        off = strtol(v, NULL, 10);
    if (http_query_get(req->query, "limit", v, sizeof v) > 0)
        limit = strtol(v, NULL, 10);
    if (off < 0 || limit < 1 || limit > KF_HTTP_PAGE_MAX) {
        kf_http_error(c, req, 400, "offset must be >= 0 and limit in 1..1000");
        return;
    }
    (void)http_query_get(req->query, "filter", filter, sizeof filter);
    ts = kf_topics_list(h->b->topics, &n);
    buf_puts(&o, "{\"topics\":[");
    for (i = 0; i < n; i++) {
        int64_t msgs, bytes;

        if (filter[0] && strstr(ts[i]->name, filter) == NULL)
            continue;
        if (matched++ < off || shown >= limit)
            continue;
        kf_http_topic_totals(ts[i], &msgs, &bytes);
        buf_puts(&o, shown++ ? ",{\"name\":" : "{\"name\":");
        kf_http_json_str(&o, ts[i]->name);
        buf_printf(&o, ",\"partitions\":%d,\"internal\":%s,\"messages\":%" PRId64
                       ",\"bytes\":%" PRId64 "}",
                   ts[i]->npart, ts[i]->internal ? "true" : "false", msgs, bytes);
    }
    buf_printf(&o, "],\"total\":%d,\"offset\":%ld,\"limit\":%ld}\n", matched, off,
               limit);
    free(ts);
    kf_http_reply(c, req, 200, "application/json", &o, NULL);
}

/* GET /api/v1/topics/<name> : partitions with offsets, sizes, segments. */
static void kf_http_topic(kf_http_t *h, conn_t *c, const struct http_req *req,
                          const char *name)
{
    struct kf_topic       *t = kf_topics_get(h->b->topics, name, strlen(name));
    struct kf_log_seg_info seg[64];
    buf_t                  o = BUF_INIT;
    int32_t                p;
    int                    ns, i;

    if (t == NULL) {
        kf_http_error(c, req, 404, "no such topic");
        return;
    }
    buf_puts(&o, "{\"name\":");
    kf_http_json_str(&o, t->name);
    buf_printf(&o, ",\"internal\":%s,\"configs\":{", t->internal ? "true" : "false");
    for (i = 0; i < t->nconfs; i++) {
        if (i)
            buf_put_u8(&o, ',');
        kf_http_json_str(&o, t->confs[i].key);
        buf_put_u8(&o, ':');
        kf_http_json_str(&o, t->confs[i].value);
    }
    buf_puts(&o, "},\"partitions\":[");
    for (p = 0; p < t->npart; p++) {
        kf_log_t *l = t->logs[p];

        if (p)
            buf_put_u8(&o, ',');
        if (l == NULL) {
            buf_printf(&o, "{\"partition\":%d,\"leader\":-1}", p);
            continue;
        }
        buf_printf(&o, "{\"partition\":%d,\"leader\":%d,\"log_start_offset\":%" PRId64
                       ",\"high_watermark\":%" PRId64 ",\"size\":%" PRId64
                       ",\"segments\":[",
                   p, h->b->kc->broker_id, kf_log_start(l), kf_log_hw(l),
                   kf_log_size(l));
        ns = kf_log_segments(l, seg, (int)(sizeof seg / sizeof seg[0]));
        for (i = 0; i < ns && i < (int)(sizeof seg / sizeof seg[0]); i++)
            buf_printf(&o, "%s{\"base_offset\":%" PRId64 ",\"size\":%" PRId64 "}",
                       i ? "," : "", seg[i].base_offset, (int64_t)seg[i].size);
        buf_puts(&o, "]}");
    }
    buf_puts(&o, "]}\n");
    kf_http_reply(c, req, 200, "application/json", &o, NULL);
}

/* ---- message browser ------------------------------------------------------
 * GET /api/v1/topics/T/partitions/P/messages
 *     ?offset=N | timestamp=MS | newest=N   (default: oldest)
 *     &limit=L (1..500, default 50) &max_value=B (default 4096 bytes)
 * The log range is found on the loop (offset index, as Fetch does); the
 * bytes are read, decompressed and turned into JSON on the thread pool, so
 * a page over a cold file never stalls produce and fetch.  Keys, values and
 * header values are base64 (the page decodes them as text, JSON, hex...);
 * values longer than max_value are cut and flagged, the page asks again
 * with a bigger max_value for "load full". */

struct kf_http_page {
    uv_work_t           work;
    conn_t             *c;
    conn_slot_t        *slot;
    struct kf_log_slice slice;
    int64_t             from;      /* first offset wanted */
    int64_t             hw, start; /* the partition's bounds at request time */
    int64_t             last;      /* offset of the last record listed, or -1 */
    int64_t             min_ts;    /* timestamp seek: skip older records */
    int                 limit;
    size_t              max_value;
    bool                keep_alive, head;
    buf_t               json;
    int                 status;
};

static void kf_http_b64(buf_t *o, const uint8_t *p, size_t n)
{
    static const char t[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char     q[4] = { t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63] };

        buf_put(o, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char     q[4] = { t[v >> 18], t[(v >> 12) & 63], '=', '=' };

        buf_put(o, q, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char     q[4] = { t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '=' };

        buf_put(o, q, 4);
    }
}

static void kf_http_b64_field(buf_t *o, const char *name, slice_t s, size_t max)
{
    buf_printf(o, ",\"%s\":", name);
    if (s.n < 0) {
        buf_puts(o, "null");
        return;
    }
    buf_put_u8(o, '"');
    kf_http_b64(o, s.p, (size_t)s.n < max ? (size_t)s.n : max);
    buf_put_u8(o, '"');
}

/* Appends the records of one v2 batch at or after pg->from to pg->json.
 * Returns records added, or < 0 for a batch that cannot be read. */
static int kf_http_batch_json(struct kf_http_page *pg, const uint8_t *p,
                              size_t n, int *count)
{
    struct kbatch_hdr h;
    buf_t             inflated = BUF_INIT;
    rd_t              r;
    int               codec, i, added = 0;

    if (kbatch_hdr_read(p, n, &h) < 0 || h.magic != 2)
        return ERR_MALFORMED;
    codec = h.attributes & 7;
    if (h.attributes & 0x20) /* control batch (transaction markers) */
        return 0;
    if (codec != 0) {
        if (kcompress_decompress(codec, p + KBATCH_HEADER_SIZE,
                                 n - KBATCH_HEADER_SIZE, &inflated,
                                 KF_HTTP_MSG_INFLATE) < 0) {
            buf_free(&inflated);
            return ERR_CORRUPT;
        }
        r = rd_init(inflated.data, inflated.len);
    } else {
        r = rd_init(p + KBATCH_HEADER_SIZE, n - KBATCH_HEADER_SIZE);
    }
    for (i = 0; i < h.count && *count < pg->limit; i++) {
        struct krecord rec;
        int64_t        off, ts;
        rd_t           hr;
        int32_t        k;

        if (krecord_read(&r, &rec) < 0)
            break;
        off = h.base_offset + rec.offset_delta;
        ts = (h.attributes & 0x08) ? h.max_timestamp /* LogAppendTime */
                                   : h.base_timestamp + rec.timestamp_delta;
        if (off < pg->from || ts < pg->min_ts)
            continue;
        buf_printf(&pg->json, "%s{\"offset\":%" PRId64 ",\"timestamp\":%" PRId64
                              ",\"timestamp_type\":\"%s\",\"key_size\":%d,"
                              "\"value_size\":%d,\"truncated\":%s",
                   *count ? "," : "", off, ts,
                   (h.attributes & 0x08) ? "LogAppendTime" : "CreateTime",
                   rec.key.n, rec.value.n,
                   rec.value.n > (int32_t)pg->max_value ? "true" : "false");
        kf_http_b64_field(&pg->json, "key", rec.key, pg->max_value);
        kf_http_b64_field(&pg->json, "value", rec.value, pg->max_value);
        buf_puts(&pg->json, ",\"headers\":[");
        hr = rd_init(rec.headers, rec.headers_len);
        for (k = 0; k < rec.nheaders; k++) {
            slice_t hk = rd_vbytes(&hr), hv = rd_vbytes(&hr);

            if (!rd_ok(&hr) || hk.n < 0)
                break;
            buf_puts(&pg->json, k ? ",{\"key\":\"" : "{\"key\":\"");
            http_json_escape(&pg->json, hk.p, (size_t)hk.n);
            buf_put_u8(&pg->json, '"');
            kf_http_b64_field(&pg->json, "value", hv, pg->max_value);
            buf_put_u8(&pg->json, '}');
        }
        buf_puts(&pg->json, "]}");
        pg->last = off;
        (*count)++;
        added++;
    }
    buf_free(&inflated);
    return added;
}

static void kf_http_page_work(uv_work_t *w)
{
    struct kf_http_page *pg = w->data;
    buf_t                bytes = BUF_INIT;
    size_t               got = 0;
    ssize_t              k;
    const uint8_t       *p;
    size_t               n;
    int                  count = 0;
    rd_t                 r;

    buf_reserve(&bytes, pg->slice.len);
    while (got < pg->slice.len) {
        k = pread(pg->slice.fd, bytes.data + got, pg->slice.len - got,
                  pg->slice.pos + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    bytes.len = got;
    buf_puts(&pg->json, "{\"messages\":[");
    r = rd_init(bytes.data, bytes.len);
    /* a range cut by max bytes ends inside a batch: kbatch_next stops there */
    while (count < pg->limit && kbatch_next(&r, &p, &n) == 1)
        if (kf_http_batch_json(pg, p, n, &count) < 0)
            break;
    buf_free(&bytes);
}

static void kf_http_page_done(uv_work_t *w, int status)
{
    struct kf_http_page *pg = w->data;
    kf_http_t           *h = pg->c->listener->data;
    conn_msg_t          *m = conn_msg_new();
    char                 hdrs[1024];

    (void)h;
    kf_log_slice_release(pg->slice.ref);
    buf_printf(&pg->json, "],\"next_offset\":%" PRId64 ",\"log_start_offset\":%" PRId64
                          ",\"high_watermark\":%" PRId64 "}\n",
               pg->last >= 0 ? pg->last + 1 : pg->from, pg->start, pg->hw);
    snprintf(hdrs, sizeof hdrs, "%sCache-Control: no-store\r\n", kf_http_sec_headers);
    http_response_head(&m->data, status == 0 ? 200 : 500, "application/json",
                       (int64_t)pg->json.len, pg->keep_alive, hdrs);
    if (!pg->head)
        buf_put(&m->data, pg->json.data, pg->json.len);
    conn_ref(pg->c); /* conn_fill may drop the last reference */
    conn_fill(pg->c, pg->slot, m);
    if (!pg->keep_alive)
        conn_close_after_flush(pg->c);
    conn_unref(pg->c);
    buf_free(&pg->json);
    free(pg);
}

static void kf_http_messages(kf_http_t *h, conn_t *c, const struct http_req *req,
                             const char *topic, int32_t part)
{
    struct kf_topic     *t = kf_topics_get(h->b->topics, topic, strlen(topic));
    struct kf_http_page *pg;
    kf_log_t            *l;
    char                 v[64];
    int64_t              from, ts, bts;
    long                 limit = 50, maxv = 4096;
    int                  rc;

    if (t == NULL || part < 0 || part >= t->npart || (l = t->logs[part]) == NULL) {
        kf_http_error(c, req, 404, "no such topic or partition");
        return;
    }
    if (http_query_get(req->query, "limit", v, sizeof v) > 0)
        limit = strtol(v, NULL, 10);
    if (http_query_get(req->query, "max_value", v, sizeof v) > 0)
        maxv = strtol(v, NULL, 10);
    if (limit < 1 || limit > KF_HTTP_MSG_LIMIT || maxv < 0 || maxv > (long)KF_HTTP_MSG_BYTES) {
        kf_http_error(c, req, 400, "limit must be in 1..500, max_value in 0..4194304");
        return;
    }
    from = kf_log_start(l);
    ts = INT64_MIN;
    if (http_query_get(req->query, "offset", v, sizeof v) > 0) {
        from = strtoll(v, NULL, 10);
    } else if (http_query_get(req->query, "timestamp", v, sizeof v) > 0) {
        ts = strtoll(v, NULL, 10);
        /* the batch that reaches ts; records older than ts are skipped */
        rc = kf_log_offset_for_time(l, ts, &from, &bts);
        if (rc == ERR_NOTFOUND)
            from = kf_log_hw(l); /* nothing that recent: an empty page */
    } else if (http_query_get(req->query, "newest", v, sizeof v) > 0) {
        from = kf_log_hw(l) - strtoll(v, NULL, 10);
    }
    if (from < kf_log_start(l))
        from = kf_log_start(l);
    if (from > kf_log_hw(l))
        from = kf_log_hw(l);
    pg = xcalloc(1, sizeof *pg);
    pg->c = c;
    pg->from = from;
    pg->last = -1;
    pg->min_ts = ts;
    pg->hw = kf_log_hw(l);
    pg->start = kf_log_start(l);
    pg->limit = (int)limit;
    pg->max_value = (size_t)maxv;
    pg->keep_alive = req->keep_alive;
    pg->head = slice_eq(req->method, "HEAD");
    rc = from < pg->hw ? kf_log_read(l, from, KF_HTTP_MSG_BYTES, pg->hw, true, &pg->slice)
                       : 0;
    if (rc < 0) {
        free(pg);
        kf_http_error(c, req, 500, err_str(rc));
        return;
    }
    pg->slot = conn_reserve(c);
    pg->work.data = pg;
    if (uv_queue_work(h->b->loop, &pg->work, kf_http_page_work, kf_http_page_done) < 0)
        kf_http_page_done(&pg->work, -1);
}

/* ---- /metrics ----------------------------------------------------------- */

static void kf_http_label(buf_t *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            buf_put_u8(o, '\\');
        if (*s == '\n') {
            buf_puts(o, "\\n");
            continue;
        }
        buf_put_u8(o, (uint8_t)*s);
    }
}

static void kf_http_metrics(kf_http_t *h, conn_t *c, const struct http_req *req)
{
    struct kf_broker *b = h->b;
    struct kf_topic **ts;
    int               n, i, k;
    int32_t           p;
    buf_t             o = BUF_INIT;
    static const struct {
        const char *name, *help;
        int64_t (*get)(const kf_log_t *l);
    } per_log[] = {
        { "odradek_log_start_offset", "First offset of the partition's log.", kf_log_start },
        { "odradek_log_end_offset", "Next offset to be written (high watermark).", kf_log_end },
        { "odradek_log_size_bytes", "Bytes in the partition's segments.", kf_log_size },
    };

    ts = kf_topics_list(b->topics, &n);
    buf_printf(&o, "# HELP odradek_broker_requests_total Kafka requests served.\n"
                   "# TYPE odradek_broker_requests_total counter\n"
                   "odradek_broker_requests_total %" PRIu64 "\n"
                   "# HELP odradek_broker_connections Open Kafka connections.\n"
                   "# TYPE odradek_broker_connections gauge\n"
                   "odradek_broker_connections %u\n"
                   "# HELP odradek_broker_topics Topics.\n"
                   "# TYPE odradek_broker_topics gauge\n"
                   "odradek_broker_topics %d\n"
                   "# HELP odradek_http_requests_total HTTP requests served.\n"
                   "# TYPE odradek_http_requests_total counter\n"
                   "odradek_http_requests_total %" PRIu64 "\n",
               b->requests, b->listener.nconns, n, h->requests);
    for (k = 0; k < (int)(sizeof per_log / sizeof per_log[0]); k++) {
        buf_printf(&o, "# HELP %s %s\n# TYPE %s gauge\n", per_log[k].name,
                   per_log[k].help, per_log[k].name);
        for (i = 0; i < n; i++)
            for (p = 0; p < ts[i]->npart; p++) {
                if (ts[i]->logs[p] == NULL)
                    continue;
                buf_printf(&o, "%s{topic=\"", per_log[k].name);
                kf_http_label(&o, ts[i]->name);
                buf_printf(&o, "\",partition=\"%d\"} %" PRId64 "\n", p,
                           per_log[k].get(ts[i]->logs[p]));
            }
    }
    free(ts);
    kf_http_reply(c, req, 200, "text/plain; version=0.0.4; charset=utf-8", &o,
                  NULL);
}

/* "T/partitions/P/messages": true if it matched (and was answered). */
static bool kf_http_messages_route(kf_http_t *h, conn_t *c,
                                   const struct http_req *req, const char *rest)
{
    const char *slash = strchr(rest, '/');
    char        topic[256], *end;
    long        p;

    if (slash == NULL || (size_t)(slash - rest) >= sizeof topic ||
        strncmp(slash, "/partitions/", 12) != 0)
        return false;
    p = strtol(slash + 12, &end, 10);
    if (end == slash + 12 || strcmp(end, "/messages") != 0)
        return false;
    memcpy(topic, rest, (size_t)(slash - rest));
    topic[slash - rest] = '\0';
    kf_http_messages(h, c, req, topic, p > INT32_MAX ? -1 : (int32_t)p);
    return true;
}

/* ---- routing ------------------------------------------------------------ */

static void kf_http_asset(conn_t *c, const struct http_req *req, const char *path)
{
    const struct ui_asset *a;
    buf_t                  body = BUF_INIT;

    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (a = ui_assets; a->path != NULL; a++)
        if (strcmp(a->path, path) == 0) {
            buf_put(&body, a->data, a->len);
            kf_http_reply(c, req, 200, a->content_type, &body, NULL);
            return;
        }
    kf_http_error(c, req, 404, "not found");
}

static void kf_http_route(kf_http_t *h, conn_t *c, const struct http_req *req)
{
    char path[1024];

    h->requests++;
    if (!slice_eq(req->method, "GET") && !slice_eq(req->method, "HEAD")) {
        kf_http_error(c, req, 405, "read-only: only GET and HEAD are served");
        return;
    }
    if (http_unescape(req->path, false, path, sizeof path) < 0 ||
        strstr(path, "..") != NULL) {
        kf_http_error(c, req, 400, "bad path");
        return;
    }
    if (strcmp(path, "/metrics") == 0)
        kf_http_metrics(h, c, req);
    else if (strcmp(path, "/api/v1/cluster") == 0)
        kf_http_cluster(h, c, req);
    else if (strcmp(path, "/api/v1/topics") == 0)
        kf_http_topics(h, c, req);
    else if (strncmp(path, "/api/v1/topics/", 15) == 0 && path[15] != '\0' &&
             strchr(path + 15, '/') == NULL)
        kf_http_topic(h, c, req, path + 15);
    else if (strncmp(path, "/api/v1/topics/", 15) == 0 &&
             kf_http_messages_route(h, c, req, path + 15))
        return; /* answered */
    else if (strncmp(path, "/api/", 5) == 0)
        kf_http_error(c, req, 404, "no such API");
    else
        kf_http_asset(c, req, path);
}

static int kf_http_sniff(conn_t *c, const uint8_t *p, size_t n)
{
    (void)c;
    (void)p;
    (void)n;
    return 1; /* raw: HTTP is not length-prefixed */
}

static ssize_t kf_http_raw(conn_t *c, const uint8_t *p, size_t n)
{
    kf_http_t      *h = c->listener->data;
    struct http_req req;
    size_t          used = 0;
    int             rc;

    while (!conn_is_closing(c) && used < n) {
        rc = http_parse_request(p + used, n - used, KF_HTTP_MAX_HEAD,
                                KF_HTTP_MAX_BODY, &req);
        if (rc == ERR_SHORT)
            break;
        if (rc < 0) {
            buf_t out = BUF_INIT;

            http_response_head(&out, rc == ERR_TOO_BIG ? 413 : 400, "text/plain",
                               12, false, kf_http_sec_headers);
            buf_puts(&out, "bad request\n");
            conn_send(c, &out);
            conn_close_after_flush(c);
            return (ssize_t)n;
        }
        if (req.content_length > 0 &&
            (size_t)req.content_length > n - used - (size_t)rc)
            break; /* wait for the body */
        kf_http_route(h, c, &req);
        used += (size_t)rc + (size_t)(req.content_length > 0 ? req.content_length : 0);
    }
    return (ssize_t)used;
}

static const struct conn_ops kf_http_ops = {
    .max_frame = KF_HTTP_MAX_HEAD + KF_HTTP_MAX_BODY,
    .max_inflight = 16,
    .out_high_water = 8u << 20,
    .idle_ms = 60000,
    .on_sniff = kf_http_sniff,
    .on_raw = kf_http_raw,
};

int kf_http_start(struct kf_broker *b, const char *spec, kf_http_t **out)
{
    kf_http_t *h;
    char      *copy, *tok, *save = NULL, host[256];
    int        port, rc = 0;

    *out = NULL;
    if (spec == NULL || *spec == '\0')
        return 0;
    h = xcalloc(1, sizeof *h);
    h->b = b;
    h->started_ms = clock_mono_ms();
    copy = xstrdup(spec);
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (h->nl == KF_HTTP_MAX_LISTENERS ||
            conn_parse_hostport(tok, host, sizeof host, &port) < 0) {
            rc = ERR_CONFIG;
            break;
        }
        rc = conn_listen(&h->l[h->nl], b->loop, host, port, &kf_http_ops, 128);
        if (rc < 0)
            break;
        h->l[h->nl].data = h;
        h->l[h->nl].max_conns = 256;
        log_info("http: listening on %s:%d (UI, /api/v1, /metrics)",
                 *host ? host : "*", conn_listener_port(&h->l[h->nl]));
        h->nl++;
        h->open++;
    }
    free(copy);
    if (rc < 0) {
        log_error("http.listeners %s: %s", spec, err_str(rc));
        kf_http_stop(h, NULL, NULL);
        return rc;
    }
    *out = h;
    return 0;
}

int kf_http_port(const kf_http_t *h)
{
    return h != NULL && h->nl > 0 ? conn_listener_port(&h->l[0]) : -1;
}

static void kf_http_on_closed(conn_listener_t *l)
{
    kf_http_t *h = l->data;

    if (--h->open > 0)
        return;
    if (h->done != NULL)
        h->done(h->done_arg);
    free(h);
}

void kf_http_stop(kf_http_t *h, void (*done)(void *arg), void *arg)
{
    int i;

    if (h == NULL) {
        if (done != NULL)
            done(arg);
        return;
    }
    h->done = done;
    h->done_arg = arg;
    if (h->open == 0) {
        if (done != NULL)
            done(arg);
        free(h);
        return;
    }
    for (i = 0; i < h->nl; i++) {
        h->l[i].on_closed = kf_http_on_closed;
        conn_listener_close(&h->l[i]);
    }
}
