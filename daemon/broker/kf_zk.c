/* kf_zk: the broker's cluster state in ZooKeeper (see kf_zk.h).
 *
 * The work after every CONNECTED is one chain of steps, each issued from
 * the previous one's reply; every step is idempotent, so a chain cut by a
 * lost connection is simply run again on the next CONNECTED:
 *
 *   roots      chroot components and Kafka's persistent roots (create,
 *              NODEEXISTS is fine; the session's FIFO keeps parents first)
 *   cluster    get /cluster/id; create it with our id, or adopt/check it
 *   register   create ephemeral /brokers/ids/<id>; if it exists and is
 *              another session's (a killed predecessor), watch it and try
 *              again when it goes
 *   elect      get+watch /controller; if absent create it (ephemeral) and
 *              bump /controller_epoch; if another broker holds it, its
 *              deletion re-runs this step
 *   topics     list+watch /brokers/topics: create locally the topics other
 *              tools wrote there, write ours that are missing (topic JSON,
 *              partition state, config); list+watch /admin/delete_topics
 *              and /config/changes
 *
 * Replies of an older chain (a session that expired meanwhile) are
 * recognised by the generation number they carry and ignored.  Paths are
 * prefixed with the chroot here (the client connects without one), so
 * the chroot itself can be created like any other node. */
#include "kf_zk.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "kf_server.h"
#include "kf_topics.h"
#include "kf_zkjson.h"
#include "log.h"
#include "xalloc.h"
#include "zk_client.h"

#define ZK_PATH_MAX 1024

struct kf_zk {
    struct kf_broker *b;
    zk_client_t      *c;
    char              chroot[256];
    int32_t           id;
    uint64_t          gen; /* bumped on every new chain */
    bool              connected;
    bool              registered;
    bool              ready; /* first registration + election done */
    bool              closing;
    int32_t           controller; /* broker id, -1 unknown */
    int32_t           epoch;      /* controller epoch when we hold it */
    int               fatal;      /* a start-up error to report */
    const char       *fatal_what;
    const char       *applying; /* a remote change being applied: its
                                   observer echo is skipped */
    int64_t    last_change;     /* highest /config/changes seq seen */
    uv_timer_t start_timer;     /* wakes the start-up wait */
    int        reg_port;        /* port in our /brokers/ids/<id> */
    int        refs;            /* the client, the timer */
};

/* One request's context: which chain it belongs to, plus a name. */
struct req {
    struct kf_zk *z;
    uint64_t      gen;
    char          name[256];
    int32_t       n;
};

static struct req *req_new(struct kf_zk *z, const char *name, int32_t n)
{
    struct req *r = xcalloc(1, sizeof *r);

    r->z = z;
    r->gen = z->gen;
    if (name != NULL)
        snprintf(r->name, sizeof r->name, "%s", name);
    r->n = n;
    return r;
}

/* true if the reply belongs to the current chain and we are not closing */
static bool req_live(const struct req *r)
{
    return !r->z->closing && r->gen == r->z->gen;
}

