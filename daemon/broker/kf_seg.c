/* kf_seg: one log segment's files, indexes and batch-header scanner (see
 * kf_seg.h).  Everything here is plain blocking file I/O on page-cached
 * files: pread of headers during lookups, pwrite of index entries after
 * an append.  fsync, unlink and close-after-delete are the caller's
 * (kf_log runs them on the thread pool). */
#include "kf_seg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"
#include "kf_log.h"
#include "xalloc.h"

#define SCAN_WINDOW (64u << 10) /* read-ahead for header scans */
#define IDX_BYTES 8
#define TIDX_BYTES 12
#define BATCH_MIN_LEN (KF_BATCH_HEADER_SIZE - KF_BATCH_LOG_OVERHEAD) /* 49 */

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 |
                     (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
                     (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
                     (uint64_t)p[6] << 8 | (uint64_t)p[7]);
}

static int32_t be32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                     (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static void put32(uint8_t *p, int32_t v)
{
    p[0] = (uint8_t)((uint32_t)v >> 24);
    p[1] = (uint8_t)((uint32_t)v >> 16);
    p[2] = (uint8_t)((uint32_t)v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, int64_t v)
{
    put32(p, (int32_t)((uint64_t)v >> 32));
    put32(p + 4, (int32_t)(uint64_t)v);
}

int kf_seg_hdr_parse(const uint8_t *p, struct kf_batch_hdr *h)
{
    int32_t blen = be32(p + KF_BATCH_LENGTH);

    h->base_offset = be64(p + KF_BATCH_BASE_OFFSET);
    h->leader_epoch = be32(p + KF_BATCH_LEADER_EPOCH);
    h->magic = (int8_t)p[KF_BATCH_MAGIC];
    h->crc = (uint32_t)be32(p + KF_BATCH_CRC);
    h->attributes = (int16_t)((uint16_t)p[KF_BATCH_ATTRIBUTES] << 8 |
                              p[KF_BATCH_ATTRIBUTES + 1]);
    h->last_delta = be32(p + KF_BATCH_LAST_DELTA);
    h->base_ts = be64(p + KF_BATCH_BASE_TIMESTAMP);
    h->max_ts = be64(p + KF_BATCH_MAX_TIMESTAMP);
    h->producer_id = be64(p + KF_BATCH_PRODUCER_ID);
    h->producer_epoch = (int16_t)((uint16_t)p[KF_BATCH_PRODUCER_EPOCH] << 8 |
                                  p[KF_BATCH_PRODUCER_EPOCH + 1]);
    h->base_seq = be32(p + KF_BATCH_BASE_SEQUENCE);
    h->count = be32(p + KF_BATCH_RECORD_COUNT);
    if (blen < BATCH_MIN_LEN || blen > INT32_MAX - KF_BATCH_LOG_OVERHEAD)
        return ERR_CORRUPT;
    h->size = blen + KF_BATCH_LOG_OVERHEAD;
    if (h->magic != 2 || h->last_delta < 0 || h->count < 0 ||
        h->base_offset < 0 || h->base_offset > INT64_MAX - h->last_delta - 1)
        return ERR_CORRUPT;
    return 0;
}

/* ---- scanner --------------------------------------------------------- */

void kf_seg_scan_init(struct kf_seg_scan *sc, int fd, int64_t pos, int64_t end,
                      bool verify, int64_t min_offset)
{
    memset(sc, 0, sizeof *sc);
    sc->fd = fd;
    sc->pos = pos;
    sc->end = end;
    sc->verify = verify;
    sc->min_offset = min_offset;
    sc->cap = SCAN_WINDOW;
    sc->buf = xmalloc(sc->cap);
    sc->win_pos = pos;
}

void kf_seg_scan_free(struct kf_seg_scan *sc)
{
    free(sc->buf);
    sc->buf = NULL;
}

static int pread_full(int fd, uint8_t *p, size_t n, int64_t off, size_t *got)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = pread(fd, p + done, n - done, (off_t)(off + (int64_t)done));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    *got = done;
    return 0;
}

/* Make buf hold [pos, pos + n) (n <= cap); returns a pointer or NULL if
 * the file ends first (*rc = 0) or a read failed (*rc < 0). */
static const uint8_t *scan_window(struct kf_seg_scan *sc, int64_t pos, size_t n,
                                  int *rc)
{
    size_t got;

    *rc = 0;
    if (pos >= sc->win_pos &&
        pos + (int64_t)n <= sc->win_pos + (int64_t)sc->win_len)
        return sc->buf + (pos - sc->win_pos);
    if (pos + (int64_t)n > sc->end)
        return NULL;
    *rc = pread_full(sc->fd, sc->buf,
                     (size_t)(sc->end - pos < (int64_t)sc->cap
                                  ? sc->end - pos
                                  : (int64_t)sc->cap),
                     pos, &got);
    sc->win_pos = pos;
    sc->win_len = *rc < 0 ? 0 : got;
    if (*rc < 0 || got < n)
        return NULL;
    return sc->buf;
}

int kf_seg_scan_next(struct kf_seg_scan *sc, struct kf_batch_hdr *h)
{
    const uint8_t *p;
    int            rc;

    if (sc->pos >= sc->end)
        return 0;
    p = scan_window(sc, sc->pos, KF_BATCH_HEADER_SIZE, &rc);
    if (p == NULL)
        return rc < 0 ? rc : ERR_CORRUPT; /* torn header */
    if (kf_seg_hdr_parse(p, h) < 0)
        return ERR_CORRUPT;
    h->pos = sc->pos;
    if (h->base_offset < sc->min_offset)
        return ERR_CORRUPT; /* offsets must increase */
    if (sc->pos + h->size > sc->end)
        return ERR_CORRUPT; /* torn body */
    if (sc->verify) {
        /* CRC-32C of bytes [21, size): streamed through the window so a
         * batch larger than it is never held whole. */
        uint32_t crc = 0;
        int64_t  at = sc->pos + KF_BATCH_ATTRIBUTES;
        int64_t  stop = sc->pos + h->size;

        while (at < stop) {
            size_t chunk =
                (size_t)(stop - at < (int64_t)sc->cap ? stop - at
                                                      : (int64_t)sc->cap);

            p = scan_window(sc, at, chunk, &rc);
            if (p == NULL)
                return rc < 0 ? rc : ERR_CORRUPT;
            crc = crc32c(crc, p, chunk);
            at += (int64_t)chunk;
        }
        if (crc != h->crc)
            return ERR_CORRUPT;
    }
    sc->pos += h->size;
    sc->min_offset = h->base_offset + h->last_delta + 1;
    return 1;
}

/* ---- open / close ------------------------------------------------------ */

char *kf_seg_file(const kf_seg_t *s, const char *suffix)
{
    return xasprintf("%s%s", s->path, suffix);
}

static int read_whole(int fd, uint8_t **out, size_t *n)
{
    struct stat st;
    size_t      got;
    int         rc;

    *out = NULL;
    *n = 0;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (st.st_size == 0)
        return 0;
    if (st.st_size > (off_t)INT32_MAX)
        return ERR_TOO_BIG;
    *out = xmalloc((size_t)st.st_size);
    rc = pread_full(fd, *out, (size_t)st.st_size, 0, &got);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        return rc;
    }
    *n = got;
    return 0;
}

