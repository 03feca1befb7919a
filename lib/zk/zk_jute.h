/* zk_jute: the ZooKeeper 3.8 client protocol as data, both directions.
 *
 * Owns: op codes, error codes, create flags, event types, permissions; the
 * records of zookeeper.jute that a client-facing server or a client needs
 * (Stat, ACL, ConnectRequest/Response, RequestHeader/ReplyHeader, every op
 * request, WatcherEvent, MultiHeader); decoding any request body into one
 * struct zk_req (server side, and the coord's txn log) and encoding one
 * back (client side, and the log again).
 * Does not own: sockets, sessions, the data tree (daemon/coord), the
 * client state machine (zk_client.c).
 *
 * Wire rules (zookeeper.jute, reference/zookeeper.md §2.1): big-endian;
 * ustring/buffer = int32 length + bytes, -1 = null; vector = int32 count,
 * -1 = null; records are their fields in order.  Decoded requests borrow
 * strings from the frame; arrays are allocated in the caller's arena. */
#ifndef ODRADEK_ZK_JUTE_H
#define ODRADEK_ZK_JUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "rd.h"

/* OpCode (ZooDefs.OpCode). */
enum zk_op {
    ZK_OP_NOTIFICATION      = 0,
    ZK_OP_CREATE            = 1,
    ZK_OP_DELETE            = 2,
    ZK_OP_EXISTS            = 3,
    ZK_OP_GET_DATA          = 4,
    ZK_OP_SET_DATA          = 5,
    ZK_OP_GET_ACL           = 6,
    ZK_OP_SET_ACL           = 7,
    ZK_OP_GET_CHILDREN      = 8,
    ZK_OP_SYNC              = 9,
    ZK_OP_PING              = 11,
    ZK_OP_GET_CHILDREN2     = 12,
    ZK_OP_CHECK             = 13,
    ZK_OP_MULTI             = 14,
    ZK_OP_CREATE2           = 15,
    ZK_OP_RECONFIG          = 16,
    ZK_OP_CHECK_WATCHES     = 17,
    ZK_OP_REMOVE_WATCHES    = 18,
    ZK_OP_CREATE_CONTAINER  = 19,
    ZK_OP_DELETE_CONTAINER  = 20,
    ZK_OP_CREATE_TTL        = 21,
    ZK_OP_MULTI_READ        = 22,
    ZK_OP_AUTH              = 100,
    ZK_OP_SET_WATCHES       = 101,
    ZK_OP_SASL              = 102,
    ZK_OP_GET_EPHEMERALS    = 103,
    ZK_OP_GET_ALL_CHILDREN_NUMBER = 104,
    ZK_OP_SET_WATCHES2      = 105,
    ZK_OP_ADD_WATCH         = 106,
    ZK_OP_WHO_AM_I          = 107,
    ZK_OP_CREATE_SESSION    = -10,
    ZK_OP_CLOSE_SESSION     = -11,
    ZK_OP_ERROR             = -1,
};

/* KeeperException.Code: data in replies, never C returns (STYLE rule 3). */
enum zk_err {
    ZK_OK                    = 0,
    ZK_ESYSTEM               = -1,
    ZK_ERUNTIMEINCONSISTENCY = -2,
    ZK_EDATAINCONSISTENCY    = -3,
    ZK_ECONNECTIONLOSS       = -4,
    ZK_EMARSHALLING          = -5,
    ZK_EUNIMPLEMENTED        = -6,
    ZK_EOPERATIONTIMEOUT     = -7,
    ZK_EBADARGUMENTS         = -8,
    ZK_EAPI                  = -100,
    ZK_ENONODE               = -101,
    ZK_ENOAUTH               = -102,
    ZK_EBADVERSION           = -103,
    ZK_ENOCHILDRENFOREPHEMERALS = -108,
    ZK_ENODEEXISTS           = -110,
    ZK_ENOTEMPTY             = -111,
    ZK_ESESSIONEXPIRED       = -112,
    ZK_EINVALIDCALLBACK      = -113,
    ZK_EINVALIDACL           = -114,
    ZK_EAUTHFAILED           = -115,
    ZK_ECLOSING              = -116,
    ZK_ESESSIONMOVED         = -118,
    ZK_ENOTREADONLY          = -119,
    ZK_ENOWATCHER            = -121,
    ZK_ERECONFIGDISABLED     = -123,
};

