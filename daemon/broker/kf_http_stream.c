/* kf_http_stream: live tail and search over Server-Sent Events.
 * (Module of kf_http: see kf_http_int.h; the API is docs/API.md, live tail and search.)
 *
 * GET /api/v1/topics/{t}/tail?partition=P&from=end|earliest|latest-N|
 *     timestamp:MS|offset:N&positions=P:O,...&max_value=B
 *   events: start {partitions: [{partition, offset}]}, message (one
 *   record, kf_http_rec_json), dropped {dropped: N}, end {reason}.
 * GET /api/v1/topics/{t}/search?q=..&mode=substring|regex|filter&in=key,
 *     value,headers&partition=P&from=..&limit=M&max_records=&max_bytes=&
 *     max_ms=&max_value=&resume=TOKEN
 *   events: start {partitions: [{partition, offset, end}], records},
 *   match (one record), progress {scanned_records, scanned_bytes,
 *   matches, elapsed_ms, positions}, done {reason, ..., resume}, error.
 *
 * It owns: the streams (one per SSE connection, at most
 * KF_HTTP_STREAM_MAX at once: 503 beyond), their positions per partition,
 * the chunk jobs that read and decode records on the thread pool, the
 * tick timer, the dropped counter of a tail, the budgets and resume token
 * of a search.  It does not own: the SSE framing and backlog limit
 * (kf_http.c), record decoding (kf_http_msgs.c), what matches
 * (kf_http_stream_filter.c).
 *
 * Waking up: a uv_timer polls each streamed partition's high watermark
 * every KF_HTTP_STREAM_TICK_MS (100 ms), while a stream is open.  Not the
 * log's notify hook: a log has one hook and long-poll Fetch owns it
 * (kf_fetch), and a hook would tie stream memory to logs that can be
 * deleted under it; a poll looks the topic up by name each time, so a
 * deleted topic just ends its streams, and costs O(partitions streamed)
 * comparisons per tick for at most 16 streams.  A chunk that completes
 * schedules the next at once, so a burst is not paced by the tick.
 *
 * Memory per stream is bounded: one job in flight at a time (at most
 * KF_HTTP_STREAM_CHUNK log bytes read, plus its decoded JSON, cut at
 * KF_HTTP_STREAM_JOB_OUT), the connection's SSE backlog (KF_HTTP_SSE_
 * BACKLOG), and for a search the events of one job not yet sent.
 *
 * A tail whose reader is slow drops records: when the connection's
 * backlog is over KF_HTTP_SSE_BACKLOG at a tick, the new offsets are
 * skipped without being read, and a record whose kf_http_sse_send answers
 * ERR_LIMIT is dropped; both are counted (offsets) and the total is sent
 * as a "dropped" event as soon as the backlog allows.  A search never
 * drops: it waits for the backlog to drain before reading further.
 *
 * Pause (the page's): the page closes the stream and reopens it later
 * with positions= (its next offset per partition), so a paused tail costs
 * the broker nothing and misses nothing that retention kept.
 *
 * Cancel: closing the connection sets the stream's cancel flag, which the
 * job on the pool checks between batches; no further job is queued.
 * Broker stop: the module's stop closes the timer (kf_http_hold until its
 * close callback) and keeps h held until the last stream is freed (a job
 * in flight finishes first: it is bounded). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "kbatch.h"
#include "kf_http_int.h"
#include "kf_http_stream_filter.h"
#include "kf_log.h"
#include "kf_topics.h"
#include "xalloc.h"

#define KF_HTTP_STREAM_MAX 16 /* concurrent streams, tail and search */
#define KF_HTTP_STREAM_TICK_MS 100
#define KF_HTTP_STREAM_PING 150         /* ticks between pings (15 s) */
#define KF_HTTP_STREAM_CHUNK (2u << 20) /* log bytes one job reads */
#define KF_HTTP_STREAM_JOB_OUT                                                 \
    (2u << 20)                     /* JSON one job makes, then it stops */
#define KF_HTTP_TAIL_JOB_RECS 2000 /* records one tail job sends */
#define KF_HTTP_PROGRESS_MS 250    /* between progress events */
#define KF_HTTP_TOKEN_MAX 8192     /* bytes of positions= / resume= */

enum kf_http_skind { KF_HTTP_TAIL, KF_HTTP_SEARCH };

struct kf_http_spart {
    int32_t partition;
    int64_t pos; /* next offset to read */
    int64_t end; /* search: stop here (the HW when it began); tail: unused */
};

struct kf_http_streams;

struct kf_http_stream {
    struct kf_http_streams *m;
    struct kf_http_stream  *next, *prev;
    enum kf_http_skind      kind;
    conn_t                 *c; /* NULL once the connection closed */
    atomic_bool             cancel;
    bool                    busy;     /* a job is on the pool */
    bool                    finished; /* search: done queued; close when sent */
    char                   *topic;
    struct kf_http_spart   *parts;
    int                     nparts;
    bool                    all_parts; /* tail: follows added partitions */
    int                     cur;       /* next part to look at */
    size_t                  max_value;
    /* tail */
    uint64_t dropped, dropped_sent;
    /* search */
    kf_http_filter_t *filter;
    uint64_t          limit, max_records, max_bytes;
    int64_t           max_ms, t0, last_progress;
    uint64_t          records, bytes, matches;
    buf_t             pending; /* "event json\n" lines not yet sent */
    size_t            pending_at;
};

