/* kf_http_sv: the supervisor's programs (state, pid, uptime, restarts,
 * last exit, log tail) from its control socket, read-only.
 * (Module of kf_http: see kf_http_int.h.)
 *
 * GET /api/v1/supervisor
 *   -> {"supervised": true, "socket", "ready", "pid", "shutting_down",
 *       "programs": [{name, state, ready, pid, uptime_ms, restarts,
 *       backoff_attempt, last_exit, status, log_dropped}]}
 *   or {"supervised": false, "socket" (if one was tried), "reason"}
 * GET /api/v1/supervisor/programs/{name}/log?bytes=N (1..65536, 8192)
 *   -> {"program", "bytes", "log"}
 *
 * The control socket (docs/supervisor.md) takes one request line per
 * connection and answers "OK ..." or "ERR reason", a body, then EOF.  It is
 * http.supervisor.socket, else $ODRADEK_CTL_SOCKET (odradek-supervisor
 * exports it to its programs), else the first existing of
 * /run/odradek/odradek.sock and /tmp/odradek/odradek.sock.  Each request
 * is one uv_pipe_t connect/write/read on the loop with a timeout
 * (KF_HTTP_SV_TIMEOUT_MS); the conn slot is filled when the answer is in.
 * Nothing here starts or stops programs.
 *
 * /metrics gets odradek_supervisor_* families from the last status seen
 * (never a socket round trip during a scrape: a scrape that finds the
 * cache older than KF_HTTP_SV_CACHE_MS starts a refresh for the next). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "arena.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "kf_config.h"
#include "kf_http_int.h"
#include "xalloc.h"

#define KF_HTTP_SV_TIMEOUT_MS 3000
#define KF_HTTP_SV_MAX_READ   (256 * 1024) /* an answer; tail is <= 64 KiB */
#define KF_HTTP_SV_MAX_CALLS  16           /* in flight at once */
#define KF_HTTP_SV_MAX_PROGS  64           /* kept for /metrics */
#define KF_HTTP_SV_CACHE_MS   5000

static const char *const kf_http_sv_default_sockets[] = {
    "/run/odradek/odradek.sock",
    "/tmp/odradek/odradek.sock",
};

struct kf_http_sv_prog {
    char    name[64];
    char    state[16];
    int64_t restarts, pid;
};

/* The module's state (h->mod[KF_HTTP_MOD_SV]). */
struct kf_http_sv {
    kf_http_t             *h;
    int                    calls; /* in flight (their handles not yet closed) */
    bool                   stopping;
    struct kf_http_sv_call *list;
    /* the last status answer, for /metrics */
    bool                   have_status, status_ok, refreshing;
    int64_t                status_ms;
    int                    nprogs;
    struct kf_http_sv_prog progs[KF_HTTP_SV_MAX_PROGS];
};

enum kf_http_sv_kind { KF_HTTP_SV_STATUS, KF_HTTP_SV_TAIL };

/* One control-socket round trip. */
struct kf_http_sv_call {
    uv_pipe_t               pipe;  /* pipe.data == this */
    uv_timer_t              timer; /* timer.data == this */
    uv_connect_t            creq;
    uv_write_t              wreq;
    struct kf_http_sv      *sv;
    struct kf_http_sv_call *next;
    enum kf_http_sv_kind    kind;
    conn_t                 *c;    /* NULL: a refresh for /metrics */
    conn_slot_t            *slot;
    bool                    keep_alive, head, done;
    int                     open; /* handles not yet closed */
    char                    socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char                    name[64];
    int64_t                 bytes;
    buf_t                   req, in;
};

/* ---- answers ------------------------------------------------------------ */

static void kf_http_sv_unsupervised(buf_t *o, const char *socket, const char *reason)
{
    buf_puts(o, "{\"supervised\":false");
    if (socket != NULL) {
        buf_puts(o, ",\"socket\":");
        kf_http_json_str(o, socket);
    }
    buf_puts(o, ",\"reason\":");
    kf_http_json_str(o, reason);
    buf_puts(o, "}\n");
}

static void kf_http_sv_jstr(buf_t *o, const struct json *p, const char *key)
{
    size_t      n = 0;
    const char *s = json_get_str(p, key, &n);

    buf_printf(o, ",\"%s\":", key);
    if (s == NULL)
        buf_puts(o, "null");
    else
        kf_http_json_strn(o, s, n);
}

