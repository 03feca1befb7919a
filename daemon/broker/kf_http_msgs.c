/* kf_http_msgs: the message browser and the record decoding the other
 * record-reading modules share (kf_http_int.h: kf_http_records,
 * kf_http_rec_json, kf_http_read_slice).
 *
 * GET /api/v1/topics/{t}/partitions/{p}/messages
 *     ?offset=N | timestamp=MS | newest=N   (default: the oldest)
 *     &limit=L (1..500, default 50) &max_value=B (0..4 MiB, default 4096)
 * GET /api/v1/topics/{t}/schema: the topic's local Avro schemas, if any.
 *
 * The log range is found on the loop (offset / time index, as Fetch does);
 * the bytes are read, decompressed and turned into JSON on the thread pool,
 * so a page over a cold file never stalls produce and fetch.  A page reads
 * at most KF_HTTP_MSG_BYTES of log, inflates at most KF_HTTP_MSG_INFLATE
 * per batch and stops adding records once its JSON passes KF_HTTP_PAGE_JSON:
 * memory per request is bounded whatever the topic's size.
 * Keys, values and header values are base64 (the page shows them as text,
 * JSON, hex, base64 or Avro); values longer than max_value are cut and
 * flagged, the page asks again with a bigger max_value for "load full". */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "kbatch.h"
#include "kcompress.h"
#include "kf_http_int.h"
#include "xalloc.h"

#define KF_HTTP_MSG_LIMIT   500        /* records per page, at most */
#define KF_HTTP_MSG_BYTES   (4u << 20) /* log bytes read per page, at most */
#define KF_HTTP_PAGE_JSON   (8u << 20) /* a page stops growing past this */
#define KF_HTTP_SCHEMA_MAX  (256 * 1024)

/* ---- shared record decoding -------------------------------------------- */

int kf_http_records(const uint8_t *p, size_t n, buf_t *scratch,
                    kf_http_rec_fn *fn, void *arg)
{
    struct kbatch_hdr h;
    rd_t              r;
    int               codec, i, rc;

    if (kbatch_hdr_read(p, n, &h) < 0 || h.magic != 2)
        return ERR_MALFORMED;
    if (h.attributes & 0x20) /* control batch (transaction markers) */
        return 0;
    codec = h.attributes & 7;
    scratch->len = 0;
    if (codec != 0) {
        if (kcompress_decompress(codec, p + KBATCH_HEADER_SIZE, n - KBATCH_HEADER_SIZE,
                                 scratch, KF_HTTP_MSG_INFLATE) < 0)
            return ERR_CORRUPT;
        r = rd_init(scratch->data, scratch->len);
    } else {
        r = rd_init(p + KBATCH_HEADER_SIZE, n - KBATCH_HEADER_SIZE);
    }
    for (i = 0; i < h.count; i++) {
        struct krecord      rec;
        struct kf_http_rec  out;

        if (krecord_read(&r, &rec) < 0)
            return ERR_CORRUPT;
        out.offset = h.base_offset + rec.offset_delta;
        out.log_append_time = (h.attributes & 0x08) != 0;
        out.timestamp = out.log_append_time ? h.max_timestamp
                                            : h.base_timestamp + rec.timestamp_delta;
        out.codec = codec;
        out.key = rec.key;
        out.value = rec.value;
        out.nheaders = rec.nheaders;
        out.headers = rec.headers;
        out.headers_len = rec.headers_len;
        if ((rc = fn(arg, &out)) != 0)
            return rc;
    }
    return 0;
}

void kf_http_bytes_field(buf_t *o, const char *name, slice_t s, bool b64, size_t max)
{
    size_t n;

    buf_printf(o, ",\"%s\":", name);
    if (s.n < 0) {
        buf_puts(o, "null");
        return;
    }
    n = (size_t)s.n < max ? (size_t)s.n : max;
    if (!b64) {
        kf_http_json_strn(o, s.p, n);
        return;
    }
    buf_put_u8(o, '"');
    kf_http_b64(o, s.p, n);
    buf_put_u8(o, '"');
}

void kf_http_headers_field(buf_t *o, const struct kf_http_rec *r, bool b64, size_t max)
{
    rd_t    hr = rd_init(r->headers, r->headers_len);
    int32_t k;

    buf_puts(o, ",\"headers\":[");
    for (k = 0; k < r->nheaders; k++) {
        slice_t hk = rd_vbytes(&hr), hv = rd_vbytes(&hr);

        if (!rd_ok(&hr) || hk.n < 0)
            break;
        buf_puts(o, k ? ",{\"key\":" : "{\"key\":");
        kf_http_json_strn(o, hk.p, (size_t)hk.n);
        kf_http_bytes_field(o, "value", hv, b64, max);
        buf_put_u8(o, '}');
    }
    buf_put_u8(o, ']');
}

