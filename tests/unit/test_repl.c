/* The replicator against librdkafka's mock cluster: everything durable is
 * acknowledged and checkpointed; a restart resumes from the checkpoint; a
 * broker outage long enough to fail deliveries rewinds and re-sends; a
 * fatal producer error brings a new producer; exactly-once aborts a
 * transaction whose record failed, re-sends it in a later one, and a
 * restart goes on from the offsets read back from the cluster. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "control/repl.h"
#include "control/repl_broker.h"
#include "platform/clock.h"
#include "storage/checkpoint.h"

#define EVENTS 5000u
#define DEAD 10u

static char dir[64], path[128];
static struct log_writer *logs[LOG_KINDS];
static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mcluster;

static int setup(void **state)
{
	struct log_writer_config wc = LOG_WRITER_CONFIG_DEFAULT;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	(void)state;
	strcpy(dir, "/tmp/sluice-test-repl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (int k = 0; k < LOG_KINDS; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, k ? "dlq" : "events");
		assert_int_equal(log_writer_open(&logs[k], path, &wc), 0);
	}
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	assert_non_null(mock_rk);
	mcluster = rd_kafka_mock_cluster_new(mock_rk, 1);
	assert_non_null(mcluster);
	rd_kafka_mock_topic_create(mcluster, "events", 3, 1);
	rd_kafka_mock_topic_create(mcluster, "events.dlq", 1, 1);
	rd_kafka_mock_topic_create(mcluster, "offsets", 1, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	for (int k = 0; k < LOG_KINDS; k++)
		log_writer_close(logs[k]);
	rd_kafka_mock_cluster_destroy(mcluster);
	rd_kafka_destroy(mock_rk);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Appends records the way the log service does, then makes them durable. */
static void write_logs(uint32_t events, uint32_t dead)
{
	static uint8_t buf[256 * 1024];

	for (int k = 0; k < LOG_KINDS; k++) {
		uint32_t n = k ? dead : events, bytes = 0, pending = 0;
		uint64_t first = log_writer_durable_offset(logs[k]);

		for (uint32_t i = 0; i < n; i++) {
			struct log_record rec = {
				.source_id = 100 + i % 7, .seq = first + i, .event_time_ns = 1,
				.arrival_ns = 2, .payload = (const uint8_t *)"reading",
				.payload_len = 7, .dlq_reason = (uint8_t)(k ? 6 : 0),
			};

			bytes += log_record_encode(buf + bytes, &rec);
			pending++;
			if (bytes > sizeof(buf) - 128 || i == n - 1) {
				assert_int_equal(log_writer_append(logs[k], buf, bytes, pending, 0), 0);
				assert_int_equal(log_writer_flush(logs[k]), 0);
				bytes = pending = 0;
			}
		}
	}
}

static struct repl *start_mode(bool exactly_once)
{
	static struct clock_watch clock;
	struct repl_config rc = {
		.clock = &clock,
		.exactly_once = exactly_once,
		.window = 1000,
		.txn_interval_ns = 50000000,
		.offsets_topic = "offsets",
		.brokers = rd_kafka_mock_cluster_bootstraps(mcluster),
		.topic = { "events", "events.dlq" },
		.appliance_id = "test",
		.logs = { logs[0], logs[1] },
		.settings = { { "message.timeout.ms", "1500" },
			      { "reconnect.backoff.max.ms", "200" } },
		.settings_count = 2,
	};
	char err[256];
	struct repl *r;

	clock_watch_init(&clock);
	assert_int_equal(repl_start(&r, &rc, err, sizeof(err)), 0);
	return r;
}

static struct repl *start(void)
{
	return start_mode(false);
}

static int caught_up(struct repl *r, int timeout_s)
{
	uint64_t deadline = clock_mono_ns() + (uint64_t)timeout_s * 1000000000ull;

	while (clock_mono_ns() < deadline) {
		const struct repl_stats *st = repl_stats(r);

		if (counter_get(&st->log[0].acked_offset) == log_writer_durable_offset(logs[0]) &&
		    counter_get(&st->log[1].acked_offset) == log_writer_durable_offset(logs[1]))
			return 1;
		clock_sleep_ns(20000000);
	}
	return 0;
}

