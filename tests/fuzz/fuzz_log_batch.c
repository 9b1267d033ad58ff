/* Fuzz target: a log batch as read back from a damaged disk. The header
 * decoder and the batch check must reject or accept without reading past
 * the bytes given, and an accepted batch must split into exactly its
 * record_count records. */
#include <string.h>

#include "fuzz.h"
#include "storage/log_segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[LOG_BATCH_BYTES_MAX];
	struct log_batch_header h;
	struct log_record rec;
	uint32_t pos = 0, n = 0, used;

	if (size < LOG_BATCH_HEADER_BYTES || size > sizeof(copy))
		return 0;
	/* An exact-size copy, so the sanitizer sees any read past the input. */
	memcpy(copy, data, size);
	if (log_batch_header_decode(copy, &h) < 0)
		return 0;
	FUZZ_ASSERT(h.batch_bytes >= LOG_BATCH_HEADER_BYTES &&
		    h.batch_bytes <= LOG_BATCH_BYTES_MAX);
	if (h.batch_bytes > size || log_batch_check(copy, &h) < 0)
		return 0;
	while (pos < h.body_bytes) {
		used = log_record_decode(copy + LOG_BATCH_HEADER_BYTES + pos,
					 h.body_bytes - pos, &rec);
		FUZZ_ASSERT(used >= LOG_RECORD_HEADER_BYTES);
		FUZZ_ASSERT(rec.payload + rec.payload_len <= copy + h.batch_bytes);
		pos += used;
		n++;
	}
	FUZZ_ASSERT(pos == h.body_bytes && n == h.record_count);
	return 0;
}

size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap)
{
	struct log_batch_header h = { 0 };
	uint32_t pos = LOG_BATCH_HEADER_BYTES;

	if (index > 3)
		return 0;
	/* Seed i: a valid batch of i+1 records. */
	for (unsigned r = 0; r <= index; r++) {
		struct log_record rec = { .schema_id = (uint16_t)r, .source_id = r, .seq = r,
					  .payload = (const uint8_t *)"payload",
					  .payload_len = r * 2, .dlq_reason = (uint8_t)r };

		if (pos + log_record_bytes(rec.payload_len) > cap)
			return 0;
		pos += log_record_encode(buf + pos, &rec);
	}
	h.batch_bytes = pos;
	h.base_offset = 1000;
	h.record_count = index + 1;
	h.body_bytes = pos - LOG_BATCH_HEADER_BYTES;
	log_batch_header_encode(buf, &h);
	return pos;
}

#ifndef SLUICE_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_main(argc, argv, 200000);
}
#endif
