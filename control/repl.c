/* Replicator thread. Records are produced in log order; each delivery report
 * sets a bit in a window, and the acknowledged offset advances over the
 * contiguous prefix of set bits. That offset is what the checkpoint keeps,
 * so a restart re-sends at most the records whose reports had not all
 * arrived (at-least-once; the event-id header lets sinks drop duplicates).
 * A failed report rewinds to the acknowledged offset once nothing is in
 * flight, and the records re-sent are counted. */
#include "control/repl_impl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/clock.h"
#include "platform/plog.h"
#include "storage/checkpoint.h"
#include "storage/log_repair.h"

uint64_t repl_checkpoint_offset(const char *log_dir)
{
	char path[LOG_PATH_MAX];
	uint64_t off = 0;

	snprintf(path, sizeof(path), "%s/%s", log_dir, REPL_CKPT_NAME);
	return ckpt_read(path, &off) == 0 ? off : 0;
}

int repl_log_reset(struct repl_log *l)
{
	log_reader_close(l->reader);
	l->reader = NULL;
	l->view_live = false;
	memset(l->window, 0, REPL_WINDOW / 8);
	l->next_offset = l->acked_low;
	l->rewind = false;
	l->txn_bytes = 0;
	return log_reader_open(&l->reader, log_writer_dir(l->lw), l->acked_low);
}

/* Goes back to the acknowledged offset after failed deliveries or a new
 * producer; what was produced past it goes again and counts as resent. */
void repl_log_rewind(struct repl *r, unsigned k)
{
	struct repl_log *l = &r->logs[k];
	uint64_t from = l->acked_low, now = clock_mono_ns();
	int rc;

	counter_add(&r->stats.log[k].resent, l->next_offset - from);
	if (from == l->rewind_from && l->rewind_not_before_ns) {
		l->rewind_backoff_ns = l->rewind_backoff_ns ? 2 * l->rewind_backoff_ns
							    : REPL_REWIND_BACKOFF_MIN_NS;
		if (l->rewind_backoff_ns > REPL_REWIND_BACKOFF_MAX_NS)
			l->rewind_backoff_ns = REPL_REWIND_BACKOFF_MAX_NS;
	} else {
		l->rewind_backoff_ns = 0;  /* progress since the last one */
	}
	l->rewind_from = from;
	l->rewind_not_before_ns = now + l->rewind_backoff_ns;
	rc = repl_log_reset(l);
	if (rc < 0)
		plog_err("replication: reopening %s at %" PRIu64 ": %s",
			 log_writer_dir(l->lw), from, strerror(-rc));
}

/* The reader met a bad batch in a sealed segment: move that segment aside
 * and read on from the same offset, past it. The newest segment is the
 * writer's: its damage is not ours to judge (-EBUSY). */
static int repl_quarantine(struct repl *r, unsigned k)
{
	struct repl_log *l = &r->logs[k];
	struct log_repair_result res = { 0 };
	uint64_t base = log_reader_segment(l->reader);
	int rc = log_repair_quarantine(log_writer_dir(l->lw), base, &res);

	if (rc < 0)
		return rc;
	counter_add(&r->stats.segments_quarantined, 1);
	counter_add(&r->stats.records_quarantined, res.records_quarantined);
	plog_err("replication: %s segment %020" PRIu64 " has a bad batch inside: quarantined "
		 "as %020" PRIu64 ".log.quarantined; its %" PRIu64 " offsets are skipped",
		 log_kind_name(k), base, base, res.records_quarantined);
	rc = repl_log_reset(l);
	if (rc < 0)
		plog_err("replication: reopening %s at %" PRIu64 ": %s", log_writer_dir(l->lw),
			 l->acked_low, strerror(-rc));
	return 0;
}

