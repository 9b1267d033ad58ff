/* 0020: exactly-once delivery (--delivery exactly-once). A backlog of
 * 300,000 events is replicated in transactions; sluiced is killed with
 * SIGKILL during the catch-up, inside a transaction whose records the
 * broker has (read_uncommitted sees them twice), and started again; the broker is stopped and
 * started while more events arrive. A read_committed consumer (kcat) then
 * finds each event-id of the log exactly once, and the offsets topic holds
 * the offset the log was replicated to. */
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

#define SOURCES 50u
#define BACKLOG 300000u      /* sent while replication is paused */
#define DURING 50000u        /* sent while the broker is down */
#define PER_SOURCE ((BACKLOG + DURING) / SOURCES)

IT_FIXTURE("it0020")

static char extra[512];

static void send_events(unsigned count, unsigned seq_base)
{
	char cmd[1024], out[2048];

	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate 100000 "
		 "--seq-base %u", it_path("SLUICE_GEN"), daemon_.listen, SOURCES, count, seq_base);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_true(it_kv_u64(out, "valid_events") == count);
}

static void wait_durable(uint64_t events)
{
	uint64_t deadline = it_now_ms() + 60000;

	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (it_json_u64(json, "events_durable") < events && it_now_ms() < deadline);
	assert_true(it_json_u64(json, "events_durable") == events);
}

static void ctl(const char *what)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' %s", it_path("SLUICECTL"), daemon_.sock,
		 what);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

static void kafka_local(const char *what)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' %s >/dev/null 2>&1", it_path("KAFKA_LOCAL"), what);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

/* The offset the daemon said it went on from, in its log ("going on from
 * events N"), at its nth start; UINT64_MAX until it says so. */
static uint64_t resumed_from(int nth)
{
	char cmd[512], out[256];

	snprintf(cmd, sizeof(cmd), "grep -o 'going on from events [0-9]*' '%s' | sed -n %dp | "
		 "grep -o '[0-9]*$'", daemon_.log, nth);
	if (it_run(cmd, out, sizeof(out)) != 0)
		return UINT64_MAX;
	return strtoull(out, NULL, 10);
}

static void test_exactly_once(void **state)
{
	struct it_marks in_log = { .sources = SOURCES, .per_source = PER_SOURCE };
	struct it_marks in_kafka = { .sources = SOURCES, .per_source = PER_SOURCE };
	struct it_marks uncommitted = { .sources = SOURCES, .per_source = PER_SOURCE };
	char cmd[1024], out[4096];
	uint64_t committed = 0, deadline, missing = 0, from;

	(void)state;
	/* Large transactions, so that the kill lands inside one whose records
	 * the broker already has. */
	snprintf(extra, sizeof(extra), "--delivery exactly-once --appliance-id '%s' "
		 "--offsets-topic '%s.offsets' --replication-window 100000 --transaction-ms 1000",
		 topic, topic);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, extra), 0);
	ctl("replication pause");
	send_events(BACKLOG, 0);
	wait_durable(BACKLOG);

	/* Catch-up, killed part way. */
	ctl("replication resume");
	deadline = it_now_ms() + 120000;
	while (committed < BACKLOG / 3 && it_now_ms() < deadline) {
		usleep(20000);
		if (it_stats(&daemon_, json, sizeof(json)) == 0)
			committed = it_json_u64(json, "events_replicated");
	}
	assert_true(committed >= BACKLOG / 3 && committed < BACKLOG);
	assert_true(it_json_u64(json, "transactions_committed") > 0);
	usleep(300000);  /* well into the next transaction */
	assert_int_equal(it_daemon_stop(&daemon_, SIGKILL, 10), 128 + SIGKILL);

	/* Goes on from what Kafka committed, read back from the offsets topic:
	 * at least what the stats said before the kill. */
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, extra), 0);
	deadline = it_now_ms() + 60000;
	while ((from = resumed_from(2)) == UINT64_MAX && it_now_ms() < deadline)
		usleep(100000);
	fprintf(stderr, "0020: killed with %" PRIu64 " committed; went on from %" PRIu64 "\n",
		committed, from);
	assert_true(from >= committed && from <= BACKLOG);

	/* The broker goes away during the catch-up while more events arrive. */
	kafka_local("stop");
	send_events(DURING, BACKLOG / SOURCES);
	wait_durable(DURING);  /* this run's count */
	kafka_local("start");
	assert_int_equal(it_wait_replicated(&daemon_, DURING, 180, json, sizeof(json)), 0);
	fprintf(stderr, "0020: after the outage: %" PRIu64 " transactions committed, %" PRIu64
		" aborted\n", it_json_u64(json, "transactions_committed"),
		it_json_u64(json, "transactions_aborted"));
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);

	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	it_kcat_args = "-X isolation.level=read_committed";
	assert_int_equal(it_log_vs_kafka(cmd, bootstrap, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "0020: log %" PRIu64 ", read_committed %" PRIu64 ", duplicates %" PRIu64
		", missing %" PRIu64 "\n", in_log.lines, in_kafka.lines, in_kafka.dups, missing);
	assert_true(in_log.lines == BACKLOG + DURING && in_log.dups == 0);
	assert_true(missing == 0 && in_kafka.bad == 0);
	assert_true(in_kafka.dups == 0 && in_kafka.lines == BACKLOG + DURING);

	/* What read_uncommitted sees besides: records of aborted transactions. */
	it_kcat_args = "-X isolation.level=read_uncommitted";
	uncommitted.seen = calloc(SOURCES * PER_SOURCE, 1);
	assert_non_null(uncommitted.seen);
	assert_int_equal(it_kcat_mark(bootstrap, topic, &uncommitted), 0);
	fprintf(stderr, "0020: read_uncommitted sees %" PRIu64 " records (%" PRIu64
		" of aborted transactions)\n", uncommitted.lines, uncommitted.dups);
	assert_true(uncommitted.dups > 0);  /* the kill cut a transaction short */
	it_kcat_args = "";

	/* The offsets topic's last word for this appliance is the log's end. */
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s.offsets' -o beginning -e -q "
		 "-X isolation.level=read_committed -f '%%k=%%s\\n' | grep '^%s/events=' | tail -1",
		 bootstrap, topic, topic);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	fprintf(stderr, "0020: offsets topic: %s", out);
	snprintf(cmd, sizeof(cmd), "%s/events=%u\n", topic, BACKLOG + DURING);
	assert_string_equal(out, cmd);
	free(in_log.seen);
	free(in_kafka.seen);
	free(uncommitted.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exactly_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
