/* kf_group_srv: the consumer-group coordinator plugged into the broker
 * (kf_server / kf_api).  It owns: building kf_group_api from the broker's
 * configuration and log manager, loading __consumer_offsets at start,
 * closing at stop, and one handler with kf_api's signature for the eleven
 * group APIs, which reserves a conn slot per request and fills it when
 * kf_group_api replies (JoinGroup and SyncGroup wait for other members,
 * OffsetCommit for the log).  It does not own the dispatch table: the
 * lines kf_api.c and kf_server.c need are in
 * /work/notes/requests-protocol.md. */
#ifndef ODRADEK_KF_GROUP_SRV_H
#define ODRADEK_KF_GROUP_SRV_H

#include "kf_server.h"

/* After the log manager is open, before the listener accepts: creates the
 * coordinator and loads groups and offsets.  Returns 0 or < 0 (the log
 * could not be read). */
int  kf_group_srv_start(struct kf_broker *b);
/* Answers what waits with NOT_COORDINATOR and frees the coordinator;
 * done(arg) runs on the loop afterwards.  Call before the logs close. */
void kf_group_srv_stop(struct kf_broker *b, void (*done)(void *arg),
                       void *arg);
/* kf_handler_fn for FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetFetch, ListGroups, DescribeGroups,
 * DeleteGroups and OffsetDelete. */
int  kf_group_srv_handle(struct kf_req *rq);

#endif
