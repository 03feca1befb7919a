/* kerr: Kafka's error codes (docs/protocol.html "Error Codes") as data.
 * They are written into responses, never returned from C functions
 * (STYLE.md rule 3).  Only the codes odradek answers with are listed. */
#ifndef ODRADEK_KERR_H
#define ODRADEK_KERR_H

enum kerr {
    KERR_UNKNOWN_SERVER_ERROR          = -1,
    KERR_NONE                          = 0,
    KERR_OFFSET_OUT_OF_RANGE           = 1,
    KERR_CORRUPT_MESSAGE               = 2,
    KERR_UNKNOWN_TOPIC_OR_PARTITION    = 3,
    KERR_INVALID_FETCH_SIZE            = 4,
    KERR_LEADER_NOT_AVAILABLE          = 5,
    KERR_NOT_LEADER_OR_FOLLOWER        = 6,
    KERR_REQUEST_TIMED_OUT             = 7,
    KERR_MESSAGE_TOO_LARGE             = 10,
    KERR_COORDINATOR_NOT_AVAILABLE     = 15,
    KERR_NOT_COORDINATOR               = 16,
    KERR_INVALID_TOPIC_EXCEPTION       = 17,
    KERR_RECORD_LIST_TOO_LARGE         = 18,
    KERR_INVALID_REQUIRED_ACKS         = 21,
    KERR_INVALID_GROUP_ID              = 24,
    KERR_INVALID_TIMESTAMP             = 32,
    KERR_UNSUPPORTED_SASL_MECHANISM    = 33,
    KERR_UNSUPPORTED_VERSION           = 35,
    KERR_TOPIC_ALREADY_EXISTS          = 36,
    KERR_INVALID_PARTITIONS            = 37,
    KERR_INVALID_REPLICATION_FACTOR    = 38,
    KERR_INVALID_REPLICA_ASSIGNMENT    = 39,
    KERR_INVALID_CONFIG                = 40,
    KERR_NOT_CONTROLLER                = 41,
    KERR_INVALID_REQUEST               = 42,
    KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
    KERR_POLICY_VIOLATION              = 44,
    KERR_OUT_OF_ORDER_SEQUENCE_NUMBER  = 45,
    KERR_DUPLICATE_SEQUENCE_NUMBER     = 46,
    KERR_INVALID_PRODUCER_EPOCH        = 47,
    KERR_INVALID_TXN_STATE             = 48,
    KERR_INVALID_PRODUCER_ID_MAPPING   = 49,
    KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,
    KERR_KAFKA_STORAGE_ERROR           = 56,
    KERR_LOG_DIR_NOT_FOUND             = 57,
    KERR_UNKNOWN_PRODUCER_ID           = 59,
    KERR_GROUP_ID_NOT_FOUND            = 69,
    KERR_UNSUPPORTED_COMPRESSION_TYPE  = 76,
    KERR_INVALID_RECORD                = 87,
    KERR_TOPIC_DELETION_DISABLED       = 73,
};

#endif
