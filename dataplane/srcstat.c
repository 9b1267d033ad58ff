/* Per-source sequence and clock accounting (see srcstat.h).
 *
 * What a frame needs lives in one 64-byte line, and the lines are the hash
 * table itself (open addressing, linear probing, at most half full), so a
 * frame in sequence from a known device costs one line, which the worker
 * prefetches a burst ahead. What only anomalies change (gaps, duplicates,
 * late...) lives apart, in a cold entry the line points to. Deletion is by
 * backward shift (no tombstones, so probes stay short however many
 * evictions). Eviction is CLOCK: a frame sets its line's referenced bit in
 * the line it writes anyway; the hand clears set bits and takes the first
 * source whose bit is clear. An exact least-recently-seen list cost two
 * more lines per frame (its neighbours), which was most of tracking's
 * cost with many devices. */
#include "dataplane/srcstat.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>

#define SRCSTAT_ENTRY (SRCSTAT_REF - 1)
#define SRCSTAT_HUGE (2u << 20)

_Static_assert(sizeof(struct srcstat_line) == 64, "a source's hot state is one line");
_Static_assert(SRCSTAT_WINDOW == 64, "the window is one word of the line");

struct srcstat_cold {
	uint64_t first_ns;
	uint64_t gaps, dups, reordered, stale, late, ahead;
};

struct srcstat {
	struct srcstat_index x;          /* first: the inline path reads it */
	struct srcstat_config cfg;
	struct srcstat_line *slots;      /* x.slots */
	size_t slots_bytes;
	struct srcstat_cold *cold;       /* cfg.capacity entries */
	uint32_t mask;                   /* slots - 1 */
	uint32_t hand;                   /* CLOCK's next slot */
	struct srcstat_totals sum;       /* tracked: the cold entries in use */
};

int srcstat_new(struct srcstat **out, const struct srcstat_config *cfg)
{
	struct srcstat *t;
	uint64_t slots = 2;
	unsigned bits = 1;
	size_t align;

	*out = NULL;
	if (cfg->capacity < 1 || cfg->capacity > SRCSTAT_CAPACITY_MAX)
		return -EINVAL;
	while (slots < 2ull * cfg->capacity) {  /* at most half full */
		slots <<= 1;
		bits++;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cfg = *cfg;
	t->slots_bytes = slots * sizeof(*t->slots);
	/* Large tables on huge pages where the kernel gives them: a frame's
	 * line is anywhere in the table, and a TLB miss per frame costs as
	 * much as the line. */
	align = t->slots_bytes >= SRCSTAT_HUGE ? SRCSTAT_HUGE : RTE_CACHE_LINE_SIZE;
	t->slots_bytes = RTE_ALIGN_CEIL(t->slots_bytes, align);
	t->slots = aligned_alloc(align, t->slots_bytes);
	t->cold = calloc(cfg->capacity, sizeof(*t->cold));
	if (!t->slots || !t->cold) {
		srcstat_free(t);
		return -ENOMEM;
	}
	if (align == SRCSTAT_HUGE)
		(void)madvise(t->slots, t->slots_bytes, MADV_HUGEPAGE);  /* a hint */
	memset(t->slots, 0, t->slots_bytes);  /* and faults it in now, not per frame */
	t->mask = (uint32_t)(slots - 1);
	t->x = (struct srcstat_index){
		.slots = t->slots, .shift = 64 - bits,
		.on_time_lo = cfg->ahead_ns && cfg->ahead_ns < INT64_MAX ? -(int64_t)cfg->ahead_ns
									  : INT64_MIN,
		.on_time_hi = cfg->late_ns && cfg->late_ns < INT64_MAX ? (int64_t)cfg->late_ns
								       : INT64_MAX,
	};
	*out = t;
	return 0;
}

void srcstat_free(struct srcstat *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->cold);
	free(t);
}

/* The slot holding id, or the empty slot where it would go. */
static uint32_t srcstat_probe(const struct srcstat *t, uint64_t id)
{
	uint32_t i = srcstat_home(t, id);

	while (t->slots[i].cold && t->slots[i].id != id)
		i = (i + 1) & t->mask;
	return i;
}

static struct srcstat_cold *srcstat_cold_of(const struct srcstat *t, const struct srcstat_line *l)
{
	return &t->cold[(l->cold & SRCSTAT_ENTRY) - 1];
}

