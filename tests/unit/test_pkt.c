/* L2-L4 classification and in-place answers of the DPDK source, on frames
 * built by tests/common/frames.c (its own checksum code). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/pkt.h"
#include "dataplane/reply.h"
#include "tests/common/frames.h"

static const uint8_t our_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t our4[4] = { 192, 0, 2, 10 }, peer4[4] = { 192, 0, 2, 1 };
static const uint8_t our6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const uint8_t peer6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static struct pkt_filter filter;
static uint8_t buf[FRAMES_MAX], payload[2000];
static struct frames_l2 l2;

static struct frames_ip ip4(void)
{
	struct frames_ip ip = { .family = 4 };

	memcpy(ip.src, peer4, 4);
	memcpy(ip.dst, our4, 4);
	return ip;
}

static struct frames_ip ip6(void)
{
	struct frames_ip ip = { .family = 6 };

	memcpy(ip.src, peer6, 16);
	memcpy(ip.dst, our6, 16);
	return ip;
}

static int setup(void **state)
{
	struct sockaddr_storage ls[2];

	(void)state;
	memset(ls, 0, sizeof(ls));
	((struct sockaddr_in *)&ls[0])->sin_family = AF_INET;
	((struct sockaddr_in *)&ls[0])->sin_port = htons(7611);
	memcpy(&((struct sockaddr_in *)&ls[0])->sin_addr, our4, 4);
	((struct sockaddr_in6 *)&ls[1])->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)&ls[1])->sin6_port = htons(7612);
	memcpy(&((struct sockaddr_in6 *)&ls[1])->sin6_addr, our6, 16);
	assert_int_equal(pkt_filter_init(&filter, our_mac, ls, 2), 0);
	memcpy(l2.dst, our_mac, 6);
	memcpy(l2.src, peer_mac, 6);
	l2.vlan = -1;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	return 0;
}

/* Classifies a copy of exactly len bytes, so ASan sees any read past it. */
static enum pkt_class classify(const uint8_t *frame, uint32_t len, unsigned offload,
			       struct pkt_info *info)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum pkt_class c;

	assert_non_null(copy);
	memcpy(copy, frame, len);
	c = pkt_classify(&filter, copy, len, offload, info);
	free(copy);
	return c;
}

static void expect_drop(const uint8_t *frame, uint32_t len, unsigned offload,
			enum pkt_drop why)
{
	struct pkt_info info;

	assert_int_equal(classify(frame, len, offload, &info), PKT_DROP);
	assert_int_equal(info.drop, why);
}

static void test_udp4_data(void **state)
{
	struct frames_ip ip = ip4();
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct pkt_info info;
	uint32_t len = frames_udp(buf, &l2, &ip, 40000, 7611, payload, 100);

	(void)state;
	memcpy(&peer.sin_addr, peer4, 4);
	assert_int_equal(classify(buf, len, 0, &info), PKT_DATA);
	assert_int_equal(info.payload_off, 14 + 20 + 8);
	assert_int_equal(info.payload_len, 100);
	/* A sender has the same id whichever source received it. */
	assert_true(info.peer_id == source_peer_hash((struct sockaddr_storage *)&peer));
	/* Ethernet padding after the datagram is ignored. */
	memset(buf + len, 0, 20);
	assert_int_equal(classify(buf, len + 20, 0, &info), PKT_DATA);
	assert_int_equal(info.payload_len, 100);
	/* Zero checksum: allowed over IPv4. */
	buf[14 + 20 + 6] = buf[14 + 20 + 7] = 0;
	assert_int_equal(classify(buf, len, 0, &info), PKT_DATA);
}

