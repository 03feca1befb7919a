/* zk_4lw: the four-letter words, in ZooKeeper 3.8's text (reference
 * §3.2), behind 4lw.commands.whitelist.
 *
 * Owns: the word table and each word's text.  Does not own: the
 * statistics themselves (zk_server keeps them) or the connection (the
 * listener's on_sniff/on_raw send the answer and close).
 *
 * ruok: ZooKeeper answers it before its database is loaded; odradek-coord
 * only listens once recovery is done, so "imok" here also means serving. */
#include <dirent.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "zk_server.h"

#define ZK_VERSION_TEXT "3.8.0-odradek-" ODRADEK_VERSION ", built on 2026-11-25 00:00 UTC"

typedef void w_fn(struct zk_server *s, buf_t *out);

/* Java's Double.toString for the small positive values we print. */
static void put_double(buf_t *out, double v)
{
    char   tmp[64];
    size_t n;

    snprintf(tmp, sizeof tmp, "%.6f", v);
    n = strlen(tmp);
    while (n > 0 && tmp[n - 1] == '0' && tmp[n - 2] != '.')
        tmp[--n] = 0;
    buf_puts(out, tmp);
}

static double avg_latency(int64_t sum, int64_t n)
{
    return n ? (double)sum / (double)n : 0.0;
}

static void cnx_line(const struct zk_cnx *x, bool brief, buf_t *out)
{
    /* ServerCnxn.dumpConnectionInfo: " /ip:port[interest](k=v,...)" */
    char lop[5] = "NA";

    /* ServerCnxn: lop is the op name's first 4 letters, upper case */
    if (x->last_op != 0) {
        const char *nm = zk_jute_op_name(x->last_op);
        int         i;

        for (i = 0; i < 4 && nm[i]; i++)
            lop[i] = (char)(nm[i] >= 'a' && nm[i] <= 'z' ? nm[i] - 32 : nm[i]);
        lop[i] = 0;
    } else if (x->sess) {
        memcpy(lop, "SESS", 5);
    }
    buf_printf(out, " /%s:%u[%d](queued=0,recved=%" PRIu64 ",sent=%" PRIu64, x->c->peer_ip,
               x->c->peer_port, x->connected ? 1 : 0, x->recv, x->sent);
    if (!brief && x->sess) {
        buf_printf(out, ",sid=0x%" PRIx64 ",lop=%s,est=%" PRId64 ",to=%d,lcxid=0x%x,"
                        "lzxid=0x%" PRIx64 ",lresp=%" PRId64 ",llat=%" PRId64
                        ",minlat=%" PRId64 ",avglat=%" PRId64 ",maxlat=%" PRId64,
                   (uint64_t)x->sess->id, lop,
                   x->established, x->sess->timeout, (unsigned)x->last_xid,
                   (uint64_t)x->last_zxid, x->established, x->last_lat, x->lat_min,
                   x->lat_n ? x->lat_sum / x->lat_n : 0, x->lat_max);
    }
    buf_puts(out, ")\n");
}

static void server_stats(struct zk_server *s, buf_t *out)
{
    buf_printf(out, "Latency min/avg/max: %" PRId64 "/", s->lat_min);
    put_double(out, avg_latency(s->lat_sum, s->lat_n));
    buf_printf(out, "/%" PRId64 "\n", s->lat_max);
    buf_printf(out, "Received: %" PRIu64 "\nSent: %" PRIu64 "\nConnections: %u\n"
                    "Outstanding: %u\nZxid: 0x%" PRIx64 "\nMode: standalone\n"
                    "Node count: %u\n",
               s->packets_recv, s->packets_sent, s->ncnx, s->noutq, (uint64_t)s->tree.zxid,
               zk_tree_node_count(&s->tree));
}

static void w_ruok(struct zk_server *s, buf_t *out)
{
    buf_puts(out, "imok");
}

static void w_srvr(struct zk_server *s, buf_t *out)
{
    buf_puts(out, "Zookeeper version: " ZK_VERSION_TEXT "\n");
    server_stats(s, out);
}

