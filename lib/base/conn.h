/* conn: TCP listeners and connections on a libuv loop, with int32
 * length-prefixed framing, responses written in request order, write
 * backpressure, file ranges sent with sendfile(2), and idempotent close.
 *
 * Built on uv_poll_t over our own non-blocking sockets (not uv_tcp_t) so
 * that one writev(2) carries every ready response and a file range goes
 * from the page cache to the socket with sendfile(2) in order with the
 * bytes around it.  It owns: sockets, input buffering, the output queue.
 * It does not own: what a frame means (the ops of the listener).
 *
 * Framing: each frame is a big-endian int32 size followed by that many
 * bytes.  A size above the listener's max_frame (or negative) closes the
 * connection before anything is allocated.  ops->on_sniff, if set, sees the
 * first bytes of a connection before they are taken as a size, so a
 * ZooKeeper listener can answer four-letter words and an HTTP listener can
 * use conn without framing (raw mode).
 *
 * Ordering: every response occupies a slot in the connection's output
 * queue, in the order the slots were reserved.  A slot is either filled at
 * once (conn_send) or reserved now and filled later (conn_reserve +
 * conn_fill), e.g. a long-poll fetch or a write waiting for fsync; bytes of
 * later slots wait until it is filled.  conn_send_first puts a message
 * ahead of all unfilled slots (ZooKeeper watch events).
 *
 * Lifetime: a conn is freed once it is closed (conn_close, peer gone, or
 * an error; ops->on_close runs exactly once, at that moment), its libuv
 * handles are released, every reserved slot has been filled, and every
 * conn_ref has been dropped.  So an owner that reserved a slot (a fetch
 * waiting for data, a write waiting for fsync) may always fill it later,
 * even after the peer went away: the message is then just dropped.  Code
 * holding a conn pointer across callbacks without a slot takes a conn_ref.
 * conn_close() is idempotent and safe from any callback, including
 * on_frame.
 *
 * Backpressure: when queued output exceeds out_high_water bytes, or more
 * than max_inflight slots are unfilled, reading stops until it drops back
 * below half; so a client that never reads cannot make us buffer without
 * bound, and other connections are unaffected. */
#ifndef ODRADEK_CONN_H
#define ODRADEK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "buf.h"

typedef struct conn          conn_t;
typedef struct conn_listener conn_listener_t;
typedef struct conn_slot     conn_slot_t;
typedef struct conn_msg      conn_msg_t;

struct conn_ops {
    /* Largest frame body accepted (the int32 size field); required. */
    size_t max_frame;
    /* Maximum unfilled slots before reading pauses; 0 = 64. */
    unsigned max_inflight;
    /* Queued output bytes before reading pauses; 0 = 4 MiB. */
    size_t out_high_water;
    /* Idle timeout in ms with no input and nothing queued; 0 = none. */
    uint64_t idle_ms;
    /* A new connection was accepted.  Return < 0 to refuse it (it is
     * closed; on_close still runs).  Optional. */
    int (*on_open)(conn_t *c);
    /* Called with the first bytes of the connection (n >= 1, p[0..n)) while
     * it is still unframed.  Return 0 to switch to framed mode (the bytes
     * are then parsed as frames), > 0 to stay in raw mode and have every
     * later chunk passed to on_raw (the bytes seen here are passed too),
     * ERR_SHORT to wait for more bytes, other < 0 to close.  Optional:
     * without it a connection is framed from the start. */
    int (*on_sniff)(conn_t *c, const uint8_t *p, size_t n);
    /* Raw mode: the input buffered so far (including bytes already given
     * before); return how many bytes were consumed (>= 0), or < 0 to
     * close.  Required if on_sniff can return > 0. */
    ssize_t (*on_raw)(conn_t *c, const uint8_t *p, size_t n);
    /* One whole frame body (size prefix removed).  p is valid only during
     * the call.  Return 0 to go on, < 0 to close the connection (after
     * flushing responses already filled only if conn_close_after_flush
     * was used instead). */
    int (*on_frame)(conn_t *c, const uint8_t *p, size_t n);
    /* The connection is closing (peer gone, error, or conn_close).  Runs
     * exactly once; the owner drops its references here. */
    void (*on_close)(conn_t *c, int why);
    /* All queued output was written (optional; e.g. resume work). */
    void (*on_drain)(conn_t *c);
};

/* A message in the output queue: bytes with file ranges spliced in.
 * Build with conn_msg_new + conn_msg_file; the conn sends data[0, at1),
 * file range 1, data[at1, at2), file range 2, ..., data[atN, len). */
struct conn_msg_file {
    size_t at;                    /* position in data where it goes */
    int    fd;                    /* borrowed; kept valid via ref */
    off_t  off;                   /* file offset */
    size_t len;                   /* bytes to send from the file */
    void (*release)(void *ref);   /* called once when sent or dropped */
    void  *ref;
};

struct conn_msg {
    conn_msg_t          *next;
    buf_t                data;
    struct conn_msg_file *files;
    unsigned             nfiles, capfiles;
    /* send progress */
    size_t               sent;    /* bytes of the whole message sent */
};

conn_msg_t *conn_msg_new(void);
/* Adds a file range at the current end of m->data.  release(ref) runs
 * exactly once, when the range has been sent or the message is dropped. */