/* Produces from one log up to its durable offset. Returns records produced. */
static unsigned repl_log_pump(struct repl *r, unsigned k)
{
	struct repl_log *l = &r->logs[k];
	uint64_t durable = log_writer_durable_offset(l->lw), offset;
	struct log_record rec;
	unsigned n = 0;
	int rc;

	if (l->rewind || !l->reader)
		return 0;
	/* After a reset, acknowledgements still in flight can move acked_low
	 * past next_offset: compare without underflow. */
	while (n < REPL_PRODUCE_PER_ROUND && l->next_offset < durable &&
	       l->next_offset < l->acked_low + r->cfg.window) {
		if (!l->view_live) {
			rc = log_reader_next(l->reader, durable, &l->view);
			if (rc == -EBADMSG && repl_quarantine(r, k) == 0)
				return n;  /* read on past it next round */
			if (rc < 0 && rc != l->read_error)
				plog_err("replication: reading %s at %" PRIu64 ": %s",
					 log_writer_dir(l->lw), l->next_offset, strerror(-rc));
			l->read_error = rc < 0 ? rc : 0;
			if (rc <= 0)
				return n;
			l->view_live = true;
			l->view_pos = 0;
			l->view_index = 0;
		}
		uint32_t pos = l->view_pos;
		uint64_t index = l->view_index;

		if (!log_batch_view_record(&l->view, &pos, &index, &rec, &offset)) {
			l->view_live = false;
			continue;
		}
		if (offset < l->acked_low) {
			/* Acknowledged before a reset: not again. */
			l->view_pos = pos;
			l->view_index = index;
			l->next_offset = offset + 1;
			continue;
		}
		if (offset > l->next_offset) {
			/* A quarantined segment's offsets: nothing to send. Pass
			 * them once everything before is acknowledged; bits
			 * left in the window by late acknowledgements go. */
			if (l->acked_low < l->next_offset)
				return n;
			memset(l->window, 0, REPL_WINDOW / 8);
			l->acked_low = l->next_offset = offset;
			counter_set(&r->stats.log[k].acked_offset, offset);
		}
		rc = repl_produce(r, k, &rec, offset);
		if (rc < 0)
			return n;  /* queue full: the same record goes next round */
		l->view_pos = pos;
		l->view_index = index;
		l->next_offset = offset + 1;
		counter_add(&r->stats.log[k].produced, 1);
		n++;
	}
	return n;
}

/* Hands the acknowledged offsets to the checkpoint writer once enough
 * time or enough records have passed: what a crash re-sends is bounded by
 * about --checkpoint-events, or --checkpoint-ms of traffic, whichever is
 * reached first, plus what was in flight. */
static void repl_checkpoint(struct repl *r, bool force)
{
	uint64_t now = clock_mono_ns();

	for (int k = 0; k < LOG_KINDS; k++) {
		struct repl_log *l = &r->logs[k];
		uint64_t ahead = l->acked_low - l->ckpt_posted;

		if (ahead == 0 || (!force && now - l->ckpt_ns < r->cfg.ckpt_interval_ns &&
				   (!r->cfg.ckpt_events || ahead < r->cfg.ckpt_events)))
			continue;
		repl_ckpt_post(r->ckpt, k, l->acked_low);
		l->ckpt_posted = l->acked_low;
		l->ckpt_ns = now;
	}
}

/* Replaces the producer and re-sends from the acknowledged offsets; the
 * duplicates are counted as resent. Exactly-once reads the offsets back
 * from Kafka first (repl_txn_prepare), and an open transaction is aborted
 * by the new producer's fencing. */
void repl_new_producer(struct repl *r, const char *why)
{
	char err[512];

	plog_info("kafka: %s: starting a new producer", why);
	repl_destroy_producer(r);
	r->txn_ready = false;
	r->txn_open = false;
	counter_add(&r->stats.producer_restarts, 1);
	for (unsigned k = 0; k < LOG_KINDS; k++)
		repl_log_rewind(r, k);
	if (repl_create_producer(r, err, sizeof(err)) < 0) {
		plog_err("kafka: cannot create a producer: %s", err);
		repl_destroy_producer(r);
	}
}

/* A fatal error (the idempotent producer was fenced or lost its sequence):
 * that producer can send nothing more. */
static void repl_restart_producer(struct repl *r, const char *why)
{
	plog_err("kafka: fatal producer error: %s", why);
	repl_new_producer(r, "after a fatal error");
}

void repl_broker_state(struct repl *r, struct repl_broker_state *out)
{
	repl_broker_snapshot(&r->broker, out);
}

void repl_set_props(struct repl *r, const struct kprop_list *props)
{
	pthread_mutex_lock(&r->props_lock);
	r->props_next = *props;
	pthread_mutex_unlock(&r->props_lock);
	atomic_store(&r->props_changed, true);
}

static bool repl_caught_up(const struct repl *r)
{
	for (int k = 0; k < LOG_KINDS; k++)
		if (r->logs[k].acked_low < log_writer_durable_offset(r->logs[k].lw))
			return false;
	return true;
}

/* Nothing in flight and nothing to read (or paused): the thread may sleep
 * until a log's durable offset moves instead of polling every millisecond. */
