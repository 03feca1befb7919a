/* zk_load: a lean raw-protocol ZooKeeper load generator (the method of
 * reference/zookeeper.md §5.1): C sessions x W requests in flight each,
 * phases create/getData/setData/exists/delete of N znodes per session
 * (100-byte values, paths /base/c<session>-<i>), one poll loop, requests
 * encoded with lib/zk.  Prints one line per phase:
 *   phase clients window ops/s p50_us p99_us errors
 *
 *   zk_load HOST PORT CLIENTS WINDOW N [PHASES]   (PHASES: "cgsed" subset)
 * Also: zk_load HOST PORT --first-session  (time to a session, in us) */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "rd.h"
#include "zk_jute.h"

struct cl {
    int      fd;
    int      next, done, inflight;
    int64_t *ts;          /* send time per request index (ring by index) */
    buf_t    in;
};

static int64_t now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int dial(const char *host, int port)
{
    struct sockaddr_in a;
    int                fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, 0);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one whole frame into b (blocking); returns its length or -1. */
static int read_frame(int fd, buf_t *b)
{
    for (;;) {
        if (b->len >= 4) {
            rd_t    r = rd_init(b->data, 4);
            int32_t n = rd_i32(&r);

            if (n < 0)
                return -1;
            if (b->len >= 4 + (size_t)n)
                return n;
        }
        buf_reserve(b, 65536);
        {
            ssize_t got = recv(fd, b->data + b->len, b->cap - b->len, 0);

            if (got <= 0)
                return -1;
            b->len += (size_t)got;
        }
    }
}

static int handshake(int fd)
{
    struct zk_connect_req q = { 0 };
    uint8_t               pw[16] = { 0 };
    buf_t                 b = BUF_INIT, in = BUF_INIT;
    size_t                at;
    int                   n;

    q.timeout = 30000;
    q.passwd = (slice_t){ pw, 16 };
    q.has_read_only = true;
    at = buf_frame_begin(&b);
    zk_jute_connect_req_encode(&b, &q);
    buf_frame_end(&b, at);
    n = send_all(fd, b.data, b.len) < 0 ? -1 : read_frame(fd, &in);
    buf_free(&b);
    buf_free(&in);
    return n < 0 ? -1 : 0;
}