void kf_http_rec_json(buf_t *o, const struct kf_http_rec *r, int32_t partition,
                      size_t max_value)
{
    buf_printf(o, "{\"partition\":%d,\"offset\":%" PRId64 ",\"timestamp\":%" PRId64
                  ",\"timestamp_type\":\"%s\",\"key_size\":%d,\"value_size\":%d,"
                  "\"truncated\":%s",
               partition, r->offset, r->timestamp,
               r->log_append_time ? "LogAppendTime" : "CreateTime", r->key.n, r->value.n,
               (r->value.n > 0 && (size_t)r->value.n > max_value) ||
                       (r->key.n > 0 && (size_t)r->key.n > max_value)
                   ? "true"
                   : "false");
    kf_http_bytes_field(o, "key", r->key, true, max_value);
    kf_http_bytes_field(o, "value", r->value, true, max_value);
    kf_http_headers_field(o, r, true, max_value);
    buf_put_u8(o, '}');
}

int kf_http_read_slice(const struct kf_log_slice *s, buf_t *out)
{
    size_t  got = 0;
    ssize_t k;

    out->len = 0;
    buf_reserve(out, s->len);
    while (got < s->len) {
        k = pread(s->fd, out->data + got, s->len - got, s->pos + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    out->len = got;
    return 0;
}

/* ---- the message browser ------------------------------------------------ */

struct kf_http_page {
    uv_work_t           work;
    conn_t             *c;
    conn_slot_t        *slot;
    struct kf_log_slice slice;
    bool                have_slice;
    int32_t             partition;
    int64_t             from;      /* first offset wanted */
    int64_t             hw, start; /* the partition's bounds at request time */
    int64_t             last;      /* offset of the last record listed, or -1 */
    int64_t             min_ts;    /* timestamp seek: skip older records */
    int                 limit, count;
    size_t              max_value;
    bool                keep_alive, head;
    buf_t               json;
    int                 status;
};

static int kf_http_page_rec(void *arg, const struct kf_http_rec *r)
{
    struct kf_http_page *pg = arg;

    if (pg->count >= pg->limit || pg->json.len > KF_HTTP_PAGE_JSON)
        return 1; /* next_offset says where the next page starts */
    if (r->offset < pg->from || r->timestamp < pg->min_ts)
        return 0;
    if (pg->count++)
        buf_put_u8(&pg->json, ',');
    kf_http_rec_json(&pg->json, r, pg->partition, pg->max_value);
    pg->last = r->offset;
    return 0;
}

static void kf_http_page_work(uv_work_t *w)
{
    struct kf_http_page *pg = w->data;
    buf_t                bytes = BUF_INIT, scratch = BUF_INIT;
    const uint8_t       *p;
    size_t               n;
    rd_t                 r;

    buf_puts(&pg->json, "{\"messages\":[");
    if (!pg->have_slice)
        return;
    if (kf_http_read_slice(&pg->slice, &bytes) < 0) {
        pg->status = 500;
        buf_free(&bytes);
        return;
    }
    r = rd_init(bytes.data, bytes.len);
    /* a range cut by max bytes ends inside a batch: kbatch_next stops there */
    while (pg->count < pg->limit && pg->json.len <= KF_HTTP_PAGE_JSON &&
           kbatch_next(&r, &p, &n) == 1)
        if (kf_http_records(p, n, &scratch, kf_http_page_rec, pg) != 0)
            break;
    buf_free(&scratch);
    buf_free(&bytes);
}

static void kf_http_page_done(uv_work_t *w, int status)
{
    struct kf_http_page *pg = w->data;
    conn_msg_t          *m;

    if (pg->have_slice)
        kf_log_slice_release(pg->slice.ref);
    if (status < 0 && pg->json.len == 0)
        buf_puts(&pg->json, "{\"messages\":[");
    buf_printf(&pg->json, "],\"next_offset\":%" PRId64 ",\"log_start_offset\":%" PRId64
                          ",\"high_watermark\":%" PRId64 "}\n",
               pg->last >= 0 ? pg->last + 1 : pg->from, pg->start, pg->hw);
    m = kf_http_msg(status == 0 ? pg->status : 500, pg->keep_alive, pg->head, &pg->json);
    conn_ref(pg->c); /* conn_fill may drop the last reference */
    conn_fill(pg->c, pg->slot, m);
    if (!pg->keep_alive)
        conn_close_after_flush(pg->c);
    conn_unref(pg->c);
    free(pg);
}

kf_log_t *kf_http_partition(struct kf_http_ctx *x, const char *topic,
                            const char *part, int32_t *pnum)
{
    struct kf_topic *t = kf_topics_get(x->h->b->topics, topic, strlen(topic));
    char            *end;
    long             p = strtol(part, &end, 10);

    if (t == NULL || *end != '\0' || p < 0 || p >= t->npart || t->logs[p] == NULL) {
        kf_http_error(x, 404, "no such topic or partition");
        return NULL;
    }
    *pnum = (int32_t)p;
    return t->logs[p];
}

static void kf_http_messages(struct kf_http_ctx *x)
{
    struct kf_http_page *pg;
    kf_log_t            *l;
    int32_t              part;
    int64_t              from, ts = INT64_MIN, bts, limit = 50, maxv = 4096, v;
    int                  rc;

    if ((l = kf_http_partition(x, x->arg[0], x->arg[1], &part)) == NULL)
        return;
    if (kf_http_query_int(x, "limit", 1, KF_HTTP_MSG_LIMIT, &limit) < 0 ||
        kf_http_query_int(x, "max_value", 0, KF_HTTP_MSG_BYTES, &maxv) < 0) {
        kf_http_error(x, 400, "limit must be in 1..500, max_value in 0..4194304");
        return;
    }
    from = kf_log_start(l);
    if ((rc = kf_http_query_int(x, "offset", INT64_MIN, INT64_MAX, &v)) == 0) {
        from = v;
    } else if (rc == 1 &&
               (rc = kf_http_query_int(x, "timestamp", INT64_MIN, INT64_MAX, &v)) == 0) {
        ts = v;
        /* the batch that reaches ts; records older than ts are skipped */
        if (kf_log_offset_for_time(l, ts, &from, &bts) == ERR_NOTFOUND)
            from = kf_log_hw(l); /* nothing that recent: an empty page */
    } else if (rc == 1 && (rc = kf_http_query_int(x, "newest", 0, INT64_MAX, &v)) == 0) {
        from = kf_log_hw(l) - v;
    }
    if (rc < 0) {
        kf_http_error(x, 400, "offset, timestamp and newest must be integers");
        return;
    }
    if (from < kf_log_start(l))
        from = kf_log_start(l);
    if (from > kf_log_hw(l))
        from = kf_log_hw(l);
    pg = xcalloc(1, sizeof *pg);
    pg->c = x->c;
    pg->partition = part;
    pg->from = from;
    pg->last = -1;
    pg->min_ts = ts;
    pg->hw = kf_log_hw(l);
    pg->start = kf_log_start(l);
    pg->limit = (int)limit;
    pg->max_value = (size_t)maxv;
    pg->keep_alive = x->req->keep_alive;
    pg->head = slice_eq(x->req->method, "HEAD");
    pg->status = 200;
    if (from < pg->hw) {
        rc = kf_log_read(l, from, KF_HTTP_MSG_BYTES, pg->hw, true, &pg->slice);
        if (rc < 0) {
            free(pg);
            kf_http_error(x, 500, err_str(rc));
            return;
        }
        pg->have_slice = pg->slice.len > 0;
    }
    pg->slot = conn_reserve(x->c);
    pg->work.data = pg;
    if (uv_queue_work(x->h->b->loop, &pg->work, kf_http_page_work, kf_http_page_done) < 0)
        kf_http_page_done(&pg->work, -1);
}

/* ---- local Avro schemas ---------------------------------------------------
 * http.avro.schema.dir/<topic>.avsc (values) and <topic>-key.avsc (keys):
 * the page decodes Avro binary (and Confluent's 5-byte framed form) with
 * them.  Small files read on the loop: 256 KiB at most each. */

static int kf_http_read_small(const char *path, buf_t *out)
{
    int         fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    ssize_t     k;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > KF_HTTP_SCHEMA_MAX) {
        close(fd);
        return ERR_TOO_BIG;
    }
    buf_reserve(out, (size_t)st.st_size);
    k = read(fd, out->data, (size_t)st.st_size);
    close(fd);
    if (k != st.st_size)
        return ERR_CORRUPT;
    out->len = (size_t)k;
    return 0;
}

static void kf_http_schema_field(buf_t *o, const char *dir, const char *topic,
                                 const char *suffix, const char *name)
{
    char  path[4096];
    buf_t s = BUF_INIT;

    buf_printf(o, "%s\"%s\":", strcmp(name, "value") == 0 ? "," : "", name);
    if (dir == NULL || *dir == '\0' ||
        (size_t)snprintf(path, sizeof path, "%s/%s%s.avsc", dir, topic, suffix) >=
            sizeof path ||
        kf_http_read_small(path, &s) < 0) {
        buf_puts(o, "null");
    } else {
        kf_http_json_strn(o, s.data, s.len); /* the page parses the schema */
    }
    buf_free(&s);
}

static void kf_http_schema(struct kf_http_ctx *x)
{
    const char *dir = x->h->b->kc->http_avro_schema_dir;
    const char *topic = x->arg[0];
    buf_t       o = BUF_INIT;

    if (kf_topics_get(x->h->b->topics, topic, strlen(topic)) == NULL) {
        kf_http_error(x, 404, "no such topic");
        return;
    }
    buf_puts(&o, "{");
    kf_http_schema_field(&o, dir, topic, "-key", "key");
    kf_http_schema_field(&o, dir, topic, "", "value");
    buf_puts(&o, "}\n");
    kf_http_json(x, 200, &o);
}

static const struct kf_http_route kf_http_msgs_routes[] = {
    { "GET", "/api/v1/topics/{}/partitions/{}/messages", KF_HTTP_READ, kf_http_messages },
    { "GET", "/api/v1/topics/{}/schema", KF_HTTP_READ, kf_http_schema },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_msgs = { "messages", kf_http_msgs_routes, NULL,
                                                 NULL, NULL };
