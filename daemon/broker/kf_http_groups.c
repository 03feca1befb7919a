/* kf_http_groups: consumer groups: state, members, assignment, committed
 * offsets, lag, offset reset with preview.
 * (Module of kf_http: see kf_http_int.h.) */
#include <string.h>

#include "kf_group.h"
#include "kf_group_api.h"
#include "kf_http_int.h"

/* The lag of one committed offset: how far the high watermark is ahead. */
static int64_t kf_http_offset_lag(kf_http_t *h, const struct kf_group_offset *o)
{
    kf_log_t *l = kf_topics_log(h->b->topics, o->topic, strlen(o->topic), o->partition);
    int64_t   lag;

    if (l == NULL || o->offset < 0)
        return 0;
    lag = kf_log_hw(l) - o->offset;
    return lag > 0 ? lag : 0;
}

struct kf_http_lag_walk {
    kf_http_t *h;
    void (*fn)(void *arg, const char *group, int64_t lag, int partitions);
    void *arg;
    int   n;
};

static void kf_http_lag_one(void *arg, const struct kf_group *g)
{
    struct kf_http_lag_walk *w = arg;
    int64_t                  lag = 0;
    int                      i;

    for (i = 0; i < g->noffsets; i++)
        lag += kf_http_offset_lag(w->h, &g->offsets[i]);
    w->fn(w->arg, g->id, lag, g->noffsets);
    w->n++;
}

int kf_http_group_lags(kf_http_t *h,
                       void (*fn)(void *arg, const char *group, int64_t lag,
                                  int partitions),
                       void *arg)
{
    struct kf_http_lag_walk w = { h, fn, arg, 0 };

    if (h->b->groups == NULL)
        return 0;
    kf_group_each(kf_group_api_coord(h->b->groups), kf_http_lag_one, &w);
    return w.n;
}

static const struct kf_http_route kf_http_groups_routes[] = {
    { NULL, NULL, 0, NULL },
};

const struct kf_http_module kf_http_mod_groups = { "groups", kf_http_groups_routes, NULL,
                                                   NULL, NULL };
