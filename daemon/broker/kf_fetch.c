/* kf_fetch: Fetch with long-poll and sendfile (see kf_fetch.h). */
#include "kf_fetch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "kbatch.h"
#include "kerr.h"
#include "kf_api.h"
#include "klegacy.h"
#include "log.h"
#include "xalloc.h"

struct fetch_part {
    int32_t partition;
    int64_t offset;
    int32_t max_bytes;
};

struct fetch_topic {
    char              *name;
    int32_t            np;
    struct fetch_part *parts;
};

struct kf_fetch_wait {
    struct kf_broker     *b;
    conn_t               *c;
    conn_slot_t          *slot;
    int16_t               ver;
    int32_t               corr_id;
    int32_t               min_bytes;
    int32_t               max_bytes;
    int32_t               nt;
    struct fetch_topic   *topics;
    uv_timer_t            timer;
    bool                  answered;
    struct kf_fetch_wait *next, *prev;
};

/* Record ranges up to this size are copied into the response instead of
 * sent with sendfile.  A consumer at the log end gets a few hundred bytes
 * per fetch; sent as a file range they cost a second syscall and a
 * second TCP segment after the response header (TCP_NODELAY sends each
 * at once), so the client wakes twice per response.  One pread from the
 * page cache costs less than either, and the whole response then leaves
 * in the one writev that carries the other responses of the loop
 * iteration.  Larger ranges keep sendfile, whose point is the copy it
 * saves on bulk reads (performance.md 3.2). */
#define KF_FETCH_COPY_MAX (16 * 1024)

/* The RECORDS value of a kf_log_slice: copied into m's bytes when small
 * (see KF_FETCH_COPY_MAX), else a conn_msg_file range.  Either way the
 * encoder has already written the length, so exactly s->len bytes follow;
 * a short pread falls back to the file range (which then fails the
 * connection as any short file range does). */
static void records_hook(void *arg, const kmsg_records_t *rec)
{
    struct kf_log_slice *s = rec->ext;
    conn_msg_t          *m = arg;

    if (s->len <= KF_FETCH_COPY_MAX) {
        ssize_t got;

        buf_reserve(&m->data, s->len);
        got = pread(s->fd, m->data.data + m->data.len, s->len, s->pos);
        if (got == (ssize_t)s->len) {
            m->data.len += s->len;
            kf_log_slice_release(s->ref);
            s->ref = NULL;
            return;
        }
    }
    conn_msg_file(m, s->fd, s->pos, s->len, kf_log_slice_release, s->ref);
    s->ref = NULL; /* owned by the message now */
}

/* Reads a slice into memory and down-converts it to magic 0/1. */
static int16_t down_convert(struct kf_log_slice *s, int magic, int64_t offset,
                            size_t max, arena_t *a, slice_t *out)
{
    buf_t   raw = BUF_INIT, conv = BUF_INIT;
    ssize_t got;
    int     rc;

    buf_reserve(&raw, s->len);
    got = pread(s->fd, raw.data, s->len, s->pos);
    kf_log_slice_release(s->ref);
    s->ref = NULL;
    if (got < 0) {
        buf_free(&raw);
        return KERR_KAFKA_STORAGE_ERROR;
    }
    raw.len = (size_t)got;
    rc = klegacy_from_v2(raw.data, raw.len, magic, offset, max, &conv);
    buf_free(&raw);
    if (rc < 0) {
        buf_free(&conv);
        return rc == ERR_UNSUPPORTED ? KERR_UNSUPPORTED_COMPRESSION_TYPE
                                     : KERR_CORRUPT_MESSAGE;
    }
    out->n = (int32_t)conv.len;
    out->p = arena_alloc(a, conv.len + 1);
    memcpy((uint8_t *)out->p, conv.data, conv.len);
    buf_free(&conv);
    return KERR_NONE;
}

/* Fetch v4-9 cannot carry zstd (KIP-110: v10+); Kafka answers
 * UNSUPPORTED_COMPRESSION_TYPE.  The batch headers of the slice are read
 * from the page cache (23 bytes each: length and attributes). */