static const char *zp(struct kf_zk *z, char *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *zp(struct kf_zk *z, char *out, const char *fmt, ...)
{
    va_list ap;
    int     n = snprintf(out, ZK_PATH_MAX, "%s", z->chroot);

    va_start(ap, fmt);
    vsnprintf(out + n, (size_t)(ZK_PATH_MAX - n), fmt, ap);
    va_end(ap);
    return out;
}

static void ignore_cb(zk_client_t *c, const struct zk_result *res, void *arg)
{
    (void)c;
    (void)res;
    free(arg);
}

static void zk_create_quiet(struct kf_zk *z, const char *path,
                            const buf_t *data, int32_t flags)
{
    zk_client_create(z->c, path, data ? data->data : NULL,
                     data ? (int32_t)data->len : -1, flags, ignore_cb,
                     req_new(z, NULL, 0));
}

/* ---- JSON bodies (Kafka 2.8 shapes) --------------------------------- */

static void b64url(const uint8_t *u, size_t n, char *out)
{
    static const char t[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t   i;
    int      bits = 0, k = 0;
    uint32_t acc = 0;

    for (i = 0; i < n; i++) {
        acc = ((acc << 8) | u[i]) & 0xffffu;
        bits += 8;
        while (bits >= 6) {
            out[k++] = t[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0)
        out[k++] = t[(acc << (6 - bits)) & 63];
    out[k] = '\0';
}

static void json_broker(struct kf_zk *z, buf_t *b)
{
    const struct kf_config *kc = z->b->kc;

    z->reg_port = kc->adv_port;
    buf_printf(
        b,
        "{\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},"
        "\"endpoints\":[\"PLAINTEXT://%s:%d\"],\"jmx_port\":-1,"
        "\"features\":{},\"host\":",
        kc->adv_host, kc->adv_port);
    kf_zkjson_put_str(b, kc->adv_host);
    buf_printf(b, ",\"timestamp\":\"%" PRId64 "\",\"port\":%d,\"version\":5",
               clock_wall_ms(), kc->adv_port);
    if (kc->broker_rack != NULL && kc->broker_rack[0] != '\0') {
        buf_puts(b, ",\"rack\":");
        kf_zkjson_put_str(b, kc->broker_rack);
    }
    buf_puts(b, "}");
}

static void json_topic(struct kf_zk *z, const struct kf_topic *t, buf_t *b)
{
    char    id[32];
    int32_t p;

    b64url(t->id, 16, id);
    buf_puts(b, "{\"version\":3,\"partitions\":{");
    for (p = 0; p < t->npart; p++)
        buf_printf(b, "%s\"%" PRId32 "\":[%" PRId32 "]", p ? "," : "", p,
                   z->id);
    buf_printf(b,
               "},\"adding_replicas\":{},\"removing_replicas\":{},\"topic_id\":"
               "\"%s\"}",
               id);
}

static void json_state(struct kf_zk *z, const struct kf_topic *t, int32_t p,
                       buf_t *b)
{
    int32_t le = (t->logs && t->logs[p]) ? kf_log_leader_epoch(t->logs[p]) : 0;

    buf_printf(b,
               "{\"controller_epoch\":%" PRId32 ",\"leader\":%" PRId32
               ",\"version\":1,\"leader_epoch\":%" PRId32 ",\"isr\":[%" PRId32
               "]}",
               z->epoch > 0 ? z->epoch : 1, z->id, le < 0 ? 0 : le, z->id);
}

static void json_config(const struct kf_topic *t, buf_t *b)
{
    int i;

    buf_puts(b, "{\"version\":1,\"config\":{");
    for (i = 0; i < t->nconfs; i++) {
        if (i)
            buf_puts(b, ",");
        kf_zkjson_put_str(b, t->confs[i].key);
        buf_puts(b, ":");
        kf_zkjson_put_str(b, t->confs[i].value);
    }
    buf_puts(b, "}}");
}

/* ---- writing a topic ------------------------------------------------ */

/* create-or-set: create; on NODEEXISTS set the same data. */
struct upsert {
    struct kf_zk *z;
    char          path[ZK_PATH_MAX];
    buf_t         data;
};

static void upsert_set_cb(zk_client_t *c, const struct zk_result *res,
                          void *arg)
{
    struct upsert *u = arg;

    (void)c;
    (void)res;
    buf_free(&u->data);
    free(u);
}

static void upsert_cb(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct upsert *u = arg;

    if (res->err == ZK_ENODEEXISTS && !u->z->closing &&
        zk_client_set(c, u->path, u->data.data, (int32_t)u->data.len, -1,
                      upsert_set_cb, u) == 0)
        return;
    buf_free(&u->data);
    free(u);
}

static void upsert(struct kf_zk *z, const char *path, buf_t *data)
{
    struct upsert *u = xcalloc(1, sizeof *u);

    u->z = z;
    snprintf(u->path, sizeof u->path, "%s", path);
    buf_move(&u->data, data);
    if (zk_client_create(z->c, u->path, u->data.data, (int32_t)u->data.len, 0,
                         upsert_cb, u) < 0) {
        buf_free(&u->data);
        free(u);
    }
}

static void write_states(struct kf_zk *z, const struct kf_topic *t,
                         int32_t from)
{
    char    p[ZK_PATH_MAX];
    buf_t   b = BUF_INIT;
    int32_t i;

    zk_create_quiet(z, zp(z, p, "/brokers/topics/%s/partitions", t->name), NULL,
                    0);
    for (i = from; i < t->npart; i++) {
        zk_create_quiet(
            z, zp(z, p, "/brokers/topics/%s/partitions/%" PRId32, t->name, i),
            NULL, 0);
        json_state(z, t, i, &b);
        upsert(z,
               zp(z, p, "/brokers/topics/%s/partitions/%" PRId32 "/state",
                  t->name, i),
               &b);
    }
    buf_free(&b);
}

static void write_topic(struct kf_zk *z, const struct kf_topic *t)
{
    char  p[ZK_PATH_MAX];
    buf_t b = BUF_INIT;

    json_config(t, &b);
    upsert(z, zp(z, p, "/config/topics/%s", t->name), &b);
    json_topic(z, t, &b);
    upsert(z, zp(z, p, "/brokers/topics/%s", t->name), &b);
    write_states(z, t, 0);
    buf_free(&b);
}

static void delete_topic_nodes(struct kf_zk *z, const char *name, int32_t npart)
{
    char    p[ZK_PATH_MAX];
    int32_t i;

    /* children first: the session's FIFO keeps the order */
    for (i = 0; i < npart; i++) {
        zk_client_delete(z->c,
                         zp(z, p,
                            "/brokers/topics/%s/partitions/%" PRId32 "/state",
                            name, i),
                         -1, ignore_cb, req_new(z, NULL, 0));
        zk_client_delete(
            z->c, zp(z, p, "/brokers/topics/%s/partitions/%" PRId32, name, i),
            -1, ignore_cb, req_new(z, NULL, 0));
    }
    zk_client_delete(z->c, zp(z, p, "/brokers/topics/%s/partitions", name), -1,
                     ignore_cb, req_new(z, NULL, 0));
    zk_client_delete(z->c, zp(z, p, "/brokers/topics/%s", name), -1, ignore_cb,
                     req_new(z, NULL, 0));
    zk_client_delete(z->c, zp(z, p, "/config/topics/%s", name), -1, ignore_cb,
                     req_new(z, NULL, 0));
}

/* ---- observer of the topic registry -------------------------------- */

static bool echo(struct kf_zk *z, const struct kf_topic *t)
{
    return z->applying != NULL && strcmp(z->applying, t->name) == 0;
}

static void obs_created(void *arg, const struct kf_topic *t)
{
    struct kf_zk *z = arg;

    if (z->c == NULL || z->closing)
        return;
    /* written now if connected; else the next chain writes it.  A topic
     * created from /brokers/topics is completed by new_topic_conf_cb. */
    if (!echo(z, t))
        write_topic(z, t);
}

static void obs_deleted(void *arg, const struct kf_topic *t)
{
    struct kf_zk *z = arg;

    if (z->c == NULL || z->closing)
        return;
    delete_topic_nodes(z, t->name, t->npart);
}

static void obs_config(void *arg, const struct kf_topic *t)
{
    struct kf_zk *z = arg;
    char          p[ZK_PATH_MAX];
    buf_t         b = BUF_INIT;

    if (z->c == NULL || z->closing || echo(z, t))
        return;
    json_config(t, &b);
    upsert(z, zp(z, p, "/config/topics/%s", t->name), &b);
    /* ConfigChangeNotification v2, as AdminZkClient.changeTopicConfig */
    buf_puts(&b, "{\"version\":2,\"entity_path\":");
    {
        char *ep = xasprintf("topics/%s", t->name);

        kf_zkjson_put_str(&b, ep);
        free(ep);
    }
    buf_puts(&b, "}");
    zk_create_quiet(z, zp(z, p, "/config/changes/config_change_"), &b,
                    ZK_FLAG_SEQUENTIAL);
    buf_free(&b);
}

static void obs_partitions(void *arg, const struct kf_topic *t, int32_t old)
{
    struct kf_zk *z = arg;
    char          p[ZK_PATH_MAX];
    buf_t         b = BUF_INIT;

    if (z->c == NULL || z->closing || echo(z, t))
        return;
    json_topic(z, t, &b);
    upsert(z, zp(z, p, "/brokers/topics/%s", t->name), &b);
    write_states(z, t, old);
    buf_free(&b);
}

/* ---- remote changes -------------------------------------------------- */

static void list_topics(struct kf_zk *z);
static void list_deletes(struct kf_zk *z);
static void list_changes(struct kf_zk *z);
static void change_conf_cb(zk_client_t *c, const struct zk_result *res,
                           void *arg);

struct conf_parse {
    struct kf_topic_conf confs[64];
    char                 store[64][2][256];
    int                  n;
};

static int conf_member(void *arg, const char *key, slice_t val)
{
    struct conf_parse *cp = arg;

    if (cp->n == 64)
        return ERR_TOO_BIG;
    snprintf(cp->store[cp->n][0], 256, "%s", key);
    if (kf_zkjson_str(val, cp->store[cp->n][1], 256) < 0)
        return ERR_MALFORMED;
    cp->confs[cp->n].key = cp->store[cp->n][0];
    cp->confs[cp->n].value = cp->store[cp->n][1];
    cp->n++;
    return 0;
}

static int parse_config(const struct zk_result *res, struct conf_parse *cp)
{
    slice_t v;

    cp->n = 0;
    if (res->err != 0 || res->data == NULL)
        return 0; /* no overrides */
    if (kf_zkjson_member(res->data, (size_t)res->dlen, "config", &v) < 0)
        return ERR_MALFORMED;
    return kf_zkjson_each(v, conf_member, cp);
}

/* A topic another tool wrote under /brokers/topics: read its partition
 * count, then its config, then create it here. */
static void new_topic_conf_cb(zk_client_t *c, const struct zk_result *res,
                              void *arg)
{
    struct req        *r = arg;
    struct kf_zk      *z = r->z;
    struct conf_parse *cp;
    struct kf_topic   *t;
    char               why[256] = "";
    int                rc;

    (void)c;
    if (!req_live(r) || kf_topics_get(z->b->topics, r->name, strlen(r->name))) {
        free(r);
        return;
    }
    cp = xcalloc(1, sizeof *cp);
    if (parse_config(res, cp) < 0)
        cp->n = 0;
    z->applying = r->name;
    rc = kf_topics_create(z->b->topics, r->name, r->n, cp->confs, cp->n, &t,
                          why, sizeof why);
    if (rc == ERR_CONFIG) /* keep the topic, drop bad overrides */
        rc = kf_topics_create(z->b->topics, r->name, r->n, NULL, 0, &t, why,
                              sizeof why);
    z->applying = NULL;
    if (rc == 0) {
        log_info("zk: topic %s (%" PRId32
                 " partitions) created from /brokers/topics",
                 r->name, r->n);
        write_states(z, t, 0); /* as Kafka's controller: partition state */
        if (cp->n == 0) {
            char  p[ZK_PATH_MAX];
            buf_t b = BUF_INIT;

            json_config(t, &b);
            zk_create_quiet(z, zp(z, p, "/config/topics/%s", t->name), &b, 0);
            buf_free(&b);
        }
    } else {
        log_warn("zk: topic %s from /brokers/topics: %s %s", r->name,
                 err_str(rc), why);
    }
    free(cp);
    free(r);
}

static int count_member(void *arg, const char *key, slice_t val)
{
    int32_t *max = arg;
    char    *end;
    long     p = strtol(key, &end, 10);

    (void)val;
    if (*end != '\0' || p < 0 || p > 100000)
        return ERR_MALFORMED;
    if ((int32_t)p + 1 > *max)
        *max = (int32_t)p + 1;
    return 0;
}

static void new_topic_cb(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct req *r = arg;
    char        p[ZK_PATH_MAX];
    slice_t     v;
    int32_t     n = 0;

    if (!req_live(r) || res->err != 0 || res->data == NULL ||
        kf_zkjson_member(res->data, (size_t)res->dlen, "partitions", &v) < 0 ||
        kf_zkjson_each(v, count_member, &n) < 0 || n < 1) {
        if (req_live(r) && res->err == 0)
            log_warn("zk: /brokers/topics/%s: unreadable assignment", r->name);
        free(r);
        return;
    }
    r->n = n;
    {
        struct kf_zk    *z = r->z;
        struct kf_topic *t =
            kf_topics_get(z->b->topics, r->name, strlen(r->name));

        if (t != NULL) {
            /* a topic we have: more partitions in its assignment is
             * kafka-topics.sh --alter --partitions (AdminZkClient) */
            if (n > t->npart) {
                int32_t old = t->npart;

                z->applying = r->name;
                if (kf_topics_add_partitions(z->b->topics, t, n) == 0) {
                    log_info("zk: topic %s grown to %" PRId32
                             " partitions from "
                             "/brokers/topics",
                             r->name, n);
                    write_states(z, t, old);
                }
                z->applying = NULL;
            }
            free(r);
            return;
        }
    }
    if (zk_client_get(c, zp(r->z, p, "/config/topics/%s", r->name), false,
                      new_topic_conf_cb, r) < 0)
        free(r);
}

static void topics_children_cb(zk_client_t *c, const struct zk_result *res,
                               void *arg)
{
    struct req       *r = arg;
    struct kf_zk     *z = r->z;
    struct kf_topic **all;
    char              p[ZK_PATH_MAX];
    int               i, k, n;

    if (!req_live(r) || res->err != 0) {
        free(r);
        return;
    }
    /* remote topics missing here are created; every topic's assignment is
     * read with a data watch (partition count changes) */
    for (i = 0; i < res->nchildren; i++) {
        const char *name = res->children[i];

        if (!kf_topics_valid_name(name, strlen(name)))
            continue;
        zk_client_get(c, zp(z, p, "/brokers/topics/%s", name), true,
                      new_topic_cb, req_new(z, name, 0));
    }
    /* local topics missing there (created while away, or a fresh coord) */
    if (r->n == 1) {
        all = kf_topics_list(z->b->topics, &n);
        for (k = 0; k < n; k++) {
            bool found = false;

            for (i = 0; i < res->nchildren && !found; i++)
                found = strcmp(res->children[i], all[k]->name) == 0;
            if (!found) {
                write_topic(z, all[k]);
            } else {
                /* topic configs live in /config/topics (Kafka's source of
                 * truth): apply them; refresh the partition state */
                zk_client_get(c, zp(z, p, "/config/topics/%s", all[k]->name),
                              false, change_conf_cb,
                              req_new(z, all[k]->name, 0));
                write_states(z, all[k], 0);
            }
        }
        free(all);
    }
    free(r);
}

static void list_topics_full(struct kf_zk *z, bool full)
{
    char p[ZK_PATH_MAX];

    zk_client_children(z->c, zp(z, p, "/brokers/topics"), true,
                       topics_children_cb, req_new(z, NULL, full ? 1 : 0));
}

static void list_topics(struct kf_zk *z)
{
    list_topics_full(z, false);
}

/* /admin/delete_topics/<t>: delete the topic (if delete.topic.enable),
 * then the request node, as Kafka's TopicDeletionManager. */
static void deletes_children_cb(zk_client_t *c, const struct zk_result *res,
                                void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX];
    int           i;

    if (!req_live(r) || res->err != 0) {
        free(r);
        return;
    }
    for (i = 0; i < res->nchildren; i++) {
        const char      *name = res->children[i];
        struct kf_topic *t = kf_topics_get(z->b->topics, name, strlen(name));

        if (!z->b->kc->delete_topic_enable) {
            log_warn("zk: topic %s marked for deletion but "
                     "delete.topic.enable=false",
                     name);
            continue;
        }
        if (t != NULL) {
            log_info(
                "zk: deleting topic %s (requested in /admin/delete_topics)",
                name);
            kf_topics_delete(z->b->topics, name); /* observer deletes znodes */
        } else {
            delete_topic_nodes(z, name, 0);
        }
        zk_client_delete(c, zp(z, p, "/admin/delete_topics/%s", name), -1,
                         ignore_cb, req_new(z, NULL, 0));
    }
    free(r);
}

static void list_deletes(struct kf_zk *z)
{
    char p[ZK_PATH_MAX];

    zk_client_children(z->c, zp(z, p, "/admin/delete_topics"), true,
                       deletes_children_cb, req_new(z, NULL, 0));
}

/* /config/changes/config_change_<seq>: re-read the entity's config. */
static void change_conf_cb(zk_client_t *c, const struct zk_result *res,
                           void *arg)
{
    struct req        *r = arg;
    struct kf_zk      *z = r->z;
    struct kf_topic   *t;
    struct conf_parse *cp;
    char               why[256] = "";

    (void)c;
    if (!req_live(r) || res->err != 0) {
        free(r);
        return;
    }
    t = kf_topics_get(z->b->topics, r->name, strlen(r->name));
    cp = xcalloc(1, sizeof *cp);
    if (t != NULL && parse_config(res, cp) == 0) {
        z->applying = r->name;
        if (kf_topics_set_configs(z->b->topics, t, cp->confs, cp->n, false, why,
                                  sizeof why) < 0)
            log_warn("zk: config of %s from /config/topics refused: %s",
                     r->name, why);
        else
            log_info("zk: config of topic %s updated from /config/topics",
                     r->name);
        z->applying = NULL;
    }
    free(cp);
    free(r);
}

static void change_cb(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX], ep[512];
    slice_t       v;

    if (!req_live(r) || res->err != 0 || res->data == NULL ||
        kf_zkjson_member(res->data, (size_t)res->dlen, "entity_path", &v) < 0 ||
        kf_zkjson_str(v, ep, sizeof ep) < 0 || strncmp(ep, "topics/", 7) != 0) {
        free(r);
        return;
    }
    if (strlen(ep + 7) >= sizeof r->name) {
        free(r);
        return;
    }
    memcpy(r->name, ep + 7, strlen(ep + 7) + 1);
    if (zk_client_get(c, zp(z, p, "/config/topics/%s", r->name), false,
                      change_conf_cb, r) < 0)
        free(r);
}

static void changes_children_cb(zk_client_t *c, const struct zk_result *res,
                                void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX];
    int64_t       max = z->last_change;
    int           i;

    if (!req_live(r) || res->err != 0) {
        free(r);
        return;
    }
    for (i = 0; i < res->nchildren; i++) {
        const char *name = res->children[i];
        int64_t     seq;

        if (strncmp(name, "config_change_", 14) != 0)
            continue;
        seq = strtoll(name + 14, NULL, 10);
        if (seq > max)
            max = seq;
        /* the first listing only sets the mark: older changes are what
         * our registry already reflects (configs are re-read at start) */
        if (r->n == 1 || seq <= z->last_change)
            continue;
        zk_client_get(c, zp(z, p, "/config/changes/%s", name), false, change_cb,
                      req_new(z, NULL, 0));
    }
    z->last_change = max;
    free(r);
}

static void list_changes_full(struct kf_zk *z, bool first)
{
    char p[ZK_PATH_MAX];

    zk_client_children(z->c, zp(z, p, "/config/changes"), true,
                       changes_children_cb, req_new(z, NULL, first ? 1 : 0));
}

static void list_changes(struct kf_zk *z)
{
    list_changes_full(z, false);
}

/* ---- the chain: controller election ------------------------------- */

static void elect(struct kf_zk *z);

static void chain_done(struct kf_zk *z)
{
    if (!z->ready) {
        z->ready = true;
        log_info("zk: registered as broker %" PRId32 "; controller is %" PRId32,
                 z->id, z->controller);
    }
    list_topics_full(z, true);
    list_deletes(z);
    list_changes_full(z, z->last_change < 0);
}

static void epoch_set_cb(zk_client_t *c, const struct zk_result *res,
                         void *arg);

static void epoch_get_cb(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX], num[32];
    int64_t       e = 0;
    int           n;

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_ENONODE) {
        z->epoch = 1;
        n = snprintf(num, sizeof num, "1");
        r->n = -1;
        if (zk_client_create(c, zp(z, p, "/controller_epoch"), num, n, 0,
                             epoch_set_cb, r) < 0)
            free(r);
        return;
    }
    if (res->err != 0) {
        free(r);
        return;
    }
    if (res->data != NULL && res->dlen > 0 && res->dlen < 20) {
        memcpy(num, res->data, (size_t)res->dlen);
        num[res->dlen] = '\0';
        e = strtoll(num, NULL, 10);
    }
    z->epoch = (int32_t)(e + 1);
    n = snprintf(num, sizeof num, "%" PRId32, z->epoch);
    r->n = res->stat ? res->stat->version : -1;
    if (zk_client_set(c, zp(z, p, "/controller_epoch"), num, n, r->n,
                      epoch_set_cb, r) < 0)
        free(r);
}

