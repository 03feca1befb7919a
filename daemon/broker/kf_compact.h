/* kf_compact: log compaction (cleanup.policy=compact) of one partition
 * directory, as Kafka's LogCleaner does it.
 *
 * It owns: reading record batches (magic 2) from segment files with
 * bounded memory, an offset map keyed by a 128-bit hash of each record key
 * with a fixed byte budget, passes over the log when the map cannot hold
 * every key at once, rewriting segments so that only the newest record per
 * key is kept and tombstones disappear once delete.retention.ms has passed,
 * and the crash-safe swap of cleaned segments (.cleaned, then .swap, then
 * the .log name; recovery finishes or discards what an interrupted run
 * left).  It does not own: deciding when to clean (the broker's cleaner
 * schedule), the active segment (never touched: segments whose base offset
 * is >= active_base are left alone), or open file handles of kf_log: the
 * caller runs compaction off the event loop on segments kf_log is not
 * writing, and reopens them afterwards.
 *
 * Invariants:
 *  - A record is dropped only when the map holds a record with the same
 *    key hash at a larger offset, so a record that is the newest for its
 *    key is never lost (the 128-bit hash makes a false match as unlikely as
 *    Kafka's MD5-based map).
 *  - A batch none of whose records is dropped is copied byte for byte; a
 *    batch that loses records is rebuilt with the retained records
 *    (uncompressed), its original base offset, last offset delta,
 *    timestamps and producer fields, and a new CRC-32C.
 *  - Records without a key (which Kafka refuses for compacted topics) and
 *    control batches are kept.
 *  - Each output segment keeps its input segment's base offset; its
 *    .index and .timeindex are written anew. */
#ifndef ODRADEK_KF_COMPACT_H
#define ODRADEK_KF_COMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rd.h"

struct kf_compact_cfg {
    size_t  map_bytes;           /* log.cleaner.dedupe.buffer.size share */
    double  load_factor;         /* log.cleaner.io.buffer.load.factor, 0.9 */
    int64_t delete_retention_ms; /* delete.retention.ms, 86400000 */
    size_t  max_batch_bytes;     /* largest batch read or decompressed */
    int32_t index_interval;      /* index.interval.bytes, 4096 */
    bool    fsync;               /* fsync outputs before each swap */
};

/* Kafka's defaults (map of 16 MiB, the per-thread share of 128 MiB over
 * the default... kept small because one broker cleans one log at a time). */
void kf_compact_cfg_defaults(struct kf_compact_cfg *cfg);

struct kf_compact_stats {
    int     passes;
    int64_t batches_in, batches_out, batches_rebuilt;
    int64_t records_in, records_out;
    int64_t tombstones_dropped;
    int64_t bytes_in, bytes_out;
    int     segments;
};

/* Compacts every segment of dir with base offset < active_base.  now_ms
 * is wall time (tombstones whose batch's max timestamp is older than
 * now_ms - delete_retention_ms are dropped once they are the newest for
 * their key).  Runs kf_compact_recover(dir) first.  Returns 0, ERR_CORRUPT
 * (a batch that fails its length, magic or CRC check: nothing is
 * changed in that segment), ERR_TOO_BIG (a batch over max_batch_bytes),
 * ERR_CONFIG (a map that cannot hold even one batch's keys) or -errno.
 * Blocking: call it on the thread pool. */
int kf_compact_run(const char *dir, const struct kf_compact_cfg *cfg,
                   int64_t active_base, int64_t now_ms,
                   struct kf_compact_stats *st);

/* Finishes or discards what an interrupted run left in dir: *.cleaned
 * files are deleted (the originals are intact); a <base>.log.swap is
 * complete (it was fsynced before it got that name) and replaces
 * <base>.log.  Returns 0 or -errno. */
int kf_compact_recover(const char *dir);

/* Cleaning one segment file (exposed for tests and tools): the records of
 * path whose key hash maps to a larger offset in the map are dropped. */
typedef struct kf_compact_map kf_compact_map_t;

/* A map of at most bytes bytes (24 bytes per slot); NULL if bytes is too
 * small for a single slot. */
kf_compact_map_t *kf_compact_map_new(size_t bytes, double load_factor);
void              kf_compact_map_free(kf_compact_map_t *m);
/* Records that key (n bytes) was seen at offset; keeps the larger offset.
 * Returns 0, or ERR_LIMIT when the map is at its load limit (nothing
 * recorded). */
int               kf_compact_map_put(kf_compact_map_t *m, const uint8_t *key,
                                     size_t n, int64_t offset);
/* The newest offset recorded for key, or -1. */
int64_t           kf_compact_map_get(const kf_compact_map_t *m,
                                     const uint8_t *key, size_t n);
size_t            kf_compact_map_size(const kf_compact_map_t *m);
size_t            kf_compact_map_limit(const kf_compact_map_t *m);

/* Calls fn(arg, offset, key, value) for each record of one whole v2 batch
 * p[0..n) (length, magic and CRC checked; compressed batches are
 * decompressed up to max_bytes; control batches are skipped).  key/value
 * borrow from p or a temporary buffer: valid only during fn; n == -1 is
 * null (a value of null is a tombstone).  fn returns < 0 to stop with that
 * value.  Returns 0, ERR_CORRUPT, ERR_TOO_BIG or fn's value. */
int kf_compact_batch_each(const uint8_t *p, size_t n, size_t max_bytes,
                          int (*fn)(void *arg, int64_t offset, slice_t key,
                                    slice_t value),
                          void *arg);

#endif
