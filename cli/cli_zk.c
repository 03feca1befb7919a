/* cli_zk: `odradek zk`, zkCli.sh's commands over lib/zk's client.
 *
 *   odradek zk [-server host:port[/chroot]] [-timeout ms] CMD ARGS...
 *   odradek zk [-server host:port]            (interactive shell)
 *
 * Output follows zkCli.sh 3.8 (stat lines, "Created /x", getAcl's
 * 'scheme,'id lines) so that scripts written for zkCli keep working.
 * Exit codes: 0 done, 1 the server refused (no node, bad version, ...),
 * 2 usage, 3 the server cannot be reached.
 *
 * The client is asynchronous; this file runs its loop until each reply
 * arrives (zc_call), copying the reply out of the callback, so each command
 * reads as straight-line code. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "xalloc.h"
#include "zk_client.h"

#define ZC_EXIT_OK      0
#define ZC_EXIT_FAILED  1
#define ZC_EXIT_USAGE   2
#define ZC_EXIT_CONNECT 3

struct zc_res {
    int32_t        err;
    bool           has_stat;
    struct zk_stat stat;
    buf_t          data;
    int32_t        dlen;
    char          *path;
    char         **children;
    int32_t        nchildren;
    char         **acl_text;  /* "'scheme,'id" per entry */
    int32_t       *acl_perms;
    int32_t        nacl;
};

struct zc {
    uv_loop_t     loop;
    uv_timer_t    timer;
    zk_client_t  *c;
    const char   *server;
    int           timeout_ms;
    bool          interactive;
    bool          done, timed_out, closed;
    struct zc_res res;
};

static void zc_res_free(struct zc_res *r)
{
    int32_t i;

    buf_free(&r->data);
    free(r->path);
    for (i = 0; i < r->nchildren; i++)
        free(r->children[i]);
    free(r->children);
    for (i = 0; i < r->nacl; i++)
        free(r->acl_text[i]);
    free(r->acl_text);
    free(r->acl_perms);
    memset(r, 0, sizeof *r);
}

static int zc_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void zc_on_reply(zk_client_t *c, const struct zk_result *res, void *arg)
{
    struct zc *z = arg;
    int32_t    i;

    (void)c;
    zc_res_free(&z->res);
    z->res.err = res->err;
    if (res->stat != NULL) {
        z->res.has_stat = true;
        z->res.stat = *res->stat;
    }
    z->res.dlen = res->dlen;
    if (res->data != NULL && res->dlen > 0)
        buf_put(&z->res.data, res->data, (size_t)res->dlen);
    if (res->path != NULL)
        z->res.path = xstrdup(res->path);
    if (res->children != NULL && res->nchildren > 0) {
        z->res.children = xcalloc((size_t)res->nchildren, sizeof(char *));
        for (i = 0; i < res->nchildren; i++)
            z->res.children[i] = xstrdup(res->children[i]);
        z->res.nchildren = res->nchildren;
        /* zkCli prints children sorted */
        qsort(z->res.children, (size_t)z->res.nchildren, sizeof(char *), zc_cmp);
    }
    if (res->acl != NULL && res->nacl > 0) {
        z->res.acl_text = xcalloc((size_t)res->nacl, sizeof(char *));
        z->res.acl_perms = xcalloc((size_t)res->nacl, sizeof(int32_t));
        for (i = 0; i < res->nacl; i++) {
            z->res.acl_text[i] = xasprintf("'%.*s,'%.*s", res->acl[i].scheme.n,
                                           (const char *)res->acl[i].scheme.p,
                                           res->acl[i].id.n,
                                           (const char *)res->acl[i].id.p);
            z->res.acl_perms[i] = res->acl[i].perms;
        }
        z->res.nacl = res->nacl;
    }
    z->done = true;
}

static const char *zc_event_name(int32_t type)
{
    switch (type) {
    case ZK_EVENT_CREATED: return "NodeCreated";
    case ZK_EVENT_DELETED: return "NodeDeleted";
    case ZK_EVENT_DATA_CHANGED: return "NodeDataChanged";
    case ZK_EVENT_CHILDREN_CHANGED: return "NodeChildrenChanged";
    default: return "None";
    }
}

