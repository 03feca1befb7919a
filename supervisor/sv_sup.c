/* sv_sup: the running supervisor (see sv_sup.h).
 *
 * Every program change goes through sv_prog_event(): the table in
 * sv_state.c says where an event leads and which action to run, and this
 * file runs the action.  After any change sv_sup_settle() looks at the
 * whole set again: starts what waits for its dependencies, stops what may
 * stop (dependants first) when shutting down, tells our manager READY=1
 * once everything is ready, and ends the loop when everything is down.
 *
 * What this file does not do: parse the config (sv_conf.c), fork/exec and
 * reap (sv_spawn.c), talk to the programs' ports (sv_probe.c), write logs
 * (sv_log.c), speak the control protocol (sv_ctl.c). */
#include "sv_sup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "clock.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "sv_backoff.h"
#include "sv_intensity.h"
#include "sv_ctl.h"
#include "sv_log.h"
#include "sv_probe.h"
#include "sv_spawn.h"
#include "sv_state.h"
#include "xalloc.h"

extern char **environ;

enum sv_after { SV_AFTER_NONE, SV_AFTER_START, SV_AFTER_BACKOFF };

struct sv_pipe {                 /* one output pipe; freed on close */
    uv_pipe_t       h;           /* h.data == this */
    struct sv_prog *prog;        /* NULL once detached */
};

struct sv_prog {
    struct sv_sup      *sup;
    struct sv_prog_conf conf;          /* owned copy */
    struct sv_prog_conf next_conf;     /* reload: applied once stopped */
    bool                has_next_conf;
    enum sv_state       state;
    pid_t               pid;
    int64_t             state_ms;      /* when the state was entered */
    int64_t             started_ms;
    int64_t             ready_ms;      /* when READY was entered, or 0 */
    int64_t             ready_for_ms;  /* how long the last run was ready */
    int                 failed_starts;
    int                 restarts;
    int                 last_code;     /* last exit code / -signal; INT_MIN none */
    enum sv_after       after_stop;
    bool                pending_start; /* start once the requires are READY */
    bool                removed;       /* dropped by reload: free when down */
    struct sv_backoff   backoff;
    struct sv_intensity intensity;
    uv_timer_t          timer;         /* startsecs / backoff / stopwait */
    enum sv_event       timer_ev;
    uv_timer_t          start_timer;   /* start_timeout */
    uv_timer_t          probe_timer;   /* readiness and liveness schedule */
    struct sv_probe    *probe;
    int                 live_fails;
    int                 nfd;           /* our end of its NOTIFY_SOCKET */
    uv_poll_t           npoll;
    char                nsock[108];    /* "@odradek-sv/..." */
    struct sv_pipe     *pipes[2];
    struct sv_log       log;
    char                status[160];   /* its last STATUS= */
    int                 open_handles;  /* freed when 0 after close */
};

struct sv_sup {
    uv_loop_t            *loop;
    struct sv_sup_opts    opts;
    struct sv_conf        conf;        /* current file (progs copied out) */
    struct sv_prog       *progs[SV_MAX_PROGS];
    int                   nprogs;
    struct sv_intensity   intensity;   /* total */
    uv_signal_t           sigs[24];
    int                   nsigs;
    uv_timer_t            watchdog;
    int64_t               watchdog_ms;
    int64_t               watchdog_due;
    struct sv_ctl        *ctl;
    int                   state_fd;    /* locked state file, or -1 */
    bool                  shutting_down;
    bool                  done;
    bool                  ready_sent;
    int                   exit_code;
    char                  last_status[512];
};

static void sv_prog_event(struct sv_prog *p, enum sv_event ev);
static void sv_sup_settle(struct sv_sup *s);
static void sv_sup_shutdown(struct sv_sup *s, int code, const char *why);

/* ---- small helpers ---------------------------------------------------- */

static uint64_t sv_random(void)
{
    uint64_t r;

    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint64_t)clock_mono_ns() * 0x9e3779b97f4a7c15ULL;
    return r;
}

static struct sv_prog *sv_sup_find(struct sv_sup *s, const char *name)
{
    for (int i = 0; i < s->nprogs; i++)
        if (strcmp(s->progs[i]->conf.name, name) == 0)
            return s->progs[i];
    return NULL;
}

static bool sv_prog_up(const struct sv_prog *p)
{
    return sv_state_has_process(p->state) || p->state == SV_BACKOFF;
}

static bool sv_prog_deps_ready(struct sv_prog *p)
{
    for (int i = 0; i < p->conf.nrequires; i++) {
        struct sv_prog *d = sv_sup_find(p->sup, p->conf.requires[i]);

        if (d == NULL || d->state != SV_READY)
            return false;
    }
    return true;
}

/* ---- the state file: stale children of a supervisor that was killed --- */

/* Field 22 of /proc/PID/stat (start time in clock ticks), or 0. */
static unsigned long long sv_proc_starttime(pid_t pid)
{
    char               path[64], buf[1024], *p;
    unsigned long long v = 0;
    int                fd, field;
    ssize_t            n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    /* after ") " comes field 3 (state) */
    for (field = 3, p += 2; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    if (field == 22)
        v = strtoull(p, NULL, 10);
    return v;
}

static void sv_sup_state_write(struct sv_sup *s)
{
    buf_t b = BUF_INIT;

    if (s->state_fd < 0)
        return;
    buf_printf(&b, "# odradek-supervisor %d: pid pgid starttime name\n",
               (int)getpid());
    for (int i = 0; i < s->nprogs; i++) {
        struct sv_prog *p = s->progs[i];

        if (p->pid > 0)
            buf_printf(&b, "%d %d %llu %s\n", (int)p->pid, (int)p->pid,
                       sv_proc_starttime(p->pid), p->conf.name);
    }
    if (ftruncate(s->state_fd, 0) == 0 &&
        pwrite(s->state_fd, b.data, b.len, 0) != (ssize_t)b.len)
        log_warn("state file: short write");
    buf_free(&b);
}

/* Kill the process groups a previous supervisor left behind.  Bounded:
 * SIGTERM, up to 2 s for them to go, then SIGKILL. */
static void sv_sup_stale_cleanup(int fd)
{
    char   text[8192], *line, *save = NULL;
    pid_t  groups[SV_MAX_PROGS];
    int    ngroups = 0;
    ssize_t n = pread(fd, text, sizeof text - 1, 0);

    if (n <= 0)
        return;
    text[n] = '\0';
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        int                pid, pgid;
        unsigned long long st;
        char               name[SV_NAME_MAX];
        unsigned long long now;

        if (line[0] == '#' || sscanf(line, "%d %d %llu %31s", &pid, &pgid,
                                     &st, name) != 4 || pid <= 1 || pgid <= 1 ||
            pgid == getpgrp() || ngroups == SV_MAX_PROGS)
            continue;
        now = sv_proc_starttime(pid);
        if (now != 0 && now != st)
            continue;           /* the pid was reused: not ours */
        if (kill(-pgid, 0) < 0)
            continue;           /* nothing left of that group */
        log_warn("%s: process group %d survived a previous supervisor: "
                 "stopping it", name, pgid);
        kill(-pgid, SIGTERM);
        kill(-pgid, SIGCONT);
        groups[ngroups++] = pgid;
    }
    for (int wait = 0; wait < 200 && ngroups > 0; wait++) {
        int alive = 0;

        sv_spawn_reap();        /* they may be our children (subreaper) */
        for (int i = 0; i < ngroups; i++)
            if (kill(-groups[i], 0) == 0)
                alive++;
        if (alive == 0)
            return;
        usleep(10000);
    }
    for (int i = 0; i < ngroups; i++)
        if (kill(-groups[i], SIGKILL) == 0)
            log_warn("process group %d: SIGKILL", groups[i]);
}

