/* cli_kafka: what the Kafka subcommands of odradek share (topics,
 * console-producer, console-consumer, consumer-groups).
 *
 * It owns: the option table parser (Kafka's scripts' "--name value" and
 * "--name=value" flags, repeatable ones such as --config and --property),
 * the exit codes scripts rely on, a small blocking Kafka client (connect to
 * a bootstrap list with a timeout, ApiVersions negotiation, correlation
 * ids, request header v1/v2 and response header v0/v1, Metadata to find
 * partition leaders, the controller and group coordinators), Kafka error
 * names, the default partitioner's murmur2, JSON string output, and the
 * old "--zookeeper host:port" form (brokers found in /brokers/ids).
 * It does not own: the codec (lib/kafka/kmsg), record batches
 * (lib/kafka/kbatch), or what any subcommand does with the answers.
 *
 * Blocking on purpose: a command-line tool does one thing at a time, and
 * poll() with a deadline on each socket keeps every wait bounded. */
#ifndef ODRADEK_CLI_KAFKA_H
#define ODRADEK_CLI_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "buf.h"
#include "kmsg.h"
#include "rd.h"

/* Exit codes of every Kafka subcommand (documented in each usage text and
 * man page; tests check them). */
enum cli_exit {
    CLI_EXIT_OK          = 0, /* done */
    CLI_EXIT_FAIL        = 1, /* the broker refused or an operation failed */
    CLI_EXIT_USAGE       = 2, /* bad flags or arguments */
    CLI_EXIT_UNREACHABLE = 3, /* no broker (or ZooKeeper) could be reached */
};

/* The text appended to every Kafka subcommand's usage. */
#define CLI_EXIT_TEXT                                                          \
    "exit codes: 0 ok, 1 failed (the broker answered an error), 2 usage,\n"   \
    "            3 broker (or ZooKeeper) unreachable\n"

/* ---- options ------------------------------------------------------------ */

/* One flag a subcommand accepts.  Names include the dashes ("--topic"). */
struct cli_opt {
    const char *name;
    bool        arg;   /* takes a value */
    bool        multi; /* may be given more than once (--config k=v) */
    bool        optional; /* the value may be left out ("" then) */
    const char *help;  /* one line for the usage text; NULL: hidden alias */
};

/* Designated rows keep the tables short: CLI_OPT_ARG("--topic", "...") */
#define CLI_OPT_FLAG(n, h)  { (n), false, false, false, (h) }
#define CLI_OPT_ARG(n, h)   { (n), true, false, false, (h) }
#define CLI_OPT_MULTI(n, h) { (n), true, true, false, (h) }
#define CLI_OPT_OPTARG(n, h) { (n), true, false, true, (h) }

#define CLI_OPTS_MAX 64

/* Parsed flags: for the table row i, n[i] values (flags without a value
 * count their occurrences).  Values point into argv. */
struct cli_args {
    const struct cli_opt *tab;
    int                   ntab;
    int                   n[CLI_OPTS_MAX];
    const char          **v[CLI_OPTS_MAX];
};

/* Parses argv[1..argc) (argv[0] is the subcommand) against tab.  Returns
 * 0, or ERR_MALFORMED with a one-line reason in err (unknown option, a
 * value missing, a value where none is taken, a non-repeatable option
 * given twice, a stray argument).  Free a with cli_args_free either way. */
int  cli_args_parse(struct cli_args *a, const struct cli_opt *tab, int ntab,
                    int argc, char **argv, char *err, size_t errlen);
void cli_args_free(struct cli_args *a); /* idempotent */
/* How often name was given (0 for a name not in the table). */
int  cli_args_count(const struct cli_args *a, const char *name);
/* The i-th value of name, or NULL. */
const char *cli_args_nth(const struct cli_args *a, const char *name, int i);
/* The last value of name, or NULL. */
const char *cli_args_get(const struct cli_args *a, const char *name);
/* The value of key in the "key=value" values of name (--property,
 * --config), the last one winning; NULL if absent. */
const char *cli_args_prop(const struct cli_args *a, const char *name,
                          const char *key);
/* Prints the table as usage lines. */
void cli_args_usage(FILE *f, const struct cli_opt *tab, int ntab);

/* A decimal integer within [min, max].  Returns 0 or ERR_MALFORMED. */
int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* ---- the client ---------------------------------------------------------- */

/* One connection to one broker, with the versions negotiated on it. */
struct cli_kconn {
    int     fd;      /* -1 when closed */
    int32_t node_id; /* -1 for a bootstrap connection */
    char    addr[300];
    int32_t corr;    /* last correlation id sent */
    int16_t ver[KMSG_API_MAX_KEY + 1]; /* chosen version, -1 not served */
};

struct cli_kbroker {
    int32_t           id;
    char             *host;
    int32_t           port;
    struct cli_kconn *conn; /* opened on first use */
};

struct cli_kafka {
    int                 timeout_ms;   /* connect and request deadline */
    struct cli_kconn   *boot;         /* the first bootstrap server reached */
    struct cli_kbroker *brokers;      /* from the last Metadata */
    int                 nbrokers;
    int32_t             controller_id;
    char               *cluster_id;
};

/* Connects to the first reachable server of a "host:port[,host:port]"
 * list, negotiating versions.  Returns 0, or < 0 (the error of the last
 * server tried: UV_ECONNREFUSED, ERR_TIMEOUT, ...).  Free k with
 * cli_kafka_close either way. */
int  cli_kafka_open(struct cli_kafka *k, const char *bootstrap,
                    int timeout_ms);
void cli_kafka_close(struct cli_kafka *k); /* idempotent */

