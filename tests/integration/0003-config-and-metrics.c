/* 0003: the operator's surfaces. Bad flags and bad config lines are refused
 * at start with a message naming them; --check prints the configuration;
 * the Prometheus endpoint agrees with `sluicectl stats`; SIGHUP reloads the
 * settings that can change at run time; folders any user could write to
 * are refused and the admin socket is 0660; a read-only socket serves a
 * monitoring group. Runs with --kafka none. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

static struct it_daemon daemon_;
static char json[8192], ini[256];

static int setup(void **state)
{
	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	if (!mkdtemp(daemon_.dir))
		return -1;
	snprintf(ini, sizeof(ini), "%s/sluiced.ini", daemon_.dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return it_fixture_teardown(&daemon_);
}

static void write_ini(const char *text)
{
	FILE *f = fopen(ini, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Runs sluiced with args; returns its exit status and its stderr in out. */
static int sluiced_run(const char *args, char *out, size_t size)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "'%s' -- %s 2>&1", it_path("SLUICED"), args);
	return it_run(cmd, out, size);
}

static void test_refused_at_start(void **state)
{
	char out[4096], args[512];

	(void)state;
	assert_int_equal(sluiced_run("--workers 0 --kafka none", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--workers '0'"));
	assert_int_equal(sluiced_run("--listen tcp://127.0.0.1:1", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--listen 'tcp://127.0.0.1:1'"));
	assert_int_equal(sluiced_run("--source pcap", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--source 'pcap'"));
	write_ini("kafka = none\nsegment-bytes = 12\n");
	snprintf(args, sizeof(args), "--config '%s'", ini);
	assert_int_equal(sluiced_run(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, ":2: segment-bytes '12'"));
	write_ini("kafka = none\ntopic = plant.events\n");
	snprintf(args, sizeof(args), "--config '%s' --check --workers 2", ini);
	assert_int_equal(sluiced_run(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "topic = plant.events"));
	assert_non_null(strstr(out, "workers = 2"));
	assert_non_null(strstr(out, "configuration OK"));
}

/* Folders any user could write to are refused; the admin socket is
 * owner-and-group only even under umask 000. */
static void test_private_folders(void **state)
{
	char out[4096], args[1024], open_dir[256];
	struct stat st;
	mode_t old;

	(void)state;
	snprintf(open_dir, sizeof(open_dir), "%s/open", daemon_.dir);
	assert_int_equal(mkdir(open_dir, 0700), 0);
	assert_int_equal(chmod(open_dir, 0777), 0);
	snprintf(args, sizeof(args), "--kafka none --listen udp://127.0.0.1:%d --data-dir '%s' "
		 "--admin-socket '%s/a.sock'", it_free_udp_port(), open_dir, daemon_.dir);
	assert_int_not_equal(sluiced_run(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "every user can write to it (mode 0777)"));
	snprintf(args, sizeof(args), "--kafka none --listen udp://127.0.0.1:%d --data-dir "
		 "'%s/data' --admin-socket '%s/a.sock'", it_free_udp_port(), daemon_.dir, open_dir);
	assert_int_not_equal(sluiced_run(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "every user can write to its folder"));

	old = umask(0);
	assert_int_equal(it_daemon_start(&daemon_, "none", "it0003", NULL), 0);
	umask(old);
	assert_int_equal(stat(daemon_.sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 20), 0);
}

/* A read-only socket for a monitoring group: its members read stats but
 * cannot pause replication, and cannot use the admin socket; others
 * cannot connect at all. Needs root, groupadd, useradd and runuser. */
static void test_read_only_socket(void **state)
{
	char cmd[1024], out[8192], ro[256], extra[512];
	struct group *gr;
	struct stat st;

	(void)state;
	if (geteuid() != 0 ||
	    it_run("command -v groupadd && command -v useradd && command -v runuser", NULL, 0)) {
		fprintf(stderr, "0003: read-only socket skipped: needs root, groupadd, useradd, "
				"runuser\n");
		skip();
	}
	it_run("getent group sluice-it-ro >/dev/null || groupadd sluice-it-ro", NULL, 0);
	it_run("id sluice-it-ro >/dev/null 2>&1 || useradd -M -N -g sluice-it-ro sluice-it-ro",
	       NULL, 0);
	gr = getgrnam("sluice-it-ro");
	assert_non_null(gr);
	assert_int_equal(chmod(daemon_.dir, 0711), 0);  /* others may reach the sockets */
	snprintf(ro, sizeof(ro), "%s/ro.sock", daemon_.dir);
	snprintf(extra, sizeof(extra), "--read-socket '%s' --read-group sluice-it-ro", ro);
	assert_int_equal(it_daemon_start(&daemon_, "none", "it0003", extra), 0);
	assert_int_equal(stat(ro, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, gr->gr_gid);

	snprintf(cmd, sizeof(cmd), "runuser -u sluice-it-ro -- '%s' --socket '%s' stats --json",
		 it_path("SLUICECTL"), ro);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"frames_received\""));
	snprintf(cmd, sizeof(cmd), "runuser -u sluice-it-ro -- '%s' --socket '%s' replication "
		 "pause 2>&1", it_path("SLUICECTL"), ro);
	it_run(cmd, out, sizeof(out));
	assert_non_null(strstr(out, "this socket is read-only"));
	snprintf(cmd, sizeof(cmd), "runuser -u sluice-it-ro -- '%s' --socket '%s' status",
		 it_path("SLUICECTL"), daemon_.sock);
	assert_int_not_equal(it_run(cmd, NULL, 0), 0);  /* the admin socket: not theirs */
	snprintf(cmd, sizeof(cmd), "runuser -u nobody -- '%s' --socket '%s' status",
		 it_path("SLUICECTL"), ro);
	assert_int_not_equal(it_run(cmd, NULL, 0), 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 20), 0);

	snprintf(cmd, sizeof(cmd), "--kafka none --listen udp://127.0.0.1:%d --data-dir '%s/data' "
		 "--admin-socket '%s/a.sock' --admin-group no-such-group-0003",
		 it_free_udp_port(), daemon_.dir, daemon_.dir);
	assert_int_not_equal(sluiced_run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--admin-group 'no-such-group-0003': no such group"));
}

/* /healthz says the threads move; /readyz also wants Kafka, within the
 * allowed outage: here a broker address nobody answers on. */
static void test_probes(void **state)
{
	char extra[512], body[4096];
	int port = it_free_tcp_port();
	uint64_t deadline;
	int status;

	(void)state;
	snprintf(extra, sizeof(extra), "--metrics 127.0.0.1:%d --ready-kafka-outage-s 2", port);
	snprintf(body, sizeof(body), "127.0.0.1:%d", it_free_tcp_port());
	assert_int_equal(it_daemon_start(&daemon_, body, "it0003", extra), 0);
	assert_int_equal(it_http_get(port, "/healthz", body, sizeof(body)), 200);
	assert_string_equal(body, "ok\n");
	deadline = it_now_ms() + 15000;
	do {
		usleep(200000);
		status = it_http_get(port, "/readyz", body, sizeof(body));
	} while (status == 200 && it_now_ms() < deadline);
	assert_int_equal(status, 503);
	assert_non_null(strstr(body, "Kafka not connected for"));
	assert_int_equal(it_http_get(port, "/healthz", body, sizeof(body)), 200);
	/* A stalled thread's 503 is unit/health's: its stamps, not a stopped
	 * process, which answers nothing at all. */
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 20), 0);
}

/* Idle, the socket source, the log service and the replicator sleep in
 * the kernel: under 2 % of a core and 100 wakeups a second (this build has
 * ASan), without Kafka and with it. */
static void test_idle_costs_nothing(void **state)
{
	char bootstrap[256];
	uint64_t t0, t1, c0, c1;
	long hz = sysconf(_SC_CLK_TCK);

	(void)state;
	assert_int_equal(it_kafka_start(bootstrap, sizeof(bootstrap)), 0);
	for (int with_kafka = 0; with_kafka < 2; with_kafka++) {
		assert_int_equal(it_daemon_start(&daemon_, with_kafka ? bootstrap : "none",
						 "it0003-idle", "--workers 2"), 0);
		sleep(3);  /* past start-up */
		assert_int_equal(it_proc_usage(daemon_.pid, &t0, &c0), 0);
		sleep(10);
		assert_int_equal(it_proc_usage(daemon_.pid, &t1, &c1), 0);
		fprintf(stderr, "0003: idle for 10 s %s Kafka: %" PRIu64 " CPU ticks (of %ld/s), "
			"%" PRIu64 " context switches\n", with_kafka ? "with" : "without",
			t1 - t0, hz, c1 - c0);
		assert_true((t1 - t0) * 100 <= (uint64_t)hz * 10 * 2);  /* < 2 % of a core */
		assert_true(c1 - c0 < 10 * 100);
		assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 20), 0);
	}
}

static uint64_t prom(const char *body, const char *name)
{
	char pat[160];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s ", name);
	p = strstr(body, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : UINT64_MAX;
}

static void test_metrics_and_reload(void **state)
{
	static char body[65536];
	char cmd[1024], extra[512], out[4096];
	int port = it_free_tcp_port();
	uint64_t deadline, by_reason = 0;

	(void)state;
	write_ini("log-level = info\nworkers = 1\n");
	snprintf(extra, sizeof(extra), "--config '%s' --metrics 127.0.0.1:%d", ini, port);
	assert_int_equal(it_daemon_start(&daemon_, "none", "it0003", extra), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 20 --count 20000 --batch 3 --faults 20",
		 it_path("SLUICE_GEN"), daemon_.listen);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	deadline = it_now_ms() + 30000;
	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	} while (!it_accounted(json, 20000) && it_now_ms() < deadline);
	assert_true(it_json_u64(json, "frames_received") == 20000);
	assert_int_equal(it_http_get(port, "/metrics", body, sizeof(body)), 200);
	assert_true(prom(body, "sluice_frames_received_total") == 20000);
	assert_true(prom(body, "sluice_events_durable_total") == it_json_u64(json, "events_durable"));
	assert_true(prom(body, "sluice_dlq_records_total") == it_json_u64(json, "dlq_records"));
	assert_true(prom(body, "sluice_events_durable_total") + prom(body, "sluice_dlq_records_total") == 20000);
	assert_true(prom(body, "sluice_log_durable_offset{log=\"events\"}") ==
		    it_json_u64(json, "events_durable"));
	for (const char *r = strstr(body, "sluice_dlq_by_reason_total{"); r;
	     r = strstr(r + 1, "sluice_dlq_by_reason_total{"))
		by_reason += strtoull(strchr(r, '}') + 2, NULL, 10);
	assert_true(by_reason == it_json_u64(json, "dlq_records"));
	assert_true(it_json_u64(json, "dlq_records") > 100);
	assert_non_null(strstr(body, "# TYPE sluice_replication_lag_events gauge"));
	/* Prometheus' own linter: names, units, types. */
	assert_int_not_equal(it_promtool_check(port), -1);
	assert_int_equal(it_http_get(port, "/other", body, sizeof(body)), 404);

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' status --json", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"state\":\"running\""));
	/* The newest 20 dead letters, each with its reason; the segments. */
	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' dlq --json | grep -c '\"dlq_reason\":\"'",
		 it_path("SLUICECTL"), daemon_.sock);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 20);
	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' segments --json", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "{\"log\":\"events\",\"base_offset\":0,"));
	assert_non_null(strstr(out, "\"replicated\":false"));  /* --kafka none */

	write_ini("log-level = debug\nworkers = 2\n");
	kill(daemon_.pid, SIGHUP);
	snprintf(cmd, sizeof(cmd), "grep -q 'changed: log-level' '%s' && "
		 "grep -q 'only applied at restart: workers' '%s'", daemon_.log, daemon_.log);
	deadline = it_now_ms() + 5000;
	while (it_run(cmd, NULL, 0) != 0 && it_now_ms() < deadline)
		usleep(50000);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
}

/* Datagrams the kernel could not queue are counted too: with a tiny socket
 * buffer and the daemon stopped, a burst overflows; afterwards every
 * datagram sent is either a received frame or a missed packet. */
static void test_overflow_counted(void **state)
{
	char cmd[1024], out[2048];
	uint64_t deadline, got = 0, missed = 0;

	(void)state;
	assert_int_equal(it_daemon_start(&daemon_, "none", "it0003", "--rcvbuf-bytes 65536"), 0);
	kill(daemon_.pid, SIGSTOP);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 4 --count 20000 --batch 1",
		 it_path("SLUICE_GEN"), daemon_.listen);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	kill(daemon_.pid, SIGCONT);
	deadline = it_now_ms() + 20000;
	do {
		usleep(100000);
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		got = it_json_u64(json, "frames_received");
		missed = it_json_u64(json, "rx_missed_packets");
	} while (got + missed < 20000 && it_now_ms() < deadline);
	fprintf(stderr, "received %" PRIu64 ", missed %" PRIu64 "\n", got, missed);
	assert_true(missed > 0);
	assert_true(got + missed == 20000);
	assert_true(it_accounted(json, got));
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_costs_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_and_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
