/* kf_group: the consumer-group coordinator's state machine, as Apache
 * Kafka 2.8's GroupCoordinator (core/.../coordinator/group/).
 *
 * It owns: the groups this broker coordinates, their members, pending
 * member ids (KIP-394), static members (KIP-345), the generation, the
 * selected protocol, the assignment bytes the leader hands out (relayed
 * untouched), every timer of a group (session, new-member join, rebalance,
 * group.initial.rebalance.delay.ms) and the committed offsets held in
 * memory.  It does not own: the wire (kf_group_api decodes and encodes
 * requests), storage (the broker writes __consumer_offsets records through
 * the store hook, with kf_offsets), time (an injected clock), or any libuv
 * handle: the broker asks kf_group_next_deadline() when to call
 * kf_group_tick() and drives that from one uv_timer, so unit tests are
 * deterministic.
 *
 * States and events form one table (kf_group.c: kf_group_fsm), state x
 * event -> handler; the checks that do not depend on the state (group id,
 * session timeout bounds, fencing, membership, generation) run before it.
 *
 * Responses: heartbeat, leave and commit checks answer at once (their
 * return values are Kafka error codes: data, STYLE.md rule 3).  JoinGroup
 * and SyncGroup may have to wait for other members, so they answer through
 * a callback that runs either before kf_group_join()/kf_group_sync()
 * returns or later, from inside another call into this module (another
 * member's join, a leave, kf_group_tick).  Every accepted callback runs
 * exactly once (also on kf_group_coord_free, with NOT_COORDINATOR), so a
 * broker that reserved a conn slot per pending request always fills it.
 * Callbacks must not call back into kf_group; the pointers in a result are
 * valid only during the callback. */
#ifndef ODRADEK_KF_GROUP_H
#define ODRADEK_KF_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Kafka error codes this module answers with (data, never C returns). */
enum {
    KF_GROUP_ERR_NONE                        = 0,
    KF_GROUP_ERR_OFFSET_METADATA_TOO_LARGE   = 12,
    KF_GROUP_ERR_COORDINATOR_NOT_AVAILABLE   = 15,
    KF_GROUP_ERR_NOT_COORDINATOR             = 16,
    KF_GROUP_ERR_ILLEGAL_GENERATION          = 22,
    KF_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    KF_GROUP_ERR_INVALID_GROUP_ID            = 24,
    KF_GROUP_ERR_UNKNOWN_MEMBER_ID           = 25,
    KF_GROUP_ERR_INVALID_SESSION_TIMEOUT     = 26,
    KF_GROUP_ERR_REBALANCE_IN_PROGRESS       = 27,
    KF_GROUP_ERR_NON_EMPTY_GROUP             = 68,
    KF_GROUP_ERR_GROUP_ID_NOT_FOUND          = 69,
    KF_GROUP_ERR_MEMBER_ID_REQUIRED          = 79,
    KF_GROUP_ERR_GROUP_MAX_SIZE_REACHED      = 81,
    KF_GROUP_ERR_FENCED_INSTANCE_ID          = 82,
};

enum kf_group_state {
    KF_GROUP_EMPTY = 0,
    KF_GROUP_PREPARING_REBALANCE,
    KF_GROUP_COMPLETING_REBALANCE,
    KF_GROUP_STABLE,
    KF_GROUP_DEAD,
    KF_GROUP_NSTATES
};

/* Kafka's name of a state, as DescribeGroups and ListGroups v4 carry it
 * ("Empty", "PreparingRebalance", "CompletingRebalance", "Stable",
 * "Dead"); never NULL. */
const char *kf_group_state_name(int state);

/* Kafka: GroupCoordinator.NewMemberJoinTimeoutMs. */
#define KF_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS (5 * 60 * 1000)

struct kf_group_cfg {
    int32_t min_session_ms;   /* group.min.session.timeout.ms, 6000 */
    int32_t max_session_ms;   /* group.max.session.timeout.ms, 1800000 */
    int32_t initial_delay_ms; /* group.initial.rebalance.delay.ms, 3000 */
    int32_t max_size;         /* group.max.size, INT32_MAX */
};

/* Kafka's defaults for the four keys above. */
void kf_group_cfg_defaults(struct kf_group_cfg *cfg);

/* Milliseconds on any clock that does not jump (the broker passes
 * clock_mono_ms; tests pass a variable). */
typedef int64_t kf_group_clock_fn(void *arg);

struct kf_group_proto { /* one (name, metadata) of a JoinGroup request */
    const char    *name;
    const uint8_t *meta;
    size_t         meta_len;
};

struct kf_group_member_proto { /* the same, owned by a member */
    char *name;
    buf_t meta;
};

struct kf_group_join_res;
struct kf_group_sync_res;
typedef void kf_group_join_cb(void *arg, const struct kf_group_join_res *res);
typedef void kf_group_sync_cb(void *arg, const struct kf_group_sync_res *res);

