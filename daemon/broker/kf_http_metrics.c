/* kf_http_metrics: GET /metrics in Prometheus text format (version 0.0.4):
 * the broker's requests and connections, per-partition offsets, sizes and
 * traffic, group-commit (fsync) latency, the coordination session, the
 * HTTP listener's own counters.  Built from memory on each scrape. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kf_http_int.h"
#include "kf_zk.h"

void kf_http_label(buf_t *o, const char *s)
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

static int64_t kf_http_m_bytes_in(const kf_log_t *l)
{
    uint64_t in, msgs, out;

    kf_log_traffic(l, &in, &msgs, &out);
    return (int64_t)in;
}

static int64_t kf_http_m_msgs_in(const kf_log_t *l)
{
    uint64_t in, msgs, out;

    kf_log_traffic(l, &in, &msgs, &out);
    return (int64_t)msgs;
}

static int64_t kf_http_m_bytes_out(const kf_log_t *l)
{
    uint64_t in, msgs, out;

    kf_log_traffic(l, &in, &msgs, &out);
    return (int64_t)out;
}

static const struct {
    const char *name, *type, *help;
    int64_t (*get)(const kf_log_t *l);
} kf_http_per_log[] = {
    { "odradek_log_start_offset", "gauge", "First offset of the partition's log.",
      kf_log_start },
    { "odradek_log_end_offset", "gauge", "Next offset to be written (high watermark).",
      kf_log_end },
    { "odradek_log_size_bytes", "gauge", "Bytes in the partition's segments.",
      kf_log_size },
    { "odradek_partition_bytes_in_total", "counter",
      "Record-batch bytes appended since the broker started.", kf_http_m_bytes_in },
    { "odradek_partition_messages_in_total", "counter",
      "Records appended since the broker started.", kf_http_m_msgs_in },
    { "odradek_partition_bytes_out_total", "counter",
      "Record bytes sent to Fetch since the broker started.", kf_http_m_bytes_out },
};

static void kf_http_metrics(struct kf_http_ctx *x)
{
    struct kf_broker         *b = x->h->b;
    struct kf_topic         **ts;
    struct kf_log_fsync_stats fs;
    int                       n, i, k;
    int32_t                   p;
    int64_t                   parts = 0;
    buf_t                     o = BUF_INIT;

    ts = kf_topics_list(b->topics, &n);
    for (i = 0; i < n; i++)
        parts += ts[i]->npart;
    buf_printf(&o, "# HELP odradek_broker_requests_total Kafka requests served.\n"
                   "# TYPE odradek_broker_requests_total counter\n"
                   "odradek_broker_requests_total %" PRIu64 "\n"
                   "# HELP odradek_broker_connections Open Kafka connections.\n"
                   "# TYPE odradek_broker_connections gauge\n"
                   "odradek_broker_connections %u\n"
                   "# HELP odradek_broker_topics Topics.\n"
                   "# TYPE odradek_broker_topics gauge\n"
                   "odradek_broker_topics %d\n"
                   "# HELP odradek_broker_partitions Partitions led by this broker.\n"
                   "# TYPE odradek_broker_partitions gauge\n"
                   "odradek_broker_partitions %" PRId64 "\n"
                   "# HELP odradek_coord_connected 1 while the coordination session is up.\n"
                   "# TYPE odradek_coord_connected gauge\n"
                   "odradek_coord_connected %d\n"
                   "# HELP odradek_http_requests_total HTTP requests served.\n"
                   "# TYPE odradek_http_requests_total counter\n"
                   "odradek_http_requests_total %" PRIu64 "\n"
                   "# HELP odradek_http_denied_total HTTP requests refused (401/403).\n"
                   "# TYPE odradek_http_denied_total counter\n"
                   "odradek_http_denied_total %" PRIu64 "\n",
               b->requests, b->listener.nconns, n, parts, kf_zk_connected(b) ? 1 : 0,
               x->h->requests, x->h->denied);
    kf_log_fsync_stats(&fs);
    buf_puts(&o, "# HELP odradek_fsync_seconds Group-commit (fdatasync) job latency.\n"
                 "# TYPE odradek_fsync_seconds histogram\n");
    for (k = 0; k < KF_LOG_FSYNC_BUCKETS; k++)
        buf_printf(&o, "odradek_fsync_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                   (double)kf_log_fsync_bounds_us[k] / 1e6, fs.le[k]);
    buf_printf(&o, "odradek_fsync_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
                   "odradek_fsync_seconds_sum %.6f\nodradek_fsync_seconds_count %" PRIu64
                   "\n",
               fs.count, (double)fs.sum_us / 1e6, fs.count);
    for (k = 0; k < (int)(sizeof kf_http_per_log / sizeof kf_http_per_log[0]); k++) {
        buf_printf(&o, "# HELP %s %s\n# TYPE %s %s\n", kf_http_per_log[k].name,
                   kf_http_per_log[k].help, kf_http_per_log[k].name,
                   kf_http_per_log[k].type);
        for (i = 0; i < n; i++)
            for (p = 0; p < ts[i]->npart; p++) {
                if (ts[i]->logs[p] == NULL)
                    continue;
                buf_printf(&o, "%s{topic=\"", kf_http_per_log[k].name);
                kf_http_label(&o, ts[i]->name);
                buf_printf(&o, "\",partition=\"%d\"} %" PRId64 "\n", p,
                           kf_http_per_log[k].get(ts[i]->logs[p]));
            }
    }
    free(ts);
    for (k = 0; k < KF_HTTP_NMODS; k++)
        if (kf_http_module_at(k)->metrics != NULL)
            kf_http_module_at(k)->metrics(x->h, &o);
    kf_http_reply(x, 200, "text/plain; version=0.0.4; charset=utf-8", &o, NULL);
}

static const struct kf_http_route kf_http_metrics_routes[] = {
    { "GET", "/metrics", KF_HTTP_READ, kf_http_metrics },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_metrics = { "metrics", kf_http_metrics_routes,
                                                    NULL, NULL, NULL };
