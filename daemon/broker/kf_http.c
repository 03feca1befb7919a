/* kf_http: HTTP listeners, request loop, routing, access control, audit,
 * Server-Sent Events framing (see kf_http.h and kf_http_int.h). */
#include "kf_http.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "kf_http_int.h"
#include "log.h"
#include "ui_assets.h"
#include "xalloc.h"

static const struct kf_http_module *const kf_http_mods[KF_HTTP_NMODS] = {
    [KF_HTTP_MOD_API] = &kf_http_mod_api,
    [KF_HTTP_MOD_MSGS] = &kf_http_mod_msgs,
    [KF_HTTP_MOD_STREAM] = &kf_http_mod_stream,
    [KF_HTTP_MOD_GROUPS] = &kf_http_mod_groups,
    [KF_HTTP_MOD_WRITE] = &kf_http_mod_write,
    [KF_HTTP_MOD_COORD] = &kf_http_mod_coord,
    [KF_HTTP_MOD_SV] = &kf_http_mod_sv,
    [KF_HTTP_MOD_HIST] = &kf_http_mod_hist,
    [KF_HTTP_MOD_METRICS] = &kf_http_mod_metrics,
    [KF_HTTP_MOD_EXPORT] = &kf_http_mod_export,
};

const struct kf_http_module *kf_http_module_at(int i)
{
    return kf_http_mods[i];
}

/* No framing by other sites, no MIME sniffing, scripts and styles only
 * from us (the UI has no inline code), no referrer. */
const char kf_http_sec_headers[] =
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"
    "X-Frame-Options: DENY\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n";

/* Per connection (c->data), made when a stream begins. */
struct kf_http_conn {
    void (*on_close)(conn_t *c, void *arg);
    void (*on_drain)(conn_t *c, void *arg);
    void *arg;
    bool  stream;  /* SSE: input is ignored from now on */
    bool  refused; /* a HEAD on a stream: nothing more is sent */
};

/* ---- answers ------------------------------------------------------------ */

static void kf_http_extra(char *hdrs, size_t n, const char *extra)
{
    snprintf(hdrs, n, "%sCache-Control: no-store\r\n%s", kf_http_sec_headers,
             extra ? extra : "");
}

void kf_http_reply(struct kf_http_ctx *x, int status, const char *ctype,
                   buf_t *body, const char *extra)
{
    buf_t out = BUF_INIT;
    char  hdrs[1536];
    bool  head = slice_eq(x->req->method, "HEAD");

    kf_http_extra(hdrs, sizeof hdrs, extra);
    http_response_head(&out, status, ctype, (int64_t)body->len, x->req->keep_alive,
                       hdrs);
    if (!head)
        buf_put(&out, body->data, body->len);
    conn_send(x->c, &out);
    buf_free(body);
    if (!x->req->keep_alive)
        conn_close_after_flush(x->c);
}

void kf_http_json(struct kf_http_ctx *x, int status, buf_t *body)
{
    kf_http_reply(x, status, "application/json", body, NULL);
}

void kf_http_error(struct kf_http_ctx *x, int status, const char *msg)
{
    buf_t body = BUF_INIT;

    buf_puts(&body, "{\"error\":");
    kf_http_json_str(&body, msg);
    buf_puts(&body, "}\n");
    kf_http_json(x, status, &body);
}

conn_msg_t *kf_http_msg(int status, bool keep_alive, bool head, buf_t *body)
{
    conn_msg_t *m = conn_msg_new();
    char        hdrs[1024];

    kf_http_extra(hdrs, sizeof hdrs, NULL);
    http_response_head(&m->data, status, "application/json", (int64_t)body->len,
                       keep_alive, hdrs);
    if (!head)
        buf_put(&m->data, body->data, body->len);
    buf_free(body);
    return m;
}

void kf_http_json_strn(buf_t *b, const void *s, size_t n)
{
    buf_put_u8(b, '"');
    http_json_escape(b, s, n);
    buf_put_u8(b, '"');
}

void kf_http_json_str(buf_t *b, const char *s)
{
    kf_http_json_strn(b, s, strlen(s));
}