/* A member.  Read-only outside kf_group.c (DescribeGroups, persistence). */
struct kf_group_member {
    char                         *id;
    char                         *instance_id; /* NULL: dynamic member */
    char                         *client_id;
    char                         *client_host;
    int32_t                       session_ms;
    int32_t                       rebalance_ms;
    char                         *protocol_type;
    int                           nprotos;
    struct kf_group_member_proto *protos;
    buf_t                         assignment;
    int64_t                       last_heartbeat; /* clock ms */
    int64_t                       hb_deadline; /* INT64_MAX: none */
    bool                          is_new;
    kf_group_join_cb             *join_cb; /* non-NULL: awaiting join */
    void                         *join_arg;
    kf_group_sync_cb             *sync_cb; /* non-NULL: awaiting sync */
    void                         *sync_arg;
};

struct kf_group_pending { /* a member id handed out with MEMBER_ID_REQUIRED */
    char   *id;
    int64_t deadline;
};

/* A committed offset held in memory (what OffsetFetch answers). */
struct kf_group_offset {
    char   *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;  /* -1: none */
    char   *metadata;      /* never NULL */
    int64_t commit_ts;     /* wall ms */
    int64_t expire_ts;     /* wall ms, -1: none (OffsetCommit v1 only) */
};

/* A group.  Read-only outside kf_group.c. */
struct kf_group {
    char                    *id;
    int                      state;
    int32_t                  generation;
    char                    *protocol_type; /* NULL until a member joined */
    char                    *protocol_name; /* NULL unless a generation runs */
    char                    *leader;        /* NULL: no leader */
    int64_t                  state_ts;      /* wall ms of the last transition */
    int                      nmembers;
    int                      members_cap;
    struct kf_group_member **members;       /* in join order */
    int                      npending;
    int                      pending_cap;
    struct kf_group_pending *pending;
    /* PreparingRebalance: when the join phase ends (INT64_MAX: when all
     * members have rejoined); initial: a group.initial.rebalance.delay.ms
     * wait (Kafka's InitialDelayedJoin), which ends only at its deadline. */
    int64_t                  join_deadline;
    bool                     initial_delay;
    bool                     new_member_added;
    int32_t                  initial_remaining_ms;
    int                      noffsets;
    int                      offsets_cap;
    struct kf_group_offset  *offsets;
    struct kf_group         *hnext;         /* hash chain */
};

/* Hooks into the broker; all optional.  store runs when the group's
 * metadata record should be (re)written to __consumer_offsets: after a
 * leader's SyncGroup (with the new assignment), when a join phase leaves
 * the group Empty, and when a static member is replaced.  now_wall gives
 * wall-clock ms for state timestamps and commits (default
 * clock_wall_ms). */
struct kf_group_hooks {
    void    (*store)(void *arg, const struct kf_group *g);
    int64_t (*now_wall)(void *arg);
    void     *arg;
};

typedef struct kf_group_coord kf_group_coord_t;

/* A coordinator with a copy of cfg.  clock gives monotonic ms.  Never
 * NULL (aborts on OOM). */
kf_group_coord_t *kf_group_coord_new(const struct kf_group_cfg *cfg,
                                     kf_group_clock_fn *clock, void *clock_arg,
                                     const struct kf_group_hooks *hooks);
/* Answers every pending JoinGroup/SyncGroup with NOT_COORDINATOR, then
 * frees everything.  NULL is accepted. */
void kf_group_coord_free(kf_group_coord_t *co);

struct kf_group_join_req {
    const char                  *group_id;
    const char                  *member_id;   /* "" (or NULL): unknown */
    const char                  *instance_id; /* NULL: dynamic */
    const char                  *client_id;
    const char                  *client_host;
    int32_t                      session_ms;
    int32_t                      rebalance_ms; /* v0: = session_ms */
    const char                  *protocol_type;
    int                          nprotos;
    const struct kf_group_proto *protos;
    bool                         require_known_id; /* JoinGroup v4+ */
};

struct kf_group_join_member { /* what the leader receives per member */
    const char    *member_id;
    const char    *instance_id; /* NULL for dynamic members */
    const uint8_t *meta;
    size_t         meta_len;
};

struct kf_group_join_res {
    int16_t                            error;
    int32_t                            generation;    /* -1 on error */
    const char                        *protocol_type; /* NULL if none */
    const char                        *protocol_name; /* NULL if none */
    const char                        *leader;        /* "" if none */
    const char                        *member_id;     /* "" if none */
    int                                nmembers;      /* leader only */
    const struct kf_group_join_member *members;
};

/* JoinGroup.  cb runs exactly once, now or later (see the top). */
void kf_group_join(kf_group_coord_t *co, const struct kf_group_join_req *req,
                   kf_group_join_cb *cb, void *arg);

