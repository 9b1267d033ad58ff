/* 0005: the DPDK source on net_pcap, with a capture this test builds: IPv4,
 * IPv6, 802.1Q, fragments (and one that never completes), foreign ports,
 * addresses, MACs and protocols, broken IP and UDP checksums, truncated and
 * runt frames, a double tag, malformed SLF1, ARP requests, ICMP and ICMPv6
 * echo requests and neighbour solicitations. Exact event, DLQ and drop
 * counts per reason; every event in the log once; the ARP, echo and NA
 * answers found in the tx_pcap capture with the right addresses. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "dataplane/source.h"
#include "itest.h"
#include "tests/common/frames.h"

#define SOURCES 10u
#define PORT 7611

IT_FIXTURE("it0005")

/* net_pcap's MAC (DPDK 22.11); status must report the same. */
static const uint8_t our_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t our4[4] = { 192, 0, 2, 10 }, peer4[4] = { 192, 0, 2, 1 };
static const uint8_t our6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const uint8_t peer6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };

struct capture {
	pcap_dumper_t *out;
	uint64_t frames, next_event, events;
	uint8_t buf[FRAMES_MAX], dgram[FRAMES_MAX];
	struct frames_l2 l2;
};

static void cap_write(struct capture *c, const uint8_t *frame, uint32_t len)
{
	struct pcap_pkthdr h = { .caplen = len, .len = len };

	h.ts.tv_sec = 1700000000;
	h.ts.tv_usec = (suseconds_t)(c->frames % 1000000);
	pcap_dump((u_char *)c->out, &h, frame);
	c->frames++;
}

static struct frames_ip cap_ip(int family)
{
	struct frames_ip ip = { .family = family };

	memcpy(ip.src, family == 6 ? peer6 : peer4, family == 6 ? 16 : 4);
	memcpy(ip.dst, family == 6 ? our6 : our4, family == 6 ? 16 : 4);
	return ip;
}

/* One SLF1 datagram carrying the next event: source k % SOURCES, seq k /
 * SOURCES. Returns the frame's length in c->buf. */
static uint32_t cap_event(struct capture *c, int family, uint32_t payload, uint16_t dport)
{
	struct frames_ip ip = cap_ip(family);
	uint64_t k = c->next_event++;
	uint32_t dlen = frames_slf1(c->dgram, k % SOURCES, k / SOURCES, payload);

	c->events++;
	return frames_udp(c->buf, &c->l2, &ip, (uint16_t)(40000 + k % SOURCES), dport,
			  c->dgram, dlen);
}

static void cap_events(struct capture *c, unsigned n, int family, int vlan)
{
	c->l2.vlan = vlan;
	for (unsigned i = 0; i < n; i++)
		cap_write(c, c->buf, cap_event(c, family, 100, PORT));
	c->l2.vlan = -1;
}

/* n datagrams of 1,000-byte events in 3 fragments each; the last one's
 * first fragment alone when lone is set (never completes). */
static void cap_fragments(struct capture *c, unsigned n, int family, int lone)
{
	static uint8_t frags[8][FRAMES_MAX];
	uint32_t lens[8];

	for (unsigned i = 0; i < n; i++) {
		uint32_t len = cap_event(c, family, 1000, PORT);
		unsigned k = frames_fragment(c->buf, len, &c->l2, family, 400, frags, lens, 8);

		assert_int_equal(k, 3);
		for (unsigned j = 0; j < k; j++)
			cap_write(c, frags[j], lens[j]);
	}
	if (lone) {
		uint32_t len = cap_event(c, family, 1000, PORT);

		c->events--;  /* never whole: no event */
		frames_fragment(c->buf, len, &c->l2, family, 400, frags, lens, 8);
		cap_write(c, frags[0], lens[0]);
	}
}

/* At MTU 1500: a datagram in 8 fragments (the most DPDK 22.11 reassembles)
 * becomes an event; one in 9 becomes 9 fragment drops. */
static void cap_big_fragments(struct capture *c)
{
	static uint8_t frags[10][FRAMES_MAX];
	uint32_t lens[10], len = cap_event(c, 4, 11000, PORT);
	unsigned k = frames_fragment(c->buf, len, &c->l2, 4, 1480, frags, lens, 10);

	assert_int_equal(k, 8);
	for (unsigned j = 0; j < k; j++)
		cap_write(c, frags[j], lens[j]);
	len = cap_event(c, 4, 12500, PORT);
	c->events--;
	k = frames_fragment(c->buf, len, &c->l2, 4, 1480, frags, lens, 10);
	assert_int_equal(k, 9);
	for (unsigned j = 0; j < k; j++)
		cap_write(c, frags[j], lens[j]);
}

