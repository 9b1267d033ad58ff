/* 0006: the DPDK source on net_af_packet, on hugepages, reached like a real
 * appliance. A veth pair links sluiced's port to a network namespace this
 * test creates; nothing there knows sluiced's MAC. From the namespace, ping
 * and ping -6 are answered (ARP and neighbour discovery resolve the address
 * first), then sluice-gen sends to the IPv4 and the IPv6 address: every
 * event becomes durable, and kcat finds each one once in the local Kafka.
 * Then a ring too small for a burst: its overflow is counted, not lost. */
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

#include <cmocka.h>

#include "itest.h"

#define V4_SOURCES 50u
#define V4_EVENTS 100000u
#define V6_SOURCES 50u
#define V6_EVENTS 50000u
#define SOURCES (V4_SOURCES + V6_SOURCES)
#define PER_SOURCE (V4_EVENTS / V4_SOURCES)
#define HUGEPAGES 128

IT_FIXTURE("it0006")

static char ns[32], veth[16], peer[16];

static void netns_down(void)
{
	it_sh("ip netns del %s 2>/dev/null; ip link del %s 2>/dev/null; true", ns, veth);
}

/* The namespace holds the gateway side (192.0.2.1, 2001:db8::1); the root
 * side of the veth has no address: it is sluiced's port. */
static int netns_up(void)
{
	snprintf(ns, sizeof(ns), "sluice-it6-%d", (int)getpid());
	snprintf(veth, sizeof(veth), "sl6a%d", (int)getpid() % 100000);
	snprintf(peer, sizeof(peer), "sl6b%d", (int)getpid() % 100000);
	netns_down();
	if (it_sh("ip netns add %s", ns) || it_sh("ip link add %s type veth peer name %s", veth, peer) ||
	    it_sh("ip link set %s netns %s", peer, ns) ||
	    it_sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", veth) ||
	    it_sh("ip link set %s up", veth) ||
	    it_sh("ip netns exec %s ip link set lo up", ns) ||
	    it_sh("ip netns exec %s ip link set %s up", ns, peer) ||
	    /* A veth hands on locally sent packets with their UDP checksum
	     * left to "hardware" (only the pseudo-header summed): have the
	     * kernel finish it, as a gateway's NIC would. */
	    it_sh("ip netns exec %s ethtool -K %s tx off >/dev/null", ns, peer) ||
	    it_sh("ip netns exec %s ip addr add 192.0.2.1/24 dev %s", ns, peer) ||
	    it_sh("ip netns exec %s ip -6 addr add 2001:db8::1/64 dev %s nodad", ns, peer))
		return -1;
	return 0;
}

static void wait_settled(uint64_t frames, int timeout_s)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	while (it_now_ms() < deadline) {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_accounted(json, frames) && it_json_u64(json, "replication_lag_events") == 0 &&
		    it_json_u64(json, "events_replicated") >= frames)
			return;
		usleep(200000);
	}
	/* Where the kernel side lost what sluice never saw. */
	it_sh("ip -s link show %s >&2; ip netns exec %s ip -s link show %s >&2; "
	   "cat /proc/net/softnet_stat >&2; exit 1", veth, ns, peer);
	fail_msg("not settled within %d s: %s", timeout_s, json);
}

static void send_events(const char *target, unsigned sources, unsigned count, unsigned base)
{
	char cmd[1024], out[4096];

	/* Paced, and kept on CPU 0, which sluiced's worker does not poll: a
	 * gateway is another machine, not a thread taking turns with it. */
	snprintf(cmd, sizeof(cmd), "ip netns exec %s taskset -c 0 '%s' --target '%s' --sources %u "
		 "--count %u --source-base %u --batch 4 --payload 100 --rate 100000", ns,
		 it_path("SLUICE_GEN"), target, sources, count, base);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	fprintf(stderr, "sluice-gen %s:\n%s", target, out);
	assert_true(it_kv_u64(out, "valid_events") == count);
}

/* A ring too small for a burst sent while sluiced is stopped: what the
 * kernel could not put in the ring is counted in rx_missed_packets (the PMD
 * does not report it; sluiced reads the sockets' PACKET_STATISTICS). */
static void ring_overflow_counted(void)
{
	char cmd[1024], out[4096];
	uint64_t got, missed;

	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args),
		 "--no-pci --vdev net_af_packet0,iface=%s,framecnt=64", veth);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic,
					 "--source dpdk --hugepages 128"), 0);
	assert_int_equal(it_sh("ip netns exec %s ping -c 1 -W 2 192.0.2.10", ns), 0);
	kill(daemon_.pid, SIGSTOP);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s '%s' --target udp://192.0.2.10:7611 "
		 "--sources 10 --count 2000 --batch 1", ns, it_path("SLUICE_GEN"));
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	kill(daemon_.pid, SIGCONT);
	for (uint64_t deadline = it_now_ms() + 20000; it_now_ms() < deadline; usleep(200000)) {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_json_u64(json, "datagrams_received") + it_json_u64(json, "rx_missed_packets") >=
		    2000 && it_accounted(json, it_json_u64(json, "datagrams_received")))
			break;
	}
	fprintf(stderr, "overflow: %s", json);
	got = it_json_u64(json, "datagrams_received");
	missed = it_json_u64(json, "rx_missed_packets");
	assert_true(missed > 0 && got < 2000);
	/* A stray kernel frame (an ARP probe) may be among the missed. */
	assert_true(got + missed >= 2000 && got + missed <= 2005);
	assert_true(it_json_u64(json, "events_durable") == got);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

/* --dpdk-power sleep: an idle queue sleeps (the worker no longer burns its
 * core) and still takes every event of a paced stream. */
