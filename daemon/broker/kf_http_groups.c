/* kf_http_groups: consumer groups in the JSON API (docs/API.md, consumer groups):
 *
 * GET    /api/v1/groups?filter=&state=&offset=&limit=   id-sorted page
 * GET    /api/v1/groups/{g}            members, decoded assignments,
 *                                      committed offsets, lag per partition
 * POST   /api/v1/groups/{g}/offsets/reset/preview   what a reset would do
 * POST   /api/v1/groups/{g}/offsets/reset           do it (Empty groups only)
 * DELETE /api/v1/groups/{g}            DeleteGroups (Empty groups only)
 * and the /metrics families odradek_groups, odradek_group_members{group},
 * odradek_group_lag{group,topic,partition}.
 *
 * It owns: turning the coordinator's in-memory groups (struct kf_group,
 * read-only here) into JSON, decoding the consumer protocol's assignment
 * and subscription bytes (ConsumerProtocolAssignment / Subscription: int16
 * version, topics, user data), and the reset rules of Kafka 2.8's
 * ConsumerGroupCommand (--to-earliest, --to-latest, --to-offset,
 * --to-datetime, --shift-by; offsets clamped to [log start, high
 * watermark]).  It does not own the offsets' storage: a reset is an
 * administrative OffsetCommit (kf_group_api_commit) that lands in
 * __consumer_offsets exactly as a client's commit does, so it survives a
 * restart and every client's committed() sees it.
 *
 * Everything is answered from memory on the loop; a reset answers once its
 * append satisfied the flush policy (a reserved conn slot).  Lists are
 * paginated; a group's detail lists at most KF_HTTP_GROUP_ROWS partitions. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "kf_group.h"
#include "kf_group_api.h"
#include "kf_http_int.h"
#include "xalloc.h"

#define KF_HTTP_GROUP_PAGE_MAX 1000  /* groups per page, at most */
#define KF_HTTP_GROUP_ROWS     10000 /* partitions listed per group, at most */
#define KF_HTTP_GROUP_TOPICS   1000  /* topics decoded per assignment */

/* The lag of one committed offset: how far the high watermark is ahead. */
static int64_t kf_http_offset_lag(kf_http_t *h, const struct kf_group_offset *o)
{
    kf_log_t *l = kf_topics_log(h->b->topics, o->topic, strlen(o->topic), o->partition);
    int64_t   lag;

    if (l == NULL || o->offset < 0)
        return 0;
    lag = kf_log_hw(l) - o->offset;
    return lag > 0 ? lag : 0;
}

static int64_t kf_http_group_lag(kf_http_t *h, const struct kf_group *g)
{
    int64_t lag = 0;
    int     i;

    for (i = 0; i < g->noffsets; i++)
        lag += kf_http_offset_lag(h, &g->offsets[i]);
    return lag;
}

struct kf_http_lag_walk {
    kf_http_t *h;
    void (*fn)(void *arg, const char *group, int64_t lag, int partitions);
    void *arg;
    int   n;
};

static void kf_http_lag_one(void *arg, const struct kf_group *g)
{
    struct kf_http_lag_walk *w = arg;

    w->fn(w->arg, g->id, kf_http_group_lag(w->h, g), g->noffsets);
    w->n++;
}

int kf_http_group_lags(kf_http_t *h,
                       void (*fn)(void *arg, const char *group, int64_t lag,
                                  int partitions),
                       void *arg)
{
    struct kf_http_lag_walk w = { h, fn, arg, 0 };

    if (h->b->groups == NULL)
        return 0;
    kf_group_each(kf_group_api_coord(h->b->groups), kf_http_lag_one, &w);
    return w.n;
}

/* ---- helpers ------------------------------------------------------------- */

static kf_group_coord_t *kf_http_coord(kf_http_t *h)
{
    return h->b->groups != NULL ? kf_group_api_coord(h->b->groups) : NULL;
}

static void kf_http_json_opt(buf_t *o, const char *s)
{
    if (s != NULL)
        kf_http_json_str(o, s);
    else
        buf_puts(o, "null");
}

/* Every group, sorted by id (malloc'd; the caller frees). */
struct kf_http_glist {
    const struct kf_group **g;
    int                     n, cap;
};

static void kf_http_glist_add(void *arg, const struct kf_group *g)
{
    struct kf_http_glist *l = arg;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->g = xrealloc(l->g, (size_t)l->cap * sizeof *l->g);
    }
    l->g[l->n++] = g;
}

