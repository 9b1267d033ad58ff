/* Source health (issue 11): what each device's frames say about the path
 * before sluice. A worker keeps one table of the sources it sees, of fixed
 * capacity, allocated at start; when full, a source not seen since the
 * eviction hand last passed it makes room (CLOCK, the approximation of
 * least-recently-seen that page caches use), counted. Single writer (its
 * worker), no locks; a frame in sequence touches one cache line.
 *
 * Per source, from (source_id, seq, event_time) and the arrival time:
 *   gaps       sequence numbers skipped and not seen since (loss upstream);
 *              a late one found within the window takes its gap back
 *   dups       a sequence number seen again within the window
 *   reordered  a number lower than the highest, within the window, not seen
 *   stale      a number older than the window: neither dup nor reorder can
 *              be told, counted apart
 *   late       arrival - event time > late_ns
 *   ahead      event time - arrival > ahead_ns (the device's clock is ahead)
 *   offset     arrival - event time, smoothed (1/16 per frame): a steady
 *              offset is a device clock behind (or transit time) */
#ifndef SLUICE_DATAPLANE_SRCSTAT_H
#define SLUICE_DATAPLANE_SRCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/counter.h"

#define SRCSTAT_WINDOW 64u               /* sequence numbers behind the highest */
#define SRCSTAT_CAPACITY_MAX (16u << 20)

/* What srcstat_observe found about one frame. */
enum srcstat_verdict {
	SRCSTAT_NEW = 1u << 0,        /* first frame of this source (in the table) */
	SRCSTAT_DUP = 1u << 1,
	SRCSTAT_REORDERED = 1u << 2,
	SRCSTAT_STALE = 1u << 3,
	SRCSTAT_GAP = 1u << 4,        /* it skipped numbers */
	SRCSTAT_LATE = 1u << 5,
	SRCSTAT_AHEAD = 1u << 6,
};

/* One source, as srcstat_read and srcstat_find copy it out. */
struct srcstat_source {
	uint64_t source_id;
	uint64_t events, bytes;
	uint64_t first_ns, last_ns;      /* arrival times */
	uint64_t seq_high;
	uint64_t gaps, dups, reordered, stale, late, ahead;
	int64_t offset_ns;               /* arrival - event time, smoothed */
};

/* The table's sums, readable from the control plane while the worker adds. */
struct srcstat_totals {
	counter_t gaps, dups, reordered, stale, late, ahead;
	counter_t tracked;     /* sources in the table */
	counter_t evictions;
};

struct srcstat_config {
	uint32_t capacity;               /* sources; 1 .. SRCSTAT_CAPACITY_MAX */
	uint64_t late_ns;
	uint64_t ahead_ns;
};

struct srcstat;

/* 0, -EINVAL (capacity out of range), -ENOMEM. */
int srcstat_new(struct srcstat **out, const struct srcstat_config *cfg);
void srcstat_free(struct srcstat *t);

/* The head of the table, for srcstat_prefetch inline (the worker calls it
 * for every frame). */
struct srcstat_index {
	const void *slots;               /* lines of 64 bytes */
	unsigned shift;                  /* 64 - log2(slots) */
};

static inline uint32_t srcstat_home(const struct srcstat_index *x, uint64_t id)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> x->shift);
}

/* Starts loading the line of source_id some frames ahead of observe: with
 * many devices the table is out of cache, and that load was most of the
 * cost of tracking. */
static inline void srcstat_prefetch(const struct srcstat *t, uint64_t source_id)
{
	const struct srcstat_index *x = (const struct srcstat_index *)t;

	__builtin_prefetch((const char *)x->slots + 64 * (size_t)srcstat_home(x, source_id), 1);
}

/* Accounts one frame; returns its srcstat_verdict bits. */
unsigned srcstat_observe(struct srcstat *t, uint64_t source_id, uint64_t seq,
			 uint64_t event_ns, uint64_t arrival_ns, uint32_t bytes);

/* A copy of the source's record: 0, or -ENOENT. The worker's own thread. */
int srcstat_find(const struct srcstat *t, uint64_t source_id, struct srcstat_source *out);

uint32_t srcstat_count(const struct srcstat *t);
uint64_t srcstat_evictions(const struct srcstat *t);
const struct srcstat_totals *srcstat_totals(const struct srcstat *t);

/* Slots of the table (twice the capacity or more); srcstat_read takes 0 .. slots - 1. */
uint32_t srcstat_slots(const struct srcstat *t);

/* A consistent copy of slot `index` for another thread: 0, -ENOENT for an
 * empty slot (or past the end), -EAGAIN when the worker kept writing it.
 * An eviction may move a source to another slot while a reader walks the
 * table, so a walk can (rarely) see one twice or miss one. */
int srcstat_read(const struct srcstat *t, uint32_t index, struct srcstat_source *out);

#endif
