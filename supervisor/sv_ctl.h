/* sv_ctl: the control socket: a unix stream socket (mode 0660, never TCP,
 * the CVE-2017-11610 lesson), each peer checked with SO_PEERCRED (root,
 * our own uid, or a member of the socket file's group, primary or
 * supplementary), one request line per
 * connection:
 *
 *   status | status json | start NAME | stop NAME | restart NAME |
 *   signal SIG NAME | tail NAME [BYTES] | reload | reopen
 *
 * and one answer: a first line "OK", "OK ready", "OK not-ready" or
 * "ERR reason", then a body, then the server closes the connection. */
#ifndef ODRADEK_SV_CTL_H
#define ODRADEK_SV_CTL_H

#include <uv.h>

struct sv_sup;
struct sv_ctl;

/* Bind and listen at path (replacing a stale socket file; the caller
 * holds the single-instance lock).  Returns the server or NULL with *err
 * set to a negative code. */
struct sv_ctl *sv_ctl_open(uv_loop_t *loop, const char *path, struct sv_sup *sup,
                           int *err);
/* Stops listening, closes clients, unlinks the path; frees itself once the
 * handles are closed.  Safe on NULL. */
void sv_ctl_close(struct sv_ctl *c);

#endif
