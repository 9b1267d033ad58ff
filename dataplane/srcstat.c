/* Per-source sequence and clock accounting (see srcstat.h). The table is
 * open addressing with linear probing over (id, entry) pairs, so a probe
 * compares ids without touching the entries, deletions by
 * backward shift (no tombstones, so lookups stay short however many
 * evictions), and an intrusive least-recently-seen list over the entries. */
#include "dataplane/srcstat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SRCSTAT_NONE UINT32_MAX

struct srcstat_slot {
	uint64_t id;
	uint32_t entry;                  /* entry + 1; 0: empty */
};

struct srcstat {
	struct srcstat_config cfg;
	struct srcstat_source *src;      /* cfg.capacity entries */
	uint32_t *prev, *next;           /* the recency list, by entry */
	uint32_t head, tail;             /* most and least recently seen */
	struct srcstat_slot *slots;
	uint32_t mask;                   /* slots - 1 */
	unsigned shift;                  /* 64 - log2(slots) */
	struct srcstat_totals sum;       /* tracked: the entries in use */
};

static uint32_t srcstat_home(const struct srcstat *t, uint64_t id)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> t->shift);
}

int srcstat_new(struct srcstat **out, const struct srcstat_config *cfg)
{
	struct srcstat *t;
	uint64_t slots = 2;
	unsigned bits = 1;

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
	t->src = calloc(cfg->capacity, sizeof(*t->src));
	t->prev = calloc(cfg->capacity, sizeof(*t->prev));
	t->next = calloc(cfg->capacity, sizeof(*t->next));
	t->slots = calloc(slots, sizeof(*t->slots));
	if (!t->src || !t->prev || !t->next || !t->slots) {
		srcstat_free(t);
		return -ENOMEM;
	}
	t->mask = (uint32_t)(slots - 1);
	t->shift = 64 - bits;
	t->head = t->tail = SRCSTAT_NONE;
	*out = t;
	return 0;
}

void srcstat_free(struct srcstat *t)
{
	if (!t)
		return;
	free(t->src);
	free(t->prev);
	free(t->next);
	free(t->slots);
	free(t);
}

/* The slot holding id, or the empty slot where it would go. */
static uint32_t srcstat_slot(const struct srcstat *t, uint64_t id)
{
	uint32_t i = srcstat_home(t, id);

	while (t->slots[i].entry && t->slots[i].id != id)
		i = (i + 1) & t->mask;
	return i;
}

static void srcstat_unlink(struct srcstat *t, uint32_t e)
{
	if (t->prev[e] != SRCSTAT_NONE)
		t->next[t->prev[e]] = t->next[e];
	else
		t->head = t->next[e];
	if (t->next[e] != SRCSTAT_NONE)
		t->prev[t->next[e]] = t->prev[e];
	else
		t->tail = t->prev[e];
}

static void srcstat_push_head(struct srcstat *t, uint32_t e)
{
	t->prev[e] = SRCSTAT_NONE;
	t->next[e] = t->head;
	if (t->head != SRCSTAT_NONE)
		t->prev[t->head] = e;
	t->head = e;
	if (t->tail == SRCSTAT_NONE)
		t->tail = e;
}