static void idx_push(kf_seg_t *s, int32_t rel, int32_t pos)
{
    if (s->nidx == s->capidx) {
        s->capidx = s->capidx ? s->capidx * 2 : 64;
        s->idx = xrealloc(s->idx, s->capidx * sizeof *s->idx);
    }
    s->idx[s->nidx].rel = rel;
    s->idx[s->nidx].pos = pos;
    s->nidx++;
}

static void tidx_push(kf_seg_t *s, int64_t ts, int32_t rel)
{
    if (s->ntidx == s->captidx) {
        s->captidx = s->captidx ? s->captidx * 2 : 64;
        s->tidx = xrealloc(s->tidx, s->captidx * sizeof *s->tidx);
    }
    s->tidx[s->ntidx].ts = ts;
    s->tidx[s->ntidx].rel = rel;
    s->ntidx++;
}

/* Load both index files; false if either is torn or inconsistent (then
 * the in-memory indexes are left empty for a rebuild). */
static bool load_indexes(kf_seg_t *s, int64_t log_size)
{
    uint8_t *p = NULL;
    size_t   n, i;
    bool     ok = true;

    s->nidx = s->ntidx = 0;
    if (read_whole(s->ifd, &p, &n) < 0 || n % IDX_BYTES != 0)
        ok = false;
    for (i = 0; ok && i < n; i += IDX_BYTES) {
        int32_t rel = be32(p + i), pos = be32(p + i + 4);

        if (rel < 0 || pos < 0 || pos >= log_size ||
            (s->nidx > 0 && (rel <= s->idx[s->nidx - 1].rel ||
                             pos <= s->idx[s->nidx - 1].pos)))
            ok = false;
        else
            idx_push(s, rel, pos);
    }
    free(p);
    p = NULL;
    if (ok && (read_whole(s->tfd, &p, &n) < 0 || n % TIDX_BYTES != 0))
        ok = false;
    for (i = 0; ok && i < n; i += TIDX_BYTES) {
        int64_t ts = be64(p + i);
        int32_t rel = be32(p + i + 8);

        if (rel < 0 || (s->ntidx > 0 && (ts <= s->tidx[s->ntidx - 1].ts ||
                                         rel < s->tidx[s->ntidx - 1].rel)))
            ok = false;
        else
            tidx_push(s, ts, rel);
    }
    free(p);
    if (!ok)
        s->nidx = s->ntidx = 0;
    s->idx_synced = s->nidx;
    s->tidx_synced = s->ntidx;
    /* A time-index entry beyond the last offset-index entry is fine, but
     * one past the log end cannot be checked before the scan; kf_log
     * rebuilds after any truncation anyway. */
    return ok && (n > 0 || log_size == 0 || true);
}

