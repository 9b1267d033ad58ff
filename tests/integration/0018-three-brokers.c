/* 0018: a three-broker cluster (replication factor 3, min.insync.replicas
 * 2, from kafka-local --brokers 3, beside the suite's one-broker cluster).
 * During a paced burst one broker is stopped and started again, then the
 * broker hosting the active controller is killed with SIGKILL and started
 * again. Replication waits and resumes: Kafka ends with every event of
 * the log (kcat counts each event-id), none lost. */
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

#define SOURCES 20u
#define RATE 1000u
/* The load runs until the brokers are all back (stopping and starting a
 * broker takes tens of seconds), then is stopped: at most 200 s of it. */
#define EVENTS (RATE * 200u)
#define CLUSTER "SLUICE_KAFKA_HOME=/var/tmp/sluice-kafka3 SLUICE_KAFKA_PORT=29092 " \
		"SLUICE_KAFKA_LIB=/var/tmp/sluice-kafka/lib"

IT_FIXTURE("it0018")

static char boot3[256];

static void cluster(const char *args, char *out, size_t size)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s timeout 300 '%s' %s", CLUSTER, it_path("KAFKA_LOCAL"), args);
	if (it_run(cmd, out, size) != 0)
		fail_msg("kafka-local %s failed: %s", args, out ? out : "");
}

/* Polls until `key` has grown by `more` from its value now (the load goes
 * on meanwhile); 30 s at most. */
static void wait_grows(const char *key, uint64_t more)
{
	uint64_t from, deadline = it_now_ms() + 30000;

	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	from = it_json_u64(json, key);
	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (it_json_u64(json, key) < from + more && it_now_ms() < deadline);
	if (it_json_u64(json, key) < from + more)
		fail_msg("%s grew from %" PRIu64 " to %" PRIu64 " in 30 s, not by %" PRIu64, key,
			 from, it_json_u64(json, key), more);
}

static void test_three_brokers(void **state)
{
	char cmd[1024], out[4096], data[256];
	struct it_marks in_log = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	struct it_marks in_kafka = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	uint64_t deadline, missing, t0 = it_now_ms();
	unsigned leader;
	pid_t gen;
	int st;

	(void)state;
	cluster("start --brokers 3", out, sizeof(out));
	/* The bootstrap list is the last line. */
	char *last = strrchr(out, '\n');

	while (last && last > out && !last[1]) {
		*last = '\0';
		last = strrchr(out, '\n');
	}
	snprintf(boot3, sizeof(boot3), "%.200s", last ? last + 1 : out);
	fprintf(stderr, "0018: cluster %s\n", boot3);
	assert_int_equal(it_daemon_start(&daemon_, boot3, topic, NULL), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate %u "
		 ">/dev/null", it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS, RATE);
	gen = it_spawn(cmd);
	assert_true(gen > 0);
	wait_grows("events_replicated", 1000);     /* flowing into the cluster */
	fprintf(stderr, "0018: %" PRIu64 " ms: replicating; stopping broker 2\n", it_now_ms() - t0);
	cluster("stop --broker 2", NULL, 0);
	fprintf(stderr, "0018: %" PRIu64 " ms: broker 2 stopped\n", it_now_ms() - t0);
	wait_grows("events_durable", 2 * RATE);    /* 2 s of load with a broker away */
	cluster("start", NULL, 0);
	fprintf(stderr, "0018: %" PRIu64 " ms: broker 2 back\n", it_now_ms() - t0);
	cluster("controller", out, sizeof(out));
	leader = (unsigned)strtoul(out, NULL, 10);
	assert_true(leader >= 1 && leader <= 3);
	fprintf(stderr, "0018: killing broker %u, the active controller\n", leader);
	snprintf(cmd, sizeof(cmd), "kill -9 $(cat /var/tmp/sluice-kafka3/broker-%u/pid)", leader);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	wait_grows("events_durable", 2 * RATE);    /* and without the controller */
	cluster("start", NULL, 0);
	fprintf(stderr, "0018: %" PRIu64 " ms: broker %u back\n", it_now_ms() - t0, leader);
	wait_grows("events_replicated", 2 * RATE); /* all three brokers back */
	fprintf(stderr, "0018: %" PRIu64 " ms: replicating again; load stopped\n", it_now_ms() - t0);
	assert_int_equal(kill(gen, SIGTERM), 0);
	assert_true(waitpid(gen, &st, 0) == gen);
	deadline = it_now_ms() + 240000;
	do {
		usleep(500000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while ((it_json_u64(json, "replication_lag_events") != 0 ||
		  it_json_u64(json, "frames_received") == 0) && it_now_ms() < deadline);
	fprintf(stderr, "0018: %" PRIu64 " ms: caught up: %s\n", it_now_ms() - t0, json);
	assert_true(it_json_u64(json, "replication_lag_events") == 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(data, sizeof(data), "%s/data", daemon_.dir);
	assert_int_equal(it_log_vs_kafka(data, boot3, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "0018: log %" PRIu64 ", Kafka %" PRIu64 " (%" PRIu64 " duplicates), "
		"missing %" PRIu64 "\n", in_log.lines, in_kafka.lines, in_kafka.dups, missing);
	assert_true(in_log.lines > 0 && missing == 0 && in_kafka.bad == 0);
	free(in_log.seen);
	free(in_kafka.seen);
}

static int teardown_cluster(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s '%s' stop", CLUSTER, it_path("KAFKA_LOCAL"));
	it_run(cmd, NULL, 0);  /* the rest of the suite wants the CPU back */
	return teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_brokers, setup, teardown_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