/* status --json body -> our answer (and the cache).  < 0: not JSON. */
static int kf_http_sv_status_json(struct kf_http_sv_call *k, const uint8_t *p, size_t n,
                                  bool ready, buf_t *o)
{
    struct kf_http_sv *sv = k->sv;
    arena_t            a;
    struct json       *root;
    const struct json *progs, *q;
    int                i = 0;

    arena_init(&a);
    if (json_parse(&a, p, n, &root, NULL) < 0 || root->type != JSON_OBJECT) {
        arena_free(&a);
        return ERR_MALFORMED;
    }
    progs = json_get(root, "programs");
    buf_puts(o, "{\"supervised\":true,\"socket\":");
    kf_http_json_str(o, k->socket);
    buf_printf(o, ",\"ready\":%s,\"pid\":%lld,\"shutting_down\":%s,\"programs\":[",
               ready ? "true" : "false", (long long)json_get_int(root, "pid", 0),
               json_get_bool(root, "shutting_down", false) ? "true" : "false");
    for (q = progs && progs->type == JSON_ARRAY ? progs->child : NULL; q; q = q->next) {
        const char        *name = json_get_str(q, "name", NULL);
        const char        *state = json_get_str(q, "state", NULL);
        const struct json *le = json_get(q, "last_exit");

        if (name == NULL || state == NULL)
            continue;
        buf_puts(o, i ? ",{\"name\":" : "{\"name\":");
        kf_http_json_str(o, name);
        kf_http_sv_jstr(o, q, "state");
        buf_printf(o, ",\"ready\":%s,\"pid\":%lld,\"uptime_ms\":%lld,\"restarts\":%lld,"
                      "\"backoff_attempt\":%lld,\"last_exit\":",
                   strcmp(state, "READY") == 0 ? "true" : "false",
                   (long long)json_get_int(q, "pid", 0),
                   (long long)json_get_int(q, "uptime_ms", 0),
                   (long long)json_get_int(q, "restarts", 0),
                   (long long)json_get_int(q, "backoff_attempt", 0));
        if (le != NULL && le->type == JSON_NUMBER && le->is_int)
            buf_printf(o, "%lld", (long long)le->i);
        else
            buf_puts(o, "null");
        kf_http_sv_jstr(o, q, "status");
        buf_printf(o, ",\"log_dropped\":%lld}", (long long)json_get_int(q, "log_dropped", 0));
        if (i < KF_HTTP_SV_MAX_PROGS) {
            struct kf_http_sv_prog *sp = &sv->progs[i];

            snprintf(sp->name, sizeof sp->name, "%s", name);
            snprintf(sp->state, sizeof sp->state, "%s", state);
            sp->restarts = json_get_int(q, "restarts", 0);
            sp->pid = json_get_int(q, "pid", 0);
        }
        i++;
    }
    buf_puts(o, "]}\n");
    sv->nprogs = i < KF_HTTP_SV_MAX_PROGS ? i : KF_HTTP_SV_MAX_PROGS;
    sv->have_status = true;
    sv->status_ok = true;
    sv->status_ms = clock_mono_ms();
    arena_free(&a);
    return 0;
}

