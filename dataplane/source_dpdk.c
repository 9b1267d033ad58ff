/* The DPDK source: each worker polls its own RX queue of one ethdev port,
 * classifies frames (pkt.c), reassembles UDP fragments (DPDK's ip_frag, one
 * table per queue, so no lock), answers ARP, echo and neighbour solicitation
 * on its own TX queue, and hands UDP payloads to the worker in place in the
 * mbufs. Nothing is allocated, locked or called into the kernel per packet:
 * mbufs are freed in bulk at the next burst, answers go out in one burst. */
#include "dataplane/source.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/pkt.h"
#include "dataplane/port.h"
#include "dataplane/reply.h"
#include "dataplane/rx_power.h"
#include "platform/clock.h"
#include "platform/counter.h"

/* A datagram that arrived in several mbufs (reassembled, or scattered by the
 * NIC) is copied out whole: an IP datagram is at most 65,535 bytes, plus
 * the Ethernet header and tag; anything longer is cut, and then its own
 * length fields call it truncated. */
#define DPDK_LINEAR_BYTES (65536u + 64u)
#define DPDK_FRAG_BUCKET_ENTRIES 4u
#define DPDK_DEATH_ROW_PREFETCH 4u
/* Arrival times come from the TSC, re-anchored to the real-time clock this
 * often: clock_gettime per burst cost 7 % of a worker's time here (a VM's
 * vDSO), once a millisecond costs nothing, and DPDK's estimate of the TSC
 * rate is off enough here that 100 ms between anchors put arrival times
 * 50 us before the sender's own clock. */
#define DPDK_CLOCK_SYNC_MS 1u

struct dpdk_queue {
	uint16_t id;
	unsigned held_count;
	unsigned linear_used;
	uint64_t frag_sweep_tsc;            /* next sweep of expired reassemblies */
	uint64_t clock_real_ns, clock_tsc;  /* the real time at that TSC */
	uint64_t clock_sync_tsc;            /* when to read the real clock again */
	struct rte_ip_frag_tbl *frag;
	uint8_t *linear;                    /* SOURCE_BURST_MAX * DPDK_LINEAR_BYTES */
	struct rte_mbuf *held[SOURCE_BURST_MAX];  /* what pkts point into */
	struct rte_mbuf *rx[SOURCE_BURST_MAX];
	struct rte_mbuf *tx[SOURCE_BURST_MAX];
	struct rte_ip_frag_death_row death_row;
	struct rx_power power;
	struct {
		counter_t packets, datagrams, bytes, fragments, reassembled;
		counter_t drops[SOURCE_DROPS];
		counter_t replies[SOURCE_REPLIES];
	} st __rte_cache_aligned;           /* written by the worker only */
} __rte_cache_aligned;

struct source {
	struct source_config cfg;
	struct port port;
	struct pkt_filter filter;
	uint64_t frag_ttl_tsc;
	uint64_t clock_mult;                /* ns per TSC tick, << 32 */
	uint64_t clock_sync_ticks;
	struct dpdk_queue *queues[SOURCE_QUEUES_MAX];
};

_Static_assert((int)PKT_DROPS == (int)SOURCE_DROP_REPLY_TX,
	       "the packet drop reasons open the source's list, in the same order");

static void dpdk_close(struct source *src)
{
	if (!src)
		return;
	for (unsigned q = 0; q < SOURCE_QUEUES_MAX; q++) {
		struct dpdk_queue *dq = src->queues[q];

		if (!dq)
			continue;
		rte_pktmbuf_free_bulk(dq->held, dq->held_count);
		rx_power_close(&dq->power);
		if (dq->frag) {
			rte_ip_frag_table_destroy(dq->frag);
			rte_ip_frag_free_death_row(&dq->death_row, 0);
		}
		free(dq->linear);
		rte_free(dq);
	}
	port_close(&src->port);
	free(src);
}

/* The mbuf pool, as the sum of where an mbuf can be, per queue: refilling
 * the RX ring, the burst a worker holds until its next one, fragments held
 * for reassembly and on death row, answers in the TX ring, and the pool's
 * per-lcore cache. */
static unsigned dpdk_mbufs(const struct source_config *cfg)
{
	unsigned per_queue = cfg->rx_desc + SOURCE_BURST_MAX +
			     cfg->frag_flows * RTE_LIBRTE_IP_FRAG_MAX_FRAG +
			     RTE_IP_FRAG_DEATH_ROW_MBUF_LEN + cfg->tx_desc + PORT_MEMPOOL_CACHE;

	return cfg->queues * per_queue + 64;
}

