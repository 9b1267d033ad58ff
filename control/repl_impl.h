/* The replicator's private parts, shared by repl.c (the thread: reading
 * the logs, windows, rewinds, checkpoints, quarantine) and repl_producer.c
 * (the librdkafka producer: its settings, callbacks and produce). Not for
 * other modules: they use repl.h. */
#ifndef SLUICE_CONTROL_REPL_IMPL_H
#define SLUICE_CONTROL_REPL_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "control/repl.h"
#include "control/repl_broker.h"
#include "control/repl_ckpt.h"
#include "platform/clock.h"
#include "storage/log_reader.h"

/* The bitmap of delivery reports: records in flight per log, at most (the
 * configured window is smaller). */
#define REPL_WINDOW (1u << 20)
#define REPL_PRODUCE_PER_ROUND 20000u   /* then poll, so reports keep flowing */
#define REPL_CKPT_NAME "replicated.ckpt"
#define REPL_RESTART_BACKOFF_NS 1000000000ull
#define REPL_IDLE_WAIT_MS 100   /* idle: how often librdkafka's callbacks are served */
/* Exactly-once: the longest a transactional call blocks the thread before
 * it looks at its stop flag again, and the opaque of offsets records. */
#define REPL_TXN_CALL_MS 10000
#define REPL_TAG_OFFSETS UINTPTR_MAX

struct repl_log {
	struct log_writer *lw;
	rd_kafka_topic_t *rkt;
	char ckpt_path[LOG_PATH_MAX];
	struct log_reader *reader;
	struct log_batch_view view;      /* batch being produced */
	bool view_live;
	uint32_t view_pos;
	uint64_t view_index;
	uint64_t next_offset;            /* next record to produce */
	uint64_t acked_low;              /* all below are acknowledged */
	uint64_t ckpt_posted;            /* last offset given to the checkpoint writer */
	uint64_t ckpt_ns;
	bool rewind;                     /* a report failed */
	/* A rewind that found acked_low where the last one left it waits
	 * rewind_backoff_ns (doubling to REPL_REWIND_BACKOFF_MAX_NS) before
	 * re-sending: a record the cluster refuses (its timestamp, its size,
	 * an ACL) is not re-sent in a tight loop. */
	uint64_t rewind_from, rewind_backoff_ns, rewind_not_before_ns;
	int read_error;                  /* last error reading the log, said once */
	uint64_t *window;                /* REPL_WINDOW bits, by offset */
	/* Arrival times of the records produced past acked_low, by offset %
	 * cfg.window: at most a window is past it, so slots do not collide. */
	uint64_t *arrival;
	/* Exactly-once: payload bytes of the open transaction, whose records
	 * are the offsets from acked_low (committed) to next_offset. */
	uint64_t txn_bytes;
};

#define REPL_REWIND_BACKOFF_MIN_NS 100000000ull
#define REPL_REWIND_BACKOFF_MAX_NS 5000000000ull

struct repl {
	struct repl_config cfg;
	rd_kafka_t *rk;
	int rk_event[2];                 /* pipe librdkafka writes when its queue gets an event */
	struct repl_log logs[LOG_KINDS];
	struct repl_ckpt *ckpt;
	struct repl_broker broker;
	struct topic_map topic_map;
	rd_kafka_topic_t *schema_rkt[TOPICS_MAP_MAX];  /* by topic_map entry */
	uint8_t route[UINT16_MAX + 1];   /* schema id -> map entry + 1; 0: --topic */
	struct kprop_list props;         /* the producer's kafka.* settings */
	struct kprop_list props_next;    /* under props_lock, from SIGHUP */
	pthread_mutex_t props_lock;
	_Atomic bool props_changed;
	pthread_t thread;
	_Atomic bool stop;
	_Atomic bool paused;
	_Atomic bool inject_fatal;
	_Atomic uint64_t drain_deadline_ns;
	bool joined;
	int result;
	bool txn_ready;                  /* transactions initialised, offsets read back */
	bool txn_open;
	uint64_t txn_begin_ns;
	struct repl_stats stats;
};

/* repl.c */
/* Positions a log's reader at its acknowledged offset, forgetting what was
 * produced past it. */
int repl_log_reset(struct repl_log *l);
/* Replaces the producer; at-least-once re-sends from the acknowledged
 * offsets, exactly-once from those read back from Kafka. */
void repl_new_producer(struct repl *r, const char *why);
/* Moves a log back to its acknowledged offset, counting the records
 * produced past it as resent. */
void repl_log_rewind(struct repl *r, unsigned k);

/* repl_producer.c */
/* Sets the brokers, the test settings and the operator's kafka.* ones on a
 * librdkafka configuration: the producer's and the offsets reader's. */
int repl_conf_apply(const struct repl *r, rd_kafka_conf_t *conf, char *err, size_t err_size);
/* Sets each NAME, VALUE pair of table; -EINVAL with err filled on the first
 * that librdkafka refuses. */
int repl_conf_set_table(rd_kafka_conf_t *conf, const char *const (*table)[2], size_t n,
			char *err, size_t err_size);
int repl_create_producer(struct repl *r, char *err, size_t err_size);
/* Serves librdkafka's callbacks, waiting up to timeout_ms for the first
 * when none is queued. */
void repl_poll(struct repl *r, int timeout_ms);
void repl_destroy_producer(struct repl *r);
/* Produces one record. Returns 0, or -ENOBUFS when librdkafka's queue is
 * full (try again after a poll), or another -errno. */
int repl_produce(struct repl *r, unsigned k, const struct log_record *rec, uint64_t offset);
/* Arrival to acknowledged (exactly-once: committed) of log k's record at
 * off, from the arrival time kept when it was produced. Returns true when
 * it was sluice's canary, timed on the canary's own counters. */
bool repl_observe_ack(struct repl *r, unsigned k, uint64_t off, uint64_t now);
/* Whether log k's record at off is the canary the log follows. */
bool repl_is_canary(const struct repl *r, unsigned k, uint64_t off);

/* repl_txn.c: exactly-once */
/* Initialises transactions on a new producer and reads the offsets back
 * from Kafka; the logs go on from there. 0, or -errno after logging. */
int repl_txn_prepare(struct repl *r);
/* Begins a transaction when there are records to send. */
void repl_txn_begin(struct repl *r, bool stopping);
/* Commits the open transaction once it is due (or aborts it when a
 * delivery failed, rewinding to the committed offsets). */
void repl_txn_end(struct repl *r, bool stopping);
/* Ends an open transaction on the way out: commit, else abort. */
void repl_txn_close(struct repl *r);

/* repl_offsets.c */
/* Reads this appliance's newest committed offsets from the offsets topic
 * (read_committed), creating the topic (compacted) when it is missing.
 * found[k] says whether log k had one. 0, or -errno with err filled. */
int repl_offsets_read(struct repl *r, uint64_t off[LOG_KINDS], bool found[LOG_KINDS], char *err,
		      size_t err_size);
/* The offsets record key of log k: "APPLIANCE/events" or "APPLIANCE/dlq". */
int repl_offsets_key(const struct repl *r, unsigned k, char *buf, size_t size);

/* The timestamp of a record produced now, in ms: the steady wall clock
 * (repl_config.clock), so that a step of the appliance's clock does not make
 * the cluster refuse records for a timestamp in its future (Kafka 4:
 * log.message.timestamp.after.max.ms, one hour). The arrival-time header
 * keeps the wall clock. */
static inline int64_t repl_timestamp_ms(const struct repl *r)
{
	return (int64_t)(clock_watch_steady_real_ns(r->cfg.clock) / 1000000u);
}

#endif
