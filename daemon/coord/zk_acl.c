/* zk_acl: ACL interning, identities, checks, fixup and the digest hash.
 * See zk_acl.h.  Semantics follow ZooKeeper 3.8's ZooKeeperServer.checkACL
 * and PrepRequestProcessor.fixupACL. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"
#include "zk_acl.h"

/* -- identities -------------------------------------------------------- */

void zk_acl_auth_free(struct zk_auth *a)
{
    int i;

    for (i = 0; i < a->nids; i++)
        free(a->ids[i].id);
    a->nids = 0;
}

void zk_acl_auth_add(struct zk_auth *a, const char *scheme, const char *id)
{
    int i;

    for (i = 0; i < a->nids; i++)
        if (strcmp(a->ids[i].scheme, scheme) == 0 &&
            strcmp(a->ids[i].id, id) == 0)
            return;
    if (a->nids == ZK_AUTH_MAX_IDS)
        return;
    snprintf(a->ids[a->nids].scheme, sizeof a->ids[0].scheme, "%s", scheme);
    a->ids[a->nids].id = xstrdup(id);
    a->nids++;
}

/* -- interning ------------------------------------------------------------ */

static uint32_t hash_acl(const struct zk_acl *v, int32_t n)
{
    uint32_t h = 2166136261u;
    int32_t  i, j;

    for (i = 0; i < n; i++) {
        h = (h ^ (uint32_t)v[i].perms) * 16777619u;
        for (j = 0; j < v[i].scheme.n; j++)
            h = (h ^ v[i].scheme.p[j]) * 16777619u;
        h = (h ^ ':') * 16777619u;
        for (j = 0; j < v[i].id.n; j++)
            h = (h ^ v[i].id.p[j]) * 16777619u;
        h = (h ^ ';') * 16777619u;
    }
    return h;
}

static bool same(const struct zk_aclset *s, const struct zk_acl *v, int32_t n)
{
    int32_t i;

    if (s->n != n)
        return false;
    for (i = 0; i < n; i++) {
        if (s->v[i].perms != v[i].perms || !slice_eq(v[i].scheme, s->v[i].scheme) ||
            !slice_eq(v[i].id, s->v[i].id))
            return false;
    }
    return true;
}

struct zk_aclset *zk_acl_intern(struct zk_aclsets *s, const struct zk_acl *v,
                                int32_t n)
{
    uint32_t          h = hash_acl(v, n < 0 ? 0 : n);
    struct zk_aclset *set;
    int32_t           i;

    if (n < 0)
        n = 0;
    for (set = s->head; set; set = set->next) {
        if (set->hash == h && same(set, v, n)) {
            set->refs++;
            return set;
        }
    }
    set = xcalloc(1, sizeof *set);
    set->refs = 1;
    set->hash = h;
    set->n = n;
    set->v = xcalloc((size_t)(n ? n : 1), sizeof *set->v);
    for (i = 0; i < n; i++) {
        set->v[i].perms = v[i].perms;
        set->v[i].scheme = slice_dup(v[i].scheme.n < 0 ? (slice_t){ (const uint8_t *)"", 0 }
                                                       : v[i].scheme);
        set->v[i].id = slice_dup(v[i].id.n < 0 ? (slice_t){ (const uint8_t *)"", 0 }
                                               : v[i].id);
    }
    set->next = s->head;
    s->head = set;
    s->n++;
    return set;
}

void zk_acl_ref(struct zk_aclset *set)
{
    set->refs++;
}

static void set_free(struct zk_aclset *set)
{
    int32_t i;

    for (i = 0; i < set->n; i++) {
        free(set->v[i].scheme);
        free(set->v[i].id);
    }
    free(set->v);
    free(set);
}

void zk_acl_unref(struct zk_aclsets *s, struct zk_aclset *set)
{
    struct zk_aclset **pp;

    if (set == NULL || --set->refs > 0)
        return;
    for (pp = &s->head; *pp; pp = &(*pp)->next) {
        if (*pp == set) {
            *pp = set->next;
            s->n--;
            break;
        }
    }
    set_free(set);
}

void zk_acl_sets_free(struct zk_aclsets *s)
{
    struct zk_aclset *set, *next;

    for (set = s->head; set; set = next) {
        next = set->next;
        set_free(set);
    }
    s->head = NULL;
    s->n = 0;
}

