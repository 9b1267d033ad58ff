/* The fuzz driver for builds without libFuzzer; with libFuzzer only
 * fuzz_fail, which libFuzzer's abort handler follows with the input. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
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

#ifndef SLUICE_LIBFUZZER
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

static int fuzz_file(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, FUZZ_INPUT_MAX, f);
	fclose(f);
	fuzz_run(buf, n);
	return 0;
}

/* Each argument is an input file or a corpus directory (every file in it). */
static int fuzz_files(int argc, char **argv, uint8_t *buf, unsigned *files)
{
	char path[4096];

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (!d && errno != ENOTDIR) {
			perror(argv[i]);
			return 1;
		}
		if (!d) {
			if (fuzz_file(argv[i], buf))
				return 1;
			(*files)++;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (fuzz_file(path, buf)) {
				closedir(d);
				return 1;
			}
			(*files)++;
		}
		closedir(d);
	}
	return 0;
}

/* --write-seeds DIR: the target's seeds as files seed-N, the starting
 * corpus of a libFuzzer run (tests/fuzz/corpus/NAME). */
static int fuzz_write_seeds(const char *dir, uint8_t *buf)
{
	char path[4096];
	size_t len;

	for (unsigned i = 0; (len = fuzz_seed(i, buf, FUZZ_INPUT_MAX)) > 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%u", dir, i);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	return 0;
}

int fuzz_main(int argc, char **argv, unsigned rounds)
{
	static uint8_t seed[FUZZ_INPUT_MAX], other[FUZZ_INPUT_MAX], buf[FUZZ_INPUT_MAX];
	size_t seeds = 0, len, olen;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned runs = 0, files = 0;

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return fuzz_write_seeds(argv[2], buf);
	/* SLUICE_FUZZ_ROUNDS=0 replays the files alone (coverage of a corpus). */
	if (getenv("SLUICE_FUZZ_ROUNDS"))
		rounds = (unsigned)strtoul(getenv("SLUICE_FUZZ_ROUNDS"), NULL, 10);
	if (fuzz_files(argc, argv, buf, &files))
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
	printf("fuzz: %u files, %u generated inputs, no failure\n", files, runs);
	return 0;
}
#endif
