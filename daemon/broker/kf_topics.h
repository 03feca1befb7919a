/* kf_topics: the broker's topic registry: topics -> partitions -> partition
 * logs (kf_log), each topic's id and configuration overrides, and the
 * auto-creation rule (a topic created on demand answers
 * LEADER_NOT_AVAILABLE once, then is ready, as Kafka's
 * AutoTopicCreationManager does).
 *
 * It owns: the name -> topic table, topic-level config keys (names, types,
 * validation, the broker key each one defaults to, and how they map onto
 * struct kf_log_config), and the observers told about every change (the
 * cluster-state module, kf_zk*, writes them to the coordination service;
 * the UI lists them).  It does not own: the logs themselves (kf_log), the
 * wire (handlers), or persistence of configs (the cluster-state module).
 *
 * Everything runs on the loop thread.  A struct kf_topic pointer is valid
 * until the topic is deleted; observers get it before deletion. */
#ifndef ODRADEK_KF_TOPICS_H
#define ODRADEK_KF_TOPICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kf_config.h"
#include "kf_log.h"

struct kf_topic_conf {
    char *key;
    char *value;
};

struct kf_topic {
    char                 *name;
    uint8_t               id[16]; /* topic id (uuid v4) */
    int32_t               npart;
    kf_log_t            **logs;     /* npart logs */
    bool                  internal; /* __consumer_offsets */
    struct kf_topic_conf *confs;    /* overrides, sorted by key */
    int                   nconfs;
    struct kf_topic      *hnext; /* hash chain */
};

/* Told about every change; any callback may be NULL.  Called after the
 * change took effect (deleted: just before the topic is freed). */
struct kf_topics_observer {
    void (*created)(void *arg, const struct kf_topic *t);
    void (*deleted)(void *arg, const struct kf_topic *t);
    void (*config_changed)(void *arg, const struct kf_topic *t);
    void (*partitions_added)(void *arg, const struct kf_topic *t,
                             int32_t old_count);
    void *arg;
};

struct kf_topics;

/* Creates the registry over an opened log manager and registers every
 * partition found on disk (a topic's partition count is its highest
 * partition + 1; missing ones are created).  notify (may be NULL) is set
 * on every log, now and later (long-poll fetch wake-ups). */
struct kf_topics *kf_topics_new(kf_logmgr_t *m, const struct kf_config *kc,
                                const struct kf_log_config *defaults,
                                kf_log_notify_fn *notify, void *notify_arg);
void              kf_topics_free(struct kf_topics *ts);

/* Add an observer (up to 4). */
void kf_topics_observe(struct kf_topics                *ts,
                       const struct kf_topics_observer *o);

struct kf_topic *kf_topics_get(struct kf_topics *ts, const char *name,
                               size_t len);
struct kf_topic *kf_topics_get_id(struct kf_topics *ts, const uint8_t id[16]);
kf_log_t *kf_topics_log(struct kf_topics *ts, const char *name, size_t len,
                        int32_t partition);
int       kf_topics_count(const struct kf_topics *ts);
/* Every topic, sorted by name, into a malloc'd array (caller frees). */
struct kf_topic **kf_topics_list(struct kf_topics *ts, int *n);

/* Registers partitions other modules created through the log manager
 * directly (the group coordinator's __consumer_offsets), creating the
 * topic's missing partitions and telling the observers.  Cheap when there
 * is nothing new (one count).  Metadata calls it. */
void kf_topics_sync(struct kf_topics *ts);

/* Kafka's topic name rule: [a-zA-Z0-9._-]{1,249}, not "." or "..". */
bool kf_topics_valid_name(const char *name, size_t len);

/* Create a topic with npart partitions and config overrides (validated
 * first: on a bad one, *why names it and nothing is created).  Returns 0,
 * ERR_EXISTS, ERR_MALFORMED (name), ERR_CONFIG (a config, *why set), or an
 * error from the log manager. */
int kf_topics_create(struct kf_topics *ts, const char *name, int32_t npart,
                     const struct kf_topic_conf *confs, int nconfs,
                     struct kf_topic **out, char *why, size_t whylen);
int kf_topics_delete(struct kf_topics *ts, const char *name);
/* Grow to npart partitions (> current). */
int kf_topics_add_partitions(struct kf_topics *ts, struct kf_topic *t,
                             int32_t npart);

/* Replace all overrides (AlterConfigs), or set / delete one key
 * (IncrementalAlterConfigs: value NULL deletes).  validate_only checks
 * without changing.  Returns 0 or ERR_CONFIG with *why. */
int kf_topics_set_configs(struct kf_topics *ts, struct kf_topic *t,
                          const struct kf_topic_conf *confs, int nconfs,
                          bool validate_only, char *why, size_t whylen);
int kf_topics_set_config(struct kf_topics *ts, struct kf_topic *t,
                         const char *key, const char *value, bool validate_only,
                         char *why, size_t whylen);

/* ---- topic-level config keys (DescribeConfigs, validation) ---------- */

enum kf_tconf_type {
    KF_TCONF_LONG,
    KF_TCONF_INT,
    KF_TCONF_STRING,
    KF_TCONF_BOOL,
    KF_TCONF_LIST,
    KF_TCONF_DOUBLE
};

struct kf_tconf_key {
    const char *name;
    int         type;       /* enum kf_tconf_type */
    const char *broker_key; /* the server.properties key it defaults to */
};

/* The keys, terminated by { NULL }. */
extern const struct kf_tconf_key kf_tconf_keys[];
const struct kf_tconf_key       *kf_tconf_find(const char *name);
/* The effective value of key for t (override or broker default) into
 * out; *is_default tells which.  Returns 0 or ERR_NOTFOUND. */
int kf_topics_config_value(struct kf_topics *ts, const struct kf_topic *t,
                           const char *key, char *out, size_t outlen,
                           bool *is_default);
/* The broker default of a topic key as text. */
void kf_topics_default_value(struct kf_topics *ts, const char *key, char *out,
                             size_t outlen);

#endif
