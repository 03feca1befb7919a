/* sv_ctl: the control socket server (see sv_ctl.h).  One table maps each
 * request word to its handler; the handlers call sv_sup's operations. */
#include "sv_ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "sv_conf.h"
#include "sv_sup.h"
#include "xalloc.h"

#define SV_CTL_LINE_MAX 1024
#define SV_CTL_MAX_ARGS 4

struct sv_ctl {
    uv_pipe_t      srv;      /* srv.data == this */
    struct sv_sup *sup;
    char          *path;
    gid_t          gid;      /* the socket file's group */
    int            clients;  /* open client handles */
    struct sv_ctl_client *list; /* those clients */
    unsigned       closing : 1;
    unsigned       srv_closed : 1;
};

struct sv_ctl_client {
    uv_pipe_t      h;        /* h.data == this */
    struct sv_ctl *ctl;
    buf_t          in;
    buf_t          out;
    uv_write_t     wr;
    struct sv_ctl_client *next;
    unsigned       answered : 1;
};

typedef int sv_ctl_fn(struct sv_sup *s, int argc, char **argv, buf_t *body,
                      const char **head);

static int c_status(struct sv_sup *s, int argc, char **argv, buf_t *body,
                    const char **head)
{
    bool ready;
    bool json = argc > 1 && (strcmp(argv[1], "json") == 0 ||
                             strcmp(argv[1], "--json") == 0);

    sv_sup_status(s, body, json, &ready);
    *head = ready ? "OK ready" : "OK not-ready";
    return 0;
}

static int c_start(struct sv_sup *s, int argc, char **argv, buf_t *b,
                   const char **head)
{
    (void)head;
    return sv_sup_start(s, argc > 1 ? argv[1] : NULL, b);
}

static int c_stop(struct sv_sup *s, int argc, char **argv, buf_t *b,
                  const char **head)
{
    (void)head;
    return sv_sup_stop(s, argc > 1 ? argv[1] : NULL, b);
}

static int c_restart(struct sv_sup *s, int argc, char **argv, buf_t *b,
                     const char **head)
{
    (void)head;
    return sv_sup_restart(s, argc > 1 ? argv[1] : NULL, b);
}

/* supervisorctl's order "signal SIG NAME", and "signal NAME SIG" too */
static int c_signal(struct sv_sup *s, int argc, char **argv, buf_t *b,
                    const char **head)
{
    int signo;

    (void)head, (void)argc;
    if (sv_conf_parse_signal(argv[1], &signo) == 0)
        return sv_sup_signal(s, argv[2], argv[1], b);
    return sv_sup_signal(s, argv[1], argv[2], b);
}

static int c_tail(struct sv_sup *s, int argc, char **argv, buf_t *b,
                  const char **head)
{
    long max = argc > 2 ? strtol(argv[2], NULL, 10) : 8192;

    (void)head;
    if (max <= 0 || max > 65536)
        max = 65536;
    return sv_sup_tail(s, argc > 1 ? argv[1] : NULL, (size_t)max, b);
}

static int c_reload(struct sv_sup *s, int argc, char **argv, buf_t *b,
                    const char **head)
{
    (void)argc, (void)argv, (void)head;
    return sv_sup_reload(s, b);
}

static int c_reopen(struct sv_sup *s, int argc, char **argv, buf_t *b,
                    const char **head)
{
    (void)argc, (void)argv, (void)head;
    return sv_sup_reopen(s, b);
}

/* The control protocol: every request word and how many words it takes. */
static const struct sv_ctl_cmd {
    const char *name;
    int         min_args, max_args; /* including the word itself */
    sv_ctl_fn  *fn;
} sv_ctl_cmds[] = {
    { "status", 1, 2, c_status },
    { "start", 2, 2, c_start },
    { "stop", 2, 2, c_stop },
    { "restart", 2, 2, c_restart },
    { "signal", 3, 3, c_signal },
    { "tail", 2, 3, c_tail },
    { "reload", 1, 1, c_reload },
    { "reopen", 1, 1, c_reopen },
};

static void sv_ctl_maybe_free(struct sv_ctl *c)
{
    if (c->closing && c->srv_closed && c->clients == 0) {
        free(c->path);
        free(c);
    }
}

