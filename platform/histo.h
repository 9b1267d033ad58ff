/* Latency histograms with log-linear buckets (microseconds): 10 us, then
 * each bound a tenth above the one before, past 60 s, so that a quantile is
 * known to within 10 %. One writer thread, read from any thread: the same
 * single-writer counters as the rest. */
#ifndef SLUICE_PLATFORM_HISTO_H
#define SLUICE_PLATFORM_HISTO_H

#include <stdint.h>
#include <stdio.h>

#include "platform/counter.h"

#define HISTO_FIRST_US 10
#define HISTO_BUCKETS 171  /* 170 bounds, 10 us .. 61.3 s; the last one is +Inf */

struct histo {
	counter_t bucket[HISTO_BUCKETS];
	counter_t count;
	counter_t sum_us;
};

/* Upper bound of bucket i in microseconds; UINT64_MAX for the last. */
uint64_t histo_bound_us(unsigned i);

/* Records weight observations of us microseconds (writer thread only). */
void histo_observe(struct histo *h, uint64_t us, uint64_t weight);

/* Adds h into a plain snapshot (any thread). */
struct histo_snapshot {
	uint64_t bucket[HISTO_BUCKETS];
	uint64_t count;
	uint64_t sum_us;
};
void histo_add_to(const struct histo *h, struct histo_snapshot *s);

/* The bucket bound at or below which fraction q of observations fall: an
 * upper estimate of that quantile. 0 when empty. */
uint64_t histo_quantile_us(const struct histo_snapshot *s, double q);

/* us microseconds as seconds, exactly ("0.001250"): Prometheus' unit. */
void histo_print_seconds(FILE *out, uint64_t us);

/* Prometheus text: NAME_bucket{le="seconds"}, NAME_sum, NAME_count. */
void histo_render_prometheus(const struct histo_snapshot *s, const char *name,
			     const char *help, FILE *out);

#endif