/* The whole answer is in k->in (err == 0), or the round trip failed. */
static void kf_http_sv_answer(struct kf_http_sv_call *k, int err, const char *why)
{
    buf_t          body = BUF_INIT;
    int            status = 200;
    char           reason[512];
    const uint8_t *nl = k->in.len ? memchr(k->in.data, '\n', k->in.len) : NULL;
    size_t         hl = nl ? (size_t)(nl - k->in.data) : k->in.len;
    const uint8_t *bp = nl ? nl + 1 : k->in.data + k->in.len;
    size_t         bn = k->in.len - (size_t)(bp - k->in.data);
    bool           ok = err == 0 && hl >= 2 && memcmp(k->in.data, "OK", 2) == 0;

    if (k->kind == KF_HTTP_SV_STATUS && !ok) {
        k->sv->have_status = true;
        k->sv->status_ok = false;
        k->sv->status_ms = clock_mono_ms();
    }
    if (k->c == NULL) { /* a refresh for /metrics */
        if (ok)
            kf_http_sv_status_json(k, bp, bn, hl >= 8 && memcmp(k->in.data, "OK ready", 8) == 0,
                                   &body);
        buf_free(&body);
        return;
    }
    if (k->in.len == 0 && (err == 0 || err == UV_ECONNRESET || err == UV_EPIPE)) {
        /* the supervisor closes (unread request: a reset) on a peer it
         * does not accept */
        err = ERR_CLOSED;
        why = "closed without an answer (is the broker's user allowed to use it? "
              "root, the supervisor's user or the socket's group)";
    }
    if (err != 0) {
        snprintf(reason, sizeof reason, "control socket %s: %s", k->socket, why);
        if (k->kind == KF_HTTP_SV_STATUS) {
            kf_http_sv_unsupervised(&body, k->socket, reason);
        } else {
            status = 503;
            buf_puts(&body, "{\"error\":");
            kf_http_json_str(&body, reason);
            buf_puts(&body, "}\n");
        }
    } else if (!ok) {
        /* "ERR reason": for tail, "no such program: X" */
        status = k->kind == KF_HTTP_SV_TAIL && hl > 4 &&
                         memmem(k->in.data, hl, "no such program", 15) != NULL
                     ? 404
                     : 502;
        buf_puts(&body, "{\"error\":");
        kf_http_json_strn(&body, hl > 4 ? k->in.data + 4 : k->in.data, hl > 4 ? hl - 4 : hl);
        buf_puts(&body, "}\n");
    } else if (k->kind == KF_HTTP_SV_STATUS) {
        if (kf_http_sv_status_json(k, bp, bn,
                                   hl >= 8 && memcmp(k->in.data, "OK ready", 8) == 0,
                                   &body) < 0) {
            body.len = 0;
            status = 502;
            buf_puts(&body, "{\"error\":\"the supervisor's status is not JSON\"}\n");
        }
    } else {
        buf_puts(&body, "{\"program\":");
        kf_http_json_str(&body, k->name);
        buf_printf(&body, ",\"bytes\":%zu,\"log\":", bn);
        kf_http_json_strn(&body, bp, bn);
        buf_puts(&body, "}\n");
    }
    {
        conn_msg_t *m = kf_http_msg(status, k->keep_alive, k->head, &body);

        conn_ref(k->c); /* conn_fill may drop the last reference */
        conn_fill(k->c, k->slot, m);
        if (!k->keep_alive)
            conn_close_after_flush(k->c);
        conn_unref(k->c);
        k->c = NULL;
    }
}

/* ---- the round trip ----------------------------------------------------- */

static void kf_http_sv_on_closed(uv_handle_t *hd)
{
    struct kf_http_sv_call *k = hd->data;
    struct kf_http_sv      *sv = k->sv;
    kf_http_t              *h = sv->h;

    if (--k->open > 0)
        return;
    for (struct kf_http_sv_call **pp = &sv->list; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    buf_free(&k->req);
    buf_free(&k->in);
    free(k);
    sv->calls--;
    if (sv->stopping && sv->calls == 0)
        free(sv);
    kf_http_release(h);
}

/* Answers (once) and closes both handles. */
static void kf_http_sv_finish(struct kf_http_sv_call *k, int err, const char *why)
{
    if (k->done)
        return;
    k->done = true;
    if (k->kind == KF_HTTP_SV_STATUS && k->c == NULL)
        k->sv->refreshing = false;
    kf_http_sv_answer(k, err, why);
    uv_close((uv_handle_t *)&k->timer, kf_http_sv_on_closed);
    uv_close((uv_handle_t *)&k->pipe, kf_http_sv_on_closed);
}

static void kf_http_sv_on_timeout(uv_timer_t *t)
{
    kf_http_sv_finish(t->data, ERR_TIMEOUT, "no answer in time");
}

static void kf_http_sv_alloc(uv_handle_t *hd, size_t hint, uv_buf_t *b)
{
    struct kf_http_sv_call *k = hd->data;

    (void)hint;
    buf_reserve(&k->in, 16384);
    *b = uv_buf_init((char *)k->in.data + k->in.len, (unsigned)(k->in.cap - k->in.len));
}

static void kf_http_sv_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct kf_http_sv_call *k = s->data;

    (void)b;
    if (n == UV_EOF) {
        kf_http_sv_finish(k, 0, NULL);
        return;
    }
    if (n < 0) {
        kf_http_sv_finish(k, (int)n, err_str((int)n));
        return;
    }
    k->in.len += (size_t)n;
    if (k->in.len > KF_HTTP_SV_MAX_READ)
        kf_http_sv_finish(k, ERR_TOO_BIG, "answer too long");
}

static void kf_http_sv_on_written(uv_write_t *w, int status)
{
    struct kf_http_sv_call *k = w->data;

    if (status < 0)
        kf_http_sv_finish(k, status, err_str(status));
}

static void kf_http_sv_on_connect(uv_connect_t *cr, int status)
{
    struct kf_http_sv_call *k = cr->data;
    uv_buf_t                b;
    int                     rc;

    if (k->done)
        return; /* timed out (or stopping) meanwhile */
    if (status < 0) {
        kf_http_sv_finish(k, status, err_str(status));
        return;
    }
    k->wreq.data = k;
    b = uv_buf_init((char *)k->req.data, (unsigned)k->req.len);
    rc = uv_write(&k->wreq, (uv_stream_t *)&k->pipe, &b, 1, kf_http_sv_on_written);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&k->pipe, kf_http_sv_alloc, kf_http_sv_on_read);
    if (rc < 0)
        kf_http_sv_finish(k, rc, err_str(rc));
}

