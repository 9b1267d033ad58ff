/* The RX worker without a source: datagrams in, batch buffers out, with the
 * drops of a full queue and an empty pool counted. Runs the EAL with no NIC
 * and no hugepages, like sluiced. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/worker.h"
#include "platform/eal.h"
#include "platform/le.h"

#define QUEUE_POW2 4u   /* holds 3 */
#define POOL_BUFS 6u

static struct queue *queue;
static struct pool *pool;
static uint8_t dgram[SLF_DATAGRAM_BYTES_MAX];

static struct worker *make_worker(enum worker_mode mode)
{
	struct worker_config wc = {
		.queue = queue, .pool = pool, .mode = mode,
		.enqueue_retry_ns = 200000, .flush_ns = 1000000,
	};
	struct worker *w = worker_create(&wc);

	assert_non_null(w);
	return w;
}

/* Takes every buffer off the queue, checks its kind, returns records. */
static uint32_t drain(uint32_t kind, struct log_batchbuf **last)
{
	void *objs[8];
	unsigned n = queue_dequeue_burst(queue, objs, 8);
	uint32_t records = 0;

	for (unsigned i = 0; i < n; i++) {
		struct log_batchbuf *b = objs[i];

		assert_int_equal(b->kind, kind);
		records += b->count;
		if (last && i == n - 1)
			*last = b;
		else
			pool_put(pool, b);
	}
	return records;
}

static uint32_t build(uint32_t frames, uint16_t plen, uint64_t source, uint64_t seq0)
{
	static uint8_t payload[2048];
	uint32_t len = 0;

	for (uint32_t i = 0; i < frames; i++) {
		struct slf_frame f = { .schema_id = 7, .payload_len = plen,
				       .source_id = source, .seq = seq0 + i,
				       .event_time_ns = 5, .payload = payload };
		len += slf_encode(dgram + len, sizeof(dgram) - len, &f);
	}
	return len;
}

static void test_frames_and_dead_letter(void **state)
{
	struct worker *w = make_worker(WORKER_MODE_SLF1);
	struct log_batchbuf *b = NULL;
	struct log_record rec = { 0 };
	uint32_t len = build(3, 10, 77, 100);
	struct rx_pkt pkt = { .data = dgram, .peer_id = 9, .arrival_ns = 1234 };

	(void)state;
	memcpy(dgram + len, "SLjunk", 6);
	pkt.len = len + 6;
	worker_handle(w, &pkt);
	worker_flush(w, LOG_KIND_EVENTS);
	assert_int_equal(drain(LOG_KIND_EVENTS, &b), 3);
	uint32_t pos = 0;
	for (uint64_t i = 0; i < 3; i++) {
		pos += log_record_decode(b->data + pos, b->bytes - pos, &rec);
		assert_true(rec.source_id == 77 && rec.seq == 100 + i);
		assert_true(rec.arrival_ns == 1234 && rec.event_time_ns == 5);
		assert_int_equal(rec.schema_id, 7);
		assert_int_equal(rec.payload_len, 10);
	}
	assert_int_equal(pos, b->bytes);
	pool_put(pool, b);
	worker_flush_all(w);
	assert_int_equal(drain(LOG_KIND_DLQ, &b), 1);
	assert_int_equal(log_record_decode(b->data, b->bytes, &rec), b->bytes);
	assert_int_equal(rec.dlq_reason, SLF_SHORT);
	assert_int_equal(rec.payload_len, 6);
	assert_memory_equal(rec.payload, "SLjunk", 6);
	assert_true(rec.source_id == 9);
	pool_put(pool, b);
	assert_true(counter_get(&w->stats.frames_received) == 4);
	assert_true(counter_get(&w->stats.dlq_by_reason[SLF_SHORT]) == 1);
	assert_true(counter_get(&w->stats.events_enqueued) == 3);
	assert_true(counter_get(&w->stats.dlq_enqueued) == 1);
	worker_destroy(w);
}

/* With source health on, a sequence number sent again is kept, flagged for
 * Kafka's dup header, and counted; a skipped one is a gap. */