static bool repl_idle(struct repl *r, bool stopping)
{
	bool paused = atomic_load(&r->paused);

	if (stopping || r->txn_open || rd_kafka_outq_len(r->rk) > 0 ||
	    atomic_load(&r->props_changed))
		return false;
	for (unsigned k = 0; k < LOG_KINDS; k++) {
		const struct repl_log *l = &r->logs[k];

		if (l->rewind || !l->reader ||
		    (!paused && l->next_offset < log_writer_durable_offset(l->lw)))
			return false;
	}
	return true;
}

static void repl_wait_idle(struct repl *r)
{
	struct log_writer *lws[LOG_KINDS];
	uint64_t after[LOG_KINDS];

	rd_kafka_poll(r->rk, 0);  /* callbacks (errors, statistics) first */
	for (unsigned k = 0; k < LOG_KINDS; k++) {
		lws[k] = r->logs[k].lw;
		after[k] = r->logs[k].next_offset;
	}
	(void)log_writer_wait_durable(lws, after, LOG_KINDS, REPL_IDLE_WAIT_MS);
}

static void *repl_thread(void *arg)
{
	struct repl *r = arg;
	unsigned produced;
	char why[512];

	for (;;) {
		bool stopping = atomic_load(&r->stop);

		if (stopping && (repl_caught_up(r) || clock_mono_ns() >= r->drain_deadline_ns))
			break;
		if (!r->rk) {
			repl_restart_producer(r, "no producer");
			if (!r->rk) {
				clock_sleep_ns(REPL_RESTART_BACKOFF_NS);
				continue;
			}
		}
		if (atomic_exchange(&r->props_changed, false)) {
			pthread_mutex_lock(&r->props_lock);
			r->props = r->props_next;
			pthread_mutex_unlock(&r->props_lock);
			repl_new_producer(r, "kafka.* settings changed");
			continue;
		}
		if (atomic_exchange(&r->inject_fatal, false))
			rd_kafka_test_fatal_error(r->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
						  "test seam");
		if (rd_kafka_fatal_error(r->rk, why, sizeof(why))) {
			repl_restart_producer(r, why);
			continue;
		}
		if (r->cfg.exactly_once) {
			if (!r->txn_ready && repl_txn_prepare(r) < 0) {
				clock_sleep_ns(REPL_RESTART_BACKOFF_NS);
				continue;
			}
			repl_txn_begin(r, stopping);
		}
		produced = 0;
		for (unsigned k = 0; k < LOG_KINDS; k++) {
			/* Exactly-once rewinds by aborting its transaction. */
			if (r->logs[k].rewind && !r->cfg.exactly_once &&
			    rd_kafka_outq_len(r->rk) == 0 &&
			    clock_mono_ns() >= r->logs[k].rewind_not_before_ns)
				repl_log_rewind(r, k);
			if ((!atomic_load(&r->paused) || stopping) &&
			    (!r->cfg.exactly_once || r->txn_open))
				produced += repl_log_pump(r, k);
		}
		if (!produced && repl_idle(r, stopping))
			repl_wait_idle(r);
		else
			repl_poll(r, produced ? 0 : 1);
		if (r->cfg.exactly_once && r->rk)
			repl_txn_end(r, stopping);
		repl_checkpoint(r, false);
	}
	if (r->rk && r->cfg.exactly_once)
		repl_txn_close(r);
	else if (r->rk)
		rd_kafka_flush(r->rk, 2000);
	repl_checkpoint(r, true);
	repl_ckpt_stop(r->ckpt);  /* writes the last one */
	r->ckpt = NULL;
	r->result = repl_caught_up(r) ? 0 : -ETIMEDOUT;
	return NULL;
}

void repl_free(struct repl *r)
{
	if (!r)
		return;
	repl_destroy_producer(r);
	repl_ckpt_stop(r->ckpt);
	pthread_mutex_destroy(&r->props_lock);
	repl_broker_destroy(&r->broker);
	for (int i = 0; i < 2; i++)
		if (r->rk_event[i] >= 0)
			close(r->rk_event[i]);
	for (int k = 0; k < LOG_KINDS; k++) {
		log_reader_close(r->logs[k].reader);
		free(r->logs[k].window);
		free(r->logs[k].arrival);
	}
	free(r);
}

