/* kf_group: the group coordinator's state machine (see kf_group.h).
 *
 * Shape: every request first passes the checks Kafka makes whatever the
 * state (group id, session timeout bounds, group size, fencing, membership,
 * generation: GroupCoordinator.handleJoinGroup/doSyncGroup/handleHeartbeat/
 * doCommitOffsets in Kafka 2.8), then the one table kf_group_fsm picks the
 * handler for (state, event).  Timers are plain deadlines in the structs;
 * kf_group_tick() runs the due ones.  Nothing here blocks, allocates
 * without bound per request, or knows about sockets. */
#include "kf_group.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "err.h"
#include "xalloc.h"

struct kf_group_coord {
    struct kf_group_cfg   cfg;
    kf_group_clock_fn    *clock;
    void                 *clock_arg;
    struct kf_group_hooks hooks;
    struct kf_group     **buckets;
    size_t                nbuckets; /* power of two */
    int                   ngroups;
    uint64_t              id_seq;   /* makes generated member ids unique */
};

/* ---- events and the state x event table -------------------------------- */

enum kf_group_ev {
    EV_JOIN_NEW,     /* JoinGroup with an unknown member id */
    EV_JOIN_STATIC,  /* unknown member id, known group.instance.id */
    EV_JOIN_PENDING, /* JoinGroup with a member id from MEMBER_ID_REQUIRED */
    EV_JOIN,         /* JoinGroup of a known member */
    EV_SYNC,         /* SyncGroup of a known member, right generation */
    EV_HEARTBEAT,    /* Heartbeat of a known member, right generation */
    EV_COMMIT,       /* OffsetCommit of a known member, right generation */
    EV_MEMBER_GONE,  /* a member was removed (leave, expiry) */
    EV_JOIN_DEADLINE, /* the join phase's timer ran out */
    EV_N
};

struct ev {
    const struct kf_group_join_req *join;
    kf_group_join_cb               *jcb;
    void                           *jarg;
    const struct kf_group_sync_req *sync;
    kf_group_sync_cb               *scb;
    void                           *sarg;
    struct kf_group_member         *m;   /* the member concerned */
    int16_t                         err; /* answer of immediate events */
};

typedef void ev_fn(kf_group_coord_t *co, struct kf_group *g, struct ev *e);

static ev_fn ev_join_new, ev_join_static_preparing, ev_join_static_completing,
    ev_join_static_stable, ev_join_pending, ev_join_preparing,
    ev_join_completing, ev_join_stable, ev_join_unknown, ev_not_available,
    ev_sync_unknown, ev_sync_rebalancing, ev_sync_completing, ev_sync_stable,
    ev_hb_unknown, ev_hb_rebalancing, ev_hb_ok, ev_commit_unknown,
    ev_commit_ok, ev_commit_rebalancing, ev_gone_nothing, ev_gone_rebalance,
    ev_gone_check_join, ev_join_deadline, ev_nothing;

/* The map of the coordinator: what each event does in each state.  Rows
 * follow Kafka 2.8 GroupCoordinator; a state that Kafka treats as
 * impossible for an event gets the answer Kafka gives for "unexpected"
 * (UNKNOWN_MEMBER_ID) or, for Dead, COORDINATOR_NOT_AVAILABLE. */
static ev_fn *const kf_group_fsm[KF_GROUP_NSTATES][EV_N] = {
    [KF_GROUP_EMPTY] = {
        [EV_JOIN_NEW] = ev_join_new,
        [EV_JOIN_STATIC] = ev_join_new, /* an Empty group has no members */
        [EV_JOIN_PENDING] = ev_join_pending,
        [EV_JOIN] = ev_join_unknown,
        [EV_SYNC] = ev_sync_unknown,
        [EV_HEARTBEAT] = ev_hb_unknown,
        [EV_COMMIT] = ev_commit_unknown,
        [EV_MEMBER_GONE] = ev_gone_nothing,
        [EV_JOIN_DEADLINE] = ev_nothing,
    },
    [KF_GROUP_PREPARING_REBALANCE] = {
        [EV_JOIN_NEW] = ev_join_new,
        [EV_JOIN_STATIC] = ev_join_static_preparing,
        [EV_JOIN_PENDING] = ev_join_pending,
        [EV_JOIN] = ev_join_preparing,
        [EV_SYNC] = ev_sync_rebalancing,
        [EV_HEARTBEAT] = ev_hb_rebalancing,
        [EV_COMMIT] = ev_commit_ok,
        [EV_MEMBER_GONE] = ev_gone_check_join,
        [EV_JOIN_DEADLINE] = ev_join_deadline,
    },
    [KF_GROUP_COMPLETING_REBALANCE] = {
        [EV_JOIN_NEW] = ev_join_new,
        [EV_JOIN_STATIC] = ev_join_static_completing,
        [EV_JOIN_PENDING] = ev_join_pending,
        [EV_JOIN] = ev_join_completing,
        [EV_SYNC] = ev_sync_completing,
        [EV_HEARTBEAT] = ev_hb_ok, /* 2.8: the timer restarts, NONE */
        [EV_COMMIT] = ev_commit_rebalancing,
        [EV_MEMBER_GONE] = ev_gone_rebalance,
        [EV_JOIN_DEADLINE] = ev_nothing,
    },
    [KF_GROUP_STABLE] = {
        [EV_JOIN_NEW] = ev_join_new,
        [EV_JOIN_STATIC] = ev_join_static_stable,
        [EV_JOIN_PENDING] = ev_join_pending,
        [EV_JOIN] = ev_join_stable,
        [EV_SYNC] = ev_sync_stable,
        [EV_HEARTBEAT] = ev_hb_ok,
        [EV_COMMIT] = ev_commit_ok,
        [EV_MEMBER_GONE] = ev_gone_rebalance,
        [EV_JOIN_DEADLINE] = ev_nothing,
    },
    [KF_GROUP_DEAD] = {
        [EV_JOIN_NEW] = ev_not_available,
        [EV_JOIN_STATIC] = ev_not_available,
        [EV_JOIN_PENDING] = ev_not_available,
        [EV_JOIN] = ev_not_available,
        [EV_SYNC] = ev_not_available,
        [EV_HEARTBEAT] = ev_not_available,
        [EV_COMMIT] = ev_not_available,
        [EV_MEMBER_GONE] = ev_gone_nothing,
        [EV_JOIN_DEADLINE] = ev_nothing,
    },
};

static void dispatch(kf_group_coord_t *co, struct kf_group *g, int ev,
                     struct ev *e)
{
    kf_group_fsm[g->state][ev](co, g, e);
}

static const char *const state_names[KF_GROUP_NSTATES] = {
    [KF_GROUP_EMPTY] = "Empty",
    [KF_GROUP_PREPARING_REBALANCE] = "PreparingRebalance",
    [KF_GROUP_COMPLETING_REBALANCE] = "CompletingRebalance",
    [KF_GROUP_STABLE] = "Stable",
    [KF_GROUP_DEAD] = "Dead",
};

const char *kf_group_state_name(int state)
{
    if (state < 0 || state >= KF_GROUP_NSTATES)
        return "Unknown";
    return state_names[state];
}

