/* kf_fetch: Fetch v0-12 with long-poll.  A fetch that finds fewer than
 * min_bytes waits (a reserved conn slot keeps responses in order) until an
 * append to one of its partitions brings enough, or max_wait_ms passes.
 * Record bytes go from the segment files to the socket with sendfile
 * (conn_msg_file); Fetch v0-3 get the batches down-converted to message
 * format v0/v1 (klegacy) instead.  No fetch sessions: session_id is always
 * 0, which every client treats as "full fetch, no session" (KIP-227).
 *
 * It owns the waiters (struct kf_fetch_wait, listed on the broker) and the
 * log notify hook that wakes them. */
#ifndef ODRADEK_KF_FETCH_H
#define ODRADEK_KF_FETCH_H

#include "kf_log.h"
#include "kf_server.h"

/* kf_log notify hook (arg is the broker): an append happened on l. */
void kf_fetch_notify(void *arg, kf_log_t *l);
/* Shutdown: answer every waiting fetch now and release its timer. */
void kf_fetch_stop_all(struct kf_broker *b);

#endif