static int sv_mkdir_p(const char *dir)
{
    char tmp[PATH_MAX];

    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int sv_sup_state_open(struct sv_sup *s)
{
    char  path[PATH_MAX];
    char *slash;
    int   fd, rc;

    s->state_fd = -1;
    if (s->conf.state_file) {
        snprintf(path, sizeof path, "%s", s->conf.state_file);
    } else if (s->conf.control_socket) {
        snprintf(path, sizeof path, "%s", s->conf.control_socket);
        slash = strrchr(path, '/');
        snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
                 "odradek-supervisor.state");
    } else {
        log_warn("no control_socket and no state_file: children of a killed "
                 "supervisor cannot be found at the next start");
        return 0;
    }
    slash = strrchr(path, '/');
    if (slash && slash != path) {
        *slash = '\0';
        rc = sv_mkdir_p(path);
        *slash = '/';
        if (rc < 0) {
            log_error("%s: %s", path, err_str(rc));
            return rc;
        }
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        rc = -errno;
        log_error("state file %s: %s", path, err_str(rc));
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        log_error("state file %s is locked: another odradek-supervisor is "
                  "running", path);
        close(fd);
        return UV_EBUSY;
    }
    sv_sup_stale_cleanup(fd);
    s->state_fd = fd;
    sv_sup_state_write(s);
    return 0;
}

/* ---- notify towards our manager -------------------------------------- */

static void sv_sup_status_line(struct sv_sup *s, buf_t *b)
{
    for (int i = 0; i < s->nprogs; i++) {
        struct sv_prog *p = s->progs[i];

        buf_printf(b, "%s%s:%s", i ? " " : "", p->conf.name,
                   sv_state_name(p->state));
        if (p->state == SV_BACKOFF || (p->state == SV_STARTING && p->restarts))
            buf_printf(b, " (attempt %u)", p->backoff.attempt + 1);
    }
}

static void sv_sup_notify_status(struct sv_sup *s)
{
    buf_t b = BUF_INIT;

    sv_sup_status_line(s, &b);
    if (strcmp(buf_cstr(&b), s->last_status) != 0) {
        snprintf(s->last_status, sizeof s->last_status, "%s", buf_cstr(&b));
        notify_sendf("STATUS=%s", s->last_status);
    }
    buf_free(&b);
}

static void sv_sup_on_watchdog(uv_timer_t *t)
{
    struct sv_sup *s = t->data;
    int64_t        now = clock_mono_ms();

    /* The loop is healthy if this tick came about on time: a loop stuck
     * for longer than half the watchdog interval stops the pings and lets
     * the manager act. */
    if (now - s->watchdog_due <= s->watchdog_ms)
        notify_send("WATCHDOG=1");
    else
        log_warn("event loop lagged %lld ms: WATCHDOG=1 skipped",
                 (long long)(now - s->watchdog_due));
    s->watchdog_due = now + s->watchdog_ms;
}

/* ---- program plumbing: pipes, notify socket, probes, timers ----------- */

static void sv_pipe_on_closed(uv_handle_t *h)
{
    free(h->data);
}

static void sv_pipe_close(struct sv_pipe *pp)
{
    if (pp == NULL)
        return;
    if (pp->prog) {
        for (int i = 0; i < 2; i++)
            if (pp->prog->pipes[i] == pp)
                pp->prog->pipes[i] = NULL;
        pp->prog = NULL;
    }
    uv_close((uv_handle_t *)&pp->h, sv_pipe_on_closed);
}

static void sv_pipe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static char chunk[65536];

    (void)h;
    (void)hint;
    *b = uv_buf_init(chunk, sizeof chunk); /* used before the next read */
}

static void sv_pipe_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct sv_pipe *pp = st->data;

    if (n > 0 && pp->prog)
        sv_log_write(&pp->prog->log, (const uint8_t *)b->base, (size_t)n);
    if (n < 0) {
        if (pp->prog)
            sv_log_flush(&pp->prog->log);
        sv_pipe_close(pp);
    }
}

static int sv_pipe_new(struct sv_prog *p, int slot, int *child_fd)
{
    int             fds[2], rc;
    struct sv_pipe *pp;

    if (p->pipes[slot])
        sv_pipe_close(p->pipes[slot]); /* a grandchild may still hold it */
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    /* the child's end must block like any ordinary stdout */
    fcntl(fds[1], F_SETFL, 0);
    pp = xcalloc(1, sizeof *pp);
    pp->prog = p;
    uv_pipe_init(p->sup->loop, &pp->h, 0);
    pp->h.data = pp;
    rc = uv_pipe_open(&pp->h, fds[0]);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&pp->h, sv_pipe_alloc, sv_pipe_on_read);
    if (rc < 0) {
        close(fds[1]);
        pp->prog = NULL;
        uv_close((uv_handle_t *)&pp->h, sv_pipe_on_closed);
        return rc;
    }
    p->pipes[slot] = pp;
    *child_fd = fds[1];
    return 0;
}

