/* zk_log: the transaction log, written and fsynced off the event loop with
 * group commit, and read back at recovery.
 *
 * Owns: log files <dir>/log.<16 hex digits: first zxid> (a 16-byte header
 * "ODZL", version, first zxid; then records), their preallocation in
 * preAllocSize steps (so fdatasync does not have to update the inode
 * size), the batching of appends (everything appended during one loop
 * iteration, plus whatever arrives while a write+fdatasync is running,
 * goes out in the next single write+fdatasync), and the scan that replays
 * records and truncates a torn tail.
 * Does not own: what a record means (zk_server encodes and applies them).
 *
 * Record: u32 payload length, u32 crc32c(payload), payload = i64 zxid,
 * i64 session, i64 time (ms), i32 op type, then the request body in jute.
 * A zero length (preallocated space) or a bad checksum ends the log. */
#ifndef ODRADEK_ZK_LOG_H
#define ODRADEK_ZK_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "zk_jute.h"

typedef struct zk_log zk_log_t;

/* Runs on the loop when every record up to zxid is on disk (err 0), or the
 * log failed (err < 0: the caller must stop: acknowledging further writes
 * would be a lie). */
typedef void zk_log_durable_fn(zk_log_t *l, int64_t zxid, int err);

struct zk_log {
    uv_loop_t         *loop;
    char              *dir;
    bool               force_sync;
    int64_t            prealloc;      /* bytes */
    int                fd;            /* worker-owned while busy */
    int64_t            off, alloc_end;
    bool               roll;          /* this batch starts a new file */
    bool               roll_next;     /* the next batch does */
    buf_t              pending;       /* appended, not yet handed over */
    int64_t            pending_first, pending_last;
    buf_t              flight;        /* being written by the worker */
    int64_t            flight_first, flight_last;
    uint32_t           flight_n;
    int                work_err;
    bool               busy;
    bool               closing;
    int64_t            durable;       /* last zxid on disk */
    uv_work_t          work;
    uv_check_t         check;
    zk_log_durable_fn *on_durable;
    void              *data;
    void             (*on_closed)(zk_log_t *l);
    /* statistics (mntr) */
    uint64_t           nsyncs, ntxns, max_batch;
    uint64_t           sync_ns_total, sync_ns_max;
};

/* Prepares appending; the first batch opens log.<its first zxid>.
 * durable starts at last_zxid (everything recovered is on disk). */
int  zk_log_open(zk_log_t *l, uv_loop_t *loop, const char *dir, bool force_sync,
                 int64_t prealloc_bytes, int64_t last_zxid,
                 zk_log_durable_fn *on_durable, void *data);
/* Appends one record (encoded from req, which is not kept).  zxids must
 * increase.  The record is written with the next batch. */
void zk_log_append(zk_log_t *l, int64_t zxid, int64_t session, int64_t time,
                   const struct zk_req *req);
/* The next batch goes into a new file (after a snapshot). */
void zk_log_roll(zk_log_t *l);
/* Flushes what is pending, then closes; on_closed runs afterwards. */
void zk_log_close(zk_log_t *l, void (*on_closed)(zk_log_t *l));

/* One record read back; body points into the scan's buffer. */
struct zk_log_rec {
    int64_t        zxid, session, time;
    int32_t        type;
    const uint8_t *body;
    size_t         len;
};

typedef int zk_log_apply_fn(const struct zk_log_rec *rec, void *arg);

struct zk_log_replay_stats {
    int64_t last;        /* last zxid applied (or `after`) */
    int     truncated;   /* files cut at a torn/corrupt record */
    int     set_aside;   /* files renamed *.corrupt */
};

/* Recovery (blocking; before the loop serves): reads every log file of dir
 * in zxid order and calls apply for each record with zxid > after.  At the
 * first torn or corrupt record the file is truncated there; a file whose
 * header is garbage, and every file after a torn one, is renamed
 * *.corrupt (records after a hole cannot follow it).  Returns the number
 * of records applied, or < 0 (apply's error, or an I/O error). */
int  zk_log_replay(const char *dir, int64_t after, zk_log_apply_fn *apply,
                   void *arg, struct zk_log_replay_stats *st);
/* Deletes log files whose records all have zxids <= upto (autopurge),
 * keeping the file that holds upto + 1.  Blocking; run off the loop. */
int  zk_log_purge(const char *dir, int64_t upto);

#endif