/* Sends req (struct kmsg_<api>_req) on c at the negotiated version and,
 * unless resp is NULL (Produce with acks=0), waits for the answer and
 * decodes it into resp (struct kmsg_<api>_resp).  The response frame and
 * its arrays live in arena a (decoded strings borrow from it).  Returns 0,
 * ERR_UNSUPPORTED if the broker serves no common version, or an I/O error
 * (the connection is closed then). */
int cli_kafka_call(struct cli_kafka *k, struct cli_kconn *c, int api_key,
                   const void *req, void *resp, arena_t *a);
/* The version chosen for api_key on c, -1 if none. */
int16_t cli_kconn_version(const struct cli_kconn *c, int api_key);

/* Metadata for topics (ntopics < 0: all topics); refreshes the broker
 * list, the controller and the cluster id.  *out lives in a. */
int cli_kafka_metadata(struct cli_kafka *k, const char *const *topics,
                       int ntopics, bool auto_create,
                       struct kmsg_metadata_resp *out, arena_t *a);
/* The connection to broker node_id (from the last Metadata), opened on
 * first use.  Returns 0, ERR_NOTFOUND or a connect error. */
int cli_kafka_node(struct cli_kafka *k, int32_t node_id,
                   struct cli_kconn **out);
/* A topic's partitions and their leaders (index = partition id). */
struct cli_ktopic {
    int32_t  nparts;
    int32_t *leader; /* -1: no leader */
};
/* Metadata for one topic, asked again while the broker answers
 * LEADER_NOT_AVAILABLE (a topic being auto-created) or any partition has
 * no leader, until the timeout.  Returns 0, < 0 (I/O), or the Kafka
 * error code (> 0) of the topic.  out->leader lives in a. */
int cli_kafka_topic(struct cli_kafka *k, const char *topic, bool auto_create,
                    struct cli_ktopic *out, arena_t *a);

/* The controller's connection (Metadata v1+ controller_id); falls back to
 * the bootstrap connection when the broker names none. */
int cli_kafka_controller(struct cli_kafka *k, struct cli_kconn **out);
/* The group coordinator of group (FindCoordinator, retried while the
 * coordinator is loading).  Returns 0, < 0, or a positive Kafka error
 * code the broker answered. */
int cli_kafka_coordinator(struct cli_kafka *k, const char *group,
                          struct cli_kconn **out);

/* Kafka's name of an error code ("UNKNOWN_TOPIC_OR_PARTITION"). */
const char *cli_kafka_errname(int code);
/* The exit code for a C error from the functions above. */
int cli_kafka_exit_for(int rc);

/* Kafka's murmur2 (Utils.murmur2, seed 0x9747b28c) and the default
 * partitioner's choice for a key: toPositive(murmur2(key)) % n. */
int32_t cli_murmur2(const uint8_t *p, size_t n);
int32_t cli_kafka_partition_for(const uint8_t *key, size_t n, int32_t nparts);

/* Finds the brokers registered under /brokers/ids in ZooKeeper at zk
 * ("host:port[/chroot]") and writes a bootstrap list into *out (malloc'd).
 * Returns 0, ERR_NOTFOUND when no broker is registered, or < 0. */
int cli_kafka_zk_bootstrap(const char *zk, int timeout_ms, char **out);

/* Opens k towards bootstrap, or towards the brokers registered in
 * ZooKeeper at zookeeper when bootstrap is NULL; says why not in one line
 * on stderr ("odradek <prog>: ...").  Returns an exit code (0: open). */
int cli_kafka_connect(struct cli_kafka *k, const char *prog,
                      const char *bootstrap, const char *zookeeper,
                      int timeout_ms);

/* ---- decoders of peer bytes (exposed for unit tests and fuzzing) -------- */

/* Appends "host:port" (comma-separated after the first) for one
 * /brokers/ids/<id> JSON text: its first "endpoints" entry, else its
 * "host" and "port".  Returns false if neither is there. */
bool cli_kafka_zk_broker_addr(const char *json, buf_t *out);

/* cli_consume.c: the consumer protocol's embedded bytes (Kafka's
 * ConsumerProtocolSubscription / ConsumerProtocolAssignment, v0 layout;
 * later versions only append fields). */
struct cli_gmember {
    slice_t id;
    bool    subscribed; /* to the topic being assigned */
    buf_t   assignment; /* out: a ConsumerProtocolAssignment */
};
/* True if a member's subscription names topic. */
bool cli_consume_subscribes(slice_t meta, const char *topic);
/* The range assignor (Kafka's RangeAssignor) of topic's nparts
 * partitions over the members subscribed to it, sorted by member id: each
 * gets a contiguous range, the first nparts % n one more.  Sorts m;
 * fills every m[i].assignment (the caller frees them). */
void cli_consume_range(struct cli_gmember *m, int nm, const char *topic, int32_t nparts);
/* The partitions of topic (each < nparts) in an assignment, into *parts
 * (malloc'd, *n of them).  Returns 0 or ERR_SHORT / ERR_MALFORMED. */
int cli_consume_assignment_parts(slice_t as, const char *topic, int32_t nparts,
                                 int32_t **parts, int *n);

/* ---- output --------------------------------------------------------------- */

/* A JSON string literal of s[0..n) (n < 0: NUL-terminated; NULL: null). */
void cli_json_str(FILE *f, const char *s, long n);
/* A slice as a C string in arena a ("" for null). */
char *cli_sdup(arena_t *a, slice_t s);
/* A slice from a C string (NULL: a null slice). */
slice_t cli_slice(const char *s);

#endif
