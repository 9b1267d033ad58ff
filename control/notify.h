/* systemd's notification protocol (Type=notify), through libsystemd:
 * READY=1 once the pipeline runs, WATCHDOG=1 at half the unit's WatchdogSec
 * but only while /healthz would say the threads move (a stalled worker or
 * log service gets the daemon restarted), STOPPING=1 when draining begins,
 * and STATUS= lines for `systemctl status`. Without NOTIFY_SOCKET (not run
 * by systemd) every call does nothing. Main thread. */
#ifndef SLUICE_CONTROL_NOTIFY_H
#define SLUICE_CONTROL_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#define NOTIFY_STATUS_NS (10ull * 1000000000ull)

struct notify {
	uint64_t watchdog_ns;   /* 0: no watchdog */
	uint64_t pinged_ns;
	uint64_t status_ns;
};

void notify_init(struct notify *n);
void notify_ready(struct notify *n, const char *status, uint64_t now);
/* Each pass of the main loop: pings the watchdog when alive and due; a new
 * status every NOTIFY_STATUS_NS (status_fn fills it). */
void notify_run(struct notify *n, bool alive, uint64_t now,
		void (*status_fn)(void *ctx, char *buf, unsigned size), void *ctx);
void notify_stopping(const char *status);

#endif
