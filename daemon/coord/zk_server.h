/* zk_server: odradek-coord's server — the client listener, connections,
 * live sessions (expiry), request dispatch, watches, and replies ordered
 * behind the txn log's fsync.
 *
 * Owns: struct zk_server and struct zk_cnx; the op table of the requests
 * the server itself answers (ping, auth, watches, whoAmI, close) next to
 * the tree's; recovery at start (snapshot + logs); snapshots every
 * snapCount txns; container/TTL reaping; statistics for the 4lw.
 * Does not own: the tree's semantics (zk_tree), the four-letter words'
 * text (zk_4lw), the file formats (zk_log, zk_snap).
 *
 * Ordering and durability: a write is applied to the tree at once (so a
 * later request of any session sees it) and appended to the log; its
 * reply, and the watch events it fired, are released only when the log
 * says its zxid is on disk.  A read that observed state newer than what
 * is on disk waits the same way, so no client ever sees data that a crash
 * could take back.  Replies go into per-connection slots in request order
 * (conn_reserve/conn_fill); watch events go ahead of unfilled slots
 * (conn_send_first), so a client sees the event before the reply to the
 * write that fired it. */
#ifndef ODRADEK_ZK_SERVER_H
#define ODRADEK_ZK_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "arena.h"
#include "buf.h"
#include "conn.h"
#include "zk_acl.h"
#include "zk_config.h"
#include "zk_log.h"
#include "zk_tree.h"
#include "zk_watch.h"

struct zk_server;

/* A live session: the tree has its durable part (id, timeout, password,
 * ephemerals); this is its runtime part. */
struct zk_sess {
    int64_t         id;
    int32_t         timeout;
    int64_t         deadline;   /* monotonic ms */
    struct zk_cnx  *cnx;        /* bound connection, or NULL */
    bool            closing;    /* closeSession txn submitted */
};

struct zk_cnx {
    conn_t           *c;
    struct zk_server *s;
    struct zk_sess   *sess;
    struct zk_auth    auth;
    struct zk_watch  *watches;  /* owned watches (zk_watch list) */
    struct zk_cnx    *next, *prev;
    int64_t           opened;   /* monotonic ms */
    bool              connected; /* ConnectRequest seen */
    bool              closing;
    uint64_t          recv, sent;
    int32_t           last_op, last_xid;
    int64_t           last_zxid;
    int64_t           lat_min, lat_max, lat_sum, lat_n, last_lat;
    int64_t           established; /* wall ms */
};

/* An output waiting for the log: a reply (slot) or a watch event. */
struct zk_out {
    struct zk_out *next;
    int64_t        zxid;
    conn_t        *c;          /* conn_ref held */
    conn_slot_t   *slot;       /* NULL: an event (conn_send_first) */
    buf_t          bytes;
    int64_t        t0;         /* receive time (ns) for latency */
    bool           close_after;
};

struct zk_server {
    uv_loop_t              *loop;
    const struct zk_config *cfg;
    zk_tree_t               tree;
    zk_watches_t            watches;
    zk_log_t                log;
    conn_listener_t         lis;
    struct conn_ops         ops;
    uv_timer_t              tick;
    uv_timer_t              purge;
    uv_signal_t             sigchld;
    struct zk_cnx          *cnxs;
    uint32_t                ncnx;
    struct zk_out          *outq, **outq_tail;
    uint32_t                noutq;
    arena_t                 arena;
    buf_t                   body;
    int64_t                 next_session;
    char                    super_id[256];  /* digest id of the super user */
    /* snapshots */
    uint64_t                since_snap;
    bool                    snapping;
    pid_t                   snap_pid;       /* snapshot writer child */
    int64_t                 snap_zxid;
    bool                    purging;
    int64_t                 last_snap_zxid;
    uint64_t                snaps_taken;
    /* statistics */
    uint64_t                packets_recv, packets_sent;
    int64_t                 lat_min, lat_max, lat_sum, lat_n;
    int64_t                 started;        /* monotonic ms */
    uint64_t                auth_failed, conn_rejected;
    bool                    serving;
    bool                    stopping;
    int                     fatal;          /* log failure */
    void                  (*on_stopped)(struct zk_server *s);
    int                     handles;
};

/* Recovers the state from dataDir/dataLogDir (blocking, before serving),
 * opens the log and starts listening.  Returns 0 or < 0 (logged). */
int  zk_server_start(struct zk_server *s, uv_loop_t *loop,
                     const struct zk_config *cfg);
/* Stops listening, closes connections, flushes the log; on_stopped runs
 * when every handle is closed. */
void zk_server_stop(struct zk_server *s, void (*on_stopped)(struct zk_server *s));
int  zk_server_port(const struct zk_server *s);

/* zk_4lw: answers a four-letter word into out.  Returns true if word is a
 * known word (answered, possibly with the whitelist refusal). */
bool zk_4lw_answer(struct zk_server *s, const char *word, buf_t *out);
/* True if the 4 bytes are a four-letter word we know. */
bool zk_4lw_known(const uint8_t *p);

#endif
