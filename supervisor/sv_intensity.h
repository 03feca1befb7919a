/* sv_intensity: the restart intensity limit (Erlang/OTP's MaxR in MaxT).
 *
 * More than max restarts within period_ms means restarting does not help;
 * the caller escalates (ordered stop, exit non-zero) so that systemd,
 * upstart or Docker takes over.  Times are milliseconds on any monotonic
 * clock (tests pass a fake one). */
#ifndef ODRADEK_SV_INTENSITY_H
#define ODRADEK_SV_INTENSITY_H

#include <stdbool.h>
#include <stdint.h>

struct sv_intensity {
    int      max;        /* restarts allowed per period; 0 = none */
    int64_t  period_ms;
    int64_t *times;      /* ring of the last max+1 restart times (owned) */
    int      n;          /* entries used, <= max + 1 */
    int      head;       /* next slot */
};

void sv_intensity_init(struct sv_intensity *it, int max, int64_t period_ms);
void sv_intensity_free(struct sv_intensity *it);
/* Record a restart at now_ms.  Returns true when this makes more than max
 * restarts within the last period_ms: the caller must escalate. */
bool sv_intensity_add(struct sv_intensity *it, int64_t now_ms);
/* Restarts recorded within the period ending at now_ms. */
int  sv_intensity_count(const struct sv_intensity *it, int64_t now_ms);

#endif