static void epoch_set_cb(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX];

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_EBADVERSION || res->err == ZK_ENODEEXISTS) {
        /* raced with another writer: read again */
        if (zk_client_get(c, zp(z, p, "/controller_epoch"), false, epoch_get_cb,
                          r) < 0)
            free(r);
        return;
    }
    if (res->err == 0)
        log_info("zk: elected controller (epoch %" PRId32 ")", z->epoch);
    free(r);
    chain_done(z);
}

static void controller_create_cb(zk_client_t *c, const struct zk_result *res,
                                 void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX];

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_ENODEEXISTS) {
        free(r);
        elect(z); /* someone else won: read and watch it */
        return;
    }
    if (res->err != 0) {
        free(r);
        return; /* connection loss: the next chain retries */
    }
    z->controller = z->id;
    if (zk_client_get(c, zp(z, p, "/controller_epoch"), false, epoch_get_cb,
                      r) < 0)
        free(r);
}

static void controller_get_cb(zk_client_t *c, const struct zk_result *res,
                              void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX];
    buf_t         b = BUF_INIT;
    slice_t       v;
    int64_t       id = -1;

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_ENONODE) {
        buf_printf(&b,
                   "{\"version\":1,\"brokerid\":%" PRId32
                   ",\"timestamp\":\"%" PRId64 "\"}",
                   z->id, clock_wall_ms());
        if (zk_client_create(c, zp(z, p, "/controller"), b.data, (int32_t)b.len,
                             ZK_FLAG_EPHEMERAL, controller_create_cb, r) < 0)
            free(r);
        buf_free(&b);
        return;
    }
    if (res->err != 0) {
        free(r);
        return;
    }
    if (res->data != NULL &&
        kf_zkjson_member(res->data, (size_t)res->dlen, "brokerid", &v) == 0)
        kf_zkjson_int(v, &id);
    z->controller = (int32_t)id;
    free(r);
    if (res->stat != NULL &&
        res->stat->ephemeral_owner == zk_client_session_id(c)) {
        /* ours already (a reconnect within the same session) */
        chain_done(z);
        return;
    }
    /* Held with our broker id by another session: our killed predecessor
     * (we hold /brokers/ids/<id>, so no live broker has our id): replace
     * it now.  Held by another broker: the watch armed by this read
     * re-runs the election when it goes. */
    if (id == z->id && z->registered && res->stat != NULL) {
        log_warn("zk: /controller was left by a previous run; electing again");
        /* the watch armed by this read fires on the deletion: elect() */
        zk_client_delete(c, zp(z, p, "/controller"), res->stat->version,
                         ignore_cb, req_new(z, NULL, 0));
        return;
    }
    chain_done(z);
}

