/* zk_tree: znodes, sessions and request execution (see zk_tree.h).
 *
 * Check order and effects follow ZooKeeper 3.8's PrepRequestProcessor
 * (writes) and FinalRequestProcessor (reads), because clients observe
 * which error wins when several apply (e.g. INVALIDACL before NONODE on
 * create, NOAUTH before NONODE on delete).
 *
 * Invariants: every node except the root is in the path hash and in its
 * parent's kids[]; kids[i]->idx == i; an ephemeral node is on exactly one
 * session's eph list; containers and TTL nodes are on t->special. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"
#include "zk_tree.h"

#define TTL_OWNER_MASK ((int64_t)0xff00000000000000ULL)
#define TTL_MAX        ((int64_t)0xffffffffffLL)

/* -- hashing and node storage ------------------------------------------- */

static uint32_t hash_path(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    size_t   i;

    for (i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static void tab_grow(zk_tree_t *t)
{
    uint32_t         nmask = t->tabmask * 2 + 1, i;
    struct zk_node **ntab = xcalloc((size_t)nmask + 1, sizeof *ntab);

    for (i = 0; i <= t->tabmask; i++) {
        struct zk_node *n = t->tab[i], *next;

        for (; n; n = next) {
            next = n->hnext;
            n->hnext = ntab[n->hash & nmask];
            ntab[n->hash & nmask] = n;
        }
    }
    free(t->tab);
    t->tab = ntab;
    t->tabmask = nmask;
}

static void hash_insert(zk_tree_t *t, struct zk_node *n)
{
    if (t->nnodes >= t->tabmask)
        tab_grow(t);
    n->hnext = t->tab[n->hash & t->tabmask];
    t->tab[n->hash & t->tabmask] = n;
    t->nnodes++;
    t->data_bytes += n->plen + (uint64_t)(n->dlen > 0 ? n->dlen : 0);
}

static void hash_remove(zk_tree_t *t, struct zk_node *n)
{
    struct zk_node **pp = &t->tab[n->hash & t->tabmask];

    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == n) {
            *pp = n->hnext;
            t->nnodes--;
            t->data_bytes -= n->plen + (uint64_t)(n->dlen > 0 ? n->dlen : 0);
            return;
        }
    }
}

struct zk_node *zk_tree_find(const zk_tree_t *t, const char *path, size_t len)
{
    uint32_t        h;
    struct zk_node *n;

    if (len == 0 || (len == 1 && path[0] == '/'))
        return t->root;
    h = hash_path(path, len);
    for (n = t->tab[h & t->tabmask]; n; n = n->hnext)
        if (n->hash == h && n->plen == len && memcmp(n->path, path, len) == 0)
            return n;
    return NULL;
}

static void kid_add(struct zk_node *p, struct zk_node *k)
{
    if (p->nkids == p->capkids) {
        p->capkids = p->capkids ? p->capkids * 2 : 4;
        p->kids = xrealloc(p->kids, p->capkids * sizeof *p->kids);
    }
    k->idx = p->nkids;
    p->kids[p->nkids++] = k;
    k->parent = p;
}

static void kid_remove(struct zk_node *p, struct zk_node *k)
{
    struct zk_node *last = p->kids[--p->nkids];

    p->kids[k->idx] = last;
    last->idx = k->idx;
}

static void list_add(struct zk_node **head, struct zk_node *n)
{
    n->eph_prev = NULL;
    n->eph_next = *head;
    if (*head)
        (*head)->eph_prev = n;
    *head = n;
}

static void list_del(struct zk_node **head, struct zk_node *n)
{
    if (n->eph_prev)
        n->eph_prev->eph_next = n->eph_next;
    else
        *head = n->eph_next;
    if (n->eph_next)
        n->eph_next->eph_prev = n->eph_prev;
    n->eph_next = n->eph_prev = NULL;
}

static void node_free(zk_tree_t *t, struct zk_node *n)
{
    zk_acl_unref(&t->acls, n->acl);
    free(n->kids);
    free(n->data);
    free(n->path);
    free(n);
}

static void set_data(struct zk_node *n, const uint8_t *p, int32_t len)
{
    n->dlen = len;
    n->data = NULL;
    if (len > 0) {
        n->data = xmalloc((size_t)len);
        memcpy(n->data, p, (size_t)len);
    }
}

static const char *parent_end(const char *path, size_t len, size_t *plen)
{
    size_t i = len;

    while (i > 0 && path[i - 1] != '/')
        i--;
    if (i == 0)
        return NULL; /* no slash */
    *plen = i - 1;   /* "/a" -> "" (the root) */
    return path;
}

/* Links a fresh node (path copied) under parent; not yet on any list. */
static struct zk_node *node_new(zk_tree_t *t, struct zk_node *parent,
                                const char *path, size_t len)
{
    struct zk_node *n = xcalloc(1, sizeof *n);

    n->path = xstrndup(path, len);
    n->plen = (uint32_t)len;
    n->hash = hash_path(path, len);
    n->dlen = -1;
    kid_add(parent, n);
    hash_insert(t, n);
    return n;
}

/* Unlink (not free) a leaf node from the hash, its parent and its list. */
static void node_detach(zk_tree_t *t, struct zk_node *n)
{
    hash_remove(t, n);
    kid_remove(n->parent, n);
    if (n->kind == ZK_NODE_EPHEMERAL) {
        struct zk_tsess *s = zk_tree_session(t, n->owner);

        if (s) {
            list_del(&s->eph, n);
            s->neph--;
        }
        t->neph--;
    } else if (n->kind == ZK_NODE_CONTAINER || n->kind == ZK_NODE_TTL) {
        list_del(&t->special, n);
    }
}

