/* 0010: retention. Without Kafka, the events log is kept within
 * --retention-bytes by deleting its oldest segments, the newest events stay
 * and the log verifies. With Kafka and replication paused, nothing Kafka
 * has not taken is deleted, however far over the limit; once replication
 * resumes and the checkpoint moves, the old segments go, and kcat finds
 * every event in the topic. A flood of malformed frames keeps the
 * dead-letter log within its own limit. zstd is off here: these tests are
 * about bytes on disk, and sluice-gen's payloads shrink twentyfold. */
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

#include "control/admin.h"
#include "itest.h"

#define SOURCES 10u
#define EVENTS 60000u      /* ~10 MB of records: ten 1 MiB segments */
#define LIMIT 3145728u     /* 3 MiB */

IT_FIXTURE("it0010")

static void send(unsigned count, unsigned base)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --source-base %u "
		 "--payload 100 --rate 200000", it_path("SLUICE_GEN"), daemon_.listen, SOURCES,
		 count, base);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
}

static void wait_u64(const char *key, uint64_t at_least, int timeout_s)
{
	assert_int_equal(it_wait_stat(&daemon_, key, at_least, timeout_s, json, sizeof(json)), 0);
}

/* Bytes of a log's segment files. */
static uint64_t log_bytes_of(const char *log)
{
	char cmd[512], out[64];

	snprintf(cmd, sizeof(cmd), "cat '%s'/data/%s/*.log | wc -c", daemon_.dir, log);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	return strtoull(out, NULL, 10);
}

static uint64_t log_bytes(void)
{
	return log_bytes_of("events");
}

/* Polls until a log's segment files hold at most `bound` bytes (retention
 * passes come every 5 s); returns what they hold. */
static uint64_t wait_log_within(const char *log, uint64_t bound, int timeout_s)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000, now;

	while ((now = log_bytes_of(log)) > bound && it_now_ms() < deadline)
		usleep(200000);
	return now;
}

/* Polls the daemon log until it holds a line with `text`. */
static void wait_log_line(const char *text, int timeout_s)
{
	char cmd[512];
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	snprintf(cmd, sizeof(cmd), "grep -q '%s' '%s'", text, daemon_.log);
	while (it_run(cmd, NULL, 0) != 0) {
		if (it_now_ms() >= deadline)
			fail_msg("no line '%s' in %s after %d s", text, daemon_.log, timeout_s);
		usleep(200000);
	}
}

static void verify(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_verify(cmd), 0);
}

static void test_size_limit_without_kafka(void **state)
{
	char opts[256];

	(void)state;
	snprintf(opts, sizeof(opts), "--segment-bytes 1048576 --zstd-level 0 --retention-bytes %u",
		 LIMIT);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, opts), 0);
	send(EVENTS, 0);
	wait_u64("events_durable", EVENTS, 60);
	wait_u64("retention_segments_deleted", 5, 30);
	assert_true(wait_log_within("events", LIMIT + 1048576 + 65536, 30) <=
		    LIMIT + 1048576 + 65536);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	verify();
}

/* Every frame malformed, 1 KB each: 40 MB of dead letters offered, the DLQ
 * log ends within --dlq-retention-bytes while events keep their own. */
static void test_dlq_cap_under_flood(void **state)
{
	char cmd[1024], out[4096];
	uint64_t now;

	(void)state;
	memset(&daemon_, 0, sizeof(daemon_));  /* a new folder, port and socket */
	/* The flood must reach the DLQ log here: the door's rate limits are
	 * 0026's subject, not this test's. */
	snprintf(cmd, sizeof(cmd), "--segment-bytes 1048576 --zstd-level 0 "
		 "--dlq-retention-bytes %u --dlq-rate-per-source 0 --dlq-bytes-per-s 0", LIMIT);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, cmd), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count 40000 --faults 1000 "
		 "--payload 1000 --rate 20000", it_path("SLUICE_GEN"), daemon_.listen, SOURCES);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	wait_u64("dlq_records", 40000, 60);
	wait_u64("retention_segments_deleted", 20, 30);
	now = wait_log_within("dlq", LIMIT + 1048576 + 65536, 30);
	fprintf(stderr, "dlq log: %" PRIu64 " bytes after a 40 MB flood, limit %u\n", now, LIMIT);
	assert_true(now <= LIMIT + 1048576 + 65536);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	verify();
}

static void test_unreplicated_kept(void **state)
{
	char opts[256];
	struct it_marks m = { .sources = SOURCES, .per_source = EVENTS / SOURCES };

	(void)state;
	memset(&daemon_, 0, sizeof(daemon_));  /* a new folder, port and socket */
	snprintf(opts, sizeof(opts), "--segment-bytes 1048576 --zstd-level 0 --retention-bytes %u",
		 LIMIT);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, opts), 0);
	assert_int_equal(admin_request(daemon_.sock, "replication pause", NULL, 2000), 0);
	send(EVENTS, 0);
	wait_u64("events_durable", EVENTS, 60);
	/* A retention pass found the log over its limit and kept it for Kafka. */
	wait_log_line("over its limit, but Kafka has not taken offsets", 30);
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "retention_segments_deleted") == 0);
	assert_true(log_bytes() > 2 * LIMIT);
	assert_int_equal(admin_request(daemon_.sock, "replication resume", NULL, 2000), 0);
	wait_u64("events_replicated", EVENTS, 120);
	wait_u64("retention_segments_deleted", 5, 30);
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "retention_unreplicated_deleted") == 0);
	m.seen = calloc(EVENTS, 1);
	assert_non_null(m.seen);
	assert_int_equal(it_kcat_mark(bootstrap, topic, &m), 0);
	assert_true(m.lines == EVENTS && m.dups == 0 && m.bad == 0);
	free(m.seen);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	verify();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_size_limit_without_kafka, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlq_cap_under_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreplicated_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