static void encode(buf_t *b, char phase, int client, int i, int xid)
{
    static const uint8_t val[100] = { 'v' };
    char                 path[64];
    struct zk_req        q = { 0 };
    static struct zk_acl open_acl = { 31, { (const uint8_t *)"world", 5 },
                                      { (const uint8_t *)"anyone", 6 } };

    snprintf(path, sizeof path, "/base/c%d-%d", client, i);
    q.xid = xid;
    q.path = (slice_t){ (const uint8_t *)path, (int32_t)strlen(path) };
    q.version = -1;
    switch (phase) {
    case 'c':
        q.type = ZK_OP_CREATE;
        q.data = (slice_t){ val, 100 };
        q.acl = &open_acl;
        q.nacl = 1;
        break;
    case 'g': q.type = ZK_OP_GET_DATA; break;
    case 's':
        q.type = ZK_OP_SET_DATA;
        q.data = (slice_t){ val, 100 };
        break;
    case 'e': q.type = ZK_OP_EXISTS; break;
    case 'd': q.type = ZK_OP_DELETE; break;
    }
    zk_jute_req_frame(b, &q);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static const char *phase_name(char p)
{
    switch (p) {
    case 'c': return "create";
    case 'g': return "getData";
    case 's': return "setData";
    case 'e': return "exists";
    default:  return "delete";
    }
}

int main(int argc, char **argv)
{
    const char    *host;
    int            port, nc, w, n, i, errors;
    const char    *phases = "cgsed";
    struct cl     *cl;
    struct pollfd *pf;
    int64_t       *lat;

    if (argc == 4 && strcmp(argv[3], "--first-session") == 0) {
        int64_t t0 = now_us();
        int     fd;

        for (;;) {
            fd = dial(argv[1], atoi(argv[2]));
            if (fd >= 0 && handshake(fd) == 0)
                break;
            if (fd >= 0)
                close(fd);
            usleep(1000);
            if (now_us() - t0 > 60000000)
                return 1;
        }
        printf("%lld\n", (long long)(now_us() - t0));
        close(fd);
        return 0;
    }
    if (argc < 6) {
        fprintf(stderr, "usage: zk_load HOST PORT CLIENTS WINDOW N [PHASES]\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    nc = atoi(argv[3]);
    w = atoi(argv[4]);
    n = atoi(argv[5]);
    if (argc > 6)
        phases = argv[6];
    cl = calloc((size_t)nc, sizeof *cl);
    pf = calloc((size_t)nc, sizeof *pf);
    lat = malloc((size_t)nc * (size_t)n * sizeof *lat);
    for (i = 0; i < nc; i++) {
        cl[i].fd = dial(host, port);
        if (cl[i].fd < 0 || handshake(cl[i].fd) < 0) {
            fprintf(stderr, "zk_load: cannot connect session %d\n", i);
            return 1;
        }
        cl[i].ts = calloc((size_t)n, sizeof *cl[i].ts);
    }
    { /* /base */
        buf_t   b = BUF_INIT, in = BUF_INIT;
        struct zk_req q = { 0 };
        static struct zk_acl acl = { 31, { (const uint8_t *)"world", 5 },
                                     { (const uint8_t *)"anyone", 6 } };

        q.xid = 1;
        q.type = ZK_OP_CREATE;
        q.path = (slice_t){ (const uint8_t *)"/base", 5 };
        q.data = (slice_t){ NULL, -1 };
        q.acl = &acl;
        q.nacl = 1;
        zk_jute_req_frame(&b, &q);
        send_all(cl[0].fd, b.data, b.len);
        read_frame(cl[0].fd, &in);
        buf_free(&b);
        buf_free(&in);
    }
    for (const char *ph = phases; *ph; ph++) {
        int64_t t0 = now_us(), total = (int64_t)nc * n, done = 0, nl = 0;

        errors = 0;
        for (i = 0; i < nc; i++) {
            cl[i].next = cl[i].done = cl[i].inflight = 0;
            buf_reset(&cl[i].in);
        }
        while (done < total) {
            for (i = 0; i < nc; i++) {
                buf_t b = BUF_INIT;

                while (cl[i].inflight < w && cl[i].next < n) {
                    encode(&b, *ph, i, cl[i].next, cl[i].next + 2);
                    cl[i].ts[cl[i].next] = now_us();
                    cl[i].next++;
                    cl[i].inflight++;
                }
                if (b.len && send_all(cl[i].fd, b.data, b.len) < 0) {
                    fprintf(stderr, "zk_load: send failed\n");
                    return 1;
                }
                buf_free(&b);
                pf[i].fd = cl[i].fd;
                pf[i].events = cl[i].inflight ? POLLIN : 0;
            }
            if (poll(pf, (nfds_t)nc, 10000) <= 0) {
                fprintf(stderr, "zk_load: stalled\n");
                return 1;
            }
            for (i = 0; i < nc; i++) {
                struct cl *c = &cl[i];
                size_t     off = 0;
                ssize_t    got;

                if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP)))
                    continue;
                buf_reserve(&c->in, 1 << 16);
                got = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
                if (got <= 0) {
                    fprintf(stderr, "zk_load: connection lost\n");
                    return 1;
                }
                c->in.len += (size_t)got;
                while (c->in.len - off >= 4) {
                    rd_t    r = rd_init(c->in.data + off, c->in.len - off);
                    int32_t len = rd_i32(&r), xid, err;

                    if (c->in.len - off - 4 < (size_t)len)
                        break;
                    xid = rd_i32(&r);
                    rd_i64(&r);
                    err = rd_i32(&r);
                    off += 4 + (size_t)len;
                    if (xid < 2)
                        continue; /* watch events, pings */
                    if (err != 0)
                        errors++;
                    lat[nl++] = now_us() - c->ts[xid - 2];
                    c->inflight--;
                    c->done++;
                    done++;
                }
                buf_consume(&c->in, off);
            }
        }
        {
            double secs = (double)(now_us() - t0) / 1e6;

            qsort(lat, (size_t)nl, sizeof *lat, cmp64);
            printf("%s %d %d %.0f %lld %lld %d\n", phase_name(*ph), nc, w,
                   (double)total / secs, (long long)lat[nl / 2],
                   (long long)lat[(nl * 99) / 100], errors);
            fflush(stdout);
        }
    }
    return 0;
}
