/* 0012: a bad batch inside a sealed segment, met by the replicator. A log of
 * several 1 MiB segments is written without Kafka; a byte in the middle of
 * the third segment is flipped (bit rot: its index still matches its size).
 * Restarted with Kafka, sluiced's replicator meets the bad batch, moves the
 * segment aside as .log.quarantined, counts its offsets, says so in its log,
 * and replicates everything else: Kafka gets every event the log still
 * holds, `sluicectl segments` lists the quarantined file, and `log verify`
 * passes. */
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
#define EVENTS 60000u  /* ~8.4 MB of records: eight 1 MiB segments */

IT_FIXTURE("it0012")

static uint64_t segment_base(unsigned nth)
{
	char cmd[512], out[64];

	snprintf(cmd, sizeof(cmd), "ls '%s'/data/events/*.log | sed -n %up | xargs -n1 basename",
		 daemon_.dir, nth);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	return strtoull(out, NULL, 10);
}

static void test_quarantine(void **state)
{
	char cmd[1024], out[8192];
	struct it_marks in_log = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	struct it_marks in_kafka = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	const char *opts = "--segment-bytes 1048576 --zstd-level 0";
	uint64_t third, fourth, deadline, missing = 0;

	(void)state;
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, opts), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate 100000",
		 it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	deadline = it_now_ms() + 30000;
	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (it_json_u64(json, "events_durable") < EVENTS && it_now_ms() < deadline);
	assert_true(it_json_u64(json, "events_durable") == EVENTS);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);

	third = segment_base(3);
	fourth = segment_base(4);
	assert_true(third > 0 && fourth > third);
	snprintf(cmd, sizeof(cmd), "f='%s/data/events/%020" PRIu64 ".log' && "
		 "printf '\\377' | dd of=\"$f\" bs=1 seek=500000 conv=notrunc status=none",
		 daemon_.dir, third);
	assert_int_equal(it_run(cmd, NULL, 0), 0);

	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, opts), 0);
	deadline = it_now_ms() + 90000;
	do {
		usleep(200000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while ((it_json_u64(json, "segments_quarantined") < 1 ||
		  it_json_u64(json, "replication_lag_events") != 0) && it_now_ms() < deadline);
	fprintf(stderr, "after: %s\n", json);
	assert_true(it_json_u64(json, "segments_quarantined") == 1);
	assert_true(it_json_u64(json, "records_quarantined") == fourth - third);
	assert_true(it_json_u64(json, "replication_lag_events") == 0);
	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' segments", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	fprintf(stderr, "%s", out);
	assert_non_null(strstr(out, "QUARANTINED"));
	snprintf(cmd, sizeof(cmd), "grep -c 'has a bad batch inside: quarantined' '%s'",
		 daemon_.log);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_verify(cmd), 0);
	assert_int_equal(it_log_vs_kafka(cmd, bootstrap, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "quarantined offsets %" PRIu64 "..%" PRIu64 "; in the log %" PRIu64
		", in Kafka %" PRIu64 " (%" PRIu64 " duplicates), missing from Kafka %" PRIu64 "\n",
		third, fourth, in_log.lines, in_kafka.lines, in_kafka.dups, missing);
	assert_true(in_log.lines == EVENTS - (fourth - third) && in_log.dups == 0);
	assert_true(missing == 0 && in_kafka.bad == 0);
	free(in_log.seen);
	free(in_kafka.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