void kf_group_cfg_defaults(struct kf_group_cfg *cfg)
{
    cfg->min_session_ms = 6000;
    cfg->max_session_ms = 1800000;
    cfg->initial_delay_ms = 3000;
    cfg->max_size = INT32_MAX;
}

/* ---- small helpers ------------------------------------------------------ */

static int64_t now_ms(kf_group_coord_t *co)
{
    return co->clock(co->clock_arg);
}

static int64_t now_wall(kf_group_coord_t *co)
{
    if (co->hooks.now_wall != NULL)
        return co->hooks.now_wall(co->hooks.arg);
    return clock_wall_ms();
}

static bool str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

static void set_str(char **dst, const char *src)
{
    char *n = dup_or_null(src);

    free(*dst);
    *dst = n;
}

static void transition(kf_group_coord_t *co, struct kf_group *g, int state)
{
    g->state = state;
    g->state_ts = now_wall(co);
}

static void store(kf_group_coord_t *co, struct kf_group *g)
{
    if (co->hooks.store != NULL)
        co->hooks.store(co->hooks.arg, g);
}

static void member_free(struct kf_group_member *m)
{
    int i;

    for (i = 0; i < m->nprotos; i++) {
        free(m->protos[i].name);
        buf_free(&m->protos[i].meta);
    }
    free(m->protos);
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->protocol_type);
    buf_free(&m->assignment);
    free(m);
}

static void member_set_protos(struct kf_group_member *m, int n,
                              const struct kf_group_proto *p)
{
    int i;

    for (i = 0; i < m->nprotos; i++) {
        free(m->protos[i].name);
        buf_free(&m->protos[i].meta);
    }
    free(m->protos);
    m->protos = n > 0 ? xcalloc((size_t)n, sizeof *m->protos) : NULL;
    m->nprotos = n;
    for (i = 0; i < n; i++) {
        m->protos[i].name = xstrdup(p[i].name);
        buf_put(&m->protos[i].meta, p[i].meta, p[i].meta_len);
    }
}

/* MemberMetadata.matches: same protocols, same order, same bytes. */
static bool member_matches(const struct kf_group_member *m, int n,
                           const struct kf_group_proto *p)
{
    int i;

    if (m->nprotos != n)
        return false;
    for (i = 0; i < n; i++) {
        if (strcmp(m->protos[i].name, p[i].name) != 0 ||
            m->protos[i].meta.len != p[i].meta_len ||
            (p[i].meta_len > 0 &&
             memcmp(m->protos[i].meta.data, p[i].meta, p[i].meta_len) != 0))
            return false;
    }
    return true;
}

static const struct kf_group_member_proto *
member_proto(const struct kf_group_member *m, const char *name)
{
    int i;

    for (i = 0; name != NULL && i < m->nprotos; i++)
        if (strcmp(m->protos[i].name, name) == 0)
            return &m->protos[i];
    return NULL;
}

static struct kf_group_member *member_find(const struct kf_group *g,
                                           const char *id)
{
    int i;

    if (id == NULL || id[0] == '\0')
        return NULL;
    for (i = 0; i < g->nmembers; i++)
        if (strcmp(g->members[i]->id, id) == 0)
            return g->members[i];
    return NULL;
}

static struct kf_group_member *static_find(const struct kf_group *g,
                                           const char *instance_id)
{
    int i;

    if (instance_id == NULL)
        return NULL;
    for (i = 0; i < g->nmembers; i++)
        if (str_eq(g->members[i]->instance_id, instance_id))
            return g->members[i];
    return NULL;
}

/* GroupMetadata.isStaticMemberFenced: the instance id is known and belongs
 * to another member id. */
static bool is_fenced(const struct kf_group *g, const char *member_id,
                      const char *instance_id)
{
    const struct kf_group_member *s = static_find(g, instance_id);

    return s != NULL && !str_eq(s->id, member_id);
}

static int pending_find(const struct kf_group *g, const char *id)
{
    int i;

    if (id == NULL || id[0] == '\0')
        return -1;
    for (i = 0; i < g->npending; i++)
        if (strcmp(g->pending[i].id, id) == 0)
            return i;
    return -1;
}

static void pending_remove(struct kf_group *g, int i)
{
    free(g->pending[i].id);
    g->pending[i] = g->pending[g->npending - 1];
    g->npending--;
}

static int n_awaiting_join(const struct kf_group *g)
{
    int i, n = 0;

    for (i = 0; i < g->nmembers; i++)
        n += g->members[i]->join_cb != NULL;
    return n;
}

/* GroupMetadata.rebalanceTimeoutMs: the largest of the members'. */
static int32_t rebalance_timeout(const struct kf_group *g)
{
    int32_t t = 0;
    int     i;

    for (i = 0; i < g->nmembers; i++)
        if (g->members[i]->rebalance_ms > t)
            t = g->members[i]->rebalance_ms;
    return t;
}

/* How many members support protocol name. */
static int proto_support(const struct kf_group *g, const char *name)
{
    int i, n = 0;

    for (i = 0; i < g->nmembers; i++)
        n += member_proto(g->members[i], name) != NULL;
    return n;
}

/* GroupMetadata.supportsProtocols: an Empty group takes any non-empty
 * protocol type with at least one protocol; otherwise the type must match
 * and one of the joiner's protocols must be supported by every member. */
static bool supports_protocols(const struct kf_group *g, const char *type,
                               int n, const struct kf_group_proto *p)
{
    int i;

    if (g->state == KF_GROUP_EMPTY)
        return type != NULL && type[0] != '\0' && n > 0;
    if (!str_eq(g->protocol_type, type))
        return false;
    for (i = 0; i < n; i++)
        if (proto_support(g, p[i].name) == g->nmembers)
            return true;
    return false;
}

/* GroupMetadata.selectProtocol: among the protocols every member supports,
 * each member votes for the first of its own list; most votes wins, ties
 * go to the candidate voted for first.  NULL if there is no candidate. */
