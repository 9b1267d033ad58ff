/* Nanosecond clocks (vDSO clock_gettime: no syscall on the hot path). */
#include "platform/clock.h"

#include <errno.h>
#include <time.h>

static uint64_t clock_read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ns(void)
{
	return clock_read_ns(CLOCK_MONOTONIC);
}

uint64_t clock_real_ns(void)
{
	return clock_read_ns(CLOCK_REALTIME);
}

void clock_watch_init(struct clock_watch *w)
{
	w->mono0_ns = clock_mono_ns();
	w->real0_ns = clock_real_ns();
	w->offset_ns = (int64_t)(w->real0_ns - w->mono0_ns);
}

int64_t clock_watch_check(struct clock_watch *w)
{
	uint64_t mono = clock_mono_ns(), real = clock_real_ns();
	int64_t offset = (int64_t)(real - mono), step = offset - w->offset_ns;

	w->offset_ns = offset;  /* followed every look, so slewing never adds up */
	return step > -CLOCK_JUMP_NS && step < CLOCK_JUMP_NS ? 0 : step;
}

uint64_t clock_watch_steady_real_ns(const struct clock_watch *w)
{
	return w->real0_ns + (clock_mono_ns() - w->mono0_ns);
}

void clock_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void clock_utc_text(uint64_t real_ns, char *buf, size_t size)
{
	time_t t = (time_t)(real_ns / 1000000000ull);
	struct tm tm;

	if (!size)
		return;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm))
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
