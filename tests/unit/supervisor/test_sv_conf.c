/* sv_conf: the config loader, with good files and hostile rows. */
#include "cmocka_all.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sv_conf.h"
#include "sv_probe.h"

static int load(struct sv_conf *c, const char *text, char *err, size_t n)
{
    return sv_conf_load_string(c, "/etc/odradek/odradek.conf", text,
                               strlen(text), false, err, n);
}

static void test_good_file(void **state)
{
    static const char text[] =
        "; comment\n"
        "# another\n"
        "[supervisor]\n"
        "control_socket = /run/odradek/odradek.sock\n"
        "log_dir = /var/log/odradek\n"
        "restart_intensity = 7\n"
        "restart_period = 2m\n"
        "\n"
        "[program:coord]\n"
        "command = odradek-coord %(here)s/zookeeper.properties\n"
        "ready = notify\n"
        "live = zk-srvr localhost:2181\n"
        "stopwaitsecs = 250ms\n"
        "environment = A=\"x, y\",B=2\n"
        "exitcodes = 0,2, 3\n"
        "stopsignal = SIGINT\n"
        "autorestart = unexpected\n"
        "umask = 027\n"
        "stdout_logfile_maxbytes = 1MB ; trailing comment\n"
        "\n"
        "[program:broker]\n"
        "command = odradek-broker '%(here)s/server.properties' \"a b\" c\\ d\n"
        "requires = coord\n"
        "ready = kafka-apiversions [::1]:9092\n"
        "rlimit_nofile = 65536\n";
    struct sv_conf c;
    char           err[256];
    const struct sv_prog_conf *p;

    (void)state;
    assert_int_equal(load(&c, text, err, sizeof err), 0);
    assert_string_equal(c.control_socket, "/run/odradek/odradek.sock");
    assert_string_equal(c.log_dir, "/var/log/odradek");
    assert_int_equal(c.intensity, 7);
    assert_int_equal(c.period_ms, 120000);
    assert_int_equal(c.nprogs, 2);
    p = sv_conf_find(&c, "coord");
    assert_non_null(p);
    assert_string_equal(p->argv[0], "odradek-coord");
    assert_string_equal(p->argv[1], "/etc/odradek/zookeeper.properties");
    assert_null(p->argv[2]);
    assert_int_equal(p->ready.kind, SV_PROBE_NOTIFY);
    assert_int_equal(p->live.kind, SV_PROBE_ZK_SRVR);
    assert_string_equal(p->live.host, "127.0.0.1");
    assert_int_equal(p->live.port, 2181);
    assert_int_equal(p->stopwaitsecs_ms, 250);
    assert_string_equal(p->env[0], "A=x, y");
    assert_string_equal(p->env[1], "B=2");
    assert_null(p->env[2]);
    assert_int_equal(p->nexitcodes, 3);
    assert_int_equal(p->exitcodes[2], 3);
    assert_int_equal(p->stopsignal, SIGINT);
    assert_int_equal(p->umask, 027);
    assert_int_equal(p->logfile_maxbytes, 1024 * 1024);
    /* defaults */
    assert_true(p->autostart);
    assert_true(p->stopasgroup);
    assert_int_equal(p->deathsig, SIGKILL);
    assert_int_equal(p->startsecs_ms, 1000);
    p = sv_conf_find(&c, "broker");
    assert_string_equal(p->argv[1], "/etc/odradek/server.properties");
    assert_string_equal(p->argv[2], "a b");
    assert_string_equal(p->argv[3], "c d");
    assert_int_equal(p->nrequires, 1);
    assert_string_equal(p->requires[0], "coord");
    assert_int_equal(p->ready.kind, SV_PROBE_KAFKA_APIVERSIONS);
    assert_string_equal(p->ready.host, "::1");
    assert_int_equal(p->rlimit_nofile, 65536);
    assert_non_null(strstr(p->fingerprint, "requires=coord\n"));
    sv_conf_free(&c);
    sv_conf_free(&c); /* idempotent */
}

