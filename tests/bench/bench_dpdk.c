/* DPDK source benchmarks, on demand (tests/bench/dpdk runs them):
 *   bench_dpdk mkpcap FILE N [F [D]] N SLF1 datagrams of F (default 1) 100-byte
 *                                    events to 192.0.2.10:7611 at net_pcap's MAC,
 *                                    from D devices (default 100) in turn, each
 *                                    numbering its events from 0
 *   bench_dpdk parse N               pkt_classify + slf_parse of N frames held
 *                                    in mbufs, one core; and a CRC-32C-only pass
 *                                    over the same bytes (the floor)
 *   bench_dpdk [EAL args] -- rx S    the DPDK source and one worker for S seconds:
 *                                    RX, L2-L4, SLF1 parse, encode, enqueue; a
 *                                    consumer on the main lcore recycles batches
 *   bench_dpdk [EAL args] -- track S T D
 *                                    the same with source health on (a table of
 *                                    T) and off in turns over S seconds; the
 *                                    capture: D devices, 129 events each
 * Each prints key=value lines. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_mbuf.h>

#include "dataplane/pkt.h"
#include "dataplane/worker.h"
#include "platform/clock.h"
#include "platform/crc32c.h"
#include "platform/eal.h"
#include "tests/bench/bench_sort.h"
#include "tests/common/frames.h"

static const uint8_t pcap_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
static const uint8_t our4[4] = { 192, 0, 2, 10 };

/* Datagram k: events k*per .. k*per+per-1, from devices in turn. */
static uint32_t bench_frame_of(uint8_t *buf, uint64_t k, unsigned per, uint64_t devices)
{
	static uint8_t dgram[FRAMES_MAX];
	struct frames_l2 l2 = { .vlan = -1 };
	struct frames_ip ip = { .family = 4, .src = { 192, 0, 2, 1 } };
	uint32_t dlen = 0;

	for (unsigned i = 0; i < per; i++) {
		uint64_t e = k * per + i;

		dlen += frames_slf1(dgram + dlen, e % devices, e / devices, 100);
	}
	memcpy(l2.dst, pcap_mac, 6);
	memcpy(l2.src, "\x02\0\0\0\0\x01", 6);
	memcpy(ip.dst, our4, 4);
	return frames_udp(buf, &l2, &ip, (uint16_t)(40000 + k % 100), 7611, dgram, dlen);
}

static uint32_t bench_frame(uint8_t *buf, uint64_t k)
{
	return bench_frame_of(buf, k, 1, 100);
}

static int bench_mkpcap(const char *path, uint64_t n, unsigned per, uint64_t devices)
{
	static uint8_t buf[FRAMES_MAX];
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *out = dead ? pcap_dump_open(dead, path) : NULL;

	if (!out) {
		fprintf(stderr, "bench_dpdk: cannot write %s\n", path);
		return 1;
	}
	for (uint64_t k = 0; k < n; k++) {
		struct pcap_pkthdr h = { .ts = { 1700000000, 0 } };

		h.caplen = h.len = bench_frame_of(buf, k, per, devices);
		pcap_dump((u_char *)out, &h, buf);
	}
	pcap_dump_close(out);
	pcap_close(dead);
	printf("frames=%" PRIu64 "\n", n);
	return 0;
}

static int bench_eal(int argc, char **argv, unsigned workers)
{
	struct eal_config ec = { .user_argc = argc, .user_argv = argv, .workers = workers,
				 .memory_mb = 512, .dedicated = workers > 0 };
	int rc = eal_start(&ec);

	if (rc < 0)
		fprintf(stderr, "bench_dpdk: EAL: %s\n", strerror(-rc));
	return rc;
}

