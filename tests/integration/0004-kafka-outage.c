/* 0004: Kafka goes away. While the broker is stopped, sluice keeps taking
 * events and makes them durable; the replication lag grows by exactly what
 * arrived. An operator stops sluiced meanwhile: the drain waits for Kafka
 * (the admin socket still answers, "draining"), a second SIGTERM ends the
 * wait, and the backlog stays in the log. After a restart, and once the
 * broker is back, replication catches up by itself and a consumer finds
 * every event. */
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

#define SOURCES 10u
#define BEFORE 10000u
#define DURING 100000u
#define PER_SOURCE ((BEFORE + DURING) / SOURCES)

static char bootstrap[256], topic[128];
static struct it_daemon daemon_;
static char json[8192];

static int setup(void **state)
{
	(void)state;
	return it_fixture_setup("it0004", bootstrap, sizeof(bootstrap), topic, sizeof(topic));
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "'%s' start >/dev/null 2>&1", it_path("KAFKA_LOCAL"));
	it_run(cmd, NULL, 0);  /* leave the broker up for the next test */
	return it_fixture_teardown(&daemon_);
}

static void send_events(uint64_t count, uint64_t seq_base_events)
{
	char cmd[1024], out[2048];

	/* --source-base keeps ids apart: the second burst is sources 10..19.
	 * Paced, as gateways are: an unpaced burst on a busy 2-CPU machine can
	 * overflow the socket buffer, and that is not what this test is about. */
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %" PRIu64
		 " --source-base %" PRIu64 " --batch 2 --rate 100000",
		 it_path("SLUICE_GEN"), daemon_.listen, SOURCES, count, seq_base_events);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
}

static void wait_for(uint64_t frames, int replicated, int timeout_s)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (!(it_accounted(json, frames) &&
		   (!replicated || it_json_u64(json, "replication_lag_events") == 0)) &&
		 it_now_ms() < deadline);
	assert_true(it_accounted(json, frames));
	if (replicated)
		assert_true(it_json_u64(json, "replication_lag_events") == 0);
}

static void test_outage(void **state)
{
	char cmd[512], out[2048];
	struct it_marks m = { .sources = 2 * SOURCES, .per_source = PER_SOURCE };

	(void)state;
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	send_events(BEFORE, 0);
	wait_for(BEFORE, 1, 60);

	snprintf(cmd, sizeof(cmd), "'%s' stop", it_path("KAFKA_LOCAL"));
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	send_events(DURING, SOURCES);
	wait_for(BEFORE + DURING, 0, 60);
	assert_true(it_json_u64(json, "events_durable") == BEFORE + DURING);
	assert_true(it_json_u64(json, "replication_lag_events") == DURING);
	assert_true(it_json_u64(json, "rx_missed_packets") == 0);

	kill(daemon_.pid, SIGTERM);
	usleep(500000);
	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' status --json", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"state\":\"draining\""));
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 20), 0);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "replication_lag_events") == DURING);

	snprintf(cmd, sizeof(cmd), "'%s' start", it_path("KAFKA_LOCAL"));
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	/* The restarted daemon received nothing: its lag is the old backlog. */
	uint64_t deadline = it_now_ms() + 180000;

	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (it_json_u64(json, "replication_lag_events") != 0 && it_now_ms() < deadline);
	assert_true(it_json_u64(json, "replication_lag_events") == 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);

	m.seen = calloc(m.sources * m.per_source, 1);
	assert_non_null(m.seen);
	assert_int_equal(it_kcat_mark(bootstrap, topic, &m), 0);
	uint64_t missing = 0;

	for (uint64_t src = 0; src < 2 * SOURCES; src++)
		for (uint64_t seq = 0; seq < (src < SOURCES ? BEFORE : DURING) / SOURCES; seq++)
			missing += !m.seen[seq * m.sources + src];
	fprintf(stderr, "after the outage Kafka has %" PRIu64 " messages, %" PRIu64
		" duplicates, %" PRIu64 " missing\n", m.lines, m.dups, missing);
	assert_true(m.bad == 0);
	assert_true(missing == 0);
	assert_true(m.lines == BEFORE + DURING + m.dups);
	free(m.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