static void power_sleep_mode(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t t0, used, c0, c1;

	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args),
		 "--no-pci --vdev net_af_packet0,iface=%s", veth);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic,
					 "--source dpdk --dpdk-power sleep"), 0);
	assert_int_equal(it_sh("ip netns exec %s ping -c 1 -W 2 192.0.2.10", ns), 0);
	sleep(1);
	assert_int_equal(it_proc_usage(daemon_.pid, &t0, &c0), 0);
	sleep(3);
	assert_int_equal(it_proc_usage(daemon_.pid, &used, &c1), 0);
	used -= t0;
	fprintf(stderr, "0006: idle with --dpdk-power sleep: %.1f %% of a core\n",
		100.0 * (double)used / (double)(hz * 3));
	assert_true(used * 100 < (uint64_t)hz * 3 * 30);  /* busy polling: ~100 % */
	send_events("udp://192.0.2.10:7611", 4, 2000, 0);
	for (uint64_t deadline = it_now_ms() + 20000; it_now_ms() < deadline; usleep(200000)) {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_accounted(json, 2000))
			break;
	}
	assert_true(it_json_u64(json, "events_durable") == 2000);
	assert_true(it_json_u64(json, "rx_idle_waits") > 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

static void test_af_packet(void **state)
{
	char cmd[1024], status[4096];
	struct it_marks m = { .sources = SOURCES, .per_source = PER_SOURCE };

	(void)state;
	assert_int_equal(netns_up(), 0);
	/* A ring of 2.6 s at the offered 25 k packets/s: the debug build's
	 * worker shares a loaded 2-CPU box with Kafka, and a sender that was
	 * held back catches up in a burst. Losses would be counted in
	 * rx_missed_packets (the second half checks that); this half checks
	 * that nothing is lost when the ring is big enough. */
	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args),
		 "--no-pci --vdev net_af_packet0,iface=%s,framecnt=65536", veth);
	snprintf(daemon_.listen, sizeof(daemon_.listen), "udp://192.0.2.10:7611");
	daemon_.port = 7611;
	snprintf(cmd, sizeof(cmd), "--source dpdk --listen 'udp://[2001:db8::10]:7611' "
		 "--hugepages %d", HUGEPAGES);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, cmd), 0);

	/* No static neighbour entry: ARP and ND find sluiced's MAC. */
	assert_int_equal(it_sh("ip netns exec %s ping -c 3 -i 0.2 -W 2 192.0.2.10", ns), 0);
	assert_int_equal(it_sh("ip netns exec %s ping -6 -c 3 -i 0.2 -W 2 2001:db8::10", ns), 0);
	assert_int_equal(it_sh("ip netns exec %s ip neigh show 192.0.2.10 | grep -q lladdr", ns), 0);
	assert_int_equal(it_sh("ip netns exec %s ip -6 neigh show 2001:db8::10 | grep -q lladdr", ns),
			 0);

	send_events("udp://192.0.2.10:7611", V4_SOURCES, V4_EVENTS, 0);
	send_events("udp://[2001:db8::10]:7611", V6_SOURCES, V6_EVENTS, V4_SOURCES);
	wait_settled(V4_EVENTS + V6_EVENTS, 120);
	fprintf(stderr, "stats: %s", json);
	assert_true(it_json_u64(json, "events_durable") == V4_EVENTS + V6_EVENTS);
	assert_true(it_json_u64(json, "dlq_records") == 0);
	assert_true(it_json_u64(json, "arp") >= 1);
	assert_true(it_json_u64(json, "nd") >= 1);
	assert_true(it_json_u64(json, "echo") == 3);
	assert_true(it_json_u64(json, "echo6") == 3);
	assert_true(it_json_u64(json, "reply_tx") == 0);

	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "\"driver\":\"net_af_packet\""));
	assert_non_null(strstr(status, "\"link_up\":true"));

	/* kcat, not our code, finds every event once. */
	m.seen = calloc((size_t)SOURCES * PER_SOURCE, 1);
	assert_non_null(m.seen);
	assert_int_equal(it_kcat_mark(bootstrap, topic, &m), 0);
	fprintf(stderr, "kcat: %" PRIu64 " messages, %" PRIu64 " duplicates, %" PRIu64 " bad\n",
		m.lines, m.dups, m.bad);
	assert_true(m.lines == V4_EVENTS + V6_EVENTS && m.dups == 0 && m.bad == 0);
	for (uint64_t src = 0; src < SOURCES; src++) {
		uint64_t per = src < V4_SOURCES ? V4_EVENTS / V4_SOURCES : V6_EVENTS / V6_SOURCES;

		for (uint64_t seq = 0; seq < per; seq++)
			if (!m.seen[seq * SOURCES + src])
				fail_msg("event %" PRIu64 "-%" PRIu64 " missing in Kafka", src, seq);
	}
	free(m.seen);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	ring_overflow_counted();
	power_sleep_mode();
}

static int teardown_all(void **state)
{
	int rc = teardown(state);

	netns_down();
	return rc;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_af_packet, setup, teardown_all),
	};

	if (geteuid() != 0 || system("ip netns list >/dev/null 2>&1") != 0 ||
	    system("command -v ping >/dev/null && command -v ethtool >/dev/null") != 0) {
		fprintf(stderr, "0006: skipped: needs root, 'ip netns', ping (iputils-ping) and "
				"ethtool\n");
		return IT_SKIP;
	}
	if (access("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", W_OK) != 0) {
		fprintf(stderr, "0006: skipped: this kernel has no 2 MiB hugepages to reserve\n");
		return IT_SKIP;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