void conn_msg_file(conn_msg_t *m, int fd, off_t off, size_t len,
                   void (*release)(void *ref), void *ref);
/* Total length of the message: data plus file ranges. */
size_t conn_msg_len(const conn_msg_t *m);
void   conn_msg_free(conn_msg_t *m); /* runs pending release callbacks */

struct conn_listener {
    uv_poll_t              poll;   /* poll.data == this */
    uv_loop_t             *loop;
    int                    fd;
    const struct conn_ops *ops;
    void                  *data;   /* the owner's */
    unsigned               nconns; /* live connections */
    unsigned               max_conns; /* 0 = unlimited */
    unsigned               closing : 1;
    conn_t                *conns;  /* list of live connections */
    conn_t                *dirty;  /* connections with output to flush */
    uv_prepare_t           prepare; /* flushes output before polling */
    uv_check_t             check;   /* flushes output after I/O callbacks */
    int                    handles; /* libuv handles still open */
    int                    spare_fd; /* reserve fd for EMFILE */
    void (*on_closed)(conn_listener_t *l); /* after conn_listener_close */
};

struct conn {
    uv_poll_t        poll;       /* poll.data == this */
    uv_timer_t       idle;       /* idle.data == this */
    conn_listener_t *listener;
    const struct conn_ops *ops;
    void            *data;       /* the owner's per-connection state */
    int              fd;
    char             peer[64];   /* "ip:port" */
    char             peer_ip[48];
    uint16_t         peer_port;
    buf_t            in;         /* received, not yet consumed */
    conn_slot_t     *slots;      /* response slots in order (filled or not) */
    conn_slot_t     *slots_tail;
    size_t           out_bytes;  /* bytes queued, not yet written */
    unsigned         inflight;   /* reserved, unfilled slots */
    unsigned         refs;       /* conn_ref + unfilled slots */
    int              handles;    /* libuv handles still open */
    unsigned         closing : 1;
    unsigned         close_after_flush : 1;
    unsigned         paused_user : 1;
    unsigned         paused_bp : 1;  /* backpressure */
    unsigned         want_write : 1; /* a write hit EAGAIN */
    unsigned         polling;        /* uv_poll events currently armed */
    unsigned         sniffed : 1;
    unsigned         raw : 1;
    unsigned         in_input : 1;   /* inside input processing */
    unsigned         dirty : 1;      /* on the listener's flush list */
    unsigned         freed_handles : 1;
    unsigned         no_idle : 1;        /* conn_no_idle */
    conn_t          *next, *prev;    /* listener's list of conns */
    conn_t          *dirty_next;     /* listener's flush list */
    uint64_t         bytes_in, bytes_out;
};

/* Open a listener on host:port ("127.0.0.1", "::1", a name; "", NULL,
 * "0.0.0.0" and "::" all mean every address of both families, dual-stack).
 * port 0 picks a free port (see conn_listener_port).  l is owned by the
 * caller and must stay valid until on_closed runs.  Returns 0 or < 0. */
int  conn_listen(conn_listener_t *l, uv_loop_t *loop, const char *host,
                 int port, const struct conn_ops *ops, int backlog);
int  conn_listener_port(const conn_listener_t *l);
/* Stop accepting and close every connection; on_closed(l) runs when all
 * handles are released.  Idempotent. */
void conn_listener_close(conn_listener_t *l);

/* Queue one complete response (takes the bytes of *out, leaving it empty).
 * It goes after every slot reserved before it. */
void conn_send(conn_t *c, buf_t *out);
/* Queue a message (takes m). */
void conn_send_msg(conn_t *c, conn_msg_t *m);
/* Queue ahead of unfilled slots (watch events): after everything already
 * filled, before anything still pending.  Takes the bytes of *out. */
void conn_send_first(conn_t *c, buf_t *out);
/* Reserve the next response slot; fill it later, exactly once. */
conn_slot_t *conn_reserve(conn_t *c);
/* Fill a reserved slot (takes m; m may be NULL for "no response", e.g.
 * a request that turns out to need none).  If the conn is closing, m is
 * freed and nothing is sent. */
void conn_fill(conn_t *c, conn_slot_t *slot, conn_msg_t *m);
void conn_fill_buf(conn_t *c, conn_slot_t *slot, buf_t *out);

/* Close now; queued output is dropped.  why is logged at debug level and
 * passed to on_close.  Idempotent. */
void conn_close(conn_t *c, int why);
/* Close once every filled response has been written (e.g. after an
 * error reply, or a four-letter word).  Stops reading at once. */
void conn_close_after_flush(conn_t *c);

bool conn_is_closing(const conn_t *c);
/* Keep c's memory valid across callbacks; every conn_ref needs one
 * conn_unref. */
void conn_ref(conn_t *c);
void conn_unref(conn_t *c);

/* Pause or resume reading input (e.g. while a session is being set up). */
/* Ends the idle timeout of c (ops->idle_ms) for good: for long-lived
 * streams (Server-Sent Events) that only write. */
void conn_no_idle(conn_t *c);
void conn_pause(conn_t *c);
void conn_resume(conn_t *c);

/* Parse "host:port", "[v6]:port", ":port", "PLAINTEXT://host:port".
 * host (size >= 256) gets "" for an empty host.  Returns 0 or ERR_MALFORMED. */
int conn_parse_hostport(const char *s, char *host, size_t hostsz, int *port);

#endif