static void test_source_health_dups_kept(void **state)
{
	struct worker_config wc = {
		.queue = queue, .pool = pool, .mode = WORKER_MODE_SLF1,
		.enqueue_retry_ns = 200000, .flush_ns = 1000000, .sources_max = 8,
	};
	struct worker *w = worker_create(&wc);
	struct log_batchbuf *b = NULL;
	struct log_record rec = { 0 };
	struct rx_pkt pkt = { .data = dgram, .peer_id = 9, .arrival_ns = 1234 };
	const struct srcstat_totals *t;
	uint32_t pos = 0;
	uint8_t flags[6];

	(void)state;
	assert_non_null(w);
	pkt.len = build(3, 4, 77, 10);   /* 10, 11, 12 */
	worker_handle(w, &pkt);
	pkt.len = build(3, 4, 77, 11);   /* 11 and 12 again, then 13 */
	worker_handle(w, &pkt);
	worker_flush(w, LOG_KIND_EVENTS);
	assert_int_equal(drain(LOG_KIND_EVENTS, &b), 6);
	for (int i = 0; i < 6; i++) {
		pos += log_record_decode(b->data + pos, b->bytes - pos, &rec);
		flags[i] = rec.flags;
	}
	pool_put(pool, b);
	assert_int_equal(flags[0] | flags[1] | flags[2] | flags[5], 0);
	assert_int_equal(flags[3], LOG_RECORD_FLAG_DUP);
	assert_int_equal(flags[4], LOG_RECORD_FLAG_DUP);
	pkt.len = build(1, 4, 77, 20);   /* 14..19 skipped */
	worker_handle(w, &pkt);
	worker_flush(w, LOG_KIND_EVENTS);
	assert_int_equal(drain(LOG_KIND_EVENTS, NULL), 1);
	t = srcstat_totals(w->sources);
	assert_true(counter_get(&t->dups) == 2);
	assert_true(counter_get(&t->gaps) == 6);
	assert_true(counter_get(&t->tracked) == 1);
	assert_true(counter_get(&w->stats.events_enqueued) == 7);
	worker_destroy(w);
}

/* A burst on the loop's path, which asks for lines ahead and hands each
 * datagram's first slot on: every device counted on its own line, one in
 * a datagram's second frame too, the resent number flagged, a datagram too
 * short for a frame dead-lettered. Datagram k is device k % 5's number
 * k / 5; 12 also carries device 9's first frame, 17 resends device 2's 1. */
static void test_source_health_burst(void **state)
{
	struct worker_config wc = {
		.queue = queue, .pool = pool, .mode = WORKER_MODE_SLF1,
		.enqueue_retry_ns = 200000, .flush_ns = 1000000, .sources_max = 64,
	};
	static uint8_t bufs[20][2 * (SLF_FRAME_OVERHEAD + 8)];
	static const uint8_t payload[8];
	static const uint64_t events[] = { 4, 4, 4, 4, 3 };
	struct worker *w = worker_create(&wc);
	struct rx_pkt pkts[20];
	struct log_batchbuf *b = NULL;
	struct log_record rec = { 0 };
	struct srcstat_source s;
	uint32_t pos = 0, flagged = 0;

	(void)state;
	assert_non_null(w);
	for (uint32_t k = 0; k < 20; k++) {
		struct slf_frame f = { .schema_id = 1, .payload_len = 8, .source_id = k % 5,
				       .seq = k == 17 ? 1 : k / 5, .event_time_ns = 5,
				       .payload = payload };

		pkts[k] = (struct rx_pkt){ .data = bufs[k], .peer_id = 9, .arrival_ns = 6 };
		pkts[k].len = slf_encode(bufs[k], sizeof(bufs[k]), &f);
		if (k == 12) {
			f.source_id = 9;
			f.seq = 0;
			pkts[k].len += slf_encode(bufs[k] + pkts[k].len,
						  sizeof(bufs[k]) - pkts[k].len, &f);
		}
	}
	memcpy(bufs[19], "SLjunk", 6);
	pkts[19].len = 6;
	worker_handle_burst(w, pkts, 20);
	worker_flush(w, LOG_KIND_EVENTS);
	assert_int_equal(drain(LOG_KIND_EVENTS, &b), 20);
	for (uint32_t i = 0; i < 20; i++) {
		pos += log_record_decode(b->data + pos, b->bytes - pos, &rec);
		if (rec.flags & LOG_RECORD_FLAG_DUP) {
			assert_true(rec.source_id == 2 && rec.seq == 1);
			flagged++;
		}
	}
	pool_put(pool, b);
	assert_int_equal(flagged, 1);
	for (uint64_t d = 0; d < 5; d++) {
		assert_int_equal(srcstat_find(w->sources, d, &s), 0);
		assert_true(s.events == events[d] && s.gaps == 0);
		assert_true(s.dups == (d == 2));
	}
	assert_int_equal(srcstat_find(w->sources, 9, &s), 0);
	assert_true(s.events == 1 && s.seq_high == 0);
	assert_true(counter_get(&srcstat_totals(w->sources)->tracked) == 6);
	worker_flush_all(w);
	assert_int_equal(drain(LOG_KIND_DLQ, NULL), 1);
	assert_true(counter_get(&w->stats.dlq_by_reason[SLF_SHORT]) == 1);
	worker_destroy(w);
}

