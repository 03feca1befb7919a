/* kf_gstore: groups and offsets in __consumer_offsets (see kf_gstore.h).
 * Batches written here are uncompressed v2 batches, one record per offset
 * or group, like Kafka's GroupMetadataManager.storeOffsets/storeGroup. */
#include "kf_gstore.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crc32c.h"
#include "err.h"
#include "kf_compact.h"
#include "kf_offsets.h"
#include "rd.h"
#include "xalloc.h"

struct kf_gstore {
    struct kf_gstore_ops ops;
    int32_t              nparts;
    kf_group_coord_t    *co;
    int64_t              errors;
    int64_t              pending; /* appends whose done has not run */
    bool                 freed;   /* kf_gstore_free ran: free at 0 */
};

kf_gstore_t *kf_gstore_new(const struct kf_gstore_ops *ops, int32_t nparts)
{
    kf_gstore_t *gs = xcalloc(1, sizeof *gs);

    gs->ops = *ops;
    gs->nparts = nparts > 0 ? nparts : 1;
    return gs;
}

void kf_gstore_attach(kf_gstore_t *gs, kf_group_coord_t *co)
{
    gs->co = co;
}

/* The log may call done after the broker let go of the store (a flush
 * completing during shutdown): the store lives until the last one. */
void kf_gstore_free(kf_gstore_t *gs)
{
    if (gs == NULL)
        return;
    gs->co = NULL;
    gs->freed = true;
    if (gs->pending == 0)
        free(gs);
}

static void pending_done(kf_gstore_t *gs)
{
    gs->pending--;
    if (gs->freed && gs->pending == 0)
        free(gs);
}

int64_t kf_gstore_errors(const kf_gstore_t *gs)
{
    return gs->errors;
}

static slice_t S(const char *s)
{
    slice_t r = { (const uint8_t *)s, s != NULL ? (int32_t)strlen(s) : -1 };

    return r;
}

/* ---- batch building --------------------------------------------------------- */

struct batch {
    buf_t   b;
    int32_t n;
};

static void batch_begin(struct batch *bt, int64_t ts)
{
    buf_init(&bt->b);
    bt->n = 0;
    buf_put_i64(&bt->b, 0);  /* base offset: the log sets it */
    buf_put_i32(&bt->b, 0);  /* length, set at the end */
    buf_put_i32(&bt->b, -1); /* partition leader epoch: the log sets it */
    buf_put_i8(&bt->b, 2);
    buf_put_u32(&bt->b, 0);  /* crc, set at the end */
    buf_put_i16(&bt->b, 0);  /* no compression, CreateTime */
    buf_put_i32(&bt->b, 0);  /* last offset delta, set at the end */
    buf_put_i64(&bt->b, ts);
    buf_put_i64(&bt->b, ts);
    buf_put_i64(&bt->b, -1); /* no producer */
    buf_put_i16(&bt->b, -1);
    buf_put_i32(&bt->b, -1);
    buf_put_i32(&bt->b, 0);  /* count, set at the end */
}

/* value NULL: a tombstone. */
static void batch_add(struct batch *bt, const buf_t *key, const buf_t *value)
{
    size_t body = 1 + buf_varint_size(0) + buf_varint_size(bt->n) +
                  buf_varint_size((int64_t)key->len) + key->len +
                  (value ? buf_varint_size((int64_t)value->len) + value->len
                         : buf_varint_size(-1)) +
                  buf_varint_size(0);

    buf_put_varint(&bt->b, (int64_t)body);
    buf_put_i8(&bt->b, 0);
    buf_put_varint(&bt->b, 0);     /* timestamp delta */
    buf_put_varint(&bt->b, bt->n); /* offset delta */
    buf_put_varint(&bt->b, (int64_t)key->len);
    buf_put(&bt->b, key->data, key->len);
    if (value != NULL) {
        buf_put_varint(&bt->b, (int64_t)value->len);
        buf_put(&bt->b, value->data, value->len);
    } else {
        buf_put_varint(&bt->b, -1);
    }
    buf_put_varint(&bt->b, 0);     /* no headers */
    bt->n++;
}

static void batch_end(struct batch *bt)
{
    uint32_t crc;
    uint8_t *p;

    buf_set_i32(&bt->b, 8, (int32_t)(bt->b.len - 12));
    buf_set_i32(&bt->b, 23, bt->n > 0 ? bt->n - 1 : 0);
    buf_set_i32(&bt->b, 57, bt->n);
    crc = crc32c(0, bt->b.data + 21, bt->b.len - 21);
    p = bt->b.data + 17;
    p[0] = (uint8_t)(crc >> 24);
    p[1] = (uint8_t)(crc >> 16);
    p[2] = (uint8_t)(crc >> 8);
    p[3] = (uint8_t)crc;
}