static void zc_on_watch(zk_client_t *c, int32_t type, const char *path,
                        void *arg)
{
    (void)c;
    (void)arg;
    printf("\nWATCHER::\n\nWatchedEvent state:SyncConnected type:%s path:%s\n",
           zc_event_name(type), path);
    fflush(stdout);
}

static void zc_on_timeout(uv_timer_t *t)
{
    struct zc *z = t->data;

    z->timed_out = true;
}

/* Runs the loop until the queued request's reply arrived (0) or the
 * timeout passed (ERR_TIMEOUT). */
static int zc_wait(struct zc *z)
{
    z->timed_out = false;
    uv_timer_start(&z->timer, zc_on_timeout, (uint64_t)z->timeout_ms, 0);
    while (!z->done && !z->timed_out)
        uv_run(&z->loop, UV_RUN_ONCE);
    uv_timer_stop(&z->timer);
    if (!z->done) {
        fprintf(stderr, "odradek zk: no answer from %s within %d ms (server down?)\n",
                z->server, z->timeout_ms);
        return ERR_TIMEOUT;
    }
    return 0;
}

/* Issue rc (the result of a zk_client_* call) and wait.  Returns the
 * ZooKeeper error (0..), or ERR_TIMEOUT / a negative local error. */
static int zc_done(struct zc *z, int rc)
{
    if (rc < 0) {
        fprintf(stderr, "odradek zk: %s\n", err_str(rc));
        return rc;
    }
    rc = zc_wait(z);
    if (rc < 0)
        return rc;
    return z->res.err;
}

#define ZC_CALL(z, expr) ((z)->done = false, zc_done((z), (expr)))

static void zc_print_time(const char *name, int64_t ms)
{
    time_t    t = (time_t)(ms / 1000);
    struct tm tm;
    char      s[64];

    localtime_r(&t, &tm);
    strftime(s, sizeof s, "%a %b %d %H:%M:%S %Z %Y", &tm);
    printf("%s = %s\n", name, s);
}

static void zc_print_stat(const struct zk_stat *st)
{
    printf("cZxid = 0x%" PRIx64 "\n", (uint64_t)st->czxid);
    zc_print_time("ctime", st->ctime);
    printf("mZxid = 0x%" PRIx64 "\n", (uint64_t)st->mzxid);
    zc_print_time("mtime", st->mtime);
    printf("pZxid = 0x%" PRIx64 "\n", (uint64_t)st->pzxid);
    printf("cversion = %d\n", st->cversion);
    printf("dataVersion = %d\n", st->version);
    printf("aclVersion = %d\n", st->aversion);
    printf("ephemeralOwner = 0x%" PRIx64 "\n", (uint64_t)st->ephemeral_owner);
    printf("dataLength = %d\n", st->data_length);
    printf("numChildren = %d\n", st->num_children);
}

/* zkCli's wording for the errors people meet, then the generic name. */
static int zc_fail(int32_t err, const char *path)
{
    switch (err) {
    case ZK_ENONODE:
        fprintf(stderr, "Node does not exist: %s\n", path);
        break;
    case ZK_ENODEEXISTS:
        fprintf(stderr, "Node already exists: %s\n", path);
        break;
    case ZK_ENOTEMPTY:
        fprintf(stderr, "Node not empty: %s\n", path);
        break;
    case ZK_EBADVERSION:
        fprintf(stderr, "version No is not valid : %s\n", path);
        break;
    case ZK_ENOAUTH:
        fprintf(stderr, "Insufficient permission : %s\n", path);
        break;
    case ZK_ENOCHILDRENFOREPHEMERALS:
        fprintf(stderr, "Ephemerals cannot have children: %s\n", path);
        break;
    default:
        if (err < -4096 || err == ERR_TIMEOUT)
            return ZC_EXIT_CONNECT;
        fprintf(stderr, "odradek zk: %s: %s\n", path, zk_jute_err_name(err));
    }
    return ZC_EXIT_FAILED;
}

static int zc_result(int rc, const char *path)
{
    if (rc == ERR_TIMEOUT)
        return ZC_EXIT_CONNECT;
    if (rc < 0 && rc < -4096)
        return ZC_EXIT_FAILED;
    return rc == 0 ? ZC_EXIT_OK : zc_fail(rc, path);
}

