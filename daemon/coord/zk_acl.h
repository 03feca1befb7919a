/* zk_acl: ACL lists, identities and permission checks (ZooKeeper 3.8).
 *
 * Owns: interned ACL lists (nodes share identical lists, as ZooKeeper's
 * ReferenceCountedACLCache does), a session's identities (ip, digest,
 * super), the check of a permission against a list, ACL fixup when a list
 * is set (the "auth" scheme, validation, duplicates), and the digest
 * scheme's hash: base64(sha1("user:password")).
 * Does not own: which op needs which permission (zk_tree). */
#ifndef ODRADEK_ZK_ACL_H
#define ODRADEK_ZK_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "zk_jute.h"

struct zk_aclent {
    int32_t perms;
    char   *scheme; /* owned */
    char   *id;     /* owned */
};

struct zk_aclset {
    uint32_t          refs;
    uint32_t          hash;
    int32_t           n;
    struct zk_aclent *v;
    struct zk_aclset *next;
};

struct zk_aclsets {
    struct zk_aclset *head;
    uint32_t          n;
};

#define ZK_AUTH_MAX_IDS 16

struct zk_auth_id {
    char  scheme[16];
    char *id;        /* owned by the auth struct */
};

/* Who a session is.  trusted skips permission checks (super digest, and
 * replay of the txn log, where every request was already checked). */
struct zk_auth {
    bool              trusted;
    int               nids;
    struct zk_auth_id ids[ZK_AUTH_MAX_IDS];
};

void zk_acl_auth_free(struct zk_auth *a); /* idempotent */
/* Adds an identity (copied); duplicates and overflow are ignored. */
void zk_acl_auth_add(struct zk_auth *a, const char *scheme, const char *id);

/* Interns a list: returns a referenced set (refs + 1). */
struct zk_aclset *zk_acl_intern(struct zk_aclsets *s, const struct zk_acl *v,
                                int32_t n);
void zk_acl_ref(struct zk_aclset *set);
void zk_acl_unref(struct zk_aclsets *s, struct zk_aclset *set);
void zk_acl_sets_free(struct zk_aclsets *s);

/* True if auth may do perm on a node with this list. */
bool zk_acl_check(const struct zk_aclset *set, int32_t perm,
                  const struct zk_auth *auth);
/* PrepRequestProcessor.fixupACL: "auth" entries become every digest id of
 * the session (none: INVALIDACL), each entry is validated (world:anyone,
 * digest user:hash, ip address[/bits]; other schemes INVALIDACL), exact
 * duplicates are removed, an empty list is INVALIDACL.  Rewrites v and n
 * into the arena.  Returns 0 or ZK_EINVALIDACL. */
int32_t zk_acl_fixup(struct zk_acl **v, int32_t *n, const struct zk_auth *auth,
                     arena_t *a);
/* "user:password" gives "user:" + base64 of sha1("user:password") in out (size >=
 * n + 32).  Returns 0, or ERR_MALFORMED without a ':'. */
int  zk_acl_digest(const char *userpass, size_t n, char *out, size_t outsz);
/* SHA-1 (FIPS 180-4) of p[0, n) into md[20]. */
void zk_acl_sha1(const void *p, size_t n, uint8_t md[20]);

#endif
