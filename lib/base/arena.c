/* arena: a chain of chunks, bump allocation inside the newest one. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define ARENA_CHUNK 8192
#define ARENA_ALIGN 16

struct arena_chunk {
    struct arena_chunk *next; /* older chunk */
    size_t              used, cap;
    _Alignas(ARENA_ALIGN) unsigned char mem[];
};

void arena_init(arena_t *a)
{
    a->head = NULL;
    a->total = 0;
}

void *arena_alloc(arena_t *a, size_t n)
{
    struct arena_chunk *c = a->head;
    size_t              need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    size_t              cap;
    void               *p;

    if (need < n)
        abort();
    if (need == 0)
        need = ARENA_ALIGN;
    if (c == NULL || c->cap - c->used < need) {
        cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        c = xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    p = c->mem + c->used;
    c->used += need;
    a->total += need;
    return p;
}

void *arena_calloc(arena_t *a, size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size)
        abort();
    p = arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void arena_reset(arena_t *a)
{
    struct arena_chunk *c = a->head, *next;

    if (c == NULL)
        return;
    /* keep the oldest chunk (the one a steady workload fits in) */
    while (c->next != NULL) {
        next = c->next;
        free(c);
        c = next;
    }
    c->used = 0;
    a->head = c;
    a->total = 0;
}

void arena_free(arena_t *a)
{
    struct arena_chunk *c = a->head, *next;

    while (c != NULL) {
        next = c->next;
        free(c);
        c = next;
    }
    arena_init(a);
}