static void sv_ctl_client_on_closed(uv_handle_t *h)
{
    struct sv_ctl_client *cl = h->data;
    struct sv_ctl        *c = cl->ctl;

    for (struct sv_ctl_client **pp = &c->list; *pp; pp = &(*pp)->next) {
        if (*pp == cl) {
            *pp = cl->next;
            break;
        }
    }
    buf_free(&cl->in);
    buf_free(&cl->out);
    free(cl);
    c->clients--;
    sv_ctl_maybe_free(c);
}

static void sv_ctl_client_close(struct sv_ctl_client *cl)
{
    if (!uv_is_closing((uv_handle_t *)&cl->h))
        uv_close((uv_handle_t *)&cl->h, sv_ctl_client_on_closed);
}

static void sv_ctl_on_written(uv_write_t *w, int status)
{
    (void)status;
    sv_ctl_client_close(w->data);
}

static void sv_ctl_answer(struct sv_ctl_client *cl, const char *line)
{
    char      *argv[SV_CTL_MAX_ARGS + 1], *save = NULL, *tok;
    int        argc = 0, rc = ERR_UNSUPPORTED;
    buf_t      body = BUF_INIT;
    const char *head = "OK";
    char       copy[SV_CTL_LINE_MAX + 1];
    uv_buf_t   b;

    snprintf(copy, sizeof copy, "%s", line);
    for (tok = strtok_r(copy, " \t\r", &save); tok && argc <= SV_CTL_MAX_ARGS;
         tok = strtok_r(NULL, " \t\r", &save))
        argv[argc++] = tok;
    cl->answered = 1;
    for (size_t i = 0; argc > 0 && i < sizeof sv_ctl_cmds / sizeof sv_ctl_cmds[0]; i++) {
        const struct sv_ctl_cmd *cmd = &sv_ctl_cmds[i];

        if (strcmp(cmd->name, argv[0]) != 0)
            continue;
        if (argc < cmd->min_args || argc > cmd->max_args) {
            buf_printf(&body, "usage: %s takes %d argument(s)", cmd->name,
                       cmd->min_args - 1);
            rc = ERR_MALFORMED;
        } else {
            rc = cmd->fn(cl->ctl->sup, argc, argv, &body, &head);
        }
        break;
    }
    if (rc == ERR_UNSUPPORTED && body.len == 0)
        buf_printf(&body, "unknown request '%.64s' (status, start, stop, "
                   "restart, signal, tail, reload, reopen)", argc ? argv[0] : "");
    if (rc < 0) {
        /* "ERR reason" on one line: the body is the reason */
        buf_puts(&cl->out, "ERR ");
        for (size_t i = 0; i < body.len; i++)
            buf_put_u8(&cl->out, body.data[i] == '\n' ? ' ' : body.data[i]);
        buf_puts(&cl->out, "\n");
    } else {
        buf_printf(&cl->out, "%s\n", head);
        buf_put(&cl->out, body.data, body.len);
        if (body.len && body.data[body.len - 1] != '\n')
            buf_puts(&cl->out, "\n");
    }
    buf_free(&body);
    cl->wr.data = cl;
    b = uv_buf_init((char *)cl->out.data, (unsigned)cl->out.len);
    if (uv_write(&cl->wr, (uv_stream_t *)&cl->h, &b, 1, sv_ctl_on_written) < 0)
        sv_ctl_client_close(cl);
}

static void sv_ctl_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct sv_ctl_client *cl = h->data;

    (void)hint;
    buf_reserve(&cl->in, 256);
    *b = uv_buf_init((char *)cl->in.data + cl->in.len,
                     (unsigned)(cl->in.cap - cl->in.len));
}

static void sv_ctl_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct sv_ctl_client *cl = st->data;
    uint8_t              *nl;

    (void)b;
    if (cl->answered)
        return;
    if (n < 0) {
        if (cl->in.len > 0 && n == UV_EOF) {  /* a request without '\n' */
            uv_read_stop(st);
            sv_ctl_answer(cl, buf_cstr(&cl->in));
            return;
        }
        sv_ctl_client_close(cl);
        return;
    }
    cl->in.len += (size_t)n;
    nl = memchr(cl->in.data, '\n', cl->in.len);
    if (nl == NULL) {
        if (cl->in.len > SV_CTL_LINE_MAX)
            sv_ctl_client_close(cl);    /* not our protocol */
        return;
    }
    *nl = '\0';
    uv_read_stop(st);
    sv_ctl_answer(cl, (const char *)cl->in.data);
}

