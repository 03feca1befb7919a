/* cli_ctl: `odradek ctl`, the client of odradek-supervisor's control
 * socket (protocol in supervisor/sv_ctl.h: one request line, then "OK",
 * "OK ready", "OK not-ready" or "ERR reason" and a body until EOF).
 *
 * Exit codes: 0 done; for status, 0 only when every program is READY and
 * 3 otherwise (like supervisorctl, so it can be a HEALTHCHECK); 1 the
 * supervisor refused or failed; 2 bad usage; 4 cannot reach the socket.
 * start/stop/restart wait (--wait SECS, default 60) until the program is
 * READY / down, polling status. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"

#define CTL_TIMEOUT_MS 10000

/* Where the socket is, in order: --socket, $ODRADEK_CTL_SOCKET, the
 * packaged path, the development config's path. */
static const char *const cli_ctl_default_sockets[] = {
    "/run/odradek/odradek.sock",
    "/tmp/odradek/odradek.sock",
};

void cli_ctl_usage(FILE *f)
{
    fprintf(f,
        "usage: odradek ctl [--socket PATH] [--wait SECS] REQUEST\n"
        "\n"
        "requests:\n"
        "  status [--json]     every program's state; exit 0 only if all are\n"
        "                      READY, 3 otherwise\n"
        "  start NAME          start, wait until READY\n"
        "  stop NAME           stop, wait until it is down\n"
        "  restart NAME        stop then start, wait until READY\n"
        "  signal SIG NAME     send SIG (TERM, HUP, USR1, 9, ...) to NAME's\n"
        "                      main process (NAME SIG is accepted too)\n"
        "  tail NAME [BYTES]   the program's last output\n"
        "  reload              re-read the config; apply what changed\n"
        "  reopen              reopen log files (logrotate)\n"
        "\n"
        "The socket is --socket, else $ODRADEK_CTL_SOCKET, else the first of\n"
        "/run/odradek/odradek.sock and /tmp/odradek/odradek.sock that exists.\n");
}

/* One request, the whole answer into out.  Returns 0 or -errno. */
static int cli_ctl_call(const char *path, const char *req, buf_t *out)
{
    struct sockaddr_un sa;
    int                fd, rc = 0;
    int64_t            deadline = clock_mono_ms() + CTL_TIMEOUT_MS;
    size_t             n = strlen(path), off = 0, len;
    char              *line = NULL;

    if (n >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, n);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    len = strlen(req) + 1;
    line = malloc(len + 1);
    if (line == NULL) {
        close(fd);
        return -ENOMEM;
    }
    memcpy(line, req, len - 1);
    line[len - 1] = '\n';
    while (off < len) {
        ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -errno;
            goto out;
        }
        off += (size_t)w;
    }
    for (;;) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        int64_t       left = deadline - clock_mono_ms();
        ssize_t       r;

        if (left <= 0) {
            rc = -ETIMEDOUT;
            goto out;
        }
        if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
            rc = -errno;
            goto out;
        }
        buf_reserve(out, 4096);
        r = read(fd, out->data + out->len, out->cap - out->len);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0) {
            rc = -errno;
            goto out;
        }
        if (r == 0)
            break;
        out->len += (size_t)r;
    }
out:
    free(line);
    close(fd);
    return rc;
}