/* -- checks --------------------------------------------------------------- */

/* IPAuthenticationProvider.matches: "a.b.c.d" or "a.b.c.d/bits". */
static bool ip_matches(const char *who, const char *acl)
{
    char           addr[64];
    const char    *slash = strchr(acl, '/');
    struct in_addr a, b;
    int            bits = 32;
    uint32_t       mask;

    if (slash) {
        size_t l = (size_t)(slash - acl);

        if (l >= sizeof addr)
            return false;
        memcpy(addr, acl, l);
        addr[l] = 0;
        bits = atoi(slash + 1);
        if (bits < 0 || bits > 32)
            return false;
    } else {
        snprintf(addr, sizeof addr, "%s", acl);
    }
    if (inet_pton(AF_INET, addr, &a) != 1 || inet_pton(AF_INET, who, &b) != 1)
        return strcmp(who, addr) == 0 && bits == 32;
    mask = bits == 0 ? 0 : htonl(~0u << (32 - bits));
    return (a.s_addr & mask) == (b.s_addr & mask);
}

bool zk_acl_check(const struct zk_aclset *set, int32_t perm,
                  const struct zk_auth *auth)
{
    int32_t i;
    int     j;

    if (auth == NULL || auth->trusted)
        return true;
    if (set == NULL || set->n == 0)
        return true; /* ZooKeeper: an empty ACL list allows everything */
    for (i = 0; i < set->n; i++) {
        const struct zk_aclent *e = &set->v[i];

        if ((e->perms & perm) == 0)
            continue;
        if (strcmp(e->scheme, "world") == 0 && strcmp(e->id, "anyone") == 0)
            return true;
        for (j = 0; j < auth->nids; j++) {
            const struct zk_auth_id *id = &auth->ids[j];

            if (strcmp(id->scheme, e->scheme) != 0)
                continue;
            if (strcmp(e->scheme, "ip") == 0 ? ip_matches(id->id, e->id)
                                             : strcmp(id->id, e->id) == 0)
                return true;
        }
    }
    return false;
}

static bool valid_ip_acl(slice_t id)
{
    char           tmp[64], *slash;
    struct in_addr a;
    struct in6_addr a6;

    if (id.n <= 0 || (size_t)id.n >= sizeof tmp)
        return false;
    memcpy(tmp, id.p, (size_t)id.n);
    tmp[id.n] = 0;
    slash = strchr(tmp, '/');
    if (slash) {
        char *end;
        long  bits = strtol(slash + 1, &end, 10);

        if (*end || end == slash + 1 || bits < 0 || bits > 128)
            return false;
        *slash = 0;
    }
    return inet_pton(AF_INET, tmp, &a) == 1 || inet_pton(AF_INET6, tmp, &a6) == 1;
}

