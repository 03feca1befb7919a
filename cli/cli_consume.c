/* cli_consume: `odradek console-consumer`, kafka-console-consumer.sh's
 * flags.  Without --group it reads the partitions itself (ListOffsets for
 * the start, Fetch from each leader); with --group it is a member of a
 * consumer group: FindCoordinator, JoinGroup (protocol type "consumer",
 * the "range" assignor, computed here when this member is the leader),
 * SyncGroup, OffsetFetch to resume, Heartbeat while fetching,
 * OffsetCommit after what it printed, LeaveGroup at exit.
 *
 * Output follows Kafka's DefaultMessageFormatter: optional
 * "CreateTime:<ms>", "Partition:<p>", "Offset:<o>", key, then the value,
 * separated by key.separator (a tab), one record a line; at exit
 * "Processed a total of N messages" on stderr.  It does not own the
 * client (cli_kafka) or the batch format (kbatch). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_kafka.h"
#include "clock.h"
#include "err.h"
#include "kbatch.h"
#include "kcompress.h"
#include "kerr.h"
#include "xalloc.h"

static const struct cli_opt cli_consume_opts[] = {
    CLI_OPT_ARG("--bootstrap-server", "broker list host:port[,host:port] (required)"),
    CLI_OPT_ARG("--topic", "topic to read (required)"),
    CLI_OPT_FLAG("--from-beginning", "start at the earliest offset when there is no other"),
    CLI_OPT_ARG("--group", "consume as a member of this consumer group"),
    CLI_OPT_ARG("--partition", "read only this partition"),
    CLI_OPT_ARG("--offset", "with --partition: earliest, latest or a number"),
    CLI_OPT_ARG("--max-messages", "exit after this many messages"),
    CLI_OPT_ARG("--timeout-ms", "exit when no message came for this long"),
    CLI_OPT_MULTI("--property", "print.key, print.timestamp, print.partition, "
                                "print.offset, key.separator, line.separator"),
    CLI_OPT_MULTI("--consumer-property", "group.id=..., auto.offset.reset=earliest"),
    CLI_OPT_ARG("--isolation-level", "read_uncommitted (default) or read_committed"),
    CLI_OPT_FLAG("--skip-message-on-error", NULL),
    CLI_OPT_FLAG("--help", "this text"),
};
#define CLI_CONSUME_NOPTS ((int)(sizeof cli_consume_opts / sizeof cli_consume_opts[0]))

void cli_consume_usage(FILE *f)
{
    fprintf(f, "usage: odradek console-consumer --bootstrap-server HOST:PORT --topic T "
               "[OPTIONS]\n\n");
    cli_args_usage(f, cli_consume_opts, CLI_CONSUME_NOPTS);
    fprintf(f, "\n" CLI_EXIT_TEXT
               "A --timeout-ms expiry or SIGINT/SIGTERM ends the run normally (exit 0).\n");
}

#define CLI_SESSION_MS   10000
#define CLI_HEARTBEAT_MS 3000

struct cli_cpart {
    int32_t part;
    int64_t offset;    /* next offset to fetch */
    int64_t committed; /* last committed (group mode) */
};

struct cli_consume {
    struct cli_kafka  k;
    struct cli_args   a;
    arena_t           arena; /* metadata of the topic */
    struct cli_ktopic tp;
    const char       *topic;
    struct cli_cpart *parts;
    int               nparts;
    int64_t           reset;   /* -2 earliest, -1 latest */
    /* printing */
    bool              p_key, p_ts, p_part, p_off, p_val;
    const char       *sep, *eol, *null_lit;
    long              max_messages, count;
    int64_t           idle_ms; /* --timeout-ms, 0: none */
    int8_t            isolation; /* 0 read_uncommitted, 1 read_committed */
    /* group */
    const char       *group;
    struct cli_kconn *coord;
    char             *member_id;
    int32_t           gen;
    int64_t           last_hb;
    bool              rejoin;
    int               last_err;  /* the I/O error that broke a round */
    int32_t           last_node;
};

/* How long a consumer keeps reconnecting to a broker that went away (a
 * restart, a leader move) before it gives up with exit code 3. */
#define CLI_RECONNECT_MS 30000

static volatile sig_atomic_t cli_consume_stop;

static void cli_consume_on_signal(int sig)
{
    (void)sig;
    cli_consume_stop = 1;
}

/* ---- printing -------------------------------------------------------------- */

static void cli_consume_print(struct cli_consume *c, int32_t part, int64_t off,
                              bool log_append, int64_t ts, slice_t key, slice_t val)
{
    bool first = true;

#define CLI_COL() (first ? (void)(first = false) : (void)fputs(c->sep, stdout))
    if (c->p_ts) {
        CLI_COL();
        printf("%s:%lld", log_append ? "LogAppendTime" : "CreateTime", (long long)ts);
    }
    if (c->p_part) {
        CLI_COL();
        printf("Partition:%d", part);
    }
    if (c->p_off) {
        CLI_COL();
        printf("Offset:%lld", (long long)off);
    }
    if (c->p_key) {
        CLI_COL();
        if (key.n < 0)
            fputs(c->null_lit, stdout);
        else
            fwrite(key.p, 1, (size_t)key.n, stdout);
    }
    if (c->p_val) {
        CLI_COL();
        if (val.n < 0)
            fputs(c->null_lit, stdout);
        else
            fwrite(val.p, 1, (size_t)val.n, stdout);
    }
#undef CLI_COL
    fputs(c->eol, stdout);
}

