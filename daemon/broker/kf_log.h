/* kf_log: one partition's log, in Kafka's on-disk layout, and the log
 * manager that owns every partition of this broker.
 *
 * Layout (reference/kafka-protocol.md §5): <log.dir>/<topic>-<partition>/
 * holds segments named by their 20-digit base offset: .log (record batches
 * exactly as on the wire), .index (8-byte entries: relative offset int32,
 * position int32, big-endian, one every index.interval.bytes), .timeindex
 * (12-byte entries: timestamp int64, relative offset int32), <off>.snapshot
 * (producer state, Kafka's v1 snapshot format) and leader-epoch-checkpoint.
 * The log dir's root holds meta.properties, recovery-point-offset-checkpoint,
 * log-start-offset-checkpoint, replication-offset-checkpoint,
 * cleaner-offset-checkpoint and .kafka_cleanshutdown (the marker).
 *
 * It owns: segment files and their fds, indexes, offsets (log start, log
 * end, high watermark), roll, retention, flush (fsync on the thread pool,
 * group-committed), recovery, producer state (kf_pstate.h) and the files
 * at the log dir's root.  It does not own: validating a batch from the
 * wire (CRC, magic, compression: the produce handler does that before
 * kf_log_append), idempotent-producer sequence checks (the produce handler
 * asks kf_log_pstate() first), topic configuration (the topic registry
 * fills struct kf_log_config), or sockets (reads return file ranges that
 * conn sends with sendfile).
 *
 * Threading: every function here runs on the loop thread (except
 * kf_log_open_blocking, see there).  fsync, unlink, the renames of
 * deleted segments, the leader-epoch checkpoint, directory deletion and
 * start-up recovery run on libuv's thread pool (uv_queue_work); the
 * callbacks they lead to run on the loop thread.  A segment's fd stays
 * open while a read slice or a flush job refers to it, even after the
 * segment is deleted by retention or truncation.
 *
 * Single replica: the high watermark is the log end offset (the broker is
 * its partitions' only replica); replication would add a setter.
 * Offsets are int64; "LEO" = log end offset = next offset to assign. */
#ifndef ODRADEK_KF_LOG_H
#define ODRADEK_KF_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "kf_pstate.h"

typedef struct kf_log    kf_log_t;
typedef struct kf_logmgr kf_logmgr_t;
typedef struct kf_seg    kf_seg_t;

/* Record batch v2 header (DefaultRecordBatch.java), byte offsets. */
enum {
    KF_BATCH_BASE_OFFSET = 0,     /* int64, rewritten by kf_log_append */
    KF_BATCH_LENGTH = 8,          /* int32, bytes after this field */
    KF_BATCH_LEADER_EPOCH = 12,   /* int32, rewritten by kf_log_append */
    KF_BATCH_MAGIC = 16,          /* int8, == 2 */
    KF_BATCH_CRC = 17,            /* uint32, CRC-32C of bytes 21..end */
    KF_BATCH_ATTRIBUTES = 21,     /* int16 */
    KF_BATCH_LAST_DELTA = 23,     /* int32 lastOffsetDelta */
    KF_BATCH_BASE_TIMESTAMP = 27, /* int64 */
    KF_BATCH_MAX_TIMESTAMP = 35,  /* int64 */
    KF_BATCH_PRODUCER_ID = 43,    /* int64, -1 = none */
    KF_BATCH_PRODUCER_EPOCH = 51, /* int16 */
    KF_BATCH_BASE_SEQUENCE = 53,  /* int32 */
    KF_BATCH_RECORD_COUNT = 57,   /* int32 */
    KF_BATCH_HEADER_SIZE = 61,    /* records start here */
    KF_BATCH_LOG_OVERHEAD = 12,   /* baseOffset + length */
    KF_BATCH_ATTR_LOG_APPEND_TIME = 0x08, /* timestampType bit */
    KF_BATCH_ATTR_TRANSACTIONAL = 0x10,
    KF_BATCH_ATTR_CONTROL = 0x20,
};