/* Empties slot i, moving later entries of its probe run back. */
static void srcstat_slot_delete(struct srcstat *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		uint32_t k;

		j = (j + 1) & t->mask;
		if (!t->slots[j].entry)
			break;
		k = srcstat_home(t, t->slots[j].id);
		/* Move j's entry to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].entry = 0;
}

/* A new source's entry: a free one, or the least recently seen's. */
static uint32_t srcstat_take(struct srcstat *t)
{
	uint32_t e = (uint32_t)counter_get(&t->sum.tracked);

	if (e < t->cfg.capacity) {
		counter_add(&t->sum.tracked, 1);
		return e;
	}
	e = t->tail;
	srcstat_unlink(t, e);
	srcstat_slot_delete(t, srcstat_slot(t, t->src[e].source_id));
	counter_add(&t->sum.evictions, 1);
	return e;
}

static bool srcstat_bit(const struct srcstat_source *s, uint64_t seq)
{
	return s->window[(seq % SRCSTAT_WINDOW) / 64] >> (seq % 64) & 1;
}

static void srcstat_set(struct srcstat_source *s, uint64_t seq, bool on)
{
	uint64_t bit = 1ull << (seq % 64), *w = &s->window[(seq % SRCSTAT_WINDOW) / 64];

	*w = on ? *w | bit : *w & ~bit;
}

static unsigned srcstat_seq(struct srcstat_totals *sum, struct srcstat_source *s, uint64_t seq)
{
	uint64_t d;

	if (seq > s->seq_high) {
		d = seq - s->seq_high;
		if (d > 1) {
			s->gaps += d - 1;
			counter_add(&sum->gaps, d - 1);
		}
		if (d >= SRCSTAT_WINDOW)
			memset(s->window, 0, sizeof(s->window));
		else
			for (uint64_t n = s->seq_high + 1; n < seq; n++)
				srcstat_set(s, n, false);
		srcstat_set(s, seq, true);
		s->seq_high = seq;
		return d > 1 ? SRCSTAT_GAP : 0;
	}
	d = s->seq_high - seq;
	if (d >= SRCSTAT_WINDOW) {
		/* Numbering from 0 again far below the highest: the device
		 * restarted. Its new numbers count from here. */
		if (seq < SRCSTAT_WINDOW && s->seq_high >= 2 * SRCSTAT_WINDOW) {
			memset(s->window, 0, sizeof(s->window));
			srcstat_set(s, seq, true);
			s->seq_high = seq;
			return 0;
		}
		s->stale++;
		counter_add(&sum->stale, 1);
		return SRCSTAT_STALE;
	}
	if (srcstat_bit(s, seq)) {
		s->dups++;
		counter_add(&sum->dups, 1);
		return SRCSTAT_DUP;
	}
	srcstat_set(s, seq, true);
	s->reordered++;
	counter_add(&sum->reordered, 1);
	if (s->gaps) {
		s->gaps--;  /* it was counted missing when skipped */
		counter_set(&sum->gaps, counter_get(&sum->gaps) - 1);
	}
	return SRCSTAT_REORDERED;
}

/* A seqlock per entry: odd while the worker writes it. */
static void srcstat_write_begin(struct srcstat_source *s)
{
	__atomic_store_n(&s->ver, s->ver + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

int srcstat_read(const struct srcstat *t, uint32_t index, struct srcstat_source *out)
{
	const struct srcstat_source *s;

	if (index >= counter_get(&t->sum.tracked) || index >= t->cfg.capacity)
		return -ENOENT;
	s = &t->src[index];
	for (int tries = 0; tries < 16; tries++) {
		uint32_t v1 = __atomic_load_n(&s->ver, __ATOMIC_ACQUIRE);

		if (v1 & 1)
			continue;
		memcpy(out, s, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->ver, __ATOMIC_RELAXED) == v1)
			return 0;
	}
	return -EAGAIN;
}

void srcstat_prefetch(const struct srcstat *t, uint64_t source_id)
{
	__builtin_prefetch(&t->slots[srcstat_home(t, source_id)]);
}

unsigned srcstat_observe(struct srcstat *t, uint64_t source_id, uint64_t seq,
			 uint64_t event_ns, uint64_t arrival_ns, uint32_t bytes)
{
	uint32_t i = srcstat_slot(t, source_id), e;
	int64_t off = (int64_t)(arrival_ns - event_ns);
	struct srcstat_source *s;
	unsigned v = 0;

	if (t->slots[i].entry) {
		e = t->slots[i].entry - 1;
		s = &t->src[e];
		srcstat_write_begin(s);
		v |= srcstat_seq(&t->sum, s, seq);
		s->offset_ns += (off - s->offset_ns) / 16;
	} else {
		uint32_t ver;

		e = srcstat_take(t);
		i = srcstat_slot(t, source_id);  /* an eviction may have moved it */
		t->slots[i] = (struct srcstat_slot){ .id = source_id, .entry = e + 1 };
		s = &t->src[e];
		srcstat_write_begin(s);
		ver = s->ver;
		memset(s, 0, sizeof(*s));
		s->ver = ver;
		s->source_id = source_id;
		s->first_ns = arrival_ns;
		s->seq_high = seq;
		srcstat_set(s, seq, true);
		s->offset_ns = off;
		v |= SRCSTAT_NEW;
		srcstat_push_head(t, e);
	}
	if (t->head != e) {  /* a burst from one device moves nothing */
		srcstat_unlink(t, e);
		srcstat_push_head(t, e);
	}
	s->events++;
	s->bytes += bytes;
	s->last_ns = arrival_ns;
	if (t->cfg.late_ns && off > 0 && (uint64_t)off > t->cfg.late_ns) {
		s->late++;
		counter_add(&t->sum.late, 1);
		v |= SRCSTAT_LATE;
	}
	if (t->cfg.ahead_ns && off < 0 && (uint64_t)-off > t->cfg.ahead_ns) {
		s->ahead++;
		counter_add(&t->sum.ahead, 1);
		v |= SRCSTAT_AHEAD;
	}
	__atomic_store_n(&s->ver, s->ver + 1, __ATOMIC_RELEASE);  /* even: written */
	return v;
}

const struct srcstat_source *srcstat_find(const struct srcstat *t, uint64_t source_id)
{
	uint32_t i = srcstat_slot(t, source_id);

	return t->slots[i].entry ? &t->src[t->slots[i].entry - 1] : NULL;
}

uint32_t srcstat_count(const struct srcstat *t)
{
	return (uint32_t)counter_get(&t->sum.tracked);
}

uint64_t srcstat_evictions(const struct srcstat *t)
{
	return counter_get(&t->sum.evictions);
}

const struct srcstat_totals *srcstat_totals(const struct srcstat *t)
{
	return &t->sum;
}

const struct srcstat_source *srcstat_next(const struct srcstat *t, uint32_t *cursor)
{
	/* cursor: 0 to start, else the last entry handed out + 1 */
	uint32_t e = *cursor ? t->next[*cursor - 1] : t->head;

	if (e == SRCSTAT_NONE)
		return NULL;
	*cursor = e + 1;
	return &t->src[e];
}
