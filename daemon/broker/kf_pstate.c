/* kf_pstate: one partition's idempotent-producer table and its snapshot
 * file (see kf_pstate.h).  An open-addressing hash on the producer id
 * with backward-shift deletion: no tombstones, so lookups stay short
 * however many producers come and expire. */
#include "kf_pstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"
#include "kf_ckpt.h"
#include "rd.h"
#include "xalloc.h"

/* Kafka 2.8 ProducerStateManager: ProducerSnapshotVersion = 1, and the
 * fixed size of one ProducerEntry in the snapshot. */
#define PS_SNAPSHOT_VERSION 1
#define PS_ENTRY_BYTES (8 + 2 + 4 + 8 + 4 + 8 + 4 + 8)
#define PS_MAX_FILE (64u << 20) /* refuse absurd snapshot files */

struct kf_pstate {
    struct kf_pstate_entry *slots; /* producer_id < 0 marks a free slot */
    size_t                  cap;   /* power of two, or 0 */
    size_t                  n;
};

static size_t ps_hash(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;

    return (size_t)(h >> 17) & (cap - 1);
}

kf_pstate_t *kf_pstate_new(void)
{
    return xcalloc(1, sizeof(kf_pstate_t));
}

void kf_pstate_free(kf_pstate_t *ps)
{
    if (ps == NULL)
        return;
    free(ps->slots);
    free(ps);
}

void kf_pstate_clear(kf_pstate_t *ps)
{
    size_t i;

    for (i = 0; i < ps->cap; i++)
        ps->slots[i].producer_id = -1;
    ps->n = 0;
}

int kf_pstate_count(const kf_pstate_t *ps)
{
    return (int)ps->n;
}

static struct kf_pstate_entry *ps_find(const kf_pstate_t *ps, int64_t id)
{
    size_t i;

    if (ps->cap == 0 || id < 0)
        return NULL;
    for (i = ps_hash(id, ps->cap);; i = (i + 1) & (ps->cap - 1)) {
        if (ps->slots[i].producer_id == id)
            return &ps->slots[i];
        if (ps->slots[i].producer_id < 0)
            return NULL;
    }
}

static void ps_grow(kf_pstate_t *ps)
{
    struct kf_pstate_entry *old = ps->slots;
    size_t                  oldcap = ps->cap, i, j;

    ps->cap = oldcap ? oldcap * 2 : 16;
    ps->slots = xmalloc(ps->cap * sizeof *ps->slots);
    for (i = 0; i < ps->cap; i++)
        ps->slots[i].producer_id = -1;
    for (i = 0; i < oldcap; i++) {
        if (old[i].producer_id < 0)
            continue;
        for (j = ps_hash(old[i].producer_id, ps->cap);
             ps->slots[j].producer_id >= 0; j = (j + 1) & (ps->cap - 1))
            ;
        ps->slots[j] = old[i];
    }
    free(old);
}

static struct kf_pstate_entry *ps_insert(kf_pstate_t *ps, int64_t id)
{
    struct kf_pstate_entry *e;
    size_t                  i;

    if ((ps->n + 1) * 4 > ps->cap * 3)
        ps_grow(ps);
    for (i = ps_hash(id, ps->cap); ps->slots[i].producer_id >= 0;
         i = (i + 1) & (ps->cap - 1))
        ;
    e = &ps->slots[i];
    memset(e, 0, sizeof *e);
    e->producer_id = id;
    e->epoch = -1;
    e->coordinator_epoch = -1;
    e->txn_first_offset = -1;
    ps->n++;
    return e;
}

/* Backward-shift deletion (Knuth 6.4 algorithm R). */
static void ps_remove_at(kf_pstate_t *ps, size_t i)
{
    size_t j = i, k;

    ps->slots[i].producer_id = -1;
    for (;;) {
        j = (j + 1) & (ps->cap - 1);
        if (ps->slots[j].producer_id < 0)
            break;
        k = ps_hash(ps->slots[j].producer_id, ps->cap);
        /* slot j may move to i if k is not cyclically in (i, j] */
        if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        ps->slots[i] = ps->slots[j];
        ps->slots[j].producer_id = -1;
        i = j;
    }
    ps->n--;
}

