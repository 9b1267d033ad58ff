/* Packet sources: a small ops table with a socket and a DPDK implementation,
 * so the workers cannot tell them apart. */
#ifndef SLUICE_DATAPLANE_SOURCE_H
#define SLUICE_DATAPLANE_SOURCE_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "dataplane/allow.h"

#define SOURCE_LISTEN_MAX 8
#define SOURCE_QUEUES_MAX 16
#define SOURCE_BURST_MAX 64

/* One received datagram; data stays valid until the next rx_burst on the
 * same queue. */
struct rx_pkt {
	const uint8_t *data;
	uint32_t len;
	uint64_t peer_id;     /* 64-bit hash of the sender's address and port */
	uint64_t arrival_ns;  /* real time, read once per burst */
};

struct source_config {
	struct sockaddr_storage listen[SOURCE_LISTEN_MAX];
	unsigned listen_count;
	unsigned queues;         /* one per worker */
	int rcvbuf_bytes;        /* socket: kernel receive buffer per socket */
	int poll_timeout_ms;     /* socket: how long an idle rx_burst blocks at most */
	/* dpdk */
	uint16_t port_id;
	char vlans[256];         /* accepted VLAN ids ("0" is untagged); empty: any */
	unsigned rx_desc, tx_desc;
	unsigned frag_flows;     /* datagrams in reassembly at once, per queue */
	unsigned frag_timeout_ms;
	struct allow_list allow; /* senders the parser hears; empty: any */
	int power_mode;          /* enum rx_power_mode: what an idle queue does */
	uint64_t sleep_max_ns;   /* sleep mode's longest sleep */
};

/* Why a packet never reached the frame parser (the DPDK source's L2-L4
 * checks; the socket source only knows truncated). Same order as pkt.h. */
enum source_drop {
	SOURCE_DROP_NOT_FOR_US,
	SOURCE_DROP_BAD_L2,
	SOURCE_DROP_BAD_IP,
	SOURCE_DROP_BAD_UDP,
	SOURCE_DROP_TRUNCATED,
	SOURCE_DROP_FRAGMENT,
	SOURCE_DROP_NOT_ALLOWED, /* a sender outside --allow */
	SOURCE_DROP_REPLY_TX,   /* an answer (ARP, echo, NA) the port would not send */
	SOURCE_DROPS
};

/* Answers to control packets, by kind. */
enum source_reply { SOURCE_REPLY_ARP, SOURCE_REPLY_ECHO, SOURCE_REPLY_ECHO6,
		    SOURCE_REPLY_ND, SOURCE_REPLIES };

struct source_queue_stats {
	uint64_t packets;    /* frames taken from the device (socket: datagrams) */
	uint64_t datagrams;  /* handed to the parser */
	uint64_t bytes;
	uint64_t missed;     /* lost before sluice saw them (socket overflow, NIC) */
	uint64_t errors;
	uint64_t fragments;  /* fragments given to reassembly */
	uint64_t reassembled;
	uint64_t idle_waits; /* dpdk: sleeps or interrupt waits of idle queues */
	uint64_t drops[SOURCE_DROPS];
	uint64_t replies[SOURCE_REPLIES];
};

/* What sluicectl status shows of the source. */
struct source_info {
	char driver[32];
	char name[64];
	char mac[18];
	int port_id;             /* -1: no ethdev (socket source) */
	int numa_socket;
	int link_up;             /* -1: not applicable */
	uint32_t link_speed_mbps;
	int full_duplex;
	int rss;                 /* 1 on, 0 off (see rss_note), -1 n/a */
	char rss_note[96];
	int ip_cksum_offload, udp_cksum_offload;
	unsigned queues;
	uint16_t rx_desc, tx_desc;
};

struct source;

struct source_ops {
	const char *name;
	/* Returns 0 or -errno with the reason, naming the bad value, in err;
	 * on success err is empty or holds a notice for the operator's log. */
	int (*open)(struct source **out, const struct source_config *cfg, char *err,
		    size_t err_size);
	/* Fills at most n packets; may block up to poll_timeout_ms when idle. */
	uint16_t (*rx_burst)(struct source *src, unsigned queue, struct rx_pkt *pkts,
			     uint16_t n);
	/* Adds the queue's counters to st; device-wide ones go with queue 0. */
	void (*stats)(const struct source *src, unsigned queue,
		      struct source_queue_stats *st);
	void (*info)(const struct source *src, struct source_info *info);
	void (*close)(struct source *src);
};

extern const struct source_ops source_socket_ops;
extern const struct source_ops source_dpdk_ops;

const char *source_drop_name(enum source_drop d);
const char *source_reply_name(enum source_reply r);

/* Parses "udp://ADDR:PORT" ("[v6]:PORT" for IPv6). Returns 0 or -EINVAL. */
int source_parse_listen(const char *uri, struct sockaddr_storage *ss);

/* The 64-bit source id of a raw-mode sender: a hash of address and port. */
uint64_t source_peer_hash(const struct sockaddr_storage *ss);

static inline uint64_t source_mix64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit moves every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The same hash from the address and port bytes as they are on the wire, so
 * a sender has one id whichever source received it. */
static inline uint64_t source_peer_hash_v4(const uint8_t *addr4, const uint8_t *port2)
{
	uint32_t a;
	uint16_t p;

	memcpy(&a, addr4, 4);
	memcpy(&p, port2, 2);
	return source_mix64(((uint64_t)a << 16) | p);
}

static inline uint64_t source_peer_hash_v6(const uint8_t *addr16, const uint8_t *port2)
{
	uint64_t w[2];
	uint16_t p;

	memcpy(w, addr16, 16);
	memcpy(&p, port2, 2);
	return source_mix64(w[0] ^ 0x6) ^ source_mix64(w[1] + p);
}

#endif