static uint64_t checkpoint(int k)
{
	uint64_t off = UINT64_MAX;

	snprintf(path, sizeof(path), "%s/%s/replicated.ckpt", dir, k ? "dlq" : "events");
	assert_int_equal(ckpt_read(path, &off), 0);
	return off;
}

/* After EVENTS were replicated, a restart sends only the 100 new ones. */
static void restart_sends_only_new(bool exactly_once)
{
	struct repl *r;

	write_logs(100, 0);
	r = start_mode(exactly_once);
	assert_true(caught_up(r, 20));
	clock_sleep_ns(300000000);
	assert_true(counter_get(&repl_stats(r)->log[0].produced) == 100);
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);
	assert_true(checkpoint(0) == EVENTS + 100);
}

static void test_replicates_and_resumes(void **state)
{
	struct repl *r;

	(void)state;
	write_logs(EVENTS, DEAD);
	r = start();
	assert_true(caught_up(r, 20));
	assert_true(counter_get(&repl_stats(r)->log[0].acked) == EVENTS);
	assert_true(counter_get(&repl_stats(r)->log[1].acked) == DEAD);
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);
	assert_true(checkpoint(0) == EVENTS);
	assert_true(checkpoint(1) == DEAD);

	restart_sends_only_new(false);
}

static void test_outage_rewinds_and_resends(void **state)
{
	struct repl *r;

	(void)state;
	rd_kafka_mock_broker_set_down(mcluster, 1);
	write_logs(EVENTS, DEAD);
	r = start();
	/* Deliveries time out while the broker is down: failures, then rewinds. */
	uint64_t deadline = clock_mono_ns() + 15000000000ull;

	while (counter_get(&repl_stats(r)->log[0].failed) == 0 && clock_mono_ns() < deadline)
		clock_sleep_ns(50000000);
	assert_true(counter_get(&repl_stats(r)->log[0].failed) > 0);
	assert_true(counter_get(&repl_stats(r)->log[0].acked_offset) == 0);
	rd_kafka_mock_broker_set_up(mcluster, 1);
	assert_true(caught_up(r, 30));
	assert_true(counter_get(&repl_stats(r)->log[0].resent) > 0);
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);
	assert_true(checkpoint(0) == EVENTS);
}

/* The cluster refuses every record (as Kafka 4 does for a timestamp more
 * than an hour ahead of its clock): status names the cause, the records
 * are re-sent with a growing pause rather than in a loop, and replication
 * goes on once the cluster takes them. */
static void test_refused_records_backoff(void **state)
{
	static rd_kafka_resp_err_t refusals[5000];
	struct repl_broker_state b;
	struct repl *r;
	uint64_t resent, deadline;

	(void)state;
	write_logs(100, 0);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		refusals[i] = RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP;
	rd_kafka_mock_push_request_errors_array(mcluster, 0 /* Produce */,
						sizeof(refusals) / sizeof(refusals[0]), refusals);
	r = start();
	deadline = clock_mono_ns() + 10000000000ull;
	while (counter_get(&repl_stats(r)->log[0].failed) == 0 && clock_mono_ns() < deadline)
		clock_sleep_ns(20000000);
	clock_sleep_ns(3000000000ull);
	resent = counter_get(&repl_stats(r)->log[0].resent);
	repl_broker_state(r, &b);
	print_message("refused for 3 s: %" PRIu64 " records re-sent; last error: %s\n", resent,
		      b.last_error);
	assert_true(counter_get(&repl_stats(r)->log[0].acked_offset) == 0);
	/* Pauses of 0.1, 0.2, 0.4, 0.8, 1.6 s: a handful of rounds of 100. */
	assert_true(resent >= 100 && resent <= 800);
	assert_non_null(strstr(b.last_error, "INVALID_TIMESTAMP"));
	assert_non_null(strstr(b.last_error, "records of the events log refused"));
	rd_kafka_mock_clear_request_errors(mcluster, 0 /* Produce */);
	assert_true(caught_up(r, 30));
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);
	assert_true(checkpoint(0) == 100);
}