static int kf_http_gcmp(const void *a, const void *b)
{
    const struct kf_group *const *x = a, *const *y = b;

    return strcmp((*x)->id, (*y)->id);
}

static void kf_http_glist_fill(kf_http_t *h, struct kf_http_glist *l)
{
    kf_group_coord_t *co = kf_http_coord(h);

    memset(l, 0, sizeof *l);
    if (co == NULL)
        return;
    kf_group_each(co, kf_http_glist_add, l);
    if (l->n > 1)
        qsort(l->g, (size_t)l->n, sizeof *l->g, kf_http_gcmp);
}

/* ---- GET /api/v1/groups --------------------------------------------------- */

static void kf_http_groups(struct kf_http_ctx *x)
{
    struct kf_http_glist l;
    int64_t              off = 0, limit = 100;
    char                 filter[256] = "", state[64] = "";
    int                  i, shown = 0, matched = 0;
    buf_t                o = BUF_INIT;

    if (kf_http_query_int(x, "offset", 0, INT32_MAX, &off) < 0 ||
        kf_http_query_int(x, "limit", 1, KF_HTTP_GROUP_PAGE_MAX, &limit) < 0) {
        kf_http_error(x, 400, "offset must be >= 0, limit in 1..1000");
        return;
    }
    (void)http_query_get(x->req->query, "filter", filter, sizeof filter);
    (void)http_query_get(x->req->query, "state", state, sizeof state);
    kf_http_glist_fill(x->h, &l);
    buf_puts(&o, "{\"groups\":[");
    for (i = 0; i < l.n; i++) {
        const struct kf_group *g = l.g[i];

        if ((filter[0] && strstr(g->id, filter) == NULL) ||
            (state[0] && strcasecmp(state, kf_group_state_name(g->state)) != 0))
            continue;
        if (matched++ < off || shown >= limit)
            continue;
        buf_puts(&o, shown++ ? ",{\"group\":" : "{\"group\":");
        kf_http_json_str(&o, g->id);
        buf_puts(&o, ",\"state\":");
        kf_http_json_str(&o, kf_group_state_name(g->state));
        buf_puts(&o, ",\"protocol_type\":");
        kf_http_json_str(&o, g->protocol_type ? g->protocol_type : "");
        buf_puts(&o, ",\"protocol\":");
        kf_http_json_opt(&o, g->protocol_name);
        buf_printf(&o, ",\"generation\":%d,\"members\":%d,\"partitions\":%d,\"lag\":%" PRId64
                       "}",
                   g->generation, g->nmembers, g->noffsets, kf_http_group_lag(x->h, g));
    }
    buf_printf(&o, "],\"total\":%d,\"offset\":%" PRId64 ",\"limit\":%" PRId64 "}\n",
               matched, off, limit);
    free(l.g);
    kf_http_json(x, 200, &o);
}

/* ---- the consumer protocol (ConsumerProtocolAssignment / Subscription) ---- */

/* One assigned partition, from a member's decoded assignment. */
struct kf_http_assigned {
    const char *topic; /* in the group's arena */
    int32_t     partition;
    int         member; /* index into g->members */
};

/* Writes the decoded assignment {"version":V,"topics":[{"topic":T,
 * "partitions":[...]}],"user_data_size":N} (or null when the bytes do not
 * decode) and records each partition in *as (up to cap). */
static void kf_http_assignment(buf_t *o, const buf_t *bytes, arena_t *a, int member,
                               struct kf_http_assigned *as, int *nas, int cap)
{
    rd_t    r = rd_init(bytes->data, bytes->len);
    size_t  at = o->len;
    int16_t ver;
    int32_t nt, np, i, j;
    slice_t ud;

    if (bytes->len == 0) {
        buf_puts(o, "null");
        return;
    }
    ver = rd_i16(&r);
    nt = rd_count(&r, false, 6);
    buf_printf(o, "{\"version\":%d,\"topics\":[", ver);
    for (i = 0; i < nt && i < KF_HTTP_GROUP_TOPICS && rd_ok(&r); i++) {
        slice_t     t = rd_string(&r, false);
        const char *topic;

        np = rd_count(&r, false, 4);
        if (!rd_ok(&r) || t.n < 0)
            break;
        topic = arena_strndup(a, (const char *)t.p, (size_t)t.n);
        buf_puts(o, i ? ",{\"topic\":" : "{\"topic\":");
        kf_http_json_strn(o, t.p, (size_t)t.n);
        buf_puts(o, ",\"partitions\":[");
        for (j = 0; j < np && rd_ok(&r); j++) {
            int32_t p = rd_i32(&r);

            buf_printf(o, j ? ",%d" : "%d", p);
            if (*nas < cap)
                as[(*nas)++] = (struct kf_http_assigned){ topic, p, member };
        }
        buf_puts(o, "]}");
    }
    ud = rd_bytes(&r, false);
    if (!rd_ok(&r) || i < nt) {
        o->len = at; /* not the consumer protocol: say so, keep the JSON whole */
        buf_puts(o, "null");
        return;
    }
    buf_printf(o, "],\"user_data_size\":%d}", ud.n < 0 ? 0 : ud.n);
}

