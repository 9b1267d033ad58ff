/* Source health (issue 11): what each device's frames say about the path
 * before sluice. A worker keeps one table of the sources it sees, of fixed
 * capacity, allocated at start; when full, the least recently seen source
 * makes room, counted. Single writer (its worker), no locks.
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
#include <stdint.h>

#include "platform/counter.h"

#define SRCSTAT_WINDOW 256u              /* sequence numbers behind the highest */
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

struct srcstat_source {
	uint32_t ver;                    /* odd while the worker writes it */
	uint64_t source_id;
	uint64_t events, bytes;
	uint64_t first_ns, last_ns;      /* arrival times */
	uint64_t seq_high;
	uint64_t gaps, dups, reordered, stale, late, ahead;
	int64_t offset_ns;               /* arrival - event time, smoothed */
	uint64_t window[SRCSTAT_WINDOW / 64];  /* bit (seq % WINDOW): seen */
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

/* Starts loading the table slot of source_id, a burst ahead of observe:
 * with many devices the table is out of cache, and that load was most of
 * the cost of tracking. */
void srcstat_prefetch(const struct srcstat *t, uint64_t source_id);

/* Accounts one frame; returns its srcstat_verdict bits. */
unsigned srcstat_observe(struct srcstat *t, uint64_t source_id, uint64_t seq,
			 uint64_t event_ns, uint64_t arrival_ns, uint32_t bytes);

/* The source's record, or NULL. Valid until the next observe. */
const struct srcstat_source *srcstat_find(const struct srcstat *t, uint64_t source_id);

uint32_t srcstat_count(const struct srcstat *t);
uint64_t srcstat_evictions(const struct srcstat *t);
const struct srcstat_totals *srcstat_totals(const struct srcstat *t);

/* A consistent copy of entry `index` (0 .. tracked - 1) for another thread:
 * 0, -ENOENT past the entries in use, -EAGAIN when the worker kept writing
 * it. Entries are never freed, only reused, so any index is safe to read. */
int srcstat_read(const struct srcstat *t, uint32_t index, struct srcstat_source *out);

/* Sources from the most recently seen (the worker's own thread only): *cursor 0 to start; returns NULL
 * after the last. */
const struct srcstat_source *srcstat_next(const struct srcstat *t, uint32_t *cursor);

#endif
