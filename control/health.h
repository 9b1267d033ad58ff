/* Liveness and readiness for /healthz and /readyz. The main loop samples
 * the threads' progress counters (the log service's loop passes, each
 * worker's bursts) and the Kafka connection each time it wakes (at least
 * once a second) and stamps when each last moved; the HTTP thread only
 * reads those stamps, so a probe takes no lock and touches no pipeline
 * state. */
#ifndef SLUICE_CONTROL_HEALTH_H
#define SLUICE_CONTROL_HEALTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/source.h"

/* A thread that has not moved for this long is stuck. */
#define HEALTH_STALL_NS (5ull * 1000000000ull)

struct daemon;

struct health {
	/* main loop only */
	uint64_t service_loops;
	uint64_t worker_bursts[SOURCE_QUEUES_MAX];
	/* written by the main loop, read by the HTTP thread */
	_Atomic uint64_t main_ns;                 /* the main loop ran */
	_Atomic uint64_t service_ns;              /* the log service moved */
	_Atomic uint64_t worker_ns[SOURCE_QUEUES_MAX];
	_Atomic uint64_t kafka_up_ns;             /* Kafka last seen connected */
	_Atomic bool ingesting;                   /* running, not draining */
	_Atomic bool disk_refusing;
	_Atomic bool kafka_off;                   /* --kafka none */
	unsigned workers;
	uint64_t kafka_outage_ns;                 /* allowed before not ready */
};

void health_init(struct health *h, unsigned workers, uint64_t kafka_outage_ns, uint64_t now);
/* Main loop: samples the daemon. */
void health_run(struct health *h, const struct daemon *d, uint64_t now);
/* Any thread: whether the process and its threads are alive / it is ready
 * to take traffic; the reasons, one per line, go to out (or nowhere: NULL).
 * While draining only the main loop must move. */
bool health_live(const struct health *h, uint64_t now, FILE *out);
bool health_ready(const struct health *h, uint64_t now, FILE *out);

#endif