void kf_http_b64(buf_t *o, const uint8_t *p, size_t n)
{
    static const char t[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char     q[4] = { t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63] };

        buf_put(o, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char     q[4] = { t[v >> 18], t[(v >> 12) & 63], '=', '=' };

        buf_put(o, q, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char     q[4] = { t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '=' };

        buf_put(o, q, 4);
    }
}

int kf_http_query_int(const struct kf_http_ctx *x, const char *name, int64_t min,
                      int64_t max, int64_t *out)
{
    char      v[32], *end;
    long long n;
    int       rc = http_query_get(x->req->query, name, v, sizeof v);

    if (rc == ERR_NOTFOUND)
        return 1;
    if (rc <= 0)
        return ERR_MALFORMED;
    n = strtoll(v, &end, 10);
    if (*end != '\0' || n < min || n > max)
        return ERR_MALFORMED;
    *out = n;
    return 0;
}

int kf_http_body_json(struct kf_http_ctx *x, arena_t *a, struct json **out)
{
    size_t at = 0;
    char   msg[96];

    if (x->body.n <= 0) {
        kf_http_error(x, 400, "a JSON body is required");
        return ERR_MALFORMED;
    }
    if (json_parse(a, x->body.p, (size_t)x->body.n, out, &at) < 0) {
        snprintf(msg, sizeof msg, "body is not valid JSON (at byte %zu)", at);
        kf_http_error(x, 400, msg);
        return ERR_MALFORMED;
    }
    return 0;
}

void kf_http_audit(const struct kf_http_ctx *x, const char *action,
                   const char *target, const char *result)
{
    log_info("http audit: user=%s peer=%s action=%s target=%s result=%s",
             x->user && *x->user ? x->user : "-", x->c->peer_ip, action,
             target ? target : "-", result);
}

/* ---- Server-Sent Events ------------------------------------------------- */

static struct kf_http_conn *kf_http_conn_of(conn_t *c)
{
    if (c->data == NULL)
        c->data = xcalloc(1, sizeof(struct kf_http_conn));
    return c->data;
}

bool kf_http_raw_begin(struct kf_http_ctx *x, const char *ctype, const char *extra,
                          void (*on_close)(conn_t *c, void *arg), void *arg)
{
    struct kf_http_conn *hc;
    buf_t                out = BUF_INIT;
    char                 hdrs[1536];

    if (slice_eq(x->req->method, "HEAD")) { /* a stream has no head of its own */
        kf_http_error(x, 405, "streams answer GET only");
        return false;
    }
    hc = kf_http_conn_of(x->c);
    kf_http_extra(hdrs, sizeof hdrs, extra);
    http_response_head(&out, 200, ctype, -1, false, hdrs);
    conn_send(x->c, &out);
    conn_no_idle(x->c);
    hc->on_close = on_close;
    hc->arg = arg;
    hc->stream = true;
    return true;
}

void kf_http_raw_on_drain(conn_t *c, void (*on_drain)(conn_t *c, void *arg))
{
    kf_http_conn_of(c)->on_drain = on_drain;
}

void kf_http_raw_end(conn_t *c)
{
    struct kf_http_conn *hc = c->data;

    if (hc != NULL) {
        hc->on_close = NULL;
        hc->on_drain = NULL;
    }
    conn_close_after_flush(c);
}

bool kf_http_sse_begin(struct kf_http_ctx *x, void (*on_close)(conn_t *c, void *arg),
                       void *arg)
{
    buf_t out = BUF_INIT;

    if (slice_eq(x->req->method, "HEAD")) {
        /* refused, but the hooks are kept so the module's on_close still
         * runs (the connection closes after the 405); events are dropped */
        struct kf_http_conn *hc = kf_http_conn_of(x->c);

        kf_http_error(x, 405, "streams answer GET only");
        conn_close_after_flush(x->c);
        hc->on_close = on_close;
        hc->arg = arg;
        hc->stream = true;
        hc->refused = true;
        return false;
    }
    if (!kf_http_raw_begin(x, "text/event-stream; charset=utf-8",
                           "X-Accel-Buffering: no\r\n", on_close, arg))
        return false;
    buf_puts(&out, "retry: 2000\n\n");
    conn_send(x->c, &out);
    return true;
}

int kf_http_sse_send(conn_t *c, const char *event, const char *data, size_t n)
{
    struct kf_http_conn *hc = c->data;
    buf_t                out = BUF_INIT;

    if (conn_is_closing(c) || (hc != NULL && hc->refused))
        return ERR_CLOSED;
    if (c->out_bytes > KF_HTTP_SSE_BACKLOG)
        return ERR_LIMIT;
    buf_printf(&out, "event: %s\ndata: ", event);
    buf_put(&out, data, n);
    buf_puts(&out, "\n\n");
    conn_send(c, &out);
    return 0;
}

void kf_http_sse_ping(conn_t *c)
{
    struct kf_http_conn *hc = c->data;
    buf_t                out = BUF_INIT;

    if (conn_is_closing(c) || c->out_bytes > KF_HTTP_SSE_BACKLOG ||
        (hc != NULL && hc->refused))
        return;
    buf_puts(&out, ": ping\n\n");
    conn_send(c, &out);
}

static void kf_http_on_conn_drain(conn_t *c)
{
    struct kf_http_conn *hc = c->data;

    if (hc != NULL && hc->on_drain != NULL)
        hc->on_drain(c, hc->arg);
}

static void kf_http_on_conn_close(conn_t *c, int why)
{
    struct kf_http_conn *hc = c->data;

    (void)why;
    if (hc == NULL)
        return;
    c->data = NULL;
    if (hc->on_close != NULL)
        hc->on_close(c, hc->arg);
    free(hc);
}

/* ---- access control ----------------------------------------------------- */

static int kf_http_b64_val(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

int kf_http_unbase64(const void *src, size_t n, buf_t *out)
{
    const uint8_t *s = src;
    uint32_t       acc = 0;
    int            bits = 0, v;
    size_t         i;

    while (n > 0 && s[n - 1] == '=')
        n--;
    for (i = 0; i < n; i++) {
        if ((v = kf_http_b64_val(s[i])) < 0)
            return ERR_MALFORMED;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf_put_u8(out, (uint8_t)(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    return bits >= 6 ? ERR_MALFORMED : 0; /* a lone trailing digit */
}

/* Equal without an early exit (length is not secret here). */
static bool kf_http_secret_eq(const char *a, size_t an, const char *b)
{
    size_t        bn = strlen(b), i;
    unsigned char d = an != bn;

    for (i = 0; i < an && i < bn; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static bool kf_http_prefix(slice_t v, const char *p)
{
    size_t n = strlen(p), i;

    if (v.n < (int32_t)n)
        return false;
    for (i = 0; i < n; i++)
        if ((v.p[i] | 0x20) != (p[i] | 0x20) && v.p[i] != p[i])
            return false;
    return true;
}

/* Authenticates x per http.auth; fills x->user.  false: answered 401. */
static bool kf_http_authenticate(struct kf_http_ctx *x, char *user, size_t usz)
{
    const struct kf_config *kc = x->h->b->kc;
    slice_t                 a = http_header_get(x->req, "Authorization");
    buf_t                   dec = BUF_INIT, body = BUF_INIT;
    const char             *colon;

    user[0] = '\0';
    x->user = user;
    if (strcmp(kc->http_auth, "none") == 0)
        return true;
    if (strcmp(kc->http_auth, "basic") == 0) {
        if (a.n > 6 && kf_http_prefix(a, "Basic ") &&
            kf_http_unbase64(a.p + 6, (size_t)a.n - 6, &dec) == 0 &&
            (colon = memchr(dec.data, ':', dec.len)) != NULL) {
            const char *d = (const char *)dec.data;
            bool        uok = kf_http_secret_eq(d, (size_t)(colon - d), kc->http_auth_user);
            bool pok = kf_http_secret_eq(colon + 1, dec.len - (size_t)(colon + 1 - d),
                                         kc->http_auth_password);

            buf_free(&dec);
            if (uok && pok) {
                snprintf(user, usz, "%s", kc->http_auth_user);
                return true;
            }
        }
        buf_free(&dec);
        x->h->denied++;
        buf_puts(&body, "{\"error\":\"authentication required\"}\n");
        kf_http_reply(x, 401, "application/json", &body,
                      "WWW-Authenticate: Basic realm=\"odradek\", charset=\"UTF-8\"\r\n");
        return false;
    }
    if (a.n > 7 && kf_http_prefix(a, "Bearer ") &&
        kf_http_secret_eq((const char *)a.p + 7, (size_t)a.n - 7, kc->http_auth_token)) {
        snprintf(user, usz, "token");
        return true;
    }
    x->h->denied++;
    buf_puts(&body, "{\"error\":\"authentication required\"}\n");
    kf_http_reply(x, 401, "application/json", &body,
                  "WWW-Authenticate: Bearer realm=\"odradek\"\r\n");
    return false;
}

static const char *const kf_http_action_names[] = {
    [KF_HTTP_READ] = "read",
    [KF_HTTP_WRITE] = "write",
    [KF_HTTP_PRODUCE] = "produce",
    [KF_HTTP_DELETE] = "delete",
    [KF_HTTP_OFFSET_RESET] = "offset-reset",
};

/* May this write run?  Read-only and per-action switches, then what a
 * browser cannot be tricked into sending cross-site: a JSON content type
 * for bodies, and an Origin (if any) naming this very host. */
static bool kf_http_may_write(struct kf_http_ctx *x, enum kf_http_action act)
{
    const struct kf_config *kc = x->h->b->kc;
    slice_t                 origin = http_header_get(x->req, "Origin");
    slice_t                 host = http_header_get(x->req, "Host");
    slice_t                 ctype = http_header_get(x->req, "Content-Type");
    const char             *why = NULL;
    int                     status = 403;

    if (kc->http_read_only)
        why = "the UI is read-only (http.read.only=true)";
    else if (act == KF_HTTP_PRODUCE && !kc->http_allow_produce)
        why = "producing is switched off (http.allow.produce=false)";
    else if (act == KF_HTTP_DELETE && !kc->http_allow_delete)
        why = "deleting is switched off (http.allow.delete=false)";
    else if (act == KF_HTTP_OFFSET_RESET && !kc->http_allow_offset_reset)
        why = "offset reset is switched off (http.allow.offset.reset=false)";
    else if (origin.n > 0) {
        const uint8_t *o = origin.p;
        int32_t        on = origin.n;

        if (on > 7 && memcmp(o, "http://", 7) == 0)
            o += 7, on -= 7;
        else if (on > 8 && memcmp(o, "https://", 8) == 0)
            o += 8, on -= 8;
        if (host.n <= 0 || on != host.n || memcmp(o, host.p, (size_t)on) != 0)
            why = "cross-origin writes are refused";
    }
    if (why == NULL && x->body.n > 0 &&
        (ctype.n < 16 || !kf_http_prefix(ctype, "application/json"))) {
        why = "a write's body must be Content-Type: application/json";
        status = 415;
    }
    if (why == NULL)
        return true;
    x->h->denied++;
    kf_http_audit(x, kf_http_action_names[act], (const char *)NULL, "refused");
    kf_http_error(x, status, why);
    return false;
}

/* ---- routing ------------------------------------------------------------ */

/* Matches the raw path against pattern segment by segment ("{}" takes any
 * non-empty segment, decoded into seg: a group id may hold %2F).  Returns the number of captures, or
 * -1 for no match. */
static int kf_http_match(slice_t path, const char *pattern, struct kf_http_ctx *x,
                         char *seg, size_t segsz)
{
    const uint8_t *p = path.p, *end = path.p + path.n;
    const char    *q = pattern;
    int            nargs = 0;
    size_t         used = 0;

    while (*q == '/' && p < end && *p == '/') {
        const char    *qe = strchr(q + 1, '/');
        const uint8_t *pe = memchr(p + 1, '/', (size_t)(end - p - 1));
        size_t         ql, pl;

        qe = qe ? qe : q + strlen(q);
        pe = pe ? pe : end;
        ql = (size_t)(qe - q - 1);
        pl = (size_t)(pe - p - 1);
        if (ql == 2 && q[1] == '{' && q[2] == '}') {
            int n;

            if (pl == 0 || nargs == KF_HTTP_MAX_ARGS)
                return -1;
            n = http_unescape((slice_t){ p + 1, (int32_t)pl }, false, seg + used,
                              segsz - used);
            if (n <= 0) /* a decoded '/' (%2F) is fine: the split was on raw '/' */
                return -1;
            x->arg[nargs++] = seg + used;
            used += (size_t)n + 1;
        } else if (ql != pl || memcmp(q + 1, p + 1, ql) != 0) {
            return -1;
        }
        q = qe;
        p = pe;
    }
    return *q == '\0' && p == end ? nargs : -1;
}

static void kf_http_asset(struct kf_http_ctx *x)
{
    const struct ui_asset *a;
    buf_t                  body = BUF_INIT;
    char                   path[256];

    if (!slice_eq(x->req->method, "GET") && !slice_eq(x->req->method, "HEAD")) {
        kf_http_error(x, 405, "method not allowed");
        return;
    }
    if (http_unescape(x->req->path, false, path, sizeof path) < 0) {
        kf_http_error(x, 400, "bad path");
        return;
    }
    if (strcmp(path, "/") == 0)
        snprintf(path, sizeof path, "/index.html");
    for (a = ui_assets; a->path != NULL; a++)
        if (strcmp(a->path, path) == 0) {
            buf_put(&body, a->data, a->len);
            kf_http_reply(x, 200, a->content_type, &body, NULL);
            return;
        }
    kf_http_error(x, 404, "not found");
}

static bool kf_http_method_is(const struct http_req *req, const char *m)
{
    return slice_eq(req->method, m) ||
           (strcmp(m, "GET") == 0 && slice_eq(req->method, "HEAD"));
}

static void kf_http_route(kf_http_t *h, conn_t *c, const struct http_req *req,
                          slice_t body)
{
    struct kf_http_ctx          x = { .h = h, .c = c, .req = req, .body = body };
    const struct kf_http_route *r, *hit = NULL;
    char                        seg[2048], user[128];
    bool                        path_known = false;
    int                         m;

    h->requests++;
    if ((req->path.n < 4 || memcmp(req->path.p, "/api", 4) != 0) &&
        !slice_eq(req->path, "/metrics")) {
        kf_http_asset(&x); /* the UI's files are public: code, no data */
        return;
    }
    for (m = 0; m < KF_HTTP_NMODS && hit == NULL; m++)
        for (r = kf_http_mods[m]->routes; r != NULL && r->method != NULL; r++) {
            if (kf_http_match(req->path, r->pattern, &x, seg, sizeof seg) < 0)
                continue;
            path_known = true;
            if (kf_http_method_is(req, r->method)) {
                hit = r;
                break;
            }
        }
    if (hit == NULL) {
        if (path_known)
            kf_http_error(&x, 405, "method not allowed on this path");
        else
            kf_http_error(&x, 404, strncmp((const char *)req->path.p, "/api/", 5) == 0
                                       ? "no such API"
                                       : "not found");
        return;
    }
    if (!kf_http_authenticate(&x, user, sizeof user))
        return;
    if (hit->action != KF_HTTP_READ && !kf_http_may_write(&x, hit->action))
        return;
    hit->fn(&x);
}

static int kf_http_sniff(conn_t *c, const uint8_t *p, size_t n)
{
    (void)c;
    (void)p;
    (void)n;
    return 1; /* raw: HTTP is not length-prefixed */
}

static ssize_t kf_http_raw(conn_t *c, const uint8_t *p, size_t n)
{
    kf_http_t           *h = c->listener->data;
    struct kf_http_conn *hc;
    struct http_req      req;
    size_t               used = 0;
    int                  rc;

    while (!conn_is_closing(c) && used < n) {
        hc = c->data;
        if (hc != NULL && hc->stream)
            return (ssize_t)n; /* a stream only writes; input is dropped */
        rc = http_parse_request(p + used, n - used, KF_HTTP_MAX_HEAD,
                                KF_HTTP_MAX_BODY, &req);
        if (rc == ERR_SHORT)
            break;
        if (rc < 0) {
            buf_t out = BUF_INIT;

            http_response_head(&out, rc == ERR_TOO_BIG ? 413 : 400, "text/plain",
                               12, false, kf_http_sec_headers);
            buf_puts(&out, "bad request\n");
            conn_send(c, &out);
            conn_close_after_flush(c);
            return (ssize_t)n;
        }
        if (req.content_length > 0 &&
            (size_t)req.content_length > n - used - (size_t)rc)
            break; /* wait for the body */
        kf_http_route(h, c, &req,
                      (slice_t){ p + used + rc,
                                 req.content_length > 0 ? (int32_t)req.content_length
                                                        : 0 });
        used += (size_t)rc + (size_t)(req.content_length > 0 ? req.content_length : 0);
    }
    return (ssize_t)used;
}

static const struct conn_ops kf_http_ops = {
    .max_frame = KF_HTTP_MAX_HEAD + KF_HTTP_MAX_BODY,
    .max_inflight = 16,
    .out_high_water = 8u << 20,
    .idle_ms = 60000,
    .on_sniff = kf_http_sniff,
    .on_raw = kf_http_raw,
    .on_close = kf_http_on_conn_close,
    .on_drain = kf_http_on_conn_drain,
};

/* ---- life cycle --------------------------------------------------------- */

static void kf_http_free_if_done(kf_http_t *h)
{
    if (h->open > 0 || h->holds > 0)
        return;
    if (h->done != NULL)
        h->done(h->done_arg);
    free(h);
}

void kf_http_hold(kf_http_t *h)
{
    h->holds++;
}

void kf_http_release(kf_http_t *h)
{
    h->holds--;
    if (h->stopping)
        kf_http_free_if_done(h);
}

static bool kf_http_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0;
}

int kf_http_start(struct kf_broker *b, const char *spec, kf_http_t **out)
{
    kf_http_t *h;
    char      *copy, *tok, *save = NULL, host[256];
    int        port, rc = 0, m;
    bool       exposed = false;

    *out = NULL;
    if (spec == NULL || *spec == '\0')
        return 0;
    h = xcalloc(1, sizeof *h);
    h->b = b;
    h->started_ms = clock_mono_ms();
    copy = xstrdup(spec);
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (h->nl == KF_HTTP_MAX_LISTENERS ||
            conn_parse_hostport(tok, host, sizeof host, &port) < 0) {
            rc = ERR_CONFIG;
            break;
        }
        rc = conn_listen(&h->l[h->nl], b->loop, host, port, &kf_http_ops, 128);
        if (rc < 0)
            break;
        h->l[h->nl].data = h;
        h->l[h->nl].max_conns = 256;
        log_info("http: listening on %s:%d (UI, /api/v1, /metrics)",
                 *host ? host : "*", conn_listener_port(&h->l[h->nl]));
        exposed |= !kf_http_loopback(host);
        h->nl++;
        h->open++;
    }
    free(copy);
    for (m = 0; rc == 0 && m < KF_HTTP_NMODS; m++)
        if (kf_http_mods[m]->start != NULL && (rc = kf_http_mods[m]->start(h)) < 0)
            log_error("http: %s: %s", kf_http_mods[m]->name, err_str(rc));
    if (rc < 0) {
        log_error("http.listeners %s: %s", spec, err_str(rc));
        kf_http_stop(h, NULL, NULL);
        return rc;
    }
    if (exposed && strcmp(b->kc->http_auth, "none") == 0)
        log_warn("http: listening beyond loopback without http.auth: anyone who "
                 "reaches the port can %s", b->kc->http_read_only
                                                 ? "read every message"
                                                 : "read and write (set http.read.only=true or http.auth)");
    *out = h;
    return 0;
}

int kf_http_port(const kf_http_t *h)
{
    return h != NULL && h->nl > 0 ? conn_listener_port(&h->l[0]) : -1;
}

static void kf_http_on_closed(conn_listener_t *l)
{
    kf_http_t *h = l->data;

    h->open--;
    kf_http_free_if_done(h);
}

void kf_http_stop(kf_http_t *h, void (*done)(void *arg), void *arg)
{
    int i, m;

    if (h == NULL) {
        if (done != NULL)
            done(arg);
        return;
    }
    h->done = done;
    h->done_arg = arg;
    h->stopping = true;
    kf_http_hold(h); /* modules' stops may release synchronously */
    for (m = 0; m < KF_HTTP_NMODS; m++)
        if (kf_http_mods[m]->stop != NULL)
            kf_http_mods[m]->stop(h);
    for (i = 0; i < h->nl; i++) {
        h->l[i].on_closed = kf_http_on_closed;
        conn_listener_close(&h->l[i]);
    }
    kf_http_release(h);
}