int kf_seg_open(const char *dir, int64_t base, bool create, int64_t now_ms,
                kf_seg_t **out, bool *needs_rebuild)
{
    kf_seg_t   *s = xcalloc(1, sizeof *s);
    struct stat st;
    char       *p;
    int         rc = 0;
    bool        had_idx, had_tidx;

    s->base = s->next = base;
    s->fd = s->ifd = s->tfd = -1;
    s->max_ts = s->first_ts = -1;
    s->max_ts_off = -1;
    s->created_ms = now_ms;
    s->refs = 1;
    s->path = xasprintf("%s/%020" PRId64, dir, base);

    p = kf_seg_file(s, ".log");
    s->fd = open(p, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
    free(p);
    if (s->fd < 0) {
        rc = -errno;
        goto fail;
    }
    p = kf_seg_file(s, ".index");
    had_idx = access(p, F_OK) == 0;
    s->ifd =
        open(p, O_RDWR | O_CREAT | O_CLOEXEC | (create ? O_TRUNC : 0), 0644);
    free(p);
    p = kf_seg_file(s, ".timeindex");
    had_tidx = access(p, F_OK) == 0;
    s->tfd =
        open(p, O_RDWR | O_CREAT | O_CLOEXEC | (create ? O_TRUNC : 0), 0644);
    free(p);
    if (s->ifd < 0 || s->tfd < 0 || fstat(s->fd, &st) < 0) {
        rc = -errno;
        goto fail;
    }
    s->size = st.st_size;
    *needs_rebuild = false;
    if (!create) {
        bool ok = load_indexes(s, s->size);

        *needs_rebuild = !ok || ((!had_idx || !had_tidx) && s->size > 0);
    }
    *out = s;
    return 0;
fail:
    kf_seg_close_fds(s);
    kf_seg_free(s);
    return rc;
}

void kf_seg_ref(kf_seg_t *s)
{
    s->refs++;
}

void kf_seg_unref(kf_seg_t *s)
{
    if (--s->refs > 0)
        return;
    if (s->on_last_ref != NULL) {
        s->on_last_ref(s);
        return;
    }
    kf_seg_close_fds(s);
    kf_seg_free(s);
}

void kf_seg_close_fds(kf_seg_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->ifd >= 0)
        close(s->ifd);
    if (s->tfd >= 0)
        close(s->tfd);
    s->fd = s->ifd = s->tfd = -1;
}

