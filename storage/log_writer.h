/* The writer of one log: appends encoded records into record batches, writes
 * them through io_uring as buffers fill, and makes them durable by group
 * commit: one fdatasync at a time covers every write completed before it. Single
 * thread: the log service lcore. Only log_writer_durable_offset() and the
 * stats may be read from other threads. */
#ifndef SLUICE_STORAGE_LOG_WRITER_H
#define SLUICE_STORAGE_LOG_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/counter.h"
#include "platform/histo.h"
#include "storage/log_io.h"

struct log_writer_config {
	uint64_t segment_bytes_max;  /* roll once a segment has reached this */
	uint32_t commit_bytes_max;   /* each of the LOG_WRITER_BUFFERS write buffers */
	uint32_t batch_body_bytes;   /* close a batch once its body reaches this */
	int zstd_level;              /* compress batches at rest; 0: store plain */
	enum log_io_mode io_mode;    /* io_uring, or plain calls where it is refused */
};

#define LOG_WRITER_CONFIG_DEFAULT \
	{ .segment_bytes_max = 64ull << 20, .commit_bytes_max = 4u << 20, \
	  .batch_body_bytes = 256u << 10, .zstd_level = 0 }

/* Buffers being filled, queued or written; a slow fdatasync does not hold
 * them, only the page cache write does. */
#define LOG_WRITER_BUFFERS 4

struct log_writer_stats {
	counter_t records_durable;  /* records whose write and fdatasync completed */
	counter_t bytes_durable;
	counter_t commits;           /* fdatasync rounds that moved the durable offset */
	counter_t writes;
	counter_t records_lost_disk; /* accepted but refused by the disk: counted */
	counter_t disk_errors;
	counter_t torn_bytes_cut;   /* at open: bytes of a torn tail removed */
	counter_t segments_rolled;
	counter_t batches_zstd;      /* batches stored compressed */
	counter_t batches_plain;     /* stored plain: off, or they did not shrink */
	counter_t body_bytes_in;     /* plain batch bodies closed */
	counter_t body_bytes_stored; /* the same bodies as written */
	counter_t compress_ns;       /* time spent compressing */
	counter_t index_write_errors; /* index files not written (rebuilt later) */
	counter_t recovery_ns;       /* how long the last open took to recover */
	counter_t recovery_bytes_scanned;
	counter_t full_wait_ns;      /* time appends waited for a free buffer */
	counter_t full_wait_ns_max;
	counter_t commit_ns_max;     /* longest fdatasync round */
	struct histo durable_latency; /* arrival -> durable, per record */
	/* The canary (log_writer_append_canary) is counted here, not above:
	 * records_durable and records_lost_disk are the operator's records. */
	counter_t canaries_durable;
	counter_t canaries_lost;      /* a disk error, or one was still pending */
	counter_t canary_offset;      /* the last canary's offset + 1; 0: none yet */
	counter_t canary_durable_ns;  /* the last canary's arrival -> durable */
	counter_t latency_untracked; /* records past the tracking ring */
};

struct log_writer;

/* Opens (creating if needed) the log in dir, validates the tail segment and
 * cuts a torn tail. Returns 0 or -errno. */
int log_writer_open(struct log_writer **out, const char *dir,
		    const struct log_writer_config *cfg);

/* Appends count records (bytes of log_record_encode output); the oldest
 * arrived at first_arrival_ns (real time; 0: not tracked for latency). May wait for a
 * write to finish when every buffer is busy. On a disk error the records that
 * can no longer become durable are dropped and counted in records_lost_disk,
 * and the error is returned. */
int log_writer_append(struct log_writer *lw, const uint8_t *records,
		      uint32_t bytes, uint32_t count, uint64_t first_arrival_ns);

/* Reaps finished writes and fdatasyncs and starts the next ones when data
 * waits. With wait, blocks for at least one completion if anything is in
 * flight. Returns 0 or -errno. */
int log_writer_poll(struct log_writer *lw, bool wait);

/* Blocks until the durable offset of any of the n (at most LOG_KINDS)
 * writers is above after[i], or timeout_ms passes: for a reader of the logs
 * with nothing left to read (the replicator), instead of polling. The
 * writer signals only when someone waits. Returns 0 or -errno. */
int log_writer_wait_durable(struct log_writer *const *lws, const uint64_t *after, unsigned n,
			    int timeout_ms);

/* True while anything appended is not yet durable. */
bool log_writer_busy(const struct log_writer *lw);

/* Appends sluice's canary, one encoded record that arrived at arrival_ns
 * (real time), and follows it to durable on its own counters. One canary
 * at a time: -EBUSY while the last one is not yet durable. */
int log_writer_append_canary(struct log_writer *lw, const uint8_t *record, uint32_t bytes,
			     uint64_t arrival_ns);

/* Makes everything appended so far durable. Returns 0 or -errno. */
int log_writer_flush(struct log_writer *lw);

/* Offset the next appended record gets (records dropped for a disk error
 * give theirs back). Log service thread. */
uint64_t log_writer_next_offset(const struct log_writer *lw);

/* Offset after the last durable record; safe from any thread. */
uint64_t log_writer_durable_offset(const struct log_writer *lw);
const struct log_writer_stats *log_writer_stats(const struct log_writer *lw);
const char *log_writer_dir(const struct log_writer *lw);

void log_writer_close(struct log_writer *lw);

/* 0 when writing through io_uring; else why not (-ENOSYS, -EPERM), and
 * the writer uses plain pwrite and fdatasync. */
int log_writer_io_fallback(const struct log_writer *lw);

/* Test seams: the n-th write (or fdatasync round) submitted from now fails
 * with err (n = 1 is the next one). Not used outside tests. */
void log_writer_inject_write_error(struct log_writer *lw, unsigned nth, int err);
void log_writer_inject_sync_error(struct log_writer *lw, unsigned nth, int err);
/* The n-th segment roll from now cannot create its segment (err). */
void log_writer_inject_roll_error(struct log_writer *lw, unsigned nth, int err);
/* The n-th write submitted from now (continuations count) takes half. */
void log_writer_inject_short_write(struct log_writer *lw, unsigned nth);

#endif
