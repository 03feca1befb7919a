/* zk_snap: snapshot files (see zk_snap.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "crc32c.h"
#include "err.h"
#include "rd.h"
#include "xalloc.h"
#include "zk_log.h"
#include "zk_snap.h"
#include "zk_files.h"

#define SNAP_MAGIC   0x4f445a53u /* "ODZS" */
#define SNAP_END     0x4f445a45u /* "ODZE" */
#define SNAP_VERSION 1

/* Where serialised bytes go: a growable buf (tests, fuzzing) or a file
 * through a fixed window (the forked child: no malloc after fork). */
struct sink {
    buf_t   *b;          /* buf mode */
    int      fd;         /* file mode */
    uint8_t *win;
    size_t   len, cap;
    uint32_t crc;        /* file mode: over everything flushed */
    int      err;
};

static void sink_flush(struct sink *k)
{
    size_t off = 0;

    k->crc = crc32c(k->crc, k->win, k->len);
    while (off < k->len && k->err == 0) {
        ssize_t w = write(k->fd, k->win + off, k->len - off);

        if (w < 0) {
            if (errno != EINTR)
                k->err = -errno;
            continue;
        }
        off += (size_t)w;
    }
    k->len = 0;
}

static void put(struct sink *k, const void *p, size_t n)
{
    const uint8_t *q = p;

    if (k->b) {
        buf_put(k->b, p, n);
        return;
    }
    while (n > 0) {
        size_t room = k->cap - k->len, m = n < room ? n : room;

        memcpy(k->win + k->len, q, m);
        k->len += m;
        q += m;
        n -= m;
        if (k->len == k->cap)
            sink_flush(k);
    }
}

static void put_u8(struct sink *k, uint8_t v)
{
    put(k, &v, 1);
}

static void put_u32(struct sink *k, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

    put(k, b, 4);
}

static void put_i32(struct sink *k, int32_t v)
{
    put_u32(k, (uint32_t)v);
}

static void put_i64(struct sink *k, int64_t v)
{
    put_u32(k, (uint32_t)((uint64_t)v >> 32));
    put_u32(k, (uint32_t)v);
}

static void put_bytes(struct sink *k, const void *p, int32_t n)
{
    put_i32(k, n);
    if (n > 0)
        put(k, p, (size_t)n);
}

static void put_str(struct sink *k, const char *s)
{
    put_bytes(k, s, (int32_t)strlen(s));
}

static void put_node(const struct zk_node *n, void *arg)
{
    struct sink *k = arg;
    int32_t      i;

    put_u32(k, n->plen);
    put(k, n->path, n->plen);
    put_bytes(k, n->data, n->dlen);
    put_i32(k, n->acl ? n->acl->n : 0);
    for (i = 0; n->acl && i < n->acl->n; i++) {
        put_i32(k, n->acl->v[i].perms);
        put_str(k, n->acl->v[i].scheme);
        put_str(k, n->acl->v[i].id);
    }
    put_i64(k, n->czxid);
    put_i64(k, n->mzxid);
    put_i64(k, n->ctime);
    put_i64(k, n->mtime);
    put_i64(k, n->pzxid);
    put_i32(k, n->version);
    put_i32(k, n->cversion);
    put_i32(k, n->aversion);
    put_i64(k, n->owner);
    put_i64(k, n->ttl);
    put_u8(k, n->kind);
}

/* Everything up to the trailer (magic, zxid, sessions, nodes, end mark). */
static void put_body(struct sink *k, const zk_tree_t *t, const struct zk_node **stack)
{
    uint32_t i;

    put_u32(k, SNAP_MAGIC);
    put_u32(k, SNAP_VERSION);
    put_i64(k, t->zxid);
    put_u32(k, t->nsess);
    for (i = 0; i <= t->stabmask; i++) {
        const struct zk_tsess *x;

        for (x = t->stab[i]; x; x = x->hnext) {
            put_i64(k, x->id);
            put_i32(k, x->timeout);
            put(k, x->passwd, ZK_PASSWD_LEN);
        }
    }
    if (stack)
        zk_tree_walk_with(t, put_node, k, stack);
    else
        zk_tree_walk(t, put_node, k);
    put_u32(k, 0); /* end of nodes */
}

