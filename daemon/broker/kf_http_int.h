/* kf_http_int: what the HTTP listener's modules share (kf_http*.c only).
 *
 * kf_http.c owns the listeners, the request loop, routing, access control
 * (authentication, the read-only and per-action switches, same-origin
 * checks for writes), the audit line of every write, the security headers
 * and the Server-Sent Events framing.  Each module (kf_http_<name>.c)
 * owns a set of routes, listed in one struct kf_http_module, and its own
 * state (h->mod[KF_HTTP_MOD_<NAME>]); kf_http.c lists the modules.
 *
 * Handlers run on the broker's loop: they answer from memory at once, or
 * reserve a conn slot (conn_reserve) and fill it later from the thread
 * pool's completion (uv_queue_work), so nothing slow runs on the loop.
 * Every answer is bounded (pages, limits, caps). */
#ifndef ODRADEK_KF_HTTP_INT_H
#define ODRADEK_KF_HTTP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "http.h"
#include "kf_http.h"
#include "kf_server.h"

#define KF_HTTP_MAX_LISTENERS 4
#define KF_HTTP_MAX_HEAD      (16 * 1024)
#define KF_HTTP_MAX_BODY      (1024 * 1024 + 64 * 1024) /* a 1 MiB value + JSON */
#define KF_HTTP_MAX_ARGS      4

/* What a route does, for access control: reads are always allowed (after
 * authentication); writes need read-only off and their own switch. */
enum kf_http_action {
    KF_HTTP_READ,
    KF_HTTP_WRITE,        /* topic create, config edit: read-only switch only */
    KF_HTTP_PRODUCE,      /* + http.allow.produce */
    KF_HTTP_DELETE,       /* + http.allow.delete (topics, records) */
    KF_HTTP_OFFSET_RESET, /* + http.allow.offset.reset */
};

/* The decoded request as a handler sees it. */
struct kf_http_ctx {
    kf_http_t             *h;
    conn_t                *c;
    const struct http_req *req;
    slice_t                body; /* content_length bytes (n = 0 if none) */
    const char            *arg[KF_HTTP_MAX_ARGS]; /* "{}" path segments, decoded */
    const char            *user; /* authenticated user ("" = none needed) */
};

typedef void kf_http_handler(struct kf_http_ctx *x);

struct kf_http_route {
    const char         *method;  /* "GET" (HEAD too), "POST", "PUT", "DELETE" */
    const char         *pattern; /* "/api/v1/topics/{}/partitions/{}/messages" */
    enum kf_http_action action;
    kf_http_handler    *fn;
};

enum kf_http_mod_id {
    KF_HTTP_MOD_API,     /* kf_http_api.c: cluster, topics, partitions */
    KF_HTTP_MOD_MSGS,    /* kf_http_msgs.c: message browser, avro schemas */
    KF_HTTP_MOD_STREAM,  /* kf_http_stream.c: live tail and search (SSE) */
    KF_HTTP_MOD_GROUPS,  /* kf_http_groups.c: consumer groups, lag, reset */
    KF_HTTP_MOD_WRITE,   /* kf_http_write.c: produce, topic admin */
    KF_HTTP_MOD_COORD,   /* kf_http_coord.c: the coordination tree */
    KF_HTTP_MOD_SV,      /* kf_http_sv.c: the supervisor's programs */
    KF_HTTP_MOD_HIST,    /* kf_http_hist.c: in-memory history for charts */
    KF_HTTP_MOD_METRICS, /* kf_http_metrics.c: /metrics */
    KF_HTTP_MOD_EXPORT,  /* kf_http_export.c: NDJSON/CSV download of a range */
    KF_HTTP_NMODS
};

struct kf_http_module {
    const char                 *name;
    const struct kf_http_route *routes; /* ends with a NULL method */
    /* Optional.  start: after the listeners are up (timers etc.); < 0
     * fails the broker's start.  stop: close everything (called also when
     * start was not, or failed: h->mod[] is then NULL); handles being
     * closed are counted with kf_http_hold/kf_http_release so the
     * listener object outlives their close callbacks. */
    int  (*start)(kf_http_t *h);
    void (*stop)(kf_http_t *h);
    /* Optional: appends the module's own families to /metrics (Prometheus
     * text: # HELP, # TYPE, samples; label values through kf_http_label). */
    void (*metrics)(kf_http_t *h, buf_t *o);
};