/* The state word of NAME in a plain status body, or "" */
static void cli_ctl_state_of(const char *body, const char *name, char *st,
                             size_t stlen)
{
    const char *p = body;
    size_t      nl = strlen(name);

    st[0] = '\0';
    while (p && *p) {
        if (strncmp(p, name, nl) == 0 && (p[nl] == ' ')) {
            const char *q = p + nl;

            while (*q == ' ')
                q++;
            size_t k = strcspn(q, " \n");

            snprintf(st, stlen, "%.*s", (int)k, q);
            return;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
}

static bool cli_ctl_word_in(const char *w, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(w, *set) == 0)
            return true;
    return false;
}

/* Poll status until NAME is in one of want (success) or fail (failure). */
static int cli_ctl_wait(const char *path, const char *name,
                        const char *const *want, const char *const *fail,
                        int wait_s)
{
    int64_t deadline = clock_mono_ms() + (int64_t)wait_s * 1000;
    char    st[32] = "";

    for (;;) {
        buf_t out = BUF_INIT;
        int   rc = cli_ctl_call(path, "status", &out);

        if (rc == 0) {
            const char *body = strchr(buf_cstr(&out), '\n');

            cli_ctl_state_of(body ? body + 1 : "", name, st, sizeof st);
        }
        buf_free(&out);
        if (rc < 0) {
            fprintf(stderr, "odradek ctl: %s: %s\n", path, strerror(-rc));
            return 4;
        }
        if (cli_ctl_word_in(st, want)) {
            printf("%s: %s\n", name, st);
            return 0;
        }
        if (cli_ctl_word_in(st, fail)) {
            fprintf(stderr, "odradek ctl: %s: %s\n", name, st);
            return 1;
        }
        if (clock_mono_ms() > deadline) {
            fprintf(stderr, "odradek ctl: %s: still %s after %d s\n", name,
                    st[0] ? st : "unknown", wait_s);
            return 1;
        }
        {
            struct timespec ts = { 0, 100 * 1000 * 1000 };

            nanosleep(&ts, NULL);
        }
    }
}

int cli_ctl_main(int argc, char **argv)
{
    const char *path = getenv("ODRADEK_CTL_SOCKET");
    int         wait_s = 60, i, rc;
    buf_t       req = BUF_INIT, out = BUF_INIT;
    const char *head, *body, *verb;
    bool        json = false;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            wait_s = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_ctl_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "odradek ctl: unknown option %s\n", argv[i]);
            cli_ctl_usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        cli_ctl_usage(stderr);
        return 2;
    }
    if (path == NULL || *path == '\0') {
        path = cli_ctl_default_sockets[0];
        for (size_t k = 0; k < sizeof cli_ctl_default_sockets / sizeof *cli_ctl_default_sockets; k++)
            if (access(cli_ctl_default_sockets[k], F_OK) == 0) {
                path = cli_ctl_default_sockets[k];
                break;
            }
    }
    verb = argv[i];
    static const struct {
        const char *verb;
        int         nargs_min, nargs_max;
    } verbs[] = {
        { "status", 0, 1 }, { "start", 1, 1 }, { "stop", 1, 1 },
        { "restart", 1, 1 }, { "signal", 2, 2 }, { "tail", 1, 2 },
        { "reload", 0, 0 }, { "reopen", 0, 0 },
    };
    size_t v;

    for (v = 0; v < sizeof verbs / sizeof verbs[0]; v++)
        if (strcmp(verbs[v].verb, verb) == 0)
            break;
    if (v == sizeof verbs / sizeof verbs[0] || argc - i - 1 < verbs[v].nargs_min ||
        argc - i - 1 > verbs[v].nargs_max) {
        fprintf(stderr, "odradek ctl: bad request (try odradek help ctl)\n");
        return 2;
    }
    buf_puts(&req, verb);
    for (int k = i + 1; k < argc; k++) {
        if (strcmp(verb, "status") == 0 && (strcmp(argv[k], "--json") == 0 ||
                                            strcmp(argv[k], "json") == 0)) {
            json = true;
            buf_puts(&req, " json");
            continue;
        }
        if (strcmp(verb, "status") == 0) {
            fprintf(stderr, "odradek ctl: status takes only --json\n");
            buf_free(&req);
            return 2;
        }
        if (strpbrk(argv[k], " \t\n") != NULL) {
            fprintf(stderr, "odradek ctl: bad argument '%s'\n", argv[k]);
            buf_free(&req);
            return 2;
        }
        buf_printf(&req, " %s", argv[k]);
    }
    rc = cli_ctl_call(path, buf_cstr(&req), &out);
    buf_free(&req);
    if (rc < 0) {
        fprintf(stderr, "odradek ctl: %s: %s (is odradek-supervisor running?)\n",
                path, strerror(-rc));
        buf_free(&out);
        return 4;
    }
    head = buf_cstr(&out);
    body = strchr(head, '\n');
    body = body ? body + 1 : "";
    if (strncmp(head, "ERR", 3) == 0) {
        fprintf(stderr, "odradek ctl: %.*s\n", (int)strcspn(head + 4, "\n"),
                head + 4);
        buf_free(&out);
        return 1;
    }
    if (strncmp(head, "OK", 2) != 0) {
        fprintf(stderr, "odradek ctl: unexpected answer\n");
        buf_free(&out);
        return 1;
    }
    fputs(body, stdout);
    if (strcmp(verb, "status") == 0) {
        rc = strncmp(head, "OK ready", 8) == 0 ? 0 : 3;
        (void)json;
    } else if (strcmp(verb, "start") == 0 || strcmp(verb, "restart") == 0) {
        static const char *const want[] = { "READY", NULL };
        static const char *const fail[] = { "FATAL", "EXITED", NULL };

        fflush(stdout);
        rc = wait_s > 0 ? cli_ctl_wait(path, argv[i + 1], want, fail, wait_s) : 0;
    } else if (strcmp(verb, "stop") == 0) {
        static const char *const want[] = { "STOPPED", "EXITED", "FATAL", NULL };
        static const char *const fail[] = { NULL };

        fflush(stdout);
        rc = wait_s > 0 ? cli_ctl_wait(path, argv[i + 1], want, fail, wait_s) : 0;
    } else {
        rc = 0;
    }
    buf_free(&out);
    return rc;
}