/* The subscribed topics of the member's metadata for the chosen protocol:
 * ["t1","t2"], or null. */
static void kf_http_subscription(buf_t *o, const struct kf_group *g,
                                 const struct kf_group_member *m)
{
    const buf_t *meta = NULL;
    rd_t         r;
    size_t       at = o->len;
    int32_t      nt, i;
    int          k;

    for (k = 0; k < m->nprotos && g->protocol_name != NULL; k++)
        if (strcmp(m->protos[k].name, g->protocol_name) == 0)
            meta = &m->protos[k].meta;
    if (meta == NULL || meta->len == 0) {
        buf_puts(o, "null");
        return;
    }
    r = rd_init(meta->data, meta->len);
    (void)rd_i16(&r);
    nt = rd_count(&r, false, 2);
    buf_put_u8(o, '[');
    for (i = 0; i < nt && i < KF_HTTP_GROUP_TOPICS; i++) {
        slice_t t = rd_string(&r, false);

        if (!rd_ok(&r) || t.n < 0)
            break;
        if (i)
            buf_put_u8(o, ',');
        kf_http_json_strn(o, t.p, (size_t)t.n);
    }
    if (!rd_ok(&r) || i < nt) {
        o->len = at;
        buf_puts(o, "null");
        return;
    }
    buf_put_u8(o, ']');
}

/* ---- GET /api/v1/groups/{g} ----------------------------------------------- */

/* One row of the offsets table: a committed offset and/or an assigned
 * partition. */
struct kf_http_orow {
    const char                   *topic;
    int32_t                       partition;
    const struct kf_group_offset *o; /* NULL: assigned, nothing committed */
    int                           member; /* -1: not assigned */
};

