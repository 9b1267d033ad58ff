/* Liveness and readiness from the stamps: a stalled main loop, log service
 * or worker fails /healthz naming it; draining, a refusing disk or Kafka
 * away past the allowed outage fail /readyz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/health.h"

#define S 1000000000ull

static char why[1024];

static bool probe(const struct health *h, bool ready, uint64_t now)
{
	FILE *out = fmemopen(why, sizeof(why), "w");
	bool ok;

	assert_non_null(out);
	ok = ready ? health_ready(h, now, out) : health_live(h, now, out);
	fclose(out);
	return ok;
}

static void fresh(struct health *h, uint64_t now)
{
	atomic_store(&h->main_ns, now);
	atomic_store(&h->service_ns, now);
	for (unsigned i = 0; i < h->workers; i++)
		atomic_store(&h->worker_ns[i], now);
	atomic_store(&h->kafka_up_ns, now);
	atomic_store(&h->ingesting, true);
}

static void test_live(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, 2, 300 * S, 100 * S);
	fresh(&h, 100 * S);
	assert_true(probe(&h, false, 104 * S));
	assert_false(probe(&h, false, 106 * S));
	assert_non_null(strstr(why, "the main loop has not run for 6 s"));
	atomic_store(&h.main_ns, 106 * S);
	assert_false(probe(&h, false, 106 * S));
	assert_non_null(strstr(why, "the log service has not moved for 6 s"));
	assert_non_null(strstr(why, "worker 1 has not moved"));
	atomic_store(&h.service_ns, 106 * S);
	atomic_store(&h.worker_ns[0], 106 * S);
	atomic_store(&h.worker_ns[1], 106 * S);
	assert_true(probe(&h, false, 106 * S));
}

static void test_ready(void **state)
{
	struct health h;

	(void)state;
	health_init(&h, 1, 10 * S, 100 * S);
	fresh(&h, 100 * S);
	assert_true(probe(&h, true, 101 * S));
	atomic_store(&h.ingesting, false);
	assert_false(probe(&h, true, 101 * S));
	assert_non_null(strstr(why, "draining"));
	atomic_store(&h.ingesting, true);
	atomic_store(&h.disk_refusing, true);
	assert_false(probe(&h, true, 101 * S));
	assert_non_null(strstr(why, "free-space mark"));
	atomic_store(&h.disk_refusing, false);
	/* Kafka last seen at 100 s: fine for 10 s, then not. */
	fresh(&h, 111 * S);
	atomic_store(&h.kafka_up_ns, 100 * S);
	assert_false(probe(&h, true, 111 * S));
	assert_non_null(strstr(why, "Kafka not connected for 11 s (allowed 10 s)"));
	atomic_store(&h.kafka_off, true);  /* --kafka none */
	assert_true(probe(&h, true, 111 * S));
	assert_true(probe(&h, false, 111 * S));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_ready),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
