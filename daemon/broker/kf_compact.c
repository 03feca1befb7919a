/* kf_compact: log compaction of one partition directory (see
 * kf_compact.h).  Layout of a v2 record batch (DefaultRecordBatch.java):
 *
 *   0 baseOffset i64   8 batchLength i32   12 partitionLeaderEpoch i32
 *  16 magic i8        17 crc u32           21 attributes i16
 *  23 lastOffsetDelta i32  27 baseTimestamp i64  35 maxTimestamp i64
 *  43 producerId i64  51 producerEpoch i16  53 baseSequence i32
 *  57 recordsCount i32  61 records (compressed as a whole if attributes
 *  bits 0-2 say so); the CRC-32C covers bytes 21 .. end.
 *
 * A record: length varint, attributes i8, timestampDelta varlong,
 * offsetDelta varint, key (varint length, -1 null), value (same), headers
 * (varint count, then key/value pairs). */
#include "kf_compact.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "kcompress.h"
#include "err.h"
#include "rd.h"
#include "xalloc.h"

#define HDR_LEN       61
#define LOG_OVERHEAD  12
#define OFF_MAGIC     16
#define OFF_CRC       17
#define OFF_ATTR      21
#define OFF_LAST_DELTA 23
#define OFF_MAX_TS    35
#define OFF_COUNT     57
#define ATTR_CODEC    0x07
#define ATTR_CONTROL  0x20

void kf_compact_cfg_defaults(struct kf_compact_cfg *cfg)
{
    cfg->map_bytes = 16u << 20;
    cfg->load_factor = 0.9;
    cfg->delete_retention_ms = 86400000;
    cfg->max_batch_bytes = 64u << 20;
    cfg->index_interval = 4096;
    cfg->fsync = true;
}

/* ---- the offset map -------------------------------------------------------- */

struct slot {
    uint64_t h1, h2;
    int64_t  offset; /* -1: empty */
};

struct kf_compact_map {
    struct slot *slots;
    size_t       cap; /* power of two */
    size_t       used;
    size_t       limit;
};

/* Two independent 64-bit hashes of the key (FNV-1a and a multiply-xorshift
 * mix): a false "same key" needs both to collide. */
static void key_hash(const uint8_t *p, size_t n, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = 1469598103934665603ULL, b = 0x9e3779b97f4a7c15ULL ^ n;
    size_t   i;

    for (i = 0; i < n; i++) {
        a = (a ^ p[i]) * 1099511628211ULL;
        b = (b ^ p[i]) * 0xbf58476d1ce4e5b9ULL;
        b ^= b >> 31;
    }
    b ^= b >> 33;
    b *= 0xff51afd7ed558ccdULL;
    b ^= b >> 33;
    *h1 = a;
    *h2 = b;
}

kf_compact_map_t *kf_compact_map_new(size_t bytes, double load_factor)
{
    kf_compact_map_t *m;
    size_t            cap = 1, i;

    while (cap * 2 * sizeof(struct slot) <= bytes)
        cap *= 2;
    if (cap * sizeof(struct slot) > bytes)
        return NULL;
    m = xcalloc(1, sizeof *m);
    m->cap = cap;
    m->limit = (size_t)((double)cap * load_factor);
    if (m->limit < 1)
        m->limit = 1;
    if (m->limit > cap)
        m->limit = cap;
    m->slots = xmalloc(cap * sizeof *m->slots);
    for (i = 0; i < cap; i++)
        m->slots[i].offset = -1;
    return m;
}

void kf_compact_map_free(kf_compact_map_t *m)
{
    if (m == NULL)
        return;
    free(m->slots);
    free(m);
}

static void map_clear(kf_compact_map_t *m)
{
    size_t i;

    for (i = 0; i < m->cap; i++)
        m->slots[i].offset = -1;
    m->used = 0;
}

