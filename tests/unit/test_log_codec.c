/* zstd at rest: compressible and incompressible batches mix in one
 * segment, both read back whole, the counters say which was which, and a
 * log written with zstd reopens (tail scan) and verifies with it off. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/log_codec.h"
#include "storage/log_reader.h"
#include "storage/log_segment.h"
#include "storage/log_writer.h"
#include "tests/common/logrecs.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return logrecs_dir_make(dir, sizeof(dir), "codec");
}

static int teardown(void **state)
{
	(void)state;
	return logrecs_dir_remove(dir);
}

/* Thousands alternate between runs of one byte and noise (logrecs.h);
 * a flush after each closes its batch, so batches are of one kind. */
static void test_mixed_batches(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	const struct log_writer_stats *st;
	struct log_writer *lw;
	uint64_t n = 0;

	(void)state;
	logrecs_noise = true;
	cfg.zstd_level = 3;
	cfg.segment_bytes_max = 1u << 20;  /* several segments, both kinds in each */
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	for (int chunk = 0; chunk < 12; chunk++) {
		for (int part = 0; part < 4; part++) {
			assert_int_equal(logrecs_append(lw, n, 250), 0);
			n += 250;
		}
		assert_int_equal(log_writer_flush(lw), 0);
	}
	st = log_writer_stats(lw);
	assert_true(counter_get(&st->batches_zstd) >= 6);
	assert_true(counter_get(&st->batches_plain) >= 6);
	assert_true(counter_get(&st->body_bytes_stored) < counter_get(&st->body_bytes_in));
	assert_true(counter_get(&st->segments_rolled) >= 2);
	log_writer_close(lw);
	assert_int_equal(logrecs_read_back(dir, 0, n), (int64_t)n);
	assert_int_equal(logrecs_read_back(dir, 1234, n), (int64_t)n);
	assert_int_equal(logrecs_read_back(dir, 4321, 5000), 5000);

	/* Reopen with zstd off: the tail scan reads compressed batches, new
	 * batches are plain, and the reader takes both. */
	cfg.zstd_level = 0;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == n);
	assert_true(counter_get(&log_writer_stats(lw)->torn_bytes_cut) == 0);
	assert_int_equal(logrecs_append(lw, n, 500), 0);
	assert_int_equal(log_writer_flush(lw), 0);
	assert_true(counter_get(&log_writer_stats(lw)->batches_zstd) == 0);
	n += 500;
	log_writer_close(lw);
	assert_int_equal(logrecs_read_back(dir, 0, n), (int64_t)n);
	logrecs_noise = false;
}

/* A compressed batch whose stored bytes are damaged is cut at reopen like
 * any torn tail: the CRC catches it before zstd sees it. */
static void test_damaged_zstd_tail(void **state)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	char path[LOG_PATH_MAX];
	uint64_t base;

	(void)state;
	cfg.zstd_level = 1;
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_int_equal(logrecs_append(lw, 0, 800), 0);
	assert_int_equal(log_writer_flush(lw), 0);
	assert_int_equal(logrecs_append(lw, 800, 100), 0);
	assert_int_equal(log_writer_flush(lw), 0);
	assert_true(counter_get(&log_writer_stats(lw)->batches_zstd) == 2);
	log_writer_close(lw);
	assert_int_equal(log_segment_find(dir, 0, &base), 0);
	assert_int_equal(log_segment_path(path, sizeof(path), dir, base), 0);
	assert_int_equal(logrecs_flip_byte(path, -20, 0xff), 0);
	assert_int_equal(log_writer_open(&lw, dir, &cfg), 0);
	assert_true(log_writer_durable_offset(lw) == 800);
	assert_true(counter_get(&log_writer_stats(lw)->torn_bytes_cut) > 0);
	log_writer_close(lw);
	assert_int_equal(logrecs_read_back(dir, 0, 800), 800);
}

/* The codec on its own: noise stays plain, a run shrinks and comes back. */
static void test_codec(void **state)
{
	static uint8_t in[200000], noise[4096];
	struct log_codec *c;
	const uint8_t *z, *plain;
	uint8_t zcopy[4096];
	uint32_t zlen;

	(void)state;
	assert_int_equal(log_codec_create(&c, LOG_CODEC_LEVEL_MAX + 1), -EINVAL);
	assert_int_equal(log_codec_create(&c, 1), 0);
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)((i * 0x9e3779b97f4a7c15ull) >> 57 ^ i >> 3);
	memset(in, 'x', sizeof(in));
	zlen = log_codec_compress(c, in, sizeof(in), &z);
	assert_true(zlen > 0 && zlen < 1000);
	memcpy(zcopy, z, zlen);
	assert_int_equal(log_codec_decompress(c, zcopy, zlen, sizeof(in), &plain), 0);
	assert_memory_equal(plain, in, sizeof(in));
	/* The wrong plain size is damage, not a shorter body. */
	assert_int_equal(log_codec_decompress(c, zcopy, zlen, sizeof(in) - 1, &plain), -EBADMSG);
	assert_int_equal(log_codec_decompress(c, noise, 100, 5000, &plain), -EBADMSG);
	log_codec_destroy(c);
	/* Level 0 compresses nothing. */
	assert_int_equal(log_codec_create(&c, 0), 0);
	assert_int_equal(log_codec_compress(c, in, sizeof(in), &z), 0);
	log_codec_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mixed_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_zstd_tail, setup, teardown),
		cmocka_unit_test(test_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
