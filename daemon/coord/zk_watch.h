/* zk_watch: who watches which path, and which watches an event fires.
 *
 * Owns: one-shot data watches (set by getData, and by exists whether or
 * not the node exists: ZooKeeper keeps exist watches with data watches),
 * one-shot child watches (getChildren), and 3.6+ persistent and
 * persistent-recursive watches (addWatch); their removal with the owner
 * (a connection) or by removeWatches.
 * Does not own: sending events (the trigger callback does), sessions.
 *
 * Firing (WatchManager.triggerWatch, ZooKeeper 3.8): an event on path P
 * fires P's one-shot data watches for NodeCreated/NodeDeleted/
 * NodeDataChanged and P's one-shot child watches for
 * NodeChildrenChanged/NodeDeleted (one-shots are removed), P's persistent
 * watches for every type, and persistent-recursive watches on P or any
 * ancestor for every type but NodeChildrenChanged.  An owner gets at most
 * one notification per event. */
#ifndef ODRADEK_ZK_WATCH_H
#define ODRADEK_ZK_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum zk_watch_kind {
    ZK_WATCH_DATA = 0,   /* one-shot: getData / exists */
    ZK_WATCH_CHILD,      /* one-shot: getChildren(2) */
    ZK_WATCH_PERSISTENT, /* addWatch mode 0 */
    ZK_WATCH_RECURSIVE,  /* addWatch mode 1 */
    ZK_WATCH_KINDS
};

struct zk_wpath;

struct zk_watch {
    struct zk_watch  *pnext, *pprev;  /* the path's watches */
    struct zk_watch  *onext, *oprev;  /* the owner's watches */
    struct zk_watch **ohead;          /* the owner's list head */
    struct zk_wpath  *wp;
    void             *owner;
    uint8_t           kind;
};

struct zk_wpath {
    char            *path;
    uint32_t         plen, hash;
    struct zk_wpath *hnext;
    struct zk_watch *head;
    uint32_t         n;
};

typedef struct zk_watches {
    struct zk_wpath **tab;
    uint32_t          mask;
    uint32_t          npaths;
    uint32_t          nwatches;
    uint32_t          nrecursive;
} zk_watches_t;

void zk_watch_init(zk_watches_t *w);
void zk_watch_free(zk_watches_t *w); /* idempotent; drops every watch */

/* Adds a watch for owner unless the same (owner, kind, path) exists.
 * *ohead is the owner's list (a zeroed pointer to start). */
void zk_watch_add(zk_watches_t *w, void *owner, struct zk_watch **ohead,
                  int kind, const char *path, size_t len);
/* Drops every watch of an owner. */
void zk_watch_drop_owner(zk_watches_t *w, struct zk_watch **ohead);
/* removeWatches/checkWatches of one owner on one path; wtype is
 * ZK_WTYPE_*.  Removes unless dry_run.  Returns how many matched. */
int  zk_watch_remove(zk_watches_t *w, struct zk_watch **ohead,
                     const char *path, size_t len, int32_t wtype, bool dry_run);
/* True if owner has a watch of this kind on path. */
bool zk_watch_has(const zk_watches_t *w, const void *owner, int kind,
                  const char *path, size_t len);

typedef void zk_watch_fire_fn(void *owner, int32_t type, const char *path,
                              size_t len, void *arg);
/* Fires the watches an event of this type on path triggers (see top).
 * Returns the number of notifications. */
int  zk_watch_trigger(zk_watches_t *w, int32_t type, const char *path,
                      size_t len, zk_watch_fire_fn *fire, void *arg);

/* Visits every watch (for wchc/wchp); the path is NUL-terminated. */
void zk_watch_each(const zk_watches_t *w,
                   void (*fn)(const struct zk_watch *wt, void *arg), void *arg);

#endif