static void w_stat(struct zk_server *s, buf_t *out)
{
    const struct zk_cnx *x;

    buf_puts(out, "Zookeeper version: " ZK_VERSION_TEXT "\nClients:\n");
    for (x = s->cnxs; x; x = x->next)
        cnx_line(x, true, out);
    buf_puts(out, "\n");
    server_stats(s, out);
}

static void w_cons(struct zk_server *s, buf_t *out)
{
    const struct zk_cnx *x;

    for (x = s->cnxs; x; x = x->next)
        cnx_line(x, false, out);
    buf_puts(out, "\n");
}

static uint64_t dir_size(const char *dir)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    uint64_t       total = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char        p[4096];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

static void w_conf(struct zk_server *s, buf_t *out)
{
    const struct zk_config *c = s->cfg;

    buf_printf(out, "clientPort=%d\nsecureClientPort=-1\ndataDir=%s\ndataDirSize=%" PRIu64
                    "\ndataLogDir=%s\ndataLogSize=%" PRIu64 "\ntickTime=%d\n"
                    "maxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\n"
                    "clientPortListenBacklog=-1\nserverId=0\n",
               zk_server_port(s), c->data_dir, dir_size(c->data_dir), zk_config_log_dir(c),
               dir_size(zk_config_log_dir(c)), c->tick_time, c->max_client_cnxns,
               zk_config_min_timeout(c), zk_config_max_timeout(c));
}

static void w_dirs(struct zk_server *s, buf_t *out)
{
    buf_printf(out, "datadir_size: %" PRIu64 "\nlogdir_size: %" PRIu64 "\n",
               dir_size(s->cfg->data_dir), dir_size(zk_config_log_dir(s->cfg)));
}

static void w_envi(struct zk_server *s, buf_t *out)
{
    struct utsname u;
    char           host[256] = "localhost", cwd[4096] = "";
    struct passwd *pw = getpwuid(getuid());

    uname(&u);
    gethostname(host, sizeof host);
    if (getcwd(cwd, sizeof cwd) == NULL)
        cwd[0] = 0;
    buf_printf(out, "Environment:\nzookeeper.version=" ZK_VERSION_TEXT "\nhost.name=%s\n"
                    "os.name=%s\nos.arch=%s\nos.version=%s\nuser.name=%s\n"
                    "user.home=%s\nuser.dir=%s\n",
               host, u.sysname, u.machine, u.release, pw ? pw->pw_name : "?",
               pw ? pw->pw_dir : "?", cwd);
}