/* Per-log settings: Kafka's topic-level keys (broker-level log.* keys are
 * the defaults).  kf_log_config_default() gives Kafka's defaults. */
struct kf_log_config {
    int64_t segment_bytes;        /* segment.bytes (1 GiB) */
    int64_t segment_ms;           /* segment.ms (7 d) */
    int64_t retention_ms;         /* retention.ms (7 d); -1 = forever */
    int64_t retention_bytes;      /* retention.bytes; -1 = unlimited */
    int64_t flush_messages;       /* flush.messages; INT64_MAX = never */
    int64_t flush_ms;             /* flush.ms; INT64_MAX = never */
    int32_t index_interval_bytes; /* index.interval.bytes (4096) */
    int32_t index_max_bytes;      /* segment.index.bytes (10 MiB): roll
                                     when an index would exceed it */
    int32_t max_message_bytes;    /* max.message.bytes (1 MiB + 12); the
                                     handler checks it, kept for the UI */
    bool log_append_time;         /* message.timestamp.type=LogAppendTime */
    bool cleanup_delete;          /* cleanup.policy has "delete" (default):
                                     retention applies */
    bool cleanup_compact;         /* cleanup.policy has "compact": the
                                     manager's cleaner runs kf_log_compact.
                                     __consumer_offsets is always
                                     compact-only, as Kafka's. */
};

void kf_log_config_default(struct kf_log_config *c);

/* ---- appending ------------------------------------------------------ */

struct kf_log_append_result {
    int64_t base_offset;     /* offset given to the first record */
    int64_t last_offset;     /* offset of the last record */
    int64_t log_append_time; /* now_ms if LogAppendTime, else -1 */
    int64_t log_start;       /* log start offset after the append */
};

/* Called on the loop thread once the flush policy is satisfied for an
 * append that returned 1: status 0 = the bytes are on disk (fdatasync
 * returned), < 0 = the flush failed (the caller answers with an error;
 * KAFKA_STORAGE_ERROR) or the log was closed/deleted (ERR_CLOSED). */
typedef void kf_log_flushed_cb(void *arg, int status);

/* Append already-validated magic-2 record batches (one or more, back to
 * back, each complete: records[0..len)) to the log with ONE writev into
 * the page cache.  For each batch, BaseOffset (bytes 0..7) is set to the
 * next offset and PartitionLeaderEpoch (bytes 12..15) to leader_epoch;
 * both lie outside the CRC so the CRC stays valid.  With log_append_time
 * the attributes' timestamp-type bit and MaxTimestamp are set to now_ms
 * and the CRC recomputed over the 40-byte header part only, streaming the
 * records through crc32c (never copied).  records is not modified (the
 * rewritten headers are written from a scratch copy) and is not kept.
 * Producer state (kf_pstate) is updated from each batch's header.
 * now_ms is wall time (segment.ms roll, LogAppendTime).
 *
 * Durability: if cb is non-NULL and the flush policy (flush.messages)
 * requires these batches to be fsynced before they are acknowledged,
 * returns 1 and cb(arg, status) runs later, once, after a group-committed
 * fdatasync covering them; otherwise returns 0 and cb is never called (the
 * caller answers at once).  < 0: error (ERR_MALFORMED if a batch header is
 * inconsistent, ERR_TOO_BIG if a batch exceeds segment limits, -errno from
 * the write, ERR_CLOSED); nothing was appended and the LEO is unchanged (a
 * short write is truncated away).  On success the notify hook runs before
 * this returns. */
int kf_log_append(kf_log_t *l, const uint8_t *records, size_t len,
                  int32_t leader_epoch, int64_t now_ms,
                  struct kf_log_append_result *res, kf_log_flushed_cb *cb,
                  void *arg);

/* Runs after every successful append (and truncate / delete-records),
 * on the loop thread, so long-poll fetches can be woken.  One hook per
 * log; NULL removes it.  The hook must not append to the same log. */
