/* kf_testfs: the storage unit tests' fixture: a loop and a temp directory
 * tree (root, root/t-0 for one log, root/a and root/b for two log dirs),
 * removed at teardown after the loop has run dry and closed cleanly. */
#ifndef ODRADEK_KF_TESTFS_H
#define ODRADEK_KF_TESTFS_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct kf_testfs {
    uv_loop_t   loop;
    char        root[64];
    char        dir[128];      /* root/t-0 */
    char        d1[128], d2[128]; /* root/a, root/b */
    const char *dirs[2];
};

static int kf_testfs_rm(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

/* tmpl: "/tmp/nameXXXXXX".  Returns 0 with *state set, or -1. */
static inline int kf_testfs_setup(void **state, const char *tmpl)
{
    struct kf_testfs *f = calloc(1, sizeof *f);

    uv_loop_init(&f->loop);
    snprintf(f->root, sizeof f->root, "%s", tmpl);
    if (mkdtemp(f->root) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "%s/t-0", f->root);
    snprintf(f->d1, sizeof f->d1, "%s/a", f->root);
    snprintf(f->d2, sizeof f->d2, "%s/b", f->root);
    f->dirs[0] = f->d1;
    f->dirs[1] = f->d2;
    *state = f;
    return 0;
}

static inline int kf_testfs_teardown(void **state)
{
    struct kf_testfs *f = *state;

    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    nftw(f->root, kf_testfs_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

#endif
