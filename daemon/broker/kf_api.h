/* kf_api: the broker's dispatch table (one row per ApiKey: the versions
 * served and advertised, and the handler) and the Kafka listener's frame
 * callback: request header, version checks, decoding through kmsg, the
 * response header rules, and ApiVersions itself.
 *
 * Rules (reference/kafka-protocol.md §2.5): an unknown key or an
 * unsupported version of any API but ApiVersions closes the connection;
 * ApiVersions at an unsupported version is answered with error 35 and a
 * v0 body listing every API; flexible versions get response header v1,
 * except ApiVersions whose response header is always v0; acks=0 Produce
 * gets no response. */
#ifndef ODRADEK_KF_API_H
#define ODRADEK_KF_API_H

#include <stdint.h>

#include "conn.h"
#include "kf_server.h"

/* Handle one decoded request.  Return 0 (Kafka errors are data in the
 * response) or < 0 to close the connection. */
typedef int kf_handler_fn(struct kf_req *rq);

struct kf_api {
    int16_t        key;
    int16_t        vmin, vmax; /* served and advertised */
    kf_handler_fn *handle;
};

/* The row for a key, or NULL if not served. */
const struct kf_api *kf_api_lookup(int key);

/* conn_ops.on_frame of the Kafka listener (c->data is the broker). */
int kf_api_on_frame(conn_t *c, const uint8_t *p, size_t n);

/* Encode a response (header + body) as one frame appended to out. */
void kf_api_encode(buf_t *out, int16_t key, int16_t ver, int32_t corr_id,
                   const void *resp);
/* Answer rq now with resp (a struct kmsg_<api>_resp). */
void kf_api_reply(struct kf_req *rq, const void *resp);
/* Encode into a fresh conn message, with a records hook for RECORDS
 * fields whose ext is set (see kmsg_enc): records(m, rec) must append
 * exactly rec->ext_len bytes to m, e.g. as conn_msg_file ranges.  The
 * frame size counts the file bytes. */
conn_msg_t *kf_api_msg(int16_t key, int16_t ver, int32_t corr_id,
                       const void *resp,
                       void (*records)(void *m, const kmsg_records_t *r));

/* Creates an unknown topic on demand (kf_metadata); returns the Kafka
 * error to answer with for this request: LEADER_NOT_AVAILABLE when it was
 * just created, NONE if it exists, INVALID_TOPIC_EXCEPTION for a bad
 * name. */
int kf_metadata_autocreate(struct kf_broker *b, const char *name, size_t len);

/* Handlers (one file each, named by their prefix). */
int kf_api_versions_handle(struct kf_req *rq);
int kf_metadata_handle(struct kf_req *rq);
int kf_metadata_describe_cluster(struct kf_req *rq);
int kf_produce_handle(struct kf_req *rq);
int kf_fetch_handle(struct kf_req *rq);
int kf_list_offsets_handle(struct kf_req *rq);
int kf_admin_create_topics(struct kf_req *rq);
int kf_admin_delete_topics(struct kf_req *rq);
int kf_admin_create_partitions(struct kf_req *rq);
int kf_admin_delete_records(struct kf_req *rq);
int kf_admin_describe_log_dirs(struct kf_req *rq);
int kf_configs_describe(struct kf_req *rq);
int kf_configs_alter(struct kf_req *rq);
int kf_configs_incremental_alter(struct kf_req *rq);
int kf_pid_init_producer_id(struct kf_req *rq);

#endif
