/* cli_kafka: the option parser, exit codes and blocking Kafka client the
 * Kafka subcommands share (see cli_kafka.h for what it owns). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "cli_kafka.h"
#include "clock.h"
#include "err.h"
#include "kerr.h"
#include "xalloc.h"
#include "zk_client.h"

/* A response bigger than this is refused before anything is allocated
 * (STYLE.md rule 5); Fetch asks for at most a few MiB. */
#define CLI_MAX_FRAME (64 * 1024 * 1024)

/* ---- options ------------------------------------------------------------ */

static int cli_opt_find(const struct cli_opt *tab, int ntab, const char *name,
                        size_t len)
{
    for (int i = 0; i < ntab; i++)
        if (strlen(tab[i].name) == len && memcmp(tab[i].name, name, len) == 0)
            return i;
    return -1;
}

/* True if s names one of the table's options ("--topic", "--topic=x"):
 * "--topic --list" is a missing value, not a topic called "--list". */
static bool cli_opt_is_flag(const struct cli_opt *tab, int ntab, const char *s)
{
    const char *eq = strchr(s, '=');

    return strncmp(s, "--", 2) == 0 &&
           cli_opt_find(tab, ntab, s, eq != NULL ? (size_t)(eq - s) : strlen(s)) >= 0;
}

int cli_args_parse(struct cli_args *a, const struct cli_opt *tab, int ntab,
                   int argc, char **argv, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->tab = tab;
    a->ntab = ntab < CLI_OPTS_MAX ? ntab : CLI_OPTS_MAX;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *eq, *val = NULL;
        size_t      len;
        int         o;

        if (strncmp(s, "--", 2) != 0 || s[2] == '\0') {
            snprintf(err, errlen, "unexpected argument '%s'", s);
            return ERR_MALFORMED;
        }
        eq = strchr(s, '=');
        len = eq != NULL ? (size_t)(eq - s) : strlen(s);
        o = cli_opt_find(tab, a->ntab, s, len);
        if (o < 0) {
            snprintf(err, errlen, "unknown option '%.*s'", (int)len, s);
            return ERR_MALFORMED;
        }
        if (tab[o].arg) {
            if (eq != NULL)
                val = eq + 1;
            else if (tab[o].optional &&
                     (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0))
                val = "";
            else if (i + 1 < argc && !cli_opt_is_flag(tab, a->ntab, argv[i + 1]))
                val = argv[++i];
            else {
                snprintf(err, errlen, "option '%s' needs a value", tab[o].name);
                return ERR_MALFORMED;
            }
        } else if (eq != NULL) {
            snprintf(err, errlen, "option '%s' takes no value", tab[o].name);
            return ERR_MALFORMED;
        }
        if (a->n[o] > 0 && !tab[o].multi) {
            snprintf(err, errlen, "option '%s' given more than once", tab[o].name);
            return ERR_MALFORMED;
        }
        a->v[o] = xrealloc(a->v[o], sizeof(char *) * (size_t)(a->n[o] + 1));
        a->v[o][a->n[o]++] = val;
    }
    return 0;
}

void cli_args_free(struct cli_args *a)
{
    for (int i = 0; i < CLI_OPTS_MAX; i++) {
        free(a->v[i]);
        a->v[i] = NULL;
        a->n[i] = 0;
    }
}

static int cli_args_idx(const struct cli_args *a, const char *name)
{
    return a->tab == NULL ? -1 : cli_opt_find(a->tab, a->ntab, name, strlen(name));
}

int cli_args_count(const struct cli_args *a, const char *name)
{
    int o = cli_args_idx(a, name);

    return o < 0 ? 0 : a->n[o];
}

const char *cli_args_nth(const struct cli_args *a, const char *name, int i)
{
    int o = cli_args_idx(a, name);

    if (o < 0 || i < 0 || i >= a->n[o])
        return NULL;
    return a->v[o][i];
}

const char *cli_args_get(const struct cli_args *a, const char *name)
{
    int o = cli_args_idx(a, name);

    return o < 0 || a->n[o] == 0 ? NULL : a->v[o][a->n[o] - 1];
}

const char *cli_args_prop(const struct cli_args *a, const char *name,
                          const char *key)
{
    const char *found = NULL;
    size_t      kl = strlen(key);

    for (int i = 0; i < cli_args_count(a, name); i++) {
        const char *v = cli_args_nth(a, name, i);

        if (v != NULL && strncmp(v, key, kl) == 0 && v[kl] == '=')
            found = v + kl + 1;
    }
    return found;
}

