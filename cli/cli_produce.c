/* cli_produce: `odradek console-producer`, kafka-console-producer.sh's
 * flags: lines from stdin become records of --topic, with a key when
 * --property parse.key=true (split at key.separator, default a tab).
 *
 * Batching: lines are gathered until --batch-size lines are waiting, or
 * stdin has nothing more ready (so an interactive session sends each line
 * at once), or EOF; then one record batch (magic 2, optionally compressed)
 * per partition and one Produce request per leader.  Partitioning is the
 * Java client's default: murmur2 of the key for keyed records; keyless
 * records stick to one partition per batch, moving round-robin to the
 * next partition for the next batch (the sticky partitioner, KIP-480).
 * It does not own the client (cli_kafka) or the batch format (kbatch). */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_kafka.h"
#include "clock.h"
#include "err.h"
#include "kbatch.h"
#include "kcompress.h"
#include "kerr.h"
#include "xalloc.h"

static const struct cli_opt cli_produce_opts[] = {
    CLI_OPT_ARG("--bootstrap-server", "broker list host:port[,host:port] (required)"),
    CLI_OPT_ARG("--broker-list", NULL), /* the old name */
    CLI_OPT_ARG("--topic", "topic to write to (required)"),
    CLI_OPT_MULTI("--property", "parse.key=true, key.separator=S, ignore.error=true"),
    CLI_OPT_OPTARG("--compression-codec", "none, gzip (no value: gzip), snappy, lz4, zstd"),
    CLI_OPT_ARG("--request-required-acks", "0, 1 or -1/all (default 1)"),
    CLI_OPT_ARG("--batch-size", "lines per batch (default 200)"),
    CLI_OPT_FLAG("--sync", "send each line on its own"),
    CLI_OPT_ARG("--request-timeout-ms", "deadline of each request (default 30000)"),
    CLI_OPT_MULTI("--producer-property", "acks=N, compression.type=C, ..."),
    CLI_OPT_FLAG("--help", "this text"),
};
#define CLI_PRODUCE_NOPTS ((int)(sizeof cli_produce_opts / sizeof cli_produce_opts[0]))

void cli_produce_usage(FILE *f)
{
    fprintf(f, "usage: odradek console-producer --bootstrap-server HOST:PORT --topic T "
               "[OPTIONS] < lines\n\n");
    cli_args_usage(f, cli_produce_opts, CLI_PRODUCE_NOPTS);
    fprintf(f, "\n" CLI_EXIT_TEXT);
}

/* A flush starts once this many bytes of lines wait, whatever
 * --batch-size says, so a request stays well under the broker's default
 * message.max.bytes (1 MiB) unless a single line is that big. */
#define CLI_PRODUCE_MAX_BATCH_BYTES (256 * 1024)

/* The codec names of --compression-codec / compression.type. */
static const struct {
    const char *name;
    int         codec;
} cli_produce_codecs[] = {
    { "none", KBATCH_NONE }, { "", KBATCH_GZIP },       { "gzip", KBATCH_GZIP },
    { "snappy", KBATCH_SNAPPY }, { "lz4", KBATCH_LZ4 }, { "zstd", KBATCH_ZSTD },
};

struct cli_prec {
    int32_t part;
    size_t  koff, voff; /* into the line pool */
    int32_t klen, vlen; /* klen -1: no key */
    int64_t ts;
};

struct cli_produce {
    struct cli_kafka  k;
    struct cli_args   a;
    arena_t           arena;   /* metadata; reset on refresh */
    struct cli_ktopic tp;
    const char       *topic;
    int16_t           acks;
    int               codec;
    int               batch_lines;
    int32_t           sticky;  /* keyless records' partition this batch */
    buf_t             pool;    /* the waiting lines' bytes */
    struct cli_prec  *recs;
    int               nrecs, caprecs;
    long              sent;
};

/* Metadata of the topic; quiet while retrying a flush (the flush reports
 * the error if it gives up).  A failure leaves p->tp as it was. */