static void elect(struct kf_zk *z)
{
    char p[ZK_PATH_MAX];

    zk_client_get(z->c, zp(z, p, "/controller"), true, controller_get_cb,
                  req_new(z, NULL, 0));
}

/* ---- the chain: registration ---------------------------------------- */

static void reg_create(struct kf_zk *z);
static void elect(struct kf_zk *z);

static void reg_delete_cb(zk_client_t *c, const struct zk_result *res,
                          void *arg)
{
    struct req *r = arg;

    (void)c;
    (void)res;
    if (req_live(r))
        reg_create(r->z); /* deleted, or gone meanwhile: try again */
    free(r);
}

/* /brokers/ids/<id> exists: ours (a reconnect within our session), our
 * killed predecessor's, or another live broker's.  The predecessor is
 * recognised by the same broker.id AND the same endpoint: no other live
 * process can listen there while we hold this broker's log dirs (.lock),
 * so its registration is stale and is replaced at once instead of making
 * a restart after kill -9 wait a whole session timeout (Kafka would fail
 * with NodeExists).  Anything else is waited for: the watch armed by
 * this read fires on its deletion. */
static void reg_get_cb(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX], mine[512];
    slice_t       v;
    int           n;

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_ENONODE) {
        free(r);
        reg_create(z); /* gone meanwhile */
        return;
    }
    if (res->err != 0) {
        free(r);
        return;
    }
    if (res->stat->ephemeral_owner == zk_client_session_id(c)) {
        free(r);
        z->registered = true;
        elect(z);
        return;
    }
    n = snprintf(mine, sizeof mine, "[\"PLAINTEXT://%s:%d\"]",
                 z->b->kc->adv_host, z->b->kc->adv_port);
    if (res->data != NULL &&
        kf_zkjson_member(res->data, (size_t)res->dlen, "endpoints", &v) == 0 &&
        n > 0 && (size_t)n < sizeof mine && v.n == n &&
        memcmp(v.p, mine, (size_t)n) == 0) {
        log_warn("zk: /brokers/ids/%" PRId32
                 " was left by a previous run (session 0x%" PRIx64
                 "); replacing it",
                 z->id, (uint64_t)res->stat->ephemeral_owner);
        if (zk_client_delete(c, zp(z, p, "/brokers/ids/%" PRId32, z->id),
                             res->stat->version, reg_delete_cb, r) < 0)
            free(r);
        return;
    }
    free(r);
    log_warn("zk: /brokers/ids/%" PRId32
             " is held by another session (0x%" PRIx64
             "); waiting for it to go",
             z->id, (uint64_t)res->stat->ephemeral_owner);
}

