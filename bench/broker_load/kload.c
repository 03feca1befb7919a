/* kload: produce / consume / end-to-end latency load on a Kafka broker
 * through librdkafka, the client most deployments use.
 *
 *   kload [-b host:port | --mock | --floor] [--pid PID] [-t topic] [-n msgs]
 *         [-s size] [-a acks] [--produce-only] [--e2e rate [--secs S]]
 *         [-X k=v] [-P k=v] [-C k=v]
 *
 * --mock starts librdkafka's in-process mock cluster (rdkafka_mock.h, one
 * broker) and runs the same load against it, so a driver can compare
 * odradek-broker with it in one run.  -X sets a librdkafka property on
 * both clients, -P on the producer only, -C on the consumer only (after
 * kload's defaults), so both brokers are measured with the same client
 * settings.
 *
 * --floor runs the e2e pattern through a bare TCP relay thread instead of
 * a broker (see floor_e2e): the latency floor of this machine, same run.
 *
 * Server CPU: with --pid, the CPU time of that process's threads; with
 * --mock, of this process's "rdk:mock" threads (the mock cluster's own
 * thread); from /proc/.../task/<tid>/schedstat (ns), else stat's
 * utime+stime.  Printed per phase as server_cpu_s, so a driver can divide
 * by the bytes moved.
 *
 * Prints one line per phase:
 *   produce acks=A size=S msgs=N failed=F secs=T msgs_per_s=R mb_per_s=M
 *           server_cpu_s=C
 *   consume msgs=N secs=T msgs_per_s=R mb_per_s=M server_cpu_s=C
 *   e2e rate=R sent=N msgs=N p50_us=.. p99_us=.. p999_us=.. max_us=..
 *       ack_p50_us=.. ack_p99_us=.. server_cpu_s=C
 *   floor rate=R size=S sent=N msgs=N p50_us=.. p99_us=.. p999_us=.. max_us=..
 *
 * End-to-end: a producer thread paced at `rate` msgs/s (sleeping, not
 * spinning, between sends) stamps each message with CLOCK_MONOTONIC at
 * produce time; a consumer thread blocked in rd_kafka_consumer_poll,
 * positioned at the log end, records arrival - stamp.  ack_* is produce
 * call to delivery report.  Both run on this host, so the clocks agree.
 * A benchmark tool, not a test: it reports, it does not judge. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROPS 32

struct prop {
    const char *k, *v;
    int         who; /* 'X' both, 'P' producer, 'C' consumer */
};

static struct prop props[MAX_PROPS];
static int         nprops;
static long        server_pid; /* --pid */
static int         mock;

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* utime+stime in seconds from a /proc/.../stat file, or -1 */
static double stat_cpu(const char *path)
{
    FILE              *f = fopen(path, "r");
    char               line[1024], *p;
    unsigned long long ut = 0, st = 0;
    int                ok = 0;

    if (f == NULL)
        return -1;
    if (fgets(line, sizeof line, f) != NULL) {
        p = strrchr(line, ')'); /* comm may contain spaces */
        ok = p != NULL &&
             sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                           "%llu %llu",
                    &ut, &st) == 2;
    }
    fclose(f);
    return ok ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : -1;
}

/* CPU seconds of one task: schedstat's run time (ns), else stat's ticks */
static double task_cpu(const char *task)
{
    char               path[450];
    FILE              *f;
    unsigned long long ns;
    int                ok;

    snprintf(path, sizeof path, "%s/schedstat", task);
    if ((f = fopen(path, "r")) != NULL) {
        ok = fscanf(f, "%llu", &ns) == 1;
        fclose(f);
        if (ok)
            return (double)ns / 1e9;
    }
    snprintf(path, sizeof path, "%s/stat", task);
    return stat_cpu(path);
}

/* CPU seconds used so far by the server under test (see the header):
 * the sum over its threads (over this process's rdk:mock threads for
 * --mock), at nanosecond resolution where schedstat exists, since a
 * phase may use only a few 10 ms ticks. */
