/* The canary: every interval the control plane hands worker 0 a synthetic
 * SLF1 event with the canary flag; it enters the parser, travels in a batch
 * of its own, and the log and the replicator time it to durable and to its
 * Kafka acknowledgement on their canary counters. One canary is on its way
 * at a time; while it is, the next ones are counted as skipped, so a stuck
 * pipeline shows as a canary that grows old (the canary-stale alert).
 * Canary events stay out of the events' counters and histograms.
 *
 * Main loop: canary_run. Any thread: the renderings (atomics only). */
#ifndef SLUICE_CONTROL_CANARY_H
#define SLUICE_CONTROL_CANARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/repl.h"
#include "dataplane/worker.h"
#include "platform/counter.h"
#include "storage/log_writer.h"

/* The first canary goes this soon after start (or after interval, if less). */
#define CANARY_FIRST_NS (5ull * 1000000000ull)

enum canary_result { CANARY_NONE, CANARY_ARRIVED, CANARY_DROPPED, CANARY_LOST };

struct canary_config {
	uint64_t interval_ns;        /* 0: no canary */
	uint64_t stale_ns;           /* stale past interval + this without an arrival */
	uint16_t schema_id;          /* routes it like the events of that schema */
	uint64_t source_id;          /* this appliance's canary source */
	uint64_t seq_base;           /* this run's first seq (run << 40) */
	const char *appliance_id;    /* named in its payload */
};

/* What canary_run reads: the first worker, the events log, the replicator
 * (NULL with --kafka none: a canary has arrived once it is durable). */
struct canary_path {
	struct worker *worker;
	const struct log_writer_stats *log;
	const struct repl_stats *repl;
};

struct canary {
	struct canary_config cfg;
	uint64_t started_ns;         /* monotonic */
	uint64_t next_ns;            /* when the next one is due */
	uint64_t seq;                /* canaries handed over this run */
	bool pending;
	bool durable;                /* the pending one is on disk */
	uint64_t durable_ns;         /* ... after this long */
	uint64_t base_dropped, base_lost, base_durable, base_acked;
	/* read by other threads */
	counter_t sent, arrived, failed, skipped;
	counter_t pending_seq, pending_since_ns;     /* real time it was handed over */
	counter_t last_seq, last_sent_ns, last_result, last_durable_ns, last_kafka_ns;
	counter_t arrived_mono_ns;   /* when the last one arrived; 0: none yet */
	bool kafka;
};

void canary_init(struct canary *c, const struct canary_config *cfg, bool kafka, uint64_t now);
/* Settles the canary on its way and hands over the next when it is due.
 * now: monotonic. Does nothing while the daemon drains (stopping). */
void canary_run(struct canary *c, const struct canary_path *p, bool stopping, uint64_t now);
/* Microseconds since the last canary arrived (or since start when none
 * has), and whether that is past interval + stale_ns. */
uint64_t canary_age_us(const struct canary *c, uint64_t now);
bool canary_stale(const struct canary *c, uint64_t now);

void canary_render(const struct canary *c, uint64_t now, FILE *out, int json);
void canary_render_prometheus(const struct canary *c, uint64_t now, FILE *out);

#endif
