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

enum log_kind { LOG_KIND_EVENTS = 0, LOG_KIND_DLQ = 1, LOG_KINDS = 2 };

/* A log's name: its folder in the data folder, and its label in stats. */
static inline const char *log_kind_name(int k)
{
	return k == LOG_KIND_DLQ ? "dlq" : "events";
}

/* Room for one record of the largest size, so any single record fits, and a
 * few dozen small ones so the queue carries bursts rather than packets. */
#define LOG_BATCHBUF_DATA_BYTES (72u * 1024u)

/* What producers fill and the queue carries: encoded records of one kind. */
struct log_batchbuf {
	uint32_t kind;              /* enum log_kind */
	uint32_t count;             /* records */
	uint32_t bytes;             /* used bytes of data */
	uint32_t producer;          /* worker index, for diagnostics */
	uint64_t first_arrival_ns;
	uint8_t data[LOG_BATCHBUF_DATA_BYTES];
};

_Static_assert(LOG_BATCHBUF_DATA_BYTES >= LOG_RECORD_BYTES_MAX,
	       "a batch buffer must hold the largest record");

#define LOG_SERVICE_BURST 32

struct log_service_stats {
	counter_t batches;
	counter_t records_in[LOG_KINDS];     /* taken off the queue */
	counter_t queue_used_max;            /* high-water mark of the queue */
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
