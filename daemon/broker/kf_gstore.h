/* kf_gstore: the group coordinator's storage in __consumer_offsets.
 *
 * It owns: turning committed offsets, group metadata and deletions into
 * records (kf_offsets formats) inside v2 record batches appended to the
 * partition of __consumer_offsets that owns the group
 * (kf_offsets_partition_for), loading every partition back into a
 * kf_group coordinator at start (the newest record per key wins;
 * tombstones delete), and offsets.retention.minutes expiry (tombstones
 * for expired offsets, then for Empty groups left without offsets, as
 * Kafka's GroupMetadataManager.cleanupGroupMetadata).
 * It does not own: the log itself.  The broker passes two operations over
 * kf_log (append a batch to partition p, read batches of partition p), so
 * this module is tested against an in-memory log, and the coordinator's
 * in-memory state (kf_group).  Offsets become visible to OffsetFetch only
 * once their append is done (as in Kafka, after the log accepted them). */
#ifndef ODRADEK_KF_GSTORE_H
#define ODRADEK_KF_GSTORE_H

#include <stdint.h>

#include "buf.h"
#include "kf_group.h"

/* done(arg, status): status 0 = stored (durable per the flush policy),
 * < 0 = failed.  Runs exactly once, possibly before append returns. */
typedef void kf_gstore_done_fn(void *arg, int status);

struct kf_gstore_ops {
    /* Append one whole v2 batch (base offset 0; the log assigns offsets)
     * to partition p of __consumer_offsets.  Returns 0 and calls done
     * (now or later), or < 0 without calling it. */
    int (*append)(void *ctx, int32_t p, const uint8_t *batch, size_t len,
                  kf_gstore_done_fn *done, void *arg);
    /* Append to out the whole batches of partition p from *offset on (as
     * many as it likes, at least one if any is left) and set *offset to
     * the offset after the last one.  Returns 0 (out unchanged at the end
     * of the log) or < 0. */
    int (*read)(void *ctx, int32_t p, int64_t *offset, buf_t *out);
    void *ctx;
};

typedef struct kf_gstore kf_gstore_t;

/* nparts = offsets.topic.num.partitions.  co may be set later with
 * kf_gstore_attach (the coordinator's store hook needs the store first:
 * pass kf_gstore_store_hook with the store as its arg). */
kf_gstore_t *kf_gstore_new(const struct kf_gstore_ops *ops, int32_t nparts);
void         kf_gstore_attach(kf_gstore_t *gs, kf_group_coord_t *co);
/* Detaches the coordinator; the memory goes once the log has called back
 * every append still pending (done callbacks still run, offsets are no
 * longer applied). */
void         kf_gstore_free(kf_gstore_t *gs);

/* For struct kf_group_hooks.store (arg = the kf_gstore_t): writes the
 * group's metadata record (GroupMetadataValue v3).  Failures are counted
 * (kf_gstore_errors), not reported: Kafka also only warns. */
void kf_gstore_store_hook(void *arg, const struct kf_group *g);
int64_t kf_gstore_errors(const kf_gstore_t *gs);

/* OffsetCommit, after kf_group_commit_check said NONE: one batch with a
 * record per offset (OffsetCommitValue v3, or v1 when expire_ts >= 0);
 * when it is stored the offsets go into the coordinator, then done runs.
 * Returns 0 (done will run) or < 0 (done will not). */
int kf_gstore_commit(kf_gstore_t *gs, const char *group, int n,
                     const struct kf_group_offset *offs,
                     kf_gstore_done_fn *done, void *arg);

/* OffsetDelete: a tombstone for one offset, removed from the coordinator
 * at once.  Returns 0, ERR_NOTFOUND (no such offset) or < 0. */
int kf_gstore_delete_offset(kf_gstore_t *gs, const char *group,
                            const char *topic, int32_t partition);

/* DeleteGroups for one group: NONE after tombstones for its offsets and
 * metadata were appended and the group removed; else the Kafka error
 * kf_group_delete gives (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP). */
int16_t kf_gstore_delete_group(kf_gstore_t *gs, const char *group);

/* Reads every partition and rebuilds the coordinator's groups and
 * offsets.  Returns 0, or < 0 from the log (records that do not decode
 * are skipped and counted in kf_gstore_errors, as Kafka skips them). */
int kf_gstore_load(kf_gstore_t *gs);

/* Expires offsets older than retention_ms at wall time now (see
 * kf_offsets_expired) and removes Empty groups left with no offsets.
 * Returns how many offsets expired (>= 0) or < 0. */
int kf_gstore_expire(kf_gstore_t *gs, int64_t now, int64_t retention_ms);

#endif
