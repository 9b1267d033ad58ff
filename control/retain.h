/* Applies retention to the events and dead-letter logs every few seconds,
 * with the offsets Kafka's checkpoint holds (none with --kafka none), and
 * says in the log what it deleted, and once when it must hold data back for
 * Kafka. Each pass also checks a few sealed segments' indexes, rebuilds
 * a missing one and quarantines a segment found damaged. Main thread. */
#ifndef SLUICE_CONTROL_RETAIN_H
#define SLUICE_CONTROL_RETAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/counter.h"
#include "storage/log_service.h"

#define RETAIN_PERIOD_S 5u
/* A pass deletes at most this many segments of a log (unlinking a 64 MiB
 * file takes tens of ms on a cold cache, and the main thread serves the
 * admin socket); with more to do, the next pass comes after a second. */
#define RETAIN_DELETES_PER_PASS 8u
#define RETAIN_BUSY_PERIOD_S 1u

struct daemon;

struct retain {
	uint64_t checked_ns;
	bool more;               /* the last pass stopped at its cap */
	bool held_said[LOG_KINDS];
	/* The writer's segment at the first pass, per log: those after it are
	 * this run's (+1; 0 until the first pass). */
	uint64_t young_base[LOG_KINDS];
	counter_t segments_deleted;
	counter_t bytes_deleted;
	counter_t unreplicated_deleted;   /* records Kafka never had */
	/* Sealed segments' indexes checked up to here, per log. */
	uint64_t repair_cursor[LOG_KINDS];
	bool repair_started[LOG_KINDS];
	counter_t indexes_rebuilt;
	counter_t segments_quarantined;
	counter_t records_quarantined;
};

void retain_run(struct retain *r, const struct daemon *d, uint64_t now_ns);

#endif
