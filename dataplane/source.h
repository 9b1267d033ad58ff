/* Packet sources: a small ops table with a socket implementation (and a DPDK
 * one to come), so the workers cannot tell them apart. */
#ifndef SLUICE_DATAPLANE_SOURCE_H
#define SLUICE_DATAPLANE_SOURCE_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

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
	int rcvbuf_bytes;        /* kernel receive buffer per socket */
	int poll_timeout_ms;     /* how long an idle rx_burst blocks at most */
};

struct source_queue_stats {
	uint64_t datagrams;
	uint64_t bytes;
	uint64_t missed;     /* lost before sluice saw them (socket overflow) */
	uint64_t truncated;  /* larger than a datagram can be: counted, dropped */
	uint64_t errors;
};

struct source;

struct source_ops {
	const char *name;
	int (*open)(struct source **out, const struct source_config *cfg);
	/* Fills at most n packets; may block up to poll_timeout_ms when idle. */
	uint16_t (*rx_burst)(struct source *src, unsigned queue, struct rx_pkt *pkts,
			     uint16_t n);
	void (*stats)(const struct source *src, unsigned queue,
		      struct source_queue_stats *st);
	void (*close)(struct source *src);
};

extern const struct source_ops source_socket_ops;

/* Parses "udp://ADDR:PORT" ("[v6]:PORT" for IPv6). Returns 0 or -EINVAL. */
int source_parse_listen(const char *uri, struct sockaddr_storage *ss);

/* The 64-bit source id of a raw-mode sender: a hash of address and port. */
uint64_t source_peer_hash(const struct sockaddr_storage *ss);

#endif