static void done_nothing(void *arg, int status)
{
    kf_gstore_t *gs = arg;

    if (status < 0)
        gs->errors++;
    pending_done(gs);
}

/* Appends a finished batch to the group's partition; fire and forget. */
static int append_batch(kf_gstore_t *gs, const char *group, struct batch *bt)
{
    int rc;

    batch_end(bt);
    gs->pending++;
    rc = gs->ops.append(gs->ops.ctx, kf_offsets_partition_for(group, gs->nparts),
                        bt->b.data, bt->b.len, done_nothing, gs);
    if (rc < 0) {
        gs->errors++;
        pending_done(gs);
    }
    buf_free(&bt->b);
    return rc;
}

static void key_offset(buf_t *k, const char *group, const char *topic,
                       int32_t partition)
{
    buf_reset(k);
    (void)kf_offsets_key_commit_put(k, 1, S(group), S(topic), partition);
}

/* ---- group metadata ------------------------------------------------------------ */

static void group_value(buf_t *v, const struct kf_group *g)
{
    struct kf_offsets_group   og = { 0 };
    struct kf_offsets_member *ms = NULL;
    int                       i, j;

    og.version = 3;
    og.protocol_type = S(g->protocol_type != NULL ? g->protocol_type : "");
    og.generation = g->generation;
    og.protocol = S(g->nmembers > 0 ? g->protocol_name : NULL);
    og.leader = S(g->nmembers > 0 ? g->leader : NULL);
    og.state_ts = g->state_ts;
    og.nmembers = g->nmembers;
    if (g->nmembers > 0)
        ms = xcalloc((size_t)g->nmembers, sizeof *ms);
    for (i = 0; i < g->nmembers; i++) {
        const struct kf_group_member *m = g->members[i];

        ms[i].member_id = S(m->id);
        ms[i].instance_id = S(m->instance_id);
        ms[i].client_id = S(m->client_id);
        ms[i].client_host = S(m->client_host);
        ms[i].rebalance_ms = m->rebalance_ms;
        ms[i].session_ms = m->session_ms;
        ms[i].subscription = S("");
        for (j = 0; j < m->nprotos && g->protocol_name != NULL; j++) {
            if (strcmp(m->protos[j].name, g->protocol_name) == 0) {
                ms[i].subscription.p = m->protos[j].meta.data;
                ms[i].subscription.n = (int32_t)m->protos[j].meta.len;
            }
        }
        ms[i].assignment.p = m->assignment.data;
        ms[i].assignment.n = (int32_t)m->assignment.len;
    }
    og.members = ms;
    buf_reset(v);
    (void)kf_offsets_group_put(v, &og);
    free(ms);
}

void kf_gstore_store_hook(void *arg, const struct kf_group *g)
{
    kf_gstore_t *gs = arg;
    struct batch bt;
    buf_t        k = BUF_INIT, v = BUF_INIT;

    (void)kf_offsets_key_group_put(&k, S(g->id));
    group_value(&v, g);
    batch_begin(&bt, clock_wall_ms());
    batch_add(&bt, &k, &v);
    (void)append_batch(gs, g->id, &bt);
    buf_free(&k);
    buf_free(&v);
}

/* ---- commits and deletions ----------------------------------------------------- */

struct pending_commit {
    kf_gstore_t            *gs;
    char                   *group;
    int                     n;
    struct kf_group_offset *offs;
    kf_gstore_done_fn      *done;
    void                   *arg;
};

static void pending_free(struct pending_commit *pc)
{
    int i;

    for (i = 0; i < pc->n; i++) {
        free(pc->offs[i].topic);
        free(pc->offs[i].metadata);
    }
    free(pc->offs);
    free(pc->group);
    free(pc);
}

static void commit_done(void *arg, int status)
{
    struct pending_commit *pc = arg;
    kf_gstore_t           *gs = pc->gs;
    int                    i;

    if (status == 0 && gs->co != NULL)
        for (i = 0; i < pc->n; i++)
            kf_group_offset_put(gs->co, pc->group, &pc->offs[i]);
    pc->done(pc->arg, status);
    pending_free(pc);
    pending_done(gs);
}