/* CreateMode flags. */
enum {
    ZK_FLAG_EPHEMERAL  = 1,
    ZK_FLAG_SEQUENTIAL = 2,
    ZK_FLAG_CONTAINER  = 4,
    ZK_FLAG_TTL        = 5, /* PERSISTENT_WITH_TTL; 6 = + SEQUENTIAL */
    ZK_FLAG_TTL_SEQ    = 6,
};

/* Watcher.Event.EventType and KeeperState. */
enum {
    ZK_EVENT_NONE             = -1,
    ZK_EVENT_CREATED          = 1,
    ZK_EVENT_DELETED          = 2,
    ZK_EVENT_DATA_CHANGED     = 3,
    ZK_EVENT_CHILDREN_CHANGED = 4,
    ZK_STATE_SYNC_CONNECTED   = 3,
    ZK_STATE_EXPIRED          = -112,
};

/* Perms. */
enum {
    ZK_PERM_READ = 1, ZK_PERM_WRITE = 2, ZK_PERM_CREATE = 4,
    ZK_PERM_DELETE = 8, ZK_PERM_ADMIN = 16, ZK_PERM_ALL = 31,
};

/* Special xids (§2.3). */
enum {
    ZK_XID_WATCH = -1, ZK_XID_PING = -2, ZK_XID_AUTH = -4,
    ZK_XID_SET_WATCHES = -8,
};

/* AddWatch modes and RemoveWatches/CheckWatches types. */
enum { ZK_ADD_WATCH_PERSISTENT = 0, ZK_ADD_WATCH_PERSISTENT_RECURSIVE = 1 };
enum {
    ZK_WTYPE_CHILDREN = 1, ZK_WTYPE_DATA = 2, ZK_WTYPE_ANY = 3,
    ZK_WTYPE_PERSISTENT = 4, ZK_WTYPE_PERSISTENT_RECURSIVE = 5,
};

#define ZK_PASSWD_LEN   16
#define ZK_STAT_WIRE    68
/* Session id reserved as the ephemeralOwner of container nodes. */
#define ZK_CONTAINER_OWNER ((int64_t)INT64_MIN)

struct zk_stat {
    int64_t czxid, mzxid, ctime, mtime;
    int32_t version, cversion, aversion;
    int64_t ephemeral_owner;
    int32_t data_length, num_children;
    int64_t pzxid;
};

struct zk_acl {
    int32_t perms;
    slice_t scheme;
    slice_t id;
};

/* The SetWatches(2) lists, in wire order. */
enum {
    ZK_WL_DATA, ZK_WL_EXIST, ZK_WL_CHILD, ZK_WL_PERSISTENT,
    ZK_WL_PERSISTENT_RECURSIVE, ZK_WL_COUNT
};

struct zk_strvec {
    slice_t *v;
    int32_t  n;
};

/* Any request body, decoded.  Which fields are meaningful depends on
 * type; unused ones are zero.  Everything borrows from the frame except
 * the arrays, which live in the arena given to zk_jute_req_decode. */
struct zk_req {
    int32_t        xid;
    int32_t        type;
    slice_t        path;      /* path, prefixPath, sync path */
    slice_t        data;      /* create/setData data; auth bytes */
    struct zk_acl *acl;       /* create/setACL */
    int32_t        nacl;
    int32_t        flags;     /* create */
    int32_t        version;   /* delete/setData/setACL/check */
    bool           watch;     /* exists/getData/getChildren(2) */
    int64_t        ttl;       /* createTTL */
    int32_t        mode;      /* addWatch mode; removeWatches type; auth type */
    slice_t        scheme;    /* auth */
    int64_t        rel_zxid;  /* setWatches */
    struct zk_strvec wl[ZK_WL_COUNT];
    struct zk_req *ops;       /* multi / multiRead */
    int32_t        nops;
};

