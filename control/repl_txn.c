/* Exactly-once delivery (--delivery exactly-once) with librdkafka's
 * transactional producer. A transaction carries up to a window of records of
 * each log and, written in the same transaction, the offset each log goes on
 * from: one record per log in the compacted offsets topic. A read_committed
 * consumer sees the records and that offset together or not at all, so the
 * offsets read back from Kafka, not the local checkpoint, say where to go
 * on after a crash: nothing committed is sent twice and nothing is skipped.
 * init_transactions on a new producer fences the old one (same
 * transactional.id, "sluice-APPLIANCE") and completes or aborts the
 * transaction it left open, before the offsets are read. */
#include "control/repl_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/plog.h"

/* How long a stopping replicator may still block in one call. */
static int repl_txn_call_ms(const struct repl *r)
{
	uint64_t now = clock_mono_ns(), deadline = atomic_load(&r->drain_deadline_ns);

	if (!atomic_load(&r->stop))
		return REPL_TXN_CALL_MS;
	if (deadline <= now)
		return 1;
	return (deadline - now) / 1000000 < REPL_TXN_CALL_MS ? (int)((deadline - now) / 1000000) + 1
							     : REPL_TXN_CALL_MS;
}

static bool repl_txn_out_of_time(const struct repl *r)
{
	return atomic_load(&r->stop) && clock_mono_ns() >= atomic_load(&r->drain_deadline_ns);
}

/* Records a transactional call's error in the broker state (logged once
 * per kind) and says what it needs. */
static void repl_txn_error(struct repl *r, const char *call, rd_kafka_error_t *e)
{
	char reason[512];

	snprintf(reason, sizeof(reason), "%s: %s", call, rd_kafka_error_string(e));
	repl_broker_error(&r->broker, rd_kafka_error_code(e), rd_kafka_error_name(e), reason);
}

/* Where each log goes on from: Kafka's committed offset, unless it cannot be
 * right for this folder. */
static uint64_t repl_txn_start_offset(struct repl_log *l, unsigned k, uint64_t kafka, bool found)
{
	uint64_t durable = log_writer_durable_offset(l->lw);

	if (!found)
		return l->acked_low;  /* the first exactly-once start: the local checkpoint */
	if (kafka > durable) {
		plog_err("exactly-once: Kafka's offsets topic says %s is replicated up to %" PRIu64
			 " but this log ends at %" PRIu64 ": another data folder with this "
			 "appliance-id? going on from the local checkpoint, %" PRIu64,
			 log_kind_name((int)k), kafka, durable, l->acked_low);
		return l->acked_low;
	}
	if (kafka < l->acked_low) {
		/* The local checkpoint is written only after a commit. */
		plog_warn("exactly-once: Kafka's offsets topic says %s is replicated up to %" PRIu64
			  ", behind the local checkpoint %" PRIu64 " (offsets topic reset?): "
			  "going on from the checkpoint", log_kind_name((int)k), kafka, l->acked_low);
		return l->acked_low;
	}
	return kafka;
}

static void repl_txn_commit(struct repl *r);

/* Begins a transaction; a producer that cannot is replaced. */
static bool repl_txn_open(struct repl *r)
{
	rd_kafka_error_t *e = rd_kafka_begin_transaction(r->rk);

	if (e) {
		repl_txn_error(r, "begin_transaction", e);
		rd_kafka_error_destroy(e);
		repl_new_producer(r, "a transaction could not begin");
		return false;
	}
	r->txn_open = true;
	r->txn_begin_ns = clock_mono_ns();
	return true;
}

/* Asks for the leaders of every topic a transaction writes: librdkafka
 * otherwise learns those of a topic first produced to on its next periodic
 * scan, up to a second later, and the first commit waits for it. */
static void repl_txn_warm_metadata(struct repl *r)
{
	rd_kafka_topic_t *rkts[LOG_KINDS + TOPICS_MAP_MAX + 1];
	rd_kafka_topic_t *offsets = rd_kafka_topic_new(r->rk, r->cfg.offsets_topic, NULL);
	unsigned n = 0;

	for (unsigned k = 0; k < LOG_KINDS; k++)
		rkts[n++] = r->logs[k].rkt;
	for (unsigned i = 0; i < r->topic_map.count; i++)
		rkts[n++] = r->schema_rkt[i];
	if (offsets)
		rkts[n++] = offsets;
	for (unsigned i = 0; i < n; i++) {
		const struct rd_kafka_metadata *md = NULL;

		if (rkts[i] && rd_kafka_metadata(r->rk, 0, rkts[i], &md, REPL_TXN_CALL_MS) == 0)
			rd_kafka_metadata_destroy(md);
	}
	if (offsets)
		rd_kafka_topic_destroy(offsets);
}