struct kf_group_assignment {
    const char    *member_id;
    const uint8_t *p;
    size_t         n;
};

struct kf_group_sync_req {
    const char                       *group_id;
    const char                       *member_id;
    const char                       *instance_id;   /* NULL: dynamic */
    int32_t                           generation;
    const char                       *protocol_type; /* v5+, else NULL */
    const char                       *protocol_name; /* v5+, else NULL */
    int                               nassign;       /* leader only */
    const struct kf_group_assignment *assign;
};

struct kf_group_sync_res {
    int16_t        error;
    const char    *protocol_type; /* NULL if none */
    const char    *protocol_name; /* NULL if none */
    const uint8_t *assignment;
    size_t         len;
};

/* SyncGroup.  cb runs exactly once, now or later (see the top). */
void kf_group_sync(kf_group_coord_t *co, const struct kf_group_sync_req *req,
                   kf_group_sync_cb *cb, void *arg);

/* Heartbeat; returns its Kafka error code. */
int16_t kf_group_heartbeat(kf_group_coord_t *co, const char *group_id,
                           const char *member_id, const char *instance_id,
                           int32_t generation);

struct kf_group_leave_member { /* LeaveGroup v3+ batch entry */
    const char *member_id;   /* "" with an instance id: by instance */
    const char *instance_id; /* NULL: dynamic */
};

/* LeaveGroup (v0-2: one member with a NULL instance id).  Writes one error
 * per member into errs[0..n) and returns the top-level error. */
int16_t kf_group_leave(kf_group_coord_t *co, const char *group_id, int n,
                       const struct kf_group_leave_member *m, int16_t *errs);

/* OffsetCommit's group checks (Kafka doCommitOffsets).  Returns the error
 * every partition of the request gets; NONE means: store the offsets with
 * kf_group_offset_put.  A generation < 0 with no group creates an Empty
 * group that only stores offsets (simple consumers, kcat -G commits). */
int16_t kf_group_commit_check(kf_group_coord_t *co, const char *group_id,
                              const char *member_id, const char *instance_id,
                              int32_t generation);

/* Records a committed offset (copies everything).  Creates the group
 * (Empty) if it does not exist, as loading from the log does. */
void kf_group_offset_put(kf_group_coord_t *co, const char *group_id,
                         const struct kf_group_offset *o);
/* Drops one offset; returns 0 or ERR_NOTFOUND. */
int  kf_group_offset_del(kf_group_coord_t *co, const char *group_id,
                         const char *topic, int32_t partition);
/* The committed offset, or NULL. */
const struct kf_group_offset *kf_group_offset_get(kf_group_coord_t *co,
                                                  const char *group_id,
                                                  const char *topic,
                                                  int32_t partition);

/* The group, or NULL (Dead groups are removed at once). */
const struct kf_group *kf_group_find(kf_group_coord_t *co, const char *id);
/* Calls fn for each group (ListGroups); fn must not change groups. */
void kf_group_each(kf_group_coord_t *co,
                   void (*fn)(void *arg, const struct kf_group *g), void *arg);

/* DeleteGroups: NONE and the group is gone (the caller writes tombstones
 * for its offsets and metadata first), GROUP_ID_NOT_FOUND, or
 * NON_EMPTY_GROUP. */
int16_t kf_group_delete(kf_group_coord_t *co, const char *group_id);

/* Restores a group read back from __consumer_offsets at start: Empty if it
 * has no members, else Stable with every member's session timer started
 * now.  Replaces a group of that id that has no members.  Members' byte
 * fields are copied. */
struct kf_group_restore_member {
    const char    *member_id;
    const char    *instance_id;
    const char    *client_id;
    const char    *client_host;
    int32_t        rebalance_ms;
    int32_t        session_ms;
    const uint8_t *subscription;
    size_t         subscription_len;
    const uint8_t *assignment;
    size_t         assignment_len;
};
void kf_group_restore(kf_group_coord_t *co, const char *group_id,
                      const char *protocol_type, int32_t generation,
                      const char *protocol_name, const char *leader,
                      int64_t state_ts, int nmembers,
                      const struct kf_group_restore_member *m);

/* The earliest clock time at which kf_group_tick has work, INT64_MAX if
 * none.  The broker arms its uv_timer for it after every call here. */
int64_t kf_group_next_deadline(kf_group_coord_t *co);
/* Runs every timer due at the clock's current time: members whose session
 * (or new-member join timeout) ran out are removed, pending member ids
 * expire, join phases whose rebalance timeout or initial delay ended
 * complete. */
void kf_group_tick(kf_group_coord_t *co);

/* Number of groups (for tests and metrics). */
int kf_group_count(kf_group_coord_t *co);

#endif
