/* RX worker loop: burst in, parse, encode records into batch buffers, enqueue
 * whole buffers. No allocation, lock or syscall per packet. */
#include "dataplane/worker.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_pause.h>
#include <rte_prefetch.h>

#include "platform/clock.h"
#include "platform/le.h"

#define WORKER_SPIN_STEPS 256
#define WORKER_SLEEP_STEP_NS 20000ull

const char *worker_drop_name(enum worker_drop d)
{
	static const char *names[WORKER_DROPS] = { "queue_full", "no_buffer", "disk_full",
						    "dlq_rate" };

	return (unsigned)d < WORKER_DROPS ? names[d] : "unknown";
}

struct worker *worker_create(const struct worker_config *cfg)
{
	struct worker *w = aligned_alloc(64, (sizeof(struct worker) + 63) & ~(size_t)63);

	if (!w)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->cfg = *cfg;
	if (cfg->sources_max && cfg->mode != WORKER_MODE_RAW) {
		struct srcstat_config sc = { .capacity = cfg->sources_max, .late_ns = cfg->late_ns,
					     .ahead_ns = cfg->ahead_ns };

		w->schema_newest_ns = calloc(UINT16_MAX + 1, sizeof(*w->schema_newest_ns));
		if (!w->schema_newest_ns || srcstat_new(&w->sources, &sc) < 0) {
			free(w->schema_newest_ns);
			free(w);
			return NULL;
		}
	}
	return w;
}

void worker_destroy(struct worker *w)
{
	if (!w)
		return;
	for (int k = 0; k < LOG_KINDS; k++)
		if (w->cur[k])
			pool_put(w->cfg.pool, w->cur[k]);
	srcstat_free(w->sources);
	free(w->schema_newest_ns);
	free(w);
}

/* One wait step while the log service is behind: spin briefly (it is
 * usually a moment), then sleep in short steps so a long wait does not burn
 * the core. Returns false once the retry budget is spent. */
static bool worker_backoff(const struct worker *w, uint64_t *deadline, unsigned *step)
{
	uint64_t now = clock_mono_ns();

	if (!*deadline)
		*deadline = now + w->cfg.enqueue_retry_ns;
	else if (now >= *deadline)
		return false;
	if ((*step)++ < WORKER_SPIN_STEPS)
		rte_pause();
	else
		clock_sleep_ns(WORKER_SLEEP_STEP_NS);
	return true;
}

/* Gets an empty buffer, retrying for at most enqueue_retry_ns. */
static struct log_batchbuf *worker_get_buf(struct worker *w, enum log_kind k)
{
	uint64_t deadline = 0;
	unsigned step = 0;
	void *obj;

	while (pool_get(w->cfg.pool, &obj) < 0) {
		if (!worker_backoff(w, &deadline, &step))
			return NULL;
	}
	struct log_batchbuf *b = obj;
	b->kind = k;
	b->canary = 0;
	b->count = 0;
	b->bytes = 0;
	b->producer = w->cfg.index;
	return b;
}

/* Source health's verdict on a frame before it is put: the dup flag for
 * Kafka in its record, and the schema's newest on-time event time. home:
 * its source's slot. */
static void worker_observe(struct worker *w, struct log_record *r, uint32_t home)
{
	unsigned v = srcstat_observe_at(w->sources, home, r->source_id, r->seq, r->event_time_ns,
					r->arrival_ns, r->payload_len);
	counter_t *newest = &w->schema_newest_ns[r->schema_id];

	if (v & SRCSTAT_DUP)
		r->flags |= LOG_RECORD_FLAG_DUP;
	if (!(v & (SRCSTAT_LATE | SRCSTAT_AHEAD)) && r->event_time_ns > counter_get(newest))
		counter_set(newest, r->event_time_ns);
}

/* Hands the kind's buffer to the log service; after the bounded retry its
 * records are counted as dropped and the buffer is reused. */
void worker_flush(struct worker *w, enum log_kind k)
{
	struct log_batchbuf *b = w->cur[k];
	uint64_t deadline = 0;
	unsigned step = 0;

	if (!b || b->count == 0)
		return;
	while (queue_enqueue_burst(w->cfg.queue, (void **)&b, 1) == 0) {
		if (!worker_backoff(w, &deadline, &step)) {
			counter_add(b->canary ? &w->stats.canaries_dropped
					      : &w->stats.drops[WORKER_DROP_QUEUE_FULL], b->count);
			b->canary = 0;  /* the buffer is reused for events */
			b->count = 0;
			b->bytes = 0;
			return;
		}
	}
	queue_notify(w->cfg.queue);
	counter_add(b->canary ? &w->stats.canaries_enqueued
		    : k == LOG_KIND_EVENTS ? &w->stats.events_enqueued
					   : &w->stats.dlq_enqueued, b->count);
	w->cur[k] = NULL;
}

