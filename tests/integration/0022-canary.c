/* 0022: the canary against a real broker. With a 1 s canary during a burst
 * of events, canaries arrive (durable, then Kafka's ack) with their
 * latencies in `sluicectl canary --json` and in /metrics (promtool clean);
 * they are in the topic with header canary=1 and stay out of the events'
 * counters, so the identity and events_replicated count the burst exactly.
 * With replication paused the canary waits, later ones are skipped and its
 * age grows; resumed, it arrives. With exactly-once delivery, canaries
 * arrive at commit and stay out of events_replicated just the same. With
 * the broker stopped the canary goes stale (sluicectl, sluice_canary_stale)
 * and /readyz fails; with the broker back both recover. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define EVENTS 50000u

IT_FIXTURE("it0022")

static char canary[2048];

static void read_canary(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' canary --json", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, canary, sizeof(canary)), 0);
}

/* A "key":seconds field of the canary JSON, in microseconds. */
static uint64_t canary_us(const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(canary, pat);
	assert_non_null(p);
	return (uint64_t)(strtod(p + strlen(pat), NULL) * 1e6 + 0.5);
}

/* Polls until at least n canaries have arrived; fails after timeout_s. */
static void wait_arrived(uint64_t n, int timeout_s)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	do {
		read_canary();
		if (it_json_u64(canary, "arrived") >= n)
			return;
		usleep(200000);
	} while (it_now_ms() < deadline);
	fail_msg("fewer than %" PRIu64 " canaries arrived in %d s: %s", n, timeout_s, canary);
}

static uint64_t count(const char *cmd)
{
	char out[64];

	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	return strtoull(out, NULL, 10);
}

static void test_canary(void **state)
{
	static char body[65536];
	char cmd[1024], extra[256], out[4096];
	int port = it_free_tcp_port();
	uint64_t sent, arrived, skipped, in_kafka, events_in_kafka;

	(void)state;
	snprintf(extra, sizeof(extra), "--canary-interval-s 1 --canary-schema 9 --metrics 127.0.0.1:%d",
		 port);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, extra), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count %u --rate 20000",
		 it_path("SLUICE_GEN"), daemon_.listen, EVENTS);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_int_equal(it_wait_replicated(&daemon_, EVENTS, 120, json, sizeof(json)), 0);
	wait_arrived(3, 30);
	fprintf(stderr, "0022: canary %s", canary);
	assert_true(it_json_u64(canary, "failed") == 0);
	assert_true(it_json_u64(canary, "schema_id") == 9);
	assert_non_null(strstr(canary, "\"result\":\"arrived\""));
	assert_true(canary_us("durable_seconds") > 0);
	assert_true(canary_us("kafka_seconds") >= canary_us("durable_seconds"));
	assert_true(canary_us("kafka_seconds") < 10000000);

	/* The burst is counted exactly: canaries are not events. */
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_accounted(json, EVENTS));
	assert_true(it_json_u64(json, "frames_received") == EVENTS);
	assert_true(it_json_u64(json, "events_durable") == EVENTS);
	assert_true(it_json_u64(json, "events_replicated") == EVENTS);

	/* Prometheus: the canary's metrics, promtool clean. */
	assert_int_equal(it_http_get(port, "/metrics", body, sizeof(body)), 200);
	assert_non_null(strstr(body, "\nsluice_canary_age_seconds "));
	assert_non_null(strstr(body, "\nsluice_canary_kafka_latency_seconds "));
	assert_non_null(strstr(body, "\nsluice_canary_interval_seconds 1\n"));
	assert_non_null(strstr(body, "\nsluice_canary_arrived_total "));
	assert_int_not_equal(it_promtool_check(port), -1);

	/* Paused: the canary on its way waits, the next are skipped, it ages. */
	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' replication pause", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	uint64_t deadline = it_now_ms() + 20000;
	do {
		usleep(200000);
		read_canary();
	} while ((it_json_u64(canary, "skipped") < 2 || canary_us("age_seconds") < 2000000) &&
		 it_now_ms() < deadline);
	arrived = it_json_u64(canary, "arrived");
	skipped = it_json_u64(canary, "skipped");
	assert_non_null(strstr(canary, "\"pending\":true"));
	assert_true(skipped >= 2);
	assert_true(canary_us("age_seconds") >= 2000000);
	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' replication resume", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	wait_arrived(arrived + 1, 30);

	/* In Kafka: each arrived canary once or more (at-least-once), never
	 * more than were sent, with their header; the events exactly. */
	read_canary();
	sent = it_json_u64(canary, "sent");
	arrived = it_json_u64(canary, "arrived");
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -o beginning -e -q -f '%%h\\n' "
		 "| grep -c 'canary=1'", bootstrap, topic);
	in_kafka = count(cmd);
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -o beginning -e -q -f '%%h\\n' "
		 "| grep -vc 'canary=1'", bootstrap, topic);
	events_in_kafka = count(cmd);
	fprintf(stderr, "0022: canaries sent %" PRIu64 ", arrived %" PRIu64 ", in Kafka %" PRIu64
		"; events in Kafka %" PRIu64 "\n", sent, arrived, in_kafka, events_in_kafka);
	assert_true(in_kafka >= arrived && in_kafka <= sent + 1);  /* + one sent while stopping */
	assert_true(events_in_kafka == EVENTS);

	/* Exactly-once: counted when their transaction commits. */
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic,
					 "--canary-interval-s 1 --delivery exactly-once"), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count 10000 --source-base 100",
		 it_path("SLUICE_GEN"), daemon_.listen);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_int_equal(it_wait_replicated(&daemon_, 10000, 120, json, sizeof(json)), 0);
	wait_arrived(2, 30);
	fprintf(stderr, "0022: exactly-once canary %s", canary);
	assert_true(canary_us("kafka_seconds") >= canary_us("durable_seconds"));
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "events_durable") == 10000);
	assert_true(it_json_u64(json, "events_replicated") == 10000);
	assert_true(it_json_u64(json, "transactions_committed") > 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

/* Polls until the canary's "stale" is want and /readyz answers code. */
static void wait_stale(int port, bool want, int code, int timeout_s)
{
	static char body[4096];
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;
	int got = 0;

	do {
		read_canary();
		got = it_http_get(port, "/readyz", body, sizeof(body));
		if ((strstr(canary, want ? "\"stale\":true" : "\"stale\":false") != NULL) &&
		    got == code)
			return;
		usleep(250000);
	} while (it_now_ms() < deadline);
	fail_msg("canary stale != %d or /readyz %d != %d after %d s: %s", want, got, code,
		 timeout_s, canary);
}

static void test_broker_stopped(void **state)
{
	static char body[65536];
	char extra[256], cmd[512];
	int port = it_free_tcp_port();

	(void)state;
	snprintf(extra, sizeof(extra), "--canary-interval-s 1 --canary-stale-s 3 "
		 "--ready-kafka-outage-s 2 --metrics 127.0.0.1:%d", port);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, extra), 0);
	wait_arrived(1, 30);
	wait_stale(port, false, 200, 30);
	snprintf(cmd, sizeof(cmd), "'%s' stop", it_path("KAFKA_LOCAL"));
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	wait_stale(port, true, 503, 60);
	assert_int_equal(it_http_get(port, "/metrics", body, sizeof(body)), 200);
	assert_non_null(strstr(body, "\nsluice_canary_stale 1\n"));
	fprintf(stderr, "0022: broker stopped: %s", canary);
	snprintf(cmd, sizeof(cmd), "'%s' start >/dev/null", it_path("KAFKA_LOCAL"));
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	wait_stale(port, false, 200, 120);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_canary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broker_stopped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
