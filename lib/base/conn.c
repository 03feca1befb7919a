/* conn: listeners and connections over uv_poll_t (see conn.h).
 *
 * Owns the sockets, input buffering and framing, the ordered output queue
 * and its writing (writev for bytes, sendfile for file ranges), flow
 * control, and the lifetime of conn_t.  What frames mean belongs to the
 * listener's ops.
 *
 * Output batching: sending only queues and marks the connection dirty; the
 * listener's prepare and check handles flush every dirty connection once
 * per loop iteration (check runs after I/O callbacks, prepare after timers
 * and before the loop blocks), so all responses produced in one iteration
 * leave in one writev per connection. */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "err.h"
#include "xalloc.h"

#define CONN_READ_CHUNK   65536
#define CONN_IOV_MAX      64
#define CONN_ACCEPT_BURST 64
#define CONN_READ_BURST   4

struct conn_slot {
    conn_slot_t *next;
    conn_msg_t  *msg;    /* NULL: filled with no response, or unfilled */
    unsigned     filled : 1;
};

static void conn_update_poll(conn_t *c);
static void conn_maybe_free(conn_t *c);
static void conn_process_input(conn_t *c);
static void conn_flush(conn_t *c);

/* ---- messages ---------------------------------------------------------- */

conn_msg_t *conn_msg_new(void)
{
    return xcalloc(1, sizeof(conn_msg_t));
}

void conn_msg_file(conn_msg_t *m, int fd, off_t off, size_t len,
                   void (*release)(void *ref), void *ref)
{
    struct conn_msg_file *f;

    if (m->nfiles == m->capfiles) {
        m->capfiles = m->capfiles ? m->capfiles * 2 : 4;
        m->files = xrealloc(m->files, m->capfiles * sizeof *m->files);
    }
    f = &m->files[m->nfiles++];
    f->at = m->data.len;
    f->fd = fd;
    f->off = off;
    f->len = len;
    f->release = release;
    f->ref = ref;
}

size_t conn_msg_len(const conn_msg_t *m)
{
    size_t   n = m->data.len;
    unsigned i;

    for (i = 0; i < m->nfiles; i++)
        n += m->files[i].len;
    return n;
}

void conn_msg_free(conn_msg_t *m)
{
    unsigned i;

    if (m == NULL)
        return;
    for (i = 0; i < m->nfiles; i++)
        if (m->files[i].release != NULL)
            m->files[i].release(m->files[i].ref);
    free(m->files);
    buf_free(&m->data);
    free(m);
}

/* One piece of a message from byte position pos on: either data bytes
 * (fd < 0) or a file range.  Returns 0 when pos is at the end. */
struct conn_piece {
    const uint8_t *p;
    int            fd;
    off_t          off;
    size_t         len;
};

static int conn_msg_piece(const conn_msg_t *m, size_t pos,
                          struct conn_piece *out)
{
    size_t   data_at = 0, total = 0, seg;
    unsigned i;

    for (i = 0; i <= m->nfiles; i++) {
        size_t data_end = i < m->nfiles ? m->files[i].at : m->data.len;

        seg = data_end - data_at;
        if (pos < total + seg) {
            out->fd = -1;
            out->p = m->data.data + data_at + (pos - total);
            out->len = seg - (pos - total);
            return 1;
        }
        total += seg;
        data_at = data_end;
        if (i == m->nfiles)
            break;
        seg = m->files[i].len;
        if (pos < total + seg) {
            out->fd = m->files[i].fd;
            out->off = m->files[i].off + (off_t)(pos - total);
            out->len = seg - (pos - total);
            out->p = NULL;
            return 1;
        }
        total += seg;
    }
    return 0;
}

/* ---- lifetime ----------------------------------------------------------- */

bool conn_is_closing(const conn_t *c)
{
    return c->closing;
}

void conn_ref(conn_t *c)
{
    c->refs++;
}

void conn_unref(conn_t *c)
{
    c->refs--;
    conn_maybe_free(c);
}

