/* What an RX queue of the DPDK source does when it finds nothing: keep
 * polling (busy: the lowest latency, a whole core), sleep in growing steps
 * up to a bound (sleep: any PMD; a packet that ends the idle waits at most
 * that bound), or sleep until the device raises an RX interrupt (interrupt:
 * PMDs that have them, such as net_tap and most NICs). Each queue polls
 * RX_POWER_SPIN_POLLS times in vain before it sleeps at all, so traffic
 * keeps it polling. The queue's own worker calls these. */
#ifndef SLUICE_DATAPLANE_RX_POWER_H
#define SLUICE_DATAPLANE_RX_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/counter.h"

enum rx_power_mode { RX_POWER_BUSY, RX_POWER_SLEEP, RX_POWER_INTERRUPT };

#define RX_POWER_SPIN_POLLS 64u
#define RX_POWER_SLEEP_MIN_NS 10000ull
#define RX_POWER_INTR_WAIT_MS 100   /* then the worker looks at its flags */

struct rx_power {
	enum rx_power_mode mode;
	uint16_t port, queue;
	int epfd;                 /* interrupt: the queue's epoll set */
	uint32_t empty;           /* polls in a row that found nothing */
	bool armed;               /* interrupt: enabled, the next poll is the last */
	uint64_t sleep_ns, sleep_max_ns;
	counter_t sleeps;         /* sleeps and interrupt waits taken */
};

const char *rx_power_mode_name(enum rx_power_mode m);
/* Parses "busy", "sleep" or "interrupt"; -EINVAL otherwise. */
int rx_power_mode_parse(const char *s, enum rx_power_mode *m);

/* Sets the queue up; for interrupt mode, after the port started with RX
 * interrupts configured, it registers the queue's interrupt (main thread).
 * On failure writes why into err and returns -errno. */
int rx_power_init(struct rx_power *p, enum rx_power_mode mode, uint16_t port, uint16_t queue,
		  uint64_t sleep_max_ns, char *err, size_t err_size);

void rx_power_disarm(struct rx_power *p);

/* The last poll found packets. */
static inline void rx_power_busy(struct rx_power *p)
{
	p->empty = 0;
	p->sleep_ns = RX_POWER_SLEEP_MIN_NS;
	if (p->armed)
		rx_power_disarm(p);
}

/* The last poll found nothing: may sleep. Returns true when it did, so
 * the caller polls at once. */
bool rx_power_idle(struct rx_power *p);

void rx_power_close(struct rx_power *p);

#endif
