/* sv_log: program output to files (with rotation), to stdout (prefixed),
 * and to an in-memory ring for `ctl tail` (see sv_log.h).
 *
 * Files are written with plain write(2) from the loop: appends land in the
 * page cache, the same bargain the broker makes for its segments. */
#include "sv_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define SV_LOG_LINE_MAX 4096

int sv_log_stdout(const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(1, c, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno; /* EAGAIN on a full pipe: the caller drops */
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sv_log_open_file(struct sv_log *l)
{
    struct stat st;

    l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (l->fd < 0) {
        l->last_err = -errno;
        return l->last_err;
    }
    l->size = fstat(l->fd, &st) == 0 ? (int64_t)st.st_size : 0;
    return 0;
}

int sv_log_open(struct sv_log *l, const char *name, const char *path,
                bool to_stdout, int64_t maxbytes, int backups)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->ring = xmalloc(SV_LOG_RING);
    l->to_stdout = to_stdout;
    l->maxbytes = maxbytes;
    l->backups = backups;
    snprintf(l->prefix, sizeof l->prefix, "%s | ", name);
    if (path == NULL || to_stdout)
        return 0;
    l->path = xstrdup(path);
    return sv_log_open_file(l);
}

/* name.N-1 -> name.N ... name -> name.1, then a fresh name. */
static void sv_log_rotate(struct sv_log *l)
{
    char from[PATH_MAX], to[PATH_MAX];

    close(l->fd);
    l->fd = -1;
    if (l->backups == 0) {
        unlink(l->path);
    } else {
        for (int i = l->backups - 1; i >= 1; i--) {
            snprintf(from, sizeof from, "%s.%d", l->path, i);
            snprintf(to, sizeof to, "%s.%d", l->path, i + 1);
            rename(from, to);
        }
        snprintf(to, sizeof to, "%s.1", l->path);
        rename(l->path, to);
    }
    sv_log_open_file(l);
}

static void sv_log_ring_put(struct sv_log *l, const uint8_t *p, size_t n)
{
    if (n >= SV_LOG_RING) {
        p += n - SV_LOG_RING;
        n = SV_LOG_RING;
    }
    while (n > 0) {
        size_t k = SV_LOG_RING - l->ring_head;

        if (k > n)
            k = n;
        memcpy(l->ring + l->ring_head, p, k);
        l->ring_head = (l->ring_head + k) % SV_LOG_RING;
        l->ring_len = l->ring_len + k > SV_LOG_RING ? SV_LOG_RING : l->ring_len + k;
        p += k;
        n -= k;
    }
}

static void sv_log_emit_line(struct sv_log *l, const uint8_t *p, size_t n)
{
    buf_t line = BUF_INIT;

    buf_puts(&line, l->prefix);
    buf_put(&line, p, n);
    if (n == 0 || p[n - 1] != '\n')
        buf_put_u8(&line, '\n');
    if (sv_log_stdout(line.data, line.len) < 0)
        l->dropped += line.len;
    buf_free(&line);
}

void sv_log_write(struct sv_log *l, const uint8_t *p, size_t n)
{
    sv_log_ring_put(l, p, n);
    if (l->to_stdout) {
        while (n > 0) {
            const uint8_t *nl = memchr(p, '\n', n);
            size_t         k = nl ? (size_t)(nl - p) + 1 : n;

            if (nl == NULL) {
                buf_put(&l->partial, p, k);
                if (l->partial.len >= SV_LOG_LINE_MAX)
                    sv_log_flush(l);
            } else if (l->partial.len > 0) {
                buf_put(&l->partial, p, k);
                sv_log_emit_line(l, l->partial.data, l->partial.len);
                buf_reset(&l->partial);
            } else {
                sv_log_emit_line(l, p, k);
            }
            p += k;
            n -= k;
        }
        return;
    }
    if (l->path == NULL)
        return;
    /* rotate before a write that would cross maxbytes: files stay within
     * it unless one read alone is larger */
    if (l->fd >= 0 && l->maxbytes > 0 && l->size > 0 &&
        l->size + (int64_t)n > l->maxbytes)
        sv_log_rotate(l);
    if (l->fd < 0 && sv_log_open_file(l) < 0) {
        l->dropped += n;
        return;
    }
    while (n > 0) {
        ssize_t w = write(l->fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            l->last_err = -errno;
            l->dropped += n;
            return;
        }
        p += w;
        n -= (size_t)w;
        l->size += w;
    }
}

void sv_log_flush(struct sv_log *l)
{
    if (l->partial.len > 0) {
        sv_log_emit_line(l, l->partial.data, l->partial.len);
        buf_reset(&l->partial);
    }
}

int sv_log_reopen(struct sv_log *l)
{
    if (l->path == NULL)
        return 0;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    return sv_log_open_file(l);
}

void sv_log_tail(const struct sv_log *l, buf_t *out, size_t max)
{
    size_t n = l->ring_len < max ? l->ring_len : max;
    size_t start = (l->ring_head + SV_LOG_RING - n) % SV_LOG_RING;

    if (l->ring == NULL)
        return;
    for (size_t i = 0; i < n;) {
        size_t at = (start + i) % SV_LOG_RING;
        size_t k = SV_LOG_RING - at;

        if (k > n - i)
            k = n - i;
        buf_put(out, l->ring + at, k);
        i += k;
    }
}

void sv_log_close(struct sv_log *l)
{
    sv_log_flush(l);
    if (l->fd >= 0)
        close(l->fd);
    free(l->path);
    free(l->ring);
    buf_free(&l->partial);
    memset(l, 0, sizeof *l);
    l->fd = -1;
}
