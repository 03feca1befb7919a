/* kf_http_hist: in-memory history (throughput, lag) for the UI charts.
 * (Module of kf_http: see kf_http_int.h.)
 *
 * A timer samples, every interval (1 s, or more for long histories: see
 * below), per topic the counters bytes in, messages in and bytes out
 * (kf_log_traffic summed over the topic's partitions) and per consumer
 * group the total lag (kf_http_group_lags), into ring buffers that hold
 * http.history.seconds of samples.
 *
 * GET /api/v1/history/series
 *   -> {"interval_ms", "seconds", "capacity", "max_topics", "max_groups",
 *       "untracked_topics", "untracked_groups",
 *       "series": [{"id", "kind", "metric", "name", "unit", "last",
 *                   "total"}]}         ("last": the latest rate or lag)
 * GET /api/v1/history?series=ID[,ID...][&series=ID][&seconds=S]
 *   -> {"interval_ms", "now_ms", "series": [{"id", "unit", "total",
 *       "points": [[t_ms, v], ...]}], "unknown": [ids not tracked]}
 * IDs: topic:bytes_in:<t>, topic:messages_in:<t>, topic:bytes_out:<t>
 * (rates per second, computed from consecutive counter samples; a counter
 * that went backwards (log reopened) counts from 0), the same three for
 * broker:<metric>:<broker.id> (every topic, tracked or not),
 * group:lag:<g> (the total lag in messages).  Each ID is percent-encoded on its own, so a
 * ',' inside a group name is %2C; at most KF_HTTP_HIST_QUERY_MAX IDs.
 *
 * Bounds: at most KF_HTTP_HIST_MAX_TOPICS topic series and
 * KF_HTTP_HIST_MAX_GROUPS group series; beyond them new topics/groups are
 * not tracked (counted as untracked) until a tracked one goes away (a
 * series whose topic or group is gone at a sample is dropped).  At most
 * KF_HTTP_HIST_MAX_POINTS points per series: a history longer than that
 * many seconds is sampled every ceil(seconds / KF_HTTP_HIST_MAX_POINTS)
 * seconds.  Memory: points x 32 bytes per topic, points x 8 per group,
 * 23 MiB at most.  History starts when the broker starts; nothing is
 * written to disk.  Sampling reads in-memory counters only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "kf_config.h"
#include "kf_http_int.h"
#include "kf_log.h"
#include "kf_topics.h"
#include "xalloc.h"

#define KF_HTTP_HIST_MAX_TOPICS 200
#define KF_HTTP_HIST_MAX_GROUPS 200
#define KF_HTTP_HIST_MAX_POINTS 3600
#define KF_HTTP_HIST_QUERY_MAX  64
#define KF_HTTP_HIST_NAME_MAX   256

enum kf_http_hist_kind { KF_HTTP_HIST_TOPIC, KF_HTTP_HIST_GROUP, KF_HTTP_HIST_BROKER };

/* What a series ID names: kind, metric column, unit, rate or level. */
static const struct kf_http_hist_metric {
    const char            *kind_name, *metric, *unit;
    enum kf_http_hist_kind kind;
    int                    col;  /* value column of the series */
    bool                   rate; /* per second from a counter */
} kf_http_hist_metrics[] = {
    { "topic", "bytes_in", "bytes/s", KF_HTTP_HIST_TOPIC, 0, true },
    { "topic", "messages_in", "messages/s", KF_HTTP_HIST_TOPIC, 1, true },
    { "topic", "bytes_out", "bytes/s", KF_HTTP_HIST_TOPIC, 2, true },
    { "group", "lag", "messages", KF_HTTP_HIST_GROUP, 0, false },
    { "broker", "bytes_in", "bytes/s", KF_HTTP_HIST_BROKER, 0, true },
    { "broker", "messages_in", "messages/s", KF_HTTP_HIST_BROKER, 1, true },
    { "broker", "bytes_out", "bytes/s", KF_HTTP_HIST_BROKER, 2, true },
};
#define KF_HTTP_HIST_NMETRICS \
    (sizeof kf_http_hist_metrics / sizeof kf_http_hist_metrics[0])

