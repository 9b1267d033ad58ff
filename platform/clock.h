/* Nanosecond clocks: monotonic for intervals, real time for timestamps. */
#ifndef SLUICE_PLATFORM_CLOCK_H
#define SLUICE_PLATFORM_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t clock_mono_ns(void);
uint64_t clock_real_ns(void);
/* Steps of the wall clock (NTP setting it, an operator, an edge box without
 * a battery-backed clock learning the time): seen as the wall clock's
 * offset from the monotonic clock moving by more than CLOCK_JUMP_NS between
 * two looks. The steady wall clock is the wall clock at init carried on by
 * the monotonic clock: it never jumps, for ages that must not (retention). */
#define CLOCK_JUMP_NS 1000000000ll

struct clock_watch {
	uint64_t real0_ns, mono0_ns;  /* at init */
	int64_t offset_ns;            /* real - mono at the last look */
};

void clock_watch_init(struct clock_watch *w);
/* How far the wall clock stepped since the last look (forward > 0), or 0
 * when it moved by less than CLOCK_JUMP_NS. */
int64_t clock_watch_check(struct clock_watch *w);
uint64_t clock_watch_steady_real_ns(const struct clock_watch *w);

/* Sleeps for at least ns nanoseconds, restarting after signals. */
void clock_sleep_ns(uint64_t ns);
/* real_ns as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (21 bytes suffice). */
void clock_utc_text(uint64_t real_ns, char *buf, size_t size);

#endif
