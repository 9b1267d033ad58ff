/* 0028: the link to Kafka cut for 60 s. The broker runs inside a network
 * namespace this test creates, reached over a veth pair. Under a paced load
 * the namespace's end of the link is set down for 60 s: packets vanish, no
 * reset comes back, as with a cut cable or a dead switch, not a stopped
 * broker. While it is down nothing is acknowledged, sluiced keeps taking
 * events and making them durable, its status says Kafka is disconnected and
 * it does not burn a core waiting; once the link is up, replication resumes
 * by itself, Kafka ends with every event-id of the log, and the counters add
 * up. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define SOURCES 10u
#define RATE 3000u
#define SECS 70u            /* the load: before, during and after the cut */
#define EVENTS (RATE * SECS)
#define CUT_S 60u
#define NS "sluice-it28"
#define VETH "sl28h"        /* root side, 10.228.28.1 */
#define PEER "sl28n"        /* the broker's side, in NS */
#define BROKER_ADDR "10.228.28.2"
#define KHOME "/var/tmp/sluice-kafka-it28"
#define CLUSTER "SLUICE_KAFKA_HOME=" KHOME " SLUICE_KAFKA_PORT=26092 " \
		"SLUICE_KAFKA_LIB=/var/tmp/sluice-kafka/lib SLUICE_KAFKA_HOST=" BROKER_ADDR \
		" SLUICE_KAFKA_NETNS=" NS

static char boot[256], topic[128];
static struct it_daemon daemon_;
static char json[8192];

static void netns_down(void)
{
	it_sh("ip netns del %s 2>/dev/null; ip link del %s 2>/dev/null; true", NS, VETH);
}

static int netns_up(void)
{
	netns_down();
	return it_sh("ip netns add %s", NS) ||
	       it_sh("ip link add %s type veth peer name %s", VETH, PEER) ||
	       it_sh("ip link set %s netns %s", PEER, NS) ||
	       it_sh("ip addr add 10.228.28.1/30 dev %s && ip link set %s up", VETH, VETH) ||
	       it_sh("ip netns exec %s ip link set lo up", NS) ||
	       it_sh("ip netns exec %s ip addr add %s/30 dev %s", NS, BROKER_ADDR, PEER) ||
	       it_sh("ip netns exec %s ip link set %s up", NS, PEER) ||
	       it_sh("ping -c 1 -W 5 %s >/dev/null", BROKER_ADDR);
}

