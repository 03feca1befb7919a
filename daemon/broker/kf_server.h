/* kf_server: the broker as one object: configuration, log manager, topic
 * registry, the Kafka listener on conn, producer ids and the fetch
 * waiters, with start and clean stop.  Handlers get a struct kf_req and
 * reach everything through req->b.
 *
 * It owns: the listener (framing and backpressure are conn's), the
 * per-request arena, the broker's identity (id, advertised address,
 * cluster id) and the order of start-up and shutdown.  It does not own
 * what a request means (kf_api's table and the handlers). */
#ifndef ODRADEK_KF_SERVER_H
#define ODRADEK_KF_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "arena.h"
#include "conn.h"
#include "kf_config.h"
#include "kf_log.h"
#include "kf_topics.h"
#include "kmsg.h"

struct kf_fetch_wait;

struct kf_broker {
    uv_loop_t            *loop;
    struct kf_config     *kc;
    kf_logmgr_t          *logs;
    struct kf_topics     *topics;
    conn_listener_t       listener;
    struct conn_ops       ops;
    arena_t               arena; /* per request, reset after each */
    char                  cluster_id[64];
    struct kf_log_config  log_defaults;
    struct kf_fetch_wait *waiters;  /* long-poll fetches (kf_fetch) */
    int64_t               next_pid; /* producer ids (kf_pid) */
    int64_t               pid_block_end;
    void                 *groups; /* kf_group_api_t, if built in */
    void                 *zk;     /* the cluster-state module's */
    struct kf_http       *http;   /* UI, /api/v1, /metrics (kf_http) */
    bool                  stopping;
    uint64_t              requests; /* served, for the UI / metrics */
};

/* One request being handled.  body borrows from the frame: valid only
 * during the handler call; a handler that answers later copies what it
 * needs and reserves a conn slot. */
struct kf_req {
    struct kf_broker      *b;
    conn_t                *c;
    struct kmsg_req_hdr    hdr;
    const struct kmsg_api *codec;
    int16_t                ver;
    bool                   flex;
    void                  *body;
    arena_t               *arena;
};

/* Starts the broker on loop: opens the logs (recovery), the registry and
 * the listener.  Returns 0, or < 0 with *what naming the failed step. */
int kf_server_start(struct kf_broker *b, uv_loop_t *loop, struct kf_config *kc,
                    const char **what);
/* Stops accepting, answers waiting fetches, closes the logs cleanly;
 * done(arg) runs on the loop when everything is closed. */
void kf_server_stop(struct kf_broker *b, void (*done)(void *arg), void *arg);
int  kf_server_port(const struct kf_broker *b);

#endif