static void node_reattach(zk_tree_t *t, struct zk_node *n)
{
    kid_add(n->parent, n);
    hash_insert(t, n);
    if (n->kind == ZK_NODE_EPHEMERAL) {
        struct zk_tsess *s = zk_tree_session(t, n->owner);

        if (s) {
            list_add(&s->eph, n);
            s->neph++;
        }
        t->neph++;
    } else if (n->kind == ZK_NODE_CONTAINER || n->kind == ZK_NODE_TTL) {
        list_add(&t->special, n);
    }
}

/* -- sessions ------------------------------------------------------------- */

static uint32_t hash_id(int64_t id)
{
    uint64_t x = (uint64_t)id * 0x9e3779b97f4a7c15ULL;

    return (uint32_t)(x >> 32);
}

struct zk_tsess *zk_tree_session(const zk_tree_t *t, int64_t id)
{
    struct zk_tsess *s;

    for (s = t->stab[hash_id(id) & t->stabmask]; s; s = s->hnext)
        if (s->id == id)
            return s;
    return NULL;
}

struct zk_tsess *zk_tree_restore_session(zk_tree_t *t, int64_t id,
                                         int32_t timeout, const uint8_t *passwd)
{
    struct zk_tsess *s = zk_tree_session(t, id);

    if (s == NULL) {
        if (t->nsess >= t->stabmask) {
            uint32_t          nmask = t->stabmask * 2 + 1, i;
            struct zk_tsess **ntab = xcalloc((size_t)nmask + 1, sizeof *ntab);

            for (i = 0; i <= t->stabmask; i++) {
                struct zk_tsess *x = t->stab[i], *next;

                for (; x; x = next) {
                    next = x->hnext;
                    x->hnext = ntab[hash_id(x->id) & nmask];
                    ntab[hash_id(x->id) & nmask] = x;
                }
            }
            free(t->stab);
            t->stab = ntab;
            t->stabmask = nmask;
        }
        s = xcalloc(1, sizeof *s);
        s->id = id;
        s->hnext = t->stab[hash_id(id) & t->stabmask];
        t->stab[hash_id(id) & t->stabmask] = s;
        t->nsess++;
    }
    s->timeout = timeout;
    memcpy(s->passwd, passwd, ZK_PASSWD_LEN);
    return s;
}

static void session_remove(zk_tree_t *t, struct zk_tsess *s)
{
    struct zk_tsess **pp = &t->stab[hash_id(s->id) & t->stabmask];

    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == s) {
            *pp = s->hnext;
            t->nsess--;
            break;
        }
    }
    free(s);
}

/* -- init / free ----------------------------------------------------------- */

static const struct zk_acl open_acl[1] = {
    { ZK_PERM_ALL, { (const uint8_t *)"world", 5 }, { (const uint8_t *)"anyone", 6 } },
};

static const struct zk_acl read_acl[1] = {
    { ZK_PERM_READ, { (const uint8_t *)"world", 5 }, { (const uint8_t *)"anyone", 6 } },
};

void zk_tree_init(zk_tree_t *t)
{
    struct zk_node *zk;

    memset(t, 0, sizeof *t);
    t->tabmask = 1023;
    t->tab = xcalloc((size_t)t->tabmask + 1, sizeof *t->tab);
    t->stabmask = 63;
    t->stab = xcalloc((size_t)t->stabmask + 1, sizeof *t->stab);
    t->root = xcalloc(1, sizeof *t->root);
    t->root->path = xstrdup("/");
    t->root->plen = 1;
    t->root->dlen = 0;
    t->root->acl = zk_acl_intern(&t->acls, open_acl, 1);
    /* DataTree(): /zookeeper, /zookeeper/quota and (3.5+) the config node;
     * created with zxid 0 and time 0, as a fresh server reports them. */
    zk = node_new(t, t->root, "/zookeeper", 10);
    zk->acl = zk_acl_intern(&t->acls, open_acl, 1);
    zk->dlen = 0;
    t->root->cversion = 0; /* shown as -1 and -2: see zk_tree_stat */
    zk = node_new(t, zk, "/zookeeper/quota", 16);
    zk->acl = zk_acl_intern(&t->acls, open_acl, 1);
    zk->dlen = 0;
    zk = node_new(t, zk->parent, "/zookeeper/config", 17);
    /* ZooKeeper's config node: READ_ACL_UNSAFE and aversion -1 (measured) */
    zk->acl = zk_acl_intern(&t->acls, read_acl, 1);
    zk->aversion = -1;
    zk->dlen = 0;
}

void zk_tree_free(zk_tree_t *t)
{
    uint32_t i;

    if (t->tab == NULL)
        return;
    for (i = 0; i <= t->tabmask; i++) {
        struct zk_node *n = t->tab[i], *next;

        for (; n; n = next) {
            next = n->hnext;
            node_free(t, n);
        }
    }
    node_free(t, t->root);
    for (i = 0; i <= t->stabmask; i++) {
        struct zk_tsess *s = t->stab[i], *next;

        for (; s; s = next) {
            next = s->hnext;
            free(s);
        }
    }
    free(t->tab);
    free(t->stab);
    zk_tree_events_clear(t);
    free(t->ev);
    zk_acl_sets_free(&t->acls);
    memset(t, 0, sizeof *t);
}

uint32_t zk_tree_node_count(const zk_tree_t *t)
{
    return t->nnodes + 2;
}