/* Frames that never reach the parser, counted by reason. */
static void cap_foreign(struct capture *c)
{
	struct frames_ip ip = cap_ip(4);
	uint8_t dlen = (uint8_t)frames_slf1(c->dgram, 999, 0, 20);
	uint32_t len;

	for (int i = 0; i < 30; i++)   /* another port */
		cap_write(c, c->buf, frames_udp(c->buf, &c->l2, &ip, 1, 9999, c->dgram, dlen));
	ip.dst[3] = 77;
	for (int i = 0; i < 20; i++)   /* another address */
		cap_write(c, c->buf, frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen));
	ip = cap_ip(4);
	len = frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen);
	c->buf[14 + 9] = 6;            /* TCP (its header checksum fixed below) */
	c->buf[14 + 10] = c->buf[14 + 11] = 0;
	uint16_t s = frames_cksum(c->buf + 14, 20, 0);

	c->buf[14 + 10] = (uint8_t)(s >> 8);
	c->buf[14 + 11] = (uint8_t)s;
	for (int i = 0; i < 10; i++)
		cap_write(c, c->buf, len);
	len = frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen);
	c->buf[5] = 0x42;              /* unicast to another station */
	for (int i = 0; i < 5; i++)
		cap_write(c, c->buf, len);
}

static void cap_broken(struct capture *c)
{
	struct frames_ip ip = cap_ip(4);
	uint32_t dlen = frames_slf1(c->dgram, 998, 0, 50), len;

	len = frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen);
	c->buf[14 + 8] = 3;            /* TTL changed, header checksum not */
	for (int i = 0; i < 15; i++)
		cap_write(c, c->buf, len);
	len = frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen);
	c->buf[len - 1] ^= 0xff;       /* payload changed, UDP checksum not */
	for (int i = 0; i < 12; i++)
		cap_write(c, c->buf, len);
	len = frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen);
	for (int i = 0; i < 8; i++)    /* shorter than the IP header says */
		cap_write(c, c->buf, len - 10 - (uint32_t)i);
	for (int i = 0; i < 3; i++)    /* runts */
		cap_write(c, c->buf, 10);
	c->l2.vlan = 5;
	len = frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen);
	c->buf[16] = 0x81;             /* a second tag */
	c->buf[17] = 0x00;
	c->l2.vlan = -1;
	for (int i = 0; i < 2; i++)
		cap_write(c, c->buf, len);
	/* Valid UDP, malformed SLF1 (CRC): dead letters, not drops. */
	c->dgram[dlen - 1] ^= 0xff;
	len = frames_udp(c->buf, &c->l2, &ip, 1, PORT, c->dgram, dlen);
	for (int i = 0; i < 25; i++)
		cap_write(c, c->buf, len);
}

static void cap_control(struct capture *c)
{
	struct frames_ip v4 = cap_ip(4), v6 = cap_ip(6);
	uint8_t other[4] = { 192, 0, 2, 200 };
	uint32_t len;

	len = frames_arp_request(c->buf, &c->l2, peer4, our4);
	memset(c->buf, 0xff, 6);
	for (int i = 0; i < 3; i++)
		cap_write(c, c->buf, len);
	len = frames_arp_request(c->buf, &c->l2, peer4, other);
	memset(c->buf, 0xff, 6);
	for (int i = 0; i < 2; i++)
		cap_write(c, c->buf, len);
	for (uint16_t i = 0; i < 4; i++)
		cap_write(c, c->buf, frames_echo(c->buf, &c->l2, &v4, 77, i, 56));
	for (uint16_t i = 0; i < 4; i++)
		cap_write(c, c->buf, frames_echo(c->buf, &c->l2, &v6, 78, i, 56));
	len = frames_ns(c->buf, &c->l2, peer6, our6);
	memcpy(c->buf, "\x33\x33\xff\x00\x00\x10", 6);
	for (int i = 0; i < 2; i++)
		cap_write(c, c->buf, len);
}