static double server_cpu(void)
{
    char           dir[64], path[400], comm[64];
    DIR           *d;
    struct dirent *e;
    double         sum = 0, c;

    if (server_pid > 0)
        snprintf(dir, sizeof dir, "/proc/%ld/task", server_pid);
    else if (mock)
        snprintf(dir, sizeof dir, "/proc/self/task");
    else
        return -1;
    if ((d = opendir(dir)) == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (server_pid <= 0) {
            FILE *f;
            int   is_mock;

            snprintf(path, sizeof path, "%s/%s/comm", dir, e->d_name);
            if ((f = fopen(path, "r")) == NULL)
                continue;
            is_mock = fgets(comm, sizeof comm, f) != NULL &&
                      strncmp(comm, "rdk:mock", 8) == 0;
            fclose(f);
            if (!is_mock)
                continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        c = task_cpu(path);
        if (c > 0)
            sum += c;
    }
    closedir(d);
    return sum;
}

static long     delivered, failed; /* one thread at a time writes them */
static int64_t *acklat;            /* e2e: produce -> delivery report */
static long     nacklat, capacklat;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        failed++;
        return;
    }
    delivered++;
    if (acklat != NULL && m->len >= sizeof(int64_t) && nacklat < capacklat) {
        int64_t ts;

        memcpy(&ts, m->payload, sizeof ts);
        acklat[nacklat++] = now_us() - ts;
    }
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[512];

    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kload: %s=%s: %s\n", k, v, err);
        exit(2);
    }
}

static rd_kafka_t *mk(rd_kafka_type_t type, const char *bootstrap,
                      const char *acks, const char *linger)
{
    char             err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_t      *rk;
    int              i, who = type == RD_KAFKA_PRODUCER ? 'P' : 'C';

    set(c, "bootstrap.servers", bootstrap);
    if (type == RD_KAFKA_PRODUCER) {
        set(c, "acks", acks);
        set(c, "linger.ms", linger);
        set(c, "queue.buffering.max.messages", "1000000");
        rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    } else {
        set(c, "group.id", "kload");
        set(c, "enable.auto.commit", "false");
        set(c, "fetch.wait.max.ms", "100");
        /* librdkafka 2.0.2 stops fetching a partition whose local queue
         * holds more than queued.min.messages (or ...kbytes) and looks
         * again only on its 1 s timer: a consumer reading from the
         * beginning stalls ~1 s per 100 k messages, whatever the broker.
         * Room for a whole run keeps that client artifact out. */
        set(c, "queued.min.messages", "10000000");
        set(c, "queued.max.messages.kbytes", "2097151");
    }
    for (i = 0; i < nprops; i++)
        if (props[i].who == 'X' || props[i].who == who)
            set(c, props[i].k, props[i].v);
    rk = rd_kafka_new(type, c, err, sizeof err);
    if (rk == NULL) {
        fprintf(stderr, "kload: %s\n", err);
        exit(1);
    }
    if (type == RD_KAFKA_CONSUMER)
        rd_kafka_poll_set_consumer(rk);
    return rk;
}

