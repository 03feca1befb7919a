/* kf_topics: the topic registry (see kf_topics.h).  Topics live in a
 * fixed hash table of chains; the counts are small (thousands at most)
 * and every lookup is one hash of the name. */
#include "kf_topics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "xalloc.h"

#define KF_TOPICS_BUCKETS 1024
#define KF_TOPICS_MAX_OBS 4

struct kf_topics {
    kf_logmgr_t              *m;
    const struct kf_config   *kc;
    struct kf_log_config      defaults;
    kf_log_notify_fn         *notify;
    void                     *notify_arg;
    struct kf_topic          *buckets[KF_TOPICS_BUCKETS];
    int                       count;
    struct kf_topics_observer obs[KF_TOPICS_MAX_OBS];
    int                       nobs;
    struct kf_topic         **found; /* kf_topics_sync: topics new */
    int                       nfound;
};

#define KF_TOPICS_MAX_FOUND 64

/* ---- topic-level config keys ------------------------------------------ */

const struct kf_tconf_key kf_tconf_keys[] = {
    {"cleanup.policy", KF_TCONF_LIST, "log.cleanup.policy"},
    {"compression.type", KF_TCONF_STRING, "compression.type"},
    {"delete.retention.ms", KF_TCONF_LONG, "log.cleaner.delete.retention.ms"},
    {"file.delete.delay.ms", KF_TCONF_LONG, "log.segment.delete.delay.ms"},
    {"flush.messages", KF_TCONF_LONG, "log.flush.interval.messages"},
    {"flush.ms", KF_TCONF_LONG, "log.flush.interval.ms"},
    {"index.interval.bytes", KF_TCONF_INT, "log.index.interval.bytes"},
    {"max.compaction.lag.ms", KF_TCONF_LONG,
     "log.cleaner.max.compaction.lag.ms"},
    {"max.message.bytes", KF_TCONF_INT, "message.max.bytes"},
    {"message.downconversion.enable", KF_TCONF_BOOL,
     "log.message.downconversion.enable"},
    {"message.format.version", KF_TCONF_STRING, "log.message.format.version"},
    {"message.timestamp.difference.max.ms", KF_TCONF_LONG,
     "log.message.timestamp.difference.max.ms"},
    {"message.timestamp.type", KF_TCONF_STRING, "log.message.timestamp.type"},
    {"min.cleanable.dirty.ratio", KF_TCONF_DOUBLE,
     "log.cleaner.min.cleanable.ratio"},
    {"min.compaction.lag.ms", KF_TCONF_LONG,
     "log.cleaner.min.compaction.lag.ms"},
    {"min.insync.replicas", KF_TCONF_INT, "min.insync.replicas"},
    {"preallocate", KF_TCONF_BOOL, "log.preallocate"},
    {"retention.bytes", KF_TCONF_LONG, "log.retention.bytes"},
    {"retention.ms", KF_TCONF_LONG, "log.retention.ms"},
    {"segment.bytes", KF_TCONF_INT, "log.segment.bytes"},
    {"segment.index.bytes", KF_TCONF_INT, "log.index.size.max.bytes"},
    {"segment.jitter.ms", KF_TCONF_LONG, "log.roll.jitter.ms"},
    {"segment.ms", KF_TCONF_LONG, "log.roll.ms"},
    {"unclean.leader.election.enable", KF_TCONF_BOOL,
     "unclean.leader.election.enable"},
    {NULL, 0, NULL}};

