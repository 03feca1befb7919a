/* kf_http_export: download a range of one partition as NDJSON or CSV.
 *
 * GET /api/v1/topics/{t}/partitions/{p}/export
 *     ?from=OFFSET (default: log start) &to=OFFSET (exclusive; default: the
 *     high watermark when the download starts) &format=ndjson|csv
 *     &encoding=text|base64 (keys, values, header values; ndjson only)
 *
 * The body is streamed: one thread-pool job reads at most
 * KF_HTTP_EXPORT_CHUNK of log and writes at most about KF_HTTP_EXPORT_OUT
 * of output (compressed batches can inflate a hundredfold, so both are
 * bounded; a batch cut by the output bound is read again by the next job
 * from the record where it stopped), and the next job starts only when
 * the client has taken what was sent (conn drain), so a download of any
 * size holds about one chunk in memory and never waits on the loop.  The
 * client closing the connection stops it.  http.allow.export=false turns
 * it off (403).
 *
 * NDJSON line: {"partition","offset","timestamp","key","value","headers"}
 * (text: JSON strings, bytes that are not UTF-8 become U+FFFD; base64:
 * exact bytes).  CSV (RFC 4180, header row): partition, offset, timestamp,
 * key, value as text, every field quoted. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kbatch.h"
#include "kf_http_int.h"
#include "xalloc.h"

#define KF_HTTP_EXPORT_CHUNK   (1u << 20) /* log bytes read per job */
#define KF_HTTP_EXPORT_OUT     (1u << 20) /* output per job: a job stops here */
#define KF_HTTP_EXPORT_BACKLOG (2u << 20) /* wait for a drain beyond this */
#define KF_HTTP_EXPORT_MAX     16         /* downloads at once */

enum kf_http_export_fmt { KF_HTTP_NDJSON, KF_HTTP_CSV };

struct kf_http_export {
    uv_work_t           work;
    kf_http_t          *h;
    conn_t             *c;
    char               *topic;
    int32_t             partition;
    int64_t             next, to;
    int                 fmt;
    bool                b64;
    bool                busy;   /* a job is on the pool */
    bool                closed; /* the connection went */
    struct kf_log_slice slice;
    buf_t               out;
    int64_t             done_to; /* the job's next offset */
    int64_t             last;    /* the last record written by the job */
};

/* The module's state is just the number of downloads running, kept in its
 * h->mod slot as an integer (nothing to allocate or free). */
static intptr_t kf_http_export_running(kf_http_t *h, int delta)
{
    intptr_t n = (intptr_t)h->mod[KF_HTTP_MOD_EXPORT] + delta;

    h->mod[KF_HTTP_MOD_EXPORT] = (void *)n;
    return n;
}

static void kf_http_export_free(struct kf_http_export *e)
{
    kf_http_export_running(e->h, -1);
    kf_http_release(e->h); /* h outlives every download */
    conn_unref(e->c);
    buf_free(&e->out);
    free(e->topic);
    free(e);
}

static void kf_http_csv_field(buf_t *o, slice_t s)
{
    int32_t i;

    buf_put_u8(o, '"');
    for (i = 0; s.n > 0 && i < s.n; i++) {
        if (s.p[i] == '"')
            buf_put_u8(o, '"');
        buf_put_u8(o, s.p[i]);
    }
    buf_put_u8(o, '"');
}

