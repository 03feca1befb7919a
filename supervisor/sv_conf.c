/* sv_conf: odradek.conf into struct sv_conf (see sv_conf.h).
 *
 * The key tables below are the whole list of what the file may say; each
 * row names the key and the function that parses its value.  Values pass
 * through expand() first (%(here)s = the config file's directory,
 * %(program_name)s, %% = %), so the default config can name files next to
 * itself without absolute paths. */
#include "sv_conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "ini.h"
#include "log.h"
#include "xalloc.h"

#define SV_MAX_ARGS 256
#define SV_MAX_ENV  128

/* ---- value parsers ---------------------------------------------------- */

void sv_conf_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* Shell-like words: blanks separate; '...' is literal; "..." allows \" and
 * \\; a backslash outside quotes escapes the next character.  No
 * expansion of any kind: the program is exec'd, never given to a shell. */
int sv_conf_split_command(const char *s, char ***argv_out)
{
    char  **argv = xcalloc(SV_MAX_ARGS + 1, sizeof *argv);
    buf_t   w = BUF_INIT;
    int     n = 0, in_word = 0;
    char    q = 0;

    for (;; s++) {
        char ch = *s;

        if (q == '\'') {
            if (ch == '\0')
                goto bad;
            if (ch == '\'')
                q = 0;
            else
                buf_put_u8(&w, (uint8_t)ch);
            continue;
        }
        if (q == '"') {
            if (ch == '\0')
                goto bad;
            if (ch == '"') {
                q = 0;
            } else if (ch == '\\' && (s[1] == '"' || s[1] == '\\')) {
                buf_put_u8(&w, (uint8_t)*++s);
            } else {
                buf_put_u8(&w, (uint8_t)ch);
            }
            continue;
        }
        if (ch == '\0' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            if (in_word) {
                if (n == SV_MAX_ARGS)
                    goto bad;
                argv[n++] = xstrndup((const char *)(w.data ? w.data : (uint8_t *)""),
                                     w.len);
                buf_reset(&w);
                in_word = 0;
            }
            if (ch == '\0')
                break;
            continue;
        }
        in_word = 1;
        if (ch == '\'' || ch == '"') {
            q = ch;
        } else if (ch == '\\') {
            if (s[1] == '\0')
                goto bad;
            buf_put_u8(&w, (uint8_t)*++s);
        } else {
            buf_put_u8(&w, (uint8_t)ch);
        }
    }
    buf_free(&w);
    if (n == 0) {
        free(argv);
        return ERR_CONFIG;
    }
    *argv_out = argv;
    return 0;
bad:
    buf_free(&w);
    sv_conf_strv_free(argv);
    return ERR_CONFIG;
}

/* "10" (seconds), "0.25", "250ms", "10s", "2m", "1h"; 0 .. 7 days. */
int sv_conf_parse_duration_ms(const char *s, int64_t *out)
{
    char  *end;
    double v, mult = 1000.0;

    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return ERR_CONFIG;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0)
        return ERR_CONFIG;
    if (strcmp(end, "ms") == 0)
        mult = 1.0;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mult = 1000.0;
    else if (strcmp(end, "m") == 0)
        mult = 60000.0;
    else if (strcmp(end, "h") == 0)
        mult = 3600000.0;
    else
        return ERR_CONFIG;
    v *= mult;
    if (!(v >= 0.0 && v <= 7.0 * 86400000.0))
        return ERR_CONFIG;
    *out = (int64_t)v;
    return 0;
}

static const struct {
    const char *name;
    int         sig;
} sv_signals[] = {
    { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT },
    { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
    { "TERM", SIGTERM }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
    { "ALRM", SIGALRM }, { "WINCH", SIGWINCH }, { "ABRT", SIGABRT },
};

const char *sv_conf_signal_name(int sig)
{
    for (size_t i = 0; i < sizeof sv_signals / sizeof sv_signals[0]; i++)
        if (sv_signals[i].sig == sig)
            return sv_signals[i].name;
    return "?";
}

/* TERM, SIGTERM, or a number 1..64. */
int sv_conf_parse_signal(const char *s, int *out)
{
    char *end;
    long  v;

    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof sv_signals / sizeof sv_signals[0]; i++) {
        if (strcasecmp(s, sv_signals[i].name) == 0) {
            *out = sv_signals[i].sig;
            return 0;
        }
    }
    if (!isdigit((unsigned char)*s))
        return ERR_CONFIG;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > 64)
        return ERR_CONFIG;
    *out = (int)v;
    return 0;
}