/* Prints the records of one partition's RECORDS blob at or after
 * cp->offset and advances cp->offset past every whole batch.  A trailing
 * partial batch is normal (the broker cut at max bytes). */
static int cli_consume_records(struct cli_consume *c, struct cli_cpart *cp, slice_t blob)
{
    rd_t           r;
    const uint8_t *p;
    size_t         n;

    if (blob.n <= 0)
        return 0;
    r = rd_init(blob.p, (size_t)blob.n);
    while (kbatch_next(&r, &p, &n) == 1) {
        struct kbatch_hdr h;
        buf_t             plain = BUF_INIT;
        rd_t              rr;
        int               codec;

        if (kbatch_magic(p, n) != 2)
            return ERR_UNSUPPORTED; /* Fetch v4+ always carries batches */
        if (kbatch_validate(p, n, &h) != KBATCH_OK)
            return ERR_CORRUPT;
        codec = h.attributes & KBATCH_CODEC_MASK;
        if (h.attributes & KBATCH_ATTR_CONTROL) {
            cp->offset = h.base_offset + h.last_offset_delta + 1;
            continue;
        }
        if (codec != KBATCH_NONE) {
            int rc = kcompress_decompress(codec, p + KBATCH_HEADER_SIZE,
                                          n - KBATCH_HEADER_SIZE, &plain, 64 << 20);

            if (rc < 0) {
                buf_free(&plain);
                return rc;
            }
            rr = rd_init(plain.data, plain.len);
        } else {
            rr = rd_init(p + KBATCH_HEADER_SIZE, n - KBATCH_HEADER_SIZE);
        }
        for (int32_t i = 0; i < h.count; i++) {
            struct krecord rec;
            int64_t        off;

            if (krecord_read(&rr, &rec) < 0)
                break;
            off = h.base_offset + rec.offset_delta;
            if (off < cp->offset)
                continue;
            if (c->max_messages >= 0 && c->count >= c->max_messages)
                break;
            cli_consume_print(c, cp->part, off, (h.attributes & KBATCH_ATTR_LOG_APPEND) != 0,
                              (h.attributes & KBATCH_ATTR_LOG_APPEND) ? h.max_timestamp
                                                                       : h.base_timestamp + rec.timestamp_delta,
                              rec.key, rec.value);
            c->count++;
            cp->offset = off + 1;
        }
        buf_free(&plain);
        if (c->max_messages >= 0 && c->count >= c->max_messages)
            return 0;
        cp->offset = h.base_offset + h.last_offset_delta + 1;
    }
    fflush(stdout);
    return 0;
}

/* ---- offsets ----------------------------------------------------------------- */

/* ListOffsets for every partition whose offset is negative (-2 earliest,
 * -1 latest), at its leader. */
static int cli_consume_resolve(struct cli_consume *c)
{
    for (int i = 0; i < c->nparts; i++) {
        struct kmsg_list_offsets_req       req;
        struct kmsg_list_offsets_req_topic t;
        struct kmsg_list_offsets_req_part  pr;
        struct kmsg_list_offsets_resp      resp;
        struct cli_kconn                  *kc;
        arena_t                            a;
        int                                rc;

        if (c->parts[i].offset >= 0)
            continue;
        kmsg_defaults(kmsg_api(KMSG_API_LIST_OFFSETS)->req, &req);
        kmsg_defaults(&kmsg_s_list_offsets_req_part, &pr);
        pr.partition = c->parts[i].part;
        pr.timestamp = c->parts[i].offset;
        pr.max_num_offsets = 1;
        t.name = cli_slice(c->topic);
        t.partitions = &pr;
        t.partitions_n = 1;
        req.topics = &t;
        req.topics_n = 1;
        arena_init(&a);
        rc = cli_kafka_node(&c->k, c->tp.leader[c->parts[i].part], &kc);
        if (rc == 0)
            rc = cli_kafka_call(&c->k, kc, KMSG_API_LIST_OFFSETS, &req, &resp, &a);
        if (rc == 0 && (resp.topics_n < 1 || resp.topics[0].partitions_n < 1))
            rc = ERR_MALFORMED;
        if (rc == 0) {
            struct kmsg_list_offsets_resp_part *rp = &resp.topics[0].partitions[0];

            if (rp->error_code != 0) {
                fprintf(stderr, "odradek console-consumer: ListOffsets %s-%d: %s\n",
                        c->topic, c->parts[i].part, cli_kafka_errname(rp->error_code));
                arena_free(&a);
                return CLI_EXIT_FAIL;
            }
            c->parts[i].offset = cli_kconn_version(kc, KMSG_API_LIST_OFFSETS) == 0
                                     ? (rp->old_style_offsets_n > 0 ? rp->old_style_offsets[0] : 0)
                                     : rp->offset;
        }
        arena_free(&a);
        if (rc < 0) {
            fprintf(stderr, "odradek console-consumer: ListOffsets: %s\n", err_str(rc));
            return cli_kafka_exit_for(rc);
        }
    }
    return CLI_EXIT_OK;
}