static void test_udp6_data_and_ext_header(void **state)
{
	struct frames_ip ip = ip6();
	struct pkt_info info;
	uint32_t len = frames_udp(buf, &l2, &ip, 40000, 7612, payload, 64);
	uint8_t ext[FRAMES_MAX];

	(void)state;
	assert_int_equal(classify(buf, len, 0, &info), PKT_DATA);
	assert_int_equal(info.payload_off, 14 + 40 + 8);
	/* The same datagram behind an 8-byte destination-options header. */
	memcpy(ext, buf, 14 + 40);
	ext[14 + 6] = 60;
	ext[14 + 5] = (uint8_t)(ext[14 + 5] + 8);
	memset(ext + 54, 0, 8);
	ext[54] = 17;
	memcpy(ext + 62, buf + 54, len - 54);
	assert_int_equal(classify(ext, len + 8, 0, &info), PKT_DATA);
	assert_int_equal(info.payload_off, 14 + 48 + 8);
	assert_int_equal(info.payload_len, 64);
	/* Zero UDP checksum is not allowed over IPv6. */
	buf[54 + 6] = buf[54 + 7] = 0;
	expect_drop(buf, len, 0, PKT_DROP_BAD_UDP);
	/* The v4 port is not a v6 listen pair. */
	len = frames_udp(buf, &l2, &ip, 40000, 7611, payload, 64);
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
}

static void test_vlan(void **state)
{
	struct frames_ip ip = ip4();
	struct pkt_info info;
	uint32_t len;

	(void)state;
	l2.vlan = 100;
	len = frames_udp(buf, &l2, &ip, 1, 7611, payload, 10);
	assert_int_equal(classify(buf, len, 0, &info), PKT_DATA);
	assert_int_equal(info.vlan, 100);
	assert_int_equal(info.payload_off, 18 + 28);
	assert_int_equal(pkt_filter_vlans(&filter, "0,200"), 0);
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
	assert_int_equal(pkt_filter_vlans(&filter, "0,100"), 0);
	assert_int_equal(classify(buf, len, 0, &info), PKT_DATA);
	assert_int_equal(pkt_filter_vlans(&filter, "100"), 0);
	l2.vlan = -1;
	len = frames_udp(buf, &l2, &ip, 1, 7611, payload, 10);
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);  /* untagged not listed */
	assert_int_equal(pkt_filter_vlans(&filter, ""), 0);
	assert_int_equal(pkt_filter_vlans(&filter, "4095"), -EINVAL);
	assert_int_equal(pkt_filter_vlans(&filter, "1,"), -EINVAL);
	assert_int_equal(pkt_filter_vlans(&filter, "x"), -EINVAL);
	/* A second tag (QinQ) is not supported. */
	l2.vlan = 7;
	len = frames_udp(buf, &l2, &ip, 1, 7611, payload, 10);
	buf[16] = 0x81;
	buf[17] = 0x00;
	expect_drop(buf, len, 0, PKT_DROP_BAD_L2);
	l2.vlan = -1;
}

/* A tagged IPv4 and an IPv6 datagram at every alignment of the buffer
 * classify the same (a VLAN tag already moves every later field by 4). */
static void test_any_alignment(void **state)
{
	static uint8_t moved[FRAMES_MAX + 8];
	struct frames_ip ips[2] = { ip4(), ip6() };
	struct pkt_info info;

	(void)state;
	l2.vlan = 100;
	for (int k = 0; k < 2; k++) {
		uint32_t len = frames_udp(buf, &l2, &ips[k], 1, ips[k].family == 4 ? 7611 : 7612,
					  payload, 33);

		for (uint32_t off = 0; off < 8; off++) {
			memcpy(moved + off, buf, len);
			assert_int_equal(pkt_classify(&filter, moved + off, len, 0, &info), PKT_DATA);
			assert_int_equal(info.vlan, 100);
			assert_int_equal(info.payload_len, 33);
			assert_memory_equal(moved + off + info.payload_off, payload, 33);
		}
	}
	l2.vlan = -1;
}

