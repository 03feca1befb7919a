/* sv_probe: tcp / zk-ruok / kafka-apiversions / exec checks over libuv
 * (see sv_probe.h).  Lifetime: refs counts the timer, the tcp handle and
 * an exec child; the object is freed when the last one lets go. */
#include "sv_probe.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "rd.h"
#include "sv_spawn.h"
#include "xalloc.h"

struct sv_probe {
    uv_timer_t        timer;     /* timer.data == this */
    uv_tcp_t          tcp;       /* tcp.data == this */
    uv_connect_t      connect;
    uv_write_t        write;
    struct sv_probe_spec spec;   /* cmd not owned */
    buf_t             in;
    sv_probe_done_fn *done;
    void             *ud;
    pid_t             pid;       /* exec: the shell, until reaped */
    int               refs;
    unsigned          finished : 1;
    unsigned          tcp_open : 1;
};

/* size 23 | api_key 18 | api_version 0 | correlation_id 1 |
 * client_id (int16 length 13) "odradek-probe" */
const uint8_t sv_probe_apiversions_req[27] = {
    0x00, 0x00, 0x00, 0x17, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x0d, 'o', 'd', 'r', 'a', 'd', 'e', 'k', '-', 'p', 'r', 'o', 'b', 'e',
};

bool sv_probe_apiversions_ok(const uint8_t *p, size_t n)
{
    rd_t    r = rd_init(p, n);
    int32_t size = rd_i32(&r);
    int32_t corr = rd_i32(&r);
    int16_t err = rd_i16(&r);

    /* ApiVersionsResponse v0: correlation_id, error_code, api_keys[] */
    return rd_ok(&r) && size >= 6 && corr == 1 && err == 0;
}

static void sv_probe_unref(struct sv_probe *p)
{
    if (--p->refs == 0) {
        buf_free(&p->in);
        free(p);
    }
}

static void sv_probe_on_closed(uv_handle_t *h)
{
    sv_probe_unref(h->data);
}

static void sv_probe_finish(struct sv_probe *p, bool ok, const char *why)
{
    sv_probe_done_fn *done = p->done;

    if (p->finished)
        return;
    p->finished = 1;
    p->done = NULL;
    uv_close((uv_handle_t *)&p->timer, sv_probe_on_closed);
    if (p->tcp_open)
        uv_close((uv_handle_t *)&p->tcp, sv_probe_on_closed);
    if (p->pid > 0)
        kill(-p->pid, SIGKILL); /* the watch still holds a ref */
    if (done)
        done(p->ud, ok, why);
}

void sv_probe_cancel(struct sv_probe *p)
{
    if (p == NULL)
        return;
    p->done = NULL;
    sv_probe_finish(p, false, "cancelled");
}

static void sv_probe_on_timeout(uv_timer_t *t)
{
    sv_probe_finish(t->data, false, "timed out");
}

static void sv_probe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct sv_probe *p = h->data;

    (void)hint;
    buf_reserve(&p->in, 512);
    *b = uv_buf_init((char *)p->in.data + p->in.len,
                     (unsigned)(p->in.cap - p->in.len));
}

static void sv_probe_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct sv_probe *p = s->data;

    (void)b;
    if (p->finished)
        return;
    if (n > 0)
        p->in.len += (size_t)n;
    if (p->in.len > 4096) {
        sv_probe_finish(p, false, "answer too long");
        return;
    }
    if (p->spec.kind == SV_PROBE_ZK_SRVR) {
        /* ZooKeeper's srvr answer has a "Mode: standalone" (leader,
         * follower) line once the server serves; it closes after it */
        buf_cstr(&p->in);
        if (p->in.len > 0 && strstr((const char *)p->in.data, "Mode: ")) {
            sv_probe_finish(p, true, "srvr Mode");
            return;
        }
        if (n < 0)
            sv_probe_finish(p, false, p->in.len ? "srvr: not serving" : "no answer");
        return;
    }
    if (p->spec.kind == SV_PROBE_ZK_RUOK) {
        if (p->in.len >= 4 && memcmp(p->in.data, "imok", 4) == 0) {
            sv_probe_finish(p, true, "imok");
            return;
        }
        if (n < 0 || p->in.len >= 4)
            sv_probe_finish(p, false, p->in.len ? "not imok" : "no answer");
        return;
    }
    /* kafka: one frame: int32 size then size bytes */
    if (p->in.len >= 4) {
        rd_t    r = rd_init(p->in.data, p->in.len);
        int32_t size = rd_i32(&r);

        if (size < 6 || size > 4096) {
            sv_probe_finish(p, false, "bad ApiVersions frame size");
            return;
        }
        if (p->in.len >= (size_t)size + 4) {
            bool ok = sv_probe_apiversions_ok(p->in.data, p->in.len);

            sv_probe_finish(p, ok, ok ? "ApiVersions ok" : "ApiVersions error");
            return;
        }
    }
    if (n < 0)
        sv_probe_finish(p, false, "closed before answering");
}

