/* The running daemon: every component sluiced starts, in one place, for the
 * admin commands and the statistics to read. */
#ifndef SLUICE_CONTROL_DAEMON_H
#define SLUICE_CONTROL_DAEMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "control/canary.h"
#include "control/health.h"
#include "control/notify.h"
#include "control/opts.h"
#include "control/repl.h"
#include "control/retain.h"
#include "control/watch.h"
#include "dataplane/source.h"
#include "dataplane/worker.h"
#include "platform/clock.h"
#include "platform/queue.h"
#include "storage/log_service.h"
#include "storage/log_writer.h"

enum daemon_state { DAEMON_STARTING, DAEMON_RUNNING, DAEMON_DRAINING };

static inline const char *daemon_state_name(enum daemon_state s)
{
	return s == DAEMON_RUNNING ? "running" : s == DAEMON_DRAINING ? "draining" : "starting";
}

struct daemon {
	struct sluiced_config cfg;
	uint64_t start_epoch;        /* this run's number on the data folder */
	int data_dir_lock;          /* held open for the daemon's life */
	const struct source_ops *source_ops;
	struct source *source;
	struct worker *workers[SOURCE_QUEUES_MAX];
	unsigned worker_lcores[SOURCE_QUEUES_MAX];
	unsigned worker_count;
	struct worker *replayer;     /* dead letters replayed (main thread) */
	unsigned service_lcore;
	struct queue *queue;
	struct pool *pool;
	struct log_writer *logs[LOG_KINDS];
	struct log_service service;
	struct repl *repl;          /* NULL with --kafka none */
	struct metrics *metrics;    /* NULL with --metrics none */
	struct watch watch;         /* link and loss lines in the log */
	struct retain retain;       /* segments deleted by retention */
	struct health health;       /* /healthz and /readyz */
	struct notify notify;       /* systemd: READY, WATCHDOG, STOPPING, STATUS */
	struct canary canary;
	uint64_t appliance_salt;    /* 64 bits from the appliance id */
	/* Since start (mono0_ns): wall clock steps, the steady wall clock
	 * (retention, Kafka timestamps) and uptime. */
	struct clock_watch clock;
	enum daemon_state state;    /* main thread writes; others only read */
	_Atomic bool refuse_intake; /* the disk is below its refuse mark */
	char degraded[OPTS_STR_MAX + 160];  /* why, for status; empty when healthy */
};

#endif
