/* zk_tree: the coordination state machine — znodes, sessions, and the
 * execution of every request with ZooKeeper 3.8's semantics.
 *
 * Owns: the znode tree (a path hash plus parent/child links), the table of
 * sessions and their ephemerals, Stat bookkeeping, sequential names, ACL
 * fixup and checks (through zk_acl), multi's all-or-nothing execution with
 * an undo log, and the list of watch events a write produced.
 * Does not own: connections, timers, watches (zk_watch), durability
 * (zk_log/zk_snap).  It is deterministic: the same requests at the same
 * zxids and times give the same tree, which is how the txn log is replayed.
 *
 * A request is executed by zk_tree_exec with a zxid (writes) and an auth
 * context (who is asking; trusted for replay).  Exec writes the reply body
 * into out when the ZooKeeper err it returns is 0 (and always for multi,
 * whose failure is encoded in the body with reply err 0). */
#ifndef ODRADEK_ZK_TREE_H
#define ODRADEK_ZK_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "zk_acl.h"
#include "zk_jute.h"

enum zk_node_kind {
    ZK_NODE_PERSISTENT = 0,
    ZK_NODE_EPHEMERAL,
    ZK_NODE_CONTAINER,
    ZK_NODE_TTL,
};

struct zk_node {
    char            *path;       /* owned, NUL-terminated */
    uint32_t         plen;
    uint32_t         hash;
    struct zk_node  *hnext;      /* path hash chain */
    struct zk_node  *parent;
    struct zk_node **kids;       /* unordered; kids[i]->idx == i */
    uint32_t         nkids, capkids;
    uint32_t         idx;        /* position in parent->kids */
    uint8_t         *data;       /* owned; NULL when dlen <= 0 */
    int32_t          dlen;       /* -1 = null data */
    struct zk_aclset *acl;       /* interned, referenced */
    int64_t          czxid, mzxid, ctime, mtime, pzxid;
    int32_t          version, cversion, aversion;
    int64_t          owner;      /* ephemeralOwner */
    int64_t          ttl;        /* TTL nodes, ms */
    uint8_t          kind;       /* enum zk_node_kind */
    struct zk_node  *eph_next, *eph_prev; /* session's ephemerals / the
                                             tree's containers and TTLs */
};

struct zk_tsess {
    int64_t          id;
    int32_t          timeout;    /* negotiated, ms */
    uint8_t          passwd[ZK_PASSWD_LEN];
    struct zk_node  *eph;        /* ephemerals owned (list head) */
    uint32_t         neph;
    struct zk_tsess *hnext;
    void            *data;       /* the server's live session, if any */
};

struct zk_event {
    int32_t type;                /* ZK_EVENT_* */
    char   *path;                /* owned by the tree until events_clear */
};

typedef struct zk_tree {
    struct zk_node  **tab;       /* path hash */
    uint32_t          tabmask;
    uint32_t          nnodes;
    uint64_t          data_bytes; /* sum of path + data lengths */
    struct zk_node   *root;
    struct zk_node   *special;   /* containers and TTL nodes (eph_ links) */
    struct zk_tsess **stab;      /* session hash */
    uint32_t          stabmask;
    uint32_t          nsess;
    uint32_t          neph;      /* ephemerals in all sessions */
    struct zk_aclsets acls;      /* interned ACL lists */
    int64_t           zxid;      /* last applied */
    struct zk_event  *ev;        /* events of the current request */
    uint32_t          nev, capev;
    bool              multi_failed; /* the last multi was rolled back */
    bool              extended_types; /* createTTL allowed */
    int32_t           max_data;  /* jute.maxbuffer for data (0: none) */
} zk_tree_t;

/* A request to execute.  Writes carry the zxid and time they were given;
 * reads use zxid 0.  session is the caller's session id (0 for none). */
struct zk_txn {
    int64_t        zxid;
    int64_t        time;       /* ms since the epoch */
    int64_t        session;
    struct zk_req *req;        /* exec may rewrite ACLs in place (fixup) */
};

/* Builds the initial tree: "/", "/zookeeper", "/zookeeper/config",
 * "/zookeeper/quota" (as a fresh ZooKeeper 3.8 standalone). */
void zk_tree_init(zk_tree_t *t);
void zk_tree_free(zk_tree_t *t);   /* idempotent */

struct zk_node  *zk_tree_find(const zk_tree_t *t, const char *path,
                              size_t len);
struct zk_tsess *zk_tree_session(const zk_tree_t *t, int64_t id);
/* Znode count as ZooKeeper reports it (mntr, srvr "Node count"): it
 * counts the root twice (as "" and "/"), so a fresh server says 5. */
uint32_t zk_tree_node_count(const zk_tree_t *t);
void     zk_tree_stat(const struct zk_node *n, struct zk_stat *st);

/* Executes tx->req.  Returns the ZooKeeper err for the ReplyHeader; on 0
 * (and for multi always) the reply body has been appended to out.  Writes
 * set t->zxid = tx->zxid whatever the outcome (a failed write still
 * consumes its zxid, as in ZooKeeper).  Events produced are in t->ev. */
int32_t zk_tree_exec(zk_tree_t *t, const struct zk_txn *tx,
                     const struct zk_auth *auth, arena_t *a, buf_t *out);
void    zk_tree_events_clear(zk_tree_t *t);

/* Appends the paths (NUL-separated) of containers that are empty and had
 * children, and of TTL nodes that are empty and unmodified for their TTL at
 * now_ms: what the container manager deletes (with deleteContainer). */
void zk_tree_reapable(const zk_tree_t *t, int64_t now_ms, buf_t *paths);

/* Visits every node in pre-order (parents before children). */
void zk_tree_walk(const zk_tree_t *t,
                  void (*fn)(const struct zk_node *n, void *arg), void *arg);
/* The same without allocating: stack has room for nnodes + 1 pointers
 * (for a forked child, which must not call malloc). */
void zk_tree_walk_with(const zk_tree_t *t,
                       void (*fn)(const struct zk_node *n, void *arg), void *arg,
                       const struct zk_node **stack);
/* Snapshot restore: inserts a node whose parent exists (or the root,
 * which replaces the initial one's fields).  Takes nothing; copies. */
int  zk_tree_restore_node(zk_tree_t *t, const char *path, size_t plen,
                          const uint8_t *data, int32_t dlen,
                          const struct zk_acl *acl, int32_t nacl,
                          const struct zk_node *fields);
/* Snapshot restore of a session (no txn). */
struct zk_tsess *zk_tree_restore_session(zk_tree_t *t, int64_t id,
                                         int32_t timeout,
                                         const uint8_t *passwd);

/* Validates a path as ZooKeeper's PathUtils.validatePath: 0 or
 * ZK_EBADARGUMENTS. */
int32_t zk_tree_validate_path(const char *p, size_t n);

#endif