static int cli_produce_refresh(struct cli_produce *p, bool quiet)
{
    struct cli_ktopic tp;
    int               rc;

    rc = cli_kafka_topic(&p->k, p->topic, true, &tp, &p->arena);
    if (rc == 0)
        p->tp = tp;
    if (quiet)
        return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    if (rc < 0) {
        fprintf(stderr, "odradek console-producer: Metadata: %s\n", err_str(rc));
        return cli_kafka_exit_for(rc);
    }
    if (rc > 0) {
        fprintf(stderr, "odradek console-producer: topic '%s' is not available: %s\n",
                p->topic, cli_kafka_errname(rc));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* One batch of the records of partition part, compressed if asked:
 * records built uncompressed, then the bytes after the 61-byte header
 * compressed and the header's length, attributes and CRC-32C patched. */
static int cli_produce_build(struct cli_produce *p, int32_t part, buf_t *out)
{
    struct kbatch_builder b;
    buf_t                 plain = BUF_INIT, z = BUF_INIT;
    bool                  any = false;
    int                   rc = 0;

    for (int i = 0; i < p->nrecs; i++) {
        struct cli_prec *r = &p->recs[i];
        slice_t          key = { NULL, -1 }, val;

        if (r->part != part)
            continue;
        if (!any)
            kbatch_build_begin(&b, &plain, 0, r->ts, 0, -1, -1, -1);
        any = true;
        if (r->klen >= 0) {
            key.p = p->pool.data + r->koff;
            key.n = r->klen;
        }
        val.p = p->pool.data + r->voff;
        val.n = r->vlen;
        kbatch_build_add(&b, r->ts, key, val, NULL, 0, 0);
    }
    if (!any)
        return 1;
    kbatch_build_end(&b);
    if (p->codec == KBATCH_NONE) {
        buf_move(out, &plain);
        return 0;
    }
    rc = kcompress_compress(p->codec, plain.data + KBATCH_HEADER_SIZE,
                            plain.len - KBATCH_HEADER_SIZE, &z);
    if (rc == 0) {
        uint8_t *h;
        uint32_t crc;

        buf_put(out, plain.data, KBATCH_HEADER_SIZE);
        buf_put(out, z.data, z.len);
        h = out->data;
        buf_set_i32(out, 8, (int32_t)(out->len - KBATCH_LOG_OVERHEAD));
        h[21] = 0;
        h[22] = (uint8_t)p->codec; /* attributes (int16): codec bits */
        crc = kbatch_crc(out->data, out->len);
        buf_set_i32(out, 17, (int32_t)crc);
    }
    buf_free(&plain);
    buf_free(&z);
    return rc;
}

static bool cli_produce_retriable(int code)
{
    return code == KERR_NOT_LEADER_OR_FOLLOWER || code == KERR_LEADER_NOT_AVAILABLE ||
           code == KERR_REQUEST_TIMED_OUT || code == KERR_UNKNOWN_TOPIC_OR_PARTITION;
}

/* Sends the waiting records: one Produce per leader.  A partition whose
 * leader moved is retried after a metadata refresh, a few times. */
static int cli_produce_flush(struct cli_produce *p)
{
    buf_t  *batches;
    bool   *done;
    int     rc = CLI_EXIT_OK, last_io = 0, last_code = 0;
    int32_t np = p->tp.nparts, last_node = -1;
    int64_t deadline = clock_mono_ms() + p->k.timeout_ms;

    if (p->nrecs == 0)
        return CLI_EXIT_OK;
    batches = xcalloc((size_t)np, sizeof *batches);
    done = xcalloc((size_t)np, sizeof *done);
    for (int32_t i = 0; i < np; i++) {
        int b = cli_produce_build(p, i, &batches[i]);

        if (b < 0) {
            fprintf(stderr, "odradek console-producer: compression failed: %s\n", err_str(b));
            rc = CLI_EXIT_FAIL;
            goto out;
        }
        done[i] = b == 1; /* nothing for this partition */
    }
    /* Retry what failed until the request deadline: a leader that moved
     * (metadata asked again) or a broker that restarts (connection opened
     * again).  At least once, like Kafka's producer without idempotence. */
    for (;;) {
        bool again = false;

        for (int32_t lp = 0; lp < np; lp++) {
            struct kmsg_produce_req        req;
            struct kmsg_produce_req_topic  t;
            struct kmsg_produce_resp       resp;
            struct cli_kconn              *c;
            int32_t                        leader = lp < p->tp.nparts ? p->tp.leader[lp] : -1;
            arena_t                        a;
            int                            r;

            if (done[lp])
                continue;
            if (leader < 0) {
                again = true;
                last_code = KERR_LEADER_NOT_AVAILABLE;
                continue;
            }
            arena_init(&a);
            kmsg_defaults(kmsg_api(KMSG_API_PRODUCE)->req, &req);
            req.acks = p->acks;
            req.timeout_ms = p->k.timeout_ms;
            req.topics = &t;
            req.topics_n = 1;
            t.name = cli_slice(p->topic);
            t.partitions = arena_calloc(&a, (size_t)np, sizeof *t.partitions);
            t.partitions_n = 0;
            for (int32_t i = lp; i < np && i < p->tp.nparts; i++) {
                if (done[i] || p->tp.leader[i] != leader)
                    continue;
                t.partitions[t.partitions_n].index = i;
                t.partitions[t.partitions_n].records.bytes.p = batches[i].data;
                t.partitions[t.partitions_n].records.bytes.n = (int32_t)batches[i].len;
                t.partitions_n++;
            }
            r = cli_kafka_node(&p->k, leader, &c);
            if (r == 0 && cli_kconn_version(c, KMSG_API_PRODUCE) < 3)
                r = ERR_UNSUPPORTED; /* record batches need Produce v3+ */
            if (r == 0)
                r = cli_kafka_call(&p->k, c, KMSG_API_PRODUCE, &req,
                                   p->acks == 0 ? NULL : &resp, &a);
            if (r == ERR_UNSUPPORTED) {
                fprintf(stderr, "odradek console-producer: broker %d serves no Produce "
                                "version with record batches\n", leader);
                arena_free(&a);
                rc = CLI_EXIT_FAIL;
                goto out;
            }
            if (r < 0) {
                last_io = r;
                last_node = leader;
                again = true;
                arena_free(&a);
                continue;
            }
            last_io = 0;
            for (int32_t i = 0; i < t.partitions_n; i++)
                done[t.partitions[i].index] = true; /* acks=0: sent is done */
            for (int32_t i = 0; p->acks != 0 && i < resp.topics_n; i++)
                for (int32_t j = 0; j < resp.topics[i].partitions_n; j++) {
                    struct kmsg_produce_resp_part *pr = &resp.topics[i].partitions[j];

                    if (pr->error_code == 0 || pr->index < 0 || pr->index >= np)
                        continue;
                    if (cli_produce_retriable(pr->error_code)) {
                        done[pr->index] = false;
                        again = true;
                        last_code = pr->error_code;
                        continue;
                    }
                    fprintf(stderr, "odradek console-producer: %s-%d: %s\n", p->topic,
                            pr->index, cli_kafka_errname(pr->error_code));
                    rc = CLI_EXIT_FAIL;
                }
            arena_free(&a);
        }
        if (!again || rc != CLI_EXIT_OK)
            break;
        if (clock_mono_ms() > deadline) {
            if (last_io < 0)
                fprintf(stderr, "odradek console-producer: Produce to broker %d: %s\n",
                        last_node, err_str(last_io));
            else
                fprintf(stderr, "odradek console-producer: %s: %s\n", p->topic,
                        cli_kafka_errname(last_code));
            rc = last_io < 0 ? cli_kafka_exit_for(last_io) : CLI_EXIT_FAIL;
            break;
        }
        usleep(200 * 1000);
        (void)cli_produce_refresh(p, true);
    }
out:
    if (rc == CLI_EXIT_OK)
        p->sent += p->nrecs;
    for (int32_t i = 0; i < np; i++)
        buf_free(&batches[i]);
    free(batches);
    free(done);
    p->nrecs = 0;
    buf_reset(&p->pool);
    p->sticky = p->tp.nparts > 0 ? (p->sticky + 1) % p->tp.nparts : 0;
    return rc;
}

/* One line (without its newline) becomes a waiting record.  Returns 0, or
 * ERR_MALFORMED for a keyless line when parse.key is on. */
static int cli_produce_line(struct cli_produce *p, const char *line, size_t n,
                            bool parse_key, const char *sep, bool ignore_err)
{
    struct cli_prec *r;
    const char      *at = NULL;
    size_t           sl = strlen(sep);

    if (p->nrecs == p->caprecs) {
        p->caprecs = p->caprecs ? p->caprecs * 2 : 256;
        p->recs = xrealloc(p->recs, sizeof *p->recs * (size_t)p->caprecs);
    }
    r = &p->recs[p->nrecs];
    r->ts = clock_wall_ms();
    r->klen = -1;
    if (parse_key && sl > 0)
        at = memmem(line, n, sep, sl);
    if (parse_key && at == NULL && !ignore_err)
        return ERR_MALFORMED;
    r->koff = p->pool.len;
    if (at != NULL) {
        r->klen = (int32_t)(at - line);
        buf_put(&p->pool, line, (size_t)r->klen);
        line = at + sl;
        n -= (size_t)r->klen + sl;
    }
    r->voff = p->pool.len;
    r->vlen = (int32_t)n;
    buf_put(&p->pool, line, n);
    if (r->klen >= 0)
        r->part = cli_kafka_partition_for(p->pool.data + r->koff, (size_t)r->klen,
                                          p->tp.nparts);
    else
        r->part = p->sticky;
    p->nrecs++;
    return 0;
}

/* More input without waiting: lines already in stdio's buffer (glibc's
 * FILE read pointers), or bytes ready on the descriptor. */
static bool cli_produce_stdin_ready(void)
{
    struct pollfd pfd = { 0, POLLIN, 0 };

    if (stdin->_IO_read_ptr < stdin->_IO_read_end)
        return true;
    return poll(&pfd, 1, 0) > 0;
}

static int cli_produce_parse(struct cli_produce *p)
{
    const char *acks = cli_args_get(&p->a, "--request-required-acks");
    const char *codec = cli_args_get(&p->a, "--compression-codec");
    const char *bs = cli_args_get(&p->a, "--batch-size");
    int64_t     v;

    if (acks == NULL)
        acks = cli_args_prop(&p->a, "--producer-property", "acks");
    if (codec == NULL)
        codec = cli_args_prop(&p->a, "--producer-property", "compression.type");
    p->topic = cli_args_get(&p->a, "--topic");
    if (p->topic == NULL || *p->topic == '\0') {
        fprintf(stderr, "odradek console-producer: --topic is required\n");
        return CLI_EXIT_USAGE;
    }
    p->acks = 1;
    if (acks != NULL) {
        if (strcmp(acks, "all") == 0)
            p->acks = -1;
        else if (cli_parse_i64(acks, -1, 1, &v) == 0)
            p->acks = (int16_t)v;
        else {
            fprintf(stderr, "odradek console-producer: --request-required-acks: want 0, 1, "
                            "-1 or all, got '%s'\n", acks);
            return CLI_EXIT_USAGE;
        }
    }
    p->codec = -1;
    for (size_t i = 0; codec != NULL && i < sizeof cli_produce_codecs / sizeof cli_produce_codecs[0]; i++)
        if (strcmp(codec, cli_produce_codecs[i].name) == 0)
            p->codec = cli_produce_codecs[i].codec;
    if (codec == NULL)
        p->codec = KBATCH_NONE;
    if (p->codec < 0) {
        fprintf(stderr, "odradek console-producer: --compression-codec: want none, gzip, "
                        "snappy, lz4 or zstd, got '%s'\n", codec);
        return CLI_EXIT_USAGE;
    }
    p->batch_lines = 200;
    if (bs != NULL) {
        if (cli_parse_i64(bs, 1, 1000000, &v) < 0) {
            fprintf(stderr, "odradek console-producer: --batch-size: want a positive number\n");
            return CLI_EXIT_USAGE;
        }
        p->batch_lines = (int)v;
    }
    if (cli_args_count(&p->a, "--sync") > 0)
        p->batch_lines = 1;
    return CLI_EXIT_OK;
}

int cli_produce_main(int argc, char **argv)
{
    struct cli_produce p;
    const char        *bootstrap, *pk, *sep, *ie;
    char               err[256], *line = NULL;
    size_t             cap = 0;
    ssize_t            n;
    long               lineno = 0;
    int64_t            tmo = 30000;
    int                rc;

    memset(&p, 0, sizeof p);
    if (cli_args_parse(&p.a, cli_produce_opts, CLI_PRODUCE_NOPTS, argc, argv, err,
                       sizeof err) < 0) {
        fprintf(stderr, "odradek console-producer: %s (try: odradek help console-producer)\n",
                err);
        cli_args_free(&p.a);
        return CLI_EXIT_USAGE;
    }
    if (cli_args_count(&p.a, "--help") > 0) {
        cli_produce_usage(stdout);
        cli_args_free(&p.a);
        return CLI_EXIT_OK;
    }
    rc = cli_produce_parse(&p);
    if (rc == CLI_EXIT_OK && cli_args_get(&p.a, "--request-timeout-ms") != NULL &&
        cli_parse_i64(cli_args_get(&p.a, "--request-timeout-ms"), 1, 3600000, &tmo) < 0) {
        fprintf(stderr, "odradek console-producer: --request-timeout-ms: want milliseconds\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc != CLI_EXIT_OK) {
        cli_args_free(&p.a);
        return rc;
    }
    pk = cli_args_prop(&p.a, "--property", "parse.key");
    sep = cli_args_prop(&p.a, "--property", "key.separator");
    ie = cli_args_prop(&p.a, "--property", "ignore.error");
    if (sep == NULL)
        sep = "\t";
    bootstrap = cli_args_get(&p.a, "--bootstrap-server");
    if (bootstrap == NULL)
        bootstrap = cli_args_get(&p.a, "--broker-list");
    arena_init(&p.arena);
    rc = cli_kafka_connect(&p.k, "console-producer", bootstrap, NULL, (int)tmo);
    if (rc == CLI_EXIT_OK)
        rc = cli_produce_refresh(&p, false);
    if (rc == CLI_EXIT_OK && p.tp.nparts > 0) {
        srand((unsigned)(clock_wall_ms() ^ getpid()));
        p.sticky = rand() % p.tp.nparts;
    }
    while (rc == CLI_EXIT_OK && (n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            n--;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (cli_produce_line(&p, line, (size_t)n, pk != NULL && strcmp(pk, "true") == 0,
                             sep, ie != NULL && strcmp(ie, "true") == 0) < 0) {
            fprintf(stderr, "odradek console-producer: No key found on line %ld: %.*s\n",
                    lineno, (int)n, line);
            rc = CLI_EXIT_FAIL;
            break;
        }
        if (p.nrecs >= p.batch_lines || p.pool.len >= CLI_PRODUCE_MAX_BATCH_BYTES ||
            !cli_produce_stdin_ready())
            rc = cli_produce_flush(&p);
    }
    if (rc == CLI_EXIT_OK)
        rc = cli_produce_flush(&p);
    free(line);
    free(p.recs);
    buf_free(&p.pool);
    arena_free(&p.arena);
    cli_kafka_close(&p.k);
    cli_args_free(&p.a);
    return rc;
}