static int kf_http_export_rec(void *arg, const struct kf_http_rec *r)
{
    struct kf_http_export *e = arg;
    buf_t                 *o = &e->out;

    if (r->offset < e->next || r->offset >= e->to)
        return 0;
    if (e->out.len >= KF_HTTP_EXPORT_OUT)
        return 1; /* enough for one job: the next starts at this record */
    e->last = r->offset;
    if (e->fmt == KF_HTTP_CSV) {
        buf_printf(o, "%d,%" PRId64 ",%" PRId64 ",", e->partition, r->offset,
                   r->timestamp);
        if (r->key.n >= 0)
            kf_http_csv_field(o, r->key);
        buf_put_u8(o, ',');
        if (r->value.n >= 0)
            kf_http_csv_field(o, r->value);
        buf_puts(o, "\r\n");
        return 0;
    }
    buf_printf(o, "{\"partition\":%d,\"offset\":%" PRId64 ",\"timestamp\":%" PRId64,
               e->partition, r->offset, r->timestamp);
    kf_http_bytes_field(o, "key", r->key, e->b64, SIZE_MAX);
    kf_http_bytes_field(o, "value", r->value, e->b64, SIZE_MAX);
    kf_http_headers_field(o, r, e->b64, SIZE_MAX);
    buf_puts(o, "}\n");
    return 0;
}

/* Pool: the chunk's batches to lines; done_to = after the last whole batch. */
static void kf_http_export_work(uv_work_t *w)
{
    struct kf_http_export *e = w->data;
    buf_t                  bytes = BUF_INIT, scratch = BUF_INIT;
    struct kbatch_hdr      bh;
    const uint8_t         *p;
    size_t                 n;
    rd_t                   r;

    e->done_to = e->next;
    if (kf_http_read_slice(&e->slice, &bytes) < 0) {
        e->done_to = -1;
        goto out;
    }
    r = rd_init(bytes.data, bytes.len);
    while (kbatch_next(&r, &p, &n) == 1 && kbatch_hdr_read(p, n, &bh) == 0) {
        int rc = kf_http_records(p, n, &scratch, kf_http_export_rec, e);

        if (rc < 0) {
            e->done_to = -1; /* a batch we cannot read: stop here */
            break;
        }
        if (rc > 0) { /* output full inside this batch */
            e->done_to = e->last + 1;
            break;
        }
        if (bh.base_offset + bh.last_offset_delta + 1 > e->done_to)
            e->done_to = bh.base_offset + bh.last_offset_delta + 1;
        if (e->done_to >= e->to)
            break;
    }
out:
    buf_free(&scratch);
    buf_free(&bytes);
}

static void kf_http_export_step(struct kf_http_export *e);

static void kf_http_export_done(uv_work_t *w, int status)
{
    struct kf_http_export *e = w->data;

    e->busy = false;
    kf_log_slice_release(e->slice.ref);
    if (e->closed) {
        kf_http_export_free(e);
        return;
    }
    if (e->out.len > 0) {
        conn_send(e->c, &e->out); /* takes the bytes */
        e->out = (buf_t)BUF_INIT;
    }
    if (status < 0 || e->done_to < 0 || e->done_to <= e->next) {
        kf_http_raw_end(e->c); /* cut short: the client sees a short body */
        kf_http_export_free(e);
        return;
    }
    e->next = e->done_to;
    if (e->c->out_bytes > KF_HTTP_EXPORT_BACKLOG)
        return; /* kf_http_export_drain continues */
    kf_http_export_step(e);
}

/* Starts the next job, or ends the body when the range is done. */
static void kf_http_export_step(struct kf_http_export *e)
{
    kf_log_t *l = kf_topics_log(e->h->b->topics, e->topic, strlen(e->topic),
                                e->partition);
    int64_t   hw;

    if (l != NULL && e->next < kf_log_start(l))
        e->next = kf_log_start(l); /* retention moved on meanwhile */
    hw = l != NULL ? kf_log_hw(l) : -1;
    if (l == NULL || e->next >= e->to || e->next >= hw || e->h->stopping ||
        kf_log_read(l, e->next, KF_HTTP_EXPORT_CHUNK, e->to < hw ? e->to : hw, true,
                    &e->slice) < 0 ||
        e->slice.len == 0) {
        kf_http_raw_end(e->c);
        kf_http_export_free(e);
        return;
    }
    e->busy = true;
    e->work.data = e;
    if (uv_queue_work(e->h->b->loop, &e->work, kf_http_export_work,
                      kf_http_export_done) < 0)
        kf_http_export_done(&e->work, -1);
}