static const int kf_http_hist_cols[] = { [KF_HTTP_HIST_TOPIC] = 3,
                                         [KF_HTTP_HIST_GROUP] = 1,
                                         [KF_HTTP_HIST_BROKER] = 3 };

struct kf_http_hist_series {
    enum kf_http_hist_kind kind;
    char                  *name;
    uint64_t               born; /* first sample number it has */
    bool                   from_zero; /* counters were 0 just before born
                                         (a new topic, or the broker's start) */
    bool                   seen; /* at the current sample */
    int64_t               *v;    /* cap x cols values, ring by sample number */
};

/* The module's state (h->mod[KF_HTTP_MOD_HIST]). */
struct kf_http_hist {
    kf_http_t                  *h;
    uv_timer_t                  timer; /* timer.data == this */
    int                         cap;   /* points per series */
    int64_t                     interval_ms;
    uint64_t                    samples; /* taken so far; the next is #samples */
    int64_t                    *ts;      /* cap wall-clock times, same ring */
    struct kf_http_hist_series *s[KF_HTTP_HIST_MAX_TOPICS + KF_HTTP_HIST_MAX_GROUPS + 1];
    int                         ns, ntopics, ngroups;
    int                         untracked_topics, untracked_groups;
    int                         prev_untracked_topics; /* at the sample before */
    /* the broker's series: every topic, tracked or not.  Accumulated
     * from the sum's growth, so that a deleted topic (its counters leave
     * the sum) does not make it go backwards. */
    struct kf_http_hist_series *broker;
    int64_t                     bsum[3], bacc[3];
};

/* ---- sampling ----------------------------------------------------------- */

static struct kf_http_hist_series *kf_http_hist_find(struct kf_http_hist *hi,
                                                     enum kf_http_hist_kind kind,
                                                     const char *name)
{
    int i;

    for (i = 0; i < hi->ns; i++)
        if (hi->s[i]->kind == kind && strcmp(hi->s[i]->name, name) == 0)
            return hi->s[i];
    return NULL;
}

