/* Replaying dead letters: `sluicectl dlq replay` reads a range of the DLQ
 * log and puts what it can recover into the events log through a worker of
 * its own (so the replayed events are batched, counted and dropped like
 * received ones, and replicated like them):
 *  - as SLF1 (the default): the valid frames inside each dead letter. A
 *    dead letter holds a datagram from its first bad frame on, so frames
 *    after that one were lost with it; replay skips each bad frame to the
 *    next SLF1 header and keeps every frame that parses. They keep their
 *    own (source_id, seq), so their event-id is what it would have been.
 *  - as raw: each dead letter is one event (a gateway that sends text to an
 *    SLF1 port), source id as raw mode's (sender hash ^ appliance salt),
 *    seq 2^63 + its DLQ offset: replaying it twice gives the same event-id.
 * The DLQ log itself is left as it is. Main thread; at most
 * DLQ_REPLAY_MAX dead letters per request. */
#ifndef SLUICE_CONTROL_DLQ_REPLAY_H
#define SLUICE_CONTROL_DLQ_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/worker.h"

#define DLQ_REPLAY_MAX 100000u
#define DLQ_REPLAY_RAW_SEQ (1ull << 63)

struct dlq_replay_req {
	uint64_t from;
	uint64_t count;     /* at most DLQ_REPLAY_MAX */
	unsigned reason;    /* enum log_dlq_reason; LOG_DLQ_NONE: any */
	bool as_raw;
};

struct dlq_replay_result {
	uint64_t from, end;  /* the offsets read: [from, end) */
	uint64_t records;    /* dead letters read */
	uint64_t matched;    /* of those, with the reason asked for */
	uint64_t events;     /* events handed to the log */
	uint64_t still_bad;  /* pieces that still do not parse (SLF1) */
	uint64_t dropped;    /* events the pipeline dropped (queue, buffers, disk gate) */
	uint64_t log_end;    /* the DLQ log's durable end */
};

/* Parses the request's words after "dlq replay": from=N count=N
 * reason=NAME as=slf1|raw (any order, each optional; "json" is passed
 * over). On a bad word writes one line naming it to err, -EINVAL. */
int dlq_replay_parse(const char *const *words, unsigned n, struct dlq_replay_req *req,
		     char *err, size_t err_size);

/* Replays req from the DLQ log in dlq_dir (durable up to durable_end)
 * through rw. 0 or -errno. */
int dlq_replay_run(const char *dlq_dir, uint64_t durable_end, struct worker *rw,
		   const struct dlq_replay_req *req, struct dlq_replay_result *res);

void dlq_replay_render(const struct dlq_replay_req *req, const struct dlq_replay_result *res,
		       FILE *out, int json);

#endif