/* ---- group membership ----------------------------------------------------------- */

/* ConsumerProtocolSubscription v0: version, topics, user data (null). */
static void cli_consume_subscription(const char *topic, buf_t *out)
{
    buf_put_i16(out, 0);
    buf_put_i32(out, 1);
    buf_put_i16(out, (int16_t)strlen(topic));
    buf_puts(out, topic);
    buf_put_i32(out, -1);
}

static int cli_gmember_cmp(const void *x, const void *y)
{
    const struct cli_gmember *a = x, *b = y;
    int                       n = a->id.n < b->id.n ? a->id.n : b->id.n;
    int                       r = memcmp(a->id.p, b->id.p, (size_t)(n > 0 ? n : 0));

    return r != 0 ? r : a->id.n - b->id.n;
}

/* The leader's range assignment (Kafka's RangeAssignor) over our topic:
 * the members subscribed to it, sorted by member id, each get a
 * contiguous range; the first P % M get one partition more. */
void cli_consume_range(struct cli_gmember *m, int nm, const char *topic, int32_t nparts)
{
    int nsub = 0, k = 0;

    qsort(m, (size_t)nm, sizeof *m, cli_gmember_cmp);
    for (int i = 0; i < nm; i++)
        nsub += m[i].subscribed;
    for (int i = 0; i < nm; i++) {
        buf_t  *o = &m[i].assignment;
        int32_t per, extra, start, len;

        buf_put_i16(o, 0);
        if (!m[i].subscribed || nsub == 0) {
            buf_put_i32(o, 0);
            buf_put_i32(o, -1);
            continue;
        }
        per = nparts / nsub;
        extra = nparts % nsub;
        start = per * k + (k < extra ? k : extra);
        len = per + (k < extra ? 1 : 0);
        k++;
        buf_put_i32(o, 1);
        buf_put_i16(o, (int16_t)strlen(topic));
        buf_puts(o, topic);
        buf_put_i32(o, len);
        for (int32_t p = start; p < start + len; p++)
            buf_put_i32(o, p);
        buf_put_i32(o, -1);
    }
}

/* True if a member's subscription (ConsumerProtocolSubscription, any
 * version: the topics come first after the version) names topic. */
bool cli_consume_subscribes(slice_t meta, const char *topic)
{
    rd_t    r = rd_init(meta.p, meta.n > 0 ? (size_t)meta.n : 0);
    int32_t n;

    (void)rd_i16(&r);
    n = rd_count(&r, false, 2);
    for (int32_t i = 0; i < n && rd_ok(&r); i++)
        if (slice_eq(rd_string(&r, false), topic))
            return true;
    return false;
}

int cli_consume_assignment_parts(slice_t as, const char *topic, int32_t nparts,
                                 int32_t **parts, int *n)
{
    rd_t    r = rd_init(as.p, as.n > 0 ? (size_t)as.n : 0);
    int32_t nt;

    *parts = NULL;
    *n = 0;
    if (as.n <= 0)
        return 0; /* no assignment: nothing for us */
    (void)rd_i16(&r);
    nt = rd_count(&r, false, 6);
    for (int32_t i = 0; i < nt && rd_ok(&r); i++) {
        slice_t t = rd_string(&r, false);
        int32_t np = rd_count(&r, false, 4);

        for (int32_t j = 0; j < np && rd_ok(&r); j++) {
            int32_t p = rd_i32(&r);

            if (!rd_ok(&r) || !slice_eq(t, topic) || p < 0 || p >= nparts)
                continue;
            *parts = xrealloc(*parts, sizeof **parts * (size_t)(*n + 1));
            (*parts)[(*n)++] = p;
        }
    }
    if (!rd_ok(&r)) {
        free(*parts);
        *parts = NULL;
        *n = 0;
        return r.err;
    }
    return 0;
}

/* Our partitions from a ConsumerProtocolAssignment. */
static int cli_consume_take_assignment(struct cli_consume *c, slice_t as)
{
    int32_t *parts;
    int      n, rc;

    free(c->parts);
    c->parts = NULL;
    c->nparts = 0;
    rc = cli_consume_assignment_parts(as, c->topic, c->tp.nparts, &parts, &n);
    if (rc < 0)
        return rc;
    c->parts = xcalloc((size_t)n + 1, sizeof *c->parts);
    for (int i = 0; i < n; i++) {
        c->parts[i].part = parts[i];
        c->parts[i].offset = -1;
        c->parts[i].committed = -1;
    }
    c->nparts = n;
    free(parts);
    return 0;
}