static bool has_zstd(const struct kf_log_slice *s)
{
    off_t pos = s->pos, end = s->pos + (off_t)s->len;
    int   guard = 0;

    while (pos + KBATCH_HEADER_SIZE <= end && guard++ < 100000) {
        uint8_t h[23];
        int32_t len;

        if (pread(s->fd, h, sizeof h, pos) != (ssize_t)sizeof h)
            return false;
        len = (int32_t)((uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
                        (uint32_t)h[10] << 8 | h[11]);
        if ((h[22] & KBATCH_CODEC_MASK) == KBATCH_ZSTD)
            return true;
        if (len <= 0)
            return false;
        pos += KBATCH_LOG_OVERHEAD + len;
    }
    return false;
}

/* Builds the response for fw's partitions as they are now.  Returns the
 * message if it has at least min_bytes of records (or final), else NULL
 * (every slice read is released). */
static conn_msg_t *fetch_build(struct kf_fetch_wait *fw, bool final)
{
    struct kf_broker      *b = fw->b;
    arena_t                a;
    struct kmsg_fetch_resp resp;
    size_t                 total = 0, limit = (size_t)fw->max_bytes;
    bool                   min_one = fw->ver > 2, any_error = false;
    conn_msg_t            *m = NULL;
    int32_t                i, j;

    arena_init(&a);
    kmsg_defaults(&kmsg_s_fetch_resp, &resp);
    resp.topics_n = fw->nt;
    resp.topics = arena_calloc(&a, (size_t)fw->nt + 1, sizeof *resp.topics);
    for (i = 0; i < fw->nt; i++) {
        struct fetch_topic           *ft = &fw->topics[i];
        struct kmsg_fetch_resp_topic *rt = &resp.topics[i];

        rt->topic =
            (slice_t){(const uint8_t *)ft->name, (int32_t)strlen(ft->name)};
        rt->partitions_n = ft->np;
        rt->partitions =
            arena_calloc(&a, (size_t)ft->np + 1, sizeof *rt->partitions);
        for (j = 0; j < ft->np; j++) {
            struct fetch_part           *fp = &ft->parts[j];
            struct kmsg_fetch_resp_part *rp = &rt->partitions[j];
            kf_log_t *l = kf_topics_log(b->topics, ft->name, strlen(ft->name),
                                        fp->partition);
            struct kf_log_slice *s;
            size_t               want;
            int                  rc;

            kmsg_defaults(&kmsg_s_fetch_resp_part, rp);
            rp->partition = fp->partition;
            rp->aborted_n = 0;
            rp->records.bytes = (slice_t){NULL, 0};
            if (l == NULL) {
                rp->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                rp->high_watermark = -1;
                any_error = true;
                continue;
            }
            rp->high_watermark = kf_log_hw(l);
            rp->last_stable_offset = rp->high_watermark;
            rp->log_start_offset = kf_log_start(l);
            want = (size_t)(fp->max_bytes < 0 ? 0 : fp->max_bytes);
            if (want > limit - total)
                want = limit - total;
            if (want == 0 && !min_one)
                continue;
            s = arena_alloc(&a, sizeof *s);
            memset(s, 0, sizeof *s);
            rc = kf_log_read(l, fp->offset, want, rp->high_watermark, min_one,
                             s);
            if (rc == ERR_NOTFOUND) {
                rp->error_code = KERR_OFFSET_OUT_OF_RANGE;
                any_error = true;
                continue;
            }
            if (rc < 0) {
                rp->error_code = KERR_KAFKA_STORAGE_ERROR;
                any_error = true;
                continue;
            }
            if (s->len == 0)
                continue;
            kf_log_note_out(l, s->len);
            if (fw->ver >= 4 && fw->ver < 10 && has_zstd(s)) {
                kf_log_slice_release(s->ref);
                rp->error_code = KERR_UNSUPPORTED_COMPRESSION_TYPE;
                any_error = true;
                continue;
            }
            if (fw->ver < 4) {
                rp->error_code = down_convert(
                    s, fw->ver < 2 ? 0 : 1, fp->offset,
                    want > 0 ? want : s->len, &a, &rp->records.bytes);
                total += (size_t)rp->records.bytes.n;
            } else {
                rp->records.ext = s;
                rp->records.ext_len = (int32_t)s->len;
                total += s->len;
            }
            min_one = false;
        }
    }
    if (final || any_error || total >= (size_t)fw->min_bytes) {
        m = kf_api_msg(KMSG_API_FETCH, fw->ver, fw->corr_id, &resp,
                       records_hook);
    } else {
        for (i = 0; i < fw->nt; i++)
            for (j = 0; j < resp.topics[i].partitions_n; j++) {
                struct kf_log_slice *s =
                    resp.topics[i].partitions[j].records.ext;

                if (s != NULL && s->ref != NULL)
                    kf_log_slice_release(s->ref);
            }
    }
    arena_free(&a);
    return m;
}

static void fw_free(struct kf_fetch_wait *fw)
{
    int32_t i;

    for (i = 0; i < fw->nt; i++) {
        free(fw->topics[i].name);
        free(fw->topics[i].parts);
    }
    free(fw->topics);
    free(fw);
}

static void fw_closed(uv_handle_t *h)
{
    fw_free(h->data);
}

static void fw_answer(struct kf_fetch_wait *fw, conn_msg_t *m)
{
    struct kf_broker *b = fw->b;

    fw->answered = true;
    if (fw->prev != NULL)
        fw->prev->next = fw->next;
    else
        b->waiters = fw->next;
    if (fw->next != NULL)
        fw->next->prev = fw->prev;
    conn_fill(fw->c, fw->slot, m);
    uv_timer_stop(&fw->timer);
    uv_close((uv_handle_t *)&fw->timer, fw_closed);
}

static void fw_timeout(uv_timer_t *t)
{
    struct kf_fetch_wait *fw = t->data;

    if (!fw->answered)
        fw_answer(fw, fetch_build(fw, true));
}

static bool fw_watches(const struct kf_fetch_wait *fw, const char *topic,
                       int32_t partition)
{
    int32_t i, j;

    for (i = 0; i < fw->nt; i++) {
        if (strcmp(fw->topics[i].name, topic) != 0)
            continue;
        for (j = 0; j < fw->topics[i].np; j++)
            if (fw->topics[i].parts[j].partition == partition)
                return true;
    }
    return false;
}

void kf_fetch_notify(void *arg, kf_log_t *l)
{
    struct kf_broker     *b = arg;
    struct kf_fetch_wait *fw, *next;
    const char           *topic = kf_log_topic(l);
    int32_t               partition = kf_log_partition(l);

    for (fw = b->waiters; fw != NULL; fw = next) {
        conn_msg_t *m;

        next = fw->next;
        if (fw->answered || !fw_watches(fw, topic, partition))
            continue;
        m = fetch_build(fw, false);
        if (m != NULL)
            fw_answer(fw, m);
    }
}

void kf_fetch_stop_all(struct kf_broker *b)
{
    while (b->waiters != NULL)
        fw_answer(b->waiters, fetch_build(b->waiters, true));
}

int kf_fetch_handle(struct kf_req *rq)
{
    struct kmsg_fetch_req *req = rq->body;
    struct kf_fetch_wait  *fw = xcalloc(1, sizeof *fw);
    conn_msg_t            *m;
    int32_t                i, j;

    fw->b = rq->b;
    fw->c = rq->c;
    fw->ver = rq->ver;
    fw->corr_id = rq->hdr.corr_id;
    fw->min_bytes = req->min_bytes;
    fw->max_bytes = req->max_bytes < 0 ? 0 : req->max_bytes;
    fw->nt = req->topics_n < 0 ? 0 : req->topics_n;
    fw->topics = xcalloc((size_t)fw->nt + 1, sizeof *fw->topics);
    for (i = 0; i < fw->nt; i++) {
        struct kmsg_fetch_req_topic *t = &req->topics[i];
        struct fetch_topic          *ft = &fw->topics[i];

        ft->name = xstrndup((const char *)t->topic.p,
                            (size_t)(t->topic.n < 0 ? 0 : t->topic.n));
        ft->np = t->partitions_n < 0 ? 0 : t->partitions_n;
        ft->parts = xcalloc((size_t)ft->np + 1, sizeof *ft->parts);
        for (j = 0; j < ft->np; j++) {
            ft->parts[j].partition = t->partitions[j].partition;
            ft->parts[j].offset = t->partitions[j].fetch_offset;
            ft->parts[j].max_bytes = t->partitions[j].partition_max_bytes;
        }
    }
    m = fetch_build(fw, req->max_wait_ms <= 0 || rq->b->stopping);
    if (m != NULL) {
        conn_send_msg(rq->c, m);
        fw_free(fw);
        return 0;
    }
    /* wait for data: answered by kf_fetch_notify or the timer */
    fw->slot = conn_reserve(rq->c);
    uv_timer_init(rq->b->loop, &fw->timer);
    fw->timer.data = fw;
    uv_timer_start(&fw->timer, fw_timeout, (uint64_t)req->max_wait_ms, 0);
    fw->next = rq->b->waiters;
    if (fw->next != NULL)
        fw->next->prev = fw;
    rq->b->waiters = fw;
    return 0;
}
