/* The floor of per-source accounting, for tests/bench/sources: the worker
 * compiled with this header forced in (-include) finds each frame's source
 * line in the same table, prefetched the same way, and only adds one to
 * its events. What full tracking costs beyond this is its own work; this
 * much any per-device state in a table larger than the cache costs. */
#ifndef SLUICE_BENCH_SRCSTAT_FLOOR_H
#define SLUICE_BENCH_SRCSTAT_FLOOR_H

#include "dataplane/srcstat.h"

static inline unsigned srcstat_floor_observe_at(struct srcstat *t, uint32_t home,
						uint64_t source_id, uint64_t seq,
						uint64_t event_ns, uint64_t arrival_ns,
						uint32_t bytes)
{
	struct srcstat_line *l = &((const struct srcstat_index *)t)->slots[home];

	if (l->id != source_id || !l->cold)  /* new: inserted as usual */
		return srcstat_observe(t, source_id, seq, event_ns, arrival_ns, bytes);
	l->events++;
	return 0;
}

#define srcstat_observe_at srcstat_floor_observe_at

#endif
