/* zk_jute: encode/decode of ZooKeeper jute records (see zk_jute.h).
 *
 * Request bodies are described by one table, zk_ops[]: per op code the
 * record's fields in zookeeper.jute order.  Decoding and encoding both
 * interpret that table, so a record's layout is written exactly once. */
#include <stdlib.h>
#include <string.h>

#include "zk_jute.h"
#include "xalloc.h"

/* Field kinds of a request record. */
enum f {
    F_END = 0,
    F_PATH,     /* ustring path */
    F_DATA,     /* buffer data */
    F_ACL,      /* vector<ACL> acl */
    F_FLAGS,    /* int flags */
    F_VERSION,  /* int version */
    F_WATCH,    /* boolean watch */
    F_TTL,      /* long ttl */
    F_MODE,     /* int mode / type / timeout */
    F_SCHEME,   /* ustring scheme */
    F_RELZXID,  /* long relativeZxid */
    F_WL0, F_WL1, F_WL2, F_WL3, F_WL4, /* vector<ustring> watch lists */
    F_OPS,      /* multi framing of sub-requests */
    F_SKIPSTR,  /* ustring we do not keep (reconfig) */
    F_SKIPLONG, /* long we do not keep (reconfig) */
};

#define MAXF 6

struct zk_op_desc {
    const char *name;
    bool        known;
    bool        write;
    uint8_t     f[MAXF];
};

#define OP_BASE 20 /* ops[] index = op + OP_BASE covers -11..107 */
#define OP(code) [(code) + OP_BASE]

/* One row per op code: its name, whether it is a transaction, and the
 * fields of its request record (zookeeper.jute, ZooKeeper 3.8). */
static const struct zk_op_desc zk_ops[108 + OP_BASE] = {
    OP(ZK_OP_CREATE)           = { "create", 1, 1, { F_PATH, F_DATA, F_ACL, F_FLAGS } },
    OP(ZK_OP_DELETE)           = { "delete", 1, 1, { F_PATH, F_VERSION } },
    OP(ZK_OP_EXISTS)           = { "exists", 1, 0, { F_PATH, F_WATCH } },
    OP(ZK_OP_GET_DATA)         = { "getData", 1, 0, { F_PATH, F_WATCH } },
    OP(ZK_OP_SET_DATA)         = { "setData", 1, 1, { F_PATH, F_DATA, F_VERSION } },
    OP(ZK_OP_GET_ACL)          = { "getACL", 1, 0, { F_PATH } },
    OP(ZK_OP_SET_ACL)          = { "setACL", 1, 1, { F_PATH, F_ACL, F_VERSION } },
    OP(ZK_OP_GET_CHILDREN)     = { "getChildren", 1, 0, { F_PATH, F_WATCH } },
    OP(ZK_OP_SYNC)             = { "sync", 1, 0, { F_PATH } },
    OP(ZK_OP_PING)             = { "ping", 1, 0, { F_END } },
    OP(ZK_OP_GET_CHILDREN2)    = { "getChildren2", 1, 0, { F_PATH, F_WATCH } },
    OP(ZK_OP_CHECK)            = { "check", 1, 1, { F_PATH, F_VERSION } },
    OP(ZK_OP_MULTI)            = { "multi", 1, 1, { F_OPS } },
    OP(ZK_OP_CREATE2)          = { "create2", 1, 1, { F_PATH, F_DATA, F_ACL, F_FLAGS } },
    OP(ZK_OP_RECONFIG)         = { "reconfig", 1, 0,
                                   { F_SKIPSTR, F_SKIPSTR, F_SKIPSTR, F_SKIPLONG } },
    OP(ZK_OP_CHECK_WATCHES)    = { "checkWatches", 1, 0, { F_PATH, F_MODE } },
    OP(ZK_OP_REMOVE_WATCHES)   = { "removeWatches", 1, 0, { F_PATH, F_MODE } },
    OP(ZK_OP_CREATE_CONTAINER) = { "createContainer", 1, 1,
                                   { F_PATH, F_DATA, F_ACL, F_FLAGS } },
    OP(ZK_OP_DELETE_CONTAINER) = { "deleteContainer", 1, 1, { F_PATH } },
    OP(ZK_OP_CREATE_TTL)       = { "createTTL", 1, 1,
                                   { F_PATH, F_DATA, F_ACL, F_FLAGS, F_TTL } },
    OP(ZK_OP_MULTI_READ)       = { "multiRead", 1, 0, { F_OPS } },
    OP(ZK_OP_AUTH)             = { "auth", 1, 0, { F_MODE, F_SCHEME, F_DATA } },
    OP(ZK_OP_SET_WATCHES)      = { "setWatches", 1, 0,
                                   { F_RELZXID, F_WL0, F_WL1, F_WL2 } },
    OP(ZK_OP_SASL)             = { "sasl", 1, 0, { F_DATA } },
    OP(ZK_OP_GET_EPHEMERALS)   = { "getEphemerals", 1, 0, { F_PATH } },
    OP(ZK_OP_GET_ALL_CHILDREN_NUMBER) = { "getAllChildrenNumber", 1, 0, { F_PATH } },
    OP(ZK_OP_SET_WATCHES2)     = { "setWatches2", 1, 0,
                                   { F_RELZXID, F_WL0, F_WL1, F_WL2, F_WL3, F_WL4 } },
    OP(ZK_OP_ADD_WATCH)        = { "addWatch", 1, 0, { F_PATH, F_MODE } },
    OP(ZK_OP_WHO_AM_I)         = { "whoAmI", 1, 0, { F_END } },
    /* Internal transactions (the coord's txn log): createSession carries
     * the negotiated timeout (mode) and the password (data). */
    OP(ZK_OP_CREATE_SESSION)   = { "createSession", 1, 1, { F_MODE, F_DATA } },
    OP(ZK_OP_CLOSE_SESSION)    = { "closeSession", 1, 1, { F_END } },
    OP(ZK_OP_ERROR)            = { "error", 1, 1, { F_END } },
};