const struct kf_http_module *kf_http_module_at(int i); /* 0..KF_HTTP_NMODS-1 */
/* Writes s escaped for a Prometheus label value (without quotes). */
void kf_http_label(buf_t *o, const char *s);

extern const struct kf_http_module kf_http_mod_api, kf_http_mod_msgs,
    kf_http_mod_stream, kf_http_mod_groups, kf_http_mod_write,
    kf_http_mod_coord, kf_http_mod_sv, kf_http_mod_hist, kf_http_mod_metrics,
    kf_http_mod_export;

struct kf_http {
    struct kf_broker *b;
    conn_listener_t   l[KF_HTTP_MAX_LISTENERS];
    int               nl;
    int               open;  /* listeners not yet closed */
    int               holds; /* kf_http_hold: async closes in modules */
    bool              stopping;
    int64_t           started_ms;
    uint64_t          requests;
    uint64_t          denied; /* 401/403 answers */
    void             *mod[KF_HTTP_NMODS]; /* each module's own state */
    void (*done)(void *arg);
    void *done_arg;
};

/* ---- answers ------------------------------------------------------------ */

/* The headers every response gets (CSP, frames, sniffing, referrer). */
extern const char kf_http_sec_headers[];

/* A whole response with body (freed); extra: more header lines or NULL. */
void kf_http_reply(struct kf_http_ctx *x, int status, const char *ctype,
                   buf_t *body, const char *extra);
void kf_http_json(struct kf_http_ctx *x, int status, buf_t *body); /* JSON */
/* {"error": msg} with status. */
void kf_http_error(struct kf_http_ctx *x, int status, const char *msg);
/* For answers filled later: the response bytes (head + body) of a JSON
 * body, honouring HEAD and keep-alive as req asked.  Then conn_fill. */
conn_msg_t *kf_http_msg(int status, bool keep_alive, bool head, buf_t *body);

/* JSON output helpers. */
void kf_http_json_str(buf_t *b, const char *s);              /* "s" */
void kf_http_json_strn(buf_t *b, const void *s, size_t n);   /* "s" */
void kf_http_b64(buf_t *o, const uint8_t *p, size_t n);      /* base64 */
/* Standard base64 (padding optional, no whitespace) appended to out;
 * ERR_MALFORMED if s[0..n) is not base64. */
int kf_http_unbase64(const void *s, size_t n, buf_t *out);

/* Query parameter as an integer in [min, max]: 0 and *out set, 1 when
 * absent (*out untouched), < 0 when present but not an integer in range
 * (the caller answers 400). */
int kf_http_query_int(const struct kf_http_ctx *x, const char *name, int64_t min,
                      int64_t max, int64_t *out);

/* Parses the request body as JSON into arena a (answers 400 itself and
 * returns < 0 on a bad or missing body). */
struct json;
int kf_http_body_json(struct kf_http_ctx *x, arena_t *a, struct json **out);

/* One line "http audit: user=U peer=IP action=A target=T result=R" to the
 * log, for every write action (handlers call it with the outcome). */
void kf_http_audit(const struct kf_http_ctx *x, const char *action,
                   const char *target, const char *result);

/* ---- Server-Sent Events ---------------------------------------------------
 * kf_http_sse_begin answers the request with 200 text/event-stream (no
 * length: the stream ends when either side closes), turns off the idle
 * timeout and ignores further input on c; on_close(c, arg) runs once when
 * the connection goes (client gone, broker stopping): the module drops its
 * stream there.  kf_http_sse_send frames one event ("event: E\ndata: D\n\n";
 * D must not hold newlines: JSON on one line) and returns ERR_LIMIT without
 * queueing when more than KF_HTTP_SSE_BACKLOG bytes wait for a slow reader
 * (the caller counts it as dropped). */
#define KF_HTTP_SSE_BACKLOG (1u << 20)
bool kf_http_sse_begin(struct kf_http_ctx *x, void (*on_close)(conn_t *c, void *arg),
                       void *arg);
