/* One DPDK ethdev port set up for the RX workers: a queue pair per worker,
 * RSS on the UDP 4-tuple where the device has it, checksum offloads where it
 * has them, the mbuf pool on the port's NUMA node, and the multicast groups
 * that neighbour discovery needs. Called from the main thread only. */
#ifndef SLUICE_DATAPLANE_PORT_H
#define SLUICE_DATAPLANE_PORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/source.h"

struct rte_mempool;

/* mbufs each lcore may keep in the pool's cache; pool sizing counts them. */
#define PORT_MEMPOOL_CACHE 256u

struct port_config {
	uint16_t port_id;
	unsigned queues;            /* RX and TX queues: one each per worker */
	unsigned rx_desc, tx_desc;  /* asked for; the device may adjust them */
	unsigned mbufs;             /* size of the pool (the caller's sum) */
	const uint8_t (*v6_addrs)[16];  /* for solicited-node multicast groups */
	unsigned v6_count;
	bool rx_interrupts;         /* configure RX queue interrupts */
};

struct port {
	uint16_t port_id;
	int socket_id;              /* NUMA node of the device, or of the caller */
	unsigned queues;
	uint16_t rx_desc, tx_desc;
	struct rte_mempool *pool;
	uint8_t mac[6];
	uint64_t rx_offloads;
	bool rss;
	bool multicast_all;         /* the filter list failed; all multicast is on */
	char rss_note[96];          /* why RSS is off */
	char driver[32];
	char name[64];
	bool started;
	/* net_af_packet in DPDK 22.11 does not report its ring's drops; its
	 * sockets are read here instead (see port_af_packet_drops). */
	int afp_fds[SOURCE_QUEUES_MAX];
	unsigned afp_count;
	_Atomic uint64_t afp_drops;
};

/* Configures and starts the port. On failure writes the reason to err and
 * returns -errno; the port is left stopped and closed. */
int port_open(struct port *p, const struct port_config *cfg, char *err, size_t err_size);

/* Fills the port's part of what sluicectl status shows. */
void port_info(const struct port *p, struct source_info *info);

/* Device counters: imissed (the NIC had no descriptor, or the af_packet
 * ring was full) and rx_nombuf (no mbuf to refill one). Safe from the
 * control and metrics threads. */
void port_missed(const struct port *p, uint64_t *imissed, uint64_t *nombuf);

void port_close(struct port *p);

#endif
