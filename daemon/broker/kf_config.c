/* kf_config: the broker's key table (Kafka 2.8's KafkaConfig names and
 * defaults) and the derived values.  Keys Kafka has that odradek does not
 * use are either in the table with a note (accepted, so a Kafka file loads
 * without warnings) or warned about as unknown by cfg. */
#include "kf_config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "err.h"
#include "xalloc.h"

#define O(f) offsetof(struct kf_config, f)
#define I32MAX 2147483647LL
#define I64MAX 9223372036854775807LL

const struct cfg_key kf_config_keys[] = {
    {"broker.id", CFG_INT, "-1", O(broker_id), -1, I32MAX, NULL, NULL,
     "this broker's id; -1 = 0 when running standalone"},
    {"listeners", CFG_STRING, NULL, O(listeners), 0, 0, NULL, NULL,
     "PLAINTEXT://host:port to listen on (default from port/host.name)"},
    {"advertised.listeners", CFG_STRING, NULL, O(advertised_listeners), 0, 0,
     NULL, NULL, "PLAINTEXT://host:port given to clients in Metadata"},
    {"port", CFG_INT, "9092", O(port), 0, 65535, NULL, NULL,
     "legacy listener port (used when listeners is unset)"},
    {"host.name", CFG_STRING, "", O(host_name), 0, 0, NULL, NULL,
     "legacy listener host; empty = all interfaces"},
    {"advertised.host.name", CFG_STRING, NULL, O(advertised_host_name), 0, 0,
     NULL, NULL, "legacy advertised host"},
    {"advertised.port", CFG_INT, "0", O(advertised_port), 0, 65535, NULL, NULL,
     "legacy advertised port; 0 = the listener's"},
    {"log.dirs", CFG_STRING, NULL, O(log_dirs), 0, 0, NULL, NULL,
     "comma-separated log directories (default: log.dir)"},
    {"log.dir", CFG_STRING, "/tmp/kafka-logs", O(log_dir), 0, 0, NULL, NULL,
     "the log directory when log.dirs is unset"},
    {"num.partitions", CFG_INT, "1", O(num_partitions), 1, I32MAX, NULL, NULL,
     "default partition count of auto-created topics"},
    {"default.replication.factor", CFG_INT, "1", O(default_replication_factor),
     1, 32767, NULL, NULL, "default replication factor of auto-created topics"},
    {"auto.create.topics.enable", CFG_BOOL, "true",
     O(auto_create_topics_enable), 0, 0, NULL, NULL,
     "create unknown topics on Metadata / Produce"},
    {"delete.topic.enable", CFG_BOOL, "true", O(delete_topic_enable), 0, 0,
     NULL, NULL, "allow DeleteTopics"},
    {"message.max.bytes", CFG_INT, "1048588", O(message_max_bytes), 0, I32MAX,
     NULL, NULL, "largest record batch accepted (max.message.bytes)"},
    {"log.segment.bytes", CFG_INT, "1073741824", O(log_segment_bytes), 14,
     I32MAX, NULL, NULL, "segment size before a roll"},
    {"log.roll.ms", CFG_LONG, NULL, O(log_roll_ms), 1, I64MAX, NULL, NULL,
     "segment age before a roll (overrides log.roll.hours)"},
    {"log.roll.hours", CFG_INT, "168", O(log_roll_hours), 1, I32MAX, NULL, NULL,
     "segment age before a roll, in hours"},
    {"log.retention.ms", CFG_LONG, NULL, O(log_retention_ms), -1, I64MAX, NULL,
     NULL, "retention by time; -1 = forever (overrides minutes/hours)"},
    {"log.retention.minutes", CFG_INT, NULL, O(log_retention_minutes), -1,
     I32MAX, NULL, NULL, "retention by time, minutes (overrides hours)"},
    {"log.retention.hours", CFG_INT, "168", O(log_retention_hours), -1, I32MAX,
     NULL, NULL, "retention by time, hours"},
    {"log.retention.bytes", CFG_LONG, "-1", O(log_retention_bytes), -1, I64MAX,
     NULL, NULL, "retention by size per partition; -1 = none"},
    {"log.retention.check.interval.ms", CFG_LONG, "300000",
     O(log_retention_check_interval_ms), 1, I64MAX, NULL, NULL,
     "how often retention runs"},
    {"log.flush.interval.messages", CFG_LONG, "9223372036854775807",
     O(log_flush_interval_messages), 1, I64MAX, NULL, NULL,
     "fsync after this many messages (flush.messages)"},
    {"log.flush.interval.ms", CFG_LONG, NULL, O(log_flush_interval_ms), 0,
     I64MAX, NULL, NULL, "fsync data older than this (flush.ms)"},
    {"log.flush.scheduler.interval.ms", CFG_LONG, "9223372036854775807",
     O(log_flush_scheduler_interval_ms), 0, I64MAX, NULL, NULL,
     "how often the time-based flush check runs"},
    {"log.flush.offset.checkpoint.interval.ms", CFG_INT, "60000",
     O(log_flush_offset_checkpoint_interval_ms), 0, I32MAX, NULL, NULL,
     "how often offset checkpoints are written"},
    {"log.index.interval.bytes", CFG_INT, "4096", O(log_index_interval_bytes),
     0, I32MAX, NULL, NULL, "bytes between offset index entries"},
    {"log.index.size.max.bytes", CFG_INT, "10485760",
     O(log_index_size_max_bytes), 4, I32MAX, NULL, NULL,
     "largest offset index before a roll"},
    {"log.message.timestamp.type", CFG_STRING, "CreateTime",
     O(log_message_timestamp_type), 0, 0, NULL, NULL,
     "CreateTime or LogAppendTime"},
    {"log.cleanup.policy", CFG_STRING, "delete", O(log_cleanup_policy), 0, 0,
     NULL, NULL, "delete and/or compact"},
    {"log.cleaner.enable", CFG_BOOL, "true", O(log_cleaner_enable), 0, 0, NULL,
     NULL, "run the log cleaner for compacted topics"},
    {"socket.request.max.bytes", CFG_INT, "104857600",
     O(socket_request_max_bytes), 1, I32MAX, NULL, NULL,
     "largest request frame accepted"},
    {"socket.send.buffer.bytes", CFG_INT, "102400", O(socket_send_buffer_bytes),
     -1, I32MAX, NULL, NULL,
     "SO_SNDBUF of client connections; -1 = the OS default (autotuned)"},
    {"socket.receive.buffer.bytes", CFG_INT, "102400",
     O(socket_receive_buffer_bytes), -1, I32MAX, NULL, NULL,
     "SO_RCVBUF of the listener and client connections; -1 = the OS "
     "default (autotuned)"},
    {"num.network.threads", CFG_INT, "3", O(num_network_threads), 1, I32MAX,
     NULL, NULL, "accepted; one event loop serves every connection"},
    {"num.io.threads", CFG_INT, "8", O(num_io_threads), 1, I32MAX, NULL, NULL,
     "accepted; disk work runs on the thread pool"},
    {"num.recovery.threads.per.data.dir", CFG_INT, "1",
     O(num_recovery_threads_per_data_dir), 1, I32MAX, NULL, NULL,
     "partitions recovered at once per log dir at start (thread pool, "
     "UV_THREADPOOL_SIZE threads in all)"},
    {"zookeeper.connect", CFG_STRING, NULL, O(zookeeper_connect), 0, 0, NULL,
     NULL, "host:port[,host:port...][/chroot] of the coordination service"},
    {"zookeeper.connection.timeout.ms", CFG_INT, NULL,
     O(zookeeper_connection_timeout_ms), 1, I32MAX, NULL, NULL,
     "how long to wait for it at start (default: the session timeout)"},
    {"zookeeper.session.timeout.ms", CFG_INT, "18000",
     O(zookeeper_session_timeout_ms), 1, I32MAX, NULL, NULL,
     "ZooKeeper session timeout"},
    {"offsets.topic.num.partitions", CFG_INT, "50",
     O(offsets_topic_num_partitions), 1, I32MAX, NULL, NULL,
     "partitions of __consumer_offsets"},
    {"offsets.topic.replication.factor", CFG_INT, "3",
     O(offsets_topic_replication_factor), 1, 32767, NULL, NULL,
     "replication factor of __consumer_offsets (capped at 1 here)"},
    {"group.initial.rebalance.delay.ms", CFG_INT, "3000",
     O(group_initial_rebalance_delay_ms), 0, I32MAX, NULL, NULL,
     "delay of a new group's first rebalance"},
    {"group.min.session.timeout.ms", CFG_INT, "6000",
     O(group_min_session_timeout_ms), 0, I32MAX, NULL, NULL,
     "smallest consumer session timeout accepted"},
    {"group.max.size", CFG_INT, "2147483647", O(group_max_size), 1, I32MAX,
     NULL, NULL, "most members one consumer group may have"},
    {"offsets.retention.minutes", CFG_INT, "10080",
     O(offsets_retention_minutes), 1, I32MAX, NULL, NULL,
     "committed offsets of an empty group expire after this long"},
    {"offsets.retention.check.interval.ms", CFG_LONG, "600000",
     O(offsets_retention_check_interval_ms), 1, INT64_MAX, NULL, NULL,
     "how often expired offsets are looked for"},
    {"offset.metadata.max.bytes", CFG_INT, "4096",
     O(offset_metadata_max_bytes), 0, I32MAX, NULL, NULL,
     "largest metadata string accepted with a committed offset"},
    {"group.max.session.timeout.ms", CFG_INT, "1800000",
     O(group_max_session_timeout_ms), 0, I32MAX, NULL, NULL,
     "largest consumer session timeout accepted"},
    {"min.insync.replicas", CFG_INT, "1", O(min_insync_replicas), 1, I32MAX,
     NULL, NULL, "accepted; one replica per partition"},
    {"http.listeners", CFG_STRING, "127.0.0.1:8888", O(http_listeners), 0, 0,
     NULL, NULL, "host:port[,host:port] of the web UI, JSON API and /metrics"},
    {"http.auth", CFG_STRING, "none", O(http_auth), 0, 0, NULL, NULL,
     "none, basic (http.auth.user/password) or token (Bearer http.auth.token)"},
    {"http.auth.user", CFG_STRING, "", O(http_auth_user), 0, 0, NULL, NULL,
     "user name for http.auth=basic"},
    {"http.auth.password", CFG_STRING, "", O(http_auth_password), 0, 0, NULL,
     NULL, "password for http.auth=basic"},
    {"http.auth.token", CFG_STRING, "", O(http_auth_token), 0, 0, NULL, NULL,
     "bearer token for http.auth=token (16 characters at least)"},
    {"http.read.only", CFG_BOOL, "false", O(http_read_only), 0, 0, NULL, NULL,
     "refuse every write through the UI/API (produce, topics, offsets)"},
    {"http.allow.produce", CFG_BOOL, "true", O(http_allow_produce), 0, 0, NULL,
     NULL, "allow producing messages through the UI/API"},
    {"http.allow.delete", CFG_BOOL, "true", O(http_allow_delete), 0, 0, NULL,
     NULL, "allow deleting topics and records through the UI/API"},
    {"http.allow.offset.reset", CFG_BOOL, "true", O(http_allow_offset_reset), 0,
     0, NULL, NULL, "allow resetting consumer group offsets through the UI/API"},
    {"http.allow.export", CFG_BOOL, "true", O(http_allow_export), 0, 0, NULL, NULL,
     "allow downloading partition ranges as NDJSON/CSV through the UI/API"},
    {"http.avro.schema.dir", CFG_STRING, "", O(http_avro_schema_dir), 0, 0,
     NULL, NULL, "directory of <topic>.avsc (and <topic>-key.avsc) for the UI"},
    {"http.supervisor.socket", CFG_STRING, "", O(http_supervisor_socket), 0, 0,
     NULL, NULL,
     "supervisor control socket for the UI (default: $ODRADEK_CTL_SOCKET)"},
    {"http.history.seconds", CFG_INT, "900", O(http_history_seconds), 10, 86400,
     NULL, NULL, "seconds of throughput/lag history kept for the UI charts"},
    {"broker.rack", CFG_STRING, NULL, O(broker_rack), 0, 0, NULL, NULL,
     "rack of this broker (Metadata v1+)"},
    {"max.connections", CFG_INT, "2147483647", O(max_connections), 1, I32MAX,
     NULL, NULL, "most client connections at once"},
    {"transaction.state.log.replication.factor", CFG_IGNORED, NULL, 0, 0, 0,
     NULL, NULL, "accepted; transactions are not served"},
    {"transaction.state.log.min.isr", CFG_IGNORED, NULL, 0, 0, 0, NULL, NULL,
     "accepted; transactions are not served"},
    CFG_KEY_END};