static struct slot *map_find(const kf_compact_map_t *m, uint64_t h1,
                             uint64_t h2)
{
    size_t i = h1 & (m->cap - 1);

    for (;;) { /* terminates: used <= limit <= cap, and an empty slot or
                  the key is found within cap probes */
        struct slot *s = &m->slots[i];

        if (s->offset < 0 || (s->h1 == h1 && s->h2 == h2))
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

int kf_compact_map_put(kf_compact_map_t *m, const uint8_t *key, size_t n,
                       int64_t offset)
{
    uint64_t     h1, h2;
    struct slot *s;

    key_hash(key, n, &h1, &h2);
    if (m->used >= m->cap) /* full table: only updates are possible */
        return ERR_LIMIT;
    s = map_find(m, h1, h2);
    if (s->offset < 0) {
        if (m->used >= m->limit)
            return ERR_LIMIT;
        s->h1 = h1;
        s->h2 = h2;
        s->offset = offset;
        m->used++;
        return 0;
    }
    if (offset > s->offset)
        s->offset = offset;
    return 0;
}

int64_t kf_compact_map_get(const kf_compact_map_t *m, const uint8_t *key,
                           size_t n)
{
    uint64_t h1, h2;

    key_hash(key, n, &h1, &h2);
    return map_find(m, h1, h2)->offset;
}

size_t kf_compact_map_size(const kf_compact_map_t *m)
{
    return m->used;
}

size_t kf_compact_map_limit(const kf_compact_map_t *m)
{
    return m->limit;
}

/* ---- reading batches -------------------------------------------------------- */

struct seg {
    int64_t base;
    char   *path; /* <dir>/<base>.log */
};

struct reader {
    int                          fd;
    off_t                        pos, size;
    buf_t                        batch; /* the current batch, whole */
    const struct kf_compact_cfg *cfg;
};

static int be32(const uint8_t *p)
{
    return (int)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                 (uint32_t)p[2] << 8 | p[3]);
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)(uint32_t)be32(p) << 32 |
                     (uint32_t)be32(p + 4));
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int read_full(int fd, void *p, size_t n, off_t at)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)p + done, n - done, at + (off_t)done);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return ERR_SHORT;
        done += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = write(fd, (const uint8_t *)p + done, n - done);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += (size_t)r;
    }
    return 0;
}

/* The next whole batch into r->batch: 1, 0 at the end, < 0 on error.  The
 * length is checked against the file and max_batch_bytes before anything
 * is allocated (rule 5); magic and CRC are verified. */
static int reader_next(struct reader *r)
{
    uint8_t  h[LOG_OVERHEAD];
    int32_t  len;
    int      rc;
    uint32_t crc;

    if (r->pos == r->size)
        return 0;
    if (r->size - r->pos < LOG_OVERHEAD)
        return ERR_CORRUPT;
    rc = read_full(r->fd, h, sizeof h, r->pos);
    if (rc < 0)
        return rc == ERR_SHORT ? ERR_CORRUPT : rc;
    len = be32(h + 8);
    if (len < HDR_LEN - LOG_OVERHEAD || len > r->size - r->pos - LOG_OVERHEAD)
        return ERR_CORRUPT;
    if ((size_t)len + LOG_OVERHEAD > r->cfg->max_batch_bytes)
        return ERR_TOO_BIG;
    buf_reset(&r->batch);
    buf_extend(&r->batch, (size_t)len + LOG_OVERHEAD);
    rc = read_full(r->fd, r->batch.data, r->batch.len, r->pos);
    if (rc < 0)
        return rc == ERR_SHORT ? ERR_CORRUPT : rc;
    if (r->batch.data[OFF_MAGIC] != 2)
        return ERR_CORRUPT;
    crc = (uint32_t)be32(r->batch.data + OFF_CRC);
    if (crc32c(0, r->batch.data + OFF_ATTR, r->batch.len - OFF_ATTR) != crc)
        return ERR_CORRUPT;
    r->pos += (off_t)r->batch.len;
    return 1;
}

