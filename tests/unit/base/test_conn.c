/* conn: a real loop, a real listener on 127.0.0.1, real client sockets.
 * Each test drives the loop and a non-blocking client from one thread. */
#include "cmocka_all.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "err.h"

static uv_loop_t       loop;
static conn_listener_t lst;
static conn_slot_t    *held_slot;
static conn_t         *held_conn;
static int             closes, released, file_fd = -1;
static int             listener_closed;

static void pump_once(void)
{
    uv_run(&loop, UV_RUN_NOWAIT);
}

static int client_connect(void)
{
    struct sockaddr_in sa;
    int                fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)conn_listener_port(&lst));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void client_send_frame(int fd, const char *body, size_t n)
{
    uint8_t hdr[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                       (uint8_t)n };

    assert_int_equal(write(fd, hdr, 4), 4);
    if (n)
        assert_int_equal(write(fd, body, n), (ssize_t)n);
}

/* Reads exactly n bytes (pumping the loop meanwhile); returns bytes read,
 * fewer on EOF or after 3 s. */
static size_t client_read(int fd, void *out, size_t n)
{
    size_t  got = 0;
    int64_t deadline = clock_mono_ms() + 3000;
    ssize_t k;

    while (got < n && clock_mono_ms() < deadline) {
        pump_once();
        k = recv(fd, (char *)out + got, n - got, MSG_DONTWAIT);
        if (k == 0)
            break;
        if (k > 0)
            got += (size_t)k;
    }
    return got;
}

static int client_eof(int fd)
{
    char    c;
    int64_t deadline = clock_mono_ms() + 3000;
    ssize_t k;

    while (clock_mono_ms() < deadline) {
        pump_once();
        k = recv(fd, &c, 1, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno == ECONNRESET))
            return 1;
        if (k > 0)
            return 0;
    }
    return 0;
}