/* Each row: a file that must be refused, and a piece of the message. */
static const struct {
    const char *name;
    const char *text;
    const char *want; /* substring of the error, with file:line */
} bad[] = {
    { "no command", "[program:a]\nautostart=true\n", "has no command" },
    { "empty command", "[program:a]\ncommand=   \n", ":2: command" },
    { "unterminated quote", "[program:a]\ncommand=sh -c 'echo\n", ":2: command" },
    { "trailing backslash", "[program:a]\ncommand=sh \\\n", ":2: command" },
    { "unknown section", "[programs:a]\ncommand=x\n", "unknown section" },
    { "key before section", "command=x\n", "unknown section" },
    { "bad name", "[program:a/b]\ncommand=x\n", "program name" },
    { "empty name", "[program:]\ncommand=x\n", "program name" },
    { "long name", "[program:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\ncommand=x\n",
      "program name" },
    { "requires unknown", "[program:a]\ncommand=x\nrequires=b\n", "unknown program 'b'" },
    { "requires itself", "[program:a]\ncommand=x\nrequires=a\n", "requires itself" },
    { "cycle", "[program:a]\ncommand=x\nrequires=b\n[program:b]\ncommand=x\n"
      "requires=c\n[program:c]\ncommand=x\nrequires=a\n", "cycle" },
    { "negative duration", "[program:a]\ncommand=x\nstartsecs=-1\n", ":3: startsecs" },
    { "huge duration", "[program:a]\ncommand=x\nstartsecs=1e300\n", ":3: startsecs" },
    { "nan duration", "[program:a]\ncommand=x\nstopwaitsecs=nan\n", ":3: stopwaitsecs" },
    { "duration unit", "[program:a]\ncommand=x\nstartsecs=5 days\n", ":3: startsecs" },
    { "bad bool", "[program:a]\ncommand=x\nautostart=maybe\n", ":3: autostart" },
    { "bad signal", "[program:a]\ncommand=x\nstopsignal=SIGFOO\n", ":3: stopsignal" },
    { "signal 0", "[program:a]\ncommand=x\nstopsignal=0\n", ":3: stopsignal" },
    { "signal 99", "[program:a]\ncommand=x\nstopsignal=99\n", ":3: stopsignal" },
    { "exit code 256", "[program:a]\ncommand=x\nexitcodes=0,256\n", ":3: exitcodes" },
    { "exit code word", "[program:a]\ncommand=x\nexitcodes=zero\n", ":3: exitcodes" },
    { "probe kind", "[program:a]\ncommand=x\nready=http 1.2.3.4:80\n", ":3: ready" },
    { "probe no port", "[program:a]\ncommand=x\nready=tcp 127.0.0.1\n", ":3: ready" },
    { "probe port 0", "[program:a]\ncommand=x\nready=tcp 127.0.0.1:0\n", ":3: ready" },
    { "probe port big", "[program:a]\ncommand=x\nready=tcp 127.0.0.1:65536\n", ":3: ready" },
    { "probe port junk", "[program:a]\ncommand=x\nready=tcp h:80x\n", ":3: ready" },
    { "notify arg", "[program:a]\ncommand=x\nready=notify now\n", ":3: ready" },
    { "exec empty", "[program:a]\ncommand=x\nready=exec\n", ":3: ready" },
    { "live notify", "[program:a]\ncommand=x\nlive=notify\n", ":3: live" },
    { "env no value sep", "[program:a]\ncommand=x\nenvironment=A\n", ":3: environment" },
    { "env bad key", "[program:a]\ncommand=x\nenvironment=1A=b\n", ":3: environment" },
    { "env open quote", "[program:a]\ncommand=x\nenvironment=A=\"b\n", ":3: environment" },
    { "relative directory", "[program:a]\ncommand=x\ndirectory=tmp\n", ":3: directory" },
    { "relative logfile", "[program:a]\ncommand=x\nstdout_logfile=a.log\n",
      ":3: stdout_logfile" },
    { "umask 8", "[program:a]\ncommand=x\numask=8\n", ":3: umask" },
    { "maxbytes unit", "[program:a]\ncommand=x\nstdout_logfile_maxbytes=5XB\n",
      ":3: stdout_logfile_maxbytes" },
    { "maxbytes overflow", "[program:a]\ncommand=x\n"
      "stdout_logfile_maxbytes=99999999999999999999GB\n", ":3: stdout_logfile_maxbytes" },
    { "unknown expansion", "[program:a]\ncommand=%(ENV_HOME)s/x\n", "expansion" },
    { "twice (indented continuation)", "[program:a]\ncommand=x\n  --flag\n",
      "given twice" },
    { "duplicate key", "[program:a]\ncommand=x\ncommand=y\n", ":3: command: given twice" },
    { "cap < base", "[program:a]\ncommand=x\nbackoff_base=10\nbackoff_cap=1\n",
      "backoff_cap" },
    { "relative socket", "[supervisor]\ncontrol_socket=run/x.sock\n", "control_socket" },
    { "socket too long", "[supervisor]\ncontrol_socket=/"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "control_socket" },
    { "intensity word", "[supervisor]\nrestart_intensity=lots\n", "restart_intensity" },
    { "broken header", "[program:a\ncommand=x\n", ":2: (no section)" },
    { "nul byte", "[program:a]\ncommand=x\0y\n", "" },
    { "too many requires", "[program:a]\ncommand=x\nrequires=b,c,d,e,f,g,h,i,j\n",
      ":3: requires" },
};

