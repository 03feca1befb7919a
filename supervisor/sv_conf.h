/* sv_conf: the supervisor's configuration (odradek.conf, INI over inih).
 *
 * Owns the program model as read from the file: one struct sv_prog_conf
 * per [program:NAME], the [supervisor] section, value parsing (booleans,
 * durations, signals, exit-code lists, environment lists, shell-like
 * command splitting, probe specs), %(here)s expansion, and whole-file
 * checks (unknown requires=, dependency cycles).  It does not run
 * anything: sv_sup.c turns a loaded config into running programs.
 *
 * Errors read "file:line: key: reason" and make the caller exit 78. */
#ifndef ODRADEK_SV_CONF_H
#define ODRADEK_SV_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SV_MAX_PROGS    64
#define SV_MAX_REQUIRES 8
#define SV_MAX_EXITCODES 16
#define SV_NAME_MAX     32

enum sv_autorestart { SV_RESTART_FALSE, SV_RESTART_UNEXPECTED, SV_RESTART_TRUE };

/* How readiness or liveness is checked.  NOTIFY means only READY=1 on the
 * program's own NOTIFY_SOCKET; a READY=1 there counts for every kind. */
enum sv_probe_kind {
    SV_PROBE_NONE = 0,   /* ready after startsecs */
    SV_PROBE_NOTIFY,     /* READY=1 */
    SV_PROBE_TCP,        /* connect succeeds */
    SV_PROBE_ZK_RUOK,    /* "ruok" -> "imok" (needs ruok whitelisted) */
    SV_PROBE_ZK_SRVR,    /* "srvr" -> "...Mode: ..." (always allowed) */
    SV_PROBE_KAFKA_APIVERSIONS, /* ApiVersions v0 round trip, error 0 */
    SV_PROBE_EXEC,       /* /bin/sh -c CMD exits 0 */
};

struct sv_probe_spec {
    enum sv_probe_kind kind;
    char               host[64]; /* numeric address (tcp, zk, kafka) */
    uint16_t           port;
    char              *cmd;      /* exec: owned */
};

struct sv_prog_conf {
    char     name[SV_NAME_MAX];
    char   **argv;          /* NULL-terminated, owned; argv[0] unresolved */
    char    *directory;     /* NULL: the supervisor's cwd */
    char   **env;           /* "K=V" additions, NULL-terminated, owned */
    char    *user;          /* NULL: do not change credentials */
    uid_t    uid;           /* resolved when user != NULL */
    gid_t    gid;
    int      umask;         /* -1: inherit */
    bool     autostart;
    enum sv_autorestart autorestart;
    int64_t  startsecs_ms;
    int      startretries;  /* 0: unlimited (backoff + intensity decide) */
    int      exitcodes[SV_MAX_EXITCODES];
    int      nexitcodes;
    int      stopsignal;
    int64_t  stopwaitsecs_ms;
    bool     stopasgroup;
    bool     killasgroup;
    int      deathsig;      /* PR_SET_PDEATHSIG signal */
    int      priority;
    bool     redirect_stderr;
    char    *stdout_logfile; /* NULL = AUTO, "NONE", or a path */
    int64_t  logfile_maxbytes;
    int      logfile_backups;
    char    *requires[SV_MAX_REQUIRES];
    int      nrequires;
    struct sv_probe_spec ready;
    int64_t  ready_interval_ms;
    int64_t  start_timeout_ms;  /* not ready by then: kill, restart */
    struct sv_probe_spec live;
    int64_t  live_interval_ms;
    int64_t  live_timeout_ms;
    int      live_failures;
    int64_t  backoff_base_ms;
    int64_t  backoff_cap_ms;
    int64_t  backoff_reset_ms;  /* ready this long: attempt count resets */
    int      intensity;         /* > intensity restarts in period: escalate */
    int64_t  period_ms;
    int64_t  rlimit_nofile;     /* -1: inherit */
    int64_t  rlimit_core;
    int64_t  rlimit_nproc;
    char    *fingerprint;       /* every key=value seen, for reload diffs */
    int      line;              /* where the section starts */
};

struct sv_conf {
    char   *path;           /* the file as given */
    char   *here;           /* its directory (for %(here)s) */
    char   *control_socket; /* NULL: no control socket */
    char   *log_dir;        /* NULL: AUTO logs go to stdout, prefixed */
    char   *state_file;     /* NULL: <control socket dir>/supervisor.state */
    int     intensity;      /* total restarts in period before escalation */
    int64_t period_ms;
    struct sv_prog_conf progs[SV_MAX_PROGS];
    int     nprogs;
};

/* Parse text (path is only used for %(here)s and messages).  On error
 * returns ERR_CONFIG (or -errno for an unreadable file) and writes
 * "file:line: key: reason" into err (size errlen).  *c must be zeroed or
 * freed; it is filled on success and left freed on failure.  User names
 * are resolved only when resolve_users is true (not in the fuzzer). */
int  sv_conf_load(struct sv_conf *c, const char *path, char *err,
                  size_t errlen);
int  sv_conf_load_string(struct sv_conf *c, const char *path,
                         const char *text, size_t len, bool resolve_users,
                         char *err, size_t errlen);
void sv_conf_free(struct sv_conf *c);
void sv_conf_prog_free(struct sv_prog_conf *p);
/* Deep copy (reload keeps programs past the old config's lifetime). */
void sv_conf_prog_copy(struct sv_prog_conf *dst, const struct sv_prog_conf *src);
const struct sv_prog_conf *sv_conf_find(const struct sv_conf *c,
                                        const char *name);

/* Value parsers, exposed for the unit tests.  All return 0 or ERR_CONFIG. */
int sv_conf_split_command(const char *s, char ***argv_out);
int sv_conf_parse_duration_ms(const char *s, int64_t *out);
int sv_conf_parse_signal(const char *s, int *out);
int sv_conf_parse_probe(const char *s, struct sv_probe_spec *out);
int sv_conf_parse_env(const char *s, char ***env_out);
const char *sv_conf_signal_name(int sig);
void sv_conf_strv_free(char **v);

#endif