typedef void kf_log_notify_fn(void *arg, kf_log_t *l);
void         kf_log_set_notify(kf_log_t *l, kf_log_notify_fn *fn, void *arg);

/* ---- offsets -------------------------------------------------------- */

int64_t kf_log_start(const kf_log_t *l);   /* log start offset */
int64_t kf_log_end(const kf_log_t *l);     /* LEO: next offset */
int64_t kf_log_hw(const kf_log_t *l);      /* high watermark (= LEO) */
int64_t kf_log_flushed(const kf_log_t *l); /* recovery point: all offsets
                                              below are fsynced */
int64_t kf_log_size(const kf_log_t *l);    /* bytes in all segments */
/* fdatasync rounds completed (metrics; tests of group commit). */
uint64_t kf_log_flush_count(const kf_log_t *l);
int32_t  kf_log_leader_epoch(const kf_log_t *l); /* newest epoch appended
                                                    or set; -1 if none */
const char *kf_log_topic(const kf_log_t *l);
int32_t     kf_log_partition(const kf_log_t *l);
const char *kf_log_dir(const kf_log_t *l); /* the partition directory */

/* Record a new leader epoch starting at the LEO.  leader-epoch-checkpoint
 * is rewritten by the next flush job, off the loop (which starts now);
 * a failed write fails that flush (KAFKA_STORAGE_ERROR to its waiters,
 * no clean-shutdown marker) and is retried by the next.  Returns 0. */
int kf_log_set_leader_epoch(kf_log_t *l, int32_t epoch);

/* ---- reading -------------------------------------------------------- */

/* A byte range of one segment file, ready for conn_msg_file(): pass
 * (fd, pos, len, kf_log_slice_release, ref).  The segment's fd stays open
 * until kf_log_slice_release(ref) runs, even if the segment is deleted. */
struct kf_log_slice {
    int     fd;
    off_t   pos;
    size_t  len;          /* 0: nothing to send (ref is NULL then) */
    void   *ref;          /* a segment reference; release exactly once */
    int64_t first_offset; /* base offset of the first batch in the range */
};

/* Read from the batch that contains offset, within one segment, at most
 * max_bytes, never past the first batch at or beyond max_offset (pass
 * kf_log_hw() for consumers, kf_log_end() for replicas).  As Kafka's
 * LogSegment.read, the range may end inside a batch when max_bytes cuts
 * it (clients drop a partial last batch); if min_one the first batch is
 * returned whole even when larger than max_bytes (KIP-74).  The range
 * starts on a batch boundary, so its first batch may begin before offset
 * (clients skip records below the offset they asked for).  Returns 0
 * (out->len may be 0: offset == LEO, or offset >= max_offset),
 * ERR_NOTFOUND for an offset below the log start or above the LEO
 * (OFFSET_OUT_OF_RANGE), or -errno.  Finds the position through the offset
 * index, then batch headers (pread from the page cache). */
int kf_log_read(kf_log_t *l, int64_t offset, size_t max_bytes,
                int64_t max_offset, bool min_one, struct kf_log_slice *out);
/* Drop a slice's segment reference (conn_msg_file's release signature). */
void kf_log_slice_release(void *ref);

/* ListOffsets by timestamp, as Kafka's Log.fetchOffsetByTimestamp: the
 * first batch whose max timestamp is >= ts (through the time index, then
 * the batch headers), then inside it the first record whose timestamp is
 * >= ts, decompressing a compressed batch (bounded: one batch); *offset
 * and *timestamp are that record's.  LogAppendTime batches answer their
 * base offset and max timestamp.  Returns 0, or ERR_NOTFOUND if no batch
 * has such a timestamp (answer offset -1), or -errno. */
int kf_log_offset_for_time(kf_log_t *l, int64_t ts, int64_t *offset,
                           int64_t *timestamp);

/* ---- changing the log ----------------------------------------------- */

/* DeleteRecords: advance the log start offset to offset (<= HW); whole
 * segments below it are deleted off the loop.  Returns 0, ERR_NOTFOUND if
 * offset > HW (OFFSET_OUT_OF_RANGE); offset <= start is a no-op. */
