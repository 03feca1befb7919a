/* kf_seg: one log segment: <base>.log, <base>.index, <base>.timeindex.
 *
 * It owns: the three files' fds, the offset and time indexes (kept in
 * memory and appended to their files with pwrite), the batch-header
 * scanner that recovery, reads and timestamp lookups share, and the
 * segment's reference count.  It does not own: which segments a log has,
 * when to roll, or the thread pool (kf_log decides; a segment whose last
 * reference goes calls the release hook so kf_log can close and unlink
 * off the loop).
 *
 * Indexes: an .index entry (relative offset, position) is added for a
 * batch when more than index.interval.bytes were appended since the
 * previous entry; a .timeindex entry (largest timestamp so far, its
 * relative offset) is added at the same time if that timestamp grew.  On
 * open both files are checked (whole entries, strictly increasing, inside
 * the log) and rebuilt from the .log when missing or torn.  Positions and
 * relative offsets are int32, so kf_log keeps a segment below 2 GiB and
 * below 2^31 offsets. */
#ifndef ODRADEK_KF_SEG_H
#define ODRADEK_KF_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kf_seg kf_seg_t;

/* A record batch v2 header as stored (kf_log.h KF_BATCH_* offsets). */
struct kf_batch_hdr {
    int64_t  pos; /* file position of byte 0 */
    int64_t  base_offset;
    int32_t  size; /* whole batch: 12 + batchLength */
    int32_t  leader_epoch;
    int8_t   magic;
    uint32_t crc;
    int16_t  attributes;
    int32_t  last_delta;
    int64_t  base_ts;
    int64_t  max_ts;
    int64_t  producer_id;
    int16_t  producer_epoch;
    int32_t  base_seq;
    int32_t  count;
};

/* Decode and sanity-check the 61-byte header at p: magic 2, batchLength
 * >= 49, lastOffsetDelta >= 0, record count >= 0, no offset overflow.
 * Returns 0 or ERR_CORRUPT (stored data) / ERR_MALFORMED never: one code
 * for callers. */
int kf_seg_hdr_parse(const uint8_t *p, struct kf_batch_hdr *h);

struct kf_seg_ientry {
    int32_t rel;
    int32_t pos;
};
struct kf_seg_tentry {
    int64_t ts;
    int32_t rel;
};

struct kf_seg {
    int64_t               base;         /* base offset (the file name) */
    int64_t               next;         /* offset after the last batch */
    int64_t               size;         /* bytes in .log */
    int                   fd, ifd, tfd; /* .log, .index, .timeindex */
    char                 *path; /* "<dir>/<20-digit base>" (no suffix) */
    struct kf_seg_ientry *idx;
    size_t                nidx, capidx;
    struct kf_seg_tentry *tidx;
    size_t                ntidx, captidx;
    size_t                idx_synced; /* entries already in the .index file */
    size_t                tidx_synced;
    int64_t               bytes_since_index;
    int64_t               max_ts;     /* largest batch max timestamp; -1 */
    int64_t               max_ts_off; /* offset of that batch's last record */
    int64_t               first_ts;   /* first batch's max timestamp; -1 */
    int64_t               created_ms; /* wall time created or opened */
    int                   refs;  /* the log's + read slices' + flush jobs' */
    unsigned doomed : 1;         /* deleted: unlink/close when refs reach 0 */
    unsigned dir_gone : 1;       /* the whole directory is being removed */
    unsigned unflushed_meta : 1; /* index bytes not yet fsynced */
    int      renamed; /* files renamed to *.deleted: kf_log sets it on a
                         pool thread under its rename lock, so not a
                         bit-field sharing a word with the flags above */
    void (*on_last_ref)(kf_seg_t *s); /* set by the owner */
    void *owner;
};

/* Open (create) the segment at dir/<base>.  With create the .log is
 * created empty (O_EXCL); otherwise it must exist.  Indexes are loaded
 * and checked; *needs_rebuild says they were missing or torn.  The
 * segment starts with one reference.  Returns 0 or -errno. */
int  kf_seg_open(const char *dir, int64_t base, bool create, int64_t now_ms,
                 kf_seg_t **out, bool *needs_rebuild);