/* One chunk: records of one partition in [from, end) from one slice. */
struct kf_http_sjob {
    uv_work_t                     work;
    struct kf_http_stream        *s;
    struct kf_log_slice           slice;
    int                           idx; /* in s->parts */
    int32_t                       partition;
    int64_t                       from, end;
    int64_t                       next; /* out: where to go on */
    uint64_t                      max_records, max_matches, max_bytes;
    int64_t                       deadline; /* clock_mono_ms: stop there */
    uint64_t                      records, bytes, matches;
    int                           status;
    buf_t                         out; /* one JSON object a line */
    buf_t                         scratch;
    struct kf_http_filter_scratch fsc;
};

struct kf_http_streams {
    kf_http_t             *h;
    uv_timer_t             timer;
    bool                   timer_on, stopping, timer_closed;
    unsigned               ticks;
    struct kf_http_stream *list;
    int                    n;
    uint64_t opened[2], refused, dropped, sent, scanned_bytes, scanned_records;
};

static struct kf_http_streams *kf_http_streams_of(kf_http_t *h)
{
    return h->mod[KF_HTTP_MOD_STREAM];
}

/* ---- life of a stream --------------------------------------------------- */

static void kf_http_streams_maybe_free(struct kf_http_streams *m)
{
    kf_http_t *h = m->h;

    if (!m->stopping || !m->timer_closed || m->list != NULL)
        return;
    h->mod[KF_HTTP_MOD_STREAM] = NULL;
    free(m);
    kf_http_release(h);
}

static void kf_http_st_free(struct kf_http_stream *s)
{
    struct kf_http_streams *m = s->m;

    if (s->prev)
        s->prev->next = s->next;
    else
        m->list = s->next;
    if (s->next)
        s->next->prev = s->prev;
    m->n--;
    kf_http_stream_filter_free(s->filter);
    buf_free(&s->pending);
    free(s->parts);
    free(s->topic);
    free(s);
    if (m->list == NULL && m->timer_on && !m->stopping) {
        uv_timer_stop(&m->timer);
        m->timer_on = false;
    }
    kf_http_streams_maybe_free(m);
}

static void kf_http_st_on_close(conn_t *c, void *arg)
{
    struct kf_http_stream *s = arg;

    (void)c;
    s->c = NULL;
    atomic_store(&s->cancel, true);
    if (!s->busy)
        kf_http_st_free(s);
}

static void kf_http_st_event(struct kf_http_stream *s, const char *ev, buf_t *b)
{
    if (s->c != NULL)
        (void)kf_http_sse_send(s->c, ev, (const char *)b->data, b->len);
    buf_free(b);
}

/* Ends a stream after what is queued: an "end" event, then close. */
static void kf_http_st_end(struct kf_http_stream *s, const char *reason)
{
    buf_t b = BUF_INIT;

    buf_puts(&b, "{\"reason\":");
    kf_http_json_str(&b, reason);
    buf_puts(&b, "}");
    kf_http_st_event(s, "end", &b);
    if (s->c != NULL)
        conn_close_after_flush(s->c);
}

/* ---- the job on the pool ------------------------------------------------ */

enum { KF_HTTP_SJOB_STOP = 1 };

static int kf_http_sjob_rec(void *arg, const struct kf_http_rec *r)
{
    struct kf_http_sjob   *j = arg;
    struct kf_http_stream *s = j->s;

    if (r->offset < j->from)
        return 0;
    /* cancel and the time budget, between records: a regex can be slow */
    if (atomic_load(&s->cancel) || clock_mono_ms() >= j->deadline)
        return KF_HTTP_SJOB_STOP;
    if (r->offset >= j->end) {
        j->next = j->end;
        return KF_HTTP_SJOB_STOP;
    }
    j->records++;
    j->next = r->offset + 1;
    if (s->kind == KF_HTTP_SEARCH) {
        struct kf_http_filter_rec fr = {
            .offset = r->offset,
            .timestamp = r->timestamp,
            .partition = j->partition,
            .key = r->key,
            .value = r->value,
            .nheaders = r->nheaders,
            .headers = r->headers,
            .headers_len = r->headers_len,
        };

        if (kf_http_stream_filter_match(s->filter, &fr, &j->fsc)) {
            kf_http_rec_json(&j->out, r, j->partition, s->max_value);
            buf_put_u8(&j->out, '\n');
            j->matches++;
        }
        if (j->matches >= j->max_matches || j->records >= j->max_records ||
            j->out.len >= KF_HTTP_STREAM_JOB_OUT)
            return KF_HTTP_SJOB_STOP;
        return 0;
    }
    kf_http_rec_json(&j->out, r, j->partition, s->max_value);
    buf_put_u8(&j->out, '\n');
    if (j->records >= KF_HTTP_TAIL_JOB_RECS ||
        j->out.len >= KF_HTTP_STREAM_JOB_OUT)
        return KF_HTTP_SJOB_STOP;
    return 0;
}