int kf_log_delete_records(kf_log_t *l, int64_t offset);

/* Remove every batch at or after offset (segments wholly after it are
 * deleted, the one containing it is cut at the batch boundary; the
 * indexes too).  Returns 0 or < 0. */
int kf_log_truncate(kf_log_t *l, int64_t offset);

/* Roll: start a new active segment at the LEO (no-op if the active one is
 * empty).  Appends roll on their own by segment.bytes / segment.ms / index
 * size; this is for tests and admin.  Returns 0 or < 0. */
int kf_log_roll(kf_log_t *l, int64_t now_ms);

/* Apply new settings (AlterConfigs); takes effect at the next append /
 * retention pass. */
void kf_log_set_config(kf_log_t *l, const struct kf_log_config *c);
const struct kf_log_config *kf_log_config(const kf_log_t *l);

/* Retention pass: delete the oldest non-active segments whose newest
 * timestamp is older than retention.ms, then while the log exceeds
 * retention.bytes by at least a whole segment; roll the active segment
 * when segment.ms has passed.  Files are unlinked off the loop.  Returns
 * the number of segments deleted (>= 0) or < 0.  The manager calls this
 * every log.retention.check.interval.ms. */
int kf_log_retain(kf_log_t *l, int64_t now_ms);

/* Time-based flush (flush.ms): start a flush if unflushed data is older
 * than flush.ms.  The manager calls this every log.flush.scheduler.
 * interval.ms. */
void kf_log_flush_tick(kf_log_t *l, int64_t now_ms);
/* Start a flush of everything appended so far (group-committed with a
 * flush in progress); cb (may be NULL) runs when it is on disk. */
void kf_log_flush(kf_log_t *l, kf_log_flushed_cb *cb, void *arg);

/* Log compaction (kf_compact.h): compact every segment below the active
 * one on the thread pool, then reopen them (their files were replaced;
 * read slices still hold the old fds and stay valid).  While it runs,
 * retention, delete-records and truncation leave those segments alone.
 * done(arg, status) runs on the loop afterwards (status from
 * kf_compact_run, ERR_CLOSED if the log was closed meanwhile).  Returns 0
 * (queued), ERR_STATE (already running, or nothing below the active
 * segment) or ERR_CLOSED. */
struct kf_compact_cfg;
int  kf_log_compact(kf_log_t *l, const struct kf_compact_cfg *c, int64_t now_ms,
                    void (*done)(void *arg, int status), void *arg);
bool kf_log_compacting(const kf_log_t *l);

/* ---- producer state ------------------------------------------------- */

/* The partition's idempotent-producer table (kf_pstate.h): look up a
 * producer id before appending to check sequences; kf_log_append updates
 * it.  Persisted as <LEO>.snapshot on roll and clean close, rebuilt from
 * batch headers after the newest snapshot on open. */
kf_pstate_t *kf_log_pstate(kf_log_t *l);

/* ---- listing (UI, DescribeLogDirs) ---------------------------------- */

struct kf_log_seg_info {
    int64_t base_offset;
    int64_t next_offset;   /* offset after its last batch */
    int64_t size;          /* bytes in the .log */
    int64_t created_ms;    /* wall time the segment was created/opened */
    int64_t max_timestamp; /* largest batch max timestamp; -1 if empty */
    bool    active;
};

/* Fills up to n entries, oldest first; returns the segment count (which
 * may exceed n). */
int kf_log_segments(const kf_log_t *l, struct kf_log_seg_info *out, int n);

/* ---- one log without a manager (tests, tools) ----------------------- */

struct kf_log_open_opts {
    int64_t recovery_point; /* offsets below are known fsynced; -1 none */
    int64_t log_start;      /* from log-start-offset-checkpoint; -1 none */
    bool    clean;          /* the clean-shutdown marker was present */
    bool    create;         /* create the directory if missing */
    int64_t now_ms;         /* wall time */
};