int kf_gstore_commit(kf_gstore_t *gs, const char *group, int n,
                     const struct kf_group_offset *offs,
                     kf_gstore_done_fn *done, void *arg)
{
    struct pending_commit *pc = xcalloc(1, sizeof *pc);
    struct batch           bt;
    buf_t                  k = BUF_INIT, v = BUF_INIT;
    int                    i, rc;

    pc->gs = gs;
    pc->group = xstrdup(group);
    pc->n = n;
    pc->offs = n > 0 ? xcalloc((size_t)n, sizeof *pc->offs) : NULL;
    pc->done = done;
    pc->arg = arg;
    batch_begin(&bt, n > 0 ? offs[0].commit_ts : clock_wall_ms());
    for (i = 0; i < n; i++) {
        struct kf_offsets_commit c;

        pc->offs[i] = offs[i];
        pc->offs[i].topic = xstrdup(offs[i].topic);
        pc->offs[i].metadata =
            xstrdup(offs[i].metadata != NULL ? offs[i].metadata : "");
        c.offset = offs[i].offset;
        c.leader_epoch = offs[i].leader_epoch;
        c.metadata = S(pc->offs[i].metadata);
        c.commit_ts = offs[i].commit_ts;
        c.expire_ts = offs[i].expire_ts;
        c.version = kf_offsets_commit_version(&c);
        key_offset(&k, group, offs[i].topic, offs[i].partition);
        buf_reset(&v);
        (void)kf_offsets_commit_put(&v, &c);
        batch_add(&bt, &k, &v);
    }
    batch_end(&bt);
    buf_free(&k);
    buf_free(&v);
    gs->pending++;
    rc = gs->ops.append(gs->ops.ctx,
                        kf_offsets_partition_for(group, gs->nparts), bt.b.data,
                        bt.b.len, commit_done, pc);
    buf_free(&bt.b);
    if (rc < 0) {
        pending_free(pc);
        pending_done(gs);
    }
    return rc;
}

int kf_gstore_delete_offset(kf_gstore_t *gs, const char *group,
                            const char *topic, int32_t partition)
{
    struct batch bt;
    buf_t        k = BUF_INIT;
    int          rc;

    if (kf_group_offset_get(gs->co, group, topic, partition) == NULL)
        return ERR_NOTFOUND;
    batch_begin(&bt, clock_wall_ms());
    key_offset(&k, group, topic, partition);
    batch_add(&bt, &k, NULL);
    buf_free(&k);
    rc = append_batch(gs, group, &bt);
    if (rc < 0)
        return rc;
    return kf_group_offset_del(gs->co, group, topic, partition);
}

/* Tombstones for some offsets of g (all if all), and for its metadata if
 * with_group; the offsets are removed from the coordinator. */
static int tombstones(kf_gstore_t *gs, const struct kf_group *g,
                      const bool *which, bool with_group, int64_t now)
{
    struct batch bt;
    buf_t        k = BUF_INIT;
    int          i, n = 0, rc = 0;
    char        *id = xstrdup(g->id);

    batch_begin(&bt, now);
    for (i = 0; i < g->noffsets; i++) {
        if (which != NULL && !which[i])
            continue;
        key_offset(&k, g->id, g->offsets[i].topic, g->offsets[i].partition);
        batch_add(&bt, &k, NULL);
        n++;
    }
    if (with_group) {
        buf_reset(&k);
        (void)kf_offsets_key_group_put(&k, S(g->id));
        batch_add(&bt, &k, NULL);
    }
    buf_free(&k);
    if (bt.n > 0)
        rc = append_batch(gs, id, &bt);
    else
        buf_free(&bt.b);
    if (rc == 0) {
        /* remove from the end so indexes stay valid */
        for (i = g->noffsets - 1; i >= 0; i--) {
            if (which != NULL && !which[i])
                continue;
            (void)kf_group_offset_del(gs->co, id, g->offsets[i].topic,
                                      g->offsets[i].partition);
        }
    }
    free(id);
    return rc < 0 ? rc : n;
}

int16_t kf_gstore_delete_group(kf_gstore_t *gs, const char *group)
{
    const struct kf_group *g = kf_group_find(gs->co, group);

    if (g == NULL)
        return KF_GROUP_ERR_GROUP_ID_NOT_FOUND;
    if (g->state != KF_GROUP_EMPTY)
        return KF_GROUP_ERR_NON_EMPTY_GROUP;
    if (tombstones(gs, g, NULL, true, clock_wall_ms()) < 0)
        return KF_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    return kf_group_delete(gs->co, group);
}

/* ---- loading ---------------------------------------------------------------------- */

struct gmeta { /* the newest group metadata record seen for a group */
    char   *group;
    int64_t seq;
    buf_t   value; /* len 0 with tomb */
    bool    tomb;
};

