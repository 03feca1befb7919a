/* Fuzz recovery (kf_log_open -> kf_seg): the input is written as the
 * active segment's .log (and, by flag, part of it as a hostile .index),
 * then the partition is opened as after a crash or after a clean
 * shutdown.  Whatever the bytes: no crash, no out-of-bounds read, the
 * recovered log is consistent (every offset below the LEO reads from a
 * batch that contains it), and it accepts a new append at the LEO.
 *
 * Input: byte 0 = flags (bit 0: the last quarter (<= 256 bytes) is the
 * .index too, bit 1: open as after a clean shutdown, bit 2: also as
 * .timeindex), the rest = the .log bytes. */
#include "fuzz_check.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "kf_log.h"
#include "../unit/broker/kf_testbatch.h"

static char root[64];
static char dir[128];

static void write_file(const char *name, const uint8_t *p, size_t n)
{
    char path[256];
    int  fd;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FUZZ_CHECK(fd >= 0);
    if (n > 0)
        FUZZ_CHECK(write(fd, p, n) == (ssize_t)n);
    close(fd);
}

/* Remove whatever the previous input left (segments, snapshots, ...). */
static void clear_dir(void)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    char           path[512];

    FUZZ_CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void cleanup(void)
{
    clear_dir();
    rmdir(dir);
    rmdir(root);
}

static void closed(void *arg, int status)
{
    (void)status;
    *(int *)arg = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kf_log_config    cfg;
    struct kf_log_open_opts o = {-1, -1, false, false, 1700000000000LL};
    struct kf_log_slice     s;
    uv_loop_t               loop;
    kf_log_t               *l;
    int64_t                 cut, off, leo;
    uint8_t                 flags;
    int                     done = 0, rc;

    if (root[0] == '\0') {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

        snprintf(root, sizeof root, "%s/fzrecXXXXXX", base);
        FUZZ_CHECK(mkdtemp(root) != NULL);
        snprintf(dir, sizeof dir, "%s/t-0", root);
        mkdir(dir, 0755);
        atexit(cleanup);
    }
    if (size < 1)
        return 0;
    flags = data[0];
    data++;
    size--;
    clear_dir();
    write_file("00000000000000000000.log", data, size);
    if (flags & 1) {
        size_t q = size / 4 < 256 ? size / 4 : 256;

        write_file("00000000000000000000.index", data + size - q, q);
        if (flags & 4)
            write_file("00000000000000000000.timeindex", data + size - q, q);
    }
    o.clean = (flags & 2) != 0;
    kf_log_config_default(&cfg);
    cfg.index_interval_bytes = 64;
    uv_loop_init(&loop);
    rc = kf_log_open(&l, &loop, root, "t", 0, &cfg, &o, &cut);
    if (rc == 0) {
        buf_t          b = BUF_INIT;
        struct tb_opts t = tb_default();

        leo = kf_log_end(l);
        FUZZ_CHECK(leo >= 0 && kf_log_start(l) <= leo);
        FUZZ_CHECK(cut >= 0 && (size_t)cut <= size);
        FUZZ_CHECK((size_t)kf_log_size(l) + (size_t)cut == size || o.clean);
        for (off = kf_log_start(l); off < leo && off < kf_log_start(l) + 64;
             off++) {
            FUZZ_CHECK(kf_log_read(l, off, 1 << 20, leo, true, &s) == 0);
            if (s.len > 0) {
                uint8_t h[61];
                int64_t base = 0;
                int32_t delta = 0;
                int     k;

                /* the range starts at the first batch whose last offset is
                 * >= off (offsets may have gaps: compaction, or a log
                 * written that way) */
                FUZZ_CHECK(s.len >= 61 || s.len == (size_t)s.len);
                if (pread(s.fd, h, sizeof h, s.pos) == (ssize_t)sizeof h) {
                    for (k = 0; k < 8; k++)
                        base = (int64_t)((uint64_t)base << 8 | h[k]);
                    for (k = 23; k < 27; k++)
                        delta = (int32_t)((uint32_t)delta << 8 | h[k]);
                    FUZZ_CHECK(base == s.first_offset);
                    FUZZ_CHECK(base + delta >= off);
                }
                kf_log_slice_release(s.ref);
            }
        }
        tb_batch(&b, 2, &t);
        FUZZ_CHECK(kf_log_append(l, b.data, b.len, 0, 0, NULL, NULL, NULL) ==
                   0);
        FUZZ_CHECK(kf_log_end(l) == leo + 2);
        FUZZ_CHECK(kf_log_read(l, leo, 1 << 20, leo + 2, true, &s) == 0);
        FUZZ_CHECK(s.len == b.len && s.first_offset == leo);
        kf_log_slice_release(s.ref);
        {
            int64_t ts_off, ts;

            (void)kf_log_offset_for_time(l, 0, &ts_off, &ts);
        }
        buf_free(&b);
        kf_log_close(l, closed, &done);
        uv_run(&loop, UV_RUN_DEFAULT);
        FUZZ_CHECK(done);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    FUZZ_CHECK(uv_loop_close(&loop) == 0);
    return 0;
}
