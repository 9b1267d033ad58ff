/* 0002: a crash in the middle of a burst. sluiced is killed with SIGKILL
 * while sluice-gen is still sending; the tail segment then gets a torn,
 * half-written batch, as a power cut can leave. On restart the torn tail is
 * cut, nothing that was reported durable is missing, and replication resumes
 * from the checkpoint until Kafka has every record in the log (duplicates
 * allowed around the crash: at-least-once). */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define SOURCES 50u
#define EVENTS 400000u
#define PER_SOURCE (EVENTS / SOURCES)

IT_FIXTURE("it0002")

/* Appends half a batch to the newest events segment. */
static void tear_tail(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "f=$(ls '%s'/data/events/*.log | tail -n 1) && "
		 "printf 'SLBT\\001\\002\\000\\000torn by a power cut' >> \"$f\"", daemon_.dir);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

static void test_crash_recovery(void **state)
{
	char cmd[1024], out[4096];
	struct it_marks in_kafka = { .sources = SOURCES, .per_source = PER_SOURCE };
	struct it_marks in_log = { .sources = SOURCES, .per_source = PER_SOURCE };
	uint64_t durable_seen = 0, deadline, missing = 0;
	FILE *gen;

	(void)state;
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate 100000",
		 it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS);
	gen = popen(cmd, "r");
	assert_non_null(gen);
	/* Kill once a good part is durable and the sender is still going (4 s at
	 * 100 k/s: the control plane runs niced and answers slower under load). */
	deadline = it_now_ms() + 30000;
	while (durable_seen < EVENTS / 4 && it_now_ms() < deadline) {
		usleep(20000);
		if (it_stats(&daemon_, json, sizeof(json)) == 0)
			durable_seen = it_json_u64(json, "events_durable");
	}
	assert_true(durable_seen >= EVENTS / 4 && durable_seen < EVENTS);
	assert_int_equal(it_daemon_stop(&daemon_, SIGKILL, 10), 128 + SIGKILL);
	while (fgets(out, sizeof(out), gen))
		;
	pclose(gen);
	tear_tail();
	snprintf(cmd, sizeof(cmd), "'%s' log verify --data-dir '%s/data'",
		 it_path("SLUICECTL"), daemon_.dir);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 1);  /* damage seen offline */
	assert_non_null(strstr(out, "DAMAGED"));

	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	snprintf(cmd, sizeof(cmd), "grep -c 'torn tail cut' '%s'", daemon_.log);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	deadline = it_now_ms() + 120000;
	do {
		usleep(200000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (it_json_u64(json, "replication_lag_events") != 0 && it_now_ms() < deadline);
	assert_true(it_json_u64(json, "replication_lag_events") == 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_verify(cmd), 0);
	assert_int_equal(it_log_vs_kafka(cmd, bootstrap, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "durable before the kill: %" PRIu64 "; in the log after restart: %" PRIu64
		"; in Kafka: %" PRIu64 " (%" PRIu64 " duplicates); missing from Kafka: %" PRIu64 "\n",
		durable_seen, in_log.lines, in_kafka.lines, in_kafka.dups, missing);
	assert_true(in_log.bad == 0 && in_log.dups == 0);
	assert_true(in_log.lines >= durable_seen);   /* nothing durable was lost */
	assert_true(in_kafka.bad == 0);
	assert_true(missing == 0);                    /* every logged event reached Kafka */
	assert_true(in_kafka.lines == in_log.lines + in_kafka.dups);
	free(in_log.seen);
	free(in_kafka.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
