/* I/O faults at every call index: one whole workload per N, failing the
 * N-th write (EIO, ENOSPC), the N-th fdatasync round (EIO), or cutting the
 * N-th write short, or refusing the N-th new segment (ENOSPC), for every N
 * up to the count a clean run makes. After
 * each: the durable offset never went back, every record reported durable
 * reads back intact after a reopen, and appended = durable + lost. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/log_writer.h"
#include "tests/common/logrecs.h"

enum fault { FAULT_WRITE_EIO, FAULT_WRITE_ENOSPC, FAULT_SYNC_EIO, FAULT_SHORT, FAULT_ROLL,
	     FAULTS };

static const char *const fault_names[FAULTS] = { "write EIO", "write ENOSPC",
						 "fdatasync EIO", "short write",
						 "segment roll ENOSPC" };
static char root[64];

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/sluice-test-faults-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

struct run {
	uint64_t appended, durable_max, writes, syncs, rolls;
};

/* The workload: 40 appends of 700 records with polls between, segments of
 * about 1.5 MiB so that rolls happen; nth = 0 injects nothing. */
static void run_once(enum fault f, unsigned nth, int zstd, struct run *out)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	const struct log_writer_stats *st;
	struct log_writer *lw;
	char dir[128], cmd[160];
	uint64_t durable;

	snprintf(dir, sizeof(dir), "%s/log", root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	cfg.segment_bytes_max = 3u << 19;
	cfg.commit_bytes_max = 1u << 20;
	cfg.batch_body_bytes = 64u << 10;
	cfg.zstd_level = zstd;
	memset(out, 0, sizeof(*out));
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	if (nth && f == FAULT_WRITE_EIO)
		log_writer_inject_write_error(lw, nth, -EIO);
	else if (nth && f == FAULT_WRITE_ENOSPC)
		log_writer_inject_write_error(lw, nth, -ENOSPC);
	else if (nth && f == FAULT_SYNC_EIO)
		log_writer_inject_sync_error(lw, nth, -EIO);
	else if (nth && f == FAULT_ROLL)
		log_writer_inject_roll_error(lw, nth, -ENOSPC);
	else if (nth)
		log_writer_inject_short_write(lw, nth);
	for (int i = 0; i < 40; i++) {
		/* Errors are counted by the writer; what matters is below. */
		(void)logrecs_append(lw, log_writer_next_offset(lw), 700);
		out->appended += 700;
		(void)log_writer_poll(lw, i % 3 == 0);
		durable = log_writer_durable_offset(lw);
		assert_true(durable >= out->durable_max);
		out->durable_max = durable;
	}
	(void)log_writer_flush(lw);
	durable = log_writer_durable_offset(lw);
	assert_true(durable >= out->durable_max);
	out->durable_max = durable;
	st = log_writer_stats(lw);
	out->writes = counter_get(&st->writes);
	out->syncs = counter_get(&st->commits);
	out->rolls = counter_get(&st->segments_rolled);
	if (counter_get(&st->records_durable) + counter_get(&st->records_lost_disk) !=
	    out->appended)
		fail_msg("%s at %u: durable %llu + lost %llu != appended %llu", fault_names[f], nth,
			 (unsigned long long)counter_get(&st->records_durable),
			 (unsigned long long)counter_get(&st->records_lost_disk),
			 (unsigned long long)out->appended);
	assert_true(durable == log_writer_next_offset(lw));
	log_writer_close(lw);
	/* Reopen: nothing reported durable is missing or changed. */
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	if (log_writer_durable_offset(lw) < out->durable_max)
		fail_msg("%s at %u: reopened at %llu, %llu was durable", fault_names[f], nth,
			 (unsigned long long)log_writer_durable_offset(lw),
			 (unsigned long long)out->durable_max);
	log_writer_close(lw);
	if (logrecs_read_back(dir, 0, out->durable_max) < (int64_t)out->durable_max)
		fail_msg("%s at %u: a durable record did not read back", fault_names[f], nth);
}

static void check_every_index(enum fault f, int zstd)
{
	struct run clean, r;
	unsigned calls, failed_runs = 0;

	run_once(f, 0, zstd, &clean);
	assert_true(clean.durable_max == clean.appended);
	calls = f == FAULT_SYNC_EIO ? (unsigned)clean.syncs
	      : f == FAULT_ROLL	    ? (unsigned)clean.rolls
				    : (unsigned)clean.writes;
	assert_true(calls >= (f == FAULT_ROLL ? 2u : 5u));
	for (unsigned n = 1; n <= calls + 1; n++) {
		run_once(f, n, zstd, &r);
		failed_runs += r.durable_max < r.appended;
	}
	/* The faults did hit: most runs lost something (a short write loses
	 * nothing, it only continues). */
	if (f == FAULT_SHORT)
		assert_int_equal(failed_runs, 0);
	else
		assert_true(failed_runs >= calls / 2 && failed_runs > 0);
	print_message("%s, zstd %d: %u call indexes, %u runs lost records (counted)\n",
		      fault_names[f], zstd, calls, failed_runs);
}

static void test_write_eio(void **state)
{
	(void)state;
	check_every_index(FAULT_WRITE_EIO, 0);
}

static void test_write_enospc(void **state)
{
	(void)state;
	check_every_index(FAULT_WRITE_ENOSPC, 1);
}

static void test_sync_eio(void **state)
{
	(void)state;
	check_every_index(FAULT_SYNC_EIO, 0);
	check_every_index(FAULT_SYNC_EIO, 1);
}

static void test_roll_refused(void **state)
{
	(void)state;
	check_every_index(FAULT_ROLL, 0);
}

static void test_short_write(void **state)
{
	(void)state;
	check_every_index(FAULT_SHORT, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roll_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
