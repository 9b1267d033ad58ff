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
#include <unistd.h>

#include <cmocka.h>

#include "control/opts.h"
#include "platform/num.h"

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
	/* The DPDK source answers for its addresses: the default 0.0.0.0 is none. */
	expect_refused("--source", "dpdk", "own unicast address");
	expect_refused("--vlans", "1,x", "VLAN ids");
	expect_refused("--frag-timeout-ms", "0", "from 1 to 60000");
	expect_refused("--port", "1024", "from 0 to 1023");
	expect_refused("--mode", "json", "slf1|raw");
	expect_refused("--topic", "a b", "Kafka topic");
	expect_refused("--rcvbuf-bytes", "1", "from 65536");
}

static void test_dpdk_source(void **state)
{
	const char *argv[] = { "sluiced", "--source", "dpdk", "--listen", "udp://192.0.2.10:7611",
			       "--listen", "udp://[2001:db8::10]:7611", "--vlans", "0,100",
			       "--port", "2", "--hugepages", "64" };
	const char *multicast[] = { "sluiced", "--source", "dpdk", "--listen",
				    "udp://239.1.2.3:7611" };

	(void)state;
	assert_int_equal(parse(13, argv), 0);
	assert_int_equal(cfg.listen_count, 2);
	assert_string_equal(cfg.vlans, "0,100");
	assert_true(cfg.port == 2 && cfg.hugepages == 64);
	assert_int_equal(parse(5, multicast), -EINVAL);
	assert_non_null(strstr(errbuf, "udp://239.1.2.3:7611"));
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

static char ini_path[64];

static void write_ini(const char *text)
{
	FILE *f = fopen(ini_path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_config_file(void **state)
{
	const char *argv[] = { "sluiced", "--config", ini_path, "--workers", "4" };

	(void)state;
	write_ini("# an appliance\n[sluiced]\nworkers = 2\ntopic = plant.events\n"
		  "listen = udp://127.0.0.1:7000\nlisten = udp://127.0.0.1:7001\n"
		  "log-level = warning\n");
	assert_int_equal(parse(5, argv), 0);
	assert_true(cfg.workers == 4);               /* the flag overrides the file */
	assert_string_equal(cfg.topic, "plant.events");
	assert_string_equal(cfg.log_level, "warning");
	assert_int_equal(cfg.listen_count, 2);        /* the file's list, not the default */
	assert_string_equal(cfg.listen_uri[1], "udp://127.0.0.1:7001");
	assert_string_equal(cfg.config, ini_path);
}

static void test_config_flag_listen_replaces_file(void **state)
{
	const char *argv[] = { "sluiced", "--listen", "udp://127.0.0.1:9", "--config", ini_path };

	(void)state;
	write_ini("listen = udp://127.0.0.1:7000\nlisten = udp://127.0.0.1:7001\n");
	assert_int_equal(parse(5, argv), 0);
	assert_int_equal(cfg.listen_count, 1);
	assert_string_equal(cfg.listen_uri[0], "udp://127.0.0.1:9");
}

static void expect_file_refused(const char *text, const char *what)
{
	const char *argv[] = { "sluiced", "--config", ini_path };
	char where[96];

	write_ini(text);
	assert_int_equal(parse(3, argv), -EINVAL);
	snprintf(where, sizeof(where), "%s:3:", ini_path);
	assert_non_null(strstr(errbuf, where));      /* file and line */
	assert_non_null(strstr(errbuf, what));
}

static void test_config_file_errors(void **state)
{
	const char *argv[] = { "sluiced", "--config", "/nonexistent/sluice.ini" };

	(void)state;
	expect_file_refused("topic = a\n\nworkers = 99\n", "workers '99': must be a whole number");
	expect_file_refused("topic = a\n\nfrobnicate = 1\n", "unknown setting 'frobnicate'");
	expect_file_refused("topic = a\n\ncheck = 1\n", "unknown setting 'check'");
	expect_file_refused("topic = a\n[other]\nworkers = 1\n", "unknown section [other]");
	expect_file_refused("topic = a\n\nthis is not a setting\n", "not a setting line");
	assert_int_equal(parse(3, argv), -EINVAL);
	assert_non_null(strstr(errbuf, "/nonexistent/sluice.ini"));
}

static void test_reload(void **state)
{
	const char *argv[] = { "sluiced", "--config", ini_path, "--drain-timeout-s", "7" };
	char changed[128], restart[128];
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");

	(void)state;
	write_ini("log-level = info\nworkers = 1\ndrain-timeout-s = 30\n");
	assert_int_equal(parse(5, argv), 0);
	write_ini("log-level = debug\nworkers = 3\ndrain-timeout-s = 60\n");
	assert_int_equal(opts_reload(&cfg, err, changed, sizeof(changed), restart,
				     sizeof(restart)), 0);
	assert_string_equal(cfg.log_level, "debug");  /* reloadable: applied */
	assert_string_equal(changed, "log-level");
	assert_true(cfg.drain_timeout_s == 7);        /* the command line still wins */
	assert_true(cfg.workers == 1);                /* needs a restart */
	assert_string_equal(restart, "workers");
	write_ini("log-level = loud\n");
	assert_int_equal(opts_reload(&cfg, err, changed, sizeof(changed), restart,
				     sizeof(restart)), -EINVAL);
	assert_string_equal(cfg.log_level, "debug");  /* nothing applied */
	fclose(err);
}

/* kafka.* settings pass through, checked by librdkafka when set: a
 * misspelt name, a bad value and the settings sluice's guarantee rests on
 * are refused, naming them; a change reloads on SIGHUP. */
static void test_kafka_settings(void **state)
{
	const char *argv[] = { "sluiced", "--config", ini_path, "--kafka-set", "linger.ms=9" };
	char changed[128], restart[128];
	FILE *err;

	(void)state;
	write_ini("kafka.compression.type = zstd\nkafka.batch.size = 100000\n");
	assert_int_equal(parse(5, argv), 0);
	assert_int_equal(cfg.kafka_props.count, 3);
	assert_string_equal(cfg.kafka_props.p[0].name, "compression.type");
	assert_string_equal(cfg.kafka_props.p[0].value, "zstd");
	assert_string_equal(cfg.kafka_props.p[2].name, "linger.ms");
	expect_refused("--kafka-set", "compresion.type=zstd", "No such configuration property");
	expect_refused("--kafka-set", "compression.type=lz5", "Invalid value");
	expect_refused("--kafka-set", "acks=1", "set by sluice");
	expect_refused("--kafka-set", "enable.idempotence=false", "set by sluice");
	expect_refused("--kafka-set", "bootstrap.servers=x:1", "use --kafka");
	expect_refused("--kafka-set", "linger.ms", "NAME=VALUE");
	expect_file_refused("workers = 1\n# a comment\nkafka.nope = 1\n", "nope");

	write_ini("kafka.compression.type = zstd\n");
	assert_int_equal(parse(3, argv), 0);
	write_ini("kafka.compression.type = lz4\n");
	err = fmemopen(errbuf, sizeof(errbuf), "w");
	assert_int_equal(opts_reload(&cfg, err, changed, sizeof(changed), restart,
				     sizeof(restart)), 0);
	fclose(err);
	assert_string_equal(changed, "kafka.*");
	assert_string_equal(cfg.kafka_props.p[0].value, "lz4");
}

/* Topics per schema: from the file and the command line; a bad schema id
 * or topic name is refused, named. */
static void test_topic_map(void **state)
{
	const char *argv[] = { "sluiced", "--config", ini_path, "--topic-map", "9=nine" };

	(void)state;
	write_ini("topic.7 = seven\n");
	assert_int_equal(parse(5, argv), 0);
	assert_int_equal(cfg.topic_map.count, 2);
	assert_int_equal(cfg.topic_map.e[0].schema_id, 7);
	assert_string_equal(cfg.topic_map.e[1].name, "nine");
	expect_refused("--topic-map", "70000=x", "from 0 to 65535");
	expect_refused("--topic-map", "7=bad/name", "not a valid Kafka topic name");
	expect_refused("--topic-map", "seven", "SCHEMA_ID=TOPIC");
	expect_file_refused("workers = 1\n\ntopic.x = seven\n", "topic.x");
}

static void test_metrics_address(void **state)
{
	const char *good[] = { "sluiced", "--metrics", "[::1]:9611" };

	(void)state;
	assert_int_equal(parse(3, good), 0);
	assert_int_equal(cfg.metrics_addr.ss_family, AF_INET6);
	expect_refused("--metrics", "localhost:9611", "ADDR:PORT or none");
	expect_refused("--metrics", "127.0.0.1", "ADDR:PORT or none");
}

/* The whole numbers operators type (options, admin words) and the
 * offsets topic's values: digits only, 64 bits. strtoull alone takes
 * " 5", "+5" and turns " -1" into 2^64 - 1. */
static void test_num_u64_strict(void **state)
{
	const char *refused[] = { "", " 5", "+5", "-1", " -1", "5 ", "5x", "0x10",
				  "18446744073709551616" };
	uint64_t v = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_false(num_u64(refused[i], &v));
		assert_true(v == 7);
	}
	assert_true(num_u64("0", &v) && v == 0);
	assert_true(num_u64("18446744073709551615", &v) && v == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_num_u64_strict),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_bad_values_named),
		cmocka_unit_test(test_dpdk_source),
		cmocka_unit_test(test_unknown_flag),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_flag_listen_replaces_file),
		cmocka_unit_test(test_config_file_errors),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_metrics_address),
		cmocka_unit_test(test_kafka_settings),
		cmocka_unit_test(test_topic_map),
	};
	int fd, rc;

	strcpy(ini_path, "/tmp/sluice-test-opts-XXXXXX");
	fd = mkstemp(ini_path);
	if (fd < 0)
		return 1;
	close(fd);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(ini_path);
	return rc;
}