void cli_args_usage(FILE *f, const struct cli_opt *tab, int ntab)
{
    for (int i = 0; i < ntab; i++) {
        char left[64];

        if (tab[i].help == NULL)
            continue;
        snprintf(left, sizeof left, "%s%s", tab[i].name, tab[i].arg ? " <v>" : "");
        fprintf(f, "  %-30s %s\n", left, tab[i].help);
    }
}

int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char     *end;
    long long v;

    if (s == NULL || *s == '\0')
        return ERR_MALFORMED;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return ERR_MALFORMED;
    *out = v;
    return 0;
}

/* ---- sockets ------------------------------------------------------------ */

static int cli_deadline_left(int64_t deadline)
{
    int64_t left = deadline - clock_mono_ms();

    return left < 0 ? 0 : (int)left;
}

/* Splits "host:port" ("[v6]:port" too) into host and port. */
static int cli_split_hostport(const char *s, size_t n, char *host,
                              size_t hostlen, char *port, size_t portlen)
{
    const char *hs = s, *colon = NULL;
    size_t      hl, pl;

    if (n > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', n);

        if (rb == NULL || rb + 1 >= s + n || rb[1] != ':')
            return ERR_MALFORMED;
        hs = s + 1;
        hl = (size_t)(rb - hs);
        colon = rb + 1;
    } else {
        for (size_t i = n; i > 0 && colon == NULL; i--)
            if (s[i - 1] == ':')
                colon = s + i - 1;
        if (colon == NULL)
            return ERR_MALFORMED;
        hl = (size_t)(colon - s);
    }
    pl = (size_t)((s + n) - colon - 1);
    if (hl == 0 || hl >= hostlen || pl == 0 || pl >= portlen)
        return ERR_MALFORMED;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    memcpy(port, colon + 1, pl);
    port[pl] = '\0';
    for (size_t i = 0; i < pl; i++)
        if (port[i] < '0' || port[i] > '9')
            return ERR_MALFORMED;
    return 0;
}

/* A TCP connection to host:port within timeout_ms.  Returns the fd or < 0. */
static int cli_tcp_connect(const char *host, const char *port, int timeout_ms)
{
    struct addrinfo hints, *res = NULL, *ai;
    int64_t         deadline = clock_mono_ms() + timeout_ms;
    int             rc, fd = -1, last = UV_ECONNREFUSED;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return UV_EAI_NONAME;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        struct pollfd pfd;
        int           one = 1, soerr = 0;
        socklen_t     sl = sizeof soerr;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            last = -errno;
            continue;
        }
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno != EINPROGRESS) {
            last = -errno;
            close(fd);
            fd = -1;
            continue;
        }
        if (rc < 0) {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            rc = poll(&pfd, 1, cli_deadline_left(deadline));
            if (rc == 0) {
                last = ERR_TIMEOUT;
                close(fd);
                fd = -1;
                continue;
            }
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            if (rc < 0 || soerr != 0) {
                last = rc < 0 ? -errno : -soerr;
                close(fd);
                fd = -1;
                continue;
            }
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        break;
    }
    freeaddrinfo(res);
    return fd >= 0 ? fd : last;
}

static int cli_io_wait(int fd, short ev, int64_t deadline)
{
    struct pollfd pfd = { fd, ev, 0 };
    int           rc;

    do
        rc = poll(&pfd, 1, cli_deadline_left(deadline));
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return -errno;
    if (rc == 0)
        return ERR_TIMEOUT;
    return 0;
}