void zk_snap_serialize(const zk_tree_t *t, buf_t *out)
{
    struct sink k = { 0 };
    size_t      start = out->len;

    k.b = out;
    k.fd = -1;
    buf_reserve(out, (size_t)t->data_bytes + (size_t)t->nnodes * 96 + 4096);
    put_body(&k, t, NULL);
    buf_put_u32(out, crc32c(0, out->data + start, out->len - start));
    buf_put_u32(out, SNAP_END);
}

/* The forked child: serialise through a fixed window into the temp file,
 * fdatasync, rename, fsync the directory, _exit.  Only system calls and
 * memory prepared before the fork: no malloc, no locks, no libuv. */
static void snap_child(const zk_tree_t *t, const struct zk_node **stack, const char *tmp,
                       const char *path, const char *dir)
{
    static uint8_t win[1 << 20];
    struct sink    k = { 0 };
    uint32_t       crc;
    int            dfd;

    k.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (k.fd < 0)
        _exit(2);
    k.win = win;
    k.cap = sizeof win;
    put_body(&k, t, stack);
    sink_flush(&k);
    crc = k.crc;
    put_u32(&k, crc);
    put_u32(&k, SNAP_END);
    sink_flush(&k);
    if (k.err != 0 || fdatasync(k.fd) < 0 || close(k.fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        _exit(3);
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    _exit(0);
}

pid_t zk_snap_fork(const zk_tree_t *t, const char *dir)
{
    char                   path[4096], tmp[4200];
    const struct zk_node **stack;
    pid_t                  pid;

    snprintf(path, sizeof path, "%s/snapshot.%016" PRIx64, dir, (uint64_t)t->zxid);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    stack = xmalloc(((size_t)t->nnodes + 1) * sizeof *stack);
    pid = fork();
    if (pid == 0)
        snap_child(t, stack, tmp, path, dir); /* never returns */
    free(stack);
    return pid < 0 ? -errno : pid;
}

int zk_snap_parse(zk_tree_t *t, const uint8_t *p, size_t n, int64_t *zxid)
{
    rd_t     r;
    uint32_t i, ns, crc;
    arena_t  a = { 0 };
    int      rc = 0;

    if (n < 28)
        return ERR_CORRUPT;
    r = rd_init(p + n - 8, 8);
    crc = rd_u32(&r);
    if (rd_u32(&r) != SNAP_END || crc32c(0, p, n - 8) != crc)
        return ERR_CORRUPT;
    r = rd_init(p, n - 8);
    if (rd_u32(&r) != SNAP_MAGIC || rd_u32(&r) != SNAP_VERSION)
        return ERR_CORRUPT;
    *zxid = rd_i64(&r);
    ns = rd_u32(&r);
    for (i = 0; i < ns && rd_ok(&r); i++) {
        int64_t        id = rd_i64(&r);
        int32_t        to = rd_i32(&r);
        const uint8_t *pw = rd_raw(&r, ZK_PASSWD_LEN);

        if (pw)
            zk_tree_restore_session(t, id, to, pw);
    }
    for (;;) {
        uint32_t        plen = rd_u32(&r);
        const char     *path;
        slice_t         data;
        int32_t         nacl, k;
        struct zk_acl  *acl;
        struct zk_node  f;

        if (!rd_ok(&r) || plen == 0)
            break;
        path = (const char *)rd_raw(&r, plen);
        data = rd_bytes(&r, false);
        nacl = rd_count(&r, false, 12);
        acl = arena_calloc(&a, (size_t)(nacl > 0 ? nacl : 1), sizeof *acl);
        for (k = 0; k < nacl; k++) {
            acl[k].perms = rd_i32(&r);
            acl[k].scheme = rd_bytes(&r, false);
            acl[k].id = rd_bytes(&r, false);
        }
        memset(&f, 0, sizeof f);
        f.czxid = rd_i64(&r);
        f.mzxid = rd_i64(&r);
        f.ctime = rd_i64(&r);
        f.mtime = rd_i64(&r);
        f.pzxid = rd_i64(&r);
        f.version = rd_i32(&r);
        f.cversion = rd_i32(&r);
        f.aversion = rd_i32(&r);
        f.owner = rd_i64(&r);
        f.ttl = rd_i64(&r);
        f.kind = rd_u8(&r);
        if (!rd_ok(&r) || f.kind > ZK_NODE_TTL) {
            rc = ERR_CORRUPT;
            break;
        }
        rc = zk_tree_restore_node(t, path, plen, data.p, data.n, acl,
                                  nacl > 0 ? nacl : 0, &f);
        if (rc < 0)
            break;
        arena_reset(&a);
    }
    arena_free(&a);
    if (rc == 0 && !rd_ok(&r))
        rc = ERR_CORRUPT;
    if (rc == 0)
        t->zxid = *zxid;
    return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int zk_snap_write(const char *dir, int64_t zxid, const buf_t *b)
{
    char path[4096], tmp[4200];
    int  fd, rc, dfd;

    snprintf(path, sizeof path, "%s/snapshot.%016" PRIx64, dir, (uint64_t)zxid);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, b->data, b->len);
    if (rc == 0 && fdatasync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* A snapshot.<zxid>.tmp is what a writer that died (crash, or killed at
 * shutdown) left: removed while listing. */
static void zk_snap_drop_tmp(const char *dir, const char *name)
{
    char p[4096];

    if (strncmp(name, "snapshot.", 9) == 0 && strlen(name) == 29 &&
        strcmp(name + 25, ".tmp") == 0) {
        snprintf(p, sizeof p, "%s/%s", dir, name);
        unlink(p);
    }
}

int zk_snap_load(const char *dir, zk_tree_t *t, int64_t *zxid, int *skipped)
{
    struct zk_file *s;
    int              n, i, rc;
    buf_t            b = BUF_INIT;

    *zxid = 0;
    *skipped = 0;
    rc = zk_files_list(dir, "snapshot.", true, zk_snap_drop_tmp, &s, &n);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++) {
        char        path[4096];
        int         fd;
        struct stat st;

        snprintf(path, sizeof path, "%s/%s", dir, s[i].name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            if (fd >= 0)
                close(fd);
            (*skipped)++;
            continue;
        }
        buf_reset(&b);
        buf_reserve(&b, (size_t)st.st_size);
        while (b.len < (size_t)st.st_size) {
            ssize_t r = read(fd, b.data + b.len, (size_t)st.st_size - b.len);

            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                break;
            }
            b.len += (size_t)r;
        }
        close(fd);
        rc = zk_snap_parse(t, b.data, b.len, zxid);
        if (rc == 0) {
            buf_free(&b);
            free(s);
            return 1;
        }
        (*skipped)++;
        zk_tree_free(t);
        zk_tree_init(t);
        *zxid = 0;
    }
    buf_free(&b);
    free(s);
    return 0;
}

int64_t zk_snap_purge(const char *dir, int retain)
{
    struct zk_file *s;
    int              n, i;
    int64_t          oldest = 0;

    if (zk_files_list(dir, "snapshot.", true, zk_snap_drop_tmp, &s, &n) < 0)
        return 0;
    for (i = 0; i < n; i++) {
        if (i < retain) {
            oldest = s[i].zxid;
        } else {
            char path[4096];

            snprintf(path, sizeof path, "%s/%s", dir, s[i].name);
            unlink(path);
        }
    }
    free(s);
    return n >= retain ? oldest : 0;
}