/* Where the control socket is; NULL (with why) when none is known. */
static const char *kf_http_sv_socket(const kf_http_t *h, const char **why)
{
    const char *p = h->b->kc->http_supervisor_socket;
    struct stat st;
    size_t      i;

    if (p != NULL && *p != '\0')
        return p;
    p = getenv("ODRADEK_CTL_SOCKET");
    if (p != NULL && *p != '\0')
        return p;
    for (i = 0; i < sizeof kf_http_sv_default_sockets / sizeof kf_http_sv_default_sockets[0];
         i++)
        if (stat(kf_http_sv_default_sockets[i], &st) == 0 && S_ISSOCK(st.st_mode))
            return kf_http_sv_default_sockets[i];
    *why = "no control socket: http.supervisor.socket and $ODRADEK_CTL_SOCKET are unset "
           "and neither /run/odradek/odradek.sock nor /tmp/odradek/odradek.sock exists";
    return NULL;
}

/* Starts one round trip; x == NULL for a /metrics refresh.  Returns 0, or
 * < 0 with nothing started (the caller answers). */
static int kf_http_sv_call(kf_http_t *h, struct kf_http_ctx *x, const char *socket,
                           enum kf_http_sv_kind kind, const char *name, int64_t bytes)
{
    struct kf_http_sv      *sv = h->mod[KF_HTTP_MOD_SV];
    struct kf_http_sv_call *k;

    if (sv == NULL || sv->stopping)
        return ERR_CLOSED;
    if (sv->calls >= KF_HTTP_SV_MAX_CALLS)
        return ERR_LIMIT;
    if (strlen(socket) >= sizeof k->socket)
        return UV_ENAMETOOLONG;
    k = xcalloc(1, sizeof *k);
    k->sv = sv;
    k->kind = kind;
    k->bytes = bytes;
    snprintf(k->socket, sizeof k->socket, "%s", socket);
    if (name != NULL)
        snprintf(k->name, sizeof k->name, "%s", name);
    if (kind == KF_HTTP_SV_STATUS)
        buf_puts(&k->req, "status --json\n");
    else
        buf_printf(&k->req, "tail %s %lld\n", k->name, (long long)bytes);
    uv_pipe_init(h->b->loop, &k->pipe, 0);
    uv_timer_init(h->b->loop, &k->timer);
    k->pipe.data = k;
    k->timer.data = k;
    k->creq.data = k;
    k->open = 2;
    k->next = sv->list;
    sv->list = k;
    sv->calls++;
    kf_http_hold(h);
    if (x != NULL) {
        k->c = x->c;
        k->keep_alive = x->req->keep_alive;
        k->head = slice_eq(x->req->method, "HEAD");
        k->slot = conn_reserve(x->c);
    } else {
        sv->refreshing = true;
    }
    uv_timer_start(&k->timer, kf_http_sv_on_timeout, KF_HTTP_SV_TIMEOUT_MS, 0);
    /* libuv 1.44: void; a failure arrives in on_connect */
    uv_pipe_connect(&k->creq, &k->pipe, k->socket, kf_http_sv_on_connect);
    return 0;
}

/* ---- handlers ----------------------------------------------------------- */

static void kf_http_sv_status(struct kf_http_ctx *x)
{
    const char *why = NULL, *socket = kf_http_sv_socket(x->h, &why);
    buf_t       body = BUF_INIT;
    int         rc;

    if (socket == NULL) {
        kf_http_sv_unsupervised(&body, NULL, why);
        kf_http_json(x, 200, &body);
        return;
    }
    rc = kf_http_sv_call(x->h, x, socket, KF_HTTP_SV_STATUS, NULL, 0);
    if (rc == UV_ENAMETOOLONG) {
        kf_http_sv_unsupervised(&body, socket, "the control socket's path is longer than a "
                                               "unix socket address holds");
        kf_http_json(x, 200, &body);
    } else if (rc == ERR_LIMIT) {
        kf_http_error(x, 503, "too many supervisor requests in flight");
    } else if (rc < 0) {
        kf_http_error(x, 503, err_str(rc));
    }
}

/* A program name as the control protocol can carry it (one word). */
static bool kf_http_sv_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' || *s == ':'))
            return false;
    return true;
}

