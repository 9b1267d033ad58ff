/* Sorting a benchmark's per-pass ratios, for their median and spread. */
#ifndef SLUICE_BENCH_SORT_H
#define SLUICE_BENCH_SORT_H

#include <stddef.h>
#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline void bench_sort_doubles(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
}

#endif
