/* 0017: a fleet of two appliances feeding one cluster. In SLF1 mode each
 * gets its own sensors and some broken frames: every event and dead letter
 * reaches the shared topics once, attributed by its appliance-id header,
 * and no event-id (dead letters' included) stands for two messages. In raw
 * mode one sender, on one fixed address and port, sends to both and again
 * to the first after a restart: still no event-id repeats. */
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

#define EVENTS 8000u

IT_FIXTURE("it0017")

static struct it_daemon other;

static uint64_t shell_u64(const char *cmd)
{
	char out[256];

	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	return strtoull(out, NULL, 10);
}

static void start(struct it_daemon *d, const char *id, const char *t, const char *mode)
{
	char opts[512];

	snprintf(opts, sizeof(opts), "--appliance-id %s --mode %s", id, mode);
	assert_int_equal(it_daemon_start(d, bootstrap, t, opts), 0);
}

static void wait_all_replicated(struct it_daemon *d, uint64_t frames)
{
	uint64_t deadline = it_now_ms() + 60000;

	do {
		usleep(200000);
		assert_int_equal(it_stats(d, json, sizeof(json)), 0);
	} while ((it_json_u64(json, "frames_received") < frames ||
		  it_json_u64(json, "events_replicated") != it_json_u64(json, "events_durable") ||
		  it_json_u64(json, "dlq_replicated") != it_json_u64(json, "dlq_records")) &&
		 it_now_ms() < deadline);
	assert_true(it_json_u64(json, "frames_received") == frames);
}

/* Lines "<event-id> <appliance-id>" of topic t, into a file; returns its path. */
static const char *dump_ids(const char *t, const char *name)
{
	static char path[256];
	char cmd[1024];

	snprintf(path, sizeof(path), "%s/%s.ids", daemon_.dir, name);
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -o beginning -e -q -f '%%h\\n' | "
		 "sed -E 's/.*event-id=([^,]*).*appliance-id=([^,]*).*/\\1 \\2/' > '%s'",
		 bootstrap, t, path);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	return path;
}

/* 500 text datagrams from 127.0.0.1:17799, always the same sender. */
static void send_raw(int port)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "python3 -c 'import socket; s=socket.socket(socket.AF_INET, "
		 "socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
		 "s.bind((\"127.0.0.1\", 17799)); [s.sendto(b\"line %%d\" %% i, (\"127.0.0.1\", "
		 "%d)) for i in range(500)]'", port);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

static void test_fleet(void **state)
{
	char a[64], b[64], cmd[1024], out[4096], raw[160], dlq[160];
	const char *ids;
	uint64_t dead_a, dead_b;

	(void)state;
	snprintf(a, sizeof(a), "edge-a-%d", (int)getpid());
	snprintf(b, sizeof(b), "edge-b-%d", (int)getpid());
	start(&daemon_, a, topic, "slf1");
	start(&other, b, topic, "slf1");
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count %u --faults 20 && "
		 "'%s' --target %s --sources 10 --source-base 100 --count %u --faults 20",
		 it_path("SLUICE_GEN"), daemon_.listen, EVENTS, it_path("SLUICE_GEN"),
		 other.listen, EVENTS);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	wait_all_replicated(&daemon_, EVENTS);
	dead_a = it_json_u64(json, "dlq_records");
	wait_all_replicated(&other, EVENTS);
	dead_b = it_json_u64(json, "dlq_records");
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
	assert_int_equal(it_daemon_stop(&other, SIGTERM, 30), 0);

	ids = dump_ids(topic, "events");
	snprintf(cmd, sizeof(cmd), "awk '$2 == \"%s\" && $1 ~ /^[0-9]-/' '%s' | sort -u | wc -l",
		 a, ids);
	assert_true(shell_u64(cmd) == EVENTS - dead_a);   /* A's sensors 0..9, from A */
	snprintf(cmd, sizeof(cmd), "awk '$2 == \"%s\" && $1 ~ /^10[0-9]-/' '%s' | sort -u | wc -l",
		 b, ids);
	assert_true(shell_u64(cmd) == EVENTS - dead_b);
	snprintf(cmd, sizeof(cmd), "wc -l < '%s'", ids);
	assert_true(shell_u64(cmd) == 2 * EVENTS - dead_a - dead_b);
	snprintf(dlq, sizeof(dlq), "%s.dlq", topic);
	ids = dump_ids(dlq, "dlq");
	snprintf(cmd, sizeof(cmd), "cut -d' ' -f1 '%s' | sort | uniq -d | wc -l", ids);
	assert_true(shell_u64(cmd) == 0);           /* no dead-letter id twice */
	snprintf(cmd, sizeof(cmd), "grep -c '^dlq-%s-.* %s$' '%s'", a, a, ids);
	assert_true(shell_u64(cmd) == dead_a);
	fprintf(stderr, "0017: slf1: %u events each, %" PRIu64 "+%" PRIu64 " dead letters, "
		"all attributed\n", EVENTS, dead_a, dead_b);

	/* Raw mode: one sender address for both, and a restart of A between. */
	snprintf(raw, sizeof(raw), "%s-raw", topic);
	start(&daemon_, a, raw, "raw");
	start(&other, b, raw, "raw");
	send_raw(daemon_.port);
	send_raw(other.port);
	wait_all_replicated(&daemon_, 500);
	wait_all_replicated(&other, 500);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
	start(&daemon_, a, raw, "raw");
	send_raw(daemon_.port);
	wait_all_replicated(&daemon_, 500);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
	assert_int_equal(it_daemon_stop(&other, SIGTERM, 30), 0);
	ids = dump_ids(raw, "raw");
	snprintf(cmd, sizeof(cmd), "wc -l < '%s'", ids);
	assert_true(shell_u64(cmd) == 1500);
	snprintf(cmd, sizeof(cmd), "cut -d' ' -f1 '%s' | sort -u | wc -l", ids);
	fprintf(stderr, "0017: raw: 1500 messages, %" PRIu64 " distinct event-ids\n",
		shell_u64(cmd));
	assert_true(shell_u64(cmd) == 1500);
}

static int teardown_both(void **state)
{
	it_fixture_teardown(&other);
	return teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fleet, setup, teardown_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
