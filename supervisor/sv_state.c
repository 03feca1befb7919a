/* sv_state: the state x event table (see sv_state.h).  Every row is a
 * state, every column an event; an empty cell is SV_ACT_IGNORE. */
#include "sv_state.h"

#define T(n, a) { SV_##n, SV_ACT_##a }

/* Exits look the same from every state that has a process, except
 * STOPPING, where an exit is the stop we asked for. */
#define EXITS                                                                  \
    [SV_EV_EXIT_RESTART] = T(BACKOFF, SCHEDULE),                               \
    [SV_EV_EXIT_DONE] = T(EXITED, NONE),                                       \
    [SV_EV_EXIT_FATAL] = T(FATAL, NONE),                                       \
    [SV_EV_STOP] = T(STOPPING, KILL),                                          \
    [SV_EV_RESTART] = T(STOPPING, KILL_RESTART)

static const struct sv_transition sv_table[SV_NSTATES][SV_NEVENTS] = {
    [SV_STOPPED] = {
        [SV_EV_START] = T(STARTING, SPAWN),
        [SV_EV_RESTART] = T(STARTING, SPAWN),
    },
    [SV_EXITED] = {
        [SV_EV_START] = T(STARTING, SPAWN),
        [SV_EV_RESTART] = T(STARTING, SPAWN),
        [SV_EV_STOP] = T(STOPPED, NONE),
    },
    [SV_FATAL] = {
        [SV_EV_START] = T(STARTING, SPAWN),
        [SV_EV_RESTART] = T(STARTING, SPAWN),
        [SV_EV_STOP] = T(STOPPED, NONE),
    },
    [SV_BACKOFF] = {
        [SV_EV_START] = T(STARTING, SPAWN),
        [SV_EV_BACKOFF_DONE] = T(STARTING, SPAWN),
        [SV_EV_RESTART] = T(STARTING, SPAWN),
        [SV_EV_STOP] = T(STOPPED, CANCEL),
    },
    [SV_STARTING] = {
        [SV_EV_STARTSECS] = T(RUNNING, CHECK_READY),
        [SV_EV_READY] = T(READY, NONE),
        [SV_EV_START_TIMEOUT] = T(STOPPING, KILL_FAILED),
        EXITS,
    },
    [SV_RUNNING] = {
        [SV_EV_READY] = T(READY, NONE),
        [SV_EV_START_TIMEOUT] = T(STOPPING, KILL_FAILED),
        EXITS,
    },
    [SV_READY] = {
        [SV_EV_LIVE_FAIL] = T(UNHEALTHY, NONE),
        [SV_EV_LIVE_DEAD] = T(STOPPING, KILL_FAILED),
        EXITS,
    },
    [SV_UNHEALTHY] = {
        [SV_EV_LIVE_OK] = T(READY, NONE),
        [SV_EV_LIVE_DEAD] = T(STOPPING, KILL_FAILED),
        EXITS,
    },
    [SV_STOPPING] = {
        [SV_EV_EXIT_RESTART] = T(STOPPED, STOPPED),
        [SV_EV_EXIT_DONE] = T(STOPPED, STOPPED),
        [SV_EV_EXIT_FATAL] = T(STOPPED, STOPPED),
        [SV_EV_STOP_TIMEOUT] = T(STOPPING, SIGKILL),
    },
};

struct sv_transition sv_state_step(enum sv_state s, enum sv_event ev)
{
    struct sv_transition none = { s, SV_ACT_IGNORE };

    if ((unsigned)s >= SV_NSTATES || (unsigned)ev >= SV_NEVENTS)
        return none;
    if (sv_table[s][ev].act == SV_ACT_IGNORE)
        return none;
    return sv_table[s][ev];
}

enum sv_event sv_state_exit_event(const struct sv_prog_conf *c, int code,
                                  bool in_start, int failed_starts)
{
    if (code == 78)                     /* EX_CONFIG: fix the config first */
        return SV_EV_EXIT_FATAL;
    if (in_start) {                     /* supervisord: retried regardless */
        if (c->startretries > 0 && failed_starts > c->startretries)
            return SV_EV_EXIT_FATAL;
        return SV_EV_EXIT_RESTART;
    }
    switch (c->autorestart) {
    case SV_RESTART_FALSE:
        return SV_EV_EXIT_DONE;
    case SV_RESTART_TRUE:
        return SV_EV_EXIT_RESTART;
    default:
        if (code >= 0)
            for (int i = 0; i < c->nexitcodes; i++)
                if (c->exitcodes[i] == code)
                    return SV_EV_EXIT_DONE;
        return SV_EV_EXIT_RESTART;
    }
}

bool sv_state_has_process(enum sv_state s)
{
    return s == SV_STARTING || s == SV_RUNNING || s == SV_READY ||
           s == SV_UNHEALTHY || s == SV_STOPPING;
}

static const char *const sv_state_names[SV_NSTATES] = {
    "STOPPED", "STARTING", "RUNNING", "READY", "UNHEALTHY",
    "BACKOFF", "STOPPING", "EXITED", "FATAL",
};

static const char *const sv_state_event_names[SV_NEVENTS] = {
    "start", "startsecs", "ready", "live-ok", "live-fail", "live-dead",
    "start-timeout", "exit-restart", "exit-done", "exit-fatal",
    "backoff-done", "stop", "restart", "stop-timeout",
};

const char *sv_state_name(enum sv_state s)
{
    return (unsigned)s < SV_NSTATES ? sv_state_names[s] : "UNKNOWN";
}

const char *sv_state_event_name(enum sv_event ev)
{
    return (unsigned)ev < SV_NEVENTS ? sv_state_event_names[ev] : "unknown";
}