void worker_flush_all(struct worker *w)
{
	worker_flush(w, LOG_KIND_EVENTS);
	worker_flush(w, LOG_KIND_DLQ);
}

/* Puts rec into the kind's buffer; returns WORKER_DROPS, or why it could not. */
static enum worker_drop worker_put(struct worker *w, enum log_kind k,
				   const struct log_record *rec)
{
	uint32_t need = log_record_bytes(rec->payload_len);
	struct log_batchbuf *b = w->cur[k];

	assert(need <= LOG_BATCHBUF_DATA_BYTES);
	if (w->cfg.refuse && atomic_load_explicit(w->cfg.refuse, memory_order_relaxed))
		return WORKER_DROP_DISK_FULL;
	if (b && b->bytes + need > LOG_BATCHBUF_DATA_BYTES) {
		worker_flush(w, k);
		b = w->cur[k];
	}
	if (!b) {
		b = worker_get_buf(w, k);
		if (!b)
			return WORKER_DROP_NO_BUFFER;
		w->cur[k] = b;
	}
	if (b->count == 0)
		b->first_arrival_ns = rec->arrival_ns;
	b->bytes += log_record_encode(b->data + b->bytes, rec);
	b->count++;
	return WORKER_DROPS;
}

_Static_assert(SLF_FLAG_CANARY == LOG_RECORD_FLAG_CANARY, "records keep the frame's flag");

/* Puts rec, counting a drop. */
static void worker_emit(struct worker *w, enum log_kind k, const struct log_record *rec)
{
	enum worker_drop why = worker_put(w, k, rec);

	if (why != WORKER_DROPS)
		counter_add(&w->stats.drops[why], 1);
}

/* The per-sender arrival counter of raw mode, in a bounded table. */
static uint64_t worker_raw_next_seq(struct worker *w, uint64_t peer_id)
{
	uint32_t home = (uint32_t)(peer_id % WORKER_RAW_SOURCES);

	for (uint32_t i = 0; i < WORKER_RAW_PROBE; i++) {
		struct worker_raw_slot *s = &w->raw[(home + i) % WORKER_RAW_SOURCES];

		if (s->peer_id == peer_id && s->next_seq)
			return s->next_seq++ - 1;
		if (s->next_seq == 0) {
			s->peer_id = peer_id;
			s->next_seq = 2;
			return 0;
		}
	}
	/* Full neighbourhood: the oldest claim loses its numbering. */
	counter_add(&w->stats.raw_seq_evictions, 1);
	w->raw[home].peer_id = peer_id;
	w->raw[home].next_seq = 2;
	return 0;
}

static void worker_handle_raw(struct worker *w, const struct rx_pkt *pkt)
{
	struct log_record rec = {
		.source_id = pkt->peer_id ^ w->cfg.raw_id_salt,
		.seq = w->cfg.raw_seq_base + worker_raw_next_seq(w, pkt->peer_id),
		.event_time_ns = pkt->arrival_ns,
		.arrival_ns = pkt->arrival_ns,
		.payload = pkt->data,
		.payload_len = pkt->len,
	};

	counter_add(&w->stats.frames_received, 1);
	worker_emit(w, LOG_KIND_EVENTS, &rec);
}

#define WORKER_TOKEN 1000000000ull  /* one unit (dead letter, byte) in tokens */

/* Refills a token bucket at rate per second, up to a second's worth. */
static void worker_bucket_fill(struct worker_bucket *b, uint64_t rate, uint64_t now_ns)
{
	uint64_t elapsed = now_ns > b->last_ns ? now_ns - b->last_ns : 0;

	if (elapsed > WORKER_TOKEN)
		elapsed = WORKER_TOKEN;  /* a quiet spell refills to the cap, no more */
	b->tokens += elapsed * rate;
	if (b->tokens > rate * WORKER_TOKEN)
		b->tokens = rate * WORKER_TOKEN;
	b->last_ns = now_ns;
}

/* Whether a dead letter of bytes from peer may be written: within its
 * sender's count and the worker's bytes, so a flood of garbage costs
 * counters, not disk. */
