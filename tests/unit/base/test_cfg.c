/* cfg: typed tables -- defaults, file loading with file:line errors,
 * environment overrides, bounds, print and help. */
#include "cmocka_all.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"

struct conf {
    int32_t port;
    int64_t segment_bytes;
    bool    auto_create;
    char   *log_dirs;
    int32_t policy; /* custom: 0 delete, 1 compact */
};

static int parse_policy(const struct cfg_key *k, const char *v, void *field,
                        char *why, size_t whylen)
{
    (void)k;
    if (strcmp(v, "delete") == 0)
        *(int32_t *)field = 0;
    else if (strcmp(v, "compact") == 0)
        *(int32_t *)field = 1;
    else {
        snprintf(why, whylen, "must be delete or compact");
        return -1;
    }
    return 0;
}

static const struct cfg_key keys[] = {
    { "port", CFG_INT, "9092", offsetof(struct conf, port), 0, 65535, NULL,
      NULL, "listener port" },
    { "log.segment.bytes", CFG_LONG, "1073741824",
      offsetof(struct conf, segment_bytes), 14, INT32_MAX, NULL, NULL,
      "segment size" },
    { "auto.create.topics.enable", CFG_BOOL, "true",
      offsetof(struct conf, auto_create), 0, 0, NULL, NULL, "auto-create" },
    { "log.dirs", CFG_STRING, "/tmp/kafka-logs", offsetof(struct conf, log_dirs),
      0, 0, NULL, NULL, "log directories" },
    { "cleanup.policy", CFG_CUSTOM, "delete", offsetof(struct conf, policy), 0, 0,
      parse_policy, NULL, "cleanup policy" },
    { "num.network.threads", CFG_IGNORED, "3", 0, 0, 0, NULL, NULL, "accepted" },
    CFG_KEY_END
};

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/odradek-cfg-XXXXXX");
    int   fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Runs fn with stderr redirected to a temp file; returns what it printed. */
