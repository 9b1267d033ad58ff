/* Segment indexes, seeks by offset and event time, index repair,
 * quarantine of a damaged sealed segment, and recovery that reads only the
 * tail (and the segment before it when that one has no index). */
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

#include "storage/log_index.h"
#include "storage/log_reader.h"
#include "storage/log_repair.h"
#include "storage/log_segment.h"
#include "storage/log_writer.h"
#include "tests/common/logrecs.h"

#define RECORDS 60000u

static char dir[256];
static uint64_t bases[256];
static unsigned nbases;

static int setup(void **state)
{
	(void)state;
	return logrecs_dir_make(dir, sizeof(dir), "index");
}

static int teardown(void **state)
{
	(void)state;
	return logrecs_dir_remove(dir);
}

/* RECORDS records (event time = offset * 1000) in 1 MiB segments, plain so
 * that segments hold many batches. */
static void write_log(void)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	uint64_t base;

	cfg.segment_bytes_max = 1u << 20;
	cfg.batch_body_bytes = 16u << 10;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	for (uint64_t n = 0; n < RECORDS; n += 500) {
		assert_int_equal(logrecs_append(lw, n, 500), 0);
		if (n % 5000 == 0)
			assert_int_equal(log_writer_poll(lw, false), 0);
	}
	assert_int_equal(log_writer_flush(lw), 0);
	log_writer_close(lw);
	nbases = 0;
	for (int rc = log_segment_first(dir, &base); rc == 0 && nbases < 256;
	     rc = log_segment_next(dir, base, &base))
		bases[nbases++] = base;
	assert_true(nbases >= 4);
}

static void segment_file(char *path, uint64_t base, const char *ext)
{
	snprintf(path, LOG_PATH_MAX, "%s/%020llu.%s", dir, (unsigned long long)base, ext);
}

/* Every sealed segment has a valid index; the tail has none yet. */
static void test_index_written(void **state)
{
	static struct log_index ix;
	char path[LOG_PATH_MAX];
	struct stat st;

	(void)state;
	write_log();
	for (unsigned i = 0; i + 1 < nbases; i++) {
		assert_int_equal(log_index_load(&ix, dir, bases[i]), 0);
		assert_true(ix.base == bases[i] && ix.end_offset == bases[i + 1]);
		segment_file(path, bases[i], "log");
		assert_int_equal(stat(path, &st), 0);
		/* Segments end at their size, give or take one append. */
		assert_true(st.st_size <= (1 << 20) && st.st_size > (1 << 20) - (128 << 10));
		/* Sparse: about one entry per 64 KiB. */
		assert_true(ix.count >= 2 && ix.count <= st.st_size / LOG_INDEX_INTERVAL_MIN + 1);
		assert_true(ix.time_max == (bases[i + 1] - 1) * 1000);
	}
	segment_file(path, bases[nbases - 1], "idx");
	assert_int_equal(access(path, F_OK), -1);
	/* Reads from any offset go through the index. */
	for (uint64_t from = 0; from < RECORDS; from += 7919)
		assert_int_equal(logrecs_read_back(dir, from, RECORDS), RECORDS);
}

/* The first record read at or after t, and how many came before it. */
static void seek_time(uint64_t t, uint64_t *first, uint64_t *before)
{
	struct log_reader *r;
	struct log_batch_view v;
	struct log_record rec;
	uint64_t off, index;
	uint32_t pos;

	*before = 0;
	*first = UINT64_MAX;
	assert_int_equal(log_reader_open_time(&r, dir, t), 0);
	while (*first == UINT64_MAX && log_reader_next(r, UINT64_MAX, &v) == 1) {
		pos = 0;
		index = 0;
		while (log_batch_view_record(&v, &pos, &index, &rec, &off)) {
			if (rec.event_time_ns >= t) {
				*first = off;
				break;
			}
			(*before)++;
		}
	}
	log_reader_close(r);
}

static void test_seek_time(void **state)
{
	uint64_t first, before;

	(void)state;
	write_log();
	for (uint64_t want = 0; want < RECORDS; want += 4999) {
		seek_time(want * 1000, &first, &before);
		assert_true(first == want);
		/* Within one index interval (64 KiB of ~190-byte records) of it. */
		assert_true(before < 1000);
	}
	seek_time(RECORDS * 1000ull + 5, &first, &before);
	assert_true(first == UINT64_MAX && before == 0);
}

/* A damaged or missing index is rebuilt by the repair step; the reader does
 * not need it meanwhile. */
