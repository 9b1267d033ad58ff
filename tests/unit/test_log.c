/* The segment log: write, reopen, read back; segment rolls; torn and
 * corrupt tails cut at reopen; disk errors counted, not fatal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/log_reader.h"
#include "storage/log_segment.h"
#include "storage/log_writer.h"
#include "tests/common/logrecs.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return logrecs_dir_make(dir, sizeof(dir), "log");
}

static int teardown(void **state)
{
	(void)state;
	return logrecs_dir_remove(dir);
}

static void append(struct log_writer *lw, uint64_t first, uint32_t count)
{
	assert_int_equal(logrecs_append(lw, first, count), 0);
}

/* Reads from offset `from` to `to` and checks every record. */
static void read_back(uint64_t from, uint64_t to)
{
	assert_true(logrecs_read_back(dir, from, to) >= (int64_t)to);
}

/* After a closed writer: the log reads back whole up to n, and reopens
 * there with nothing to cut. */
static void check_reopens_at(uint64_t n)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;

	read_back(0, n);
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == n);
	assert_true(counter_get(&log_writer_stats(lw)->torn_bytes_cut) == 0);
	log_writer_close(lw);
}

static void test_write_reopen_read(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == 0);
	for (int round = 0; round < 50; round++) {
		uint32_t count = 1 + (uint32_t)round * 7;

		append(lw, n, count);
		n += count;
		if (round % 5 == 0)
			assert_int_equal(log_writer_poll(lw, false), 0);
	}
	/* Nothing is durable before its fdatasync: flush, then it is. */
	assert_int_equal(log_writer_flush(lw), 0);
	assert_true(log_writer_durable_offset(lw) == n);
	assert_true(counter_get(&log_writer_stats(lw)->records_durable) == n);
	log_writer_close(lw);

	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == n);
	assert_true(counter_get(&log_writer_stats(lw)->torn_bytes_cut) == 0);
	append(lw, n, 10);
	assert_int_equal(log_writer_flush(lw), 0);
	n += 10;
	log_writer_close(lw);
	read_back(0, n);
	read_back(n / 2 + 3, n);
	read_back(n - 1, n);
}

static void test_segment_roll(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	uint64_t n = 0, base;

	(void)state;
	cfg.segment_bytes_max = 64 * 1024;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	for (int round = 0; round < 40; round++) {
		append(lw, n, 50);
		n += 50;
		assert_int_equal(log_writer_flush(lw), 0);
	}
	assert_true(counter_get(&log_writer_stats(lw)->segments_rolled) >= 3);
	log_writer_close(lw);
	assert_int_equal(log_segment_find(dir, n, &base), 0);
	assert_true(base > 0);
	read_back(0, n);
	read_back(base, n);       /* starts at a segment's first record */
	read_back(base - 1, n);   /* crosses into it */
	/* Reopen picks the last segment and carries on numbering. */
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == n);
	log_writer_close(lw);
}

static void tail_path(char *path, size_t size)
{
	uint64_t base;

	assert_int_equal(log_segment_find(dir, UINT64_MAX, &base), 0);
	assert_int_equal(log_segment_path(path, size, dir, base), 0);
}

/* Writes 3 committed appends (3 batches), then damages the file with
 * `damage`, reopens and expects the first `survivors` records. */
static void torn_case(void (*damage)(const char *path, off_t size), uint64_t survivors)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	char path[LOG_PATH_MAX];
	struct stat st;

	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	for (int i = 0; i < 3; i++) {
		append(lw, (uint64_t)i * 100, 100);
		assert_int_equal(log_writer_flush(lw), 0);
	}
	log_writer_close(lw);
	tail_path(path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	damage(path, st.st_size);
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == survivors);
	assert_true(counter_get(&log_writer_stats(lw)->torn_bytes_cut) > 0);
	/* Writing goes on from the cut, with dense offsets. */
	append(lw, survivors, 5);
	assert_int_equal(log_writer_flush(lw), 0);
	log_writer_close(lw);
	read_back(0, survivors + 5);
}

