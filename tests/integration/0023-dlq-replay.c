/* 0023: dead letters replayed into the events log, against a real broker.
 * 200 datagrams of four frames whose second has a bad CRC: the first frame
 * of each is an event, the rest one dead letter (reason crc) that holds two
 * good frames. 50 text datagrams: dead letters with reason magic.
 * `sluicectl dlq replay --reason crc` puts the 400 good frames back (their
 * own event-ids, the bad one never), `--reason magic --as raw` makes the 50
 * text lines raw events with stable ids; the identity holds with
 * frames_replayed, Kafka ends with exactly the expected event-ids, and the
 * read-only socket and bad arguments are refused by name. `dlq list` and
 * `dlq show N` show them (whole, for show), and the daemon takes requests
 * as whole words only. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/admin.h"
#include "dataplane/slf.h"
#include "itest.h"

#define DATAGRAMS 200u
#define TEXTS 50u

IT_FIXTURE("it0023")

static void send_all(int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint8_t dgram[1024], payload[32] = "reading";
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	for (uint32_t i = 0; i < DATAGRAMS; i++) {
		uint32_t len = 0;

		for (uint32_t j = 0; j < 4; j++) {
			struct slf_frame f = { .schema_id = 1, .source_id = 1 + i % 5,
					       .seq = i * 4 + j, .event_time_ns = 1000 + i,
					       .payload = payload, .payload_len = 7 };
			uint32_t n = slf_encode(dgram + len, sizeof(dgram) - len, &f);

			if (j == 1)
				dgram[len + n - 1] ^= 0x5a;  /* its CRC */
			len += n;
		}
		assert_true(sendto(fd, dgram, len, 0, (struct sockaddr *)&to, sizeof(to)) ==
			    (ssize_t)len);
		if (i % 50 == 49)
			usleep(20000);  /* paced: the socket buffer is not the test */
	}
	for (uint32_t i = 0; i < TEXTS; i++) {
		int len = snprintf((char *)dgram, sizeof(dgram), "temperature=21.%u sensor=%u",
				   i % 10, i);

		assert_true(sendto(fd, dgram, (size_t)len, 0, (struct sockaddr *)&to,
				   sizeof(to)) == len);
	}
	close(fd);
}

static void wait_accounted(uint64_t events, uint64_t dlq)
{
	uint64_t deadline = it_now_ms() + 60000;

	do {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_accounted(json, 0) && it_json_u64(json, "events_durable") == events &&
		    it_json_u64(json, "dlq_records") == dlq &&
		    it_json_u64(json, "replication_lag_events") == 0 &&
		    it_json_u64(json, "events_replicated") == events)
			return;
		usleep(100000);
	} while (it_now_ms() < deadline);
	fail_msg("not settled at %" PRIu64 " events, %" PRIu64 " dead letters: %s", events, dlq,
		 json);
}

static int ctl(const char *sock, const char *args, char *out, size_t size)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' %s 2>&1", it_path("SLUICECTL"), sock, args);
	return it_run(cmd, out, size);
}