int32_t zk_acl_fixup(struct zk_acl **v, int32_t *n, const struct zk_auth *auth,
                     arena_t *a)
{
    struct zk_acl *in = *v, *out;
    int32_t        i, k, nout = 0, cap;
    int            j;

    if (*n <= 0)
        return ZK_EINVALIDACL;
    cap = *n + (auth ? auth->nids : 0) * *n;
    out = arena_calloc(a, (size_t)cap, sizeof *out);
    for (i = 0; i < *n; i++) {
        struct zk_acl e = in[i];

        if (e.scheme.n < 0 || e.id.n < 0)
            return ZK_EINVALIDACL;
        if (slice_eq(e.scheme, "auth")) {
            bool any = false;

            for (j = 0; auth && j < auth->nids; j++) {
                if (strcmp(auth->ids[j].scheme, "ip") == 0)
                    continue; /* ip is not an "authenticated" scheme */
                out[nout].perms = e.perms;
                out[nout].scheme.p = (const uint8_t *)arena_strndup(
                    a, auth->ids[j].scheme, strlen(auth->ids[j].scheme));
                out[nout].scheme.n = (int32_t)strlen(auth->ids[j].scheme);
                out[nout].id.p = (const uint8_t *)arena_strndup(
                    a, auth->ids[j].id, strlen(auth->ids[j].id));
                out[nout].id.n = (int32_t)strlen(auth->ids[j].id);
                nout++;
                any = true;
            }
            if (!any)
                return ZK_EINVALIDACL;
            continue;
        }
        if (slice_eq(e.scheme, "world")) {
            if (!slice_eq(e.id, "anyone"))
                return ZK_EINVALIDACL;
        } else if (slice_eq(e.scheme, "digest")) {
            if (e.id.n == 0 || memchr(e.id.p, ':', (size_t)e.id.n) == NULL)
                return ZK_EINVALIDACL;
        } else if (slice_eq(e.scheme, "ip")) {
            if (!valid_ip_acl(e.id))
                return ZK_EINVALIDACL;
        } else if (slice_eq(e.scheme, "super")) {
            /* accepted like ZooKeeper's "super" pseudo-scheme */
        } else {
            return ZK_EINVALIDACL;
        }
        out[nout++] = e;
    }
    /* removeDuplicates: keep the first of equal entries. */
    for (i = 0, k = 0; i < nout; i++) {
        int32_t m;
        bool    dup = false;

        for (m = 0; m < k; m++) {
            if (out[m].perms == out[i].perms &&
                out[m].scheme.n == out[i].scheme.n &&
                out[m].id.n == out[i].id.n &&
                memcmp(out[m].scheme.p, out[i].scheme.p, (size_t)out[i].scheme.n) == 0 &&
                memcmp(out[m].id.p, out[i].id.p, (size_t)out[i].id.n) == 0) {
                dup = true;
                break;
            }
        }
        if (!dup)
            out[k++] = out[i];
    }
    if (k == 0)
        return ZK_EINVALIDACL;
    *v = out;
    *n = k;
    return ZK_OK;
}

/* -- digest --------------------------------------------------------------- */

static uint32_t rol(uint32_t x, int s)
{
    return x << s | x >> (32 - s);
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80], a, b, c, d, e, f, k, t;
    int      i;

    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (i = 0; i < 80; i++) {
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5a827999;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ed9eba1;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
        else
            f = b ^ c ^ d, k = 0xca62c1d6;
        t = rol(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void zk_acl_sha1(const void *data, size_t n, uint8_t md[20])
{
    uint32_t       h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                            0xc3d2e1f0 };
    const uint8_t *p = data;
    uint8_t        tail[128];
    size_t         i, rest, tl;
    uint64_t       bits = (uint64_t)n * 8;

    for (i = 0; i + 64 <= n; i += 64)
        sha1_block(h, p + i);
    rest = n - i;
    memset(tail, 0, sizeof tail);
    memcpy(tail, p + i, rest);
    tail[rest] = 0x80;
    tl = rest + 1 + 8 <= 64 ? 64 : 128;
    for (i = 0; i < 8; i++)
        tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, tail);
    if (tl == 128)
        sha1_block(h, tail + 64);
    for (i = 0; i < 5; i++) {
        md[4 * i] = (uint8_t)(h[i] >> 24);
        md[4 * i + 1] = (uint8_t)(h[i] >> 16);
        md[4 * i + 2] = (uint8_t)(h[i] >> 8);
        md[4 * i + 3] = (uint8_t)h[i];
    }
}

int zk_acl_digest(const char *userpass, size_t n, char *out, size_t outsz)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *colon = memchr(userpass, ':', n);
    uint8_t     md[21];
    size_t      ul, i, o;

    if (colon == NULL)
        return ERR_MALFORMED;
    ul = (size_t)(colon - userpass);
    if (outsz < ul + 1 + 28 + 1)
        return ERR_TOO_BIG;
    zk_acl_sha1(userpass, n, md);
    md[20] = 0;
    memcpy(out, userpass, ul);
    o = ul;
    out[o++] = ':';
    /* 20 bytes -> 28 base64 chars with one '=' of padding. */
    for (i = 0; i < 21; i += 3) {
        uint32_t v = (uint32_t)md[i] << 16 | (uint32_t)md[i + 1] << 8 |
                     (i + 2 < 21 ? md[i + 2] : 0);

        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = b64[v & 63];
    }
    /* The last group encoded md[18], md[19] and a zero pad byte. */
    out[o - 1] = '=';
    out[o] = 0;
    return 0;
}