static void kf_http_sjob_work(uv_work_t *w)
{
    struct kf_http_sjob *j = w->data;
    buf_t                bytes = BUF_INIT;
    const uint8_t       *p;
    size_t               n;
    rd_t                 r;
    int                  rc;

    if ((rc = kf_http_read_slice(&j->slice, &bytes)) < 0) {
        j->status = rc;
        buf_free(&bytes);
        return;
    }
    r = rd_init(bytes.data, bytes.len);
    /* cancel and the byte budget are checked between batches */
    while (!atomic_load(&j->s->cancel) && j->bytes < j->max_bytes &&
           kbatch_next(&r, &p, &n) == 1) {
        struct kbatch_hdr h;
        int64_t           last;

        if (kbatch_hdr_read(p, n, &h) < 0) {
            j->status = ERR_CORRUPT;
            break;
        }
        last = h.base_offset + h.last_offset_delta + 1;
        if (last <= j->from)
            continue; /* wholly before the position (the slice starts on a
                         batch) */
        j->bytes += n;
        rc = kf_http_records(p, n, &j->scratch, kf_http_sjob_rec, j);
        if (rc == KF_HTTP_SJOB_STOP)
            break;
        if (rc < 0) {
            j->status = rc;
            break;
        }
        /* control batches and compacted gaps have no records to move next */
        if (last > j->next)
            j->next = last < j->end ? last : j->end;
        if (j->next >= j->end)
            break;
    }
    buf_free(&bytes);
    buf_free(&j->scratch);
    kf_http_stream_filter_scratch_free(&j->fsc);
}

static void kf_http_sjob_done(uv_work_t *w, int status);

/* Queues a job over part idx of s from its position; 0, or < 0 (nothing
 * queued).  On the loop. */
static int kf_http_sjob_queue(struct kf_http_stream *s, kf_log_t *l, int idx,
                              int64_t end)
{
    struct kf_http_spart *sp = &s->parts[idx];
    struct kf_http_sjob  *j;
    int                   rc;

    j = xcalloc(1, sizeof *j);
    rc = kf_log_read(l, sp->pos, KF_HTTP_STREAM_CHUNK, end, true, &j->slice);
    if (rc < 0 || j->slice.len == 0) {
        free(j);
        return rc < 0 ? rc : ERR_NOTFOUND;
    }
    j->s = s;
    j->idx = idx;
    j->partition = sp->partition;
    j->from = sp->pos;
    j->end = end;
    j->next = sp->pos;
    j->max_records = UINT64_MAX;
    j->max_matches = UINT64_MAX;
    j->max_bytes = UINT64_MAX;
    j->deadline = INT64_MAX;
    if (s->kind == KF_HTTP_SEARCH) {
        /* a job ends at the budget, or after KF_HTTP_PROGRESS_MS: a slow
         * regex still reports progress and notices a cancel in time */
        int64_t soon = clock_mono_ms() + KF_HTTP_PROGRESS_MS;

        j->deadline = s->t0 + s->max_ms < soon ? s->t0 + s->max_ms : soon;
        j->max_records = s->max_records - s->records;
        j->max_matches = s->limit - s->matches;
        j->max_bytes = s->max_bytes - s->bytes;
    }
    j->work.data = j;
    s->busy = true;
    if ((rc = uv_queue_work(s->m->h->b->loop, &j->work, kf_http_sjob_work,
                            kf_http_sjob_done)) < 0) {
        s->busy = false;
        kf_log_slice_release(j->slice.ref);
        free(j);
        return rc;
    }
    return 0;
}

/* The log of one partition of s's topic, or NULL (topic gone). */
static kf_log_t *kf_http_st_log(struct kf_http_stream *s, int32_t partition,
                                struct kf_topic **tp)
{
    struct kf_topic *t =
        kf_topics_get(s->m->h->b->topics, s->topic, strlen(s->topic));

    if (tp != NULL)
        *tp = t;
    if (t == NULL || partition < 0 || partition >= t->npart)
        return NULL;
    return t->logs[partition];
}

/* ---- positions ---------------------------------------------------------- */

/* Where a stream starts in log l: "end", "earliest", "latest-N",
 * "timestamp:MS", "offset:N".  0 or ERR_MALFORMED. */
static int kf_http_st_from(kf_log_t *l, const char *from, int64_t *pos)
{
    int64_t start = kf_log_start(l), hw = kf_log_hw(l), v, ts;
    char   *end;

    if (strcmp(from, "end") == 0 || strcmp(from, "latest") == 0) {
        *pos = hw;
    } else if (strcmp(from, "earliest") == 0) {
        *pos = start;
    } else if (strncmp(from, "latest-", 7) == 0) {
        v = strtoll(from + 7, &end, 10);
        if (*end != '\0' || end == from + 7 || v < 0)
            return ERR_MALFORMED;
        *pos = hw - v < start ? start : hw - v;
    } else if (strncmp(from, "timestamp:", 10) == 0) {
        v = strtoll(from + 10, &end, 10);
        if (*end != '\0' || end == from + 10)
            return ERR_MALFORMED;
        if (kf_log_offset_for_time(l, v, pos, &ts) < 0)
            *pos = hw;
    } else if (strncmp(from, "offset:", 7) == 0) {
        v = strtoll(from + 7, &end, 10);
        if (*end != '\0' || end == from + 7)
            return ERR_MALFORMED;
        *pos = v < start ? start : v > hw ? hw : v;
    } else {
        return ERR_MALFORMED;
    }
    return 0;
}

/* Parses "P:POS[:END],..." (positions= of a tail, resume= of a search)
 * into s->parts, checked against topic t.  0 or ERR_MALFORMED. */
