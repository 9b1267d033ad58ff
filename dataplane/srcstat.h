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

#include <rte_prefetch.h>

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

/* What a frame needs of its source, in one line; the lines are the table
 * (open addressing, srcstat.c). Inline here for the worker's fast path. */
struct srcstat_line {
	uint64_t id;
	uint32_t ver;        /* seqlock of the slot's identity: odd while the worker
			      * writes it on the general path (srcstat_observe:
			      * insert, move, eviction, a frame not in sequence) */
	uint32_t cold;       /* cold entry + 1 (0: empty slot), | SRCSTAT_REF */
	uint64_t seq_high;
	uint64_t window;     /* bit k: seq_high - k seen */
	uint64_t events, bytes, last_ns;
	int64_t offset_ns;
};

#define SRCSTAT_REF (1u << 31)       /* seen since CLOCK's hand last passed */

/* The head of struct srcstat: what the inline path reads. */
struct srcstat_index {
	struct srcstat_line *slots;
	unsigned shift;                  /* 64 - log2(slots) */
	int64_t on_time_lo, on_time_hi;  /* arrival - event time neither ahead nor late */
};

/* The slot where source_id's probe starts. */
static inline uint32_t srcstat_home(const struct srcstat *t, uint64_t source_id)
{
	const struct srcstat_index *x = (const struct srcstat_index *)t;

	return (uint32_t)((source_id * 0x9e3779b97f4a7c15ull) >> x->shift);
}

/* Starts loading a source's line some frames ahead of observing it: with
 * many devices the table is out of cache, and that load was most of the
 * cost of tracking. DPDK's prefetch is an asm volatile: gcc deletes a call
 * to a function whose only effect is __builtin_prefetch (it deems it pure). */
static inline void srcstat_prefetch(const struct srcstat *t, uint32_t home)
{
	rte_prefetch0(&((const struct srcstat_index *)t)->slots[home]);
}

static inline void srcstat_lock(struct srcstat_line *l)
{
	__atomic_store_n(&l->ver, l->ver + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void srcstat_unlock(struct srcstat_line *l)
{
	__atomic_store_n(&l->ver, l->ver + 1, __ATOMIC_RELEASE);
}

/* Accounts one frame; returns its srcstat_verdict bits. */
unsigned srcstat_observe(struct srcstat *t, uint64_t source_id, uint64_t seq,
			 uint64_t event_ns, uint64_t arrival_ns, uint32_t bytes);

/* srcstat_observe, with the frame that says nothing new (a known source
 * at its home slot, the next number, on time) handled inline: that is
 * almost every frame, and the call and the general path cost more than
 * the accounting. home: srcstat_home(t, source_id).
 * It leaves the seqlock alone (it changes counters, not which source the
 * slot holds): each field is one single-writer store that a reader sees
 * whole, as counter_t's, so a copy is one source's own, its counters read
 * a moment apart. Locked, it cost 1-2 more points of the per-core frame
 * rate (tests/bench/sources). */
static inline unsigned srcstat_observe_at(struct srcstat *t, uint32_t home, uint64_t source_id,
					  uint64_t seq, uint64_t event_ns, uint64_t arrival_ns,
					  uint32_t bytes)
{
	const struct srcstat_index *x = (const struct srcstat_index *)t;
	struct srcstat_line *l = &x->slots[home];
	int64_t off = (int64_t)(arrival_ns - event_ns);

	if (l->id != source_id || !l->cold || seq != l->seq_high + 1 || seq == 0 ||
	    off < x->on_time_lo || off > x->on_time_hi)
		return srcstat_observe(t, source_id, seq, event_ns, arrival_ns, bytes);
	__atomic_store_n(&l->seq_high, seq, __ATOMIC_RELAXED);
	__atomic_store_n(&l->window, l->window << 1 | 1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->offset_ns, l->offset_ns + (off - l->offset_ns) / 16, __ATOMIC_RELAXED);
	__atomic_store_n(&l->cold, l->cold | SRCSTAT_REF, __ATOMIC_RELAXED);
	__atomic_store_n(&l->events, l->events + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->bytes, l->bytes + bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&l->last_ns, arrival_ns, __ATOMIC_RELAXED);
	return 0;
}

/* A copy of the source's record: 0, or -ENOENT. The worker's own thread. */
int srcstat_find(const struct srcstat *t, uint64_t source_id, struct srcstat_source *out);

uint32_t srcstat_count(const struct srcstat *t);
uint64_t srcstat_evictions(const struct srcstat *t);
const struct srcstat_totals *srcstat_totals(const struct srcstat *t);

/* Slots of the table (twice the capacity or more); srcstat_read takes 0 .. slots - 1. */
uint32_t srcstat_slots(const struct srcstat *t);

/* A copy of slot `index` for another thread, one source's own (its
 * counters read a moment apart, see srcstat_observe_at): 0, -ENOENT for an
 * empty slot (or past the end), -EAGAIN when the worker kept changing it.
 * An eviction may move a source to another slot while a reader walks the
 * table, so a walk can (rarely) see one twice or miss one. */
int srcstat_read(const struct srcstat *t, uint32_t index, struct srcstat_source *out);

#endif