static int cli_consume_join(struct cli_consume *c)
{
    int64_t start = clock_mono_ms(), deadline = start + 60000;

    for (;;) {
        struct kmsg_join_group_req        jreq;
        struct kmsg_join_group_req_proto  proto;
        struct kmsg_join_group_resp       jresp;
        struct kmsg_sync_group_req        sreq;
        struct kmsg_sync_group_resp       sresp;
        struct cli_gmember               *m = NULL;
        buf_t                             sub = BUF_INIT;
        arena_t                           a;
        int                               rc, nm = 0;

        if (cli_consume_stop || clock_mono_ms() > deadline) {
            fprintf(stderr, "odradek console-consumer: could not join group '%s'\n", c->group);
            return CLI_EXIT_FAIL;
        }
        arena_init(&a);
        if (c->coord == NULL || c->coord->fd < 0) {
            rc = cli_kafka_coordinator(&c->k, c->group, &c->coord);
            if (rc < 0 && clock_mono_ms() - start < CLI_RECONNECT_MS) {
                c->coord = NULL; /* a broker restarting: ask again */
                arena_free(&a);
                usleep(300 * 1000);
                continue;
            }
            if (rc != 0) {
                fprintf(stderr, "odradek console-consumer: no coordinator for group '%s': %s\n",
                        c->group, rc < 0 ? err_str(rc) : cli_kafka_errname(rc));
                arena_free(&a);
                return rc < 0 ? cli_kafka_exit_for(rc) : CLI_EXIT_FAIL;
            }
        }
        cli_consume_subscription(c->topic, &sub);
        kmsg_defaults(kmsg_api(KMSG_API_JOIN_GROUP)->req, &jreq);
        jreq.group_id = cli_slice(c->group);
        jreq.session_timeout_ms = CLI_SESSION_MS;
        jreq.rebalance_timeout_ms = 30000;
        jreq.member_id = cli_slice(c->member_id != NULL ? c->member_id : "");
        jreq.protocol_type = cli_slice("consumer");
        proto.name = cli_slice("range");
        proto.metadata.p = sub.data;
        proto.metadata.n = (int32_t)sub.len;
        jreq.protocols = &proto;
        jreq.protocols_n = 1;
        rc = cli_kafka_call(&c->k, c->coord, KMSG_API_JOIN_GROUP, &jreq, &jresp, &a);
        buf_free(&sub);
        if (rc < 0) {
            arena_free(&a);
            c->coord = NULL;
            usleep(200 * 1000);
            continue;
        }
        if (jresp.error_code == 79 /* MEMBER_ID_REQUIRED (KIP-394) */ ||
            (jresp.error_code == 0 && c->member_id == NULL)) {
            free(c->member_id);
            c->member_id = jresp.member_id.n > 0 ? slice_dup(jresp.member_id) : NULL;
            if (jresp.error_code != 0) {
                arena_free(&a);
                continue;
            }
        }
        if (jresp.error_code == KERR_NOT_COORDINATOR ||
            jresp.error_code == KERR_COORDINATOR_NOT_AVAILABLE) {
            c->coord = NULL;
            arena_free(&a);
            usleep(200 * 1000);
            continue;
        }
        if (jresp.error_code == 25 /* UNKNOWN_MEMBER_ID */) {
            free(c->member_id);
            c->member_id = NULL;
            arena_free(&a);
            continue;
        }
        if (jresp.error_code == 27 || jresp.error_code == 14) {
            arena_free(&a);
            usleep(100 * 1000);
            continue;
        }
        if (jresp.error_code == 0 && c->member_id == NULL) {
            arena_free(&a); /* no member id handed out: ask again */
            usleep(100 * 1000);
            continue;
        }
        if (jresp.error_code != 0) {
            fprintf(stderr, "odradek console-consumer: JoinGroup '%s': %s\n", c->group,
                    cli_kafka_errname(jresp.error_code));
            arena_free(&a);
            return CLI_EXIT_FAIL;
        }
        c->gen = jresp.generation_id;
        kmsg_defaults(kmsg_api(KMSG_API_SYNC_GROUP)->req, &sreq);
        sreq.group_id = cli_slice(c->group);
        sreq.generation_id = c->gen;
        sreq.member_id = cli_slice(c->member_id);
        sreq.protocol_type = cli_slice("consumer");
        sreq.protocol_name = jresp.protocol_name;
        sreq.assignments_n = 0;
        if (slice_eq(jresp.leader, c->member_id) && jresp.members_n > 0) {
            nm = jresp.members_n;
            m = xcalloc((size_t)nm, sizeof *m);
            for (int i = 0; i < nm; i++) {
                m[i].id = jresp.members[i].member_id;
                m[i].subscribed = cli_consume_subscribes(jresp.members[i].metadata, c->topic);
            }
            cli_consume_range(m, nm, c->topic, c->tp.nparts);
            sreq.assignments = arena_calloc(&a, (size_t)nm, sizeof *sreq.assignments);
            sreq.assignments_n = nm;
            for (int i = 0; i < nm; i++) {
                sreq.assignments[i].member_id = m[i].id;
                sreq.assignments[i].assignment.p = m[i].assignment.data;
                sreq.assignments[i].assignment.n = (int32_t)m[i].assignment.len;
            }
        }
        rc = cli_kafka_call(&c->k, c->coord, KMSG_API_SYNC_GROUP, &sreq, &sresp, &a);
        for (int i = 0; i < nm; i++)
            buf_free(&m[i].assignment);
        free(m);
        if (rc < 0 || sresp.error_code != 0) {
            if (rc == 0 && sresp.error_code == 25) {
                free(c->member_id);
                c->member_id = NULL;
            }
            if (rc < 0)
                c->coord = NULL;
            arena_free(&a);
            usleep(100 * 1000);
            continue;
        }
        rc = cli_consume_take_assignment(c, sresp.assignment);
        arena_free(&a);
        if (rc < 0) {
            fprintf(stderr, "odradek console-consumer: unreadable assignment\n");
            return CLI_EXIT_FAIL;
        }
        c->last_hb = clock_mono_ms();
        c->rejoin = false;
        return CLI_EXIT_OK;
    }
}