/* A datagram on the program's NOTIFY_SOCKET: READY=1, STATUS=... */
static void sv_prog_on_notify(uv_poll_t *h, int status, int events)
{
    struct sv_prog *p = h->data;

    (void)events;
    if (status < 0)
        return;
    for (int budget = 0; budget < 64; budget++) {
        char            data[4096];
        union {
            struct cmsghdr h;
            char           b[CMSG_SPACE(sizeof(struct ucred))];
        } ctrl;
        struct iovec    iov = { data, sizeof data - 1 };
        struct msghdr   m = { 0 };
        struct cmsghdr *c;
        struct ucred   *cred = NULL;
        ssize_t         n;
        bool            ours;

        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = ctrl.b;
        m.msg_controllen = sizeof ctrl.b;
        n = recvmsg(p->nfd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
            return;
        data[n] = '\0';
        for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                cred = (struct ucred *)CMSG_DATA(c);
        /* only the program or its process group may speak for it */
        ours = cred && p->pid > 0 &&
               (cred->pid == p->pid || getpgid(cred->pid) == p->pid);
        if (!ours) {
            log_debug("%s: notify datagram from pid %d ignored", p->conf.name,
                      cred ? (int)cred->pid : -1);
            continue;
        }
        for (char *save = NULL, *l = strtok_r(data, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            if (strncmp(l, "STATUS=", 7) == 0)
                snprintf(p->status, sizeof p->status, "%s", l + 7);
            else if (strcmp(l, "READY=1") == 0)
                sv_prog_event(p, SV_EV_READY);
        }
    }
}

static int sv_prog_notify_open(struct sv_prog *p)
{
    struct sockaddr_un sa;
    socklen_t          len;
    int                one = 1, n, rc;

    n = snprintf(p->nsock, sizeof p->nsock, "@odradek-sv/%d/%08llx/%s",
                 (int)getpid(), (unsigned long long)(sv_random() & 0xffffffff),
                 p->conf.name);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, p->nsock, (size_t)n);
    sa.sun_path[0] = '\0';
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n);
    p->nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->nfd < 0)
        return -errno;
    if (setsockopt(p->nfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
        bind(p->nfd, (struct sockaddr *)&sa, len) < 0) {
        rc = -errno;
        close(p->nfd);
        p->nfd = -1;
        return rc;
    }
    uv_poll_init(p->sup->loop, &p->npoll, p->nfd);
    p->npoll.data = p;
    p->open_handles++;
    uv_poll_start(&p->npoll, UV_READABLE, sv_prog_on_notify);
    return 0;
}

static void sv_prog_probe_cancel(struct sv_prog *p)
{
    sv_probe_cancel(p->probe);
    p->probe = NULL;
    uv_timer_stop(&p->probe_timer);
}

static bool sv_prog_probing_ready(const struct sv_prog *p)
{
    return (p->state == SV_STARTING || p->state == SV_RUNNING) &&
           p->conf.ready.kind > SV_PROBE_NOTIFY;
}

static bool sv_prog_probing_live(const struct sv_prog *p)
{
    return (p->state == SV_READY || p->state == SV_UNHEALTHY) &&
           p->conf.live.kind > SV_PROBE_NOTIFY;
}

static void sv_prog_probe_arm(struct sv_prog *p, int64_t delay_ms);

static void sv_prog_on_probe(void *ud, bool ok, const char *why)
{
    struct sv_prog *p = ud;

    p->probe = NULL;
    if (sv_prog_probing_ready(p)) {
        if (ok) {
            log_info("%s: ready (%s)", p->conf.name, why);
            sv_prog_event(p, SV_EV_READY);
        } else {
            sv_prog_probe_arm(p, p->conf.ready_interval_ms);
        }
        return;
    }
    if (!sv_prog_probing_live(p))
        return;
    if (ok) {
        p->live_fails = 0;
        sv_prog_event(p, SV_EV_LIVE_OK);
    } else {
        p->live_fails++;
        log_warn("%s: liveness check failed (%s), %d of %d", p->conf.name, why,
                 p->live_fails, p->conf.live_failures);
        sv_prog_event(p, p->live_fails >= p->conf.live_failures
                             ? SV_EV_LIVE_DEAD : SV_EV_LIVE_FAIL);
    }
    if (sv_prog_probing_live(p))
        sv_prog_probe_arm(p, p->conf.live_interval_ms);
}

static void sv_prog_on_probe_timer(uv_timer_t *t)
{
    struct sv_prog *p = t->data;

    if (p->probe)
        return;
    if (sv_prog_probing_ready(p))
        p->probe = sv_probe_run(p->sup->loop, &p->conf.ready,
                                p->conf.ready_interval_ms > 2000
                                    ? p->conf.ready_interval_ms : 2000,
                                sv_prog_on_probe, p);
    else if (sv_prog_probing_live(p))
        p->probe = sv_probe_run(p->sup->loop, &p->conf.live,
                                p->conf.live_timeout_ms, sv_prog_on_probe, p);
}

static void sv_prog_probe_arm(struct sv_prog *p, int64_t delay_ms)
{
    uv_timer_start(&p->probe_timer, sv_prog_on_probe_timer,
                   (uint64_t)(delay_ms > 0 ? delay_ms : 1), 0);
}

static void sv_prog_on_timer(uv_timer_t *t)
{
    struct sv_prog *p = t->data;

    if (p->timer_ev == SV_EV_BACKOFF_DONE) {
        /* wait for the requires too: keep a dependant blocked while what
         * it needs is down, instead of letting it crash-loop */
        p->pending_start = true;
        sv_sup_settle(p->sup);
        return;
    }
    sv_prog_event(p, p->timer_ev);
}

static void sv_prog_timer_arm(struct sv_prog *p, enum sv_event ev, int64_t ms)
{
    p->timer_ev = ev;
    uv_timer_start(&p->timer, sv_prog_on_timer, (uint64_t)(ms > 0 ? ms : 0), 0);
}

static void sv_prog_on_start_timeout(uv_timer_t *t)
{
    struct sv_prog *p = t->data;

    log_warn("%s: not ready after %lld ms: restarting it", p->conf.name,
             (long long)p->conf.start_timeout_ms);
    sv_prog_event(p, SV_EV_START_TIMEOUT);
}

/* ---- spawning and exits ----------------------------------------------- */

static void sv_prog_on_exit(void *ud, pid_t pid, int status);

static char **sv_prog_envp(struct sv_prog *p)
{
    size_t      n = 0, k = 0, extra = 0;
    char      **envp;
    const char *ctl;

    while (environ[n])
        n++;
    if (p->conf.env)
        while (p->conf.env[extra])
            extra++;
    /* where our control socket is (the broker's UI reads the programs'
     * states there), unless the program's own environment= says */
    ctl = p->sup->conf.control_socket;
    for (size_t i = 0; ctl && i < extra; i++)
        if (strncmp(p->conf.env[i], "ODRADEK_CTL_SOCKET=", 19) == 0)
            ctl = NULL;
    envp = xcalloc(n + extra + 3, sizeof *envp);
    for (size_t i = 0; i < n; i++) {
        /* ours, not theirs: the manager's socket and watchdog */
        if ((ctl && strncmp(environ[i], "ODRADEK_CTL_SOCKET=", 19) == 0) ||
            strncmp(environ[i], "NOTIFY_SOCKET=", 14) == 0 ||
            strncmp(environ[i], "WATCHDOG_USEC=", 14) == 0 ||
            strncmp(environ[i], "WATCHDOG_PID=", 13) == 0 ||
            strncmp(environ[i], "LISTEN_FDS=", 11) == 0 ||
            strncmp(environ[i], "LISTEN_PID=", 11) == 0)
            continue;
        envp[k++] = xstrdup(environ[i]);
    }
    for (size_t i = 0; i < extra; i++)
        envp[k++] = xstrdup(p->conf.env[i]);
    if (ctl)
        envp[k++] = xasprintf("ODRADEK_CTL_SOCKET=%s", ctl);
    envp[k++] = xasprintf("NOTIFY_SOCKET=%s", p->nsock);
    envp[k] = NULL;
    return envp;
}

