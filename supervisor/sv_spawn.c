/* sv_spawn: fork/exec with a pre-exec setup, and the pid -> owner table
 * the SIGCHLD reaper dispatches through (see sv_spawn.h).
 *
 * Between fork and exec the child may only make async-signal-safe calls
 * (the parent has libuv threads), so everything that allocates or looks
 * things up (paths, users, groups, argv, envp) is prepared by the caller. */
#include "sv_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"

#define SV_MAX_WATCH 512

static struct sv_watch {
    pid_t       pid;
    sv_exit_fn *fn;
    void       *ud;
} sv_watches[SV_MAX_WATCH];

int sv_spawn_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return -WTERMSIG(status);
    return -1;
}

static void sv_child_fail(int errfd)
{
    int e = errno;

    (void)!write(errfd, &e, sizeof e);
    _exit(127);
}

static void sv_child_rlimit(int res, int64_t v, int errfd)
{
    struct rlimit rl;

    if (v < 0)
        return;
    rl.rlim_cur = rl.rlim_max = v == INT64_MAX ? RLIM_INFINITY : (rlim_t)v;
    if (setrlimit(res, &rl) < 0) {
        /* lowering always works; raising past the hard limit needs
         * CAP_SYS_RESOURCE: keep the hard limit and raise the soft one */
        if (getrlimit(res, &rl) < 0)
            sv_child_fail(errfd);
        rl.rlim_cur = v == INT64_MAX || (rlim_t)v > rl.rlim_max ? rl.rlim_max
                                                                : (rlim_t)v;
        if (setrlimit(res, &rl) < 0)
            sv_child_fail(errfd);
    }
}

/* Runs in the child; never returns. */
static void sv_child(const struct sv_spawn_req *r, pid_t parent, int errfd)
{
    sigset_t         all;
    struct sigaction dfl;
    int              devnull, fds[3];

    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &dfl, NULL); /* ignored signals survive exec */
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    if (setpgid(0, 0) < 0)
        sv_child_fail(errfd);

    devnull = open("/dev/null", O_RDWR);
    if (devnull < 0)
        sv_child_fail(errfd);
    fds[0] = r->fd_in >= 0 ? r->fd_in : devnull;
    fds[1] = r->fd_out >= 0 ? r->fd_out : devnull;
    fds[2] = r->fd_err >= 0 ? r->fd_err : devnull;
    /* move sources above 2 first so dup2 order cannot clobber them */
    for (int i = 0; i < 3; i++) {
        if (fds[i] <= 2) {
            int d = fcntl(fds[i], F_DUPFD, 3);

            if (d < 0)
                sv_child_fail(errfd);
            for (int j = i + 1; j < 3; j++)
                if (fds[j] == fds[i])
                    fds[j] = d;
            fds[i] = d;
        }
    }
    if (errfd <= 2)
        _exit(127);
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0)
            sv_child_fail(errfd);
    /* only 0-2 and the error pipe (CLOEXEC) survive */
#ifdef SYS_close_range
    if (errfd > 3)
        syscall(SYS_close_range, 3, (unsigned)errfd - 1, 0);
    syscall(SYS_close_range, (unsigned)errfd + 1, ~0U, 0);
#else
    for (int fd = 3; fd < 65536; fd++)
        if (fd != errfd)
            close(fd);
#endif

    if (r->dir && chdir(r->dir) < 0)
        sv_child_fail(errfd);
    if (r->umask >= 0)
        umask((mode_t)r->umask);
    sv_child_rlimit(RLIMIT_NOFILE, r->rlimit_nofile, errfd);
    sv_child_rlimit(RLIMIT_CORE, r->rlimit_core, errfd);
    sv_child_rlimit(RLIMIT_NPROC, r->rlimit_nproc, errfd);
    if (r->set_creds) {
        if (setgroups((size_t)r->ngroups, r->groups) < 0 ||
            setgid(r->gid) < 0 || setuid(r->uid) < 0)
            sv_child_fail(errfd);
    }
    /* after the credential change, which clears it (prctl(2)) */
    if (r->deathsig > 0) {
        if (prctl(PR_SET_PDEATHSIG, r->deathsig) < 0)
            sv_child_fail(errfd);
        if (getppid() != parent)   /* the parent died before we set it */
            _exit(0);
    }
    execve(r->path, r->argv, r->envp);
    sv_child_fail(errfd);
}

int sv_spawn(const struct sv_spawn_req *r, pid_t *pidp)
{
    int     pfd[2], e = 0, status;
    pid_t   parent = getpid(), pid;
    ssize_t n;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        e = -errno;
        close(pfd[0]);
        close(pfd[1]);
        return e;
    }
    if (pid == 0) {
        close(pfd[0]);
        sv_child(r, parent, pfd[1]);
    }
    close(pfd[1]);
    setpgid(pid, pid); /* both sides: whoever runs first wins the race */
    /* bounded: the child either execs (EOF) or writes errno and exits */
    do {
        n = read(pfd[0], &e, sizeof e);
    } while (n < 0 && errno == EINTR);
    close(pfd[0]);
    if (n == (ssize_t)sizeof e) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        return e > 0 ? -e : -EIO;
    }
    *pidp = pid;
    return 0;
}

int sv_spawn_resolve(const char *argv0, char *out, size_t outlen)
{
    char        self[PATH_MAX], *slash;
    const char *path, *p;
    ssize_t     n;

    if (strchr(argv0, '/')) {
        if ((size_t)snprintf(out, outlen, "%s", argv0) >= outlen)
            return ERR_NOTFOUND;
        return 0;
    }
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if ((size_t)snprintf(out, outlen, "%s/%s", self, argv0) < outlen &&
                access(out, X_OK) == 0)
                return 0;
        }
    }
    path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (p = path; *p;) {
        size_t l = strcspn(p, ":");

        if (l > 0 && (size_t)snprintf(out, outlen, "%.*s/%s", (int)l, p,
                                      argv0) < outlen &&
            access(out, X_OK) == 0)
            return 0;
        p += l;
        if (*p == ':')
            p++;
    }
    return ERR_NOTFOUND;
}

int sv_spawn_watch(pid_t pid, sv_exit_fn *fn, void *ud)
{
    for (int i = 0; i < SV_MAX_WATCH; i++) {
        if (sv_watches[i].pid == 0) {
            sv_watches[i].pid = pid;
            sv_watches[i].fn = fn;
            sv_watches[i].ud = ud;
            return 0;
        }
    }
    return ERR_LIMIT;
}

void sv_spawn_unwatch(pid_t pid)
{
    for (int i = 0; i < SV_MAX_WATCH; i++)
        if (sv_watches[i].pid == pid)
            sv_watches[i].pid = 0;
}

int sv_spawn_watched(void)
{
    int n = 0;

    for (int i = 0; i < SV_MAX_WATCH; i++)
        if (sv_watches[i].pid != 0)
            n++;
    return n;
}

int sv_spawn_reap(void)
{
    int   status, orphans = 0;
    pid_t pid;

    for (;;) {
        pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        int found = 0;

        for (int i = 0; i < SV_MAX_WATCH; i++) {
            if (sv_watches[i].pid == pid) {
                struct sv_watch w = sv_watches[i];

                sv_watches[i].pid = 0;
                w.fn(w.ud, pid, status);
                found = 1;
                break;
            }
        }
        if (!found)
            orphans++;
    }
    return orphans;
}
