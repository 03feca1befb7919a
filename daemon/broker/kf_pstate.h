/* kf_pstate: one partition's idempotent-producer state, as Kafka's
 * ProducerStateManager keeps it: per producer id, the epoch and the
 * metadata of its last (up to) five batches, so a retried batch is found
 * (DUPLICATE_SEQUENCE_NUMBER answered with the original offsets) and a gap
 * is seen (OUT_OF_ORDER_SEQUENCE_NUMBER).
 *
 * It owns: the table and its snapshot file format (Kafka 2.8's
 * <offset>.snapshot, version 1: int16 version, uint32 CRC-32C of the rest,
 * then an int32-counted array of {producerId int64, epoch int16,
 * lastSequence int32, lastOffset int64, offsetDelta int32, timestamp int64,
 * coordinatorEpoch int32, currentTxnFirstOffset int64}).  It does not own:
 * the sequence rules (the produce handler applies them using
 * kf_pstate_get before kf_log_append), nor when snapshots are taken or
 * which batches are replayed (kf_log does both: a snapshot on roll and
 * clean close; on open the newest snapshot not beyond the recovered log is
 * loaded and the batch headers after it are replayed through
 * kf_pstate_update, so the state survives kill -9 too).
 *
 * A snapshot keeps only the last batch of each producer (as Kafka's does);
 * replaying the log after it restores up to five again. */
#ifndef ODRADEK_KF_PSTATE_H
#define ODRADEK_KF_PSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define KF_PSTATE_RECENT 5 /* Kafka's NumBatchesToRetain */

typedef struct kf_pstate kf_pstate_t;

struct kf_pstate_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t first_offset;
    int64_t last_offset;
    int64_t timestamp; /* the batch's max timestamp */
};

struct kf_pstate_entry {
    int64_t                producer_id;
    int16_t                epoch;
    int32_t                coordinator_epoch; /* -1: no transactions yet */
    int64_t                txn_first_offset;  /* -1 */
    int                    nbatches; /* 0..KF_PSTATE_RECENT, oldest first */
    struct kf_pstate_batch batches[KF_PSTATE_RECENT];
    int64_t                last_update_ms; /* wall time of the last update */
};

kf_pstate_t *kf_pstate_new(void);
void         kf_pstate_free(kf_pstate_t *ps); /* NULL is fine */
void         kf_pstate_clear(kf_pstate_t *ps);
int          kf_pstate_count(const kf_pstate_t *ps);

/* The entry of producer_id, or NULL.  Valid until the next update. */
const struct kf_pstate_entry *kf_pstate_get(const kf_pstate_t *ps,
                                            int64_t            producer_id);

/* Record one appended batch (producer_id >= 0).  A newer epoch resets the
 * batch history; an older epoch is ignored (the handler fences those
 * before appending; replay may still meet them).  now_ms stamps the
 * entry (pass the batch's max timestamp during replay). */
void kf_pstate_update(kf_pstate_t *ps, int64_t producer_id, int16_t epoch,
                      int32_t first_seq, int32_t last_seq, int64_t first_offset,
                      int64_t last_offset, int64_t max_timestamp,
                      int64_t now_ms);

/* Drop producers whose last update is older than now_ms - max_age_ms
 * (transactional.id.expiration.ms / producer.id.expiration.ms). */
int kf_pstate_expire(kf_pstate_t *ps, int64_t now_ms, int64_t max_age_ms);

/* Drop producers whose last batch ends at or after offset (truncation):
 * the caller replays the headers that remain. */
void kf_pstate_truncate(kf_pstate_t *ps, int64_t offset);

/* Visit every entry; fn returns non-zero to stop. */
void kf_pstate_foreach(const kf_pstate_t *ps,
                       int (*fn)(void *arg, const struct kf_pstate_entry *e),
                       void *arg);

/* Snapshot encoding (format above).  decode replaces the table; returns 0,
 * ERR_SHORT / ERR_MALFORMED / ERR_CORRUPT (bad CRC, version) leaving the
 * table empty. */
void kf_pstate_encode(const kf_pstate_t *ps, buf_t *out);
int  kf_pstate_decode(kf_pstate_t *ps, const uint8_t *p, size_t n);

/* Write / read a snapshot file (write: tmp file, fsync, rename). */
int kf_pstate_save(const kf_pstate_t *ps, const char *path);
int kf_pstate_load(kf_pstate_t *ps, const char *path);

#endif
