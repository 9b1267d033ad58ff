/* Control-packet answers built in place (see reply.h). */
#include "dataplane/reply.h"

#include <netinet/in.h>
#include <string.h>

#include "platform/be.h"

#define IPV6_HDR_BYTES 40u
#define ICMP6_ECHO_REPLY 129u
#define ICMP6_ND_ADVERT 136u
#define ND_FLAG_SOLICITED 0x40u
#define ND_FLAG_OVERRIDE 0x20u
#define ND_OPT_TARGET_LLADDR 2u
#define REPLY_HOP_LIMIT 64u

/* Stores a checksum computed by pkt_sum/pkt_l4_sum: those sum the words as
 * they lie in memory, so the result goes back the same way, not as a
 * big-endian number. */
static void reply_put_cksum(uint8_t *field, uint16_t sum)
{
	uint16_t v = (uint16_t)~sum;

	memcpy(field, &v, 2);
}

/* Swaps two addresses of n bytes (at most 16): source and destination. */
static void reply_swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t tmp[16];

	memcpy(tmp, a, n);
	memcpy(a, b, n);
	memcpy(b, tmp, n);
}

/* Ethernet: back to the sender, from us. */
static void reply_ether(const struct pkt_filter *f, uint8_t *frame)
{
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, f->mac, 6);
}

static uint32_t reply_arp(const struct pkt_filter *f, const struct pkt_info *info,
			  uint8_t *frame, uint32_t len)
{
	uint8_t *a = frame + info->l2_len, tip[4];

	reply_ether(f, frame);
	be_put16(a + 6, 2);                  /* reply */
	memcpy(tip, a + 24, 4);
	memcpy(a + 18, a + 8, 6);            /* target hw = the asker */
	memcpy(a + 24, a + 14, 4);           /* target ip = the asker's */
	memcpy(a + 8, f->mac, 6);            /* sender hw = us */
	memcpy(a + 14, tip, 4);              /* sender ip = the address asked for */
	return len;
}

static uint32_t reply_icmp_echo(const struct pkt_filter *f, const struct pkt_info *info,
				uint8_t *frame, uint32_t len)
{
	uint8_t *ip = frame + info->l2_len, *m = frame + info->l4_off;

	reply_ether(f, frame);
	reply_swap(ip + 12, ip + 16, 4);
	ip[8] = REPLY_HOP_LIMIT;
	be_put16(ip + 10, 0);
	reply_put_cksum(ip + 10, pkt_sum(ip, info->l3_len));
	m[0] = 0;                            /* echo reply */
	be_put16(m + 2, 0);
	reply_put_cksum(m + 2, pkt_sum(m, info->l4_len));
	return len;
}

static void reply_icmp6_cksum(uint8_t *ip, uint8_t *m, uint32_t mlen)
{
	be_put16(m + 2, 0);
	reply_put_cksum(m + 2, pkt_l4_sum(AF_INET6, ip + 8, ip + 24, IPPROTO_ICMPV6, m, mlen));
}

static uint32_t reply_icmp6_echo(const struct pkt_filter *f, const struct pkt_info *info,
				 uint8_t *frame, uint32_t len)
{
	uint8_t *ip = frame + info->l2_len, *m = frame + info->l4_off;

	reply_ether(f, frame);
	reply_swap(ip + 8, ip + 24, 16);
	ip[7] = REPLY_HOP_LIMIT;
	m[0] = ICMP6_ECHO_REPLY;
	reply_icmp6_cksum(ip, m, info->l4_len);
	return len;
}

/* A solicited advertisement for the target, with our link-layer address; to
 * a duplicate-address probe (from ::) it goes to all nodes, unsolicited. */
static uint32_t reply_nd(const struct pkt_filter *f, const struct pkt_info *info,
			 uint8_t *frame, uint32_t cap)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t unspecified[16];
	uint8_t *ip = frame + info->l2_len, *m = ip + IPV6_HDR_BYTES, target[16];
	const uint8_t *addr = f->listen[info->addr_index].addr;
	bool dad = memcmp(ip + 8, unspecified, 16) == 0;
	uint32_t out = info->l2_len + IPV6_HDR_BYTES + REPLY_NA_BYTES;

	if (cap < out)
		return 0;
	memcpy(target, addr, 16);
	reply_ether(f, frame);
	if (dad) {
		static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };

		memcpy(frame, mc, 6);
		memcpy(ip + 24, all_nodes, 16);
	} else {
		memcpy(ip + 24, ip + 8, 16);
	}
	memcpy(ip + 8, target, 16);
	be_put16(ip + 4, REPLY_NA_BYTES);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;                         /* RFC 4861: hop limit 255 */
	memset(m, 0, REPLY_NA_BYTES);
	m[0] = ICMP6_ND_ADVERT;
	m[4] = (uint8_t)(ND_FLAG_OVERRIDE | (dad ? 0 : ND_FLAG_SOLICITED));
	memcpy(m + 8, target, 16);
	m[24] = ND_OPT_TARGET_LLADDR;
	m[25] = 1;                           /* 8 bytes */
	memcpy(m + 26, f->mac, 6);
	reply_icmp6_cksum(ip, m, REPLY_NA_BYTES);
	return out;
}

uint32_t reply_build(const struct pkt_filter *f, const struct pkt_info *info,
		     uint8_t *frame, uint32_t len, uint32_t cap)
{
	switch (info->cls) {
	case PKT_ARP_REQUEST:
		return reply_arp(f, info, frame, len);
	case PKT_ICMP_ECHO:
		return reply_icmp_echo(f, info, frame, len);
	case PKT_ICMP6_ECHO:
		return reply_icmp6_echo(f, info, frame, len);
	case PKT_ND_SOLICIT:
		return reply_nd(f, info, frame, cap);
	default:
		return 0;
	}
}