/* HOST:PORT or [V6]:PORT; "localhost" means 127.0.0.1. */
static int sv_conf_parse_hostport(const char *s, struct sv_probe_spec *p)
{
    const char *colon;
    size_t      hl;
    char       *end;
    long        port;

    if (*s == '[') {
        const char *rb = strchr(s, ']');

        if (rb == NULL || rb[1] != ':')
            return ERR_CONFIG;
        hl = (size_t)(rb - s - 1);
        if (hl == 0 || hl >= sizeof p->host)
            return ERR_CONFIG;
        memcpy(p->host, s + 1, hl);
        p->host[hl] = '\0';
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return ERR_CONFIG;
        hl = (size_t)(colon - s);
        if (hl == 0 || hl >= sizeof p->host)
            return ERR_CONFIG;
        memcpy(p->host, s, hl);
        p->host[hl] = '\0';
        if (strcmp(p->host, "localhost") == 0)
            strcpy(p->host, "127.0.0.1");
    }
    if (!isdigit((unsigned char)colon[1]))
        return ERR_CONFIG;
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return ERR_CONFIG;
    p->port = (uint16_t)port;
    return 0;
}

static const struct {
    const char        *name;
    enum sv_probe_kind kind;
    int                arg; /* 0 none, 1 host:port, 2 command */
} sv_probe_kinds[] = {
    { "none", SV_PROBE_NONE, 0 },
    { "notify", SV_PROBE_NOTIFY, 0 },
    { "tcp", SV_PROBE_TCP, 1 },
    { "zk-ruok", SV_PROBE_ZK_RUOK, 1 },
    { "zk-srvr", SV_PROBE_ZK_SRVR, 1 },
    { "kafka-apiversions", SV_PROBE_KAFKA_APIVERSIONS, 1 },
    { "exec", SV_PROBE_EXEC, 2 },
};

int sv_conf_parse_probe(const char *s, struct sv_probe_spec *out)
{
    struct sv_probe_spec p;
    const char          *arg;
    size_t               kl;

    memset(&p, 0, sizeof p);
    while (isspace((unsigned char)*s))
        s++;
    kl = strcspn(s, " \t");
    arg = s + kl;
    while (isspace((unsigned char)*arg))
        arg++;
    for (size_t i = 0; i < sizeof sv_probe_kinds / sizeof sv_probe_kinds[0]; i++) {
        if (strlen(sv_probe_kinds[i].name) != kl ||
            strncmp(s, sv_probe_kinds[i].name, kl) != 0)
            continue;
        p.kind = sv_probe_kinds[i].kind;
        switch (sv_probe_kinds[i].arg) {
        case 0:
            if (*arg != '\0')
                return ERR_CONFIG;
            break;
        case 1:
            if (sv_conf_parse_hostport(arg, &p) < 0)
                return ERR_CONFIG;
            break;
        default:
            if (*arg == '\0')
                return ERR_CONFIG;
            p.cmd = xstrdup(arg);
            break;
        }
        free(out->cmd);
        *out = p;
        return 0;
    }
    return ERR_CONFIG;
}

/* supervisord's KEY="val",KEY2=val2 */
int sv_conf_parse_env(const char *s, char ***env_out)
{
    char **env = xcalloc(SV_MAX_ENV + 1, sizeof *env);
    int    n = 0;
    buf_t  kv = BUF_INIT;

    for (;;) {
        const char *k;

        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        k = s;
        if (!(isalpha((unsigned char)*s) || *s == '_'))
            goto bad;
        while (isalnum((unsigned char)*s) || *s == '_')
            s++;
        buf_reset(&kv);
        buf_put(&kv, k, (size_t)(s - k));
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s++ != '=')
            goto bad;
        buf_put_u8(&kv, '=');
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '"' || *s == '\'') {
            char q = *s++;

            while (*s != q) {
                if (*s == '\0')
                    goto bad;
                if (q == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
                    s++;
                buf_put_u8(&kv, (uint8_t)*s++);
            }
            s++;
            while (*s == ' ' || *s == '\t')
                s++;
        } else {
            const char *v = s;
            size_t      vl;

            while (*s != ',' && *s != '\0')
                s++;
            vl = (size_t)(s - v);
            while (vl > 0 && isspace((unsigned char)v[vl - 1]))
                vl--;
            buf_put(&kv, v, vl);
        }
        if (n == SV_MAX_ENV)
            goto bad;
        env[n++] = xstrdup(buf_cstr(&kv));
        if (*s == ',')
            s++;
        else if (*s != '\0')
            goto bad;
    }
    buf_free(&kv);
    *env_out = env;
    return 0;