/* The series of (kind, name), created if there is room; NULL otherwise. */
static struct kf_http_hist_series *kf_http_hist_get(struct kf_http_hist *hi,
                                                    enum kf_http_hist_kind kind,
                                                    const char *name)
{
    struct kf_http_hist_series *s = kf_http_hist_find(hi, kind, name);
    int                        *n = kind == KF_HTTP_HIST_TOPIC ? &hi->ntopics : &hi->ngroups;
    int max = kind == KF_HTTP_HIST_TOPIC ? KF_HTTP_HIST_MAX_TOPICS : KF_HTTP_HIST_MAX_GROUPS;

    if (s != NULL || strlen(name) >= KF_HTTP_HIST_NAME_MAX)
        return s;
    if (*n >= max) {
        if (kind == KF_HTTP_HIST_TOPIC)
            hi->untracked_topics++;
        else
            hi->untracked_groups++;
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->kind = kind;
    s->name = xstrdup(name);
    s->born = hi->samples;
    /* a topic tracked from its first sample (not one that waited for a
     * free slot) has counted from 0: its first rate is v / interval */
    s->from_zero = hi->prev_untracked_topics == 0;
    s->v = xcalloc((size_t)hi->cap * (size_t)kf_http_hist_cols[kind], sizeof *s->v);
    hi->s[hi->ns++] = s;
    (*n)++;
    return s;
}

static void kf_http_hist_put(struct kf_http_hist *hi, struct kf_http_hist_series *s,
                             const int64_t *vals)
{
    int cols = kf_http_hist_cols[s->kind];
    int at = (int)(hi->samples % (uint64_t)hi->cap);

    memcpy(&s->v[(size_t)at * (size_t)cols], vals, (size_t)cols * sizeof *vals);
    s->seen = true;
}

static void kf_http_hist_on_lag(void *arg, const char *group, int64_t lag, int partitions)
{
    struct kf_http_hist        *hi = arg;
    struct kf_http_hist_series *s;

    (void)partitions;
    if ((s = kf_http_hist_get(hi, KF_HTTP_HIST_GROUP, group)) != NULL)
        kf_http_hist_put(hi, s, &lag);
}

static void kf_http_hist_series_free(struct kf_http_hist_series *s)
{
    free(s->name);
    free(s->v);
    free(s);
}

static void kf_http_hist_sample(uv_timer_t *t)
{
    struct kf_http_hist *hi = t->data;
    struct kf_topic    **ts;
    int                  n, i, j;
    int32_t              p;
    int64_t              sum[3];

    for (i = 0; i < hi->ns; i++)
        hi->s[i]->seen = false;
    hi->prev_untracked_topics = hi->untracked_topics;
    hi->untracked_topics = hi->untracked_groups = 0;
    ts = kf_topics_list(hi->h->b->topics, &n);
    for (i = 0; i < 3; i++)
        sum[i] = 0;
    for (i = 0; i < n; i++) {
        struct kf_http_hist_series *s = kf_http_hist_get(hi, KF_HTTP_HIST_TOPIC, ts[i]->name);
        int64_t                     v[3] = { 0, 0, 0 };

        for (p = 0; p < ts[i]->npart; p++) {
            uint64_t in, msgs, out;

            if (ts[i]->logs[p] == NULL)
                continue;
            kf_log_traffic(ts[i]->logs[p], &in, &msgs, &out);
            v[0] += (int64_t)in;
            v[1] += (int64_t)msgs;
            v[2] += (int64_t)out;
        }
        for (j = 0; j < 3; j++)
            sum[j] += v[j];
        if (s != NULL)
            kf_http_hist_put(hi, s, v);
    }
    free(ts);
    for (j = 0; j < 3; j++) {
        if (sum[j] > hi->bsum[j])
            hi->bacc[j] += sum[j] - hi->bsum[j];
        hi->bsum[j] = sum[j];
    }
    kf_http_hist_put(hi, hi->broker, hi->bacc);
    kf_http_group_lags(hi->h, kf_http_hist_on_lag, hi);
    /* what is gone (deleted topic, removed group) frees its slot */
    for (i = j = 0; i < hi->ns; i++) {
        if (hi->s[i]->seen) {
            hi->s[j++] = hi->s[i];
            continue;
        }
        if (hi->s[i]->kind == KF_HTTP_HIST_TOPIC)
            hi->ntopics--;
        else
            hi->ngroups--; /* the broker's series is seen at every sample */
        kf_http_hist_series_free(hi->s[i]);
    }
    hi->ns = j;
    hi->ts[hi->samples % (uint64_t)hi->cap] = clock_wall_ms();
    hi->samples++;
}

/* ---- reading ------------------------------------------------------------ */

/* Sample numbers [*first, hi->samples) that s has, within the last
 * `seconds` (0 = all). */
static uint64_t kf_http_hist_first(const struct kf_http_hist *hi,
                                   const struct kf_http_hist_series *s, int64_t seconds)
{
    uint64_t first = s->born;

    if (hi->samples > (uint64_t)hi->cap && first < hi->samples - (uint64_t)hi->cap)
        first = hi->samples - (uint64_t)hi->cap;
    if (seconds > 0) {
        uint64_t k = (uint64_t)((seconds * 1000 + hi->interval_ms - 1) / hi->interval_ms) + 1;

        if (hi->samples > k && first < hi->samples - k)
            first = hi->samples - k;
    }
    return first;
}

/* The first sample number metric m of s has a point for. */
static uint64_t kf_http_hist_start_at(const struct kf_http_hist *hi,
                                      const struct kf_http_hist_series *s,
                                      const struct kf_http_hist_metric *m, int64_t seconds)
{
    uint64_t first = kf_http_hist_first(hi, s, seconds);

    return m->rate && !(first == s->born && s->from_zero) ? first + 1 : first;
}

static int64_t kf_http_hist_val(const struct kf_http_hist *hi,
                                const struct kf_http_hist_series *s, uint64_t k, int col)
{
    return s->v[(size_t)(k % (uint64_t)hi->cap) * (size_t)kf_http_hist_cols[s->kind] +
                (size_t)col];
}

static int64_t kf_http_hist_ts(const struct kf_http_hist *hi, uint64_t k)
{
    return hi->ts[k % (uint64_t)hi->cap];
}

/* Is the time of the sample before k still kept? */
static bool kf_http_hist_has_before(const struct kf_http_hist *hi, uint64_t k)
{
    return k > 0 && hi->samples - (k - 1) <= (uint64_t)hi->cap;
}

/* The value of metric m at sample k (> first for a rate). */
static double kf_http_hist_point(const struct kf_http_hist *hi,
                                 const struct kf_http_hist_series *s,
                                 const struct kf_http_hist_metric *m, uint64_t k)
{
    int64_t v = kf_http_hist_val(hi, s, k, m->col), prev, dt;

    if (!m->rate)
        return (double)v;
    if (k == s->born) { /* from_zero: the counter was 0 at the sample before */
        dt = kf_http_hist_has_before(hi, k)
                 ? kf_http_hist_ts(hi, k) - kf_http_hist_ts(hi, k - 1)
                 : hi->interval_ms;
        return (double)v * 1000.0 / (double)(dt > 0 ? dt : hi->interval_ms);
    }
    prev = kf_http_hist_val(hi, s, k - 1, m->col);
    dt = kf_http_hist_ts(hi, k) - kf_http_hist_ts(hi, k - 1);
    if (dt <= 0)
        dt = hi->interval_ms;
    return (double)(v >= prev ? v - prev : v) * 1000.0 / (double)dt;
}

static void kf_http_hist_id(buf_t *o, const struct kf_http_hist_metric *m, const char *name)
{
    buf_t id = BUF_INIT;

    buf_printf(&id, "%s:%s:%s", m->kind_name, m->metric, name);
    buf_puts(o, "\"id\":");
    kf_http_json_strn(o, id.data, id.len);
    buf_free(&id);
}

static void kf_http_hist_list(struct kf_http_ctx *x)
{
    struct kf_http_hist *hi = x->h->mod[KF_HTTP_MOD_HIST];
    buf_t                o = BUF_INIT;
    int                  i, k = 0;
    size_t               mi;

    if (hi == NULL) {
        kf_http_error(x, 503, "history is not running");
        return;
    }
    buf_printf(&o, "{\"interval_ms\":%" PRId64 ",\"seconds\":%d,\"capacity\":%d,"
                   "\"samples\":%" PRIu64 ",\"max_topics\":%d,\"max_groups\":%d,"
                   "\"untracked_topics\":%d,\"untracked_groups\":%d,\"series\":[",
               hi->interval_ms, x->h->b->kc->http_history_seconds, hi->cap, hi->samples,
               KF_HTTP_HIST_MAX_TOPICS, KF_HTTP_HIST_MAX_GROUPS, hi->untracked_topics,
               hi->untracked_groups);
    for (i = 0; i < hi->ns; i++) {
        const struct kf_http_hist_series *s = hi->s[i];

        for (mi = 0; mi < KF_HTTP_HIST_NMETRICS; mi++) {
            const struct kf_http_hist_metric *m = &kf_http_hist_metrics[mi];
            uint64_t                          last = hi->samples - 1;

            if (m->kind != s->kind)
                continue;
            buf_puts(&o, k++ ? ",{" : "{");
            kf_http_hist_id(&o, m, s->name);
            buf_printf(&o, ",\"kind\":\"%s\",\"metric\":\"%s\",\"name\":", m->kind_name,
                       m->metric);
            kf_http_json_str(&o, s->name);
            buf_printf(&o, ",\"unit\":\"%s\",\"last\":", m->unit);
            if (hi->samples == 0 || last < kf_http_hist_start_at(hi, s, m, 0))
                buf_puts(&o, "null");
            else
                buf_printf(&o, "%.3f", kf_http_hist_point(hi, s, m, last));
            buf_printf(&o, ",\"total\":%" PRId64 "}",
                       hi->samples ? kf_http_hist_val(hi, s, last, m->col) : 0);
        }
    }
    buf_puts(&o, "]}\n");
    kf_http_json(x, 200, &o);
}

/* One series of the answer (or its ID into *unknown). */
static void kf_http_hist_one(struct kf_http_hist *hi, const char *id, int64_t seconds,
                             buf_t *o, int *n, buf_t *unknown, int *nu)
{
    const struct kf_http_hist_metric *m = NULL;
    const struct kf_http_hist_series *s = NULL;
    size_t                            mi, kl, ml;
    uint64_t                          k;
    int                               np = 0;

    for (mi = 0; mi < KF_HTTP_HIST_NMETRICS; mi++) {
        kl = strlen(kf_http_hist_metrics[mi].kind_name);
        ml = strlen(kf_http_hist_metrics[mi].metric);
        if (strncmp(id, kf_http_hist_metrics[mi].kind_name, kl) == 0 && id[kl] == ':' &&
            strncmp(id + kl + 1, kf_http_hist_metrics[mi].metric, ml) == 0 &&
            id[kl + 1 + ml] == ':') {
            m = &kf_http_hist_metrics[mi];
            s = kf_http_hist_find(hi, m->kind, id + kl + ml + 2);
            break;
        }
    }
    if (s == NULL || hi->samples == 0) {
        buf_puts(unknown, (*nu)++ ? "," : "");
        kf_http_json_str(unknown, id);
        return;
    }
    buf_puts(o, (*n)++ ? ",{" : "{");
    kf_http_hist_id(o, m, s->name);
    buf_printf(o, ",\"unit\":\"%s\",\"total\":%" PRId64 ",\"points\":[", m->unit,
               kf_http_hist_val(hi, s, hi->samples - 1, m->col));
    k = kf_http_hist_start_at(hi, s, m, seconds);
    /* a rate counted from 0 starts with that 0 at the sample before */
    if (m->rate && k == s->born && kf_http_hist_has_before(hi, k)) {
        buf_printf(o, "[%" PRId64 ",0.000]", kf_http_hist_ts(hi, k - 1));
        np++;
    }
    for (; k < hi->samples; k++)
        buf_printf(o, "%s[%" PRId64 ",%.3f]", np++ ? "," : "", kf_http_hist_ts(hi, k),
                   kf_http_hist_point(hi, s, m, k));
    buf_puts(o, "]}");
}

static void kf_http_hist_get_series(struct kf_http_ctx *x)
{
    struct kf_http_hist *hi = x->h->mod[KF_HTTP_MOD_HIST];
    const uint8_t       *q = x->req->query.p, *end = q + x->req->query.n;
    buf_t                o = BUF_INIT, unknown = BUF_INIT;
    int64_t              seconds = 0;
    int                  n = 0, nu = 0, ids = 0;
    char                 id[KF_HTTP_HIST_NAME_MAX + 32];

    if (hi == NULL) {
        kf_http_error(x, 503, "history is not running");
        return;
    }
    if (kf_http_query_int(x, "seconds", 1, 86400, &seconds) < 0) {
        kf_http_error(x, 400, "seconds must be in 1..86400");
        return;
    }
    buf_printf(&o, "{\"interval_ms\":%" PRId64 ",\"now_ms\":%" PRId64 ",\"series\":[",
               hi->interval_ms, clock_wall_ms());
    /* every series=a,b parameter; each piece decoded on its own */
    while (q < end) {
        const uint8_t *amp = memchr(q, '&', (size_t)(end - q));
        const uint8_t *pe = amp ? amp : end;

        if (pe - q > 7 && memcmp(q, "series=", 7) == 0) {
            const uint8_t *v = q + 7;

            while (v < pe) {
                const uint8_t *comma = memchr(v, ',', (size_t)(pe - v));
                const uint8_t *ve = comma ? comma : pe;

                if (ve > v) {
                    if (++ids > KF_HTTP_HIST_QUERY_MAX ||
                        http_unescape((slice_t){ v, (int32_t)(ve - v) }, true, id,
                                      sizeof id) < 0) {
                        buf_free(&o);
                        buf_free(&unknown);
                        kf_http_error(x, 400, ids > KF_HTTP_HIST_QUERY_MAX
                                                  ? "at most 64 series per request"
                                                  : "bad series id");
                        return;
                    }
                    kf_http_hist_one(hi, id, seconds, &o, &n, &unknown, &nu);
                }
                v = comma ? comma + 1 : pe;
            }
        }
        q = amp ? amp + 1 : end;
    }
    if (ids == 0) {
        buf_free(&o);
        buf_free(&unknown);
        kf_http_error(x, 400, "series=ID[,ID...] is required (GET /api/v1/history/series "
                              "lists them)");
        return;
    }
    buf_puts(&o, "],\"unknown\":[");
    buf_put(&o, unknown.data, unknown.len);
    buf_puts(&o, "]}\n");
    buf_free(&unknown);
    kf_http_json(x, 200, &o);
}

/* ---- module ------------------------------------------------------------- */

static int kf_http_hist_start(kf_http_t *h)
{
    struct kf_http_hist *hi = xcalloc(1, sizeof *hi);
    int64_t              secs = h->b->kc->http_history_seconds;
    int64_t              step;

    if (secs < 10)
        secs = 10;
    step = (secs + KF_HTTP_HIST_MAX_POINTS - 1) / KF_HTTP_HIST_MAX_POINTS;
    hi->h = h;
    hi->interval_ms = step * 1000;
    /* one more point than the window: a rate needs two samples */
    hi->cap = (int)(secs / step) + 1;
    hi->ts = xcalloc((size_t)hi->cap, sizeof *hi->ts);
    {
        char id[16];

        snprintf(id, sizeof id, "%d", (int)h->b->kc->broker_id);
        hi->broker = xcalloc(1, sizeof *hi->broker);
        hi->broker->kind = KF_HTTP_HIST_BROKER;
        hi->broker->name = xstrdup(id);
        hi->broker->from_zero = true; /* the counters start with the broker */
        hi->broker->v = xcalloc((size_t)hi->cap * 3, sizeof *hi->broker->v);
        hi->s[hi->ns++] = hi->broker;
    }
    uv_timer_init(h->b->loop, &hi->timer);
    hi->timer.data = hi;
    uv_timer_start(&hi->timer, kf_http_hist_sample, 0, (uint64_t)hi->interval_ms);
    h->mod[KF_HTTP_MOD_HIST] = hi;
    return 0;
}

static void kf_http_hist_on_closed(uv_handle_t *t)
{
    struct kf_http_hist *hi = t->data;
    kf_http_t           *h = hi->h;
    int                  i;

    for (i = 0; i < hi->ns; i++)
        kf_http_hist_series_free(hi->s[i]);
    free(hi->ts);
    free(hi);
    kf_http_release(h);
}

static void kf_http_hist_stop(kf_http_t *h)
{
    struct kf_http_hist *hi = h->mod[KF_HTTP_MOD_HIST];

    if (hi == NULL)
        return;
    h->mod[KF_HTTP_MOD_HIST] = NULL;
    kf_http_hold(h);
    uv_timer_stop(&hi->timer);
    uv_close((uv_handle_t *)&hi->timer, kf_http_hist_on_closed);
}

static const struct kf_http_route kf_http_hist_routes[] = {
    { "GET", "/api/v1/history", KF_HTTP_READ, kf_http_hist_get_series },
    { "GET", "/api/v1/history/series", KF_HTTP_READ, kf_http_hist_list },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_hist = { "hist", kf_http_hist_routes,
                                                 kf_http_hist_start, kf_http_hist_stop,
                                                 NULL };
