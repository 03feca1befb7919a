/* zk_client: an asynchronous ZooKeeper client on a libuv loop, for the
 * broker (Kafka's cluster state lives in coord or a real ZooKeeper) and
 * the CLI.
 *
 * Owns: the TCP connection to one of the servers of a connect string
 * ("host:port[,host:port...][/chroot]"), the session (create, re-attach
 * after a lost connection with id + password, expiry), pings, request
 * xids and the FIFO of outstanding requests, one-shot watches and their
 * re-registration with SetWatches after a reconnect.
 * Does not own: retries of failed requests (the caller decides), the
 * meaning of znodes.
 *
 * States: CONNECTING -> CONNECTED -> (connection lost) CONNECTING ->
 * CONNECTED (same session) ... ; if the server says the session expired,
 * on_state(EXPIRED) runs, every watch is dropped, and the client starts a
 * NEW session by itself (on_state(CONNECTED) again, new session id): the
 * owner re-creates its ephemerals and re-arms its watches then, as Kafka
 * does.  zk_client_close() ends the session (closeSession) and frees the
 * client once on_closed has run.
 *
 * Requests: every zk_client_* op below queues one request and returns 0,
 * or < 0 (ERR_CLOSED after close, ERR_MALFORMED for a bad path) without
 * calling cb.  Requests made while CONNECTING are sent once connected.
 * cb runs exactly once, on the loop, never from inside the call: with
 * res->err = 0 or a ZooKeeper error (ZK_ENONODE, ...); requests in flight
 * when a connection drops fail with ZK_ECONNECTIONLOSS, and all pending
 * requests fail with ZK_ECLOSING on close.  Everything res points to is
 * valid only during cb.  Paths are absolute; a chroot is prefixed on the
 * way out and stripped on the way in.  ACLs are OPEN_ACL_UNSAFE unless a
 * zk_client_create_acl variant is used.
 *
 * Watches: a read with watch=true arms a one-shot watch; on_watch(type,
 * path) runs when it fires (ZK_EVENT_CREATED/DELETED/DATA_CHANGED/
 * CHILDREN_CHANGED).  Watches survive reconnects (SetWatches with the last
 * zxid seen), not session expiry. */
#ifndef ODRADEK_ZK_CLIENT_H
#define ODRADEK_ZK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "zk_jute.h"

typedef struct zk_client zk_client_t;

enum zk_client_state {
    ZK_CLIENT_CONNECTING = 0,
    ZK_CLIENT_CONNECTED  = 1,
    ZK_CLIENT_EXPIRED    = 2, /* transient: a new session follows */
    ZK_CLIENT_CLOSED     = 3,
};

struct zk_client_opts {
    const char *connect;            /* "h:p[,h:p][/chroot]" (required) */
    int         session_timeout_ms; /* requested; 0 = 30000 */
    int         connect_timeout_ms; /* per attempt; 0 = 5000 */
    /* Session state changes.  Optional. */
    void (*on_state)(zk_client_t *c, enum zk_client_state st, void *arg);
    /* A watch fired.  path has the chroot removed.  Optional. */
    void (*on_watch)(zk_client_t *c, int32_t type, const char *path,
                     void *arg);
    void *arg;
};

/* One reply.  Which fields are set depends on the op (see each op). */
struct zk_result {
    int32_t         err;      /* 0 or a ZooKeeper error */
    int64_t         zxid;     /* ReplyHeader zxid */
    const struct zk_stat *stat; /* exists/get/set/children2/create2 */
    const uint8_t  *data;     /* get: data (NULL for null data) */
    int32_t         dlen;     /* get: length, -1 for null */
    const char     *path;     /* create: the name created (no chroot) */
    const char *const *children; /* children: names, not sorted */
    int32_t         nchildren;
    /* multi: one result per op, in order: err (0, or the failing op's
     * error, or ZK_ERUNTIMEINCONSISTENCY after it), path for creates,
     * stat for setData.  res->err is the first failing op's error. */
    const struct zk_multi_result *ops;
    int32_t         nops;
    /* getACL: the list (and stat). */
    const struct zk_acl *acl;
    int32_t         nacl;
};

