/* The data folder's lock: one holder at a time, its PID readable by the
 * refused and by readers; free again once the holder closes it. (flock
 * locks belong to an open file, so one process can play both sides.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/datadir.h"

static void test_lock_refuse_release(void **state)
{
	char dir[] = "/tmp/sluice-datadir-XXXXXX", cmd[64];
	pid_t holder = -1;
	int fd, again;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(datadir_holder(dir), 0);          /* no lock file yet */
	fd = datadir_lock(dir, &holder);
	assert_true(fd >= 0);
	assert_int_equal(holder, 0);
	assert_int_equal(datadir_holder(dir), getpid());
	again = datadir_lock(dir, &holder);
	assert_int_equal(again, -EWOULDBLOCK);
	assert_int_equal(holder, getpid());
	close(fd);
	assert_int_equal(datadir_holder(dir), 0);          /* the file stays, unlocked */
	fd = datadir_lock(dir, &holder);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(datadir_lock("/nonexistent/sluice", &holder), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_refuse_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
