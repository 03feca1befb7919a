/* kf_http_write: the JSON API's writes on topics (docs/API.md, writes):
 *
 * POST   /api/v1/topics/{t}/messages    produce one message     (produce)
 * POST   /api/v1/topics                 create a topic          (write)
 * DELETE /api/v1/topics/{t}             delete a topic          (delete)
 * PUT    /api/v1/topics/{t}/configs     set / delete overrides  (write)
 * POST   /api/v1/topics/{t}/partitions  add partitions          (write)
 *
 * Access control (read-only and per-action switches, same origin, JSON
 * content type) is kf_http.c's, from each route's action; every handler
 * here writes an audit line with its outcome.
 *
 * It owns: turning a JSON message into one uncompressed v2 record batch
 * (kbatch builder), choosing its partition as Kafka's default partitioner
 * does (murmur2 of the key, round-robin for a null key), and the same
 * checks the Kafka-protocol admin handlers make (kf_admin.c, kf_configs.c)
 * with Kafka's reason texts.  It does not own storage or cluster state:
 * appends go through kf_log_append exactly as Produce's (the partition's
 * leader epoch, max.message.bytes, the flush policy, the long-poll wake-up
 * through the log's notify hook), topics change through the registry
 * (kf_topics), whose observers mirror them into the coordination service. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "kbatch.h"
#include "kf_http_int.h"
#include "log.h"
#include "xalloc.h"

/* As kf_admin.c: every partition is a directory with open files. */
#define KF_HTTP_MAX_PARTITIONS 10000
#define KF_HTTP_MAX_HEADERS    1000

/* ---- helpers -------------------------------------------------------------- */

/* A member that is a string (decoded per encoding), null, or absent
 * (= null).  The bytes go to *out (arena); *null set.  < 0: wrong type or
 * bad base64. */
static int kf_http_bytes_member(const struct json *obj, const char *name, bool b64,
                                arena_t *a, slice_t *out)
{
    const struct json *v = json_get(obj, name);
    buf_t              tmp = BUF_INIT;
    uint8_t           *p;

    *out = (slice_t){ NULL, -1 };
    if (v == NULL || v->type == JSON_NULL)
        return 0;
    if (v->type != JSON_STRING)
        return ERR_MALFORMED;
    if (!b64) {
        *out = (slice_t){ (const uint8_t *)v->str, (int32_t)v->len };
        return 0;
    }
    if (kf_http_unbase64(v->str, v->len, &tmp) < 0) {
        buf_free(&tmp);
        return ERR_MALFORMED;
    }
    p = arena_alloc(a, tmp.len + 1);
    if (tmp.len > 0)
        memcpy(p, tmp.data, tmp.len);
    *out = (slice_t){ p, (int32_t)tmp.len };
    buf_free(&tmp);
    return 0;
}

