/* L2-L4 classification of received frames (see pkt.h). Every length is
 * checked before the bytes it covers are read; checksums are verified in
 * software unless the NIC says it already did. */
#include "dataplane/pkt.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "platform/be.h"

#define ETHER_TYPE_IPV4 0x0800u
#define ETHER_TYPE_ARP 0x0806u
#define ETHER_TYPE_VLAN 0x8100u
#define ETHER_TYPE_QINQ 0x88a8u
#define ETHER_TYPE_IPV6 0x86ddu
#define IPV4_HDR_BYTES 20u
#define IPV6_HDR_BYTES 40u
#define UDP_HDR_BYTES 8u
#define ICMP_HDR_BYTES 8u
#define ND_NS_BYTES 24u          /* ICMPv6 header, reserved, target */
#define ARP_IPV4_BYTES 28u
#define IPV4_MF 0x2000u
#define IPV4_OFFSET_MASK 0x1fffu
#define ICMP_ECHO_REQUEST 8u
#define ICMP6_ECHO_REQUEST 128u
#define ICMP6_ND_SOLICIT 135u
#define IPV6_EXT_HOP 0u
#define IPV6_EXT_ROUTING 43u
#define IPV6_EXT_FRAGMENT 44u
#define IPV6_EXT_DSTOPTS 60u

bool pkt_listen_unicast(const struct sockaddr_storage *ss)
{
	static const uint8_t zero[16];

	if (ss->ss_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;

		return memcmp(a, zero, 4) != 0 && a[0] < 224;
	}
	if (ss->ss_family == AF_INET6) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

		return memcmp(a, zero, 16) != 0 && a[0] != 0xff;
	}
	return false;
}

int pkt_filter_init(struct pkt_filter *f, const uint8_t mac[6],
		    const struct sockaddr_storage *listen, unsigned count)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->mac, mac, 6);
	if (count == 0 || count > SOURCE_LISTEN_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < count; i++) {
		struct pkt_listen *l = &f->listen[i];

		if (!pkt_listen_unicast(&listen[i]))
			return -EINVAL;
		l->family = listen[i].ss_family;
		if (l->family == AF_INET) {
			const struct sockaddr_in *in4 = (const struct sockaddr_in *)&listen[i];

			memcpy(l->addr, &in4->sin_addr, 4);
			l->port_be = in4->sin_port;
		} else {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&listen[i];

			memcpy(l->addr, &in6->sin6_addr, 16);
			l->port_be = in6->sin6_port;
		}
	}
	f->listen_count = count;
	return 0;
}

int pkt_filter_vlans(struct pkt_filter *f, const char *list)
{
	const char *p = list;

	memset(f->vlan_allowed, 0, sizeof(f->vlan_allowed));
	f->vlan_restricted = false;
	if (!*list)
		return 0;
	while (*p) {
		char *end;
		unsigned long id = strtoul(p, &end, 10);

		if (end == p || id >= PKT_VLAN_IDS - 1 || (*end && *end != ','))
			return -EINVAL;
		f->vlan_allowed[id / 64] |= 1ull << (id % 64);
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -EINVAL;  /* a trailing comma */
	}
	f->vlan_restricted = true;
	return 0;
}

/* The one's-complement sum of the words as they lie in memory, eight bytes
 * at a time: a 32-bit word is congruent to the sum of its two 16-bit halves
 * modulo 0xffff, so wide loads give the same folded result as DPDK's
 * rte_raw_cksum at a quarter of the loads (the UDP checksum is most of the
 * per-packet cost without NIC offload). */
static inline uint64_t pkt_sum_wide(const uint8_t *p, uint32_t len, uint64_t acc)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16 = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v64, p, 8);
		acc += (v64 & 0xffffffffu) + (v64 >> 32);
	}
	if (len >= 4) {
		memcpy(&v32, p, 4);
		acc += v32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&v16, p, 2);
		acc += v16;
		p += 2;
		len -= 2;
	}
	if (len) {
		v16 = 0;
		memcpy(&v16, p, 1);  /* the odd byte is the first of its word */
		acc += v16;
	}
	return acc;
}

static uint16_t pkt_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

uint16_t pkt_sum(const uint8_t *p, uint32_t len)
{
	return pkt_fold(pkt_sum_wide(p, len, 0));
}

/* An IPv4 header's sum, inlined on the per-packet path. */
static inline uint16_t pkt_ipv4_hdr_sum(const uint8_t *ip, uint32_t ihl)
{
	return pkt_fold(pkt_sum_wide(ip, ihl, 0));
}

