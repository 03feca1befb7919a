/* zk_files: the data directories' numbered files, named as ZooKeeper names
 * them: a prefix and 16 hex digits ("log.<first zxid>",
 * "snapshot.<last zxid>").  zk_log and zk_snap list theirs through it. */
#ifndef ODRADEK_ZK_FILES_H
#define ODRADEK_ZK_FILES_H

#include <stdbool.h>
#include <stdint.h>

struct zk_file {
    int64_t zxid;     /* the number in the name */
    char    name[64]; /* the file name (no directory) */
};

/* Lists dir's files named prefix + 16 hex digits, sorted by number
 * (descending if asked).  other (may be NULL) is called for every other
 * entry.  Returns 0 with *out (free it; NULL when none) and *n set, 0 and
 * none for a missing dir, or -errno. */
int zk_files_list(const char *dir, const char *prefix, bool descending,
                  void (*other)(const char *dir, const char *name),
                  struct zk_file **out, int *n);

#endif