static char *capture_stderr(int (*fn)(cfg_t *, const char *), cfg_t *c,
                            const char *arg, int *rc)
{
    static char out[4096];
    FILE       *tmp = tmpfile();
    int         saved = dup(2);
    size_t      n;

    fflush(stderr);
    dup2(fileno(tmp), 2);
    *rc = fn(c, arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static int load(cfg_t *c, const char *path)
{
    return cfg_load_file(c, path);
}

static void test_defaults(void **state)
{
    struct conf o;
    cfg_t       c;

    (void)state;
    memset(&o, 0, sizeof o);
    cfg_init(&c, keys, &o, "TEST_");
    assert_int_equal(o.port, 9092);
    assert_true(o.segment_bytes == 1073741824);
    assert_true(o.auto_create);
    assert_string_equal(o.log_dirs, "/tmp/kafka-logs");
    assert_false(cfg_is_set(&c, "port"));
    cfg_free(&c);
    assert_null(o.log_dirs);
}

static void test_file_values_and_warnings(void **state)
{
    struct conf o;
    cfg_t       c;
    char       *path = write_tmp("# comment\nport=9093 # port number\n"
                                 "log.dirs=/a,/b\nunknown.key=1\n"
                                 "auto.create.topics.enable=false\n"
                                 "cleanup.policy=compact\nport=9094\n"
                                 "num.network.threads=8\n");
    char       *err;
    int         rc;

    (void)state;
    memset(&o, 0, sizeof o);
    cfg_init(&c, keys, &o, "TEST_");
    err = capture_stderr(load, &c, path, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(o.port, 9094); /* last duplicate wins */
    assert_string_equal(o.log_dirs, "/a,/b");
    assert_false(o.auto_create);
    assert_int_equal(o.policy, 1);
    assert_true(cfg_is_set(&c, "port"));
    assert_int_equal(cfg_origin_of(&c, "port")->line, 7);
    assert_non_null(strstr(err, ":2: warning: port: trailing"));
    assert_non_null(strstr(err, ":4: warning: unknown.key: unknown key"));
    cfg_free(&c);
    unlink(path);
    free(path);
}

static const struct {
    const char *name;
    const char *line;
    const char *want; /* substring of the error after "path:" */
} bad_rows[] = {
    { "not a number", "port=abc\n", ":1: port: \"abc\" is not an integer" },
    { "out of range", "\nport=70000\n", ":2: port: 70000 is out of range [0, 65535]" },
    { "trailing junk", "port=12x\n", ":1: port: \"12x\" is not an integer" },
    { "empty int", "port=\n", ":1: port: empty value" },
    { "int32 overflow", "port=99999999999\n", ":1: port: 99999999999 is out of range" },
    { "bool", "auto.create.topics.enable=maybe\n",
      ":1: auto.create.topics.enable: \"maybe\" is not a boolean" },
    { "custom", "cleanup.policy=shred\n", ":1: cleanup.policy: must be delete or compact" },
    { "below min", "log.segment.bytes=1\n", ":1: log.segment.bytes: 1 is out of range" },
    { "bad escape", "a=\\u12\n", ":1: malformed \\uXXXX escape" },
};

static void test_bad_values(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(bad_rows); i++) {
        struct conf o;
        cfg_t       c;
        char       *path = write_tmp(bad_rows[i].line);
        char        want[512];
        char       *err;
        int         rc;

        print_message("case: %s\n", bad_rows[i].name);
        memset(&o, 0, sizeof o);
        cfg_init(&c, keys, &o, "TEST_");
        err = capture_stderr(load, &c, path, &rc);
        assert_int_equal(rc, ERR_CONFIG);
        snprintf(want, sizeof want, "%s%s", path, bad_rows[i].want);
        if (strstr(err, want) == NULL)
            fail_msg("want \"%s\" in \"%s\"", want, err);
        cfg_free(&c);
        unlink(path);
        free(path);
    }
}

static int load_env(cfg_t *c, const char *unused)
{
    char *envp[] = { "TEST_PORT=1234", "TEST_LOG_DIRS=/env", "OTHER_PORT=1",
                     "TEST_AUTO_CREATE_TOPICS_ENABLE=nope", NULL };

    (void)unused;
    return cfg_load_env(c, envp);
}

static void test_env_overrides(void **state)
{
    struct conf o;
    cfg_t       c;
    char       *err;
    int         rc;

    (void)state;
    assert_string_equal(cfg_env_name("ODRADEK_BROKER_", "log.dirs"),
                        "ODRADEK_BROKER_LOG_DIRS");
    assert_string_equal(cfg_env_name("ODRADEK_COORD_", "4lw.commands.whitelist"),
                        "ODRADEK_COORD_4LW_COMMANDS_WHITELIST");
    memset(&o, 0, sizeof o);
    cfg_init(&c, keys, &o, "TEST_");
    err = capture_stderr(load_env, &c, NULL, &rc);
    assert_int_equal(rc, ERR_CONFIG); /* the bool was bad */
    assert_int_equal(o.port, 1234);
    assert_string_equal(o.log_dirs, "/env");
    assert_non_null(strstr(err, "environment: auto.create.topics.enable:"));
    cfg_free(&c);
}

static void test_print_and_help(void **state)
{
    struct conf o;
    cfg_t       c;
    char        out[4096];
    FILE       *f;
    size_t      n;

    (void)state;
    memset(&o, 0, sizeof o);
    cfg_init(&c, keys, &o, "TEST_");
    assert_int_equal(cfg_set(&c, "port", "1", "x.properties", 3), 0);
    assert_int_equal(cfg_set(&c, "port", "-1", "x.properties", 4), ERR_CONFIG);
    f = tmpfile();
    cfg_print(&c, f);
    cfg_help(keys, "TEST_", f);
    rewind(f);
    n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    assert_non_null(strstr(out, "port=1  # x.properties:3\n"));
    assert_non_null(strstr(out, "log.dirs=/tmp/kafka-logs\n"));
    assert_null(strstr(out, "num.network.threads="));
    assert_non_null(strstr(out, "  log.segment.bytes"));
    assert_non_null(strstr(out, "TEST_PORT"));
    cfg_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_file_values_and_warnings),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_env_overrides),
        cmocka_unit_test(test_print_and_help),
    };

    return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
