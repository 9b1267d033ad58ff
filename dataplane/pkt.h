/* L2-L4 classification of one received Ethernet frame for the DPDK source:
 * Ethernet, one 802.1Q tag, IPv4, IPv6, UDP, and the control packets the
 * appliance answers (ARP, ICMP and ICMPv6 echo, neighbour solicitation).
 * Works on contiguous bytes, so it is the same code for a single-segment
 * mbuf, a reassembled datagram copied out, a unit test and a fuzzer.
 *
 *   [dst mac 6][src mac 6]([0x8100][tci 2])[type 2] IPv4|IPv6|ARP
 *   IPv4: 20..60 bytes, protocol 17 (UDP) or 1 (ICMP)
 *   IPv6: 40 bytes, then hop-by-hop, routing, destination-options or
 *         fragment headers (at most PKT_IPV6_EXT_MAX), then 17 or 58 (ICMPv6)
 *   UDP:  [sport][dport][length][checksum] payload
 */
#ifndef SLUICE_DATAPLANE_PKT_H
#define SLUICE_DATAPLANE_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/allow.h"
#include "dataplane/source.h"

#define PKT_ETHER_BYTES 14u
#define PKT_VLAN_BYTES 4u
#define PKT_IPV6_EXT_MAX 4u
#define PKT_VLAN_IDS 4096u

enum pkt_class {
	PKT_DATA,          /* a UDP datagram for one of the listen pairs */
	PKT_FRAGMENT,      /* a UDP fragment to one of our addresses: reassemble */
	PKT_ARP_REQUEST,   /* who-has one of our IPv4 addresses */
	PKT_ICMP_ECHO,     /* echo request to one of our IPv4 addresses */
	PKT_ICMP6_ECHO,    /* echo request to one of our IPv6 addresses */
	PKT_ND_SOLICIT,    /* neighbour solicitation for one of our IPv6 addresses */
	PKT_DROP,          /* see pkt_info.drop */
};

/* Why a packet never reached the frame parser. The order is the stats order. */
enum pkt_drop {
	PKT_DROP_NOT_FOR_US,  /* another address, port, protocol, VLAN or ethertype */
	PKT_DROP_BAD_L2,      /* runt frame, a second VLAN tag, malformed ARP */
	PKT_DROP_BAD_IP,      /* version, header length, checksum (ICMP's too) */
	PKT_DROP_BAD_UDP,     /* length or checksum; zero checksum over IPv6 */
	PKT_DROP_TRUNCATED,   /* the frame is shorter than its headers say */
	PKT_DROP_FRAGMENT,    /* a fragment that could not be reassembled */
	PKT_DROP_NOT_ALLOWED, /* a sender outside the allow-list (--allow) */
	PKT_DROPS
};

/* RX offload results, from the mbuf's flags; NONE means check in software. */
enum pkt_offload {
	PKT_OFFLOAD_IP_GOOD = 1u << 0,
	PKT_OFFLOAD_IP_BAD = 1u << 1,
	PKT_OFFLOAD_L4_GOOD = 1u << 2,
	PKT_OFFLOAD_L4_BAD = 1u << 3,
};

/* One address/port pair of --listen, in network byte order. */
struct pkt_listen {
	sa_family_t family;
	uint16_t port_be;
	uint8_t addr[16];      /* IPv4 in the first 4 bytes */
};

struct pkt_filter {
	uint8_t mac[6];
	struct pkt_listen listen[SOURCE_LISTEN_MAX];
	unsigned listen_count;
	bool vlan_restricted;  /* only the ids below; id 0 is an untagged frame */
	uint64_t vlan_allowed[PKT_VLAN_IDS / 64];
	struct allow_list allow;  /* senders; empty: any */
};

struct pkt_info {
	enum pkt_class cls;
	enum pkt_drop drop;      /* when cls == PKT_DROP */
	uint16_t l2_len;         /* Ethernet header and tag */
	uint16_t l3_len;         /* IP header; for IPv6 fragments with its fragment header */
	uint16_t vlan;           /* 0 when untagged */
	sa_family_t family;
	uint32_t l4_off;         /* UDP or ICMP header */
	uint32_t l4_len;
	uint32_t payload_off;    /* PKT_DATA: the UDP payload */
	uint32_t payload_len;
	uint64_t peer_id;        /* PKT_DATA: hash of the sender's address and port */
	uint8_t addr_index;      /* which listen entry holds our address */
};

/* True when ss is an address a port can own: IPv4 or IPv6, neither the
 * wildcard nor multicast. */
bool pkt_listen_unicast(const struct sockaddr_storage *ss);

/* Builds the filter from the listen addresses; every one must pass
 * pkt_listen_unicast. Returns 0 or -EINVAL. */
int pkt_filter_init(struct pkt_filter *f, const uint8_t mac[6],
		    const struct sockaddr_storage *listen, unsigned count);

/* Restricts accepted VLAN ids to the comma list (e.g. "0,100,200"; 0 is
 * untagged). Returns 0 or -EINVAL naming nothing: the caller says which value. */
int pkt_filter_vlans(struct pkt_filter *f, const char *list);

/* Classifies frame[0..len). Never reads past len; writes nothing. */
enum pkt_class pkt_classify(const struct pkt_filter *f, const uint8_t *frame, uint32_t len,
			    unsigned offload, struct pkt_info *info);

/* The one's-complement sum of an L4 message with its pseudo-header (src and
 * dst are 4 or 16 bytes by family), folded, not complemented: 0xffff when
 * the message's checksum field is right; ~sum is the value to store when
 * the field was zero. */
uint16_t pkt_l4_sum(sa_family_t family, const uint8_t *src, const uint8_t *dst,
		    uint8_t proto, const uint8_t *l4, uint32_t l4_len);
/* The same for an IPv4 header (or ICMPv4 message) without a pseudo-header. */
uint16_t pkt_sum(const uint8_t *p, uint32_t len);

#endif
