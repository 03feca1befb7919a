/* kf_gmin: minimal, correct answers to the consumer-group APIs for a
 * broker built without the group coordinator (kf_group_api).  They are
 * advertised from version 0 because librdkafka 2.0.2 gates LZ4 and the
 * balanced consumer on FindCoordinator/JoinGroup minimums (see kf_api.c).
 *
 * FindCoordinator names this broker (true for a single broker).  Every
 * other group request answers COORDINATOR_NOT_AVAILABLE (retriable), list
 * requests answer empty lists, and OffsetFetch answers "no committed
 * offset" (-1), so assign/seek consumers and tools work and group
 * consumers wait instead of failing.  When kf_group_api.h is present the
 * dispatcher sends these APIs there instead (kf_api.c). */
#include <string.h>

#include "kerr.h"
#include "kf_api.h"

int kf_gmin_find_coordinator(struct kf_req *rq)
{
    struct kmsg_find_coordinator_resp resp;

    kmsg_defaults(&kmsg_s_find_coordinator_resp, &resp);
    resp.node_id = rq->b->kc->broker_id;
    resp.host = (slice_t){(const uint8_t *)rq->b->kc->adv_host,
                          (int32_t)strlen(rq->b->kc->adv_host)};
    resp.port = rq->b->kc->adv_port;
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_join_group(struct kf_req *rq)
{
    struct kmsg_join_group_resp resp;

    kmsg_defaults(&kmsg_s_join_group_resp, &resp);
    resp.error_code = KERR_COORDINATOR_NOT_AVAILABLE;
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_sync_group(struct kf_req *rq)
{
    struct kmsg_sync_group_resp resp;

    kmsg_defaults(&kmsg_s_sync_group_resp, &resp);
    resp.error_code = KERR_COORDINATOR_NOT_AVAILABLE;
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_heartbeat(struct kf_req *rq)
{
    struct kmsg_heartbeat_resp resp;

    kmsg_defaults(&kmsg_s_heartbeat_resp, &resp);
    resp.error_code = KERR_COORDINATOR_NOT_AVAILABLE;
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_leave_group(struct kf_req *rq)
{
    struct kmsg_leave_group_resp resp;

    kmsg_defaults(&kmsg_s_leave_group_resp, &resp);
    resp.error_code = KERR_COORDINATOR_NOT_AVAILABLE;
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_offset_commit(struct kf_req *rq)
{
    struct kmsg_offset_commit_req *req = rq->body;
    struct kmsg_offset_commit_resp resp;
    int32_t                        i, j;

    kmsg_defaults(&kmsg_s_offset_commit_resp, &resp);
    resp.topics_n = req->topics_n < 0 ? 0 : req->topics_n;
    resp.topics =
        arena_calloc(rq->arena, (size_t)resp.topics_n + 1, sizeof *resp.topics);
    for (i = 0; i < resp.topics_n; i++) {
        resp.topics[i].name = req->topics[i].name;
        resp.topics[i].partitions_n =
            req->topics[i].partitions_n < 0 ? 0 : req->topics[i].partitions_n;
        resp.topics[i].partitions =
            arena_calloc(rq->arena, (size_t)resp.topics[i].partitions_n + 1,
                         sizeof *resp.topics[i].partitions);
        for (j = 0; j < resp.topics[i].partitions_n; j++) {
            resp.topics[i].partitions[j].partition_index =
                req->topics[i].partitions[j].partition_index;
            resp.topics[i].partitions[j].error_code =
                KERR_COORDINATOR_NOT_AVAILABLE;
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_offset_fetch(struct kf_req *rq)
{
    struct kmsg_offset_fetch_req *req = rq->body;
    struct kmsg_offset_fetch_resp resp;
    int32_t                       i, j;

    kmsg_defaults(&kmsg_s_offset_fetch_resp, &resp);
    resp.topics_n = req->topics_n < 0 ? 0 : req->topics_n;
    resp.topics =
        arena_calloc(rq->arena, (size_t)resp.topics_n + 1, sizeof *resp.topics);
    for (i = 0; i < resp.topics_n; i++) {
        struct kmsg_offset_fetch_resp_topic *rt = &resp.topics[i];

        rt->name = req->topics[i].name;
        rt->partitions_n = req->topics[i].partition_indexes_n < 0
                               ? 0
                               : req->topics[i].partition_indexes_n;
        rt->partitions = arena_calloc(rq->arena, (size_t)rt->partitions_n + 1,
                                      sizeof *rt->partitions);
        for (j = 0; j < rt->partitions_n; j++) {
            kmsg_defaults(&kmsg_s_offset_fetch_resp_part, &rt->partitions[j]);
            rt->partitions[j].partition_index =
                req->topics[i].partition_indexes[j];
            rt->partitions[j].metadata = (slice_t){(const uint8_t *)"", 0};
        }
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_list_groups(struct kf_req *rq)
{
    struct kmsg_list_groups_resp resp;

    kmsg_defaults(&kmsg_s_list_groups_resp, &resp);
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_describe_groups(struct kf_req *rq)
{
    struct kmsg_describe_groups_req *req = rq->body;
    struct kmsg_describe_groups_resp resp;
    int32_t                          i;

    kmsg_defaults(&kmsg_s_describe_groups_resp, &resp);
    resp.groups_n = req->groups_n < 0 ? 0 : req->groups_n;
    resp.groups =
        arena_calloc(rq->arena, (size_t)resp.groups_n + 1, sizeof *resp.groups);
    for (i = 0; i < resp.groups_n; i++) {
        kmsg_defaults(&kmsg_s_describe_groups_resp_group, &resp.groups[i]);
        resp.groups[i].group_id = req->groups[i];
        resp.groups[i].group_state = (slice_t){(const uint8_t *)"Dead", 4};
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_delete_groups(struct kf_req *rq)
{
    struct kmsg_delete_groups_req *req = rq->body;
    struct kmsg_delete_groups_resp resp;
    int32_t                        i;

    kmsg_defaults(&kmsg_s_delete_groups_resp, &resp);
    resp.results_n = req->groups_names_n < 0 ? 0 : req->groups_names_n;
    resp.results = arena_calloc(rq->arena, (size_t)resp.results_n + 1,
                                sizeof *resp.results);
    for (i = 0; i < resp.results_n; i++) {
        resp.results[i].group_id = req->groups_names[i];
        resp.results[i].error_code = KERR_GROUP_ID_NOT_FOUND;
    }
    kf_api_reply(rq, &resp);
    return 0;
}

int kf_gmin_offset_delete(struct kf_req *rq)
{
    struct kmsg_offset_delete_resp resp;

    kmsg_defaults(&kmsg_s_offset_delete_resp, &resp);
    resp.error_code = KERR_GROUP_ID_NOT_FOUND;
    kf_api_reply(rq, &resp);
    return 0;
}
