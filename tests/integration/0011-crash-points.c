/* 0011: sluiced killed with SIGKILL at 100 random points under load. Each
 * round starts the daemon on the same data folder (small segments, so kills
 * land in rolls and index writes too), waits until events are durable,
 * sleeps a random time while sluice-gen sends, reads the durable offset
 * and kills. After each restart the log recovered at least to that offset
 * and `log verify` passes; at the end every record is there once, intact,
 * and the log verifies offline. The seed is printed for a rerun. */
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

#define ROUNDS 100u
#define SOURCES 20u
#define PER_ROUND 60000u        /* events sluice-gen offers each round */
#define RUN_LIMIT_MS 420000u    /* the whole test, bounded */

IT_FIXTURE("it0011")

/* The events log's durable offset, from `sluicectl lag --json`. */
static uint64_t durable_offset(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' lag --json", it_path("SLUICECTL"),
		 daemon_.sock);
	if (it_run(cmd, json, sizeof(json)) != 0)
		return UINT64_MAX;
	return it_json_u64(json, "durable_offset");
}

static void verify_live(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	if (it_log_verify(cmd) != 0)
		fail_msg("log verify failed after a restart");
}

static void test_crash_points(void **state)
{
	char cmd[1024], out[4096];
	struct it_marks in_log = { .sources = SOURCES };
	uint64_t seed = it_now_ms(), start = it_now_ms(), deadline;
	uint64_t reported = 0, recovered, kills = 0, sent = 0;
	const char *opts = "--segment-bytes 1048576 --retention-bytes 0 --retention-hours 0";
	FILE *gen;

	(void)state;
	srandom((unsigned)seed);
	fprintf(stderr, "0011: seed %" PRIu64 "\n", seed);
	for (unsigned round = 0; round < ROUNDS; round++) {
		assert_true(it_now_ms() - start < RUN_LIMIT_MS);
		assert_int_equal(it_daemon_start(&daemon_, "none", topic, opts), 0);
		recovered = durable_offset();
		if (recovered == UINT64_MAX || recovered < reported)
			fail_msg("round %u: recovered to %" PRIu64 ", %" PRIu64 " was durable",
				 round, recovered, reported);
		verify_live();
		/* Sequence numbers go on from round to round: event ids stay unique. */
		snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate 150000 "
			 "--seq-base %" PRIu64, it_path("SLUICE_GEN"), daemon_.listen, SOURCES,
			 PER_ROUND, sent / SOURCES);
		sent += PER_ROUND;
		gen = popen(cmd, "r");
		assert_non_null(gen);
		deadline = it_now_ms() + 10000;
		while (durable_offset() <= recovered && it_now_ms() < deadline)
			usleep(5000);
		usleep((useconds_t)(random() % 300000));
		reported = durable_offset();
		assert_true(reported != UINT64_MAX);
		assert_int_equal(it_daemon_stop(&daemon_, SIGKILL, 10), 128 + SIGKILL);
		kills++;
		while (fgets(out, sizeof(out), gen))
			;
		pclose(gen);
	}
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, opts), 0);
	recovered = durable_offset();
	assert_true(recovered >= reported);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_verify(cmd), 0);

	in_log.per_source = sent / SOURCES;
	in_log.seen = calloc(sent, 1);
	assert_non_null(in_log.seen);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_mark(cmd, &in_log), 0);
	fprintf(stderr, "0011: %" PRIu64 " kills in %" PRIu64 " s; %" PRIu64 " events offered, "
		"%" PRIu64 " in the log (the rest was in flight at a kill), %" PRIu64
		" duplicates, %" PRIu64 " malformed\n", kills, (it_now_ms() - start) / 1000, sent,
		in_log.lines, in_log.dups, in_log.bad);
	assert_true(kills == ROUNDS);
	assert_true(in_log.bad == 0 && in_log.dups == 0);
	assert_true(in_log.lines == recovered);  /* dense offsets, every one intact */
	free(in_log.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crash_points, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