void zk_tree_stat(const struct zk_node *n, struct zk_stat *st)
{
    st->czxid = n->czxid;
    st->mzxid = n->mzxid;
    st->ctime = n->ctime;
    st->mtime = n->mtime;
    st->version = n->version;
    /* DataNode.copyStat: the stored cversion counts child creates only
     * (deletes leave it alone); clients see creates + deletes, i.e.
     * 2 * creates - children still present ("v3 semantics").  So a fresh
     * "/" shows -1 and "/zookeeper" -2, exactly as ZooKeeper 3.8. */
    st->cversion = n->cversion * 2 - (int32_t)n->nkids;
    st->aversion = n->aversion;
    /* DataNode.getClientEphemeralOwner: containers and TTL nodes show 0 */
    st->ephemeral_owner = n->kind == ZK_NODE_EPHEMERAL ? n->owner : 0;
    st->data_length = n->dlen > 0 ? n->dlen : 0;
    st->num_children = (int32_t)n->nkids;
    st->pzxid = n->pzxid;
}

static void put_stat(buf_t *out, const struct zk_node *n)
{
    struct zk_stat st;

    zk_tree_stat(n, &st);
    zk_jute_put_stat(out, &st);
}

/* -- events ---------------------------------------------------------------- */

static void event_add(zk_tree_t *t, int32_t type, const char *path, size_t len)
{
    if (t->nev == t->capev) {
        t->capev = t->capev ? t->capev * 2 : 8;
        t->ev = xrealloc(t->ev, t->capev * sizeof *t->ev);
    }
    t->ev[t->nev].type = type;
    t->ev[t->nev].path = xstrndup(path, len);
    t->nev++;
}

static void events_truncate(zk_tree_t *t, uint32_t n)
{
    while (t->nev > n)
        free(t->ev[--t->nev].path);
}

void zk_tree_events_clear(zk_tree_t *t)
{
    events_truncate(t, 0);
}

/* -- validation ------------------------------------------------------------ */

