/* 0001: the walking skeleton end to end against a real Kafka broker.
 * sluice-gen sends 1,000,000 events from 100 sources with 1 per mille broken
 * frames; kcat (not our code) must find every valid (source_id, seq) exactly
 * once in the topic with the key and headers of DESIGN.md, every broken frame
 * is one DLQ record in TOPIC.dlq, and the counter identity holds. Then a
 * graceful restart resumes from the checkpoint without re-sending. */
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

#define SOURCES 100u
#define EVENTS 1000000u
#define PER_SOURCE (EVENTS / SOURCES)

IT_FIXTURE("it0001")

/* Waits until the daemon is idle: every frame accounted for and Kafka has
 * acknowledged everything durable. */
static void wait_settled(uint64_t frames, int timeout_s)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	while (it_now_ms() < deadline) {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_accounted(json, frames) &&
		    it_json_u64(json, "events_replicated") >= it_json_u64(json, "events_durable") &&
		    it_json_u64(json, "dlq_replicated") >= it_json_u64(json, "dlq_records") &&
		    it_json_u64(json, "replication_lag_events") == 0)
			return;
		usleep(200000);
	}
	fail_msg("not settled within %d s: %s", timeout_s, json);
}

/* Every valid event exactly once in the topic, no broken one. */
static void check_topic(const uint8_t *broken, uint64_t valid)
{
	struct it_marks m = { .sources = SOURCES, .per_source = PER_SOURCE };
	uint64_t missing = 0, unexpected = 0;

	m.seen = calloc(EVENTS, 1);
	assert_non_null(m.seen);
	assert_int_equal(it_kcat_mark(bootstrap, topic, &m), 0);
	assert_true(m.bad == 0);
	assert_true(m.dups == 0);
	for (uint64_t i = 0; i < EVENTS; i++) {
		if (!broken[i] && !m.seen[i])
			missing++;
		if (broken[i] && m.seen[i])
			unexpected++;
	}
	fprintf(stderr, "kcat read %" PRIu64 " messages; missing %" PRIu64 ", broken-but-present %"
		PRIu64 "\n", m.lines, missing, unexpected);
	assert_true(missing == 0);
	assert_true(unexpected == 0);
	assert_true(m.lines == valid);
	free(m.seen);
}

static uint64_t count_lines(const char *cmd)
{
	char out[64];

	if (it_run(cmd, out, sizeof(out)) != 0)
		return UINT64_MAX;
	return strtoull(out, NULL, 10);
}

/* The topic's total message count from its partitions' end offsets. */
static uint64_t topic_end_offsets(void)
{
	char cmd[1024], out[1024], *p;
	uint64_t total = 0;

	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -Q -t '%s:0:-1' -t '%s:1:-1' -t '%s:2:-1'",
		 bootstrap, topic, topic, topic);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	for (p = strstr(out, "offset "); p; p = strstr(p + 1, "offset "))
		total += strtoull(p + 7, NULL, 10);
	return total;
}

static void test_end_to_end(void **state)
{
	char cmd[1024], out[4096], broken_path[256], line[256];
	uint8_t *broken = calloc(EVENTS, 1);
	uint64_t valid, nbroken, n = 0;
	FILE *f;

	(void)state;
	assert_non_null(broken);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	snprintf(broken_path, sizeof(broken_path), "%s/broken.txt", daemon_.dir);
	/* Paced (every event must reach Kafka, so the socket buffer must not
	 * overflow on a busy 2-CPU machine: that loss would be counted in
	 * rx_missed_packets, but this test wants each event-id). */
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --faults 1 "
		 "--batch 4 --payload 100 --rate 100000 --broken-list '%s'",
		 it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS, broken_path);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	fprintf(stderr, "sluice-gen:\n%s", out);
	valid = it_kv_u64(out, "valid_events");
	nbroken = it_kv_u64(out, "broken_frames");
	assert_true(valid + nbroken == EVENTS);
	assert_true(nbroken > 500 && nbroken < 1500);  /* 1 per mille of 10^6 */
	f = fopen(broken_path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t src, seq;

		assert_int_equal(sscanf(line, "%" SCNu64 " %" SCNu64, &src, &seq), 2);
		broken[seq * SOURCES + src] = 1;
		n++;
	}
	fclose(f);
	assert_true(n == nbroken);

	wait_settled(EVENTS, 300);
	fprintf(stderr, "stats: %s", json);
	assert_true(it_json_u64(json, "frames_received") == EVENTS);
	assert_true(it_json_u64(json, "rx_missed_packets") == 0);
	assert_true(it_json_u64(json, "events_durable") == valid);
	assert_true(it_json_u64(json, "dlq_records") == nbroken);
	assert_true(it_json_u64(json, "queue_full") == 0);
	assert_true(it_json_u64(json, "no_buffer") == 0);
	assert_true(it_json_u64(json, "disk") == 0);
	assert_true(it_json_u64(json, "events_replicated") == valid);
	/* Every event's latency was measured, to durable and to Kafka's ack. */
	assert_true(it_json_u64(json, "latency_durable_p99_us") > 0);
	assert_true(it_json_u64(json, "latency_durable_p99_us") <= 10000000);
	assert_true(it_json_u64(json, "latency_kafka_ack_p99_us") >=
		    it_json_u64(json, "latency_durable_p50_us"));
	check_topic(broken, valid);
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s.dlq' -o beginning -e -q -f '%%h\\n' "
		 "| grep -c dlq-reason=", bootstrap, topic);
	assert_true(count_lines(cmd) == nbroken);
	free(broken);

	/* Graceful stop, restart on the same log: nothing is sent again. */
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	usleep(1500000);
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "replication_lag_events") == 0);
	assert_true(it_json_u64(json, "events_replicated") == 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count 1000 --source-base 1000",
		 it_path("SLUICE_GEN"), daemon_.listen);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	wait_settled(1000, 60);
	assert_true(it_json_u64(json, "events_replicated") == 1000);
	assert_true(topic_end_offsets() == valid + 1000);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_end_to_end, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
