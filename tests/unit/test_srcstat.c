/* Source health: gaps, duplicates, reordering, stale numbers, restarts,
 * late and ahead clocks on crafted sequences; the window wrapping many
 * times; eviction (CLOCK) under a full table; readers walking the slots. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dataplane/srcstat.h"

#define SEC 1000000000ull
#define T0 (1800000000ull * SEC)

static struct srcstat *table(uint32_t capacity)
{
	struct srcstat_config cfg = { .capacity = capacity, .late_ns = SEC, .ahead_ns = SEC };
	struct srcstat *t;

	assert_int_equal(srcstat_new(&t, &cfg), 0);
	return t;
}

/* A copy of the source's record; fails the test when it is not there. */
static struct srcstat_source get(const struct srcstat *t, uint64_t id)
{
	struct srcstat_source s;

	assert_int_equal(srcstat_find(t, id, &s), 0);
	return s;
}

static bool has(const struct srcstat *t, uint64_t id)
{
	struct srcstat_source s;

	return srcstat_find(t, id, &s) == 0;
}

/* Frames of one source with these numbers, on time. */
static unsigned feed(struct srcstat *t, uint64_t id, const uint64_t *seqs, size_t n)
{
	unsigned all = 0;

	for (size_t i = 0; i < n; i++)
		all |= srcstat_observe(t, id, seqs[i], T0 + i, T0 + i + 1000, 10);
	return all;
}

static void test_gaps_dups_reorder(void **state)
{
	static const uint64_t seqs[] = { 0, 1, 2, 5, 6, 6, 4, 9, 1, 7 };
	struct srcstat *t = table(16);
	struct srcstat_source s;

	(void)state;
	feed(t, 42, seqs, 3);
	assert_int_equal(srcstat_observe(t, 42, 5, T0, T0, 10), SRCSTAT_GAP);        /* 3, 4 */
	assert_int_equal(srcstat_observe(t, 42, 6, T0, T0, 10), 0);
	assert_int_equal(srcstat_observe(t, 42, 6, T0, T0, 10), SRCSTAT_DUP);
	assert_int_equal(srcstat_observe(t, 42, 4, T0, T0, 10), SRCSTAT_REORDERED);  /* 4 found */
	assert_int_equal(srcstat_observe(t, 42, 9, T0, T0, 10), SRCSTAT_GAP);        /* 7, 8 */
	assert_int_equal(srcstat_observe(t, 42, 1, T0, T0, 10), SRCSTAT_DUP);
	assert_int_equal(srcstat_observe(t, 42, 7, T0, T0, 10), SRCSTAT_REORDERED);
	s = get(t, 42);
	assert_int_equal(s.events, 10);
	assert_int_equal(s.bytes, 100);
	assert_int_equal(s.seq_high, 9);
	assert_int_equal(s.gaps, 2);        /* 3 and 8 never came */
	assert_int_equal(s.dups, 2);
	assert_int_equal(s.reordered, 2);
	assert_int_equal(s.stale, 0);
	srcstat_free(t);
}

/* 100,000 numbers through the 64-number window: every 10th sent twice,
 * every 7th held back 40 places, every 1000th never sent. */
static void test_window_wraps(void **state)
{
	struct srcstat *t = table(4);
	struct srcstat_source s;
	uint64_t sent = 0, missing = 0, dups = 0, held = 0;

	(void)state;
	for (uint64_t n = 0; n < 100000; n++) {
		uint64_t late = n - 40;  /* held back at its turn, sent now */

		if (n >= 40 && late % 7 == 3 && late % 1000 != 999) {
			assert_int_equal(srcstat_observe(t, 7, late, T0, T0, 1), SRCSTAT_REORDERED);
			sent++;
		}
		if (n % 1000 == 999) {
			missing++;
			continue;
		}
		if (n % 7 == 3 && n + 40 < 100000) {
			held++;
			continue;
		}
		srcstat_observe(t, 7, n, T0, T0, 1);
		sent++;
		if (n % 10 == 0) {
			srcstat_observe(t, 7, n, T0, T0, 1);
			dups++;
		}
	}
	s = get(t, 7);
	assert_int_equal(s.events, sent + dups);
	assert_int_equal(s.dups, dups);
	assert_int_equal(s.reordered, held);
	assert_int_equal(s.gaps, missing - 1);  /* 99,999: nothing came after to miss it */
	assert_int_equal(s.stale, 0);
	srcstat_free(t);
}