static int kf_http_st_token(struct kf_http_stream *s, const struct kf_topic *t,
                            char *tok, bool with_end)
{
    char *save = NULL, *item, *end;
    int   i;

    for (item = strtok_r(tok, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        struct kf_http_spart sp = {0, 0, -1};
        long long            v;

        v = strtoll(item, &end, 10);
        if (*end != ':' || end == item || v < 0 || v >= t->npart)
            return ERR_MALFORMED;
        sp.partition = (int32_t)v;
        item = end + 1;
        sp.pos = strtoll(item, &end, 10);
        if (end == item || sp.pos < 0)
            return ERR_MALFORMED;
        if (with_end) {
            if (*end != ':')
                return ERR_MALFORMED;
            item = end + 1;
            sp.end = strtoll(item, &end, 10);
            if (end == item || sp.end < sp.pos)
                return ERR_MALFORMED;
        }
        if (*end != '\0' || s->nparts >= t->npart ||
            t->logs[sp.partition] == NULL)
            return ERR_MALFORMED;
        for (i = 0; i < s->nparts; i++)
            if (s->parts[i].partition == sp.partition)
                return ERR_MALFORMED;
        s->parts[s->nparts++] = sp;
    }
    return 0;
}

static void kf_http_st_positions(buf_t *b, const struct kf_http_stream *s,
                                 bool with_end)
{
    int i;

    buf_puts(b, "[");
    for (i = 0; i < s->nparts; i++) {
        buf_printf(b, "%s{\"partition\":%d,\"offset\":%" PRId64, i ? "," : "",
                   s->parts[i].partition, s->parts[i].pos);
        if (with_end)
            buf_printf(b, ",\"end\":%" PRId64, s->parts[i].end);
        buf_puts(b, "}");
    }
    buf_puts(b, "]");
}

/* ---- tail --------------------------------------------------------------- */

static void kf_http_tail_grow(struct kf_http_stream *s,
                              const struct kf_topic *t)
{
    int32_t p;

    if (!s->all_parts || t->npart <= s->nparts)
        return;
    s->parts = xrealloc(s->parts, (size_t)t->npart * sizeof *s->parts);
    for (p = s->nparts; p < t->npart; p++) {
        s->parts[p].partition = p;
        s->parts[p].pos = t->logs[p] ? kf_log_start(t->logs[p]) : 0;
        s->parts[p].end = -1;
    }
    s->nparts = t->npart;
}

static void kf_http_tail_dropped(struct kf_http_stream *s)
{
    buf_t b = BUF_INIT;

    if (s->c == NULL || s->dropped == s->dropped_sent ||
        s->c->out_bytes > KF_HTTP_SSE_BACKLOG / 2)
        return;
    buf_printf(&b, "{\"dropped\":%" PRIu64 "}", s->dropped);
    if (kf_http_sse_send(s->c, "dropped", (const char *)b.data, b.len) == 0)
        s->dropped_sent = s->dropped;
    buf_free(&b);
}

/* Reads on from the first partition (round robin) with new records. */
static void kf_http_tail_pump(struct kf_http_stream *s)
{
    struct kf_topic *t;
    kf_log_t        *l;
    int              i, k;
    bool             slow;

    if (s->busy || s->c == NULL || conn_is_closing(s->c))
        return;
    t = kf_topics_get(s->m->h->b->topics, s->topic, strlen(s->topic));
    if (t == NULL) {
        kf_http_st_end(s, "topic deleted");
        return;
    }
    kf_http_tail_grow(s, t);
    slow = s->c->out_bytes > KF_HTTP_SSE_BACKLOG;
    for (k = 0; k < s->nparts; k++) {
        struct kf_http_spart *sp;
        int64_t               hw, start;

        i = (s->cur + k) % s->nparts;
        sp = &s->parts[i];
        if (sp->partition >= t->npart || (l = t->logs[sp->partition]) == NULL)
            continue;
        hw = kf_log_hw(l);
        start = kf_log_start(l);
        if (sp->pos > hw)
            sp->pos = hw; /* truncated under us */
        if (sp->pos < start) {
            s->dropped +=
                (uint64_t)(start - sp->pos); /* retention was faster */
            sp->pos = start;
        }
        if (sp->pos >= hw)
            continue;
        if (slow) { /* the reader lags: skip unread, count */
            s->dropped += (uint64_t)(hw - sp->pos);
            s->m->dropped += (uint64_t)(hw - sp->pos);
            sp->pos = hw;
            continue;
        }
        if (kf_http_sjob_queue(s, l, i, hw) == 0) {
            s->cur = (i + 1) % s->nparts;
            return;
        }
    }
    kf_http_tail_dropped(s);
}

static void kf_http_tail_done(struct kf_http_stream *s, struct kf_http_sjob *j)
{
    const uint8_t *p = j->out.data, *e = p + j->out.len, *nl;
    bool           dropping = false;

    if (j->status < 0) {
        buf_t b = BUF_INIT;

        buf_puts(&b, "{\"error\":");
        kf_http_json_str(&b, err_str(j->status));
        buf_puts(&b, "}");
        kf_http_st_event(s, "error", &b);
        kf_http_st_end(s, "read error");
        return;
    }
    if (j->next > s->parts[j->idx].pos)
        s->parts[j->idx].pos = j->next;
    for (; p < e; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(e - p));
        if (!dropping && kf_http_sse_send(s->c, "message", (const char *)p,
                                          (size_t)(nl - p)) == 0) {
            s->m->sent++;
            continue;
        }
        dropping = true; /* ERR_LIMIT: the rest of this chunk goes too */
        s->dropped++;
        s->m->dropped++;
    }
    kf_http_tail_dropped(s);
    kf_http_tail_pump(s);
}

