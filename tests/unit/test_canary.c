/* The canary's schedule and settling, driven by a fake clock and by hand-set
 * stage counters: when it is sent, when it counts as arrived (Kafka's ack,
 * or the disk with kafka none), dropped or lost, what is skipped while one
 * is on its way, and the age the stale alert watches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/canary.h"
#include "dataplane/slf.h"

#define S 1000000000ull

static struct worker *worker;
static struct log_writer_stats log_st;
static struct repl_stats repl_st;

static int setup(void **state)
{
	struct worker_config wc = { 0 };

	(void)state;
	memset(&log_st, 0, sizeof(log_st));
	memset(&repl_st, 0, sizeof(repl_st));
	worker = worker_create(&wc);
	return worker ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	worker_destroy(worker);
	return 0;
}

static void init(struct canary *c, uint64_t interval_s, bool kafka)
{
	struct canary_config cc = { .interval_ns = interval_s * S, .stale_ns = 180 * S,
				    .schema_id = 4,
				    .source_id = 77, .seq_base = 3ull << 40,
				    .appliance_id = "edge-1" };

	canary_init(c, &cc, kafka, 100 * S);
}

static void run(struct canary *c, bool kafka, uint64_t at_s)
{
	struct canary_path p = { .worker = worker, .log = &log_st,
				 .repl = kafka ? &repl_st : NULL };

	canary_run(c, &p, false, 100 * S + at_s * S);
}

/* The worker takes the mailbox: checks the frame the canary built. */
static void take(uint64_t want_seq)
{
	struct slf_frame f[2];
	struct slf_fault fault;
	uint32_t len = atomic_load(&worker->inject.len);

	assert_true(len > 0);
	assert_int_equal(slf_parse(worker->inject.data, len, f, 2, &fault), 1);
	assert_int_equal(fault.reason, SLF_OK);
	assert_int_equal(f[0].flags, SLF_FLAG_CANARY);
	assert_true(f[0].source_id == 77 && f[0].schema_id == 4 && f[0].seq == want_seq);
	assert_non_null(memmem(f[0].payload, f[0].payload_len, "edge-1", 6));
	atomic_store(&worker->inject.len, 0);
}

static char *render(const struct canary *c, uint64_t at_s, int json)
{
	static char buf[2048];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	canary_render(c, 100 * S + at_s * S, f, json);
	fclose(f);
	return buf;
}

static void test_arrives_at_kafka(void **state)
{
	struct canary c;

	(void)state;
	init(&c, 10, true);
	run(&c, true, 4);
	assert_true(counter_get(&c.sent) == 0);       /* the first goes after 5 s */
	run(&c, true, 5);
	assert_true(counter_get(&c.sent) == 1);
	take(3ull << 40);
	counter_add(&log_st.canaries_durable, 1);
	counter_set(&log_st.canary_durable_ns, 2000000);
	run(&c, true, 6);
	assert_true(counter_get(&c.arrived) == 0);    /* durable is not there yet */
	counter_add(&repl_st.canaries_acked, 1);
	counter_set(&repl_st.canary_ack_ns, 7000000);
	run(&c, true, 7);
	assert_true(counter_get(&c.arrived) == 1);
	assert_true(counter_get(&c.last_durable_ns) == 2000000);
	assert_true(counter_get(&c.last_kafka_ns) == 7000000);
	assert_true(canary_age_us(&c, 100 * S + 9 * S) == 2000000);
	assert_non_null(strstr(render(&c, 9, 1), "\"result\":\"arrived\",\"durable_seconds\":"
						 "0.002000,\"kafka_seconds\":0.007000}"));
	assert_non_null(strstr(render(&c, 9, 0), "Kafka ack in 7.000 ms"));
}

/* While one is on its way (Kafka away), the next ones are skipped, the
 * age grows, and the text says STALE past interval + 3 minutes. */
static void test_stuck_is_skipped_and_ages(void **state)
{
	struct canary c;

	(void)state;
	init(&c, 10, true);
	run(&c, true, 5);
	take(3ull << 40);
	counter_add(&log_st.canaries_durable, 1);
	for (uint64_t t = 15; t <= 205; t += 10)
		run(&c, true, t);
	assert_true(counter_get(&c.sent) == 1);
	assert_true(counter_get(&c.skipped) == 20);
	assert_true(canary_age_us(&c, 100 * S + 205 * S) == 205000000);
	assert_non_null(strstr(render(&c, 205, 0), "(STALE)"));
	assert_true(canary_stale(&c, 100 * S + 205 * S));
	assert_false(canary_stale(&c, 100 * S + 185 * S));  /* 10 s + 180 s not yet past */
	assert_non_null(strstr(render(&c, 205, 1), "\"pending\":true"));
	counter_add(&repl_st.canaries_acked, 1);
	run(&c, true, 206);
	assert_true(counter_get(&c.arrived) == 1);
	run(&c, true, 215);
	assert_true(counter_get(&c.sent) == 2);
	take((3ull << 40) + 1);
}

/* Refused at the door, or lost by the disk: failed, and the next goes on
 * schedule. A mailbox the worker has not emptied skips the turn. */
static void test_dropped_lost_and_busy(void **state)
{
	struct canary c;

	(void)state;
	init(&c, 10, true);
	run(&c, true, 5);
	take(3ull << 40);
	counter_add(&worker->stats.canaries_dropped, 1);
	run(&c, true, 6);
	assert_true(counter_get(&c.failed) == 1);
	assert_non_null(strstr(render(&c, 6, 1), "\"result\":\"dropped\""));
	run(&c, true, 15);
	assert_true(counter_get(&c.sent) == 2);
	counter_add(&log_st.canaries_lost, 1);
	run(&c, true, 16);
	assert_true(counter_get(&c.failed) == 2);
	assert_non_null(strstr(render(&c, 16, 1), "\"result\":\"lost\""));
	run(&c, true, 25);                          /* never taken: busy */
	assert_true(counter_get(&c.sent) == 2);
	assert_true(counter_get(&c.skipped) == 1);
	assert_true(canary_age_us(&c, 100 * S + 25 * S) == 25000000);
}

/* kafka none: the disk is where it arrives; interval 0: no canary. */
static void test_no_kafka_and_off(void **state)
{
	struct canary c;

	(void)state;
	init(&c, 1, false);
	run(&c, false, 1);
	take(3ull << 40);
	counter_add(&log_st.canaries_durable, 1);
	counter_set(&log_st.canary_durable_ns, 1500000);
	run(&c, false, 1);
	assert_true(counter_get(&c.arrived) == 1);
	assert_null(strstr(render(&c, 1, 1), "kafka_seconds"));
	init(&c, 0, true);
	for (uint64_t t = 0; t < 100; t += 7)
		run(&c, true, t);
	assert_true(counter_get(&c.sent) == 0);
	assert_int_equal(atomic_load(&worker->inject.len), 0);
	assert_non_null(strstr(render(&c, 1, 0), "canary off"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arrives_at_kafka, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck_is_skipped_and_ages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_lost_and_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_kafka_and_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
