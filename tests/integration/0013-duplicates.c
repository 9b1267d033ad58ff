/* 0013: what a crash re-sends is bounded by the checkpoint settings. With
 * the defaults (--checkpoint-ms 50, --checkpoint-events 5000), sluiced is
 * killed with SIGKILL while sluice-gen sends at 150 k events/s and the
 * replicator keeps up; after a restart Kafka has every event of the log,
 * with at most 20,000 duplicates. */
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

#define SOURCES 50u
#define EVENTS 750000u       /* 5 s at 150 k/s */
#define DUPLICATES_MAX 20000u

IT_FIXTURE("it0013")

static void test_duplicates_bounded(void **state)
{
	char cmd[1024], out[4096];
	struct it_marks in_log = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	struct it_marks in_kafka = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	uint64_t replicated = 0, deadline, missing;
	FILE *gen;

	(void)state;
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate 150000",
		 it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS);
	gen = popen(cmd, "r");
	assert_non_null(gen);
	/* Kill in full flow: Kafka has taken a good part, more is coming. */
	deadline = it_now_ms() + 30000;
	while (replicated < EVENTS / 3 && it_now_ms() < deadline) {
		usleep(20000);
		if (it_stats(&daemon_, json, sizeof(json)) == 0)
			replicated = it_json_u64(json, "events_replicated");
	}
	assert_true(replicated >= EVENTS / 3 && replicated < EVENTS);
	assert_int_equal(it_daemon_stop(&daemon_, SIGKILL, 10), 128 + SIGKILL);
	while (fgets(out, sizeof(out), gen))
		;
	pclose(gen);

	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, NULL), 0);
	assert_int_equal(it_wait_replicated(&daemon_, 0, 120, json, sizeof(json)), 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_vs_kafka(cmd, bootstrap, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "0013: killed with %" PRIu64 " replicated; log %" PRIu64 ", Kafka %" PRIu64
		", duplicates %" PRIu64 " (bound %u), missing %" PRIu64 "\n", replicated,
		in_log.lines, in_kafka.lines, in_kafka.dups, DUPLICATES_MAX, missing);
	assert_true(missing == 0 && in_kafka.bad == 0 && in_log.dups == 0);
	assert_true(in_kafka.dups <= DUPLICATES_MAX);
	free(in_log.seen);
	free(in_kafka.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_duplicates_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