void kf_seg_free(kf_seg_t *s)
{
    if (s == NULL)
        return;
    free(s->idx);
    free(s->tidx);
    free(s->path);
    free(s);
}

/* ---- index maintenance ---------------------------------------------- */

static int pwrite_full(int fd, const uint8_t *p, size_t n, int64_t off)
{
    size_t done = 0;

    while (done < n) {
        ssize_t w =
            pwrite(fd, p + done, n - done, (off_t)(off + (int64_t)done));

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        done += (size_t)w;
    }
    return 0;
}

/* Write the entries not yet in the files (one pwrite per file). */
static int sync_index_files(kf_seg_t *s)
{
    uint8_t  stackbuf[512];
    uint8_t *p;
    size_t   i, n;
    int      rc = 0;

    n = (s->nidx - s->idx_synced) * IDX_BYTES;
    if (n > 0) {
        p = n <= sizeof stackbuf ? stackbuf : xmalloc(n);
        for (i = s->idx_synced; i < s->nidx; i++) {
            put32(p + (i - s->idx_synced) * IDX_BYTES, s->idx[i].rel);
            put32(p + (i - s->idx_synced) * IDX_BYTES + 4, s->idx[i].pos);
        }
        rc = pwrite_full(s->ifd, p, n, (int64_t)s->idx_synced * IDX_BYTES);
        if (p != stackbuf)
            free(p);
        if (rc < 0)
            return rc;
        s->idx_synced = s->nidx;
        s->unflushed_meta = 1;
    }
    n = (s->ntidx - s->tidx_synced) * TIDX_BYTES;
    if (n > 0) {
        p = n <= sizeof stackbuf ? stackbuf : xmalloc(n);
        for (i = s->tidx_synced; i < s->ntidx; i++) {
            put64(p + (i - s->tidx_synced) * TIDX_BYTES, s->tidx[i].ts);
            put32(p + (i - s->tidx_synced) * TIDX_BYTES + 8, s->tidx[i].rel);
        }
        rc = pwrite_full(s->tfd, p, n, (int64_t)s->tidx_synced * TIDX_BYTES);
        if (p != stackbuf)
            free(p);
        if (rc < 0)
            return rc;
        s->tidx_synced = s->ntidx;
        s->unflushed_meta = 1;
    }
    return 0;
}

/* Account one batch in memory (no file I/O). */
static void account_batch(kf_seg_t *s, const struct kf_batch_hdr *h,
                          int32_t index_interval)
{
    int64_t last = h->base_offset + h->last_delta;

    if (s->bytes_since_index > index_interval) {
        if (s->nidx == 0 ||
            s->idx[s->nidx - 1].rel < (int32_t)(h->base_offset - s->base))
            idx_push(s, (int32_t)(h->base_offset - s->base), (int32_t)h->pos);
        if (s->max_ts >= 0 &&
            (s->ntidx == 0 || s->tidx[s->ntidx - 1].ts < s->max_ts))
            tidx_push(s, s->max_ts, (int32_t)(s->max_ts_off - s->base));
        s->bytes_since_index = 0;
    }
    s->bytes_since_index += h->size;
    if (h->max_ts > s->max_ts) {
        s->max_ts = h->max_ts;
        s->max_ts_off = last;
    }
    if (s->first_ts < 0 && h->pos == 0)
        s->first_ts = h->max_ts;
    s->next = last + 1;
    s->size = h->pos + h->size;
}