const struct kf_pstate_entry *kf_pstate_get(const kf_pstate_t *ps,
                                            int64_t            producer_id)
{
    return ps_find(ps, producer_id);
}

void kf_pstate_update(kf_pstate_t *ps, int64_t producer_id, int16_t epoch,
                      int32_t first_seq, int32_t last_seq, int64_t first_offset,
                      int64_t last_offset, int64_t max_timestamp,
                      int64_t now_ms)
{
    struct kf_pstate_entry *e;
    struct kf_pstate_batch *b;

    if (producer_id < 0)
        return;
    e = ps_find(ps, producer_id);
    if (e == NULL)
        e = ps_insert(ps, producer_id);
    if (epoch < e->epoch)
        return; /* fenced; never moves back */
    if (epoch > e->epoch) {
        e->epoch = epoch;
        e->nbatches = 0;
    }
    if (e->nbatches == KF_PSTATE_RECENT) {
        memmove(&e->batches[0], &e->batches[1],
                (KF_PSTATE_RECENT - 1) * sizeof e->batches[0]);
        e->nbatches--;
    }
    b = &e->batches[e->nbatches++];
    b->first_seq = first_seq;
    b->last_seq = last_seq;
    b->first_offset = first_offset;
    b->last_offset = last_offset;
    b->timestamp = max_timestamp;
    e->last_update_ms = now_ms;
}

int kf_pstate_expire(kf_pstate_t *ps, int64_t now_ms, int64_t max_age_ms)
{
    size_t i;
    int    n = 0;

    for (i = 0; i < ps->cap;) {
        if (ps->slots[i].producer_id >= 0 &&
            now_ms - ps->slots[i].last_update_ms > max_age_ms) {
            ps_remove_at(ps, i); /* slot i now holds a shifted entry */
            n++;
            continue;
        }
        i++;
    }
    return n;
}

void kf_pstate_truncate(kf_pstate_t *ps, int64_t offset)
{
    size_t i;

    for (i = 0; i < ps->cap;) {
        struct kf_pstate_entry *e = &ps->slots[i];

        if (e->producer_id >= 0 && e->nbatches > 0 &&
            e->batches[e->nbatches - 1].last_offset >= offset) {
            ps_remove_at(ps, i);
            continue;
        }
        i++;
    }
}

void kf_pstate_foreach(const kf_pstate_t *ps,
                       int (*fn)(void *arg, const struct kf_pstate_entry *e),
                       void *arg)
{
    size_t i;

    for (i = 0; i < ps->cap; i++)
        if (ps->slots[i].producer_id >= 0 && fn(arg, &ps->slots[i]) != 0)
            return;
}

/* Snapshot: version int16, crc uint32 (CRC-32C of everything after the
 * crc field), entries ARRAY(int32 count) of ProducerEntry. */
void kf_pstate_encode(const kf_pstate_t *ps, buf_t *out)
{
    size_t   start = out->len, i;
    uint32_t crc;

    buf_put_i16(out, PS_SNAPSHOT_VERSION);
    buf_put_u32(out, 0);
    buf_put_i32(out, (int32_t)ps->n);
    for (i = 0; i < ps->cap; i++) {
        const struct kf_pstate_entry *e = &ps->slots[i];
        const struct kf_pstate_batch *b;

        if (e->producer_id < 0)
            continue;
        b = e->nbatches ? &e->batches[e->nbatches - 1] : NULL;
        buf_put_i64(out, e->producer_id);
        buf_put_i16(out, e->epoch);
        buf_put_i32(out, b ? b->last_seq : -1);
        buf_put_i64(out, b ? b->last_offset : -1);
        buf_put_i32(out, b ? (int32_t)(b->last_offset - b->first_offset) : 0);
        buf_put_i64(out, b ? b->timestamp : -1);
        buf_put_i32(out, e->coordinator_epoch);
        buf_put_i64(out, e->txn_first_offset);
    }
    crc = crc32c(0, out->data + start + 6, out->len - start - 6);
    out->data[start + 2] = (uint8_t)(crc >> 24);
    out->data[start + 3] = (uint8_t)(crc >> 16);
    out->data[start + 4] = (uint8_t)(crc >> 8);
    out->data[start + 5] = (uint8_t)crc;
}