static const struct zk_op_desc *op_desc(int32_t op)
{
    if (op < -OP_BASE || op >= 108)
        return NULL;
    if (!zk_ops[op + OP_BASE].known)
        return NULL;
    return &zk_ops[op + OP_BASE];
}

const char *zk_jute_op_name(int32_t op)
{
    const struct zk_op_desc *d = op_desc(op);

    if (op == ZK_OP_NOTIFICATION)
        return "notification";
    return d ? d->name : "?";
}

bool zk_jute_op_is_write(int32_t op)
{
    const struct zk_op_desc *d = op_desc(op);

    return d != NULL && d->write;
}

static const struct {
    int32_t     code;
    const char *name;
} zk_errs[] = {
    { ZK_OK, "OK" },
    { ZK_ESYSTEM, "SYSTEMERROR" },
    { ZK_ERUNTIMEINCONSISTENCY, "RUNTIMEINCONSISTENCY" },
    { ZK_EDATAINCONSISTENCY, "DATAINCONSISTENCY" },
    { ZK_ECONNECTIONLOSS, "CONNECTIONLOSS" },
    { ZK_EMARSHALLING, "MARSHALLINGERROR" },
    { ZK_EUNIMPLEMENTED, "UNIMPLEMENTED" },
    { ZK_EOPERATIONTIMEOUT, "OPERATIONTIMEOUT" },
    { ZK_EBADARGUMENTS, "BADARGUMENTS" },
    { ZK_EAPI, "APIERROR" },
    { ZK_ENONODE, "NONODE" },
    { ZK_ENOAUTH, "NOAUTH" },
    { ZK_EBADVERSION, "BADVERSION" },
    { ZK_ENOCHILDRENFOREPHEMERALS, "NOCHILDRENFOREPHEMERALS" },
    { ZK_ENODEEXISTS, "NODEEXISTS" },
    { ZK_ENOTEMPTY, "NOTEMPTY" },
    { ZK_ESESSIONEXPIRED, "SESSIONEXPIRED" },
    { ZK_EINVALIDCALLBACK, "INVALIDCALLBACK" },
    { ZK_EINVALIDACL, "INVALIDACL" },
    { ZK_EAUTHFAILED, "AUTHFAILED" },
    { ZK_ECLOSING, "CLOSING" },
    { ZK_ESESSIONMOVED, "SESSIONMOVED" },
    { ZK_ENOTREADONLY, "NOTREADONLY" },
    { ZK_ENOWATCHER, "NOWATCHER" },
    { ZK_ERECONFIGDISABLED, "RECONFIGDISABLED" },
};

const char *zk_jute_err_name(int32_t err)
{
    size_t i;

    for (i = 0; i < sizeof zk_errs / sizeof zk_errs[0]; i++)
        if (zk_errs[i].code == err)
            return zk_errs[i].name;
    return "?";
}

/* -- primitives ------------------------------------------------------------ */

