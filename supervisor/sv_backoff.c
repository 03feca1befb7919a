/* sv_backoff: exponential backoff with full jitter, and the restart
 * intensity window (see sv_backoff.h). */
#include "sv_backoff.h"

#include <stdlib.h>

#include "xalloc.h"

int64_t sv_backoff_ceiling(const struct sv_backoff *b, unsigned attempt)
{
    int64_t d = b->base_ms;

    if (d <= 0)
        return 0;
    for (unsigned i = 0; i < attempt && d < b->cap_ms; i++)
        d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
    return d < b->cap_ms ? d : b->cap_ms;
}

int64_t sv_backoff_next(struct sv_backoff *b, int64_t ready_ms, uint64_t rnd,
                        int64_t *ceiling_out)
{
    int64_t ceil;

    if (ready_ms > 0 && ready_ms >= b->reset_ms)
        b->attempt = 0;
    ceil = sv_backoff_ceiling(b, b->attempt);
    if (b->attempt < 64)
        b->attempt++;
    if (ceiling_out)
        *ceiling_out = ceil;
    if (ceil <= 0)
        return 0;
    return (int64_t)(rnd % ((uint64_t)ceil + 1)); /* full jitter: [0, ceil] */
}

void sv_intensity_init(struct sv_intensity *it, int max, int64_t period_ms)
{
    it->max = max < 0 ? 0 : max;
    it->period_ms = period_ms;
    it->times = xcalloc((size_t)it->max + 1, sizeof *it->times);
    it->n = 0;
    it->head = 0;
}

void sv_intensity_free(struct sv_intensity *it)
{
    free(it->times);
    it->times = NULL;
    it->n = 0;
}

int sv_intensity_count(const struct sv_intensity *it, int64_t now_ms)
{
    int c = 0, cap = it->max + 1;

    for (int i = 0; i < it->n; i++) {
        int64_t t = it->times[(it->head - 1 - i + cap * 2) % cap];

        if (now_ms - t < it->period_ms)
            c++;
    }
    return c;
}

bool sv_intensity_add(struct sv_intensity *it, int64_t now_ms)
{
    int cap = it->max + 1;

    it->times[it->head] = now_ms;
    it->head = (it->head + 1) % cap;
    if (it->n < cap)
        it->n++;
    return sv_intensity_count(it, now_ms) > it->max;
}
