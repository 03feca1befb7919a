/* kf_config: the broker's configuration: Apache Kafka's server.properties
 * keys with Kafka's defaults (one cfg table, kf_config.c), and the values
 * derived from them (listener address, effective retention, roll and
 * flush settings, the ZooKeeper connect string and chroot).
 *
 * It owns: the key table, the derived values and their cross-key checks.
 * It does not own: loading files (lib/base cfg/props) or applying the
 * values (main.c, kf_server, kf_log). */
#ifndef ODRADEK_KF_CONFIG_H
#define ODRADEK_KF_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"

struct kf_config {
    int32_t broker_id;
    char   *listeners;
    char   *advertised_listeners;
    int32_t port;
    char   *host_name;
    char   *advertised_host_name;
    int32_t advertised_port;
    char   *log_dirs;
    char   *log_dir;
    int32_t num_partitions;
    int32_t default_replication_factor;
    bool    auto_create_topics_enable;
    bool    delete_topic_enable;
    int32_t message_max_bytes;
    int32_t log_segment_bytes;
    int64_t log_roll_ms;
    int32_t log_roll_hours;
    int64_t log_retention_ms;
    int32_t log_retention_minutes;
    int32_t log_retention_hours;
    int64_t log_retention_bytes;
    int64_t log_retention_check_interval_ms;
    int64_t log_flush_interval_messages;
    int64_t log_flush_interval_ms;
    int64_t log_flush_scheduler_interval_ms;
    int32_t log_flush_offset_checkpoint_interval_ms;
    int32_t log_index_interval_bytes;
    int32_t log_index_size_max_bytes;
    char   *log_message_timestamp_type;
    char   *log_cleanup_policy;
    bool    log_cleaner_enable;
    int32_t socket_request_max_bytes;
    int32_t socket_send_buffer_bytes;
    int32_t socket_receive_buffer_bytes;
    int32_t num_network_threads;
    int32_t num_io_threads;
    int32_t num_recovery_threads_per_data_dir;
    char   *zookeeper_connect;
    int32_t zookeeper_connection_timeout_ms;
    int32_t zookeeper_session_timeout_ms;
    int32_t offsets_topic_num_partitions;
    int32_t offsets_topic_replication_factor;
    int32_t group_initial_rebalance_delay_ms;
    int32_t group_min_session_timeout_ms;
    int32_t group_max_session_timeout_ms;
    int32_t group_max_size;
    int32_t offsets_retention_minutes;
    int64_t offsets_retention_check_interval_ms;
    int32_t offset_metadata_max_bytes;
    int32_t min_insync_replicas;
    char   *http_listeners;
    char   *http_auth;           /* none | basic | token */
    char   *http_auth_user;
    char   *http_auth_password;
    char   *http_auth_token;
    bool    http_read_only;
    bool    http_allow_produce;
    bool    http_allow_delete;
    bool    http_allow_offset_reset;
    bool    http_allow_export;
    char   *http_avro_schema_dir;
    char   *http_supervisor_socket;
    int32_t http_history_seconds;
    char   *broker_rack;
    int32_t max_connections;

    /* derived by kf_config_finish() */
    char    listen_host[256]; /* "" = all addresses */
    int     listen_port;
    char    adv_host[256];
    int     adv_port;
    int64_t retention_ms; /* -1 = forever */
    int64_t roll_ms;
    int64_t flush_ms; /* INT64_MAX = never */
    char   *dirs[16]; /* log dirs, split (owned) */
    int     ndirs;
    char    zk_hosts[1024]; /* zookeeper.connect without the chroot */
    char    zk_chroot[256]; /* "" or "/kafka" */
};

extern const struct cfg_key kf_config_keys[];

/* Binds the table to kc and applies the defaults. */
void kf_config_init(cfg_t *c, struct kf_config *kc);
/* Cross-key checks and derived values; reports errors with cfg_error.
 * Returns 0 or ERR_CONFIG. */
int  kf_config_finish(cfg_t *c, struct kf_config *kc);
void kf_config_free(cfg_t *c, struct kf_config *kc);

#endif
