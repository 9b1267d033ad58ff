/* The replicator's librdkafka producer: settings (sluice's, then the
 * operator's kafka.*), the delivery-report window, the error, statistics and
 * log callbacks, and one record's message with its headers. */
#include "control/repl_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/clock.h"
#include "platform/plog.h"

static bool repl_bit_test_clear(uint64_t *w, uint64_t off)
{
	uint64_t i = off % REPL_WINDOW, m = 1ull << (i % 64);
	bool set = w[i / 64] & m;

	w[i / 64] &= ~m;
	return set;
}

bool repl_is_canary(const struct repl *r, unsigned k, uint64_t off)
{
	return k == LOG_KIND_EVENTS &&
	       off + 1 == counter_get(&log_writer_stats(r->logs[k].lw)->canary_offset);
}

bool repl_observe_ack(struct repl *r, unsigned k, uint64_t off, uint64_t now)
{
	uint64_t arrival = r->logs[k].arrival[off % r->cfg.window];
	uint64_t took = now > arrival ? now - arrival : 0;

	if (repl_is_canary(r, k, off)) {
		counter_set(&r->stats.canary_ack_ns, took);
		counter_add(&r->stats.canaries_acked, 1);
		return true;
	}
	histo_observe(&r->stats.log[k].ack_latency, took / 1000, 1);
	return false;
}

static void repl_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct repl *r = opaque;
	uintptr_t tag = (uintptr_t)m->_private;
	uint64_t off = (uint64_t)tag >> 1;
	unsigned k = (unsigned)(tag & 1);
	struct repl_log *l;
	struct repl_log_stats *st;

	(void)rk;
	if (tag == REPL_TAG_OFFSETS) {
		if (!m->err)
			repl_broker_acked(&r->broker);
		return;  /* its transaction's commit says how it went */
	}
	l = &r->logs[k];
	st = &r->stats.log[k];
	if (m->err) {
		/* An abort purges its transaction's records on purpose. */
		bool purged = m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
			      m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;

		counter_add(&st->failed, 1);
		if (!l->rewind && !(r->cfg.exactly_once && purged)) {
			char why[256];

			/* Status and the log name it (once a while, however often
			 * the records come back refused). */
			snprintf(why, sizeof(why), "records of the %s log refused: %s; re-sent "
				 "after a pause growing to %llu s", log_kind_name(k),
				 rd_kafka_err2str(m->err),
				 (unsigned long long)(REPL_REWIND_BACKOFF_MAX_NS / 1000000000ull));
			repl_broker_error(&r->broker, m->err, rd_kafka_err2name(m->err), why);
		}
		l->rewind = true;
		return;
	}
	repl_broker_acked(&r->broker);
	/* Exactly-once: a record counts when its transaction commits. */
	if (r->cfg.exactly_once)
		return;
	if (off < l->acked_low) {
		/* An old duplicate after a rewind. */
		if (!repl_is_canary(r, k, off)) {
			counter_add(&st->acked, 1);
			counter_add(&st->acked_bytes, m->len);
		}
		return;
	}
	if (!repl_observe_ack(r, k, off, clock_real_ns())) {
		counter_add(&st->acked, 1);
		counter_add(&st->acked_bytes, m->len);
	}
	l->window[(off % REPL_WINDOW) / 64] |= 1ull << (off % 64);
	while (repl_bit_test_clear(l->window, l->acked_low))
		l->acked_low++;
	counter_set(&st->acked_offset, l->acked_low);
}

static void repl_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct repl *r = opaque;

	(void)rk;
	/* Transient broker errors are retried by librdkafka; said once. */
	repl_broker_error(&r->broker, err, rd_kafka_err2name(err), reason);
}

static int repl_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct repl *r = opaque;

	(void)rk;
	repl_broker_stats(&r->broker, json, len);
	return 0;  /* librdkafka frees json */
}

/* librdkafka's own log lines repeat what the error callback said: they go
 * to the daemon log at debug level only. */
static void repl_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	plog_debug("kafka: %s: %s", fac, buf);
}

static int repl_conf_set(rd_kafka_conf_t *conf, const char *k, const char *v,
			 char *err, size_t err_size)
{
	return rd_kafka_conf_set(conf, k, v, err, err_size) == RD_KAFKA_CONF_OK ? 0 : -EINVAL;
}

int repl_conf_set_table(rd_kafka_conf_t *conf, const char *const (*table)[2], size_t n,
			char *err, size_t err_size)
{
	for (size_t i = 0; i < n; i++)
		if (repl_conf_set(conf, table[i][0], table[i][1], err, err_size) < 0)
			return -EINVAL;
	return 0;
}