static void conn_drop_output(conn_t *c)
{
    conn_slot_t *s = c->slots, *next;

    /* Filled slots are freed; unfilled ones stay until conn_fill. */
    c->slots = c->slots_tail = NULL;
    for (; s != NULL; s = next) {
        next = s->next;
        if (s->filled) {
            conn_msg_free(s->msg);
            free(s);
        } else {
            s->next = NULL;
            if (c->slots_tail)
                c->slots_tail->next = s;
            else
                c->slots = s;
            c->slots_tail = s;
        }
    }
    c->out_bytes = 0;
}

static void conn_listener_maybe_closed(conn_listener_t *l)
{
    if (l->closing && l->handles == 0 && l->nconns == 0 && l->on_closed)
        l->on_closed(l);
}

static void conn_maybe_free(conn_t *c)
{
    conn_listener_t *l = c->listener;
    conn_slot_t     *s, *next;

    if (!c->closing || c->handles > 0 || c->refs > 0 || c->in_input)
        return;
    for (s = c->slots; s != NULL; s = next) {
        next = s->next;
        conn_msg_free(s->msg);
        free(s);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    l->nconns--;
    buf_free(&c->in);
    free(c);
    conn_listener_maybe_closed(l);
}

static void conn_on_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;

    c->handles--;
    conn_maybe_free(c);
}

static void conn_remove_dirty(conn_t *c)
{
    conn_t **pp;

    if (!c->dirty)
        return;
    for (pp = &c->listener->dirty; *pp != NULL; pp = &(*pp)->dirty_next)
        if (*pp == c) {
            *pp = c->dirty_next;
            break;
        }
    c->dirty = 0;
}

void conn_close(conn_t *c, int why)
{
    if (c->closing)
        return;
    c->closing = 1;
    conn_remove_dirty(c);
    conn_drop_output(c);
    if (c->fd >= 0) {
        uv_close((uv_handle_t *)&c->poll, conn_on_handle_closed);
        uv_close((uv_handle_t *)&c->idle, conn_on_handle_closed);
    }
    if (c->ops->on_close)
        c->ops->on_close(c, why);
    if (c->fd >= 0) {
        /* libuv has stopped watching the fd (uv_close on the poll handle
         * stops it synchronously), so it is safe to close now. */
        close(c->fd);
        c->fd = -1;
    }
}

void conn_close_after_flush(conn_t *c)
{
    if (c->closing)
        return;
    c->close_after_flush = 1;
    conn_update_poll(c);
    conn_flush(c);
}

/* ---- flow control ------------------------------------------------------- */

static size_t conn_high_water(const conn_t *c)
{
    return c->ops->out_high_water ? c->ops->out_high_water : 4u << 20;
}

static unsigned conn_max_inflight(const conn_t *c)
{
    return c->ops->max_inflight ? c->ops->max_inflight : 64;
}

/* Backpressure: pause above the limits, resume below half of them. */
static void conn_check_bp(conn_t *c)
{
    if (!c->paused_bp) {
        if (c->out_bytes >= conn_high_water(c) ||
            c->inflight >= conn_max_inflight(c))
            c->paused_bp = 1;
    } else if (c->out_bytes <= conn_high_water(c) / 2 &&
               c->inflight <= conn_max_inflight(c) / 2) {
        c->paused_bp = 0;
    }
}

static bool conn_reading(const conn_t *c)
{
    return !c->closing && !c->close_after_flush && !c->paused_user &&
           !c->paused_bp;
}

static void conn_on_poll(uv_poll_t *h, int status, int events);

static void conn_update_poll(conn_t *c)
{
    unsigned ev = 0;

    if (c->closing)
        return;
    if (conn_reading(c))
        ev |= UV_READABLE;
    if (c->want_write)
        ev |= UV_WRITABLE;
    if (ev == c->polling)
        return;
    c->polling = ev;
    if (ev == 0)
        uv_poll_stop(&c->poll);
    else
        uv_poll_start(&c->poll, (int)ev, conn_on_poll);
}

void conn_no_idle(conn_t *c)
{
    if (c->ops->idle_ms && !c->closing)
        uv_timer_stop(&c->idle);
    c->no_idle = 1;
}

void conn_pause(conn_t *c)
{
    c->paused_user = 1;
    conn_update_poll(c);
}