static void test_stale_and_restart(void **state)
{
	struct srcstat *t = table(4);
	struct srcstat_source s;

	(void)state;
	srcstat_observe(t, 1, 1000, T0, T0, 1);
	assert_int_equal(srcstat_observe(t, 1, 600, T0, T0, 1), SRCSTAT_STALE);
	assert_int_equal(srcstat_observe(t, 1, 999, T0, T0, 1), SRCSTAT_REORDERED);
	/* The device rebooted: numbering from 0 again. */
	assert_int_equal(srcstat_observe(t, 1, 0, T0, T0, 1), 0);
	assert_int_equal(srcstat_observe(t, 1, 1, T0, T0, 1), 0);
	assert_int_equal(srcstat_observe(t, 1, 2, T0, T0, 1), 0);
	s = get(t, 1);
	assert_int_equal(s.seq_high, 2);
	assert_int_equal(s.stale, 1);
	assert_int_equal(s.dups, 0);
	srcstat_free(t);
}

static void test_late_ahead_offset(void **state)
{
	struct srcstat *t = table(4);
	struct srcstat_source s;

	(void)state;
	/* Arrival 2 s after the event: late; event 2 s after arrival: ahead. */
	assert_int_equal(srcstat_observe(t, 5, 0, T0, T0 + 2 * SEC, 1), SRCSTAT_NEW | SRCSTAT_LATE);
	assert_int_equal(srcstat_observe(t, 5, 1, T0 + 2 * SEC, T0, 1), SRCSTAT_AHEAD);
	assert_int_equal(srcstat_observe(t, 5, 2, T0, T0 + SEC / 2, 1), 0);
	/* A device 300 ms behind, steadily: the offset settles there. */
	for (uint64_t n = 3; n < 400; n++)
		srcstat_observe(t, 6, n, T0 + n * SEC, T0 + n * SEC + 300000000ull, 1);
	s = get(t, 6);
	assert_true(s.offset_ns > 299000000 && s.offset_ns < 301000000);
	assert_int_equal(s.late, 0);
	s = get(t, 5);
	assert_int_equal(s.late, 1);
	assert_int_equal(s.ahead, 1);
	srcstat_free(t);
}

/* CLOCK: a full table evicts a source not seen since the hand last
 * passed; one seen since keeps its place. */
static void test_eviction_clock(void **state)
{
	struct srcstat *t = table(4);
	uint64_t gone = 0, kept = 0;

	(void)state;
	for (uint64_t id = 1; id <= 4; id++)
		srcstat_observe(t, id, 0, T0, T0, 1);
	/* The hand's first pass clears every bit and takes the first source. */
	assert_int_equal(srcstat_observe(t, 5, 0, T0, T0, 1), SRCSTAT_NEW);
	assert_int_equal(srcstat_evictions(t), 1);
	assert_int_equal(srcstat_count(t), 4);
	for (uint64_t id = 1; id <= 4; id++)
		if (!has(t, id))
			gone = id;
	assert_true(gone != 0);
	/* Of the three left (bits clear), all but one send again: that one
	 * goes next, and nothing else. */
	for (uint64_t id = 1; id <= 4; id++)
		if (id != gone && !kept)
			kept = id;  /* the one that stays quiet */
	for (uint64_t id = 1; id <= 4; id++)
		if (id != gone && id != kept)
			srcstat_observe(t, id, 1, T0, T0, 1);
	srcstat_observe(t, 5, 1, T0, T0, 1);
	assert_int_equal(srcstat_observe(t, 6, 0, T0, T0, 1), SRCSTAT_NEW);
	assert_int_equal(srcstat_evictions(t), 2);
	assert_false(has(t, kept));
	assert_true(has(t, 6));
	assert_true(has(t, 5));
	assert_int_equal(get(t, 5).events, 2);
	for (uint64_t id = 1; id <= 4; id++)
		if (id != gone && id != kept)
			assert_int_equal(get(t, id).events, 2);
	srcstat_free(t);
}

/* Heavy churn through a small table: a reader's walk of the slots finds
 * each source once, by find too, and the counts add up. */