static int dpdk_open_queue(struct source *src, unsigned q, char *err, size_t err_size)
{
	const struct source_config *cfg = &src->cfg;
	struct dpdk_queue *dq = rte_zmalloc_socket("sluice_rxq", sizeof(*dq),
						   RTE_CACHE_LINE_SIZE, src->port.socket_id);
	uint32_t buckets = rte_align32pow2((cfg->frag_flows + DPDK_FRAG_BUCKET_ENTRIES - 1) /
					   DPDK_FRAG_BUCKET_ENTRIES);

	if (!dq)
		goto nomem;
	src->queues[q] = dq;
	dq->id = (uint16_t)q;
	dq->power.epfd = -1;  /* nothing to close until rx_power_init */
	dq->frag = rte_ip_frag_table_create(buckets, DPDK_FRAG_BUCKET_ENTRIES, cfg->frag_flows,
					    src->frag_ttl_tsc, src->port.socket_id);
	if (!dq->frag)
		goto nomem;
	/* Plain memory, first touched by the worker that is pinned to this
	 * queue, so it lands on that worker's node. */
	dq->linear = malloc((size_t)SOURCE_BURST_MAX * DPDK_LINEAR_BYTES);
	if (!dq->linear)
		goto nomem;
	return rx_power_init(&dq->power, (enum rx_power_mode)cfg->power_mode, src->port.port_id,
			     dq->id, cfg->sleep_max_ns, err, err_size);
nomem:
	snprintf(err, err_size, "queue %u: out of memory for its state and reassembly table "
		 "(%u flows)", q, cfg->frag_flows);
	return -ENOMEM;
}

static int dpdk_open(struct source **out, const struct source_config *cfg, char *err,
		     size_t err_size)
{
	uint8_t v6[SOURCE_LISTEN_MAX][16];
	struct port_config pc = { .port_id = cfg->port_id, .queues = cfg->queues,
				  .rx_desc = cfg->rx_desc, .tx_desc = cfg->tx_desc,
				  .mbufs = dpdk_mbufs(cfg), .v6_addrs = v6,
				  .rx_interrupts = cfg->power_mode == RX_POWER_INTERRUPT };
	struct source *src;
	uint8_t nomac[6] = { 0 };
	int rc;

	if (cfg->queues == 0 || cfg->queues > SOURCE_QUEUES_MAX || cfg->frag_flows == 0) {
		snprintf(err, err_size, "%u queues, %u fragment flows: out of range",
			 cfg->queues, cfg->frag_flows);
		return -EINVAL;
	}
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->cfg = *cfg;
	/* The filter is checked before the port is touched; its MAC comes later. */
	if (pkt_filter_init(&src->filter, nomac, cfg->listen, cfg->listen_count) < 0) {
		snprintf(err, err_size, "--listen: with --source dpdk every address must be "
			 "this port's own unicast address (not 0.0.0.0, ::, or multicast)");
		free(src);
		return -EINVAL;
	}
	if (pkt_filter_vlans(&src->filter, cfg->vlans) < 0) {
		snprintf(err, err_size, "--vlans '%s': expected VLAN ids 0..4094 separated by "
			 "commas (0: untagged)", cfg->vlans);
		free(src);
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->listen_count; i++)
		if (cfg->listen[i].ss_family == AF_INET6)
			memcpy(v6[pc.v6_count++],
			       &((const struct sockaddr_in6 *)&cfg->listen[i])->sin6_addr, 16);
	src->frag_ttl_tsc = rte_get_tsc_hz() / 1000 * cfg->frag_timeout_ms;
	src->clock_mult = (uint64_t)((1000000000.0 * 4294967296.0) / (double)rte_get_tsc_hz());
	src->clock_sync_ticks = rte_get_tsc_hz() / 1000 * DPDK_CLOCK_SYNC_MS;
	rc = port_open(&src->port, &pc, err, err_size);
	if (rc < 0) {
		free(src);
		return rc;
	}
	memcpy(src->filter.mac, src->port.mac, 6);
	src->filter.allow = cfg->allow;
	for (unsigned q = 0; q < cfg->queues; q++) {
		rc = dpdk_open_queue(src, q, err, err_size);
		if (rc < 0) {
			dpdk_close(src);
			return rc;
		}
	}
	*out = src;
	err[0] = '\0';  /* no notice */
	return 0;
}

static unsigned dpdk_offload(const struct rte_mbuf *m)
{
	uint64_t ip = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	return (ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD ? PKT_OFFLOAD_IP_GOOD : 0) |
	       (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD ? PKT_OFFLOAD_IP_BAD : 0) |
	       (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD ? PKT_OFFLOAD_L4_GOOD : 0) |
	       (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD ? PKT_OFFLOAD_L4_BAD : 0);
}

