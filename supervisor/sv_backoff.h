/* sv_backoff: restart pacing, pure arithmetic over a caller's clock.
 *
 * Backoff: the n-th restart in a row waits rand(0, min(cap, base * 2^n))
 * ("full jitter"), so a crash loop slows down exponentially and several
 * supervisors never retry in lockstep; the count n resets once the program
 * has been ready for reset_ms.
 *
 * Times are milliseconds on any monotonic clock (tests pass a fake one).
 * The restart intensity limit is sv_intensity.h. */
#ifndef ODRADEK_SV_BACKOFF_H
#define ODRADEK_SV_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct sv_backoff {
    int64_t  base_ms;
    int64_t  cap_ms;
    int64_t  reset_ms;
    unsigned attempt;   /* restarts in a row since the last reset */
};

/* min(cap, base * 2^attempt), without overflow. */
int64_t sv_backoff_ceiling(const struct sv_backoff *b, unsigned attempt);
/* The delay before the next restart, given how long the program was ready
 * before it failed (0 if never) and a random 64-bit value.  Resets the
 * count first if ready_ms >= reset_ms, then uses and increments it.
 * *ceiling_out (may be NULL) gets the ceiling the delay was drawn under. */
int64_t sv_backoff_next(struct sv_backoff *b, int64_t ready_ms, uint64_t rnd,
                        int64_t *ceiling_out);

#endif