uint16_t pkt_l4_sum(sa_family_t family, const uint8_t *src, const uint8_t *dst,
		    uint8_t proto, const uint8_t *l4, uint32_t l4_len)
{
	uint32_t alen = family == AF_INET6 ? 16 : 4;
	uint64_t acc = pkt_sum_wide(src, alen, 0);

	acc = pkt_sum_wide(dst, alen, acc);
	acc += rte_cpu_to_be_16((uint16_t)proto);
	acc += rte_cpu_to_be_16((uint16_t)(l4_len & 0xffff));
	acc += rte_cpu_to_be_16((uint16_t)(l4_len >> 16));
	return pkt_fold(pkt_sum_wide(l4, l4_len, acc));
}

static enum pkt_class pkt_drop(struct pkt_info *info, enum pkt_drop why)
{
	info->drop = why;
	return info->cls = PKT_DROP;
}

/* Constant sizes, so the compiler compares in place instead of calling. */
static inline bool pkt_addr_eq(sa_family_t family, const uint8_t *a, const uint8_t *b)
{
	return family == AF_INET6 ? memcmp(a, b, 16) == 0 : memcmp(a, b, 4) == 0;
}

/* Index of the listen entry whose address is addr, or -1. */
static int pkt_our_addr(const struct pkt_filter *f, sa_family_t family, const uint8_t *addr)
{
	for (unsigned i = 0; i < f->listen_count; i++)
		if (f->listen[i].family == family && pkt_addr_eq(family, f->listen[i].addr, addr))
			return (int)i;
	return -1;
}

/* ff02::1:ffXX:XXXX for one of our IPv6 addresses. */
static bool pkt_solicited_node(const struct pkt_filter *f, const uint8_t *addr)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };

	if (memcmp(addr, prefix, sizeof(prefix)) != 0)
		return false;
	for (unsigned i = 0; i < f->listen_count; i++)
		if (f->listen[i].family == AF_INET6 &&
		    memcmp(f->listen[i].addr + 13, addr + 13, 3) == 0)
			return true;
	return false;
}

/* The UDP header at l4 (l4_len bytes as IP says): length, port, checksum. */
static enum pkt_class pkt_udp(const struct pkt_filter *f, const uint8_t *frame,
			      const uint8_t *src, const uint8_t *dst, unsigned offload,
			      struct pkt_info *info)
{
	const uint8_t *l4 = frame + info->l4_off;
	uint16_t port_be;
	bool matched = false;

	if (info->l4_len < UDP_HDR_BYTES || be_get16(l4 + 4) != info->l4_len)
		return pkt_drop(info, PKT_DROP_BAD_UDP);
	memcpy(&port_be, l4 + 2, 2);
	for (unsigned i = 0; i < f->listen_count; i++) {
		const struct pkt_listen *l = &f->listen[i];

		if (l->family == info->family && l->port_be == port_be &&
		    pkt_addr_eq(l->family, l->addr, dst)) {
			matched = true;
			info->addr_index = (uint8_t)i;
			break;
		}
	}
	if (!matched)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	if (!allow_match(&f->allow, info->family, src))
		return pkt_drop(info, PKT_DROP_NOT_ALLOWED);
	if (be_get16(l4 + 6) == 0) {
		/* No checksum: allowed over IPv4 only (RFC 768, RFC 8200). */
		if (info->family == AF_INET6)
			return pkt_drop(info, PKT_DROP_BAD_UDP);
	} else if (offload & PKT_OFFLOAD_L4_BAD) {
		return pkt_drop(info, PKT_DROP_BAD_UDP);
	} else if (!(offload & PKT_OFFLOAD_L4_GOOD) &&
		   pkt_l4_sum(info->family, src, dst, IPPROTO_UDP, l4, info->l4_len) != 0xffff) {
		return pkt_drop(info, PKT_DROP_BAD_UDP);
	}
	info->payload_off = info->l4_off + UDP_HDR_BYTES;
	info->payload_len = info->l4_len - UDP_HDR_BYTES;
	info->peer_id = info->family == AF_INET6 ? source_peer_hash_v6(src, l4)
						 : source_peer_hash_v4(src, l4);
	return info->cls = PKT_DATA;
}

