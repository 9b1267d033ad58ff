/* Checkpoints: round trip, atomic replacement, damage detected. */
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

#include "storage/checkpoint.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/sluice-test-ckpt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/replicated.ckpt", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_round_trip(void **state)
{
	uint64_t off = 1;
	char tmp[160];
	struct stat st;

	(void)state;
	assert_int_equal(ckpt_read(path, &off), -ENOENT);
	assert_int_equal(ckpt_write(path, 0), 0);
	assert_int_equal(ckpt_read(path, &off), 0);
	assert_true(off == 0);
	assert_int_equal(ckpt_write(path, 123456789012345ull), 0);
	assert_int_equal(ckpt_read(path, &off), 0);
	assert_true(off == 123456789012345ull);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, CKPT_BYTES);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(stat(tmp, &st), -1);  /* renamed away, nothing left */
}

/* A crash between writing the temporary file and the rename leaves the old
 * checkpoint whole: the reader never sees the half-written one. */
static void test_crash_before_rename(void **state)
{
	char tmp[160];
	uint64_t off = 0;
	FILE *f;

	(void)state;
	assert_int_equal(ckpt_write(path, 42), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs("SLCK half", f);
	fclose(f);
	assert_int_equal(ckpt_read(path, &off), 0);
	assert_true(off == 42);
	assert_int_equal(ckpt_write(path, 43), 0);  /* and the next write replaces it */
	assert_int_equal(ckpt_read(path, &off), 0);
	assert_true(off == 43);
}

static void test_damage_detected(void **state)
{
	uint64_t off = 7;
	FILE *f;

	(void)state;
	assert_int_equal(ckpt_write(path, 99), 0);
	f = fopen(path, "r+");
	fseek(f, 9, SEEK_SET);
	fputc('x', f);
	fclose(f);
	assert_int_equal(ckpt_read(path, &off), -EBADMSG);
	assert_true(off == 7);
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(ckpt_read(path, &off), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_detected, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
