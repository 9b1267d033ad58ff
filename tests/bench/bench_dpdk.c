/* DPDK source benchmarks, on demand (tests/bench/dpdk runs them):
 *   bench_dpdk mkpcap FILE N [F]     N SLF1 datagrams of F (default 1) 100-byte
 *                                    events to 192.0.2.10:7611 at net_pcap's MAC
 *   bench_dpdk parse N               pkt_classify + slf_parse of N frames held
 *                                    in mbufs, one core; and a CRC-32C-only pass
 *                                    over the same bytes (the floor)
 *   bench_dpdk [EAL args] -- rx S    the DPDK source and one worker for S seconds:
 *                                    RX, L2-L4, SLF1 parse, encode, enqueue; a
 *                                    consumer on the main lcore recycles batches
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
#include "tests/common/frames.h"

static const uint8_t pcap_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
static const uint8_t our4[4] = { 192, 0, 2, 10 };

/* Datagram k: events k*per .. k*per+per-1, from 100 sources. */
static uint32_t bench_frame_of(uint8_t *buf, uint64_t k, unsigned per)
{
	static uint8_t dgram[FRAMES_MAX];
	struct frames_l2 l2 = { .vlan = -1 };
	struct frames_ip ip = { .family = 4, .src = { 192, 0, 2, 1 } };
	uint32_t dlen = 0;

	for (unsigned i = 0; i < per; i++) {
		uint64_t e = k * per + i;

		dlen += frames_slf1(dgram + dlen, e % 100, e / 100, 100);
	}
	memcpy(l2.dst, pcap_mac, 6);
	memcpy(l2.src, "\x02\0\0\0\0\x01", 6);
	memcpy(ip.dst, our4, 4);
	return frames_udp(buf, &l2, &ip, (uint16_t)(40000 + k % 100), 7611, dgram, dlen);
}

static uint32_t bench_frame(uint8_t *buf, uint64_t k)
{
	return bench_frame_of(buf, k, 1);
}

static int bench_mkpcap(const char *path, uint64_t n, unsigned per)
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

		h.caplen = h.len = bench_frame_of(buf, k, per);
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

static int bench_rx(int eal_argc, char **eal_argv, double seconds)
{
	static struct source_config sc;
	struct source_queue_stats st0 = { 0 }, st1 = { 0 };
	struct source *src;
	struct worker *w;
	unsigned lcore;
	char err[256];
	uint64_t records = 0, t0, t1;
	int rc;

	if (bench_eal(eal_argc, eal_argv, 1) < 0 || eal_worker_lcores(&lcore, 1) != 1)
		return 1;
	source_parse_listen("udp://192.0.2.10:7611", &sc.listen[0]);
	sc.listen_count = 1;
	sc.queues = 1;
	sc.rx_desc = 8192;  /* net_pcap infinite_rx keeps the whole capture in mbufs */
	sc.tx_desc = 256;
	sc.frag_flows = 64;
	sc.frag_timeout_ms = 1000;
	rc = source_dpdk_ops.open(&src, &sc, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bench_dpdk: %s\n", err);
		return 1;
	}
	struct queue *q = queue_create("bench_q", 1024, &rc);
	struct pool *p = pool_create("bench_p", 1100, sizeof(struct log_batchbuf), &rc);
	struct worker_config wc = { .source = src, .ops = &source_dpdk_ops, .queue = q, .pool = p,
				    .enqueue_retry_ns = 100000000, .flush_ns = 500000 };

	w = q && p ? worker_create(&wc) : NULL;
	if (!w)
		return 1;
	eal_launch(lcore, worker_run, w);
	/* Warm up for a tenth, then measure. */
	for (t0 = clock_mono_ns(); clock_mono_ns() - t0 < (uint64_t)(seconds * 1e8);)
		bench_consume(q, p);
	source_dpdk_ops.stats(src, 0, &st0);
	t0 = clock_mono_ns();
	/* The consumer naps between bursts so that a profile of this process
	 * is the worker's (the ring holds ~20 ms of batches at 10 M/s). */
	while ((t1 = clock_mono_ns()) - t0 < (uint64_t)(seconds * 1e9)) {
		records += bench_consume(q, p);
		clock_sleep_ns(200000);
	}
	source_dpdk_ops.stats(src, 0, &st1);
	atomic_store(&w->stop, true);
	eal_wait(lcore);
	printf("rx_packets_per_s=%.0f\nrx_events_per_s=%.0f\nrx_missed=%" PRIu64
	       "\nqueue_full=%" PRIu64 "\n",
	       (double)(st1.packets - st0.packets) * 1e9 / (double)(t1 - t0),
	       (double)records * 1e9 / (double)(t1 - t0), st1.missed,
	       (uint64_t)counter_get(&w->stats.drops[WORKER_DROP_QUEUE_FULL]));
	return 0;
}

int main(int argc, char **argv)
{
	int sep = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			sep = i;
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "mkpcap") == 0)
		return bench_mkpcap(argv[2], strtoull(argv[3], NULL, 10),
				    argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 1);
	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return bench_parse(strtoull(argv[2], NULL, 10));
	if (sep && argc == sep + 3 && strcmp(argv[sep + 1], "rx") == 0)
		return bench_rx(sep - 1, argv + 1, strtod(argv[sep + 2], NULL));
	fprintf(stderr, "usage: bench_dpdk mkpcap FILE N [FRAMES] | parse N | "
			"[EAL args] -- rx SECONDS\n");
	return 2;
}
