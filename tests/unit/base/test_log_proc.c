/* log: one line per event, levels, journald priority prefix.
 * proc: the shared daemon command line, pidfiles, --stop. */
#include "cmocka_all.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "proc.h"

/* Runs the logging calls with stderr on a temp file; returns the text. */
static char *capture(void (*fn)(void))
{
    static char out[8192];
    FILE       *tmp = tmpfile();
    int         saved = dup(2);
    size_t      n;

    dup2(fileno(tmp), 2);
    fn();
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static void emit_levels(void)
{
    log_init("unit");
    log_set_level(LOG_INFO);
    log_debug("hidden %d", 1);
    log_info("shown %s", "info");
    log_warn("multi\nline");
    log_error("err");
}

static void test_levels_and_one_line(void **state)
{
    char *out;

    (void)state;
    unsetenv("JOURNAL_STREAM");
    out = capture(emit_levels);
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "INFO  unit: shown info\n"));
    assert_non_null(strstr(out, "WARN  unit: multi line\n")); /* folded */
    assert_non_null(strstr(out, "ERROR unit: err\n"));
    assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
    assert_int_equal(log_level_parse("WARNING"), LOG_WARN);
    assert_int_equal(log_level_parse("loud"), -1);
}

static void emit_journal(void)
{
    struct stat st;
    char        v[64];

    fstat(2, &st);
    snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", v, 1);
    log_init("unit");
    log_warn("to journald");
    unsetenv("JOURNAL_STREAM");
    log_init("unit");
}

static void test_journald_prefix(void **state)
{
    (void)state;
    assert_string_equal(capture(emit_journal), "<4>to journald\n");
}

static void emit_long(void)
{
    char big[10000];

    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_info("%s", big);
}

static void test_long_message_truncated_to_one_line(void **state)
{
    char *out;

    (void)state;
    out = capture(emit_long);
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
}

static const struct {
    const char *name;
    const char *argv[6];
    int         rc;
    int         daemon, print, stop;
    const char *config, *pidfile;
} arg_rows[] = {
    { "config only", { "p", "c.properties" }, 0, 0, 0, 0, "c.properties", NULL },
    { "daemon pidfile", { "p", "--daemon", "--pidfile", "/run/x.pid", "c" }, 0, 1,
      0, 0, "c", "/run/x.pid" },
    { "kafka's -daemon", { "p", "-daemon", "c" }, 0, 1, 0, 0, "c", NULL },
    { "pidfile=", { "p", "--pidfile=/p", "--print-config", "c" }, 0, 0, 1, 0, "c",
      "/p" },
    { "stop without config", { "p", "--stop", "--pidfile", "/p" }, 0, 0, 0, 1, NULL,
      "/p" },
    { "missing config", { "p" }, ERR_MALFORMED, 0, 0, 0, NULL, NULL },
    { "unknown option", { "p", "--bogus", "c" }, ERR_MALFORMED, 0, 0, 0, NULL, NULL },
    { "pidfile without value", { "p", "c", "--pidfile" }, ERR_MALFORMED, 0, 0, 0,
      NULL, NULL },
    { "two configs", { "p", "a", "b" }, ERR_MALFORMED, 0, 0, 0, NULL, NULL },
};

static void test_args(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(arg_rows); i++) {
        struct proc_opts o;
        int              argc = 0;
        int              saved = dup(2), devnull = open("/dev/null", O_WRONLY);

        print_message("case: %s\n", arg_rows[i].name);
        while (argc < 6 && arg_rows[i].argv[argc])
            argc++;
        dup2(devnull, 2);
        int rc = proc_parse_args(argc, (char **)arg_rows[i].argv, "p", &o);
        dup2(saved, 2);
        close(saved);
        close(devnull);
        assert_int_equal(rc, arg_rows[i].rc);
        if (rc != 0)
            continue;
        assert_int_equal(o.daemon, arg_rows[i].daemon);
        assert_int_equal(o.print_config, arg_rows[i].print);
        assert_int_equal(o.stop, arg_rows[i].stop);
        if (arg_rows[i].config)
            assert_string_equal(o.config, arg_rows[i].config);
        else
            assert_null(o.config);
        if (arg_rows[i].pidfile)
            assert_string_equal(o.pidfile, arg_rows[i].pidfile);
    }
}

static void test_pidfile_lock_and_stop(void **state)
{
    char  path[64];
    pid_t child;
    int   st, p[2];
    char  c;

    (void)state;
    snprintf(path, sizeof path, "/tmp/odradek-pid-%d", getpid());
    assert_int_equal(pipe(p), 0);
    child = fork();
    if (child == 0) {
        close(p[0]);
        if (proc_pidfile_write(path) != 0)
            _exit(3);
        if (write(p[1], "k", 1) != 1)
            _exit(4);
        pause(); /* until SIGTERM */
        _exit(0);
    }
    close(p[1]);
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    assert_int_equal(proc_pidfile_read(path), child);
    assert_int_equal(proc_pidfile_write(path), -EBUSY); /* locked by child */
    /* proc_stop waits for the pid to vanish; reap it concurrently */
    if (fork() == 0) {
        int rc = proc_stop("unit", path, 5000);

        _exit(rc == 0 ? 0 : 1);
    }
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    assert_true(wait(&st) > 0);
    assert_int_equal(WEXITSTATUS(st), 0);
    unlink(path);
    assert_int_equal(proc_pidfile_read(path), -ENOENT);
    assert_int_equal(proc_stop("unit", path, 100), ERR_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_and_one_line),
        cmocka_unit_test(test_journald_prefix),
        cmocka_unit_test(test_long_message_truncated_to_one_line),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_pidfile_lock_and_stop),
    };

    return cmocka_run_group_tests_name("log_proc", tests, NULL, NULL);
}
