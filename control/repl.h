/* The replicator: reads durable records from the logs and produces them to
 * Kafka with an idempotent librdkafka producer (acks=all), then checkpoints
 * what Kafka acknowledged. Runs on its own thread; start/stop/stats from the
 * main thread. */
#ifndef SLUICE_CONTROL_REPL_H
#define SLUICE_CONTROL_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "control/kprop.h"
#include "control/topics.h"
#include "platform/clock.h"
#include "platform/counter.h"
#include "platform/histo.h"
#include "storage/log_service.h"
#include "storage/log_writer.h"

#define REPL_SETTINGS_MAX 16

struct repl_config {
	const char *brokers;
	/* librdkafka settings applied after sluice's own (tests, tuning). */
	const char *settings[REPL_SETTINGS_MAX][2];
	unsigned settings_count;
	const struct kprop_list *props;     /* the operator's kafka.* settings, or NULL */
	const char *topic[LOG_KINDS];       /* events topic, dead-letter topic */
	const struct topic_map *topic_map;  /* events of these schemas elsewhere, or NULL */
	const char *appliance_id;
	struct log_writer *logs[LOG_KINDS]; /* for durable offsets and folders */
	uint64_t ckpt_interval_ns;          /* checkpoint at least this often... */
	uint64_t ckpt_events;               /* ...or once this many were acknowledged (0: off) */
	/* Records produced past the acknowledged offset, at most: with the
	 * checkpoint settings, the bound on what a crash re-sends. 0: the most. */
	uint64_t window;
	/* Exactly-once: transactions of at most `window` records per log and
	 * txn_interval_ns, each with the offsets it reaches, written to
	 * offsets_topic; the offsets are read back from Kafka on start. */
	bool exactly_once;
	uint64_t txn_interval_ns;
	const char *offsets_topic;
	/* Each event goes with header watermark=<ns> from this (source health's
	 * per schema); NULL or 0: no header. */
	uint64_t (*watermark)(const void *ctx, uint16_t schema);
	const void *watermark_ctx;
	/* The daemon's steady wall clock, for record timestamps (required):
	 * the one retention ages segments by. */
	const struct clock_watch *clock;
};

struct repl_log_stats {
	counter_t produced;
	counter_t acked;            /* delivery reports that said yes */
	counter_t failed;           /* delivery reports that said no: re-sent */
	counter_t resent;           /* records produced again after a failure */
	counter_t acked_offset;     /* every record below is in Kafka */
	counter_t acked_bytes;
	struct histo ack_latency;   /* arrival -> acknowledged by Kafka */
};

struct repl_stats {
	struct repl_log_stats log[LOG_KINDS];
	counter_t producer_restarts;
	counter_t paused;
	counter_t segments_quarantined;  /* found damaged while reading */
	counter_t records_quarantined;   /* offsets they held: never sent */
	counter_t txn_committed;         /* exactly-once transactions */
	counter_t txn_aborted;
	/* sluice's canary, outside the events' counters and histogram */
	counter_t canaries_acked;
	counter_t canary_ack_ns;         /* the last one's arrival -> Kafka */
};

struct repl;

/* Reads the checkpoints and starts the thread. On failure writes why into
 * err and returns -errno. */
int repl_start(struct repl **out, const struct repl_config *cfg, char *err,
	       size_t err_size);

/* Reads the checkpoint of a log without starting anything: the offset below
 * which Kafka has every record. 0 when there is none. */
uint64_t repl_checkpoint_offset(const char *log_dir);

void repl_pause(struct repl *r, bool paused);

/* Replicates until every durable record is acknowledged or timeout_ns passes,
 * writes the final checkpoints and stops the thread; the stats stay readable
 * until repl_free. Returns 0 when nothing was left behind, -ETIMEDOUT when a
 * backlog stays in the log for the next start. */
int repl_stop(struct repl *r, uint64_t timeout_ns);
void repl_free(struct repl *r);

/* The same without blocking, for a main loop that keeps serving: begin,
 * then poll done (true once the thread has ended; *result as repl_stop's).
 * stop_now cuts the drain short: the backlog stays in the log. */
void repl_stop_begin(struct repl *r, uint64_t timeout_ns);
bool repl_stop_done(struct repl *r, int *result);
void repl_stop_now(struct repl *r);

const struct repl_stats *repl_stats(const struct repl *r);

/* The cluster as the replicator sees it (connected, brokers, last error). */
struct repl_broker_state;
void repl_broker_state(struct repl *r, struct repl_broker_state *out);

/* New kafka.* settings (SIGHUP): the replication thread starts a new
 * producer with them and goes on from the acknowledged offsets, so at most
 * one window is sent again. */
void repl_set_props(struct repl *r, const struct kprop_list *props);

/* Test seam: the replication thread raises a fatal idempotence error on its
 * producer, as a broker's fencing would. */
void repl_inject_fatal(struct repl *r);

#endif
