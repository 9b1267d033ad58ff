/* Fuzz target: the SLF1 parser on arbitrary datagrams. Beyond "no crash":
 * the valid frames re-encode to exactly the bytes before the fault, the
 * fault is inside the datagram, and a datagram parses the same way twice. */
#include <string.h>

#include "dataplane/slf.h"
#include "fuzz.h"

static struct slf_frame frames[SLF_FRAMES_MAX], again[SLF_FRAMES_MAX];
static uint8_t out[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slf_fault fault, fault2;
	uint32_t len = size > SLF_DATAGRAM_BYTES_MAX + 28 ? SLF_DATAGRAM_BYTES_MAX + 28
							  : (uint32_t)size;
	uint32_t n = slf_parse(data, len, frames, SLF_FRAMES_MAX, &fault), pos = 0;

	FUZZ_ASSERT(n <= SLF_FRAMES_MAX);
	FUZZ_ASSERT(fault.offset <= len);
	FUZZ_ASSERT(fault.reason != SLF_OK || (len > 0 && n > 0));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t size_i = slf_encode(out, sizeof(out), &frames[i]);

		FUZZ_ASSERT(size_i == SLF_FRAME_OVERHEAD + frames[i].payload_len);
		FUZZ_ASSERT(pos + size_i <= len);
		FUZZ_ASSERT(memcmp(out, data + pos, size_i) == 0);
		pos += size_i;
	}
	FUZZ_ASSERT(pos == (fault.reason == SLF_OK ? len : fault.offset));
	FUZZ_ASSERT(slf_parse(data, len, again, SLF_FRAMES_MAX, &fault2) == n);
	FUZZ_ASSERT(fault2.reason == fault.reason && fault2.offset == fault.offset);
	return 0;
}

size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap)
{
	static const uint8_t text[] = "{\"t\":21.5,\"rh\":40}";
	size_t len = 0;

	if (index > 5)
		return 0;
	if (index == 5) {  /* one stray byte */
		buf[0] = 'S';
		return 1;
	}
	/* Seed i: i+1 valid frames with growing payloads. */
	for (unsigned f = 0; f <= index; f++) {
		struct slf_frame fr = { .flags = (uint8_t)(f & 1), .schema_id = (uint16_t)f,
					.payload_len = (uint16_t)(f * 3 % sizeof(text)),
					.source_id = 42 + f, .seq = f, .event_time_ns = 1ull << 60,
					.payload = text };

		len += slf_encode(buf + len, cap - len, &fr);
	}
	return len;
}

#ifndef SLUICE_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_main(argc, argv, 200000);
}
#endif