static void kf_http_sv_log(struct kf_http_ctx *x)
{
    const char *why = NULL, *socket;
    int64_t     bytes = 8192;
    int         rc;

    if (!kf_http_sv_name_ok(x->arg[0])) {
        kf_http_error(x, 400, "a program name is 1-63 characters of [A-Za-z0-9._:-]");
        return;
    }
    if (kf_http_query_int(x, "bytes", 1, 65536, &bytes) < 0) {
        kf_http_error(x, 400, "bytes must be in 1..65536");
        return;
    }
    if ((socket = kf_http_sv_socket(x->h, &why)) == NULL) {
        kf_http_error(x, 404, "not running under odradek-supervisor");
        return;
    }
    rc = kf_http_sv_call(x->h, x, socket, KF_HTTP_SV_TAIL, x->arg[0], bytes);
    if (rc == ERR_LIMIT)
        kf_http_error(x, 503, "too many supervisor requests in flight");
    else if (rc < 0)
        kf_http_error(x, 503, err_str(rc));
}

/* ---- module ------------------------------------------------------------- */

static int kf_http_sv_start(kf_http_t *h)
{
    struct kf_http_sv *sv = xcalloc(1, sizeof *sv);

    sv->h = h;
    h->mod[KF_HTTP_MOD_SV] = sv;
    return 0;
}

static void kf_http_sv_stop(kf_http_t *h)
{
    struct kf_http_sv *sv = h->mod[KF_HTTP_MOD_SV];

    if (sv == NULL)
        return;
    h->mod[KF_HTTP_MOD_SV] = NULL;
    sv->stopping = true;
    if (sv->calls == 0) {
        free(sv);
        return;
    }
    /* each answers (a conn waiting gets its 503-like answer) and closes;
     * the last close frees sv */
    for (struct kf_http_sv_call *k = sv->list; k; k = k->next)
        kf_http_sv_finish(k, ERR_CLOSED, "the broker is stopping");
}

static void kf_http_sv_metrics(kf_http_t *h, buf_t *o)
{
    struct kf_http_sv *sv = h->mod[KF_HTTP_MOD_SV];
    const char        *why = NULL, *socket;
    int                i;

    if (sv == NULL)
        return;
    /* refresh for the next scrape; this one answers from what is known */
    if (!sv->refreshing &&
        (!sv->have_status || clock_mono_ms() - sv->status_ms > KF_HTTP_SV_CACHE_MS) &&
        (socket = kf_http_sv_socket(h, &why)) != NULL)
        kf_http_sv_call(h, NULL, socket, KF_HTTP_SV_STATUS, NULL, 0);
    if (!sv->have_status)
        return;
    buf_printf(o, "# HELP odradek_supervisor_up 1 if the supervisor's control socket "
                  "answered the last status request.\n"
                  "# TYPE odradek_supervisor_up gauge\nodradek_supervisor_up %d\n"
                  "# HELP odradek_supervisor_status_age_seconds Age of the last status "
                  "request's answer.\n"
                  "# TYPE odradek_supervisor_status_age_seconds gauge\n"
                  "odradek_supervisor_status_age_seconds %.3f\n",
               sv->status_ok ? 1 : 0, (double)(clock_mono_ms() - sv->status_ms) / 1000.0);
    if (!sv->status_ok)
        return;
    buf_puts(o, "# HELP odradek_supervisor_program_up 1 if the program is READY.\n"
                "# TYPE odradek_supervisor_program_up gauge\n");
    for (i = 0; i < sv->nprogs; i++) {
        buf_puts(o, "odradek_supervisor_program_up{program=\"");
        kf_http_label(o, sv->progs[i].name);
        buf_printf(o, "\"} %d\n", strcmp(sv->progs[i].state, "READY") == 0 ? 1 : 0);
    }
    buf_puts(o, "# HELP odradek_supervisor_program_restarts_total Restarts of the "
                "program by the supervisor.\n"
                "# TYPE odradek_supervisor_program_restarts_total counter\n");
    for (i = 0; i < sv->nprogs; i++) {
        buf_puts(o, "odradek_supervisor_program_restarts_total{program=\"");
        kf_http_label(o, sv->progs[i].name);
        buf_printf(o, "\"} %lld\n", (long long)sv->progs[i].restarts);
    }
}

static const struct kf_http_route kf_http_sv_routes[] = {
    { "GET", "/api/v1/supervisor", KF_HTTP_READ, kf_http_sv_status },
    { "GET", "/api/v1/supervisor/programs/{}/log", KF_HTTP_READ, kf_http_sv_log },
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_sv = { "sv", kf_http_sv_routes, kf_http_sv_start,
                                               kf_http_sv_stop, kf_http_sv_metrics };
