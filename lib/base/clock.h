/* clock: monotonic and wall time in the units the protocols use.
 * Monotonic time measures intervals (timeouts, latencies); wall time is
 * what goes on the wire (Kafka timestamps, ZooKeeper ctime/mtime). */
#ifndef ODRADEK_CLOCK_H
#define ODRADEK_CLOCK_H

#include <stdint.h>

int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);
int64_t clock_wall_ms(void); /* milliseconds since the Unix epoch */

#endif