static void build_capture(const char *path, struct capture *c)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);

	assert_non_null(dead);
	c->out = pcap_dump_open(dead, path);
	assert_non_null(c->out);
	memcpy(c->l2.dst, our_mac, 6);
	memcpy(c->l2.src, peer_mac, 6);
	c->l2.vlan = -1;
	cap_events(c, 1000, 4, -1);
	cap_control(c);
	cap_events(c, 500, 6, -1);
	cap_foreign(c);
	cap_events(c, 200, 4, 100);
	cap_fragments(c, 50, 4, 1);
	cap_broken(c);
	cap_fragments(c, 50, 6, 0);
	cap_big_fragments(c);
	pcap_dump_close(c->out);
	pcap_close(dead);
}

struct answers {
	unsigned arp, echo, echo6, na, other;
};

/* Reads the answers sluice sent and checks each one's addresses. */
static void read_answers(const char *path, struct answers *a)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *f;

	if (!p)
		fail_msg("tx_pcap %s: %s", path, errbuf);
	while (pcap_next_ex(p, &h, &f) == 1) {
		assert_memory_equal(f + 6, our_mac, 6);
		assert_memory_equal(f, peer_mac, 6);
		if (f[12] == 0x08 && f[13] == 0x06 && f[21] == 2) {
			assert_memory_equal(f + 22, our_mac, 6);
			assert_memory_equal(f + 28, our4, 4);
			assert_memory_equal(f + 38, peer4, 4);
			a->arp++;
		} else if (f[12] == 0x08 && f[13] == 0x00 && f[23] == 1 && f[34] == 0) {
			assert_memory_equal(f + 26, our4, 4);
			assert_memory_equal(f + 30, peer4, 4);
			assert_int_equal(frames_cksum(f + 34, h->caplen - 34, 0), 0);
			a->echo++;
		} else if (f[12] == 0x86 && f[13] == 0xdd && f[54] == 129) {
			assert_memory_equal(f + 22, our6, 16);
			assert_memory_equal(f + 38, peer6, 16);
			a->echo6++;
		} else if (f[12] == 0x86 && f[13] == 0xdd && f[54] == 136) {
			assert_memory_equal(f + 62, our6, 16);   /* target */
			assert_memory_equal(f + 80, our_mac, 6); /* target link-layer option */
			assert_memory_equal(f + 38, peer6, 16);
			a->na++;
		} else {
			a->other++;
		}
	}
	pcap_close(p);
}

static void wait_for(const char *key, uint64_t want, int timeout_s)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	while (it_now_ms() < deadline) {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_json_u64(json, key) == want)
			return;
		usleep(100000);
	}
	fail_msg("%s never reached %" PRIu64 ": %s", key, want, json);
}

static void test_dpdk_pcap(void **state)
{
	static struct capture cap;
	char in[192], out[192], cmd[1024], status[4096];
	struct it_marks m = { .sources = SOURCES };
	struct answers a = { 0 };

	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	snprintf(in, sizeof(in), "%s/in.pcap", daemon_.dir);
	snprintf(out, sizeof(out), "%s/out.pcap", daemon_.dir);
	build_capture(in, &cap);
	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args),
		 "--no-pci --vdev 'net_pcap0,rx_pcap=%s,tx_pcap=%s'", in, out);
	snprintf(daemon_.listen, sizeof(daemon_.listen), "udp://192.0.2.10:%d", PORT);
	daemon_.port = PORT;
	assert_int_equal(it_daemon_start(&daemon_, "none", topic,
					 "--source dpdk --listen 'udp://[2001:db8::10]:7611' "
					 "--frag-timeout-ms 300"), 0);
	wait_for("events_durable", cap.events, 60);
	wait_for("fragment", 1 + 9, 30);  /* the lone one once its time is up; 9 of one */
	fprintf(stderr, "stats: %s", json);
	assert_true(it_json_u64(json, "packets_received") == cap.frames);
	assert_true(it_json_u64(json, "datagrams_received") == cap.events + 25);
	assert_true(it_json_u64(json, "frames_received") == cap.events + 25);
	assert_true(it_json_u64(json, "dlq_records") == 25);
	assert_true(it_accounted(json, cap.events + 25));
	assert_true(it_json_u64(json, "not_for_us") == 30 + 20 + 10 + 5 + 2);
	assert_true(it_json_u64(json, "bad_ip") == 15);
	assert_true(it_json_u64(json, "bad_udp") == 12);
	assert_true(it_json_u64(json, "truncated") == 8);
	assert_true(it_json_u64(json, "bad_l2") == 3 + 2);
	assert_true(it_json_u64(json, "fragments_received") == 300 + 1 + 8 + 9);
	assert_true(it_json_u64(json, "datagrams_reassembled") == 100 + 1);
	assert_true(it_json_u64(json, "arp") == 3);
	assert_true(it_json_u64(json, "echo") == 4);
	assert_true(it_json_u64(json, "echo6") == 4);
	assert_true(it_json_u64(json, "nd") == 2);
	assert_true(it_json_u64(json, "reply_tx") == 0);
	assert_true(it_json_u64(json, "rx_missed_packets") == 0);

	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "\"driver\":\"net_pcap\""));
	assert_non_null(strstr(status, "\"mac\":\"02:70:63:61:70:00\""));
	assert_non_null(strstr(status, "\"link_up\":true"));
	assert_non_null(strstr(status, "\"rss\":false"));
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);

	/* Every event once in the log, none other. */
	m.per_source = cap.next_event / SOURCES + 1;
	m.seen = calloc(m.sources * m.per_source, 1);
	assert_non_null(m.seen);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_mark(cmd, &m), 0);
	assert_true(m.lines == cap.events && m.dups == 0 && m.bad == 0);
	free(m.seen);

	read_answers(out, &a);
	fprintf(stderr, "answers: arp %u echo %u echo6 %u na %u other %u\n", a.arp, a.echo,
		a.echo6, a.na, a.other);
	assert_int_equal(a.arp, 3);
	assert_int_equal(a.echo, 4);
	assert_int_equal(a.echo6, 4);
	assert_int_equal(a.na, 2);
	assert_int_equal(a.other, 0);
}

