/* bench_base: the hot primitives of lib/base against the machine's own
 * limits, measured in the same run so the ratios hold on a noisy box.
 *
 *   crc32c   bytes/s of crc32c() (hardware path) vs memcpy of the same
 *            buffer, and vs the portable path
 *   conn     request/response round trips per second through a conn
 *            listener (framing, slots, writev) vs a plain blocking echo
 *            server on a raw socket, both over loopback, 1 client, 1 and
 *            64 requests in flight
 *
 * Usage: bench_base [seconds-per-measurement]   (default 2) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "crc32c.h"

static double secs = 2.0;

static double rate(int64_t count, int64_t ns)
{
    return (double)count * 1e9 / (double)ns;
}

static void bench_crc(void)
{
    size_t            n = 1 << 20;
    uint8_t          *a = malloc(n), *b = malloc(n);
    volatile uint32_t sink = 0;
    int64_t           t0, t, iters;
    double            mem, hw, sw;

    memset(a, 0x5a, n);
    for (iters = 0, t0 = clock_mono_ns(); (t = clock_mono_ns() - t0) < secs * 1e9; iters++) {
        memcpy(b, a, n);
        __asm__ volatile("" : : "r"(b) : "memory");
    }
    mem = rate(iters * (int64_t)n, t);
    for (iters = 0, t0 = clock_mono_ns(); (t = clock_mono_ns() - t0) < secs * 1e9; iters++)
        sink += crc32c(0, a, n);
    hw = rate(iters * (int64_t)n, t);
    for (iters = 0, t0 = clock_mono_ns(); (t = clock_mono_ns() - t0) < secs * 1e9 / 4; iters++)
        sink += crc32c_sw(0, a, n);
    sw = rate(iters * (int64_t)n, t);
    printf("crc32c: %.2f GB/s (%s) = %.2fx memcpy (%.2f GB/s); portable path %.2f GB/s = %.2fx memcpy\n",
           hw / 1e9, crc32c_hw_available() ? "sse4.2" : "portable", hw / mem,
           mem / 1e9, sw / 1e9, sw / mem);
    (void)sink;
    free(a);
    free(b);
}

/* ---- the peer: a raw blocking echo server in a thread ------------------- */

static int raw_listen(int *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t          len = sizeof sa;
    int                fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0)
        abort();
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void *raw_echo(void *arg)
{
    int     lfd = *(int *)arg, fd, one = 1;
    char    buf[65536];
    ssize_t n;

    fd = accept(lfd, NULL, NULL);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (write(fd, buf, (size_t)n) != n)
            break;
    close(fd);
    return NULL;
}

/* ---- our server: conn echo on its own loop in a thread ------------------ */

static int echo_frame(conn_t *c, const uint8_t *p, size_t n)
{
    buf_t  out = BUF_INIT;
    size_t at = buf_frame_begin(&out);

    buf_put(&out, p, n);
    buf_frame_end(&out, at);
    conn_send(c, &out);
    return 0;
}

static const struct conn_ops echo_ops = { .max_frame = 1 << 20,
                                          .max_inflight = 1024,
                                          .on_frame = echo_frame };
static uv_loop_t       srv_loop;
static conn_listener_t srv;
static uv_async_t      srv_stop;

static void on_stop(uv_async_t *a)
{
    conn_listener_close(&srv);
    uv_close((uv_handle_t *)a, NULL);
}

static void *conn_server(void *arg)
{
    (void)arg;
    uv_run(&srv_loop, UV_RUN_DEFAULT);
    return NULL;
}

/* One client: keeps `depth` 100-byte requests in flight for secs seconds;
 * returns round trips per second. */
static double client_run(int port, int depth)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int                fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, i;
    uint8_t            req[104], buf[65536];
    int64_t            t0, t, done = 0, sent = 0;
    size_t             have = 0;
    ssize_t            n;

    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        abort();
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    memset(req, 'r', sizeof req);
    req[0] = req[1] = req[2] = 0;
    req[3] = 100;
    t0 = clock_mono_ns();
    for (i = 0; i < depth; i++, sent++)
        if (write(fd, req, sizeof req) != (ssize_t)sizeof req)
            abort();
    while ((t = clock_mono_ns() - t0) < secs * 1e9) {
        n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0)
            abort();
        have += (size_t)n;
        while (have >= sizeof req) { /* every response is 104 bytes */
            memmove(buf, buf + sizeof req, have - sizeof req);
            have -= sizeof req;
            done++;
            if (write(fd, req, sizeof req) != (ssize_t)sizeof req)
                abort();
            sent++;
        }
    }
    close(fd);
    return rate(done, t);
}

static void bench_conn(void)
{
    pthread_t th;
    int       lfd, port, depths[] = { 1, 64 }, i;
    double    raw, ours;

    uv_loop_init(&srv_loop);
    if (conn_listen(&srv, &srv_loop, "127.0.0.1", 0, &echo_ops, 64) != 0)
        abort();
    uv_async_init(&srv_loop, &srv_stop, on_stop);
    pthread_create(&th, NULL, conn_server, NULL);
    for (i = 0; i < 2; i++) {
        pthread_t rt;

        lfd = raw_listen(&port);
        pthread_create(&rt, NULL, raw_echo, &lfd);
        raw = client_run(port, depths[i]);
        pthread_join(rt, NULL);
        close(lfd);
        ours = client_run(conn_listener_port(&srv), depths[i]);
        printf("conn echo, 100 B frames, %2d in flight: %.0f round trips/s = %.2fx a raw blocking echo server (%.0f/s)\n",
               depths[i], ours, ours / raw, raw);
    }
    uv_async_send(&srv_stop);
    pthread_join(th, NULL);
    uv_loop_close(&srv_loop);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        secs = atof(argv[1]);
    bench_crc();
    bench_conn();
    return 0;
}