/* Source health's verdict goes into the record before it is put: a
 * duplicate in the last place of a batch that the next frame flushes
 * carries the flag, and only it does. A frame the disk gate refuses is
 * still accounted. */
static void test_source_health_dup_flag_survives_flush(void **state)
{
	struct worker_config wc = {
		.queue = queue, .pool = pool, .mode = WORKER_MODE_SLF1,
		.enqueue_retry_ns = 200000, .flush_ns = 1000000, .sources_max = 8,
	};
	struct worker *w = worker_create(&wc);
	struct rx_pkt pkt = { .data = dgram, .peer_id = 9, .arrival_ns = 1234 };
	uint32_t per_batch = LOG_BATCHBUF_DATA_BYTES / log_record_bytes(2000), seen = 0;
	uint32_t dups_flagged = 0, dup_at = UINT32_MAX;
	static _Atomic bool refuse;
	const struct srcstat_totals *t;
	void *objs[8];
	unsigned n;

	(void)state;
	assert_non_null(w);
	assert_true(per_batch > 2);
	for (uint64_t seq = 0; seq < per_batch - 1; seq++) {
		pkt.len = build(1, 2000, 55, seq);
		worker_handle(w, &pkt);
	}
	pkt.len = build(1, 2000, 55, per_batch - 2);  /* the batch's last place: a dup */
	worker_handle(w, &pkt);
	for (uint64_t seq = per_batch - 1; seq < per_batch + 5; seq++) {  /* fills, flushes */
		pkt.len = build(1, 2000, 55, seq);
		worker_handle(w, &pkt);
	}
	w->cfg.refuse = &refuse;
	atomic_store(&refuse, true);
	pkt.len = build(1, 2000, 55, per_batch + 6);  /* refused; per_batch + 5 skipped */
	worker_handle(w, &pkt);
	atomic_store(&refuse, false);
	worker_flush_all(w);
	while ((n = queue_dequeue_burst(queue, objs, 8)) > 0)
		for (unsigned i = 0; i < n; i++) {
			struct log_batchbuf *b = objs[i];
			struct log_record rec = { 0 };

			for (uint32_t pos = 0, used; pos < b->bytes; pos += used, seen++) {
				used = log_record_decode(b->data + pos, b->bytes - pos, &rec);
				assert_true(used > 0);
				if (rec.flags & LOG_RECORD_FLAG_DUP) {
					dups_flagged++;
					dup_at = seen;
				}
			}
			pool_put(pool, b);
		}
	assert_int_equal(seen, per_batch + 6);
	assert_int_equal(dups_flagged, 1);
	assert_int_equal(dup_at, per_batch - 1);  /* the first batch's last record */
	t = srcstat_totals(w->sources);
	assert_true(counter_get(&t->dups) == 1);
	assert_true(counter_get(&t->gaps) == 1);   /* per_batch + 5 never sent */
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DISK_FULL]) == 1);
	worker_destroy(w);
}

static void test_raw_mode_sequences(void **state)
{
	struct worker *w = make_worker(WORKER_MODE_RAW);
	struct log_batchbuf *b = NULL;
	struct log_record rec = { 0 };
	uint64_t peers[] = { 1, 2, 1, 1, 2, 1 + WORKER_RAW_SOURCES };
	uint64_t want_seq[] = { 0, 0, 1, 2, 1, 0 };
	struct rx_pkt pkt = { .data = (const uint8_t *)"{\"t\":21.5}", .len = 10 };

	(void)state;
	for (int i = 0; i < 6; i++) {
		pkt.peer_id = peers[i];
		worker_handle(w, &pkt);
	}
	worker_flush_all(w);
	assert_int_equal(drain(LOG_KIND_EVENTS, &b), 6);
	uint32_t pos = 0;
	for (int i = 0; i < 6; i++) {
		pos += log_record_decode(b->data + pos, b->bytes - pos, &rec);
		assert_true(rec.source_id == peers[i]);
		assert_true(rec.seq == want_seq[i]);
		assert_memory_equal(rec.payload, "{\"t\":21.5}", 10);
	}
	pool_put(pool, b);
	worker_destroy(w);
}