static bool worker_dlq_admit(struct worker *w, uint64_t peer_id, uint32_t bytes,
			     uint64_t now_ns)
{
	struct worker_bucket *b = &w->dlq_source[peer_id % WORKER_DLQ_SOURCES];
	struct worker_bucket *all = &w->dlq_all;
	uint64_t per = w->cfg.dlq_rate_source, total = w->cfg.dlq_bytes_rate;
	uint64_t cost = (uint64_t)bytes * WORKER_TOKEN;

	if (b->peer_id != peer_id || b->last_ns == 0)
		*b = (struct worker_bucket){ .peer_id = peer_id, .tokens = per * WORKER_TOKEN,
					     .last_ns = now_ns };
	if (all->last_ns == 0)
		*all = (struct worker_bucket){ .tokens = total * WORKER_TOKEN, .last_ns = now_ns };
	worker_bucket_fill(b, per, now_ns);
	worker_bucket_fill(all, total, now_ns);
	if ((per && b->tokens < WORKER_TOKEN) || (total && all->tokens < cost))
		return false;
	if (per)
		b->tokens -= WORKER_TOKEN;
	if (total)
		all->tokens -= cost;
	return true;
}

/* No slot known ahead for the datagram's first frame. */
#define WORKER_HOME_NONE UINT32_MAX

/* worker_handle, with the slot of the datagram's first frame's source
 * hashed when its line was asked for (worker_handle_burst). Hashing it
 * again here from the parsed id made the line's address wait for that id,
 * read back from the parse's stores: with it known ahead, source health
 * costs half as much (tests/bench/sources). */
static void worker_handle_at(struct worker *w, const struct rx_pkt *pkt, uint32_t home0)
{
	struct slf_fault fault;
	struct log_record rec;
	uint32_t n;

	if (w->cfg.mode == WORKER_MODE_RAW) {
		worker_handle_raw(w, pkt);
		return;
	}
	n = slf_parse(pkt->data, pkt->len, w->frames, SLF_FRAMES_MAX, &fault);
	if (w->sources && n) {
		/* The first frame's line was asked for with the burst; the others' now. */
		w->homes[0] = home0 != WORKER_HOME_NONE
				      ? home0 : srcstat_home(w->sources, w->frames[0].source_id);
		for (uint32_t i = 1; i < n; i++) {
			w->homes[i] = srcstat_home(w->sources, w->frames[i].source_id);
			srcstat_prefetch(w->sources, w->homes[i]);
		}
	}
	rec.arrival_ns = pkt->arrival_ns;
	rec.dlq_reason = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct slf_frame *f = &w->frames[i];

		rec.schema_id = f->schema_id;
		rec.flags = f->flags;
		rec.source_id = f->source_id;
		rec.seq = f->seq;
		rec.event_time_ns = f->event_time_ns;
		rec.payload = f->payload;
		rec.payload_len = f->payload_len;
		if (w->sources && !(f->flags & SLF_FLAG_CANARY))
			worker_observe(w, &rec, w->homes[i]);
		worker_emit(w, LOG_KIND_EVENTS, &rec);
	}
	counter_add(&w->stats.frames_received, n + (fault.reason != SLF_OK));
	if (fault.reason == SLF_OK)
		return;
	/* The bad remainder, whole, with its reason: nothing is dropped silently. */
	counter_add(&w->stats.dlq_by_reason[fault.reason], 1);
	if (!worker_dlq_admit(w, pkt->peer_id, pkt->len - fault.offset, pkt->arrival_ns)) {
		counter_add(&w->stats.drops[WORKER_DROP_DLQ_RATE], 1);
		return;
	}
	rec.schema_id = 0;
	rec.flags = 0;
	rec.dlq_reason = (uint8_t)fault.reason;
	rec.source_id = pkt->peer_id;
	rec.seq = w->dlq_seq++;
	rec.event_time_ns = pkt->arrival_ns;
	rec.payload = pkt->data + fault.offset;
	rec.payload_len = pkt->len - fault.offset;
	worker_emit(w, LOG_KIND_DLQ, &rec);
}

void worker_handle(struct worker *w, const struct rx_pkt *pkt)
{
	worker_handle_at(w, pkt, WORKER_HOME_NONE);
}

void worker_put_event(struct worker *w, const struct log_record *rec)
{
	counter_add(&w->stats.frames_received, 1);
	worker_emit(w, LOG_KIND_EVENTS, rec);
}

int worker_inject(struct worker *w, const uint8_t *dgram, uint32_t len)
{
	if (len == 0 || len > WORKER_INJECT_BYTES)
		return -EMSGSIZE;
	if (atomic_load_explicit(&w->inject.len, memory_order_acquire))
		return -EBUSY;
	memcpy(w->inject.data, dgram, len);
	atomic_store_explicit(&w->inject.len, len, memory_order_release);
	return 0;
}

/* The canary enters the parser here, timed from now, and travels in a
 * batch of its own so that the log can follow it by offset. Only frames
 * that carry the canary flag are taken; the control plane builds them. */