struct load_ctx {
    kf_gstore_t  *gs;
    struct gmeta *gm;
    int           ngm, capgm;
    int64_t       seq;
};

static int load_rec(void *arg, int64_t offset, slice_t key, slice_t value)
{
    struct load_ctx         *lc = arg;
    struct kf_offsets_key    k;
    struct kf_offsets_commit c;
    char                    *group, *topic;

    (void)offset;
    if (key.n < 0 || kf_offsets_key_get(key.p, (size_t)key.n, &k) < 0) {
        lc->gs->errors++;
        return 0;
    }
    group = slice_dup(k.group);
    if (k.version <= 1) {
        topic = slice_dup(k.topic);
        if (value.n < 0) {
            (void)kf_group_offset_del(lc->gs->co, group, topic, k.partition);
        } else if (kf_offsets_commit_get(value.p, (size_t)value.n, &c) == 0) {
            struct kf_group_offset o;
            char                  *md = slice_dup(c.metadata);

            o.topic = topic;
            o.partition = k.partition;
            o.offset = c.offset;
            o.leader_epoch = c.leader_epoch;
            o.metadata = md;
            o.commit_ts = c.commit_ts;
            o.expire_ts = c.expire_ts;
            kf_group_offset_put(lc->gs->co, group, &o);
            free(md);
        } else {
            lc->gs->errors++;
        }
        free(topic);
        free(group);
        return 0;
    }
    if (lc->ngm == lc->capgm) {
        lc->capgm = lc->capgm ? lc->capgm * 2 : 16;
        lc->gm = xrealloc(lc->gm, (size_t)lc->capgm * sizeof *lc->gm);
    }
    lc->gm[lc->ngm].group = group;
    lc->gm[lc->ngm].seq = lc->seq++;
    buf_init(&lc->gm[lc->ngm].value);
    lc->gm[lc->ngm].tomb = value.n < 0;
    if (value.n > 0)
        buf_put(&lc->gm[lc->ngm].value, value.p, (size_t)value.n);
    lc->ngm++;
    return 0;
}

static int gmeta_cmp(const void *a, const void *b)
{
    const struct gmeta *x = a, *y = b;
    int                 c = strcmp(x->group, y->group);

    if (c != 0)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void restore_group(kf_gstore_t *gs, const struct gmeta *m)
{
    struct kf_offsets_group         og;
    struct kf_group_restore_member *rm = NULL;
    arena_t                         a;
    char *ptype, *proto, *leader;
    int   i;

    if (m->tomb) {
        const struct kf_group *g = kf_group_find(gs->co, m->group);

        if (g != NULL && g->nmembers == 0 && g->noffsets == 0)
            (void)kf_group_delete(gs->co, m->group);
        return;
    }
    arena_init(&a);
    if (kf_offsets_group_get(m->value.data, m->value.len, &a, &og) < 0) {
        gs->errors++;
        arena_free(&a);
        return;
    }
    if (og.nmembers > 0)
        rm = arena_calloc(&a, (size_t)og.nmembers, sizeof *rm);
    for (i = 0; i < og.nmembers; i++) {
        const struct kf_offsets_member *om = &og.members[i];

        rm[i].member_id = arena_strndup(&a, (const char *)om->member_id.p,
                                        (size_t)om->member_id.n);
        rm[i].instance_id =
            om->instance_id.n < 0
                ? NULL
                : arena_strndup(&a, (const char *)om->instance_id.p,
                                (size_t)om->instance_id.n);
        rm[i].client_id = arena_strndup(&a, (const char *)om->client_id.p,
                                        (size_t)om->client_id.n);
        rm[i].client_host = arena_strndup(&a, (const char *)om->client_host.p,
                                          (size_t)om->client_host.n);
        rm[i].rebalance_ms = om->rebalance_ms;
        rm[i].session_ms = om->session_ms;
        rm[i].subscription = om->subscription.p;
        rm[i].subscription_len = (size_t)om->subscription.n;
        rm[i].assignment = om->assignment.p;
        rm[i].assignment_len = (size_t)om->assignment.n;
    }
    ptype = slice_dup(og.protocol_type);
    proto = slice_dup(og.protocol);
    leader = slice_dup(og.leader);
    kf_group_restore(gs->co, m->group, ptype[0] != '\0' ? ptype : NULL,
                     og.generation, proto, leader,
                     og.state_ts >= 0 ? og.state_ts : clock_wall_ms(),
                     og.nmembers, rm);
    free(ptype);
    free(proto);
    free(leader);
    arena_free(&a);
}

int kf_gstore_load(kf_gstore_t *gs)
{
    struct load_ctx lc = { gs, NULL, 0, 0, 0 };
    buf_t           b = BUF_INIT;
    int32_t         p;
    int             i, rc = 0;

    for (p = 0; p < gs->nparts && rc == 0; p++) {
        int64_t off = 0;

        for (;;) {
            rd_t r;

            buf_reset(&b);
            rc = gs->ops.read(gs->ops.ctx, p, &off, &b);
            if (rc < 0 || b.len == 0)
                break;
            r = rd_init(b.data, b.len);
            while (rd_left(&r) >= 12) {
                const uint8_t *start = r.p;
                int32_t        len;

                (void)rd_i64(&r);
                len = rd_i32(&r);
                if (len < 0 || (size_t)len > rd_left(&r)) {
                    gs->errors++;
                    break;
                }
                rd_skip(&r, (size_t)len);
                if (kf_compact_batch_each(start, (size_t)len + 12, 64u << 20,
                                          load_rec, &lc) < 0)
                    gs->errors++;
            }
        }
    }
    buf_free(&b);
    if (lc.ngm > 0)
        qsort(lc.gm, (size_t)lc.ngm, sizeof *lc.gm, gmeta_cmp);
    for (i = 0; i < lc.ngm; i++) {
        if (rc == 0 && (i + 1 == lc.ngm ||
                        strcmp(lc.gm[i].group, lc.gm[i + 1].group) != 0))
            restore_group(gs, &lc.gm[i]); /* the newest of its group */
        free(lc.gm[i].group);
        buf_free(&lc.gm[i].value);
    }
    free(lc.gm);
    return rc;
}

/* ---- expiry ---------------------------------------------------------------------- */

static void collect_id(void *arg, const struct kf_group *g)
{
    struct {
        char **ids;
        int    n, cap;
    } *c = arg;

    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->ids = xrealloc(c->ids, (size_t)c->cap * sizeof *c->ids);
    }
    c->ids[c->n++] = xstrdup(g->id);
}

