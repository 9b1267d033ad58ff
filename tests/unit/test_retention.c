/* Retention on a folder of segment files (their contents do not matter to
 * it): the size limit, the age limit, the newest segment kept, records
 * Kafka has not taken kept or, when allowed, deleted and counted. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/log_segment.h"
#include "storage/retention.h"

#define NOW_S 2000000000ull
#define SEGMENT_BYTES 1000u

static char dir[64];

/* Segments at bases 0, 100, ..., 100*(n-1), each SEGMENT_BYTES, the one at
 * base b last written at NOW_S - age_s(b). */
static void make_segments(unsigned n, uint64_t oldest_age_s)
{
	char path[LOG_PATH_MAX];
	static uint8_t zeros[SEGMENT_BYTES];

	strcpy(dir, "/tmp/sluice-retention-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (unsigned i = 0; i < n; i++) {
		struct timeval tv[2] = { { (time_t)(NOW_S - oldest_age_s + i * 60), 0 },
					 { (time_t)(NOW_S - oldest_age_s + i * 60), 0 } };
		int fd;

		assert_int_equal(log_segment_path(path, sizeof(path), dir, i * 100ull), 0);
		fd = open(path, O_CREAT | O_WRONLY, 0640);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, zeros, sizeof(zeros)), (ssize_t)sizeof(zeros));
		close(fd);
		assert_int_equal(utimes(path, tv), 0);
	}
}

static unsigned count_segments(void)
{
	uint64_t base;
	unsigned n = 0;
	int rc = log_segment_first(dir, &base);

	while (rc == 0) {
		n++;
		rc = log_segment_next(dir, base, &base);
	}
	return n;
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_size_limit(void **state)
{
	struct retention_policy p = { .max_bytes = 3 * SEGMENT_BYTES };
	struct retention_result r;

	(void)state;
	make_segments(10, 3600);
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_int_equal(r.segments, 7);
	assert_int_equal(r.bytes, 7 * SEGMENT_BYTES);
	assert_int_equal(r.log_bytes, 3 * SEGMENT_BYTES);
	assert_int_equal(r.first_offset, 700);
	assert_int_equal(count_segments(), 3);
	/* Under the limit: nothing more. */
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_int_equal(r.segments, 0);
	cleanup();
}

/* A capped pass stops with more to do; the next one goes on. */
static void test_deletes_capped_per_pass(void **state)
{
	struct retention_policy p = { .max_bytes = 3 * SEGMENT_BYTES, .max_deletes = 4 };
	struct retention_result r;

	(void)state;
	make_segments(10, 3600);
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_true(r.segments == 4 && r.more && r.first_offset == 400);
	assert_int_equal(count_segments(), 6);
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_true(r.segments == 3 && !r.more && r.first_offset == 700);
	assert_int_equal(count_segments(), 3);
	cleanup();
}

static void test_age_limit_keeps_newest(void **state)
{
	struct retention_policy p = { .max_age_s = 60 };
	struct retention_result r;

	(void)state;
	make_segments(5, 100000);  /* all far older than a minute */
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_int_equal(r.segments, 4);          /* never the writer's segment */
	assert_int_equal(count_segments(), 1);
	cleanup();
}

/* After the wall clock stepped back, segments made in this run carry
 * mtimes that look old: their age is capped by the run's length. The
 * segments from before the run still age by their mtime. */
static void test_age_of_young_segments_capped(void **state)
{
	struct retention_policy p = { .max_age_s = 60, .young_base = 200, .young_age_s = 30 };
	struct retention_result r;

	(void)state;
	make_segments(5, 100000);  /* mtimes all far older than a minute */
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_int_equal(r.segments, 2);          /* bases 0 and 100 */
	assert_int_equal(r.first_offset, 200);
	assert_int_equal(r.tail_base, 400);
	assert_int_equal(count_segments(), 3);
	p.young_age_s = 61;                       /* the run is older than the limit now */
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_int_equal(r.segments, 2);
	assert_int_equal(count_segments(), 1);
	cleanup();
}

static void test_unreplicated(void **state)
{
	struct retention_policy p = { .max_bytes = SEGMENT_BYTES };
	struct retention_result r;

	(void)state;
	make_segments(6, 3600);
	/* Kafka has offsets below 250: segments [0,100) and [100,200) may go. */
	assert_int_equal(retention_apply(dir, &p, 250, NOW_S, &r), 0);
	assert_int_equal(r.segments, 2);
	assert_true(r.held_back);
	assert_int_equal(r.unreplicated, 0);
	assert_int_equal(count_segments(), 4);
	p.delete_unreplicated = true;
	assert_int_equal(retention_apply(dir, &p, 250, NOW_S, &r), 0);
	assert_int_equal(r.segments, 3);          /* [200,300) [300,400) [400,500) */
	assert_int_equal(r.unreplicated, 50 + 100 + 100);
	assert_false(r.held_back);
	assert_int_equal(count_segments(), 1);
	cleanup();
}

static void test_empty_folder(void **state)
{
	struct retention_policy p = { .max_bytes = 1 };
	struct retention_result r;

	(void)state;
	strcpy(dir, "/tmp/sluice-retention-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(retention_apply(dir, &p, UINT64_MAX, NOW_S, &r), 0);
	assert_int_equal(r.segments, 0);
	cleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_deletes_capped_per_pass),
		cmocka_unit_test(test_age_limit_keeps_newest),
		cmocka_unit_test(test_age_of_young_segments_capped),
		cmocka_unit_test(test_unreplicated),
		cmocka_unit_test(test_empty_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