static void kf_http_tail(struct kf_http_ctx *x);
static void kf_http_search(struct kf_http_ctx *x);

/* ---- search ------------------------------------------------------------- */

static void kf_http_search_counts(buf_t *b, const struct kf_http_stream *s)
{
    buf_printf(b,
               "\"scanned_records\":%" PRIu64 ",\"scanned_bytes\":%" PRIu64
               ",\"matches\":%" PRIu64 ",\"elapsed_ms\":%" PRId64,
               s->records, s->bytes, s->matches, clock_mono_ms() - s->t0);
}

static void kf_http_search_progress(struct kf_http_stream *s)
{
    buf_t b = BUF_INIT;

    buf_puts(&b, "progress {");
    kf_http_search_counts(&b, s);
    buf_puts(&b, ",\"positions\":");
    kf_http_st_positions(&b, s, true);
    buf_puts(&b, "}\n");
    buf_put(&s->pending, b.data, b.len);
    buf_free(&b);
    s->last_progress = clock_mono_ms();
}

/* Queues the final event: why it stopped, the counts, and a resume token
 * ("P:POS:END,..." of the partitions not finished) unless complete. */
static void kf_http_search_finish(struct kf_http_stream *s, const char *reason)
{
    buf_t b = BUF_INIT;
    int   i, k = 0;

    kf_http_search_progress(s);
    buf_puts(&b, "done {\"reason\":");
    kf_http_json_str(&b, reason);
    buf_puts(&b, ",");
    kf_http_search_counts(&b, s);
    buf_puts(&b, ",\"resume\":");
    for (i = 0; i < s->nparts; i++) {
        if (s->parts[i].pos >= s->parts[i].end)
            continue;
        buf_printf(&b, "%s%d:%" PRId64 ":%" PRId64, k++ ? "," : "\"",
                   s->parts[i].partition, s->parts[i].pos, s->parts[i].end);
    }
    buf_puts(&b, k ? "\"}\n" : "null}\n");
    buf_put(&s->pending, b.data, b.len);
    buf_free(&b);
    s->finished = true;
}

/* Sends pending lines while the backlog allows; true when all are sent. */
static bool kf_http_search_drain(struct kf_http_stream *s)
{
    while (s->pending_at < s->pending.len) {
        const char *p = (const char *)s->pending.data + s->pending_at;
        const char *e = (const char *)s->pending.data + s->pending.len;
        const char *sp = memchr(p, ' ', (size_t)(e - p));
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        char        ev[16];

        snprintf(ev, sizeof ev, "%.*s", (int)(sp - p), p);
        if (kf_http_sse_send(s->c, ev, sp + 1, (size_t)(nl - sp - 1)) < 0)
            return false;
        s->pending_at = (size_t)(nl + 1 - (const char *)s->pending.data);
    }
    s->pending.len = 0;
    s->pending_at = 0;
    return true;
}

static void kf_http_search_pump(struct kf_http_stream *s)
{
    struct kf_http_spart *sp;
    kf_log_t             *l;
    int                   rc;

    if (s->busy || s->c == NULL || conn_is_closing(s->c))
        return;
    if (!kf_http_search_drain(s))
        return; /* the reader is slow: read on at a later tick */
    if (s->finished) {
        conn_close_after_flush(s->c);
        return;
    }
    while (s->cur < s->nparts && s->parts[s->cur].pos >= s->parts[s->cur].end)
        s->cur++;
    if (s->cur >= s->nparts)
        kf_http_search_finish(s, "complete");
    else if (s->matches >= s->limit)
        kf_http_search_finish(s, "limit");
    else if (s->records >= s->max_records)
        kf_http_search_finish(s, "max_records");
    else if (s->bytes >= s->max_bytes)
        kf_http_search_finish(s, "max_bytes");
    else if (clock_mono_ms() - s->t0 >= s->max_ms)
        kf_http_search_finish(s, "max_ms");
    if (s->finished) {
        if (kf_http_search_drain(s))
            conn_close_after_flush(s->c);
        return;
    }
    sp = &s->parts[s->cur];
    if ((l = kf_http_st_log(s, sp->partition, NULL)) == NULL) {
        kf_http_search_finish(s, "topic deleted");
        kf_http_search_pump(s);
        return;
    }
    if (sp->pos < kf_log_start(l))
        sp->pos = kf_log_start(l); /* deleted by retention meanwhile */
    if (sp->end > kf_log_hw(l))
        sp->end = kf_log_hw(l); /* truncated meanwhile */
    if (sp->pos >= sp->end) {
        kf_http_search_pump(s);
        return;
    }
    if ((rc = kf_http_sjob_queue(s, l, s->cur, sp->end)) < 0) {
        sp->pos = sp->end; /* nothing readable there */
        kf_http_search_pump(s);
    }
}

static void kf_http_search_done(struct kf_http_stream *s,
                                struct kf_http_sjob   *j)
{
    const uint8_t *p = j->out.data, *e = p + j->out.len, *nl;