void kf_seg_ref(kf_seg_t *s);
void kf_seg_unref(kf_seg_t *s); /* the last one calls on_last_ref, or
                                   kf_seg_close_fds + kf_seg_free */
void kf_seg_close_fds(kf_seg_t *s);
void kf_seg_free(kf_seg_t *s); /* memory only; fds must be closed */
/* Paths of the three files (malloc'd); suffix ".log", ".index", ... */
char *kf_seg_file(const kf_seg_t *s, const char *suffix);

/* Scan the .log from position 0 and rebuild next/size/max_ts and both
 * indexes (memory and files).  With verify each batch's CRC-32C is
 * checked and offsets must increase; the file is truncated at the first
 * invalid or torn batch (*truncated gets the bytes cut).  Without verify,
 * headers only (a clean shutdown's cheap load); an invalid header still
 * truncates.  min_offset: the first batch's base must be >= it.
 * index_interval: index.interval.bytes.  Returns 0 or -errno. */
int kf_seg_recover(kf_seg_t *s, bool verify, int64_t min_offset,
                   int32_t index_interval, int64_t *truncated);

/* Cheap load of a segment with good indexes: size from fstat, and
 * next/max_ts from the last index entry plus a header scan of the tail
 * (which is also verified, and truncated at a torn batch).  Returns 0 or
 * -errno. */
int kf_seg_load_tail(kf_seg_t *s, int32_t index_interval, int64_t *truncated);

/* After a writev of n batches at position pos (headers in hdrs, already
 * carrying their final offsets): advance next/size/max_ts and add index
 * entries in memory as index.interval.bytes dictates.  No file I/O: the
 * entries reach the index files in kf_seg_sync_index (before each flush)
 * and kf_seg_seal (roll, close), so an append stays one syscall (Kafka
 * gets the same from mmap).  A crash loses nothing: the indexes of
 * segments past the recovery point are rebuilt by recovery anyway. */
int kf_seg_appended(kf_seg_t *s, const struct kf_batch_hdr *hdrs, int n,
                    int32_t index_interval);
/* Write the index entries not yet in the files (one pwrite per file).
 * Returns 0 or -errno. */
int kf_seg_sync_index(kf_seg_t *s);

/* Position of the batch containing offset (>= base, < next), through the
 * index then the headers; *h gets that batch.  ERR_NOTFOUND if none. */
int kf_seg_find(kf_seg_t *s, int64_t offset, struct kf_batch_hdr *h);

/* Position of the first batch whose base offset is >= offset (size if
 * none). */
int kf_seg_pos_of(kf_seg_t *s, int64_t offset, int64_t *pos);

/* First batch whose max timestamp >= ts: its header.  ERR_NOTFOUND if no
 * batch qualifies. */
int kf_seg_find_time(kf_seg_t *s, int64_t ts, struct kf_batch_hdr *h);

/* Cut the segment so that it ends before offset (at a batch boundary)
 * and rebuild its state.  Returns 0 or -errno. */
int kf_seg_truncate(kf_seg_t *s, int64_t offset, int32_t index_interval);

/* Add a final time-index entry if the max timestamp is not indexed yet
 * (Kafka does this on roll and close), then write pending entries. */
int kf_seg_seal(kf_seg_t *s);

/* A forward scanner over batch headers with a read-ahead window. */
struct kf_seg_scan {
    int      fd;
    int64_t  pos;        /* position of the next batch */
    int64_t  end;        /* stop here (file size) */
    bool     verify;     /* check CRC-32C */
    int64_t  min_offset; /* next base offset must be >= this */
    uint8_t *buf;
    size_t   cap;
    int64_t  win_pos; /* file position of buf[0] */
    size_t   win_len;
};

void kf_seg_scan_init(struct kf_seg_scan *sc, int fd, int64_t pos, int64_t end,
                      bool verify, int64_t min_offset);
/* 1: *h is the next batch (sc->pos moves past it); 0: clean end;
 * ERR_CORRUPT: the batch at sc->pos is torn or invalid; -errno. */
int  kf_seg_scan_next(struct kf_seg_scan *sc, struct kf_batch_hdr *h);
void kf_seg_scan_free(struct kf_seg_scan *sc);

#endif
