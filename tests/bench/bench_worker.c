/* The worker's per-core frame rate with source health on and off, on the
 * same datagrams, in one run (tests/bench/sources runs it):
 *   bench_worker FRAMES [SOURCES]
 * SOURCES devices (default 1000) send 100-byte events, one per datagram,
 * in sequence (65536 datagrams, replayed: from the second pass on each
 * frame is a duplicate, which costs tracking what a new number does: one
 * lookup, one move to the front, one bit). Prints key=value lines, and the
 * ratio on/off. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/worker.h"
#include "platform/clock.h"
#include "platform/eal.h"

#define DGRAMS 65536u

static uint8_t dgrams[DGRAMS][SLF_FRAME_OVERHEAD + 100];
static uint32_t lens[DGRAMS];

static void build(uint64_t sources)
{
	static const uint8_t payload[100];

	for (uint32_t i = 0; i < DGRAMS; i++) {
		struct slf_frame f = { .schema_id = 1, .payload_len = 100, .source_id = i % sources,
				       .seq = i / sources, .event_time_ns = 1, .payload = payload };

		lens[i] = slf_encode(dgrams[i], sizeof(dgrams[i]), &f);
	}
}

/* Frames per second through worker_handle, batches recycled in line. */
static double run(struct queue *q, struct pool *p, uint32_t sources_max, uint64_t frames)
{
	struct worker_config wc = { .queue = q, .pool = p, .mode = WORKER_MODE_SLF1,
				    .enqueue_retry_ns = 1000000, .flush_ns = 1000000000,
				    .sources_max = sources_max, .late_ns = 5000000000ull,
				    .ahead_ns = 1000000000ull };
	struct worker *w = worker_create(&wc);
	static struct rx_pkt burst[32];
	uint64_t t0, t1;
	void *objs[64];

	if (!w) {
		fprintf(stderr, "bench_worker: cannot create a worker\n");
		exit(1);
	}
	t0 = clock_mono_ns();
	frames -= frames % 32;
	for (uint64_t n = 0; n < frames; n += 32) {
		for (uint32_t k = 0; k < 32; k++) {
			uint32_t i = (uint32_t)((n + k) % DGRAMS);

			burst[k] = (struct rx_pkt){ .data = dgrams[i], .len = lens[i], .peer_id = 1,
						    .arrival_ns = 2 };
		}
		worker_handle_burst(w, burst, 32);  /* as the loop does, a burst at a time */
		if ((n & 255) == 224) {
			unsigned got = queue_dequeue_burst(q, objs, 64);

			for (unsigned k = 0; k < got; k++)
				pool_put(p, objs[k]);
		}
	}
	t1 = clock_mono_ns();
	worker_flush_all(w);
	for (unsigned got; (got = queue_dequeue_burst(q, objs, 64)) > 0;)
		for (unsigned k = 0; k < got; k++)
			pool_put(p, objs[k]);
	if (counter_get(&w->stats.events_enqueued) != frames) {
		fprintf(stderr, "bench_worker: %" PRIu64 " of %" PRIu64 " frames enqueued\n",
			(uint64_t)counter_get(&w->stats.events_enqueued), frames);
		exit(1);
	}
	worker_destroy(w);
	return (double)frames * 1e9 / (double)(t1 - t0);
}

int main(int argc, char **argv)
{
	uint64_t frames = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
	uint64_t sources = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000;
	struct queue *q;
	struct pool *p;
	double off, on;
	int rc;

	if (frames < DGRAMS || sources < 1 || sources > DGRAMS) {
		fprintf(stderr, "usage: bench_worker FRAMES(>=%u) [SOURCES 1..%u]\n", DGRAMS, DGRAMS);
		return 2;
	}
	struct eal_config ec = { .memory_mb = 256 };

	rc = eal_start(&ec);
	if (rc < 0) {
		fprintf(stderr, "bench_worker: EAL start-up failed: %d\n", rc);
		return 1;
	}
	q = queue_create("bench_q", 128, &rc);
	p = pool_create("bench_p", 64, sizeof(struct log_batchbuf), &rc);
	if (!q || !p) {
		fprintf(stderr, "bench_worker: queue or pool: %d\n", rc);
		return 1;
	}
	build(sources);
	/* Alternate, twice each, so a drift of the machine hits both. */
	off = run(q, p, 0, frames);
	on = run(q, p, 65536, frames);
	off = (off + run(q, p, 0, frames)) / 2;
	on = (on + run(q, p, 65536, frames)) / 2;
	printf("frames=%" PRIu64 "\nsources=%" PRIu64 "\nframes_per_s_off=%.0f\n"
	       "frames_per_s_on=%.0f\nratio_on_off=%.3f\n", frames, sources, off, on, on / off);
	return 0;
}
