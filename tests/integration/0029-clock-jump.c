/* 0029: the wall clock jumps forward two days and back again under
 * sluiced (libfaketime, preloaded into sluiced alone: its wall clock moves,
 * the monotonic clock and the kernel's file times do not, as when NTP steps
 * the clock of an edge box). Each step is one log line and one count;
 * arrival times follow the wall clock of the moment, event times stay the
 * device's; retention (--retention-hours 1) deletes nothing, where aged by
 * the stepped clock it would have deleted every sealed segment; and Kafka
 * ends with every event-id, the counters adding up. */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

/* Debian's libfaketime, multi-threaded flavour, on this machine's arch. */
#if defined(__x86_64__)
#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
#elif defined(__aarch64__)
#define FAKETIME_LIB "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"
#else
#define FAKETIME_LIB "/usr/lib/faketime/libfaketimeMT.so.1"
#endif
#define PHASES 3u
#define SOURCES_PER_PHASE 10u
#define PER_SOURCE_MAX 3000u
#define DAY_NS (86400ull * 1000000000ull)

IT_FIXTURE("it0029")

static const uint64_t phase_events[PHASES] = { 30000, 10000, 10000 };
static const char *const phase_clock[PHASES] = { "+0", "+2d", "+0" };
static const int64_t phase_offset_days[PHASES] = { 0, 2, 0 };
static uint64_t phase_start_ns[PHASES], phase_end_ns[PHASES];  /* the real clock */
static char rc_path[192];

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void set_clock(const char *offset)
{
	FILE *f = fopen(rc_path, "w");

	assert_non_null(f);
	fprintf(f, "%s\n", offset);
	assert_int_equal(fclose(f), 0);
}

static uint64_t segments(void)
{
	char cmd[512], out[16384];
	uint64_t n = 0;

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' segments --json", it_path("SLUICECTL"),
		 daemon_.sock);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	for (const char *p = out; (p = strstr(p, "\"log\":\"events\"")) != NULL; p++)
		n++;
	return n;
}

/* Each event's arrival time is the (stepped) wall clock of its phase, its
 * event time the sender's unstepped clock. */
static void check_times(const char *data_dir)
{
	char cmd[512], line[4096];
	uint64_t seen[PHASES] = { 0 }, bad = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' log dump --data-dir '%s' --json", it_path("SLUICECTL"),
		 data_dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		uint64_t src = it_json_u64(line, "source_id"), ph = src / SOURCES_PER_PHASE;
		uint64_t arrival = it_json_u64(line, "arrival_ns"), ev = it_json_u64(line, "event_time_ns");
		uint64_t shift, lo, hi;

		if (ph >= PHASES) {
			bad++;
			continue;
		}
		shift = (uint64_t)phase_offset_days[ph] * DAY_NS;
		/* libfaketime rereads its file at most once a second */
		lo = phase_start_ns[ph] - 2000000000ull;
		hi = phase_end_ns[ph] + 2000000000ull;
		if (arrival < lo + shift || arrival > hi + shift || ev < lo || ev > hi) {
			if (bad++ < 3)
				fprintf(stderr, "0029: phase %" PRIu64 " event out of its times: %s",
					ph, line);
			continue;
		}
		seen[ph]++;
	}
	assert_int_equal(pclose(p), 0);
	fprintf(stderr, "0029: events with sane times per phase: %" PRIu64 " %" PRIu64 " %" PRIu64
		", others %" PRIu64 "\n", seen[0], seen[1], seen[2], bad);
	assert_true(bad == 0);
	for (unsigned i = 0; i < PHASES; i++)
		assert_true(seen[i] == phase_events[i]);
}

