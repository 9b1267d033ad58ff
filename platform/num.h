/* Whole numbers as operators type them (options, admin words). */
#ifndef SLUICE_PLATFORM_NUM_H
#define SLUICE_PLATFORM_NUM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* s is a whole decimal number that fits 64 bits: no sign, nothing after.
 * False, with *out untouched, otherwise. */
static inline bool num_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')  /* strtoull takes spaces, a sign, and negates "-1" */
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno)
		return false;
	*out = v;
	return true;
}

#endif
