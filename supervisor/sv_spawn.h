/* sv_spawn: the supervisor's own fork/exec and its waitpid(-1) reaper.
 *
 * Not uv_spawn: libuv reaps only the pids it spawned and silently drops
 * an exit that another waitpid(-1) took, and it has no pre-exec hook for
 * PR_SET_PDEATHSIG, rlimits or umask (supervision-packaging.md §1.7).
 * Every child gets its own process group, a clean signal state, only fds
 * 0-2, then (in this order) directory, umask, rlimits, groups, gid, uid,
 * and PR_SET_PDEATHSIG last, because a credential change clears it; the
 * getppid() check closes the race with a parent that died before it.
 *
 * The reaper is a table pid -> callback.  sv_spawn_reap() (called from
 * the SIGCHLD handler) collects every exited child, ours or an orphan
 * re-parented to us as subreaper / PID 1, and calls the owner's callback
 * for the pids it knows. */
#ifndef ODRADEK_SV_SPAWN_H
#define ODRADEK_SV_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sv_spawn_req {
    const char   *path;    /* resolved executable */
    char *const  *argv;
    char *const  *envp;
    const char   *dir;     /* NULL: keep */
    int           umask;   /* -1: keep */
    bool          set_creds;
    uid_t         uid;
    gid_t         gid;
    const gid_t  *groups;  /* supplementary groups (set_creds only) */
    int           ngroups;
    int           fd_in, fd_out, fd_err; /* -1: /dev/null */
    int           deathsig;              /* 0: none */
    int64_t       rlimit_nofile, rlimit_core, rlimit_nproc; /* -1: keep */
};

/* Fork and exec.  Returns 0 with *pid set, or -errno if fork failed or
 * the child could not exec (the child's errno comes back over a CLOEXEC
 * pipe, so "no such file" is a spawn error, not an exit code 127; that
 * child has been reaped already). */
int sv_spawn(const struct sv_spawn_req *r, pid_t *pid);

/* argv0 -> an executable path: as given if it contains '/', else looked
 * up first next to our own binary (/proc/self/exe: a build tree's bin/),
 * then in $PATH.  Returns 0 or ERR_NOTFOUND. */
int sv_spawn_resolve(const char *argv0, char *out, size_t outlen);

typedef void sv_exit_fn(void *ud, pid_t pid, int status);
/* Watch pid: fn runs from sv_spawn_reap() when it exits (status as from
 * waitpid).  Returns 0 or ERR_LIMIT. */
int  sv_spawn_watch(pid_t pid, sv_exit_fn *fn, void *ud);
void sv_spawn_unwatch(pid_t pid);
/* waitpid(-1, WNOHANG) until nothing is left; returns how many processes
 * were reaped that nobody watched (orphans). */
int  sv_spawn_reap(void);

/* How many pids are watched (not yet reaped). */
int  sv_spawn_watched(void);

/* Decode a wait status: exit code >= 0, or -signal. */
int  sv_spawn_code(int status);

#endif