static void test_index_repaired(void **state)
{
	static struct log_index ix;
	struct log_repair_result res = { 0 };
	char path[LOG_PATH_MAX];
	uint64_t cursor = 0;
	bool started = false;

	(void)state;
	write_log();
	segment_file(path, bases[1], "idx");
	assert_int_equal(logrecs_flip_byte(path, 60, 0x77), 0);
	segment_file(path, bases[2], "idx");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(log_index_load(&ix, dir, bases[1]), -EBADMSG);
	assert_int_equal(log_index_load(&ix, dir, bases[2]), -ENOENT);
	assert_int_equal(logrecs_read_back(dir, bases[1] + 17, RECORDS), RECORDS);
	for (int step = 0; step < 10; step++)
		assert_int_equal(log_repair_step(dir, &cursor, &started, &res), 0);
	assert_true(res.indexes_rebuilt == 2 && res.segments_quarantined == 0);
	assert_int_equal(log_index_load(&ix, dir, bases[1]), 0);
	assert_int_equal(log_index_load(&ix, dir, bases[2]), 0);
	assert_true(ix.end_offset == bases[3]);
}

/* A bad batch inside a sealed segment: the repair step moves it aside,
 * readers pass over exactly its offsets, the rest reads whole. */
static void test_quarantine(void **state)
{
	struct log_repair_result res = { 0 };
	char path[LOG_PATH_MAX];
	struct log_reader *r;
	struct log_batch_view v;
	struct log_record rec;
	uint64_t cursor = 0, off, index, expect = 0, got = 0;
	bool started = false;
	uint32_t pos;

	(void)state;
	write_log();
	segment_file(path, bases[1], "log");
	assert_int_equal(logrecs_flip_byte(path, 300000, 0x5a), 0);
	segment_file(path, bases[1], "idx");
	unlink(path);  /* as after a crash before it was written */
	for (int step = 0; step < 10; step++)
		assert_int_equal(log_repair_step(dir, &cursor, &started, &res), 0);
	assert_true(res.segments_quarantined == 1 && res.quarantined_base == bases[1]);
	assert_true(res.records_quarantined == bases[2] - bases[1]);
	assert_true(log_repair_quarantined(dir, bases[1]));
	assert_int_equal(log_repair_quarantine(dir, bases[nbases - 1], &res), -EBUSY);

	assert_int_equal(log_reader_open(&r, dir, 0), 0);
	while (log_reader_next(r, UINT64_MAX, &v) == 1) {
		pos = 0;
		index = 0;
		while (log_batch_view_record(&v, &pos, &index, &rec, &off)) {
			if (expect == bases[1])
				expect = bases[2];
			assert_true(off == expect && rec.seq == off);
			expect++;
			got++;
		}
	}
	assert_true(expect == RECORDS);
	assert_true(got == RECORDS - (bases[2] - bases[1]));
	assert_true(log_reader_skipped(r) == bases[2] - bases[1]);
	log_reader_close(r);
	/* Opened at an offset inside it: starts at the next segment. */
	assert_int_equal(log_reader_open(&r, dir, bases[1] + 10), 0);
	assert_int_equal(log_reader_next(r, UINT64_MAX, &v), 1);
	assert_true(v.first_wanted == bases[2] && log_reader_skipped(r) == bases[2] - bases[1]);
	log_reader_close(r);
}

/* Recovery reads the tail only; the segment before it only when it has no
 * index, and a torn one there means the tail was never durable. */
static void test_recovery_reads_tail(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	char path[LOG_PATH_MAX];
	struct stat st;
	uint64_t prev = 0, tail = 0;

	(void)state;
	write_log();
	cfg.segment_bytes_max = 1u << 20;
	segment_file(path, bases[nbases - 1], "log");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == RECORDS);
	assert_true(counter_get(&log_writer_stats(lw)->recovery_bytes_scanned) ==
		    (uint64_t)st.st_size);
	log_writer_close(lw);

	/* The segment before the tail torn, its index never written. */
	segment_file(path, bases[nbases - 2], "idx");
	assert_int_equal(unlink(path), 0);
	segment_file(path, bases[nbases - 2], "log");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 1000), 0);
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	prev = log_writer_durable_offset(lw);
	assert_true(prev > bases[nbases - 2] && prev < bases[nbases - 1]);
	assert_true(counter_get(&log_writer_stats(lw)->torn_bytes_cut) > 0);
	assert_int_equal(logrecs_append(lw, prev, 100), 0);
	assert_int_equal(log_writer_flush(lw), 0);
	log_writer_close(lw);
	/* The old tail is gone; the writer went on in the cut segment and
	 * rolled from there. */
	segment_file(path, bases[nbases - 1], "log");
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(log_segment_find(dir, UINT64_MAX, &tail), 0);
	assert_true(tail == bases[nbases - 2] || tail == prev);
	assert_int_equal(logrecs_read_back(dir, 0, prev + 100), (int64_t)(prev + 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seek_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_reads_tail, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