/* Committed offsets of our partitions; the others start at the reset. */
static int cli_consume_fetch_offsets(struct cli_consume *c)
{
    struct kmsg_offset_fetch_req       req;
    struct kmsg_offset_fetch_req_topic t;
    struct kmsg_offset_fetch_resp      resp;
    arena_t                            a;
    int                                rc;

    for (int i = 0; i < c->nparts; i++)
        c->parts[i].offset = c->reset;
    if (c->nparts == 0)
        return CLI_EXIT_OK;
    arena_init(&a);
    kmsg_defaults(kmsg_api(KMSG_API_OFFSET_FETCH)->req, &req);
    req.group_id = cli_slice(c->group);
    t.name = cli_slice(c->topic);
    t.partition_indexes = arena_calloc(&a, (size_t)c->nparts, sizeof(int32_t));
    t.partition_indexes_n = c->nparts;
    for (int i = 0; i < c->nparts; i++)
        t.partition_indexes[i] = c->parts[i].part;
    req.topics = &t;
    req.topics_n = 1;
    rc = cli_kafka_call(&c->k, c->coord, KMSG_API_OFFSET_FETCH, &req, &resp, &a);
    for (int32_t i = 0; rc == 0 && i < resp.topics_n; i++)
        for (int32_t j = 0; j < resp.topics[i].partitions_n; j++) {
            struct kmsg_offset_fetch_resp_part *p = &resp.topics[i].partitions[j];

            for (int k = 0; k < c->nparts; k++)
                if (c->parts[k].part == p->partition_index && p->error_code == 0 &&
                    p->committed_offset >= 0) {
                    c->parts[k].offset = p->committed_offset;
                    c->parts[k].committed = p->committed_offset;
                }
        }
    arena_free(&a);
    if (rc < 0) {
        fprintf(stderr, "odradek console-consumer: OffsetFetch: %s\n", err_str(rc));
        return cli_kafka_exit_for(rc);
    }
    return CLI_EXIT_OK;
}

static void cli_consume_commit(struct cli_consume *c)
{
    struct kmsg_offset_commit_req       req;
    struct kmsg_offset_commit_req_topic t;
    struct kmsg_offset_commit_resp      resp;
    arena_t                             a;
    int                                 n = 0;

    if (c->group == NULL || c->coord == NULL || c->member_id == NULL)
        return;
    arena_init(&a);
    kmsg_defaults(kmsg_api(KMSG_API_OFFSET_COMMIT)->req, &req);
    req.group_id = cli_slice(c->group);
    req.generation_id = c->gen;
    req.member_id = cli_slice(c->member_id);
    t.name = cli_slice(c->topic);
    t.partitions = arena_calloc(&a, (size_t)c->nparts + 1, sizeof *t.partitions);
    for (int i = 0; i < c->nparts; i++) {
        if (c->parts[i].offset < 0 || c->parts[i].offset == c->parts[i].committed)
            continue;
        kmsg_defaults(&kmsg_s_offset_commit_req_part, &t.partitions[n]);
        t.partitions[n].partition_index = c->parts[i].part;
        t.partitions[n].committed_offset = c->parts[i].offset;
        t.partitions[n].committed_metadata = cli_slice("");
        n++;
    }
    t.partitions_n = n;
    req.topics = &t;
    req.topics_n = 1;
    if (n > 0 &&
        cli_kafka_call(&c->k, c->coord, KMSG_API_OFFSET_COMMIT, &req, &resp, &a) == 0) {
        bool ok = true;

        for (int32_t i = 0; i < resp.topics_n; i++)
            for (int32_t j = 0; j < resp.topics[i].partitions_n; j++)
                if (resp.topics[i].partitions[j].error_code != 0) {
                    ok = false;
                    if (resp.topics[i].partitions[j].error_code == 27 ||
                        resp.topics[i].partitions[j].error_code == 22 ||
                        resp.topics[i].partitions[j].error_code == 25)
                        c->rejoin = true;
                }
        for (int i = 0; ok && i < c->nparts; i++)
            c->parts[i].committed = c->parts[i].offset;
    }
    arena_free(&a);
}

