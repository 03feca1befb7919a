/* kload: produce / consume / end-to-end latency load on a Kafka broker
 * through librdkafka, the client most deployments use.
 *
 *   kload [-b host:port | --mock] [-t topic] [-n msgs] [-s size]
 *         [-a acks] [--e2e rate]
 *
 * --mock starts librdkafka's in-process mock cluster (rdkafka_mock.h, one
 * broker) and runs the same load against it, so a driver can compare
 * odradek-broker with it in one run.  Prints one line per phase:
 *   produce msgs=N bytes=S secs=T msgs_per_s=R mb_per_s=M
 *   consume ...
 *   e2e rate=R p50_us=.. p99_us=.. max_us=..
 * A benchmark tool, not a test: it reports, it does not judge. */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        failed++;
    else
        delivered++;
}

static rd_kafka_t *mk(rd_kafka_type_t type, const char *bootstrap,
                      const char *acks, const char *extra_k,
                      const char *extra_v)
{
    char             err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();

    rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof err);
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(c, "acks", acks, err, sizeof err);
        rd_kafka_conf_set(c, "linger.ms", "5", err, sizeof err);
        rd_kafka_conf_set(c, "queue.buffering.max.messages", "1000000", err,
                          sizeof err);
        rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    } else {
        rd_kafka_conf_set(c, "group.id", "kload", err, sizeof err);
        rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err);
        rd_kafka_conf_set(c, "fetch.wait.max.ms", "100", err, sizeof err);
    }
    if (extra_k != NULL)
        rd_kafka_conf_set(c, extra_k, extra_v, err, sizeof err);
    return rd_kafka_new(type, c, err, sizeof err);
}

static void produce(const char *bs, const char *topic, long n, size_t size,
                    const char *acks)
{
    rd_kafka_t *p = mk(RD_KAFKA_PRODUCER, bs, acks, NULL, NULL);
    char       *buf = malloc(size);
    int64_t     t0;
    long        i;
    double      secs;

    memset(buf, 'x', size);
    delivered = failed = 0;
    /* warm up: metadata, connection, topic creation */
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(buf, size),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(p, 30000);
    delivered = failed = 0;
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
           "msgs_per_s=%.0f mb_per_s=%.1f\n",
           acks, size, delivered, failed, secs, delivered / secs,
           delivered * (double)size / secs / 1e6);
    fflush(stdout);
    free(buf);
    rd_kafka_destroy(p);
}

static void consume(const char *bs, const char *topic, long n)
{
    rd_kafka_t *c = mk(RD_KAFKA_CONSUMER, bs, NULL, NULL, NULL);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    long                             got = 0;
    size_t                           bytes = 0;
    int64_t                          t0 = 0, deadline = now_us() + 20000000;

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

        printf("consume msgs=%ld secs=%.3f msgs_per_s=%.0f mb_per_s=%.1f\n",
               got, secs, got / secs, bytes / secs / 1e6);
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

/* Produce `rate` msgs/s for 2 s (acks=1, linger 0) carrying their send
 * time; a consumer at the end measures arrival - send. */
static void e2e(const char *bs, const char *topic, long rate)
{
    rd_kafka_t *p = mk(RD_KAFKA_PRODUCER, bs, "1", "linger.ms", "0");
    rd_kafka_t *c = mk(RD_KAFKA_CONSUMER, bs, NULL, "fetch.wait.max.ms", "500");
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    long                             n = rate * 2, sent = 0, got = 0;
    int64_t *lat = calloc((size_t)n, sizeof *lat), t0, deadline;

    rd_kafka_topic_partition_list_add(tp, topic, 0)->offset =
        RD_KAFKA_OFFSET_END;
    rd_kafka_assign(c, tp);
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
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 50);

            rd_kafka_poll(p, 0);
            if (m != NULL) {
                seen = !m->err && m->len == 4;
                rd_kafka_message_destroy(m);
            }
        }
    }
    t0 = now_us();
    deadline = t0 + 10000000;
    while ((sent < n || got < n) && now_us() < deadline) {
        int64_t due = t0 + sent * 1000000 / rate;

        while (sent < n && now_us() >= due) {
            int64_t ts = now_us();

            rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                RD_KAFKA_V_VALUE(&ts, sizeof ts),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            sent++;
            due = t0 + sent * 1000000 / rate;
        }
        rd_kafka_poll(p, 0);
        {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 0);

            if (m != NULL) {
                if (!m->err && m->len == sizeof(int64_t) && got < n) {
                    int64_t ts;

                    memcpy(&ts, m->payload, sizeof ts);
                    lat[got++] = now_us() - ts;
                }
                rd_kafka_message_destroy(m);
            }
        }
    }
    qsort(lat, (size_t)got, sizeof *lat, cmp64);
    if (got > 0)
        printf("e2e rate=%ld msgs=%ld p50_us=%" PRId64 " p99_us=%" PRId64
               " max_us=%" PRId64 "\n",
               rate, got, lat[got / 2], lat[got * 99 / 100], lat[got - 1]);
    else
        printf("e2e rate=%ld msgs=0\n", rate);
    fflush(stdout);
    free(lat);
    rd_kafka_topic_partition_list_destroy(tp);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    rd_kafka_flush(p, 5000);
    rd_kafka_destroy(p);
}

int main(int argc, char **argv)
{
    const char              *bs = NULL, *topic = "kload", *acks = "1";
    long                     n = 200000, rate = 0;
    size_t                   size = 100;
    int                      mock = 0, i;
    rd_kafka_t              *mrk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mock") == 0)
            mock = 1;
        else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
            bs = argv[++i];
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
        else {
            fprintf(stderr, "usage: kload [-b host:port | --mock] [-t topic] "
                            "[-n msgs] [-s size] [-a acks] [--e2e rate]\n");
            return 2;
        }
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
        e2e(bs, topic, rate);
    } else {
        produce(bs, topic, n, size, acks);
        consume(bs, topic, n);
    }
    if (mock) {
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(mrk);
    }
    return 0;
}
