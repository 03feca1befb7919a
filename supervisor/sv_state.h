/* sv_state: a program's lifecycle as one state x event table.
 *
 * States are supervisord's (STOPPED STARTING RUNNING BACKOFF STOPPING
 * EXITED FATAL) plus READY (its readiness check passed) and UNHEALTHY
 * (its liveness check is failing, not yet often enough to restart it).
 * RUNNING means "up past startsecs, readiness not yet confirmed".
 *
 * The table is pure data: sv_state_step() says where an event leads and
 * which action the caller (sv_sup.c) performs.  Events that make no sense
 * in a state (a liveness result while STOPPED, say) are ignored, which the
 * table says explicitly rather than by omission. */
#ifndef ODRADEK_SV_STATE_H
#define ODRADEK_SV_STATE_H

#include <stdbool.h>

#include "sv_conf.h"

enum sv_state {
    SV_STOPPED = 0,
    SV_STARTING,
    SV_RUNNING,
    SV_READY,
    SV_UNHEALTHY,
    SV_BACKOFF,
    SV_STOPPING,
    SV_EXITED,
    SV_FATAL,
    SV_NSTATES
};

enum sv_event {
    SV_EV_START = 0,     /* autostart with dependencies ready, or ctl start */
    SV_EV_STARTSECS,     /* alive for startsecs */
    SV_EV_READY,         /* READY=1 or the readiness probe passed */
    SV_EV_LIVE_OK,       /* liveness probe passed */
    SV_EV_LIVE_FAIL,     /* liveness probe failed, below the threshold */
    SV_EV_LIVE_DEAD,     /* liveness failures reached the threshold */
    SV_EV_START_TIMEOUT, /* not ready within start_timeout */
    SV_EV_EXIT_RESTART,  /* exited; policy says restart (after backoff) */
    SV_EV_EXIT_DONE,     /* exited; policy says leave it (EXITED) */
    SV_EV_EXIT_FATAL,    /* exited 78, or startretries spent */
    SV_EV_BACKOFF_DONE,  /* the restart delay passed */
    SV_EV_STOP,          /* ctl stop, shutdown, removed by reload */
    SV_EV_RESTART,       /* ctl restart, changed by reload */
    SV_EV_STOP_TIMEOUT,  /* stopwaitsecs passed while stopping */
    SV_NEVENTS
};

enum sv_action {
    SV_ACT_IGNORE = 0,   /* event not applicable: nothing changes */
    SV_ACT_NONE,         /* state changes, nothing else to do */
    SV_ACT_SPAWN,        /* fork/exec the program */
    SV_ACT_CHECK_READY,  /* now RUNNING: no readiness check means READY */
    SV_ACT_SCHEDULE,     /* arm the backoff timer */
    SV_ACT_KILL,         /* stopsignal, arm the stopwaitsecs timer */
    SV_ACT_KILL_RESTART, /* as KILL, start again once it is gone */
    SV_ACT_KILL_FAILED,  /* as KILL, then back off and restart (a failure) */
    SV_ACT_SIGKILL,      /* SIGKILL (to the group) */
    SV_ACT_CANCEL,       /* disarm the backoff timer */
    SV_ACT_STOPPED,      /* gone after a stop: run the pending follow-up */
};

struct sv_transition {
    enum sv_state  next;
    enum sv_action act;
};

/* Where ev leads from s.  act == SV_ACT_IGNORE means "no change". */
struct sv_transition sv_state_step(enum sv_state s, enum sv_event ev);

/* Exit policy: which EXIT_* event an exit is.  code is the exit status, or
 * -signal when killed by a signal.  in_start: the process exited while
 * STARTING (before startsecs); failed_starts counts consecutive such
 * exits including this one. */
enum sv_event sv_state_exit_event(const struct sv_prog_conf *c, int code,
                                  bool in_start, int failed_starts);

/* A state that has a live process. */
bool sv_state_has_process(enum sv_state s);

const char *sv_state_name(enum sv_state s);
const char *sv_state_event_name(enum sv_event ev);

#endif
