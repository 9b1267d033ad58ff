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
#include "storage/log_reader.h"

/* The bitmap of delivery reports: records in flight per log, at most (the
 * configured window is smaller). */
#define REPL_WINDOW (1u << 20)
#define REPL_PRODUCE_PER_ROUND 20000u   /* then poll, so reports keep flowing */
#define REPL_CKPT_NAME "replicated.ckpt"
#define REPL_RESTART_BACKOFF_NS 1000000000ull

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
	int read_error;                  /* last error reading the log, said once */
	uint64_t *window;                /* REPL_WINDOW bits, by offset */
};

struct repl {
	struct repl_config cfg;
	rd_kafka_t *rk;
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
	struct repl_stats stats;
};

/* repl_producer.c */
int repl_create_producer(struct repl *r, char *err, size_t err_size);
void repl_destroy_producer(struct repl *r);
/* Produces one record. Returns 0, or -ENOBUFS when librdkafka's queue is
 * full (try again after a poll), or another -errno. */
int repl_produce(struct repl *r, unsigned k, const struct log_record *rec, uint64_t offset);

#endif
