/* Idle RX queues in sleep mode: they poll RX_POWER_SPIN_POLLS times before
 * the first sleep, double each sleep up to the bound, and go back to
 * polling at the first packet; busy mode never sleeps. (Interrupt mode
 * needs a device: integration test 0007, on net_tap.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dataplane/rx_power.h"
#include "platform/clock.h"

static void idle_polls(struct rx_power *p, unsigned n, bool want_sleep)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(rx_power_idle(p), want_sleep);
}

static void test_sleep_backoff(void **state)
{
	struct rx_power p;
	char err[128];
	uint64_t t0, took;

	(void)state;
	assert_int_equal(rx_power_init(&p, RX_POWER_SLEEP, 0, 0, 200000, err, sizeof(err)), 0);
	idle_polls(&p, RX_POWER_SPIN_POLLS - 1, false);
	t0 = clock_mono_ns();
	assert_true(rx_power_idle(&p));
	took = clock_mono_ns() - t0;
	assert_true(took >= RX_POWER_SLEEP_MIN_NS);
	for (int i = 0; i < 20; i++)
		assert_true(rx_power_idle(&p));
	assert_true(p.sleep_ns == 200000);        /* doubled to the bound, no further */
	t0 = clock_mono_ns();
	assert_true(rx_power_idle(&p));
	assert_true(clock_mono_ns() - t0 >= 200000);
	assert_true(counter_get(&p.sleeps) == 22);
	rx_power_busy(&p);                        /* a packet: poll again */
	assert_true(p.sleep_ns == RX_POWER_SLEEP_MIN_NS);
	idle_polls(&p, RX_POWER_SPIN_POLLS - 1, false);
	assert_true(rx_power_idle(&p));
	rx_power_close(&p);
}

static void test_busy_never_sleeps(void **state)
{
	struct rx_power p;
	char err[128];

	(void)state;
	assert_int_equal(rx_power_init(&p, RX_POWER_BUSY, 0, 0, 1000000, err, sizeof(err)), 0);
	idle_polls(&p, 10 * RX_POWER_SPIN_POLLS, false);
	assert_true(counter_get(&p.sleeps) == 0);
	rx_power_close(&p);
}

static void test_mode_names(void **state)
{
	enum rx_power_mode m;

	(void)state;
	assert_int_equal(rx_power_mode_parse("interrupt", &m), 0);
	assert_int_equal(m, RX_POWER_INTERRUPT);
	assert_string_equal(rx_power_mode_name(RX_POWER_SLEEP), "sleep");
	assert_int_equal(rx_power_mode_parse("doze", &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sleep_backoff),
		cmocka_unit_test(test_busy_never_sleeps),
		cmocka_unit_test(test_mode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