int32_t zk_tree_validate_path(const char *p, size_t n)
{
    size_t i;

    if (n == 0 || p[0] != '/')
        return ZK_EBADARGUMENTS;
    if (n == 1)
        return ZK_OK;
    if (p[n - 1] == '/')
        return ZK_EBADARGUMENTS;
    for (i = 1; i < n; i++) {
        uint8_t c = (uint8_t)p[i];

        if (c == 0 || (c > 0 && c < 0x20) || c == 0x7f)
            return ZK_EBADARGUMENTS;
        if (c == '/' && p[i - 1] == '/')
            return ZK_EBADARGUMENTS; /* empty node name */
        if (c == '.' && p[i - 1] == '/') {
            /* "." and ".." are relative components, not names */
            if (i + 1 == n || p[i + 1] == '/')
                return ZK_EBADARGUMENTS;
            if (p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/'))
                return ZK_EBADARGUMENTS;
        }
    }
    return ZK_OK;
}

static bool special_path(const char *p, size_t n)
{
    return (n == 1 && p[0] == '/') || (n == 10 && memcmp(p, "/zookeeper", 10) == 0) ||
           (n == 16 && memcmp(p, "/zookeeper/quota", 16) == 0) ||
           (n == 17 && memcmp(p, "/zookeeper/config", 17) == 0);
}

static int32_t check_version(int32_t have, int32_t want)
{
    return want == -1 || want == have ? ZK_OK : ZK_EBADVERSION;
}

/* -- write primitives, with optional undo (multi) ------------------------- */

enum undo_kind { U_NONE, U_CREATE, U_DELETE, U_SET };

struct undo {
    enum undo_kind  kind;
    struct zk_node *n;
    int32_t         p_cversion; /* parent's, before */
    int64_t         p_pzxid;
    uint8_t        *old_data;   /* U_SET */
    int32_t         old_dlen, old_version;
    int64_t         old_mzxid, old_mtime;
};

#define SPATH(q) ((const char *)(q)->path.p), ((size_t)(q)->path.n)

static int32_t do_create(zk_tree_t *t, const struct zk_txn *tx,
                         struct zk_req *q, const struct zk_auth *auth,
                         arena_t *a, struct undo *u, struct zk_node **made)
{
    const char     *path = (const char *)q->path.p;
    size_t          len = (size_t)q->path.n, plen, nlen;
    struct zk_node *parent, *n;
    char           *full;
    int32_t         err, flags = q->flags;
    uint8_t         kind;
    bool            seq;

    /* validateCreateRequest: the mode must suit the op. */
    if (flags < 0 || flags > 6)
        return ZK_EBADARGUMENTS;
    if ((flags == ZK_FLAG_CONTAINER) != (q->type == ZK_OP_CREATE_CONTAINER))
        return ZK_EBADARGUMENTS;
    if (flags == ZK_FLAG_TTL || flags == ZK_FLAG_TTL_SEQ) {
        if (q->type != ZK_OP_CREATE_TTL)
            return ZK_EBADARGUMENTS;
        if (!t->extended_types)
            return ZK_EUNIMPLEMENTED;
        if (q->ttl <= 0 || q->ttl > TTL_MAX)
            return ZK_EBADARGUMENTS;
    } else if (q->type == ZK_OP_CREATE_TTL) {
        return t->extended_types ? ZK_EBADARGUMENTS : ZK_EUNIMPLEMENTED;
    }
    /* validatePathForCreate: a slash somewhere, no NUL. */
    if (parent_end(path, len, &plen) == NULL || memchr(path, 0, len))
        return ZK_EBADARGUMENTS;
    err = zk_acl_fixup(&q->acl, &q->nacl, auth, a);
    if (err)
        return err;
    parent = zk_tree_find(t, path, plen);
    if (parent == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(parent->acl, ZK_PERM_CREATE, auth))
        return ZK_ENOAUTH;
    seq = flags == 2 || flags == 3 || flags == ZK_FLAG_TTL_SEQ;
    nlen = len + (seq ? 11 : 0);
    full = arena_alloc(a, nlen + 12);
    memcpy(full, path, len);
    if (seq)
        nlen = len + (size_t)snprintf(full + len, 12, "%010d", parent->cversion);
    full[nlen] = 0;
    err = zk_tree_validate_path(full, nlen);
    if (err)
        return err;
    if (zk_tree_find(t, full, nlen))
        return ZK_ENODEEXISTS;
    if (parent->kind == ZK_NODE_EPHEMERAL)
        return ZK_ENOCHILDRENFOREPHEMERALS;
    kind = flags == 1 || flags == 3       ? ZK_NODE_EPHEMERAL
           : flags == ZK_FLAG_CONTAINER   ? ZK_NODE_CONTAINER
           : flags >= ZK_FLAG_TTL         ? ZK_NODE_TTL
                                          : ZK_NODE_PERSISTENT;
    if (kind == ZK_NODE_EPHEMERAL && zk_tree_session(t, tx->session) == NULL)
        return ZK_ESESSIONEXPIRED;
    if (t->max_data > 0 && q->data.n > t->max_data)
        return ZK_EBADARGUMENTS;

    if (u) {
        u->kind = U_CREATE;
        u->p_cversion = parent->cversion;
        u->p_pzxid = parent->pzxid;
    }
    n = node_new(t, parent, full, nlen);
    set_data(n, q->data.p, q->data.n);
    t->data_bytes += (uint64_t)(n->dlen > 0 ? n->dlen : 0);
    n->acl = zk_acl_intern(&t->acls, q->acl, q->nacl);
    n->czxid = n->mzxid = n->pzxid = tx->zxid;
    n->ctime = n->mtime = tx->time;
    n->kind = kind;
    if (kind == ZK_NODE_EPHEMERAL) {
        struct zk_tsess *s = zk_tree_session(t, tx->session);

        n->owner = tx->session;
        list_add(&s->eph, n);
        s->neph++;
        t->neph++;
    } else if (kind == ZK_NODE_CONTAINER) {
        n->owner = ZK_CONTAINER_OWNER;
        list_add(&t->special, n);
    } else if (kind == ZK_NODE_TTL) {
        n->ttl = q->ttl;
        n->owner = TTL_OWNER_MASK | q->ttl;
        list_add(&t->special, n);
    }
    parent->cversion++;
    parent->pzxid = tx->zxid;
    if (u)
        u->n = n;
    event_add(t, ZK_EVENT_CREATED, n->path, n->plen);
    event_add(t, ZK_EVENT_CHILDREN_CHANGED, parent->path,
              parent == t->root ? 1 : parent->plen);
    *made = n;
    return ZK_OK;
}

static int32_t do_delete(zk_tree_t *t, const struct zk_txn *tx,
                         const struct zk_req *q, const struct zk_auth *auth,
                         struct undo *u)
{
    const char     *path = (const char *)q->path.p;
    size_t          len = (size_t)q->path.n, plen;
    struct zk_node *parent, *n;
    int32_t         err;

    err = zk_tree_validate_path(path, len);
    if (err)
        return err;
    if (parent_end(path, len, &plen) == NULL || special_path(path, len))
        return ZK_EBADARGUMENTS;
    parent = zk_tree_find(t, path, plen);
    if (parent == NULL)
        return ZK_ENONODE;
    if (q->type != ZK_OP_DELETE_CONTAINER &&
        !zk_acl_check(parent->acl, ZK_PERM_DELETE, auth))
        return ZK_ENOAUTH;
    n = zk_tree_find(t, path, len);
    if (n == NULL)
        return ZK_ENONODE;
    if (q->type != ZK_OP_DELETE_CONTAINER &&
        (err = check_version(n->version, q->version)) != ZK_OK)
        return err;
    if (n->nkids > 0)
        return ZK_ENOTEMPTY;
    if (u) {
        u->kind = U_DELETE;
        u->n = n;
        u->p_cversion = parent->cversion;
        u->p_pzxid = parent->pzxid;
    }
    node_detach(t, n);
    /* DataTree.deleteNode: pzxid moves, the stored cversion does not */
    if (tx->zxid > parent->pzxid)
        parent->pzxid = tx->zxid;
    event_add(t, ZK_EVENT_DELETED, n->path, n->plen);
    event_add(t, ZK_EVENT_CHILDREN_CHANGED, parent->path,
              parent == t->root ? 1 : parent->plen);
    if (u == NULL)
        node_free(t, n);
    return ZK_OK;
}

static int32_t do_set(zk_tree_t *t, const struct zk_txn *tx,
                      const struct zk_req *q, const struct zk_auth *auth,
                      struct undo *u, struct zk_node **out)
{
    struct zk_node *n;
    int32_t         err;

    err = zk_tree_validate_path(SPATH(q));
    if (err)
        return err;
    n = zk_tree_find(t, SPATH(q));
    if (n == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(n->acl, ZK_PERM_WRITE, auth))
        return ZK_ENOAUTH;
    if ((err = check_version(n->version, q->version)) != ZK_OK)
        return err;
    if (t->max_data > 0 && q->data.n > t->max_data)
        return ZK_EBADARGUMENTS;
    t->data_bytes -= (uint64_t)(n->dlen > 0 ? n->dlen : 0);
    if (u) {
        u->kind = U_SET;
        u->n = n;
        u->old_data = n->data;
        u->old_dlen = n->dlen;
        u->old_version = n->version;
        u->old_mzxid = n->mzxid;
        u->old_mtime = n->mtime;
    } else {
        free(n->data);
    }
    set_data(n, q->data.p, q->data.n);
    t->data_bytes += (uint64_t)(n->dlen > 0 ? n->dlen : 0);
    n->version++;
    n->mzxid = tx->zxid;
    n->mtime = tx->time;
    event_add(t, ZK_EVENT_DATA_CHANGED, n->path, n->plen);
    *out = n;
    return ZK_OK;
}

static int32_t do_check(zk_tree_t *t, const struct zk_req *q,
                        const struct zk_auth *auth)
{
    struct zk_node *n;
    int32_t         err = zk_tree_validate_path(SPATH(q));

    if (err)
        return err;
    n = zk_tree_find(t, SPATH(q));
    if (n == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(n->acl, ZK_PERM_READ, auth))
        return ZK_ENOAUTH;
    return check_version(n->version, q->version);
}

static void undo_apply(zk_tree_t *t, struct undo *u)
{
    struct zk_node *n = u->n;

    switch (u->kind) {
    case U_CREATE:
        n->parent->cversion = u->p_cversion;
        n->parent->pzxid = u->p_pzxid;
        node_detach(t, n);
        node_free(t, n);
        break;
    case U_DELETE:
        n->parent->cversion = u->p_cversion;
        n->parent->pzxid = u->p_pzxid;
        node_reattach(t, n);
        break;
    case U_SET:
        t->data_bytes -= (uint64_t)(n->dlen > 0 ? n->dlen : 0);
        free(n->data);
        n->data = u->old_data;
        n->dlen = u->old_dlen;
        t->data_bytes += (uint64_t)(n->dlen > 0 ? n->dlen : 0);
        n->version = u->old_version;
        n->mzxid = u->old_mzxid;
        n->mtime = u->old_mtime;
        break;
    case U_NONE:
        break;
    }
}

static void undo_commit(zk_tree_t *t, struct undo *u)
{
    if (u->kind == U_DELETE)
        node_free(t, u->n);
    else if (u->kind == U_SET)
        free(u->old_data);
}

/* -- handlers -------------------------------------------------------------- */

typedef int32_t zk_exec_fn(zk_tree_t *t, const struct zk_txn *tx,
                           const struct zk_auth *auth, arena_t *a, buf_t *out);

static int32_t ex_create(zk_tree_t *t, const struct zk_txn *tx,
                         const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_node *n;
    int32_t         err = do_create(t, tx, tx->req, auth, a, NULL, &n);

    if (err)
        return err;
    zk_jute_put_buffer(out, n->path, (int32_t)n->plen);
    if (tx->req->type != ZK_OP_CREATE)
        put_stat(out, n); /* Create2Response */
    return ZK_OK;
}

static int32_t ex_delete(zk_tree_t *t, const struct zk_txn *tx,
                         const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    return do_delete(t, tx, tx->req, auth, NULL);
}

static int32_t ex_set(zk_tree_t *t, const struct zk_txn *tx,
                      const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_node *n;
    int32_t         err = do_set(t, tx, tx->req, auth, NULL, &n);

    if (err == ZK_OK)
        put_stat(out, n);
    return err;
}

static int32_t ex_check(zk_tree_t *t, const struct zk_txn *tx,
                        const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    return do_check(t, tx->req, auth);
}

static int32_t ex_set_acl(zk_tree_t *t, const struct zk_txn *tx,
                          const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_req  *q = tx->req;
    struct zk_node *n;
    int32_t         err = zk_tree_validate_path(SPATH(q));

    if (err)
        return err;
    err = zk_acl_fixup(&q->acl, &q->nacl, auth, a);
    if (err)
        return err;
    n = zk_tree_find(t, SPATH(q));
    if (n == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(n->acl, ZK_PERM_ADMIN, auth))
        return ZK_ENOAUTH;
    if ((err = check_version(n->aversion, q->version)) != ZK_OK)
        return err;
    zk_acl_unref(&t->acls, n->acl);
    n->acl = zk_acl_intern(&t->acls, q->acl, q->nacl);
    n->aversion++;
    put_stat(out, n);
    return ZK_OK;
}

static int32_t ex_create_session(zk_tree_t *t, const struct zk_txn *tx,
                                 const struct zk_auth *auth, arena_t *a,
                                 buf_t *out)
{
    uint8_t pw[ZK_PASSWD_LEN] = { 0 };

    if (tx->req->data.n == ZK_PASSWD_LEN)
        memcpy(pw, tx->req->data.p, ZK_PASSWD_LEN);
    zk_tree_restore_session(t, tx->session, tx->req->mode, pw);
    return ZK_OK;
}

static int32_t ex_close_session(zk_tree_t *t, const struct zk_txn *tx,
                                const struct zk_auth *auth, arena_t *a,
                                buf_t *out)
{
    struct zk_tsess *s = zk_tree_session(t, tx->session);

    if (s == NULL)
        return ZK_OK; /* already gone: closing twice is harmless */
    /* killSession: every ephemeral goes, as a delete at this zxid. */
    while (s->eph) {
        struct zk_node *n = s->eph, *parent = n->parent;

        node_detach(t, n);
        if (tx->zxid > parent->pzxid)
            parent->pzxid = tx->zxid;
        event_add(t, ZK_EVENT_DELETED, n->path, n->plen);
        event_add(t, ZK_EVENT_CHILDREN_CHANGED, parent->path,
                  parent == t->root ? 1 : parent->plen);
        node_free(t, n);
    }
    session_remove(t, s);
    return ZK_OK;
}

static int32_t ex_error(zk_tree_t *t, const struct zk_txn *tx,
                        const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    return ZK_OK;
}

/* multi: run the ops in order against the live tree keeping an undo record
 * each; the first failure undoes what ran and encodes the failure as
 * ZooKeeper does (reply err 0; per op {-1,false,e} + ErrorResponse e with
 * 0 before the failing op, its error at it, -2 after). */
static int32_t ex_multi(zk_tree_t *t, const struct zk_txn *tx,
                        const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_req  *q = tx->req;
    struct undo    *u = arena_calloc(a, (size_t)(q->nops ? q->nops : 1), sizeof *u);
    struct zk_node **made = arena_calloc(a, (size_t)(q->nops ? q->nops : 1),
                                         sizeof *made);
    uint32_t        ev0 = t->nev;
    int32_t         i, err = ZK_OK, failed = -1;

    for (i = 0; i < q->nops && err == ZK_OK; i++) {
        struct zk_req *op = &q->ops[i];

        switch (op->type) {
        case ZK_OP_CREATE: case ZK_OP_CREATE2: case ZK_OP_CREATE_CONTAINER:
        case ZK_OP_CREATE_TTL:
            err = do_create(t, tx, op, auth, a, &u[i], &made[i]);
            break;
        case ZK_OP_DELETE:
            err = do_delete(t, tx, op, auth, &u[i]);
            break;
        case ZK_OP_SET_DATA:
            err = do_set(t, tx, op, auth, &u[i], &made[i]);
            break;
        case ZK_OP_CHECK:
            err = do_check(t, op, auth);
            break;
        default:
            err = ZK_EBADARGUMENTS;
        }
        if (err)
            failed = i;
    }
    t->multi_failed = failed >= 0;
    if (failed >= 0) {
        for (i = failed - 1; i >= 0; i--)
            undo_apply(t, &u[i]);
        events_truncate(t, ev0);
        for (i = 0; i < q->nops; i++) {
            int32_t e = i < failed ? 0 : i == failed ? err : ZK_ERUNTIMEINCONSISTENCY;

            buf_put_i32(out, ZK_OP_ERROR);
            zk_jute_put_bool(out, false);
            buf_put_i32(out, e);
            buf_put_i32(out, e);
        }
    } else {
        for (i = 0; i < q->nops; i++) {
            struct zk_req *op = &q->ops[i];

            /* Measured on 3.8.0: inside a multi, create2 answers as a plain
             * create (path only) while createContainer and createTTL answer
             * as create2 (path + Stat). */
            int32_t rtype = op->type == ZK_OP_CREATE2 ? ZK_OP_CREATE
                            : op->type == ZK_OP_CREATE_CONTAINER || op->type == ZK_OP_CREATE_TTL
                                ? ZK_OP_CREATE2
                                : op->type;

            undo_commit(t, &u[i]);
            buf_put_i32(out, rtype);
            zk_jute_put_bool(out, false);
            buf_put_i32(out, 0);
            if (rtype == ZK_OP_SET_DATA) {
                put_stat(out, made[i]);
            } else if (rtype == ZK_OP_CREATE || rtype == ZK_OP_CREATE2) {
                zk_jute_put_buffer(out, made[i]->path, (int32_t)made[i]->plen);
                if (rtype == ZK_OP_CREATE2)
                    put_stat(out, made[i]);
            }
        }
    }
    buf_put_i32(out, -1);
    zk_jute_put_bool(out, true);
    buf_put_i32(out, -1);
    return ZK_OK;
}

/* -- reads ------------------------------------------------------------------ */

static int32_t ex_exists(zk_tree_t *t, const struct zk_txn *tx,
                         const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_node *n = zk_tree_find(t, SPATH(tx->req));

    if (n == NULL)
        return ZK_ENONODE;
    put_stat(out, n); /* exists has no ACL check */
    return ZK_OK;
}

static int32_t ex_get_data(zk_tree_t *t, const struct zk_txn *tx,
                           const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_node *n = zk_tree_find(t, SPATH(tx->req));

    if (n == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(n->acl, ZK_PERM_READ, auth))
        return ZK_ENOAUTH;
    zk_jute_put_buffer(out, n->data, n->dlen);
    put_stat(out, n);
    return ZK_OK;
}

static int cmp_kid(const void *x, const void *y)
{
    const struct zk_node *a = *(struct zk_node *const *)x;
    const struct zk_node *b = *(struct zk_node *const *)y;

    return strcmp(a->path, b->path);
}

static void put_children(buf_t *out, const struct zk_node *n, arena_t *a)
{
    struct zk_node **v;
    uint32_t         i;
    size_t           skip = n->plen == 1 ? 1 : n->plen + 1;

    buf_put_i32(out, (int32_t)n->nkids);
    if (n->nkids == 0)
        return;
    /* Sorted, so listings are stable (ZooKeeper's order is a HashSet's). */
    v = arena_alloc(a, n->nkids * sizeof *v);
    memcpy(v, n->kids, n->nkids * sizeof *v);
    qsort(v, n->nkids, sizeof *v, cmp_kid);
    for (i = 0; i < n->nkids; i++)
        zk_jute_put_buffer(out, v[i]->path + skip, (int32_t)(v[i]->plen - skip));
}

static int32_t ex_get_children(zk_tree_t *t, const struct zk_txn *tx,
                               const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_node *n = zk_tree_find(t, SPATH(tx->req));

    if (n == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(n->acl, ZK_PERM_READ, auth))
        return ZK_ENOAUTH;
    put_children(out, n, a);
    if (tx->req->type == ZK_OP_GET_CHILDREN2)
        put_stat(out, n);
    return ZK_OK;
}

static int32_t ex_get_acl(zk_tree_t *t, const struct zk_txn *tx,
                          const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_node *n = zk_tree_find(t, SPATH(tx->req));
    bool            admin;
    int32_t         i;

    if (n == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(n->acl, ZK_PERM_READ | ZK_PERM_ADMIN, auth))
        return ZK_ENOAUTH;
    /* 3.8: without ADMIN the digest ids' hashes are masked as "user:x". */
    admin = zk_acl_check(n->acl, ZK_PERM_ADMIN, auth);
    buf_put_i32(out, n->acl->n);
    for (i = 0; i < n->acl->n; i++) {
        const struct zk_aclent *e = &n->acl->v[i];
        const char             *colon = strchr(e->id, ':');

        buf_put_i32(out, e->perms);
        zk_jute_put_string(out, e->scheme);
        if (!admin && strcmp(e->scheme, "digest") == 0 && colon) {
            buf_put_i32(out, (int32_t)(colon - e->id) + 2);
            buf_put(out, e->id, (size_t)(colon - e->id));
            buf_put(out, ":x", 2);
        } else {
            zk_jute_put_string(out, e->id);
        }
    }
    put_stat(out, n);
    return ZK_OK;
}

static int32_t ex_sync(zk_tree_t *t, const struct zk_txn *tx,
                       const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    zk_jute_put_slice(out, tx->req->path);
    return ZK_OK;
}

static uint32_t count_all(const struct zk_node *n)
{
    /* iterative: znode depth is bounded only by the path length */
    const struct zk_node **stack;
    uint32_t               sp = 0, cap = 64, total = 0, i;

    stack = xmalloc(cap * sizeof *stack);
    stack[sp++] = n;
    while (sp) {
        const struct zk_node *x = stack[--sp];

        for (i = 0; i < x->nkids; i++) {
            if (sp == cap) {
                cap *= 2;
                stack = xrealloc(stack, cap * sizeof *stack);
            }
            stack[sp++] = x->kids[i];
            total++;
        }
    }
    free(stack);
    return total;
}

static int32_t ex_all_children(zk_tree_t *t, const struct zk_txn *tx,
                               const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_node *n = zk_tree_find(t, SPATH(tx->req));

    if (n == NULL)
        return ZK_ENONODE;
    if (!zk_acl_check(n->acl, ZK_PERM_READ, auth))
        return ZK_ENOAUTH;
    buf_put_i32(out, (int32_t)count_all(n));
    return ZK_OK;
}

static int32_t ex_get_ephemerals(zk_tree_t *t, const struct zk_txn *tx,
                                 const struct zk_auth *auth, arena_t *a,
                                 buf_t *out)
{
    struct zk_tsess *s = zk_tree_session(t, tx->session);
    const char      *pre = (const char *)tx->req->path.p;
    size_t           plen = (size_t)tx->req->path.n, at;
    struct zk_node  *n;
    int32_t          cnt = 0;

    if (plen == 1 && pre[0] == '/')
        plen = 0;
    at = out->len;
    buf_put_i32(out, 0);
    for (n = s ? s->eph : NULL; n; n = n->eph_next) {
        if (n->plen >= plen && memcmp(n->path, pre, plen) == 0) {
            zk_jute_put_buffer(out, n->path, (int32_t)n->plen);
            cnt++;
        }
    }
    buf_set_i32(out, at, cnt);
    return ZK_OK;
}

/* multiRead: each op independent; a failing one is {-1,false,e} + e. */
static int32_t ex_multi_read(zk_tree_t *t, const struct zk_txn *tx,
                             const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    struct zk_req *q = tx->req;
    int32_t        i;

    for (i = 0; i < q->nops; i++) {
        struct zk_txn sub = *tx;
        size_t        at = out->len;
        int32_t       err;

        sub.req = &q->ops[i];
        buf_put_i32(out, q->ops[i].type);
        zk_jute_put_bool(out, false);
        buf_put_i32(out, 0);
        err = q->ops[i].type == ZK_OP_GET_DATA
                  ? ex_get_data(t, &sub, auth, a, out)
                  : ex_get_children(t, &sub, auth, a, out);
        if (err) {
            out->len = at;
            buf_put_i32(out, ZK_OP_ERROR);
            zk_jute_put_bool(out, false);
            buf_put_i32(out, err);
            buf_put_i32(out, err);
        }
    }
    buf_put_i32(out, -1);
    zk_jute_put_bool(out, true);
    buf_put_i32(out, -1);
    return ZK_OK;
}

/* The executor's op table: what the tree does for each op code.  Ops that
 * concern the connection (ping, auth, watches, whoAmI) are the server's. */
static const struct {
    int32_t     op;
    zk_exec_fn *fn;
} zk_exec_table[] = {
    { ZK_OP_CREATE, ex_create },
    { ZK_OP_CREATE2, ex_create },
    { ZK_OP_CREATE_CONTAINER, ex_create },
    { ZK_OP_CREATE_TTL, ex_create },
    { ZK_OP_DELETE, ex_delete },
    { ZK_OP_DELETE_CONTAINER, ex_delete },
    { ZK_OP_SET_DATA, ex_set },
    { ZK_OP_SET_ACL, ex_set_acl },
    { ZK_OP_CHECK, ex_check },
    { ZK_OP_MULTI, ex_multi },
    { ZK_OP_CREATE_SESSION, ex_create_session },
    { ZK_OP_CLOSE_SESSION, ex_close_session },
    { ZK_OP_ERROR, ex_error },
    { ZK_OP_EXISTS, ex_exists },
    { ZK_OP_GET_DATA, ex_get_data },
    { ZK_OP_GET_CHILDREN, ex_get_children },
    { ZK_OP_GET_CHILDREN2, ex_get_children },
    { ZK_OP_GET_ACL, ex_get_acl },
    { ZK_OP_SYNC, ex_sync },
    { ZK_OP_GET_ALL_CHILDREN_NUMBER, ex_all_children },
    { ZK_OP_GET_EPHEMERALS, ex_get_ephemerals },
    { ZK_OP_MULTI_READ, ex_multi_read },
};

int32_t zk_tree_exec(zk_tree_t *t, const struct zk_txn *tx,
                     const struct zk_auth *auth, arena_t *a, buf_t *out)
{
    size_t i, at = out->len;
    int32_t err;

    for (i = 0; i < sizeof zk_exec_table / sizeof zk_exec_table[0]; i++) {
        if (zk_exec_table[i].op != tx->req->type)
            continue;
        err = zk_exec_table[i].fn(t, tx, auth, a, out);
        if (zk_jute_op_is_write(tx->req->type) && tx->zxid > t->zxid)
            t->zxid = tx->zxid;
        if (err)
            out->len = at;  /* error replies have no body */
        return err;
    }
    return ZK_EUNIMPLEMENTED;
}

/* -- containers and TTLs --------------------------------------------------- */

void zk_tree_reapable(const zk_tree_t *t, int64_t now_ms, buf_t *paths)
{
    const struct zk_node *n;

    for (n = t->special; n; n = n->eph_next) {
        if (n->nkids > 0)
            continue;
        if ((n->kind == ZK_NODE_CONTAINER && n->cversion > 0) ||
            (n->kind == ZK_NODE_TTL && now_ms - n->mtime > n->ttl)) {
            buf_put(paths, n->path, n->plen);
            buf_put_u8(paths, 0);
        }
    }
}

/* -- walk and restore (snapshots) ------------------------------------------ */

void zk_tree_walk_with(const zk_tree_t *t,
                       void (*fn)(const struct zk_node *n, void *arg), void *arg,
                       const struct zk_node **stack)
{
    uint32_t sp = 0, i;

    /* The stack never holds more than every node once. */
    stack[sp++] = t->root;
    while (sp) {
        const struct zk_node *x = stack[--sp];

        fn(x, arg);
        for (i = 0; i < x->nkids; i++)
            stack[sp++] = x->kids[i];
    }
}

void zk_tree_walk(const zk_tree_t *t,
                  void (*fn)(const struct zk_node *n, void *arg), void *arg)
{
    const struct zk_node **stack = xmalloc(((size_t)t->nnodes + 1) * sizeof *stack);

    zk_tree_walk_with(t, fn, arg, stack);
    free(stack);
}

int zk_tree_restore_node(zk_tree_t *t, const char *path, size_t plen,
                         const uint8_t *data, int32_t dlen,
                         const struct zk_acl *acl, int32_t nacl,
                         const struct zk_node *f)
{
    struct zk_node *n, *parent;
    size_t          pl;

    if (plen == 1 && path[0] == '/') {
        n = t->root;
    } else {
        if (zk_tree_validate_path(path, plen) != ZK_OK ||
            parent_end(path, plen, &pl) == NULL)
            return ERR_CORRUPT;
        parent = zk_tree_find(t, path, pl);
        if (parent == NULL)
            return ERR_CORRUPT;
        n = zk_tree_find(t, path, plen);
        if (n == NULL) {
            n = node_new(t, parent, path, plen);
        } else {
            t->data_bytes -= (uint64_t)(n->dlen > 0 ? n->dlen : 0);
            if (n->kind == ZK_NODE_EPHEMERAL || n->kind == ZK_NODE_CONTAINER ||
                n->kind == ZK_NODE_TTL)
                return ERR_CORRUPT; /* the built-in nodes are plain */
        }
    }
    free(n->data);
    set_data(n, data, dlen);
    if (n != t->root)
        t->data_bytes += (uint64_t)(n->dlen > 0 ? n->dlen : 0);
    zk_acl_unref(&t->acls, n->acl);
    n->acl = zk_acl_intern(&t->acls, acl, nacl);
    n->czxid = f->czxid;
    n->mzxid = f->mzxid;
    n->ctime = f->ctime;
    n->mtime = f->mtime;
    n->pzxid = f->pzxid;
    n->version = f->version;
    n->cversion = f->cversion;
    n->aversion = f->aversion;
    n->owner = f->owner;
    n->ttl = f->ttl;
    n->kind = f->kind;
    if (n->kind == ZK_NODE_EPHEMERAL) {
        struct zk_tsess *s = zk_tree_session(t, n->owner);

        if (s == NULL)
            return ERR_CORRUPT;
        list_add(&s->eph, n);
        s->neph++;
        t->neph++;
    } else if (n->kind == ZK_NODE_CONTAINER || n->kind == ZK_NODE_TTL) {
        list_add(&t->special, n);
    }
    return 0;
}
