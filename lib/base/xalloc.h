/* xalloc: allocation that cannot fail.  Out of memory aborts the process
 * (STYLE.md rule 8): the supervisor restarts it, and no caller carries a
 * branch that can never be tested. */
#ifndef ODRADEK_XALLOC_H
#define ODRADEK_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string; aborts on OOM. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