/* The bytes of m, contiguous, and how many: in place when it is one
 * segment, otherwise copied into the next linear buffer of this burst. */
static const uint8_t *dpdk_bytes(struct dpdk_queue *dq, struct rte_mbuf *m, uint32_t *len)
{
	uint8_t *buf;

	*len = m->pkt_len;
	if (m->nb_segs == 1)
		return rte_pktmbuf_mtod(m, const uint8_t *);
	assert(dq->linear_used < SOURCE_BURST_MAX);
	buf = dq->linear + (size_t)dq->linear_used++ * DPDK_LINEAR_BYTES;
	*len = RTE_MIN(m->pkt_len, DPDK_LINEAR_BYTES);
	return rte_pktmbuf_read(m, 0, *len, buf);
}

/* Gives a fragment to the reassembly table; returns the whole datagram's
 * mbuf when this was its last missing piece. */
static struct rte_mbuf *dpdk_reassemble(struct dpdk_queue *dq, struct rte_mbuf *m,
					const struct pkt_info *info, uint64_t tsc)
{
	m->l2_len = info->l2_len;
	m->l3_len = info->l3_len;
	counter_add(&dq->st.fragments, 1);
	if (info->family == AF_INET)
		return rte_ipv4_frag_reassemble_packet(
			dq->frag, &dq->death_row, m, tsc,
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, info->l2_len));
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
							  info->l2_len);

	return rte_ipv6_frag_reassemble_packet(dq->frag, &dq->death_row, m, tsc, ip,
					       rte_ipv6_frag_get_ipv6_fragment_header(ip));
}

/* Classifies one frame: a datagram for the worker fills *pkt and returns 1;
 * an answer is queued for TX; everything else is counted and freed. */