/* Open <root>/<topic>-<partition>/ and recover it: segments after the
 * recovery point (all of them after an unclean shutdown without a
 * checkpoint) are scanned with CRC checks and the log is truncated at the
 * first invalid batch (later segments are removed); indexes that are
 * missing or torn are rebuilt; after a clean shutdown only each segment's
 * tail past its last index entry is read.  Producer state is loaded from
 * the newest snapshot not beyond the log end and the batches after it are
 * replayed.  Blocking (startup / tests).  *truncated (may be NULL) gets
 * the bytes cut.  Returns 0 or < 0.  = kf_log_open_blocking, then
 * kf_log_open_attach. */
int kf_log_open(kf_log_t **out, uv_loop_t *loop, const char *root,
                const char *topic, int32_t partition,
                const struct kf_log_config    *cfg,
                const struct kf_log_open_opts *o, int64_t *truncated);

/* kf_log_open in two steps, so the manager can recover many logs at once
 * on the thread pool.  kf_log_open_blocking does all of the file work
 * (recovery included) and touches neither loop nor any state shared with
 * other logs: it may run on any thread, one log per thread.  Segments it
 * drops are unlinked at once, the epoch checkpoint written inline.
 * kf_log_open_attach(l), on the loop thread, before any other use of l,
 * starts the flush that makes recovered bytes durable. */
int  kf_log_open_blocking(kf_log_t **out, uv_loop_t *loop, const char *root,
                          const char *topic, int32_t partition,
                          const struct kf_log_config    *cfg,
                          const struct kf_log_open_opts *o, int64_t *truncated);
void kf_log_open_attach(kf_log_t *l);

/* Clean close: seal the active segment, fsync everything, write the
 * producer snapshot (off the loop), fail nothing that succeeded; then
 * release every segment (fds close once no slice refers to them), free
 * the log and run done(arg, status) on the loop (status < 0 if the final
 * flush failed: the caller must not write the clean-shutdown marker). */
void kf_log_close(kf_log_t *l, void (*done)(void *arg, int status), void *arg);

/* Delete the partition: waiters get ERR_CLOSED now, the directory is
 * renamed to <topic>-<partition>.<uuid>-delete and removed off the loop,
 * the log is freed once its pending jobs end.  Returns 0 or -errno (the
 * rename failed: nothing changed). */
int kf_log_destroy(kf_log_t *l);

/* ---- log manager ---------------------------------------------------- */

struct kf_logmgr_config {
    const char *const   *dirs; /* log.dirs (copied) */
    int                  ndirs;
    int32_t              broker_id;
    struct kf_log_config defaults; /* from the broker's log.* keys */
    int64_t retention_check_ms;    /* log.retention.check.interval.ms */
    int64_t flush_check_ms;        /* log.flush.scheduler.interval.ms */
    int64_t checkpoint_ms;         /* log.flush.offset.checkpoint.interval.ms */
    bool    cleaner_disable;       /* log.cleaner.enable=false: only
                                      __consumer_offsets is compacted */
    int     recovery_threads;      /* num.recovery.threads.per.data.dir:
                                      partitions recovered at once per log
                                      dir on the thread pool (<= 0: 1) */
};

/* Starts the manager: creates missing log dirs, locks each (.lock, so two
 * brokers never share one), reads or writes meta.properties (broker.id
 * must match: ERR_CONFIG otherwise), reads the checkpoints, then opens
 * (and, unless the clean-shutdown marker is there, recovers) every
 * <topic>-<partition> directory, removes "*-delete" leftovers, and removes
 * the marker.  Returns when that is done.  Configs for existing
 * partitions start as defaults; the topic registry applies per-topic
 * overrides with kf_log_set_config.  Recovery runs on the thread pool,
 * recovery_threads partitions per log dir at a time, while this runs the
 * loop (UV_RUN_ONCE) until all are recovered: call it before anything is
 * served on loop.  Starts the retention, flush and checkpoint timers on
 * loop.  Returns 0 or < 0 (with *what set to a
 * static description of the step that failed, for the caller's log). */