const struct kf_tconf_key *kf_tconf_find(const char *name)
{
    const struct kf_tconf_key *k;

    for (k = kf_tconf_keys; k->name != NULL; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

void kf_topics_default_value(struct kf_topics *ts, const char *key, char *out,
                             size_t outlen)
{
    const struct kf_config *kc = ts->kc;
    static const struct {
        const char *key, *val;
    } fixed[] = {
        {"compression.type", "producer"},
        {"delete.retention.ms", "86400000"},
        {"file.delete.delay.ms", "60000"},
        {"max.compaction.lag.ms", "9223372036854775807"},
        {"message.downconversion.enable", "true"},
        {"message.format.version", "2.8-IV1"},
        {"message.timestamp.difference.max.ms", "9223372036854775807"},
        {"min.cleanable.dirty.ratio", "0.5"},
        {"min.compaction.lag.ms", "0"},
        {"preallocate", "false"},
        {"segment.jitter.ms", "0"},
        {"unclean.leader.election.enable", "false"},
    };
    size_t i;

    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(fixed[i].key, key) == 0) {
            snprintf(out, outlen, "%s", fixed[i].val);
            return;
        }
#define LONGV(k, v)                                                            \
    if (strcmp(key, k) == 0) {                                                 \
        snprintf(out, outlen, "%" PRId64, (int64_t)(v));                       \
        return;                                                                \
    }
    LONGV("flush.messages", kc->log_flush_interval_messages)
    LONGV("flush.ms", kc->flush_ms)
    LONGV("index.interval.bytes", kc->log_index_interval_bytes)
    LONGV("max.message.bytes", kc->message_max_bytes)
    LONGV("min.insync.replicas", kc->min_insync_replicas)
    LONGV("retention.bytes", kc->log_retention_bytes)
    LONGV("retention.ms", kc->retention_ms)
    LONGV("segment.bytes", kc->log_segment_bytes)
    LONGV("segment.index.bytes", kc->log_index_size_max_bytes)
    LONGV("segment.ms", kc->roll_ms)
#undef LONGV
    if (strcmp(key, "cleanup.policy") == 0)
        snprintf(out, outlen, "%s", kc->log_cleanup_policy);
    else if (strcmp(key, "message.timestamp.type") == 0)
        snprintf(out, outlen, "%s", kc->log_message_timestamp_type);
    else
        snprintf(out, outlen, "%s", "");
}

static bool one_of(const char *v, const char *const *set)
{
    for (; *set != NULL; set++)
        if (strcmp(v, *set) == 0)
            return true;
    return false;
}

/* Checks one key=value; writes a Kafka-style reason into why. */
static int tconf_check(const char *key, const char *value, char *why,
                       size_t whylen)
{
    const struct kf_tconf_key *k = kf_tconf_find(key);
    static const char *const   policies[] = {"delete", "compact", NULL};
    static const char *const ts_types[] = {"CreateTime", "LogAppendTime", NULL};
    static const char *const codecs[] = {
        "uncompressed", "zstd", "lz4", "snappy", "gzip", "producer", NULL};
    char *end;

    if (k == NULL) {
        snprintf(why, whylen, "Unknown topic config name: %s", key);
        return ERR_CONFIG;
    }
    if (value == NULL) {
        snprintf(why, whylen, "Invalid value null for configuration %s", key);
        return ERR_CONFIG;
    }
    errno = 0;
    switch (k->type) {
    case KF_TCONF_LONG:
    case KF_TCONF_INT: {
        long long v = strtoll(value, &end, 10);

        if (errno != 0 || *value == '\0' || *end != '\0' ||
            (k->type == KF_TCONF_INT && (v < INT32_MIN || v > INT32_MAX))) {
            snprintf(why, whylen,
                     "Invalid value %s for configuration %s: Not a number "
                     "of type %s",
                     value, key, k->type == KF_TCONF_INT ? "INT" : "LONG");
            return ERR_CONFIG;
        }
        if (v < -1 || (v < 0 && strcmp(key, "retention.ms") != 0 &&
                       strcmp(key, "retention.bytes") != 0)) {
            snprintf(why, whylen,
                     "Invalid value %s for configuration %s: Value must be "
                     "at least 0",
                     value, key);
            return ERR_CONFIG;
        }
        if (strcmp(key, "segment.bytes") == 0 && v < 14) {
            snprintf(why, whylen,
                     "Invalid value %s for configuration %s: Value must be "
                     "at least 14",
                     value, key);
            return ERR_CONFIG;
        }
        return 0;
    }
    case KF_TCONF_BOOL:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
            snprintf(why, whylen,
                     "Invalid value %s for configuration %s: Expected value "
                     "to be either true or false",
                     value, key);
            return ERR_CONFIG;
        }
        return 0;
    case KF_TCONF_DOUBLE:
        strtod(value, &end);
        if (*value == '\0' || *end != '\0') {
            snprintf(why, whylen,
                     "Invalid value %s for configuration %s: Not a number "
                     "of type DOUBLE",
                     value, key);
            return ERR_CONFIG;
        }
        return 0;
    default:
        break;
    }
    if (strcmp(key, "cleanup.policy") == 0) {
        char *copy = xstrdup(value), *save = NULL, *tok;
        int   rc = 0;

        for (tok = strtok_r(copy, ",", &save); tok != NULL;
             tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            if (!one_of(tok, policies))
                rc = ERR_CONFIG;
        }
        free(copy);
        if (rc < 0)
            snprintf(why, whylen,
                     "Invalid value %s for configuration cleanup.policy: "
                     "String must be one of: compact, delete",
                     value);
        return rc;
    }
    if (strcmp(key, "message.timestamp.type") == 0 &&
        !one_of(value, ts_types)) {
        snprintf(why, whylen,
                 "Invalid value %s for configuration message.timestamp.type: "
                 "String must be one of: CreateTime, LogAppendTime",
                 value);
        return ERR_CONFIG;
    }
    if (strcmp(key, "compression.type") == 0 && !one_of(value, codecs)) {
        snprintf(why, whylen,
                 "Invalid value %s for configuration compression.type: String "
                 "must be one of: uncompressed, zstd, lz4, snappy, gzip, "
                 "producer",
                 value);
        return ERR_CONFIG;
    }
    return 0;
}

