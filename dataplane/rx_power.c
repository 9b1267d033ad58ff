/* Idle RX queues: busy polling, bounded sleeps, or RX interrupts through
 * DPDK's epoll wrapper. */
#include "dataplane/rx_power.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_interrupts.h>

#include "platform/clock.h"

const char *rx_power_mode_name(enum rx_power_mode m)
{
	static const char *const names[] = { "busy", "sleep", "interrupt" };

	return (unsigned)m < 3 ? names[m] : "unknown";
}

int rx_power_mode_parse(const char *s, enum rx_power_mode *m)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(s, rx_power_mode_name((enum rx_power_mode)i)) == 0) {
			*m = (enum rx_power_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

int rx_power_init(struct rx_power *p, enum rx_power_mode mode, uint16_t port, uint16_t queue,
		  uint64_t sleep_max_ns, char *err, size_t err_size)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->port = port;
	p->queue = queue;
	p->epfd = -1;
	p->sleep_max_ns = sleep_max_ns < RX_POWER_SLEEP_MIN_NS ? RX_POWER_SLEEP_MIN_NS
							       : sleep_max_ns;
	rx_power_busy(p);
	if (mode != RX_POWER_INTERRUPT)
		return 0;
	/* An epoll set of the queue's own, so the main thread can register
	 * it and learn now whether the device has RX interrupts at all. */
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		rc = -errno;
		snprintf(err, err_size, "queue %u: epoll_create1: %s", queue, strerror(errno));
		return rc;
	}
	rc = rte_eth_dev_rx_intr_ctl_q(port, queue, p->epfd, RTE_INTR_EVENT_ADD, NULL);
	if (rc < 0) {
		snprintf(err, err_size, "--dpdk-power interrupt: port %u queue %u has no RX "
			 "interrupt (%s); use --dpdk-power sleep with this driver", port, queue,
			 strerror(-rc));
		close(p->epfd);
		p->epfd = -1;
		return rc;
	}
	return 0;
}

void rx_power_disarm(struct rx_power *p)
{
	(void)rte_eth_dev_rx_intr_disable(p->port, p->queue);
	p->armed = false;
}

/* Interrupt mode: the interrupt is armed one poll before the wait, so a
 * packet that lands between that poll and the wait either is found by the
 * poll or raises the interrupt; none waits for the bound. */
static bool rx_power_intr(struct rx_power *p)
{
	struct rte_epoll_event ev;

	if (!p->armed) {
		if (p->empty + 1 < RX_POWER_SPIN_POLLS)
			return false;
		int rc = rte_eth_dev_rx_intr_enable(p->port, p->queue);

		/* -ENOTSUP: the driver's interrupt is always on (net_tap). */
		if (rc < 0 && rc != -ENOTSUP) {
			counter_add(&p->sleeps, 1);
			clock_sleep_ns(p->sleep_max_ns);  /* cannot arm it: sleep instead */
			return true;
		}
		p->armed = true;
		return false;  /* the last poll, armed */
	}
	counter_add(&p->sleeps, 1);
	(void)rte_epoll_wait(p->epfd, &ev, 1, RX_POWER_INTR_WAIT_MS);
	rx_power_disarm(p);
	p->empty = 0;
	return true;
}

bool rx_power_idle(struct rx_power *p)
{
	if (p->mode == RX_POWER_BUSY)
		return false;
	p->empty++;
	if (p->mode == RX_POWER_INTERRUPT)
		return rx_power_intr(p);
	if (p->empty < RX_POWER_SPIN_POLLS)
		return false;
	counter_add(&p->sleeps, 1);
	clock_sleep_ns(p->sleep_ns);
	if (p->sleep_ns < p->sleep_max_ns)
		p->sleep_ns = p->sleep_ns * 2 < p->sleep_max_ns ? p->sleep_ns * 2 : p->sleep_max_ns;
	return true;
}

void rx_power_close(struct rx_power *p)
{
	if (p->epfd >= 0) {
		(void)rte_eth_dev_rx_intr_ctl_q(p->port, p->queue, p->epfd, RTE_INTR_EVENT_DEL,
						NULL);
		close(p->epfd);
	}
	p->epfd = -1;
}
