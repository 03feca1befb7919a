/* proc: what every daemon's main() shares: --daemon (detach, pidfile),
 * --stop (signal the pid in the pidfile and wait, like kafka-server-stop.sh),
 * and the common command line
 *   PROG [--daemon] [--pidfile P] [--print-config] [--log-level L] CONFIG
 *   PROG --stop [--pidfile P]
 *   PROG --help | --version
 * It knows nothing of Kafka or ZooKeeper. */
#ifndef ODRADEK_PROC_H
#define ODRADEK_PROC_H

#include <stdbool.h>
#include <sys/types.h>

struct proc_opts {
    bool        daemon;
    bool        print_config;
    bool        stop;
    bool        help;
    bool        version;
    const char *pidfile;   /* NULL: no pidfile (default for --daemon is
                              the program's own default) */
    const char *config;    /* the CONFIG argument, or NULL */
    const char *log_level; /* NULL: keep */
};

/* Parses argv.  Prints "PROG: reason" and returns ERR_MALFORMED on bad
 * usage (the caller exits 2).  Unknown options are errors. */
int proc_parse_args(int argc, char **argv, const char *prog,
                    struct proc_opts *o);

/* Detach: fork, setsid, fork, chdir("/"), stdin from /dev/null.  stdout
 * and stderr are kept (point them at a log file first if wanted).  The
 * original process exits 0 only after the daemon called
 * proc_daemon_ready() (or 1 if it exited first), so `PROG --daemon && next`
 * is safe.  Returns 0 in the daemon. */
int  proc_daemonize(void);
/* In the daemon: tell the waiting parent that start-up is done. */
void proc_daemon_ready(void);
/* Report a start-up failure to the waiting parent (its exit code). */
void proc_daemon_failed(int exit_code);

/* Writes our pid to path (O_CLOEXEC, locked with flock so a second
 * instance fails with UV_EBUSY).  Keeps the fd open for the process
 * lifetime.  Returns 0 or < 0. */
int  proc_pidfile_write(const char *path);
void proc_pidfile_remove(void);
/* Reads a pid from path; returns it (> 0) or < 0. */
pid_t proc_pidfile_read(const char *path);
/* SIGTERM the pid in path and wait up to timeout_ms for it to exit.
 * Prints a one-line report to stderr.  Returns 0 stopped, ERR_NOTFOUND no
 * such process / no pidfile, ERR_TIMEOUT still running. */
int  proc_stop(const char *prog, const char *pidfile, int timeout_ms);

#endif
