/* 0030: source health end to end. sluice-gen plays five groups of ten
 * devices, each group with one fault of its own: numbers left out, numbers
 * sent twice, pairs swapped, a clock 10 s behind, a clock 3 s ahead. The
 * daemon's totals are exactly what was played, `sluicectl sources` and
 * `source ID` name the devices with each count, silent devices are listed
 * once quiet, duplicates are kept and flagged in the log and reach Kafka
 * with header dup=1, every event carries its schema's watermark, which
 * /metrics shows too, and nothing else is counted. */
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

#define DEVICES 10u
#define PER_DEVICE 1000u

IT_FIXTURE("it0030")

static uint64_t play(unsigned group, const char *fault)
{
	char cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd), "'%s' --target %s --sources %u --count %u --source-base %u "
		 "--rate 20000 %s", it_path("SLUICE_GEN"), daemon_.listen, DEVICES,
		 DEVICES * PER_DEVICE, group * 100, fault);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	return it_kv_u64(out, "frames");
}

/* `sluicectl ARGS --json` into out; its exit status. */
static int ctl(const char *args, char *out, size_t size)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' %s", it_path("SLUICECTL"), daemon_.sock,
		 args);
	return it_run(cmd, out, size);
}

static unsigned lines_with(const char *text, const char *what)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