static const char *conf_get(const struct kf_topic *t, const char *key)
{
    int i;

    for (i = 0; i < t->nconfs; i++)
        if (strcmp(t->confs[i].key, key) == 0)
            return t->confs[i].value;
    return NULL;
}

int kf_topics_config_value(struct kf_topics *ts, const struct kf_topic *t,
                           const char *key, char *out, size_t outlen,
                           bool *is_default)
{
    const char *v;

    if (kf_tconf_find(key) == NULL)
        return ERR_NOTFOUND;
    v = t != NULL ? conf_get(t, key) : NULL;
    *is_default = v == NULL;
    if (v != NULL)
        snprintf(out, outlen, "%s", v);
    else
        kf_topics_default_value(ts, key, out, outlen);
    return 0;
}

/* The log settings of t: broker defaults, then t's overrides. */
static void topic_log_config(struct kf_topics *ts, const struct kf_topic *t,
                             struct kf_log_config *lc)
{
    int i;

    *lc = ts->defaults;
    for (i = 0; i < t->nconfs; i++) {
        const char *k = t->confs[i].key, *v = t->confs[i].value;
        int64_t     n = strtoll(v, NULL, 10);

        if (strcmp(k, "segment.bytes") == 0)
            lc->segment_bytes = n;
        else if (strcmp(k, "segment.ms") == 0)
            lc->segment_ms = n;
        else if (strcmp(k, "retention.ms") == 0)
            lc->retention_ms = n;
        else if (strcmp(k, "retention.bytes") == 0)
            lc->retention_bytes = n;
        else if (strcmp(k, "flush.messages") == 0)
            lc->flush_messages = n;
        else if (strcmp(k, "flush.ms") == 0)
            lc->flush_ms = n;
        else if (strcmp(k, "index.interval.bytes") == 0)
            lc->index_interval_bytes = (int32_t)n;
        else if (strcmp(k, "segment.index.bytes") == 0)
            lc->index_max_bytes = (int32_t)n;
        else if (strcmp(k, "max.message.bytes") == 0)
            lc->max_message_bytes = (int32_t)n;
        else if (strcmp(k, "message.timestamp.type") == 0)
            lc->log_append_time = strcmp(v, "LogAppendTime") == 0;
        else if (strcmp(k, "cleanup.policy") == 0) {
            /* "delete", "compact" or both (validated on the way in) */
            lc->cleanup_compact = strstr(v, "compact") != NULL;
            lc->cleanup_delete = strstr(v, "delete") != NULL;
        }
    }
}

/* ---- the table ------------------------------------------------------- */

