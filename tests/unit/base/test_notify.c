/* notify: datagrams reach a listening socket (path and abstract), no-op
 * without NOTIFY_SOCKET, malformed addresses refused. */
#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "notify.h"

static int listen_at(const char *name, int abstract)
{
    struct sockaddr_un sa;
    socklen_t          len;
    int                fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (abstract) {
        memcpy(sa.sun_path + 1, name, strlen(name));
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
    } else {
        strcpy(sa.sun_path, name);
        len = sizeof sa;
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
    return fd;
}

static void recv_is(int fd, const char *want)
{
    char    buf[256];
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);

    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void test_path_socket(void **state)
{
    char path[64];
    int  fd;

    (void)state;
    snprintf(path, sizeof path, "/tmp/odradek-notify-%d", getpid());
    unlink(path);
    fd = listen_at(path, 0);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_int_equal(notify_send("READY=1\nSTATUS=up"), 1);
    recv_is(fd, "READY=1\nSTATUS=up");
    assert_int_equal(notify_sendf("STATUS=%d programs", 2), 1);
    recv_is(fd, "STATUS=2 programs");
    assert_int_equal(notify_send_raw(path, "WATCHDOG=1"), 1);
    recv_is(fd, "WATCHDOG=1");
    close(fd);
    unlink(path);
    unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_socket(void **state)
{
    char name[64], at[66];
    int  fd;

    (void)state;
    snprintf(name, sizeof name, "odradek-notify-test-%d", getpid());
    snprintf(at, sizeof at, "@%s", name);
    fd = listen_at(name, 1);
    assert_int_equal(notify_send_raw(at, "READY=1"), 1);
    recv_is(fd, "READY=1");
    close(fd);
}

static void test_noop_and_errors(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(notify_send("READY=1"), 0);
    assert_int_equal(notify_send_raw("relative/path", "READY=1"), ERR_MALFORMED);
    assert_true(notify_send_raw("/nonexistent/dir/sock", "READY=1") < 0);
    setenv("WATCHDOG_USEC", "3000000", 1);
    unsetenv("WATCHDOG_PID");
    assert_true(notify_watchdog_usec() == 3000000);
    setenv("WATCHDOG_PID", "1", 1); /* someone else's */
    assert_true(notify_watchdog_usec() == 0);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_socket),
        cmocka_unit_test(test_abstract_socket),
        cmocka_unit_test(test_noop_and_errors),
    };

    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
