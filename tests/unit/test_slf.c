/* The SLF1 parser: fields, several frames per datagram, boundary sizes,
 * every reject reason, and random bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/slf.h"
#include "platform/le.h"

static uint8_t dgram[SLF_DATAGRAM_BYTES_MAX + 64];
static uint8_t payload[65535];
static struct slf_frame frames[SLF_FRAMES_MAX];

static struct slf_frame make_frame(uint64_t i, uint16_t plen)
{
	struct slf_frame f = {
		.flags = (uint8_t)(i & 1 ? SLF_FLAG_CANARY : 0),
		.schema_id = (uint16_t)(1000 + i),
		.payload_len = plen,
		.source_id = 0x1122334455667788ull + i,
		.seq = 0xfedcba9876543210ull - i,
		.event_time_ns = 1700000000000000000ull + i,
		.payload = payload,
	};
	return f;
}

/* Writes n frames of plen bytes; returns the datagram length. */
static uint32_t build(uint32_t n, uint16_t plen)
{
	uint32_t len = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct slf_frame f = make_frame(i, plen);
		uint32_t size = slf_encode(dgram + len, sizeof(dgram) - len, &f);

		assert_int_equal(size, SLF_FRAME_OVERHEAD + plen);
		len += size;
	}
	return len;
}

static void check_frames(uint32_t n, uint16_t plen, uint32_t len)
{
	struct slf_fault fault;

	assert_int_equal(slf_parse(dgram, len, frames, SLF_FRAMES_MAX, &fault), n);
	assert_int_equal(fault.reason, SLF_OK);
	for (uint32_t i = 0; i < n; i++) {
		struct slf_frame want = make_frame(i, plen);

		assert_int_equal(frames[i].flags, want.flags);
		assert_int_equal(frames[i].schema_id, want.schema_id);
		assert_int_equal(frames[i].payload_len, plen);
		assert_true(frames[i].source_id == want.source_id);
		assert_true(frames[i].seq == want.seq);
		assert_true(frames[i].event_time_ns == want.event_time_ns);
		assert_memory_equal(frames[i].payload, payload, plen);
		assert_ptr_equal(frames[i].payload, dgram + i * (SLF_FRAME_OVERHEAD + plen) + 32);
	}
}

static void test_one_frame_fields(void **state)
{
	(void)state;
	check_frames(1, 100, build(1, 100));
	/* The wire bytes are the documented ones. */
	assert_int_equal(dgram[0], 'S');
	assert_int_equal(dgram[1], 'L');
	assert_int_equal(dgram[2], 1);
	assert_int_equal(le_get16(dgram + 4), 100);
	assert_int_equal(le_get16(dgram + 6), 1000);
	assert_true(le_get64(dgram + 8) == 0x1122334455667788ull);
}

static void test_many_frames(void **state)
{
	uint32_t most = SLF_DATAGRAM_BYTES_MAX / SLF_FRAME_OVERHEAD;

	(void)state;
	for (uint32_t n = 1; n <= 64; n++)
		check_frames(n, (uint16_t)(n * 3), build(n, (uint16_t)(n * 3)));
	/* As many empty-payload frames as a datagram holds. */
	check_frames(most, 0, build(most, 0));
}

static void test_boundary_sizes(void **state)
{
	(void)state;
	check_frames(1, 0, build(1, 0));
	check_frames(1, 1, build(1, 1));
	check_frames(1, SLF_PAYLOAD_BYTES_MAX, build(1, SLF_PAYLOAD_BYTES_MAX));
	assert_int_equal(build(1, SLF_PAYLOAD_BYTES_MAX), SLF_DATAGRAM_BYTES_MAX);
	/* payload_len is 16 bits: the largest value parses when the bytes are there. */
	struct slf_frame f = make_frame(0, 65535);
	static uint8_t big[65535 + 64];
	struct slf_fault fault;

	assert_int_equal(slf_encode(big, sizeof(big), &f), 65535 + 36);
	assert_int_equal(slf_parse(big, 65535 + 36, frames, 4, &fault), 1);
	assert_int_equal(slf_encode(big, 65535 + 35, &f), 0);
}

static void expect_fault(uint32_t len, uint32_t valid, enum slf_reason why, uint32_t at)
{
	struct slf_fault fault;

	assert_int_equal(slf_parse(dgram, len, frames, SLF_FRAMES_MAX, &fault), valid);
	assert_int_equal(fault.reason, why);
	assert_int_equal(fault.offset, at);
}

