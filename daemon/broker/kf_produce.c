/* kf_produce: Produce v0-9.
 *
 * Per partition: find the log (unknown topics are auto-created when the
 * broker allows it and answered UNKNOWN_TOPIC_OR_PARTITION, which
 * producers retry), convert a legacy magic 0/1 message set (v0-2 only)
 * into one v2 batch, validate every batch (kbatch: length, magic, CRC-32C,
 * counts, uncompressed records), check sizes against max.message.bytes,
 * zstd against the request version (v7+), transactions (refused) and
 * idempotent-producer sequences (kf_pid_check), then hand the batches to
 * kf_log_append, which rewrites BaseOffset and the leader epoch without
 * touching the CRC.
 *
 * Acks: 0 -> no response at all (and, as Kafka does, an error closes the
 * connection so the producer notices); 1 -> answered once the batches are
 * in the page cache; -1 -> answered once the flush policy is satisfied
 * (kf_log_append's callback), through a reserved conn slot so responses
 * stay in request order. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "kbatch.h"
#include "kerr.h"
#include "kf_api.h"
#include "kf_pid.h"
#include "klegacy.h"
#include "log.h"
#include "xalloc.h"

struct produce {
    struct kf_broker        *b;
    conn_t                  *c;
    conn_slot_t             *slot;
    int16_t                  ver;
    int32_t                  corr_id;
    int                      pending; /* flush callbacks outstanding */
    bool                     replied;
    arena_t                  arena; /* the response lives here */
    struct kmsg_produce_resp resp;
};

struct produce_part {
    struct produce                *pr;
    struct kmsg_produce_resp_part *rp;
};

static void produce_finish(struct produce *pr)
{
    buf_t out = BUF_INIT;

    kf_api_encode(&out, KMSG_API_PRODUCE, pr->ver, pr->corr_id, &pr->resp);
    conn_fill_buf(pr->c, pr->slot, &out);
    buf_free(&out);
    arena_free(&pr->arena);
    free(pr);
}

static void produce_flushed(void *arg, int status)
{
    struct produce_part *pp = arg;
    struct produce      *pr = pp->pr;

    if (status < 0)
        pp->rp->error_code = status == ERR_CLOSED ? KERR_NOT_LEADER_OR_FOLLOWER
                                                  : KERR_KAFKA_STORAGE_ERROR;
    if (--pr->pending == 0 && pr->slot != NULL)
        produce_finish(pr);
}

/* CORRUPT_MESSAGE is what every client version understands; v8+ clients
 * know INVALID_RECORD (KIP-467). */
static int16_t invalid_record(int16_t ver)
{
    return ver >= 8 ? KERR_INVALID_RECORD : KERR_CORRUPT_MESSAGE;
}

static int16_t append_error(int rc)
{
    switch (rc) {
    case ERR_TOO_BIG:
        return KERR_MESSAGE_TOO_LARGE;
    case ERR_MALFORMED:
        return KERR_CORRUPT_MESSAGE;
    case ERR_CLOSED:
    case ERR_NOTFOUND:
        return KERR_NOT_LEADER_OR_FOLLOWER;
    default:
        return KERR_KAFKA_STORAGE_ERROR;
    }
}

static int16_t append(struct produce *pr, kf_log_t *l, const uint8_t *p,
                      size_t n, int acks, struct kmsg_produce_resp_part *rp,
                      bool first)
{
    struct kf_log_append_result res;
    struct produce_part        *pp = NULL;
    int32_t                     epoch = kf_log_leader_epoch(l);
    int                         rc;

    if (acks == -1) {
        pp = arena_alloc(&pr->arena, sizeof *pp);
        pp->pr = pr;
        pp->rp = rp;
    }
    rc = kf_log_append(l, p, n, epoch < 0 ? 0 : epoch, clock_wall_ms(), &res,
                       pp != NULL ? produce_flushed : NULL, pp);
    if (rc < 0)
        return append_error(rc);
    if (rc == 1)
        pr->pending++;
    if (first) {
        rp->base_offset = res.base_offset;
        rp->log_append_time_ms = res.log_append_time;
    }
    rp->log_start_offset = res.log_start;
    return KERR_NONE;
}