void conn_resume(conn_t *c)
{
    c->paused_user = 0;
    conn_update_poll(c);
    /* frames already buffered would wait for new bytes otherwise */
    if (c->in.len > 0 && !c->in_input)
        conn_process_input(c);
}

/* ---- output ------------------------------------------------------------- */

static void conn_mark_dirty(conn_t *c)
{
    if (c->dirty || c->closing)
        return;
    c->dirty = 1;
    c->dirty_next = c->listener->dirty;
    c->listener->dirty = c;
}

static void conn_append_slot(conn_t *c, conn_slot_t *s)
{
    s->next = NULL;
    if (c->slots_tail)
        c->slots_tail->next = s;
    else
        c->slots = s;
    c->slots_tail = s;
}

static void conn_queued(conn_t *c, conn_msg_t *m)
{
    if (m != NULL)
        c->out_bytes += conn_msg_len(m) - m->sent;
    conn_check_bp(c);
    conn_mark_dirty(c);
}

void conn_send_msg(conn_t *c, conn_msg_t *m)
{
    conn_slot_t *s;

    if (c->closing) {
        conn_msg_free(m);
        return;
    }
    s = xcalloc(1, sizeof *s);
    s->msg = m;
    s->filled = 1;
    conn_append_slot(c, s);
    conn_queued(c, m);
}

static conn_msg_t *conn_msg_from_buf(buf_t *out)
{
    conn_msg_t *m = conn_msg_new();

    buf_move(&m->data, out);
    return m;
}

void conn_send(conn_t *c, buf_t *out)
{
    if (c->closing) {
        buf_free(out);
        return;
    }
    conn_send_msg(c, conn_msg_from_buf(out));
}

void conn_send_first(conn_t *c, buf_t *out)
{
    conn_slot_t *s, **pp;

    if (c->closing) {
        buf_free(out);
        return;
    }
    s = xcalloc(1, sizeof *s);
    s->msg = conn_msg_from_buf(out);
    s->filled = 1;
    for (pp = &c->slots; *pp != NULL && (*pp)->filled; pp = &(*pp)->next)
        ;
    s->next = *pp;
    *pp = s;
    if (s->next == NULL)
        c->slots_tail = s;
    conn_queued(c, s->msg);
}

conn_slot_t *conn_reserve(conn_t *c)
{
    conn_slot_t *s = xcalloc(1, sizeof *s);

    c->inflight++;
    c->refs++;
    if (c->closing) {
        /* never written; kept only so conn_fill has something to free */
        s->next = c->slots;
        c->slots = s;
        if (c->slots_tail == NULL)
            c->slots_tail = s;
        return s;
    }
    conn_append_slot(c, s);
    conn_check_bp(c);
    conn_update_poll(c);
    return s;
}

void conn_fill(conn_t *c, conn_slot_t *slot, conn_msg_t *m)
{
    slot->filled = 1;
    c->inflight--;
    if (c->closing) {
        conn_msg_free(m);
    } else {
        slot->msg = m;
        conn_queued(c, m);
        conn_update_poll(c);
    }
    conn_unref(c); /* may free c when closing */
}

void conn_fill_buf(conn_t *c, conn_slot_t *slot, buf_t *out)
{
    conn_fill(c, slot, conn_msg_from_buf(out));
}

/* Account n written bytes against the head of the queue. */
static void conn_advance(conn_t *c, size_t n)
{
    conn_slot_t *s;
    size_t       left;

    c->out_bytes -= n;
    c->bytes_out += n;
    while ((s = c->slots) != NULL && s->filled) {
        if (s->msg != NULL) {
            left = conn_msg_len(s->msg) - s->msg->sent;
            if (n < left) {
                s->msg->sent += n;
                return;
            }
            n -= left;
        }
        c->slots = s->next;
        if (c->slots == NULL)
            c->slots_tail = NULL;
        conn_msg_free(s->msg);
        free(s);
    }
}

/* Writes as much queued output as the socket takes.  Returns 0, or < 0
 * for a fatal socket error. */