void zk_jute_put_buffer(buf_t *b, const void *p, int32_t n)
{
    if (n < 0) {
        buf_put_i32(b, -1);
        return;
    }
    buf_put_i32(b, n);
    if (n > 0)
        buf_put(b, p, (size_t)n);
}

void zk_jute_put_string(buf_t *b, const char *s)
{
    zk_jute_put_buffer(b, s, s ? (int32_t)strlen(s) : -1);
}

void zk_jute_put_slice(buf_t *b, slice_t s)
{
    zk_jute_put_buffer(b, s.p, s.n);
}

void zk_jute_put_bool(buf_t *b, bool v)
{
    buf_put_u8(b, v ? 1 : 0);
}

void zk_jute_put_stat(buf_t *b, const struct zk_stat *st)
{
    uint8_t *p = buf_extend(b, ZK_STAT_WIRE);
    buf_t    t = { p, 0, ZK_STAT_WIRE };

    /* Write into the reserved span through a borrowed buf of exactly the
     * right capacity: no growth can happen. */
    buf_put_i64(&t, st->czxid);
    buf_put_i64(&t, st->mzxid);
    buf_put_i64(&t, st->ctime);
    buf_put_i64(&t, st->mtime);
    buf_put_i32(&t, st->version);
    buf_put_i32(&t, st->cversion);
    buf_put_i32(&t, st->aversion);
    buf_put_i64(&t, st->ephemeral_owner);
    buf_put_i32(&t, st->data_length);
    buf_put_i32(&t, st->num_children);
    buf_put_i64(&t, st->pzxid);
}

void zk_jute_get_stat(rd_t *r, struct zk_stat *st)
{
    st->czxid = rd_i64(r);
    st->mzxid = rd_i64(r);
    st->ctime = rd_i64(r);
    st->mtime = rd_i64(r);
    st->version = rd_i32(r);
    st->cversion = rd_i32(r);
    st->aversion = rd_i32(r);
    st->ephemeral_owner = rd_i64(r);
    st->data_length = rd_i32(r);
    st->num_children = rd_i32(r);
    st->pzxid = rd_i64(r);
}

void zk_jute_put_acls(buf_t *b, const struct zk_acl *acl, int32_t n)
{
    int32_t i;

    buf_put_i32(b, n);
    for (i = 0; i < n; i++) {
        buf_put_i32(b, acl[i].perms);
        zk_jute_put_slice(b, acl[i].scheme);
        zk_jute_put_slice(b, acl[i].id);
    }
}

int32_t zk_jute_get_acls(rd_t *r, arena_t *a, struct zk_acl **out)
{
    int32_t i, n = rd_count(r, false, 12); /* perms + 2 lengths */

    *out = NULL;
    if (n <= 0)
        return n;
    *out = arena_calloc(a, (size_t)n, sizeof **out);
    for (i = 0; i < n; i++) {
        (*out)[i].perms = rd_i32(r);
        (*out)[i].scheme = rd_bytes(r, false);
        (*out)[i].id = rd_bytes(r, false);
    }
    return rd_ok(r) ? n : 0;
}

int32_t zk_jute_get_strvec(rd_t *r, arena_t *a, struct zk_strvec *out)
{
    int32_t i, n = rd_count(r, false, 4);

    out->v = NULL;
    out->n = n > 0 ? n : 0;
    if (n <= 0)
        return n;
    out->v = arena_calloc(a, (size_t)n, sizeof *out->v);
    for (i = 0; i < n; i++)
        out->v[i] = rd_bytes(r, false);
    if (!rd_ok(r))
        out->n = 0;
    return out->n;
}

static void put_strvec(buf_t *b, const struct zk_strvec *v)
{
    int32_t i;

    buf_put_i32(b, v->n);
    for (i = 0; i < v->n; i++)
        zk_jute_put_slice(b, v->v[i]);
}

/* -- handshake ------------------------------------------------------------- */

int zk_jute_connect_req_decode(const uint8_t *p, size_t n,
                               struct zk_connect_req *q)
{
    rd_t r = rd_init(p, n);

    memset(q, 0, sizeof *q);
    q->protocol_version = rd_i32(&r);
    q->last_zxid = rd_i64(&r);
    q->timeout = rd_i32(&r);
    q->session_id = rd_i64(&r);
    q->passwd = rd_bytes(&r, false);
    /* ZooKeeperServer.processConnectRequest: readOnly only if bytes are
     * left, because clients before 3.3 do not send it. */
    if (rd_ok(&r) && rd_left(&r) >= 1) {
        q->read_only = rd_bool(&r);
        q->has_read_only = true;
    }
    return r.err;
}