static void test_ip_and_udp_faults(void **state)
{
	struct frames_ip ip = ip4();
	uint32_t len = frames_udp(buf, &l2, &ip, 1, 7611, payload, 100);

	(void)state;
	expect_drop(buf, 13, 0, PKT_DROP_BAD_L2);
	expect_drop(buf, len - 1, 0, PKT_DROP_TRUNCATED);
	expect_drop(buf, 14 + 10, 0, PKT_DROP_TRUNCATED);
	buf[14 + 8] ^= 1;                         /* TTL: header checksum now wrong */
	expect_drop(buf, len, 0, PKT_DROP_BAD_IP);
	/* The NIC said the header checksum is good: not checked again. */
	struct pkt_info info;

	assert_int_equal(classify(buf, len, PKT_OFFLOAD_IP_GOOD, &info), PKT_DATA);
	buf[14 + 8] ^= 1;
	expect_drop(buf, len, PKT_OFFLOAD_IP_BAD, PKT_DROP_BAD_IP);
	buf[len - 1] ^= 0x40;                     /* payload: UDP checksum wrong */
	expect_drop(buf, len, 0, PKT_DROP_BAD_UDP);
	assert_int_equal(classify(buf, len, PKT_OFFLOAD_L4_GOOD, &info), PKT_DATA);
	buf[len - 1] ^= 0x40;
	expect_drop(buf, len, PKT_OFFLOAD_L4_BAD, PKT_DROP_BAD_UDP);
	buf[14 + 20 + 5] += 1;                    /* UDP length lies */
	expect_drop(buf, len, 0, PKT_DROP_BAD_UDP);
	buf[14 + 20 + 5] -= 1;
	buf[14] = 0x55;                           /* version 5 */
	expect_drop(buf, len, 0, PKT_DROP_BAD_IP);
	buf[14] = 0x45;
	buf[0] = 0x04;                            /* unicast to another station */
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
	buf[0] = our_mac[0];
	len = frames_udp(buf, &l2, &ip, 1, 9999, payload, 100);
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
	ip.dst[3] = 99;
	len = frames_udp(buf, &l2, &ip, 1, 7611, payload, 100);
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
	buf[12] = 0x88;                           /* some other ethertype */
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
}

static void test_every_prefix_is_safe(void **state)
{
	struct frames_ip v4 = ip4(), v6 = ip6();
	struct pkt_info info;
	uint32_t len4 = frames_udp(buf, &l2, &v4, 1, 7611, payload, 40);

	(void)state;
	for (uint32_t n = 0; n < len4; n++)
		assert_int_not_equal(classify(buf, n, 0, &info), PKT_DATA);
	uint32_t len6 = frames_udp(buf, &l2, &v6, 1, 7612, payload, 40);

	for (uint32_t n = 0; n < len6; n++)
		assert_int_not_equal(classify(buf, n, 0, &info), PKT_DATA);
}

static void test_fragments(void **state)
{
	static uint8_t frags[8][FRAMES_MAX];
	struct frames_ip v4 = ip4(), v6 = ip6();
	struct pkt_info info;
	uint32_t lens[8], len = frames_udp(buf, &l2, &v4, 1, 7611, payload, 1000);
	unsigned n = frames_fragment(buf, len, &l2, 4, 400, frags, lens, 8);

	(void)state;
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(classify(frags[i], lens[i], 0, &info), PKT_FRAGMENT);
		assert_int_equal(info.l2_len, 14);
		assert_int_equal(info.l3_len, 20);
	}
	len = frames_udp(buf, &l2, &v6, 1, 7612, payload, 1000);
	n = frames_fragment(buf, len, &l2, 6, 400, frags, lens, 8);
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(classify(frags[i], lens[i], 0, &info), PKT_FRAGMENT);
		assert_int_equal(info.l3_len, 48);
	}
}

static void test_arp_reply(void **state)
{
	struct pkt_info info;
	uint32_t len = frames_arp_request(buf, &l2, peer4, our4);
	uint8_t other[4] = { 192, 0, 2, 99 };

	(void)state;
	memset(buf, 0xff, 6);                     /* broadcast */
	assert_int_equal(pkt_classify(&filter, buf, len, 0, &info), PKT_ARP_REQUEST);
	assert_int_equal(reply_build(&filter, &info, buf, len, sizeof(buf)), len);
	assert_memory_equal(buf, peer_mac, 6);
	assert_memory_equal(buf + 6, our_mac, 6);
	assert_int_equal(buf[14 + 7], 2);         /* op: reply */
	assert_memory_equal(buf + 14 + 8, our_mac, 6);
	assert_memory_equal(buf + 14 + 14, our4, 4);
	assert_memory_equal(buf + 14 + 18, peer_mac, 6);
	assert_memory_equal(buf + 14 + 24, peer4, 4);
	len = frames_arp_request(buf, &l2, peer4, other);
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
	expect_drop(buf, 14 + 20, 0, PKT_DROP_TRUNCATED);
}

