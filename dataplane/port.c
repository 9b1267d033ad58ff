/* ethdev set-up for the DPDK source (see port.h). Main thread only. */
#include "dataplane/port.h"

#include <dirent.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

/* RSS on the UDP 4-tuple; fragments hash on addresses only, so every
 * fragment of one datagram lands on the same queue (and reassembly table). */
#define PORT_RSS_WANTED (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | \
			 RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_IPV4 | \
			 RTE_ETH_RSS_IPV6)
#define PORT_RX_OFFLOADS_WANTED (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | \
				 RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_SCATTER)
#define PORT_MC_MAX 8u

/* "<port name>: <step>: <reason>"; returns the negative errno. */
static int port_fail(char *err, size_t size, int rc, const char *name, const char *step)
{
	snprintf(err, size, "%s: %s: %s", name, step, rte_strerror(rc < 0 ? -rc : rc));
	return rc < 0 ? rc : -rc;
}

/* RSS where the device hashes UDP; otherwise one queue gets everything,
 * and status says why. */
static void port_rss(struct port *p, const struct rte_eth_dev_info *dev,
		     struct rte_eth_conf *conf)
{
	uint64_t hf = dev->flow_type_rss_offloads & PORT_RSS_WANTED;

	if (p->queues == 1) {
		snprintf(p->rss_note, sizeof(p->rss_note), "one RX queue: nothing to spread");
		return;
	}
	if (!(hf & (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP))) {
		snprintf(p->rss_note, sizeof(p->rss_note),
			 "%s has no UDP RSS: queue 0 receives everything", p->driver);
		return;
	}
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_hf = hf;
	p->rss = true;
}

/* Joins the solicited-node groups (33:33:ff:xx:xx:xx) of our IPv6
 * addresses; a device without a filter list receives all multicast. */
static void port_join_multicast(struct port *p, const struct port_config *cfg)
{
	struct rte_ether_addr mc[PORT_MC_MAX];
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->v6_count && n < PORT_MC_MAX; i++) {
		const uint8_t *a = cfg->v6_addrs[i];
		uint8_t m[6] = { 0x33, 0x33, 0xff, a[13], a[14], a[15] };

		memcpy(mc[n++].addr_bytes, m, 6);
	}
	if (n == 0)
		return;
	if (rte_eth_dev_set_mc_addr_list(p->port_id, mc, n) != 0) {
		rte_eth_allmulticast_enable(p->port_id);
		p->multicast_all = true;
	}
}

static int port_setup_queues(struct port *p, char *err, size_t err_size)
{
	struct rte_eth_dev_info dev;
	struct rte_eth_rxconf rxq;
	int rc = rte_eth_dev_info_get(p->port_id, &dev);

	if (rc != 0)
		return port_fail(err, err_size, rc, p->name, "device info");
	rxq = dev.default_rxconf;
	rxq.offloads = p->rx_offloads;
	for (unsigned q = 0; q < p->queues; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, (uint16_t)q, p->rx_desc, (unsigned)p->socket_id,
					    &rxq, p->pool);
		if (rc != 0)
			return port_fail(err, err_size, rc, p->name, "RX queue setup");
		rc = rte_eth_tx_queue_setup(p->port_id, (uint16_t)q, p->tx_desc, (unsigned)p->socket_id,
					    NULL);
		if (rc != 0)
			return port_fail(err, err_size, rc, p->name, "TX queue setup");
	}
	return 0;
}

static int port_configure(struct port *p, const struct port_config *cfg, char *err,
			  size_t err_size)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info dev;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(p->port_id, &dev);
	if (rc != 0)
		return port_fail(err, err_size, rc, p->name, "device info");
	snprintf(p->driver, sizeof(p->driver), "%s", dev.driver_name);
	if (cfg->queues > dev.max_rx_queues || cfg->queues > dev.max_tx_queues) {
		snprintf(err, err_size, "%s (%s) has %u RX and %u TX queues; %u workers need "
			 "one each", p->name, p->driver, dev.max_rx_queues, dev.max_tx_queues,
			 cfg->queues);
		return -ERANGE;
	}
	p->rx_offloads = dev.rx_offload_capa & PORT_RX_OFFLOADS_WANTED;
	conf.rxmode.offloads = p->rx_offloads;
	conf.intr_conf.rxq = cfg->rx_interrupts;
	port_rss(p, &dev, &conf);
	rc = rte_eth_dev_configure(p->port_id, (uint16_t)p->queues, (uint16_t)p->queues, &conf);
	if (rc != 0)
		return port_fail(err, err_size, rc, p->name, "configure");
	p->rx_desc = (uint16_t)cfg->rx_desc;
	p->tx_desc = (uint16_t)cfg->tx_desc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &p->rx_desc, &p->tx_desc);
	if (rc != 0)
		return port_fail(err, err_size, rc, p->name, "descriptor counts");
	return 0;
}

/* Finds the AF_PACKET sockets net_af_packet bound to the port's interface,
 * so that their ring drops (PACKET_STATISTICS) reach rx_missed_packets:
 * the PMD of DPDK 22.11 reports no imissed, and a full ring would lose
 * packets uncounted. Main thread, once, after start. */