/* Kafka's Utils.murmur2 (the default partitioner's hash), bit for bit. */
static uint32_t kf_http_murmur2(const uint8_t *d, size_t n)
{
    const uint32_t m = 0x5bd1e995u;
    uint32_t       h = 0x9747b28cu ^ (uint32_t)n, k;
    size_t         i, tail = n & ~(size_t)3;

    for (i = 0; i < tail; i += 4) {
        k = (uint32_t)d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16 |
            (uint32_t)d[i + 3] << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    if (n - tail == 3)
        h ^= (uint32_t)d[tail + 2] << 16;
    if (n - tail >= 2)
        h ^= (uint32_t)d[tail + 1] << 8;
    if (n - tail >= 1) {
        h ^= d[tail];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

static void kf_http_confs_json(buf_t *o, const struct kf_topic *t)
{
    int i;

    buf_put_u8(o, '{');
    for (i = 0; i < t->nconfs; i++) {
        if (i)
            buf_put_u8(o, ',');
        kf_http_json_str(o, t->confs[i].key);
        buf_put_u8(o, ':');
        kf_http_json_str(o, t->confs[i].value);
    }
    buf_put_u8(o, '}');
}

/* A config value as text: strings as they are, numbers and booleans as
 * JSON writes them, null = delete; NULL + *bad for anything else. */
static const char *kf_http_conf_value(arena_t *a, const struct json *v, bool *bad)
{
    char num[64];

    *bad = false;
    if (v->type == JSON_STRING)
        return v->str;
    if (v->type == JSON_BOOL)
        return v->b ? "true" : "false";
    if (v->type == JSON_NUMBER) {
        if (v->is_int)
            snprintf(num, sizeof num, "%" PRId64, v->i);
        else
            snprintf(num, sizeof num, "%.17g", v->num);
        return arena_strndup(a, num, strlen(num));
    }
    *bad = v->type != JSON_NULL;
    return NULL;
}

/* An integer member: *out = its value, or def when absent or null; false
 * when it is present with another type (the caller answers 400). */
static bool kf_http_int_member(const struct json *obj, const char *name, int64_t def,
                               int64_t *out)
{
    const struct json *v = json_get(obj, name);

    *out = def;
    if (v == NULL || v->type == JSON_NULL)
        return true;
    if (v->type != JSON_NUMBER || !v->is_int)
        return false;
    *out = v->i;
    return true;
}

static bool kf_http_body_object(struct kf_http_ctx *x, arena_t *a, struct json **req)
{
    if (kf_http_body_json(x, a, req) < 0)
        return false;
    if ((*req)->type != JSON_OBJECT) {
        kf_http_error(x, 400, "the body must be a JSON object");
        return false;
    }
    return true;
}

/* ---- POST /api/v1/topics/{t}/messages ------------------------------------- */

struct kf_http_produce {
    conn_t      *c;
    conn_slot_t *slot;
    bool         keep_alive;
    char         user[128];
    char         topic[256];
    int32_t      partition;
    int64_t      offset, timestamp;
};

static void kf_http_produce_answer(struct kf_http_produce *pr, int status, buf_t *o)
{
    char target[400], result[64];
    struct kf_http_ctx ax = { .c = pr->c, .user = pr->user };

    snprintf(target, sizeof target, "topic=%s partition=%d offset=%" PRId64, pr->topic,
             pr->partition, pr->offset);
    if (status < 0)
        snprintf(result, sizeof result, "failed: %s", err_str(status));
    else
        snprintf(result, sizeof result, "ok");
    kf_http_audit(&ax, "produce", target, result);
    if (status < 0) {
        buf_printf(o, "{\"error\":\"the append failed: %s\"}\n", err_str(status));
        return;
    }
    buf_puts(o, "{\"topic\":");
    kf_http_json_str(o, pr->topic);
    buf_printf(o, ",\"partition\":%d,\"offset\":%" PRId64 ",\"timestamp\":%" PRId64 "}\n",
               pr->partition, pr->offset, pr->timestamp);
}

static void kf_http_produce_flushed(void *arg, int status)
{
    struct kf_http_produce *pr = arg;
    buf_t                   o = BUF_INIT;

    kf_http_produce_answer(pr, status, &o);
    conn_fill(pr->c, pr->slot,
              kf_http_msg(status < 0 ? 503 : 200, pr->keep_alive, false, &o));
    if (!pr->keep_alive)
        conn_close_after_flush(pr->c);
    conn_unref(pr->c);
    free(pr);
}

/* The encoded record headers (varint lengths) of "headers": [{key, value}]. */
static int kf_http_headers(struct kf_http_ctx *x, const struct json *req, bool b64,
                           arena_t *a, buf_t *hdrs, int32_t *nh)
{
    const struct json *hs = json_get(req, "headers"), *h;

    *nh = 0;
    if (hs == NULL || hs->type == JSON_NULL)
        return 0;
    if (hs->type != JSON_ARRAY || hs->len > KF_HTTP_MAX_HEADERS) {
        kf_http_error(x, 400, "\"headers\" must be a list of {\"key\": ..., \"value\": ...}");
        return ERR_MALFORMED;
    }
    for (h = hs->child; h != NULL; h = h->next) {
        size_t  kn;
        const char *k = h->type == JSON_OBJECT ? json_get_str(h, "key", &kn) : NULL;
        slice_t v;

        if (k == NULL || kf_http_bytes_member(h, "value", b64, a, &v) < 0) {
            kf_http_error(x, 400, "each header needs a string \"key\" and a string or "
                                  "null \"value\"");
            return ERR_MALFORMED;
        }
        buf_put_varint(hdrs, (int64_t)kn);
        buf_put(hdrs, k, kn);
        buf_put_varint(hdrs, v.n);
        if (v.n > 0)
            buf_put(hdrs, v.p, (size_t)v.n);
        (*nh)++;
    }
    return 0;
}

static void kf_http_produce(struct kf_http_ctx *x)
{
    static uint32_t             rr; /* round-robin for null keys */
    const char                 *name = x->arg[0];
    struct kf_topic            *t = kf_topics_get(x->h->b->topics, name, strlen(name));
    struct kf_http_produce     *pr;
    struct kf_log_append_result res;
    struct kbatch_builder       bb;
    struct kbatch_hdr           bh;
    struct json                *req;
    const struct json          *pj;
    const char                 *enc;
    arena_t                     a;
    buf_t                       hdrs = BUF_INIT, batch = BUF_INIT, o = BUF_INIT;
    slice_t                     key, value;
    kf_log_t                   *l;
    int64_t                     now = clock_wall_ms();
    int32_t                     nh, part, epoch;
    char                        why[256];
    bool                        b64;
    int                         rc;

    arena_init(&a);
    if (!kf_http_body_object(x, &a, &req)) {
        kf_http_audit(x, "produce", name, "bad request");
        goto out;
    }
    if (t == NULL) {
        kf_http_audit(x, "produce", name, "no such topic");
        kf_http_error(x, 404, "no such topic");
        goto out;
    }
    enc = json_get_str(req, "encoding", NULL);
    if (enc != NULL && strcmp(enc, "text") != 0 && strcmp(enc, "base64") != 0) {
        kf_http_audit(x, "produce", name, "bad request");
        kf_http_error(x, 400, "\"encoding\" must be text or base64");
        goto out;
    }
    b64 = enc != NULL && strcmp(enc, "base64") == 0;
    if (kf_http_bytes_member(req, "key", b64, &a, &key) < 0 ||
        kf_http_bytes_member(req, "value", b64, &a, &value) < 0) {
        kf_http_audit(x, "produce", name, "bad request");
        kf_http_error(x, 400, b64 ? "\"key\" and \"value\" must be base64 strings or null"
                                  : "\"key\" and \"value\" must be strings or null");
        goto out;
    }
    if (kf_http_headers(x, req, b64, &a, &hdrs, &nh) < 0) {
        kf_http_audit(x, "produce", name, "bad request");
        goto out;
    }
    pj = json_get(req, "partition");
    if (pj != NULL && pj->type != JSON_NULL) {
        if (pj->type != JSON_NUMBER || !pj->is_int || pj->i < 0 || pj->i >= t->npart) {
            snprintf(why, sizeof why, "topic %s has partitions 0..%d", t->name,
                     t->npart - 1);
            kf_http_audit(x, "produce", name, "no such partition");
            kf_http_error(x, pj->type == JSON_NUMBER ? 404 : 400, why);
            goto out;
        }
        part = (int32_t)pj->i;
    } else if (key.n >= 0) {
        part = (int32_t)((kf_http_murmur2(key.p, (size_t)key.n) & 0x7fffffffu) %
                         (uint32_t)t->npart);
    } else {
        part = (int32_t)(rr++ % (uint32_t)t->npart);
    }
    if ((l = t->logs[part]) == NULL) {
        kf_http_audit(x, "produce", name, "partition offline");
        kf_http_error(x, 503, "the partition is not available");
        goto out;
    }
    kbatch_build_begin(&bb, &batch, 0, now, 0, -1, -1, -1);
    kbatch_build_add(&bb, now, key, value, hdrs.len ? hdrs.data : NULL, hdrs.len, nh);
    kbatch_build_end(&bb);
    if (batch.len > (size_t)kf_log_config(l)->max_message_bytes) {
        snprintf(why, sizeof why,
                 "The request included a message larger than the max message size the "
                 "server will accept (%zu > max.message.bytes %d).",
                 batch.len, kf_log_config(l)->max_message_bytes);
        kf_http_audit(x, "produce", name, "too large");
        kf_http_error(x, 413, why);
        goto out;
    }
    if (kbatch_validate(batch.data, batch.len, &bh) != KBATCH_OK) {
        kf_http_audit(x, "produce", name, "failed: batch");
        kf_http_error(x, 500, "the record batch did not validate");
        goto out;
    }
    pr = xcalloc(1, sizeof *pr);
    pr->c = x->c;
    pr->keep_alive = x->req->keep_alive;
    pr->partition = part;
    snprintf(pr->user, sizeof pr->user, "%s", x->user ? x->user : "");
    snprintf(pr->topic, sizeof pr->topic, "%s", t->name);
    epoch = kf_log_leader_epoch(l);
    rc = kf_log_append(l, batch.data, batch.len, epoch < 0 ? 0 : epoch, now, &res,
                       kf_http_produce_flushed, pr);
    if (rc < 0) {
        pr->offset = -1;
        kf_http_produce_answer(pr, rc, &o);
        kf_http_json(x, rc == ERR_TOO_BIG ? 413 : 503, &o);
        free(pr);
        goto out;
    }
    pr->offset = res.base_offset;
    pr->timestamp = res.log_append_time >= 0 ? res.log_append_time : now;
    if (rc == 0) { /* in the page cache and the flush policy asks no more */
        kf_http_produce_answer(pr, 0, &o);
        kf_http_json(x, 200, &o);
        free(pr);
        goto out;
    }
    conn_ref(x->c); /* answered by kf_http_produce_flushed */
    pr->slot = conn_reserve(x->c);
out:
    buf_free(&hdrs);
    buf_free(&batch);
    arena_free(&a);
}

/* ---- POST /api/v1/topics -------------------------------------------------- */

static void kf_http_topic_create(struct kf_http_ctx *x)
{
    struct kf_broker     *b = x->h->b;
    struct json          *req;
    const struct json    *cf, *c;
    struct kf_topic_conf *confs = NULL;
    struct kf_topic      *t = NULL;
    const char           *name;
    arena_t               a;
    buf_t                 o = BUF_INIT;
    char                  why[512] = "";
    int64_t               np, rf;
    int                   nconfs = 0, rc, status = 400;
    bool                  bad;

    arena_init(&a);
    if (!kf_http_body_object(x, &a, &req)) {
        kf_http_audit(x, "create-topic", "-", "bad request");
        goto out;
    }
    name = json_get_str(req, "name", NULL);
    cf = json_get(req, "configs");
    if (!kf_http_int_member(req, "partitions", b->kc->num_partitions, &np) ||
        !kf_http_int_member(req, "replication_factor",
                            (int64_t)b->kc->default_replication_factor, &rf))
        snprintf(why, sizeof why, "\"partitions\" and \"replication_factor\" must be integers");
    else if (name == NULL)
        snprintf(why, sizeof why, "\"name\" is required");
    else if (kf_topics_get(b->topics, name, strlen(name)) != NULL) {
        snprintf(why, sizeof why, "Topic '%s' already exists.", name);
        status = 409;
    } else if (!kf_topics_valid_name(name, strlen(name)))
        snprintf(why, sizeof why,
                 "Topic name \"%s\" is illegal, it contains a character other than "
                 "ASCII alphanumerics, '.', '_' and '-'",
                 name);
    else if (np <= 0)
        snprintf(why, sizeof why, "Number of partitions must be larger than 0.");
    else if (np > KF_HTTP_MAX_PARTITIONS)
        snprintf(why, sizeof why,
                 "Number of partitions %" PRId64 " is larger than this broker's limit of "
                 "%d (a directory and open files each).",
                 np, KF_HTTP_MAX_PARTITIONS);
    else if (rf <= 0)
        snprintf(why, sizeof why, "Replication factor must be larger than 0.");
    else if (rf > 1)
        snprintf(why, sizeof why,
                 "Replication factor: %" PRId64 " larger than available brokers: 1.", rf);
    else if (cf != NULL && cf->type != JSON_OBJECT && cf->type != JSON_NULL)
        snprintf(why, sizeof why, "\"configs\" must be an object of key: value");
    if (why[0] == '\0' && cf != NULL && cf->type == JSON_OBJECT) {
        confs = arena_calloc(&a, cf->len + 1, sizeof *confs);
        for (c = cf->child; c != NULL && why[0] == '\0'; c = c->next) {
            confs[nconfs].key = arena_strndup(&a, c->key, c->keylen);
            confs[nconfs].value = (char *)kf_http_conf_value(&a, c, &bad);
            if (bad || confs[nconfs].value == NULL)
                snprintf(why, sizeof why, "config %s: the value must be a string",
                         confs[nconfs].key);
            nconfs++;
        }
    }
    if (why[0] != '\0') {
        kf_http_audit(x, "create-topic", name ? name : "-", "refused");
        kf_http_error(x, status, why);
        goto out;
    }
    rc = kf_topics_create(b->topics, name, (int32_t)np, confs, nconfs, &t, why,
                          sizeof why);
    if (rc < 0) {
        kf_http_audit(x, "create-topic", name, "refused");
        kf_http_error(x, rc == ERR_CONFIG ? 400 : rc == ERR_EXISTS ? 409 : 500,
                      rc == ERR_CONFIG ? why : err_str(rc));
        goto out;
    }
    log_info("created topic %s with %d partitions (http)", name, t->npart);
    kf_http_audit(x, "create-topic", name, "ok");
    buf_puts(&o, "{\"name\":");
    kf_http_json_str(&o, t->name);
    buf_printf(&o, ",\"partitions\":%d,\"replication_factor\":1,\"configs\":", t->npart);
    kf_http_confs_json(&o, t);
    buf_puts(&o, "}\n");
    kf_http_json(x, 201, &o);
out:
    arena_free(&a);
}

/* ---- DELETE /api/v1/topics/{t} -------------------------------------------- */

static void kf_http_topic_delete(struct kf_http_ctx *x)
{
    const char      *name = x->arg[0];
    struct kf_topic *t = kf_topics_get(x->h->b->topics, name, strlen(name));
    buf_t            o = BUF_INIT;
    char             why[320];

    if (t == NULL) {
        kf_http_audit(x, "delete-topic", name, "no such topic");
        kf_http_error(x, 404, "no such topic");
        return;
    }
    if (!x->h->b->kc->delete_topic_enable) {
        kf_http_audit(x, "delete-topic", name, "refused: delete.topic.enable=false");
        kf_http_error(x, 403, "Topic deletion is disabled (delete.topic.enable=false).");
        return;
    }
    if (t->internal) {
        snprintf(why, sizeof why, "Internal topic %s cannot be deleted from the UI.",
                 t->name);
        kf_http_audit(x, "delete-topic", name, "refused: internal");
        kf_http_error(x, 400, why);
        return;
    }
    log_info("deleting topic %s (http)", t->name);
    if (kf_topics_delete(x->h->b->topics, name) < 0) {
        kf_http_audit(x, "delete-topic", name, "failed");
        kf_http_error(x, 500, "the topic could not be deleted");
        return;
    }
    kf_http_audit(x, "delete-topic", name, "ok");
    buf_puts(&o, "{\"deleted\":");
    kf_http_json_str(&o, name);
    buf_puts(&o, "}\n");
    kf_http_json(x, 200, &o);
}

/* ---- PUT /api/v1/topics/{t}/configs --------------------------------------- */

struct kf_http_conf_op {
    const char *key;
    const char *value; /* NULL: delete */
};

static void kf_http_topic_configs(struct kf_http_ctx *x)
{
    const char             *name = x->arg[0];
    struct kf_topic        *t = kf_topics_get(x->h->b->topics, name, strlen(name));
    struct json            *req;
    const struct json      *set, *del, *c;
    struct kf_http_conf_op *ops;
    arena_t                 a;
    buf_t                   o = BUF_INIT;
    char                    why[512] = "";
    int                     n = 0, i, pass;
    bool                    bad;

    arena_init(&a);
    if (!kf_http_body_object(x, &a, &req)) {
        kf_http_audit(x, "alter-configs", name, "bad request");
        goto out;
    }
    if (t == NULL) {
        kf_http_audit(x, "alter-configs", name, "no such topic");
        kf_http_error(x, 404, "Topic does not exist");
        goto out;
    }
    set = json_get(req, "set");
    del = json_get(req, "delete");
    if ((set != NULL && set->type != JSON_OBJECT) || (del != NULL && del->type != JSON_ARRAY)) {
        kf_http_audit(x, "alter-configs", name, "bad request");
        kf_http_error(x, 400, "\"set\" must be an object of key: value, \"delete\" a list "
                              "of keys");
        goto out;
    }
    ops = arena_calloc(&a, (set ? set->len : 0) + (del ? del->len : 0) + 1, sizeof *ops);
    for (c = set ? set->child : NULL; c != NULL && why[0] == '\0'; c = c->next) {
        ops[n].key = arena_strndup(&a, c->key, c->keylen);
        ops[n].value = kf_http_conf_value(&a, c, &bad);
        if (bad || ops[n].value == NULL)
            snprintf(why, sizeof why, "config %s: the value must be a string", ops[n].key);
        n++;
    }
    for (c = del ? del->child : NULL; c != NULL && why[0] == '\0'; c = c->next) {
        if (c->type != JSON_STRING)
            snprintf(why, sizeof why, "\"delete\" must list config names");
        else
            ops[n++] = (struct kf_http_conf_op){ c->str, NULL };
    }
    if (why[0] == '\0' && n == 0)
        snprintf(why, sizeof why, "nothing to change: give \"set\" and/or \"delete\"");
    /* as IncrementalAlterConfigs: validate every operation, then apply */
    for (pass = 0; pass < 2 && why[0] == '\0'; pass++)
        for (i = 0; i < n; i++)
            if (kf_topics_set_config(x->h->b->topics, t, ops[i].key, ops[i].value,
                                     pass == 0, why, sizeof why) < 0)
                break;
    if (why[0] != '\0') {
        kf_http_audit(x, "alter-configs", name, "refused");
        kf_http_error(x, 400, why);
        goto out;
    }
    kf_http_audit(x, "alter-configs", name, "ok");
    buf_puts(&o, "{\"name\":");
    kf_http_json_str(&o, t->name);
    buf_puts(&o, ",\"configs\":");
    kf_http_confs_json(&o, t);
    buf_puts(&o, "}\n");
    kf_http_json(x, 200, &o);
out:
    arena_free(&a);
}

/* ---- POST /api/v1/topics/{t}/partitions ----------------------------------- */

static void kf_http_topic_partitions(struct kf_http_ctx *x)
{
    const char      *name = x->arg[0];
    struct kf_topic *t = kf_topics_get(x->h->b->topics, name, strlen(name));
    struct json     *req;
    arena_t          a;
    buf_t            o = BUF_INIT;
    char             why[256] = "";
    int64_t          count;

    arena_init(&a);
    if (!kf_http_body_object(x, &a, &req)) {
        kf_http_audit(x, "create-partitions", name, "bad request");
        goto out;
    }
    if (t == NULL) {
        kf_http_audit(x, "create-partitions", name, "no such topic");
        kf_http_error(x, 404, "no such topic");
        goto out;
    }
    if (!kf_http_int_member(req, "count", -1, &count) || count < 0)
        snprintf(why, sizeof why, "\"count\" (the new number of partitions) is required");
    else if (count > KF_HTTP_MAX_PARTITIONS)
        snprintf(why, sizeof why, "Too many partitions for one topic.");
    else if (count == t->npart)
        snprintf(why, sizeof why, "Topic already has %d partitions.", t->npart);
    else if (count < t->npart)
        snprintf(why, sizeof why,
                 "Topic currently has %d partitions, which is higher than the requested "
                 "%" PRId64 ".",
                 t->npart, count);
    if (why[0] != '\0') {
        kf_http_audit(x, "create-partitions", name, "refused");
        kf_http_error(x, 400, why);
        goto out;
    }
    if (kf_topics_add_partitions(x->h->b->topics, t, (int32_t)count) < 0) {
        kf_http_audit(x, "create-partitions", name, "failed");
        kf_http_error(x, 500, "the partitions could not be created");
        goto out;
    }
    log_info("topic %s now has %d partitions (http)", t->name, t->npart);
    kf_http_audit(x, "create-partitions", name, "ok");
    buf_puts(&o, "{\"name\":");
    kf_http_json_str(&o, t->name);
    buf_printf(&o, ",\"partitions\":%d}\n", t->npart);
    kf_http_json(x, 200, &o);
out:
    arena_free(&a);
}

static const struct kf_http_route kf_http_write_routes[] = {
    { "POST", "/api/v1/topics/{}/messages", KF_HTTP_PRODUCE, kf_http_produce },
    { "POST", "/api/v1/topics", KF_HTTP_WRITE, kf_http_topic_create },
    { "DELETE", "/api/v1/topics/{}", KF_HTTP_DELETE, kf_http_topic_delete },
    { "PUT", "/api/v1/topics/{}/configs", KF_HTTP_WRITE, kf_http_topic_configs },
    { "POST", "/api/v1/topics/{}/partitions", KF_HTTP_WRITE, kf_http_topic_partitions },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_write = { "write", kf_http_write_routes, NULL,
                                                 NULL, NULL };
