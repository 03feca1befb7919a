/* kf_ckpt: Kafka's text checkpoint files, parse and atomic write (see
 * kf_ckpt.h). */
#include "kf_ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "xalloc.h"

#define CKPT_MAX_FILE (256u << 20)

/* Next line of [*p, end) as a NUL-terminated string (the \n replaced). */
static char *next_line(char **p, char *end)
{
    char *s = *p, *nl;

    if (s >= end)
        return NULL;
    nl = memchr(s, '\n', (size_t)(end - s));
    if (nl == NULL)
        return NULL; /* every line, the last too, ends with \n */
    *nl = '\0';
    *p = nl + 1;
    return s;
}

static int parse_count(const char *s, long *v)
{
    char *e;

    if (s == NULL || *s < '0' || *s > '9')
        return ERR_MALFORMED;
    errno = 0;
    *v = strtol(s, &e, 10);
    if (errno != 0 || *e != '\0' || *v < 0 || *v > INT32_MAX)
        return ERR_MALFORMED;
    return 0;
}

int kf_ckpt_parse(const char *text, size_t n, int ncols, kf_ckpt_row_fn *fn,
                  void *arg)
{
    char *copy = xmalloc(n + 1), *p = copy, *end = copy + n, *line;
    char *cols[KF_CKPT_MAX_COLS];
    long  version, count, i;
    int   rc = 0, c;

    memcpy(copy, text, n);
    copy[n] = '\0';
    if (ncols < 1 || ncols > KF_CKPT_MAX_COLS) {
        rc = ERR_MALFORMED;
        goto out;
    }
    if (parse_count(next_line(&p, end), &version) < 0) {
        rc = ERR_MALFORMED;
        goto out;
    }
    if (version != 0) {
        rc = ERR_UNSUPPORTED;
        goto out;
    }
    if (parse_count(next_line(&p, end), &count) < 0) {
        rc = ERR_MALFORMED;
        goto out;
    }
    for (i = 0; i < count && rc == 0; i++) {
        char *save = NULL, *tok;

        line = next_line(&p, end);
        if (line == NULL || strlen(line) != (size_t)(p - 1 - line)) {
            rc = ERR_MALFORMED; /* missing line, or a NUL inside it */
            break;
        }
        c = 0;
        for (tok = strtok_r(line, " ", &save); tok != NULL;
             tok = strtok_r(NULL, " ", &save)) {
            if (c == ncols) {
                c++;
                break;
            }
            cols[c++] = tok;
        }
        if (c != ncols) {
            rc = ERR_MALFORMED;
            break;
        }
        rc = fn(arg, cols);
    }
    if (rc == 0 && p != end)
        rc = ERR_MALFORMED; /* more lines than the count says */
out:
    free(copy);
    return rc;
}

int kf_ckpt_read(const char *path, int ncols, kf_ckpt_row_fn *fn, void *arg)
{
    struct stat st;
    char       *p;
    size_t      off = 0;
    int         fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || st.st_size > CKPT_MAX_FILE) {
        rc = st.st_size > CKPT_MAX_FILE ? ERR_TOO_BIG : -errno;
        close(fd);
        return rc;
    }
    p = xmalloc((size_t)st.st_size + 1);
    while (off < (size_t)st.st_size) {
        ssize_t r = read(fd, p + off, (size_t)st.st_size - off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    rc = kf_ckpt_parse(p, off, ncols, fn, arg);
    free(p);
    return rc;
}

int kf_ckpt_write_file(const char *path, const void *data, size_t n)
{
    /* unique per call: two jobs may write the same file concurrently
     * (a roll's snapshot and the close's); the last rename wins */
    static _Atomic unsigned seq;
    char                   *tmp = xasprintf("%s.%u.tmp", path, seq++);
    char                   *dcopy = xstrdup(path);
    const char             *p = data;
    size_t                  off = 0;
    int                     fd, dfd, rc = 0;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -errno;
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        goto out;
    }
    dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* best effort: the rename is durable */
        close(dfd);
    }
out:
    free(tmp);
    free(dcopy);
    return rc;
}

int kf_ckpt_write(const char *path, const buf_t *rows, int nrows)
{
    buf_t b = BUF_INIT;
    int   rc;

    buf_printf(&b, "0\n%d\n", nrows);
    if (rows->len > 0)
        buf_put(&b, rows->data, rows->len);
    rc = kf_ckpt_write_file(path, b.data, b.len);
    buf_free(&b);
    return rc;
}
