/* kf_server: start-up and shutdown of the broker (see kf_server.h).
 *
 * Start: log manager (recovery, on the thread pool, before anything
 * listens), cluster id, producer-id block, topic
 * registry, group coordinator (when built in), cluster state (kf_zk, when
 * built in), then the listener last, so nothing is served before it can
 * be answered.  Stop: the reverse, with the logs closed cleanly last. */
#include "kf_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "err.h"
#include "kf_api.h"
#include "kf_fetch.h"
#include "kf_pid.h"
#include "log.h"

#include "kf_group_api.h"
#include "kf_http.h"
#include "kf_zk.h"

static void log_defaults(const struct kf_config *kc, struct kf_log_config *lc)
{
    kf_log_config_default(lc);
    lc->segment_bytes = kc->log_segment_bytes;
    lc->segment_ms = kc->roll_ms;
    lc->retention_ms = kc->retention_ms;
    lc->retention_bytes = kc->log_retention_bytes;
    lc->flush_messages = kc->log_flush_interval_messages;
    lc->flush_ms = kc->flush_ms;
    lc->index_interval_bytes = kc->log_index_interval_bytes;
    lc->index_max_bytes = kc->log_index_size_max_bytes;
    lc->max_message_bytes = kc->message_max_bytes;
    lc->log_append_time =
        strcmp(kc->log_message_timestamp_type, "LogAppendTime") == 0;
    lc->cleanup_compact = strstr(kc->log_cleanup_policy, "compact") != NULL;
    lc->cleanup_delete = strstr(kc->log_cleanup_policy, "delete") != NULL;
}

static void sock_buffers(int fd, const struct kf_config *kc)
{
    int v;

    if (kc->socket_send_buffer_bytes > 0) {
        v = kc->socket_send_buffer_bytes;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) < 0)
            log_debug("SO_SNDBUF %d: %s", v, err_str(-errno));
    }
    if (kc->socket_receive_buffer_bytes > 0) {
        v = kc->socket_receive_buffer_bytes;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) < 0)
            log_debug("SO_RCVBUF %d: %s", v, err_str(-errno));
    }
}

