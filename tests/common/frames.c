/* Test frame builders (see frames.h). */
#include "frames.h"

#include <string.h>

#include "dataplane/slf.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t frames_cksum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t frames_l2(uint8_t *buf, const struct frames_l2 *l2, uint16_t type)
{
	uint32_t off = 12;

	memcpy(buf, l2->dst, 6);
	memcpy(buf + 6, l2->src, 6);
	if (l2->vlan >= 0) {
		put16(buf + 12, 0x8100);
		put16(buf + 14, (uint16_t)l2->vlan);
		off = 16;
	}
	put16(buf + off, type);
	return off + 2;
}

/* Pseudo-header sum of an L4 message (not complemented, not folded). */
static uint32_t frames_pseudo(const struct frames_ip *ip, uint8_t proto, uint32_t len)
{
	uint32_t sum = 0, alen = ip->family == 6 ? 16 : 4;

	for (uint32_t i = 0; i < alen; i += 2)
		sum += (uint32_t)(ip->src[i] << 8 | ip->src[i + 1]) +
		       (uint32_t)(ip->dst[i] << 8 | ip->dst[i + 1]);
	return sum + proto + (len & 0xffff) + (len >> 16);
}

/* The IP header for an L4 message of l4_len bytes; returns its length. */
static uint32_t frames_ip_hdr(uint8_t *p, const struct frames_ip *ip, uint8_t proto,
			      uint32_t l4_len)
{
	if (ip->family == 6) {
		memset(p, 0, 40);
		p[0] = 0x60;
		put16(p + 4, (uint16_t)l4_len);
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, ip->src, 16);
		memcpy(p + 24, ip->dst, 16);
		return 40;
	}
	static uint16_t next_id = 0x1234;

	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + l4_len));
	put16(p + 4, next_id++);  /* each datagram its own id, as reassembly needs */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, ip->src, 4);
	memcpy(p + 16, ip->dst, 4);
	put16(p + 10, frames_cksum(p, 20, 0));
	return 20;
}

uint32_t frames_udp(uint8_t *buf, const struct frames_l2 *l2, const struct frames_ip *ip,
		    uint16_t sport, uint16_t dport, const uint8_t *payload, uint32_t len)
{
	uint32_t off = frames_l2(buf, l2, ip->family == 6 ? 0x86dd : 0x0800);
	uint8_t *u;
	uint16_t c;

	off += frames_ip_hdr(buf + off, ip, 17, 8 + len);
	u = buf + off;
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, payload, len);
	c = frames_cksum(u, 8 + len, frames_pseudo(ip, 17, 8 + len));
	put16(u + 6, c ? c : 0xffff);
	return off + 8 + len;
}

unsigned frames_fragment(const uint8_t *frame, uint32_t len, const struct frames_l2 *l2,
			 int family, uint32_t chunk, uint8_t (*out)[FRAMES_MAX],
			 uint32_t *lens, unsigned max)
{
	uint32_t l2len = l2->vlan >= 0 ? 18 : 14, iplen = family == 6 ? 40 : 20;
	uint32_t data = len - l2len - iplen, n = 0;
	static uint16_t next_v6_id = 0xbeef;
	uint16_t v6_id = next_v6_id++;  /* each datagram its own identification */

	for (uint32_t at = 0; at < data && n < max; at += chunk, n++) {
		uint32_t part = data - at < chunk ? data - at : chunk, hdr = l2len + iplen;
		uint8_t *f = out[n], *ip = f + l2len;
		int more = at + part < data;

		memcpy(f, frame, hdr);
		if (family == 6) {
			uint8_t *fh = ip + 40;

			ip[6] = 44;
			fh[0] = 17;
			fh[1] = 0;
			put16(fh + 2, (uint16_t)(at | (uint32_t)more));
			put16(fh + 4, 0);
			put16(fh + 6, v6_id);
			put16(ip + 4, (uint16_t)(8 + part));
			hdr += 8;
		} else {
			put16(ip + 2, (uint16_t)(20 + part));
			put16(ip + 6, (uint16_t)((more ? 0x2000 : 0) | (at / 8)));
			put16(ip + 10, 0);
			put16(ip + 10, frames_cksum(ip, 20, 0));
		}
		memcpy(f + hdr, frame + l2len + iplen + at, part);
		lens[n] = hdr + part;
	}
	return n;
}

uint32_t frames_arp_request(uint8_t *buf, const struct frames_l2 *l2, const uint8_t sip[4],
			    const uint8_t tip[4])
{
	uint32_t off = frames_l2(buf, l2, 0x0806);
	uint8_t *a = buf + off;

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, l2->src, 6);
	memcpy(a + 14, sip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, tip, 4);
	return off + 28;
}

uint32_t frames_echo(uint8_t *buf, const struct frames_l2 *l2, const struct frames_ip *ip,
		     uint16_t id, uint16_t seq, uint32_t data_len)
{
	uint32_t off = frames_l2(buf, l2, ip->family == 6 ? 0x86dd : 0x0800);
	uint8_t proto = ip->family == 6 ? 58 : 1, *m;

	off += frames_ip_hdr(buf + off, ip, proto, 8 + data_len);
	m = buf + off;
	m[0] = ip->family == 6 ? 128 : 8;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, id);
	put16(m + 6, seq);
	for (uint32_t i = 0; i < data_len; i++)
		m[8 + i] = (uint8_t)i;
	put16(m + 2, frames_cksum(m, 8 + data_len,
				  ip->family == 6 ? frames_pseudo(ip, 58, 8 + data_len) : 0));
	return off + 8 + data_len;
}

uint32_t frames_ns(uint8_t *buf, const struct frames_l2 *l2, const uint8_t src[16],
		   const uint8_t target[16])
{
	struct frames_ip ip = { .family = 6 };
	uint32_t off = frames_l2(buf, l2, 0x86dd);
	uint8_t *m;

	memcpy(ip.src, src, 16);
	memcpy(ip.dst, "\xff\x02\0\0\0\0\0\0\0\0\0\x01\xff", 13);
	memcpy(ip.dst + 13, target + 13, 3);
	off += frames_ip_hdr(buf + off, &ip, 58, 32);
	buf[off - 40 + 7] = 255;
	m = buf + off;
	memset(m, 0, 32);
	m[0] = 135;
	memcpy(m + 8, target, 16);
	m[24] = 1;  /* source link-layer address */
	m[25] = 1;
	memcpy(m + 26, l2->src, 6);
	put16(m + 2, frames_cksum(m, 32, frames_pseudo(&ip, 58, 32)));
	return off + 32;
}

uint32_t frames_slf1(uint8_t *buf, uint64_t source_id, uint64_t seq, uint32_t payload_len)
{
	static uint8_t payload[SLF_PAYLOAD_BYTES_MAX];
	struct slf_frame f = { .schema_id = 1, .source_id = source_id, .seq = seq,
			       .event_time_ns = 1700000000000000000ull + seq,
			       .payload = payload, .payload_len = (uint16_t)payload_len };

	for (uint32_t i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)('a' + (seq + i) % 26);
	return slf_encode(buf, SLF_DATAGRAM_BYTES_MAX, &f);
}