static void expect_frame(int fd, const char *want)
{
    char     buf[256];
    uint32_t n;

    assert_int_equal(client_read(fd, buf, 4), 4);
    n = (uint32_t)(uint8_t)buf[0] << 24 | (uint32_t)(uint8_t)buf[1] << 16 |
        (uint32_t)(uint8_t)buf[2] << 8 | (uint8_t)buf[3];
    assert_int_equal(n, strlen(want));
    assert_int_equal(client_read(fd, buf, n), n);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void release_cb(void *ref)
{
    (void)ref;
    released++;
}

/* Frame protocol of the test server:
 *   "hold"     reserve a slot, fill it on "fill"
 *   "fill"     fill the held slot with "held", reply "filled"
 *   "event"    conn_send_first "event"
 *   "file"     reply "<" + 5 bytes of file_fd at offset 2 + ">"
 *   "big"      reply with a 1 MiB frame
 *   "bye"      reply "bye" and close after flush
 *   else       echo */
static int on_frame(conn_t *c, const uint8_t *p, size_t n)
{
    buf_t       out = BUF_INIT;
    size_t      at = buf_frame_begin(&out);
    conn_msg_t *m;

    if (n == 4 && memcmp(p, "hold", 4) == 0) {
        buf_free(&out);
        held_slot = conn_reserve(c);
        held_conn = c;
        return 0;
    }
    if (n == 4 && memcmp(p, "fill", 4) == 0) {
        buf_t h = BUF_INIT;
        size_t hat = buf_frame_begin(&h);

        buf_puts(&h, "held");
        buf_frame_end(&h, hat);
        conn_fill_buf(held_conn, held_slot, &h);
        held_slot = NULL;
        buf_puts(&out, "filled");
    } else if (n == 5 && memcmp(p, "event", 5) == 0) {
        buf_puts(&out, "event");
        buf_frame_end(&out, at);
        conn_send_first(c, &out);
        return 0;
    } else if (n == 4 && memcmp(p, "file", 4) == 0) {
        m = conn_msg_new();
        at = buf_frame_begin(&m->data);
        buf_puts(&m->data, "<");
        conn_msg_file(m, file_fd, 2, 5, release_cb, NULL);
        buf_puts(&m->data, ">");
        buf_set_i32(&m->data, at, (int32_t)(conn_msg_len(m) - 4));
        conn_send_msg(c, m);
        buf_free(&out);
        return 0;
    } else if (n == 3 && memcmp(p, "big", 3) == 0) {
        memset(buf_extend(&out, 1 << 20), 'b', 1 << 20);
    } else if (n == 3 && memcmp(p, "bye", 3) == 0) {
        buf_puts(&out, "bye");
        buf_frame_end(&out, at);
        conn_send(c, &out);
        conn_close_after_flush(c);
        return 0;
    } else {
        buf_put(&out, p, n);
    }
    buf_frame_end(&out, at);
    conn_send(c, &out);
    return 0;
}

static int on_sniff(conn_t *c, const uint8_t *p, size_t n)
{
    (void)c;
    if (n < 4)
        return ERR_SHORT;
    return memcmp(p, "ruok", 4) == 0 ? 1 : 0;
}

static ssize_t on_raw(conn_t *c, const uint8_t *p, size_t n)
{
    buf_t out = BUF_INIT;

    (void)p;
    buf_puts(&out, "imok");
    conn_send(c, &out);
    conn_close_after_flush(c);
    return (ssize_t)n;
}

static void on_close(conn_t *c, int why)
{
    (void)c;
    (void)why;
    closes++;
}

static const struct conn_ops ops = {
    .max_frame = 1024,
    .max_inflight = 8,
    .out_high_water = 256 * 1024,
    .on_sniff = on_sniff,
    .on_raw = on_raw,
    .on_frame = on_frame,
    .on_close = on_close,
};

static void on_listener_closed(conn_listener_t *l)
{
    (void)l;
    listener_closed = 1;
}

static int setup(void **state)
{
    char path[] = "/tmp/odradek-conn-XXXXXX";

    (void)state;
    uv_loop_init(&loop);
    assert_int_equal(conn_listen(&lst, &loop, "127.0.0.1", 0, &ops, 16), 0);
    lst.on_closed = on_listener_closed;
    assert_true(conn_listener_port(&lst) > 0);
    file_fd = mkstemp(path);
    unlink(path);
    assert_int_equal(write(file_fd, "0123456789", 10), 10);
    closes = released = listener_closed = 0;
    held_slot = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    conn_listener_close(&lst);
    while (!listener_closed)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(file_fd);
    return 0;
}

static void test_pipelined_echo_in_order(void **state)
{
    int fd = client_connect();

    (void)state;
    client_send_frame(fd, "one", 3);
    client_send_frame(fd, "two", 3);
    client_send_frame(fd, "", 0);
    client_send_frame(fd, "three", 5);
    expect_frame(fd, "one");
    expect_frame(fd, "two");
    expect_frame(fd, "");
    expect_frame(fd, "three");
    close(fd);
}

static void test_late_fill_keeps_order(void **state)
{
    int fd = client_connect();

    (void)state;
    client_send_frame(fd, "hold", 4);
    client_send_frame(fd, "after", 5);
    client_send_frame(fd, "event", 5); /* jumps ahead of the held slot */
    expect_frame(fd, "event");
    client_send_frame(fd, "fill", 4);
    expect_frame(fd, "held");
    expect_frame(fd, "after");
    expect_frame(fd, "filled");
    close(fd);
}

static void test_file_range(void **state)
{
    int fd = client_connect();

    (void)state;
    client_send_frame(fd, "file", 4);
    expect_frame(fd, "<23456>");
    assert_int_equal(released, 1);
    close(fd);
}

static void test_oversize_frame_closes_only_that_conn(void **state)
{
    int     bad = client_connect(), good = client_connect();
    uint8_t hdr[4] = { 0x7f, 0xff, 0xff, 0xff };

    (void)state;
    assert_int_equal(write(bad, hdr, 4), 4);
    assert_true(client_eof(bad));
    client_send_frame(good, "still here", 10);
    expect_frame(good, "still here");
    close(bad);
    close(good);
}

static void test_raw_mode_and_close_after_flush(void **state)
{
    int  fd = client_connect();
    char buf[8];

    (void)state;
    assert_int_equal(write(fd, "ruok", 4), 4);
    assert_int_equal(client_read(fd, buf, 4), 4);
    assert_memory_equal(buf, "imok", 4);
    assert_true(client_eof(fd));
    close(fd);
    fd = client_connect();
    client_send_frame(fd, "bye", 3);
    expect_frame(fd, "bye");
    assert_true(client_eof(fd));
    close(fd);
}

/* A client that sends many "big" requests and does not read: the server
 * must stop reading (bounded memory), and still answer everything in
 * order once the client reads. */
static void test_backpressure(void **state)
{
    int      fd = client_connect();
    int      i, n = 40;
    conn_t  *c;
    size_t   total = 0, want = (size_t)n * ((1 << 20) + 4);
    char    *buf = malloc(1 << 16);
    int64_t  deadline;
    ssize_t  k;

    (void)state;
    for (i = 0; i < n; i++)
        client_send_frame(fd, "big", 3);
    for (i = 0; i < 200; i++)
        pump_once();
    c = lst.conns;
    assert_non_null(c);
    assert_true(c->paused_bp);
    assert_true(c->out_bytes < 8u << 20); /* not 40 MiB */
    deadline = clock_mono_ms() + 10000;
    while (total < want && clock_mono_ms() < deadline) {
        pump_once();
        k = recv(fd, buf, 1 << 16, MSG_DONTWAIT);
        if (k > 0)
            total += (size_t)k;
    }
    assert_int_equal(total, want);
    free(buf);
    close(fd);
}

static void test_fill_after_peer_gone(void **state)
{
    int fd = client_connect();
    int i;

    (void)state;
    client_send_frame(fd, "hold", 4);
    for (i = 0; i < 50 && held_slot == NULL; i++)
        pump_once();
    assert_non_null(held_slot);
    close(fd);
    for (i = 0; i < 50 && closes == 0; i++)
        pump_once();
    assert_int_equal(closes, 1);
    assert_true(conn_is_closing(held_conn));
    /* the owner may still fill; the conn is freed afterwards (ASan checks) */
    {
        conn_msg_t *m = conn_msg_new();

        conn_msg_file(m, file_fd, 0, 3, release_cb, NULL);
        conn_fill(held_conn, held_slot, m);
    }
    assert_int_equal(released, 1);
    for (i = 0; i < 10; i++)
        pump_once();
    assert_null(lst.conns);
}

/* "" is every address of both families: IPv4 and IPv6 loopback clients
 * both get in (when this machine has IPv6 at all). */
static void test_wildcard_is_dual_stack(void **state)
{
    conn_listener_t     l;
    uv_loop_t           lp;
    struct sockaddr_in6 a6;
    struct sockaddr_in  a4;
    int                 fd, probe;

    (void)state;
    probe = socket(AF_INET6, SOCK_STREAM, 0);
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    if (probe < 0 || bind(probe, (struct sockaddr *)&a6, sizeof a6) != 0) {
        if (probe >= 0)
            close(probe);
        skip(); /* no IPv6 loopback here */
    }
    close(probe);
    uv_loop_init(&lp);
    assert_int_equal(conn_listen(&l, &lp, "", 0, &ops, 16), 0);
    a6.sin6_port = htons((uint16_t)conn_listener_port(&l));
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a6, sizeof a6), 0);
    close(fd);
    memset(&a4, 0, sizeof a4);
    a4.sin_family = AF_INET;
    a4.sin_port = a6.sin6_port;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a4, sizeof a4), 0);
    close(fd);
    listener_closed = 0;
    l.on_closed = on_listener_closed;
    conn_listener_close(&l);
    while (!listener_closed)
        uv_run(&lp, UV_RUN_ONCE);
    uv_loop_close(&lp);
}

static void test_hostport(void **state)
{
    char host[256];
    int  port;

    (void)state;
    assert_int_equal(conn_parse_hostport("PLAINTEXT://127.0.0.1:9092", host,
                                         sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9092);
    assert_int_equal(conn_parse_hostport("[::1]:2181", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(conn_parse_hostport(":8888", host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(conn_parse_hostport("localhost:2181/kafka", host, sizeof host,
                                         &port), 0);
    assert_int_equal(port, 2181);
    assert_int_equal(conn_parse_hostport("nohost", host, sizeof host, &port),
                     ERR_MALFORMED);
    assert_int_equal(conn_parse_hostport("h:99999", host, sizeof host, &port),
                     ERR_MALFORMED);
    assert_int_equal(conn_parse_hostport("h:x", host, sizeof host, &port),
                     ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipelined_echo_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_fill_keeps_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_frame_closes_only_that_conn,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_mode_and_close_after_flush, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_after_peer_gone, setup, teardown),
        cmocka_unit_test(test_wildcard_is_dual_stack),
        cmocka_unit_test(test_hostport),
    };

    return cmocka_run_group_tests_name("conn", tests, NULL, NULL);
}
