/* Says in the daemon log what an operator must hear about the packet
 * source and the disk: the link going down or up, packets lost before
 * sluice saw them (NIC imissed/rx_nombuf, socket overflow; at most one line
 * per WATCH_MISSED_EVERY_S with the count since the last), the free-space
 * marks crossed, and failed writes. Main thread. */
#ifndef SLUICE_CONTROL_WATCH_H
#define SLUICE_CONTROL_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/counter.h"

#define WATCH_MISSED_EVERY_S 10u
#define WATCH_WRITE_CLEAR_S 30u

struct daemon;

struct watch {
	bool started;
	uint64_t checked_ns;        /* looked at most once a second */
	int link_up;
	uint64_t missed;            /* total at the last line */
	uint64_t missed_logged_ns;
	bool disk_error_said;       /* statvfs failed: said once */
	uint64_t write_errors;      /* the logs' disk_errors at the last check */
	uint64_t write_lost;        /* and their records_lost_disk */
	uint64_t write_error_ns;    /* when errors were last new; 0: healthy */
	bool write_degraded;
	counter_t clock_jumps;      /* wall clock steps of CLOCK_JUMP_NS or more */
};

/* At most once a second: compares the source with what was seen last and
 * logs what changed; checks the free space of the data folder against the
 * marks: below
 * --disk-refuse-free-mb it closes the workers' gate (d->refuse_intake) and
 * marks the daemon degraded; from --disk-resume-free-mb on it opens it
 * again. Each crossing is one log line. Failed writes or fdatasyncs (ENOSPC,
 * EIO) are a log line with what they lost, at most every
 * WATCH_MISSED_EVERY_S, and a degraded state until WATCH_WRITE_CLEAR_S pass
 * without a new one. A step of the wall clock is a line and a count. */
void watch_run(struct watch *w, struct daemon *d, uint64_t now_ns);

#endif