static void reg_create_cb(zk_client_t *c, const struct zk_result *res,
                          void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX];

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_ENODEEXISTS) {
        if (zk_client_get(c, zp(z, p, "/brokers/ids/%" PRId32, z->id), true,
                          reg_get_cb, r) < 0)
            free(r);
        return;
    }
    free(r);
    if (res->err != 0)
        return;
    z->registered = true;
    log_info("zk: registered /brokers/ids/%" PRId32 " (session 0x%" PRIx64 ")",
             z->id, (uint64_t)zk_client_session_id(c));
    elect(z);
}

static void reg_create(struct kf_zk *z)
{
    char  p[ZK_PATH_MAX];
    buf_t b = BUF_INIT;

    json_broker(z, &b);
    zk_client_create(z->c, zp(z, p, "/brokers/ids/%" PRId32, z->id), b.data,
                     (int32_t)b.len, ZK_FLAG_EPHEMERAL, reg_create_cb,
                     req_new(z, NULL, 0));
    buf_free(&b);
}

/* ---- the chain: cluster id ------------------------------------------ */

static void cluster_create_cb(zk_client_t *c, const struct zk_result *res,
                              void *arg);

static void cluster_get_cb(zk_client_t *c, const struct zk_result *res,
                           void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX], id[64];
    buf_t         b = BUF_INIT;
    slice_t       v;
    const char   *recorded;

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_ENONODE) {
        buf_puts(&b, "{\"version\":\"1\",\"id\":");
        kf_zkjson_put_str(&b, z->b->cluster_id);
        buf_puts(&b, "}");
        if (zk_client_create(c, zp(z, p, "/cluster/id"), b.data, (int32_t)b.len,
                             0, cluster_create_cb, r) < 0)
            free(r);
        buf_free(&b);
        return;
    }
    free(r);
    if (res->err != 0)
        return;
    if (res->data == NULL ||
        kf_zkjson_member(res->data, (size_t)res->dlen, "id", &v) < 0 ||
        kf_zkjson_str(v, id, sizeof id) < 0 || id[0] == '\0') {
        log_warn("zk: /cluster/id is not Kafka's JSON; keeping %s",
                 z->b->cluster_id);
    } else if (strcmp(id, z->b->cluster_id) != 0) {
        recorded = kf_logmgr_cluster_id_at_open(z->b->logs);
        if (recorded[0] != '\0') {
            /* Kafka's InconsistentClusterIdException: these logs belong
             * to another cluster */
            log_error("zk: cluster.id %s in meta.properties differs from "
                      "/cluster/id %s",
                      recorded, id);
            z->fatal = ERR_CONFIG;
            z->fatal_what =
                "cluster.id in meta.properties differs from /cluster/id";
            return;
        }
        snprintf(z->b->cluster_id, sizeof z->b->cluster_id, "%s", id);
        kf_logmgr_replace_cluster_id(z->b->logs, id);
    }
    reg_create(z);
}

