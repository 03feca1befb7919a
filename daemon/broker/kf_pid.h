/* kf_pid: idempotent producers: producer id allocation (InitProducerId)
 * and the sequence rules a produce applies before appending a batch.
 *
 * It owns: the producer-id block file (<first log dir>/odradek-producer-ids:
 * the first id not yet handed out, reserved a block of 1000 at a time, so
 * ids are never reused across restarts), InitProducerId, and
 * kf_pid_check (Kafka 2.8's ProducerAppendInfo rules).  It does not own the
 * per-partition producer table (kf_pstate, kept by kf_log). */
#ifndef ODRADEK_KF_PID_H
#define ODRADEK_KF_PID_H

#include "kbatch.h"
#include "kf_pstate.h"
#include "kf_server.h"

/* Reads the block file and reserves the first block; blocking (start-up).
 * Returns 0 or < 0. */
int kf_pid_open(struct kf_broker *b);

/* Sequence check of batch h (producer_id >= 0) against ps.  Returns
 * KERR_NONE (append it), or a Kafka error: INVALID_PRODUCER_EPOCH,
 * OUT_OF_ORDER_SEQUENCE_NUMBER, DUPLICATE_SEQUENCE_NUMBER.  When the batch
 * is one of the producer's recent batches (a retry), returns
 * DUPLICATE_SEQUENCE_NUMBER with *dup set and *is_cached true: the caller
 * answers success with the original offsets, as Kafka does. */
int kf_pid_check(const kf_pstate_t *ps, const struct kbatch_hdr *h,
                 struct kf_pstate_batch *dup, bool *is_cached);

#endif
