/* 0014: librdkafka settings pass through. sluiced starts with
 * kafka.compression.type = zstd from its config file and replicates; the
 * file then changes (lz4, a longer linger) and SIGHUP makes a new producer
 * that goes on from the acknowledged offsets: Kafka ends with every event,
 * re-sent at most one window. A misspelt setting stops the start, named. */
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
#define EVENTS 60000u   /* two bursts of 30000 */
#define WINDOW 10000u   /* --replication-window's default */

IT_FIXTURE("it0014")

static void write_config(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void send_burst(unsigned seq_base)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --rate 50000 "
		 "--seq-base %u", it_path("SLUICE_GEN"), daemon_.listen, SOURCES, EVENTS / 2,
		 seq_base);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
}

static void wait_replicated(uint64_t events)
{
	assert_int_equal(it_wait_replicated(&daemon_, events, 60, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "events_durable") == events);
}

static void test_settings_reload(void **state)
{
	char path[256], opts[512], cmd[1024], data[256];
	struct it_marks in_log = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	struct it_marks in_kafka = { .sources = SOURCES, .per_source = EVENTS / SOURCES };
	uint64_t missing;

	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	snprintf(path, sizeof(path), "%s/sluiced.ini", daemon_.dir);
	write_config(path, "kafka.compression.type = zstd\n");
	snprintf(opts, sizeof(opts), "--config '%s'", path);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, opts), 0);
	send_burst(0);
	wait_replicated(EVENTS / 2);

	write_config(path, "kafka.compression.type = lz4\nkafka.linger.ms = 20\n");
	assert_int_equal(kill(daemon_.pid, SIGHUP), 0);
	snprintf(cmd, sizeof(cmd), "for i in $(seq 100); do grep -q 'kafka.\\* settings changed: "
		 "starting a new producer' '%s' && exit 0; sleep 0.1; done; exit 1", daemon_.log);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	send_burst(EVENTS / 2 / SOURCES);
	wait_replicated(EVENTS);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);

	snprintf(data, sizeof(data), "%s/data", daemon_.dir);
	assert_int_equal(it_log_vs_kafka(data, bootstrap, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "0014: log %" PRIu64 ", Kafka %" PRIu64 " (%" PRIu64 " duplicates), "
		"missing %" PRIu64 "\n", in_log.lines, in_kafka.lines, in_kafka.dups, missing);
	assert_true(in_log.lines == EVENTS && missing == 0 && in_kafka.bad == 0);
	assert_true(in_kafka.dups <= WINDOW);
	free(in_log.seen);
	free(in_kafka.seen);

	/* A misspelt setting: no start, and the message names it. */
	write_config(path, "kafka.compresion.type = zstd\n");
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, opts), -1);
	snprintf(cmd, sizeof(cmd), "grep -q \"sluiced.ini:1: kafka.compresion.type 'zstd': No "
		 "such configuration property\" '%s'", daemon_.log);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_settings_reload, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
