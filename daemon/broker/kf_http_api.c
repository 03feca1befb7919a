/* kf_http_api: the cluster and topic views of the JSON API (docs/API.md):
 * GET /api/v1/cluster, /api/v1/topics (filter, pagination),
 * /api/v1/topics/{t} (configs, partitions, segments).  Everything is read
 * from the broker's memory; lists are paginated. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kf_http_int.h"
#include "kf_zk.h"

#define KF_HTTP_PAGE_MAX 1000
#define KF_HTTP_SEGS_MAX 1000 /* segments listed per partition */

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

static const char *kf_http_bool(bool v)
{
    return v ? "true" : "false";
}

/* GET /api/v1/cluster: identity, the broker, totals, and what the UI may
 * offer (auth mode, write switches), so pages hide what would be refused. */
static void kf_http_cluster(struct kf_http_ctx *x)
{
    struct kf_broker       *b = x->h->b;
    const struct kf_config *kc = b->kc;
    struct kf_topic       **ts;
    int                     n, i;
    int64_t                 parts = 0, msgs = 0, bytes = 0, m, by;
    int32_t                 ctrl = kf_zk_controller(b);
    buf_t                   o = BUF_INIT;

    ts = kf_topics_list(b->topics, &n);
    for (i = 0; i < n; i++) {
        parts += ts[i]->npart;
        kf_http_topic_totals(ts[i], &m, &by);
        msgs += m;
        bytes += by;
    }
    free(ts);
    buf_puts(&o, "{\"cluster_id\":");
    kf_http_json_str(&o, b->cluster_id);
    buf_printf(&o, ",\"version\":\"%s\",\"controller_id\":%d,\"brokers\":[{\"id\":%d,"
                   "\"host\":",
               ODRADEK_VERSION, ctrl >= 0 ? ctrl : kc->broker_id, kc->broker_id);
    kf_http_json_str(&o, kc->adv_host);
    buf_printf(&o, ",\"port\":%d,\"rack\":", kc->adv_port);
    if (kc->broker_rack != NULL)
        kf_http_json_str(&o, kc->broker_rack);
    else
        buf_puts(&o, "null");
    buf_printf(&o, "}],\"topics\":%d,\"partitions\":%" PRId64 ",\"messages\":%" PRId64
                   ",\"bytes\":%" PRId64 ",\"requests\":%" PRIu64
                   ",\"connections\":%u,\"uptime_ms\":%" PRId64 ",\"zookeeper\":{"
                   "\"connect\":",
               n, parts, msgs, bytes, b->requests, b->listener.nconns,
               clock_mono_ms() - x->h->started_ms);
    kf_http_json_str(&o, kc->zookeeper_connect ? kc->zookeeper_connect : "");
    buf_printf(&o, ",\"connected\":%s},\"ui\":{\"auth\":", kf_http_bool(kf_zk_connected(b)));
    kf_http_json_str(&o, kc->http_auth);
    buf_printf(&o, ",\"user\":");
    kf_http_json_str(&o, x->user ? x->user : "");
    buf_printf(&o, ",\"read_only\":%s,\"allow_produce\":%s,\"allow_delete\":%s,"
                   "\"allow_offset_reset\":%s,\"allow_export\":%s,"
                   "\"delete_topic_enable\":%s}}\n",
               kf_http_bool(kc->http_read_only),
               kf_http_bool(!kc->http_read_only && kc->http_allow_produce),
               kf_http_bool(!kc->http_read_only && kc->http_allow_delete),
               kf_http_bool(!kc->http_read_only && kc->http_allow_offset_reset),
               kf_http_bool(kc->http_allow_export), kf_http_bool(kc->delete_topic_enable));
    kf_http_json(x, 200, &o);
}

