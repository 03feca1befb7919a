/* zk_config: the key table of odradek-coord (see zk_config.h).  Names and
 * defaults are ZooKeeper 3.8's (ZooKeeper Administrator's Guide,
 * "Configuration Parameters"). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "zk_config.h"

#define F(x) offsetof(struct zk_config, x)

const struct cfg_key zk_config_keys[] = {
    { "dataDir", CFG_STRING, "/tmp/zookeeper", F(data_dir), 0, 0, NULL, NULL,
      "where snapshots (and the txn log unless dataLogDir) are stored" },
    { "dataLogDir", CFG_STRING, "", F(data_log_dir), 0, 0, NULL, NULL,
      "directory of the transaction log (default: dataDir)" },
    { "clientPort", CFG_INT, "2181", F(client_port), 0, 65535, NULL, NULL,
      "TCP port for clients" },
    { "clientPortAddress", CFG_STRING, "0.0.0.0", F(client_port_address), 0, 0,
      NULL, NULL, "address to listen on" },
    { "tickTime", CFG_INT, "2000", F(tick_time), 1, 3600000, NULL, NULL,
      "basic time unit in ms (session expiry granularity)" },
    { "maxClientCnxns", CFG_INT, "60", F(max_client_cnxns), 0, 1000000, NULL, NULL,
      "connections per client IP; 0 = unlimited" },
    { "maxCnxns", CFG_INT, "0", F(max_cnxns), 0, 10000000, NULL, NULL,
      "connections in total; 0 = unlimited" },
    { "minSessionTimeout", CFG_INT, "-1", F(min_session_timeout), -1, INT32_MAX,
      NULL, NULL, "lowest negotiated session timeout in ms (-1: 2 ticks)" },
    { "maxSessionTimeout", CFG_INT, "-1", F(max_session_timeout), -1, INT32_MAX,
      NULL, NULL, "highest negotiated session timeout in ms (-1: 20 ticks)" },
    { "snapCount", CFG_INT, "100000", F(snap_count), 2, INT32_MAX, NULL, NULL,
      "transactions between snapshots" },
    { "preAllocSize", CFG_LONG, "65536", F(prealloc_kb), 1, 16777216, NULL, NULL,
      "txn log preallocation step in KiB" },
    { "forceSync", CFG_BOOL, "yes", F(force_sync), 0, 0, NULL, NULL,
      "fdatasync the txn log before acknowledging writes" },
    { "autopurge.snapRetainCount", CFG_INT, "3", F(purge_retain), 3, 1000000, NULL,
      NULL, "snapshots kept when purging" },
    { "autopurge.purgeInterval", CFG_INT, "0", F(purge_interval_h), 0, 1000000, NULL,
      NULL, "hours between purges; 0 = never" },
    { "4lw.commands.whitelist", CFG_STRING, "srvr", F(whitelist), 0, 0, NULL, NULL,
      "four-letter words answered (comma-separated, * = all)" },
    { "jute.maxbuffer", CFG_INT, "1048575", F(jute_maxbuffer), 1024, 1 << 30, NULL,
      NULL, "largest request frame in bytes" },
    { "extendedTypesEnabled", CFG_BOOL, "false", F(extended_types), 0, 0, NULL, NULL,
      "allow TTL nodes (zookeeper.extendedTypesEnabled)" },
    { "DigestAuthenticationProvider.superDigest", CFG_STRING, "", F(super_digest), 0,
      0, NULL, NULL, "super:<base64 sha1> that bypasses ACLs" },
    /* Ensemble keys and the admin server: accepted, warned about below. */
    { "initLimit", CFG_IGNORED, NULL, 0, 0, 0, NULL, NULL, "ensemble only: ignored" },
    { "syncLimit", CFG_IGNORED, NULL, 0, 0, 0, NULL, NULL, "ensemble only: ignored" },
    { "admin.enableServer", CFG_IGNORED, NULL, 0, 0, 0, NULL, NULL,
      "no admin server: ignored" },
    { "admin.serverPort", CFG_IGNORED, NULL, 0, 0, 0, NULL, NULL,
      "no admin server: ignored" },
    { "standaloneEnabled", CFG_IGNORED, NULL, 0, 0, 0, NULL, NULL, "always standalone" },
    { "reconfigEnabled", CFG_IGNORED, NULL, 0, 0, 0, NULL, NULL,
      "reconfig answers as standalone ZooKeeper" },
    CFG_KEY_END,
};

int32_t zk_config_min_timeout(const struct zk_config *zc)
{
    return zc->min_session_timeout < 0 ? 2 * zc->tick_time : zc->min_session_timeout;
}

int32_t zk_config_max_timeout(const struct zk_config *zc)
{
    return zc->max_session_timeout < 0 ? 20 * zc->tick_time : zc->max_session_timeout;
}

const char *zk_config_log_dir(const struct zk_config *zc)
{
    return zc->data_log_dir && zc->data_log_dir[0] ? zc->data_log_dir : zc->data_dir;
}

bool zk_config_4lw_allowed(const struct zk_config *zc, const char *word)
{
    const char *p = zc->whitelist ? zc->whitelist : "";
    size_t      wl = strlen(word);

    if (strcmp(word, "srvr") == 0)
        return true;
    while (*p) {
        const char *e;
        size_t      l;

        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        e = p;
        while (*e && *e != ',' && *e != ' ' && *e != '\t')
            e++;
        l = (size_t)(e - p);
        if ((l == 1 && *p == '*') || (l == wl && strncmp(p, word, l) == 0))
            return true;
        p = e;
    }
    return false;
}

int zk_config_load(cfg_t *cfg, struct zk_config *zc, const char *path)
{
    static const char *const ensemble[] = { "initLimit", "syncLimit", NULL };
    int                      rc, i;

    memset(zc, 0, sizeof *zc);
    cfg_init(cfg, zk_config_keys, zc, ZK_CONFIG_ENV_PREFIX);
    if (path) {
        rc = cfg_load_file(cfg, path);
        if (rc < 0 && rc != ERR_CONFIG)
            return rc;
    }
    if (cfg_load_env(cfg, NULL) < 0 || cfg->errors)
        return ERR_CONFIG;
    for (i = 0; ensemble[i]; i++)
        if (cfg_is_set(cfg, ensemble[i]))
            cfg_warn(cfg, ensemble[i], "ensemble settings are ignored: odradek-coord "
                                       "is standalone; run ZooKeeper for an ensemble");
    if (zc->data_dir == NULL || zc->data_dir[0] == 0)
        cfg_error(cfg, "dataDir", "must not be empty");
    if (zk_config_min_timeout(zc) > zk_config_max_timeout(zc))
        cfg_error(cfg, "minSessionTimeout", "is above maxSessionTimeout (%d > %d)",
                  zk_config_min_timeout(zc), zk_config_max_timeout(zc));
    if (zc->super_digest && zc->super_digest[0] &&
        strchr(zc->super_digest, ':') == NULL)
        cfg_error(cfg, "DigestAuthenticationProvider.superDigest",
                  "must be user:base64(sha1(user:password))");
    return cfg->errors ? ERR_CONFIG : 0;
}
