/* 0025: a real Prometheus (Debian's, as install-deps extracts it) scrapes
 * sluiced's /metrics every second with the alert rules loaded; its HTTP API
 * then answers with the values `sluicectl stats` reports: frames, events,
 * dead letters, a p99 from the latency histogram's buckets, the canary's
 * counter, up == 1, and the rules (no alert firing). Skips without the
 * prometheus binary. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define EVENTS 20000u

IT_FIXTURE("it0025")

static pid_t prom_pid;
static int prom_port;

/* The first sample's value of an instant query, or -1 when there is none. */
static double query(const char *q)
{
	static char body[65536];
	char path[512];
	const char *v;

	snprintf(path, sizeof(path), "/api/v1/query?query=%s", q);
	if (it_http_get(prom_port, path, body, sizeof(body)) != 200)
		return -1;
	v = strstr(body, "\"value\":[");
	if (!v || !(v = strstr(v, ",\"")))
		return -1;
	return strtod(v + 2, NULL);
}

static void start_prometheus(const char *dir, int metrics_port)
{
	char cfg[256], tsdb[256], listen[64], cfgflag[300], tsdbflag[300];
	FILE *f;

	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", dir);
	snprintf(tsdb, sizeof(tsdb), "%s/tsdb", dir);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		"rule_files:\n  - %s/platform/prometheus/sluice-alerts.yml\n"
		"scrape_configs:\n  - job_name: sluice\n    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n", it_path("SOURCE_ROOT"), metrics_port);
	fclose(f);
	prom_port = it_free_tcp_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", prom_port);
	snprintf(cfgflag, sizeof(cfgflag), "--config.file=%s", cfg);
	snprintf(tsdbflag, sizeof(tsdbflag), "--storage.tsdb.path=%s", tsdb);
	prom_pid = fork();
	assert_true(prom_pid >= 0);
	if (prom_pid == 0) {
		char logp[300];

		snprintf(logp, sizeof(logp), "%s/prometheus.log", dir);
		if (!freopen(logp, "w", stdout) || !freopen(logp, "a", stderr))
			_exit(127);
		execlp("prometheus", "prometheus", cfgflag, tsdbflag, listen, "--log.level=warn",
		       (char *)NULL);
		_exit(127);
	}
}

static void test_prometheus_scrapes(void **state)
{
	char cmd[1024], out[4096], extra[256];
	int metrics_port = it_free_tcp_port();
	uint64_t deadline, frames, durable, dlq;
	double v = -1;

	(void)state;
	if (it_run("command -v prometheus", NULL, 0) != 0) {
		fprintf(stderr, "0025: skipped: prometheus is missing (platform/install-deps "
				"extracts it from Debian's package)\n");
		exit(IT_SKIP);
	}
	snprintf(extra, sizeof(extra), "--metrics 127.0.0.1:%d --canary-interval-s 1", metrics_port);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, extra), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count %u --faults 10 "
		 "--rate 50000", it_path("SLUICE_GEN"), daemon_.listen, EVENTS);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	deadline = it_now_ms() + 30000;
	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (!it_accounted(json, EVENTS) && it_now_ms() < deadline);
	frames = it_json_u64(json, "frames_received");
	durable = it_json_u64(json, "events_durable");
	dlq = it_json_u64(json, "dlq_records");
	assert_true(frames == EVENTS && dlq > 0);

	start_prometheus(daemon_.dir, metrics_port);
	deadline = it_now_ms() + 60000;
	while (it_now_ms() < deadline && (v = query("sluice_frames_received_total")) < 0)
		usleep(500000);
	fprintf(stderr, "0025: prometheus says sluice_frames_received_total %.0f\n", v);
	assert_true(v == (double)frames);
	assert_true(query("sluice_events_durable_total") == (double)durable);
	assert_true(query("sluice_dlq_records_total") == (double)dlq);
	assert_true(query("up%7Bjob%3D%22sluice%22%7D") == 1);
	v = query("histogram_quantile%280.99%2Csluice_latency_durable_seconds_bucket%29");
	fprintf(stderr, "0025: p99 arrival to durable from the buckets: %.6f s\n", v);
	assert_true(v > 0 && v < 10);
	deadline = it_now_ms() + 30000;
	while (it_now_ms() < deadline && query("sluice_canary_arrived_total") < 1)
		usleep(500000);
	assert_true(query("sluice_canary_arrived_total") >= 1);
	{
		static char body[65536];

		assert_int_equal(it_http_get(prom_port, "/api/v1/rules", body, sizeof(body)), 200);
		assert_non_null(strstr(body, "\"name\":\"SluiceCanaryStale\""));
		assert_non_null(strstr(body, "\"health\":\"ok\""));
		assert_null(strstr(body, "\"state\":\"firing\""));
	}
	kill(prom_pid, SIGTERM);
	waitpid(prom_pid, NULL, 0);
	prom_pid = 0;
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

static int teardown_all(void **state)
{
	if (prom_pid > 0) {
		kill(prom_pid, SIGKILL);
		waitpid(prom_pid, NULL, 0);
	}
	return teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prometheus_scrapes, setup, teardown_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
