/* sd_notify calls, paced. */
#include "control/notify.h"

#include <string.h>

#include <systemd/sd-daemon.h>

void notify_init(struct notify *n)
{
	uint64_t usec = 0;

	memset(n, 0, sizeof(*n));
	if (sd_watchdog_enabled(0, &usec) > 0)
		n->watchdog_ns = usec * 1000;
}

void notify_ready(struct notify *n, const char *status, uint64_t now)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	n->pinged_ns = n->status_ns = now;
}

void notify_run(struct notify *n, bool alive, uint64_t now,
		void (*status_fn)(void *ctx, char *buf, unsigned size), void *ctx)
{
	if (n->watchdog_ns && alive && now - n->pinged_ns >= n->watchdog_ns / 2) {
		sd_notify(0, "WATCHDOG=1");
		n->pinged_ns = now;
	}
	if (now - n->status_ns >= NOTIFY_STATUS_NS) {
		char buf[256];

		status_fn(ctx, buf, sizeof(buf));
		sd_notifyf(0, "STATUS=%s", buf);
		n->status_ns = now;
	}
}

void notify_stopping(const char *status)
{
	sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status);
}
