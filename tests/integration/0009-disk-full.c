/* 0009: a disk that fills. On a small tmpfs the test mounts, with a filler
 * file: once free space falls below --disk-refuse-free-mb, new events are
 * refused at the door and counted as drops.disk_full (no write fails, the
 * identity holds), the daemon log says so once and status is degraded with
 * the reason; when the filler goes, intake resumes by itself, and the log
 * verifies clean. Then, without marks, a disk that really fills: failed
 * writes are said, counted and degraded, and the log still verifies. zstd
 * is off: sluice-gen payloads would shrink twentyfold and not fill it. */
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
#include <sys/mount.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

IT_FIXTURE("it0009")

static char fs[192];

static void wait_status(const char *what)
{
	char status[4096];

	for (uint64_t deadline = it_now_ms() + 10000; it_now_ms() < deadline; usleep(100000)) {
		assert_int_equal(it_status(&daemon_, status, sizeof(status)), 0);
		if (strstr(status, what))
			return;
	}
	fail_msg("status never showed %s", what);
}

static uint64_t count_log_lines(const char *what)
{
	char cmd[512], out[64];

	snprintf(cmd, sizeof(cmd), "grep -c '%s' '%s'", what, daemon_.log);
	it_run(cmd, out, sizeof(out));
	return strtoull(out, NULL, 10);
}

static void send(unsigned count, unsigned base, const char *rate)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources 10 --count %u --source-base %u "
		 "--payload 100 %s", it_path("SLUICE_GEN"), daemon_.listen, count, base, rate);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
}

static void wait_accounted(uint64_t frames)
{
	for (uint64_t deadline = it_now_ms() + 60000; it_now_ms() < deadline; usleep(100000)) {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_accounted(json, frames))
			return;
	}
	fail_msg("not accounted: %s", json);
}

/* A new daemon folder with a tmpfs of size_mb mounted at fs inside it,
 * holding a filler of filler_mb. */
static void mount_fs(unsigned size_mb, unsigned filler_mb)
{
	char cmd[1024];

	memset(&daemon_, 0, sizeof(daemon_));
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	snprintf(fs, sizeof(fs), "%s/fs", daemon_.dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && mount -t tmpfs -o size=%um tmpfs '%s' && "
		 "dd if=/dev/zero of='%s/filler' bs=1M count=%u status=none", fs, size_mb, fs, fs,
		 filler_mb);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
}

static void test_disk_full(void **state)
{
	char cmd[1024];
	uint64_t durable;

	(void)state;
	mount_fs(48, 16);
	/* The log goes on the small filesystem (a later --data-dir wins); the
	 * daemon's socket and its own log stay outside. */
	snprintf(cmd, sizeof(cmd), "--data-dir '%s/data' --segment-bytes 1048576 --zstd-level 0 "
		 "--disk-refuse-free-mb 12 --disk-resume-free-mb 20", fs);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, cmd), 0);

	/* ~36 MB of records into ~32 MB free, paced so that the once-a-second
	 * check sees the mark (9 MB a second at most) before the disk is full. */
	send(200000, 0, "--rate 50000");
	wait_accounted(200000);
	fprintf(stderr, "full: %s", json);
	assert_true(it_json_u64(json, "disk_full") > 0);
	assert_true(it_json_u64(json, "disk") == 0);          /* no write failed */
	assert_true(it_json_u64(json, "disk_errors") == 0);
	assert_true(it_json_u64(json, "events_durable") > 0);
	durable = it_json_u64(json, "events_durable");
	wait_status("\"health\":\"degraded\"");
	assert_true(count_log_lines("new events refused") == 1);

	/* Space comes back: intake resumes by itself. */
	snprintf(cmd, sizeof(cmd), "rm -f '%s/filler'", fs);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	wait_status("\"health\":\"ok\"");
	assert_true(count_log_lines("accepting events again") == 1);
	send(1000, 100, "");
	wait_accounted(201000);
	assert_true(it_json_u64(json, "events_durable") == durable + 1000);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", fs);
	assert_int_equal(it_log_verify(cmd), 0);
}

static int teardown_fs(void **state)
{
	if (fs[0]) {
		if (daemon_.pid > 0)
			it_daemon_stop(&daemon_, SIGKILL, 5);
		umount2(fs, MNT_DETACH);
	}
	return teardown(state);
}

/* Without marks the disk really fills: failed writes are one log line with
 * what they lost, status is degraded, every frame is still accounted for,
 * and the log verifies. */
static void test_enospc(void **state)
{
	char cmd[1024];

	(void)state;
	mount_fs(16, 0);
	snprintf(cmd, sizeof(cmd), "--data-dir '%s/data' --segment-bytes 1048576 --zstd-level 0 "
		 "--disk-refuse-free-mb 0", fs);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, cmd), 0);
	send(150000, 0, "--rate 100000");  /* ~27 MB into 16 MB */
	wait_accounted(150000);
	fprintf(stderr, "enospc: %s", json);
	assert_true(it_json_u64(json, "disk") > 0);
	assert_true(it_json_u64(json, "disk_errors") > 0);
	assert_true(it_json_u64(json, "events_durable") > 0);
	wait_status("\"health\":\"degraded\"");
	assert_true(count_log_lines("failed write") >= 1);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", fs);
	assert_int_equal(it_log_verify(cmd), 0);
}

/* Marks in percent of the filesystem: 2 MB used of 16 MB leaves 87 % free,
 * below a 95 % mark: refused, named in status; freed, accepted again. */
static void test_percent_marks(void **state)
{
	char cmd[1024];

	(void)state;
	mount_fs(16, 0);
	snprintf(cmd, sizeof(cmd), "--data-dir '%s/data' --disk-refuse-free-mb 0 "
		 "--disk-resume-free-mb 0 --disk-refuse-free-pct 95 --disk-resume-free-pct 97", fs);
	assert_int_equal(it_daemon_start(&daemon_, "none", topic, cmd), 0);
	snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of='%s/filler' bs=1M count=2 status=none", fs);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	wait_status("--disk-refuse-free-pct");
	send(1000, 0, "");
	wait_accounted(1000);
	assert_true(it_json_u64(json, "disk_full") == 1000);
	snprintf(cmd, sizeof(cmd), "rm -f '%s/filler'", fs);
	assert_int_equal(it_run(cmd, NULL, 0), 0);
	wait_status("\"health\":\"ok\"");
	send(1000, 100, "");
	wait_accounted(2000);
	assert_true(it_json_u64(json, "events_durable") == 1000);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown_fs),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown_fs),
		cmocka_unit_test_setup_teardown(test_percent_marks, setup, teardown_fs),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "0009: skipped: needs root to mount a small tmpfs\n");
		return IT_SKIP;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