int kf_seg_appended(kf_seg_t *s, const struct kf_batch_hdr *hdrs, int n,
                    int32_t index_interval)
{
    int i;

    for (i = 0; i < n; i++)
        account_batch(s, &hdrs[i], index_interval);
    return 0;
}

int kf_seg_sync_index(kf_seg_t *s)
{
    return sync_index_files(s);
}

static int rewrite_index_files(kf_seg_t *s)
{
    if (ftruncate(s->ifd, 0) < 0 || ftruncate(s->tfd, 0) < 0)
        return -errno;
    s->idx_synced = s->tidx_synced = 0;
    return sync_index_files(s);
}

/* Scan from pos (a batch boundary, after the state of everything before
 * it is accounted) to the end; truncate at the first bad batch. */
static int scan_from(kf_seg_t *s, int64_t pos, bool verify, int64_t min_offset,
                     int32_t index_interval, int64_t *truncated)
{
    struct kf_seg_scan  sc;
    struct kf_batch_hdr h;
    struct stat         st;
    int                 rc;

    *truncated = 0;
    if (fstat(s->fd, &st) < 0)
        return -errno;
    kf_seg_scan_init(&sc, s->fd, pos, st.st_size, verify, min_offset);
    while ((rc = kf_seg_scan_next(&sc, &h)) == 1) {
        if (h.base_offset + h.last_delta - s->base > INT32_MAX ||
            h.pos + h.size > INT32_MAX) {
            /* cannot be indexed: not ours.  The scanner already moved
             * past it: cut at its start (found by fuzz_broker_recovery) */
            sc.pos = h.pos;
            rc = ERR_CORRUPT;
            break;
        }
        account_batch(s, &h, index_interval);
    }
    kf_seg_scan_free(&sc);
    if (rc < 0 && rc != ERR_CORRUPT)
        return rc;
    s->size = sc.pos;
    if (sc.pos < st.st_size) {
        if (ftruncate(s->fd, (off_t)sc.pos) < 0)
            return -errno;
        *truncated = st.st_size - sc.pos;
    }
    return 0;
}

static void reset_state(kf_seg_t *s)
{
    s->nidx = s->ntidx = 0;
    s->idx_synced = s->tidx_synced = 0;
    s->bytes_since_index = 0;
    s->max_ts = s->first_ts = s->max_ts_off = -1;
    s->next = s->base;
    s->size = 0;
}

int kf_seg_recover(kf_seg_t *s, bool verify, int64_t min_offset,
                   int32_t index_interval, int64_t *truncated)
{
    int rc;

    reset_state(s);
    rc = scan_from(s, 0, verify, min_offset > s->base ? min_offset : s->base,
                   index_interval, truncated);
    if (rc < 0)
        return rc;
    return rewrite_index_files(s);
}

int kf_seg_load_tail(kf_seg_t *s, int32_t index_interval, int64_t *truncated)
{
    struct kf_seg_scan  sc;
    struct kf_batch_hdr h;
    int64_t             pos = 0;
    int                 rc;

    /* State up to the last index entry: max_ts from the time index (its
     * last entry is the largest timestamp so far), first_ts from the
     * first batch.  Then a verified scan of the tail. */
    s->bytes_since_index = 0;
    s->max_ts = s->first_ts = s->max_ts_off = -1;
    s->next = s->base;
    if (s->size > 0) {
        kf_seg_scan_init(&sc, s->fd, 0, s->size, false, s->base);
        rc = kf_seg_scan_next(&sc, &h);
        kf_seg_scan_free(&sc);
        if (rc == 1)
            s->first_ts = h.max_ts;
    }
    if (s->nidx > 0) {
        pos = s->idx[s->nidx - 1].pos;
        s->next = s->base + s->idx[s->nidx - 1].rel;
    }
    if (s->ntidx > 0) {
        s->max_ts = s->tidx[s->ntidx - 1].ts;
        s->max_ts_off = s->base + s->tidx[s->ntidx - 1].rel;
    }
    /* the batch at the last entry restarts the interval count */
    s->bytes_since_index = 0;
    rc = scan_from(s, pos, true, s->next, index_interval, truncated);
    if (rc < 0)
        return rc;
    if (*truncated > 0 || (s->nidx > 0 && s->idx[s->nidx - 1].pos >= s->size))
        return kf_seg_recover(s, true, s->base, index_interval, truncated);
    return 0;
}