struct zk_multi_result {
    int32_t               type; /* op code, or ZK_OP_ERROR */
    int32_t               err;
    const char           *path;
    const struct zk_stat *stat;
};

typedef void zk_client_cb(zk_client_t *c, const struct zk_result *res,
                          void *arg);

/* One op of a multi.  Strings are copied when zk_client_multi is called. */
struct zk_client_op {
    int32_t     type;    /* ZK_OP_CREATE, ZK_OP_DELETE, ZK_OP_SET_DATA,
                            ZK_OP_CHECK */
    const char *path;
    const void *data;    /* create/setData */
    int32_t     dlen;    /* -1 = null */
    int32_t     flags;   /* create: ZK_FLAG_EPHEMERAL | ZK_FLAG_SEQUENTIAL */
    int32_t     version; /* delete/setData/check; -1 = any */
};

/* Creates a client and starts connecting.  *out is valid until on_closed
 * of zk_client_close.  Returns 0 or ERR_MALFORMED (bad connect string). */
int  zk_client_new(uv_loop_t *loop, const struct zk_client_opts *o,
                   zk_client_t **out);
/* Closes the session (closeSession if connected), fails pending requests
 * with ZK_ECLOSING and reports on_state(CLOSED) (both from inside this
 * call, or when the closeSession reply arrives if connected), and calls
 * on_closed(arg) from the loop once everything is released.  Idempotent. */
void zk_client_close(zk_client_t *c, void (*on_closed)(void *arg), void *arg);

enum zk_client_state zk_client_state(const zk_client_t *c);
int64_t zk_client_session_id(const zk_client_t *c); /* 0 before the first */
int32_t zk_client_session_timeout(const zk_client_t *c); /* negotiated */

/* create: res->path is the name created. */
int zk_client_create(zk_client_t *c, const char *path, const void *data,
                     int32_t dlen, int32_t flags, zk_client_cb *cb, void *arg);
/* create with an ACL list (e.g. digest ids). */
int zk_client_create_acl(zk_client_t *c, const char *path, const void *data,
                         int32_t dlen, int32_t flags, const struct zk_acl *acl,
                         int32_t nacl, zk_client_cb *cb, void *arg);
/* getData: res->data/dlen/stat. */
int zk_client_get(zk_client_t *c, const char *path, bool watch,
                  zk_client_cb *cb, void *arg);
/* setData: res->stat. */
int zk_client_set(zk_client_t *c, const char *path, const void *data,
                  int32_t dlen, int32_t version, zk_client_cb *cb, void *arg);
int zk_client_delete(zk_client_t *c, const char *path, int32_t version,
                     zk_client_cb *cb, void *arg);
/* exists: res->stat on 0; ZK_ENONODE if missing (a watch is still armed,
 * firing on creation). */
int zk_client_exists(zk_client_t *c, const char *path, bool watch,
                     zk_client_cb *cb, void *arg);
/* getChildren2: res->children/nchildren and res->stat. */
int zk_client_children(zk_client_t *c, const char *path, bool watch,
                       zk_client_cb *cb, void *arg);
/* multi: all or nothing; see struct zk_result. */
int zk_client_multi(zk_client_t *c, const struct zk_client_op *ops, int32_t nops,
                    zk_client_cb *cb, void *arg);
/* sync: the server has caught up with the leader (a no-op standalone). */
int zk_client_sync(zk_client_t *c, const char *path, zk_client_cb *cb,
                   void *arg);
/* getACL: res->acl/nacl and res->stat. */
int zk_client_get_acl(zk_client_t *c, const char *path, zk_client_cb *cb, void *arg);
/* setACL with the expected aversion (-1 = any): res->stat. */
int zk_client_set_acl(zk_client_t *c, const char *path, const struct zk_acl *acl,
                      int32_t nacl, int32_t aversion, zk_client_cb *cb, void *arg);
/* addauth digest "user:password": res->err 0 or ZK_EAUTHFAILED. */
int zk_client_add_auth(zk_client_t *c, const char *scheme, const char *auth,
                       zk_client_cb *cb, void *arg);

#endif