static void test_fatal_error_new_producer(void **state)
{
	struct repl *r;

	(void)state;
	write_logs(EVENTS, DEAD);
	r = start();
	assert_true(caught_up(r, 20));
	write_logs(EVENTS, 0);
	repl_inject_fatal(r);
	assert_true(caught_up(r, 30));
	assert_true(counter_get(&repl_stats(r)->producer_restarts) == 1);
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);
	assert_true(checkpoint(0) == 2 * EVENTS);
}

static void test_exactly_once_aborts_and_resumes(void **state)
{
	const struct repl_stats *st;
	struct repl *r;

	(void)state;
	write_logs(EVENTS, DEAD);
	/* A permanent produce error fails one batch: its transaction aborts. */
	rd_kafka_mock_push_request_errors(mcluster, 0 /* Produce */, 1,
					  RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
	r = start_mode(true);
	assert_true(caught_up(r, 30));
	st = repl_stats(r);
	assert_true(counter_get(&st->txn_aborted) >= 1);
	assert_true(counter_get(&st->txn_committed) >= EVENTS / 1000);
	assert_true(counter_get(&st->log[0].resent) > 0);
	/* Counted once each, at commit. */
	assert_true(counter_get(&st->log[0].acked) == EVENTS);
	assert_true(counter_get(&st->log[1].acked) == DEAD);
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);
	assert_true(checkpoint(0) == EVENTS);

	/* The local checkpoint set back: the offsets topic says where to go on. */
	snprintf(path, sizeof(path), "%s/events/replicated.ckpt", dir);
	assert_int_equal(ckpt_write(path, 0), 0);
	restart_sends_only_new(true);
}

/* Writes an offsets record into the cluster as another sluiced would. */
static void put_offset(const char *key, const char *value)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];
	rd_kafka_t *p;

	assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
					   rd_kafka_mock_cluster_bootstraps(mcluster), err,
					   sizeof(err)),
			 RD_KAFKA_CONF_OK);
	p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("offsets"),
					   RD_KAFKA_V_KEY(key, strlen(key)),
					   RD_KAFKA_V_VALUE((void *)value, strlen(value)),
					   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
			 0);
	assert_int_equal(rd_kafka_flush(p, 5000), 0);
	rd_kafka_destroy(p);
}

/* Kafka's offsets are trusted only when they fit the log: one past the
 * log's end (another folder under this appliance-id) or behind the local
 * checkpoint (offsets topic reset) gives way to the checkpoint. */
static void test_exactly_once_offsets_that_do_not_fit(void **state)
{
	struct repl *r;

	(void)state;
	write_logs(EVENTS, DEAD);
	snprintf(path, sizeof(path), "%s/events/replicated.ckpt", dir);
	assert_int_equal(ckpt_write(path, 1000), 0);
	put_offset("test/events", "999999");  /* past the log's end */
	put_offset("test/dlq", "0");          /* behind nothing: used */
	r = start_mode(true);
	assert_true(caught_up(r, 30));
	/* Went on from the checkpoint, not from 999999 (nothing sent) nor 0. */
	assert_true(counter_get(&repl_stats(r)->log[0].produced) == EVENTS - 1000);
	assert_true(counter_get(&repl_stats(r)->log[1].produced) == DEAD);
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);

	/* Now Kafka says EVENTS; a checkpoint set ahead of it (offsets topic
	 * reset) wins: nothing is sent again. */
	assert_int_equal(ckpt_write(path, EVENTS), 0);
	put_offset("test/events", "10");
	write_logs(100, 0);
	r = start_mode(true);
	assert_true(caught_up(r, 20));
	assert_true(counter_get(&repl_stats(r)->log[0].produced) == 100);
	assert_int_equal(repl_stop(r, 5000000000ull), 0);
	repl_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replicates_and_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_rewinds_and_resends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_records_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_error_new_producer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exactly_once_aborts_and_resumes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exactly_once_offsets_that_do_not_fit, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
