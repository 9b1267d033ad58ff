/* Test frames built independently of dataplane/pkt.c (own checksum code), so
 * tests check the parser against a second implementation: Ethernet with an
 * optional 802.1Q tag, IPv4/IPv6 UDP datagrams and their fragments, ARP
 * requests, ICMP/ICMPv6 echo requests and neighbour solicitations. Every
 * builder writes into buf (FRAMES_MAX bytes) and returns the frame length. */
#ifndef SLUICE_TESTS_FRAMES_H
#define SLUICE_TESTS_FRAMES_H

#include <stdint.h>

#define FRAMES_MAX 65600u  /* a whole IP datagram and its Ethernet header */

struct frames_l2 {
	uint8_t dst[6];
	uint8_t src[6];
	int vlan;             /* -1: untagged */
};

struct frames_ip {
	int family;           /* 4 or 6 */
	uint8_t src[16], dst[16];
};

uint16_t frames_cksum(const uint8_t *p, uint32_t len, uint32_t sum);

uint32_t frames_udp(uint8_t *buf, const struct frames_l2 *l2, const struct frames_ip *ip,
		    uint16_t sport, uint16_t dport, const uint8_t *payload, uint32_t len);

/* Splits the datagram of a frames_udp frame into fragments of at most
 * chunk payload bytes (a multiple of 8). Returns how many (at most max). */
unsigned frames_fragment(const uint8_t *frame, uint32_t len, const struct frames_l2 *l2,
			 int family, uint32_t chunk, uint8_t (*out)[FRAMES_MAX],
			 uint32_t *lens, unsigned max);

uint32_t frames_arp_request(uint8_t *buf, const struct frames_l2 *l2, const uint8_t sip[4],
			    const uint8_t tip[4]);
uint32_t frames_echo(uint8_t *buf, const struct frames_l2 *l2, const struct frames_ip *ip,
		     uint16_t id, uint16_t seq, uint32_t data_len);
/* To the target's solicited-node group, with a source link-layer option. */
uint32_t frames_ns(uint8_t *buf, const struct frames_l2 *l2, const uint8_t src[16],
		   const uint8_t target[16]);

/* The SLF1 datagram of one frame with the given ids and payload bytes. */
uint32_t frames_slf1(uint8_t *buf, uint64_t source_id, uint64_t seq, uint32_t payload_len);

#endif