static int count_fds(void)
{
    DIR           *d = opendir("/proc/self/fd");
    struct dirent *e;
    int            n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

static void w_mntr(struct zk_server *s, buf_t *out)
{
    struct rlimit rl = { 0, 0 };
    const zk_log_t *l = &s->log;

    getrlimit(RLIMIT_NOFILE, &rl);
    buf_puts(out, "zk_version\t" ZK_VERSION_TEXT "\n");
    buf_puts(out, "zk_server_state\tstandalone\n");
    buf_printf(out, "zk_ephemerals_count\t%u\n", s->tree.neph);
    buf_printf(out, "zk_num_alive_connections\t%u\n", s->ncnx);
    buf_puts(out, "zk_avg_latency\t");
    put_double(out, avg_latency(s->lat_sum, s->lat_n));
    buf_puts(out, "\n");
    buf_printf(out, "zk_outstanding_requests\t%u\n", s->noutq);
    buf_printf(out, "zk_znode_count\t%u\n", zk_tree_node_count(&s->tree));
    buf_printf(out, "zk_global_sessions\t%u\n", s->tree.nsess);
    buf_puts(out, "zk_non_mtls_remote_conn_count\t0\n");
    buf_puts(out, "zk_last_client_response_size\t-1\n");
    buf_printf(out, "zk_packets_sent\t%" PRIu64 "\n", s->packets_sent);
    buf_printf(out, "zk_packets_received\t%" PRIu64 "\n", s->packets_recv);
    buf_puts(out, "zk_max_client_response_size\t-1\n");
    buf_puts(out, "zk_connection_drop_probability\t0.0\n");
    buf_printf(out, "zk_watch_count\t%u\n", s->watches.nwatches);
    buf_printf(out, "zk_auth_failed_count\t%" PRIu64 "\n", s->auth_failed);
    buf_printf(out, "zk_min_latency\t%" PRId64 "\n", s->lat_min);
    buf_printf(out, "zk_max_file_descriptor_count\t%" PRIu64 "\n", (uint64_t)rl.rlim_cur);
    buf_printf(out, "zk_approximate_data_size\t%" PRIu64 "\n", s->tree.data_bytes);
    buf_printf(out, "zk_open_file_descriptor_count\t%d\n", count_fds());
    buf_puts(out, "zk_local_sessions\t0\n");
    buf_printf(out, "zk_uptime\t%" PRId64 "\n", clock_mono_ms() - s->started);
    buf_printf(out, "zk_max_latency\t%" PRId64 "\n", s->lat_max);
    buf_printf(out, "zk_connection_rejected\t%" PRIu64 "\n", s->conn_rejected);
    /* the summary families ZooKeeper 3.8 names this way (ms, txns) */
    buf_printf(out, "zk_snap_count\t%" PRIu64 "\n", s->snaps_taken);
    buf_printf(out, "zk_avg_fsynctime\t");
    put_double(out, l->nsyncs ? (double)l->sync_ns_total / 1e6 / (double)l->nsyncs : 0.0);
    buf_printf(out, "\nzk_max_fsynctime\t%" PRIu64 "\n", l->sync_ns_max / 1000000);
    buf_printf(out, "zk_cnt_fsynctime\t%" PRIu64 "\n", l->nsyncs);
    buf_printf(out, "zk_sum_fsynctime\t%" PRIu64 "\n", l->sync_ns_total / 1000000);
    buf_printf(out, "zk_avg_sync_processor_batch_size\t");
    put_double(out, l->nsyncs ? (double)l->ntxns / (double)l->nsyncs : 0.0);
    buf_printf(out, "\nzk_max_sync_processor_batch_size\t%" PRIu64 "\n", l->max_batch);
    buf_printf(out, "zk_cnt_sync_processor_batch_size\t%" PRIu64 "\n", l->nsyncs);
    buf_printf(out, "zk_sum_sync_processor_batch_size\t%" PRIu64 "\n", l->ntxns);
}

static void w_wchs(struct zk_server *s, buf_t *out)
{
    const struct zk_cnx *x;
    unsigned             owners = 0;

    for (x = s->cnxs; x; x = x->next)
        if (x->watches)
            owners++;
    buf_printf(out, "%u connections watching %u paths\nTotal watches:%u\n", owners,
               s->watches.npaths, s->watches.nwatches);
}

static void w_wchc(struct zk_server *s, buf_t *out)
{
    const struct zk_cnx   *x;
    const struct zk_watch *w;

    for (x = s->cnxs; x; x = x->next) {
        if (x->watches == NULL)
            continue;
        buf_printf(out, "0x%" PRIx64 "\n", x->sess ? (uint64_t)x->sess->id : 0);
        for (w = x->watches; w; w = w->onext)
            buf_printf(out, "\t%s\n", w->wp->path);
    }
    buf_puts(out, "\n");
}

static void wchp_one(const struct zk_watch *w, void *arg)
{
    buf_t               *out = arg;
    const struct zk_cnx *x = w->owner;

    if (w == w->wp->head)
        buf_printf(out, "%s\n", w->wp->path);
    buf_printf(out, "\t0x%" PRIx64 "\n", x->sess ? (uint64_t)x->sess->id : 0);
}

static void w_wchp(struct zk_server *s, buf_t *out)
{
    zk_watch_each(&s->watches, wchp_one, out);
    buf_puts(out, "\n");
}

static void w_dump(struct zk_server *s, buf_t *out)
{
    uint32_t               i, with = 0;
    const struct zk_tsess *ts;
    const struct zk_cnx   *x;

    buf_printf(out, "SessionTracker dump:\nSession Sets (%u)/(%u):\n", s->tree.nsess,
               s->tree.nsess);
    for (i = 0; i <= s->tree.stabmask; i++)
        for (ts = s->tree.stab[i]; ts; ts = ts->hnext)
            buf_printf(out, "0x%" PRIx64 "\n", (uint64_t)ts->id);
    for (i = 0; i <= s->tree.stabmask; i++)
        for (ts = s->tree.stab[i]; ts; ts = ts->hnext)
            if (ts->eph)
                with++;
    buf_printf(out, "ephemeral nodes dump:\nSessions with Ephemerals (%u):\n", with);
    for (i = 0; i <= s->tree.stabmask; i++) {
        for (ts = s->tree.stab[i]; ts; ts = ts->hnext) {
            const struct zk_node *n;

            if (ts->eph == NULL)
                continue;
            buf_printf(out, "0x%" PRIx64 ":\n", (uint64_t)ts->id);
            for (n = ts->eph; n; n = n->eph_next)
                buf_printf(out, "\t%s\n", n->path);
        }
    }
    buf_printf(out, "Connections dump:\nConnections Sets (1)/(%u):\n", s->ncnx);
    for (x = s->cnxs; x; x = x->next)
        buf_printf(out, "\tip: /%s:%u sessionId: 0x%" PRIx64 "\n", x->c->peer_ip,
                   x->c->peer_port, x->sess ? (uint64_t)x->sess->id : 0);
}

static void w_isro(struct zk_server *s, buf_t *out)
{
    buf_puts(out, "rw");
}

static void w_gtmk(struct zk_server *s, buf_t *out)
{
    buf_puts(out, "306");
}

static void w_crst(struct zk_server *s, buf_t *out)
{
    struct zk_cnx *x;

    for (x = s->cnxs; x; x = x->next) {
        x->recv = x->sent = 0;
        x->lat_min = x->lat_max = x->lat_sum = x->lat_n = x->last_lat = 0;
    }
    buf_puts(out, "Connection stats reset.\n");
}

static void w_srst(struct zk_server *s, buf_t *out)
{
    s->packets_recv = s->packets_sent = 0;
    s->lat_min = s->lat_max = s->lat_sum = s->lat_n = 0;
    buf_puts(out, "Server stats reset.\n");
}

static void w_nothing(struct zk_server *s, buf_t *out)
{
}

/* The words of ZooKeeper 3.8 (FourLetterCommands).  stmk and hash answer
 * nothing on a standalone server without digests, as measured. */
static const struct {
    const char *word;
    w_fn       *fn;
} zk_words[] = {
    { "ruok", w_ruok }, { "srvr", w_srvr }, { "stat", w_stat }, { "mntr", w_mntr },
    { "conf", w_conf }, { "cons", w_cons }, { "crst", w_crst }, { "srst", w_srst },
    { "envi", w_envi }, { "wchs", w_wchs }, { "wchc", w_wchc }, { "wchp", w_wchp },
    { "dump", w_dump }, { "isro", w_isro }, { "dirs", w_dirs }, { "gtmk", w_gtmk },
    { "stmk", w_nothing }, { "hash", w_nothing },
};

bool zk_4lw_known(const uint8_t *p)
{
    size_t i;

    for (i = 0; i < sizeof zk_words / sizeof zk_words[0]; i++)
        if (memcmp(p, zk_words[i].word, 4) == 0)
            return true;
    return false;
}

bool zk_4lw_answer(struct zk_server *s, const char *word, buf_t *out)
{
    size_t i;

    for (i = 0; i < sizeof zk_words / sizeof zk_words[0]; i++) {
        if (strcmp(word, zk_words[i].word) != 0)
            continue;
        if (!zk_config_4lw_allowed(s->cfg, word)) {
            buf_printf(out, "%s is not executed because it is not in the whitelist.\n",
                       word);
            return true;
        }
        if (!s->serving && strcmp(word, "ruok") != 0 && strcmp(word, "isro") != 0) {
            buf_puts(out, "This ZooKeeper instance is not currently serving requests\n");
            return true;
        }
        zk_words[i].fn(s, out);
        return true;
    }
    return false;
}