static void cluster_create_cb(zk_client_t *c, const struct zk_result *res,
                              void *arg)
{
    struct req   *r = arg;
    struct kf_zk *z = r->z;
    char          p[ZK_PATH_MAX];

    if (!req_live(r)) {
        free(r);
        return;
    }
    if (res->err == ZK_ENODEEXISTS) { /* raced: read the winner's */
        if (zk_client_get(c, zp(z, p, "/cluster/id"), false, cluster_get_cb,
                          r) < 0)
            free(r);
        return;
    }
    free(r);
    if (res->err == 0)
        reg_create(z);
}

/* ---- the chain: start ------------------------------------------------ */

static void chain_start(struct kf_zk *z)
{
    /* Kafka's persistent paths (ZkData.scala PersistentZkPaths) and their
     * parents, parents first */
    static const char *const roots[] = {
        "/consumers",
        "/brokers",
        "/brokers/ids",
        "/brokers/topics",
        "/brokers/seqid",
        "/config",
        "/config/changes",
        "/config/topics",
        "/config/clients",
        "/config/users",
        "/config/brokers",
        "/config/ips",
        "/admin",
        "/admin/delete_topics",
        "/isr_change_notification",
        "/latest_producer_id_block",
        "/log_dir_event_notification",
        "/cluster",
    };
    char   p[ZK_PATH_MAX];
    size_t i;

    z->gen++;
    if (z->chroot[0] != '\0') {
        char *s = xstrdup(z->chroot), *q;

        for (q = s + 1; *q; q++) {
            if (*q != '/')
                continue;
            *q = '\0';
            zk_create_quiet(z, s, NULL, 0);
            *q = '/';
        }
        zk_create_quiet(z, s, NULL, 0);
        free(s);
    }
    for (i = 0; i < sizeof roots / sizeof roots[0]; i++)
        zk_create_quiet(z, zp(z, p, "%s", roots[i]), NULL, 0);
    zk_client_get(z->c, zp(z, p, "/cluster/id"), false, cluster_get_cb,
                  req_new(z, NULL, 0));
}