static void damage_truncate(const char *path, off_t size)
{
	assert_int_equal(truncate(path, size - 17), 0);
}

static void damage_garbage(const char *path, off_t size)
{
	FILE *f = fopen(path, "a");

	(void)size;
	assert_non_null(f);
	fputs("half a batch that never got its fsync", f);
	fclose(f);
}

static void damage_flip(const char *path, off_t size)
{
	assert_int_equal(logrecs_flip_byte(path, (long)size - 100, 0x5a), 0);
}

static void test_torn_tail_truncated(void **state)
{
	(void)state;
	torn_case(damage_truncate, 200);
}

static void test_torn_tail_garbage(void **state)
{
	(void)state;
	torn_case(damage_garbage, 300);
}

static void test_corrupt_last_batch(void **state)
{
	(void)state;
	torn_case(damage_flip, 200);
}

/* A disk error on the 7 records after 10 durable ones: they are dropped and
 * counted, the next records take their offsets, and the log stays whole. */
static void check_error_counted(void (*inject)(struct log_writer *, unsigned, int), int err)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;

	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	append(lw, 0, 10);
	assert_int_equal(log_writer_flush(lw), 0);
	inject(lw, 1, err);
	append(lw, 10, 7);
	assert_int_equal(log_writer_flush(lw), err);
	assert_true(log_writer_durable_offset(lw) == 10);
	assert_true(counter_get(&log_writer_stats(lw)->records_lost_disk) == 7);
	assert_true(counter_get(&log_writer_stats(lw)->disk_errors) == 1);
	append(lw, 10, 4);
	assert_int_equal(log_writer_flush(lw), 0);
	assert_true(log_writer_durable_offset(lw) == 14);
	log_writer_close(lw);
	check_reopens_at(14);
}

static void test_disk_error_counted(void **state)
{
	(void)state;
	check_error_counted(log_writer_inject_write_error, -ENOSPC);
}

/* An fdatasync that fails: what it covered is not durable either. */
static void test_sync_error_counted(void **state)
{
	(void)state;
	check_error_counted(log_writer_inject_sync_error, -EIO);
}

/* Appends with no flush in between, so buffers queue up and segments roll
 * while nothing is durable yet; then the first sync fails. */
static void test_sync_error_across_rolls(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	uint64_t n = 0, lost, appended = 100;
	int rc;

	(void)state;
	cfg.segment_bytes_max = 64 * 1024;
	cfg.commit_bytes_max = 1u << 20;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	append(lw, 0, 100);
	assert_int_equal(log_writer_flush(lw), 0);
	log_writer_inject_sync_error(lw, 1, -EIO);
	for (int i = 0; i < 120; i++) {  /* ~4 MB: several buffers and rolls */
		/* Small segments seal buffers early, so an append may wait for
		 * the disk and meet the error; it returns it, counted. */
		(void)logrecs_append(lw, log_writer_next_offset(lw), 200);
		appended += 200;
	}
	rc = log_writer_flush(lw);
	assert_true(rc == 0 || rc == -EIO);
	assert_true(counter_get(&log_writer_stats(lw)->segments_rolled) >= 1);
	assert_true(counter_get(&log_writer_stats(lw)->disk_errors) == 1);
	lost = counter_get(&log_writer_stats(lw)->records_lost_disk);
	assert_true(lost > 0);
	assert_true(counter_get(&log_writer_stats(lw)->records_durable) + lost == appended);
	n = log_writer_durable_offset(lw);
	append(lw, n, 50);
	assert_int_equal(log_writer_flush(lw), 0);
	n += 50;
	log_writer_close(lw);
	check_reopens_at(n);
}

/* Many buffers queued, the second write fails: the first stays. */
static void test_write_error_midway(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	uint64_t n = 0;

	(void)state;
	cfg.commit_bytes_max = 1u << 20;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	log_writer_inject_write_error(lw, 2, -ENOSPC);
	for (int i = 0; i < 60; i++) {
		logrecs_append(lw, n, 200);
		n += 200;
	}
	log_writer_flush(lw);
	uint64_t durable = log_writer_durable_offset(lw);
	uint64_t lost = counter_get(&log_writer_stats(lw)->records_lost_disk);

	assert_true(durable > 0 && durable < n);
	assert_true(durable + lost == n);
	log_writer_close(lw);
	check_reopens_at(durable);
}