static const char *select_protocol(const struct kf_group *g)
{
    const char *best = NULL;
    int         best_votes = 0, i, j, k;

    for (i = 0; i < g->nmembers; i++) {
        const char *vote = NULL;
        int         votes = 0;

        for (j = 0; j < g->members[i]->nprotos && vote == NULL; j++)
            if (proto_support(g, g->members[i]->protos[j].name) ==
                g->nmembers)
                vote = g->members[i]->protos[j].name;
        if (vote == NULL)
            continue;
        /* count every member's vote for this candidate */
        for (k = 0; k < g->nmembers; k++) {
            const struct kf_group_member *o = g->members[k];

            for (j = 0; j < o->nprotos; j++) {
                if (proto_support(g, o->protos[j].name) == g->nmembers) {
                    votes += strcmp(o->protos[j].name, vote) == 0;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = vote;
            best_votes = votes;
        }
    }
    return best;
}

static void heartbeat_restart(kf_group_coord_t *co, struct kf_group_member *m,
                              int64_t timeout)
{
    m->last_heartbeat = now_ms(co);
    m->hb_deadline = m->last_heartbeat + timeout;
}

/* MemberMetadata.shouldKeepAlive. */
static bool keep_alive(const struct kf_group_member *m, int64_t deadline)
{
    if (m->join_cb != NULL)
        return !m->is_new || m->last_heartbeat +
                                     KF_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS >
                                 deadline;
    return m->sync_cb != NULL || m->last_heartbeat + m->session_ms > deadline;
}

/* ---- answering ---------------------------------------------------------- */

static void join_answer(kf_group_join_cb *cb, void *arg, int16_t error,
                        const char *member_id)
{
    struct kf_group_join_res r = { 0 };

    r.error = error;
    r.generation = -1;
    r.leader = "";
    r.member_id = member_id != NULL ? member_id : "";
    cb(arg, &r);
}

/* maybeInvokeJoinCallback with an error. */
static void member_join_error(struct kf_group_member *m, int16_t error,
                              const char *member_id)
{
    kf_group_join_cb *cb = m->join_cb;

    if (cb == NULL)
        return;
    m->join_cb = NULL;
    join_answer(cb, m->join_arg, error, member_id);
}

/* The JoinGroup result of a generation; the leader also gets every
 * member's metadata for the selected protocol. */
static void member_join_result(const struct kf_group *g,
                               struct kf_group_member *m, const char *leader)
{
    struct kf_group_join_res     r = { 0 };
    struct kf_group_join_member *ms = NULL;
    kf_group_join_cb            *cb = m->join_cb;
    int                          i;

    if (cb == NULL)
        return;
    m->join_cb = NULL;
    r.error = KF_GROUP_ERR_NONE;
    r.generation = g->generation;
    r.protocol_type = g->protocol_type;
    r.protocol_name = g->protocol_name;
    r.leader = leader != NULL ? leader : "";
    r.member_id = m->id;
    if (g->leader != NULL && strcmp(g->leader, m->id) == 0 &&
        str_eq(leader, g->leader) && g->nmembers > 0) {
        ms = xcalloc((size_t)g->nmembers, sizeof *ms);
        for (i = 0; i < g->nmembers; i++) {
            const struct kf_group_member       *o = g->members[i];
            const struct kf_group_member_proto *p =
                member_proto(o, g->protocol_name);

            ms[i].member_id = o->id;
            ms[i].instance_id = o->instance_id;
            ms[i].meta = p != NULL ? p->meta.data : NULL;
            ms[i].meta_len = p != NULL ? p->meta.len : 0;
        }
        r.nmembers = g->nmembers;
        r.members = ms;
    }
    cb(m->join_arg, &r);
    free(ms);
}

static void sync_answer(const struct kf_group *g, kf_group_sync_cb *cb,
                        void *arg, int16_t error, const buf_t *assignment)
{
    struct kf_group_sync_res r = { 0 };

    r.error = error;
    if (g != NULL && error == KF_GROUP_ERR_NONE) {
        r.protocol_type = g->protocol_type;
        r.protocol_name = g->protocol_name;
    }
    if (assignment != NULL && error == KF_GROUP_ERR_NONE) {
        r.assignment = assignment->data;
        r.len = assignment->len;
    }
    cb(arg, &r);
}

static bool member_sync_answer(const struct kf_group *g,
                               struct kf_group_member *m, int16_t error)
{
    kf_group_sync_cb *cb = m->sync_cb;

    if (cb == NULL)
        return false;
    m->sync_cb = NULL;
    sync_answer(g, cb, m->sync_arg, error, &m->assignment);
    return true;
}

/* ---- group table -------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    while (*s != '\0') {
        h ^= (uint8_t)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

static struct kf_group *group_lookup(kf_group_coord_t *co, const char *id)
{
    struct kf_group *g;

    for (g = co->buckets[hash_str(id) & (co->nbuckets - 1)]; g != NULL;
         g = g->hnext)
        if (strcmp(g->id, id) == 0)
            return g;
    return NULL;
}

static void table_grow(kf_group_coord_t *co)
{
    size_t            n = co->nbuckets * 2, i;
    struct kf_group **b = xcalloc(n, sizeof *b);

    for (i = 0; i < co->nbuckets; i++) {
        struct kf_group *g = co->buckets[i], *next;

        for (; g != NULL; g = next) {
            size_t at = hash_str(g->id) & (n - 1);

            next = g->hnext;
            g->hnext = b[at];
            b[at] = g;
        }
    }
    free(co->buckets);
    co->buckets = b;
    co->nbuckets = n;
}

static struct kf_group *group_create(kf_group_coord_t *co, const char *id)
{
    struct kf_group *g = xcalloc(1, sizeof *g);
    size_t           at;

    if ((size_t)co->ngroups >= co->nbuckets * 2)
        table_grow(co);
    g->id = xstrdup(id);
    g->state = KF_GROUP_EMPTY;
    g->state_ts = now_wall(co);
    g->join_deadline = INT64_MAX;
    at = hash_str(id) & (co->nbuckets - 1);
    g->hnext = co->buckets[at];
    co->buckets[at] = g;
    co->ngroups++;
    return g;
}

static void group_free(struct kf_group *g)
{
    int i;

    for (i = 0; i < g->nmembers; i++)
        member_free(g->members[i]);
    free(g->members);
    for (i = 0; i < g->npending; i++)
        free(g->pending[i].id);
    free(g->pending);
    for (i = 0; i < g->noffsets; i++) {
        free(g->offsets[i].topic);
        free(g->offsets[i].metadata);
    }
    free(g->offsets);
    free(g->id);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader);
    free(g);
}

static void group_unlink(kf_group_coord_t *co, struct kf_group *g)
{
    struct kf_group **pp = &co->buckets[hash_str(g->id) & (co->nbuckets - 1)];

    while (*pp != g)
        pp = &(*pp)->hnext;
    *pp = g->hnext;
    co->ngroups--;
}

kf_group_coord_t *kf_group_coord_new(const struct kf_group_cfg *cfg,
                                     kf_group_clock_fn *clock, void *clock_arg,
                                     const struct kf_group_hooks *hooks)
{
    kf_group_coord_t *co = xcalloc(1, sizeof *co);

    co->cfg = *cfg;
    co->clock = clock;
    co->clock_arg = clock_arg;
    if (hooks != NULL)
        co->hooks = *hooks;
    co->nbuckets = 64;
    co->buckets = xcalloc(co->nbuckets, sizeof *co->buckets);
    return co;
}

void kf_group_coord_free(kf_group_coord_t *co)
{
    size_t i;
    int    j;

    if (co == NULL)
        return;
    for (i = 0; i < co->nbuckets; i++) {
        struct kf_group *g, *next;

        for (g = co->buckets[i]; g != NULL; g = next) {
            next = g->hnext;
            for (j = 0; j < g->nmembers; j++) {
                member_join_error(g->members[j],
                                  KF_GROUP_ERR_NOT_COORDINATOR,
                                  g->members[j]->id);
                member_sync_answer(g, g->members[j],
                                   KF_GROUP_ERR_NOT_COORDINATOR);
            }
            group_free(g);
        }
    }
    free(co->buckets);
    free(co);
}

/* ---- membership changes ------------------------------------------------- */

/* A member id as Kafka makes it: client id (or instance id for static
 * members), a dash, and a random UUID-shaped suffix. */
static char *new_member_id(kf_group_coord_t *co, const char *client_id,
                           const char *instance_id)
{
    uint8_t r[16];
    size_t  i;

    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        uint64_t x = (uint64_t)clock_mono_ns() ^ (uint64_t)(uintptr_t)co;

        for (i = 0; i < sizeof r; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            r[i] = (uint8_t)(x >> 56);
        }
    }
    co->id_seq++;
    r[0] ^= (uint8_t)co->id_seq; /* two ids never collide within a run */
    r[1] ^= (uint8_t)(co->id_seq >> 8);
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    return xasprintf(
        "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
        "%02x",
        instance_id != NULL ? instance_id : (client_id != NULL ? client_id : ""),
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
        r[11], r[12], r[13], r[14], r[15]);
}

static void group_add(struct kf_group *g, struct kf_group_member *m)
{
    if (g->nmembers == 0)
        set_str(&g->protocol_type, m->protocol_type);
    if (g->leader == NULL)
        g->leader = xstrdup(m->id);
    if (g->nmembers == g->members_cap) {
        g->members_cap = g->members_cap ? g->members_cap * 2 : 4;
        g->members = xrealloc(g->members,
                              (size_t)g->members_cap * sizeof *g->members);
    }
    g->members[g->nmembers++] = m;
}

/* GroupMetadata.remove: takes m out (not freed); a leaving leader hands
 * over to the first remaining member. */
static void group_remove(struct kf_group *g, struct kf_group_member *m)
{
    int i;

    for (i = 0; i < g->nmembers; i++) {
        if (g->members[i] == m) {
            memmove(&g->members[i], &g->members[i + 1],
                    (size_t)(g->nmembers - i - 1) * sizeof *g->members);
            g->nmembers--;
            break;
        }
    }
    if (g->leader != NULL && strcmp(g->leader, m->id) == 0)
        set_str(&g->leader, g->nmembers > 0 ? g->members[0]->id : NULL);
}

static void prepare_rebalance(kf_group_coord_t *co, struct kf_group *g);
static void try_complete_join(kf_group_coord_t *co, struct kf_group *g);

/* GroupMetadata.canRebalance -> prepareRebalance. */
static void maybe_prepare_rebalance(kf_group_coord_t *co, struct kf_group *g)
{
    if (g->state == KF_GROUP_STABLE ||
        g->state == KF_GROUP_COMPLETING_REBALANCE ||
        g->state == KF_GROUP_EMPTY)
        prepare_rebalance(co, g);
}

/* removeMemberAndUpdateGroup: a member awaiting join gets
 * UNKNOWN_MEMBER_ID so that it rejoins if it is still alive. */
static void remove_member(kf_group_coord_t *co, struct kf_group *g,
                          struct kf_group_member *m)
{
    struct ev e = { 0 };

    member_join_error(m, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, "");
    member_sync_answer(g, m, KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
    group_remove(g, m);
    member_free(m);
    dispatch(co, g, EV_MEMBER_GONE, &e);
}

/* updateMember: new protocols and timeouts; the member now awaits join.
 * An older JoinGroup of the same member still waiting is answered (its
 * client gave up on it) so its connection slot is filled. */
static void update_member(struct kf_group_member *m,
                          const struct kf_group_join_req *r,
                          kf_group_join_cb *cb, void *arg)
{
    member_join_error(m, KF_GROUP_ERR_REBALANCE_IN_PROGRESS, m->id);
    member_set_protos(m, r->nprotos, r->protos);
    m->rebalance_ms = r->rebalance_ms;
    m->session_ms = r->session_ms;
    m->join_cb = cb;
    m->join_arg = arg;
}

static void add_member_and_rebalance(kf_group_coord_t *co, struct kf_group *g,
                                     const struct kf_group_join_req *r,
                                     char *id /* takes */,
                                     kf_group_join_cb *cb, void *arg)
{
    struct kf_group_member *m = xcalloc(1, sizeof *m);
    int                     p;

    m->id = id;
    m->instance_id = dup_or_null(r->instance_id);
    m->client_id = xstrdup(r->client_id != NULL ? r->client_id : "");
    m->client_host = xstrdup(r->client_host != NULL ? r->client_host : "");
    m->protocol_type = xstrdup(r->protocol_type);
    m->session_ms = r->session_ms;
    m->rebalance_ms = r->rebalance_ms;
    m->is_new = true;
    member_set_protos(m, r->nprotos, r->protos);
    m->join_cb = cb;
    m->join_arg = arg;
    if (g->state == KF_GROUP_PREPARING_REBALANCE && g->generation == 0)
        g->new_member_added = true;
    group_add(g, m);
    /* A new member cannot heartbeat before it has its id; its JoinGroup
     * times out after NewMemberJoinTimeoutMs instead (Kafka 2.8). */
    heartbeat_restart(co, m, KF_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS);
    p = pending_find(g, id);
    if (p >= 0)
        pending_remove(g, p);
    maybe_prepare_rebalance(co, g);
}

static void prepare_rebalance(kf_group_coord_t *co, struct kf_group *g)
{
    int i;

    /* members awaiting sync must rejoin */
    if (g->state == KF_GROUP_COMPLETING_REBALANCE) {
        for (i = 0; i < g->nmembers; i++) {
            buf_reset(&g->members[i]->assignment);
            if (member_sync_answer(g, g->members[i],
                                   KF_GROUP_ERR_REBALANCE_IN_PROGRESS))
                heartbeat_restart(co, g->members[i],
                                  g->members[i]->session_ms);
        }
    }
    if (g->state == KF_GROUP_EMPTY) {
        /* InitialDelayedJoin(delay, remaining = rebalance - delay) */
        int32_t rt = rebalance_timeout(g), d = co->cfg.initial_delay_ms;

        g->initial_delay = true;
        g->new_member_added = false;
        g->initial_remaining_ms = rt - d > 0 ? rt - d : 0;
        g->join_deadline = now_ms(co) + d;
    } else {
        g->initial_delay = false;
        g->join_deadline = now_ms(co) + rebalance_timeout(g);
    }
    transition(co, g, KF_GROUP_PREPARING_REBALANCE);
    try_complete_join(co, g);
}

/* GroupMetadata.maybeElectNewJoinedLeader. */
static bool elect_joined_leader(struct kf_group *g)
{
    struct kf_group_member *l = member_find(g, g->leader);
    int                     i;

    if (l == NULL)
        return false;
    if (l->join_cb != NULL)
        return true;
    for (i = 0; i < g->nmembers; i++) {
        if (g->members[i]->join_cb != NULL) {
            set_str(&g->leader, g->members[i]->id);
            return true;
        }
    }
    return false;
}

/* onCompleteJoin: dynamic members that did not rejoin are dropped, a new
 * generation starts, and every waiting JoinGroup is answered. */
static void complete_join(kf_group_coord_t *co, struct kf_group *g)
{
    int i;

    for (i = 0; i < g->nmembers;) {
        struct kf_group_member *m = g->members[i];

        if (m->join_cb == NULL && m->instance_id == NULL) {
            member_sync_answer(g, m, KF_GROUP_ERR_UNKNOWN_MEMBER_ID);
            group_remove(g, m);
            member_free(m);
            continue;
        }
        i++;
    }
    if (g->state == KF_GROUP_DEAD)
        return;
    if (!elect_joined_leader(g) && g->nmembers > 0) {
        /* nobody rejoined: wait another rebalance timeout, sessions will
         * expire the silent members */
        g->initial_delay = false;
        g->join_deadline = now_ms(co) + rebalance_timeout(g);
        return;
    }
    g->join_deadline = INT64_MAX;
    g->initial_delay = false;
    g->generation++;
    if (g->nmembers == 0) {
        set_str(&g->protocol_name, NULL);
        transition(co, g, KF_GROUP_EMPTY);
        store(co, g);
        return;
    }
    set_str(&g->protocol_name, select_protocol(g));
    transition(co, g, KF_GROUP_COMPLETING_REBALANCE);
    for (i = 0; i < g->nmembers; i++) {
        struct kf_group_member *m = g->members[i];

        member_join_result(g, m, g->leader);
        heartbeat_restart(co, m, m->session_ms);
        m->is_new = false;
    }
}

/* DelayedJoin.tryComplete: every member rejoined and no id is pending.
 * The initial delay (InitialDelayedJoin) never completes early. */
static void try_complete_join(kf_group_coord_t *co, struct kf_group *g)
{
    if (g->state != KF_GROUP_PREPARING_REBALANCE || g->initial_delay)
        return;
    if (g->nmembers == n_awaiting_join(g) && g->npending == 0)
        complete_join(co, g);
}

/* ---- event handlers (the cells of kf_group_fsm) ------------------------- */

static void ev_nothing(kf_group_coord_t *co, struct kf_group *g, struct ev *e)
{
    (void)co, (void)g, (void)e;
}

static void ev_gone_nothing(kf_group_coord_t *co, struct kf_group *g,
                            struct ev *e)
{
    (void)co, (void)g, (void)e;
}

static void ev_gone_rebalance(kf_group_coord_t *co, struct kf_group *g,
                              struct ev *e)
{
    (void)e;
    maybe_prepare_rebalance(co, g);
}

static void ev_gone_check_join(kf_group_coord_t *co, struct kf_group *g,
                               struct ev *e)
{
    (void)e;
    try_complete_join(co, g);
}

static void ev_not_available(kf_group_coord_t *co, struct kf_group *g,
                             struct ev *e)
{
    (void)co;
    e->err = KF_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    if (e->jcb != NULL)
        join_answer(e->jcb, e->jarg, e->err,
                    e->join->member_id != NULL ? e->join->member_id : "");
    if (e->scb != NULL)
        sync_answer(g, e->scb, e->sarg, e->err, NULL);
}

static void ev_join_new(kf_group_coord_t *co, struct kf_group *g, struct ev *e)
{
    const struct kf_group_join_req *r = e->join;
    char *id = new_member_id(co, r->client_id, r->instance_id);

    if (r->instance_id == NULL && r->require_known_id) {
        /* KIP-394: remember the id, ask the client to come back with it */
        if (g->npending == g->pending_cap) {
            g->pending_cap = g->pending_cap ? g->pending_cap * 2 : 4;
            g->pending = xrealloc(g->pending,
                                  (size_t)g->pending_cap * sizeof *g->pending);
        }
        g->pending[g->npending].id = id;
        g->pending[g->npending].deadline = now_ms(co) + r->session_ms;
        g->npending++;
        join_answer(e->jcb, e->jarg, KF_GROUP_ERR_MEMBER_ID_REQUIRED, id);
        return;
    }
    add_member_and_rebalance(co, g, r, id, e->jcb, e->jarg);
}

static void ev_join_pending(kf_group_coord_t *co, struct kf_group *g,
                            struct ev *e)
{
    add_member_and_rebalance(co, g, e->join, xstrdup(e->join->member_id),
                             e->jcb, e->jarg);
}

/* replaceGroupInstance: the static member keeps its place, assignment and
 * leadership under a new member id; the old id's waiting requests are
 * fenced. */
static struct kf_group_member *static_replace(kf_group_coord_t *co,
                                              struct kf_group *g,
                                              struct ev *e)
{
    struct kf_group_member *m = static_find(g, e->join->instance_id);
    char *id = new_member_id(co, e->join->client_id, e->join->instance_id);

    member_join_error(m, KF_GROUP_ERR_FENCED_INSTANCE_ID, m->id);
    member_sync_answer(g, m, KF_GROUP_ERR_FENCED_INSTANCE_ID);
    if (g->leader != NULL && strcmp(g->leader, m->id) == 0)
        set_str(&g->leader, id);
    free(m->id);
    m->id = id;
    set_str(&m->client_id, e->join->client_id ? e->join->client_id : "");
    set_str(&m->client_host,
            e->join->client_host ? e->join->client_host : "");
    heartbeat_restart(co, m, m->session_ms);
    update_member(m, e->join, e->jcb, e->jarg);
    return m;
}

static void ev_join_static_preparing(kf_group_coord_t *co, struct kf_group *g,
                                     struct ev *e)
{
    (void)static_replace(co, g, e); /* the join phase answers it */
}

static void ev_join_static_completing(kf_group_coord_t *co, struct kf_group *g,
                                      struct ev *e)
{
    /* The leader may already be assigning to the old id: rebalance. */
    (void)static_replace(co, g, e);
    prepare_rebalance(co, g);
}

static void ev_join_static_stable(kf_group_coord_t *co, struct kf_group *g,
                                  struct ev *e)
{
    char                   *old_leader = dup_or_null(g->leader);
    struct kf_group_member *m = static_replace(co, g, e);
    const char             *sel = select_protocol(g);

    if (sel != NULL && str_eq(sel, g->protocol_name)) {
        /* KIP-345: no rebalance.  The answer names the previous leader id
         * so the restarted member (even a restarted leader) does not
         * assign: a Stable group would not hand that assignment out. */
        store(co, g);
        member_join_result(g, m, old_leader);
    } else {
        prepare_rebalance(co, g);
    }
    free(old_leader);
}

static void ev_join_unknown(kf_group_coord_t *co, struct kf_group *g,
                            struct ev *e)
{
    (void)co, (void)g;
    join_answer(e->jcb, e->jarg, KF_GROUP_ERR_UNKNOWN_MEMBER_ID,
                e->join->member_id);
}

static void ev_join_preparing(kf_group_coord_t *co, struct kf_group *g,
                              struct ev *e)
{
    update_member(e->m, e->join, e->jcb, e->jarg);
    maybe_prepare_rebalance(co, g);
}

static void ev_join_completing(kf_group_coord_t *co, struct kf_group *g,
                               struct ev *e)
{
    if (member_matches(e->m, e->join->nprotos, e->join->protos)) {
        /* it lost our JoinGroup answer: send the generation again */
        e->m->join_cb = e->jcb;
        e->m->join_arg = e->jarg;
        member_join_result(g, e->m, g->leader);
        return;
    }
    update_member(e->m, e->join, e->jcb, e->jarg);
    maybe_prepare_rebalance(co, g);
}

static void ev_join_stable(kf_group_coord_t *co, struct kf_group *g,
                           struct ev *e)
{
    bool leader = g->leader != NULL && strcmp(g->leader, e->m->id) == 0;

    if (leader || !member_matches(e->m, e->join->nprotos, e->join->protos)) {
        /* the leader rejoins to trigger a rebalance (e.g. new topics) */
        update_member(e->m, e->join, e->jcb, e->jarg);
        maybe_prepare_rebalance(co, g);
        return;
    }
    e->m->join_cb = e->jcb; /* follower, nothing changed: same generation */
    e->m->join_arg = e->jarg;
    member_join_result(g, e->m, g->leader);
}

static void ev_sync_unknown(kf_group_coord_t *co, struct kf_group *g,
                            struct ev *e)
{
    (void)co;
    sync_answer(g, e->scb, e->sarg, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, NULL);
}

static void ev_sync_rebalancing(kf_group_coord_t *co, struct kf_group *g,
                                struct ev *e)
{
    (void)co;
    sync_answer(g, e->scb, e->sarg, KF_GROUP_ERR_REBALANCE_IN_PROGRESS, NULL);
}

static void ev_sync_completing(kf_group_coord_t *co, struct kf_group *g,
                               struct ev *e)
{
    const struct kf_group_sync_req *r = e->sync;
    int                             i, j;

    /* a second SyncGroup of the same member replaces the first */
    member_sync_answer(g, e->m, KF_GROUP_ERR_REBALANCE_IN_PROGRESS);
    e->m->sync_cb = e->scb;
    e->m->sync_arg = e->sarg;
    if (g->leader == NULL || strcmp(g->leader, e->m->id) != 0)
        return;
    /* the leader's assignment: relayed byte for byte, members it left
     * out get an empty one, ids that are not members are ignored */
    for (i = 0; i < g->nmembers; i++) {
        struct kf_group_member *m = g->members[i];

        buf_reset(&m->assignment);
        for (j = r->nassign - 1; j >= 0; j--) {
            if (str_eq(r->assign[j].member_id, m->id)) {
                buf_put(&m->assignment, r->assign[j].p, r->assign[j].n);
                break;
            }
        }
    }
    store(co, g);
    transition(co, g, KF_GROUP_STABLE);
    for (i = 0; i < g->nmembers; i++)
        if (member_sync_answer(g, g->members[i], KF_GROUP_ERR_NONE))
            heartbeat_restart(co, g->members[i], g->members[i]->session_ms);
}

static void ev_sync_stable(kf_group_coord_t *co, struct kf_group *g,
                           struct ev *e)
{
    sync_answer(g, e->scb, e->sarg, KF_GROUP_ERR_NONE, &e->m->assignment);
    heartbeat_restart(co, e->m, e->m->session_ms);
}

static void ev_hb_unknown(kf_group_coord_t *co, struct kf_group *g,
                          struct ev *e)
{
    (void)co, (void)g;
    e->err = KF_GROUP_ERR_UNKNOWN_MEMBER_ID;
}

static void ev_hb_rebalancing(kf_group_coord_t *co, struct kf_group *g,
                              struct ev *e)
{
    (void)g;
    heartbeat_restart(co, e->m, e->m->session_ms);
    e->err = KF_GROUP_ERR_REBALANCE_IN_PROGRESS;
}

static void ev_hb_ok(kf_group_coord_t *co, struct kf_group *g, struct ev *e)
{
    (void)g;
    heartbeat_restart(co, e->m, e->m->session_ms);
    e->err = KF_GROUP_ERR_NONE;
}

static void ev_commit_unknown(kf_group_coord_t *co, struct kf_group *g,
                              struct ev *e)
{
    (void)co, (void)g;
    e->err = KF_GROUP_ERR_UNKNOWN_MEMBER_ID;
}

static void ev_commit_ok(kf_group_coord_t *co, struct kf_group *g,
                         struct ev *e)
{
    (void)g;
    /* PreparingRebalance too: the heartbeat tells the member to rejoin */
    heartbeat_restart(co, e->m, e->m->session_ms);
    e->err = KF_GROUP_ERR_NONE;
}

static void ev_commit_rebalancing(kf_group_coord_t *co, struct kf_group *g,
                                  struct ev *e)
{
    (void)co, (void)g;
    e->err = KF_GROUP_ERR_REBALANCE_IN_PROGRESS;
}

/* InitialDelayedJoin.onComplete / DelayedJoin.onExpiration. */
static void ev_join_deadline(kf_group_coord_t *co, struct kf_group *g,
                             struct ev *e)
{
    (void)e;
    if (g->initial_delay && g->new_member_added &&
        g->initial_remaining_ms > 0) {
        int32_t d = co->cfg.initial_delay_ms;

        if (d > g->initial_remaining_ms)
            d = g->initial_remaining_ms;
        g->new_member_added = false;
        g->initial_remaining_ms -= d;
        g->join_deadline = now_ms(co) + d;
        return;
    }
    complete_join(co, g);
}

/* ---- requests ------------------------------------------------------------ */

static bool empty_str(const char *s)
{
    return s == NULL || s[0] == '\0';
}

void kf_group_join(kf_group_coord_t *co, const struct kf_group_join_req *req,
                   kf_group_join_cb *cb, void *arg)
{
    struct kf_group_join_req r = *req;
    struct ev                e = { 0 };
    struct kf_group         *g;
    bool                     unknown;
    int                      ev;

    if (r.member_id == NULL)
        r.member_id = "";
    unknown = r.member_id[0] == '\0';
    e.join = &r;
    e.jcb = cb;
    e.jarg = arg;
    if (empty_str(r.group_id)) {
        join_answer(cb, arg, KF_GROUP_ERR_INVALID_GROUP_ID, r.member_id);
        return;
    }
    if (r.session_ms < co->cfg.min_session_ms ||
        r.session_ms > co->cfg.max_session_ms) {
        join_answer(cb, arg, KF_GROUP_ERR_INVALID_SESSION_TIMEOUT,
                    r.member_id);
        return;
    }
    g = group_lookup(co, r.group_id);
    if (g == NULL) {
        if (!unknown) {
            join_answer(cb, arg, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, r.member_id);
            return;
        }
        g = group_create(co, r.group_id);
    }
    e.m = member_find(g, r.member_id);
    if ((g->nmembers > co->cfg.max_size && e.m != NULL &&
         e.m->join_cb == NULL) ||
        (unknown && g->nmembers >= co->cfg.max_size)) {
        /* over capacity: shed members that have not rejoined yet */
        if (e.m != NULL)
            remove_member(co, g, e.m);
        join_answer(cb, arg, KF_GROUP_ERR_GROUP_MAX_SIZE_REACHED, "");
        return;
    }
    if (g->state != KF_GROUP_DEAD &&
        !supports_protocols(g, r.protocol_type, r.nprotos, r.protos)) {
        join_answer(cb, arg, KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL,
                    r.member_id);
        return;
    }
    if (unknown) {
        ev = static_find(g, r.instance_id) != NULL ? EV_JOIN_STATIC
                                                   : EV_JOIN_NEW;
    } else if (pending_find(g, r.member_id) >= 0 && r.instance_id == NULL) {
        ev = EV_JOIN_PENDING;
    } else if (g->state == KF_GROUP_DEAD) {
        ev = EV_JOIN;
    } else if (is_fenced(g, r.member_id, r.instance_id)) {
        join_answer(cb, arg, KF_GROUP_ERR_FENCED_INSTANCE_ID, r.member_id);
        return;
    } else if (e.m == NULL ||
               (r.instance_id != NULL && static_find(g, r.instance_id) == NULL)) {
        join_answer(cb, arg, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, r.member_id);
        return;
    } else {
        ev = EV_JOIN;
    }
    dispatch(co, g, ev, &e);
    try_complete_join(co, g);
}

/* The state-independent checks of SyncGroup, Heartbeat and OffsetCommit:
 * returns the error, or NONE with e->m set. */
static int16_t member_checks(struct kf_group *g, const char *member_id,
                             const char *instance_id, int32_t generation,
                             struct ev *e)
{
    if (is_fenced(g, member_id, instance_id))
        return KF_GROUP_ERR_FENCED_INSTANCE_ID;
    e->m = member_find(g, member_id);
    if (e->m == NULL)
        return KF_GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (generation != g->generation)
        return KF_GROUP_ERR_ILLEGAL_GENERATION;
    return KF_GROUP_ERR_NONE;
}

void kf_group_sync(kf_group_coord_t *co, const struct kf_group_sync_req *req,
                   kf_group_sync_cb *cb, void *arg)
{
    struct ev        e = { 0 };
    struct kf_group *g;
    int16_t          err;

    e.sync = req;
    e.scb = cb;
    e.sarg = arg;
    if (empty_str(req->group_id)) {
        sync_answer(NULL, cb, arg, KF_GROUP_ERR_INVALID_GROUP_ID, NULL);
        return;
    }
    g = group_lookup(co, req->group_id);
    if (g == NULL) {
        sync_answer(NULL, cb, arg, KF_GROUP_ERR_UNKNOWN_MEMBER_ID, NULL);
        return;
    }
    if (g->state != KF_GROUP_DEAD) {
        err = member_checks(g, req->member_id, req->instance_id,
                            req->generation, &e);
        /* SyncGroup v5: the protocol type and name, when sent, must be
         * the group's */
        if (err == KF_GROUP_ERR_NONE &&
            ((req->protocol_type != NULL &&
              !str_eq(req->protocol_type, g->protocol_type)) ||
             (req->protocol_name != NULL &&
              !str_eq(req->protocol_name, g->protocol_name))))
            err = KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL;
        if (err != KF_GROUP_ERR_NONE) {
            sync_answer(g, cb, arg, err, NULL);
            return;
        }
    }
    dispatch(co, g, EV_SYNC, &e);
}

int16_t kf_group_heartbeat(kf_group_coord_t *co, const char *group_id,
                           const char *member_id, const char *instance_id,
                           int32_t generation)
{
    struct ev        e = { 0 };
    struct kf_group *g;
    int16_t          err;

    if (empty_str(group_id))
        return KF_GROUP_ERR_INVALID_GROUP_ID;
    g = group_lookup(co, group_id);
    if (g == NULL)
        return KF_GROUP_ERR_UNKNOWN_MEMBER_ID;
    if (g->state != KF_GROUP_DEAD) {
        err = member_checks(g, member_id, instance_id, generation, &e);
        if (err != KF_GROUP_ERR_NONE)
            return err;
    }
    dispatch(co, g, EV_HEARTBEAT, &e);
    return e.err;
}

int16_t kf_group_leave(kf_group_coord_t *co, const char *group_id, int n,
                       const struct kf_group_leave_member *lm, int16_t *errs)
{
    struct kf_group *g;
    int              i, p;

    if (empty_str(group_id))
        return KF_GROUP_ERR_INVALID_GROUP_ID;
    g = group_lookup(co, group_id);
    if (g == NULL) {
        for (i = 0; i < n; i++)
            errs[i] = KF_GROUP_ERR_UNKNOWN_MEMBER_ID;
        return KF_GROUP_ERR_NONE;
    }
    if (g->state == KF_GROUP_DEAD)
        return KF_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
    for (i = 0; i < n; i++) {
        const char             *id = lm[i].member_id ? lm[i].member_id : "";
        struct kf_group_member *m;

        if (id[0] != '\0' && is_fenced(g, id, lm[i].instance_id)) {
            errs[i] = KF_GROUP_ERR_FENCED_INSTANCE_ID;
            continue;
        }
        p = pending_find(g, id);
        if (p >= 0) {
            pending_remove(g, p);
            try_complete_join(co, g);
            errs[i] = KF_GROUP_ERR_NONE;
            continue;
        }
        m = static_find(g, lm[i].instance_id);
        if (m == NULL)
            m = member_find(g, id);
        if (m == NULL) {
            errs[i] = KF_GROUP_ERR_UNKNOWN_MEMBER_ID;
            continue;
        }
        remove_member(co, g, m);
        errs[i] = KF_GROUP_ERR_NONE;
    }
    return KF_GROUP_ERR_NONE;
}

int16_t kf_group_commit_check(kf_group_coord_t *co, const char *group_id,
                              const char *member_id, const char *instance_id,
                              int32_t generation)
{
    struct ev        e = { 0 };
    struct kf_group *g;
    int16_t          err;

    if (group_id == NULL)
        return KF_GROUP_ERR_INVALID_GROUP_ID;
    g = group_lookup(co, group_id);
    if (g == NULL) {
        if (generation >= 0)
            return KF_GROUP_ERR_ILLEGAL_GENERATION;
        g = group_create(co, group_id);
    }
    if (g->state == KF_GROUP_DEAD) {
        dispatch(co, g, EV_COMMIT, &e);
        return e.err;
    }
    if (is_fenced(g, member_id, instance_id))
        return KF_GROUP_ERR_FENCED_INSTANCE_ID;
    if (generation < 0 && g->state == KF_GROUP_EMPTY)
        return KF_GROUP_ERR_NONE; /* the group only stores offsets */
    err = member_checks(g, member_id, instance_id, generation, &e);
    if (err != KF_GROUP_ERR_NONE)
        return err;
    dispatch(co, g, EV_COMMIT, &e);
    return e.err;
}

/* ---- offsets ------------------------------------------------------------- */

static int offset_index(const struct kf_group *g, const char *topic,
                        int32_t partition)
{
    int i;

    for (i = 0; i < g->noffsets; i++)
        if (g->offsets[i].partition == partition &&
            strcmp(g->offsets[i].topic, topic) == 0)
            return i;
    return -1;
}

void kf_group_offset_put(kf_group_coord_t *co, const char *group_id,
                         const struct kf_group_offset *o)
{
    struct kf_group        *g = group_lookup(co, group_id);
    struct kf_group_offset *d;
    int                     i;

    if (g == NULL)
        g = group_create(co, group_id);
    i = offset_index(g, o->topic, o->partition);
    if (i < 0) {
        if (g->noffsets == g->offsets_cap) {
            g->offsets_cap = g->offsets_cap ? g->offsets_cap * 2 : 8;
            g->offsets = xrealloc(g->offsets, (size_t)g->offsets_cap *
                                                  sizeof *g->offsets);
        }
        i = g->noffsets++;
        memset(&g->offsets[i], 0, sizeof g->offsets[i]);
        g->offsets[i].topic = xstrdup(o->topic);
    }
    d = &g->offsets[i];
    d->partition = o->partition;
    d->offset = o->offset;
    d->leader_epoch = o->leader_epoch;
    set_str(&d->metadata, o->metadata != NULL ? o->metadata : "");
    d->commit_ts = o->commit_ts;
    d->expire_ts = o->expire_ts;
}

int kf_group_offset_del(kf_group_coord_t *co, const char *group_id,
                        const char *topic, int32_t partition)
{
    struct kf_group *g = group_lookup(co, group_id);
    int              i;

    if (g == NULL || (i = offset_index(g, topic, partition)) < 0)
        return ERR_NOTFOUND;
    free(g->offsets[i].topic);
    free(g->offsets[i].metadata);
    g->offsets[i] = g->offsets[g->noffsets - 1];
    g->noffsets--;
    return 0;
}

const struct kf_group_offset *kf_group_offset_get(kf_group_coord_t *co,
                                                  const char *group_id,
                                                  const char *topic,
                                                  int32_t partition)
{
    struct kf_group *g = group_lookup(co, group_id);
    int              i;

    if (g == NULL || (i = offset_index(g, topic, partition)) < 0)
        return NULL;
    return &g->offsets[i];
}

/* ---- lookup, deletion, restore, timers ----------------------------------- */

const struct kf_group *kf_group_find(kf_group_coord_t *co, const char *id)
{
    return id != NULL ? group_lookup(co, id) : NULL;
}

void kf_group_each(kf_group_coord_t *co,
                   void (*fn)(void *arg, const struct kf_group *g), void *arg)
{
    size_t           i;
    struct kf_group *g;

    for (i = 0; i < co->nbuckets; i++)
        for (g = co->buckets[i]; g != NULL; g = g->hnext)
            fn(arg, g);
}

int kf_group_count(kf_group_coord_t *co)
{
    return co->ngroups;
}

int16_t kf_group_delete(kf_group_coord_t *co, const char *group_id)
{
    struct kf_group *g = group_id != NULL ? group_lookup(co, group_id) : NULL;

    if (g == NULL)
        return KF_GROUP_ERR_GROUP_ID_NOT_FOUND;
    if (g->state != KF_GROUP_EMPTY)
        return KF_GROUP_ERR_NON_EMPTY_GROUP;
    transition(co, g, KF_GROUP_DEAD);
    group_unlink(co, g);
    group_free(g);
    return KF_GROUP_ERR_NONE;
}

void kf_group_restore(kf_group_coord_t *co, const char *group_id,
                      const char *protocol_type, int32_t generation,
                      const char *protocol_name, const char *leader,
                      int64_t state_ts, int nmembers,
                      const struct kf_group_restore_member *rm)
{
    struct kf_group *g = group_lookup(co, group_id);
    int              i;

    if (g == NULL)
        g = group_create(co, group_id);
    else if (g->nmembers > 0)
        return; /* a live group is newer than the log */
    set_str(&g->protocol_type, protocol_type);
    set_str(&g->protocol_name, protocol_name);
    g->generation = generation;
    for (i = 0; i < nmembers; i++) {
        struct kf_group_member *m = xcalloc(1, sizeof *m);
        struct kf_group_proto   p = { protocol_name ? protocol_name : "",
                                      rm[i].subscription,
                                      rm[i].subscription_len };

        m->id = xstrdup(rm[i].member_id);
        m->instance_id = dup_or_null(rm[i].instance_id);
        m->client_id = xstrdup(rm[i].client_id ? rm[i].client_id : "");
        m->client_host = xstrdup(rm[i].client_host ? rm[i].client_host : "");
        m->protocol_type = xstrdup(protocol_type ? protocol_type : "");
        m->session_ms = rm[i].session_ms;
        m->rebalance_ms = rm[i].rebalance_ms;
        member_set_protos(m, 1, &p);
        buf_put(&m->assignment, rm[i].assignment, rm[i].assignment_len);
        heartbeat_restart(co, m, m->session_ms);
        group_add(g, m);
    }
    set_str(&g->leader, nmembers > 0 ? leader : NULL);
    if (nmembers > 0 && member_find(g, g->leader) == NULL)
        set_str(&g->leader, g->members[0]->id);
    g->state = nmembers > 0 ? KF_GROUP_STABLE : KF_GROUP_EMPTY;
    g->state_ts = state_ts;
    if (g->nmembers > co->cfg.max_size)
        prepare_rebalance(co, g); /* Kafka: onGroupLoaded over capacity */
}

int64_t kf_group_next_deadline(kf_group_coord_t *co)
{
    int64_t          t = INT64_MAX;
    size_t           i;
    int              j;
    struct kf_group *g;

    for (i = 0; i < co->nbuckets; i++) {
        for (g = co->buckets[i]; g != NULL; g = g->hnext) {
            if (g->state == KF_GROUP_PREPARING_REBALANCE &&
                g->join_deadline < t)
                t = g->join_deadline;
            for (j = 0; j < g->nmembers; j++)
                if (g->members[j]->hb_deadline < t)
                    t = g->members[j]->hb_deadline;
            for (j = 0; j < g->npending; j++)
                if (g->pending[j].deadline < t)
                    t = g->pending[j].deadline;
        }
    }
    return t;
}

static void group_tick(kf_group_coord_t *co, struct kf_group *g, int64_t now)
{
    struct ev e = { 0 };
    int       j;
    bool      again;

    for (j = 0; j < g->npending;) {
        if (g->pending[j].deadline <= now) {
            pending_remove(g, j);
            try_complete_join(co, g);
            continue;
        }
        j++;
    }
    do { /* a removal may reshape the member array: rescan */
        again = false;
        for (j = 0; j < g->nmembers; j++) {
            struct kf_group_member *m = g->members[j];

            if (m->hb_deadline > now)
                continue;
            if (keep_alive(m, m->hb_deadline)) {
                m->hb_deadline = INT64_MAX; /* re-armed by join/sync */
                continue;
            }
            remove_member(co, g, m);
            again = true;
            break;
        }
    } while (again);
    /* an initial delay extended by 0 ms is due again at once; bounded, as
     * a rebalance timeout of 0 would otherwise re-arm forever */
    for (j = 0; j < 4 && g->state == KF_GROUP_PREPARING_REBALANCE &&
                g->join_deadline <= now;
         j++)
        dispatch(co, g, EV_JOIN_DEADLINE, &e);
}

void kf_group_tick(kf_group_coord_t *co)
{
    int64_t          now = now_ms(co);
    size_t           i;
    struct kf_group *g;

    for (i = 0; i < co->nbuckets; i++)
        for (g = co->buckets[i]; g != NULL; g = g->hnext)
            group_tick(co, g, now);
}
