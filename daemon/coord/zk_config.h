/* zk_config: odradek-coord's configuration keys (zoo.cfg /
 * zookeeper.properties names and defaults), declared once in a cfg table.
 * Owns: the table, the config struct, cross-key checks and derived values
 * (session timeout bounds from tickTime).  Does not own: parsing files
 * (lib/base props/cfg). */
#ifndef ODRADEK_ZK_CONFIG_H
#define ODRADEK_ZK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"

struct zk_config {
    char   *data_dir;
    char   *data_log_dir;        /* "" = dataDir */
    int32_t client_port;
    char   *client_port_address;
    int32_t tick_time;
    int32_t max_client_cnxns;    /* per client IP; 0 = unlimited */
    int32_t max_cnxns;           /* all clients; 0 = unlimited */
    int32_t min_session_timeout; /* -1 = 2 * tickTime */
    int32_t max_session_timeout; /* -1 = 20 * tickTime */
    int32_t snap_count;
    int64_t prealloc_kb;
    bool    force_sync;
    int32_t purge_retain;
    int32_t purge_interval_h;
    char   *whitelist;           /* 4lw.commands.whitelist */
    int32_t jute_maxbuffer;
    bool    extended_types;
    char   *super_digest;        /* "super:<base64 sha1>" or "" */
};

extern const struct cfg_key zk_config_keys[];

#define ZK_CONFIG_ENV_PREFIX "ODRADEK_COORD_"

/* Loads defaults, then path (if not NULL), then the environment, then
 * checks cross-key rules.  Reports problems on stderr (file:line: key:
 * reason).  Returns 0, ERR_CONFIG, or -errno if the file cannot be read. */
int  zk_config_load(cfg_t *cfg, struct zk_config *zc, const char *path);
/* Effective session timeout bounds. */
int32_t zk_config_min_timeout(const struct zk_config *zc);
int32_t zk_config_max_timeout(const struct zk_config *zc);
/* The log directory (dataLogDir, else dataDir). */
const char *zk_config_log_dir(const struct zk_config *zc);
/* True if the four-letter word is allowed by 4lw.commands.whitelist
 * ("*" = all; srvr is always allowed, as in ZooKeeper). */
bool zk_config_4lw_allowed(const struct zk_config *zc, const char *word);

#endif
