/* sv_log: where a program's output goes.
 *
 * The supervisor reads each child's stdout/stderr pipes non-blocking in
 * its loop (so a child never blocks on output while we run) and hands the
 * bytes here.  They go to one of: the program's log file (size rotation
 * name -> name.1 -> ... -> name.N, reopen for logrotate), prefixed lines
 * "NAME | ..." on the supervisor's stdout (--log-stdout, containers and
 * journald), or nowhere (NONE).  The last SV_LOG_RING bytes are always
 * kept in memory for `odradek ctl tail`.  A destination that cannot take
 * the bytes right now (a full stdout pipe) drops them and counts the drop;
 * it never blocks. */
#ifndef ODRADEK_SV_LOG_H
#define ODRADEK_SV_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SV_LOG_RING (64 * 1024)

struct sv_log {
    char    *path;        /* NULL: not a file */
    bool     to_stdout;   /* prefixed lines on fd 1 */
    char     prefix[48];  /* "NAME | " */
    int      fd;          /* log file, or -1 */
    int64_t  size;        /* bytes in the current file */
    int64_t  maxbytes;    /* 0: never rotate */
    int      backups;
    uint8_t *ring;        /* SV_LOG_RING bytes */
    size_t   ring_len;    /* valid bytes (<= SV_LOG_RING) */
    size_t   ring_head;   /* next write position */
    buf_t    partial;     /* stdout mode: an unfinished line */
    uint64_t dropped;     /* bytes we could not write */
    int      last_err;    /* last open/write error, 0 if none */
};

/* path: a file (opened O_APPEND), or NULL; to_stdout: prefixed lines on
 * stdout instead.  Returns 0 or -errno (the ring works regardless). */
int  sv_log_open(struct sv_log *l, const char *name, const char *path,
                 bool to_stdout, int64_t maxbytes, int backups);
void sv_log_write(struct sv_log *l, const uint8_t *p, size_t n);
/* Flush an unfinished stdout line (the program exited mid-line). */
void sv_log_flush(struct sv_log *l);
int  sv_log_reopen(struct sv_log *l);
/* Appends the last max bytes kept in memory to out. */
void sv_log_tail(const struct sv_log *l, buf_t *out, size_t max);
void sv_log_close(struct sv_log *l);

/* Write to the supervisor's stdout without blocking; 0 or -errno. */
int  sv_log_stdout(const void *p, size_t n);

#endif