static void test_echo_replies(void **state)
{
	struct frames_ip v4 = ip4(), v6 = ip6(), back;
	struct pkt_info info;
	uint32_t len = frames_echo(buf, &l2, &v4, 7, 1, 56);

	(void)state;
	assert_int_equal(pkt_classify(&filter, buf, len, 0, &info), PKT_ICMP_ECHO);
	assert_int_equal(reply_build(&filter, &info, buf, len, sizeof(buf)), len);
	assert_memory_equal(buf, peer_mac, 6);
	assert_memory_equal(buf + 14 + 12, our4, 4);
	assert_memory_equal(buf + 14 + 16, peer4, 4);
	assert_int_equal(frames_cksum(buf + 14, 20, 0), 0);        /* header */
	assert_int_equal(buf[34], 0);                              /* echo reply */
	assert_int_equal(frames_cksum(buf + 34, 64, 0), 0);
	buf[14 + 9] = 1;
	len = frames_echo(buf, &l2, &v4, 7, 1, 56);
	buf[40] ^= 1;                                              /* sequence */
	expect_drop(buf, len, 0, PKT_DROP_BAD_IP);

	len = frames_echo(buf, &l2, &v6, 7, 1, 56);
	assert_int_equal(pkt_classify(&filter, buf, len, 0, &info), PKT_ICMP6_ECHO);
	assert_int_equal(reply_build(&filter, &info, buf, len, sizeof(buf)), len);
	assert_int_equal(buf[54], 129);
	assert_memory_equal(buf + 14 + 8, our6, 16);
	assert_memory_equal(buf + 14 + 24, peer6, 16);
	back.family = 6;
	memcpy(back.src, our6, 16);
	memcpy(back.dst, peer6, 16);
	/* The checksum over pseudo-header and message folds to zero. */
	uint32_t pseudo = 0;

	for (int i = 0; i < 16; i += 2)
		pseudo += (uint32_t)(back.src[i] << 8 | back.src[i + 1]) +
			  (uint32_t)(back.dst[i] << 8 | back.dst[i + 1]);
	assert_int_equal(frames_cksum(buf + 54, 64, pseudo + 58 + 64), 0);
}

static void test_neighbour_advert(void **state)
{
	struct pkt_info info;
	uint32_t len = frames_ns(buf, &l2, peer6, our6), pseudo = 0;
	uint8_t *m = buf + 54;

	(void)state;
	buf[0] = 0x33;                                /* solicited-node multicast */
	buf[1] = 0x33;
	assert_int_equal(pkt_classify(&filter, buf, len, 0, &info), PKT_ND_SOLICIT);
	assert_int_equal(reply_build(&filter, &info, buf, len, 54), 0);  /* no room */
	assert_int_equal(reply_build(&filter, &info, buf, len, sizeof(buf)), 14 + 40 + 32);
	assert_memory_equal(buf, peer_mac, 6);
	assert_memory_equal(buf + 14 + 8, our6, 16);
	assert_memory_equal(buf + 14 + 24, peer6, 16);
	assert_int_equal(buf[14 + 7], 255);
	assert_int_equal(m[0], 136);
	assert_int_equal(m[4], 0x60);                 /* solicited, override */
	assert_memory_equal(m + 8, our6, 16);
	assert_int_equal(m[24], 2);
	assert_memory_equal(m + 26, our_mac, 6);
	for (int i = 0; i < 16; i += 2)
		pseudo += (uint32_t)(our6[i] << 8 | our6[i + 1]) +
			  (uint32_t)(peer6[i] << 8 | peer6[i + 1]);
	assert_int_equal(frames_cksum(m, 32, pseudo + 58 + 32), 0);
	/* A solicitation for an address that is not ours. */
	uint8_t other[16];

	memcpy(other, our6, 16);
	other[15] = 0x99;
	len = frames_ns(buf, &l2, peer6, other);
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
	/* Hop limit below 255: forged from off-link (RFC 4861). */
	len = frames_ns(buf, &l2, peer6, our6);
	buf[14 + 7] = 64;
	expect_drop(buf, len, 0, PKT_DROP_NOT_FOR_US);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp4_data),
		cmocka_unit_test(test_udp6_data_and_ext_header),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_any_alignment),
		cmocka_unit_test(test_ip_and_udp_faults),
		cmocka_unit_test(test_every_prefix_is_safe),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_echo_replies),
		cmocka_unit_test(test_neighbour_advert),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