int repl_txn_prepare(struct repl *r)
{
	uint64_t off[LOG_KINDS] = { 0 };
	bool found[LOG_KINDS] = { false };
	rd_kafka_error_t *e;
	char err[512];
	int rc;

	e = rd_kafka_init_transactions(r->rk, repl_txn_call_ms(r));
	if (e) {
		repl_txn_error(r, "init_transactions", e);
		if (!rd_kafka_error_is_retriable(e))
			repl_new_producer(r, "transactions could not start");
		rd_kafka_error_destroy(e);
		return -EAGAIN;
	}
	rc = repl_offsets_read(r, off, found, err, sizeof(err));
	if (rc < 0) {
		repl_broker_error(&r->broker, -rc, "OFFSETS", err);
		/* init_transactions runs once per producer. */
		repl_new_producer(r, "the offsets topic could not be read");
		return rc;
	}
	for (unsigned k = 0; k < LOG_KINDS; k++) {
		struct repl_log *l = &r->logs[k];

		l->acked_low = repl_txn_start_offset(l, k, off[k], found[k]);
		counter_set(&r->stats.log[k].acked_offset, l->acked_low);
		rc = repl_log_reset(l);
		if (rc < 0) {
			plog_err("exactly-once: opening %s at %" PRIu64 ": %s",
				 log_writer_dir(l->lw), l->acked_low, strerror(-rc));
			return rc;
		}
	}
	plog_info("exactly-once: going on from events %" PRIu64 ", dlq %" PRIu64
		  " (offsets topic '%s')", r->logs[0].acked_low, r->logs[1].acked_low,
		  r->cfg.offsets_topic);
	r->txn_ready = true;
	repl_txn_warm_metadata(r);
	/* A first transaction of the offsets alone: it registers the offsets
	 * partition before events wait on it, and shows at start that the
	 * offsets topic takes transactional writes. */
	if (!repl_txn_open(r))
		return -EAGAIN;
	repl_txn_commit(r);
	return r->txn_ready ? 0 : -EAGAIN;
}

void repl_txn_begin(struct repl *r, bool stopping)
{
	bool backlog = false;

	if (r->txn_open || !r->txn_ready || (atomic_load(&r->paused) && !stopping))
		return;
	for (unsigned k = 0; k < LOG_KINDS; k++)
		backlog |= r->logs[k].next_offset < log_writer_durable_offset(r->logs[k].lw);
	if (backlog)
		(void)repl_txn_open(r);
}

/* Aborts the open transaction and goes back to the committed offsets. */
static void repl_txn_abort(struct repl *r)
{
	rd_kafka_error_t *e;

	for (;;) {
		e = rd_kafka_abort_transaction(r->rk, repl_txn_call_ms(r));
		if (!e)
			break;
		repl_txn_error(r, "abort_transaction", e);
		if (!rd_kafka_error_is_retriable(e) || repl_txn_out_of_time(r)) {
			rd_kafka_error_destroy(e);
			repl_new_producer(r, "a transaction could not be aborted");
			return;
		}
		rd_kafka_error_destroy(e);
	}
	/* The purged records' reports, before the rewind forgets them. */
	for (int i = 0; i < 100 && rd_kafka_outq_len(r->rk) > 0; i++)
		repl_poll(r, 10);
	r->txn_open = false;
	counter_add(&r->stats.txn_aborted, 1);
	for (unsigned k = 0; k < LOG_KINDS; k++)
		repl_log_rewind(r, k);
}

/* Writes, inside the transaction, the offset each log goes on from. */
static int repl_txn_produce_offsets(struct repl *r)
{
	char key[200], val[24];

	for (unsigned k = 0; k < LOG_KINDS; k++) {
		int klen = repl_offsets_key(r, k, key, sizeof(key));
		int vlen = snprintf(val, sizeof(val), "%" PRIu64, r->logs[k].next_offset);
		rd_kafka_resp_err_t err;
		int tries = 0;

		do {
			err = rd_kafka_producev(
				r->rk, RD_KAFKA_V_TOPIC(r->cfg.offsets_topic),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_VALUE(val, (size_t)vlen),
				RD_KAFKA_V_TIMESTAMP(repl_timestamp_ms(r)),
				RD_KAFKA_V_OPAQUE((void *)REPL_TAG_OFFSETS), RD_KAFKA_V_END);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				repl_poll(r, 10);
		} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && ++tries < 1000);
		if (err) {
			plog_warn("exactly-once: writing the offset of %s: %s", log_kind_name((int)k),
				  rd_kafka_err2str(err));
			return -EIO;
		}
	}
	return 0;
}

