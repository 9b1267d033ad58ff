/* Shared driver for sluice's fuzz targets. Built with libFuzzer
 * (-fsanitize=fuzzer, -DSLUICE_LIBFUZZER) the target is all there is; in the
 * ordinary build the same target runs as a test: on every file named on the
 * command line, then on a bounded number of deterministic mutations of the
 * target's seeds (bit flips, byte sets, truncations, splices). */
#ifndef SLUICE_TESTS_FUZZ_H
#define SLUICE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each target provides its seeds: fills buf (cap bytes), returns the length,
 * or 0 when there are no more. */
size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap);

/* The replay-and-mutate driver; returns the process exit code. */
int fuzz_main(int argc, char **argv, unsigned rounds);

/* fuzz_seed for targets whose seeds are text: seeds[index] without its NUL. */
static inline size_t fuzz_seed_text(const char *const *seeds, size_t count, unsigned index,
				    uint8_t *buf, size_t cap)
{
	size_t n;

	if (index >= count)
		return 0;
	for (n = 0; seeds[index][n]; n++)
		if (n < cap)
			buf[n] = (uint8_t)seeds[index][n];
	return n <= cap ? n : 0;
}

#define FUZZ_ASSERT(cond)                                                        \
	do {                                                                     \
		if (!(cond))                                                     \
			fuzz_fail(#cond, __FILE__, __LINE__);                    \
	} while (0)

_Noreturn void fuzz_fail(const char *what, const char *file, int line);

#endif