static void on_state(zk_client_t *c, enum zk_client_state st, void *arg)
{
    struct kf_zk *z = arg;

    (void)c;
    if (z->closing)
        return;
    switch (st) {
    case ZK_CLIENT_CONNECTED:
        z->connected = true;
        log_info("zk: connected (session 0x%" PRIx64 ")",
                 (uint64_t)zk_client_session_id(c));
        chain_start(z);
        break;
    case ZK_CLIENT_CONNECTING:
        if (z->connected)
            log_warn("zk: connection lost; serving on, reconnecting");
        z->connected = false;
        break;
    case ZK_CLIENT_EXPIRED:
        log_warn("zk: session expired; will register again");
        z->connected = false;
        z->registered = false;
        z->controller = -1;
        z->gen++;
        break;
    case ZK_CLIENT_CLOSED:
        z->connected = false;
        break;
    }
}

static void on_watch(zk_client_t *c, int32_t type, const char *path, void *arg)
{
    struct kf_zk *z = arg;
    const char   *rel = path;
    size_t        cl = strlen(z->chroot);
    char          want[ZK_PATH_MAX];

    (void)c;
    if (z->closing)
        return;
    if (cl > 0 && strncmp(path, z->chroot, cl) == 0)
        rel = path + cl;
    if (strcmp(rel, "/controller") == 0) {
        if (type == ZK_EVENT_DELETED || type == ZK_EVENT_DATA_CHANGED ||
            type == ZK_EVENT_CREATED)
            elect(z);
    } else if (strcmp(rel, "/brokers/topics") == 0) {
        list_topics(z);
    } else if (strncmp(rel, "/brokers/topics/", 16) == 0 &&
               strchr(rel + 16, '/') == NULL && type == ZK_EVENT_DATA_CHANGED) {
        zk_client_get(z->c, path, true, new_topic_cb, req_new(z, rel + 16, 0));
    } else if (strcmp(rel, "/admin/delete_topics") == 0) {
        list_deletes(z);
    } else if (strcmp(rel, "/config/changes") == 0) {
        list_changes(z);
    } else {
        snprintf(want, sizeof want, "/brokers/ids/%" PRId32, z->id);
        if (strcmp(rel, want) == 0 && type == ZK_EVENT_DELETED &&
            !z->registered)
            reg_create(z);
        else if (strcmp(rel, want) == 0 && type == ZK_EVENT_DELETED &&
                 z->registered) {
            /* someone deleted our registration: put it back */
            z->registered = false;
            reg_create(z);
        }
    }
}

/* ---- start / stop -------------------------------------------------- */

static void on_start_timer(uv_timer_t *t)
{
    (void)t; /* only wakes uv_run in kf_zk_start */
}

static void zk_unref(struct kf_zk *z);
static void on_timer_closed(uv_handle_t *h);

/* First loop turn after start-up: with listeners on port 0 the port is
 * known only once the listener is up (after kf_zk_start): update the
 * registration if it carried another port. */