static int conn_write_some(conn_t *c)
{
    struct iovec      iov[CONN_IOV_MAX];
    struct conn_piece pc;
    conn_slot_t      *s;
    ssize_t           n;
    int               niov;
    off_t             off;

    for (;;) {
        niov = 0;
        pc.fd = -1;
        for (s = c->slots; s != NULL && s->filled && niov < CONN_IOV_MAX;
             s = s->next) {
            size_t pos;

            if (s->msg == NULL)
                continue;
            pos = s->msg->sent;
            while (niov < CONN_IOV_MAX && conn_msg_piece(s->msg, pos, &pc)) {
                if (pc.fd >= 0)
                    break;
                iov[niov].iov_base = (void *)pc.p;
                iov[niov].iov_len = pc.len;
                niov++;
                pos += pc.len;
                pc.fd = -1;
            }
            if (pc.fd >= 0)
                break;
        }
        if (niov > 0) {
            n = writev(c->fd, iov, niov);
        } else if (pc.fd >= 0) {
            off = pc.off;
            n = sendfile(c->fd, pc.fd, &off,
                         pc.len > (size_t)INT_MAX ? (size_t)INT_MAX : pc.len);
            if (n == 0)
                return ERR_CORRUPT; /* file shorter than promised */
        } else {
            if (c->slots == NULL || !c->slots->filled)
                conn_advance(c, 0); /* drop empty filled slots at head */
            return 0;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->want_write = 1;
                return 0;
            }
            return -errno;
        }
        conn_advance(c, (size_t)n);
    }
}

static void conn_flush(conn_t *c)
{
    int was_bp = c->paused_bp, rc;

    if (c->closing)
        return;
    c->want_write = 0;
    rc = conn_write_some(c);
    if (rc < 0) {
        conn_close(c, rc);
        return;
    }
    conn_check_bp(c);
    if (c->out_bytes == 0 && c->close_after_flush &&
        (c->slots == NULL || !c->slots->filled)) {
        /* every filled response is out; unfilled ones would never be */
        if (c->slots == NULL) {
            conn_close(c, 0);
            return;
        }
    }
    conn_update_poll(c);
    if (c->out_bytes == 0 && c->ops->on_drain)
        c->ops->on_drain(c);
    if (was_bp && !c->paused_bp && c->in.len > 0 && !c->in_input &&
        !c->closing)
        conn_process_input(c);
}

static void conn_flush_dirty(conn_listener_t *l)
{
    conn_t *c;

    while ((c = l->dirty) != NULL) {
        l->dirty = c->dirty_next;
        c->dirty = 0;
        conn_ref(c);
        conn_flush(c);
        conn_unref(c);
    }
}

static void conn_on_prepare(uv_prepare_t *h)
{
    conn_flush_dirty(h->data);
}

static void conn_on_check(uv_check_t *h)
{
    conn_flush_dirty(h->data);
}

/* ---- input -------------------------------------------------------------- */

static void conn_process_input(conn_t *c)
{
    size_t   pos = 0;
    uint32_t size;
    int      rc;
    ssize_t  used;

    c->in_input = 1;
    if (!c->sniffed) {
        if (c->ops->on_sniff == NULL) {
            c->sniffed = 1;
        } else {
            rc = c->ops->on_sniff(c, c->in.data, c->in.len);
            if (rc == ERR_SHORT)
                goto out;
            if (rc < 0) {
                conn_close(c, rc);
                goto out;
            }
            c->sniffed = 1;
            c->raw = rc > 0;
        }
    }
    if (c->raw) {
        used = c->ops->on_raw(c, c->in.data, c->in.len);
        if (used < 0)
            conn_close(c, (int)used);
        else
            pos = (size_t)used > c->in.len ? c->in.len : (size_t)used;
        goto out;
    }
    while (!c->closing && conn_reading(c) && c->in.len - pos >= 4) {
        const uint8_t *p = c->in.data + pos;

        size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | p[3];
        if (size > INT32_MAX || size > c->ops->max_frame) {
            conn_close(c, ERR_TOO_BIG);
            break;
        }
        if (c->in.len - pos - 4 < size)
            break;
        rc = c->ops->on_frame(c, p + 4, size);
        if (rc < 0) {
            conn_close(c, rc);
            break;
        }
        pos += 4 + (size_t)size;
    }
out:
    c->in_input = 0;
    if (c->closing) {
        conn_maybe_free(c);
        return;
    }
    buf_consume(&c->in, pos);
    conn_update_poll(c);
}