/* A queue that stays full: after the bounded retry the records are counted
 * as drops and the worker carries on. */
static void test_queue_full_counted(void **state)
{
	struct worker *w = make_worker(WORKER_MODE_SLF1);
	struct rx_pkt pkt = { .data = dgram, .peer_id = 1 };
	uint64_t sent = 0;

	(void)state;
	pkt.len = build(5, 20, 1, 0);
	for (int i = 0; i < 5; i++) {
		worker_handle(w, &pkt);
		worker_flush_all(w);
		sent += 5;
	}
	assert_true(counter_get(&w->stats.frames_received) == sent);
	assert_true(counter_get(&w->stats.events_enqueued) == 15);
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_QUEUE_FULL]) == 10);
	assert_int_equal(drain(LOG_KIND_EVENTS, NULL), 15);
	worker_destroy(w);
}

/* Every buffer taken: frames are counted as no_buffer drops. */
static void test_pool_empty_counted(void **state)
{
	void *held[POOL_BUFS];
	struct worker *w = make_worker(WORKER_MODE_SLF1);
	struct rx_pkt pkt = { .data = dgram, .peer_id = 1 };
	unsigned n = 0;

	(void)state;
	while (n < POOL_BUFS && pool_get(pool, &held[n]) == 0)
		n++;
	pkt.len = build(4, 20, 1, 0);
	worker_handle(w, &pkt);
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_NO_BUFFER]) == 4);
	assert_true(counter_get(&w->stats.frames_received) == 4);
	for (unsigned i = 0; i < n; i++)
		pool_put(pool, held[i]);
	worker_handle(w, &pkt);  /* buffers are back: accepted again */
	worker_flush_all(w);
	assert_int_equal(drain(LOG_KIND_EVENTS, NULL), 4);
	worker_destroy(w);
}

/* The disk gate: while it is shut every record, event or dead letter, is a
 * disk_full drop (still a received frame); once open, records flow again. */
static void test_disk_gate_counted(void **state)
{
	static _Atomic bool refuse;
	struct worker *w = make_worker(WORKER_MODE_SLF1);
	struct rx_pkt pkt = { .data = dgram, .peer_id = 1 };

	(void)state;
	w->cfg.refuse = &refuse;
	atomic_store(&refuse, true);
	pkt.len = build(5, 20, 1, 0);
	dgram[pkt.len++] = 'x';                        /* a malformed remainder */
	worker_handle(w, &pkt);
	worker_flush_all(w);
	assert_true(counter_get(&w->stats.frames_received) == 6);
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DISK_FULL]) == 6);
	assert_int_equal(drain(LOG_KIND_EVENTS, NULL), 0);
	atomic_store(&refuse, false);
	pkt.len = build(5, 20, 1, 5);
	worker_handle(w, &pkt);
	worker_flush_all(w);
	assert_int_equal(drain(LOG_KIND_EVENTS, NULL), 5);
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DISK_FULL]) == 6);
	worker_destroy(w);
}

/* The canary mailbox: one datagram at a time; what the worker takes goes
 * alone in a batch marked canary, after the events it held, and is counted
 * on the canary counters only. Behind a shut disk gate it is a canary drop. */
static void test_canary_injected(void **state)
{
	static _Atomic bool refuse;
	struct worker *w = make_worker(WORKER_MODE_RAW);  /* the canary is SLF1 anyway */
	struct slf_frame f = { .flags = SLF_FLAG_CANARY, .schema_id = 3, .source_id = 42,
			       .seq = 9, .event_time_ns = 1, .payload = (const uint8_t *)"hi",
			       .payload_len = 2 };
	struct rx_pkt pkt = { .data = (uint8_t *)"raw", .len = 3, .peer_id = 1, .arrival_ns = 1 };
	uint8_t frame[64];
	uint32_t len = slf_encode(frame, sizeof(frame), &f);
	struct log_batchbuf *b = NULL;
	struct log_record rec = { 0 };
	void *objs[4];

	(void)state;
	assert_int_equal(worker_inject(w, frame, WORKER_INJECT_BYTES + 1), -EMSGSIZE);
	assert_int_equal(worker_inject(w, frame, len), 0);
	assert_int_equal(worker_inject(w, frame, len), -EBUSY);
	worker_handle(w, &pkt);                 /* an event waiting in its batch */
	worker_take_inject(w);
	assert_int_equal(queue_dequeue_burst(queue, objs, 4), 2);
	b = objs[0];
	assert_int_equal(b->count, 1);
	assert_int_equal(b->canary, 0);
	pool_put(pool, b);
	b = objs[1];
	assert_int_equal(b->count, 1);
	assert_int_equal(b->canary, 1);
	assert_true(log_record_decode(b->data, b->bytes, &rec) > 0);
	assert_int_equal(rec.flags, LOG_RECORD_FLAG_CANARY);
	assert_true(rec.source_id == 42 && rec.seq == 9 && rec.schema_id == 3);
	assert_true(rec.arrival_ns > 1);        /* timed from the parser */
	pool_put(pool, b);
	assert_true(counter_get(&w->stats.frames_received) == 1);
	assert_true(counter_get(&w->stats.events_enqueued) == 1);
	assert_true(counter_get(&w->stats.canaries_enqueued) == 1);
	assert_int_equal(worker_inject(w, frame, len), 0);  /* taken: free again */

	w->cfg.refuse = &refuse;
	atomic_store(&refuse, true);
	worker_take_inject(w);
	assert_true(counter_get(&w->stats.canaries_dropped) == 1);
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DISK_FULL]) == 0);
	assert_int_equal(drain(LOG_KIND_EVENTS, NULL), 0);
	worker_destroy(w);
}

