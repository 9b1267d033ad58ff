/* Log-linear latency histograms. */
#include "platform/histo.h"

#include <inttypes.h>

/* Bucket bounds: 10 us, then each 1/10 above the one before (rounded down,
 * at least 1 us), up to the first bound past 60 s. A quantile read as its
 * bucket's upper bound is therefore at most 10 % above the true value. */
static uint64_t histo_bounds_us[HISTO_BUCKETS - 1];

__attribute__((constructor)) static void histo_init_bounds(void)
{
	uint64_t b = HISTO_FIRST_US;

	for (unsigned i = 0; i < HISTO_BUCKETS - 1; i++) {
		histo_bounds_us[i] = b;
		b += b / 10 ? b / 10 : 1;
	}
}

uint64_t histo_bound_us(unsigned i)
{
	return i < HISTO_BUCKETS - 1 ? histo_bounds_us[i] : UINT64_MAX;
}

/* The first bucket whose bound is at or above us: a binary search. */
static unsigned histo_index(uint64_t us)
{
	unsigned lo = 0, hi = HISTO_BUCKETS - 1;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (us > histo_bounds_us[mid])
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void histo_observe(struct histo *h, uint64_t us, uint64_t weight)
{
	counter_add(&h->bucket[histo_index(us)], weight);
	counter_add(&h->count, weight);
	counter_add(&h->sum_us, us * weight);
}

void histo_add_to(const struct histo *h, struct histo_snapshot *s)
{
	for (unsigned i = 0; i < HISTO_BUCKETS; i++)
		s->bucket[i] += counter_get(&h->bucket[i]);
	s->count += counter_get(&h->count);
	s->sum_us += counter_get(&h->sum_us);
}

uint64_t histo_quantile_us(const struct histo_snapshot *s, double q)
{
	uint64_t seen = 0, want;

	if (s->count == 0)
		return 0;
	/* The ceil(q * count)-th observation, without libm. */
	want = (uint64_t)(q * (double)s->count);
	if ((double)want < q * (double)s->count || want == 0)
		want++;
	for (unsigned i = 0; i < HISTO_BUCKETS; i++) {
		seen += s->bucket[i];
		if (seen >= want)
			return histo_bound_us(i);
	}
	return UINT64_MAX;
}

void histo_print_seconds(FILE *out, uint64_t us)
{
	fprintf(out, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

void histo_render_prometheus(const struct histo_snapshot *s, const char *name,
			     const char *help, FILE *out)
{
	uint64_t cumulative = 0;

	fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (unsigned i = 0; i < HISTO_BUCKETS; i++) {
		cumulative += s->bucket[i];
		fprintf(out, "%s_bucket{le=\"", name);
		if (i < HISTO_BUCKETS - 1)
			histo_print_seconds(out, histo_bounds_us[i]);
		else
			fputs("+Inf", out);
		fprintf(out, "\"} %" PRIu64 "\n", cumulative);
	}
	fprintf(out, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name, (double)s->sum_us / 1e6,
		name, s->count);
}