static int16_t produce_part(struct kf_req *rq, struct produce *pr, kf_log_t *l,
                            slice_t records, int acks,
                            struct kmsg_produce_resp_part *rp)
{
    const struct kf_log_config *lc = kf_log_config(l);
    buf_t                       conv = BUF_INIT;
    const uint8_t              *p = records.p, *bp;
    size_t                      n = (size_t)(records.n < 0 ? 0 : records.n);
    size_t                      bn;
    rd_t                        r;
    int                         magic, rc, nb = 0;
    bool                        idem = false;
    int16_t                     err = KERR_NONE;

    if (records.n <= 0)
        return invalid_record(rq->ver);
    magic = kbatch_magic(p, n);
    if (magic < 0 || magic > 2)
        return KERR_CORRUPT_MESSAGE;
    if (magic < 2) {
        if (rq->ver >= 3) /* ProduceRequest v3+: record batches only */
            return invalid_record(rq->ver);
        rc = klegacy_to_v2(p, n, (size_t)lc->max_message_bytes * 4 + 65536,
                           &conv);
        if (rc < 0) {
            buf_free(&conv);
            return rc == ERR_TOO_BIG       ? KERR_MESSAGE_TOO_LARGE
                   : rc == ERR_UNSUPPORTED ? KERR_UNSUPPORTED_COMPRESSION_TYPE
                                           : KERR_CORRUPT_MESSAGE;
        }
        p = conv.data;
        n = conv.len;
    }
    /* validate every batch before appending any */
    r = rd_init(p, n);
    while ((rc = kbatch_next(&r, &bp, &bn)) == 1) {
        struct kbatch_hdr h;
        int               v;

        if (bn > (size_t)lc->max_message_bytes) {
            err = KERR_MESSAGE_TOO_LARGE;
            break;
        }
        v = kbatch_validate(bp, bn, &h);
        if (v != KBATCH_OK) {
            err = v == KBATCH_BAD_CRC     ? KERR_CORRUPT_MESSAGE
                  : v == KBATCH_BAD_CODEC ? KERR_UNSUPPORTED_COMPRESSION_TYPE
                                          : invalid_record(rq->ver);
            break;
        }
        if ((h.attributes & KBATCH_CODEC_MASK) == KBATCH_ZSTD && rq->ver < 7) {
            err = KERR_UNSUPPORTED_COMPRESSION_TYPE;
            break;
        }
        if (h.attributes & (KBATCH_ATTR_TXN | KBATCH_ATTR_CONTROL)) {
            err = KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
            break;
        }
        if (h.producer_id >= 0)
            idem = true;
        nb++;
    }
    if (err == KERR_NONE && (rc < 0 || nb == 0))
        err = KERR_CORRUPT_MESSAGE;
    if (err != KERR_NONE) {
        buf_free(&conv);
        return err;
    }
    if (!idem) {
        err = append(pr, l, p, n, acks, rp, true);
        buf_free(&conv);
        return err;
    }
    /* idempotent: each batch checked against the producer state as it
     * stands after the previous one was appended */
    r = rd_init(p, n);
    nb = 0;
    while (err == KERR_NONE && kbatch_next(&r, &bp, &bn) == 1) {
        struct kbatch_hdr      h;
        struct kf_pstate_batch dup;
        bool                   cached;
        int                    e;

        kbatch_hdr_read(bp, bn, &h);
        if (h.producer_id < 0) {
            err = append(pr, l, bp, bn, acks, rp, nb++ == 0);
            continue;
        }
        e = kf_pid_check(kf_log_pstate(l), &h, &dup, &cached);
        if (e == KERR_DUPLICATE_SEQUENCE_NUMBER && cached) {
            /* a retry of a batch we have: success with its offsets */
            if (nb++ == 0) {
                rp->base_offset = dup.first_offset;
                rp->log_append_time_ms = -1;
            }
            rp->log_start_offset = kf_log_start(l);
            continue;
        }
        if (e != KERR_NONE) {
            err = (int16_t)e;
            break;
        }
        err = append(pr, l, bp, bn, acks, rp, nb++ == 0);
    }
    buf_free(&conv);
    return err;
}

