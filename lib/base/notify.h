/* notify: the systemd notification protocol (sd_notify(3)).
 *
 * With libsystemd found at build time (HAVE_LIBSYSTEMD) this calls
 * sd_notify(); otherwise it sends the datagram itself to $NOTIFY_SOCKET
 * (a path, or an abstract socket written "@name").  Without NOTIFY_SOCKET
 * every call is a no-op returning 0.  Never blocks: the socket is
 * non-blocking and a full receiver drops the message. */
#ifndef ODRADEK_NOTIFY_H
#define ODRADEK_NOTIFY_H

#include <stdint.h>

/* Send a state string such as "READY=1\nSTATUS=up".  Returns 1 if sent,
 * 0 if there is no NOTIFY_SOCKET, < 0 on error. */
int notify_send(const char *state);
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Always the direct datagram (tests, and the libsystemd-less path). */
int notify_send_raw(const char *socket_path, const char *state);
/* WATCHDOG_USEC for this process (checks WATCHDOG_PID), or 0. */
uint64_t notify_watchdog_usec(void);

#endif
