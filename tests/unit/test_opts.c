/* sluiced's settings: defaults, overrides, and bad values refused with a
 * message that names the flag and the value. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/opts.h"

static struct sluiced_config cfg;
static char errbuf[1024];

static int parse(int argc, const char **argv)
{
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	int rc;

	memset(errbuf, 0, sizeof(errbuf));
	rc = opts_parse(&cfg, argc, (char **)argv, err);
	fclose(err);
	return rc;
}

static void test_defaults(void **state)
{
	const char *argv[] = { "sluiced" };

	(void)state;
	assert_int_equal(parse(1, argv), 0);
	assert_string_equal(cfg.source, "socket");
	assert_string_equal(cfg.mode, "slf1");
	assert_int_equal(cfg.listen_count, 1);
	assert_string_equal(cfg.listen_uri[0], "udp://0.0.0.0:7611");
	assert_string_equal(cfg.kafka, "127.0.0.1:19092");
	assert_string_equal(cfg.topic, "sluice.events");
	assert_true(cfg.workers == 1);
	assert_false(cfg.check);
	assert_true(strlen(cfg.appliance_id) > 0);
}

static void test_overrides(void **state)
{
	const char *argv[] = { "sluiced", "--listen", "udp://127.0.0.1:9000",
			       "--listen", "udp://[::1]:9001", "--workers", "3",
			       "--kafka", "none", "--topic", "t1", "--check",
			       "--mode", "raw" };

	(void)state;
	assert_int_equal(parse(14, argv), 0);
	assert_int_equal(cfg.listen_count, 2);
	assert_int_equal(cfg.listen[1].ss_family, AF_INET6);
	assert_true(cfg.workers == 3);
	assert_string_equal(cfg.kafka, "none");
	assert_string_equal(cfg.mode, "raw");
	assert_true(cfg.check);
}

static void expect_refused(const char *flag, const char *value, const char *why)
{
	const char *argv[] = { "sluiced", flag, value };

	assert_int_equal(parse(3, argv), -EINVAL);
	assert_non_null(strstr(errbuf, flag));
	assert_non_null(strstr(errbuf, value));
	assert_non_null(strstr(errbuf, why));
}

static void test_bad_values_named(void **state)
{
	(void)state;
	expect_refused("--workers", "0", "from 1 to 16");
	expect_refused("--workers", "17", "from 1 to 16");
	expect_refused("--workers", "two", "whole number");
	expect_refused("--workers", "-1", "whole number");
	expect_refused("--listen", "tcp://1.2.3.4:5", "udp://ADDR:PORT");
	expect_refused("--listen", "udp://1.2.3.4:70000", "udp://ADDR:PORT");
	expect_refused("--listen", "udp://nohost:1", "udp://ADDR:PORT");
	expect_refused("--source", "pcap", "socket|dpdk");
	expect_refused("--source", "dpdk", "only the socket");
	expect_refused("--mode", "json", "slf1|raw");
	expect_refused("--topic", "a b", "Kafka topic");
	expect_refused("--rcvbuf-bytes", "1", "from 65536");
}

static void test_unknown_flag(void **state)
{
	const char *argv[] = { "sluiced", "--frobnicate", "1" };
	const char *argv2[] = { "sluiced", "--workers" };

	(void)state;
	assert_int_equal(parse(3, argv), -EINVAL);
	assert_non_null(strstr(errbuf, "--frobnicate"));
	assert_int_equal(parse(2, argv2), -EINVAL);
	assert_non_null(strstr(errbuf, "--workers"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_bad_values_named),
		cmocka_unit_test(test_unknown_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