static void conn_on_readable(conn_t *c)
{
    ssize_t n;
    int     i;
    size_t  want;

    for (i = 0; i < CONN_READ_BURST && conn_reading(c); i++) {
        want = CONN_READ_CHUNK;
        /* a frame whose size we know gets room for all of it (its size
         * was checked against max_frame before) */
        if (c->sniffed && !c->raw && c->in.len >= 4) {
            uint32_t size = (uint32_t)c->in.data[0] << 24 |
                            (uint32_t)c->in.data[1] << 16 |
                            (uint32_t)c->in.data[2] << 8 | c->in.data[3];

            if (size <= c->ops->max_frame && size + 4u > c->in.len &&
                size + 4u - c->in.len > want)
                want = size + 4u - c->in.len;
        }
        buf_reserve(&c->in, want);
        n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_close(c, n == 0 ? UV_EOF : -errno);
            return;
        }
        c->in.len += (size_t)n;
        c->bytes_in += (uint64_t)n;
        conn_process_input(c);
        if (c->closing)
            return;
        if ((size_t)n < want)
            break;
    }
    if (c->ops->idle_ms && !c->no_idle)
        uv_timer_again(&c->idle);
}

static void conn_on_poll(uv_poll_t *h, int status, int events)
{
    conn_t *c = h->data;

    if (c->closing)
        return;
    conn_ref(c);
    if (status < 0) {
        conn_close(c, status);
    } else {
        if (events & UV_WRITABLE)
            conn_flush(c);
        if (!c->closing && (events & (UV_READABLE | UV_DISCONNECT)))
            conn_on_readable(c);
        if (!c->closing)
            conn_flush(c); /* responses to what was just read */
    }
    conn_unref(c);
}

static void conn_on_idle(uv_timer_t *t)
{
    conn_t *c = t->data;

    if (c->out_bytes == 0 && c->inflight == 0)
        conn_close(c, ERR_TIMEOUT);
}

/* ---- listener ----------------------------------------------------------- */

static void conn_peer_name(conn_t *c)
{
    struct sockaddr_storage ss;
    socklen_t               len = sizeof ss;
    char                    ip[INET6_ADDRSTRLEN] = "?";

    if (getpeername(c->fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;

            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
            c->peer_port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
            c->peer_port = ntohs(in6->sin6_port);
        }
    }
    snprintf(c->peer_ip, sizeof c->peer_ip, "%s", ip);
    if (strchr(ip, ':'))
        snprintf(c->peer, sizeof c->peer, "[%s]:%u", ip, c->peer_port);
    else
        snprintf(c->peer, sizeof c->peer, "%s:%u", ip, c->peer_port);
}

static void conn_accept_one(conn_listener_t *l, int fd)
{
    conn_t *c = xcalloc(1, sizeof *c);
    int     one = 1;

    c->listener = l;
    c->ops = l->ops;
    c->fd = fd;
    c->poll.data = c;
    c->idle.data = c;
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn_peer_name(c);
    if (uv_poll_init(l->loop, &c->poll, fd) != 0) {
        close(fd);
        c->fd = -1;
        c->closing = 1;
        conn_maybe_free(c);
        return;
    }
    uv_timer_init(l->loop, &c->idle);
    c->handles = 2;
    if (l->max_conns && l->nconns > l->max_conns) {
        conn_close(c, ERR_LIMIT);
        return;
    }
    if (c->ops->on_open && c->ops->on_open(c) < 0) {
        conn_close(c, ERR_LIMIT);
        return;
    }
    if (c->closing)
        return;
    if (c->ops->idle_ms)
        uv_timer_start(&c->idle, conn_on_idle, c->ops->idle_ms,
                       c->ops->idle_ms);
    conn_update_poll(c);
}

