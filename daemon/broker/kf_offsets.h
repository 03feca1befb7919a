/* kf_offsets: the records of the internal topic __consumer_offsets, in
 * Apache Kafka's formats (2.8 GroupMetadataManager; the schemas are also
 * in ../shared/reference/kafka-protocol.md section 7), so offsets survive
 * restarts and tools that read the topic (Burrow) understand it.
 *
 * It owns: encoding and decoding record keys and values (every field
 * big-endian, each prefixed by an int16 schema version), the partition of
 * the topic a group lives in (Java's String.hashCode, exactly), and the
 * offsets.retention.minutes expiry rule.  It does not own: record batches
 * (the caller puts key/value into records), the log, or the groups
 * (kf_group).
 *
 * Keys:   v0/v1 offset commit (group, topic, partition), v2 group metadata
 *         (group).
 * Values: offset commit v0-v3, group metadata v0-v3.  A null value is a
 *         tombstone: the offset or the group was deleted.
 * Decoded records borrow from the input bytes (STYLE.md rule 6); member
 * arrays go into the caller's arena. */
#ifndef ODRADEK_KF_OFFSETS_H
#define ODRADEK_KF_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "rd.h"

#define KF_OFFSETS_TOPIC "__consumer_offsets"

enum kf_offsets_kind {
    KF_OFFSETS_COMMIT = 1, /* key v0/v1 */
    KF_OFFSETS_GROUP = 2,  /* key v2 */
};

struct kf_offsets_key {
    int16_t version; /* 0, 1: offset commit; 2: group metadata */
    slice_t group;
    slice_t topic;     /* commit keys only */
    int32_t partition; /* commit keys only */
};

struct kf_offsets_commit {
    int16_t version;      /* 0..3 */
    int64_t offset;
    int32_t leader_epoch; /* v3; -1 = none */
    slice_t metadata;
    int64_t commit_ts;
    int64_t expire_ts;    /* v1 only; -1 = none */
};

struct kf_offsets_member {
    slice_t member_id;
    slice_t instance_id; /* v3; n == -1: none */
    slice_t client_id;
    slice_t client_host;
    int32_t rebalance_ms; /* v1+; v0: = session_ms */
    int32_t session_ms;
    slice_t subscription;
    slice_t assignment;
};

struct kf_offsets_group {
    int16_t                   version; /* 0..3 */
    slice_t                   protocol_type;
    int32_t                   generation;
    slice_t                   protocol; /* nullable */
    slice_t                   leader;   /* nullable */
    int64_t                   state_ts; /* v2+; -1 = none */
    int32_t                   nmembers;
    struct kf_offsets_member *members;
};

/* Encoders append to out.  Strings are slices; a non-nullable field given
 * a null slice is written as "".  Versions outside 0..3 (2 for keys)
 * write nothing and return ERR_UNSUPPORTED. */
int kf_offsets_key_commit_put(buf_t *out, int16_t version, slice_t group,
                              slice_t topic, int32_t partition);
int kf_offsets_key_group_put(buf_t *out, slice_t group);
int kf_offsets_commit_put(buf_t *out, const struct kf_offsets_commit *v);
int kf_offsets_group_put(buf_t *out, const struct kf_offsets_group *v);

/* The value version Kafka 2.1+ writes for an offset commit: 1 when the
 * commit has an explicit expire timestamp (OffsetCommit v1), else 3. */
int16_t kf_offsets_commit_version(const struct kf_offsets_commit *v);

/* Decoders: the whole input must be one record part.  Return 0, or
 * ERR_SHORT / ERR_MALFORMED (also for trailing bytes) / ERR_UNSUPPORTED
 * (unknown version).  Members go into a (never more than the input can
 * hold, rule 5). */
int kf_offsets_key_get(const uint8_t *p, size_t n, struct kf_offsets_key *k);
int kf_offsets_commit_get(const uint8_t *p, size_t n,
                          struct kf_offsets_commit *v);
int kf_offsets_group_get(const uint8_t *p, size_t n, arena_t *a,
                         struct kf_offsets_group *v);

/* Java's String.hashCode of a UTF-8 string: s[0]*31^(n-1) + ... over its
 * UTF-16 code units, in 32-bit two's complement; malformed UTF-8 counts as
 * U+FFFD per maximal invalid subpart, as Java's decoder replaces it. */
int32_t kf_offsets_java_hash(const uint8_t *p, size_t n);

/* Kafka: Utils.abs(groupId.hashCode) % offsets.topic.num.partitions, where
 * Utils.abs(Integer.MIN_VALUE) is 0.  nparts must be > 0. */
int32_t kf_offsets_partition_for(const char *group, int32_t nparts);

/* What kind of group owns an offset, for expiry
 * (GroupMetadata.removeExpiredOffsets, Kafka 2.1+). */
enum kf_offsets_owner {
    KF_OFFSETS_OWNER_SIMPLE,   /* no protocol type: offsets storage only */
    KF_OFFSETS_OWNER_EMPTY,    /* a protocol type, no members left */
    KF_OFFSETS_OWNER_CONSUMER, /* an active "consumer" group */
    KF_OFFSETS_OWNER_OTHER,    /* an active group of another protocol type */
};

/* True if a committed offset has expired at now (wall ms).  state_ts is
 * when the group became Empty (-1: unknown, old metadata); subscribed says
 * whether an active consumer group still subscribes to the topic.  An
 * explicit expire_ts (>= 0, OffsetCommit v1) decides alone. */
bool kf_offsets_expired(int64_t now, int64_t retention_ms, int64_t commit_ts,
                        int64_t expire_ts, enum kf_offsets_owner owner,
                        int64_t state_ts, bool subscribed);

/* Whether a consumer-protocol Subscription (ConsumerProtocol v0-v1: int16
 * version, topics [string], user data; v1 adds owned partitions) names
 * topic.  Undecodable bytes count as "subscribed" (never expire what we
 * cannot read). */
bool kf_offsets_subscribes(const uint8_t *p, size_t n, const char *topic);

#endif
