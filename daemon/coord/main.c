/* odradek-coord: entry point.
 *
 *   odradek-coord [--daemon] [--pidfile P] [--print-config] CONFIG
 *   odradek-coord --stop [--pidfile P]
 *
 * Owns: the command line, loading the configuration (exit 78 on a bad
 * value), detaching, the pidfile, signals (SIGTERM/SIGINT stop cleanly),
 * and READY=1 once recovery is done and the port is listening.  Everything
 * else is zk_server's. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "cfg.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "proc.h"
#include "zk_config.h"
#include "zk_server.h"

#define PROG            "odradek-coord"
#define DEFAULT_PIDFILE "/run/odradek/odradek-coord.pid"

static struct zk_server server;
static uv_signal_t      sigterm, sigint, sigpipe_ignored;
static int              exit_code;

static void on_sig_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_stopped(struct zk_server *s)
{
    if (s->fatal)
        exit_code = 1;
    uv_close((uv_handle_t *)&sigterm, on_sig_closed);
    uv_close((uv_handle_t *)&sigint, on_sig_closed);
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    log_info("signal %d: shutting down", signum);
    notify_send("STOPPING=1");
    zk_server_stop(&server, on_stopped);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [--daemon] [--pidfile P] [--print-config] [--log-level L] CONFIG\n"
            "       " PROG " --stop [--pidfile P]\n"
            "A ZooKeeper 3.8 compatible coordination server (standalone).\n"
            "CONFIG is a zoo.cfg / zookeeper.properties file; keys:\n");
    cfg_help(zk_config_keys, ZK_CONFIG_ENV_PREFIX, out);
}

int main(int argc, char **argv)
{
    struct proc_opts o;
    struct zk_config zc;
    cfg_t            cfg;
    uv_loop_t       *loop;
    int              rc, level;

    log_init("coord");
    signal(SIGPIPE, SIG_IGN);
    if (proc_parse_args(argc, argv, PROG, &o) < 0)
        return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.version) {
        printf(PROG " %s (ZooKeeper 3.8 protocol)\n", ODRADEK_VERSION);
        return 0;
    }
    if (o.stop) {
        rc = proc_stop(PROG, o.pidfile ? o.pidfile : DEFAULT_PIDFILE, 30000);
        return rc == 0 ? 0 : 1;
    }
    if (o.log_level) {
        level = log_level_parse(o.log_level);
        if (level < 0) {
            fprintf(stderr, PROG ": unknown log level %s\n", o.log_level);
            return 2;
        }
        log_set_level((enum log_level)level);
    }
    rc = zk_config_load(&cfg, &zc, o.config);
    if (rc < 0) {
        if (rc != ERR_CONFIG)
            fprintf(stderr, PROG ": %s: %s\n", o.config, err_str(rc));
        cfg_free(&cfg);
        return EX_CONFIG;
    }
    if (o.print_config) {
        cfg_print(&cfg, stdout);
        cfg_free(&cfg);
        return 0;
    }
    if (o.daemon && (rc = proc_daemonize()) < 0) {
        log_error("cannot detach: %s", err_str(rc));
        cfg_free(&cfg);
        return 1;
    }
    if ((o.daemon || o.pidfile) &&
        (rc = proc_pidfile_write(o.pidfile ? o.pidfile : DEFAULT_PIDFILE)) < 0) {
        log_error("pidfile %s: %s", o.pidfile ? o.pidfile : DEFAULT_PIDFILE, err_str(rc));
        if (o.daemon)
            proc_daemon_failed(1);
        cfg_free(&cfg);
        return 1;
    }
    loop = uv_default_loop();
    /* handlers before the port opens: a SIGTERM the instant it accepts
     * waits for uv_run and stops cleanly instead of killing the process */
    uv_signal_init(loop, &sigterm);
    uv_signal_init(loop, &sigint);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_signal_start(&sigint, on_signal, SIGINT);
    rc = zk_server_start(&server, loop, &zc);
    if (rc < 0) {
        /* logged by zk_server_start; the process exit releases the rest */
        if (o.daemon)
            proc_daemon_failed(1);
        proc_pidfile_remove();
        cfg_free(&cfg);
        return 1;
    }
    (void)sigpipe_ignored;
    log_info("serving ZooKeeper clients on %s:%d (dataDir %s, txn log %s, forceSync=%s)",
             zc.client_port_address, zk_server_port(&server), zc.data_dir,
             zk_config_log_dir(&zc), zc.force_sync ? "yes" : "no");
    notify_sendf("READY=1\nSTATUS=serving on port %d", zk_server_port(&server));
    if (o.daemon)
        proc_daemon_ready();
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    proc_pidfile_remove();
    cfg_free(&cfg);
    log_info("stopped");
    return exit_code;
}
