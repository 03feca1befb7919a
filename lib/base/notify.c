/* notify: sd_notify(3) through libsystemd when present, else the datagram
 * protocol spoken directly (a unix datagram to $NOTIFY_SOCKET; '@' starts
 * an abstract name).  The direct path is always compiled, for tests and
 * for static builds that run where there is no libsystemd. */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

int notify_send_raw(const char *path, const char *state)
{
    struct sockaddr_un sa;
    socklen_t          salen;
    size_t             n;
    int                fd, rc = 1;

    if (path == NULL || *path == '\0')
        return 0;
    n = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || n >= sizeof sa.sun_path)
        return ERR_MALFORMED;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, n);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                        (path[0] == '@' ? 0 : 1));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               salen) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

int notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");

    if (path == NULL || *path == '\0')
        return 0;
#ifdef HAVE_LIBSYSTEMD
    {
        int rc = sd_notify(0, state);

        return rc > 0 ? 1 : rc;
    }
#else
    return notify_send_raw(path, state);
#endif
}

int notify_sendf(const char *fmt, ...)
{
    char    s[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    return notify_send(s);
}

uint64_t notify_watchdog_usec(void)
{
    const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    char       *end;
    unsigned long long v;

    if (us == NULL)
        return 0;
    if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
        return 0;
    v = strtoull(us, &end, 10);
    return *end == '\0' ? (uint64_t)v : 0;
}