/* ---- decompression (codecs as Kafka's attributes bits 0-2 name them) --- */

/* The records section of batch b, decompressed into tmp if needed. */
static int batch_records(const buf_t *b, buf_t *tmp, size_t cap,
                         const uint8_t **p, size_t *n)
{
    int codec = b->data[OFF_ATTR + 1] & ATTR_CODEC, rc;

    if (codec == 0) {
        *p = b->data + HDR_LEN;
        *n = b->len - HDR_LEN;
        return 0;
    }
    buf_reset(tmp);
    rc = kcompress_decompress(codec, b->data + HDR_LEN, b->len - HDR_LEN, tmp,
                              cap);
    if (rc < 0)
        return rc == ERR_UNSUPPORTED ? ERR_CORRUPT : rc;
    *p = tmp->data;
    *n = tmp->len;
    return 0;
}

/* One record, as the compactor sees it. */
struct rec {
    const uint8_t *raw;  /* varint length + body */
    size_t         raw_len;
    int64_t        offset;
    slice_t        key;
    slice_t        value;
    bool           tombstone;
};

/* Walks the records of a batch; fn returns < 0 to stop with that value. */
static int each_record(const buf_t *b, const uint8_t *p, size_t n,
                       int (*fn)(void *arg, const struct rec *r), void *arg)
{
    rd_t    r = rd_init(p, n);
    int64_t base = be64(b->data);
    int32_t count = be32(b->data + OFF_COUNT), i;
    int     rc;

    if (count < 0 || (size_t)count > n)
        return ERR_CORRUPT;
    for (i = 0; i < count; i++) {
        struct rec     rec;
        const uint8_t *start = r.p;
        int32_t        len = rd_varint(&r);
        const uint8_t *body = len >= 0 ? rd_raw(&r, (size_t)len) : NULL;
        rd_t           br;
        slice_t        value;

        if (!rd_ok(&r) || body == NULL)
            return ERR_CORRUPT;
        br = rd_init(body, (size_t)len);
        (void)rd_i8(&br);      /* attributes: unused */
        (void)rd_varlong(&br); /* timestamp delta */
        /* a hostile base offset must not overflow: wrap-free in uint64 */
        rec.offset = (int64_t)((uint64_t)base + (uint64_t)(int64_t)rd_varint(&br));
        rec.key = rd_vbytes(&br);
        value = rd_vbytes(&br);
        if (!rd_ok(&br))
            return ERR_CORRUPT;
        rec.value = value;
        rec.tombstone = value.n < 0;
        rec.raw = start;
        rec.raw_len = (size_t)(r.p - start);
        rc = fn(arg, &rec);
        if (rc < 0)
            return rc;
    }
    return rd_left(&r) == 0 ? 0 : ERR_CORRUPT;
}

/* ---- segment listing ---------------------------------------------------------- */

static int seg_cmp(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;

    return x->base < y->base ? -1 : x->base > y->base;
}

