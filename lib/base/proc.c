/* proc: daemon plumbing shared by odradek-coord and odradek-broker:
 * argument parsing for the common command line, detaching with a
 * readiness handshake to the original process, pidfiles, and --stop. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

static int         proc_ready_fd = -1; /* write end to the waiting parent */
static int         proc_pid_fd = -1;
static const char *proc_pid_path;

static int proc_usage(const char *prog, const char *why, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s (try --help)\n", prog, why, arg ? ": " : "",
            arg ? arg : "");
    return ERR_MALFORMED;
}

int proc_parse_args(int argc, char **argv, const char *prog,
                    struct proc_opts *o)
{
    int i;

    memset(o, 0, sizeof *o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--daemon") == 0 || strcmp(a, "-daemon") == 0)
            o->daemon = true;
        else if (strcmp(a, "--print-config") == 0)
            o->print_config = true;
        else if (strcmp(a, "--stop") == 0)
            o->stop = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            o->help = true;
        else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
            o->version = true;
        else if (strcmp(a, "--pidfile") == 0 || strcmp(a, "--log-level") == 0) {
            if (i + 1 >= argc)
                return proc_usage(prog, "option needs a value", a);
            if (a[2] == 'p')
                o->pidfile = argv[++i];
            else
                o->log_level = argv[++i];
        } else if (strncmp(a, "--pidfile=", 10) == 0)
            o->pidfile = a + 10;
        else if (strncmp(a, "--log-level=", 12) == 0)
            o->log_level = a + 12;
        else if (a[0] == '-' && a[1] != '\0')
            return proc_usage(prog, "unknown option", a);
        else if (o->config == NULL)
            o->config = a;
        else
            return proc_usage(prog, "unexpected argument", a);
    }
    if (!o->help && !o->version && !o->stop && o->config == NULL)
        return proc_usage(prog, "missing CONFIG file argument", NULL);
    return 0;
}

int proc_daemonize(void)
{
    int   p[2], code;
    pid_t pid;
    char  c;
    ssize_t n;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0) {
        /* Original process: wait for the daemon's verdict.  A byte 0 means
         * ready, another byte is the exit code, EOF means it died. */
        close(p[1]);
        do
            n = read(p[0], &c, 1);
        while (n < 0 && errno == EINTR);
        code = n == 1 ? (unsigned char)c : 1;
        _exit(code);
    }
    close(p[0]);
    if (setsid() < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0)
        _exit(0); /* the session leader goes; the daemon can never get a tty */
    proc_ready_fd = p[1];
    if (chdir("/") < 0) {
        /* nothing sensible to do; paths are absolute by now */
    }
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        close(fd);
    }
    return 0;
}

static void proc_tell_parent(unsigned char code)
{
    if (proc_ready_fd < 0)
        return;
    if (write(proc_ready_fd, &code, 1) < 0) {
        /* the parent is gone; nobody to tell */
    }
    close(proc_ready_fd);
    proc_ready_fd = -1;
}

void proc_daemon_ready(void)
{
    proc_tell_parent(0);
}

void proc_daemon_failed(int exit_code)
{
    proc_tell_parent((unsigned char)(exit_code ? exit_code : 1));
}

int proc_pidfile_write(const char *path)
{
    char buf[32];
    int  fd, n, err;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        err = errno == EWOULDBLOCK ? -EBUSY : -errno;
        close(fd);
        return err;
    }
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        err = -errno;
        close(fd);
        return err;
    }
    proc_pid_fd = fd;
    proc_pid_path = path;
    return 0;
}

void proc_pidfile_remove(void)
{
    if (proc_pid_fd < 0)
        return;
    unlink(proc_pid_path);
    close(proc_pid_fd);
    proc_pid_fd = -1;
}

pid_t proc_pidfile_read(const char *path)
{
    char    buf[32];
    ssize_t n;
    long    pid;
    char   *end;
    int     fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return ERR_MALFORMED;
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    if (pid <= 0 || (*end != '\n' && *end != '\0'))
        return ERR_MALFORMED;
    return (pid_t)pid;
}

int proc_stop(const char *prog, const char *pidfile, int timeout_ms)
{
    pid_t           pid = proc_pidfile_read(pidfile);
    struct timespec ts = { 0, 20 * 1000000 };
    int             waited = 0;

    if (pid < 0) {
        fprintf(stderr, "%s: no pidfile %s: not running?\n", prog, pidfile);
        return ERR_NOTFOUND;
    }
    if (kill(pid, SIGTERM) < 0) {
        fprintf(stderr, "%s: no process %ld (stale pidfile %s)\n", prog,
                (long)pid, pidfile);
        return ERR_NOTFOUND;
    }
    while (kill(pid, 0) == 0) {
        if (waited >= timeout_ms) {
            fprintf(stderr, "%s: pid %ld still running after %d ms\n", prog,
                    (long)pid, timeout_ms);
            return ERR_TIMEOUT;
        }
        nanosleep(&ts, NULL);
        waited += 20;
    }
    fprintf(stderr, "%s: stopped pid %ld\n", prog, (long)pid);
    return 0;
}