int kf_pstate_decode(kf_pstate_t *ps, const uint8_t *p, size_t n)
{
    rd_t     r = rd_init(p, n);
    int16_t  version;
    uint32_t crc;
    int32_t  count, i;

    kf_pstate_clear(ps);
    version = rd_i16(&r);
    crc = rd_u32(&r);
    if (!rd_ok(&r))
        return r.err;
    if (version != PS_SNAPSHOT_VERSION)
        return ERR_CORRUPT;
    if (crc32c(0, r.p, rd_left(&r)) != crc)
        return ERR_CORRUPT;
    count = rd_count(&r, false, PS_ENTRY_BYTES);
    if (!rd_ok(&r) || count < 0)
        return r.err ? r.err : ERR_MALFORMED;
    for (i = 0; i < count; i++) {
        int64_t                 pid = rd_i64(&r);
        int16_t                 epoch = rd_i16(&r);
        int32_t                 last_seq = rd_i32(&r);
        int64_t                 last_off = rd_i64(&r);
        int32_t                 delta = rd_i32(&r);
        int64_t                 ts = rd_i64(&r);
        int32_t                 coord_epoch = rd_i32(&r);
        int64_t                 txn_first = rd_i64(&r);
        struct kf_pstate_entry *e;

        if (!rd_ok(&r))
            break;
        if (pid < 0 || delta < 0 || ps_find(ps, pid) != NULL) {
            rd_fail(&r, ERR_MALFORMED);
            break;
        }
        e = ps_insert(ps, pid);
        e->epoch = epoch;
        e->coordinator_epoch = coord_epoch;
        e->txn_first_offset = txn_first;
        e->last_update_ms = ts;
        if (last_off >= 0 && last_seq >= 0) {
            /* first_seq wraps like Kafka's sequences (int32 overflow to
             * 0), computed in unsigned arithmetic */
            int64_t fs = (int64_t)last_seq - delta;

            if (fs < 0)
                fs += (int64_t)INT32_MAX + 1;
            e->nbatches = 1;
            e->batches[0].first_seq = (int32_t)fs;
            e->batches[0].last_seq = last_seq;
            e->batches[0].first_offset = last_off - delta;
            e->batches[0].last_offset = last_off;
            e->batches[0].timestamp = ts;
        }
    }
    if (rd_ok(&r) && rd_left(&r) != 0)
        rd_fail(&r, ERR_MALFORMED);
    if (!rd_ok(&r)) {
        kf_pstate_clear(ps);
        return r.err;
    }
    return 0;
}

int kf_pstate_save(const kf_pstate_t *ps, const char *path)
{
    buf_t b = BUF_INIT;
    int   rc;

    kf_pstate_encode(ps, &b);
    rc = kf_ckpt_write_file(path, b.data, b.len);
    buf_free(&b);
    return rc;
}

int kf_pstate_load(kf_pstate_t *ps, const char *path)
{
    struct stat st;
    uint8_t    *p;
    size_t      off = 0;
    int         fd, rc;

    kf_pstate_clear(ps);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (st.st_size > PS_MAX_FILE) {
        close(fd);
        return ERR_TOO_BIG;
    }
    p = xmalloc((size_t)st.st_size + 1);
    while (off < (size_t)st.st_size) {
        ssize_t r = read(fd, p + off, (size_t)st.st_size - off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    rc = kf_pstate_decode(ps, p, off);
    free(p);
    return rc;
}
