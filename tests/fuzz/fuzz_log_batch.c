/* Fuzz target: a log batch as read back from a damaged disk. The header
 * decoder, the zstd decoder and the batch check must reject or accept
 * without reading past the bytes given, and an accepted batch must split
 * into exactly its record_count records. The CRC is recomputed over the
 * mutated input first: a damaged disk's CRC rarely matches, but the point
 * is to reach the decoders behind it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "platform/crc32c.h"
#include "storage/log_codec.h"
#include "storage/log_segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log_codec *codec;
	struct log_batch_header h;
	struct log_record rec;
	const uint8_t *plain;
	uint32_t pos = 0, n = 0, used, crc;
	uint8_t *copy;

	if (!codec && log_codec_create(&codec, 0) < 0)
		abort();
	if (size < LOG_BATCH_HEADER_BYTES || size > LOG_BATCH_BYTES_MAX)
		return 0;
	/* An exact-size heap copy, so ASan sees any read past the input. */
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	if (log_batch_header_decode(copy, &h) < 0 || h.batch_bytes > size)
		goto out;
	FUZZ_ASSERT(h.batch_bytes >= LOG_BATCH_HEADER_BYTES &&
		    h.batch_bytes <= LOG_BATCH_BYTES_MAX);
	crc = crc32c_extend(crc32c(copy, 36), copy + LOG_BATCH_HEADER_BYTES,
			    h.batch_bytes - LOG_BATCH_HEADER_BYTES);
	le_put32(copy + 36, crc);
	h.crc = crc;
	if (log_batch_check(copy, &h, codec, &plain) < 0)
		goto out;
	while (pos < h.body_bytes) {
		used = log_record_decode(plain + pos, h.body_bytes - pos, &rec);
		FUZZ_ASSERT(used >= LOG_RECORD_HEADER_BYTES);
		FUZZ_ASSERT(rec.payload + rec.payload_len <= plain + h.body_bytes);
		pos += used;
		n++;
	}
	FUZZ_ASSERT(pos == h.body_bytes && n == h.record_count);
out:
	free(copy);
	return 0;
}

size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap)
{
	static struct log_codec *zc;
	struct log_batch_header h = { 0 };
	uint32_t pos = LOG_BATCH_HEADER_BYTES, zlen;
	const uint8_t *z;

	if (index > 7)
		return 0;
	/* Seed i: a valid batch of i%4+1 records; from 4 on, compressed. */
	for (unsigned r = 0; r <= index % 4; r++) {
		struct log_record rec = { .schema_id = (uint16_t)r, .source_id = r, .seq = r,
					  .payload = (const uint8_t *)"payloadpayloadpayload",
					  .payload_len = 7 + r * 4, .dlq_reason = (uint8_t)r };

		if (pos + log_record_bytes(rec.payload_len) > cap)
			return 0;
		pos += log_record_encode(buf + pos, &rec);
	}
	h.body_bytes = pos - LOG_BATCH_HEADER_BYTES;
	if (index >= 4) {
		if (!zc && log_codec_create(&zc, 3) < 0)
			abort();
		zlen = log_codec_compress(zc, buf + LOG_BATCH_HEADER_BYTES, h.body_bytes, &z);
		if (zlen) {
			memcpy(buf + LOG_BATCH_HEADER_BYTES, z, zlen);
			pos = LOG_BATCH_HEADER_BYTES + zlen;
			h.flags = LOG_BATCH_FLAG_ZSTD;
		}
	}
	h.batch_bytes = pos;
	h.base_offset = 1000;
	h.record_count = index % 4 + 1;
	log_batch_header_encode(buf, &h);
	return pos;
}

#ifndef SLUICE_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_main(argc, argv, 200000);
}
#endif
