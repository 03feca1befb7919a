/* sv_intensity: a ring of the last max+1 restart times (see
 * sv_intensity.h). */
#include "sv_intensity.h"

#include <stdlib.h>

#include "xalloc.h"

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
