/* Latency histograms: log-linear bounds, quantiles within 10 %, and the
 * Prometheus rendering. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "platform/histo.h"

static void test_bounds(void **state)
{
	(void)state;
	assert_true(histo_bound_us(0) == 10);
	for (unsigned i = 0; i + 2 < HISTO_BUCKETS; i++) {
		uint64_t lo = histo_bound_us(i), hi = histo_bound_us(i + 1);

		assert_true(hi > lo);
		assert_true(hi * 10 <= lo * 11);  /* at most 10 % wide */
	}
	assert_true(histo_bound_us(HISTO_BUCKETS - 3) < 60000000);
	assert_true(histo_bound_us(HISTO_BUCKETS - 2) >= 60000000);
	assert_true(histo_bound_us(HISTO_BUCKETS - 1) == UINT64_MAX);
}

static void test_quantiles(void **state)
{
	static struct histo h;
	struct histo_snapshot s = { 0 };
	uint64_t q;

	(void)state;
	assert_true(histo_quantile_us(&s, 0.99) == 0);
	histo_observe(&h, 40, 90);
	histo_observe(&h, 3000, 9);
	histo_observe(&h, 100000000, 1);  /* beyond 61 s: +Inf */
	histo_add_to(&h, &s);
	assert_true(s.count == 100);
	assert_true(s.sum_us == 40 * 90 + 3000 * 9 + 100000000ull);
	q = histo_quantile_us(&s, 0.50);
	assert_true(q >= 40 && q <= 44);
	q = histo_quantile_us(&s, 0.95);
	assert_true(q >= 3000 && q <= 3300);
	assert_true(histo_quantile_us(&s, 0.999) == UINT64_MAX);
	/* Bounds are inclusive: exactly 10 us is in the first bucket. */
	histo_observe(&h, 10, 1);
	histo_observe(&h, 11, 1);
	memset(&s, 0, sizeof(s));
	histo_add_to(&h, &s);
	assert_true(s.bucket[0] == 1 && s.bucket[1] == 1);
	/* Every value lands within 10 % below its bucket's bound. */
	for (uint64_t us = 10; us < 60000000; us = us * 3 / 2 + 1) {
		static struct histo one;
		struct histo_snapshot t = { 0 };

		memset(&one, 0, sizeof(one));
		histo_observe(&one, us, 1);
		histo_add_to(&one, &t);
		q = histo_quantile_us(&t, 0.5);
		assert_true(q >= us && q * 10 <= us * 11 + 10);
	}
}

static void test_prometheus(void **state)
{
	static struct histo h;
	struct histo_snapshot s = { 0 };
	static char buf[32768];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	histo_observe(&h, 700, 3);
	histo_observe(&h, 2000000, 1);
	histo_add_to(&h, &s);
	histo_render_prometheus(&s, "x_seconds", "test", f);
	fclose(f);
	assert_non_null(strstr(buf, "# TYPE x_seconds histogram\n"));
	assert_non_null(strstr(buf, "x_seconds_bucket{le=\"0.000010\"} 0\n"));
	assert_non_null(strstr(buf, "x_seconds_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(buf, "x_seconds_count 4\n"));
	assert_non_null(strstr(buf, "x_seconds_sum 2.002100\n"));
	/* Cumulative: 3 at the first bound at or above 700 us, 4 past 2 s. */
	for (unsigned i = 0; i + 1 < HISTO_BUCKETS; i++) {
		char le[64];
		uint64_t b = histo_bound_us(i);
		unsigned want = b >= 2000000 ? 4 : b >= 700 ? 3 : 0;

		snprintf(le, sizeof(le), "x_seconds_bucket{le=\"%llu.%06llu\"} %u\n",
			 (unsigned long long)(b / 1000000), (unsigned long long)(b % 1000000), want);
		assert_non_null(strstr(buf, le));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_prometheus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