bad:
    buf_free(&kv);
    sv_conf_strv_free(env);
    return ERR_CONFIG;
}

static int sv_conf_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = { "true", "yes", "on", "1" };
    static const char *no[] = { "false", "no", "off", "0" };

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return ERR_CONFIG;
}

static int sv_conf_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long  v;

    if (!(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
        return ERR_CONFIG;
    errno = 0;
    v = strtol(s, &end, 0);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return ERR_CONFIG;
    *out = v;
    return 0;
}

/* "50MB", "10KB", "1GB", "1024" */
static int sv_conf_parse_bytes(const char *s, int64_t *out)
{
    char     *end;
    long long v;
    int64_t   mult = 1;

    if (!isdigit((unsigned char)*s))
        return ERR_CONFIG;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0)
        return ERR_CONFIG;
    if (strcasecmp(end, "KB") == 0)
        mult = 1024;
    else if (strcasecmp(end, "MB") == 0)
        mult = 1024 * 1024;
    else if (strcasecmp(end, "GB") == 0)
        mult = 1024LL * 1024 * 1024;
    else if (*end != '\0')
        return ERR_CONFIG;
    if (v > (long long)(INT64_MAX / mult) || v > (1LL << 50))
        return ERR_CONFIG;
    *out = (int64_t)v * mult;
    return 0;
}

/* ---- program keys ----------------------------------------------------- */

struct sv_load; /* below */
typedef int sv_key_fn(struct sv_prog_conf *p, const char *v);

static int k_command(struct sv_prog_conf *p, const char *v)
{
    char **argv;

    if (sv_conf_split_command(v, &argv) < 0)
        return ERR_CONFIG;
    sv_conf_strv_free(p->argv);
    p->argv = argv;
    return 0;
}

static int k_directory(struct sv_prog_conf *p, const char *v)
{
    if (*v != '/')
        return ERR_CONFIG;
    free(p->directory);
    p->directory = xstrdup(v);
    return 0;
}

static int k_environment(struct sv_prog_conf *p, const char *v)
{
    char **env;

    if (sv_conf_parse_env(v, &env) < 0)
        return ERR_CONFIG;
    sv_conf_strv_free(p->env);
    p->env = env;
    return 0;
}

static int k_user(struct sv_prog_conf *p, const char *v)
{
    if (*v == '\0' || strlen(v) > 64)
        return ERR_CONFIG;
    free(p->user);
    p->user = xstrdup(v);
    return 0;
}

static int k_umask(struct sv_prog_conf *p, const char *v)
{
    char *end;
    long  m = strtol(v, &end, 8);

    if (*v == '\0' || *end != '\0' || m < 0 || m > 0777)
        return ERR_CONFIG;
    p->umask = (int)m;
    return 0;
}

static int k_autostart(struct sv_prog_conf *p, const char *v)
{
    return sv_conf_parse_bool(v, &p->autostart);
}

static int k_autorestart(struct sv_prog_conf *p, const char *v)
{
    bool b;

    if (strcasecmp(v, "unexpected") == 0) {
        p->autorestart = SV_RESTART_UNEXPECTED;
        return 0;
    }
    if (sv_conf_parse_bool(v, &b) < 0)
        return ERR_CONFIG;
    p->autorestart = b ? SV_RESTART_TRUE : SV_RESTART_FALSE;
    return 0;
}