static void test_clock_jumps(void **state)
{
	struct it_marks in_log = { .sources = PHASES * SOURCES_PER_PHASE,
				   .per_source = PER_SOURCE_MAX };
	struct it_marks in_kafka = in_log;
	char cmd[1024], dir[160], log[32768];
	uint64_t total = 0, sealed, missing;

	(void)state;
	if (access(FAKETIME_LIB, R_OK) != 0) {
		fprintf(stderr, "skipped: %s is missing (Debian's libfaketime; platform/install-deps "
				"installs it)\n", FAKETIME_LIB);
		exit(IT_SKIP);
	}
	strcpy(daemon_.dir, "/tmp/sluice-it-XXXXXX");
	assert_non_null(mkdtemp(daemon_.dir));
	snprintf(rc_path, sizeof(rc_path), "%s/faketime.rc", daemon_.dir);
	set_clock(phase_clock[0]);
	/* Only sluiced runs on the faked clock: its environment, then ours again.
	 * ASan wants to be first of the libraries; here libfaketime must be. */
	setenv("LD_PRELOAD", FAKETIME_LIB, 1);
	setenv("FAKETIME_TIMESTAMP_FILE", rc_path, 1);
	setenv("FAKETIME_CACHE_DURATION", "1", 1);
	setenv("DONT_FAKE_MONOTONIC", "1", 1);
	setenv("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1:verify_asan_link_order=0", 1);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic,
					 "--segment-bytes 1048576 --zstd-level 0 --retention-hours 1 "
					 "--canary-interval-s 0"), 0);
	unsetenv("LD_PRELOAD");
	unsetenv("FAKETIME_TIMESTAMP_FILE");

	for (unsigned ph = 0; ph < PHASES; ph++) {
		if (ph > 0) {
			set_clock(phase_clock[ph]);
			/* seen before any event is sent */
			assert_int_equal(it_wait_stat(&daemon_, "clock_jumps", ph, 10, json,
						      sizeof(json)), 0);
		}
		phase_start_ns[ph] = real_ns();
		snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --source-base %u "
			 "--count %" PRIu64 " --rate 10000 --payload 400 >/dev/null",
			 it_path("SLUICE_GEN"), daemon_.listen, SOURCES_PER_PHASE,
			 ph * SOURCES_PER_PHASE, phase_events[ph]);
		assert_int_equal(it_run(cmd, NULL, 0), 0);
		total += phase_events[ph];
		assert_int_equal(it_wait_replicated(&daemon_, total, 120, json, sizeof(json)), 0);
		phase_end_ns[ph] = real_ns();
		/* A retention pass (every 5 s) with every sealed segment replicated
		 * and, by the stepped clock, two days old. */
		sealed = segments();
		sleep(6);
		/* One request timing out on a loaded machine is not the failure
		 * looked for here; a daemon that stays silent is. */
		assert_int_equal(it_wait_stat(&daemon_, "events_durable", total, 10, json,
					      sizeof(json)), 0);
		fprintf(stderr, "0029: clock %s: %" PRIu64 " events durable, %" PRIu64 " segments, "
			"%" PRIu64 " deleted by retention, %" PRIu64 " jumps seen\n", phase_clock[ph],
			it_json_u64(json, "events_durable"), sealed,
			it_json_u64(json, "retention_segments_deleted"),
			it_json_u64(json, "clock_jumps"));
		assert_true(it_json_u64(json, "retention_segments_deleted") == 0);
		assert_true(segments() == sealed);
		assert_true(it_json_u64(json, "clock_jumps") == ph);
	}
	assert_true(sealed >= 10);  /* 20 MB in 1 MiB segments */
	assert_true(it_accounted(json, total));
	assert_true(it_json_u64(json, "events_durable") == total);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	setenv("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1", 1);

	snprintf(cmd, sizeof(cmd), "grep -c 'the wall clock jumped' '%s'", daemon_.log);
	assert_int_equal(it_run(cmd, log, sizeof(log)), 0);
	assert_int_equal(strtoul(log, NULL, 10), 2);  /* one line per step */
	snprintf(dir, sizeof(dir), "%s/data", daemon_.dir);
	check_times(dir);
	assert_int_equal(it_log_vs_kafka(dir, bootstrap, topic, &in_log, &in_kafka, &missing), 0);
	fprintf(stderr, "0029: log %" PRIu64 ", Kafka %" PRIu64 " (%" PRIu64 " duplicates), "
		"missing %" PRIu64 "\n", in_log.lines, in_kafka.lines, in_kafka.dups, missing);
	assert_true(in_log.lines == total && in_log.bad == 0 && in_log.dups == 0);
	assert_true(missing == 0 && in_kafka.bad == 0);
	free(in_log.seen);
	free(in_kafka.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clock_jumps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
