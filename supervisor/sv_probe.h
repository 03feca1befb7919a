/* sv_probe: one readiness or liveness check, run inside the event loop.
 *
 * tcp: a connect succeeds.  zk-ruok: "ruok" answered "imok" (ZooKeeper's
 * four-letter word; the server closes after replying; it must be in
 * 4lw.commands.whitelist).  zk-srvr: "srvr" answered with a "Mode: " line
 * (whitelisted by default).  kafka-apiversions:
 * an ApiVersions v0 request (api_key 18, correlation id 1, client id
 * "odradek-probe") answered with correlation id 1 and error_code 0
 * (reference/supervision-packaging.md §3.2).  exec: /bin/sh -c CMD exits 0.
 *
 * A probe is one heap object per attempt: sv_probe_run() starts it and
 * calls done(ud, ok) exactly once, unless sv_probe_cancel() came first;
 * the object frees itself once its handles are closed and its exec child
 * (if any) is reaped. */
#ifndef ODRADEK_SV_PROBE_H
#define ODRADEK_SV_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "sv_conf.h"

struct sv_probe;
typedef void sv_probe_done_fn(void *ud, bool ok, const char *why);

/* Returns the running probe, or NULL if it could not start (done has
 * then already been called with ok = false). */
struct sv_probe *sv_probe_run(uv_loop_t *loop, const struct sv_probe_spec *spec,
                              int64_t timeout_ms, sv_probe_done_fn *done,
                              void *ud);
/* No callback after this; safe on NULL. */
void sv_probe_cancel(struct sv_probe *p);

/* The ApiVersions v0 request bytes, and the check of a response frame
 * (size prefix included).  Exposed for the unit tests. */
extern const uint8_t sv_probe_apiversions_req[27];
bool sv_probe_apiversions_ok(const uint8_t *p, size_t n);

#endif