static void test_dlq_replay(void **state)
{
	static char ids[1 << 20];
	char extra[512], out[4096], read_sock[200], cmd[1024];
	uint64_t counts[4] = { 0 }, raw = 0, other = 0;

	(void)state;
	snprintf(read_sock, sizeof(read_sock), "/tmp/it0023-%d.sock", (int)getpid());
	snprintf(extra, sizeof(extra), "--read-socket '%s'", read_sock);
	assert_int_equal(it_daemon_start(&daemon_, bootstrap, topic, extra), 0);
	send_all(daemon_.port);
	wait_accounted(DATAGRAMS, DATAGRAMS + TEXTS);
	assert_true(it_json_u64(json, "crc") == DATAGRAMS);
	assert_true(it_json_u64(json, "magic") == TEXTS);

	/* Refused: the read-only socket, and bad values, each named. */
	assert_int_equal(ctl(read_sock, "dlq replay", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "read-only"));
	assert_int_equal(ctl(daemon_.sock, "dlq replay --reason bogus", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--reason 'bogus'"));
	assert_int_equal(ctl(daemon_.sock, "dlq replay --count 0", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--count '0'"));
	assert_int_equal(ctl(daemon_.sock, "dlq replay --as json5", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--as 'json5'"));

	/* Listing and showing; whole words only ("stat" is not "stats"). */
	assert_int_equal(ctl(daemon_.sock, "dlq list --json | wc -l", out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 20);
	assert_int_equal(ctl(daemon_.sock, "dlq show 3 --json", out, sizeof(out)), 0);
	assert_true(it_json_u64(out, "offset") == 3);
	assert_non_null(strstr(out, "\"dlq_reason\":\"crc\""));
	{
		const char *hex = strstr(out, "\"payload_hex\":\"");
		uint64_t bytes = it_json_u64(out, "payload_bytes");

		assert_non_null(hex);
		hex += strlen("\"payload_hex\":\"");
		assert_true(bytes == 3 * 43);  /* three frames of 36 + 7 bytes, whole */
		assert_true(strcspn(hex, "\"") == 2 * bytes);
	}
	assert_int_equal(ctl(daemon_.sock, "dlq show 250", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "dlq show '250': want an offset of the DLQ log, 0 to 249"));
	for (const char *bad = "stat json\0sta\0dlqs\0replication paused\0canary x\0"; *bad;
	     bad += strlen(bad) + 1) {
		char *resp = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&resp, &len);

		assert_non_null(f);
		assert_int_equal(admin_request(daemon_.sock, bad, f, 5000), 0);
		fclose(f);
		assert_non_null(strstr(resp, "error: unknown request"));
		free(resp);
	}

	/* SLF1 salvage of the crc dead letters: two good frames each. */
	assert_int_equal(ctl(daemon_.sock, "dlq replay --reason crc --json", out, sizeof(out)), 0);
	fprintf(stderr, "0023: %s", out);
	assert_true(it_json_u64(out, "records") == DATAGRAMS + TEXTS);
	assert_true(it_json_u64(out, "matched") == DATAGRAMS);
	assert_true(it_json_u64(out, "events") == 2 * DATAGRAMS);
	assert_true(it_json_u64(out, "still_bad") == DATAGRAMS);
	assert_true(it_json_u64(out, "dropped") == 0);
	assert_non_null(strstr(out, "\"more\":false"));
	wait_accounted(3 * DATAGRAMS, DATAGRAMS + TEXTS);
	assert_true(it_json_u64(json, "frames_replayed") == 2 * DATAGRAMS);

	/* The text lines as raw events, in two requests (from, count). */
	assert_int_equal(ctl(daemon_.sock, "dlq replay --reason magic --as raw --count 210", out,
			     sizeof(out)), 0);
	fprintf(stderr, "0023: %s", out);
	assert_non_null(strstr(out, "10 with reason magic; 10 events"));
	assert_non_null(strstr(out, "go on with --from 210"));
	assert_int_equal(ctl(daemon_.sock, "dlq replay --reason magic --as raw --from 210 --json",
			     out, sizeof(out)), 0);
	assert_true(it_json_u64(out, "events") == TEXTS - 10);
	wait_accounted(3 * DATAGRAMS + TEXTS, DATAGRAMS + TEXTS);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 60), 0);
	snprintf(cmd, sizeof(cmd), "%s/data", daemon_.dir);
	assert_int_equal(it_log_verify(cmd), 0);

	/* Kafka: frames 0, 2 and 3 of every datagram once, frame 1 never; the
	 * raw events with seq 2^63 + their DLQ offset. */
	snprintf(cmd, sizeof(cmd), "kcat -b '%s' -C -t '%s' -o beginning -e -q -f '%%h\\n' | "
		 "grep -o 'event-id=[0-9]*-[0-9]*' | cut -d= -f2", bootstrap, topic);
	assert_int_equal(it_run(cmd, ids, sizeof(ids)), 0);
	for (char *line = strtok(ids, "\n"); line; line = strtok(NULL, "\n")) {
		uint64_t src, seq;

		assert_int_equal(sscanf(line, "%" SCNu64 "-%" SCNu64, &src, &seq), 2);
		if (seq >= (1ull << 63) && seq - (1ull << 63) >= DATAGRAMS &&
		    seq - (1ull << 63) < DATAGRAMS + TEXTS)
			raw++;
		else if (seq < 4 * DATAGRAMS && src == 1 + (seq / 4) % 5)
			counts[seq % 4]++;
		else
			other++;
	}
	fprintf(stderr, "0023: in Kafka frame0 %" PRIu64 " frame1 %" PRIu64 " frame2 %" PRIu64
		" frame3 %" PRIu64 " raw %" PRIu64 " other %" PRIu64 "\n", counts[0], counts[1],
		counts[2], counts[3], raw, other);
	assert_true(counts[0] == DATAGRAMS && counts[1] == 0);
	assert_true(counts[2] == DATAGRAMS && counts[3] == DATAGRAMS);
	assert_true(raw == TEXTS && other == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dlq_replay, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
