/* 0021: systemd. sluiced run with NOTIFY_SOCKET and WATCHDOG_USEC (as
 * systemd runs a Type=notify unit with WatchdogSec) says READY=1 with a
 * STATUS, pings WATCHDOG=1 at about half the interval while its threads
 * move, and says STOPPING=1 when SIGTERM starts the drain. The unit file in
 * platform/systemd passes `systemd-analyze verify` (skipped, named, where
 * that tool is missing). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

IT_FIXTURE("it0021")

/* Waits up to timeout_ms for a notification containing what; counts the
 * ones that contain count_what meanwhile. */
static int wait_for(int fd, const char *what, int timeout_ms, const char *count_what,
		    unsigned *count)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_ms;
	char buf[1024];

	while (it_now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (count_what && strstr(buf, count_what))
			(*count)++;
		if (what && strstr(buf, what))
			return 0;
	}
	return -1;
}

static void test_notify(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned pings = 0;
	int fd;

	(void)state;
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	char path[256];

	snprintf(path, sizeof(path), "%s/notify.sock", daemon_.dir);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, NULL), 0);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(wait_for(fd, "READY=1", 20000, NULL, NULL), 0);
	assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);  /* and serves */
	/* 2 s watchdog: a ping about every second; 5 s gives at least 3. */
	wait_for(fd, NULL, 5000, "WATCHDOG=1", &pings);
	fprintf(stderr, "0021: %u watchdog pings in 5 s (interval 2 s)\n", pings);
	assert_true(pings >= 3 && pings <= 6);
	kill(daemon_.pid, SIGTERM);
	assert_int_equal(wait_for(fd, "STOPPING=1", 20000, NULL, NULL), 0);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 20), 0);
	close(fd);
}

static void test_unit_file(void **state)
{
	char cmd[2048], out[4096];
	int rc;

	(void)state;
	if (it_run("command -v systemd-analyze", NULL, 0) != 0) {
		fprintf(stderr, "0021: unit file check skipped: systemd-analyze is missing\n");
		skip();
	}
	/* verify wants ExecStart to exist: point it at the built daemon. */
	snprintf(cmd, sizeof(cmd), "d=$(mktemp -d) && sed 's|/usr/local/bin/sluiced|%s|' "
		 "'%s' > \"$d/sluiced.service\" && systemd-analyze verify "
		 "\"$d/sluiced.service\" 2>&1; rc=$?; rm -rf \"$d\"; exit $rc",
		 it_path("SLUICED"), it_path("SLUICED_UNIT"));
	rc = it_run(cmd, out, sizeof(out));

	/* verify exits 0 on a line it ignores: any output is a finding. */
	if (rc != 0 || out[0])
		fprintf(stderr, "systemd-analyze verify:\n%s", out);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