static int sv_prog_spawn(struct sv_prog *p)
{
    char                path[PATH_MAX];
    struct sv_spawn_req r;
    int                 out_fd = -1, err_fd = -1, rc;
    gid_t               groups[64];
    int                 ngroups = 64;
    char              **envp;
    pid_t               pid;

    rc = sv_spawn_resolve(p->conf.argv[0], path, sizeof path);
    if (rc < 0) {
        log_error("%s: %s: not found (next to odradek-supervisor or in "
                  "PATH)", p->conf.name, p->conf.argv[0]);
        return rc;
    }
    memset(&r, 0, sizeof r);
    r.path = path;
    r.argv = p->conf.argv;
    r.dir = p->conf.directory;
    r.umask = p->conf.umask;
    r.fd_in = -1;
    r.deathsig = p->conf.deathsig;
    r.rlimit_nofile = p->conf.rlimit_nofile;
    r.rlimit_core = p->conf.rlimit_core;
    r.rlimit_nproc = p->conf.rlimit_nproc;
    if (p->conf.user) {
        if (getgrouplist(p->conf.user, p->conf.gid, groups, &ngroups) < 0)
            ngroups = 0;
        r.set_creds = true;
        r.uid = p->conf.uid;
        r.gid = p->conf.gid;
        r.groups = groups;
        r.ngroups = ngroups;
    }
    rc = sv_pipe_new(p, 0, &out_fd);
    if (rc == 0 && !p->conf.redirect_stderr)
        rc = sv_pipe_new(p, 1, &err_fd);
    if (rc < 0) {
        if (out_fd >= 0)
            close(out_fd);
        log_error("%s: pipe: %s", p->conf.name, err_str(rc));
        return rc;
    }
    r.fd_out = out_fd;
    r.fd_err = err_fd >= 0 ? err_fd : out_fd;
    envp = sv_prog_envp(p);
    r.envp = envp;
    rc = sv_spawn(&r, &pid);
    sv_conf_strv_free(envp);
    close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    if (rc == 0 && sv_spawn_watch(pid, sv_prog_on_exit, p) < 0) {
        kill(-pid, SIGKILL);
        rc = ERR_LIMIT;
    }
    if (rc < 0) {
        log_error("%s: cannot start %s: %s", p->conf.name, path, err_str(rc));
        return rc;
    }
    p->pid = pid;
    p->started_ms = clock_mono_ms();
    p->status[0] = '\0';
    log_info("%s: spawned pid %d: %s", p->conf.name, (int)pid, path);
    sv_sup_state_write(p->sup);
    return 0;
}

static void sv_prog_on_exit(void *ud, pid_t pid, int status)
{
    struct sv_prog *p = ud;
    int             code = sv_spawn_code(status);
    bool            in_start = p->state == SV_STARTING;
    enum sv_event   ev;

    p->pid = 0;
    p->last_code = code;
    /* nothing of the program outlives it: its group goes with it */
    if (p->conf.killasgroup)
        kill(-pid, SIGKILL);
    if (in_start)
        p->failed_starts++;
    if (code >= 0)
        log_info("%s: pid %d exited with code %d (%s)", p->conf.name, (int)pid,
                 code, sv_state_name(p->state));
    else
        log_info("%s: pid %d killed by signal %d (%s)", p->conf.name, (int)pid,
                 -code, sv_state_name(p->state));
    sv_sup_state_write(p->sup);
    /* the exit we asked for is not judged by the restart policy */
    ev = p->state == SV_STOPPING ? SV_EV_EXIT_DONE
       : sv_state_exit_event(&p->conf, code, in_start, p->failed_starts);
    if (ev == SV_EV_EXIT_FATAL && p->state != SV_STOPPING)
        log_error("%s: %s: not restarted", p->conf.name,
                  code == 78 ? "exit code 78 (configuration error)"
                             : "start retries spent");
    sv_prog_event(p, ev);
}

/* The backoff action: pace the restart, or escalate. */
static void sv_prog_schedule(struct sv_prog *p, int64_t ready_for_ms)
{
    struct sv_sup *s = p->sup;
    int64_t        now = clock_mono_ms(), ceil, delay;

    if (s->shutting_down)
        return;
    p->restarts++;
    if (sv_intensity_add(&p->intensity, now)) {
        log_error("%s: more than %d restarts in %lld s: escalating",
                  p->conf.name, p->conf.intensity,
                  (long long)(p->conf.period_ms / 1000));
        sv_sup_shutdown(s, 1, "restart intensity exceeded");
        return;
    }
    if (sv_intensity_add(&s->intensity, now)) {
        log_error("more than %d restarts in total in %lld s: escalating",
                  s->conf.intensity, (long long)(s->conf.period_ms / 1000));
        sv_sup_shutdown(s, 1, "total restart intensity exceeded");
        return;
    }
    delay = sv_backoff_next(&p->backoff, ready_for_ms, sv_random(), &ceil);
    log_info("%s: restart in %lld ms (attempt %u, ceiling %lld ms)",
             p->conf.name, (long long)delay, p->backoff.attempt,
             (long long)ceil);
    sv_prog_timer_arm(p, SV_EV_BACKOFF_DONE, delay);
}

static void sv_prog_kill(struct sv_prog *p, int sig, bool group)
{
    if (p->pid <= 0)
        return;
    if (group)
        kill(-p->pid, sig);
    else
        kill(p->pid, sig);
    if (sig != SIGKILL && sig != SIGCONT)
        (group ? kill(-p->pid, SIGCONT) : kill(p->pid, SIGCONT));
}

static void sv_prog_apply_next_conf(struct sv_prog *p);

/* Run the action a transition asked for.  from/ready_for describe the
 * state we left. */
