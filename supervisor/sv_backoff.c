/* sv_backoff: exponential backoff with full jitter (see sv_backoff.h). */
#include "sv_backoff.h"

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
