/* 0027: sluiced stopped (SIGSTOP) for 30 s under a steady load, then
 * continued. What the socket buffer could not hold is counted as
 * rx_missed_packets: every datagram sent is either a frame received or a
 * missed packet, exactly; the identity holds; and every event reported
 * durable reaches Kafka once (kcat finds each event-id, no duplicates).
 * The buffer is made small (--rcvbuf-bytes 4 MiB) so that the stop
 * overflows it at a modest, paced rate. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define SOURCES 10u
#define RATE 5000u
#define SECS 40u
#define EVENTS (RATE * SECS)

IT_FIXTURE("it0027")

static void test_sigstop_under_load(void **state)
{
	struct it_marks m = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	char cmd[1024];
	pid_t gen;
	int status;
	uint64_t deadline, received, missed, durable;

	(void)state;
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, "--rcvbuf-bytes 4194304"), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate %u --batch 1 "
		 "--payload 200 >/dev/null", it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS,
		 RATE);
	gen = it_spawn(cmd);
	assert_true(gen > 0);
	sleep(5);
	assert_int_equal(kill(daemon_.pid, SIGSTOP), 0);
	sleep(30);
	assert_int_equal(kill(daemon_.pid, SIGCONT), 0);
	assert_true(waitpid(gen, &status, 0) == gen && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);

	deadline = it_now_ms() + 120000;
	do {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		received = it_json_u64(json, "frames_received");
		missed = it_json_u64(json, "rx_missed_packets");
		if (received + missed >= EVENTS && it_accounted(json, received) &&
		    it_json_u64(json, "replication_lag_events") == 0)
			break;
		usleep(250000);
	} while (it_now_ms() < deadline);
	durable = it_json_u64(json, "events_durable");
	fprintf(stderr, "0027: %u sent, %" PRIu64 " received, %" PRIu64 " missed while stopped, "
		"%" PRIu64 " durable, %" PRIu64 " replicated\n", EVENTS, received, missed, durable,
		it_json_u64(json, "events_replicated"));
	assert_true(received + missed == EVENTS);
	assert_true(missed > 0);                      /* 30 s of it could not fit in 4 MiB */
	assert_true(durable == received);             /* nothing after the door was lost */
	assert_true(it_json_u64(json, "replication_lag_events") == 0);

	m.seen = calloc(EVENTS, 1);
	assert_non_null(m.seen);
	assert_int_equal(it_kcat_mark(bootstrap, topic, &m), 0);
	fprintf(stderr, "0027: kcat read %" PRIu64 " messages, %" PRIu64 " duplicates, %" PRIu64
		" bad\n", m.lines, m.dups, m.bad);
	assert_true(m.bad == 0);
	assert_true(m.lines - m.dups == durable);     /* every durable event, each id once */
	free(m.seen);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigstop_under_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