static void kf_http_export_drain(conn_t *c, void *arg)
{
    struct kf_http_export *e = arg;

    (void)c;
    if (!e->busy && !e->closed)
        kf_http_export_step(e);
}

static void kf_http_export_closed(conn_t *c, void *arg)
{
    struct kf_http_export *e = arg;

    (void)c;
    e->closed = true;
    if (!e->busy)
        kf_http_export_free(e);
}

static void kf_http_export(struct kf_http_ctx *x)
{
    struct kf_http_export *e;
    kf_log_t              *l;
    int32_t                part;
    int64_t                from, to;
    char                   v[16], hdr[512];
    int                    fmt = KF_HTTP_NDJSON;
    bool                   b64 = false;

    if (!x->h->b->kc->http_allow_export) {
        kf_http_error(x, 403, "export is switched off (http.allow.export=false)");
        return;
    }
    if ((l = kf_http_partition(x, x->arg[0], x->arg[1], &part)) == NULL)
        return;
    from = kf_log_start(l);
    to = kf_log_hw(l);
    if (kf_http_query_int(x, "from", 0, INT64_MAX, &from) < 0 ||
        kf_http_query_int(x, "to", 0, INT64_MAX, &to) < 0) {
        kf_http_error(x, 400, "from and to must be offsets");
        return;
    }
    if (http_query_get(x->req->query, "format", v, sizeof v) > 0) {
        if (strcmp(v, "csv") == 0)
            fmt = KF_HTTP_CSV;
        else if (strcmp(v, "ndjson") != 0) {
            kf_http_error(x, 400, "format must be ndjson or csv");
            return;
        }
    }
    if (http_query_get(x->req->query, "encoding", v, sizeof v) > 0) {
        if (strcmp(v, "base64") == 0)
            b64 = true;
        else if (strcmp(v, "text") != 0) {
            kf_http_error(x, 400, "encoding must be text or base64");
            return;
        }
    }
    if (kf_http_export_running(x->h, 0) >= KF_HTTP_EXPORT_MAX) {
        kf_http_error(x, 503, "too many downloads at once; try again");
        return;
    }
    if (to > kf_log_hw(l))
        to = kf_log_hw(l);
    snprintf(hdr, sizeof hdr,
             "Content-Disposition: attachment; filename=\"partition-%d-%" PRId64
             "-%" PRId64 ".%s\"\r\n",
             part, from, to, fmt == KF_HTTP_CSV ? "csv" : "ndjson");
    e = xcalloc(1, sizeof *e);
    e->h = x->h;
    e->c = x->c;
    e->topic = xstrdup(x->arg[0]);
    e->partition = part;
    e->next = from;
    e->to = to;
    e->fmt = fmt;
    e->b64 = b64;
    if (!kf_http_raw_begin(x, fmt == KF_HTTP_CSV ? "text/csv; charset=utf-8"
                                                 : "application/x-ndjson",
                           hdr, kf_http_export_closed, e)) {
        free(e->topic);
        free(e);
        return;
    }
    conn_ref(e->c);
    kf_http_export_running(x->h, 1);
    kf_http_hold(x->h);
    kf_http_raw_on_drain(e->c, kf_http_export_drain);
    if (fmt == KF_HTTP_CSV) {
        buf_puts(&e->out, "partition,offset,timestamp,key,value\r\n");
        conn_send(e->c, &e->out);
        e->out = (buf_t)BUF_INIT;
    }
    kf_http_export_step(e);
}

static const struct kf_http_route kf_http_export_routes[] = {
    { "GET", "/api/v1/topics/{}/partitions/{}/export", KF_HTTP_READ, kf_http_export },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_export = { "export", kf_http_export_routes, NULL,
                                                   NULL, NULL };