static void sv_prog_act(struct sv_prog *p, enum sv_action act,
                        int64_t ready_for_ms)
{
    switch (act) {
    case SV_ACT_SPAWN:
        p->pending_start = false;
        p->ready_for_ms = 0;
        p->live_fails = 0;
        if (sv_prog_spawn(p) < 0) {
            /* like a start that failed at once */
            p->failed_starts++;
            p->last_code = 127;
            sv_prog_event(p, sv_state_exit_event(&p->conf, 127, true,
                                                 p->failed_starts));
            return;
        }
        sv_prog_timer_arm(p, SV_EV_STARTSECS, p->conf.startsecs_ms);
        if (p->conf.ready.kind != SV_PROBE_NONE && p->conf.start_timeout_ms > 0)
            uv_timer_start(&p->start_timer, sv_prog_on_start_timeout,
                           (uint64_t)p->conf.start_timeout_ms, 0);
        if (sv_prog_probing_ready(p))
            sv_prog_probe_arm(p, 0);
        break;
    case SV_ACT_CHECK_READY:
        p->failed_starts = 0;
        if (p->conf.ready.kind == SV_PROBE_NONE)
            sv_prog_event(p, SV_EV_READY);
        break;
    case SV_ACT_SCHEDULE:
        sv_prog_schedule(p, ready_for_ms);
        break;
    case SV_ACT_KILL:
    case SV_ACT_KILL_RESTART:
    case SV_ACT_KILL_FAILED:
        p->after_stop = act == SV_ACT_KILL_RESTART ? SV_AFTER_START
                      : act == SV_ACT_KILL_FAILED ? SV_AFTER_BACKOFF
                                                  : SV_AFTER_NONE;
        log_info("%s: stopping pid %d (SIG%s%s)", p->conf.name, (int)p->pid,
                 sv_conf_signal_name(p->conf.stopsignal),
                 p->conf.stopasgroup ? " to its process group" : "");
        sv_prog_kill(p, p->conf.stopsignal, p->conf.stopasgroup);
        sv_prog_timer_arm(p, SV_EV_STOP_TIMEOUT, p->conf.stopwaitsecs_ms);
        break;
    case SV_ACT_SIGKILL:
        log_warn("%s: still running %lld ms after SIG%s: SIGKILL",
                 p->conf.name, (long long)p->conf.stopwaitsecs_ms,
                 sv_conf_signal_name(p->conf.stopsignal));
        sv_prog_kill(p, SIGKILL, p->conf.killasgroup || p->conf.stopasgroup);
        sv_prog_timer_arm(p, SV_EV_STOP_TIMEOUT, 1000);
        break;
    case SV_ACT_CANCEL:
        uv_timer_stop(&p->timer);
        break;
    case SV_ACT_STOPPED: {
        enum sv_after after = p->after_stop;

        p->after_stop = SV_AFTER_NONE;
        if (p->has_next_conf)
            sv_prog_apply_next_conf(p);
        if (p->sup->shutting_down || p->removed)
            break;
        if (after == SV_AFTER_START) {
            p->pending_start = true;
        } else if (after == SV_AFTER_BACKOFF) {
            p->state = SV_BACKOFF;
            p->state_ms = clock_mono_ms();
            log_info("%s: STOPPED -> BACKOFF (failed)", p->conf.name);
            sv_prog_schedule(p, ready_for_ms);
        }
        break;
    }
    default:
        break;
    }
}

static void sv_prog_event(struct sv_prog *p, enum sv_event ev)
{
    struct sv_transition t = sv_state_step(p->state, ev);
    enum sv_state        old = p->state;
    int64_t              now = clock_mono_ms();
    int64_t              ready_for = 0;

    if (t.act == SV_ACT_IGNORE)
        return;
    if ((old == SV_READY || old == SV_UNHEALTHY) &&
        t.next != SV_READY && t.next != SV_UNHEALTHY)
        p->ready_for_ms = p->ready_ms ? now - p->ready_ms : 0;
    ready_for = p->ready_for_ms;
    if (ev == SV_EV_EXIT_RESTART || ev == SV_EV_EXIT_DONE ||
        ev == SV_EV_EXIT_FATAL || ev == SV_EV_STOP_TIMEOUT ||
        ev == SV_EV_STOP || ev == SV_EV_RESTART || ev == SV_EV_START ||
        ev == SV_EV_BACKOFF_DONE || ev == SV_EV_STARTSECS ||
        ev == SV_EV_START_TIMEOUT || ev == SV_EV_LIVE_DEAD)
        uv_timer_stop(&p->timer);
    p->state = t.next;
    if (t.next != old) {
        p->state_ms = now;
        log_info("%s: %s -> %s (%s)", p->conf.name, sv_state_name(old),
                 sv_state_name(t.next), sv_state_event_name(ev));
        if (t.next == SV_READY && old != SV_UNHEALTHY)
            p->ready_ms = now;
        if (t.next == SV_READY || t.next == SV_RUNNING)
            p->failed_starts = 0;
        if (t.next != SV_STARTING && t.next != SV_RUNNING)
            uv_timer_stop(&p->start_timer);
        /* probes belong to a state group: readiness while starting,
         * liveness while ready */
        if ((old == SV_STARTING || old == SV_RUNNING) != sv_prog_probing_ready(p) ||
            (old == SV_READY || old == SV_UNHEALTHY) !=
                (t.next == SV_READY || t.next == SV_UNHEALTHY))
            sv_prog_probe_cancel(p);
        if (t.next == SV_READY && old != SV_UNHEALTHY && sv_prog_probing_live(p)) {
            p->live_fails = 0;
            sv_prog_probe_arm(p, p->conf.live_interval_ms);
        }
    }
    sv_prog_act(p, t.act, ready_for);
    sv_sup_settle(p->sup);
}

/* ---- program objects -------------------------------------------------- */

static void sv_prog_on_handle_closed(uv_handle_t *h)
{
    struct sv_prog *p = h->data;

    if (--p->open_handles == 0) {
        sv_log_close(&p->log);
        sv_intensity_free(&p->intensity);
        sv_conf_prog_free(&p->conf);
        if (p->has_next_conf)
            sv_conf_prog_free(&p->next_conf);
        free(p);
    }
}

static void sv_prog_open_log(struct sv_prog *p)
{
    struct sv_sup *s = p->sup;
    const char    *lf = p->conf.stdout_logfile;
    char          *path = NULL;
    bool           to_stdout = s->opts.log_stdout;
    int            rc;

    if (!to_stdout) {
        if (lf == NULL && s->conf.log_dir)
            path = xasprintf("%s/%s.log", s->conf.log_dir, p->conf.name);
        else if (lf == NULL)
            to_stdout = true;   /* AUTO without a log_dir */
        else if (strcmp(lf, "NONE") != 0)
            path = xstrdup(lf);
    }
    rc = sv_log_open(&p->log, p->conf.name, path, to_stdout,
                     p->conf.logfile_maxbytes, p->conf.logfile_backups);
    if (rc < 0)
        log_error("%s: log file %s: %s", p->conf.name, path, err_str(rc));
    free(path);
}

static struct sv_prog *sv_prog_new(struct sv_sup *s, const struct sv_prog_conf *c)
{
    struct sv_prog *p = xcalloc(1, sizeof *p);
    int             rc;