static void port_af_packet_fds(struct port *p)
{
	struct rte_eth_dev_info dev;
	struct dirent *e;
	DIR *dir;

	if (strcmp(p->driver, "net_af_packet") != 0 ||
	    rte_eth_dev_info_get(p->port_id, &dev) != 0 || !(dir = opendir("/proc/self/fd")))
		return;
	while ((e = readdir(dir)) && p->afp_count < SOURCE_QUEUES_MAX) {
		struct sockaddr_ll sll;
		socklen_t len = sizeof(sll);
		int fd = atoi(e->d_name), domain = 0;
		socklen_t dlen = sizeof(domain);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0 ||
		    domain != AF_PACKET ||
		    getsockname(fd, (struct sockaddr *)&sll, &len) < 0 ||
		    sll.sll_ifindex != (int)dev.if_index)
			continue;
		p->afp_fds[p->afp_count++] = fd;
	}
	closedir(dir);
}

/* Reading the statistics resets them in the kernel, so each read is added
 * once; the counter is atomic because the admin and metrics threads both
 * read. */
static uint64_t port_af_packet_drops(const struct port *p)
{
	/* The accumulator is the one thing a reader changes. */
	_Atomic uint64_t *drops = (_Atomic uint64_t *)&p->afp_drops;

	for (unsigned i = 0; i < p->afp_count; i++) {
		struct tpacket_stats st;
		socklen_t len = sizeof(st);

		if (getsockopt(p->afp_fds[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			atomic_fetch_add(drops, st.tp_drops);
	}
	return atomic_load(drops);
}

int port_open(struct port *p, const struct port_config *cfg, char *err, size_t err_size)
{
	struct rte_ether_addr mac;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	memset(p, 0, sizeof(*p));
	p->port_id = cfg->port_id;
	p->queues = cfg->queues;
	if (!rte_eth_dev_is_valid_port(cfg->port_id)) {
		snprintf(err, err_size, "--port %u: no such DPDK port (%u found; give one with "
			 "an EAL argument such as --vdev or -a)", cfg->port_id,
			 rte_eth_dev_count_avail());
		return -ENODEV;
	}
	rte_eth_dev_get_name_by_port(p->port_id, p->name);
	/* Memory on the NIC's node; a vdev has none, so the caller's. */
	p->socket_id = rte_eth_dev_socket_id(p->port_id);
	if (p->socket_id < 0)
		p->socket_id = (int)rte_socket_id();
	rc = port_configure(p, cfg, err, err_size);
	if (rc < 0)
		goto fail;
	snprintf(pool_name, sizeof(pool_name), "sluice_mbuf_%u", p->port_id);
	p->pool = rte_pktmbuf_pool_create(pool_name, cfg->mbufs, PORT_MEMPOOL_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, p->socket_id);
	if (!p->pool) {
		rc = port_fail(err, err_size, -rte_errno, p->name, "pool of mbufs");
		size_t used = strlen(err);

		snprintf(err + used, err_size - used, " (%u mbufs of %u bytes: raise "
			 "--eal-memory-mb or use --hugepages)", cfg->mbufs,
			 (unsigned)RTE_MBUF_DEFAULT_BUF_SIZE);
		goto fail;
	}
	rc = port_setup_queues(p, err, err_size);
	if (rc < 0)
		goto fail;
	rc = rte_eth_macaddr_get(p->port_id, &mac);
	if (rc != 0) {
		rc = port_fail(err, err_size, rc, p->name, "MAC address");
		goto fail;
	}
	memcpy(p->mac, mac.addr_bytes, 6);
	port_join_multicast(p, cfg);
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		rc = port_fail(err, err_size, rc, p->name, "start");
		goto fail;
	}
	p->started = true;
	port_af_packet_fds(p);
	return 0;
fail:
	port_close(p);
	return rc;
}

void port_info(const struct port *p, struct source_info *info)
{
	struct rte_eth_link link;

	snprintf(info->driver, sizeof(info->driver), "%s", p->driver);
	snprintf(info->name, sizeof(info->name), "%s", p->name);
	snprintf(info->mac, sizeof(info->mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0],
		 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
	info->port_id = p->port_id;
	info->numa_socket = p->socket_id;
	info->queues = p->queues;
	info->rx_desc = p->rx_desc;
	info->tx_desc = p->tx_desc;
	info->rss = p->rss;
	snprintf(info->rss_note, sizeof(info->rss_note), "%s", p->rss_note);
	info->ip_cksum_offload = !!(p->rx_offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM);
	info->udp_cksum_offload = !!(p->rx_offloads & RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	memset(&link, 0, sizeof(link));
	info->link_up = 0;
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0) {
		info->link_up = link.link_status == RTE_ETH_LINK_UP;
		info->link_speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN
						? 0 : link.link_speed;
		info->full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	}
}

void port_missed(const struct port *p, uint64_t *imissed, uint64_t *nombuf)
{
	struct rte_eth_stats st;

	*imissed = *nombuf = 0;
	if (!p->started || rte_eth_stats_get(p->port_id, &st) != 0)
		return;
	*imissed = st.imissed + port_af_packet_drops(p);
	*nombuf = st.rx_nombuf;
}

void port_close(struct port *p)
{
	p->afp_count = 0;
	if (p->started)
		rte_eth_dev_stop(p->port_id);
	p->started = false;
	if (rte_eth_dev_is_valid_port(p->port_id))
		rte_eth_dev_close(p->port_id);
	rte_mempool_free(p->pool);
	p->pool = NULL;
}