static int cli_write_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                int rc = cli_io_wait(fd, POLLOUT, deadline);

                if (rc < 0)
                    return rc;
                continue;
            }
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int cli_read_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);

        if (r == 0)
            return ERR_CLOSED;
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                int rc = cli_io_wait(fd, POLLIN, deadline);

                if (rc < 0)
                    return rc;
                continue;
            }
            return -errno;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void cli_kconn_shut(struct cli_kconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* ---- requests ------------------------------------------------------------ */

int16_t cli_kconn_version(const struct cli_kconn *c, int api_key)
{
    if (c == NULL || api_key < 0 || api_key > KMSG_API_MAX_KEY)
        return -1;
    return c->ver[api_key];
}

/* Sends one request at version ver and reads the frame of its answer into
 * arena a.  The response header is v0 for ApiVersions always (KIP-511)
 * and v1 (a tag buffer after the correlation id) for every other flexible
 * version.  On success *r is positioned at the response body. */
static int cli_kconn_roundtrip(struct cli_kafka *k, struct cli_kconn *c,
                               const struct kmsg_api *api, int16_t ver,
                               const void *req, bool want_resp, arena_t *a,
                               rd_t *r)
{
    struct kmsg_req_hdr h;
    buf_t               out = BUF_INIT;
    bool                flex = kmsg_flexible(api, ver);
    int64_t             deadline = clock_mono_ms() + k->timeout_ms;
    uint8_t             sz[4], *frame;
    uint32_t            n;
    size_t              at;
    int                 rc;

    if (c->fd < 0)
        return ERR_CLOSED;
    h.api_key = api->key;
    h.api_ver = ver;
    h.corr_id = ++c->corr;
    h.client_id = cli_slice("odradek-cli");
    at = buf_frame_begin(&out);
    kmsg_req_hdr_write(&out, &h, flex);
    kmsg_encode_buf(api->req, ver, flex, req, &out);
    buf_frame_end(&out, at);
    rc = cli_write_all(c->fd, out.data, out.len, deadline);
    buf_free(&out);
    if (rc < 0 || !want_resp)
        goto done;
    rc = cli_read_all(c->fd, sz, 4, deadline);
    if (rc < 0)
        goto done;
    n = (uint32_t)sz[0] << 24 | (uint32_t)sz[1] << 16 | (uint32_t)sz[2] << 8 | sz[3];
    if (n < 4 || n > CLI_MAX_FRAME) {
        rc = ERR_MALFORMED;
        goto done;
    }
    frame = arena_alloc(a, n);
    rc = cli_read_all(c->fd, frame, n, deadline);
    if (rc < 0)
        goto done;
    *r = rd_init(frame, n);
    if (rd_i32(r) != h.corr_id) {
        rc = ERR_MALFORMED; /* answers come in order: anything else is broken */
        goto done;
    }
    if (flex && api->key != KMSG_API_API_VERSIONS)
        rd_skip_tags(r);
    rc = r->err;
done:
    if (rc < 0)
        cli_kconn_shut(c);
    return rc;
}

int cli_kafka_call(struct cli_kafka *k, struct cli_kconn *c, int api_key,
                   const void *req, void *resp, arena_t *a)
{
    const struct kmsg_api *api = kmsg_api(api_key);
    int16_t                ver = cli_kconn_version(c, api_key);
    rd_t                   r;
    int                    rc;

    if (api == NULL || ver < 0)
        return ERR_UNSUPPORTED;
    rc = cli_kconn_roundtrip(k, c, api, ver, req, resp != NULL, a, &r);
    if (rc < 0 || resp == NULL)
        return rc;
    rc = kmsg_decode(api->resp, ver, kmsg_flexible(api, ver), &r, a, resp);
    if (rc < 0)
        cli_kconn_shut(c);
    return rc;
}

/* ApiVersions first (v3, flexible; a broker that does not know v3 answers
 * UNSUPPORTED_VERSION with a v0 body, and we ask again with v0), then per
 * API min(our max, broker max), never below the broker's min. */
static int cli_kconn_negotiate(struct cli_kafka *k, struct cli_kconn *c)
{
    const struct kmsg_api       *api = kmsg_api(KMSG_API_API_VERSIONS);
    struct kmsg_api_versions_req req;
    struct kmsg_api_versions_resp resp;
    arena_t                      a;
    int16_t                      ver = api->vmax;
    rd_t                         r;
    int                          rc;

    arena_init(&a);
    for (int i = 0; i <= KMSG_API_MAX_KEY; i++)
        c->ver[i] = -1;
    kmsg_defaults(api->req, &req);
    req.client_software_name = cli_slice("odradek-cli");
    req.client_software_version = cli_slice(ODRADEK_VERSION);
    for (;;) {
        rc = cli_kconn_roundtrip(k, c, api, ver, &req, true, &a, &r);
        if (rc < 0)
            break;
        {
            rd_t peek = r;

            if (rd_i16(&peek) == KERR_UNSUPPORTED_VERSION && ver > 0) {
                ver = 0; /* the error body is v0 whatever we asked */
                continue;
            }
        }
        rc = kmsg_decode(api->resp, ver, kmsg_flexible(api, ver), &r, &a, &resp);
        if (rc < 0) {
            cli_kconn_shut(c);
            break;
        }
        if (resp.error_code != 0) {
            rc = ERR_UNSUPPORTED;
            break;
        }
        for (int32_t i = 0; i < resp.api_keys_n; i++) {
            const struct kmsg_api_versions_resp_key *kk = &resp.api_keys[i];
            const struct kmsg_api                   *ours = kmsg_api(kk->api_key);
            int16_t                                  v;

            if (ours == NULL)
                continue;
            v = ours->vmax < kk->max_version ? ours->vmax : kk->max_version;
            if (v >= kk->min_version && v >= ours->vmin)
                c->ver[kk->api_key] = v;
        }
        break;
    }
    arena_free(&a);
    return rc;
}

static int cli_kconn_open(struct cli_kafka *k, struct cli_kconn *c,
                          const char *host, const char *port)
{
    int fd;

    c->fd = -1;
    snprintf(c->addr, sizeof c->addr, "%s:%s", host, port);
    fd = cli_tcp_connect(host, port, k->timeout_ms);
    if (fd < 0)
        return fd;
    c->fd = fd;
    return cli_kconn_negotiate(k, c);
}

int cli_kafka_open(struct cli_kafka *k, const char *bootstrap, int timeout_ms)
{
    const char *s = bootstrap;
    int         rc = ERR_MALFORMED;

    memset(k, 0, sizeof *k);
    k->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    k->controller_id = -1;
    k->boot = xcalloc(1, sizeof *k->boot);
    k->boot->fd = -1;
    k->boot->node_id = -1;
    while (s != NULL && *s != '\0') {
        const char *comma = strchr(s, ',');
        size_t      n = comma != NULL ? (size_t)(comma - s) : strlen(s);
        char        host[256], port[16];

        if (cli_split_hostport(s, n, host, sizeof host, port, sizeof port) < 0)
            return ERR_MALFORMED;
        rc = cli_kconn_open(k, k->boot, host, port);
        if (rc == 0)
            return 0;
        cli_kconn_shut(k->boot);
        s = comma != NULL ? comma + 1 : NULL;
    }
    return rc;
}

void cli_kafka_close(struct cli_kafka *k)
{
    if (k->boot != NULL) {
        cli_kconn_shut(k->boot);
        free(k->boot);
        k->boot = NULL;
    }
    for (int i = 0; i < k->nbrokers; i++) {
        if (k->brokers[i].conn != NULL) {
            cli_kconn_shut(k->brokers[i].conn);
            free(k->brokers[i].conn);
        }
        free(k->brokers[i].host);
    }
    free(k->brokers);
    k->brokers = NULL;
    k->nbrokers = 0;
    free(k->cluster_id);
    k->cluster_id = NULL;
}

/* ---- metadata, controller, coordinator ------------------------------------ */

static struct cli_kbroker *cli_kafka_broker(struct cli_kafka *k, int32_t id)
{
    for (int i = 0; i < k->nbrokers; i++)
        if (k->brokers[i].id == id)
            return &k->brokers[i];
    return NULL;
}

/* Adds or updates a broker; an address change closes the old connection. */
static struct cli_kbroker *cli_kafka_learn(struct cli_kafka *k, int32_t id,
                                           slice_t host, int32_t port)
{
    struct cli_kbroker *b = cli_kafka_broker(k, id);

    if (b != NULL && b->port == port && slice_eq(host, b->host))
        return b;
    if (b == NULL) {
        k->brokers = xrealloc(k->brokers, sizeof *k->brokers * (size_t)(k->nbrokers + 1));
        b = &k->brokers[k->nbrokers++];
        memset(b, 0, sizeof *b);
        b->id = id;
    } else {
        /* the connection struct stays (callers may hold it, e.g. as a
         * group coordinator); closed, it is opened again at the new
         * address on next use */
        free(b->host);
        if (b->conn != NULL)
            cli_kconn_shut(b->conn);
    }
    b->host = slice_dup(host);
    if (b->host == NULL)
        b->host = xstrdup("");
    b->port = port;
    return b;
}

/* A live connection for cluster-wide questions: the bootstrap one, opened
 * again if it broke (a broker restart), else any known broker. */
static int cli_kafka_live(struct cli_kafka *k, struct cli_kconn **out)
{
    struct cli_kconn *c = k->boot;
    char              host[256], port[16];

    if (c != NULL && c->fd < 0 &&
        cli_split_hostport(c->addr, strlen(c->addr), host, sizeof host, port,
                           sizeof port) == 0 &&
        cli_kconn_open(k, c, host, port) < 0)
        cli_kconn_shut(c);
    if (c != NULL && c->fd >= 0) {
        *out = c;
        return 0;
    }
    for (int i = 0; i < k->nbrokers; i++)
        if (cli_kafka_node(k, k->brokers[i].id, out) == 0)
            return 0;
    return ERR_CLOSED;
}

int cli_kafka_metadata(struct cli_kafka *k, const char *const *topics,
                       int ntopics, bool auto_create,
                       struct kmsg_metadata_resp *out, arena_t *a)
{
    const struct kmsg_api  *api = kmsg_api(KMSG_API_METADATA);
    struct kmsg_metadata_req req;
    struct cli_kconn       *c;
    int                     rc;

    rc = cli_kafka_live(k, &c);
    if (rc < 0)
        return rc;
    kmsg_defaults(api->req, &req);
    req.allow_auto_topic_creation = auto_create;
    if (ntopics < 0) {
        req.topics = NULL;
        req.topics_n = -1;
    } else {
        req.topics = arena_calloc(a, (size_t)ntopics + 1, sizeof *req.topics);
        req.topics_n = ntopics;
        for (int i = 0; i < ntopics; i++)
            req.topics[i].name = cli_slice(topics[i]);
    }
    rc = cli_kafka_call(k, c, KMSG_API_METADATA, &req, out, a);
    if (rc < 0)
        return rc;
    for (int32_t i = 0; i < out->brokers_n; i++)
        cli_kafka_learn(k, out->brokers[i].node_id, out->brokers[i].host,
                        out->brokers[i].port);
    k->controller_id = out->controller_id;
    free(k->cluster_id);
    k->cluster_id = slice_dup(out->cluster_id);
    return 0;
}

int cli_kafka_topic(struct cli_kafka *k, const char *topic, bool auto_create,
                    struct cli_ktopic *out, arena_t *a)
{
    int64_t deadline = clock_mono_ms() + k->timeout_ms;

    for (;;) {
        struct kmsg_metadata_resp md;
        int                       rc, code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
        bool                      ready = false;

        rc = cli_kafka_metadata(k, &topic, 1, auto_create, &md, a);
        if (rc < 0)
            return rc;
        for (int32_t i = 0; i < md.topics_n; i++) {
            struct kmsg_metadata_resp_topic *t = &md.topics[i];

            if (!slice_eq(t->name, topic))
                continue;
            code = t->error_code;
            if (code != 0 || t->partitions_n <= 0)
                break;
            out->nparts = 0;
            for (int32_t j = 0; j < t->partitions_n; j++)
                if (t->partitions[j].partition_index >= out->nparts)
                    out->nparts = t->partitions[j].partition_index + 1;
            out->leader = arena_calloc(a, (size_t)out->nparts, sizeof *out->leader);
            for (int32_t j = 0; j < out->nparts; j++)
                out->leader[j] = -1;
            ready = true;
            for (int32_t j = 0; j < t->partitions_n; j++) {
                out->leader[t->partitions[j].partition_index] = t->partitions[j].leader_id;
                if (t->partitions[j].leader_id < 0)
                    ready = false;
            }
        }
        if (ready)
            return 0;
        if (code == 0)
            code = KERR_LEADER_NOT_AVAILABLE;
        if (clock_mono_ms() > deadline ||
            (code != KERR_LEADER_NOT_AVAILABLE &&
             !(code == KERR_UNKNOWN_TOPIC_OR_PARTITION && auto_create)))
            return code;
        usleep(100 * 1000);
    }
}

int cli_kafka_node(struct cli_kafka *k, int32_t node_id, struct cli_kconn **out)
{
    struct cli_kbroker *b = cli_kafka_broker(k, node_id);
    char                port[16];
    int                 rc;

    if (b == NULL)
        return ERR_NOTFOUND;
    if (b->conn != NULL && b->conn->fd >= 0) {
        *out = b->conn;
        return 0;
    }
    if (b->conn == NULL)
        b->conn = xcalloc(1, sizeof *b->conn);
    b->conn->node_id = node_id;
    snprintf(port, sizeof port, "%d", b->port);
    rc = cli_kconn_open(k, b->conn, b->host, port);
    if (rc < 0)
        return rc;
    *out = b->conn;
    return 0;
}

int cli_kafka_controller(struct cli_kafka *k, struct cli_kconn **out)
{
    struct kmsg_metadata_resp md;
    arena_t                   a;
    int                       rc;

    arena_init(&a);
    rc = cli_kafka_metadata(k, NULL, 0, false, &md, &a);
    arena_free(&a);
    if (rc < 0)
        return rc;
    if (k->controller_id >= 0 && cli_kafka_node(k, k->controller_id, out) == 0)
        return 0;
    if (k->boot == NULL || k->boot->fd < 0)
        return ERR_CLOSED;
    *out = k->boot;
    return 0;
}

int cli_kafka_coordinator(struct cli_kafka *k, const char *group,
                          struct cli_kconn **out)
{
    const struct kmsg_api             *api = kmsg_api(KMSG_API_FIND_COORDINATOR);
    struct kmsg_find_coordinator_req  req;
    struct kmsg_find_coordinator_resp resp;
    int64_t                           deadline = clock_mono_ms() + k->timeout_ms;
    int                               rc;

    kmsg_defaults(api->req, &req);
    req.key = cli_slice(group);
    req.key_type = 0;
    for (;;) {
        arena_t a;

        struct cli_kconn *c;

        arena_init(&a);
        rc = cli_kafka_live(k, &c);
        if (rc == 0)
            rc = cli_kafka_call(k, c, KMSG_API_FIND_COORDINATOR, &req, &resp, &a);
        if (rc == 0 && resp.error_code == 0)
            cli_kafka_learn(k, resp.node_id, resp.host, resp.port);
        arena_free(&a);
        if (rc < 0)
            return rc;
        if (resp.error_code == 0)
            return cli_kafka_node(k, resp.node_id, out);
        /* COORDINATOR_NOT_AVAILABLE / LOAD_IN_PROGRESS: the offsets topic
         * is still being created or loaded; ask again shortly */
        if ((resp.error_code != KERR_COORDINATOR_NOT_AVAILABLE &&
             resp.error_code != 14) || clock_mono_ms() > deadline)
            return resp.error_code;
        usleep(100 * 1000);
    }
}

/* ---- errors ---------------------------------------------------------------- */

static const struct {
    int         code;
    const char *name;
} cli_kerr_names[] = {
    { -1, "UNKNOWN_SERVER_ERROR" }, { 0, "NONE" },
    { 1, "OFFSET_OUT_OF_RANGE" }, { 2, "CORRUPT_MESSAGE" },
    { 3, "UNKNOWN_TOPIC_OR_PARTITION" }, { 4, "INVALID_FETCH_SIZE" },
    { 5, "LEADER_NOT_AVAILABLE" }, { 6, "NOT_LEADER_OR_FOLLOWER" },
    { 7, "REQUEST_TIMED_OUT" }, { 10, "MESSAGE_TOO_LARGE" },
    { 14, "COORDINATOR_LOAD_IN_PROGRESS" }, { 15, "COORDINATOR_NOT_AVAILABLE" },
    { 16, "NOT_COORDINATOR" }, { 17, "INVALID_TOPIC_EXCEPTION" },
    { 18, "RECORD_LIST_TOO_LARGE" }, { 21, "INVALID_REQUIRED_ACKS" },
    { 22, "ILLEGAL_GENERATION" }, { 23, "INCONSISTENT_GROUP_PROTOCOL" },
    { 24, "INVALID_GROUP_ID" }, { 25, "UNKNOWN_MEMBER_ID" },
    { 26, "INVALID_SESSION_TIMEOUT" }, { 27, "REBALANCE_IN_PROGRESS" },
    { 28, "INVALID_COMMIT_OFFSET_SIZE" }, { 29, "TOPIC_AUTHORIZATION_FAILED" },
    { 30, "GROUP_AUTHORIZATION_FAILED" }, { 32, "INVALID_TIMESTAMP" },
    { 35, "UNSUPPORTED_VERSION" }, { 36, "TOPIC_ALREADY_EXISTS" },
    { 37, "INVALID_PARTITIONS" }, { 38, "INVALID_REPLICATION_FACTOR" },
    { 39, "INVALID_REPLICA_ASSIGNMENT" }, { 40, "INVALID_CONFIG" },
    { 41, "NOT_CONTROLLER" }, { 42, "INVALID_REQUEST" },
    { 44, "POLICY_VIOLATION" }, { 68, "NON_EMPTY_GROUP" },
    { 69, "GROUP_ID_NOT_FOUND" }, { 73, "TOPIC_DELETION_DISABLED" },
    { 76, "UNSUPPORTED_COMPRESSION_TYPE" }, { 79, "MEMBER_ID_REQUIRED" },
    { 87, "INVALID_RECORD" },
};

const char *cli_kafka_errname(int code)
{
    static char other[32];

    for (size_t i = 0; i < sizeof cli_kerr_names / sizeof cli_kerr_names[0]; i++)
        if (cli_kerr_names[i].code == code)
            return cli_kerr_names[i].name;
    snprintf(other, sizeof other, "KAFKA_ERROR_%d", code);
    return other;
}

int cli_kafka_exit_for(int rc)
{
    if (rc == ERR_MALFORMED)
        return CLI_EXIT_USAGE;
    if (rc == ERR_TIMEOUT || rc == ERR_CLOSED || (rc < 0 && rc > -4096))
        return CLI_EXIT_UNREACHABLE;
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ---- partitioner ------------------------------------------------------------ */

/* Utils.murmur2 of the Java client: 32-bit MurmurHash2 with seed
 * 0x9747b28c, little-endian 4-byte blocks, the tail mixed in the same
 * fall-through order. */
int32_t cli_murmur2(const uint8_t *p, size_t n)
{
    const uint32_t m = 0x5bd1e995;
    const int      r = 24;
    uint32_t       h = 0x9747b28cU ^ (uint32_t)n;
    size_t         i, n4 = n / 4;

    for (i = 0; i < n4; i++) {
        const uint8_t *q = p + i * 4;
        uint32_t       kk = (uint32_t)q[0] | (uint32_t)q[1] << 8 |
                      (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;

        kk *= m;
        kk ^= kk >> r;
        kk *= m;
        h *= m;
        h ^= kk;
    }
    switch (n % 4) {
    case 3:
        h ^= (uint32_t)p[(n & ~3u) + 2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)p[(n & ~3u) + 1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)p[n & ~3u];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t cli_kafka_partition_for(const uint8_t *key, size_t n, int32_t nparts)
{
    uint32_t h = (uint32_t)cli_murmur2(key, n) & 0x7fffffffU; /* toPositive */

    return nparts > 0 ? (int32_t)(h % (uint32_t)nparts) : 0;
}

/* ---- --zookeeper ------------------------------------------------------------ */

struct cli_zkw {
    uv_loop_t    loop;
    uv_timer_t   timer;
    zk_client_t *c;
    bool         done, timed_out, closed;
    int32_t      err;
    buf_t        data;
    char       **children;
    int32_t      nchildren;
};

static void cli_zkw_reply(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct cli_zkw *z = arg;

    (void)c;
    z->err = res->err;
    buf_reset(&z->data);
    if (res->data != NULL && res->dlen > 0)
        buf_put(&z->data, res->data, (size_t)res->dlen);
    if (res->children != NULL && res->nchildren > 0 && z->children == NULL) {
        z->children = xcalloc((size_t)res->nchildren, sizeof(char *));
        for (int32_t i = 0; i < res->nchildren; i++)
            z->children[i] = xstrdup(res->children[i]);
        z->nchildren = res->nchildren;
    }
    z->done = true;
}

static void cli_zkw_timeout(uv_timer_t *t)
{
    ((struct cli_zkw *)t->data)->timed_out = true;
}

static void cli_zkw_closed(void *arg)
{
    ((struct cli_zkw *)arg)->closed = true;
}

static int cli_zkw_wait(struct cli_zkw *z, int rc, int timeout_ms)
{
    if (rc < 0)
        return rc;
    z->timed_out = false;
    uv_timer_start(&z->timer, cli_zkw_timeout, (uint64_t)timeout_ms, 0);
    while (!z->done && !z->timed_out)
        uv_run(&z->loop, UV_RUN_ONCE);
    uv_timer_stop(&z->timer);
    if (!z->done)
        return ERR_TIMEOUT;
    z->done = false;
    return z->err == 0 ? 0 : ERR_NOTFOUND;
}

/* The value after "key": in a flat JSON text (whitespace allowed around
 * the colon), or NULL. */
static const char *cli_json_after(const char *json, const char *key)
{
    const char *p = strstr(json, key);

    if (p == NULL)
        return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p++ != ':')
        return NULL;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* The "host:port" of a /brokers/ids/<id> JSON: the first of its
 * "endpoints" ("PLAINTEXT://host:port"), else its "host" and "port"
 * fields (Kafka 2.x writes both; host is null for non-PLAINTEXT). */
bool cli_kafka_zk_broker_addr(const char *json, buf_t *out)
{
    const char *e = cli_json_after(json, "\"endpoints\""), *h, *p, *q;

    const char *rb = e != NULL ? strchr(e, ']') : NULL;

    if (e != NULL && *e == '[' && rb != NULL && (q = strchr(e, '"')) != NULL && q < rb &&
        (h = strstr(q, "://")) != NULL && (p = strchr(h + 3, '"')) != NULL && p > h + 3 &&
        p < rb) {
        if (out->len > 0)
            buf_puts(out, ",");
        buf_printf(out, "%.*s", (int)(p - h - 3), h + 3);
        return true;
    }
    h = cli_json_after(json, "\"host\"");
    p = cli_json_after(json, "\"port\"");
    if (h == NULL || p == NULL || *h != '"' || atoi(p) <= 0)
        return false;
    h++;
    e = strchr(h, '"');
    if (e == NULL || e == h)
        return false;
    if (out->len > 0)
        buf_puts(out, ",");
    buf_printf(out, "%.*s:%d", (int)(e - h), h, atoi(p));
    return true;
}

/* True if a TCP connection to one of the servers of a ZooKeeper connect
 * string opens: the ZooKeeper client retries refused connections until
 * its deadline, a refused port should fail at once. */
static bool cli_zk_any_up(const char *zk, int timeout_ms)
{
    const char *end = strchr(zk, '/'), *s = zk;

    if (end == NULL)
        end = zk + strlen(zk);
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        size_t      n = comma != NULL ? (size_t)(comma - s) : (size_t)(end - s);
        char        host[256], port[16];
        int         fd;

        if (cli_split_hostport(s, n, host, sizeof host, port, sizeof port) == 0 &&
            (fd = cli_tcp_connect(host, port, timeout_ms)) >= 0) {
            close(fd);
            return true;
        }
        s = comma != NULL ? comma + 1 : end;
    }
    return false;
}

int cli_kafka_zk_bootstrap(const char *zk, int timeout_ms, char **out)
{
    struct cli_zkw        z;
    struct zk_client_opts o;
    buf_t                 list = BUF_INIT;
    int                   rc;

    if (!cli_zk_any_up(zk, timeout_ms))
        return ERR_CLOSED;
    memset(&z, 0, sizeof z);
    uv_loop_init(&z.loop);
    uv_timer_init(&z.loop, &z.timer);
    z.timer.data = &z;
    memset(&o, 0, sizeof o);
    o.connect = zk;
    o.session_timeout_ms = 10000;
    o.connect_timeout_ms = timeout_ms;
    rc = zk_client_new(&z.loop, &o, &z.c);
    if (rc < 0) {
        uv_close((uv_handle_t *)&z.timer, NULL);
        uv_run(&z.loop, UV_RUN_DEFAULT);
        uv_loop_close(&z.loop);
        return ERR_MALFORMED;
    }
    rc = cli_zkw_wait(&z, zk_client_children(z.c, "/brokers/ids", false,
                                             cli_zkw_reply, &z), timeout_ms);
    for (int32_t i = 0; rc == 0 && i < z.nchildren; i++) {
        char path[300];
        int  r2;

        snprintf(path, sizeof path, "/brokers/ids/%s", z.children[i]);
        r2 = cli_zkw_wait(&z, zk_client_get(z.c, path, false, cli_zkw_reply, &z),
                          timeout_ms);
        if (r2 == ERR_TIMEOUT)
            rc = r2;
        else if (r2 == 0)
            cli_kafka_zk_broker_addr(buf_cstr(&z.data), &list);
    }
    if (rc == ERR_NOTFOUND || (rc == 0 && list.len == 0))
        rc = ERR_NOTFOUND;
    zk_client_close(z.c, cli_zkw_closed, &z);
    uv_close((uv_handle_t *)&z.timer, NULL);
    while (!z.closed)
        uv_run(&z.loop, UV_RUN_ONCE);
    uv_run(&z.loop, UV_RUN_DEFAULT);
    uv_loop_close(&z.loop);
    for (int32_t i = 0; i < z.nchildren; i++)
        free(z.children[i]);
    free(z.children);
    buf_free(&z.data);
    if (rc == 0)
        *out = xstrdup(buf_cstr(&list));
    buf_free(&list);
    return rc;
}

int cli_kafka_connect(struct cli_kafka *k, const char *prog,
                      const char *bootstrap, const char *zookeeper,
                      int timeout_ms)
{
    char *found = NULL;
    int   rc;

    memset(k, 0, sizeof *k);
    if (bootstrap == NULL && zookeeper == NULL) {
        fprintf(stderr, "odradek %s: --bootstrap-server is required\n", prog);
        return CLI_EXIT_USAGE;
    }
    if (bootstrap == NULL) {
        rc = cli_kafka_zk_bootstrap(zookeeper, timeout_ms, &found);
        if (rc == ERR_MALFORMED) {
            fprintf(stderr, "odradek %s: bad --zookeeper address '%s'\n", prog, zookeeper);
            return CLI_EXIT_USAGE;
        }
        if (rc < 0) {
            fprintf(stderr, "odradek %s: %s: %s\n", prog, zookeeper,
                    rc == ERR_NOTFOUND ? "no broker registered under /brokers/ids"
                                       : "ZooKeeper unreachable");
            return CLI_EXIT_UNREACHABLE;
        }
        bootstrap = found;
    }
    rc = cli_kafka_open(k, bootstrap, timeout_ms);
    if (rc == ERR_MALFORMED) {
        fprintf(stderr, "odradek %s: bad server list '%s' (want host:port[,host:port])\n",
                prog, bootstrap);
        free(found);
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "odradek %s: cannot reach a broker at %s: %s\n", prog,
                bootstrap, err_str(rc));
        free(found);
        return CLI_EXIT_UNREACHABLE;
    }
    free(found);
    return CLI_EXIT_OK;
}

/* ---- output ------------------------------------------------------------------ */

void cli_json_str(FILE *f, const char *s, long n)
{
    if (s == NULL) {
        fputs("null", f);
        return;
    }
    if (n < 0)
        n = (long)strlen(s);
    fputc('"', f);
    for (long i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch == '\t')
            fputs("\\t", f);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

char *cli_sdup(arena_t *a, slice_t s)
{
    if (s.n <= 0)
        return arena_strndup(a, "", 0);
    return arena_strndup(a, (const char *)s.p, (size_t)s.n);
}

slice_t cli_slice(const char *s)
{
    slice_t sl = { (const uint8_t *)s, s != NULL ? (int32_t)strlen(s) : -1 };

    return sl;
}