static void produce(const char *bs, const char *topic, long n, size_t size,
                    const char *acks)
{
    rd_kafka_t *p = mk(RD_KAFKA_PRODUCER, bs, acks, "5");
    char       *buf = malloc(size);
    int64_t     t0;
    long        i;
    double      secs, cpu0;

    memset(buf, 'x', size);
    delivered = failed = 0;
    /* warm up: metadata, connection, topic creation */
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(buf, size),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(p, 30000);
    delivered = failed = 0;
    cpu0 = server_cpu();
    t0 = now_us();
    for (i = 0; i < n; i++) {
        while (rd_kafka_producev(
                   p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                   RD_KAFKA_V_VALUE(buf, size),
                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                   RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 1);
        rd_kafka_poll(p, 0);
    }
    rd_kafka_flush(p, 120000);
    secs = (double)(now_us() - t0) / 1e6;
    printf("produce acks=%s size=%zu msgs=%ld failed=%ld secs=%.3f "
           "msgs_per_s=%.0f mb_per_s=%.1f server_cpu_s=%.4f\n",
           acks, size, delivered, failed, secs, delivered / secs,
           delivered * (double)size / secs / 1e6, server_cpu() - cpu0);
    fflush(stdout);
    free(buf);
    rd_kafka_destroy(p);
}

static void consume(const char *bs, const char *topic, long n)
{
    rd_kafka_t *c = mk(RD_KAFKA_CONSUMER, bs, NULL, NULL);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    long                             got = 0;
    size_t                           bytes = 0;
    int64_t                          t0 = 0, deadline = now_us() + 20000000;
    double                           cpu0 = server_cpu();

    rd_kafka_topic_partition_list_add(tp, topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, tp);
    while (got < n && now_us() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);

        if (m == NULL)
            continue;
        if (!m->err) {
            if (t0 == 0)
                t0 = now_us();
            got++;
            bytes += m->len;
        }
        rd_kafka_message_destroy(m);
    }
    {
        double secs = (double)(now_us() - t0) / 1e6;

        printf("consume msgs=%ld secs=%.3f msgs_per_s=%.0f mb_per_s=%.1f "
               "server_cpu_s=%.4f\n",
               got, secs, got / secs, bytes / secs / 1e6,
               server_cpu() - cpu0);
    }
    fflush(stdout);
    rd_kafka_topic_partition_list_destroy(tp);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static int64_t pct(const int64_t *v, long n, int per_mille)
{
    long i = (long)((double)n * per_mille / 1000.0);

    return n == 0 ? -1 : v[i >= n ? n - 1 : i];
}

struct e2e_cons {
    rd_kafka_t *c;
    int64_t    *lat;
    long        n;           /* capacity */
    size_t      size;        /* payload size of the measured messages */
    atomic_long got;
    atomic_int  stop;
};

static void *e2e_consumer(void *arg)
{
    struct e2e_cons *ec = arg;

    while (!atomic_load(&ec->stop) && atomic_load(&ec->got) < ec->n) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(ec->c, 100);
        int64_t             t = now_us(), ts;
        long                g;

        if (m == NULL)
            continue;
        if (!m->err && m->len == ec->size) {
            memcpy(&ts, m->payload, sizeof ts);
            g = atomic_load(&ec->got);
            ec->lat[g] = t - ts;
            atomic_store(&ec->got, g + 1);
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

/* e2e: a thread that serves delivery reports as they arrive, so the ack
 * time is taken then, not when the pacing producer thread wakes next */
struct e2e_dr {
    rd_kafka_t *p;
    atomic_int  stop;
};

static void *e2e_dr_main(void *arg)
{
    struct e2e_dr *d = arg;

    while (!atomic_load(&d->stop))
        rd_kafka_poll(d->p, 100);
    return NULL;
}

/* Produce `rate` msgs/s of `size` bytes for `secs` (acks=1, linger 0
 * unless -P says otherwise), each starting with its send time; a consumer
 * at the log end measures arrival - send. */
static void e2e(const char *bs, const char *topic, long rate, double secs,
                size_t size)
{
    rd_kafka_t *p = mk(RD_KAFKA_PRODUCER, bs, "1", "0");
    struct e2e_cons                  ec = {0};
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    long    n = (long)(rate * secs), sent = 0, got;
    int64_t t0, deadline;
    double  cpu0;
    pthread_t     th, drth;
    struct e2e_dr dr = {0};
    char         *buf;

    if (n < 1)
        n = 1;
    if (size < sizeof(int64_t) || size == 4)
        size = sizeof(int64_t); /* 4 bytes is the warm-up marker */
    buf = calloc(1, size);
    ec.c = mk(RD_KAFKA_CONSUMER, bs, NULL, NULL);
    ec.n = n;
    ec.size = size;
    ec.lat = calloc((size_t)n, sizeof *ec.lat);
    capacklat = n;
    nacklat = 0;
    acklat = calloc((size_t)n, sizeof *acklat);
    delivered = failed = 0;
    rd_kafka_topic_partition_list_add(tp, topic, 0)->offset =
        RD_KAFKA_OFFSET_END;
    rd_kafka_assign(ec.c, tp);
    /* warm up: the consumer is positioned and fetching once it sees a
     * marker message produced now */
    {
        int64_t until = now_us() + 15000000;
        int     seen = 0;

        rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE("warm", 4),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END);
        while (!seen && now_us() < until) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(ec.c, 50);

            if (m != NULL) {
                seen = !m->err && m->len == 4;
                rd_kafka_message_destroy(m);
            }
        }
        rd_kafka_flush(p, 5000);
    }
    nacklat = 0;
    /* sleep precisely: the default 50 us timer slack would pace badly */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    pthread_create(&th, NULL, e2e_consumer, &ec);
    dr.p = p;
    pthread_create(&drth, NULL, e2e_dr_main, &dr);
    cpu0 = server_cpu();
    t0 = now_us();
    deadline = t0 + (int64_t)(secs * 1e6) + 10000000;
    while (sent < n) {
        int64_t now = now_us(), due = t0 + (int64_t)(sent * 1e6 / rate);

        if (now < due) {
            struct timespec ts = {0, (long)(due - now) * 1000};

            nanosleep(&ts, NULL);
            continue;
        }
        while (sent < n && now_us() >= t0 + (int64_t)(sent * 1e6 / rate)) {
            int64_t ts = now_us();

            memcpy(buf, &ts, sizeof ts);
            if (rd_kafka_producev(
                    p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                    RD_KAFKA_V_VALUE(buf, size),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_END) != 0)
                break; /* queue full: retry after a sleep */
            sent++;
        }
        if (now_us() > deadline)
            break;
    }
    while (atomic_load(&ec.got) < sent && now_us() < deadline) {
        struct timespec ts = {0, 10000000};

        nanosleep(&ts, NULL);
    }
    atomic_store(&ec.stop, 1);
    pthread_join(th, NULL);
    atomic_store(&dr.stop, 1);
    pthread_join(drth, NULL);
    rd_kafka_flush(p, 5000);
    got = atomic_load(&ec.got);
    qsort(ec.lat, (size_t)got, sizeof *ec.lat, cmp64);
    qsort(acklat, (size_t)nacklat, sizeof *acklat, cmp64);
    printf("e2e rate=%ld size=%zu sent=%ld msgs=%ld p50_us=%" PRId64 " p99_us=%" PRId64
           " p999_us=%" PRId64 " max_us=%" PRId64 " ack_p50_us=%" PRId64
           " ack_p99_us=%" PRId64 " server_cpu_s=%.4f\n",
           rate, size, sent, got, pct(ec.lat, got, 500), pct(ec.lat, got, 990),
           pct(ec.lat, got, 999), got ? ec.lat[got - 1] : -1,
           pct(acklat, nacklat, 500), pct(acklat, nacklat, 990),
           server_cpu() - cpu0);
    fflush(stdout);
    free(buf);
    free(ec.lat);
    free(acklat);
    acklat = NULL;
    rd_kafka_topic_partition_list_destroy(tp);
    rd_kafka_consumer_close(ec.c);
    rd_kafka_destroy(ec.c);
    rd_kafka_destroy(p);
}

/* The machine's floor for the same path, in the same run: a producer
 * thread -> TCP -> a relay thread -> TCP -> a consumer thread, at the same
 * pace and message size, blocking I/O with TCP_NODELAY; each pacing tick
 * writes its due messages in one write(), as a linger-0 producer sends
 * what queued up meanwhile.  What a broker that did nothing but forward
 * bytes would get from this box at this moment (scheduling of several
 * threads on shared vCPUs included). */
struct floor_relay {
    int          in, out;    /* relay: in -> out */
    int          cons;       /* consumer's socket */
    size_t       size;
    int64_t     *lat;
    long         n, got;
};

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *floor_relay_main(void *arg)
{
    struct floor_relay *fr = arg;
    char                buf[65536];
    ssize_t             r;

    while ((r = read(fr->in, buf, sizeof buf)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        write_all(fr->out, buf, (size_t)r);
    }
    shutdown(fr->out, SHUT_WR);
    return NULL;
}

static void *floor_cons_main(void *arg)
{
    struct floor_relay *fr = arg;
    char               *buf = malloc(65536 + fr->size);
    size_t              have = 0, at;
    ssize_t             r;

    while ((r = read(fr->cons, buf + have, 65536)) != 0) {
        int64_t t = now_us(), ts;

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        have += (size_t)r;
        for (at = 0; at + fr->size <= have; at += fr->size) {
            memcpy(&ts, buf + at, sizeof ts);
            if (fr->got < fr->n)
                fr->lat[fr->got++] = t - ts;
        }
        memmove(buf, buf + at, have - at);
        have -= at;
    }
    free(buf);
    return NULL;
}

static int floor_pair(int lfd, struct sockaddr_in *sa, int *client)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0), acc;

    if (fd < 0 || connect(fd, (struct sockaddr *)sa, sizeof *sa) < 0)
        return -1;
    acc = accept(lfd, NULL, NULL);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(acc, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *client = fd;
    return acc;
}

static void floor_e2e(long rate, double secs, size_t size)
{
    struct floor_relay fr = {0};
    struct sockaddr_in sa = {0};
    socklen_t          salen = sizeof sa;
    long               n = (long)(rate * secs), sent = 0;
    int                lfd = socket(AF_INET, SOCK_STREAM, 0), prod;
    pthread_t          relay, cons;
    char              *buf;
    int64_t            t0;

    if (n < 1)
        n = 1;
    if (size < sizeof(int64_t))
        size = sizeof(int64_t);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(lfd, 4) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
        perror("kload: floor");
        exit(1);
    }
    fr.in = floor_pair(lfd, &sa, &prod);
    fr.out = floor_pair(lfd, &sa, &fr.cons);
    if (fr.in < 0 || fr.out < 0) {
        perror("kload: floor");
        exit(1);
    }
    close(lfd);
    fr.size = size;
    fr.n = n;
    fr.lat = calloc((size_t)n, sizeof *fr.lat);
    buf = calloc(1, size * 4096);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    pthread_create(&relay, NULL, floor_relay_main, &fr);
    pthread_create(&cons, NULL, floor_cons_main, &fr);
    t0 = now_us();
    while (sent < n) {
        int64_t now = now_us(), due = t0 + (int64_t)(sent * 1e6 / rate);
        size_t  k = 0;

        if (now < due) {
            struct timespec ts = {0, (long)(due - now) * 1000};

            nanosleep(&ts, NULL);
            continue;
        }
        while (sent < n && k < 4096 &&
               now_us() >= t0 + (int64_t)(sent * 1e6 / rate)) {
            int64_t ts = now_us();

            memcpy(buf + k * size, &ts, sizeof ts);
            k++;
            sent++;
        }
        write_all(prod, buf, k * size);
    }
    shutdown(prod, SHUT_WR);
    pthread_join(relay, NULL);
    pthread_join(cons, NULL);
    close(prod);
    close(fr.in);
    close(fr.out);
    close(fr.cons);
    qsort(fr.lat, (size_t)fr.got, sizeof *fr.lat, cmp64);
    printf("floor rate=%ld size=%zu sent=%ld msgs=%ld p50_us=%" PRId64
           " p99_us=%" PRId64 " p999_us=%" PRId64 " max_us=%" PRId64 "\n",
           rate, size, sent, fr.got, pct(fr.lat, fr.got, 500),
           pct(fr.lat, fr.got, 990), pct(fr.lat, fr.got, 999),
           fr.got ? fr.lat[fr.got - 1] : -1);
    fflush(stdout);
    free(buf);
    free(fr.lat);
}