static void check_listing(void)
{
	static char out[65536];
	char *line, *save;

	/* The repeaters, most duplicates first: 100 each, ids 100..109. */
	assert_int_equal(ctl("sources --sort dups --top 3 --json", out, sizeof(out)), 0);
	assert_int_equal(lines_with(out, "\"dups\":100,"), 3);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t id = it_json_u64(line, "source_id");

		assert_true(id >= 100 && id < 100 + DEVICES);
	}
	/* The ten clocks 10 s behind lead by skew. */
	assert_int_equal(ctl("sources --sort skew --top 10 --json", out, sizeof(out)), 0);
	assert_int_equal(lines_with(out, "\"late\":1000,"), DEVICES);
	assert_int_equal(ctl("source 7 --json", out, sizeof(out)), 0);
	assert_true(it_json_u64(out, "gaps") == PER_DEVICE / 10 - 1);
	assert_true(it_json_u64(out, "events") == PER_DEVICE - PER_DEVICE / 10);
	assert_int_equal(ctl("source 205 --json", out, sizeof(out)), 0);
	assert_true(it_json_u64(out, "reordered") == PER_DEVICE / 10 && it_json_u64(out, "gaps") == 0);
	assert_int_equal(ctl("source 403 --json", out, sizeof(out)), 0);
	assert_true(it_json_u64(out, "ahead") == PER_DEVICE);
	assert_int_equal(ctl("source 999999 2>&1", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not in the source tables"));
	assert_int_equal(ctl("sources --sort bogus 2>&1", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "sort 'bogus'"));
	/* Quiet for --source-silence-s (2): all fifty are silent. */
	sleep(3);
	assert_int_equal(ctl("sources --silent --top 100 --json", out, sizeof(out)), 0);
	assert_int_equal(lines_with(out, "\"source_id\":"), 5 * DEVICES);
}

static void test_source_health(void **state)
{
	char cmd[1024], out[64], extra[160];
	static char body[65536];
	uint64_t frames = 0, now_s;
	int port = it_free_tcp_port();
	const char *wm, *top;

	(void)state;
	snprintf(extra, sizeof(extra), "--late-ms 5000 --clock-ahead-ms 1000 --source-silence-s 2 "
		 "--metrics 127.0.0.1:%d", port);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, extra), 0);
	frames += play(0, "--skip-every 10");        /* 9, 19, ... 999 left out */
	frames += play(1, "--repeat-every 10");      /* 9, 19, ... 999 twice */
	frames += play(2, "--reorder-every 10");     /* 1 before 0, 11 before 10, ... */
	frames += play(3, "--clock-offset-ms -10000");
	frames += play(4, "--clock-offset-ms 3000");
	it_wait_stat(&daemon_, "events_durable", frames, 30, json, sizeof(json));
	fprintf(stderr, "0030: %" PRIu64 " frames sent: %s\n", frames, json);
	assert_true(it_json_u64(json, "frames_received") == frames);
	assert_true(it_json_u64(json, "events_durable") == frames);
	assert_true(it_accounted(json, frames));
	assert_true(it_json_u64(json, "sources_tracked") == 5 * DEVICES);
	assert_true(it_json_u64(json, "source_evictions") == 0);
	/* 999 is each device's last number: nothing after it shows it missing. */
	assert_true(it_json_u64(json, "source_gaps") == DEVICES * (PER_DEVICE / 10 - 1));
	assert_true(it_json_u64(json, "source_dups") == DEVICES * PER_DEVICE / 10);
	assert_true(it_json_u64(json, "source_reordered") == DEVICES * PER_DEVICE / 10);
	assert_true(it_json_u64(json, "source_stale") == 0);
	assert_true(it_json_u64(json, "source_late") == DEVICES * PER_DEVICE);
	assert_true(it_json_u64(json, "source_ahead") == DEVICES * PER_DEVICE);
	check_listing();

	/* The watermark of schema 0: the newest on-time event time less 5 s. */
	assert_int_equal(it_http_get(port, "/metrics", body, sizeof(body)), 200);
	wm = strstr(body, "\nsluice_watermark_seconds{schema=\"0\"} ");
	assert_non_null(wm);
	now_s = (uint64_t)time(NULL);
	fprintf(stderr, "0030: %.60s (now %" PRIu64 ")\n", wm + 1, now_s);
	assert_true(strtoull(strchr(wm, '}') + 2, NULL, 10) + 5 <= now_s &&
		    strtoull(strchr(wm, '}') + 2, NULL, 10) + 60 > now_s);
	assert_int_not_equal(it_promtool_check(port), -1);
	/* Top-N and silent: the worst devices by name, never a series each. */
	assert_non_null(strstr(body, "\nsluice_sources_silent 50\n"));
	assert_int_equal(lines_with(body, "\nsluice_source_top_gaps{"), 5);
	top = strstr(body, "\nsluice_source_top_gaps{rank=\"1\",source_id=\"");
	assert_non_null(top);
	assert_true(strtoull(strchr(top, '}') + 2, NULL, 10) == PER_DEVICE / 10 - 1);
	assert_true(it_find_u64(top, "source_id", "=\"") < (uint64_t)DEVICES);
	top = strstr(body, "\nsluice_source_top_dups{rank=\"1\",");
	assert_non_null(top);
	assert_true(strtoull(strchr(top, '}') + 2, NULL, 10) == PER_DEVICE / 10);
	top = strstr(body, "\nsluice_source_top_offset_seconds{rank=\"1\",");
	assert_non_null(top);
	fprintf(stderr, "0030: %.80s\n", top + 1);
	assert_true(strtod(strchr(top, '}') + 2, NULL) > 9.0);  /* the clocks 10 s behind */

	/* In Kafka: the duplicates with dup=1, every event with a watermark. */
	assert_int_equal(it_wait_replicated(&daemon_, frames, 120, json, sizeof(json)), 0);
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -o beginning -e -q -f '%%h\\n' | "
		 "grep -c 'dup=1'", bootstrap, topic);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_int_equal(strtoull(out, NULL, 10), DEVICES * PER_DEVICE / 10);
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -o beginning -e -q -f '%%h\\n' | "
		 "grep -c 'watermark=[1-9]'", bootstrap, topic);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_int_equal(strtoull(out, NULL, 10), frames);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);

	/* The duplicates are in the log, flagged (0x80). */
	snprintf(cmd, sizeof(cmd), "'%s' log dump --data-dir '%s/data' --json | grep -c "
		 "'\"flags\":128'", it_path("SLUICECTL"), daemon_.dir);
	assert_int_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_int_equal(strtoull(out, NULL, 10), DEVICES * PER_DEVICE / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_source_health, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