static void conn_on_accept(uv_poll_t *h, int status, int events)
{
    conn_listener_t *l = h->data;
    int              i, fd;

    (void)events;
    if (status < 0 || l->closing)
        return;
    for (i = 0; i < CONN_ACCEPT_BURST; i++) {
        fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            conn_accept_one(l, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if ((errno == EMFILE || errno == ENFILE) && l->spare_fd >= 0) {
            /* Out of descriptors: accept with the spare and close at once,
             * so the pending connection does not make us spin. */
            close(l->spare_fd);
            fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                close(fd);
            l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
        }
        break; /* EAGAIN or an error we cannot fix here */
    }
}

int conn_listen(conn_listener_t *l, uv_loop_t *loop, const char *host,
                int port, const struct conn_ops *ops, int backlog)
{
    struct addrinfo hints, *res = NULL, *ai;
    char            portstr[16];
    int             fd = -1, rc, one = 1, pass;
    bool            wildcard = host == NULL || *host == '\0' ||
                    strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;

    memset(l, 0, sizeof *l);
    l->loop = loop;
    l->ops = ops;
    l->fd = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(wildcard ? NULL : host, portstr, &hints, &res);
    if (rc != 0)
        return rc == EAI_SYSTEM ? -errno : UV_EAI_NONAME;
    rc = UV_EADDRNOTAVAIL;
    /* An empty host means every address, both families, as the JVM's
     * wildcard does: bind the IPv6 wildcard with IPV6_V6ONLY off first
     * (so "localhost" that resolves to ::1 works too), and fall back to
     * 0.0.0.0 where IPv6 is off. */
    for (pass = wildcard ? 0 : 1; pass < 2 && fd < 0; pass++)
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (pass == 0 && ai->ai_family != AF_INET6)
            continue;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6) {
            int v6only = wildcard ? 0 : 1;

            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, backlog > 0 ? backlog : 511) == 0)
            break;
        rc = -errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return rc;
    l->fd = fd;
    l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    l->poll.data = l;
    l->prepare.data = l;
    l->check.data = l;
    uv_poll_init(loop, &l->poll, fd);
    uv_prepare_init(loop, &l->prepare);
    uv_check_init(loop, &l->check);
    l->handles = 3;
    uv_prepare_start(&l->prepare, conn_on_prepare);
    uv_check_start(&l->check, conn_on_check);
    uv_poll_start(&l->poll, UV_READABLE, conn_on_accept);
    return 0;
}

int conn_listener_port(const conn_listener_t *l)
{
    struct sockaddr_storage ss;
    socklen_t               len = sizeof ss;

    if (getsockname(l->fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void conn_listener_on_closed(uv_handle_t *h)
{
    conn_listener_t *l = h->data;

    l->handles--;
    conn_listener_maybe_closed(l);
}

void conn_listener_close(conn_listener_t *l)
{
    conn_t *c, *next;

    if (l->closing)
        return;
    l->closing = 1;
    if (l->fd >= 0) {
        uv_close((uv_handle_t *)&l->poll, conn_listener_on_closed);
        uv_close((uv_handle_t *)&l->prepare, conn_listener_on_closed);
        uv_close((uv_handle_t *)&l->check, conn_listener_on_closed);
        close(l->fd);
        l->fd = -1;
    }
    if (l->spare_fd >= 0) {
        close(l->spare_fd);
        l->spare_fd = -1;
    }
    for (c = l->conns; c != NULL; c = next) {
        next = c->next;
        conn_close(c, ERR_CLOSED);
    }
    l->dirty = NULL;
    conn_listener_maybe_closed(l);
}

int conn_parse_hostport(const char *s, char *host, size_t hostsz, int *port)
{
    const char *p = strstr(s, "://"), *colon;
    size_t      n;
    char       *end;
    long        v;

    if (p != NULL)
        s = p + 3;
    if (*s == '[') {
        p = strchr(s, ']');
        if (p == NULL || p[1] != ':')
            return ERR_MALFORMED;
        n = (size_t)(p - s - 1);
        s++;
        colon = p + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return ERR_MALFORMED;
        n = (size_t)(colon - s);
    }
    if (n >= hostsz)
        return ERR_MALFORMED;
    memcpy(host, s, n);
    host[n] = '\0';
    v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end != '\0' && *end != '/') || v < 0 || v > 65535)
        return ERR_MALFORMED;
    *port = (int)v;
    return 0;
}
