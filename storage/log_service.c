/* Log service loop: dequeue bursts of batch buffers, append them to their
 * log, return the buffers to the pool, keep group commits going. */
#include "storage/log_service.h"

#include <assert.h>

#include "platform/clock.h"

static void log_service_take(struct log_service *svc, struct log_batchbuf *b)
{
	struct log_writer *lw;

	assert(b->kind < LOG_KINDS && b->count > 0);
	lw = svc->logs[b->kind];
	counter_add(&svc->stats.records_in[b->kind], b->count);
	/* On failure the writer has counted what the disk lost. */
	if (b->canary) {
		assert(b->kind == LOG_KIND_EVENTS && b->count == 1);
		(void)log_writer_append_canary(lw, b->data, b->bytes, b->first_arrival_ns);
	} else {
		(void)log_writer_append(lw, b->data, b->bytes, b->count, b->first_arrival_ns);
	}
}

static bool log_service_poll_logs(struct log_service *svc)
{
	bool busy = false;

	for (int k = 0; k < LOG_KINDS; k++) {
		/* Errors are counted by the writer; the service carries on. */
		(void)log_writer_poll(svc->logs[k], false);
		busy |= log_writer_busy(svc->logs[k]);
	}
	return busy;
}

int log_service_run(void *arg)
{
	struct log_service *svc = arg;
	void *bufs[LOG_SERVICE_BURST];
	unsigned n;
	bool busy;

	for (;;) {
		unsigned used = queue_count(svc->queue);

		counter_add(&svc->stats.loops, 1);
		if (used > counter_get(&svc->stats.queue_used_max))
			counter_set(&svc->stats.queue_used_max, used);
		n = queue_dequeue_burst(svc->queue, bufs, LOG_SERVICE_BURST);
		for (unsigned i = 0; i < n; i++) {
			log_service_take(svc, bufs[i]);
			pool_put(svc->pool, bufs[i]);
		}
		if (n)
			counter_add(&svc->stats.batches, n);
		busy = log_service_poll_logs(svc);
		if (n > 0)
			continue;
		if (atomic_load(&svc->stop) && queue_count(svc->queue) == 0)
			break;
		if (busy)
			clock_sleep_ns(svc->idle_sleep_ns / 4);  /* commits in flight */
		else
			/* Everything durable, nothing queued: sleep until a worker
			 * enqueues (it wakes us) or the stop check is due. */
			(void)queue_wait(svc->queue, LOG_SERVICE_IDLE_WAIT_MS);
	}
	for (int k = 0; k < LOG_KINDS; k++)
		(void)log_writer_flush(svc->logs[k]);
	return 0;
}