static void cli_consume_heartbeat(struct cli_consume *c)
{
    struct kmsg_heartbeat_req  req;
    struct kmsg_heartbeat_resp resp;
    arena_t                    a;

    if (c->group == NULL || clock_mono_ms() - c->last_hb < CLI_HEARTBEAT_MS)
        return;
    arena_init(&a);
    kmsg_defaults(kmsg_api(KMSG_API_HEARTBEAT)->req, &req);
    req.group_id = cli_slice(c->group);
    req.generation_id = c->gen;
    req.member_id = cli_slice(c->member_id);
    if (cli_kafka_call(&c->k, c->coord, KMSG_API_HEARTBEAT, &req, &resp, &a) < 0)
        c->rejoin = true;
    else if (resp.error_code != 0)
        c->rejoin = true; /* REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, ... */
    else if (resp.error_code == 25) { /* UNKNOWN_MEMBER_ID: join afresh */
        free(c->member_id);
        c->member_id = NULL;
    }
    c->last_hb = clock_mono_ms();
    arena_free(&a);
}

static void cli_consume_leave(struct cli_consume *c)
{
    struct kmsg_leave_group_req        req;
    struct kmsg_leave_group_req_member m;
    struct kmsg_leave_group_resp       resp;
    arena_t                            a;

    if (c->group == NULL || c->coord == NULL || c->member_id == NULL)
        return;
    arena_init(&a);
    kmsg_defaults(kmsg_api(KMSG_API_LEAVE_GROUP)->req, &req);
    kmsg_defaults(&kmsg_s_leave_group_req_member, &m);
    req.group_id = cli_slice(c->group);
    req.member_id = cli_slice(c->member_id); /* v0-2 */
    m.member_id = req.member_id;             /* v3+ */
    req.members = &m;
    req.members_n = 1;
    (void)cli_kafka_call(&c->k, c->coord, KMSG_API_LEAVE_GROUP, &req, &resp, &a);
    arena_free(&a);
}

/* ---- fetching ------------------------------------------------------------------- */

/* One Fetch per leader over our partitions; prints what came. */
static int cli_consume_round(struct cli_consume *c, int max_wait)
{
    bool *asked = xcalloc((size_t)c->nparts + 1, sizeof *asked);
    int   rc = CLI_EXIT_OK;

    for (int i = 0; i < c->nparts && rc == CLI_EXIT_OK; i++) {
        struct kmsg_fetch_req       req;
        struct kmsg_fetch_req_topic t;
        struct kmsg_fetch_resp      resp;
        struct cli_kconn           *kc;
        int32_t                     leader = c->tp.leader[c->parts[i].part];
        arena_t                     a;
        int                         r;

        if (asked[i])
            continue;
        arena_init(&a);
        kmsg_defaults(kmsg_api(KMSG_API_FETCH)->req, &req);
        req.replica_id = -1;
        req.max_wait_ms = max_wait;
        req.min_bytes = 1;
        req.max_bytes = 8 << 20;
        req.isolation_level = c->isolation;
        req.session_id = 0;
        req.session_epoch = -1;
        req.forgotten_n = 0;
        req.rack_id = cli_slice("");
        t.topic = cli_slice(c->topic);
        t.partitions = arena_calloc(&a, (size_t)c->nparts, sizeof *t.partitions);
        t.partitions_n = 0;
        for (int j = i; j < c->nparts; j++) {
            struct kmsg_fetch_req_part *fp;

            if (asked[j] || c->tp.leader[c->parts[j].part] != leader)
                continue;
            asked[j] = true;
            fp = &t.partitions[t.partitions_n++];
            kmsg_defaults(&kmsg_s_fetch_req_part, fp);
            fp->partition = c->parts[j].part;
            fp->fetch_offset = c->parts[j].offset;
            fp->partition_max_bytes = 1 << 20;
        }
        req.topics = &t;
        req.topics_n = 1;
        r = cli_kafka_node(&c->k, leader, &kc);
        if (r == 0 && cli_kconn_version(kc, KMSG_API_FETCH) < 4)
            r = ERR_UNSUPPORTED; /* record batches need Fetch v4+ */
        if (r == 0)
            r = cli_kafka_call(&c->k, kc, KMSG_API_FETCH, &req, &resp, &a);
        if (r == ERR_UNSUPPORTED) {
            fprintf(stderr, "odradek console-consumer: broker %d serves no Fetch version "
                            "with record batches\n", leader);
            rc = CLI_EXIT_FAIL;
            arena_free(&a);
            break;
        }
        if (r < 0) { /* the caller reconnects for a while */
            c->last_err = r;
            c->last_node = leader;
            rc = CLI_EXIT_UNREACHABLE;
            arena_free(&a);
            break;
        }
        for (int32_t x = 0; x < resp.topics_n; x++)
            for (int32_t y = 0; y < resp.topics[x].partitions_n; y++) {
                struct kmsg_fetch_resp_part *fp = &resp.topics[x].partitions[y];
                struct cli_cpart            *cp = NULL;

                for (int j = 0; j < c->nparts; j++)
                    if (c->parts[j].part == fp->partition)
                        cp = &c->parts[j];
                if (cp == NULL)
                    continue;
                if (fp->error_code == KERR_OFFSET_OUT_OF_RANGE) {
                    cp->offset = c->reset;
                    continue;
                }
                if (fp->error_code != 0) {
                    c->rejoin = c->rejoin || fp->error_code == KERR_NOT_LEADER_OR_FOLLOWER;
                    continue;
                }
                r = cli_consume_records(c, cp, fp->records.bytes);
                if (r < 0) {
                    fprintf(stderr, "odradek console-consumer: %s-%d: unreadable records: %s\n",
                            c->topic, cp->part, err_str(r));
                    rc = CLI_EXIT_FAIL;
                }
            }
        arena_free(&a);
    }
    free(asked);
    if (rc == CLI_EXIT_OK)
        rc = cli_consume_resolve(c); /* OFFSET_OUT_OF_RANGE resets */
    return rc;
}