static int add_prop(int who, char *kv)
{
    char *eq = strchr(kv, '=');

    if (eq == NULL || nprops == MAX_PROPS)
        return -1;
    *eq = '\0';
    props[nprops].k = kv;
    props[nprops].v = eq + 1;
    props[nprops].who = who;
    nprops++;
    return 0;
}

int main(int argc, char **argv)
{
    const char              *bs = NULL, *topic = "kload", *acks = "1";
    long                     n = 200000, rate = 0;
    double                   secs = 2;
    size_t                   size = 100;
    int                      i, floor = 0, produce_only = 0;
    rd_kafka_t              *mrk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mock") == 0)
            mock = 1;
        else if (strcmp(argv[i], "--floor") == 0)
            floor = 1;
        else if (strcmp(argv[i], "--produce-only") == 0)
            produce_only = 1;
        else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
            bs = argv[++i];
        else if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc)
            server_pid = atol(argv[++i]);
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
            topic = argv[++i];
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            size = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc)
            acks = argv[++i];
        else if (strcmp(argv[i], "--e2e") == 0 && i + 1 < argc)
            rate = atol(argv[++i]);
        else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc)
            secs = atof(argv[++i]);
        else if ((strcmp(argv[i], "-X") == 0 || strcmp(argv[i], "-P") == 0 ||
                  strcmp(argv[i], "-C") == 0) &&
                 i + 1 < argc) {
            if (add_prop(argv[i][1], argv[i + 1]) < 0) {
                fprintf(stderr, "kload: %s wants key=value\n", argv[i]);
                return 2;
            }
            i++;
        } else {
            fprintf(stderr,
                    "usage: kload [-b host:port | --mock | --floor] [--pid PID] "
                    "[-t topic] [-n msgs] [-s size] [-a acks] [--produce-only] "
                    "[--e2e rate [--secs S]] [-X|-P|-C key=value]...\n");
            return 2;
        }
    }
    if (floor) {
        floor_e2e(rate > 0 ? rate : 1000, secs, size);
        return 0;
    }
    if (mock) {
        char             err[256];
        rd_kafka_conf_t *c = rd_kafka_conf_new();

        rd_kafka_conf_set(c, "log_level", "3", err, sizeof err);
        mrk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
        mc = rd_kafka_mock_cluster_new(mrk, 1);
        rd_kafka_mock_topic_create(mc, topic, 1, 1);
        bs = rd_kafka_mock_cluster_bootstraps(mc);
    }
    if (bs == NULL) {
        fprintf(stderr, "kload: -b or --mock\n");
        return 2;
    }
    if (rate > 0) {
        e2e(bs, topic, rate, secs, size);
    } else {
        produce(bs, topic, n, size, acks);
        if (!produce_only)
            consume(bs, topic, n);
    }
    if (mock) {
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(mrk);
    }
    return 0;
}
