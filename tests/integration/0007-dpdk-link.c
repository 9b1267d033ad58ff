/* 0007: the port as an operator sees it. sluiced on net_tap (whose link
 * follows the kernel interface): the interface goes down and comes back,
 * and each change is one line in the daemon log and shows in sluicectl
 * status. And the start-up refusals of the DPDK source, each naming what
 * to change: more polling workers than CPUs, too few lcores, no port. */
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
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

IT_FIXTURE("it0007")

static char tap[16];

/* Waits up to 10 s until the daemon log holds `count` lines with what. */
static void wait_log(const char *what, int count)
{
	char cmd[512], out[64];
	uint64_t deadline = it_now_ms() + 10000;

	snprintf(cmd, sizeof(cmd), "grep -c '%s' '%s'", what, daemon_.log);
	while (it_now_ms() < deadline) {
		it_run(cmd, out, sizeof(out));
		if (atoi(out) == count)
			return;
		usleep(100000);
	}
	fail_msg("%d lines of '%s' expected in %s", count, what, daemon_.log);
}

static void set_link(const char *state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip link set %s %s", tap, state);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

static void test_link_watch(void **state)
{
	char status[4096];

	(void)state;
	snprintf(tap, sizeof(tap), "sltap%d", (int)getpid() % 100000);
	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args),
		 "--no-pci --vdev net_tap0,iface=%s", tap);
	snprintf(daemon_.listen, sizeof(daemon_.listen), "udp://192.0.2.10:7611");
	daemon_.port = 7611;
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, "--source dpdk"), 0);
	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "\"driver\":\"net_tap\""));
	assert_non_null(strstr(status, "\"link_up\":true"));
	set_link("down");
	wait_log("link down", 1);
	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "\"link_up\":false"));
	set_link("up");
	wait_log("link up", 1);
	assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
	assert_non_null(strstr(status, "\"link_up\":true"));
	wait_log("link down", 1);  /* one line per change, not one per check */
	/* Whatever the kernel sent on its side (router solicitations...) is
	 * counted, not parsed. */
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "frames_received") == 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
}

/* Runs sluiced to its refusal; its output must hold why. */
static void expect_refusal(const char *eal, const char *opts, const char *why)
{
	char cmd[1024], out[8192];
	int rc;

	snprintf(cmd, sizeof(cmd), "'%s' %s -- --source dpdk --listen udp://192.0.2.10:7611 "
		 "--data-dir /tmp/sluice-it0007-%d --admin-socket /tmp/sluice-it0007-%d.sock "
		 "--kafka none %s 2>&1", it_path("SLUICED"), eal, (int)getpid(), (int)getpid(),
		 opts);
	rc = it_run(cmd, out, sizeof(out));
	fprintf(stderr, "%s\n-> %d: %s", cmd, rc, out);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(out, why));
}

static void test_refusals(void **state)
{
	char opts[64], cmd[128];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	if (cpus <= 16) {
		snprintf(opts, sizeof(opts), "--workers %ld", cpus);
		expect_refusal("--no-pci --vdev net_null0", opts, "CPU of its own");
	}
	expect_refusal("-l 0 --no-pci --vdev net_null0", "", "widen -l/--lcores");
	expect_refusal("--lcores 0@0,1@0,2@0 --no-pci --vdev net_null0", "", "a CPU of its own");
	expect_refusal("", "", "no such DPDK port");
	/* net_null has no RX interrupts: said at start, with what to use. */
	expect_refusal("--no-pci --vdev net_null0", "--dpdk-power interrupt",
		       "has no RX interrupt (Operation not supported); use --dpdk-power sleep");
	snprintf(cmd, sizeof(cmd), "rm -rf /tmp/sluice-it0007-%d", (int)getpid());
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

/* --dpdk-power interrupt on net_tap, which has RX interrupts: the idle
 * worker waits for them instead of polling, so it may share a CPU with the
 * main lcore and the log service (a busy-polling one is refused that). */
static void test_interrupt_idle(void **state)
{
	uint64_t t[2], c[2];
	long hz = sysconf(_SC_CLK_TCK);

	(void)state;
	snprintf(tap, sizeof(tap), "sltaq%d", (int)getpid() % 100000);
	snprintf(daemon_.eal_args, sizeof(daemon_.eal_args),
		 "--lcores 0@0,1@0,2@0 --no-pci --vdev net_tap0,iface=%s", tap);
	snprintf(daemon_.listen, sizeof(daemon_.listen), "udp://192.0.2.10:7611");
	daemon_.port = 7611;
	assert_int_equal(it_daemon_start(&daemon_, "none", topic,
					 "--source dpdk --dpdk-power interrupt"), 0);
	assert_int_equal(it_proc_usage(daemon_.pid, &t[0], &c[0]), 0);
	sleep(3);
	assert_int_equal(it_proc_usage(daemon_.pid, &t[1], &c[1]), 0);
	fprintf(stderr, "0007: idle with --dpdk-power interrupt: %.1f %% of a core, %" PRIu64
		" context switches/s\n", 100.0 * (double)(t[1] - t[0]) / (double)(hz * 3),
		(c[1] - c[0]) / 3);
	assert_true((t[1] - t[0]) * 100 < (uint64_t)hz * 3 * 30);
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
	assert_true(it_json_u64(json, "rx_idle_waits") > 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_watch, setup, teardown),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test_setup_teardown(test_interrupt_idle, setup, teardown),
	};

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		fprintf(stderr, "0007: skipped: needs root and /dev/net/tun for net_tap\n");
		return IT_SKIP;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
