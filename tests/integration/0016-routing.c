/* 0016: topics per schema, checked from Kafka's side. Schema 7 is mapped
 * in the config file (topic.7 = ...), schema 9 on the command line
 * (--topic-map 9=...), schema 3 is not mapped; a few of its frames are
 * broken. Each mapped topic holds exactly its schema's events, --topic the
 * rest, and --topic.dlq the dead letters, each with its dlq-reason. */
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

#define PER_SCHEMA 4000u

IT_FIXTURE("it0016")

static void send_schema(unsigned schema, unsigned source_base, unsigned faults)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 4 --count %u --schema %u "
		 "--source-base %u --faults %u --rate 50000", it_path("SLUICE_GEN"),
		 daemon_.listen, PER_SCHEMA, schema, source_base, faults);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
}

/* Messages in topic t whose headers contain want (NULL: all). */
static unsigned count_in(const char *t, const char *want)
{
	char cmd[1024], out[64];

	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -o beginning -e -q -f '%%h\\n' | "
		 "grep -c -- '%s' || true", bootstrap, t, want ? want : "");
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	return (unsigned)strtoul(out, NULL, 10);
}

static void test_routing(void **state)
{
	char ini[256], opts[1024], seven[160], nine[160], dlq[160];
	uint64_t deadline, events, dead;
	FILE *f;

	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	snprintf(seven, sizeof(seven), "%s-seven", topic);
	snprintf(nine, sizeof(nine), "%s-nine", topic);
	snprintf(dlq, sizeof(dlq), "%s.dlq", topic);
	snprintf(ini, sizeof(ini), "%s/sluiced.ini", daemon_.dir);
	f = fopen(ini, "w");
	assert_non_null(f);
	fprintf(f, "topic.7 = %s\n", seven);
	fclose(f);
	snprintf(opts, sizeof(opts), "--config '%s' --topic-map 9=%s", ini, nine);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, opts), 0);
	send_schema(7, 0, 0);
	send_schema(9, 100, 0);
	send_schema(3, 200, 50);
	deadline = it_now_ms() + 60000;
	do {
		usleep(200000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		events = it_json_u64(json, "events_replicated");
		dead = it_json_u64(json, "dlq_replicated");
	} while ((it_json_u64(json, "frames_received") < 3 * PER_SCHEMA ||
		  events != it_json_u64(json, "events_durable") ||
		  dead != it_json_u64(json, "dlq_records")) && it_now_ms() < deadline);
	assert_true(it_json_u64(json, "frames_received") == 3 * PER_SCHEMA);
	assert_true(dead > 0 && events + dead == 3 * PER_SCHEMA);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);

	fprintf(stderr, "0016: %u in %s, %u in %s, %u in %s, %u in %s (%" PRIu64 " dead letters)\n",
		count_in(seven, NULL), seven, count_in(nine, NULL), nine, count_in(topic, NULL),
		topic, count_in(dlq, NULL), dlq, dead);
	assert_int_equal(count_in(seven, "schema-id=7"), PER_SCHEMA);
	assert_int_equal(count_in(seven, NULL), PER_SCHEMA);
	assert_int_equal(count_in(nine, "schema-id=9"), PER_SCHEMA);
	assert_int_equal(count_in(nine, NULL), PER_SCHEMA);
	assert_int_equal(count_in(topic, "schema-id=3"), PER_SCHEMA - dead);
	assert_int_equal(count_in(topic, NULL), PER_SCHEMA - dead);
	assert_int_equal(count_in(dlq, "dlq-reason="), dead);
	assert_int_equal(count_in(dlq, NULL), dead);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
