/* RX workers: one per lcore and source queue. Each receives bursts, parses
 * SLF1 (or takes raw datagrams), and fills batch buffers that it enqueues
 * toward the log service. Runs on its own lcore; its counters are read by the
 * control plane without locks. */
#ifndef SLUICE_DATAPLANE_WORKER_H
#define SLUICE_DATAPLANE_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "dataplane/slf.h"
#include "dataplane/srcstat.h"
#include "dataplane/source.h"
#include "platform/counter.h"
#include "platform/queue.h"
#include "storage/log_types.h"

enum worker_mode { WORKER_MODE_SLF1, WORKER_MODE_RAW };

enum worker_drop {
	WORKER_DROP_QUEUE_FULL,  /* the log service queue stayed full past the retry */
	WORKER_DROP_NO_BUFFER,   /* no batch buffer came free within the retry */
	WORKER_DROP_DISK_FULL,   /* refused at the door: the disk is below its mark */
	WORKER_DROP_DLQ_RATE,    /* a dead letter over its sender's or the global rate */
	WORKER_DROPS
};

/* Raw mode numbers each sender's datagrams; the table is fixed-size. */
#define WORKER_RAW_SOURCES 16384u
#define WORKER_RAW_PROBE 16u

/* Dead letters per second each sender may write, in a fixed table by
 * sender hash (two senders that share a slot share a budget); a sender
 * new to its slot starts with a second's worth. */
#define WORKER_DLQ_SOURCES 4096u

struct worker_bucket {
	uint64_t peer_id;
	uint64_t tokens;     /* in 1e-9 units (dead letters, bytes): a second's worth
			      * is rate * 1e9 */
	uint64_t last_ns;
};

struct worker_stats {
	counter_t frames_received;          /* each malformed remainder counts one */
	counter_t events_enqueued;
	counter_t dlq_enqueued;
	counter_t dlq_by_reason[SLF_REASONS];
	counter_t drops[WORKER_DROPS];      /* records, events and dead letters */
	counter_t raw_seq_evictions;
	counter_t bursts;
	/* sluice's own canary, outside the counters above */
	counter_t canaries_enqueued;
	counter_t canaries_dropped;  /* refused at the door or by a full queue */
};

/* The control plane's mailbox into a worker's parser, for the canary: one
 * SLF1 datagram at a time, taken on the worker's next pass. */
#define WORKER_INJECT_BYTES 512u

struct worker_inject {
	_Atomic uint32_t len;   /* 0: empty; set last by the control plane */
	uint8_t data[WORKER_INJECT_BYTES];
};

struct worker_config {
	unsigned index;              /* also the source queue */
	struct source *source;
	const struct source_ops *ops;
	struct queue *queue;
	struct pool *pool;
	enum worker_mode mode;
	uint64_t enqueue_retry_ns;   /* bound on waiting for queue or pool */
	uint64_t flush_ns;           /* a partly filled batch waits at most this */
	/* Raw mode: source ids are the sender's address hash XOR this (the
	 * appliance's own), seqs start at this base (the run's epoch << 40),
	 * so no two appliances, and no two runs, give one id to two events. */
	uint64_t raw_id_salt;
	uint64_t raw_seq_base;
	/* Set by the control plane while the disk is below its refuse mark:
	 * new records are counted as disk_full instead of accepted. NULL: no gate. */
	const _Atomic bool *refuse;
	/* Dead letters written per second per sender, and their bytes per
	 * second in all (this worker's share); past either a dead letter is a
	 * drop (dlq_rate), still counted by reason. 0: no limit. */
	uint64_t dlq_rate_source;
	uint64_t dlq_bytes_rate;
	/* Source health (SLF1 mode): sources tracked, 0: off; the late and
	 * ahead bounds of srcstat.h. */
	uint32_t sources_max;
	uint64_t late_ns, ahead_ns;
};

struct worker_raw_slot {
	uint64_t peer_id;
	uint64_t next_seq;
};

struct worker {
	struct worker_config cfg;
	_Atomic bool stop;
	struct log_batchbuf *cur[LOG_KINDS];
	uint64_t dlq_seq;
	struct worker_inject inject;
	struct worker_stats stats __rte_cache_aligned;  /* apart from the fields above */
	struct rx_pkt pkts[SOURCE_BURST_MAX];
	struct slf_frame frames[SLF_FRAMES_MAX];
	uint32_t homes[SLF_FRAMES_MAX];   /* by frame: its source's slot (srcstat_home) */
	struct worker_raw_slot raw[WORKER_RAW_SOURCES];
	struct worker_bucket dlq_all;
	struct worker_bucket dlq_source[WORKER_DLQ_SOURCES];
	struct srcstat *sources;     /* NULL: source health off */
	/* With source health: by schema id, the newest event time of an event
	 * neither late nor ahead, for the watermark (control plane reads). */
	counter_t *schema_newest_ns;
};

/* Allocates a worker; NULL on failure. */
struct worker *worker_create(const struct worker_config *cfg);
/* lcore entry: loops until stop, flushes what it holds, returns 0. */
int worker_run(void *arg);
/* Handles one received datagram (the loop's body; exposed for tests). */
void worker_handle(struct worker *w, const struct rx_pkt *pkt);
/* Handles a burst, each datagram loaded a few ahead of its turn. */
void worker_handle_burst(struct worker *w, const struct rx_pkt *pkts, uint16_t n);
/* Hands the worker one SLF1 datagram whose frames carry the canary flag;
 * it enters the parser on the worker's next pass, timed from there, in a
 * batch of its own. -EBUSY while the last one is not taken, -EMSGSIZE. */
int worker_inject(struct worker *w, const uint8_t *dgram, uint32_t len);
/* Takes what the mailbox holds (the loop does; exposed for tests). */
void worker_take_inject(struct worker *w);
/* Takes one event built elsewhere (a dead letter replayed by the control
 * plane) as if the parser had produced it: a frame received, an event
 * enqueued or a counted drop. */
void worker_put_event(struct worker *w, const struct log_record *rec);
/* Enqueues the worker's partly filled batch of one kind (bounded retry). */
void worker_flush(struct worker *w, enum log_kind k);
/* Enqueues whatever partly filled batches the worker holds. */
void worker_flush_all(struct worker *w);
void worker_destroy(struct worker *w);

const char *worker_drop_name(enum worker_drop d);

#endif