static int cli_consume_setup(struct cli_consume *c)
{
    const char *ps = cli_args_get(&c->a, "--partition");
    const char *os = cli_args_get(&c->a, "--offset");
    const char *ms = cli_args_get(&c->a, "--max-messages");
    const char *ts = cli_args_get(&c->a, "--timeout-ms");
    const char *v;
    int64_t     x;

#define CLI_PROP_TRUE(k) ((v = cli_args_prop(&c->a, "--property", (k))) != NULL && \
                          strcmp(v, "true") == 0)
    c->p_key = CLI_PROP_TRUE("print.key");
    c->p_ts = CLI_PROP_TRUE("print.timestamp");
    c->p_part = CLI_PROP_TRUE("print.partition");
    c->p_off = CLI_PROP_TRUE("print.offset");
    v = cli_args_prop(&c->a, "--property", "print.value");
    c->p_val = v == NULL || strcmp(v, "true") == 0;
#undef CLI_PROP_TRUE
    c->sep = cli_args_prop(&c->a, "--property", "key.separator");
    if (c->sep == NULL)
        c->sep = "\t";
    c->eol = cli_args_prop(&c->a, "--property", "line.separator");
    if (c->eol == NULL)
        c->eol = "\n";
    c->null_lit = cli_args_prop(&c->a, "--property", "null.literal");
    if (c->null_lit == NULL)
        c->null_lit = "null";
    c->topic = cli_args_get(&c->a, "--topic");
    c->group = cli_args_get(&c->a, "--group");
    if (c->group == NULL)
        c->group = cli_args_prop(&c->a, "--consumer-property", "group.id");
    if (c->topic == NULL || *c->topic == '\0') {
        fprintf(stderr, "odradek console-consumer: --topic is required\n");
        return CLI_EXIT_USAGE;
    }
    v = cli_args_get(&c->a, "--isolation-level");
    if (v != NULL && strcmp(v, "read_committed") != 0 && strcmp(v, "read_uncommitted") != 0) {
        fprintf(stderr, "odradek console-consumer: --isolation-level: want read_committed or "
                        "read_uncommitted, got '%s'\n", v);
        return CLI_EXIT_USAGE;
    }
    c->isolation = v != NULL && strcmp(v, "read_committed") == 0;
    c->max_messages = -1;
    if (ms != NULL) {
        if (cli_parse_i64(ms, 0, INT32_MAX, &x) < 0) {
            fprintf(stderr, "odradek console-consumer: --max-messages: want a number\n");
            return CLI_EXIT_USAGE;
        }
        c->max_messages = (long)x;
    }
    if (ts != NULL && cli_parse_i64(ts, 0, INT32_MAX, &c->idle_ms) < 0) {
        fprintf(stderr, "odradek console-consumer: --timeout-ms: want milliseconds\n");
        return CLI_EXIT_USAGE;
    }
    v = cli_args_prop(&c->a, "--consumer-property", "auto.offset.reset");
    c->reset = cli_args_count(&c->a, "--from-beginning") > 0 ||
                       (v != NULL && strcmp(v, "earliest") == 0)
                   ? -2
                   : -1;
    if (c->group != NULL && (ps != NULL || os != NULL)) {
        fprintf(stderr, "odradek console-consumer: --group cannot be combined with "
                        "--partition or --offset\n");
        return CLI_EXIT_USAGE;
    }
    if (os != NULL && ps == NULL) {
        fprintf(stderr, "odradek console-consumer: --offset needs --partition\n");
        return CLI_EXIT_USAGE;
    }
    if (ps != NULL) {
        c->parts = xcalloc(1, sizeof *c->parts);
        c->nparts = 1;
        if (cli_parse_i64(ps, 0, INT32_MAX, &x) < 0) {
            fprintf(stderr, "odradek console-consumer: --partition: want a number\n");
            return CLI_EXIT_USAGE;
        }
        c->parts[0].part = (int32_t)x;
        c->parts[0].offset = c->reset;
        if (os != NULL && strcmp(os, "earliest") == 0)
            c->parts[0].offset = -2;
        else if (os != NULL && strcmp(os, "latest") == 0)
            c->parts[0].offset = -1;
        else if (os != NULL) {
            if (cli_parse_i64(os, 0, INT64_MAX, &x) < 0) {
                fprintf(stderr, "odradek console-consumer: --offset: want earliest, latest "
                                "or a number\n");
                return CLI_EXIT_USAGE;
            }
            c->parts[0].offset = x;
        }
    }
    return CLI_EXIT_OK;
}