/* Records of log k in the open transaction: the offsets from the
 * committed one on. A quarantined gap is passed only when none are open,
 * so they are contiguous. */
static uint64_t repl_txn_records(const struct repl_log *l)
{
	return l->next_offset > l->acked_low ? l->next_offset - l->acked_low : 0;
}

/* The transaction is in Kafka: its records count as replicated. */
static void repl_txn_committed(struct repl *r)
{
	uint64_t now = clock_real_ns();

	for (unsigned k = 0; k < LOG_KINDS; k++) {
		struct repl_log *l = &r->logs[k];
		struct repl_log_stats *st = &r->stats.log[k];

		uint64_t canaries = 0;

		for (uint64_t off = l->acked_low; off < l->next_offset; off++)
			canaries += repl_observe_ack(r, k, off, now);
		counter_add(&st->acked, repl_txn_records(l) - canaries);
		counter_add(&st->acked_bytes, l->txn_bytes);
		l->txn_bytes = 0;
		if (l->next_offset > l->acked_low)
			l->acked_low = l->next_offset;
		counter_set(&st->acked_offset, l->acked_low);
	}
	counter_add(&r->stats.txn_committed, 1);
	r->txn_open = false;
}

/* A record of the open transaction failed: it cannot commit. */
static bool repl_txn_doomed(const struct repl *r)
{
	for (unsigned k = 0; k < LOG_KINDS; k++)
		if (r->logs[k].rewind)
			return true;
	return false;
}

static bool repl_txn_due(const struct repl *r, bool stopping)
{
	bool full = false;

	for (unsigned k = 0; k < LOG_KINDS; k++)
		full |= repl_txn_records(&r->logs[k]) >= r->cfg.window;
	return full || stopping || atomic_load(&r->paused) ||
	       clock_mono_ns() - r->txn_begin_ns >= r->cfg.txn_interval_ns;
}

static void repl_txn_commit(struct repl *r)
{
	rd_kafka_error_t *e;
	uint64_t t0 = clock_mono_ns();

	if (repl_txn_produce_offsets(r) < 0) {
		repl_txn_abort(r);
		return;
	}
	for (;;) {
		e = rd_kafka_commit_transaction(r->rk, repl_txn_call_ms(r));
		if (!e)
			break;
		repl_txn_error(r, "commit_transaction", e);
		if (rd_kafka_error_txn_requires_abort(e)) {
			rd_kafka_error_destroy(e);
			repl_txn_abort(r);
			return;
		}
		if (!rd_kafka_error_is_retriable(e) || repl_txn_out_of_time(r)) {
			/* Whether it committed is Kafka's to say: the new
			 * producer reads the offsets back. */
			rd_kafka_error_destroy(e);
			repl_new_producer(r, "a transaction could not be committed");
			return;
		}
		rd_kafka_error_destroy(e);
	}
	plog_debug("exactly-once: committed %" PRIu64 " events and %" PRIu64 " dead letters in "
		   "%" PRIu64 " us, %" PRIu64 " us after the transaction began",
		   repl_txn_records(&r->logs[LOG_KIND_EVENTS]),
		   repl_txn_records(&r->logs[LOG_KIND_DLQ]),
		   (clock_mono_ns() - t0) / 1000, (clock_mono_ns() - r->txn_begin_ns) / 1000);
	repl_txn_committed(r);
}

void repl_txn_end(struct repl *r, bool stopping)
{
	if (!r->txn_open)
		return;
	if (repl_txn_doomed(r))
		repl_txn_abort(r);
	else if (repl_txn_due(r, stopping))
		repl_txn_commit(r);
}

void repl_txn_close(struct repl *r)
{
	if (!r->txn_open)
		return;
	repl_txn_end(r, true);
	if (r->txn_open && r->rk) {
		rd_kafka_error_t *e = rd_kafka_abort_transaction(r->rk, 1000);

		if (e)
			rd_kafka_error_destroy(e);
		r->txn_open = false;
	}
}
