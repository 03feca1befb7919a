/* kf_http: the broker's HTTP listener (http.listeners, default
 * 127.0.0.1:8888): the embedded web UI (ui/static), the JSON API under
 * /api/v1/ (docs/API.md) and /metrics in Prometheus text format.
 *
 * It owns: the HTTP listeners on the broker's loop (conn.h raw mode; the
 * request parser is lib/base http.c), routing, and the security headers
 * every response gets.  It does not own broker state: it reads the topic
 * registry and logs through struct kf_broker and never blocks: every
 * answer is built from memory and bounded (lists are paginated).
 * Read-only for now: anything but GET/HEAD is 405. */
#ifndef ODRADEK_KF_HTTP_H
#define ODRADEK_KF_HTTP_H

struct kf_broker;
typedef struct kf_http kf_http_t;

/* Listens on every "host:port" of the comma-separated spec ("" = no HTTP).
 * Returns 0 (with *out NULL when disabled) or < 0 (bind failure). */
int  kf_http_start(struct kf_broker *b, const char *spec, kf_http_t **out);
/* Port of the first listener (tests use port 0), or -1. */
int  kf_http_port(const kf_http_t *h);
/* Closes the listeners; done(arg) runs on the loop when all are closed
 * (at once if h is NULL). */
void kf_http_stop(kf_http_t *h, void (*done)(void *arg), void *arg);

#endif
