/* zk_watch: the watch tables (see zk_watch.h). */
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "zk_jute.h"
#include "zk_watch.h"

static uint32_t hash_path(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    size_t   i;

    for (i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

void zk_watch_init(zk_watches_t *w)
{
    memset(w, 0, sizeof *w);
    w->mask = 255;
    w->tab = xcalloc(w->mask + 1, sizeof *w->tab);
}

static struct zk_wpath *find(const zk_watches_t *w, const char *path, size_t len,
                             uint32_t h)
{
    struct zk_wpath *p;

    for (p = w->tab[h & w->mask]; p; p = p->hnext)
        if (p->hash == h && p->plen == len && memcmp(p->path, path, len) == 0)
            return p;
    return NULL;
}

static void grow(zk_watches_t *w)
{
    uint32_t          nmask = w->mask * 2 + 1, i;
    struct zk_wpath **nt = xcalloc((size_t)nmask + 1, sizeof *nt);

    for (i = 0; i <= w->mask; i++) {
        struct zk_wpath *p = w->tab[i], *next;

        for (; p; p = next) {
            next = p->hnext;
            p->hnext = nt[p->hash & nmask];
            nt[p->hash & nmask] = p;
        }
    }
    free(w->tab);
    w->tab = nt;
    w->mask = nmask;
}

static void path_del(zk_watches_t *w, struct zk_wpath *p)
{
    struct zk_wpath **pp = &w->tab[p->hash & w->mask];

    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == p) {
            *pp = p->hnext;
            break;
        }
    }
    w->npaths--;
    free(p->path);
    free(p);
}

static void unlink_watch(zk_watches_t *w, struct zk_watch *wt)
{
    struct zk_wpath *p = wt->wp;

    if (wt->pprev)
        wt->pprev->pnext = wt->pnext;
    else
        p->head = wt->pnext;
    if (wt->pnext)
        wt->pnext->pprev = wt->pprev;
    if (wt->oprev)
        wt->oprev->onext = wt->onext;
    else
        *wt->ohead = wt->onext;
    if (wt->onext)
        wt->onext->oprev = wt->oprev;
    if (wt->kind == ZK_WATCH_RECURSIVE)
        w->nrecursive--;
    w->nwatches--;
    p->n--;
    free(wt);
    if (p->n == 0)
        path_del(w, p);
}

void zk_watch_add(zk_watches_t *w, void *owner, struct zk_watch **ohead,
                  int kind, const char *path, size_t len)
{
    uint32_t         h = hash_path(path, len);
    struct zk_wpath *p = find(w, path, len, h);
    struct zk_watch *wt;

    if (p) {
        for (wt = p->head; wt; wt = wt->pnext)
            if (wt->owner == owner && wt->kind == kind)
                return;
    } else {
        if (w->npaths >= w->mask)
            grow(w);
        p = xcalloc(1, sizeof *p);
        p->path = xstrndup(path, len);
        p->plen = (uint32_t)len;
        p->hash = h;
        p->hnext = w->tab[h & w->mask];
        w->tab[h & w->mask] = p;
        w->npaths++;
    }
    wt = xcalloc(1, sizeof *wt);
    wt->owner = owner;
    wt->kind = (uint8_t)kind;
    wt->wp = p;
    wt->pnext = p->head;
    if (p->head)
        p->head->pprev = wt;
    p->head = wt;
    p->n++;
    wt->ohead = ohead;
    wt->onext = *ohead;
    if (*ohead)
        (*ohead)->oprev = wt;
    *ohead = wt;
    w->nwatches++;
    if (kind == ZK_WATCH_RECURSIVE)
        w->nrecursive++;
}

void zk_watch_drop_owner(zk_watches_t *w, struct zk_watch **ohead)
{
    while (*ohead)
        unlink_watch(w, *ohead);
}

static bool kind_matches_wtype(int kind, int32_t wtype)
{
    switch (wtype) {
    case ZK_WTYPE_CHILDREN:   return kind == ZK_WATCH_CHILD;
    case ZK_WTYPE_DATA:       return kind == ZK_WATCH_DATA;
    case ZK_WTYPE_ANY:        return true;
    case ZK_WTYPE_PERSISTENT: return kind == ZK_WATCH_PERSISTENT;
    case ZK_WTYPE_PERSISTENT_RECURSIVE: return kind == ZK_WATCH_RECURSIVE;
    }
    return false;
}

