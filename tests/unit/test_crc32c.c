/* CRC-32C against the RFC 3720 (B.4) vectors, on the CPU path and the
 * portable fallback. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "platform/crc32c.h"

static void check_vectors(void)
{
	uint8_t buf[48];

	memset(buf, 0, 32);
	assert_int_equal(crc32c(buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, 32);
	assert_int_equal(crc32c(buf, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc32c(buf, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(buf, 32), 0x113FDB5Cu);
	static const uint8_t iscsi_read[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	assert_int_equal(crc32c(iscsi_read, sizeof(iscsi_read)), 0xD9963A56u);
	assert_int_equal(crc32c("123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c("", 0), 0);
}

/* The CPU's instructions where it has them: SSE4.2 on x86-64, the ARMv8
 * CRC32C instructions on ARM64 (qemu-aarch64 emulates them too). */
static void test_vectors_cpu(void **state)
{
	(void)state;
	crc32c_use_software(0);
	print_message("crc32c path: %s\n", crc32c_path());
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		assert_string_equal(crc32c_path(), "sse4.2");
#elif defined(__aarch64__)
	if (getauxval(AT_HWCAP) & HWCAP_CRC32)
		assert_string_equal(crc32c_path(), "armv8-crc");
#endif
	check_vectors();
}

static void test_vectors_software(void **state)
{
	(void)state;
	crc32c_use_software(1);
	assert_string_equal(crc32c_path(), "software");
	check_vectors();
	crc32c_use_software(0);
}

/* Every split point and odd length agrees with the one-shot CRC, on both
 * paths (the hardware path works in 8-, 4- and 1-byte steps). */
static void test_extend_and_lengths(void **state)
{
	uint8_t buf[301];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (int sw = 0; sw < 2; sw++) {
		crc32c_use_software(sw);
		uint32_t whole = crc32c(buf, sizeof(buf));

		for (size_t cut = 0; cut <= sizeof(buf); cut++)
			assert_int_equal(crc32c_extend(crc32c(buf, cut), buf + cut,
						       sizeof(buf) - cut), whole);
	}
	crc32c_use_software(0);
	for (size_t len = 0; len < 64; len++) {
		uint32_t hw = crc32c(buf + 1, len);

		crc32c_use_software(1);
		assert_int_equal(crc32c(buf + 1, len), hw);
		crc32c_use_software(0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_cpu),
		cmocka_unit_test(test_vectors_software),
		cmocka_unit_test(test_extend_and_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