/* Frames in mbufs of a pool, classified and parsed round after round. */
static int bench_parse(uint64_t n)
{
	enum { HELD = 4096 };
	static struct slf_frame frames[SLF_FRAMES_MAX];
	static struct rte_mbuf *mbufs[HELD];
	struct sockaddr_storage ls = { 0 };
	struct pkt_filter f;
	struct pkt_info info;
	struct slf_fault fault;
	uint64_t parsed = 0, t0, t1, crc = 0;
	struct rte_mempool *mp;

	if (bench_eal(0, NULL, 0) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bench", HELD, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (!mp || rte_pktmbuf_alloc_bulk(mp, mbufs, HELD) != 0)
		return 1;
	for (unsigned i = 0; i < HELD; i++) {
		uint8_t *p = rte_pktmbuf_mtod(mbufs[i], uint8_t *);

		mbufs[i]->data_len = (uint16_t)bench_frame(p, i);
		mbufs[i]->pkt_len = mbufs[i]->data_len;
	}
	ls.ss_family = AF_INET;
	((struct sockaddr_in *)&ls)->sin_port = htons(7611);
	memcpy(&((struct sockaddr_in *)&ls)->sin_addr, our4, 4);
	pkt_filter_init(&f, pcap_mac, &ls, 1);
	t0 = clock_mono_ns();
	for (uint64_t k = 0; k < n; k++) {
		struct rte_mbuf *m = mbufs[k % HELD];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

		if (pkt_classify(&f, p, m->pkt_len, 0, &info) == PKT_DATA)
			parsed += slf_parse(p + info.payload_off, info.payload_len, frames,
					    SLF_FRAMES_MAX, &fault);
	}
	t1 = clock_mono_ns();
	printf("parse_frames=%" PRIu64 "\nparse_frames_per_s=%.0f\n", parsed,
	       parsed * 1e9 / (double)(t1 - t0));
	/* The SLF1 parser alone, on the datagrams where they lie in the mbufs. */
	parsed = 0;
	t0 = clock_mono_ns();
	for (uint64_t k = 0; k < n; k++) {
		struct rte_mbuf *m = mbufs[k % HELD];

		parsed += slf_parse(rte_pktmbuf_mtod(m, const uint8_t *) + 42, m->pkt_len - 42,
				    frames, SLF_FRAMES_MAX, &fault);
	}
	t1 = clock_mono_ns();
	printf("slf_only_frames_per_s=%.0f\n", parsed * 1e9 / (double)(t1 - t0));
	t0 = clock_mono_ns();
	for (uint64_t k = 0; k < n; k++) {
		struct rte_mbuf *m = mbufs[k % HELD];

		crc += crc32c(rte_pktmbuf_mtod(m, const uint8_t *) + 42, m->pkt_len - 42 - 4);
	}
	t1 = clock_mono_ns();
	printf("crc_only_per_s=%.0f\ncrc_sink=%" PRIu64 "\n", n * 1e9 / (double)(t1 - t0), crc);
	return parsed == n ? 0 : 1;
}

/* Recycles what the worker enqueues; returns the records seen. */
static uint64_t bench_consume(struct queue *q, struct pool *p)
{
	void *objs[64];
	uint64_t records = 0;
	unsigned n = queue_dequeue_burst(q, objs, 64);

	for (unsigned i = 0; i < n; i++) {
		records += ((struct log_batchbuf *)objs[i])->count;
		pool_put(p, objs[i]);
	}
	return records;
}

/* The DPDK source (rx_desc: room for net_pcap infinite_rx's whole capture
 * in its pool), a batch queue and pool, the worker lcore. */
static int bench_rx_open(int eal_argc, char **eal_argv, unsigned rx_desc, struct source **src,
			 struct queue **q, struct pool **p, unsigned *lcore)
{
	static struct source_config sc;
	char err[256];
	int rc;

	if (bench_eal(eal_argc, eal_argv, 1) < 0 || eal_worker_lcores(lcore, 1) != 1)
		return -1;
	source_parse_listen("udp://192.0.2.10:7611", &sc.listen[0]);
	sc.listen_count = 1;
	sc.queues = 1;
	sc.rx_desc = rx_desc;
	sc.tx_desc = 256;
	sc.frag_flows = 64;
	sc.frag_timeout_ms = 1000;
	rc = source_dpdk_ops.open(src, &sc, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bench_dpdk: %s\n", err);
		return -1;
	}
	*q = queue_create("bench_q", 1024, &rc);
	*p = pool_create("bench_p", 1100, sizeof(struct log_batchbuf), &rc);
	return *q && *p ? 0 : -1;
}

static struct worker *bench_rx_worker(struct source *src, struct queue *q, struct pool *p,
				      uint32_t table)
{
	/* A replayed capture's event times are the capture's, years old: the
	 * lateness bounds are wider than that, so frames take the on-time path. */
	struct worker_config wc = { .source = src, .ops = &source_dpdk_ops, .queue = q, .pool = p,
				    .mode = WORKER_MODE_SLF1, .enqueue_retry_ns = 100000000,
				    .flush_ns = 500000, .sources_max = table,
				    .late_ns = 1000000000000000000ull,
				    .ahead_ns = 1000000000000000000ull };

	return worker_create(&wc);
}

struct bench_rates {
	double packets, events, frames;  /* per second: RX, records enqueued, frames parsed */
	uint64_t missed;                 /* the port's, in all, at the end */
};

/* Runs w on lcore for a tenth more than ns, recycling its batches; its
 * rates over the last ns. */
static struct bench_rates bench_turn(struct source *src, struct worker *w, unsigned lcore,
				     struct queue *q, struct pool *p, uint64_t ns)
{
	struct source_queue_stats st0 = { 0 }, st1 = { 0 };
	uint64_t t0, t1, f0, f1, records = 0;
	double s;

	eal_launch(lcore, worker_run, w);
	for (t0 = clock_mono_ns(); clock_mono_ns() - t0 < ns / 10;)
		bench_consume(q, p);
	source_dpdk_ops.stats(src, 0, &st0);
	f0 = counter_get(&w->stats.frames_received);
	t0 = clock_mono_ns();
	/* The consumer naps between bursts so that a profile of this process
	 * is the worker's (the ring holds ~20 ms of batches at 10 M/s). */
	while ((t1 = clock_mono_ns()) - t0 < ns) {
		records += bench_consume(q, p);
		clock_sleep_ns(200000);
	}
	source_dpdk_ops.stats(src, 0, &st1);
	f1 = counter_get(&w->stats.frames_received);
	atomic_store(&w->stop, true);
	eal_wait(lcore);
	while (bench_consume(q, p))
		;
	s = (double)(t1 - t0) / 1e9;
	return (struct bench_rates){ .packets = (double)(st1.packets - st0.packets) / s,
				     .events = (double)records / s,
				     .frames = (double)(f1 - f0) / s, .missed = st1.missed };
}

static int bench_rx(int eal_argc, char **eal_argv, double seconds)
{
	struct bench_rates r;
	struct source *src;
	struct worker *w;
	struct queue *q;
	struct pool *p;
	unsigned lcore;

	/* net_pcap infinite_rx keeps the whole capture in mbufs */
	if (bench_rx_open(eal_argc, eal_argv, 8192, &src, &q, &p, &lcore) < 0 ||
	    !(w = bench_rx_worker(src, q, p, 0)))
		return 1;
	r = bench_turn(src, w, lcore, q, p, (uint64_t)(seconds * 1e9));
	printf("rx_packets_per_s=%.0f\nrx_events_per_s=%.0f\nrx_missed=%" PRIu64
	       "\nqueue_full=%" PRIu64 "\n", r.packets, r.events, r.missed,
	       (uint64_t)counter_get(&w->stats.drops[WORKER_DROP_QUEUE_FULL]));
	return 0;
}

#define TRACK_PAIRS 80
#define TRACK_PER_DEVICE 129  /* events per device in the capture: see bench_track */

/* One turn of a new worker (table: its source table, 0 for none); with a
 * table, tracking must have found the devices and nothing wrong. Returns
 * frames/s, or a negative number. */
static double track_turn(struct source *src, struct queue *q, struct pool *p, unsigned lcore,
			 uint32_t table, uint64_t devices, uint64_t ns)
{
	struct worker *w = bench_rx_worker(src, q, p, table);
	const struct srcstat_totals *t;
	double rate;

	if (!w)
		return -1;
	rate = bench_turn(src, w, lcore, q, p, ns).frames;
	if (table) {
		t = srcstat_totals(w->sources);
		if (counter_get(&t->tracked) != devices || counter_get(&t->gaps) ||
		    counter_get(&t->dups) || counter_get(&t->reordered) || counter_get(&t->stale) ||
		    counter_get(&t->late) || counter_get(&t->ahead)) {
			fprintf(stderr, "bench_dpdk: tracking saw %" PRIu64 " devices (of %" PRIu64
				"), gaps %" PRIu64 ", dups %" PRIu64 ", reordered %" PRIu64
				", stale %" PRIu64 ", late %" PRIu64 ", ahead %" PRIu64
				" (a capture of other than 129 events per device?)\n",
				(uint64_t)counter_get(&t->tracked), devices,
				(uint64_t)counter_get(&t->gaps), (uint64_t)counter_get(&t->dups),
				(uint64_t)counter_get(&t->reordered), (uint64_t)counter_get(&t->stale),
				(uint64_t)counter_get(&t->late), (uint64_t)counter_get(&t->ahead));
			rate = -1;
		}
	}
	worker_destroy(w);
	return rate;
}

/* Source health's cost on the whole DPDK frame path (issue 11): a worker
 * that tracks (a table of `table`) and one that does not take turns on the
 * same port, first one then the other, and the median of the pairs' ratios
 * is printed. The capture is replayed from memory: its devices number their
 * events from 0 at every pass, which source health takes for a restart
 * (below its window after at least two windows), so a capture of
 * TRACK_PER_DEVICE events per device (no more: the pool holds just that)
 * replays as devices that send in sequence. Each turn has a worker of its
 * own, so that the frames another turn took are not a jump in a device's
 * numbers. Short turns, many of them: the machine's speed wanders by a
 * third over a second. Table 0: neither side tracks, the control (its
 * ratio is the method's own error). */
static int bench_track(int eal_argc, char **eal_argv, double seconds, uint32_t table,
		       uint64_t devices)
{
	uint64_t turn_ns = (uint64_t)(seconds * 1e9 / (2 * TRACK_PAIRS));
	double rate[2] = { 0, 0 }, ratios[TRACK_PAIRS];
	struct source *src;
	struct queue *q;
	struct pool *p;
	unsigned lcore;

	if (devices < 1 || devices > 65536 || (table && devices > table) || turn_ns < 10000000) {
		fprintf(stderr, "bench_dpdk: track SECONDS(>=1.6) TABLE DEVICES(1..TABLE)\n");
		return 2;
	}
	/* The pool holds the capture: 129 events per device, and some. */
	if (bench_rx_open(eal_argc, eal_argv, (unsigned)(devices * TRACK_PER_DEVICE + 8192), &src,
			  &q, &p, &lcore) < 0)
		return 1;
	for (unsigned k = 0; k < TRACK_PAIRS; k++) {
		double r[2];

		for (unsigned j = 0; j < 2; j++) {
			unsigned side = (k + j) & 1;  /* off first, then on first */

			r[side] = track_turn(src, q, p, lcore, side ? table : 0, devices, turn_ns);
			if (r[side] < 0)
				return 1;
			rate[side] += r[side] / TRACK_PAIRS;
		}
		ratios[k] = r[1] / r[0];
	}
	bench_sort_doubles(ratios, TRACK_PAIRS);
	printf("devices=%" PRIu64 "\nframes_per_s_off=%.0f\nframes_per_s_on=%.0f\n"
	       "ratio_on_off=%.3f\nratio_min=%.3f\nratio_max=%.3f\n", devices, rate[0], rate[1],
	       (ratios[TRACK_PAIRS / 2 - 1] + ratios[TRACK_PAIRS / 2]) / 2, ratios[0],
	       ratios[TRACK_PAIRS - 1]);
	return 0;
}

int main(int argc, char **argv)
{
	int sep = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			sep = i;
	if (argc >= 4 && argc <= 6 && strcmp(argv[1], "mkpcap") == 0) {
		unsigned per = argc >= 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 1;
		uint64_t devices = argc == 6 ? strtoull(argv[5], NULL, 10) : 100;

		if (per < 1 || devices < 1) {
			fprintf(stderr, "bench_dpdk: mkpcap needs 1 or more frames and devices\n");
			return 2;
		}
		return bench_mkpcap(argv[2], strtoull(argv[3], NULL, 10), per, devices);
	}
	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return bench_parse(strtoull(argv[2], NULL, 10));
	if (sep && argc == sep + 3 && strcmp(argv[sep + 1], "rx") == 0)
		return bench_rx(sep - 1, argv + 1, strtod(argv[sep + 2], NULL));
	if (sep && argc == sep + 5 && strcmp(argv[sep + 1], "track") == 0)
		return bench_track(sep - 1, argv + 1, strtod(argv[sep + 2], NULL),
				   (uint32_t)strtoul(argv[sep + 3], NULL, 10),
				   strtoull(argv[sep + 4], NULL, 10));
	fprintf(stderr, "usage: bench_dpdk mkpcap FILE N [FRAMES [DEVICES]] | parse N | "
			"[EAL args] -- rx SECONDS | [EAL args] -- track SECONDS TABLE DEVICES\n");
	return 2;
}