#define DURATION_KEY(fn, field)                                                \
    static int fn(struct sv_prog_conf *p, const char *v)                       \
    {                                                                          \
        return sv_conf_parse_duration_ms(v, &p->field);                        \
    }
DURATION_KEY(k_startsecs, startsecs_ms)
DURATION_KEY(k_stopwaitsecs, stopwaitsecs_ms)
DURATION_KEY(k_ready_interval, ready_interval_ms)
DURATION_KEY(k_start_timeout, start_timeout_ms)
DURATION_KEY(k_live_interval, live_interval_ms)
DURATION_KEY(k_live_timeout, live_timeout_ms)
DURATION_KEY(k_backoff_base, backoff_base_ms)
DURATION_KEY(k_backoff_cap, backoff_cap_ms)
DURATION_KEY(k_backoff_reset, backoff_reset_ms)
DURATION_KEY(k_period, period_ms)

#define INT_KEY(fn, field, lo, hi)                                             \
    static int fn(struct sv_prog_conf *p, const char *v)                       \
    {                                                                          \
        long x;                                                                \
        if (sv_conf_parse_int(v, lo, hi, &x) < 0)                              \
            return ERR_CONFIG;                                                 \
        p->field = (int)x;                                                     \
        return 0;                                                              \
    }
INT_KEY(k_startretries, startretries, 0, 1000000)
INT_KEY(k_priority, priority, -1000000, 1000000)
INT_KEY(k_backups, logfile_backups, 0, 1000)
INT_KEY(k_live_failures, live_failures, 1, 1000)
INT_KEY(k_intensity, intensity, 0, 100000)

#define BOOL_KEY(fn, field)                                                    \
    static int fn(struct sv_prog_conf *p, const char *v)                       \
    {                                                                          \
        return sv_conf_parse_bool(v, &p->field);                               \
    }
BOOL_KEY(k_stopasgroup, stopasgroup)
BOOL_KEY(k_killasgroup, killasgroup)
BOOL_KEY(k_redirect_stderr, redirect_stderr)

static int k_stopsignal(struct sv_prog_conf *p, const char *v)
{
    return sv_conf_parse_signal(v, &p->stopsignal);
}

static int k_deathsig(struct sv_prog_conf *p, const char *v)
{
    return sv_conf_parse_signal(v, &p->deathsig);
}