void zk_jute_connect_req_encode(buf_t *b, const struct zk_connect_req *q)
{
    buf_put_i32(b, q->protocol_version);
    buf_put_i64(b, q->last_zxid);
    buf_put_i32(b, q->timeout);
    buf_put_i64(b, q->session_id);
    zk_jute_put_slice(b, q->passwd);
    if (q->has_read_only)
        zk_jute_put_bool(b, q->read_only);
}

void zk_jute_connect_resp_encode(buf_t *b, const struct zk_connect_resp *s,
                                 bool with_ro)
{
    buf_put_i32(b, s->protocol_version);
    buf_put_i32(b, s->timeout);
    buf_put_i64(b, s->session_id);
    zk_jute_put_buffer(b, s->passwd, ZK_PASSWD_LEN);
    if (with_ro)
        zk_jute_put_bool(b, s->read_only);
}

int zk_jute_connect_resp_decode(const uint8_t *p, size_t n,
                                struct zk_connect_resp *s)
{
    rd_t    r = rd_init(p, n);
    slice_t pw;

    memset(s, 0, sizeof *s);
    s->protocol_version = rd_i32(&r);
    s->timeout = rd_i32(&r);
    s->session_id = rd_i64(&r);
    pw = rd_bytes(&r, false);
    if (rd_ok(&r) && pw.n > 0)
        memcpy(s->passwd, pw.p,
               (size_t)(pw.n < ZK_PASSWD_LEN ? pw.n : ZK_PASSWD_LEN));
    if (rd_ok(&r) && rd_left(&r) >= 1)
        s->read_only = rd_bool(&r);
    return r.err;
}

/* -- requests -------------------------------------------------------------- */

/* Sub-requests of a multi are decoded into a heap vector that doubles and
 * then copied once into the arena at their exact count, so the arena holds
 * sizeof(struct zk_req) per op (each op takes >= 13 bytes of the frame)
 * and none of the doubling's discarded copies. */
static int decode_ops(rd_t *r, struct zk_req *q, arena_t *a, bool read)
{
    int32_t        cap = 0, n = 0;
    struct zk_req *v = NULL;
    int            rc = 0;

    for (;;) {
        int32_t type = rd_i32(r);
        bool    done = rd_bool(r);

        (void)rd_i32(r); /* err, -1 in requests */
        if (!rd_ok(r)) {
            rc = r->err;
            break;
        }
        if (done)
            break;
        /* multi: create*, delete, setData, check; multiRead: getChildren,
         * getData (MultiOperationRecord).  Anything else is malformed. */
        if (read ? !(type == ZK_OP_GET_CHILDREN || type == ZK_OP_GET_DATA)
                 : !(type == ZK_OP_CREATE || type == ZK_OP_CREATE2 ||
                     type == ZK_OP_CREATE_CONTAINER ||
                     type == ZK_OP_CREATE_TTL || type == ZK_OP_DELETE ||
                     type == ZK_OP_SET_DATA || type == ZK_OP_CHECK)) {
            rc = ERR_UNSUPPORTED; /* well-formed, but not allowed here */
            break;
        }
        if (n == cap) {
            /* bounded by the frame: each op takes >= 13 bytes of it */
            cap = cap ? cap * 2 : 8;
            v = xrealloc(v, (size_t)cap * sizeof *v);
        }
        memset(&v[n], 0, sizeof v[n]);
        v[n].type = type;
        v[n].xid = q->xid;
        rc = zk_jute_req_decode(r, &v[n], a);
        if (rc < 0)
            break;
        n++;
    }
    if (rc == 0) {
        q->ops = n ? arena_alloc(a, (size_t)n * sizeof *v) : NULL;
        if (n)
            memcpy(q->ops, v, (size_t)n * sizeof *v);
        q->nops = n;
    }
    free(v);
    return rc;
}