    s->records += j->records;
    s->bytes += j->bytes;
    s->matches += j->matches;
    s->m->scanned_records += j->records;
    s->m->scanned_bytes += j->bytes;
    if (j->next > s->parts[j->idx].pos)
        s->parts[j->idx].pos = j->next;
    for (; p < e; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(e - p));
        buf_puts(&s->pending, "match ");
        buf_put(&s->pending, p, (size_t)(nl + 1 - p));
    }
    if (j->status < 0) {
        buf_t b = BUF_INIT;

        buf_puts(&b, "error {\"error\":");
        kf_http_json_str(&b, err_str(j->status));
        buf_puts(&b, "}\n");
        buf_put(&s->pending, b.data, b.len);
        buf_free(&b);
        kf_http_search_finish(s, "read error");
    } else if (clock_mono_ms() - s->last_progress >= KF_HTTP_PROGRESS_MS) {
        kf_http_search_progress(s);
    }
    kf_http_search_pump(s);
}

static void kf_http_sjob_done(uv_work_t *w, int status)
{
    struct kf_http_sjob   *j = w->data;
    struct kf_http_stream *s = j->s;

    kf_log_slice_release(j->slice.ref);
    s->busy = false;
    if (status < 0 && j->status == 0)
        j->status = status;
    if (s->c == NULL)
        kf_http_st_free(s); /* closed while the job ran */
    else if (!s->m->stopping && s->kind == KF_HTTP_TAIL)
        kf_http_tail_done(s, j);
    else if (!s->m->stopping)
        kf_http_search_done(s, j);
    buf_free(&j->out);
    free(j);
}

/* ---- the timer ---------------------------------------------------------- */

static void kf_http_streams_tick(uv_timer_t *t)
{
    struct kf_http_streams *m = t->data;
    struct kf_http_stream  *s, *next;
    bool                    ping = ++m->ticks % KF_HTTP_STREAM_PING == 0;

    for (s = m->list; s != NULL; s = next) {
        next = s->next; /* s stays: frees happen in close callbacks */
        if (s->c == NULL)
            continue;
        if (ping)
            kf_http_sse_ping(s->c);
        if (s->kind == KF_HTTP_TAIL)
            kf_http_tail_pump(s);
        else
            kf_http_search_pump(s);
    }
}

static int kf_http_streams_start(kf_http_t *h)
{
    struct kf_http_streams *m = xcalloc(1, sizeof *m);

    m->h = h;
    uv_timer_init(h->b->loop, &m->timer);
    m->timer.data = m;
    h->mod[KF_HTTP_MOD_STREAM] = m;
    return 0;
}

static void kf_http_streams_timer_closed(uv_handle_t *t)
{
    struct kf_http_streams *m = t->data;

    m->timer_closed = true;
    kf_http_streams_maybe_free(m); /* else: when the last stream goes */
}

static void kf_http_streams_stop(kf_http_t *h)
{
    struct kf_http_streams *m = kf_http_streams_of(h);

    if (m == NULL)
        return;
    m->stopping = true;
    kf_http_hold(h); /* released when m is freed */
    uv_close((uv_handle_t *)&m->timer, kf_http_streams_timer_closed);
}

static void kf_http_streams_metrics(kf_http_t *h, buf_t *o)
{
    struct kf_http_streams *m = kf_http_streams_of(h);

    if (m == NULL)
        return;
    buf_printf(
        o,
        "# HELP odradek_http_streams Open live tail and search streams.\n"
        "# TYPE odradek_http_streams gauge\n"
        "odradek_http_streams %d\n"
        "# HELP odradek_http_streams_opened_total Streams opened, by kind.\n"
        "# TYPE odradek_http_streams_opened_total counter\n"
        "odradek_http_streams_opened_total{kind=\"tail\"} %" PRIu64 "\n"
        "odradek_http_streams_opened_total{kind=\"search\"} %" PRIu64 "\n"
        "# HELP odradek_http_streams_refused_total Streams refused (503: too "
        "many).\n"
        "# TYPE odradek_http_streams_refused_total counter\n"
        "odradek_http_streams_refused_total %" PRIu64 "\n"
        "# HELP odradek_http_tail_sent_total Records sent by live tails.\n"
        "# TYPE odradek_http_tail_sent_total counter\n"
        "odradek_http_tail_sent_total %" PRIu64 "\n"
        "# HELP odradek_http_tail_dropped_total Offsets a slow tail reader "
        "skipped.\n"
        "# TYPE odradek_http_tail_dropped_total counter\n"
        "odradek_http_tail_dropped_total %" PRIu64 "\n"
        "# HELP odradek_http_search_scanned_records_total Records searches "
        "examined.\n"
        "# TYPE odradek_http_search_scanned_records_total counter\n"
        "odradek_http_search_scanned_records_total %" PRIu64 "\n"
        "# HELP odradek_http_search_scanned_bytes_total Log bytes searches "
        "read.\n"
        "# TYPE odradek_http_search_scanned_bytes_total counter\n"
        "odradek_http_search_scanned_bytes_total %" PRIu64 "\n",
        m->n, m->opened[KF_HTTP_TAIL], m->opened[KF_HTTP_SEARCH], m->refused,
        m->sent, m->dropped, m->scanned_records, m->scanned_bytes);
}

/* ---- handlers ----------------------------------------------------------- */

/* A new stream on topic x->arg[0] (404 / 503 answered here: NULL). */
static struct kf_http_stream *kf_http_st_new(struct kf_http_ctx *x,
                                             enum kf_http_skind  kind,
                                             struct kf_topic   **tp)
{
    struct kf_http_streams *m = kf_http_streams_of(x->h);
    struct kf_http_stream  *s;
    struct kf_topic        *t;
    int64_t                 maxv = 4096;

