/* kf_zk: the broker's cluster state in the coordination service (odradek-
 * coord or a real ZooKeeper), in Kafka 2.8's znode layout and JSON shapes
 * (reference/kafka-protocol.md §6), so tools that read Kafka's znodes
 * read ours.
 *
 * It owns: the ZooKeeper session of the broker (lib/zk/zk_client), the
 * chroot of zookeeper.connect (created if missing, as Kafka does), the
 * persistent roots Kafka creates at start, /cluster/id (created, or
 * checked against meta.properties), the ephemeral /brokers/ids/<id>, the
 * controller election (ephemeral /controller, /controller_epoch), and the
 * mirror of the topic registry: /brokers/topics/<t> (+ partition state),
 * /config/topics/<t> with /config/changes notifications, and the
 * requests other tools leave: topics created under /brokers/topics,
 * deletions under /admin/delete_topics, config changes under
 * /config/changes.  It does not own: topics themselves (kf_topics; this
 * module observes it and applies remote changes through it).
 *
 * Availability: start-up waits for a session up to
 * zookeeper.connection.timeout.ms (then kf_zk_start fails: the broker
 * exits non-zero and a supervisor restarts it), and for the registration
 * (an ephemeral left by a killed predecessor disappears when its session
 * times out).  Afterwards the broker keeps serving while the service is
 * away; every (re)connection and every new session after expiry re-runs
 * the whole, idempotent, reconciliation: ephemerals re-created, controller
 * re-elected, topics written again if they are missing. */
#ifndef ODRADEK_KF_ZK_H
#define ODRADEK_KF_ZK_H

#include <stdbool.h>
#include <stdint.h>

struct kf_broker;

/* Connects, registers and elects (blocking: runs the loop until done or
 * timed out; call before serving).  Returns 0, or < 0 with *what set:
 * ERR_TIMEOUT (no session / no registration in time), ERR_CONFIG
 * (cluster.id in meta.properties differs from /cluster/id). */
int kf_zk_start(struct kf_broker *b, const char **what);
/* Ends the session (its ephemerals go with it: deregistration) and frees
 * everything once the client has let go.  Safe if never started. */
void kf_zk_stop(struct kf_broker *b);

/* For Metadata / the UI: the controller's broker id (-1 unknown), whether
 * a session is up now. */
int32_t kf_zk_controller(const struct kf_broker *b);
bool    kf_zk_connected(const struct kf_broker *b);

/* The broker's session, for read-only browsing (the UI's coordination
 * tree): NULL when there is none or it is not connected now.  The client
 * has no chroot of its own (paths are absolute in the service: prefix
 * zookeeper.connect's chroot, kc->zk_chroot, yourself); it lives until
 * kf_zk_stop, which fails the requests still pending (ZK_ECLOSING). */
struct zk_client;
struct zk_client *kf_zk_client(const struct kf_broker *b);

#endif