int repl_conf_apply(const struct repl *r, rd_kafka_conf_t *conf, char *err, size_t err_size)
{
	if (repl_conf_set(conf, "bootstrap.servers", r->cfg.brokers, err, err_size) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < r->cfg.settings_count; i++)
		if (repl_conf_set(conf, r->cfg.settings[i][0], r->cfg.settings[i][1], err,
				  err_size) < 0)
			return -EINVAL;
	for (unsigned i = 0; i < r->props.count; i++)
		if (repl_conf_set(conf, r->props.p[i].name, r->props.p[i].value, err,
				  err_size) < 0)
			return -EINVAL;
	rd_kafka_conf_set_log_cb(conf, repl_log_cb);
	return 0;
}

int repl_create_producer(struct repl *r, char *err, size_t err_size)
{
	static const char *const settings[][2] = {
		{ "enable.idempotence", "true" },
		{ "acks", "all" },
		/* A backlog fills batches whatever the linger; a live stream
		 * waits it out: 1 ms against 2 took the live p99 to Kafka's ack
		 * from 22-33 ms to 17-19 (tests/bench/kafka). */
		{ "linger.ms", "1" },
		{ "batch.num.messages", "10000" },
		{ "queue.buffering.max.messages", "1000000" },
		{ "queue.buffering.max.kbytes", "524288" },
		{ "message.timeout.ms", "300000" },
		{ "reconnect.backoff.max.ms", "1000" },
		/* A link cut without a reset (a dead switch) leaves requests
		 * unanswered: after this the connection is dropped, the outage
		 * shows in status and the log, and librdkafka's broker thread stops
		 * spinning on a full in-flight window (a whole core for all of the
		 * default 60 s, measured by test 0028). */
		{ "socket.timeout.ms", "10000" },
		{ "log_level", "4" },
		{ "statistics.interval.ms", "5000" },  /* broker states for status */
	};
	/* A transaction's records must time out within the transaction, which
	 * the broker aborts after transaction.timeout.ms. */
	static const char *const txn_settings[][2] = {
		{ "transaction.timeout.ms", "60000" },
		{ "message.timeout.ms", "60000" },
	};
	char txn_id[160];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_queue_t *main_q;

	/* sluice's settings first, so the operator's kafka.* ones win. */
	if (repl_conf_set_table(conf, settings, sizeof(settings) / sizeof(settings[0]), err,
				err_size) < 0)
		goto err;
	if (r->cfg.exactly_once) {
		/* One transactional id per appliance: a restarted sluiced fences
		 * the old one and aborts what it left open. */
		snprintf(txn_id, sizeof(txn_id), "sluice-%s", r->cfg.appliance_id);
		if (repl_conf_set(conf, "transactional.id", txn_id, err, err_size) < 0)
			goto err;
		if (repl_conf_set_table(conf, txn_settings,
					sizeof(txn_settings) / sizeof(txn_settings[0]), err,
					err_size) < 0)
			goto err;
	}
	if (repl_conf_apply(r, conf, err, err_size) < 0)
		goto err;
	rd_kafka_conf_set_dr_msg_cb(conf, repl_dr_cb);
	rd_kafka_conf_set_error_cb(conf, repl_error_cb);
	rd_kafka_conf_set_stats_cb(conf, repl_stats_cb);
	rd_kafka_conf_set_opaque(conf, r);
	repl_broker_reset(&r->broker);
	r->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
	if (!r->rk)
		goto err;  /* conf is still ours on failure */
	main_q = rd_kafka_queue_get_main(r->rk);  /* its events write to the pipe */
	rd_kafka_queue_io_event_enable(main_q, r->rk_event[1], "1", 1);
	rd_kafka_queue_destroy(main_q);
	for (int k = 0; k < LOG_KINDS; k++) {
		r->logs[k].rkt = rd_kafka_topic_new(r->rk, r->cfg.topic[k], NULL);
		if (!r->logs[k].rkt) {
			snprintf(err, err_size, "topic '%s': %s", r->cfg.topic[k],
				 rd_kafka_err2str(rd_kafka_last_error()));
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < r->topic_map.count; i++) {
		r->schema_rkt[i] = rd_kafka_topic_new(r->rk, r->topic_map.e[i].name, NULL);
		if (!r->schema_rkt[i]) {
			snprintf(err, err_size, "topic '%s': %s", r->topic_map.e[i].name,
				 rd_kafka_err2str(rd_kafka_last_error()));
			return -EINVAL;
		}
	}
	return 0;
err:
	if (!r->rk)
		rd_kafka_conf_destroy(conf);
	return -EINVAL;
}

/* Decimal digits of v at buf (at least 20 bytes); returns their count.
 * snprintf was a tenth of the replication thread's time. */
static int repl_dec(char *buf, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static void repl_header_u64(rd_kafka_headers_t *hdrs, const char *name, uint64_t v)
{
	char buf[20];

	rd_kafka_header_add(hdrs, name, -1, buf, repl_dec(buf, v));
}

int repl_produce(struct repl *r, unsigned k, const struct log_record *rec, uint64_t offset)
{
	struct repl_log *l = &r->logs[k];
	rd_kafka_headers_t *hdrs = rd_kafka_headers_new(8);
	char key[20], id[200];  /* --appliance-id is at most 128 bytes */
	int klen = repl_dec(key, rec->source_id), idlen;
	rd_kafka_resp_err_t err;

	/* A dead letter has no trustworthy ids of its own: its id is its place
	 * in this appliance's DLQ log, stable across restarts, and the
	 * appliance's id, so that no two appliances of a fleet share one. */
	if (k == LOG_KIND_DLQ) {
		idlen = snprintf(id, sizeof(id), "dlq-%s-%" PRIu64, r->cfg.appliance_id, offset);
	} else {
		memcpy(id, key, (size_t)klen);
		id[klen] = '-';
		idlen = klen + 1 + repl_dec(id + klen + 1, rec->seq);
	}

	rd_kafka_header_add(hdrs, "event-id", -1, id, idlen);
	repl_header_u64(hdrs, "event-time", rec->event_time_ns);
	repl_header_u64(hdrs, "arrival-time", rec->arrival_ns);
	repl_header_u64(hdrs, "schema-id", rec->schema_id);
	rd_kafka_header_add(hdrs, "appliance-id", -1, r->cfg.appliance_id, -1);
	if (rec->flags & LOG_RECORD_FLAG_CANARY)
		rd_kafka_header_add(hdrs, "canary", -1, "1", 1);
	if (rec->flags & LOG_RECORD_FLAG_DUP)
		rd_kafka_header_add(hdrs, "dup", -1, "1", 1);
	if (k == LOG_KIND_EVENTS && r->cfg.watermark) {
		uint64_t wm = r->cfg.watermark(r->cfg.watermark_ctx, rec->schema_id);

		if (wm)
			repl_header_u64(hdrs, "watermark", wm);
	}
	if (k == LOG_KIND_DLQ) {
		rd_kafka_header_add(hdrs, "dlq-reason", -1,
				    log_dlq_reason_name(rec->dlq_reason), -1);
	}
	/* Events go to their schema's topic; dead letters, whose schema id is
	 * not to be trusted, to the one DLQ topic. */
	unsigned route = k == LOG_KIND_EVENTS ? r->route[rec->schema_id] : 0;
	/* A variable: librdkafka's RD_KAFKA_V_RKT casts its argument unbracketed. */
	rd_kafka_topic_t *rkt = route ? r->schema_rkt[route - 1] : l->rkt;

	err = rd_kafka_producev(r->rk, RD_KAFKA_V_RKT(rkt),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY(key, (size_t)klen),
				RD_KAFKA_V_VALUE((void *)rec->payload, rec->payload_len),
				RD_KAFKA_V_HEADERS(hdrs),
				RD_KAFKA_V_TIMESTAMP(repl_timestamp_ms(r)),
				RD_KAFKA_V_OPAQUE((void *)(uintptr_t)(offset << 1 | k)),
				RD_KAFKA_V_END);
	if (err) {
		rd_kafka_headers_destroy(hdrs);  /* ours until producev succeeds */
		return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -ENOBUFS : -EIO;
	}
	l->arrival[offset % r->cfg.window] = rec->arrival_ns;
	l->txn_bytes += rec->payload_len;  /* exactly-once counts them at commit */
	return 0;
}

/* rd_kafka_poll's own wait is a condition variable with a wall-clock
 * deadline (librdkafka#2145): a step of the clock back stretches it by the
 * step, and the replicator would sit out hours with records to send. poll()
 * on the event pipe waits by the monotonic clock. */
void repl_poll(struct repl *r, int timeout_ms)
{
	struct pollfd p = { .fd = r->rk_event[0], .events = POLLIN };
	char drain[64];

	if (rd_kafka_poll(r->rk, 0) > 0 || timeout_ms <= 0 || poll(&p, 1, timeout_ms) <= 0)
		return;
	while (read(r->rk_event[0], drain, sizeof(drain)) > 0)
		;
	rd_kafka_poll(r->rk, 0);
}

void repl_destroy_producer(struct repl *r)
{
	for (unsigned i = 0; i < r->topic_map.count; i++) {
		if (r->schema_rkt[i])
			rd_kafka_topic_destroy(r->schema_rkt[i]);
		r->schema_rkt[i] = NULL;
	}
	for (int k = 0; k < LOG_KINDS; k++) {
		if (r->logs[k].rkt)
			rd_kafka_topic_destroy(r->logs[k].rkt);
		r->logs[k].rkt = NULL;
	}
	if (r->rk) {
		/* Whatever librdkafka still holds is in the log: a rewind or the
		 * checkpoint brings it back. */
		rd_kafka_purge(r->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_destroy(r->rk);
		r->rk = NULL;
	}
}