    if (slice_eq(x->req->method,
                 "HEAD")) { /* a stream has no head of its own */
        kf_http_error(x, 405, "streams answer GET only");
        return NULL;
    }
    if ((t = kf_topics_get(x->h->b->topics, x->arg[0], strlen(x->arg[0]))) ==
        NULL) {
        kf_http_error(x, 404, "no such topic");
        return NULL;
    }
    if (kf_http_query_int(x, "max_value", 0, 65536, &maxv) < 0) {
        kf_http_error(x, 400, "max_value must be in 0..65536");
        return NULL;
    }
    if (m == NULL || m->stopping || m->n >= KF_HTTP_STREAM_MAX) {
        if (m != NULL)
            m->refused++;
        kf_http_error(x, 503,
                      "too many open streams (16): close a tail or search");
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->m = m;
    s->kind = kind;
    s->topic = xstrdup(x->arg[0]);
    s->max_value = (size_t)maxv;
    s->parts = xcalloc((size_t)(t->npart > 0 ? t->npart : 1), sizeof *s->parts);
    atomic_init(&s->cancel, false);
    *tp = t;
    return s;
}

/* Links s in and begins the SSE answer. */
static void kf_http_st_begin(struct kf_http_ctx *x, struct kf_http_stream *s)
{
    struct kf_http_streams *m = s->m;

    s->next = m->list;
    if (m->list)
        m->list->prev = s;
    m->list = s;
    m->n++;
    m->opened[s->kind]++;
    s->c = x->c;
    kf_http_sse_begin(x, kf_http_st_on_close, s);
    if (!m->timer_on) {
        uv_timer_start(&m->timer, kf_http_streams_tick, KF_HTTP_STREAM_TICK_MS,
                       KF_HTTP_STREAM_TICK_MS);
        m->timer_on = true;
    }
}

static void kf_http_st_discard(struct kf_http_stream *s)
{
    kf_http_stream_filter_free(s->filter);
    free(s->parts);
    free(s->topic);
    free(s);
}

/* partition= (one) or every partition, each from `from`, or the list in
 * token (positions= / resume=).  0, or answers 400 and returns < 0. */
static int kf_http_st_parts(struct kf_http_ctx *x, struct kf_http_stream *s,
                            const struct kf_topic *t, const char *from,
                            const char *tokname, bool with_end)
{
    char    tok[KF_HTTP_TOKEN_MAX];
    int64_t part = -1;
    int     rc, i;

    rc = http_query_get(x->req->query, tokname, tok, sizeof tok);
    if (rc > 0) {
        if (kf_http_st_token(s, t, tok, with_end) < 0 || s->nparts == 0) {
            kf_http_error(x, 400,
                          with_end ? "bad resume token"
                                   : "bad positions (partition:offset,...)");
            return ERR_MALFORMED;
        }
        return 0;
    }
    if (rc != ERR_NOTFOUND && rc != 0) {
        kf_http_error(x, 400, "bad or too long positions / resume token");
        return ERR_MALFORMED;
    }
    if (kf_http_query_int(x, "partition", 0, t->npart - 1, &part) < 0) {
        kf_http_error(x, 400, "no such partition");
        return ERR_MALFORMED;
    }
    for (i = 0; i < t->npart; i++) {
        kf_log_t *l = t->logs[i];

        if ((part >= 0 && i != part) || l == NULL)
            continue;
        s->parts[s->nparts].partition = i;
        s->parts[s->nparts].end = kf_log_hw(l);
        if (kf_http_st_from(l, from, &s->parts[s->nparts].pos) < 0) {
            kf_http_error(x, 400,
                          "from must be end, earliest, latest-N, "
                          "timestamp:MS or offset:N");
            return ERR_MALFORMED;
        }
        s->nparts++;
    }
    s->all_parts = part < 0;
    return 0;
}

static void kf_http_tail(struct kf_http_ctx *x)
{
    struct kf_http_stream *s;
    struct kf_topic       *t;
    char                   from[64] = "end";
    buf_t                  b = BUF_INIT;

    if ((s = kf_http_st_new(x, KF_HTTP_TAIL, &t)) == NULL)
        return;
    if (http_query_get(x->req->query, "from", from, sizeof from) ==
        ERR_MALFORMED) {
        kf_http_error(x, 400, "bad from");
        kf_http_st_discard(s);
        return;
    }
    if (kf_http_st_parts(x, s, t, from, "positions", false) < 0) {
        kf_http_st_discard(s);
        return;
    }
    kf_http_st_begin(x, s);
    buf_puts(&b, "{\"topic\":");
    kf_http_json_str(&b, s->topic);
    buf_puts(&b, ",\"partitions\":");
    kf_http_st_positions(&b, s, false);
    buf_puts(&b, "}");
    kf_http_st_event(s, "start", &b);
    kf_http_tail_pump(s); /* a from= in the past starts at once */
}

static const struct {
    const char              *name;
    enum kf_http_filter_mode mode;
} kf_http_search_modes[] = {
    {"substring", KF_HTTP_FILTER_SUBSTRING},
    {"regex", KF_HTTP_FILTER_REGEX},
    {"filter", KF_HTTP_FILTER_EXPR},
};

static const struct {
    const char *name;
    int         bit;
} kf_http_search_in[] = {
    {"key", KF_HTTP_FILTER_IN_KEY},
    {"value", KF_HTTP_FILTER_IN_VALUE},
    {"headers", KF_HTTP_FILTER_IN_HEADERS},
};

/* mode= and in= into s->filter from q.  0 or answered 400. */
static int kf_http_search_filter(struct kf_http_ctx    *x,
                                 struct kf_http_stream *s, const char *q,
                                 size_t qn)
{
    char   mode[16] = "substring", in[64], err[256], *save = NULL, *w;
    int    rc, bits = 0;
    size_t i;
    bool   found = false;

    rc = http_query_get(x->req->query, "mode", mode, sizeof mode);
    for (i = 0; rc != ERR_MALFORMED && i < sizeof kf_http_search_modes /
                                               sizeof kf_http_search_modes[0];
         i++)
        if (strcmp(mode, kf_http_search_modes[i].name) == 0) {
            found = true;
            break;
        }
    if (!found) {
        kf_http_error(x, 400, "mode must be substring, regex or filter");
        return ERR_MALFORMED;
    }
    rc = http_query_get(x->req->query, "in", in, sizeof in);
    if (rc > 0) {
        for (w = strtok_r(in, ",", &save); w != NULL;
             w = strtok_r(NULL, ",", &save)) {
            size_t k;
            bool   ok = false;

            for (k = 0;
                 k < sizeof kf_http_search_in / sizeof kf_http_search_in[0];
                 k++)
                if (strcmp(w, kf_http_search_in[k].name) == 0) {
                    bits |= kf_http_search_in[k].bit;
                    ok = true;
                }
            if (!ok)
                rc = ERR_MALFORMED;
        }
    }
    if (rc < 0 && rc != ERR_NOTFOUND) {
        kf_http_error(x, 400, "in must list key, value, headers");
        return ERR_MALFORMED;
    }
    if (kf_http_stream_filter_parse(q, qn, kf_http_search_modes[i].mode, bits,
                                    &s->filter, err, sizeof err) < 0) {
        kf_http_error(x, 400, err);
        return ERR_MALFORMED;
    }
    return 0;
}

static void kf_http_search(struct kf_http_ctx *x)
{
    struct kf_http_stream *s;
    struct kf_topic       *t;
    char                   from[64] = "earliest";
    char                  *q;
    int64_t limit = 100, max_records = 1000000, max_bytes = 256 << 20,
            max_ms = 10000;
    int      rc, i;
    uint64_t total = 0;
    buf_t    b = BUF_INIT;

    if ((s = kf_http_st_new(x, KF_HTTP_SEARCH, &t)) == NULL)
        return;
    q = xmalloc(KF_HTTP_FILTER_MAX_QUERY + 1);
    rc = http_query_get(x->req->query, "q", q, KF_HTTP_FILTER_MAX_QUERY + 1);
    if (rc < 0) {
        kf_http_error(x, 400,
                      rc == ERR_NOTFOUND
                          ? "q (the search) is required"
                          : "q is too long (4096 bytes at most)");
    } else if (kf_http_query_int(x, "limit", 1, 1000, &limit) < 0 ||
               kf_http_query_int(x, "max_records", 1, 100000000, &max_records) <
                   0 ||
               kf_http_query_int(x, "max_bytes", 1, (int64_t)16 << 30,
                                 &max_bytes) < 0 ||
               kf_http_query_int(x, "max_ms", 1, 120000, &max_ms) < 0) {
        kf_http_error(x, 400,
                      "limit must be in 1..1000, max_records in 1..1e8, "
                      "max_bytes in 1..16 GiB, max_ms in 1..120000");
        rc = ERR_MALFORMED;
    } else if (http_query_get(x->req->query, "from", from, sizeof from) ==
               ERR_MALFORMED) {
        kf_http_error(x, 400, "bad from");
        rc = ERR_MALFORMED;
    } else if ((rc = kf_http_search_filter(x, s, q, (size_t)rc)) == 0) {
        rc = kf_http_st_parts(x, s, t, from, "resume", true);
    }
    free(q);
    if (rc < 0) {
        kf_http_st_discard(s);
        return;
    }
    s->limit = (uint64_t)limit;
    s->max_records = (uint64_t)max_records;
    s->max_bytes = (uint64_t)max_bytes;
    s->max_ms = max_ms;
    s->t0 = s->last_progress = clock_mono_ms();
    kf_http_st_begin(x, s);
    for (i = 0; i < s->nparts; i++)
        if (s->parts[i].end > s->parts[i].pos)
            total += (uint64_t)(s->parts[i].end - s->parts[i].pos);
    buf_puts(&b, "{\"topic\":");
    kf_http_json_str(&b, s->topic);
    buf_printf(&b, ",\"records\":%" PRIu64 ",\"partitions\":", total);
    kf_http_st_positions(&b, s, true);
    buf_puts(&b, "}");
    kf_http_st_event(s, "start", &b);
    kf_http_search_pump(s);
}

static const struct kf_http_route kf_http_stream_routes[] = {
    {"GET", "/api/v1/topics/{}/tail", KF_HTTP_READ, kf_http_tail},
    {"GET", "/api/v1/topics/{}/search", KF_HTTP_READ, kf_http_search},
    {NULL, NULL, 0, NULL},
};

const struct kf_http_module kf_http_mod_stream = {
    "stream",
    kf_http_stream_routes,
    kf_http_streams_start,
    kf_http_streams_stop,
    kf_http_streams_metrics,
};