/* Flags of the form -s -w -e ... before the positional arguments.
 * Returns the index of the first positional argument, or -1 after
 * printing a usage line. */
static int zc_flags(int argc, char **argv, const char *allowed,
                    const char *with_value, bool *seen, char **values)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *p;

        if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0)
            break;
        if (a[2] != '\0' || (p = strchr(allowed, a[1])) == NULL) {
            fprintf(stderr, "odradek zk %s: unknown option %s\n", argv[0], a);
            return -1;
        }
        seen[p - allowed] = true;
        if (with_value != NULL && strchr(with_value, a[1]) != NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "odradek zk %s: %s needs a value\n", argv[0], a);
                return -1;
            }
            values[p - allowed] = argv[++i];
        }
    }
    return i;
}

static int zc_need(int argc, int first, int n, const char *usage)
{
    if (first < 0)
        return -1;
    if (argc - first < n) {
        fprintf(stderr, "usage: odradek zk %s\n", usage);
        return -1;
    }
    return 0;
}

/* The subtree at root, breadth first, root first (ZKUtil's order): a
 * malloc'd array of malloc'd paths in *out, its length in *n.  With
 * tolerate_gone, nodes deleted meanwhile are skipped.  Returns 0 or the
 * first error (the list so far is still returned). */
static int zc_subtree(struct zc *z, const char *root, bool tolerate_gone,
                      char ***out, size_t *n)
{
    char  **list = xcalloc(16, sizeof(char *));
    size_t  cap = 16, head = 0;
    int     rc = 0, i;

    *n = 0;
    list[(*n)++] = xstrdup(root);
    while (head < *n) {
        const char *p = list[head++];

        rc = ZC_CALL(z, zk_client_children(z->c, p, false, zc_on_reply, z));
        if (rc == ZK_ENONODE && tolerate_gone && head > 1) {
            rc = 0;
            continue;
        }
        if (rc != 0)
            break;
        for (i = 0; i < z->res.nchildren; i++) {
            if (*n == cap)
                list = xrealloc(list, (cap *= 2) * sizeof(char *));
            list[(*n)++] = xasprintf("%s%s%s", p, strcmp(p, "/") ? "/" : "",
                                     z->res.children[i]);
        }
    }
    *out = list;
    return rc;
}

