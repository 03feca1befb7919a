/* sv_spawn: fork/exec with the pre-exec setup, exec errors reported as
 * spawn errors, the reaper table, and path resolution. */
#include "cmocka_all.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "sv_spawn.h"

static int   exits;
static pid_t last_pid;
static int   last_status;

static void on_exit_cb(void *ud, pid_t pid, int status)
{
    (void)ud;
    exits++;
    last_pid = pid;
    last_status = status;
}

static void reap_until(int n)
{
    for (int i = 0; i < 500 && exits < n; i++) {
        sv_spawn_reap();
        usleep(10000);
    }
}

static struct sv_spawn_req req(const char *path, char *const *argv)
{
    static char *const envp[] = { "PATH=/usr/bin:/bin", "X=1", NULL };
    struct sv_spawn_req r;

    memset(&r, 0, sizeof r);
    r.path = path;
    r.argv = argv;
    r.envp = envp;
    r.umask = -1;
    r.fd_in = r.fd_out = r.fd_err = -1;
    r.rlimit_nofile = r.rlimit_core = r.rlimit_nproc = -1;
    return r;
}

static void test_exec_failure_is_a_spawn_error(void **state)
{
    char *const         argv[] = { "nope", NULL };
    struct sv_spawn_req r = req("/nonexistent/nope", argv);
    pid_t               pid = 0;

    (void)state;
    assert_int_equal(sv_spawn(&r, &pid), -ENOENT);
    r.path = "/bin/sh";
    r.dir = "/nonexistent-dir";
    assert_int_equal(sv_spawn(&r, &pid), -ENOENT);
    /* the failed children were reaped by sv_spawn itself */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_child_setup(void **state)
{
    char                out[] = "/tmp/sv_spawn_test.XXXXXX";
    char *const         argv[] = { "sh", "-c",
        "echo \"$X $(ulimit -n) $(umask) $(pwd)\"; "
        "ps -o pgid= -p $$ | tr -d ' '; echo $$; "
        "ls /proc/self/fd | wc -l", NULL };
    struct sv_spawn_req r = req("/bin/sh", argv);
    pid_t               pid;
    int                 fd = mkstemp(out);
    char                text[512] = "";
    FILE               *f;
    int                 pgid = 0, self = 0, nfds = 0;
    char                x[8], nofile[16], um[8], cwd[64];

    (void)state;
    assert_true(fd >= 0);
    r.fd_out = fd;
    r.dir = "/tmp";
    r.umask = 027;
    r.rlimit_nofile = 77;
    r.deathsig = SIGKILL;
    exits = 0;
    assert_int_equal(sv_spawn(&r, &pid), 0);
    assert_int_equal(sv_spawn_watch(pid, on_exit_cb, NULL), 0);
    reap_until(1);
    assert_int_equal(exits, 1);
    assert_int_equal(last_pid, pid);
    assert_int_equal(sv_spawn_code(last_status), 0);
    close(fd);
    f = fopen(out, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%7s %15s %7s %63s %d %d %d", x, nofile, um, cwd,
                            &pgid, &self, &nfds), 7);
    fclose(f);
    unlink(out);
    (void)text;
    assert_string_equal(x, "1");        /* our envp, not the parent's */
    assert_string_equal(nofile, "77");
    assert_string_equal(um, "0027");
    assert_string_equal(cwd, "/tmp");
    assert_int_equal(pgid, self);       /* its own process group */
    /* ls sees 0, 1, 2 and its own directory fd: nothing leaked */
    assert_int_equal(nfds, 4);
}

static void test_exit_codes_and_signals(void **state)
{
    char *const         argv[] = { "sh", "-c", "exit 78", NULL };
    char *const         argv2[] = { "sh", "-c", "kill -9 $$", NULL };
    struct sv_spawn_req r = req("/bin/sh", argv);
    pid_t               pid;

    (void)state;
    exits = 0;
    assert_int_equal(sv_spawn(&r, &pid), 0);
    assert_int_equal(sv_spawn_watch(pid, on_exit_cb, NULL), 0);
    reap_until(1);
    assert_int_equal(sv_spawn_code(last_status), 78);
    r.argv = argv2;
    assert_int_equal(sv_spawn(&r, &pid), 0);
    assert_int_equal(sv_spawn_watch(pid, on_exit_cb, NULL), 0);
    reap_until(2);
    assert_int_equal(sv_spawn_code(last_status), -9);
    /* an unwatched child is reaped and counted as an orphan */
    r.argv = argv;
    assert_int_equal(sv_spawn(&r, &pid), 0);
    {
        int orphans = 0;

        for (int i = 0; i < 500 && orphans == 0; i++) {
            orphans = sv_spawn_reap();
            usleep(10000);
        }
        assert_int_equal(orphans, 1);
    }
    assert_int_equal(exits, 2);
}

static void test_resolve(void **state)
{
    char out[4096];

    (void)state;
    assert_int_equal(sv_spawn_resolve("sh", out, sizeof out), 0);
    assert_int_equal(access(out, X_OK), 0);
    assert_int_equal(sv_spawn_resolve("/x/y", out, sizeof out), 0);
    assert_string_equal(out, "/x/y");
    assert_int_equal(sv_spawn_resolve("no-such-program-xyz", out, sizeof out),
                     ERR_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_failure_is_a_spawn_error),
        cmocka_unit_test(test_child_setup),
        cmocka_unit_test(test_exit_codes_and_signals),
        cmocka_unit_test(test_resolve),
    };

    return cmocka_run_group_tests_name("sv_spawn", tests, NULL, NULL);
}