/* Raw mode: each datagram one event; a sender's id is the same hash of its
 * address and port as the socket source gives, its seq counts its datagrams. */
static void test_dpdk_pcap_raw(void **state)
{
	static struct capture cap;
	char in[192], cmd[1024], line[4096];
	struct frames_ip ip = cap_ip(4);
	struct sockaddr_in peer = { .sin_family = AF_INET };
	uint64_t ids[2], per[2] = { 0, 0 }, lines = 0, base = 0, salt = 0;
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	FILE *p;

	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	snprintf(in, sizeof(in), "%s/raw.pcap", daemon_.dir);
	cap.out = pcap_dump_open(dead, in);
	assert_non_null(cap.out);
	memcpy(cap.l2.dst, our_mac, 6);
	memcpy(cap.l2.src, peer_mac, 6);
	cap.l2.vlan = -1;
	for (int i = 0; i < 100; i++) {
		int len = snprintf((char *)cap.dgram, 64, "{\"t\":%d}", i);

		cap_write(&cap, cap.buf, frames_udp(cap.buf, &cap.l2, &ip, (uint16_t)(5000 + i % 2),
						    PORT, cap.dgram, (uint32_t)len));
	}
	pcap_dump_close(cap.out);
	pcap_close(dead);
	memcpy(&peer.sin_addr, peer4, 4);
	for (int s = 0; s < 2; s++) {
		peer.sin_port = htons((uint16_t)(5000 + s));
		ids[s] = source_peer_hash((struct sockaddr_storage *)&peer);
	}
	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args),
		 "--no-pci --vdev 'net_pcap0,rx_pcap=%s'", in);
	snprintf(daemon_.listen, sizeof(daemon_.listen), "udp://192.0.2.10:%d", PORT);
	daemon_.port = PORT;
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, "--source dpdk --mode raw"), 0);
	wait_for("events_durable", 100, 60);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "'%s' log dump --data-dir '%s/data' --json",
		 it_path("SLUICECTL"), daemon_.dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	/* Source ids are the senders' hashes salted with the appliance id
	 * (one salt for both), seqs count from this run's base (epoch << 40). */
	while (fgets(line, sizeof(line), p)) {
		uint64_t src = it_json_u64(line, "source_id"), seq = it_json_u64(line, "seq");
		int s;

		if (!lines)
			base = seq;
		s = (src ^ ids[0]) == (salt ? salt : (salt = src ^ ids[0])) ? 0
		  : (src ^ ids[1]) == salt ? 1 : -1;
		assert_true(s >= 0);
		assert_true(seq == base + per[s]++);
		lines++;
	}
	assert_true(base != 0 && base % (1ull << 40) == 0);
	assert_int_equal(pclose(p), 0);
	assert_true(lines == 100 && per[0] == 50 && per[1] == 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dpdk_pcap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dpdk_pcap_raw, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
