/* The worker's per-core frame rate with source health on and off, on the
 * same datagrams, in one run (tests/bench/sources runs it):
 *   bench_worker FRAMES [SOURCES [PAYLOAD]]
 * SOURCES devices (default 1000) send PAYLOAD-byte events (100; at most
 * 1024), one per datagram,
 * round robin, each in its own sequence: between passes over the 65536
 * datagrams (clock stopped) each is written again with its device's next
 * numbers, so every frame is in order, as a healthy device sends. Two
 * workers, one tracking (a table of 65536) and one not, take each pass in
 * turn, first one then the other, so that the shared machine's drift
 * falls on both. Prints key=value lines: each side's frames/s and the
 * median of the passes' ratios on/off. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/worker.h"
#include "platform/clock.h"
#include "platform/eal.h"
#include "tests/bench/bench_sort.h"

#define DGRAMS 65536u

#define PAYLOAD_MAX 1024u

static uint8_t *dgram_buf;     /* DGRAMS datagrams back to back, as a NIC's ring holds them */
static uint16_t payload_len = 100;

static uint8_t *dgram(uint32_t i)
{
	return dgram_buf + (size_t)i * (SLF_FRAME_OVERHEAD + payload_len);
}
static uint32_t lens[DGRAMS];

static uint64_t next_seq[DGRAMS];

/* The next pass: each device's following numbers. */
static void build(uint64_t sources)
{
	static const uint8_t payload[PAYLOAD_MAX];

	for (uint32_t i = 0; i < DGRAMS; i++) {
		uint64_t src = i % sources;
		struct slf_frame f = { .schema_id = 1, .payload_len = payload_len, .source_id = src,
				       .seq = next_seq[src]++, .event_time_ns = 1, .payload = payload };

		lens[i] = slf_encode(dgram(i), SLF_FRAME_OVERHEAD + payload_len, &f);
	}
}

static struct worker *bench_worker(struct queue *q, struct pool *p, uint32_t sources_max)
{
	struct worker_config wc = { .queue = q, .pool = p, .mode = WORKER_MODE_SLF1,
				    .enqueue_retry_ns = 1000000, .flush_ns = 1000000000,
				    .sources_max = sources_max, .late_ns = 5000000000ull,
				    .ahead_ns = 1000000000ull };
	struct worker *w = worker_create(&wc);

	if (!w) {
		fprintf(stderr, "bench_worker: cannot create a worker\n");
		exit(1);
	}
	return w;
}

static void recycle(struct queue *q, struct pool *p)
{
	void *objs[64];

	for (unsigned got; (got = queue_dequeue_burst(q, objs, 64)) > 0;)
		for (unsigned k = 0; k < got; k++)
			pool_put(p, objs[k]);
}

/* One pass over the datagrams, a burst at a time as the loop takes them,
 * batches recycled in line; returns the nanoseconds it took. */
static uint64_t pass(struct worker *w, struct queue *q, struct pool *p)
{
	static struct rx_pkt burst[32];
	uint64_t t0 = clock_mono_ns();

	for (uint32_t n = 0; n < DGRAMS; n += 32) {
		for (uint32_t k = 0; k < 32; k++)
			burst[k] = (struct rx_pkt){ .data = dgram(n + k), .len = lens[n + k],
						    .peer_id = 1, .arrival_ns = 2 };
		worker_handle_burst(w, burst, 32);
		if ((n & 255) == 224)
			recycle(q, p);
	}
	return clock_mono_ns() - t0;
}

static void check(struct worker *w, struct queue *q, struct pool *p, uint64_t frames,
		  uint64_t sources)
{
	worker_flush_all(w);
	recycle(q, p);
	if (counter_get(&w->stats.events_enqueued) != frames) {
		fprintf(stderr, "bench_worker: %" PRIu64 " of %" PRIu64 " frames enqueued\n",
			(uint64_t)counter_get(&w->stats.events_enqueued), frames);
		exit(1);
	}
	if (w->sources) {  /* the devices sent in order: tracking must find nothing */
		const struct srcstat_totals *tot = srcstat_totals(w->sources);

		if (counter_get(&tot->gaps) || counter_get(&tot->dups) ||
		    counter_get(&tot->reordered) || counter_get(&tot->stale) ||
		    counter_get(&tot->tracked) != sources) {
			fprintf(stderr, "bench_worker: tracking saw gaps, dups or the wrong count\n");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	uint64_t frames = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
	uint64_t sources = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000;
	uint64_t payload = argc > 3 ? strtoull(argv[3], NULL, 10) : 100;
	uint64_t passes = frames / DGRAMS, ns[2] = { 0, 0 };
	struct eal_config ec = { .memory_mb = 256 };
	struct worker *w[2];
	double *ratios;
	struct queue *q;
	struct pool *p;
	int rc;

	if (passes < 3 || sources < 1 || sources > DGRAMS || payload < 1 || payload > PAYLOAD_MAX) {
		fprintf(stderr, "usage: bench_worker FRAMES(>=%u) [SOURCES 1..%u [PAYLOAD 1..%u]]\n",
			3 * DGRAMS, DGRAMS, PAYLOAD_MAX);
		return 2;
	}
	payload_len = (uint16_t)payload;
	dgram_buf = malloc((size_t)DGRAMS * (SLF_FRAME_OVERHEAD + payload_len));
	if (!dgram_buf) {
		fprintf(stderr, "bench_worker: no memory for the datagrams\n");
		return 1;
	}
	rc = eal_start(&ec);
	if (rc < 0) {
		fprintf(stderr, "bench_worker: EAL start-up failed: %d\n", rc);
		return 1;
	}
	q = queue_create("bench_q", 128, &rc);
	p = pool_create("bench_p", 64, sizeof(struct log_batchbuf), &rc);
	ratios = calloc(passes, sizeof(*ratios));
	if (!q || !p || !ratios) {
		fprintf(stderr, "bench_worker: queue, pool or memory: %d\n", rc);
		return 1;
	}
	w[0] = bench_worker(q, p, 0);
	w[1] = bench_worker(q, p, 65536);
	for (uint64_t k = 0; k < passes; k++) {
		uint64_t t[2];

		build(sources);
		for (int j = 0; j < 2; j++) {
			int side = (int)((k + (uint64_t)j) & 1);  /* off first, then on first */

			t[side] = pass(w[side], q, p);
			ns[side] += t[side];
		}
		ratios[k] = (double)t[0] / (double)t[1];
	}
	check(w[0], q, p, passes * DGRAMS, sources);
	check(w[1], q, p, passes * DGRAMS, sources);
	bench_sort_doubles(ratios, passes);
	printf("frames=%" PRIu64 "\nsources=%" PRIu64 "\npayload=%" PRIu64 "\nframes_per_s_off=%.0f\n"
	       "frames_per_s_on=%.0f\nratio_on_off=%.3f\nratio_p10=%.3f\nratio_p90=%.3f\n",
	       passes * DGRAMS, sources, payload, (double)(passes * DGRAMS) * 1e9 / (double)ns[0],
	       (double)(passes * DGRAMS) * 1e9 / (double)ns[1], ratios[passes / 2],
	       ratios[passes / 10], ratios[passes * 9 / 10]);
	worker_destroy(w[0]);
	worker_destroy(w[1]);
	free(ratios);
	free(dgram_buf);
	return 0;
}
