/* Latency histograms: buckets, quantiles and the Prometheus rendering. */
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

static void test_quantiles(void **state)
{
	static struct histo h;
	struct histo_snapshot s = { 0 };

	(void)state;
	assert_true(histo_quantile_us(&s, 0.99) == 0);
	histo_observe(&h, 40, 90);        /* <= 50 us */
	histo_observe(&h, 3000, 9);       /* <= 5 ms */
	histo_observe(&h, 20000000, 1);   /* beyond 10 s: +Inf */
	histo_add_to(&h, &s);
	assert_true(s.count == 100);
	assert_true(s.sum_us == 40 * 90 + 3000 * 9 + 20000000ull);
	assert_true(histo_quantile_us(&s, 0.50) == 50);
	assert_true(histo_quantile_us(&s, 0.90) == 50);
	assert_true(histo_quantile_us(&s, 0.95) == 5000);
	assert_true(histo_quantile_us(&s, 0.999) == UINT64_MAX);
	/* Bounds are inclusive: exactly 50 us is in the first bucket. */
	histo_observe(&h, 50, 1);
	memset(&s, 0, sizeof(s));
	histo_add_to(&h, &s);
	assert_true(s.bucket[0] == 91);
}

static void test_prometheus(void **state)
{
	static struct histo h;
	struct histo_snapshot s = { 0 };
	char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	histo_observe(&h, 700, 3);
	histo_observe(&h, 2000000, 1);
	histo_add_to(&h, &s);
	histo_render_prometheus(&s, "x_seconds", "test", f);
	fclose(f);
	assert_non_null(strstr(buf, "# TYPE x_seconds histogram\n"));
	assert_non_null(strstr(buf, "x_seconds_bucket{le=\"0.0005\"} 0\n"));
	assert_non_null(strstr(buf, "x_seconds_bucket{le=\"0.001\"} 3\n"));
	assert_non_null(strstr(buf, "x_seconds_bucket{le=\"2.5\"} 4\n"));  /* cumulative */
	assert_non_null(strstr(buf, "x_seconds_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(buf, "x_seconds_count 4\n"));
	assert_non_null(strstr(buf, "x_seconds_sum 2.002100\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_prometheus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