static void on_after_start(uv_timer_t *t)
{
    struct kf_zk *z = t->data;
    char          p[ZK_PATH_MAX];
    buf_t         b = BUF_INIT;

    if (!z->closing && z->registered && z->reg_port != z->b->kc->adv_port) {
        json_broker(z, &b);
        zk_client_set(z->c, zp(z, p, "/brokers/ids/%" PRId32, z->id), b.data,
                      (int32_t)b.len, -1, ignore_cb, req_new(z, NULL, 0));
        buf_free(&b);
    }
    uv_close((uv_handle_t *)t, on_timer_closed);
}

static void zk_unref(struct kf_zk *z)
{
    if (--z->refs == 0)
        free(z);
}

static void on_timer_closed(uv_handle_t *h)
{
    zk_unref(h->data);
}

static void on_client_closed(void *arg)
{
    struct kf_zk *z = arg;

    z->c = NULL;
    zk_unref(z);
}

int kf_zk_start(struct kf_broker *b, const char **what)
{
    const struct kf_config   *kc = b->kc;
    struct kf_zk             *z;
    struct zk_client_opts     o;
    struct kf_topics_observer obs;
    int64_t                   deadline, conn_ms, sess_ms;
    int                       rc;

    if (kc->zk_hosts[0] == '\0')
        return 0; /* no zookeeper.connect: standalone */
    z = xcalloc(1, sizeof *z);
    z->b = b;
    z->id = kc->broker_id;
    z->controller = -1;
    z->last_change = -1;
    snprintf(z->chroot, sizeof z->chroot, "%s",
             strcmp(kc->zk_chroot, "/") == 0 ? "" : kc->zk_chroot);
    b->zk = z;
    sess_ms = kc->zookeeper_session_timeout_ms > 0
                  ? kc->zookeeper_session_timeout_ms
                  : 18000;
    conn_ms = kc->zookeeper_connection_timeout_ms > 0
                  ? kc->zookeeper_connection_timeout_ms
                  : sess_ms;
    memset(&o, 0, sizeof o);
    o.connect = kc->zk_hosts;
    o.session_timeout_ms = (int)sess_ms;
    o.connect_timeout_ms = (int)(conn_ms < 5000 ? conn_ms : 5000);
    o.on_state = on_state;
    o.on_watch = on_watch;
    o.arg = z;
    rc = zk_client_new(b->loop, &o, &z->c);
    if (rc < 0) {
        *what = "zookeeper.connect";
        b->zk = NULL;
        free(z);
        return rc;
    }
    memset(&obs, 0, sizeof obs);
    obs.created = obs_created;
    obs.deleted = obs_deleted;
    obs.config_changed = obs_config;
    obs.partitions_added = obs_partitions;
    obs.arg = z;
    kf_topics_observe(b->topics, &obs);

    /* Wait: a session within zookeeper.connection.timeout.ms, then the
     * registration and election within a session timeout more (a killed
     * predecessor's ephemerals live that long). */
    uv_timer_init(b->loop, &z->start_timer);
    z->start_timer.data = z;
    z->refs = 2;
    uv_timer_start(&z->start_timer, on_start_timer, 50, 50);
    deadline = clock_mono_ms() + conn_ms;
    while (!z->connected && z->fatal == 0 && clock_mono_ms() < deadline)
        uv_run(b->loop, UV_RUN_ONCE);
    if (!z->connected) {
        *what = "zookeeper.connect: no session within "
                "zookeeper.connection.timeout.ms";
        rc = ERR_TIMEOUT;
        goto out;
    }
    deadline = clock_mono_ms() + sess_ms + conn_ms;
    while (!z->ready && z->fatal == 0 && clock_mono_ms() < deadline)
        uv_run(b->loop, UV_RUN_ONCE);
    if (z->fatal != 0) {
        *what = z->fatal_what;
        rc = z->fatal;
        goto out;
    }
    if (!z->ready) {
        *what = "zookeeper: registration of /brokers/ids/<broker.id> did not "
                "complete";
        rc = ERR_TIMEOUT;
        goto out;
    }
    rc = 0;
out:
    uv_timer_stop(&z->start_timer);
    if (rc == 0)
        uv_timer_start(&z->start_timer, on_after_start, 0, 0);
    else
        uv_close((uv_handle_t *)&z->start_timer, on_timer_closed);
    return rc;
}

void kf_zk_stop(struct kf_broker *b)
{
    struct kf_zk *z = b->zk;

    if (z == NULL)
        return;
    b->zk = NULL;
    z->closing = true;
    if (!uv_is_closing((uv_handle_t *)&z->start_timer))
        uv_close((uv_handle_t *)&z->start_timer, on_timer_closed);
    /* closeSession removes /brokers/ids/<id> and /controller at once:
     * other brokers and tools see us gone without a session timeout */
    zk_client_close(z->c, on_client_closed, z);
}

int32_t kf_zk_controller(const struct kf_broker *b)
{
    const struct kf_zk *z = b->zk;

    if (z == NULL)
        return b->kc->broker_id; /* standalone: we are the controller */
    return z->controller;
}

bool kf_zk_connected(const struct kf_broker *b)
{
    const struct kf_zk *z = b->zk;

    return z != NULL && z->connected;
}

zk_client_t *kf_zk_client(const struct kf_broker *b)
{
    const struct kf_zk *z = b->zk;

    return z != NULL && z->connected && !z->closing ? z->c : NULL;
}