int zk_watch_remove(zk_watches_t *w, struct zk_watch **ohead, const char *path,
                    size_t len, int32_t wtype, bool dry_run)
{
    struct zk_watch *wt, *next;
    int              n = 0;

    for (wt = *ohead; wt; wt = next) {
        next = wt->onext;
        if (wt->wp->plen != len || memcmp(wt->wp->path, path, len) != 0 ||
            !kind_matches_wtype(wt->kind, wtype))
            continue;
        n++;
        if (!dry_run)
            unlink_watch(w, wt);
    }
    return n;
}

bool zk_watch_has(const zk_watches_t *w, const void *owner, int kind,
                  const char *path, size_t len)
{
    struct zk_wpath *p = find(w, path, len, hash_path(path, len));
    struct zk_watch *wt;

    for (wt = p ? p->head : NULL; wt; wt = wt->pnext)
        if (wt->owner == owner && wt->kind == kind)
            return true;
    return false;
}

/* Owners already notified for this event (small: usually 0-3). */
struct fired {
    void   **v;
    uint32_t n, cap;
};

static bool fired_once(struct fired *f, void *owner)
{
    uint32_t i;

    for (i = 0; i < f->n; i++)
        if (f->v[i] == owner)
            return false;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = owner;
    return true;
}

int zk_watch_trigger(zk_watches_t *w, int32_t type, const char *path, size_t len,
                     zk_watch_fire_fn *fire, void *arg)
{
    struct fired     f = { 0 };
    struct zk_wpath *p = find(w, path, len, hash_path(path, len));
    struct zk_watch *wt, *next;
    bool             data_ev = type != ZK_EVENT_CHILDREN_CHANGED;
    bool             child_ev = type == ZK_EVENT_CHILDREN_CHANGED ||
                                type == ZK_EVENT_DELETED;
    size_t           l;
    int              n = 0;

    /* The path itself.  p may be freed by unlink_watch when its last
     * watch goes, so remember whether more remain before unlinking. */
    for (wt = p ? p->head : NULL; wt; wt = next) {
        bool last = wt->wp->n == 1;
        bool hit = false, remove = false;

        next = wt->pnext;
        switch (wt->kind) {
        case ZK_WATCH_DATA:       hit = remove = data_ev && type != ZK_EVENT_NONE; break;
        case ZK_WATCH_CHILD:      hit = remove = child_ev; break;
        case ZK_WATCH_PERSISTENT: hit = true; break;
        case ZK_WATCH_RECURSIVE:  hit = data_ev; break;
        }
        if (hit && fired_once(&f, wt->owner)) {
            fire(wt->owner, type, path, len, arg);
            n++;
        }
        if (remove) {
            unlink_watch(w, wt);
            if (last)
                break;
        }
    }
    /* Ancestors' persistent-recursive watches. */
    if (w->nrecursive > 0 && data_ev) {
        for (l = len; l > 1;) {
            while (l > 0 && path[l - 1] != '/')
                l--;
            l = l > 1 ? l - 1 : 1; /* "/a/b" -> "/a"; "/a" -> "/" */
            p = find(w, path, l, hash_path(path, l));
            for (wt = p ? p->head : NULL; wt; wt = wt->pnext) {
                if (wt->kind == ZK_WATCH_RECURSIVE && fired_once(&f, wt->owner)) {
                    fire(wt->owner, type, path, len, arg);
                    n++;
                }
            }
            if (l == 1)
                break;
        }
    }
    free(f.v);
    return n;
}

void zk_watch_each(const zk_watches_t *w,
                   void (*fn)(const struct zk_watch *wt, void *arg), void *arg)
{
    uint32_t         i;
    struct zk_wpath *p;
    struct zk_watch *wt;

    for (i = 0; w->tab && i <= w->mask; i++)
        for (p = w->tab[i]; p; p = p->hnext)
            for (wt = p->head; wt; wt = wt->pnext)
                fn(wt, arg);
}

void zk_watch_free(zk_watches_t *w)
{
    uint32_t i;

    for (i = 0; w->tab && i <= w->mask; i++) {
        while (w->tab[i]) {
            struct zk_wpath *p = w->tab[i];

            while (p->head && p->n > 1)
                unlink_watch(w, p->head);
            unlink_watch(w, p->head); /* frees p */
        }
    }
    free(w->tab);
    memset(w, 0, sizeof *w);
}
