/* sv_sup: the supervisor itself: programs running under the state table,
 * ordered start (requires= and readiness) and ordered stop, the SIGCHLD
 * reaper, signals (also as PID 1), restart pacing and escalation, notify
 * towards our own manager, reload, stale-children cleanup, and the
 * operations the control socket exposes.
 *
 * sv_sup_run() owns the event loop until the supervisor is done and
 * returns the process exit code: 0 after SIGTERM/SIGINT, 1 after
 * escalation (restart intensity exceeded) or a start-up failure, 78 for a
 * configuration error. */
#ifndef ODRADEK_SV_SUP_H
#define ODRADEK_SV_SUP_H

#include <stdbool.h>

#include "buf.h"
#include "sv_conf.h"

struct sv_sup;

struct sv_sup_opts {
    const char *config;     /* the file to (re)load */
    bool        log_stdout; /* program output as prefixed lines on stdout */
};

/* Takes ownership of *conf (already loaded and checked). */
int sv_sup_run(const struct sv_sup_opts *o, struct sv_conf *conf);

/* Control operations (sv_ctl.c).  Each appends its human-readable answer
 * body to out and returns 0, or < 0 with a reason in out. */
int  sv_sup_status(struct sv_sup *s, buf_t *out, bool json, bool *all_ready);
int  sv_sup_start(struct sv_sup *s, const char *name, buf_t *out);
int  sv_sup_stop(struct sv_sup *s, const char *name, buf_t *out);
int  sv_sup_restart(struct sv_sup *s, const char *name, buf_t *out);
int  sv_sup_signal(struct sv_sup *s, const char *name, const char *sig,
                   buf_t *out);
int  sv_sup_tail(struct sv_sup *s, const char *name, size_t max, buf_t *out);
int  sv_sup_reload(struct sv_sup *s, buf_t *out);
int  sv_sup_reopen(struct sv_sup *s, buf_t *out);

#endif