void kf_config_init(cfg_t *c, struct kf_config *kc)
{
    memset(kc, 0, sizeof *kc);
    cfg_init(c, kf_config_keys, kc, "ODRADEK_BROKER_");
}

/* "PLAINTEXT://host:port[,NAME://host:port]": the first PLAINTEXT one. */
static int first_listener(const char *list, char *host, int *port)
{
    char *copy = xstrdup(list), *save = NULL, *tok;
    int   rc = ERR_MALFORMED;

    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (strstr(tok, "://") != NULL && strncmp(tok, "PLAINTEXT://", 12) != 0)
            continue;
        rc = conn_parse_hostport(tok, host, 256, port);
        break;
    }
    free(copy);
    return rc;
}

int kf_config_finish(cfg_t *c, struct kf_config *kc)
{
    const char *dirs =
        kc->log_dirs != NULL && *kc->log_dirs ? kc->log_dirs : kc->log_dir;
    char       *copy, *save = NULL, *tok;
    const char *slash;

    if (strcmp(kc->http_auth, "none") != 0 && strcmp(kc->http_auth, "basic") != 0 &&
        strcmp(kc->http_auth, "token") != 0)
        cfg_error(c, "http.auth", "must be one of none, basic, token (not '%s')",
                  kc->http_auth);
    else if (strcmp(kc->http_auth, "basic") == 0 &&
             (!kc->http_auth_user[0] || !kc->http_auth_password[0]))
        cfg_error(c, "http.auth", "basic needs http.auth.user and http.auth.password");
    else if (strcmp(kc->http_auth, "token") == 0 && strlen(kc->http_auth_token) < 16)
        cfg_error(c, "http.auth", "token needs http.auth.token of 16 characters at least");
    if (strchr(kc->http_auth_user, ':') != NULL)
        cfg_error(c, "http.auth.user", "must not contain ':'");

    if (kc->broker_id < 0)
        kc->broker_id = 0;
    /* listeners, else port + host.name (the tutorial's form) */
    if (kc->listeners != NULL && *kc->listeners) {
        if (first_listener(kc->listeners, kc->listen_host, &kc->listen_port) <
            0)
            cfg_error(c, "listeners", "no PLAINTEXT://host:port in '%s'",
                      kc->listeners);
    } else {
        snprintf(kc->listen_host, sizeof kc->listen_host, "%s",
                 kc->host_name ? kc->host_name : "");
        kc->listen_port = kc->port;
    }
    if (kc->advertised_listeners != NULL && *kc->advertised_listeners) {
        if (first_listener(kc->advertised_listeners, kc->adv_host,
                           &kc->adv_port) < 0)
            cfg_error(c, "advertised.listeners",
                      "no PLAINTEXT://host:port in '%s'",
                      kc->advertised_listeners);
    } else {
        const char *h = kc->advertised_host_name && *kc->advertised_host_name
                            ? kc->advertised_host_name
                            : kc->listen_host;

        snprintf(kc->adv_host, sizeof kc->adv_host, "%s", h);
        kc->adv_port =
            kc->advertised_port > 0 ? kc->advertised_port : kc->listen_port;
    }
    if (kc->adv_host[0] == '\0' || strcmp(kc->adv_host, "0.0.0.0") == 0) {
        /* Kafka advertises the canonical host name; the loopback address
         * is what works on a single machine without DNS. */
        snprintf(kc->adv_host, sizeof kc->adv_host, "%s", "localhost");
    }
    /* retention: ms > minutes > hours, as Kafka */
    if (cfg_is_set(c, "log.retention.ms"))
        kc->retention_ms = kc->log_retention_ms;
    else if (cfg_is_set(c, "log.retention.minutes"))
        kc->retention_ms = kc->log_retention_minutes < 0
                               ? -1
                               : (int64_t)kc->log_retention_minutes * 60000;
    else
        kc->retention_ms = kc->log_retention_hours < 0
                               ? -1
                               : (int64_t)kc->log_retention_hours * 3600000;
    kc->roll_ms = cfg_is_set(c, "log.roll.ms")
                      ? kc->log_roll_ms
                      : (int64_t)kc->log_roll_hours * 3600000;
    kc->flush_ms = cfg_is_set(c, "log.flush.interval.ms")
                       ? kc->log_flush_interval_ms
                       : kc->log_flush_scheduler_interval_ms;
    if (strcmp(kc->log_message_timestamp_type, "CreateTime") != 0 &&
        strcmp(kc->log_message_timestamp_type, "LogAppendTime") != 0)
        cfg_error(c, "log.message.timestamp.type",
                  "must be CreateTime or LogAppendTime");
    /* Java's setSendBufferSize(0) throws: only -1 (keep the OS default)
     * or a positive size */
    if (kc->socket_send_buffer_bytes == 0)
        cfg_error(c, "socket.send.buffer.bytes",
                  "must be -1 (OS default) or a positive size");
    if (kc->socket_receive_buffer_bytes == 0)
        cfg_error(c, "socket.receive.buffer.bytes",
                  "must be -1 (OS default) or a positive size");
    if (!cfg_is_set(c, "zookeeper.connection.timeout.ms"))
        kc->zookeeper_connection_timeout_ms = kc->zookeeper_session_timeout_ms;
    /* log dirs */
    copy = xstrdup(dirs);
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        size_t len;

        while (*tok == ' ')
            tok++;
        len = strlen(tok);
        while (len > 0 && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (*tok == '\0')
            continue;
        if (kc->ndirs == (int)(sizeof kc->dirs / sizeof kc->dirs[0])) {
            cfg_error(c, "log.dirs", "more than 16 directories");
            break;
        }
        kc->dirs[kc->ndirs++] = xstrdup(tok);
    }
    free(copy);
    if (kc->ndirs == 0)
        cfg_error(c, "log.dirs", "no directory given");
    /* zookeeper.connect: hosts, then an optional chroot */
    if (kc->zookeeper_connect != NULL) {
        slash = strchr(kc->zookeeper_connect, '/');
        if (slash != NULL) {
            snprintf(kc->zk_hosts, sizeof kc->zk_hosts, "%.*s",
                     (int)(slash - kc->zookeeper_connect),
                     kc->zookeeper_connect);
            snprintf(kc->zk_chroot, sizeof kc->zk_chroot, "%s", slash);
            if (strcmp(kc->zk_chroot, "/") == 0)
                kc->zk_chroot[0] = '\0';
        } else {
            snprintf(kc->zk_hosts, sizeof kc->zk_hosts, "%s",
                     kc->zookeeper_connect);
        }
    }
    return c->errors > 0 ? ERR_CONFIG : 0;
}

void kf_config_free(cfg_t *c, struct kf_config *kc)
{
    int i;

    for (i = 0; i < kc->ndirs; i++)
        free(kc->dirs[i]);
    kc->ndirs = 0;
    cfg_free(c);
}