int kf_produce_handle(struct kf_req *rq)
{
    struct kmsg_produce_req *req = rq->body;
    struct produce          *pr = xcalloc(1, sizeof *pr);
    int                      acks = req->acks;
    bool                     any_error = false;
    int32_t                  i, j;

    pr->b = rq->b;
    pr->c = rq->c;
    pr->ver = rq->ver;
    pr->corr_id = rq->hdr.corr_id;
    kmsg_defaults(&kmsg_s_produce_resp, &pr->resp);
    pr->resp.topics_n = req->topics_n < 0 ? 0 : req->topics_n;
    pr->resp.topics = arena_calloc(&pr->arena, (size_t)pr->resp.topics_n + 1,
                                   sizeof *pr->resp.topics);
    for (i = 0; i < pr->resp.topics_n; i++) {
        struct kmsg_produce_req_topic  *t = &req->topics[i];
        struct kmsg_produce_resp_topic *rt = &pr->resp.topics[i];
        int32_t          np = t->partitions_n < 0 ? 0 : t->partitions_n;
        struct kf_topic *topic = NULL;
        int16_t          topic_err = KERR_NONE;

        rt->name.n = t->name.n < 0 ? 0 : t->name.n;
        rt->name.p = (const uint8_t *)arena_strndup(
            &pr->arena, (const char *)t->name.p, (size_t)rt->name.n);
        rt->partitions_n = np;
        rt->partitions =
            arena_calloc(&pr->arena, (size_t)np + 1, sizeof *rt->partitions);
        if (t->name.n > 0)
            topic = kf_topics_get(rq->b->topics, (const char *)t->name.p,
                                  (size_t)t->name.n);
        if (topic == NULL) {
            topic_err = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            if (t->name.n > 0 && rq->b->kc->auto_create_topics_enable &&
                kf_metadata_autocreate(rq->b, (const char *)t->name.p,
                                       (size_t)t->name.n) ==
                    KERR_INVALID_TOPIC_EXCEPTION)
                topic_err = KERR_INVALID_TOPIC_EXCEPTION;
        }
        for (j = 0; j < np; j++) {
            struct kmsg_produce_req_part  *p = &t->partitions[j];
            struct kmsg_produce_resp_part *rp = &rt->partitions[j];

            kmsg_defaults(&kmsg_s_produce_resp_part, rp);
            rp->index = p->index;
            rp->base_offset = -1;
            if (req->transactional_id.n >= 0)
                rp->error_code = KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
            else if (acks != 0 && acks != 1 && acks != -1)
                rp->error_code = KERR_INVALID_REQUIRED_ACKS;
            else if (topic_err != KERR_NONE)
                rp->error_code = topic_err;
            else if (p->index < 0 || p->index >= topic->npart ||
                     topic->logs[p->index] == NULL)
                rp->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                rp->error_code = produce_part(rq, pr, topic->logs[p->index],
                                              p->records.bytes, acks, rp);
            if (rp->error_code != KERR_NONE) {
                any_error = true;
                if (rp->error_code != KERR_UNKNOWN_TOPIC_OR_PARTITION)
                    log_debug("produce %.*s-%d: error %d", (int)rt->name.n,
                              (const char *)rt->name.p, p->index,
                              rp->error_code);
            }
        }
    }
    if (acks == 0) {
        /* no response (acks=0 never waits for a flush: append() passes
         * a callback only for acks=-1) */
        arena_free(&pr->arena);
        free(pr);
        return any_error ? ERR_MALFORMED : 0;
    }
    if (pr->pending == 0) {
        kf_api_reply(rq, &pr->resp);
        arena_free(&pr->arena);
        free(pr);
        return 0;
    }
    pr->slot = conn_reserve(rq->c);
    return 0;
}