struct zk_connect_req {
    int32_t protocol_version;
    int64_t last_zxid;
    int32_t timeout;
    int64_t session_id;
    slice_t passwd;
    bool    read_only;
    bool    has_read_only; /* old clients omit the byte */
};

struct zk_connect_resp {
    int32_t protocol_version;
    int32_t timeout;
    int64_t session_id;
    uint8_t passwd[ZK_PASSWD_LEN];
    bool    read_only;
};

/* Names for logs and 4lw; "?" for unknown values.  Never NULL. */
const char *zk_jute_op_name(int32_t op);
const char *zk_jute_err_name(int32_t err);
/* True for op codes that change the tree (go through the txn log). */
bool zk_jute_op_is_write(int32_t op);

/* -- primitives ---------------------------------------------------------- */
void zk_jute_put_string(buf_t *b, const char *s);           /* NULL = -1 */
void zk_jute_put_slice(buf_t *b, slice_t s);                /* n -1 = null */
void zk_jute_put_buffer(buf_t *b, const void *p, int32_t n); /* n -1 = null */
void zk_jute_put_bool(buf_t *b, bool v);
void zk_jute_put_stat(buf_t *b, const struct zk_stat *st);
void zk_jute_put_acls(buf_t *b, const struct zk_acl *acl, int32_t n);
/* Reads a Stat (68 bytes). */
void zk_jute_get_stat(rd_t *r, struct zk_stat *st);
/* Reads vector<ACL> into the arena; returns the count (-1 null, 0 on
 * error: check rd_ok). */
int32_t zk_jute_get_acls(rd_t *r, arena_t *a, struct zk_acl **out);
/* Reads vector<ustring> into the arena. */
int32_t zk_jute_get_strvec(rd_t *r, arena_t *a, struct zk_strvec *out);

/* -- session handshake ---------------------------------------------------- */
/* Decodes a ConnectRequest frame body (no header).  Returns 0 or the
 * reader's error. */
int  zk_jute_connect_req_decode(const uint8_t *p, size_t n,
                                struct zk_connect_req *q);
void zk_jute_connect_req_encode(buf_t *b, const struct zk_connect_req *q);
/* Encodes a ConnectResponse body; the readOnly byte only if with_ro. */
void zk_jute_connect_resp_encode(buf_t *b, const struct zk_connect_resp *s,
                                 bool with_ro);
int  zk_jute_connect_resp_decode(const uint8_t *p, size_t n,
                                 struct zk_connect_resp *s);

/* -- requests --------------------------------------------------------------- */
/* Decodes the body of a request of type q->type (already read from the
 * RequestHeader, as q->xid) from r.  Unknown types, and a multi/multiRead
 * holding an op it may not hold, are ERR_UNSUPPORTED;
 * a body that does not parse is the reader's error (ERR_SHORT/MALFORMED).
 * Trailing bytes are accepted, as ZooKeeper's BinaryInputArchive does. */
int  zk_jute_req_decode(rd_t *r, struct zk_req *q, arena_t *a);
/* Appends the body of q (no header) to b.  ERR_UNSUPPORTED for types
 * without a body encoding. */
int  zk_jute_req_encode(buf_t *b, const struct zk_req *q);
/* Appends a whole framed request: int32 length, RequestHeader, body. */
int  zk_jute_req_frame(buf_t *b, const struct zk_req *q);

/* -- replies ---------------------------------------------------------------- */
/* Begins a reply frame: length placeholder + ReplyHeader.  Returns the
 * frame offset for buf_frame_end. */
size_t zk_jute_reply_begin(buf_t *b, int32_t xid, int64_t zxid, int32_t err);
/* A complete watch notification frame (xid -1, zxid -1, err 0). */
void   zk_jute_event_frame(buf_t *b, int32_t type, int32_t state,
                           const char *path, size_t pathlen);

#endif