static int cli_consume_run(struct cli_consume *c)
{
    int64_t last = clock_mono_ms(), lost = 0;
    int     rc;

    rc = cli_kafka_topic(&c->k, c->topic, false, &c->tp, &c->arena);
    if (rc != 0) {
        fprintf(stderr, "odradek console-consumer: topic '%s': %s\n", c->topic,
                rc < 0 ? err_str(rc) : cli_kafka_errname(rc));
        return rc < 0 ? cli_kafka_exit_for(rc) : CLI_EXIT_FAIL;
    }
    if (c->nparts == 1 && c->parts[0].part >= c->tp.nparts) {
        fprintf(stderr, "odradek console-consumer: topic '%s' has no partition %d\n",
                c->topic, c->parts[0].part);
        return CLI_EXIT_FAIL;
    }
    if (c->group == NULL && c->nparts == 0) {
        c->parts = xcalloc((size_t)c->tp.nparts, sizeof *c->parts);
        c->nparts = c->tp.nparts;
        for (int i = 0; i < c->nparts; i++) {
            c->parts[i].part = i;
            c->parts[i].offset = c->reset;
        }
    }
    if (c->group != NULL) {
        c->rejoin = true;
    } else {
        rc = cli_consume_resolve(c);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    while (!cli_consume_stop) {
        int64_t now = clock_mono_ms();
        long    before = c->count;
        int     wait = 500;

        if (c->max_messages >= 0 && c->count >= c->max_messages)
            break;
        if (c->idle_ms > 0 && now - last >= c->idle_ms)
            break;
        if (c->idle_ms > 0 && c->idle_ms - (now - last) < wait)
            wait = (int)(c->idle_ms - (now - last));
        if (c->group != NULL && c->rejoin) {
            cli_consume_commit(c);
            rc = cli_consume_join(c);
            if (rc == CLI_EXIT_OK)
                rc = cli_consume_fetch_offsets(c);
            if (rc == CLI_EXIT_OK)
                rc = cli_consume_resolve(c);
            if (rc != CLI_EXIT_OK)
                return rc;
        }
        if (c->nparts == 0) {
            usleep((useconds_t)wait * 1000);
            cli_consume_heartbeat(c);
            continue;
        }
        rc = cli_consume_round(c, wait);
        if (rc == CLI_EXIT_UNREACHABLE) {
            if (lost == 0)
                lost = clock_mono_ms();
            if (clock_mono_ms() - lost > CLI_RECONNECT_MS) {
                fprintf(stderr, "odradek console-consumer: Fetch from broker %d: %s\n",
                        c->last_node, err_str(c->last_err));
                return rc;
            }
            usleep(300 * 1000);
            /* leaders may have moved: ask again (a failure keeps the old
             * view, which stays consistent: nparts and leader together) */
            (void)cli_kafka_topic(&c->k, c->topic, false, &c->tp, &c->arena);
            if (c->group != NULL && (c->coord == NULL || c->coord->fd < 0)) {
                c->coord = NULL;
                c->rejoin = true;
            }
            continue;
        }
        lost = 0;
        if (rc != CLI_EXIT_OK)
            return rc;
        if (c->count > before) {
            last = clock_mono_ms();
            cli_consume_commit(c);
        }
        cli_consume_heartbeat(c);
    }
    return CLI_EXIT_OK;
}

int cli_consume_main(int argc, char **argv)
{
    struct cli_consume c;
    struct sigaction   sa;
    char               err[256];
    int                rc;

    memset(&c, 0, sizeof c);
    if (cli_args_parse(&c.a, cli_consume_opts, CLI_CONSUME_NOPTS, argc, argv, err,
                       sizeof err) < 0) {
        fprintf(stderr, "odradek console-consumer: %s (try: odradek help console-consumer)\n",
                err);
        cli_args_free(&c.a);
        return CLI_EXIT_USAGE;
    }
    if (cli_args_count(&c.a, "--help") > 0) {
        cli_consume_usage(stdout);
        cli_args_free(&c.a);
        return CLI_EXIT_OK;
    }
    rc = cli_consume_setup(&c);
    if (rc == CLI_EXIT_OK) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = cli_consume_on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        arena_init(&c.arena);
        rc = cli_kafka_connect(&c.k, "console-consumer",
                               cli_args_get(&c.a, "--bootstrap-server"), NULL, 10000);
        if (rc == CLI_EXIT_OK) {
            rc = cli_consume_run(&c);
            cli_consume_commit(&c);
            cli_consume_leave(&c);
            fflush(stdout);
            fprintf(stderr, "Processed a total of %ld messages\n", c.count);
        }
        arena_free(&c.arena);
    }
    cli_kafka_close(&c.k);
    free(c.parts);
    free(c.member_id);
    cli_args_free(&c.a);
    return rc;
}
