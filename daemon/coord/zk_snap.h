/* zk_snap: snapshots of the whole state (sessions + znodes) and loading
 * the newest valid one at recovery.
 *
 * Owns: the file format <dataDir>/snapshot.<16 hex digits: last zxid>
 * ("ODZS", version, zxid, sessions, nodes in pre-order, crc32c trailer),
 * writing it off the event loop (temp file, fdatasync, rename, directory
 * fsync: a crash leaves either the old set or the new file, never half a
 * snapshot under the real name), loading, and retention.
 * Does not own: when to snapshot (zk_server), the log (zk_log).
 *
 * The daemon snapshots from a forked child (zk_snap_fork): the kernel's
 * copy-on-write gives it a frozen image of the tree at one zxid while the
 * parent goes on serving; replaying the logs after that zxid reproduces
 * the later state.  zk_snap_serialize/zk_snap_write are the in-memory
 * path (tests, fuzzing). */
#ifndef ODRADEK_ZK_SNAP_H
#define ODRADEK_ZK_SNAP_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "buf.h"
#include "zk_tree.h"

/* Writes the snapshot of t as it is now from a forked child process (the
 * copy-on-write image of the tree), so the event loop does not pause to
 * serialise it.  Returns the child's pid (it exits 0 once the file is
 * durable under its final name, non-zero on failure), or < 0. */
pid_t zk_snap_fork(const zk_tree_t *t, const char *dir);
/* Appends the serialised state of t (at t->zxid) to out. */
void zk_snap_serialize(const zk_tree_t *t, buf_t *out);
/* Restores a serialised state into t, which must be freshly initialised.
 * Returns 0 or ERR_CORRUPT (t is then unusable: free and re-init). */
int  zk_snap_parse(zk_tree_t *t, const uint8_t *p, size_t n, int64_t *zxid);

/* Blocking: writes b as the snapshot for zxid into dir.  0 or < 0. */
int  zk_snap_write(const char *dir, int64_t zxid, const buf_t *b);
/* Blocking: loads the newest snapshot that verifies (corrupt ones are
 * skipped and logged by the caller via *skipped).  Returns 1 loaded, 0
 * none found, < 0 I/O error.  *zxid = the snapshot's zxid (0 if none). */
int  zk_snap_load(const char *dir, zk_tree_t *t, int64_t *zxid, int *skipped);
/* Blocking: keeps the newest retain snapshots, deletes older ones; returns
 * the zxid of the oldest kept (logs up to it may go), or 0 if none. */
int64_t zk_snap_purge(const char *dir, int retain);

#endif