static uint32_t hash_name(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    size_t   i;

    for (i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h % KF_TOPICS_BUCKETS;
}

struct kf_topic *kf_topics_get(struct kf_topics *ts, const char *name,
                               size_t len)
{
    struct kf_topic *t;

    for (t = ts->buckets[hash_name(name, len)]; t != NULL; t = t->hnext)
        if (strlen(t->name) == len && memcmp(t->name, name, len) == 0)
            return t;
    return NULL;
}

struct kf_topic *kf_topics_get_id(struct kf_topics *ts, const uint8_t id[16])
{
    int              i;
    struct kf_topic *t;

    for (i = 0; i < KF_TOPICS_BUCKETS; i++)
        for (t = ts->buckets[i]; t != NULL; t = t->hnext)
            if (memcmp(t->id, id, 16) == 0)
                return t;
    return NULL;
}

kf_log_t *kf_topics_log(struct kf_topics *ts, const char *name, size_t len,
                        int32_t partition)
{
    struct kf_topic *t = kf_topics_get(ts, name, len);

    if (t == NULL || partition < 0 || partition >= t->npart)
        return NULL;
    return t->logs[partition];
}

int kf_topics_count(const struct kf_topics *ts)
{
    return ts->count;
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp((*(struct kf_topic *const *)a)->name,
                  (*(struct kf_topic *const *)b)->name);
}

struct kf_topic **kf_topics_list(struct kf_topics *ts, int *n)
{
    struct kf_topic **v = xcalloc((size_t)ts->count + 1, sizeof *v);
    struct kf_topic  *t;
    int               i, k = 0;

    for (i = 0; i < KF_TOPICS_BUCKETS; i++)
        for (t = ts->buckets[i]; t != NULL; t = t->hnext)
            v[k++] = t;
    qsort(v, (size_t)k, sizeof *v, cmp_topic);
    *n = k;
    return v;
}

bool kf_topics_valid_name(const char *name, size_t len)
{
    size_t i;

    if (len == 0 || len > 249)
        return false;
    if ((len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.'))
        return false;
    for (i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static struct kf_topic *topic_new(struct kf_topics *ts, const char *name)
{
    struct kf_topic *t = xcalloc(1, sizeof *t);
    uint32_t         h = hash_name(name, strlen(name));

    t->name = xstrdup(name);
    if (getrandom(t->id, sizeof t->id, 0) != (ssize_t)sizeof t->id)
        memset(t->id, 0x5a, sizeof t->id);
    t->id[6] = (uint8_t)((t->id[6] & 0x0f) | 0x40); /* uuid v4 */
    t->id[8] = (uint8_t)((t->id[8] & 0x3f) | 0x80);
    t->internal = strcmp(name, "__consumer_offsets") == 0;
    t->hnext = ts->buckets[h];
    ts->buckets[h] = t;
    ts->count++;
    return t;
}

static void topic_free(struct kf_topic *t)
{
    int i;

    for (i = 0; i < t->nconfs; i++) {
        free(t->confs[i].key);
        free(t->confs[i].value);
    }
    free(t->confs);
    free(t->logs);
    free(t->name);
    free(t);
}

static void topic_unlink(struct kf_topics *ts, struct kf_topic *t)
{
    struct kf_topic **pp = &ts->buckets[hash_name(t->name, strlen(t->name))];

    while (*pp != NULL && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp != NULL) {
        *pp = t->hnext;
        ts->count--;
    }
}

/* Open or create partitions [from, npart) of t. */
static int topic_grow(struct kf_topics *ts, struct kf_topic *t, int32_t npart)
{
    struct kf_log_config lc;
    int32_t              p;
    int                  rc;

    topic_log_config(ts, t, &lc);
    t->logs = xrealloc(t->logs, (size_t)npart * sizeof *t->logs);
    for (p = t->npart; p < npart; p++) {
        rc = kf_logmgr_create(ts->m, t->name, p, &lc, &t->logs[p]);
        if (rc < 0)
            return rc;
        if (ts->notify != NULL)
            kf_log_set_notify(t->logs[p], ts->notify, ts->notify_arg);
        t->npart = p + 1;
    }
    return 0;
}

struct scan_ctx {
    struct kf_topics *ts;
};

static int scan_log(void *arg, kf_log_t *l)
{
    struct kf_topics *ts = arg;
    const char       *name = kf_log_topic(l);
    struct kf_topic  *t = kf_topics_get(ts, name, strlen(name));
    int32_t           p = kf_log_partition(l);

    if (t == NULL) {
        t = topic_new(ts, name);
        if (ts->found != NULL && ts->nfound < KF_TOPICS_MAX_FOUND)
            ts->found[ts->nfound++] = t;
    }
    if (p + 1 > t->npart) {
        int32_t i;

        t->logs = xrealloc(t->logs, (size_t)(p + 1) * sizeof *t->logs);
        for (i = t->npart; i <= p; i++)
            t->logs[i] = NULL;
        t->npart = p + 1;
    }
    t->logs[p] = l;
    if (ts->notify != NULL)
        kf_log_set_notify(l, ts->notify, ts->notify_arg);
    return 0;
}

struct kf_topics *kf_topics_new(kf_logmgr_t *m, const struct kf_config *kc,
                                const struct kf_log_config *defaults,
                                kf_log_notify_fn *notify, void *notify_arg)
{
    struct kf_topics *ts = xcalloc(1, sizeof *ts);
    int               i;
    struct kf_topic  *t;

    ts->m = m;
    ts->kc = kc;
    ts->defaults = *defaults;
    ts->notify = notify;
    ts->notify_arg = notify_arg;
    if (m != NULL)
        kf_logmgr_foreach(m, scan_log, ts);
    /* fill holes (a partition directory lost): create them empty */
    for (i = 0; i < KF_TOPICS_BUCKETS; i++)
        for (t = ts->buckets[i]; t != NULL; t = t->hnext) {
            int32_t p;

            for (p = 0; p < t->npart; p++)
                if (t->logs[p] == NULL)
                    kf_logmgr_create(m, t->name, p, defaults, &t->logs[p]);
        }
    return ts;
}

void kf_topics_free(struct kf_topics *ts)
{
    int              i;
    struct kf_topic *t, *next;

    if (ts == NULL)
        return;
    for (i = 0; i < KF_TOPICS_BUCKETS; i++)
        for (t = ts->buckets[i]; t != NULL; t = next) {
            next = t->hnext;
            topic_free(t);
        }
    free(ts);
}

void kf_topics_observe(struct kf_topics *ts, const struct kf_topics_observer *o)
{
    if (ts->nobs < KF_TOPICS_MAX_OBS)
        ts->obs[ts->nobs++] = *o;
}

static int cmp_conf(const void *a, const void *b)
{
    return strcmp(((const struct kf_topic_conf *)a)->key,
                  ((const struct kf_topic_conf *)b)->key);
}

static void confs_set(struct kf_topic *t, const struct kf_topic_conf *c, int n)
{
    int i;

    for (i = 0; i < t->nconfs; i++) {
        free(t->confs[i].key);
        free(t->confs[i].value);
    }
    free(t->confs);
    t->confs = n > 0 ? xcalloc((size_t)n, sizeof *t->confs) : NULL;
    t->nconfs = 0;
    for (i = 0; i < n; i++) {
        int j;

        for (j = 0; j < t->nconfs; j++) /* later duplicates win */
            if (strcmp(t->confs[j].key, c[i].key) == 0)
                break;
        if (j < t->nconfs) {
            free(t->confs[j].value);
            t->confs[j].value = xstrdup(c[i].value);
            continue;
        }
        t->confs[t->nconfs].key = xstrdup(c[i].key);
        t->confs[t->nconfs].value = xstrdup(c[i].value);
        t->nconfs++;
    }
    if (t->nconfs > 1)
        qsort(t->confs, (size_t)t->nconfs, sizeof *t->confs, cmp_conf);
}

int kf_topics_create(struct kf_topics *ts, const char *name, int32_t npart,
                     const struct kf_topic_conf *confs, int nconfs,
                     struct kf_topic **out, char *why, size_t whylen)
{
    struct kf_topic *t;
    int              i, rc;

    if (!kf_topics_valid_name(name, strlen(name)))
        return ERR_MALFORMED;
    if (kf_topics_get(ts, name, strlen(name)) != NULL)
        return ERR_EXISTS;
    if (npart < 1)
        return ERR_CONFIG;
    for (i = 0; i < nconfs; i++) {
        rc = tconf_check(confs[i].key, confs[i].value, why, whylen);
        if (rc < 0)
            return rc;
    }
    t = topic_new(ts, name);
    confs_set(t, confs, nconfs);
    rc = topic_grow(ts, t, npart);
    if (rc < 0) {
        int32_t p;

        for (p = 0; p < t->npart; p++)
            kf_logmgr_delete(ts->m, t->name, p);
        topic_unlink(ts, t);
        topic_free(t);
        return rc;
    }
    for (i = 0; i < ts->nobs; i++)
        if (ts->obs[i].created != NULL)
            ts->obs[i].created(ts->obs[i].arg, t);
    if (out != NULL)
        *out = t;
    return 0;
}

int kf_topics_delete(struct kf_topics *ts, const char *name)
{
    struct kf_topic *t = kf_topics_get(ts, name, strlen(name));
    int32_t          p;
    int              i;

    if (t == NULL)
        return ERR_NOTFOUND;
    for (i = 0; i < ts->nobs; i++)
        if (ts->obs[i].deleted != NULL)
            ts->obs[i].deleted(ts->obs[i].arg, t);
    topic_unlink(ts, t);
    for (p = 0; p < t->npart; p++)
        kf_logmgr_delete(ts->m, t->name, p);
    topic_free(t);
    return 0;
}

int kf_topics_add_partitions(struct kf_topics *ts, struct kf_topic *t,
                             int32_t npart)
{
    int32_t old = t->npart;
    int     rc, i;

    if (npart <= old)
        return ERR_CONFIG;
    rc = topic_grow(ts, t, npart);
    for (i = 0; i < ts->nobs; i++)
        if (ts->obs[i].partitions_added != NULL && t->npart > old)
            ts->obs[i].partitions_added(ts->obs[i].arg, t, old);
    return rc;
}

static void apply_configs(struct kf_topics *ts, struct kf_topic *t)
{
    struct kf_log_config lc;
    int32_t              p;
    int                  i;

    topic_log_config(ts, t, &lc);
    for (p = 0; p < t->npart; p++)
        if (t->logs[p] != NULL)
            kf_log_set_config(t->logs[p], &lc);
    for (i = 0; i < ts->nobs; i++)
        if (ts->obs[i].config_changed != NULL)
            ts->obs[i].config_changed(ts->obs[i].arg, t);
}

int kf_topics_set_configs(struct kf_topics *ts, struct kf_topic *t,
                          const struct kf_topic_conf *confs, int nconfs,
                          bool validate_only, char *why, size_t whylen)
{
    int i, rc;

    for (i = 0; i < nconfs; i++) {
        rc = tconf_check(confs[i].key, confs[i].value, why, whylen);
        if (rc < 0)
            return rc;
    }
    if (validate_only)
        return 0;
    confs_set(t, confs, nconfs);
    apply_configs(ts, t);
    return 0;
}

int kf_topics_set_config(struct kf_topics *ts, struct kf_topic *t,
                         const char *key, const char *value, bool validate_only,
                         char *why, size_t whylen)
{
    struct kf_topic_conf *c;
    int                   i, n = 0, rc;

    if (value != NULL) {
        rc = tconf_check(key, value, why, whylen);
        if (rc < 0)
            return rc;
    } else if (kf_tconf_find(key) == NULL) {
        snprintf(why, whylen, "Unknown topic config name: %s", key);
        return ERR_CONFIG;
    }
    if (validate_only)
        return 0;
    c = xcalloc((size_t)t->nconfs + 1, sizeof *c);
    /* copies, because confs_set frees the old strings first */
    for (i = 0; i < t->nconfs; i++)
        if (strcmp(t->confs[i].key, key) != 0) {
            c[n].key = xstrdup(t->confs[i].key);
            c[n].value = xstrdup(t->confs[i].value);
            n++;
        }
    if (value != NULL) {
        c[n].key = xstrdup(key);
        c[n].value = xstrdup(value);
        n++;
    }
    confs_set(t, c, n);
    for (i = 0; i < n; i++) {
        free(c[i].key);
        free(c[i].value);
    }
    free(c);
    apply_configs(ts, t);
    return 0;
}

/* Partitions created behind the registry's back (the group coordinator
 * creates __consumer_offsets partitions straight through kf_logmgr) are
 * registered here, the missing partitions of such a topic created, and
 * the observers told, so Metadata lists the topic as Kafka does. */
void kf_topics_sync(struct kf_topics *ts)
{
    struct kf_topic *found[KF_TOPICS_MAX_FOUND];
    struct kf_topic *t;
    int              i, known = 0, k;

    if (ts->m == NULL)
        return;
    for (i = 0; i < KF_TOPICS_BUCKETS; i++)
        for (t = ts->buckets[i]; t != NULL; t = t->hnext) {
            int32_t p;

            for (p = 0; p < t->npart; p++)
                known += t->logs[p] != NULL;
        }
    if (known == kf_logmgr_count(ts->m))
        return;
    ts->found = found;
    ts->nfound = 0;
    kf_logmgr_foreach(ts->m, scan_log, ts);
    ts->found = NULL;
    for (i = 0; i < ts->nfound; i++) {
        int32_t want = found[i]->npart, p;

        if (found[i]->internal && ts->kc->offsets_topic_num_partitions > want)
            want = ts->kc->offsets_topic_num_partitions;
        found[i]->logs =
            xrealloc(found[i]->logs, (size_t)want * sizeof *found[i]->logs);
        for (p = found[i]->npart; p < want; p++)
            found[i]->logs[p] = NULL;
        found[i]->npart = want;
        for (p = 0; p < want; p++)
            if (found[i]->logs[p] == NULL &&
                kf_logmgr_create(ts->m, found[i]->name, p, &ts->defaults,
                                 &found[i]->logs[p]) == 0 &&
                ts->notify != NULL)
                kf_log_set_notify(found[i]->logs[p], ts->notify,
                                  ts->notify_arg);
        for (k = 0; k < ts->nobs; k++)
            if (ts->obs[k].created != NULL)
                ts->obs[k].created(ts->obs[k].arg, found[i]);
    }
}
