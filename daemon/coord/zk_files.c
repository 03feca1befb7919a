/* zk_files: listing the numbered files of a data directory (zk_files.h). */
#include "zk_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int zk_files_cmp(const void *a, const void *b)
{
    const struct zk_file *x = a, *y = b;

    return x->zxid < y->zxid ? -1 : x->zxid > y->zxid;
}

static int zk_files_cmp_desc(const void *a, const void *b)
{
    return zk_files_cmp(b, a);
}

int zk_files_list(const char *dir, const char *prefix, bool descending,
                  void (*other)(const char *dir, const char *name),
                  struct zk_file **out, int *n)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    size_t         pl = strlen(prefix);
    int            cap = 0;

    *out = NULL;
    *n = 0;
    if (d == NULL)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(d)) != NULL) {
        char    *end;
        uint64_t v;

        if (strncmp(e->d_name, prefix, pl) != 0 || strlen(e->d_name) != pl + 16 ||
            (v = strtoull(e->d_name + pl, &end, 16), *end != '\0')) {
            if (other != NULL)
                other(dir, e->d_name);
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[*n].zxid = (int64_t)v;
        /* the length was checked above; copy it with its NUL (snprintf of
         * a 256-byte d_name trips -Wformat-truncation at -O0) */
        memcpy((*out)[*n].name, e->d_name, pl + 17);
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(*out, (size_t)*n, sizeof **out, descending ? zk_files_cmp_desc : zk_files_cmp);
    return 0;
}