static void test_reject_reasons(void **state)
{
	uint32_t fsz = SLF_FRAME_OVERHEAD + 20, len;

	(void)state;
	/* Two good frames, then the third is damaged in one way at a time. */
	len = build(3, 20);
	dgram[2 * fsz] = 'X';
	expect_fault(len, 2, SLF_MAGIC, 2 * fsz);
	len = build(3, 20);
	dgram[2 * fsz + 2] = 2;
	expect_fault(len, 2, SLF_VERSION_BAD, 2 * fsz);
	len = build(3, 20);
	dgram[2 * fsz + 3] |= 0x02;
	expect_fault(len, 2, SLF_FLAGS, 2 * fsz);
	len = build(3, 20);
	le_put16(dgram + 2 * fsz + 4, 21);
	expect_fault(len, 2, SLF_LENGTH, 2 * fsz);
	len = build(3, 20);
	dgram[2 * fsz + 40] ^= 1;
	expect_fault(len, 2, SLF_CRC, 2 * fsz);
	len = build(3, 20);
	dgram[len - 1] ^= 0x80;  /* the CRC bytes themselves */
	expect_fault(len, 2, SLF_CRC, 2 * fsz);
	/* Trailing bytes shorter than a header. */
	len = build(2, 20);
	dgram[len] = 'S';
	dgram[len + 1] = 'L';
	expect_fault(len + 31, 2, SLF_SHORT, 2 * fsz);
	expect_fault(len + 1, 2, SLF_SHORT, 2 * fsz);  /* one byte: 'S' */
	/* A whole frame cut off in its payload or CRC is a length fault. */
	len = build(1, 20);
	expect_fault(len - 1, 0, SLF_LENGTH, 0);
	expect_fault(0, 0, SLF_SHORT, 0);
	for (int r = 0; r < SLF_REASONS; r++)
		assert_non_null(slf_reason_name((enum slf_reason)r));
	assert_string_equal(slf_reason_name(SLF_VERSION_BAD), "version");
}

static void test_frame_limit(void **state)
{
	struct slf_fault fault;
	uint32_t len = build(10, 0);

	(void)state;
	/* A caller array smaller than the datagram: the rest is a fault, not an overflow. */
	assert_int_equal(slf_parse(dgram, len, frames, 4, &fault), 4);
	assert_int_equal(fault.reason, SLF_LENGTH);
	assert_int_equal(fault.offset, 4 * SLF_FRAME_OVERHEAD);
}

static void test_random_bytes(void **state)
{
	struct slf_fault fault;
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		uint32_t len = (uint32_t)(round % 300), n;

		for (uint32_t i = 0; i < len; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			dgram[i] = (uint8_t)x;
		}
		if (round & 1) {  /* often a valid-looking start */
			dgram[0] = 'S';
			if (len > 1)
				dgram[1] = 'L';
		}
		n = slf_parse(dgram, len, frames, SLF_FRAMES_MAX, &fault);
		assert_true(n == 0 || fault.offset > 0 || fault.reason == SLF_OK);
		assert_true(fault.offset <= len);
		assert_true(fault.reason != SLF_OK || n > 0);
	}
}

/* A datagram at every alignment parses the same: a NIC's buffer, a VLAN
 * tag or IP options put it at any address, and strict-alignment CPUs fault
 * on a misaligned wide load (the parser reads bytes, platform/le.h). */
static void test_any_alignment(void **state)
{
	static uint8_t moved[SLF_DATAGRAM_BYTES_MAX + 64];
	struct slf_frame want[3];
	struct slf_fault fault;
	uint32_t len = build(3, 13);  /* 13: every later frame odd-aligned too */

	(void)state;
	for (uint32_t i = 0; i < 3; i++)
		want[i] = make_frame(i, 13);
	for (uint32_t off = 0; off < 8; off++) {
		memcpy(moved + off, dgram, len);
		assert_int_equal(slf_parse(moved + off, len, frames, SLF_FRAMES_MAX, &fault), 3);
		assert_int_equal(fault.reason, SLF_OK);
		for (uint32_t i = 0; i < 3; i++) {
			assert_true(frames[i].source_id == want[i].source_id);
			assert_true(frames[i].seq == want[i].seq);
			assert_true(frames[i].event_time_ns == want[i].event_time_ns);
			assert_int_equal(frames[i].schema_id, want[i].schema_id);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_frame_fields),
		cmocka_unit_test(test_many_frames),
		cmocka_unit_test(test_boundary_sizes),
		cmocka_unit_test(test_reject_reasons),
		cmocka_unit_test(test_frame_limit),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_any_alignment),
	};

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