    p->sup = s;
    sv_conf_prog_copy(&p->conf, c);
    p->state = SV_STOPPED;
    p->state_ms = clock_mono_ms();
    p->last_code = INT_MIN;
    p->nfd = -1;
    p->backoff.base_ms = c->backoff_base_ms;
    p->backoff.cap_ms = c->backoff_cap_ms;
    p->backoff.reset_ms = c->backoff_reset_ms;
    sv_intensity_init(&p->intensity, c->intensity, c->period_ms);
    uv_timer_init(s->loop, &p->timer);
    uv_timer_init(s->loop, &p->start_timer);
    uv_timer_init(s->loop, &p->probe_timer);
    p->timer.data = p->start_timer.data = p->probe_timer.data = p;
    p->open_handles = 3;
    rc = sv_prog_notify_open(p);
    if (rc < 0)
        log_warn("%s: no NOTIFY_SOCKET for it: %s", p->conf.name, err_str(rc));
    sv_prog_open_log(p);
    p->pending_start = c->autostart;
    return p;
}

/* Only once the program has no process. */
static void sv_prog_free(struct sv_prog *p)
{
    sv_prog_probe_cancel(p);
    for (int i = 0; i < 2; i++)
        sv_pipe_close(p->pipes[i]);
    uv_close((uv_handle_t *)&p->timer, sv_prog_on_handle_closed);
    uv_close((uv_handle_t *)&p->start_timer, sv_prog_on_handle_closed);
    uv_close((uv_handle_t *)&p->probe_timer, sv_prog_on_handle_closed);
    if (p->nfd >= 0) {
        uv_close((uv_handle_t *)&p->npoll, sv_prog_on_handle_closed);
        close(p->nfd); /* uv_poll does not own the fd */
        p->nfd = -1;
    }
}

static void sv_prog_apply_next_conf(struct sv_prog *p)
{
    sv_conf_prog_free(&p->conf);
    p->conf = p->next_conf;
    memset(&p->next_conf, 0, sizeof p->next_conf);
    p->has_next_conf = false;
    p->backoff.base_ms = p->conf.backoff_base_ms;
    p->backoff.cap_ms = p->conf.backoff_cap_ms;
    p->backoff.reset_ms = p->conf.backoff_reset_ms;
    p->backoff.attempt = 0;
    sv_intensity_free(&p->intensity);
    sv_intensity_init(&p->intensity, p->conf.intensity, p->conf.period_ms);
    sv_log_close(&p->log);
    sv_prog_open_log(p);
    p->pending_start = p->conf.autostart;
}

/* ---- the whole set ---------------------------------------------------- */

static bool sv_sup_has_up_dependant(struct sv_sup *s, struct sv_prog *p)
{
    for (int i = 0; i < s->nprogs; i++) {
        struct sv_prog *d = s->progs[i];

        if (!sv_prog_up(d))
            continue;
        for (int r = 0; r < d->conf.nrequires; r++)
            if (strcmp(d->conf.requires[r], p->conf.name) == 0)
                return true;
    }
    return false;
}

static void sv_sup_finish(struct sv_sup *s)
{
    if (s->done)
        return;
    s->done = true;
    log_info("all programs stopped; exiting with code %d", s->exit_code);
    uv_stop(s->loop);
}

/* Look at every program after a change (see the file comment). */
static void sv_sup_settle(struct sv_sup *s)
{
    static int depth;
    bool       all_ready = true, any_up = false;

    if (depth > 0 || s->done)
        return;             /* the outer call re-runs the loop below */
    depth++;
    for (int pass = 0, changed = 1; changed && pass < 4 * SV_MAX_PROGS; pass++) {
        changed = 0;
        for (int i = 0; i < s->nprogs; i++) {
            struct sv_prog *p = s->progs[i];
            enum sv_state   before = p->state;

            if (s->shutting_down || p->removed) {
                if (p->state == SV_BACKOFF ||
                    (sv_state_has_process(p->state) && p->state != SV_STOPPING &&
                     !sv_sup_has_up_dependant(s, p)))
                    sv_prog_event(p, SV_EV_STOP);
            } else if (p->pending_start && !sv_state_has_process(p->state) &&
                       sv_prog_deps_ready(p)) {
                p->pending_start = false;
                sv_prog_event(p, p->state == SV_BACKOFF ? SV_EV_BACKOFF_DONE
                                                        : SV_EV_START);
            }
            if (p->state != before)
                changed = 1;
        }
    }
    /* programs removed by a reload go once they are down */
    for (int i = 0; i < s->nprogs; i++) {
        struct sv_prog *p = s->progs[i];

        if (p->removed && !sv_prog_up(p)) {
            log_info("%s: removed", p->conf.name);
            sv_prog_free(p);
            memmove(&s->progs[i], &s->progs[i + 1],
                    (size_t)(s->nprogs - i - 1) * sizeof s->progs[0]);
            s->nprogs--;
            i--;
        }
    }
    for (int i = 0; i < s->nprogs; i++) {
        struct sv_prog *p = s->progs[i];

        if (sv_prog_up(p))
            any_up = true;
        if (p->conf.autostart && p->state != SV_READY)
            all_ready = false;
    }
    depth--;
    sv_sup_notify_status(s);
    if (s->shutting_down) {
        if (!any_up)
            sv_sup_finish(s);
        return;
    }
    if (all_ready && !s->ready_sent) {
        s->ready_sent = true;
        log_info("all programs ready");
        notify_sendf("READY=1\nSTATUS=%s", s->last_status);
    }
}

static void sv_sup_shutdown(struct sv_sup *s, int code, const char *why)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    s->exit_code = code;
    log_info("stopping all programs in order: %s", why);
    notify_sendf("STOPPING=1\nSTATUS=stopping: %s", why);
    for (int i = 0; i < s->nprogs; i++)
        s->progs[i]->pending_start = false;
    sv_sup_settle(s);
}

/* ---- reload ----------------------------------------------------------- */