/* Kafka's cluster ids: a random uuid, base64url without padding (22). */
static void new_cluster_id(char *out, size_t n)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t  u[16];
    uint32_t acc = 0; /* at most 14 meaningful bits */
    int      i, bits = 0, k = 0;

    if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u)
        memset(u, 0x42, sizeof u);
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    for (i = 0; i < 16 && (size_t)k + 1 < n; i++) {
        acc = ((acc << 8) | u[i]) & 0xffffu;
        bits += 8;
        while (bits >= 6 && (size_t)k + 1 < n) {
            out[k++] = b64[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0 && (size_t)k + 1 < n)
        out[k++] = b64[(acc << (6 - bits)) & 63u];
    out[k] = '\0';
}

/* socket.send.buffer.bytes / socket.receive.buffer.bytes on an accepted
 * connection, as Kafka's Acceptor (-1 keeps the OS default, which Linux
 * autotunes).  A refused size is not fatal: the connection keeps the
 * kernel's buffers, as Java's setSendBufferSize hints do. */
static int on_conn_open(conn_t *c)
{
    const struct kf_broker *b = c->listener->data;

    sock_buffers(c->fd, b->kc);
    return 0;
}

static void on_conn_close(conn_t *c, int why)
{
    (void)c;
    (void)why;
}

int kf_server_start(struct kf_broker *b, uv_loop_t *loop, struct kf_config *kc,
                    const char **what)
{
    struct kf_logmgr_config lm;
    const char             *host;
    int                     rc;

    memset(b, 0, sizeof *b);
    b->loop = loop;
    b->kc = kc;
    arena_init(&b->arena);
    log_defaults(kc, &b->log_defaults);
    memset(&lm, 0, sizeof lm);
    lm.dirs = (const char *const *)kc->dirs;
    lm.ndirs = kc->ndirs;
    lm.broker_id = kc->broker_id;
    lm.defaults = b->log_defaults;
    lm.retention_check_ms = kc->log_retention_check_interval_ms;
    lm.flush_check_ms = kc->log_flush_scheduler_interval_ms;
    lm.checkpoint_ms = kc->log_flush_offset_checkpoint_interval_ms;
    /* as Kafka: without the cleaner only __consumer_offsets is compacted */
    lm.cleaner_disable = !kc->log_cleaner_enable;
    lm.recovery_threads = kc->num_recovery_threads_per_data_dir;
    rc = kf_logmgr_open(&b->logs, loop, &lm, what);
    if (rc < 0)
        return rc;
    snprintf(b->cluster_id, sizeof b->cluster_id, "%s",
             kf_logmgr_cluster_id(b->logs));
    if (b->cluster_id[0] == '\0') {
        new_cluster_id(b->cluster_id, sizeof b->cluster_id);
        kf_logmgr_set_cluster_id(b->logs, b->cluster_id);
    }
    rc = kf_pid_open(b);
    if (rc < 0) {
        *what = "producer id block file";
        return rc;
    }
    b->topics =
        kf_topics_new(b->logs, kc, &b->log_defaults, kf_fetch_notify, b);
    {
        struct kf_group_api_cfg gc;
        struct kf_gstore_ops    ops;

        kf_group_api_cfg_defaults(&gc);
        gc.group.min_session_ms = kc->group_min_session_timeout_ms;
        gc.group.max_session_ms = kc->group_max_session_timeout_ms;
        gc.group.initial_delay_ms = kc->group_initial_rebalance_delay_ms;
        gc.node_id = kc->broker_id;
        gc.host = kc->adv_host;
        gc.port = kc->adv_port;
        gc.offsets_partitions = kc->offsets_topic_num_partitions;
        gc.group.max_size = kc->group_max_size;
        gc.retention_ms = (int64_t)kc->offsets_retention_minutes * 60000;
        gc.retention_check_ms = kc->offsets_retention_check_interval_ms;
        gc.metadata_max_bytes = kc->offset_metadata_max_bytes;
        kf_group_api_log_ops(b->logs, &ops);
        b->groups = kf_group_api_new(&gc, loop, &ops);
        rc = kf_group_api_load(b->groups);
        if (rc < 0) {
            *what = "loading __consumer_offsets";
            return rc;
        }
    }
    rc = kf_zk_start(b, what);
    if (rc < 0)
        return rc;
    b->ops.max_frame = (size_t)kc->socket_request_max_bytes;
    b->ops.on_frame = kf_api_on_frame;
    b->ops.on_open = on_conn_open;
    b->ops.on_close = on_conn_close;
    b->ops.max_inflight = 256;
    host = kc->listen_host[0] ? kc->listen_host : "0.0.0.0";
    rc = conn_listen(&b->listener, loop, host, kc->listen_port, &b->ops, 511);
    if (rc < 0) {
        *what = "listen";
        return rc;
    }
    b->listener.data = b; /* conn_listen zeroes the listener */
    /* as Kafka's openServerSocket: the receive buffer on the listening
     * socket too, so accepted sockets have it before the handshake (the
     * window scale is chosen then) */
    if (kc->socket_receive_buffer_bytes > 0) {
        int v = kc->socket_receive_buffer_bytes;

        if (setsockopt(b->listener.fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) <
            0)
            log_warn("listener SO_RCVBUF %d: %s", v, err_str(-errno));
    }
    b->listener.max_conns = (unsigned)kc->max_connections;
    if (kc->listen_port == 0 && kc->adv_port == 0)
        kc->adv_port = conn_listener_port(&b->listener);
    rc = kf_http_start(b, kc->http_listeners, &b->http);
    if (rc < 0) {
        *what = "http.listeners";
        return rc;
    }
    return 0;
}

int kf_server_port(const struct kf_broker *b)
{
    return conn_listener_port(&b->listener);
}

struct stop_ctx {
    struct kf_broker *b;
    void (*done)(void *arg);
    void *arg;
    int   pending;
};

static void stop_step(void *arg)
{
    struct stop_ctx  *s = arg;
    struct kf_broker *b = s->b;

    if (--s->pending > 0)
        return;
    kf_topics_free(b->topics);
    b->topics = NULL;
    arena_free(&b->arena);
    s->done(s->arg);
    free(s);
}

static struct stop_ctx *kf_server_stopping; /* one broker per process */

static void stop_listener_closed(conn_listener_t *l)
{
    (void)l;
    stop_step(kf_server_stopping);
}

void kf_server_stop(struct kf_broker *b, void (*done)(void *arg), void *arg)
{
    struct stop_ctx *s = calloc(1, sizeof *s);

    b->stopping = true;
    s->b = b;
    s->done = done;
    s->arg = arg;
    s->pending = 4; /* the listener, the HTTP listeners, the groups, the logs */
    kf_server_stopping = s;
    b->listener.on_closed = stop_listener_closed;
    conn_listener_close(&b->listener);
    kf_fetch_stop_all(b);
    kf_http_stop(b->http, stop_step, s);
    b->http = NULL;
    kf_zk_stop(b);
    kf_group_api_close(b->groups, stop_step, s);
    b->groups = NULL;
    kf_logmgr_close(b->logs, stop_step, s);
}