/* GET /api/v1/topics?offset=&limit=&filter=&internal= : name-sorted. */
static void kf_http_topics(struct kf_http_ctx *x)
{
    struct kf_topic **ts;
    int               n, i, shown = 0, matched = 0;
    int64_t           off = 0, limit = 100, internal = 1;
    char              filter[256] = "";
    buf_t             o = BUF_INIT;

    if (kf_http_query_int(x, "offset", 0, INT32_MAX, &off) < 0 ||
        kf_http_query_int(x, "limit", 1, KF_HTTP_PAGE_MAX, &limit) < 0 ||
        kf_http_query_int(x, "internal", 0, 1, &internal) < 0) {
        kf_http_error(x, 400, "offset must be >= 0, limit in 1..1000, internal 0 or 1");
        return;
    }
    (void)http_query_get(x->req->query, "filter", filter, sizeof filter);
    ts = kf_topics_list(x->h->b->topics, &n);
    buf_puts(&o, "{\"topics\":[");
    for (i = 0; i < n; i++) {
        int64_t msgs, bytes;

        if ((filter[0] && strstr(ts[i]->name, filter) == NULL) ||
            (!internal && ts[i]->internal))
            continue;
        if (matched++ < off || shown >= limit)
            continue;
        kf_http_topic_totals(ts[i], &msgs, &bytes);
        buf_puts(&o, shown++ ? ",{\"name\":" : "{\"name\":");
        kf_http_json_str(&o, ts[i]->name);
        buf_printf(&o, ",\"partitions\":%d,\"internal\":%s,\"messages\":%" PRId64
                       ",\"bytes\":%" PRId64 "}",
                   ts[i]->npart, kf_http_bool(ts[i]->internal), msgs, bytes);
    }
    buf_printf(&o, "],\"total\":%d,\"offset\":%" PRId64 ",\"limit\":%" PRId64 "}\n",
               matched, off, limit);
    free(ts);
    kf_http_json(x, 200, &o);
}

/* GET /api/v1/topics/{t}: configs (overrides), partitions with offsets,
 * sizes and segments. */
static void kf_http_topic(struct kf_http_ctx *x)
{
    const char            *name = x->arg[0];
    struct kf_topic       *t = kf_topics_get(x->h->b->topics, name, strlen(name));
    struct kf_log_seg_info *seg;
    buf_t                  o = BUF_INIT;
    int32_t                p;
    int                    ns, i;
    int64_t                msgs, bytes;

    if (t == NULL) {
        kf_http_error(x, 404, "no such topic");
        return;
    }
    kf_http_topic_totals(t, &msgs, &bytes);
    buf_puts(&o, "{\"name\":");
    kf_http_json_str(&o, t->name);
    buf_printf(&o, ",\"internal\":%s,\"messages\":%" PRId64 ",\"bytes\":%" PRId64
                   ",\"configs\":{",
               kf_http_bool(t->internal), msgs, bytes);
    for (i = 0; i < t->nconfs; i++) {
        if (i)
            buf_put_u8(&o, ',');
        kf_http_json_str(&o, t->confs[i].key);
        buf_put_u8(&o, ':');
        kf_http_json_str(&o, t->confs[i].value);
    }
    buf_puts(&o, "},\"partitions\":[");
    seg = malloc(KF_HTTP_SEGS_MAX * sizeof *seg);
    for (p = 0; p < t->npart; p++) {
        kf_log_t *l = t->logs[p];

        if (p)
            buf_put_u8(&o, ',');
        if (l == NULL) {
            buf_printf(&o, "{\"partition\":%d,\"leader\":-1}", p);
            continue;
        }
        buf_printf(&o, "{\"partition\":%d,\"leader\":%d,\"leader_epoch\":%d,"
                       "\"log_start_offset\":%" PRId64 ",\"high_watermark\":%" PRId64
                       ",\"size\":%" PRId64 ",\"segments\":[",
                   p, x->h->b->kc->broker_id, kf_log_leader_epoch(l), kf_log_start(l),
                   kf_log_hw(l), kf_log_size(l));
        ns = seg != NULL ? kf_log_segments(l, seg, KF_HTTP_SEGS_MAX) : 0;
        for (i = 0; i < ns && i < KF_HTTP_SEGS_MAX; i++)
            buf_printf(&o, "%s{\"base_offset\":%" PRId64 ",\"next_offset\":%" PRId64
                           ",\"size\":%" PRId64 ",\"created_ms\":%" PRId64
                           ",\"max_timestamp\":%" PRId64 ",\"active\":%s}",
                       i ? "," : "", seg[i].base_offset, seg[i].next_offset,
                       seg[i].size, seg[i].created_ms, seg[i].max_timestamp,
                       kf_http_bool(seg[i].active));
        buf_printf(&o, "],\"segment_count\":%d}", ns);
    }
    free(seg);
    buf_puts(&o, "]}\n");
    kf_http_json(x, 200, &o);
}

static const struct kf_http_route kf_http_api_routes[] = {
    { "GET", "/api/v1/cluster", KF_HTTP_READ, kf_http_cluster },
    { "GET", "/api/v1/topics", KF_HTTP_READ, kf_http_topics },
    { "GET", "/api/v1/topics/{}", KF_HTTP_READ, kf_http_topic },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_api = { "api", kf_http_api_routes, NULL, NULL,
                                                NULL };