/* Is gid among the supplementary groups of pid (its "Groups:" line in
 * /proc/PID/status)?  SO_PEERCRED carries only the primary group, and an
 * operator is usually in the odradek group as a supplementary one. */
static bool sv_ctl_pid_in_group(pid_t pid, gid_t gid)
{
    char  path[64], line[4096];
    FILE *f;
    bool  found = false;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "re");
    if (f == NULL)
        return false;
    while (fgets(line, sizeof line, f)) {
        char *p, *end;

        if (strncmp(line, "Groups:", 7) != 0)
            continue;
        for (p = line + 7;; p = end) {
            unsigned long g = strtoul(p, &end, 10);

            if (end == p)
                break;
            if ((gid_t)g == gid)
                found = true;
        }
        break;
    }
    fclose(f);
    return found;
}

static void sv_ctl_on_connection(uv_stream_t *srv, int status)
{
    struct sv_ctl        *c = srv->data;
    struct sv_ctl_client *cl;
    struct ucred          cred;
    socklen_t             len = sizeof cred;
    uv_os_fd_t            fd;

    if (status < 0 || c->closing)
        return;
    cl = xcalloc(1, sizeof *cl);
    cl->ctl = c;
    uv_pipe_init(srv->loop, &cl->h, 0);
    cl->h.data = cl;
    cl->next = c->list;
    c->list = cl;
    c->clients++;
    if (uv_accept(srv, (uv_stream_t *)&cl->h) < 0) {
        sv_ctl_client_close(cl);
        return;
    }
    /* root, our own user, or a member of the socket file's group; the
     * 0660 mode already keeps others out, this also holds if someone
     * loosens the mode */
    if (uv_fileno((uv_handle_t *)&cl->h, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        !(cred.uid == 0 || cred.uid == geteuid() || cred.gid == c->gid ||
          sv_ctl_pid_in_group(cred.pid, c->gid))) {
        log_warn("control socket: refused peer uid %d",
                 len == sizeof cred ? (int)cred.uid : -1);
        sv_ctl_client_close(cl);
        return;
    }
    uv_read_start((uv_stream_t *)&cl->h, sv_ctl_alloc, sv_ctl_on_read);
}

static void sv_ctl_srv_on_closed(uv_handle_t *h)
{
    struct sv_ctl *c = h->data;

    c->srv_closed = 1;
    sv_ctl_maybe_free(c);
}

struct sv_ctl *sv_ctl_open(uv_loop_t *loop, const char *path, struct sv_sup *sup,
                           int *err)
{
    struct sv_ctl *c = xcalloc(1, sizeof *c);
    struct stat    st;
    char           dir[256], *slash;
    mode_t         old;
    int            rc;

    c->sup = sup;
    c->path = xstrdup(path);
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
            *err = -errno;
            free(c->path);
            free(c);
            return NULL;
        }
    }
    /* a socket file left by a killed supervisor; the state-file lock
     * guarantees no live supervisor owns it */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    uv_pipe_init(loop, &c->srv, 0);
    c->srv.data = c;
    old = umask(0117);
    rc = uv_pipe_bind(&c->srv, path);
    umask(old);
    if (rc == 0 && chmod(path, 0660) < 0)
        rc = -errno;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&c->srv, 16, sv_ctl_on_connection);
    if (rc < 0) {
        *err = rc;
        c->closing = 1;
        uv_close((uv_handle_t *)&c->srv, sv_ctl_srv_on_closed);
        return NULL;          /* freed once the handle is closed */
    }
    c->gid = stat(path, &st) == 0 ? st.st_gid : (gid_t)-1;
    return c;
}

void sv_ctl_close(struct sv_ctl *c)
{
    if (c == NULL || c->closing)
        return;
    c->closing = 1;
    unlink(c->path);
    uv_close((uv_handle_t *)&c->srv, sv_ctl_srv_on_closed);
    for (struct sv_ctl_client *cl = c->list; cl; cl = cl->next)
        sv_ctl_client_close(cl);
}