int  kf_http_sse_send(conn_t *c, const char *event, const char *data, size_t n);
/* A HEAD on an SSE route is answered 405 and kf_http_sse_begin returns
 * false, but its on_close still runs (when that connection closes) and
 * sends are dropped: the caller handles the stream as usual.
 *
 * kf_http_raw_begin: the same for any streamed body (ctype, extra header
 * lines or NULL): 200 without a length; the connection closes at the end.
 * It returns false for HEAD (answered 405; no hook will ever run: the
 * caller drops what it prepared).  on_drain (may be NULL) runs when
 * everything queued on c has been written: a producer that stops at a
 * backlog resumes there.  kf_http_raw_end ends the body: the hooks are
 * dropped (they will not run) and c closes once flushed. */
bool kf_http_raw_begin(struct kf_http_ctx *x, const char *ctype, const char *extra,
                       void (*on_close)(conn_t *c, void *arg), void *arg);
void kf_http_raw_on_drain(conn_t *c, void (*on_drain)(conn_t *c, void *arg));
void kf_http_raw_end(conn_t *c);
/* A comment line (": ping"), to keep proxies from timing the stream out. */
void kf_http_sse_ping(conn_t *c);

/* ---- records (kf_http_msgs.c) --------------------------------------------- */

#define KF_HTTP_MSG_INFLATE (16u << 20) /* decompressed bytes per batch, at most */

/* One record of a stored v2 batch; slices borrow from the batch or the
 * scratch buffer (valid during the callback only). */
struct kf_http_rec {
    int64_t        offset, timestamp;
    bool           log_append_time;
    int            codec; /* the batch's compression (0 none) */
    slice_t        key, value; /* n == -1: null */
    int32_t        nheaders;
    const uint8_t *headers; /* encoded: varint-length key, value pairs */
    size_t         headers_len;
};
/* Return 0 to go on, anything else stops kf_http_records with that value. */
typedef int kf_http_rec_fn(void *arg, const struct kf_http_rec *r);

/* Calls fn for each record of the v2 batch p[0..n) (control batches are
 * skipped), decompressing into scratch (at most KF_HTTP_MSG_INFLATE).
 * Returns 0, fn's non-zero value, ERR_MALFORMED or ERR_CORRUPT.  Pure:
 * safe on the thread pool. */
int kf_http_records(const uint8_t *p, size_t n, buf_t *scratch, kf_http_rec_fn *fn,
                    void *arg);
/* Appends one record as the API's JSON object (key, value and header
 * values base64, cut at max_value bytes with "truncated": true). */
void kf_http_rec_json(buf_t *o, const struct kf_http_rec *r, int32_t partition,
                      size_t max_value);
/* ,"name":value for record bytes: null, a JSON string of the text (bytes
 * that are not UTF-8 become U+FFFD) or base64 (b64), cut at max bytes. */
void kf_http_bytes_field(buf_t *o, const char *name, slice_t s, bool b64, size_t max);
/* ,"headers":[{"key":..,"value":..}] of a record, values as above. */
void kf_http_headers_field(buf_t *o, const struct kf_http_rec *r, bool b64, size_t max);
/* Reads a log slice's bytes into out (thread pool).  0 or < 0. */
int kf_http_read_slice(const struct kf_log_slice *s, buf_t *out);
/* The log of topic/partition (path arguments), or NULL after a 404. */
kf_log_t *kf_http_partition(struct kf_http_ctx *x, const char *topic,
                            const char *part, int32_t *pnum);

/* ---- consumer groups (kf_http_groups.c) ---------------------------------- */

/* Calls fn for every consumer group with its total lag (sum over its
 * committed partitions of high watermark - committed offset, 0 at least)
 * and the number of partitions it has offsets for.  Returns the number of
 * groups (0 when the broker has no group coordinator). */
int kf_http_group_lags(kf_http_t *h,
                       void (*fn)(void *arg, const char *group, int64_t lag,
                                  int partitions),
                       void *arg);

/* Keeps h alive across an asynchronous close in a module's stop. */
void kf_http_hold(kf_http_t *h);
void kf_http_release(kf_http_t *h);

#endif