static int dpdk_handle(struct source *src, struct dpdk_queue *dq, struct rte_mbuf *m,
		       unsigned *ntx, struct rx_pkt *pkt, uint64_t tsc)
{
	struct pkt_info info;
	uint32_t len;
	const uint8_t *bytes = dpdk_bytes(dq, m, &len);
	enum pkt_class cls = pkt_classify(&src->filter, bytes, len, dpdk_offload(m), &info);

	if (cls == PKT_FRAGMENT) {
		if (m->nb_segs != 1)
			dq->linear_used--;  /* only its headers were needed */
		m = dpdk_reassemble(dq, m, &info, tsc);
		if (!m)
			return 0;  /* held by the table, or on death row */
		counter_add(&dq->st.reassembled, 1);
		/* The IPv4 checksum was checked per fragment; reassembly zeroes it. */
		bytes = dpdk_bytes(dq, m, &len);
		cls = pkt_classify(&src->filter, bytes, len, PKT_OFFLOAD_IP_GOOD, &info);
	}
	if (cls == PKT_DATA) {
		dq->held[dq->held_count++] = m;
		pkt->data = bytes + info.payload_off;
		pkt->len = info.payload_len;
		pkt->peer_id = info.peer_id;
		return 1;
	}
	if (cls == PKT_DROP || cls == PKT_FRAGMENT || m->nb_segs != 1) {
		/* A reassembled answer-to-be (a fragmented ping) is not answered. */
		counter_add(&dq->st.drops[cls == PKT_DROP ? (int)info.drop : SOURCE_DROP_NOT_FOR_US], 1);
		dq->held[dq->held_count++] = m;
		return 0;
	}
	len = reply_build(&src->filter, &info, rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
			  m->data_len + rte_pktmbuf_tailroom(m));

	if (len == 0) {
		counter_add(&dq->st.drops[SOURCE_DROP_REPLY_TX], 1);
		dq->held[dq->held_count++] = m;
		return 0;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->ol_flags = 0;
	dq->tx[(*ntx)++] = m;
	counter_add(&dq->st.replies[info.cls == PKT_ARP_REQUEST ? SOURCE_REPLY_ARP
				  : info.cls == PKT_ICMP_ECHO ? SOURCE_REPLY_ECHO
				  : info.cls == PKT_ICMP6_ECHO ? SOURCE_REPLY_ECHO6
							       : SOURCE_REPLY_ND], 1);
	return 0;
}

/* The real time now, from the TSC and the last anchor (read per burst). */
static uint64_t dpdk_now_ns(const struct source *src, struct dpdk_queue *dq, uint64_t tsc)
{
	if (tsc >= dq->clock_sync_tsc) {
		dq->clock_real_ns = clock_real_ns();
		dq->clock_tsc = rte_rdtsc();
		dq->clock_sync_tsc = dq->clock_tsc + src->clock_sync_ticks;
		return dq->clock_real_ns;
	}
	return dq->clock_real_ns + (((tsc - dq->clock_tsc) * src->clock_mult) >> 32);
}

/* Frees what the reassembly table gave up on (timed out, overflowing,
 * malformed), counting each fragment once; sweeps expired entries now and
 * then so a lone fragment does not wait for a neighbour to evict it. */
static void dpdk_frag_maintain(struct source *src, struct dpdk_queue *dq, uint64_t tsc)
{
	if (tsc >= dq->frag_sweep_tsc) {
		rte_ip_frag_table_del_expired_entries(dq->frag, &dq->death_row, tsc);
		dq->frag_sweep_tsc = tsc + src->frag_ttl_tsc / 4 + 1;
	}
	if (dq->death_row.cnt) {
		counter_add(&dq->st.drops[SOURCE_DROP_FRAGMENT], dq->death_row.cnt);
		rte_ip_frag_free_death_row(&dq->death_row, DPDK_DEATH_ROW_PREFETCH);
	}
}

static uint16_t dpdk_rx_burst(struct source *src, unsigned queue, struct rx_pkt *pkts,
			      uint16_t n)
{
	struct dpdk_queue *dq = src->queues[queue];
	uint16_t port = src->port.port_id, got, out = 0, sent;
	unsigned ntx = 0;
	uint64_t tsc = rte_rdtsc(), now, bytes = 0;

	/* The previous burst's datagrams have been parsed and copied. */
	rte_pktmbuf_free_bulk(dq->held, dq->held_count);
	dq->held_count = 0;
	dq->linear_used = 0;
	dpdk_frag_maintain(src, dq, tsc);
	if (n > SOURCE_BURST_MAX)
		n = SOURCE_BURST_MAX;
	got = rte_eth_rx_burst(port, dq->id, dq->rx, n);
	if (got == 0) {
		rx_power_idle(&dq->power);
		return 0;
	}
	rx_power_busy(&dq->power);
	now = dpdk_now_ns(src, dq, rte_rdtsc());
	counter_add(&dq->st.packets, got);
	for (uint16_t i = 0; i < got; i++) {
		if (i + 1 < got)
			rte_prefetch0(rte_pktmbuf_mtod(dq->rx[i + 1], void *));
		if (dpdk_handle(src, dq, dq->rx[i], &ntx, &pkts[out], tsc)) {
			pkts[out].arrival_ns = now;
			bytes += pkts[out].len;
			out++;
		}
	}
	counter_add(&dq->st.datagrams, out);
	counter_add(&dq->st.bytes, bytes);
	if (ntx) {
		sent = rte_eth_tx_burst(port, dq->id, dq->tx, (uint16_t)ntx);
		if (sent < ntx) {
			counter_add(&dq->st.drops[SOURCE_DROP_REPLY_TX], ntx - sent);
			rte_pktmbuf_free_bulk(dq->tx + sent, ntx - sent);
		}
	}
	return out;
}

static void dpdk_stats(const struct source *src, unsigned queue, struct source_queue_stats *st)
{
	const struct dpdk_queue *dq = src->queues[queue];

	st->packets += counter_get(&dq->st.packets);
	st->datagrams += counter_get(&dq->st.datagrams);
	st->bytes += counter_get(&dq->st.bytes);
	st->fragments += counter_get(&dq->st.fragments);
	st->reassembled += counter_get(&dq->st.reassembled);
	st->idle_waits += counter_get(&dq->power.sleeps);
	for (int d = 0; d < SOURCE_DROPS; d++)
		st->drops[d] += counter_get(&dq->st.drops[d]);
	for (int r = 0; r < SOURCE_REPLIES; r++)
		st->replies[r] += counter_get(&dq->st.replies[r]);
	if (queue == 0) {
		uint64_t imissed, nombuf;

		port_missed(&src->port, &imissed, &nombuf);
		st->missed += imissed + nombuf;
	}
}

static void dpdk_info(const struct source *src, struct source_info *info)
{
	memset(info, 0, sizeof(*info));
	port_info(&src->port, info);
}

const struct source_ops source_dpdk_ops = {
	.name = "dpdk",
	.open = dpdk_open,
	.rx_burst = dpdk_rx_burst,
	.stats = dpdk_stats,
	.info = dpdk_info,
	.close = dpdk_close,
};