static enum pkt_class pkt_arp(const struct pkt_filter *f, const uint8_t *frame,
			      uint32_t len, struct pkt_info *info)
{
	const uint8_t *a = frame + info->l2_len;

	if (len - info->l2_len < ARP_IPV4_BYTES)
		return pkt_drop(info, PKT_DROP_TRUNCATED);
	if (be_get16(a) != 1 || be_get16(a + 2) != ETHER_TYPE_IPV4 || a[4] != 6 || a[5] != 4)
		return pkt_drop(info, PKT_DROP_BAD_L2);
	if (be_get16(a + 6) != 1)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);  /* replies, RARP */
	int i = pkt_our_addr(f, AF_INET, a + 24);

	if (i < 0)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	info->addr_index = (uint8_t)i;
	return info->cls = PKT_ARP_REQUEST;
}

static enum pkt_class pkt_ipv4(const struct pkt_filter *f, const uint8_t *frame,
			       uint32_t len, unsigned offload, struct pkt_info *info)
{
	const uint8_t *ip = frame + info->l2_len;
	uint32_t avail = len - info->l2_len, ihl, total, frag;
	int ours;

	info->family = AF_INET;
	if (avail < IPV4_HDR_BYTES)
		return pkt_drop(info, PKT_DROP_TRUNCATED);
	ihl = (ip[0] & 0xfu) * 4u;
	if (ip[0] >> 4 != 4 || ihl < IPV4_HDR_BYTES)
		return pkt_drop(info, PKT_DROP_BAD_IP);
	total = be_get16(ip + 2);
	if (avail < ihl || avail < total)
		return pkt_drop(info, PKT_DROP_TRUNCATED);
	if (total < ihl)
		return pkt_drop(info, PKT_DROP_BAD_IP);
	if ((offload & PKT_OFFLOAD_IP_BAD) ||
	    (!(offload & PKT_OFFLOAD_IP_GOOD) && pkt_ipv4_hdr_sum(ip, ihl) != 0xffff))
		return pkt_drop(info, PKT_DROP_BAD_IP);
	ours = pkt_our_addr(f, AF_INET, ip + 16);
	if (ours < 0)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	info->addr_index = (uint8_t)ours;
	info->l3_len = (uint16_t)ihl;
	info->l4_off = info->l2_len + ihl;
	info->l4_len = total - ihl;
	frag = be_get16(ip + 6);
	if (frag & (IPV4_MF | IPV4_OFFSET_MASK)) {
		if (ip[9] != IPPROTO_UDP)
			return pkt_drop(info, PKT_DROP_NOT_FOR_US);
		return info->cls = PKT_FRAGMENT;
	}
	if (ip[9] == IPPROTO_UDP)
		return pkt_udp(f, frame, ip + 12, ip + 16, offload, info);
	if (ip[9] != IPPROTO_ICMP || info->l4_len < ICMP_HDR_BYTES ||
	    frame[info->l4_off] != ICMP_ECHO_REQUEST || frame[info->l4_off + 1] != 0)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	if (pkt_sum(frame + info->l4_off, info->l4_len) != 0xffff)
		return pkt_drop(info, PKT_DROP_BAD_IP);
	return info->cls = PKT_ICMP_ECHO;
}

/* ICMPv6 echo requests and neighbour solicitations; the rest is not ours. */
static enum pkt_class pkt_icmp6(const struct pkt_filter *f, const uint8_t *frame,
				const uint8_t *ip, bool to_us, struct pkt_info *info)
{
	const uint8_t *m = frame + info->l4_off;

	if (info->l4_len < ICMP_HDR_BYTES)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	if (m[0] == ICMP6_ECHO_REQUEST && m[1] == 0 && to_us) {
		info->cls = PKT_ICMP6_ECHO;
	} else if (m[0] == ICMP6_ND_SOLICIT && m[1] == 0 && ip[7] == 255 &&
		   info->l4_len >= ND_NS_BYTES && pkt_our_addr(f, AF_INET6, m + 8) >= 0) {
		info->addr_index = (uint8_t)pkt_our_addr(f, AF_INET6, m + 8);
		info->cls = PKT_ND_SOLICIT;
	} else {
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	}
	if (pkt_l4_sum(AF_INET6, ip + 8, ip + 24, IPPROTO_ICMPV6, m, info->l4_len) != 0xffff)
		return pkt_drop(info, PKT_DROP_BAD_IP);
	return info->cls;
}

