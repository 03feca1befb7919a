/* kf_ckpt: Kafka's small text checkpoint files (CheckpointFile.java):
 *
 *   0            <- version
 *   N            <- number of entries
 *   <entry>      <- N lines of space-separated columns
 *
 * used for recovery-point-offset-checkpoint, log-start-offset-checkpoint,
 * replication-offset-checkpoint, cleaner-offset-checkpoint ("<topic>
 * <partition> <offset>") and leader-epoch-checkpoint ("<epoch>
 * <startOffset>").  It owns parsing (bounded, every line checked) and
 * atomic replacement (tmp file, fsync, rename, fsync of the directory).
 * It does not own what the entries mean. */
#ifndef ODRADEK_KF_CKPT_H
#define ODRADEK_KF_CKPT_H

#include <stddef.h>

#include "buf.h"

#define KF_CKPT_MAX_COLS 3

/* Called per entry with ncols NUL-terminated columns; return < 0 to stop
 * (kf_ckpt_parse returns it). */
typedef int kf_ckpt_row_fn(void *arg, char *const *cols);

/* Parse text[0, n) (a copy is modified).  Every entry must have exactly
 * ncols columns and the count must match.  Returns 0, ERR_MALFORMED or
 * ERR_UNSUPPORTED (version other than 0), or the callback's value. */
int kf_ckpt_parse(const char *text, size_t n, int ncols, kf_ckpt_row_fn *fn,
                  void *arg);
/* Read and parse a file; -ENOENT if it does not exist. */
int kf_ckpt_read(const char *path, int ncols, kf_ckpt_row_fn *fn, void *arg);

/* Start a checkpoint body in *b; add rows with buf_printf(b, "...\n")
 * counting them, then kf_ckpt_write(path, b, nrows). */
int kf_ckpt_write(const char *path, const buf_t *rows, int nrows);

/* Write bytes to path atomically (tmp, fsync, rename, dir fsync). */
int kf_ckpt_write_file(const char *path, const void *p, size_t n);

#endif