/* Without io_uring (a seccomp profile refusing it, qemu-user): plain
 * pwrite and fdatasync, the same records durable, rolls and a failed write
 * counted the same way, and the log reopens where it ended. */
static void test_plain_io(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	uint64_t n = 0, durable, lost;

	(void)state;
	cfg.io_mode = LOG_IO_PLAIN;
	cfg.segment_bytes_max = 64 * 1024;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_int_equal(log_writer_io_fallback(lw), -EPERM);
	for (int round = 0; round < 30; round++) {
		append(lw, n, 50);
		n += 50;
		assert_int_equal(log_writer_flush(lw), 0);
	}
	assert_true(log_writer_durable_offset(lw) == n);
	assert_true(counter_get(&log_writer_stats(lw)->segments_rolled) >= 2);
	log_writer_inject_write_error(lw, 1, -ENOSPC);
	append(lw, n, 50);
	n += 50;
	(void)log_writer_flush(lw);
	durable = log_writer_durable_offset(lw);
	lost = counter_get(&log_writer_stats(lw)->records_lost_disk);
	assert_true(lost == 50 && durable + lost == n);
	append(lw, durable, 20);
	assert_int_equal(log_writer_flush(lw), 0);
	log_writer_close(lw);
	check_reopens_at(durable + 20);
}

/* Appends the canary record (offset at) that logrecs would put there. */
static int append_canary(struct log_writer *lw, uint64_t at, uint64_t arrival_ns)
{
	static uint8_t buf[LOGRECS_BUF_BYTES];
	uint32_t bytes = logrecs_encode(buf, at, 1);

	return log_writer_append_canary(lw, buf, bytes, arrival_ns);
}

/* The canary is a record of the log like any other, but its own counters
 * follow it: durable once, never among records_durable or records_lost_disk;
 * a second one while it is pending is refused and counted lost, and one a
 * disk error takes is counted lost, not as the operator's record. */
static void test_canary_counted_apart(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	const struct log_writer_stats *st;
	struct log_writer *lw;

	(void)state;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	st = log_writer_stats(lw);
	append(lw, 0, 5);
	assert_int_equal(append_canary(lw, 5, 1), 0);
	assert_true(counter_get(&st->canary_offset) == 6);
	assert_int_equal(append_canary(lw, 6, 1), -EBUSY);  /* one at a time */
	assert_true(counter_get(&st->canaries_lost) == 1);
	append(lw, 6, 3);
	assert_int_equal(log_writer_flush(lw), 0);
	assert_true(log_writer_durable_offset(lw) == 9);
	assert_true(counter_get(&st->records_durable) == 8);
	assert_true(counter_get(&st->canaries_durable) == 1);
	assert_true(counter_get(&st->canary_durable_ns) > 0);  /* arrived at 1 ns */

	log_writer_inject_write_error(lw, 1, -ENOSPC);
	append(lw, 9, 2);
	assert_int_equal(append_canary(lw, 11, 1), 0);
	assert_int_equal(log_writer_flush(lw), -ENOSPC);
	assert_true(counter_get(&st->records_lost_disk) == 2);
	assert_true(counter_get(&st->canaries_lost) == 2);
	assert_true(counter_get(&st->canaries_durable) == 1);
	assert_int_equal(append_canary(lw, 9, 1), 0);  /* free again */
	assert_int_equal(log_writer_flush(lw), 0);
	assert_true(counter_get(&st->canaries_durable) == 2);
	assert_true(counter_get(&st->records_durable) == 8);
	log_writer_close(lw);
	check_reopens_at(10);
}

static void test_bad_config(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;

	(void)state;
	cfg.commit_bytes_max = 4096;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_reopen_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_roll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_last_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_error_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_error_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_error_across_rolls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error_midway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_canary_counted_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_io, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