static void zc_list_free(char **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static int zc_ls(struct zc *z, int argc, char **argv)
{
    bool  f[3] = { 0 };
    char *v[3] = { 0 };
    int   a = zc_flags(argc, argv, "swR", NULL, f, v), rc, i;
    const char *path;

    if (zc_need(argc, a, 1, "ls [-s] [-w] [-R] path") < 0)
        return ZC_EXIT_USAGE;
    path = argv[a];
    if (f[2]) { /* -R: breadth first, the path itself first, as ZKUtil */
        char  **list;
        size_t  n, k;

        rc = zc_subtree(z, path, false, &list, &n);
        if (rc == 0)
            for (k = 0; k < n; k++)
                printf("%s\n", list[k]);
        zc_list_free(list, n);
        return zc_result(rc, path);
    }
    rc = ZC_CALL(z, zk_client_children(z->c, path, f[1], zc_on_reply, z));
    if (rc != 0)
        return zc_result(rc, path);
    printf("[");
    for (i = 0; i < z->res.nchildren; i++)
        printf("%s%s", i ? ", " : "", z->res.children[i]);
    printf("]\n");
    if (f[0] && z->res.has_stat)
        zc_print_stat(&z->res.stat);
    return ZC_EXIT_OK;
}

static int zc_get(struct zc *z, int argc, char **argv)
{
    bool  f[2] = { 0 };
    char *v[2] = { 0 };
    int   a = zc_flags(argc, argv, "sw", NULL, f, v), rc;

    if (zc_need(argc, a, 1, "get [-s] [-w] path") < 0)
        return ZC_EXIT_USAGE;
    rc = ZC_CALL(z, zk_client_get(z->c, argv[a], f[1], zc_on_reply, z));
    if (rc != 0)
        return zc_result(rc, argv[a]);
    if (z->res.dlen < 0)
        printf("null\n");
    else {
        fwrite(z->res.data.data, 1, z->res.data.len, stdout);
        printf("\n");
    }
    if (f[0] && z->res.has_stat)
        zc_print_stat(&z->res.stat);
    return ZC_EXIT_OK;
}

static int zc_stat(struct zc *z, int argc, char **argv)
{
    bool  f[1] = { 0 };
    char *v[1] = { 0 };
    int   a = zc_flags(argc, argv, "w", NULL, f, v), rc;

    if (zc_need(argc, a, 1, "stat [-w] path") < 0)
        return ZC_EXIT_USAGE;
    rc = ZC_CALL(z, zk_client_exists(z->c, argv[a], f[0], zc_on_reply, z));
    if (rc != 0)
        return zc_result(rc, argv[a]);
    zc_print_stat(&z->res.stat);
    return ZC_EXIT_OK;
}

static int zc_version(const char *s, int32_t *out)
{
    char *end;
    long  v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < -1 || v > INT32_MAX) {
        fprintf(stderr, "odradek zk: bad version: %s\n", s);
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

static int zc_set(struct zc *z, int argc, char **argv)
{
    bool    f[2] = { 0 };
    char   *v[2] = { 0 };
    int     a = zc_flags(argc, argv, "sv", "v", f, v), rc;
    int32_t version = -1;

    if (zc_need(argc, a, 2, "set [-s] [-v version] path data") < 0)
        return ZC_EXIT_USAGE;
    if (f[1] && zc_version(v[1], &version) < 0)
        return ZC_EXIT_USAGE;
    rc = ZC_CALL(z, zk_client_set(z->c, argv[a], argv[a + 1],
                                  (int32_t)strlen(argv[a + 1]), version,
                                  zc_on_reply, z));
    if (rc != 0)
        return zc_result(rc, argv[a]);
    if (f[0] && z->res.has_stat)
        zc_print_stat(&z->res.stat);
    return ZC_EXIT_OK;
}

/* "scheme:id:perms[,scheme:id:perms...]" (the id may contain ':', as in
 * digest:user:hash:cdrwa).  Returns the count, or -1. */
static int zc_parse_acl(const char *s, struct zk_acl *acl, int max,
                        char *store, size_t storesz)
{
    int    n = 0;
    size_t used = 0;

    while (*s != '\0' && n < max) {
        const char *end = strchr(s, ','), *c1, *c2;
        size_t      len = end ? (size_t)(end - s) : strlen(s);
        char       *e;
        int32_t     perms = 0;

        if (used + len + 1 > storesz)
            return -1;
        e = store + used;
        memcpy(e, s, len);
        e[len] = '\0';
        used += len + 1;
        c1 = strchr(e, ':');
        c2 = strrchr(e, ':');
        if (c1 == NULL || c2 == c1)
            return -1;
        for (const char *p = c2 + 1; *p; p++) {
            const char *perm = strchr("rwcda", *p);

            if (perm == NULL)
                return -1;
            perms |= (int32_t[]){ ZK_PERM_READ, ZK_PERM_WRITE, ZK_PERM_CREATE,
                                  ZK_PERM_DELETE, ZK_PERM_ADMIN }[perm - "rwcda"];
        }
        acl[n].perms = perms;
        acl[n].scheme = (slice_t){ (const uint8_t *)e, (int32_t)(c1 - e) };
        acl[n].id = (slice_t){ (const uint8_t *)c1 + 1, (int32_t)(c2 - c1 - 1) };
        n++;
        s += len + (end ? 1 : 0);
    }
    return n;
}

static int zc_create(struct zc *z, int argc, char **argv)
{
    bool          f[4] = { 0 };
    char         *v[4] = { 0 };
    int           a = zc_flags(argc, argv, "esct", "t", f, v), rc, nacl = 0;
    int32_t       flags = 0;
    const char   *data = NULL;
    struct zk_acl acl[16];
    char          store[4096];

    if (zc_need(argc, a, 1, "create [-s] [-e] [-c] [-t ttl] path [data] [acl]") < 0)
        return ZC_EXIT_USAGE;
    if (f[3]) {
        fprintf(stderr, "odradek zk create: -t (TTL nodes) is not supported by this client\n");
        return ZC_EXIT_USAGE;
    }
    if (f[2] && (f[0] || f[1])) {
        fprintf(stderr, "odradek zk create: -c cannot be combined with -e or -s\n");
        return ZC_EXIT_USAGE;
    }
    flags = (f[0] ? ZK_FLAG_EPHEMERAL : 0) | (f[1] ? ZK_FLAG_SEQUENTIAL : 0) |
            (f[2] ? ZK_FLAG_CONTAINER : 0);
    if (argc - a >= 2)
        data = argv[a + 1];
    if (argc - a >= 3) {
        nacl = zc_parse_acl(argv[a + 2], acl, 16, store, sizeof store);
        if (nacl <= 0) {
            fprintf(stderr, "odradek zk create: bad ACL %s (scheme:id:perms)\n", argv[a + 2]);
            return ZC_EXIT_USAGE;
        }
        rc = ZC_CALL(z, zk_client_create_acl(z->c, argv[a], data,
                                             data ? (int32_t)strlen(data) : -1,
                                             flags, acl, nacl, zc_on_reply, z));
    } else {
        rc = ZC_CALL(z, zk_client_create(z->c, argv[a], data,
                                         data ? (int32_t)strlen(data) : -1, flags,
                                         zc_on_reply, z));
    }
    if (rc != 0)
        return zc_result(rc, argv[a]);
    printf("Created %s\n", z->res.path ? z->res.path : argv[a]);
    if (f[0] && !z->interactive)
        fprintf(stderr, "note: an ephemeral node ends with this command's session\n");
    return ZC_EXIT_OK;
}

static int zc_delete(struct zc *z, int argc, char **argv)
{
    bool    f[1] = { 0 };
    char   *v[1] = { 0 };
    int     a = zc_flags(argc, argv, "v", "v", f, v), rc;
    int32_t version = -1;

    if (zc_need(argc, a, 1, "delete [-v version] path") < 0)
        return ZC_EXIT_USAGE;
    if (f[0] && zc_version(v[0], &version) < 0)
        return ZC_EXIT_USAGE;
    rc = ZC_CALL(z, zk_client_delete(z->c, argv[a], version, zc_on_reply, z));
    return zc_result(rc, argv[a]);
}

/* deleteall: the subtree in breadth-first order, deleted deepest first. */
static int zc_deleteall(struct zc *z, int argc, char **argv)
{
    bool    f[1] = { 0 };
    char   *v[1] = { 0 };
    int     a = zc_flags(argc, argv, "b", "b", f, v), rc;
    char  **list;
    size_t  n, k;

    if (zc_need(argc, a, 1, "deleteall path [-b batch size]") < 0)
        return ZC_EXIT_USAGE;
    if (strcmp(argv[a], "/") == 0) {
        fprintf(stderr, "odradek zk deleteall: refusing to delete /\n");
        return ZC_EXIT_USAGE;
    }
    rc = zc_subtree(z, argv[a], true, &list, &n);
    for (k = n; rc == 0 && k-- > 0;) {
        rc = ZC_CALL(z, zk_client_delete(z->c, list[k], -1, zc_on_reply, z));
        if (rc == ZK_ENONODE)
            rc = 0;
    }
    zc_list_free(list, n);
    return zc_result(rc, argv[a]);
}

static int zc_get_acl(struct zc *z, int argc, char **argv)
{
    bool    f[1] = { 0 };
    char   *v[1] = { 0 };
    int     a = zc_flags(argc, argv, "s", NULL, f, v), rc, i;

    if (zc_need(argc, a, 1, "getAcl [-s] path") < 0)
        return ZC_EXIT_USAGE;
    rc = ZC_CALL(z, zk_client_get_acl(z->c, argv[a], zc_on_reply, z));
    if (rc != 0)
        return zc_result(rc, argv[a]);
    for (i = 0; i < z->res.nacl; i++) {
        int32_t p = z->res.acl_perms[i];

        /* zkCli's order: c d r w a */
        printf("%s\n: %s%s%s%s%s\n", z->res.acl_text[i],
               p & ZK_PERM_CREATE ? "c" : "", p & ZK_PERM_DELETE ? "d" : "",
               p & ZK_PERM_READ ? "r" : "", p & ZK_PERM_WRITE ? "w" : "",
               p & ZK_PERM_ADMIN ? "a" : "");
    }
    if (f[0] && z->res.has_stat)
        zc_print_stat(&z->res.stat);
    return ZC_EXIT_OK;
}

static int zc_set_acl(struct zc *z, int argc, char **argv)
{
    bool          f[3] = { 0 };
    char         *v[3] = { 0 };
    int           a = zc_flags(argc, argv, "svR", "v", f, v), rc, nacl;
    int32_t       version = -1;
    struct zk_acl acl[16];
    char          store[4096];

    if (zc_need(argc, a, 2, "setAcl [-s] [-v version] [-R] path acl") < 0)
        return ZC_EXIT_USAGE;
    if (f[1] && zc_version(v[1], &version) < 0)
        return ZC_EXIT_USAGE;
    nacl = zc_parse_acl(argv[a + 1], acl, 16, store, sizeof store);
    if (nacl <= 0) {
        fprintf(stderr, "odradek zk setAcl: bad ACL %s (scheme:id:perms)\n", argv[a + 1]);
        return ZC_EXIT_USAGE;
    }
    if (f[2]) { /* -R: the whole subtree, parents first */
        char  **list;
        size_t  n, k;

        rc = zc_subtree(z, argv[a], false, &list, &n);
        for (k = 0; rc == 0 && k < n; k++)
            rc = ZC_CALL(z, zk_client_set_acl(z->c, list[k], acl, nacl, -1,
                                              zc_on_reply, z));
        zc_list_free(list, n);
        return zc_result(rc, argv[a]);
    }
    rc = ZC_CALL(z, zk_client_set_acl(z->c, argv[a], acl, nacl, version,
                                      zc_on_reply, z));
    if (rc != 0)
        return zc_result(rc, argv[a]);
    if (f[0] && z->res.has_stat)
        zc_print_stat(&z->res.stat);
    return ZC_EXIT_OK;
}

static int zc_sync(struct zc *z, int argc, char **argv)
{
    int rc;

    if (zc_need(argc, 1, 1, "sync path") < 0)
        return ZC_EXIT_USAGE;
    rc = ZC_CALL(z, zk_client_sync(z->c, argv[1], zc_on_reply, z));
    if (rc == 0)
        printf("Sync is OK\n");
    return zc_result(rc, argv[1]);
}

static int zc_addauth(struct zc *z, int argc, char **argv)
{
    int rc;

    if (zc_need(argc, 1, 2, "addauth scheme auth") < 0)
        return ZC_EXIT_USAGE;
    rc = ZC_CALL(z, zk_client_add_auth(z->c, argv[1], argv[2], zc_on_reply, z));
    if (rc == ZK_EAUTHFAILED) {
        fprintf(stderr, "Authentication failed for scheme %s\n", argv[1]);
        return ZC_EXIT_FAILED;
    }
    return zc_result(rc, argv[1]);
}

struct zc_cmd {
    const char *name;
    int (*run)(struct zc *z, int argc, char **argv);
    const char *usage;
};

static const struct zc_cmd zc_cmds[] = {
    { "ls", zc_ls, "ls [-s] [-w] [-R] path" },
    { "get", zc_get, "get [-s] [-w] path" },
    { "stat", zc_stat, "stat [-w] path" },
    { "set", zc_set, "set [-s] [-v version] path data" },
    { "create", zc_create, "create [-s] [-e] [-c] path [data] [acl]" },
    { "delete", zc_delete, "delete [-v version] path" },
    { "deleteall", zc_deleteall, "deleteall path" },
    { "getAcl", zc_get_acl, "getAcl [-s] path" },
    { "setAcl", zc_set_acl, "setAcl [-s] [-v version] [-R] path acl" },
    { "sync", zc_sync, "sync path" },
    { "addauth", zc_addauth, "addauth scheme auth" },
};

#define ZC_NCMDS (sizeof zc_cmds / sizeof zc_cmds[0])

void cli_zk_usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: odradek zk [-server host:port[/chroot]] [-timeout ms] [CMD ARGS...]\n"
               "  zkCli.sh's commands; without CMD, an interactive shell.\n"
               "  Exit codes: 0 done, 1 refused by the server, 2 usage, 3 server unreachable.\n"
               "commands:\n");
    for (i = 0; i < ZC_NCMDS; i++)
        fprintf(f, "  %s\n", zc_cmds[i].usage);
}