/* "<20 digits><suffix>" -> base offset, or -1. */
static int64_t name_base(const char *name, const char *suffix)
{
    size_t  sl = strlen(suffix), nl = strlen(name), i;
    int64_t v = 0;

    if (nl != 20 + sl || strcmp(name + 20, suffix) != 0)
        return -1;
    for (i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

static int list_segments(const char *dir, int64_t active_base,
                         struct seg **out, int *n)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    int            cap = 0;

    *out = NULL;
    *n = 0;
    if (d == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        int64_t base = name_base(e->d_name, ".log");

        if (base < 0 || base >= active_base)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[*n].base = base;
        (*out)[*n].path = xasprintf("%s/%s", dir, e->d_name);
        (*n)++;
    }
    closedir(d);
    if (*n > 0)
        qsort(*out, (size_t)*n, sizeof **out, seg_cmp);
    return 0;
}

static void segs_free(struct seg *s, int n)
{
    int i;

    for (i = 0; i < n; i++)
        free(s[i].path);
    free(s);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* ---- recovery --------------------------------------------------------------- */

int kf_compact_recover(const char *dir)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    char           from[4096], to[4096];
    int            rc = 0, changed = 0;

    if (d == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        size_t  l = strlen(e->d_name);
        int64_t base;

        if (l > 8 && strcmp(e->d_name + l - 8, ".cleaned") == 0) {
            snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
            if (unlink(from) < 0 && errno != ENOENT)
                rc = -errno;
            changed = 1;
            continue;
        }
        base = name_base(e->d_name, ".log.swap");
        if (base < 0)
            continue;
        /* a .swap was fsynced before it got its name: finish the swap;
         * the old indexes were removed before it existed */
        snprintf(from, sizeof from, "%s/%020lld.index", dir, (long long)base);
        (void)unlink(from);
        snprintf(from, sizeof from, "%s/%020lld.timeindex", dir,
                 (long long)base);
        (void)unlink(from);
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        snprintf(to, sizeof to, "%s/%020lld.log", dir, (long long)base);
        if (rename(from, to) < 0)
            rc = -errno;
        changed = 1;
    }
    closedir(d);
    if (changed && rc == 0)
        rc = fsync_dir(dir);
    return rc;
}

/* ---- one pass ------------------------------------------------------------- */

struct build_ctx {
    kf_compact_map_t *map;
    int64_t           stop; /* first offset not recorded, or -1 */
    int64_t           from; /* records below were mapped by earlier passes */
    int64_t           nrec;
};

static int build_rec(void *arg, const struct rec *r)
{
    struct build_ctx *b = arg;

    if (r->offset < b->from)
        return 0;
    if (r->key.n >= 0) {
        if (kf_compact_map_put(b->map, r->key.p, (size_t)r->key.n,
                               r->offset) < 0) {
            b->stop = r->offset;
            return ERR_LIMIT;
        }
    }
    b->nrec++;
    return 0;
}

struct clean_ctx {
    const kf_compact_map_t *map;
    int64_t                 map_end;
    bool                    past_horizon; /* this batch's tombstones may go */
    buf_t                  *kept;         /* raw records retained */
    int32_t                 nkept, nseen;
    int64_t                 tombstones;
};

/* The rule: a record below map_end is dropped if a newer record of its key
 * exists; a tombstone that is the newest goes once past the horizon. */
static int clean_rec(void *arg, const struct rec *r)
{
    struct clean_ctx *c = arg;
    bool              keep = true;

    c->nseen++;
    if (r->offset < c->map_end && r->key.n >= 0) {
        int64_t newest = kf_compact_map_get(c->map, r->key.p, (size_t)r->key.n);

        if (newest > r->offset)
            keep = false;
        else if (r->tombstone && c->past_horizon) {
            keep = false;
            c->tombstones++;
        }
    }
    if (keep) {
        buf_put(c->kept, r->raw, r->raw_len);
        c->nkept++;
    }
    return 0;
}

struct writer {
    int     fd, ifd, tfd;
    int64_t base;
    int64_t pos, since_index;
    int64_t max_ts, max_ts_off, last_ts_written;
    int32_t interval;
};

/* Appends one batch to the cleaned segment and its index entries (Kafka
 * LogSegment.append: an entry when more than index.interval.bytes were
 * written since the last one). */
static int writer_put(struct writer *w, const uint8_t *b, size_t n)
{
    int64_t last = be64(b) + be32(b + OFF_LAST_DELTA);
    int64_t mts = be64(b + OFF_MAX_TS);
    uint8_t e[12];
    int     rc;

    if (mts > w->max_ts) {
        w->max_ts = mts;
        w->max_ts_off = last;
    }
    if (w->since_index > w->interval) {
        put_be32(e, (uint32_t)(last - w->base));
        put_be32(e + 4, (uint32_t)w->pos);
        rc = write_full(w->ifd, e, 8);
        if (rc == 0 && w->max_ts > w->last_ts_written) {
            put_be32(e, (uint32_t)((uint64_t)w->max_ts >> 32));
            put_be32(e + 4, (uint32_t)w->max_ts);
            put_be32(e + 8, (uint32_t)(w->max_ts_off - w->base));
            rc = write_full(w->tfd, e, 12);
            w->last_ts_written = w->max_ts;
        }
        if (rc < 0)
            return rc;
        w->since_index = 0;
    }
    rc = write_full(w->fd, b, n);
    if (rc < 0)
        return rc;
    w->pos += (int64_t)n;
    w->since_index += (int64_t)n;
    return 0;
}

static int open_out(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    return fd < 0 ? -errno : fd;
}

static int sync_close(int fd, bool do_sync)
{
    int rc = 0;

    if (fd < 0)
        return 0;
    if (do_sync && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* Rewrites one segment.  *changed tells whether anything was dropped (if
 * not, the cleaned files are removed and the segment stays as it is). */
static int clean_segment(const char *dir, const struct seg *s,
                         const kf_compact_map_t *map, int64_t map_end,
                         int64_t horizon, const struct kf_compact_cfg *cfg,
                         struct kf_compact_stats *st)
{
    struct reader r = { -1, 0, 0, BUF_INIT, cfg };
    struct writer w = { -1, -1, -1, s->base, 0, 0, -1, 0, -1, cfg->index_interval };
    buf_t         tmp = BUF_INIT, kept = BUF_INIT, out = BUF_INIT;
    char          p_log[4096], p_idx[4096], p_tidx[4096], p_swap[4096],
                  f_idx[4096], f_tidx[4096];
    struct stat   sb;
    bool          changed = false;
    int           rc;

    snprintf(p_log, sizeof p_log, "%s/%020lld.log.cleaned", dir, (long long)s->base);
    snprintf(p_idx, sizeof p_idx, "%s/%020lld.index.cleaned", dir, (long long)s->base);
    snprintf(p_tidx, sizeof p_tidx, "%s/%020lld.timeindex.cleaned", dir, (long long)s->base);
    snprintf(p_swap, sizeof p_swap, "%s/%020lld.log.swap", dir, (long long)s->base);
    snprintf(f_idx, sizeof f_idx, "%s/%020lld.index", dir, (long long)s->base);
    snprintf(f_tidx, sizeof f_tidx, "%s/%020lld.timeindex", dir, (long long)s->base);

    r.fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (r.fd < 0)
        return -errno;
    if (fstat(r.fd, &sb) < 0) {
        rc = -errno;
        goto out;
    }
    r.size = sb.st_size;
    if ((w.fd = open_out(p_log)) < 0 || (w.ifd = open_out(p_idx)) < 0 ||
        (w.tfd = open_out(p_tidx)) < 0) {
        rc = w.fd < 0 ? w.fd : (w.ifd < 0 ? w.ifd : w.tfd);
        goto out;
    }
    while ((rc = reader_next(&r)) == 1) {
        const buf_t     *b = &r.batch;
        struct clean_ctx c = { 0 };
        const uint8_t   *recs;
        size_t           nrecs;

        st->batches_in++;
        st->bytes_in += (int64_t)b->len;
        if (b->data[OFF_ATTR + 1] & ATTR_CONTROL) {
            rc = writer_put(&w, b->data, b->len);
            if (rc < 0)
                goto out;
            st->batches_out++;
            st->bytes_out += (int64_t)b->len;
            continue;
        }
        rc = batch_records(b, &tmp, cfg->max_batch_bytes, &recs, &nrecs);
        if (rc < 0)
            goto out;
        buf_reset(&kept);
        c.map = map;
        c.map_end = map_end;
        c.past_horizon = be64(b->data + OFF_MAX_TS) < horizon;
        c.kept = &kept;
        rc = each_record(b, recs, nrecs, clean_rec, &c);
        if (rc < 0)
            goto out;
        st->records_in += c.nseen;
        st->records_out += c.nkept;
        st->tombstones_dropped += c.tombstones;
        if (c.nkept == c.nseen) { /* untouched: byte for byte */
            rc = writer_put(&w, b->data, b->len);
            if (rc < 0)
                goto out;
            st->batches_out++;
            st->bytes_out += (int64_t)b->len;
            continue;
        }
        changed = true;
        if (c.nkept == 0)
            continue;
        /* rebuilt: same header, uncompressed retained records, new CRC */
        buf_reset(&out);
        buf_put(&out, b->data, HDR_LEN);
        buf_put(&out, kept.data, kept.len);
        out.data[OFF_ATTR + 1] &= (uint8_t)~ATTR_CODEC;
        put_be32(out.data + OFF_COUNT, (uint32_t)c.nkept);
        put_be32(out.data + 8, (uint32_t)(out.len - LOG_OVERHEAD));
        put_be32(out.data + OFF_CRC,
                 crc32c(0, out.data + OFF_ATTR, out.len - OFF_ATTR));
        rc = writer_put(&w, out.data, out.len);
        if (rc < 0)
            goto out;
        st->batches_out++;
        st->batches_rebuilt++;
        st->bytes_out += (int64_t)out.len;
    }
    if (rc < 0)
        goto out;
    rc = sync_close(w.fd, cfg->fsync && changed);
    w.fd = -1;
    if (rc == 0)
        rc = sync_close(w.ifd, cfg->fsync && changed);
    w.ifd = -1;
    if (rc == 0)
        rc = sync_close(w.tfd, cfg->fsync && changed);
    w.tfd = -1;
    if (rc < 0 || !changed)
        goto out;
    /* The swap.  Old indexes go first, so that whenever the new .log is
     * in place no stale index can describe it (kf_log rebuilds a missing
     * one); .cleaned -> .swap is the commit point (recovery finishes a
     * .swap and discards a .cleaned). */
    if ((unlink(f_idx) < 0 && errno != ENOENT) ||
        (unlink(f_tidx) < 0 && errno != ENOENT) || rename(p_log, p_swap) < 0 ||
        rename(p_swap, s->path) < 0 || rename(p_idx, f_idx) < 0 ||
        rename(p_tidx, f_tidx) < 0) {
        rc = -errno;
        goto out;
    }
    st->segments++;
    rc = cfg->fsync ? fsync_dir(dir) : 0;
out:
    if (r.fd >= 0)
        close(r.fd);
    if (w.fd >= 0)
        close(w.fd);
    if (w.ifd >= 0)
        close(w.ifd);
    if (w.tfd >= 0)
        close(w.tfd);
    if (rc < 0 || !changed) {
        (void)unlink(p_log);
        (void)unlink(p_idx);
        (void)unlink(p_tidx);
    }
    buf_free(&r.batch);
    buf_free(&tmp);
    buf_free(&kept);
    buf_free(&out);
    return rc < 0 ? rc : 0;
}

/* Fills the map with the records at offsets >= from, in offset order,
 * until it is at its load limit; *end gets the first offset not mapped
 * (INT64_MAX when everything was). */
static int build_map(const struct seg *segs, int n, kf_compact_map_t *map,
                     int64_t from, const struct kf_compact_cfg *cfg,
                     int64_t *end)
{
    struct reader    r = { -1, 0, 0, BUF_INIT, cfg };
    struct build_ctx b = { map, -1, from, 0 };
    buf_t            tmp = BUF_INIT;
    int              i, rc = 0;

    *end = INT64_MAX;
    for (i = 0; i < n && b.stop < 0; i++) {
        struct stat sb;

        if (i + 1 < n && segs[i + 1].base <= from)
            continue; /* wholly below from */
        r.fd = open(segs[i].path, O_RDONLY | O_CLOEXEC);
        if (r.fd < 0 || fstat(r.fd, &sb) < 0) {
            rc = -errno;
            break;
        }
        r.size = sb.st_size;
        r.pos = 0;
        while (b.stop < 0 && (rc = reader_next(&r)) == 1) {
            const uint8_t *recs;
            size_t         nrecs;

            if (r.batch.data[OFF_ATTR + 1] & ATTR_CONTROL)
                continue;
            if (be64(r.batch.data) + be32(r.batch.data + OFF_LAST_DELTA) < from)
                continue;
            rc = batch_records(&r.batch, &tmp, cfg->max_batch_bytes, &recs,
                               &nrecs);
            if (rc == 0)
                rc = each_record(&r.batch, recs, nrecs, build_rec, &b);
            if (rc == ERR_LIMIT)
                rc = 0; /* b.stop is set */
            if (rc < 0)
                break;
        }
        close(r.fd);
        r.fd = -1;
        if (rc < 0)
            break;
    }
    buf_free(&r.batch);
    buf_free(&tmp);
    if (rc < 0)
        return rc;
    if (b.stop >= 0) {
        if (b.stop == from)
            return ERR_CONFIG; /* not even one key fits */
        *end = b.stop;
    }
    return 0;
}

int kf_compact_run(const char *dir, const struct kf_compact_cfg *cfg,
                   int64_t active_base, int64_t now_ms,
                   struct kf_compact_stats *st)
{
    struct seg       *segs;
    kf_compact_map_t *map;
    int64_t           from = 0, end;
    int               n, i, rc;

    memset(st, 0, sizeof *st);
    rc = kf_compact_recover(dir);
    if (rc < 0)
        return rc;
    map = kf_compact_map_new(cfg->map_bytes, cfg->load_factor);
    if (map == NULL)
        return ERR_CONFIG;
    rc = list_segments(dir, active_base, &segs, &n);
    if (rc < 0 || n == 0) {
        kf_compact_map_free(map);
        return rc;
    }
    from = segs[0].base;
    for (;;) {
        map_clear(map);
        rc = build_map(segs, n, map, from, cfg, &end);
        if (rc < 0)
            break;
        st->passes++;
        for (i = 0; i < n && segs[i].base < end; i++) {
            rc = clean_segment(dir, &segs[i], map, end,
                               now_ms - cfg->delete_retention_ms, cfg, st);
            if (rc < 0)
                break;
        }
        if (rc < 0 || end == INT64_MAX)
            break;
        from = end;
    }
    kf_compact_map_free(map);
    segs_free(segs, n);
    return rc;
}

/* ---- one batch, for readers of compacted topics --------------------------- */

struct each_ctx {
    int (*fn)(void *arg, int64_t offset, slice_t key, slice_t value);
    void *arg;
};

static int each_adapter(void *arg, const struct rec *r)
{
    struct each_ctx *e = arg;

    return e->fn(e->arg, r->offset, r->key, r->value);
}

int kf_compact_batch_each(const uint8_t *p, size_t n, size_t max_bytes,
                          int (*fn)(void *arg, int64_t offset, slice_t key,
                                    slice_t value),
                          void *arg)
{
    buf_t           b = { (uint8_t *)(uintptr_t)p, n, n }, tmp = BUF_INIT;
    struct each_ctx e = { fn, arg };
    const uint8_t  *recs;
    size_t          nrecs;
    int             rc;

    if (n < HDR_LEN || p[OFF_MAGIC] != 2 ||
        (size_t)be32(p + 8) + LOG_OVERHEAD != n)
        return ERR_CORRUPT;
    if (crc32c(0, p + OFF_ATTR, n - OFF_ATTR) != (uint32_t)be32(p + OFF_CRC))
        return ERR_CORRUPT;
    if (p[OFF_ATTR + 1] & ATTR_CONTROL)
        return 0;
    rc = batch_records(&b, &tmp, max_bytes, &recs, &nrecs);
    if (rc == 0)
        rc = each_record(&b, recs, nrecs, each_adapter, &e);
    buf_free(&tmp);
    return rc;
}
