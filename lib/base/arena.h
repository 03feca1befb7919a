/* arena: per-request allocation.  Decoded requests borrow bytes from their
 * frame; their arrays and copies go here and are released all at once with
 * arena_reset() when the request is done (STYLE.md rule 6).  A zeroed
 * arena_t is valid; allocation aborts on OOM. */
#ifndef ODRADEK_ARENA_H
#define ODRADEK_ARENA_H

#include <stddef.h>

struct arena_chunk;

typedef struct arena {
    struct arena_chunk *head;  /* newest chunk, allocation happens here */
    size_t              total; /* bytes handed out since the last reset */
} arena_t;

void  arena_init(arena_t *a);
/* 16-byte aligned, uninitialised.  n == 0 returns a valid unique pointer. */
void *arena_alloc(arena_t *a, size_t n);
/* n * size zeroed bytes; aborts if the product overflows. */
void *arena_calloc(arena_t *a, size_t n, size_t size);
char *arena_strndup(arena_t *a, const char *s, size_t n);
/* Frees everything but the first chunk, which is kept for reuse. */
void  arena_reset(arena_t *a);
void  arena_free(arena_t *a); /* idempotent */

#endif