static int zc_dispatch(struct zc *z, int argc, char **argv)
{
    size_t i;

    for (i = 0; i < ZC_NCMDS; i++)
        if (strcmp(argv[0], zc_cmds[i].name) == 0)
            return zc_cmds[i].run(z, argc, argv);
    fprintf(stderr, "odradek zk: unknown command %s (try: odradek zk --help)\n", argv[0]);
    return ZC_EXIT_USAGE;
}

/* Splits a shell line on blanks, honouring '...' and "..." quotes. */
static int zc_split(char *line, char **argv, int max)
{
    int   n = 0;
    char *p = line, *o;

    while (*p && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (*p == '\0')
            break;
        argv[n++] = o = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;

                while (*p && *p != q)
                    *o++ = *p++;
                if (*p)
                    p++;
            } else {
                *o++ = *p++;
            }
        }
        if (*p)
            p++;
        *o = '\0';
    }
    return n;
}

static int zc_shell(struct zc *z)
{
    char   *line = NULL;
    size_t  cap = 0;
    char   *argv[64];
    int     argc, rc = 0, n = 0;
    bool    tty = isatty(STDIN_FILENO);

    z->interactive = true;
    for (;;) {
        if (tty) {
            printf("[zk: %s(%s) %d] ", z->server,
                   zk_client_state(z->c) == ZK_CLIENT_CONNECTED ? "CONNECTED"
                                                                : "CONNECTING",
                   n++);
            fflush(stdout);
        }
        /* let pending watch events print between commands */
        uv_run(&z->loop, UV_RUN_NOWAIT);
        if (getline(&line, &cap, stdin) < 0)
            break;
        argc = zc_split(line, argv, 64);
        if (argc == 0)
            continue;
        if (strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "exit") == 0)
            break;
        if (strcmp(argv[0], "help") == 0) {
            cli_zk_usage(stdout);
            continue;
        }
        rc = zc_dispatch(z, argc, argv);
        fflush(stdout);
    }
    free(line);
    return rc == ZC_EXIT_CONNECT ? rc : ZC_EXIT_OK;
}