static void test_churn_consistent(void **state)
{
	struct srcstat *t = table(64);
	uint64_t x = 88172645463325252ull, distinct = 0, events = 0;
	struct srcstat_source s;
	uint32_t n = 0;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t id;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		id = x % 32768;
		if (srcstat_observe(t, id, (uint64_t)i, T0, T0, 1) & SRCSTAT_NEW)
			distinct++;
	}
	assert_int_equal(srcstat_count(t), 64);
	assert_int_equal(srcstat_evictions(t), distinct - 64);
	assert_true(srcstat_slots(t) >= 128);
	assert_int_equal(srcstat_read(t, srcstat_slots(t), &s), -ENOENT);
	for (uint32_t i = 0; i < srcstat_slots(t); i++) {
		int rc = srcstat_read(t, i, &s);

		if (rc == -ENOENT)
			continue;
		assert_int_equal(rc, 0);
		assert_int_equal(get(t, s.source_id).events, s.events);
		events += s.events;
		n++;
	}
	assert_int_equal(n, 64);
	assert_true(events >= 64);
	srcstat_free(t);
}

/* A reader walking the table while the worker churns it (evictions move
 * lines by backward shift, entries are reused) and counts frames in
 * sequence on the inline path (no version stores): every copy it gets is
 * one source's own. Source id sends frames of size(id) bytes stamped
 * T0 + id, so a copy's bytes are a multiple of its size, and its first
 * and last arrival (from its cold entry and its line) are its own stamp. */
struct reader_arg {
	struct srcstat *t;
	atomic_bool stop;
	uint64_t copies, torn, bad;
};

static uint32_t size_of(uint64_t id)
{
	return 1 + (uint32_t)(id % 13);
}

static void *reader(void *p)
{
	struct reader_arg *a = p;
	struct srcstat_source s;

	while (!atomic_load(&a->stop))
		for (uint32_t i = 0; i < srcstat_slots(a->t); i++) {
			int rc = srcstat_read(a->t, i, &s);

			if (rc == -EAGAIN)
				a->torn++;
			if (rc != 0)
				continue;
			a->copies++;
			if (s.source_id >= 4096 || s.events == 0 || s.bytes == 0 ||
			    s.bytes % size_of(s.source_id) || s.first_ns != T0 + s.source_id ||
			    s.last_ns != T0 + s.source_id || s.gaps || s.dups || s.reordered ||
			    s.stale)
				a->bad++;
		}
	return NULL;
}

static void test_concurrent_reader(void **state)
{
	struct reader_arg a = { .t = table(256) };
	static uint64_t next[4096];
	uint64_t x = 2463534242ull, in_sequence = 0;
	pthread_t th;

	(void)state;
	atomic_init(&a.stop, false);
	assert_int_equal(pthread_create(&th, NULL, reader, &a), 0);
	for (int i = 0; i < 3000000; i++) {
		uint64_t id, stamp;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		id = x % 1024 < 900 ? x % 200 : x % 4096;  /* a hot set and churn */
		stamp = T0 + id;
		in_sequence += srcstat_observe_at(a.t, srcstat_home(a.t, id), id, next[id]++, stamp,
						  stamp, size_of(id)) == 0;
	}
	atomic_store(&a.stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	print_message("reader: %llu copies, %llu retried out, %llu bad; %llu evictions, "
		      "%llu frames in sequence\n", (unsigned long long)a.copies,
		      (unsigned long long)a.torn, (unsigned long long)a.bad,
		      (unsigned long long)srcstat_evictions(a.t), (unsigned long long)in_sequence);
	assert_true(a.copies > 0);
	assert_true(srcstat_evictions(a.t) > 1000);
	assert_true(in_sequence > 1000000);
	assert_int_equal(a.bad, 0);
	srcstat_free(a.t);
}

static void test_capacity_bounds(void **state)
{
	struct srcstat_config cfg = { .capacity = 0 };
	struct srcstat *t;

	(void)state;
	assert_int_equal(srcstat_new(&t, &cfg), -EINVAL);
	cfg.capacity = SRCSTAT_CAPACITY_MAX + 1;
	assert_int_equal(srcstat_new(&t, &cfg), -EINVAL);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gaps_dups_reorder),
		cmocka_unit_test(test_window_wraps),
		cmocka_unit_test(test_stale_and_restart),
		cmocka_unit_test(test_late_ahead_offset),
		cmocka_unit_test(test_eviction_clock),
		cmocka_unit_test(test_churn_consistent),
		cmocka_unit_test(test_concurrent_reader),
		cmocka_unit_test(test_capacity_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