static int setup(void **state)
{
	char cmd[512], out[4096], *last;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: network namespaces need root\n");
		exit(IT_SKIP);
	}
	if (it_run("command -v ip && command -v ping", NULL, 0) != 0) {
		fprintf(stderr, "skipped: ip (iproute2) or ping (iputils-ping) is missing "
				"(platform/install-deps installs them)\n");
		exit(IT_SKIP);
	}
	it_kafka_tools_or_skip();
	if (netns_up() != 0)
		return -1;
	/* A new cluster each time: its address is this namespace's. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s && %s timeout 300 '%s' start", KHOME, CLUSTER,
		 it_path("KAFKA_LOCAL"));
	if (it_run(cmd, out, sizeof(out)) != 0) {
		fprintf(stderr, "kafka-local start in %s failed: %s\n", NS, out);
		return -1;
	}
	for (size_t n = strlen(out); n && out[n - 1] == '\n'; n--)
		out[n - 1] = '\0';
	last = strrchr(out, '\n');
	snprintf(boot, sizeof(boot), "%.200s", last ? last + 1 : out);
	snprintf(topic, sizeof(topic), "it0028-%d-%" PRIu64, (int)getpid(), it_now_ms());
	return 0;
}

static int teardown(void **state)
{
	int rc = it_fixture_teardown(&daemon_);

	(void)state;
	it_sh("%s '%s' stop; rm -rf %s", CLUSTER, it_path("KAFKA_LOCAL"), KHOME);
	netns_down();
	return rc;
}

static uint64_t stat_u64(const char *key)
{
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	return it_json_u64(json, key);
}

static void test_link_cut(void **state)
{
	struct it_marks in_log = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	struct it_marks in_kafka = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	char cmd[1024], status[8192];
	uint64_t ticks0, ticks1, sw, t0;
	double cpu;
	uint64_t cut_at, up_at, acked_at_cut, acked, durable_at_cut, durable, missing;
	pid_t gen;
	int st;

	(void)state;
	fprintf(stderr, "0028: broker %s inside namespace %s\n", boot, NS);
	assert_int_equal(it_daemon_start(&daemon_, boot, topic, NULL), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate %u --batch 1 "
		 ">/dev/null", it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS, RATE);
	gen = it_spawn(cmd);
	assert_true(gen > 0);
	/* Replication is flowing before the cut. */
	assert_int_equal(it_wait_stat(&daemon_, "events_replicated", RATE, 30, json, sizeof(json)), 0);

	assert_int_equal(it_sh("ip netns exec %s ip link set %s down", NS, PEER), 0);
	cut_at = it_now_ms();
	/* Acknowledgements already on the wire may still land; after 5 s
	 * nothing can. */
	sleep(5);
	acked_at_cut = stat_u64("events_replicated");
	durable_at_cut = it_json_u64(json, "events_durable");
	/* librdkafka's broker thread spun on a full in-flight window for as
	 * long as the connection stayed up (socket.timeout.ms): a whole core. */
	while (it_now_ms() < cut_at + 20000)
		usleep(200000);
	assert_int_equal(it_proc_usage(daemon_.pid, &ticks0, &sw), 0);
	t0 = it_now_ms();
	while (it_now_ms() < cut_at + (CUT_S - 2) * 1000)
		usleep(200000);
	assert_int_equal(it_proc_usage(daemon_.pid, &ticks1, &sw), 0);
	cpu = (double)(ticks1 - ticks0) / (double)sysconf(_SC_CLK_TCK) * 1000.0 /
	      (double)(it_now_ms() - t0);
	acked = stat_u64("events_replicated");
	durable = it_json_u64(json, "events_durable");
	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	fprintf(stderr, "0028: sluiced used %.0f %% of a core from 20 s into the cut\n", cpu * 100);
	assert_non_null(strstr(status, "\"kafka_connected\":false"));  /* the cut shows */
	assert_true(cpu < 0.6);  /* ingest alone, ASan build: ~0.33 */
	fprintf(stderr, "0028: link down %" PRIu64 " s: acknowledged %" PRIu64 " -> %" PRIu64
		", durable %" PRIu64 " -> %" PRIu64 ", lag %" PRIu64 "\n",
		(it_now_ms() - cut_at) / 1000, acked_at_cut, acked, durable_at_cut, durable,
		it_json_u64(json, "replication_lag_events"));
	assert_true(acked == acked_at_cut);                  /* nothing crossed the cut */
	assert_true(durable - durable_at_cut >= (CUT_S - 10) * RATE * 9 / 10);  /* ingest went on */
	assert_true(it_json_u64(json, "replication_lag_events") > 0);

	while (it_now_ms() < cut_at + CUT_S * 1000)
		usleep(100000);
	assert_int_equal(it_sh("ip netns exec %s ip link set %s up", NS, PEER), 0);
	up_at = it_now_ms();
	assert_true(waitpid(gen, &st, 0) == gen && WIFEXITED(st) && WEXITSTATUS(st) == 0);

	assert_int_equal(it_wait_replicated(&daemon_, EVENTS, 240, json, sizeof(json)), 0);
	fprintf(stderr, "0028: link up again; caught up %.1f s later: %" PRIu64 " durable, %" PRIu64
		" replicated, rx_missed_packets %" PRIu64 "\n", (it_now_ms() - up_at) / 1000.0,
		it_json_u64(json, "events_durable"), it_json_u64(json, "events_replicated"),
		it_json_u64(json, "rx_missed_packets"));
	assert_true(it_accounted(json, EVENTS));
	assert_true(it_json_u64(json, "events_durable") == EVENTS);  /* a paced load: all taken */
	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "\"kafka_connected\":true"));

	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_vs_kafka(cmd, boot, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "0028: the log holds %" PRIu64 " events; kcat read %" PRIu64 " (%" PRIu64
		" duplicates), %" PRIu64 " missing\n", in_log.lines, in_kafka.lines, in_kafka.dups,
		missing);
	assert_true(in_log.lines == EVENTS && in_log.dups == 0);
	assert_true(missing == 0 && in_kafka.bad == 0);
	free(in_log.seen);
	free(in_kafka.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_cut, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
