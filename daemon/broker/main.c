/* odradek-broker: entry point.  Command line (DESIGN.md):
 *   odradek-broker [--daemon] [--pidfile P] [--print-config] [--log-level L]
 *                  CONFIG
 *   odradek-broker --stop [--pidfile P]
 * Loads server.properties (Kafka's keys and defaults, kf_config), starts
 * the broker (kf_server) on one libuv loop, tells the supervisor or
 * systemd READY=1 once it is listening, and shuts down cleanly on SIGTERM
 * or SIGINT.  Exit codes: 0 clean stop, 78 configuration error, 1
 * otherwise. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "cfg.h"
#include "err.h"
#include "kf_config.h"
#include "kf_server.h"
#include "log.h"
#include "notify.h"
#include "proc.h"

#define PROG "odradek-broker"
#define DEFAULT_PIDFILE "/run/odradek/odradek-broker.pid"

static struct kf_broker broker;
static uv_signal_t      sig_term, sig_int;
static bool             stopping;

static void usage(FILE *out)
{
    fprintf(out, "usage: " PROG " [--daemon] [--pidfile P] [--print-config] "
                 "[--log-level L] CONFIG\n"
                 "       " PROG " --stop [--pidfile P]\n"
                 "       " PROG " --help | --version\n\n"
                 "A Kafka-protocol broker.  CONFIG is a server.properties file "
                 "with Apache Kafka's\nkeys and defaults.  Keys (environment "
                 "overrides: ODRADEK_BROKER_<KEY>):\n\n");
    cfg_help(kf_config_keys, "ODRADEK_BROKER_", out);
}

static void on_stopped(void *arg)
{
    (void)arg;
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
}

static bool started;      /* kf_server_start returned */
static int  pending_sig;  /* a SIGTERM/SIGINT that came during start-up */

static void on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    if (!started) { /* start-up runs the loop: stop once it has finished */
        pending_sig = signum;
        return;
    }
    if (stopping)
        return;
    stopping = true;
    log_info("signal %d: shutting down", signum);
    notify_send("STOPPING=1");
    kf_server_stop(&broker, on_stopped, NULL);
}

int main(int argc, char **argv)
{
    struct proc_opts o;
    struct kf_config kc;
    cfg_t            c;
    uv_loop_t        loop;
    const char      *what = "start";
    int              rc, lvl;

    log_init("broker");
    if (proc_parse_args(argc, argv, PROG, &o) < 0)
        return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.version) {
        printf(PROG " %s\n", ODRADEK_VERSION);
        return 0;
    }
    if (o.stop) {
        rc = proc_stop(PROG, o.pidfile ? o.pidfile : DEFAULT_PIDFILE, 30000);
        return rc == 0 ? 0 : 1;
    }
    if (o.log_level != NULL) {
        lvl = log_level_parse(o.log_level);
        if (lvl < 0) {
            fprintf(stderr, PROG ": unknown log level %s\n", o.log_level);
            return 2;
        }
        log_set_level((enum log_level)lvl);
    }
    if (o.config == NULL) {
        fprintf(stderr, PROG ": a CONFIG file is required (try --help)\n");
        return 2;
    }
    kf_config_init(&c, &kc);
    rc = cfg_load_file(&c, o.config);
    if (rc < 0 && rc != ERR_CONFIG) {
        fprintf(stderr, PROG ": %s: %s\n", o.config, err_str(rc));
        kf_config_free(&c, &kc);
        return EX_CONFIG;
    }
    if (cfg_load_env(&c, NULL) < 0 || rc < 0 || kf_config_finish(&c, &kc) < 0) {
        kf_config_free(&c, &kc);
        return EX_CONFIG;
    }
    if (o.print_config) {
        cfg_print(&c, stdout);
        kf_config_free(&c, &kc);
        return 0;
    }
    if (o.daemon && proc_daemonize() < 0) {
        kf_config_free(&c, &kc);
        return 1;
    }
    if (o.daemon || o.pidfile != NULL) {
        rc = proc_pidfile_write(o.pidfile ? o.pidfile : DEFAULT_PIDFILE);
        if (rc < 0) {
            log_error("pidfile %s: %s", o.pidfile ? o.pidfile : DEFAULT_PIDFILE,
                      err_str(rc));
            if (o.daemon)
                proc_daemon_failed(1);
            kf_config_free(&c, &kc);
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    /* handlers first: a SIGTERM that arrives once the ports accept (a
     * supervisor stopping a broker it just started) must end in a clean
     * stop, not in the default action */
    uv_signal_init(&loop, &sig_term);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_init(&loop, &sig_int);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    rc = kf_server_start(&broker, &loop, &kc, &what);
    if (rc < 0) {
        log_error("%s: %s", what, err_str(rc));
        if (o.daemon)
            proc_daemon_failed(rc == ERR_CONFIG ? EX_CONFIG : 1);
        /* the loop may hold handles now; exit without tearing down */
        return rc == ERR_CONFIG ? EX_CONFIG : 1;
    }
    started = true;
    log_info("listening on %s:%d (advertised %s:%d), broker.id=%d, "
             "cluster.id=%s, %d topics",
             kc.listen_host[0] ? kc.listen_host : "0.0.0.0",
             kf_server_port(&broker), kc.adv_host, kc.adv_port, kc.broker_id,
             broker.cluster_id, kf_topics_count(broker.topics));
    notify_sendf("READY=1\nSTATUS=serving on port %d", kf_server_port(&broker));
    if (o.daemon)
        proc_daemon_ready();
    if (pending_sig != 0)
        on_signal(&sig_term, pending_sig);
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&loop);
    if (rc < 0)
        log_warn("loop close: %s", err_str(rc));
    if (o.daemon || o.pidfile != NULL)
        proc_pidfile_remove();
    kf_config_free(&c, &kc);
    log_info("stopped");
    return 0;
}