/* Garbage from peer at arrival t: each datagram is one dead letter. */
static void garbage(struct worker *w, uint64_t peer, uint64_t t, uint32_t len, unsigned n)
{
	struct rx_pkt pkt = { .data = dgram, .len = len, .peer_id = peer, .arrival_ns = t };

	memset(dgram, 'x', len);
	for (unsigned i = 0; i < n; i++)
		worker_handle(w, &pkt);
}

/* Dead letters past a sender's rate, or past the bytes of all, are drops
 * (dlq_rate), still frames and still counted by reason; budgets refill
 * with time, up to a second's worth. */
static void test_dlq_rate_limits(void **state)
{
	struct worker *w = make_worker(WORKER_MODE_SLF1);
	const uint64_t s = 1000000000ull;

	(void)state;
	w->cfg.dlq_rate_source = 5;
	garbage(w, 1, 10 * s, 40, 8);
	garbage(w, 2, 10 * s, 40, 6);               /* another sender: its own five */
	assert_true(counter_get(&w->stats.dlq_by_reason[SLF_MAGIC]) == 14);
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DLQ_RATE]) == 4);
	garbage(w, 1, 10 * s + s / 5, 40, 2);        /* 0.2 s: one more for sender 1 */
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DLQ_RATE]) == 5);
	garbage(w, 1, 100 * s, 40, 7);               /* a long quiet: five, not more */
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DLQ_RATE]) == 7);
	worker_flush_all(w);
	assert_int_equal(drain(LOG_KIND_DLQ, NULL), 5 + 5 + 1 + 5);
	assert_true(counter_get(&w->stats.frames_received) == 23);

	w->cfg.dlq_rate_source = 0;
	w->cfg.dlq_bytes_rate = 100;                 /* 100 bytes/s from everyone */
	garbage(w, 3, 200 * s, 60, 2);               /* 60 fits, the next 60 does not */
	garbage(w, 4, 200 * s + s / 2, 60, 1);       /* 40 + 50 = 90: fits */
	garbage(w, 5, 200 * s + s / 2, 60, 1);       /* 30 left: does not */
	assert_true(counter_get(&w->stats.drops[WORKER_DROP_DLQ_RATE]) == 7 + 2);
	worker_flush_all(w);
	assert_int_equal(drain(LOG_KIND_DLQ, NULL), 2);
	worker_destroy(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_gate_counted),
		cmocka_unit_test(test_frames_and_dead_letter),
		cmocka_unit_test(test_source_health_dups_kept),
		cmocka_unit_test(test_source_health_dup_flag_survives_flush),
		cmocka_unit_test(test_source_health_burst),
		cmocka_unit_test(test_raw_mode_sequences),
		cmocka_unit_test(test_queue_full_counted),
		cmocka_unit_test(test_pool_empty_counted),
		cmocka_unit_test(test_canary_injected),
		cmocka_unit_test(test_dlq_rate_limits),
	};
	struct eal_config ec = { .memory_mb = 128 };
	int rc;

	rc = eal_start(&ec);
	if (rc < 0) {
		fprintf(stderr, "EAL start-up failed: %d\n", rc);
		return 1;
	}
	queue = queue_create("test_q", QUEUE_POW2, &rc);
	pool = pool_create("test_p", POOL_BUFS, sizeof(struct log_batchbuf), &rc);
	if (!queue || !pool)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	eal_stop();
	return rc;
}