/* Empties slot i, moving later lines of its probe run back. */
static void srcstat_delete(struct srcstat *t, uint32_t i)
{
	struct srcstat_line *hole = &t->slots[i];
	uint32_t j = i;

	srcstat_lock(hole);
	for (;;) {
		struct srcstat_line *l;
		uint32_t k, ver;

		j = (j + 1) & t->mask;
		l = &t->slots[j];
		if (!l->cold)
			break;
		k = srcstat_home(t, l->id);
		/* Move j's line to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			srcstat_lock(l);
			ver = hole->ver;
			*hole = *l;
			hole->ver = ver;
			srcstat_unlock(hole);
			hole = l;
			i = j;
		}
	}
	__atomic_store_n(&hole->cold, 0, __ATOMIC_RELAXED);
	srcstat_unlock(hole);
}

/* CLOCK: the first source the hand finds not seen since its last pass.
 * Returns its cold entry, freed. Two passes at most: the first clears
 * every bit it does not stop at. */
static uint32_t srcstat_evict(struct srcstat *t)
{
	for (uint64_t n = 0; n < 2ull * (t->mask + 1) + 1; n++) {
		uint32_t h = t->hand, e;
		struct srcstat_line *l = &t->slots[h];

		t->hand = (h + 1) & t->mask;
		if (!l->cold)
			continue;
		if (l->cold & SRCSTAT_REF) {
			__atomic_store_n(&l->cold, l->cold & ~SRCSTAT_REF, __ATOMIC_RELAXED);
			continue;
		}
		e = (l->cold & SRCSTAT_ENTRY) - 1;
		srcstat_delete(t, h);
		counter_add(&t->sum.evictions, 1);
		return e;
	}
	assert(!"srcstat: a full table with no source to evict");
	abort();
}

/* A new source in slot i (its empty slot before any eviction); returns its
 * line, locked. */
static struct srcstat_line *srcstat_insert(struct srcstat *t, uint64_t id, uint32_t i,
					   uint64_t seq, uint64_t arrival_ns)
{
	uint32_t e = (uint32_t)counter_get(&t->sum.tracked);
	struct srcstat_line *l;

	if (e < t->cfg.capacity) {
		counter_add(&t->sum.tracked, 1);
	} else {
		e = srcstat_evict(t);
		i = srcstat_probe(t, id);  /* the shift may have moved its place */
	}
	l = &t->slots[i];
	srcstat_lock(l);
	l->id = id;
	l->seq_high = seq;
	l->window = 1;
	l->events = l->bytes = 0;
	memset(&t->cold[e], 0, sizeof(t->cold[e]));
	t->cold[e].first_ns = arrival_ns;
	__atomic_store_n(&l->cold, (e + 1) | SRCSTAT_REF, __ATOMIC_RELAXED);
	return l;
}

static unsigned srcstat_seq(struct srcstat *t, struct srcstat_line *l, uint64_t seq)
{
	struct srcstat_cold *c = srcstat_cold_of(t, l);
	uint64_t d;

	if (seq > l->seq_high) {
		d = seq - l->seq_high;
		l->seq_high = seq;
		l->window = d < SRCSTAT_WINDOW ? l->window << d | 1 : 1;
		if (d == 1)
			return 0;
		c->gaps += d - 1;
		counter_add(&t->sum.gaps, d - 1);
		return SRCSTAT_GAP;
	}
	d = l->seq_high - seq;
	if (d >= SRCSTAT_WINDOW) {
		/* Numbering from 0 again far below the highest: the device
		 * restarted. Its new numbers count from here. */
		if (seq < SRCSTAT_WINDOW && l->seq_high >= 2 * SRCSTAT_WINDOW) {
			l->seq_high = seq;
			l->window = 1;
			return 0;
		}
		c->stale++;
		counter_add(&t->sum.stale, 1);
		return SRCSTAT_STALE;
	}
	if (l->window >> d & 1) {
		c->dups++;
		counter_add(&t->sum.dups, 1);
		return SRCSTAT_DUP;
	}
	l->window |= 1ull << d;
	c->reordered++;
	counter_add(&t->sum.reordered, 1);
	if (c->gaps) {
		c->gaps--;  /* it was counted missing when skipped */
		counter_set(&t->sum.gaps, counter_get(&t->sum.gaps) - 1);
	}
	return SRCSTAT_REORDERED;
}

unsigned srcstat_observe(struct srcstat *t, uint64_t source_id, uint64_t seq,
			 uint64_t event_ns, uint64_t arrival_ns, uint32_t bytes)
{
	uint32_t i = srcstat_probe(t, source_id);
	int64_t off = (int64_t)(arrival_ns - event_ns);
	struct srcstat_line *l = &t->slots[i];
	unsigned v;

	if (l->cold) {
		srcstat_lock(l);
		v = srcstat_seq(t, l, seq);
		l->offset_ns += (off - l->offset_ns) / 16;
		l->cold |= SRCSTAT_REF;
	} else {
		l = srcstat_insert(t, source_id, i, seq, arrival_ns);
		l->offset_ns = off;
		v = SRCSTAT_NEW;
	}
	l->events++;
	l->bytes += bytes;
	l->last_ns = arrival_ns;
	if (t->cfg.late_ns && off > 0 && (uint64_t)off > t->cfg.late_ns) {
		srcstat_cold_of(t, l)->late++;
		counter_add(&t->sum.late, 1);
		v |= SRCSTAT_LATE;
	}
	if (t->cfg.ahead_ns && off < 0 && (uint64_t)-off > t->cfg.ahead_ns) {
		srcstat_cold_of(t, l)->ahead++;
		counter_add(&t->sum.ahead, 1);
		v |= SRCSTAT_AHEAD;
	}
	srcstat_unlock(l);
	return v;
}

static void srcstat_copy(struct srcstat_source *out, const struct srcstat_line *l,
			 const struct srcstat_cold *c)
{
	*out = (struct srcstat_source){
		.source_id = l->id, .events = l->events, .bytes = l->bytes,
		.first_ns = c->first_ns, .last_ns = l->last_ns, .seq_high = l->seq_high,
		.gaps = c->gaps, .dups = c->dups, .reordered = c->reordered, .stale = c->stale,
		.late = c->late, .ahead = c->ahead, .offset_ns = l->offset_ns,
	};
}

int srcstat_find(const struct srcstat *t, uint64_t source_id, struct srcstat_source *out)
{
	const struct srcstat_line *l = &t->slots[srcstat_probe(t, source_id)];

	if (!l->cold)
		return -ENOENT;
	srcstat_copy(out, l, srcstat_cold_of(t, l));
	return 0;
}

/* The line's fields one by one, each whole: the worker stores into them
 * outside the seqlock (srcstat_observe_at). */
static void srcstat_load(struct srcstat_line *out, const struct srcstat_line *l)
{
	out->id = __atomic_load_n(&l->id, __ATOMIC_RELAXED);
	out->cold = __atomic_load_n(&l->cold, __ATOMIC_RELAXED);
	out->seq_high = __atomic_load_n(&l->seq_high, __ATOMIC_RELAXED);
	out->window = __atomic_load_n(&l->window, __ATOMIC_RELAXED);
	out->events = __atomic_load_n(&l->events, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&l->bytes, __ATOMIC_RELAXED);
	out->last_ns = __atomic_load_n(&l->last_ns, __ATOMIC_RELAXED);
	out->offset_ns = __atomic_load_n(&l->offset_ns, __ATOMIC_RELAXED);
}

int srcstat_read(const struct srcstat *t, uint32_t index, struct srcstat_source *out)
{
	const struct srcstat_line *s;

	if (index > t->mask)
		return -ENOENT;
	s = &t->slots[index];
	for (int tries = 0; tries < 16; tries++) {
		uint32_t v1 = __atomic_load_n(&s->ver, __ATOMIC_ACQUIRE);
		uint32_t cold = __atomic_load_n(&s->cold, __ATOMIC_RELAXED) & SRCSTAT_ENTRY;
		struct srcstat_line l;
		struct srcstat_cold c;

		if (v1 & 1)
			continue;
		if (!cold)
			return -ENOENT;
		srcstat_load(&l, s);
		memcpy(&c, &t->cold[cold - 1], sizeof(c));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->ver, __ATOMIC_RELAXED) == v1) {
			srcstat_copy(out, &l, &c);
			return 0;
		}
	}
	return -EAGAIN;
}

uint32_t srcstat_count(const struct srcstat *t)
{
	return (uint32_t)counter_get(&t->sum.tracked);
}

uint32_t srcstat_slots(const struct srcstat *t)
{
	return t->mask + 1;
}

uint64_t srcstat_evictions(const struct srcstat *t)
{
	return counter_get(&t->sum.evictions);
}

const struct srcstat_totals *srcstat_totals(const struct srcstat *t)
{
	return &t->sum;
}
