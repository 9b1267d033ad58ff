/* 0026: hostile traffic held at the door (socket source). With --allow
 * 127.0.0.2/32, events from 127.0.0.3 never reach the parser and are
 * counted as not_allowed, those from 127.0.0.2 are all durable. A flood of
 * garbage from one sender keeps --dlq-rate-per-source dead letters a
 * second (plus the first second's worth); the rest are counted as dlq_rate
 * drops and by reason, never written. The same flood from many senders is
 * held by --dlq-bytes-per-s. The identity holds throughout, and a bad
 * --allow entry is refused by name. */
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

#include "dataplane/slf.h"
#include "itest.h"

IT_FIXTURE("it0026")

/* A UDP socket sending from from_ip (port 0: one per socket, so each
 * socket is one sender). */
static int sender(const char *from_ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, from_ip, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_to(int fd, const void *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)daemon_.port) };

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_true(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len);
}

static void send_events(int fd, uint64_t source, unsigned n)
{
	uint8_t frame[256];
	struct slf_frame f = { .source_id = source, .payload = (const uint8_t *)"ok",
			       .payload_len = 2, .event_time_ns = 1 };

	for (unsigned i = 0; i < n; i++) {
		f.seq = i;
		send_to(fd, frame, slf_encode(frame, sizeof(frame), &f));
		if (i % 100 == 99)
			usleep(5000);  /* paced: the socket buffer is not what is tested */
	}
}

static void wait_frames(uint64_t frames, uint64_t not_allowed)
{
	uint64_t deadline = it_now_ms() + 30000;

	do {
		assert_int_equal(it_stats(&daemon_, json, sizeof(json)), 0);
		if (it_accounted(json, frames) && it_json_u64(json, "not_allowed") >= not_allowed)
			return;
		usleep(100000);
	} while (it_now_ms() < deadline);
	fail_msg("not settled at %" PRIu64 " frames, %" PRIu64 " not allowed: %s", frames,
		 not_allowed, json);
}

static void test_allow_and_rates(void **state)
{
	static uint8_t junk[200];
	uint64_t t0, dlq, dropped, by_reason, secs;
	int ok, other;

	(void)state;
	memset(junk, 'j', sizeof(junk));
	assert_int_equal(it_daemon_start(&daemon_, "none", topic,
					 "--allow 127.0.0.2/32 --dlq-rate-per-source 100 "
					 "--dlq-bytes-per-s 0"), 0);
	ok = sender("127.0.0.2");
	other = sender("127.0.0.3");
	send_events(other, 3, 1000);
	send_events(ok, 2, 1000);
	wait_frames(1000, 1000);
	assert_true(it_json_u64(json, "not_allowed") == 1000);
	assert_true(it_json_u64(json, "events_durable") == 1000);
	assert_true(it_json_u64(json, "frames_received") == 1000);

	/* A flood of garbage from one allowed sender. */
	t0 = it_now_ms();
	for (int i = 0; i < 5000; i++) {
		send_to(ok, junk, sizeof(junk));
		if (i % 500 == 499)
			usleep(5000);
	}
	secs = (it_now_ms() - t0) / 1000 + 1;
	wait_frames(6000, 1000);
	dlq = it_json_u64(json, "dlq_records");
	dropped = it_json_u64(json, "dlq_rate");
	by_reason = it_json_u64(json, "magic");
	fprintf(stderr, "0026: 5000 garbage datagrams in under %" PRIu64 " s from one sender: "
		"%" PRIu64 " dead letters kept, %" PRIu64 " counted as dlq_rate\n", secs, dlq, dropped);
	assert_true(by_reason == 5000);
	assert_true(dlq + dropped == 5000);
	assert_true(dlq >= 100 && dlq <= 100 + 100 * secs);
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
	close(ok);
	close(other);

	/* Many senders (a socket each): the bytes of all are what holds. */
	assert_int_equal(it_daemon_start(&daemon_, "none", topic,
					 "--dlq-rate-per-source 0 --dlq-bytes-per-s 20000"), 0);
	t0 = it_now_ms();
	for (int s = 0; s < 50; s++) {
		int fd = sender("127.0.0.1");

		for (int i = 0; i < 20; i++)
			send_to(fd, junk, sizeof(junk));
		close(fd);
	}
	secs = (it_now_ms() - t0) / 1000 + 1;
	wait_frames(1000, 0);
	dlq = it_json_u64(json, "dlq_records");
	dropped = it_json_u64(json, "dlq_rate");
	fprintf(stderr, "0026: 1000 garbage datagrams of 200 bytes from 50 senders at 20,000 "
		"bytes/s: %" PRIu64 " kept, %" PRIu64 " dropped\n", dlq, dropped);
	assert_true(dlq + dropped == 1000);
	assert_true(dlq >= 100 && dlq <= 100 + 100 * secs);  /* 20,000 B/s = 100 of them */
	assert_int_equal(it_daemon_stop(&daemon_, SIGTERM, 30), 0);
}

static void test_bad_allow_refused(void **state)
{
	char cmd[512], out[2048];

	(void)state;
	snprintf(cmd, sizeof(cmd), "'%s' -- --allow '10.0.0.0/8,10.1.2.3/40' --check 2>&1",
		 it_path("SLUICED"));
	assert_int_not_equal(it_run(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--allow: '10.1.2.3/40' is not ADDR/BITS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allow_and_rates, setup, teardown),
		cmocka_unit_test(test_bad_allow_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
