/* The fuzz driver for builds without libFuzzer. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_INPUT_MAX (128u * 1024u)

static const uint8_t *fuzz_current;
static size_t fuzz_current_size;

_Noreturn void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "fuzz: %s:%d: %s failed on an input of %zu bytes:\n", file, line,
		what, fuzz_current_size);
	for (size_t i = 0; i < fuzz_current_size && i < 256; i++)
		fprintf(stderr, "%02x%s", fuzz_current[i], i % 32 == 31 ? "\n" : "");
	fputc('\n', stderr);
	abort();
}

static void fuzz_run(const uint8_t *data, size_t size)
{
	fuzz_current = data;
	fuzz_current_size = size;
	LLVMFuzzerTestOneInput(data, size);
}

static uint64_t fuzz_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int fuzz_files(int argc, char **argv, uint8_t *buf)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, FUZZ_INPUT_MAX, f);
		fclose(f);
		fuzz_run(buf, n);
	}
	return 0;
}

int fuzz_main(int argc, char **argv, unsigned rounds)
{
	static uint8_t seed[FUZZ_INPUT_MAX], other[FUZZ_INPUT_MAX], buf[FUZZ_INPUT_MAX];
	size_t seeds = 0, len, olen;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned runs = 0;

	if (fuzz_files(argc, argv, buf))
		return 1;
	while (fuzz_seed((unsigned)seeds, seed, sizeof(seed)))
		seeds++;
	for (unsigned r = 0; r < rounds && seeds; r++) {
		len = fuzz_seed((unsigned)(fuzz_next(&x) % seeds), buf, sizeof(buf));
		fuzz_run(buf, len);  /* the seed itself */
		for (unsigned m = 1 + fuzz_next(&x) % 8; m > 0 && len > 0; m--) {
			size_t at = fuzz_next(&x) % len;

			switch (fuzz_next(&x) % 5) {
			case 0: buf[at] ^= (uint8_t)(1u << (fuzz_next(&x) % 8)); break;
			case 1: buf[at] = (uint8_t)fuzz_next(&x); break;
			case 2: len = at; break;
			case 3: buf[at] = (uint8_t)(fuzz_next(&x) % 2 ? 0xff : 0); break;
			default:  /* splice another seed's tail in */
				olen = fuzz_seed((unsigned)(fuzz_next(&x) % seeds), other, sizeof(other));
				if (olen) {
					size_t from = fuzz_next(&x) % olen, n = olen - from;

					if (at + n > sizeof(buf))
						n = sizeof(buf) - at;
					memcpy(buf + at, other + from, n);
					len = at + n;
				}
			}
		}
		fuzz_run(buf, len);
		runs += 2;
	}
	printf("fuzz: %d files, %u generated inputs, no failure\n", argc - 1, runs);
	return 0;
}