static int kf_http_orow_cmp(const void *a, const void *b)
{
    const struct kf_http_orow *x = a, *y = b;
    int                        c = strcmp(x->topic, y->topic);

    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static const struct kf_group *kf_http_group_arg(struct kf_http_ctx *x)
{
    kf_group_coord_t      *co = kf_http_coord(x->h);
    const struct kf_group *g = co != NULL ? kf_group_find(co, x->arg[0]) : NULL;

    if (g == NULL)
        kf_http_error(x, 404, "no such group");
    return g;
}

static void kf_http_group(struct kf_http_ctx *x)
{
    const struct kf_group   *g = kf_http_group_arg(x);
    struct kf_http_assigned *as;
    struct kf_http_orow     *rows;
    arena_t                  a;
    buf_t                    o = BUF_INIT;
    int                      nas = 0, nrows = 0, i, j;
    int64_t                  total = 0;
    bool                     consumer;

    if (g == NULL)
        return;
    arena_init(&a);
    consumer = g->protocol_type != NULL && strcmp(g->protocol_type, "consumer") == 0;
    as = xcalloc(KF_HTTP_GROUP_ROWS, sizeof *as);
    buf_puts(&o, "{\"group\":");
    kf_http_json_str(&o, g->id);
    buf_puts(&o, ",\"state\":");
    kf_http_json_str(&o, kf_group_state_name(g->state));
    buf_puts(&o, ",\"protocol_type\":");
    kf_http_json_str(&o, g->protocol_type ? g->protocol_type : "");
    buf_puts(&o, ",\"protocol\":");
    kf_http_json_opt(&o, g->protocol_name);
    buf_printf(&o, ",\"generation\":%d,\"leader\":", g->generation);
    kf_http_json_opt(&o, g->leader);
    buf_printf(&o, ",\"state_timestamp\":%" PRId64 ",\"members\":[", g->state_ts);
    for (i = 0; i < g->nmembers; i++) {
        const struct kf_group_member *m = g->members[i];

        buf_puts(&o, i ? ",{\"member_id\":" : "{\"member_id\":");
        kf_http_json_str(&o, m->id);
        buf_puts(&o, ",\"instance_id\":");
        kf_http_json_opt(&o, m->instance_id);
        buf_puts(&o, ",\"client_id\":");
        kf_http_json_str(&o, m->client_id ? m->client_id : "");
        buf_puts(&o, ",\"client_host\":");
        kf_http_json_str(&o, m->client_host ? m->client_host : "");
        buf_printf(&o, ",\"session_timeout_ms\":%d,\"rebalance_timeout_ms\":%d,"
                       "\"assignment_size\":%zu,\"subscription\":",
                   m->session_ms, m->rebalance_ms, m->assignment.len);
        if (consumer)
            kf_http_subscription(&o, g, m);
        else
            buf_puts(&o, "null");
        buf_puts(&o, ",\"assignment\":");
        if (consumer)
            kf_http_assignment(&o, &m->assignment, &a, i, as, &nas, KF_HTTP_GROUP_ROWS);
        else
            buf_puts(&o, "null");
        buf_put_u8(&o, '}');
    }
    buf_puts(&o, "]");
    /* rows: every committed offset, then assigned partitions without one */
    rows = xcalloc((size_t)g->noffsets + (size_t)nas + 1, sizeof *rows);
    for (i = 0; i < g->noffsets; i++)
        rows[nrows++] = (struct kf_http_orow){ g->offsets[i].topic,
                                               g->offsets[i].partition,
                                               &g->offsets[i], -1 };
    for (j = 0; j < nas; j++) {
        for (i = 0; i < g->noffsets; i++)
            if (rows[i].partition == as[j].partition &&
                strcmp(rows[i].topic, as[j].topic) == 0)
                break;
        if (i < g->noffsets)
            rows[i].member = as[j].member;
        else
            rows[nrows++] = (struct kf_http_orow){ as[j].topic, as[j].partition, NULL,
                                                   as[j].member };
    }
    qsort(rows, (size_t)nrows, sizeof *rows, kf_http_orow_cmp);
    buf_puts(&o, ",\"offsets\":[");
    for (i = 0; i < nrows && i < KF_HTTP_GROUP_ROWS; i++) {
        const struct kf_http_orow *r = &rows[i];
        kf_log_t *l = kf_topics_log(x->h->b->topics, r->topic, strlen(r->topic),
                                    r->partition);

        buf_puts(&o, i ? ",{\"topic\":" : "{\"topic\":");
        kf_http_json_str(&o, r->topic);
        buf_printf(&o, ",\"partition\":%d,\"committed\":", r->partition);
        if (r->o != NULL)
            buf_printf(&o, "%" PRId64, r->o->offset);
        else
            buf_puts(&o, "null");
        if (l != NULL)
            buf_printf(&o, ",\"log_start_offset\":%" PRId64 ",\"high_watermark\":%" PRId64
                           ",\"log_end_offset\":%" PRId64,
                       kf_log_start(l), kf_log_hw(l), kf_log_end(l));
        else
            buf_puts(&o, ",\"log_start_offset\":null,\"high_watermark\":null,"
                         "\"log_end_offset\":null");
        if (r->o != NULL && l != NULL && r->o->offset >= 0) {
            int64_t lag = kf_http_offset_lag(x->h, r->o);

            total += lag;
            buf_printf(&o, ",\"lag\":%" PRId64, lag);
        } else {
            buf_puts(&o, ",\"lag\":null");
        }
        if (r->o != NULL) {
            buf_printf(&o, ",\"leader_epoch\":%d,\"commit_timestamp\":%" PRId64
                           ",\"metadata\":",
                       r->o->leader_epoch, r->o->commit_ts);
            kf_http_json_str(&o, r->o->metadata);
        }
        buf_puts(&o, ",\"member_id\":");
        kf_http_json_opt(&o, r->member >= 0 ? g->members[r->member]->id : NULL);
        buf_puts(&o, ",\"client_id\":");
        kf_http_json_opt(&o, r->member >= 0 ? g->members[r->member]->client_id : NULL);
        buf_put_u8(&o, '}');
    }
    buf_printf(&o, "],\"partitions\":%d,\"lag\":%" PRId64 ",\"truncated\":%s}\n", nrows,
               total, nrows > KF_HTTP_GROUP_ROWS ? "true" : "false");
    free(rows);
    free(as);
    arena_free(&a);
    kf_http_json(x, 200, &o);
}

/* ---- offset reset ---------------------------------------------------------
 * Body: {"topic": T, "partitions": [..] | "all" (default), "to": "earliest"
 * | "latest" | "offset" | "timestamp" | "shift", "value": N, "dry_run": b}.
 * As Kafka's ConsumerGroupCommand: new offsets outside [log start, high
 * watermark] are clamped to the nearer end; a timestamp with no message
 * that recent resets to the high watermark; a shift needs a committed
 * offset. */

/* Where one partition goes: *nw from the log, the committed offset (NULL:
 * none) and the request's value; < 0 when the mode cannot apply (shift
 * without a committed offset).  Clamping to the log is the caller's. */
typedef int kf_http_reset_fn(kf_log_t *l, const struct kf_group_offset *cur,
                             int64_t value, int64_t *nw);

static int kf_http_to_earliest(kf_log_t *l, const struct kf_group_offset *cur,
                               int64_t value, int64_t *nw)
{
    (void)cur, (void)value;
    *nw = kf_log_start(l);
    return 0;
}

static int kf_http_to_latest(kf_log_t *l, const struct kf_group_offset *cur,
                             int64_t value, int64_t *nw)
{
    (void)cur, (void)value;
    *nw = kf_log_hw(l);
    return 0;
}

static int kf_http_to_offset(kf_log_t *l, const struct kf_group_offset *cur,
                             int64_t value, int64_t *nw)
{
    (void)l, (void)cur;
    *nw = value;
    return 0;
}

/* The first record at or after the time (the time index, then the batch);
 * the high watermark when nothing is that recent. */
static int kf_http_to_timestamp(kf_log_t *l, const struct kf_group_offset *cur,
                                int64_t value, int64_t *nw)
{
    int64_t ts;

    (void)cur;
    if (kf_log_offset_for_time(l, value, nw, &ts) < 0)
        *nw = kf_log_hw(l);
    return 0;
}

static int kf_http_to_shift(kf_log_t *l, const struct kf_group_offset *cur,
                            int64_t value, int64_t *nw)
{
    if (cur == NULL || cur->offset < 0)
        return ERR_NOTFOUND;
    if (value < 0 && cur->offset < INT64_MIN - value)
        *nw = kf_log_start(l); /* saturate: clamped anyway */
    else if (value > 0 && cur->offset > INT64_MAX - value)
        *nw = kf_log_hw(l);
    else
        *nw = cur->offset + value;
    return 0;
}

/* The "to" modes, as ConsumerGroupCommand's --to-earliest, --to-latest,
 * --to-offset, --to-datetime, --shift-by. */
static const struct {
    const char       *name;
    bool              needs_value;
    kf_http_reset_fn *fn;
} kf_http_reset_tos[] = {
    { "earliest", false, kf_http_to_earliest },
    { "latest", false, kf_http_to_latest },
    { "offset", true, kf_http_to_offset },
    { "timestamp", true, kf_http_to_timestamp },
    { "shift", true, kf_http_to_shift },
};

#define KF_HTTP_NTOS ((int)(sizeof kf_http_reset_tos / sizeof kf_http_reset_tos[0]))

struct kf_http_reset {
    conn_t      *c;
    conn_slot_t *slot;
    bool         keep_alive, head;
    buf_t        body;   /* the answer (the plan) */
    char         user[128];
    char         target[512];
    int          n;
};

/* The plan: per partition the current and new offset; returns the number
 * of offsets to commit (into offs, topic pointers borrowed), or < 0 after
 * answering 400/404 itself. */
static int kf_http_reset_plan(struct kf_http_ctx *x, const struct kf_group *g,
                              const struct json *req, struct kf_group_offset *offs,
                              int cap, buf_t *o, bool dry_run)
{
    const char        *topic = json_get_str(req, "topic", NULL);
    const char        *to = json_get_str(req, "to", NULL);
    const struct json *parts = json_get(req, "partitions");
    const struct json *val = json_get(req, "value");
    const struct json *pj;
    struct kf_topic   *t;
    kf_group_coord_t  *co = kf_http_coord(x->h);
    int64_t            value = 0, lag_before = 0, lag_after = 0;
    int                k, n = 0, mode = -1;
    int32_t            p, np;
    char               msg[256];

    if (topic == NULL || to == NULL) {
        kf_http_error(x, 400, "\"topic\" and \"to\" are required");
        return ERR_MALFORMED;
    }
    for (k = 0; k < KF_HTTP_NTOS; k++)
        if (strcmp(kf_http_reset_tos[k].name, to) == 0)
            mode = k;
    if (mode < 0) {
        kf_http_error(x, 400, "\"to\" must be earliest, latest, offset, timestamp or shift");
        return ERR_MALFORMED;
    }
    if (kf_http_reset_tos[mode].needs_value) {
        if (val == NULL || val->type != JSON_NUMBER || !val->is_int) {
            snprintf(msg, sizeof msg, "\"to\": \"%s\" needs an integer \"value\"", to);
            kf_http_error(x, 400, msg);
            return ERR_MALFORMED;
        }
        value = val->i;
    }
    if ((t = kf_topics_get(x->h->b->topics, topic, strlen(topic))) == NULL) {
        kf_http_error(x, 404, "no such topic");
        return ERR_NOTFOUND;
    }
    if (parts != NULL && !(parts->type == JSON_ARRAY ||
                           (parts->type == JSON_STRING && strcmp(parts->str, "all") == 0))) {
        kf_http_error(x, 400, "\"partitions\" must be a list of partition numbers or \"all\"");
        return ERR_MALFORMED;
    }
    np = parts != NULL && parts->type == JSON_ARRAY ? (int32_t)parts->len : t->npart;
    if (np == 0) {
        kf_http_error(x, 400, "no partitions given");
        return ERR_MALFORMED;
    }
    buf_puts(o, "{\"group\":");
    kf_http_json_str(o, g->id);
    buf_puts(o, ",\"state\":");
    kf_http_json_str(o, kf_group_state_name(g->state));
    buf_printf(o, ",\"allowed\":%s,\"dry_run\":%s,\"topic\":",
               g->state == KF_GROUP_EMPTY ? "true" : "false", dry_run ? "true" : "false");
    kf_http_json_str(o, t->name);
    buf_printf(o, ",\"to\":\"%s\",\"partitions\":[", to);
    pj = parts != NULL && parts->type == JSON_ARRAY ? parts->child : NULL;
    for (k = 0; k < np; k++, pj = pj ? pj->next : NULL) {
        const struct kf_group_offset *cur;
        kf_log_t                     *l;
        int64_t                       start, hw, nw;

        if (pj != NULL) {
            if (pj->type != JSON_NUMBER || !pj->is_int || pj->i < 0 || pj->i >= t->npart) {
                snprintf(msg, sizeof msg, "topic %s has no partition %s%.0f", t->name,
                         pj->type == JSON_NUMBER ? "" : "(not a number) ",
                         pj->type == JSON_NUMBER ? pj->num : 0.0);
                kf_http_error(x, pj->type == JSON_NUMBER ? 404 : 400, msg);
                return ERR_MALFORMED;
            }
            p = (int32_t)pj->i;
        } else {
            p = k;
        }
        if ((l = t->logs[p]) == NULL || n >= cap) {
            kf_http_error(x, 404, "partition not available");
            return ERR_NOTFOUND;
        }
        cur = kf_group_offset_get(co, g->id, t->name, p);
        start = kf_log_start(l);
        hw = kf_log_hw(l);
        if (kf_http_reset_tos[mode].fn(l, cur, value, &nw) < 0) {
            snprintf(msg, sizeof msg,
                     "Cannot shift offset for partition %s-%d since there is no current "
                     "committed offset",
                     t->name, p);
            kf_http_error(x, 400, msg);
            return ERR_MALFORMED;
        }
        if (nw < start)
            nw = start;
        if (nw > hw)
            nw = hw;
        buf_printf(o, "%s{\"partition\":%d,\"current\":", k ? "," : "", p);
        if (cur != NULL && cur->offset >= 0) {
            int64_t lb = hw - cur->offset > 0 ? hw - cur->offset : 0;

            lag_before += lb;
            buf_printf(o, "%" PRId64 ",\"lag_before\":%" PRId64, cur->offset, lb);
        } else {
            buf_puts(o, "null,\"lag_before\":null");
        }
        lag_after += hw - nw;
        buf_printf(o, ",\"new\":%" PRId64 ",\"lag_after\":%" PRId64
                      ",\"log_start_offset\":%" PRId64 ",\"high_watermark\":%" PRId64 "}",
                   nw, hw - nw, start, hw);
        offs[n] = (struct kf_group_offset){ .topic = t->name,
                                            .partition = p,
                                            .offset = nw,
                                            .leader_epoch = -1,
                                            .metadata = cur != NULL ? cur->metadata : "",
                                            .commit_ts = clock_wall_ms(),
                                            .expire_ts = -1 };
        n++;
    }
    buf_printf(o, "],\"lag_before\":%" PRId64 ",\"lag_after\":%" PRId64 "}\n", lag_before,
               lag_after);
    return n;
}

static void kf_http_reset_done(void *arg, int status)
{
    struct kf_http_reset *rs = arg;
    struct kf_http_ctx    ax = { .c = rs->c, .user = rs->user };
    conn_msg_t           *m;
    char                  result[64];

    if (status < 0) {
        buf_reset(&rs->body);
        buf_printf(&rs->body, "{\"error\":\"storing the offsets failed: %s\"}\n",
                   err_str(status));
    }
    if (status < 0)
        snprintf(result, sizeof result, "failed: %s", err_str(status));
    else
        snprintf(result, sizeof result, "ok partitions=%d", rs->n);
    kf_http_audit(&ax, "offset-reset", rs->target, result);
    m = kf_http_msg(status < 0 ? 500 : 200, rs->keep_alive, rs->head, &rs->body);
    conn_fill(rs->c, rs->slot, m);
    if (!rs->keep_alive)
        conn_close_after_flush(rs->c);
    conn_unref(rs->c);
    free(rs);
}

static void kf_http_reset_run(struct kf_http_ctx *x, bool preview)
{
    const struct kf_group  *g;
    struct kf_group_offset *offs;
    struct json            *req;
    struct kf_http_reset   *rs;
    arena_t                 a;
    buf_t                   o = BUF_INIT;
    char                    target[512], why[256];
    const char             *topic;
    bool                    dry_run;
    int                     n;
    int16_t                 err;

    arena_init(&a);
    if (kf_http_body_json(x, &a, &req) < 0 || (g = kf_http_group_arg(x)) == NULL) {
        arena_free(&a);
        if (!preview)
            kf_http_audit(x, "offset-reset", x->arg[0], "bad request");
        return;
    }
    if (req->type != JSON_OBJECT) {
        arena_free(&a);
        kf_http_error(x, 400, "the body must be a JSON object");
        return;
    }
    dry_run = preview || json_get_bool(req, "dry_run", false);
    topic = json_get_str(req, "topic", NULL);
    snprintf(target, sizeof target, "group=%s topic=%s", g->id, topic ? topic : "-");
    offs = xcalloc(KF_HTTP_GROUP_ROWS, sizeof *offs);
    n = kf_http_reset_plan(x, g, req, offs, KF_HTTP_GROUP_ROWS, &o, dry_run);
    if (n < 0) {
        if (!preview)
            kf_http_audit(x, "offset-reset", target, "bad request");
        goto out;
    }
    if (dry_run) {
        kf_http_json(x, 200, &o);
        goto out;
    }
    if (g->state != KF_GROUP_EMPTY) {
        /* Kafka's ConsumerGroupCommand, word for word */
        snprintf(why, sizeof why,
                 "Assignments can only be reset if the group '%s' is inactive, but the "
                 "current state is %s.",
                 g->id, kf_group_state_name(g->state));
        kf_http_audit(x, "offset-reset", target, "refused: group not empty");
        kf_http_error(x, 409, why);
        goto out;
    }
    rs = xcalloc(1, sizeof *rs);
    rs->c = x->c;
    rs->keep_alive = x->req->keep_alive;
    rs->head = false;
    rs->n = n;
    buf_move(&rs->body, &o);
    snprintf(rs->user, sizeof rs->user, "%s", x->user ? x->user : "");
    snprintf(rs->target, sizeof rs->target, "%s", target);
    conn_ref(x->c);
    rs->slot = conn_reserve(x->c);
    err = kf_group_api_commit(x->h->b->groups, g->id, n, offs, kf_http_reset_done, rs);
    if (err != KF_GROUP_ERR_NONE) {
        /* the state changed under us, or the store is going away */
        buf_reset(&rs->body);
        buf_printf(&rs->body, "{\"error\":\"the group refused the commit (Kafka error %d)\"}\n",
                   err);
        kf_http_audit(x, "offset-reset", target, "refused by the coordinator");
        conn_fill(rs->c, rs->slot,
                  kf_http_msg(409, rs->keep_alive, false, &rs->body));
        if (!rs->keep_alive)
            conn_close_after_flush(rs->c);
        conn_unref(rs->c);
        free(rs);
    }
out:
    buf_free(&o);
    free(offs);
    arena_free(&a);
}

static void kf_http_reset_preview(struct kf_http_ctx *x)
{
    kf_http_reset_run(x, true);
}

static void kf_http_reset(struct kf_http_ctx *x)
{
    kf_http_reset_run(x, false);
}

/* ---- DELETE /api/v1/groups/{g} -------------------------------------------- */

static void kf_http_group_delete(struct kf_http_ctx *x)
{
    const struct kf_group *g = kf_http_group_arg(x);
    char                   why[256], *id;
    buf_t                  o = BUF_INIT;
    int16_t                err;

    if (g == NULL) {
        kf_http_audit(x, "delete-group", x->arg[0], "not found");
        return;
    }
    if (g->state != KF_GROUP_EMPTY) {
        snprintf(why, sizeof why, "The group is not empty (state %s).",
                 kf_group_state_name(g->state));
        kf_http_audit(x, "delete-group", g->id, "refused: group not empty");
        kf_http_error(x, 409, why);
        return;
    }
    id = xstrdup(g->id); /* g goes with the group */
    err = kf_group_api_delete(x->h->b->groups, id);
    if (err != KF_GROUP_ERR_NONE) {
        snprintf(why, sizeof why, "the coordinator refused (Kafka error %d)", err);
        kf_http_audit(x, "delete-group", id, "failed");
        kf_http_error(x, err == KF_GROUP_ERR_NON_EMPTY_GROUP ? 409 : 500, why);
    } else {
        kf_http_audit(x, "delete-group", id, "ok");
        buf_puts(&o, "{\"deleted\":");
        kf_http_json_str(&o, id);
        buf_puts(&o, "}\n");
        kf_http_json(x, 200, &o);
    }
    free(id);
}

/* ---- /metrics ------------------------------------------------------------- */

struct kf_http_gm {
    kf_http_t *h;
    buf_t     *o;
    int        pass;
};

static void kf_http_metrics_one(void *arg, const struct kf_group *g)
{
    struct kf_http_gm *m = arg;
    int                i;

    if (m->pass == 0) {
        buf_puts(m->o, "odradek_group_members{group=\"");
        kf_http_label(m->o, g->id);
        buf_printf(m->o, "\"} %d\n", g->nmembers);
        return;
    }
    for (i = 0; i < g->noffsets; i++) {
        char p[16];

        if (kf_topics_log(m->h->b->topics, g->offsets[i].topic,
                          strlen(g->offsets[i].topic), g->offsets[i].partition) == NULL)
            continue;
        snprintf(p, sizeof p, "%d", g->offsets[i].partition);
        buf_puts(m->o, "odradek_group_lag{group=\"");
        kf_http_label(m->o, g->id);
        buf_puts(m->o, "\",topic=\"");
        kf_http_label(m->o, g->offsets[i].topic);
        buf_printf(m->o, "\",partition=\"%s\"} %" PRId64 "\n", p,
                   kf_http_offset_lag(m->h, &g->offsets[i]));
    }
}

static void kf_http_groups_metrics(kf_http_t *h, buf_t *o)
{
    kf_group_coord_t *co = kf_http_coord(h);
    struct kf_http_gm m = { h, o, 0 };

    buf_printf(o, "# HELP odradek_groups Consumer groups this broker coordinates.\n"
                  "# TYPE odradek_groups gauge\nodradek_groups %d\n",
               co != NULL ? kf_group_count(co) : 0);
    if (co == NULL)
        return;
    buf_puts(o, "# HELP odradek_group_members Members of a consumer group.\n"
                "# TYPE odradek_group_members gauge\n");
    kf_group_each(co, kf_http_metrics_one, &m);
    buf_puts(o, "# HELP odradek_group_lag Messages between a group's committed offset "
                "and the high watermark.\n# TYPE odradek_group_lag gauge\n");
    m.pass = 1;
    kf_group_each(co, kf_http_metrics_one, &m);
}

static const struct kf_http_route kf_http_groups_routes[] = {
    { "GET", "/api/v1/groups", KF_HTTP_READ, kf_http_groups },
    { "GET", "/api/v1/groups/{}", KF_HTTP_READ, kf_http_group },
    { "DELETE", "/api/v1/groups/{}", KF_HTTP_DELETE, kf_http_group_delete },
    { "POST", "/api/v1/groups/{}/offsets/reset/preview", KF_HTTP_READ,
      kf_http_reset_preview },
    { "POST", "/api/v1/groups/{}/offsets/reset", KF_HTTP_OFFSET_RESET, kf_http_reset },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_groups = { "groups", kf_http_groups_routes, NULL,
                                                   NULL, kf_http_groups_metrics };