void worker_take_inject(struct worker *w)
{
	uint32_t len = atomic_load_explicit(&w->inject.len, memory_order_acquire);
	struct slf_fault fault;
	uint32_t n;

	if (!len)
		return;
	n = slf_parse(w->inject.data, len, w->frames, SLF_FRAMES_MAX, &fault);
	worker_flush(w, LOG_KIND_EVENTS);
	for (uint32_t i = 0; i < n; i++) {
		const struct slf_frame *f = &w->frames[i];
		struct log_record rec = {
			.schema_id = f->schema_id,
			.flags = f->flags,
			.source_id = f->source_id,
			.seq = f->seq,
			.event_time_ns = f->event_time_ns,
			.arrival_ns = clock_real_ns(),
			.payload = f->payload,
			.payload_len = f->payload_len,
		};

		if (!(f->flags & SLF_FLAG_CANARY))
			continue;
		if (worker_put(w, LOG_KIND_EVENTS, &rec) != WORKER_DROPS) {
			counter_add(&w->stats.canaries_dropped, 1);
			continue;
		}
		assert(w->cur[LOG_KIND_EVENTS]->count == 1);
		w->cur[LOG_KIND_EVENTS]->canary = 1;
		worker_flush(w, LOG_KIND_EVENTS);
	}
	atomic_store_explicit(&w->inject.len, 0, memory_order_release);
}

static bool worker_batch_old(const struct worker *w, uint64_t now_ns)
{
	for (int k = 0; k < LOG_KINDS; k++)
		if (w->cur[k] && w->cur[k]->count &&
		    now_ns - w->cur[k]->first_arrival_ns >= w->cfg.flush_ns)
			return true;
	return false;
}

/* Datagrams ahead of the one being handled that are loaded meanwhile: one
 * fresh from the NIC is out of cache, and its load costs more than its
 * handling. */
#define WORKER_AHEAD_DGRAM 12

/* Datagrams ahead whose first frame's source line is asked for: their
 * bytes were asked for WORKER_AHEAD_DGRAM - WORKER_AHEAD_LINE datagrams
 * before, so reading the source id rarely waits, and the line has the
 * handling of WORKER_AHEAD_LINE datagrams to load. */
#define WORKER_AHEAD_LINE 6

/* Asks for the line of the datagram's first frame's source; returns its
 * slot, or WORKER_HOME_NONE for a datagram too short to hold a frame. */
static uint32_t worker_prefetch_source(struct worker *w, const struct rx_pkt *pkt)
{
	uint32_t home;

	if (pkt->len < SLF_HEADER_BYTES)
		return WORKER_HOME_NONE;
	home = srcstat_home(w->sources, le_get64(pkt->data + SLF_SOURCE_ID_AT));
	srcstat_prefetch(w->sources, home);
	return home;
}

void worker_handle_burst(struct worker *w, const struct rx_pkt *pkts, uint16_t n)
{
	bool lines = w->sources && w->cfg.mode != WORKER_MODE_RAW;
	uint32_t homes[SOURCE_BURST_MAX];  /* by datagram: its first frame's slot */

	assert(n <= SOURCE_BURST_MAX);
	for (uint16_t i = 0; i < n && i < WORKER_AHEAD_DGRAM; i++)
		rte_prefetch0(pkts[i].data);
	for (uint16_t i = 0; lines && i < n && i < WORKER_AHEAD_LINE; i++)
		homes[i] = worker_prefetch_source(w, &pkts[i]);
	for (uint16_t i = 0; i < n; i++) {
		if (i + WORKER_AHEAD_DGRAM < n)
			rte_prefetch0(pkts[i + WORKER_AHEAD_DGRAM].data);
		if (lines && i + WORKER_AHEAD_LINE < n)
			homes[i + WORKER_AHEAD_LINE] =
				worker_prefetch_source(w, &pkts[i + WORKER_AHEAD_LINE]);
		worker_handle_at(w, &pkts[i], lines ? homes[i] : WORKER_HOME_NONE);
	}
}

int worker_run(void *arg)
{
	struct worker *w = arg;
	uint16_t n;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		n = w->cfg.ops->rx_burst(w->cfg.source, w->cfg.index, w->pkts,
					 SOURCE_BURST_MAX);
		worker_handle_burst(w, w->pkts, n);
		counter_add(&w->stats.bursts, 1);
		if (atomic_load_explicit(&w->inject.len, memory_order_relaxed))
			worker_take_inject(w);
		/* Full buffers go as they fill; a partial one goes when the source
		 * is idle or when it has waited flush_ns, so batches stay large
		 * under load and latency stays bounded when it is light. */
		if (n == 0 || worker_batch_old(w, w->pkts[0].arrival_ns))
			worker_flush_all(w);
	}
	worker_flush_all(w);
	return 0;
}