int repl_start(struct repl **out, const struct repl_config *cfg, char *err,
	       size_t err_size)
{
	struct repl *r;
	int rc;

	assert(cfg->clock);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	r->rk_event[0] = r->rk_event[1] = -1;
	pthread_mutex_init(&r->props_lock, NULL);
	repl_broker_init(&r->broker);
	if (pipe2(r->rk_event, O_NONBLOCK | O_CLOEXEC) < 0) {
		rc = -errno;
		snprintf(err, err_size, "creating the producer's event pipe: %s", strerror(errno));
		goto fail;
	}
	if (cfg->props)
		r->props = *cfg->props;
	if (cfg->topic_map)
		r->topic_map = *cfg->topic_map;
	for (unsigned i = 0; i < r->topic_map.count; i++)
		r->route[r->topic_map.e[i].schema_id] = (uint8_t)(i + 1);
	if (r->cfg.window == 0 || r->cfg.window > REPL_WINDOW)
		r->cfg.window = REPL_WINDOW;
	for (int k = 0; k < LOG_KINDS; k++) {
		struct repl_log *l = &r->logs[k];

		l->lw = cfg->logs[k];
		snprintf(l->ckpt_path, sizeof(l->ckpt_path), "%s/%s",
			 log_writer_dir(l->lw), REPL_CKPT_NAME);
		rc = ckpt_read(l->ckpt_path, &l->acked_low);
		if (rc == -ENOENT) {
			l->acked_low = 0;
		} else if (rc < 0) {
			snprintf(err, err_size, "checkpoint %s: %s", l->ckpt_path, strerror(-rc));
			goto fail;
		}
		if (l->acked_low > log_writer_durable_offset(l->lw)) {
			snprintf(err, err_size, "checkpoint %s says %" PRIu64
				 " but the log ends at %" PRIu64, l->ckpt_path, l->acked_low,
				 log_writer_durable_offset(l->lw));
			rc = -EINVAL;
			goto fail;
		}
		l->ckpt_posted = l->acked_low;
		counter_set(&r->stats.log[k].acked_offset, l->acked_low);
		l->window = calloc(REPL_WINDOW / 64, sizeof(uint64_t));
		l->arrival = calloc(r->cfg.window, sizeof(uint64_t));
		if (!l->window || !l->arrival) {
			rc = -ENOMEM;
			goto fail;
		}
		rc = repl_log_reset(l);
		if (rc < 0) {
			snprintf(err, err_size, "opening %s at %" PRIu64 ": %s",
				 log_writer_dir(l->lw), l->acked_low, strerror(-rc));
			goto fail;
		}
	}
	const char *paths[LOG_KINDS] = { r->logs[0].ckpt_path, r->logs[1].ckpt_path };
	const uint64_t written[LOG_KINDS] = { r->logs[0].acked_low, r->logs[1].acked_low };

	rc = repl_ckpt_start(&r->ckpt, paths, written);
	if (rc < 0) {
		snprintf(err, err_size, "starting the checkpoint writer: %s", strerror(-rc));
		goto fail;
	}
	rc = repl_create_producer(r, err, err_size);
	if (rc < 0)
		goto fail;
	rc = -pthread_create(&r->thread, NULL, repl_thread, r);
	if (rc < 0) {
		snprintf(err, err_size, "starting the replication thread: %s", strerror(-rc));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	repl_free(r);
	return rc;
}

void repl_pause(struct repl *r, bool paused)
{
	atomic_store(&r->paused, paused);
	counter_set(&r->stats.paused, paused);
}

void repl_stop_begin(struct repl *r, uint64_t timeout_ns)
{
	atomic_store(&r->drain_deadline_ns, clock_mono_ns() + timeout_ns);
	atomic_store(&r->stop, true);
}

void repl_stop_now(struct repl *r)
{
	atomic_store(&r->drain_deadline_ns, clock_mono_ns());
}

bool repl_stop_done(struct repl *r, int *result)
{
	if (!r->joined && pthread_tryjoin_np(r->thread, NULL) == 0)
		r->joined = true;
	if (r->joined)
		*result = r->result;
	return r->joined;
}

int repl_stop(struct repl *r, uint64_t timeout_ns)
{
	repl_stop_begin(r, timeout_ns);
	pthread_join(r->thread, NULL);
	r->joined = true;
	return r->result;
}

const struct repl_stats *repl_stats(const struct repl *r)
{
	return &r->stats;
}

void repl_inject_fatal(struct repl *r)
{
	atomic_store(&r->inject_fatal, true);
}