static void sv_probe_on_write(uv_write_t *w, int status)
{
    struct sv_probe *p = w->data;

    if (status < 0)
        sv_probe_finish(p, false, err_str(status));
}

static void sv_probe_on_connect(uv_connect_t *c, int status)
{
    struct sv_probe *p = c->data;
    uv_buf_t         b;

    if (p->finished)
        return;
    if (status < 0) {
        sv_probe_finish(p, false, err_str(status));
        return;
    }
    if (p->spec.kind == SV_PROBE_TCP) {
        sv_probe_finish(p, true, "connected");
        return;
    }
    if (p->spec.kind == SV_PROBE_ZK_RUOK)
        b = uv_buf_init((char *)"ruok", 4);
    else if (p->spec.kind == SV_PROBE_ZK_SRVR)
        b = uv_buf_init((char *)"srvr", 4);
    else
        b = uv_buf_init((char *)sv_probe_apiversions_req,
                        sizeof sv_probe_apiversions_req);
    p->write.data = p;
    if (uv_write(&p->write, (uv_stream_t *)&p->tcp, &b, 1, sv_probe_on_write) < 0 ||
        uv_read_start((uv_stream_t *)&p->tcp, sv_probe_alloc, sv_probe_on_read) < 0)
        sv_probe_finish(p, false, "write failed");
}

static void sv_probe_on_exit(void *ud, pid_t pid, int status)
{
    struct sv_probe *p = ud;
    int              code = sv_spawn_code(status);

    (void)pid;
    p->pid = 0;
    sv_probe_finish(p, code == 0, code == 0 ? "exit 0" : "non-zero exit");
    sv_probe_unref(p);
}

struct sv_probe *sv_probe_run(uv_loop_t *loop, const struct sv_probe_spec *spec,
                              int64_t timeout_ms, sv_probe_done_fn *done,
                              void *ud)
{
    struct sv_probe *p = xcalloc(1, sizeof *p);
    int              rc;

    p->spec = *spec;
    p->done = done;
    p->ud = ud;
    p->refs = 1;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, sv_probe_on_timeout,
                   (uint64_t)(timeout_ms > 0 ? timeout_ms : 1), 0);

    if (spec->kind == SV_PROBE_EXEC) {
        static char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:"
                                      "/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        char *argv[] = { "/bin/sh", "-c", spec->cmd, NULL };
        struct sv_spawn_req req = { .path = "/bin/sh", .argv = argv,
                                    .envp = envp, .umask = -1, .fd_in = -1,
                                    .fd_out = -1, .fd_err = -1,
                                    .deathsig = SIGKILL, .rlimit_nofile = -1,
                                    .rlimit_core = -1, .rlimit_nproc = -1 };
        pid_t pid;

        rc = sv_spawn(&req, &pid);
        if (rc == 0 && sv_spawn_watch(pid, sv_probe_on_exit, p) < 0) {
            kill(pid, SIGKILL);
            rc = ERR_LIMIT;
        }
        if (rc < 0) {
            sv_probe_finish(p, false, err_str(rc));
            return NULL;
        }
        p->pid = pid;
        p->refs++;
        return p;
    }

    struct sockaddr_storage sa;

    if (uv_ip4_addr(spec->host, spec->port, (struct sockaddr_in *)&sa) != 0 &&
        uv_ip6_addr(spec->host, spec->port, (struct sockaddr_in6 *)&sa) != 0) {
        sv_probe_finish(p, false, "bad address");
        return NULL;
    }
    uv_tcp_init(loop, &p->tcp);
    p->tcp.data = p;
    p->tcp_open = 1;
    p->refs++;
    p->connect.data = p;
    rc = uv_tcp_connect(&p->connect, &p->tcp, (struct sockaddr *)&sa,
                        sv_probe_on_connect);
    if (rc < 0) {
        sv_probe_finish(p, false, err_str(rc));
        return NULL;
    }
    return p;
}