int kf_logmgr_open(kf_logmgr_t **out, uv_loop_t *loop,
                   const struct kf_logmgr_config *cfg, const char **what);

/* Clean shutdown: stops timers, flushes every log (fsync), writes
 * producer snapshots, checkpoints, the clean-shutdown marker, closes every
 * fd once no slice refers to it, and frees the manager; done(arg) runs on
 * the loop when all of that is finished.  Pending append callbacks run
 * with their flush status first. */
void kf_logmgr_close(kf_logmgr_t *m, void (*done)(void *arg), void *arg);

/* cluster.id from meta.properties ("" if none yet); set it once known
 * from the coordination service (meta.properties is rewritten).
 * kf_logmgr_set_cluster_id returns ERR_CONFIG if a different id is
 * already recorded (Kafka's InconsistentClusterIdException). */
const char *kf_logmgr_cluster_id(const kf_logmgr_t *m);
int         kf_logmgr_set_cluster_id(kf_logmgr_t *m, const char *id);
/* What meta.properties said at open ("" if nothing: a fresh log dir), and
 * an unconditional rewrite for the cluster-state module, which adopts the
 * id of /cluster/id when the logs had none of their own. */
const char *kf_logmgr_cluster_id_at_open(const kf_logmgr_t *m);
int         kf_logmgr_replace_cluster_id(kf_logmgr_t *m, const char *id);

/* The log of topic-partition, or NULL. */
kf_log_t *kf_logmgr_get(kf_logmgr_t *m, const char *topic, int32_t partition);

/* Create <dir>/<topic>-<partition>/ in the log dir with the fewest
 * partitions and open it; cfg NULL = defaults.  If it exists already,
 * returns it (and applies cfg).  Returns 0 or < 0 (ERR_MALFORMED for an
 * invalid topic name: Kafka's [a-zA-Z0-9._-]{1,249}, not "." or ".."). */
int kf_logmgr_create(kf_logmgr_t *m, const char *topic, int32_t partition,
                     const struct kf_log_config *cfg, kf_log_t **out);

/* Delete a partition: pending appends' callbacks get ERR_CLOSED, the
 * directory is renamed to <topic>-<partition>.<uuid>-delete at once and
 * its files unlinked off the loop.  Returns 0 or ERR_NOTFOUND. */
int kf_logmgr_delete(kf_logmgr_t *m, const char *topic, int32_t partition);

/* Every open log, in no particular order; fn returns non-zero to stop. */
void kf_logmgr_foreach(kf_logmgr_t *m, int (*fn)(void *arg, kf_log_t *l),
                       void        *arg);
int  kf_logmgr_count(const kf_logmgr_t *m);

/* The log dirs (for DescribeLogDirs), and the dir a log lives in. */
int         kf_logmgr_ndirs(const kf_logmgr_t *m);
const char *kf_logmgr_dir(const kf_logmgr_t *m, int i);
const char *kf_log_root(const kf_log_t *l);

/* Write the offset checkpoints now (recovery point, log start, HW). */
int kf_logmgr_checkpoint(kf_logmgr_t *m);

/* Traffic through this log since it was opened: bytes and records
 * appended, bytes handed to Fetch (kf_log_note_out).  For /metrics. */
void kf_log_traffic(const kf_log_t *l, uint64_t *bytes_in, uint64_t *msgs_in,
                    uint64_t *bytes_out);
void kf_log_note_out(kf_log_t *l, size_t n);

/* Group-commit (fdatasync job) latency, process-wide: count, sum and
 * cumulative counts per upper bound (kf_log_fsync_bounds_us). */
#define KF_LOG_FSYNC_BUCKETS 12
struct kf_log_fsync_stats {
    uint64_t count, sum_us;
    uint64_t le[KF_LOG_FSYNC_BUCKETS];
};
extern const int64_t kf_log_fsync_bounds_us[KF_LOG_FSYNC_BUCKETS];
void kf_log_fsync_stats(struct kf_log_fsync_stats *out);

#endif