static void test_hostile_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct sv_conf c;
        char           err[512] = "";
        size_t         len = strlen(bad[i].text);
        int            rc;

        if (strcmp(bad[i].name, "nul byte") == 0)
            len = sizeof "[program:a]\ncommand=x\0y\n" - 1;
        print_message("case: %s\n", bad[i].name);
        rc = sv_conf_load_string(&c, "/etc/odradek/odradek.conf", bad[i].text,
                                 len, false, err, sizeof err);
        print_message("  -> %s\n", err);
        assert_int_equal(rc, ERR_CONFIG);
        assert_non_null(strstr(err, "/etc/odradek/odradek.conf:"));
        assert_non_null(strstr(err, bad[i].want));
        assert_int_equal(c.nprogs, 0); /* freed on failure */
        assert_null(c.path);
    }
}

static void test_long_line_refused(void **state)
{
    struct sv_conf c;
    char           err[256];
    char          *text = malloc(1000);

    (void)state;
    /* inih would split this into a second line defining "evil"; we refuse */
    strcpy(text, "[program:a]\ncommand=x\nenvironment=A=");
    memset(text + strlen(text), 'y', 300);
    strcpy(text + strlen("[program:a]\ncommand=x\nenvironment=A=") + 300,
           "autostart=false\n");
    assert_int_equal(load(&c, text, err, sizeof err), ERR_CONFIG);
    assert_non_null(strstr(err, ":3:"));
    free(text);
}

static void test_split_command(void **state)
{
    static const struct {
        const char *in;
        const char *want[5];
    } rows[] = {
        { "a b  c", { "a", "b", "c" } },
        { "  a\t'b c'  ", { "a", "b c" } },
        { "a \"b \\\" c\" d", { "a", "b \" c", "d" } },
        { "a ''", { "a", "" } },
        { "a'b'c", { "abc" } },
        { "x\\ y", { "x y" } },
        { "sh -c 'echo $HOME; exit 3'", { "sh", "-c", "echo $HOME; exit 3" } },
    };
    char **argv;

    (void)state;
    for (size_t i = 0; i < N_ELEMS(rows); i++) {
        size_t k;

        assert_int_equal(sv_conf_split_command(rows[i].in, &argv), 0);
        for (k = 0; rows[i].want[k]; k++)
            assert_string_equal(argv[k], rows[i].want[k]);
        assert_null(argv[k]);
        sv_conf_strv_free(argv);
    }
    assert_int_equal(sv_conf_split_command("", &argv), ERR_CONFIG);
    assert_int_equal(sv_conf_split_command("a 'b", &argv), ERR_CONFIG);
    assert_int_equal(sv_conf_split_command("a \"b", &argv), ERR_CONFIG);
    /* too many words */
    {
        char *many = malloc(2000);

        many[0] = '\0';
        for (int i = 0; i < 300; i++)
            strcat(many, "a ");
        assert_int_equal(sv_conf_split_command(many, &argv), ERR_CONFIG);
        free(many);
    }
}