int zk_jute_req_decode(rd_t *r, struct zk_req *q, arena_t *a)
{
    const struct zk_op_desc *d = op_desc(q->type);
    int                      i, rc;

    if (d == NULL)
        return ERR_UNSUPPORTED;
    for (i = 0; i < MAXF && d->f[i] != F_END; i++) {
        switch (d->f[i]) {
        case F_PATH:    q->path = rd_bytes(r, false); break;
        case F_DATA:    q->data = rd_bytes(r, false); break;
        case F_ACL:     q->nacl = zk_jute_get_acls(r, a, &q->acl); break;
        case F_FLAGS:   q->flags = rd_i32(r); break;
        case F_VERSION: q->version = rd_i32(r); break;
        case F_WATCH:   q->watch = rd_bool(r); break;
        case F_TTL:     q->ttl = rd_i64(r); break;
        case F_MODE:    q->mode = rd_i32(r); break;
        case F_SCHEME:  q->scheme = rd_bytes(r, false); break;
        case F_RELZXID: q->rel_zxid = rd_i64(r); break;
        case F_WL0: case F_WL1: case F_WL2: case F_WL3: case F_WL4:
            zk_jute_get_strvec(r, a, &q->wl[d->f[i] - F_WL0]);
            break;
        case F_OPS:
            rc = decode_ops(r, q, a, q->type == ZK_OP_MULTI_READ);
            if (rc < 0)
                return rc;
            break;
        case F_SKIPSTR:  (void)rd_bytes(r, false); break;
        case F_SKIPLONG: (void)rd_i64(r); break;
        }
    }
    if (!rd_ok(r))
        return r->err;
    /* A null path would be a NULL pointer for every later string use. */
    if (q->path.n < 0) {
        q->path.n = 0;
        q->path.p = (const uint8_t *)"";
    }
    return 0;
}

int zk_jute_req_encode(buf_t *b, const struct zk_req *q)
{
    const struct zk_op_desc *d = op_desc(q->type);
    int                      i, j, rc;

    if (d == NULL)
        return ERR_UNSUPPORTED;
    for (i = 0; i < MAXF && d->f[i] != F_END; i++) {
        switch (d->f[i]) {
        case F_PATH:    zk_jute_put_slice(b, q->path); break;
        case F_DATA:    zk_jute_put_slice(b, q->data); break;
        case F_ACL:     zk_jute_put_acls(b, q->acl, q->nacl); break;
        case F_FLAGS:   buf_put_i32(b, q->flags); break;
        case F_VERSION: buf_put_i32(b, q->version); break;
        case F_WATCH:   zk_jute_put_bool(b, q->watch); break;
        case F_TTL:     buf_put_i64(b, q->ttl); break;
        case F_MODE:    buf_put_i32(b, q->mode); break;
        case F_SCHEME:  zk_jute_put_slice(b, q->scheme); break;
        case F_RELZXID: buf_put_i64(b, q->rel_zxid); break;
        case F_WL0: case F_WL1: case F_WL2: case F_WL3: case F_WL4:
            put_strvec(b, &q->wl[d->f[i] - F_WL0]);
            break;
        case F_OPS:
            for (j = 0; j < q->nops; j++) {
                buf_put_i32(b, q->ops[j].type);
                zk_jute_put_bool(b, false);
                buf_put_i32(b, -1);
                rc = zk_jute_req_encode(b, &q->ops[j]);
                if (rc < 0)
                    return rc;
            }
            buf_put_i32(b, -1);
            zk_jute_put_bool(b, true);
            buf_put_i32(b, -1);
            break;
        case F_SKIPSTR:  buf_put_i32(b, -1); break;
        case F_SKIPLONG: buf_put_i64(b, -1); break;
        }
    }
    return 0;
}

int zk_jute_req_frame(buf_t *b, const struct zk_req *q)
{
    size_t at = buf_frame_begin(b);
    int    rc;

    buf_put_i32(b, q->xid);
    buf_put_i32(b, q->type);
    rc = zk_jute_req_encode(b, q);
    if (rc < 0) {
        b->len = at;
        return rc;
    }
    buf_frame_end(b, at);
    return 0;
}

/* -- replies --------------------------------------------------------------- */

size_t zk_jute_reply_begin(buf_t *b, int32_t xid, int64_t zxid, int32_t err)
{
    size_t at = buf_frame_begin(b);

    buf_put_i32(b, xid);
    buf_put_i64(b, zxid);
    buf_put_i32(b, err);
    return at;
}

void zk_jute_event_frame(buf_t *b, int32_t type, int32_t state,
                         const char *path, size_t pathlen)
{
    size_t at = zk_jute_reply_begin(b, ZK_XID_WATCH, -1, ZK_OK);

    buf_put_i32(b, type);
    buf_put_i32(b, state);
    zk_jute_put_buffer(b, path, (int32_t)pathlen);
    buf_frame_end(b, at);
}