static int sv_sup_do_reload(struct sv_sup *s, buf_t *out)
{
    struct sv_conf nc;
    char           err[512];
    int            added = 0, changed = 0, removed = 0;

    if (s->shutting_down) {
        buf_puts(out, "shutting down");
        return ERR_STATE;
    }
    notify_send("RELOADING=1");
    sv_sup_reopen(s, NULL);
    if (sv_conf_load(&nc, s->opts.config, err, sizeof err) < 0) {
        log_error("reload: %s (keeping the running configuration)", err);
        buf_printf(out, "%s", err);
        notify_sendf("READY=1\nSTATUS=reload failed: %s", err);
        return ERR_CONFIG;
    }
    /* programs gone from the file */
    for (int i = 0; i < s->nprogs; i++) {
        struct sv_prog *p = s->progs[i];

        if (sv_conf_find(&nc, p->conf.name) == NULL && !p->removed) {
            p->removed = true;
            p->pending_start = false;
            removed++;
        }
    }
    for (int i = 0; i < nc.nprogs; i++) {
        const struct sv_prog_conf *c = &nc.progs[i];
        struct sv_prog            *p = sv_sup_find(s, c->name);

        if (p && p->removed)
            continue;       /* a name re-added at once: after it is gone */
        if (p == NULL) {
            if (s->nprogs == SV_MAX_PROGS)
                continue;
            s->progs[s->nprogs++] = sv_prog_new(s, c);
            added++;
            continue;
        }
        if (strcmp(p->conf.fingerprint, c->fingerprint) == 0)
            continue;       /* unchanged: not touched */
        changed++;
        if (p->has_next_conf)
            sv_conf_prog_free(&p->next_conf);
        sv_conf_prog_copy(&p->next_conf, c);
        p->has_next_conf = true;
        if (sv_state_has_process(p->state)) {
            sv_prog_event(p, SV_EV_RESTART); /* new conf applied once down */
        } else {
            if (p->state == SV_BACKOFF)
                sv_prog_event(p, SV_EV_STOP);
            sv_prog_apply_next_conf(p);
        }
    }
    s->conf.intensity = nc.intensity;
    s->conf.period_ms = nc.period_ms;
    sv_intensity_free(&s->intensity);
    sv_intensity_init(&s->intensity, nc.intensity, nc.period_ms);
    sv_conf_free(&nc);
    log_info("reload: %d added, %d changed, %d removed", added, changed, removed);
    buf_printf(out, "%d added, %d changed, %d removed", added, changed, removed);
    s->ready_sent = false;
    s->last_status[0] = '\0';
    sv_sup_settle(s);
    return 0;
}

/* ---- signals ---------------------------------------------------------- */

static void sv_sup_on_signal(uv_signal_t *h, int sig)
{
    struct sv_sup *s = h->data;
    buf_t          out = BUF_INIT;
    int            orphans;

    switch (sig) {
    case SIGCHLD:
        orphans = sv_spawn_reap();
        if (orphans > 0)
            log_debug("reaped %d orphaned process(es)", orphans);
        sv_sup_settle(s);
        break;
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
    case SIGPWR:   /* what lxc-stop and some inits send a container's init */
        sv_sup_shutdown(s, 0, strsignal(sig));
        break;
    case SIGHUP:
        log_info("SIGHUP: reopening logs and reloading %s", s->opts.config);
        sv_sup_do_reload(s, &out);
        break;
    default:
        log_info("signal %d ignored", sig);
        break;
    }
    buf_free(&out);
}

/* Every signal a PID 1 could be sent and would otherwise drop or die of
 * (no default actions for PID 1; elsewhere, USR1 and friends would kill
 * us).  SIGPIPE is ignored outright: a closed control client must not. */
static const int sv_handled_signals[] = {
    SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
    SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGVTALRM, SIGPROF, SIGURG,
    SIGPWR, SIGXCPU, SIGXFSZ, SIGSTKFLT,
};

/* ---- control operations ---------------------------------------------- */

int sv_sup_status(struct sv_sup *s, buf_t *out, bool json, bool *all_ready)
{
    int64_t now = clock_mono_ms();
    bool    ready = s->nprogs > 0;

    for (int i = 0; i < s->nprogs; i++)
        if (s->progs[i]->state != SV_READY)
            ready = false;
    *all_ready = ready;
    if (json)
        buf_printf(out, "{\"ready\":%s,\"pid\":%d,\"shutting_down\":%s,"
                   "\"programs\":[", ready ? "true" : "false", (int)getpid(),
                   s->shutting_down ? "true" : "false");
    for (int i = 0; i < s->nprogs; i++) {
        struct sv_prog *p = s->progs[i];
        int64_t         up = p->pid > 0 ? now - p->started_ms : 0;

        if (json) {
            buf_printf(out, "%s{\"name\":\"%s\",\"state\":\"%s\",\"pid\":%d,"
                       "\"uptime_ms\":%lld,\"restarts\":%d,\"backoff_attempt\":%u,"
                       "\"last_exit\":", i ? "," : "", p->conf.name,
                       sv_state_name(p->state), (int)p->pid, (long long)up,
                       p->restarts, p->backoff.attempt);
            if (p->last_code == INT_MIN)
                buf_puts(out, "null");
            else
                buf_printf(out, "%d", p->last_code);
            buf_puts(out, ",\"status\":\"");
            http_json_escape(out, (const uint8_t *)p->status, strlen(p->status));
            buf_printf(out, "\",\"log_dropped\":%llu}",
                       (unsigned long long)p->log.dropped);
            continue;
        }
        buf_printf(out, "%-16s %-10s", p->conf.name, sv_state_name(p->state));
        if (p->pid > 0)
            buf_printf(out, " pid %d, uptime %llds", (int)p->pid,
                       (long long)(up / 1000));
        if (p->restarts)
            buf_printf(out, ", restarts %d", p->restarts);
        if (p->last_code != INT_MIN && p->pid <= 0)
            buf_printf(out, p->last_code >= 0 ? ", exit code %d"
                                              : ", killed by signal %d",
                       p->last_code >= 0 ? p->last_code : -p->last_code);
        if (p->status[0])
            buf_printf(out, ", status: %s", p->status);
        buf_puts(out, "\n");
    }
    if (json)
        buf_puts(out, "]}\n");
    return 0;
}

static struct sv_prog *sv_sup_lookup(struct sv_sup *s, const char *name, buf_t *out)
{
    struct sv_prog *p = name ? sv_sup_find(s, name) : NULL;

    if (p == NULL || p->removed)
        buf_printf(out, "no such program: %s", name ? name : "");
    return p && !p->removed ? p : NULL;
}

int sv_sup_start(struct sv_sup *s, const char *name, buf_t *out)
{
    struct sv_prog *p = sv_sup_lookup(s, name, out);

    if (p == NULL)
        return ERR_NOTFOUND;
    if (s->shutting_down) {
        buf_puts(out, "shutting down");
        return ERR_STATE;
    }
    if (sv_state_has_process(p->state)) {
        buf_printf(out, "%s: already %s", name, sv_state_name(p->state));
        return 0;
    }
    /* an operator's start forgives a past that led to FATAL */
    p->failed_starts = 0;
    p->backoff.attempt = 0;
    p->pending_start = true;
    if (!sv_prog_deps_ready(p))
        buf_printf(out, "%s: waiting for its requires", name);
    else
        buf_printf(out, "%s: starting", name);
    sv_sup_settle(s);
    return 0;
}

int sv_sup_stop(struct sv_sup *s, const char *name, buf_t *out)
{
    struct sv_prog *p = sv_sup_lookup(s, name, out);

    if (p == NULL)
        return ERR_NOTFOUND;
    p->pending_start = false;
    sv_prog_event(p, SV_EV_STOP);
    buf_printf(out, "%s: %s", name, sv_state_name(p->state));
    return 0;
}