static bool group_subscribes(const struct kf_group *g, const char *topic)
{
    int i, j;

    for (i = 0; i < g->nmembers; i++) {
        const struct kf_group_member *m = g->members[i];

        for (j = 0; j < m->nprotos; j++)
            if (strcmp(m->protos[j].name, g->protocol_name) == 0 &&
                kf_offsets_subscribes(m->protos[j].meta.data,
                                      m->protos[j].meta.len, topic))
                return true;
    }
    return false;
}

int kf_gstore_expire(kf_gstore_t *gs, int64_t now, int64_t retention_ms)
{
    struct {
        char **ids;
        int    n, cap;
    } c = { NULL, 0, 0 };
    int total = 0, i, j, rc;

    kf_group_each(gs->co, collect_id, &c);
    for (i = 0; i < c.n; i++) {
        const struct kf_group *g = kf_group_find(gs->co, c.ids[i]);
        enum kf_offsets_owner  owner;
        bool                  *which;
        int                    n = 0;

        if (g == NULL)
            continue;
        if (g->protocol_type == NULL)
            owner = KF_OFFSETS_OWNER_SIMPLE;
        else if (g->state == KF_GROUP_EMPTY)
            owner = KF_OFFSETS_OWNER_EMPTY;
        else if (strcmp(g->protocol_type, "consumer") == 0 &&
                 g->protocol_name != NULL)
            owner = KF_OFFSETS_OWNER_CONSUMER;
        else
            owner = KF_OFFSETS_OWNER_OTHER;
        which = xcalloc((size_t)g->noffsets + 1, sizeof *which);
        for (j = 0; j < g->noffsets; j++) {
            const struct kf_group_offset *o = &g->offsets[j];
            bool sub = owner == KF_OFFSETS_OWNER_CONSUMER &&
                       group_subscribes(g, o->topic);

            which[j] = kf_offsets_expired(now, retention_ms, o->commit_ts,
                                          o->expire_ts, owner, g->state_ts,
                                          sub);
            n += which[j];
        }
        if (n > 0) {
            rc = tombstones(gs, g, which, false, now);
            if (rc > 0)
                total += rc;
            g = kf_group_find(gs->co, c.ids[i]);
        }
        free(which);
        if (g != NULL && g->state == KF_GROUP_EMPTY && g->noffsets == 0 &&
            tombstones(gs, g, NULL, true, now) >= 0)
            (void)kf_group_delete(gs->co, c.ids[i]);
        free(c.ids[i]);
    }
    free(c.ids);
    return total;
}
