/* Fixed-bucket latency histograms. */
#include "platform/histo.h"

#include <inttypes.h>

/* From 50 us to 10 s in roughly 1-2.5-5 steps: what an ingest pipeline's
 * latencies span, from a quiet group commit to a Kafka outage. */
static const uint64_t histo_bounds_us[HISTO_BUCKETS - 1] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

uint64_t histo_bound_us(unsigned i)
{
	return i < HISTO_BUCKETS - 1 ? histo_bounds_us[i] : UINT64_MAX;
}

void histo_observe(struct histo *h, uint64_t us, uint64_t weight)
{
	unsigned i = 0;

	while (i < HISTO_BUCKETS - 1 && us > histo_bounds_us[i])
		i++;
	counter_add(&h->bucket[i], weight);
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

void histo_render_prometheus(const struct histo_snapshot *s, const char *name,
			     const char *help, FILE *out)
{
	uint64_t cumulative = 0;

	fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (unsigned i = 0; i < HISTO_BUCKETS; i++) {
		cumulative += s->bucket[i];
		if (i < HISTO_BUCKETS - 1)
			fprintf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
				(double)histo_bounds_us[i] / 1e6, cumulative);
		else
			fprintf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cumulative);
	}
	fprintf(out, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name, (double)s->sum_us / 1e6,
		name, s->count);
}