static int k_exitcodes(struct sv_prog_conf *p, const char *v)
{
    char  tmp[256], *save = NULL, *tok;
    long  x;

    if (strlen(v) >= sizeof tmp)
        return ERR_CONFIG;
    strcpy(tmp, v);
    p->nexitcodes = 0;
    for (tok = strtok_r(tmp, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (p->nexitcodes == SV_MAX_EXITCODES ||
            sv_conf_parse_int(tok, 0, 255, &x) < 0)
            return ERR_CONFIG;
        p->exitcodes[p->nexitcodes++] = (int)x;
    }
    return 0;
}

static int k_logfile(struct sv_prog_conf *p, const char *v)
{
    if (strcmp(v, "AUTO") != 0 && strcmp(v, "NONE") != 0 && *v != '/')
        return ERR_CONFIG;
    free(p->stdout_logfile);
    p->stdout_logfile = strcmp(v, "AUTO") == 0 ? NULL : xstrdup(v);
    return 0;
}

static int k_maxbytes(struct sv_prog_conf *p, const char *v)
{
    return sv_conf_parse_bytes(v, &p->logfile_maxbytes);
}

static int k_requires(struct sv_prog_conf *p, const char *v)
{
    char  tmp[512], *save = NULL, *tok;

    if (strlen(v) >= sizeof tmp)
        return ERR_CONFIG;
    strcpy(tmp, v);
    for (int i = 0; i < p->nrequires; i++)
        free(p->requires[i]);
    p->nrequires = 0;
    for (tok = strtok_r(tmp, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (p->nrequires == SV_MAX_REQUIRES || strlen(tok) >= SV_NAME_MAX)
            return ERR_CONFIG;
        p->requires[p->nrequires++] = xstrdup(tok);
    }
    return 0;
}

static int k_ready(struct sv_prog_conf *p, const char *v)
{
    return sv_conf_parse_probe(v, &p->ready);
}

static int k_live(struct sv_prog_conf *p, const char *v)
{
    int rc = sv_conf_parse_probe(v, &p->live);

    /* liveness needs something to ask: READY=1 says nothing about later */
    if (rc == 0 && p->live.kind == SV_PROBE_NOTIFY)
        return ERR_CONFIG;
    return rc;
}

#define RLIMIT_KEY(fn, field)                                                  \
    static int fn(struct sv_prog_conf *p, const char *v)                       \
    {                                                                          \
        if (strcasecmp(v, "infinity") == 0 || strcasecmp(v, "unlimited") == 0) { \
            p->field = INT64_MAX;                                              \
            return 0;                                                          \
        }                                                                      \
        return sv_conf_parse_bytes(v, &p->field);                              \
    }
RLIMIT_KEY(k_rlimit_nofile, rlimit_nofile)
RLIMIT_KEY(k_rlimit_core, rlimit_core)
RLIMIT_KEY(k_rlimit_nproc, rlimit_nproc)

/* Every [program:x] key; this table is the documentation's checklist. */
static const struct sv_prog_key {
    const char *name;
    sv_key_fn  *set;
} sv_prog_keys[] = {
    { "command", k_command },
    { "directory", k_directory },
    { "environment", k_environment },
    { "user", k_user },
    { "umask", k_umask },
    { "autostart", k_autostart },
    { "autorestart", k_autorestart },
    { "startsecs", k_startsecs },
    { "startretries", k_startretries },
    { "exitcodes", k_exitcodes },
    { "stopsignal", k_stopsignal },
    { "stopwaitsecs", k_stopwaitsecs },
    { "stopasgroup", k_stopasgroup },
    { "killasgroup", k_killasgroup },
    { "deathsig", k_deathsig },
    { "priority", k_priority },
    { "redirect_stderr", k_redirect_stderr },
    { "stdout_logfile", k_logfile },
    { "stdout_logfile_maxbytes", k_maxbytes },
    { "stdout_logfile_backups", k_backups },
    { "requires", k_requires },
    { "ready", k_ready },
    { "ready_interval", k_ready_interval },
    { "start_timeout", k_start_timeout },
    { "live", k_live },
    { "live_interval", k_live_interval },
    { "live_timeout", k_live_timeout },
    { "live_failures", k_live_failures },
    { "backoff_base", k_backoff_base },
    { "backoff_cap", k_backoff_cap },
    { "backoff_reset", k_backoff_reset },
    { "restart_intensity", k_intensity },
    { "restart_period", k_period },
    { "rlimit_nofile", k_rlimit_nofile },
    { "rlimit_core", k_rlimit_core },
    { "rlimit_nproc", k_rlimit_nproc },
};
#define SV_NPROG_KEYS (sizeof sv_prog_keys / sizeof sv_prog_keys[0])

static void sv_prog_conf_defaults(struct sv_prog_conf *p)
{
    memset(p, 0, sizeof *p);
    p->umask = -1;
    p->autostart = true;
    p->autorestart = SV_RESTART_UNEXPECTED;
    p->startsecs_ms = 1000;
    p->exitcodes[0] = 0;
    p->nexitcodes = 1;
    p->stopsignal = SIGTERM;
    p->stopwaitsecs_ms = 10000;
    p->stopasgroup = true;   /* unlike supervisord: no orphaned grandchildren */
    p->killasgroup = true;
    p->deathsig = SIGKILL;
    p->priority = 999;
    p->logfile_maxbytes = 50LL * 1024 * 1024;
    p->logfile_backups = 10;
    p->ready_interval_ms = 250;
    p->start_timeout_ms = 300000;
    p->live_interval_ms = 10000;
    p->live_timeout_ms = 2000;
    p->live_failures = 3;
    p->backoff_base_ms = 1000;
    p->backoff_cap_ms = 60000;
    p->backoff_reset_ms = 60000;
    p->intensity = 5;
    p->period_ms = 300000;
    p->rlimit_nofile = -1;
    p->rlimit_core = -1;
    p->rlimit_nproc = -1;
}

void sv_conf_prog_free(struct sv_prog_conf *p)
{
    sv_conf_strv_free(p->argv);
    sv_conf_strv_free(p->env);
    free(p->directory);
    free(p->user);
    free(p->stdout_logfile);
    free(p->ready.cmd);
    free(p->live.cmd);
    free(p->fingerprint);
    for (int i = 0; i < p->nrequires; i++)
        free(p->requires[i]);
    memset(p, 0, sizeof *p);
}

static char **sv_strv_dup(char **v)
{
    size_t n = 0;
    char **out;

    if (v == NULL)
        return NULL;
    while (v[n])
        n++;
    out = xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i]);
    return out;
}

