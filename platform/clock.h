/* Nanosecond clocks: monotonic for intervals, real time for timestamps. */
#ifndef SLUICE_PLATFORM_CLOCK_H
#define SLUICE_PLATFORM_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t clock_mono_ns(void);
uint64_t clock_real_ns(void);
/* Sleeps for at least ns nanoseconds, restarting after signals. */
void clock_sleep_ns(uint64_t ns);
/* real_ns as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (21 bytes suffice). */
void clock_utc_text(uint64_t real_ns, char *buf, size_t size);

#endif
