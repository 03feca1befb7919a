/* kf_group_api_log: __consumer_offsets on kf_log, as the two operations
 * kf_gstore needs (declared in kf_group_api.h).  Kept apart from the
 * handlers so that they can be tested without a log manager. */
#include "kf_group_api.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "kf_offsets.h"
#include "rd.h"
#include "xalloc.h"

/* ---- __consumer_offsets on kf_log ---------------------------------------------- */

struct log_pending {
    kf_gstore_done_fn *done;
    void              *arg;
};

static void log_flushed(void *arg, int status)
{
    struct log_pending *p = arg;

    p->done(p->arg, status);
    free(p);
}

static kf_log_t *offsets_log(kf_logmgr_t *m, int32_t p)
{
    kf_log_t *l = kf_logmgr_get(m, KF_OFFSETS_TOPIC, p);

    if (l == NULL && kf_logmgr_create(m, KF_OFFSETS_TOPIC, p, NULL, &l) < 0)
        return NULL;
    return l;
}

static int log_append(void *ctx, int32_t p, const uint8_t *batch, size_t len,
                      kf_gstore_done_fn *done, void *arg)
{
    kf_log_t                   *l = offsets_log(ctx, p);
    struct kf_log_append_result res;
    struct log_pending         *pend;
    int                         rc;

    if (l == NULL)
        return ERR_NOTFOUND;
    pend = xmalloc(sizeof *pend);
    pend->done = done;
    pend->arg = arg;
    rc = kf_log_append(l, batch, len, 0, clock_wall_ms(), &res, log_flushed,
                       pend);
    if (rc < 0) {
        free(pend);
        return rc;
    }
    if (rc == 0)
        log_flushed(pend, 0);
    return 0;
}

static int log_read(void *ctx, int32_t p, int64_t *offset, buf_t *out)
{
    kf_log_t           *l = kf_logmgr_get(ctx, KF_OFFSETS_TOPIC, p);
    struct kf_log_slice s;
    size_t              done = 0;
    int                 rc;

    if (l == NULL)
        return 0;
    if (*offset < kf_log_start(l))
        *offset = kf_log_start(l);
    if (*offset >= kf_log_end(l))
        return 0;
    rc = kf_log_read(l, *offset, 1u << 20, kf_log_end(l), true, &s);
    if (rc < 0)
        return rc;
    if (s.len == 0)
        return 0;
    buf_reserve(out, s.len);
    while (done < s.len) {
        ssize_t n = pread(s.fd, out->data + out->len + done, s.len - done,
                          s.pos + (off_t)done);

        if (n <= 0) {
            kf_log_slice_release(s.ref);
            return n < 0 ? -errno : ERR_SHORT;
        }
        done += (size_t)n;
    }
    kf_log_slice_release(s.ref);
    /* keep whole batches only (the range may end inside one); the next
     * read starts after the last whole one */
    {
        rd_t   r = rd_init(out->data + out->len, s.len);
        size_t whole = 0;

        while (rd_left(&r) >= 12 + 49) {
            const uint8_t *b = r.p;
            int64_t        base = rd_i64(&r);
            int32_t        len = rd_i32(&r);

            if (len < 49 || (size_t)len > rd_left(&r))
                break;
            rd_skip(&r, (size_t)len);
            whole = (size_t)(r.p - (out->data + out->len));
            *offset = base + (int64_t)(((uint32_t)b[23] << 24) |
                                       ((uint32_t)b[24] << 16) |
                                       ((uint32_t)b[25] << 8) | b[26]) + 1;
        }
        if (whole == 0)
            return ERR_CORRUPT; /* min_one: a whole batch was due */
        out->len += whole;
    }
    return 0;
}

void kf_group_api_log_ops(kf_logmgr_t *m, struct kf_gstore_ops *ops)
{
    ops->append = log_append;
    ops->read = log_read;
    ops->ctx = m;
}
