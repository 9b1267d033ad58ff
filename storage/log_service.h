/* The log service: the lcore that drains the batch queue into the logs (one
 * for events, one for dead letters) and keeps their commits moving. */
#ifndef SLUICE_STORAGE_LOG_SERVICE_H
#define SLUICE_STORAGE_LOG_SERVICE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform/counter.h"
#include "platform/queue.h"
#include "storage/log_types.h"
#include "storage/log_writer.h"

#define LOG_SERVICE_BURST 32
#define LOG_SERVICE_IDLE_WAIT_MS 100  /* idle: how often the stop flag is seen */

struct log_service_stats {
	counter_t batches;
	counter_t records_in[LOG_KINDS];     /* taken off the queue */
	counter_t queue_used_max;            /* high-water mark of the queue */
	counter_t loops;                     /* passes of its loop: it is alive */
};

struct log_service {
	struct queue *queue;
	struct pool *pool;
	struct log_writer *logs[LOG_KINDS];
	uint64_t idle_sleep_ns;  /* when there is nothing to do */
	_Atomic bool stop;       /* set after the producers have stopped */
	struct log_service_stats stats;
};

/* lcore entry: runs until stop is set and the queue is empty, then makes
 * everything durable and returns 0. Disk errors are counted by the log
 * writers (records_lost_disk, disk_errors), not fatal. */
int log_service_run(void *arg);

#endif