static char *sv_strdup0(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void sv_conf_prog_copy(struct sv_prog_conf *dst, const struct sv_prog_conf *src)
{
    *dst = *src;
    dst->argv = sv_strv_dup(src->argv);
    dst->env = sv_strv_dup(src->env);
    dst->directory = sv_strdup0(src->directory);
    dst->user = sv_strdup0(src->user);
    dst->stdout_logfile = sv_strdup0(src->stdout_logfile);
    dst->ready.cmd = sv_strdup0(src->ready.cmd);
    dst->live.cmd = sv_strdup0(src->live.cmd);
    dst->fingerprint = sv_strdup0(src->fingerprint);
    for (int i = 0; i < src->nrequires; i++)
        dst->requires[i] = xstrdup(src->requires[i]);
}

void sv_conf_free(struct sv_conf *c)
{
    for (int i = 0; i < c->nprogs; i++)
        sv_conf_prog_free(&c->progs[i]);
    free(c->path);
    free(c->here);
    free(c->control_socket);
    free(c->log_dir);
    free(c->state_file);
    memset(c, 0, sizeof *c);
}

const struct sv_prog_conf *sv_conf_find(const struct sv_conf *c, const char *name)
{
    for (int i = 0; i < c->nprogs; i++)
        if (strcmp(c->progs[i].name, name) == 0)
            return &c->progs[i];
    return NULL;
}

/* ---- the loader ------------------------------------------------------- */

struct sv_load {
    struct sv_conf      *c;
    char                *err;
    size_t               errlen;
    struct sv_prog_conf *cur;        /* program of the current section */
    char                 section[128];
    uint64_t             seen;       /* keys seen in the current section */
    buf_t                fp;         /* fingerprint of the current program */
};

static int sv_load_fail(struct sv_load *l, int line, const char *key,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int sv_load_fail(struct sv_load *l, int line, const char *key,
                        const char *fmt, ...)
{
    char    why[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(l->err, l->errlen, "%s:%d: %s: %s", l->c->path, line,
             key ? key : "", why);
    return ERR_CONFIG;
}

/* %(here)s, %(program_name)s, %% */
static int sv_expand(struct sv_load *l, const char *v, buf_t *out)
{
    buf_reset(out);
    for (; *v; v++) {
        if (*v != '%') {
            buf_put_u8(out, (uint8_t)*v);
            continue;
        }
        if (v[1] == '%') {
            buf_put_u8(out, '%');
            v++;
        } else if (strncmp(v, "%(here)s", 8) == 0) {
            buf_puts(out, l->c->here);
            v += 7;
        } else if (strncmp(v, "%(program_name)s", 16) == 0 && l->cur) {
            buf_puts(out, l->cur->name);
            v += 15;
        } else {
            return ERR_CONFIG;
        }
    }
    buf_cstr(out);
    return 0;
}

static int sv_valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= SV_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static void sv_load_end_section(struct sv_load *l)
{
    if (l->cur) {
        free(l->cur->fingerprint);
        l->cur->fingerprint = xstrdup(buf_cstr(&l->fp));
    }
    buf_reset(&l->fp);
    l->cur = NULL;
    l->seen = 0;
}

static int sv_load_section(struct sv_load *l, const char *section, int line)
{
    sv_load_end_section(l);
    snprintf(l->section, sizeof l->section, "%s", section);
    if (strcmp(section, "supervisor") == 0)
        return 0;
    if (strncmp(section, "program:", 8) != 0)
        return sv_load_fail(l, line, section[0] ? section : "(no section)",
                            "unknown section (or a key before any section, "
                            "or a broken [header] above)");
    if (!sv_valid_name(section + 8))
        return sv_load_fail(l, line, section,
                            "program name must be 1-31 of [A-Za-z0-9_.-]");
    if (sv_conf_find(l->c, section + 8))
        return sv_load_fail(l, line, section, "program defined twice");
    if (l->c->nprogs == SV_MAX_PROGS)
        return sv_load_fail(l, line, section, "more than %d programs",
                            SV_MAX_PROGS);
    l->cur = &l->c->progs[l->c->nprogs++];
    sv_prog_conf_defaults(l->cur);
    strcpy(l->cur->name, section + 8);
    l->cur->line = line;
    return 0;
}

static int sv_load_supervisor_key(struct sv_load *l, const char *key,
                                  const char *v, int line)
{
    struct sv_conf *c = l->c;
    long            x;

    if (strcmp(key, "control_socket") == 0 || strcmp(key, "log_dir") == 0 ||
        strcmp(key, "state_file") == 0) {
        char **slot = key[0] == 'c' ? &c->control_socket
                    : key[0] == 'l' ? &c->log_dir : &c->state_file;

        if (*v != '\0' && *v != '/')
            return sv_load_fail(l, line, key, "must be an absolute path "
                                "(use %%(here)s for the config's directory)");
        if (key[0] == 'c' && strlen(v) >= 100)
            return sv_load_fail(l, line, key, "longer than a unix socket path");
        free(*slot);
        *slot = *v ? xstrdup(v) : NULL;
        return 0;
    }
    if (strcmp(key, "restart_intensity") == 0) {
        if (sv_conf_parse_int(v, 0, 100000, &x) < 0)
            return sv_load_fail(l, line, key, "not a count 0..100000");
        c->intensity = (int)x;
        return 0;
    }
    if (strcmp(key, "restart_period") == 0) {
        if (sv_conf_parse_duration_ms(v, &c->period_ms) < 0)
            return sv_load_fail(l, line, key, "not a duration");
        return 0;
    }
    log_warn("%s:%d: %s: unknown key in [supervisor], ignored", c->path,
             line, key);
    return 0;
}

static int sv_load_on_key(void *ud, const char *section, const char *key,
                          const char *value, int line)
{
    struct sv_load *l = ud;
    buf_t           v = BUF_INIT;
    int             rc = 0;

    if (strcmp(section, l->section) != 0 || l->section[0] == '\0') {
        rc = sv_load_section(l, section, line);
        if (rc < 0)
            return rc;
    }
    if (sv_expand(l, value, &v) < 0) {
        buf_free(&v);
        return sv_load_fail(l, line, key, "unknown %%(...)s expansion");
    }
    if (l->cur == NULL) {
        rc = sv_load_supervisor_key(l, key, (const char *)v.data, line);
        buf_free(&v);
        return rc;
    }
    for (size_t i = 0; i < SV_NPROG_KEYS; i++) {
        if (strcmp(sv_prog_keys[i].name, key) != 0)
            continue;
        if (l->seen & (1ULL << i)) {
            buf_free(&v);
            return sv_load_fail(l, line, key, "given twice (an indented line "
                                "continues the previous value)");
        }
        l->seen |= 1ULL << i;
        if (sv_prog_keys[i].set(l->cur, (const char *)v.data) < 0) {
            rc = sv_load_fail(l, line, key, "bad value '%.64s'",
                              (const char *)v.data);
        } else {
            buf_printf(&l->fp, "%s=%s\n", key, (const char *)v.data);
        }
        buf_free(&v);
        return rc;
    }
    buf_free(&v);
    log_warn("%s:%d: %s: unknown key in [%s], ignored", l->c->path, line, key,
             section);
    return 0;
}

/* Whole-file checks once every section is read. */
static int sv_load_check(struct sv_load *l, bool resolve_users)
{
    struct sv_conf *c = l->c;

    for (int i = 0; i < c->nprogs; i++) {
        struct sv_prog_conf *p = &c->progs[i];

        if (p->argv == NULL)
            return sv_load_fail(l, p->line, "command", "[program:%s] has no "
                                "command", p->name);
        if (p->backoff_cap_ms < p->backoff_base_ms)
            return sv_load_fail(l, p->line, "backoff_cap", "smaller than "
                                "backoff_base in [program:%s]", p->name);
        for (int r = 0; r < p->nrequires; r++) {
            if (strcmp(p->requires[r], p->name) == 0)
                return sv_load_fail(l, p->line, "requires", "[program:%s] "
                                    "requires itself", p->name);
            if (sv_conf_find(c, p->requires[r]) == NULL)
                return sv_load_fail(l, p->line, "requires", "[program:%s] "
                                    "requires unknown program '%s'", p->name,
                                    p->requires[r]);
        }
        if (p->user && resolve_users) {
            struct passwd *pw = getpwnam(p->user);

            if (pw == NULL)
                return sv_load_fail(l, p->line, "user", "no such user '%s'",
                                    p->user);
            p->uid = pw->pw_uid;
            p->gid = pw->pw_gid;
        }
    }
    /* cycles: with n programs, a chain of requires longer than n loops */
    for (int i = 0; i < c->nprogs; i++) {
        const struct sv_prog_conf *p = &c->progs[i];
        int depth = 0;
        /* depth-first over the first unvisited path is enough for a
         * bound: walk every path with an explicit stack */
        const struct sv_prog_conf *stack[SV_MAX_PROGS + 1];
        int idx[SV_MAX_PROGS + 1];

        stack[0] = p;
        idx[0] = 0;
        while (depth >= 0) {
            const struct sv_prog_conf *top = stack[depth];

            if (idx[depth] >= top->nrequires) {
                depth--;
                continue;
            }
            const struct sv_prog_conf *next =
                sv_conf_find(c, top->requires[idx[depth]++]);
            if (next == p || depth + 1 > c->nprogs)
                return sv_load_fail(l, p->line, "requires", "dependency "
                                    "cycle through [program:%s]", p->name);
            stack[++depth] = next;
            idx[depth] = 0;
        }
    }
    return 0;
}

int sv_conf_load_string(struct sv_conf *c, const char *path, const char *text,
                        size_t len, bool resolve_users, char *err, size_t errlen)
{
    struct sv_load l;
    const char    *slash;
    int            rc, line = 0;

    memset(c, 0, sizeof *c);
    memset(&l, 0, sizeof l);
    l.c = c;
    l.err = err;
    l.errlen = errlen;
    if (errlen)
        err[0] = '\0';
    c->path = xstrdup(path);
    slash = strrchr(path, '/');
    if (slash == NULL)
        c->here = xstrdup(".");
    else if (slash == path)
        c->here = xstrdup("/");
    else
        c->here = xstrndup(path, (size_t)(slash - path));
    c->intensity = 10;
    c->period_ms = 300000;

    rc = ini_load_string(text, len, sv_load_on_key, &l, &line);
    if (rc == 0) {
        sv_load_end_section(&l);
        rc = sv_load_check(&l, resolve_users);
    } else if (err[0] == '\0') {
        sv_load_fail(&l, line, "", "%s", rc == ERR_MALFORMED
                     ? "syntax error or line too long" : err_str(rc));
        rc = ERR_CONFIG;
    }
    buf_free(&l.fp);
    if (rc < 0) {
        sv_conf_free(c);
        return ERR_CONFIG;
    }
    return 0;
}

int sv_conf_load(struct sv_conf *c, const char *path, char *err, size_t errlen)
{
    FILE  *f;
    buf_t  text = BUF_INIT;
    char   chunk[8192];
    size_t n;
    char   abspath[PATH_MAX];
    int    rc;

    memset(c, 0, sizeof *c);
    f = fopen(path, "re");
    if (f == NULL) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, err_str(rc));
        return rc;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_put(&text, chunk, n);
        if (text.len > (1 << 20)) {
            fclose(f);
            buf_free(&text);
            snprintf(err, errlen, "%s: larger than 1 MiB", path);
            return ERR_CONFIG;
        }
    }
    fclose(f);
    /* %(here)s must be absolute: the supervisor never chdirs, but its
     * programs may (directory=) */
    if (realpath(path, abspath) == NULL)
        snprintf(abspath, sizeof abspath, "%s", path);
    rc = sv_conf_load_string(c, abspath, text.data ? (const char *)text.data : "",
                             text.len, true, err, errlen);
    buf_free(&text);
    return rc;
}
