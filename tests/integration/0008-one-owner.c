/* 0008: one owner per data folder. A second sluiced on a folder that a
 * running one holds is refused with a message naming the folder and the
 * holder's PID, and writes nothing; `sluicectl log verify` beside the
 * running daemon reports a clean log; after the first stops, every event
 * it reported durable is in the log once, and a new daemon may take it. */
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

#include "itest.h"

#define SOURCES 10u
#define EVENTS 20000u

IT_FIXTURE("it0008")

static int run_verify(char *out, size_t size)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' log verify --data-dir '%s/data' 2>&1",
		 it_path("SLUICECTL"), daemon_.dir);
	return it_run(cmd, out, size);
}

static void wait_durable(uint64_t events)
{
	for (uint64_t deadline = it_now_ms() + 60000; it_now_ms() < deadline; usleep(100000)) {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_json_u64(json, "events_durable") >= events)
			return;
	}
	fail_msg("events not durable: %s", json);
}

static void test_one_owner(void **state)
{
	struct it_daemon second = { 0 };
	struct it_marks m = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	char cmd[1024], out[8192], want[128], path[256];

	(void)state;
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, NULL), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate 200000",
		 it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	wait_durable(EVENTS);

	/* The second daemon: same folder, its own socket and port. */
	strcpy(second.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(second.dir));
	snprintf(cmd, sizeof(cmd), "'%s' -- --data-dir '%s/data' --listen udp://127.0.0.1:%d "
		 "--admin-socket '%s/admin.sock' --kafka none 2>&1", it_path("SLUICED"),
		 daemon_.dir, it_free_udp_port(), second.dir);
	assert_int_not_equal(it_run(cmd, out, sizeof(out)), 0);
	fprintf(stderr, "second daemon: %s", out);
	snprintf(want, sizeof(want), "in use by sluiced PID %d", (int)daemon_.pid);
	assert_non_null(strstr(out, want));
	snprintf(path, sizeof(path), "%s/data", daemon_.dir);
	assert_non_null(strstr(out, path));

	/* Read beside the running daemon: clean, and it says who is writing. */
	assert_int_equal(run_verify(out, sizeof(out)), 0);
	fprintf(stderr, "verify (live): %s", out);
	assert_non_null(strstr(out, "is writing to"));
	assert_null(strstr(out, "DAMAGED"));

	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	assert_int_equal(run_verify(out, sizeof(out)), 0);
	assert_null(strstr(out, "is writing to"));
	m.seen = calloc(EVENTS, 1);
	assert_non_null(m.seen);
	assert_int_equal(it_log_mark(path, &m), 0);
	assert_true(m.lines == EVENTS && m.dups == 0 && m.bad == 0);
	free(m.seen);

	/* Free again: a new daemon takes the folder and finds every event. */
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, NULL), 0);
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", second.dir);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