static enum pkt_class pkt_ipv6(const struct pkt_filter *f, const uint8_t *frame,
			       uint32_t len, unsigned offload, struct pkt_info *info)
{
	const uint8_t *ip = frame + info->l2_len;
	uint32_t avail = len - info->l2_len, plen, off = IPV6_HDR_BYTES;
	uint8_t nh;
	int ours;

	info->family = AF_INET6;
	if (avail < IPV6_HDR_BYTES)
		return pkt_drop(info, PKT_DROP_TRUNCATED);
	if (ip[0] >> 4 != 6)
		return pkt_drop(info, PKT_DROP_BAD_IP);
	plen = be_get16(ip + 4);
	if (plen == 0)
		return pkt_drop(info, PKT_DROP_BAD_IP);  /* jumbograms: not on this path */
	if (avail < IPV6_HDR_BYTES + plen)
		return pkt_drop(info, PKT_DROP_TRUNCATED);
	ours = pkt_our_addr(f, AF_INET6, ip + 24);
	if (ours < 0 && !pkt_solicited_node(f, ip + 24))
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	if (ours >= 0)
		info->addr_index = (uint8_t)ours;
	nh = ip[6];
	for (unsigned i = 0; i <= PKT_IPV6_EXT_MAX; i++) {
		uint32_t ext;

		if (nh == IPV6_EXT_FRAGMENT) {
			if (IPV6_HDR_BYTES + plen < off + 8)
				return pkt_drop(info, PKT_DROP_BAD_IP);
			/* Reassembly wants the fragment header right after the fixed
			 * one; a fragment behind other headers is counted, not kept. */
			if (ours < 0 || ip[off] != IPPROTO_UDP)
				return pkt_drop(info, PKT_DROP_NOT_FOR_US);
			if (off != IPV6_HDR_BYTES)
				return pkt_drop(info, PKT_DROP_FRAGMENT);
			info->l3_len = (uint16_t)(off + 8);
			info->l4_off = info->l2_len + off + 8;
			info->l4_len = IPV6_HDR_BYTES + plen - off - 8;
			return info->cls = PKT_FRAGMENT;
		}
		if (nh != IPV6_EXT_HOP && nh != IPV6_EXT_ROUTING && nh != IPV6_EXT_DSTOPTS)
			break;
		if (i == PKT_IPV6_EXT_MAX || IPV6_HDR_BYTES + plen < off + 8)
			return pkt_drop(info, PKT_DROP_BAD_IP);
		ext = (ip[off + 1] + 1u) * 8u;
		if (IPV6_HDR_BYTES + plen < off + ext)
			return pkt_drop(info, PKT_DROP_BAD_IP);
		nh = ip[off];
		off += ext;
	}
	info->l3_len = (uint16_t)off;
	info->l4_off = info->l2_len + off;
	info->l4_len = IPV6_HDR_BYTES + plen - off;
	if (nh == IPPROTO_ICMPV6)
		return pkt_icmp6(f, frame, ip, ours >= 0, info);
	if (nh != IPPROTO_UDP || ours < 0)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	return pkt_udp(f, frame, ip + 8, ip + 24, offload, info);
}

enum pkt_class pkt_classify(const struct pkt_filter *f, const uint8_t *frame, uint32_t len,
			    unsigned offload, struct pkt_info *info)
{
	uint16_t type;

	memset(info, 0, sizeof(*info));
	if (len < PKT_ETHER_BYTES)
		return pkt_drop(info, PKT_DROP_BAD_L2);
	/* Unicast to another station (promiscuous ports see it): not ours. */
	if (!(frame[0] & 1) && memcmp(frame, f->mac, 6) != 0)
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	type = be_get16(frame + 12);
	info->l2_len = PKT_ETHER_BYTES;
	if (type == ETHER_TYPE_VLAN) {
		if (len < PKT_ETHER_BYTES + PKT_VLAN_BYTES)
			return pkt_drop(info, PKT_DROP_BAD_L2);
		info->vlan = be_get16(frame + 14) & 0xfffu;
		type = be_get16(frame + 16);
		info->l2_len += PKT_VLAN_BYTES;
		if (type == ETHER_TYPE_VLAN || type == ETHER_TYPE_QINQ)
			return pkt_drop(info, PKT_DROP_BAD_L2);
	} else if (type == ETHER_TYPE_QINQ) {
		return pkt_drop(info, PKT_DROP_BAD_L2);
	}
	if (f->vlan_restricted &&
	    !(f->vlan_allowed[info->vlan / 64] & (1ull << (info->vlan % 64))))
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	switch (type) {
	case ETHER_TYPE_IPV4:
		return pkt_ipv4(f, frame, len, offload, info);
	case ETHER_TYPE_IPV6:
		return pkt_ipv6(f, frame, len, offload, info);
	case ETHER_TYPE_ARP:
		return pkt_arp(f, frame, len, info);
	default:
		return pkt_drop(info, PKT_DROP_NOT_FOR_US);
	}
}
