/* 0024: least privilege. sluiced started as root with --user drops to that
 * user once its sockets and files are open: /proc shows the uid and gid,
 * no supplementary groups, and no capability in any thread (socket source)
 * or only net_admin and net_raw in the main thread (DPDK, net_pcap); events
 * still become durable, new segments belong to the user, and a restart
 * finds the folder as it left it. An unknown user, and a data folder whose
 * parent the user cannot enter, are refused by name. Needs root and
 * useradd; skips otherwise. */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "tests/common/frames.h"

#define USER "sluice-it-run"
#define EVENTS 20000u
#define PCAP_EVENTS 50u

IT_FIXTURE("it0024")

static uid_t uid;

/* A /proc/PID[/task/TID]/status field's value. */
static void proc_field(const char *status_path, const char *field, char *val, size_t size)
{
	char line[256];
	FILE *f = fopen(status_path, "r");

	assert_non_null(f);
	val[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':') {
			snprintf(val, size, "%s", line + strlen(field) + 1 + strspn(line + strlen(field) + 1, " \t"));
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

/* Every thread's effective capabilities are want; the main thread's uid,
 * groups and bounding set are the user's and want. */
static void check_process(pid_t pid, const char *want)
{
	char path[128], val[128], uids[64], cmd[256], tids[4096];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(uids, sizeof(uids), "%u\t%u\t%u\t%u", (unsigned)uid, (unsigned)uid,
		 (unsigned)uid, (unsigned)uid);
	proc_field(path, "Uid", val, sizeof(val));
	assert_string_equal(val, uids);
	proc_field(path, "Groups", val, sizeof(val));
	assert_string_equal(val, "");
	proc_field(path, "CapPrm", val, sizeof(val));
	assert_string_equal(val, want);
	proc_field(path, "CapBnd", val, sizeof(val));
	assert_string_equal(val, want);
	snprintf(cmd, sizeof(cmd), "ls /proc/%d/task", (int)pid);
	assert_int_equal(it_run(cmd, tids, sizeof(tids)), 0);
	for (char *t = strtok(tids, "\n"); t; t = strtok(NULL, "\n")) {
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, t);
		proc_field(path, "CapEff", val, sizeof(val));
		/* Threads started before the drop lost everything with the uid. */
		assert_true(strcmp(val, want) == 0 || strcmp(val, "0000000000000000") == 0);
		proc_field(path, "Uid", val, sizeof(val));
		assert_string_equal(val, uids);
	}
}

static void wait_durable(uint64_t n)
{
	uint64_t deadline = it_now_ms() + 60000;

	do {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_accounted(json, n) && it_json_u64(json, "events_durable") >= n)
			return;
		usleep(100000);
	} while (it_now_ms() < deadline);
	fail_msg("fewer than %" PRIu64 " events durable: %s", n, json);
}

static int setup_user(void **state)
{
	struct passwd *pw;

	if (setup(state) < 0)
		return -1;
	if (geteuid() != 0 || it_run("command -v useradd", NULL, 0) != 0) {
		fprintf(stderr, "0024: skipped: needs root and useradd\n");
		exit(IT_SKIP);
	}
	it_run("id " USER " >/dev/null 2>&1 || useradd -M -N -s /usr/sbin/nologin " USER, NULL, 0);
	pw = getpwnam(USER);
	if (!pw)
		return -1;
	uid = pw->pw_uid;
	return 0;
}

static void test_socket_source(void **state)
{
	char cmd[1024], out[4096], extra[256];
	struct stat st;

	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	assert_int_equal(chmod(daemon_.dir, 0711), 0);  /* the user may pass through */
	snprintf(extra, sizeof(extra), "--user " USER " --segment-bytes 1048576 --zstd-level 0");
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, extra), 0);
	check_process(daemon_.pid, "0000000000000000");
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count %u --payload 200 "
		 "--rate 50000", it_path("SLUICE_GEN"), daemon_.listen, EVENTS);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	wait_durable(EVENTS);
	/* Segments rolled after the drop belong to the user. */
	snprintf(cmd, sizeof(cmd), "find '%s/data/events' -name '*.log' -user " USER " | wc -l",
		 daemon_.dir);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	fprintf(stderr, "0024: %s segments of the user's\n", strtok(out, "\n"));
	assert_true(atoi(out) >= 3);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data/events", daemon_.dir);
	assert_int_equal(stat(cmd, &st), 0);
	assert_true(st.st_uid == uid);

	/* Again: the log it left opens whole and grows. */
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, extra), 0);
	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count 1000 --source-base 100",
		 it_path("SLUICE_GEN"), daemon_.listen);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	wait_durable(1000);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_verify(cmd), 0);
}

static void expect_refusal(const char *data_dir, const char *user, const char *why)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd), "'%s' -- --data-dir '%s' --admin-socket '%s.sock' --kafka none "
		 "--listen udp://127.0.0.1:%d --user %s 2>&1", it_path("SLUICED"), data_dir,
		 data_dir, it_free_udp_port(), user);
	assert_int_not_equal(it_run(cmd, out, sizeof(out)), 0);
	fprintf(stderr, "0024: refused: %s", out);
	assert_non_null(strstr(out, why));
}

static void test_refusals(void **state)
{
	char dir[64] = "/tmp/sluice-it-XXXXXX", data[128];

	(void)state;
	assert_non_null(mkdtemp(dir));  /* 0700: closed to the user */
	snprintf(data, sizeof(data), "%s/data", dir);
	expect_refusal(data, "no-such-user-0024", "--user 'no-such-user-0024': no such user");
	expect_refusal(data, USER, "is out of reach");
	snprintf(data, sizeof(data), "rm -rf '%s'", dir);
	it_run(data, NULL, 0);
}

/* DPDK on net_pcap: the capture is opened by the EAL as root; after the
 * drop the PMD reads it, and only net_admin and net_raw remain. */
static void test_dpdk_source(void **state)
{
	static uint8_t buf[FRAMES_MAX], dgram[2048];
	struct frames_l2 l2 = { .dst = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 },
				.src = { 0x02, 0, 0, 0, 0, 1 }, .vlan = -1 };
	struct frames_ip ip = { .family = 4, .src = { 192, 0, 2, 1 }, .dst = { 192, 0, 2, 10 } };
	char in[192];
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump;

	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	assert_int_equal(chmod(daemon_.dir, 0711), 0);
	snprintf(in, sizeof(in), "%s/in.pcap", daemon_.dir);
	dump = pcap_dump_open(dead, in);
	assert_non_null(dump);
	for (uint32_t k = 0; k < PCAP_EVENTS; k++) {
		struct pcap_pkthdr h = { .ts = { .tv_sec = 1700000000 } };
		uint32_t dlen = frames_slf1(dgram, k % 5, k / 5, 100);

		h.caplen = h.len = frames_udp(buf, &l2, &ip, 40000, 7611, dgram, dlen);
		pcap_dump((u_char *)dump, &h, buf);
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args), "--no-pci --vdev 'net_pcap0,rx_pcap=%s'",
		 in);
	snprintf(daemon_.listen, sizeof(daemon_.listen), "udp://192.0.2.10:7611");
	daemon_.port = 7611;
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, "--source dpdk --user " USER), 0);
	wait_durable(PCAP_EVENTS);
	/* CAP_NET_ADMIN (12) and CAP_NET_RAW (13). */
	check_process(daemon_.pid, "0000000000003000");
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_source, setup_user, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup_user, teardown),
		cmocka_unit_test_setup_teardown(test_dpdk_source, setup_user, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
