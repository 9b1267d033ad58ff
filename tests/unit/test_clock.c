/* The wall clock watch: a step is seen once, with its size and direction;
 * the steady wall clock moves with the monotonic clock. The clock itself is
 * not stepped here (that is integration test 0029's, with libfaketime): the
 * watch is made to remember an offset 5 s away from the true one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "platform/clock.h"

static void test_step_seen_once(void **state)
{
	struct clock_watch w;
	int64_t step;

	(void)state;
	clock_watch_init(&w);
	assert_int_equal(clock_watch_check(&w), 0);
	w.offset_ns -= 5 * CLOCK_JUMP_NS;  /* as if the clock had just gone 5 s forward */
	step = clock_watch_check(&w);
	assert_true(step > 4 * CLOCK_JUMP_NS && step < 6 * CLOCK_JUMP_NS);
	assert_int_equal(clock_watch_check(&w), 0);
	w.offset_ns += 5 * CLOCK_JUMP_NS;  /* ... and back */
	step = clock_watch_check(&w);
	assert_true(step < -4 * CLOCK_JUMP_NS && step > -6 * CLOCK_JUMP_NS);
	w.offset_ns += CLOCK_JUMP_NS / 2;  /* half a second: slewing, followed */
	assert_int_equal(clock_watch_check(&w), 0);
	assert_int_equal(clock_watch_check(&w), 0);
}

static void test_steady_follows_monotonic(void **state)
{
	struct clock_watch w;
	uint64_t a, b;

	(void)state;
	clock_watch_init(&w);
	a = clock_watch_steady_real_ns(&w);
	assert_true(a >= w.real0_ns);
	w.offset_ns += 100 * CLOCK_JUMP_NS;  /* a step seen does not move it */
	(void)clock_watch_check(&w);
	clock_sleep_ns(2000000);
	b = clock_watch_steady_real_ns(&w);
	assert_true(b - a >= 2000000 && b - a < 1000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_seen_once),
		cmocka_unit_test(test_steady_follows_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
