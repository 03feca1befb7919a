/* kf_pid: producer ids and sequence checks (see kf_pid.h). */
#include "kf_pid.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "kerr.h"
#include "kf_api.h"
#include "log.h"

#define KF_PID_BLOCK 1000

static int pid_block_write(struct kf_broker *b, int64_t end)
{
    char path[4096], tmp[4200], text[32];
    int  fd, n;

    snprintf(path, sizeof path, "%s/odradek-producer-ids", b->kc->dirs[0]);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    n = snprintf(text, sizeof text, "%" PRId64 "\n", end);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (write(fd, text, (size_t)n) != n || fdatasync(fd) < 0) {
        int err = -errno;

        close(fd);
        return err;
    }
    close(fd);
    if (rename(tmp, path) < 0)
        return -errno;
    b->pid_block_end = end;
    return 0;
}

int kf_pid_open(struct kf_broker *b)
{
    char      path[4096];
    FILE     *f;
    long long v = 0;

    snprintf(path, sizeof path, "%s/odradek-producer-ids", b->kc->dirs[0]);
    f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%lld", &v) != 1 || v < 0)
            v = 0;
        fclose(f);
    }
    b->next_pid = v;
    return pid_block_write(b, v + KF_PID_BLOCK);
}

static int64_t pid_next(struct kf_broker *b)
{
    if (b->next_pid >= b->pid_block_end &&
        pid_block_write(b, b->next_pid + KF_PID_BLOCK) < 0)
        return -1;
    return b->next_pid++;
}

/* InitProducerId (v0-4).  Transactions are not served: a transactional id
 * is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED so clients report
 * it plainly instead of retrying.  v3+ with an existing producer id and
 * epoch bumps the epoch (KIP-360), or hands out a new id when the epoch
 * would overflow. */
int kf_pid_init_producer_id(struct kf_req *rq)
{
    struct kmsg_init_producer_id_req *req = rq->body;
    struct kmsg_init_producer_id_resp resp;

    kmsg_defaults(&kmsg_s_init_producer_id_resp, &resp);
    if (req->transactional_id.n >= 0) {
        resp.error_code = KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        kf_api_reply(rq, &resp);
        return 0;
    }
    if (req->producer_id >= 0 && req->producer_epoch >= 0 &&
        req->producer_id < rq->b->next_pid && req->producer_epoch < 32766) {
        resp.producer_id = req->producer_id;
        resp.producer_epoch = (int16_t)(req->producer_epoch + 1);
    } else {
        resp.producer_id = pid_next(rq->b);
        resp.producer_epoch = 0;
        if (resp.producer_id < 0)
            resp.error_code = KERR_UNKNOWN_SERVER_ERROR;
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_pid_check(const kf_pstate_t *ps, const struct kbatch_hdr *h,
                 struct kf_pstate_batch *dup, bool *is_cached)
{
    const struct kf_pstate_entry *e = kf_pstate_get(ps, h->producer_id);
    const struct kf_pstate_batch *last;
    int32_t                       last_seq, expect;
    int                           i;

    *is_cached = false;
    if (h->base_sequence < 0)
        return KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    last_seq = (int32_t)((int64_t)h->base_sequence + h->last_offset_delta);
    if (e == NULL || e->nbatches == 0)
        return h->base_sequence == 0 ? KERR_NONE
                                     : KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    if (h->producer_epoch < e->epoch)
        return KERR_INVALID_PRODUCER_EPOCH;
    if (h->producer_epoch > e->epoch)
        return h->base_sequence == 0 ? KERR_NONE
                                     : KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    for (i = 0; i < e->nbatches; i++)
        if (e->batches[i].first_seq == h->base_sequence &&
            e->batches[i].last_seq == last_seq) {
            *dup = e->batches[i];
            *is_cached = true;
            return KERR_DUPLICATE_SEQUENCE_NUMBER;
        }
    last = &e->batches[e->nbatches - 1];
    expect = last->last_seq == INT32_MAX ? 0 : last->last_seq + 1;
    if (h->base_sequence == expect)
        return KERR_NONE;
    if (h->base_sequence < expect &&
        h->base_sequence >= e->batches[0].first_seq)
        return KERR_DUPLICATE_SEQUENCE_NUMBER;
    return KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
}
