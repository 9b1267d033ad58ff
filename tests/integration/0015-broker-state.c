/* 0015: the broker's state is visible. Pointed at a port where no broker
 * listens, sluiced says so in `status` (not connected, the last error and
 * when) and in /metrics, says the refused connection once in its log
 * however often librdkafka retries, and `lag` grows in records, bytes and
 * seconds. Restarted against the real broker: connected, the broker listed
 * as up, and the lag drains to zero. */
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

IT_FIXTURE("it0015")

/* `lag --json`, into the fixture's json buffer and out. */
static void lag_json(char *out, size_t size)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' lag --json", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, json, sizeof(json)), 0);
	snprintf(out, size, "%s", json);
}

static void test_broker_state(void **state)
{
	char kafka[64], opts[128], cmd[1024], out[8192], status[4096], body[65536];
	int dead = it_free_tcp_port(), mport = it_free_tcp_port();
	uint64_t deadline;

	(void)state;
	snprintf(kafka, sizeof(kafka), "127.0.0.1:%d", dead);
	snprintf(opts, sizeof(opts), "--metrics 127.0.0.1:%d", mport);
	assert_int_equal(it_daemon_start(&daemon_, kafka, topic, opts), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 5 --count 1000",
		 it_path("SLUICE_GEN"), daemon_.listen);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	/* The lag ages while librdkafka retries every second or so. */
	deadline = it_now_ms() + 30000;
	do {
		usleep(200000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (it_json_u64(json, "replication_lag_seconds_events") < 5 && it_now_ms() < deadline);
	assert_true(it_json_u64(json, "kafka_errors") >= 1);
	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "\"kafka_connected\":false"));
	assert_non_null(strstr(status, "Connection refused"));
	assert_null(strstr(status, "\"kafka_last_error_at\":\"\""));
	snprintf(cmd, sizeof(cmd), "grep -c 'kafka: _TRANSPORT.*Connection refused' '%s'",
		 daemon_.log);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 1);  /* said once */
	assert_int_equal(it_http_get(mport, "/metrics", body, sizeof(body)), 200);
	assert_non_null(strstr(body, "sluice_kafka_connected 0"));
	assert_non_null(strstr(body, "sluice_replication_lag_seconds_events "));
	lag_json(out, sizeof(out));
	fprintf(stderr, "lag while down: %s", out);
	assert_true(it_json_u64(out, "lag_records") == 1000);
	assert_true(it_json_u64(out, "lag_bytes") > 0);
	assert_true(it_json_u64(out, "lag_seconds") >= 4);
	assert_int_equal(it_daemon_stop(&daemon_, SIGKILL, 10), 128 + SIGKILL);

	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, opts), 0);
	deadline = it_now_ms() + 30000;
	do {
		usleep(200000);
		assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
		lag_json(out, sizeof(out));
	} while ((!strstr(status, "\"kafka_connected\":true") ||
		  !strstr(status, " UP\"") || it_json_u64(out, "lag_records") != 0) &&
		 it_now_ms() < deadline);
	fprintf(stderr, "after: %s%s", status, out);
	assert_non_null(strstr(status, "\"kafka_connected\":true"));
	assert_non_null(strstr(status, "\"kafka_brokers_up\":1"));
	assert_true(it_json_u64(out, "lag_records") == 0 && it_json_u64(out, "lag_seconds") == 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_broker_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
