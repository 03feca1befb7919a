/* kf_group_api: the broker's consumer-group request handlers:
 * FindCoordinator 0-3, JoinGroup 0-7, SyncGroup 0-5, Heartbeat 0-4,
 * LeaveGroup 0-4, OffsetCommit 0-8, OffsetFetch 0-7, ListGroups 0-4,
 * DescribeGroups 0-5, DeleteGroups 0-2, OffsetDelete 0 (Apache Kafka
 * 2.8's ranges, every minimum 0 as librdkafka's feature checks need).
 *
 * It owns: decoding those request bodies (lib/kafka kmsg), calling the
 * coordinator (kf_group) and its storage (kf_gstore), encoding response
 * bodies, the one uv_timer that drives the coordinator's deadlines and
 * offsets.retention.check.interval.ms, and the adapter that puts
 * __consumer_offsets on kf_log.  It does not own: framing, request and
 * response headers, or the connection (the dispatcher's): a handler gets
 * the body reader positioned after the request header and delivers the
 * response body through reply(), now or later (JoinGroup and SyncGroup
 * wait for other members; OffsetCommit for the log).  The dispatcher keeps
 * a conn slot per request (conn_reserve) and fills it in reply(): see
 * /work/notes/requests-protocol.md for the exact lines. */
#ifndef ODRADEK_KF_GROUP_API_H
#define ODRADEK_KF_GROUP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "kf_group.h"
#include "kf_gstore.h"
#include "kf_log.h"
#include "rd.h"

struct kf_group_api_cfg {
    struct kf_group_cfg group;          /* group.* keys */
    int32_t             node_id;        /* FindCoordinator answer */
    const char         *host;           /* advertised host (copied) */
    int32_t             port;
    int32_t             offsets_partitions; /* offsets.topic.num.partitions */
    int64_t             retention_ms;   /* offsets.retention.minutes */
    int64_t             retention_check_ms; /* ...retention.check.interval.ms */
    int32_t             metadata_max_bytes; /* offset.metadata.max.bytes */
};

/* Kafka's defaults (50 partitions, 7 days, 10 minutes, 4096 bytes). */
void kf_group_api_cfg_defaults(struct kf_group_api_cfg *cfg);

typedef struct kf_group_api kf_group_api_t;

/* loop may be NULL (tests): then nothing runs on its own and the caller
 * drives kf_group_api_tick.  ops: where __consumer_offsets lives
 * (kf_group_api_log_ops for kf_log). */
kf_group_api_t *kf_group_api_new(const struct kf_group_api_cfg *cfg,
                                 uv_loop_t *loop,
                                 const struct kf_gstore_ops *ops);
/* Loads groups and offsets from __consumer_offsets; call once before
 * serving.  Returns 0 or < 0 from the log. */
int kf_group_api_load(kf_group_api_t *ga);
/* Answers every waiting request with NOT_COORDINATOR, stops the timer and
 * frees ga once libuv released it; done(arg) then runs (at once when the
 * loop is NULL). */
void kf_group_api_close(kf_group_api_t *ga, void (*done)(void *arg),
                        void *arg);

/* The coordinator (UI, metrics). */
kf_group_coord_t *kf_group_api_coord(kf_group_api_t *ga);

/* An administrative commit (the UI's offset reset; Kafka's
 * kafka-consumer-groups --reset-offsets): the same checks and storage as
 * an OffsetCommit with generation -1 and no member (allowed only while the
 * group is Empty or does not exist), one record per offset appended to
 * __consumer_offsets.  Returns the Kafka error code; NONE means done(arg,
 * status) runs exactly once, now or later, after the append satisfied the
 * flush policy and the offsets are visible to OffsetFetch (status < 0:
 * the append failed).  With any other code done never runs. */
int16_t kf_group_api_commit(kf_group_api_t *ga, const char *group, int n,
                            const struct kf_group_offset *offs,
                            kf_gstore_done_fn *done, void *arg);
/* DeleteGroups for one group (tombstones for its offsets and metadata):
 * NONE, GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP. */
int16_t kf_group_api_delete(kf_group_api_t *ga, const char *group);

/* Delivers one response body (no header) for the request it was given
 * to; body is valid only during the call. */
typedef void kf_group_api_reply_fn(void *arg, const uint8_t *body,
                                   size_t len);

/* True if api_key is one of the eleven APIs above. */
bool kf_group_api_serves(int16_t api_key);

/* Handles one request: body is positioned after the request header
 * (including its tag buffer for flexible versions); client_id and
 * client_host (e.g. "/127.0.0.1") describe the connection.  Returns 0 and
 * reply(arg, ...) runs exactly once, now or later; or < 0 (a body that
 * does not decode, an unknown key or version): reply never runs and the
 * dispatcher closes the connection. */
int kf_group_api_handle(kf_group_api_t *ga, int16_t api_key, int16_t ver,
                        rd_t *body, const char *client_id,
                        const char *client_host, kf_group_api_reply_fn *reply,
                        void *arg);

/* The same for a body the dispatcher already decoded with kmsg (a struct
 * kmsg_<api>_req at version ver, e.g. struct kf_req's body): borrowed
 * only during the call. */
int kf_group_api_dispatch(kf_group_api_t *ga, int16_t api_key, int16_t ver,
                          const void *body, const char *client_id,
                          const char *client_host,
                          kf_group_api_reply_fn *reply, void *arg);

/* Runs due coordinator timers and, when due, offset expiry (tests; the
 * timer calls it when there is a loop). */
void kf_group_api_tick(kf_group_api_t *ga);

/* (kf_group_api_log.c) gstore operations over kf_log: partition p of __consumer_offsets is
 * kf_logmgr_get(m, "__consumer_offsets", p), created on first use with
 * cleanup.policy=compact semantics left to the log's cleaner.  The
 * returned ops keep m; valid while m is. */
void kf_group_api_log_ops(kf_logmgr_t *m, struct kf_gstore_ops *ops);

#endif