static void test_values(void **state)
{
    int64_t ms;
    int     sig;

    (void)state;
    assert_int_equal(sv_conf_parse_duration_ms("10", &ms), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(sv_conf_parse_duration_ms("0.25", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(sv_conf_parse_duration_ms("1h", &ms), 0);
    assert_int_equal(ms, 3600000);
    assert_int_equal(sv_conf_parse_duration_ms("8d", &ms), ERR_CONFIG);
    assert_int_equal(sv_conf_parse_duration_ms("inf", &ms), ERR_CONFIG);
    assert_int_equal(sv_conf_parse_duration_ms("", &ms), ERR_CONFIG);
    assert_int_equal(sv_conf_parse_signal("kill", &sig), 0);
    assert_int_equal(sig, SIGKILL);
    assert_int_equal(sv_conf_parse_signal("15", &sig), 0);
    assert_int_equal(sig, 15);
    assert_string_equal(sv_conf_signal_name(SIGTERM), "TERM");
}

static void test_apiversions_bytes(void **state)
{
    /* size 23, ApiVersions (18) v0, correlation 1, "odradek-probe" */
    static const uint8_t ok[] = { 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    static const uint8_t err35[] = { 0, 0, 0, 6, 0, 0, 0, 1, 0, 35 };
    static const uint8_t corr2[] = { 0, 0, 0, 6, 0, 0, 0, 2, 0, 0 };
    static const uint8_t shrt[] = { 0, 0, 0, 6, 0, 0, 0, 1, 0 };

    (void)state;
    assert_int_equal(sv_probe_apiversions_req[3], 23);
    assert_int_equal(sv_probe_apiversions_req[5], 18);
    assert_int_equal(sv_probe_apiversions_req[11], 1);
    assert_memory_equal(sv_probe_apiversions_req + 14, "odradek-probe", 13);
    assert_true(sv_probe_apiversions_ok(ok, sizeof ok));
    assert_false(sv_probe_apiversions_ok(err35, sizeof err35));
    assert_false(sv_probe_apiversions_ok(corr2, sizeof corr2));
    assert_false(sv_probe_apiversions_ok(shrt, sizeof shrt));
}

/* The shipped default config loads. */
static void test_default_config(void **state)
{
    struct sv_conf c;
    char           err[512], path[1024];
    const char    *data = getenv("ODRADEK_TEST_DATA");

    (void)state;
    if (data == NULL)
        skip();
    snprintf(path, sizeof path, "%s/../../../config/odradek.conf", data);
    assert_int_equal(sv_conf_load(&c, path, err, sizeof err), 0);
    assert_int_equal(c.nprogs, 2);
    assert_string_equal(sv_conf_find(&c, "broker")->requires[0], "coord");
    assert_int_equal(sv_conf_find(&c, "coord")->ready.kind, SV_PROBE_NOTIFY);
    sv_conf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_hostile_rows),
        cmocka_unit_test(test_long_line_refused),
        cmocka_unit_test(test_split_command),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_apiversions_bytes),
        cmocka_unit_test(test_default_config),
    };

    return cmocka_run_group_tests_name("sv_conf", tests, NULL, NULL);
}
