/* kf_list_offsets: ListOffsets v0-6.  Timestamp -1 = latest (the high
 * watermark, which is also the last stable offset: no transactions), -2 =
 * earliest (the log start), anything else = the first record whose
 * timestamp is >= it, exact also inside compressed batches
 * (kf_log_offset_for_time), or -1 if none.  v0 answers an
 * array of "old style" offsets (at most max_num_offsets). */
#include <string.h>

#include "err.h"
#include "kerr.h"
#include "kf_api.h"

int kf_list_offsets_handle(struct kf_req *rq)
{
    struct kmsg_list_offsets_req *req = rq->body;
    struct kmsg_list_offsets_resp resp;
    int32_t                       i, j;

    kmsg_defaults(&kmsg_s_list_offsets_resp, &resp);
    resp.topics_n = req->topics_n < 0 ? 0 : req->topics_n;
    resp.topics =
        arena_calloc(rq->arena, (size_t)resp.topics_n + 1, sizeof *resp.topics);
    for (i = 0; i < resp.topics_n; i++) {
        struct kmsg_list_offsets_req_topic  *t = &req->topics[i];
        struct kmsg_list_offsets_resp_topic *rt = &resp.topics[i];

        rt->name = t->name;
        rt->partitions_n = t->partitions_n < 0 ? 0 : t->partitions_n;
        rt->partitions = arena_calloc(rq->arena, (size_t)rt->partitions_n + 1,
                                      sizeof *rt->partitions);
        for (j = 0; j < rt->partitions_n; j++) {
            struct kmsg_list_offsets_req_part  *p = &t->partitions[j];
            struct kmsg_list_offsets_resp_part *rp = &rt->partitions[j];
            kf_log_t                           *l =
                t->name.n > 0
                                              ? kf_topics_log(rq->b->topics, (const char *)t->name.p,
                                                              (size_t)t->name.n, p->partition)
                                              : NULL;
            int64_t off = -1, ts = -1;

            kmsg_defaults(&kmsg_s_list_offsets_resp_part, rp);
            rp->partition = p->partition;
            if (l == NULL) {
                rp->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            rp->leader_epoch =
                kf_log_leader_epoch(l) < 0 ? 0 : kf_log_leader_epoch(l);
            if (p->timestamp == -1) {
                off = kf_log_hw(l);
            } else if (p->timestamp == -2) {
                off = kf_log_start(l);
            } else {
                int rc = kf_log_offset_for_time(l, p->timestamp, &off, &ts);

                if (rc == ERR_NOTFOUND) {
                    off = -1;
                    ts = -1;
                } else if (rc < 0) {
                    rp->error_code = KERR_KAFKA_STORAGE_ERROR;
                    continue;
                }
            }
            if (rq->ver == 0) {
                /* old style: newest first, at most max_num_offsets */
                int64_t *v = arena_calloc(rq->arena, 2, sizeof *v);
                int32_t  n = 0;

                if (off >= 0 && p->max_num_offsets > 0)
                    v[n++] = off;
                if (p->timestamp == -1 && p->max_num_offsets > 1 &&
                    kf_log_start(l) != off)
                    v[n++] = kf_log_start(l);
                rp->old_style_offsets = v;
                rp->old_style_offsets_n = n;
            } else {
                rp->offset = off;
                rp->timestamp = ts;
            }
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}