static void zc_on_closed(void *arg)
{
    ((struct zc *)arg)->closed = true;
}

int cli_zk_main(int argc, char **argv)
{
    struct zc             z;
    struct zk_client_opts o;
    int                   i = 1, rc;

    memset(&z, 0, sizeof z);
    z.server = "localhost:2181";
    z.timeout_ms = 10000;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_zk_usage(stdout);
            return 0;
        }
        if ((strcmp(a, "-server") == 0 || strcmp(a, "--server") == 0) && i + 1 < argc) {
            z.server = argv[++i];
        } else if ((strcmp(a, "-timeout") == 0 || strcmp(a, "--timeout") == 0) &&
                   i + 1 < argc) {
            z.timeout_ms = atoi(argv[++i]);
            if (z.timeout_ms <= 0) {
                fprintf(stderr, "odradek zk: bad timeout %s\n", argv[i]);
                return ZC_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "odradek zk: unknown option %s (try: odradek zk --help)\n", a);
            return ZC_EXIT_USAGE;
        }
    }
    uv_loop_init(&z.loop);
    uv_timer_init(&z.loop, &z.timer);
    z.timer.data = &z;
    memset(&o, 0, sizeof o);
    o.connect = z.server;
    o.session_timeout_ms = 30000;
    o.connect_timeout_ms = z.timeout_ms < 5000 ? z.timeout_ms : 5000;
    o.on_watch = zc_on_watch;
    o.arg = &z;
    rc = zk_client_new(&z.loop, &o, &z.c);
    if (rc < 0) {
        fprintf(stderr, "odradek zk: bad server address %s\n", z.server);
        return ZC_EXIT_USAGE;
    }
    if (i < argc)
        rc = zc_dispatch(&z, argc - i, argv + i);
    else
        rc = zc_shell(&z);
    zk_client_close(z.c, zc_on_closed, &z);
    uv_close((uv_handle_t *)&z.timer, NULL);
    while (!z.closed)
        uv_run(&z.loop, UV_RUN_ONCE);
    uv_run(&z.loop, UV_RUN_DEFAULT);
    uv_loop_close(&z.loop);
    zc_res_free(&z.res);
    if (rc == ZC_EXIT_CONNECT)
        fprintf(stderr, "odradek zk: cannot reach %s\n", z.server);
    return rc;
}