int sv_sup_restart(struct sv_sup *s, const char *name, buf_t *out)
{
    struct sv_prog *p = sv_sup_lookup(s, name, out);

    if (p == NULL)
        return ERR_NOTFOUND;
    if (s->shutting_down) {
        buf_puts(out, "shutting down");
        return ERR_STATE;
    }
    p->failed_starts = 0;
    p->backoff.attempt = 0;
    if (sv_state_has_process(p->state)) {
        sv_prog_event(p, SV_EV_RESTART);
    } else {
        p->pending_start = true;
        sv_sup_settle(s);
    }
    buf_printf(out, "%s: %s", name, sv_state_name(p->state));
    return 0;
}

int sv_sup_signal(struct sv_sup *s, const char *name, const char *sig, buf_t *out)
{
    struct sv_prog *p = sv_sup_lookup(s, name, out);
    int             signo;

    if (p == NULL)
        return ERR_NOTFOUND;
    if (sig == NULL || sv_conf_parse_signal(sig, &signo) < 0) {
        buf_printf(out, "bad signal: %s", sig ? sig : "");
        return ERR_MALFORMED;
    }
    if (p->pid <= 0) {
        buf_printf(out, "%s: not running", name);
        return ERR_STATE;
    }
    if (kill(p->pid, signo) < 0) {
        buf_printf(out, "%s: %s", name, strerror(errno));
        return -errno;
    }
    buf_printf(out, "%s: sent SIG%s to pid %d", name, sv_conf_signal_name(signo),
               (int)p->pid);
    return 0;
}

int sv_sup_tail(struct sv_sup *s, const char *name, size_t max, buf_t *out)
{
    struct sv_prog *p = sv_sup_lookup(s, name, out);

    if (p == NULL)
        return ERR_NOTFOUND;
    sv_log_tail(&p->log, out, max);
    return 0;
}

int sv_sup_reload(struct sv_sup *s, buf_t *out)
{
    return sv_sup_do_reload(s, out);
}

int sv_sup_reopen(struct sv_sup *s, buf_t *out)
{
    int failed = 0;

    for (int i = 0; i < s->nprogs; i++)
        if (sv_log_reopen(&s->progs[i]->log) < 0)
            failed++;
    if (out)
        buf_printf(out, "logs reopened%s", failed ? " (some failed)" : "");
    return 0;
}

/* ---- run -------------------------------------------------------------- */

static void sv_sup_close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int sv_sup_run(const struct sv_sup_opts *o, struct sv_conf *conf)
{
    struct sv_sup s;
    uv_loop_t     loop;
    int           rc;
    uint64_t      wd;

    memset(&s, 0, sizeof s);
    s.opts = *o;
    s.conf = *conf;
    memset(conf, 0, sizeof *conf);
    s.state_fd = -1;
    uv_loop_init(&loop);
    s.loop = &loop;
    signal(SIGPIPE, SIG_IGN);

    /* orphans of our programs come back to us, and we reap them */
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_warn("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
    if (getpid() == 1)
        log_info("running as PID 1: handling every signal, reaping every "
                 "zombie");
    for (size_t i = 0; i < sizeof sv_handled_signals / sizeof sv_handled_signals[0]; i++) {
        uv_signal_init(&loop, &s.sigs[s.nsigs]);
        s.sigs[s.nsigs].data = &s;
        uv_signal_start(&s.sigs[s.nsigs], sv_sup_on_signal, sv_handled_signals[i]);
        s.nsigs++;
    }

    rc = sv_sup_state_open(&s);
    if (rc < 0) {
        s.exit_code = 1;
        goto out;
    }
    if (s.conf.log_dir && (rc = sv_mkdir_p(s.conf.log_dir)) < 0)
        log_warn("log_dir %s: %s", s.conf.log_dir, err_str(rc));
    if (s.conf.control_socket) {
        s.ctl = sv_ctl_open(&loop, s.conf.control_socket, &s, &rc);
        if (s.ctl == NULL) {
            log_error("control socket %s: %s", s.conf.control_socket, err_str(rc));
            s.exit_code = 1;
            goto out;
        }
    }
    sv_intensity_init(&s.intensity, s.conf.intensity, s.conf.period_ms);
    wd = notify_watchdog_usec();
    uv_timer_init(&loop, &s.watchdog);
    s.watchdog.data = &s;
    if (wd > 0) {
        s.watchdog_ms = (int64_t)(wd / 2000);
        if (s.watchdog_ms < 1)
            s.watchdog_ms = 1;
        s.watchdog_due = clock_mono_ms() + s.watchdog_ms;
        uv_timer_start(&s.watchdog, sv_sup_on_watchdog, (uint64_t)s.watchdog_ms,
                       (uint64_t)s.watchdog_ms);
        notify_send("WATCHDOG=1");
    }
    for (int i = 0; i < s.conf.nprogs; i++)
        s.progs[s.nprogs++] = sv_prog_new(&s, &s.conf.progs[i]);
    /* programs are started in priority order within what requires allows */
    for (int i = 1; i < s.nprogs; i++)
        for (int j = i; j > 0 && s.progs[j]->conf.priority <
                                     s.progs[j - 1]->conf.priority; j--) {
            struct sv_prog *t = s.progs[j];

            s.progs[j] = s.progs[j - 1];
            s.progs[j - 1] = t;
        }
    log_info("odradek-supervisor %s: %d program(s) from %s", ODRADEK_VERSION,
             s.nprogs, s.conf.path);
    sv_sup_settle(&s);
    if (s.nprogs == 0)
        log_warn("no [program:x] sections: nothing to supervise");
    uv_run(&loop, UV_RUN_DEFAULT);

out:
    /* everything is down (or never started): release it all */
    sv_ctl_close(s.ctl);
    s.ctl = NULL;
    for (int i = 0; i < s.nprogs; i++) {
        if (s.progs[i]->pid > 0)
            kill(-s.progs[i]->pid, SIGKILL);
        sv_spawn_unwatch(s.progs[i]->pid);
        sv_prog_free(s.progs[i]);
    }
    s.nprogs = 0;
    uv_walk(&loop, sv_sup_close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    /* exec probes killed on the way out: reap them (bounded) so their
     * owners are released */
    for (int i = 0; i < 200 && sv_spawn_watched() > 0; i++) {
        sv_spawn_reap();
        if (sv_spawn_watched() > 0)
            usleep(10000);
    }
    sv_intensity_free(&s.intensity);
    if (s.state_fd >= 0) {
        if (ftruncate(s.state_fd, 0) < 0)
            log_warn("state file: %s", strerror(errno));
        close(s.state_fd);
    }
    sv_conf_free(&s.conf);
    if (!s.shutting_down && s.exit_code == 0)
        s.exit_code = 1;
    return s.exit_code;
}