/* Largest index entry with base + rel <= offset: its position (0 if none). */
static int64_t idx_floor(const kf_seg_t *s, int64_t offset)
{
    size_t lo = 0, hi = s->nidx;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (s->base + s->idx[mid].rel <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : s->idx[lo - 1].pos;
}

int kf_seg_find(kf_seg_t *s, int64_t offset, struct kf_batch_hdr *h)
{
    struct kf_seg_scan sc;
    int                rc;

    if (offset < s->base || offset >= s->next)
        return ERR_NOTFOUND;
    kf_seg_scan_init(&sc, s->fd, idx_floor(s, offset), s->size, false, 0);
    while ((rc = kf_seg_scan_next(&sc, h)) == 1)
        if (h->base_offset + h->last_delta >= offset)
            break;
    kf_seg_scan_free(&sc);
    if (rc == 1)
        return 0;
    return rc < 0 && rc != ERR_CORRUPT ? rc : ERR_NOTFOUND;
}

int kf_seg_pos_of(kf_seg_t *s, int64_t offset, int64_t *pos)
{
    struct kf_seg_scan  sc;
    struct kf_batch_hdr h;
    int                 rc;

    if (offset >= s->next) {
        *pos = s->size;
        return 0;
    }
    kf_seg_scan_init(&sc, s->fd, idx_floor(s, offset), s->size, false, 0);
    *pos = s->size;
    while ((rc = kf_seg_scan_next(&sc, &h)) == 1) {
        if (h.base_offset >= offset) {
            *pos = h.pos;
            break;
        }
    }
    kf_seg_scan_free(&sc);
    return rc < 0 && rc != ERR_CORRUPT ? rc : 0;
}

int kf_seg_find_time(kf_seg_t *s, int64_t ts, struct kf_batch_hdr *h)
{
    struct kf_seg_scan sc;
    int64_t            start = 0;
    size_t             lo = 0, hi = s->ntidx;
    int                rc;

    if (s->max_ts < ts)
        return ERR_NOTFOUND;
    /* largest time entry with ts' < ts: every batch up to its offset has
     * a max timestamp < ts, so the scan may start at that offset */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (s->tidx[mid].ts < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0)
        start = idx_floor(s, s->base + s->tidx[lo - 1].rel);
    kf_seg_scan_init(&sc, s->fd, start, s->size, false, 0);
    while ((rc = kf_seg_scan_next(&sc, h)) == 1)
        if (h->max_ts >= ts)
            break;
    kf_seg_scan_free(&sc);
    if (rc == 1)
        return 0;
    return rc < 0 && rc != ERR_CORRUPT ? rc : ERR_NOTFOUND;
}

int kf_seg_truncate(kf_seg_t *s, int64_t offset, int32_t index_interval)
{
    int64_t pos, cut;
    int     rc;

    rc = kf_seg_pos_of(s, offset, &pos);
    if (rc < 0)
        return rc;
    if (ftruncate(s->fd, (off_t)pos) < 0)
        return -errno;
    return kf_seg_recover(s, false, s->base, index_interval, &cut);
}

int kf_seg_seal(kf_seg_t *s)
{
    if (s->max_ts >= 0 &&
        (s->ntidx == 0 || s->tidx[s->ntidx - 1].ts < s->max_ts))
        tidx_push(s, s->max_ts, (int32_t)(s->max_ts_off - s->base));
    return sync_index_files(s);
}
