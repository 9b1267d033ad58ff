/* The log writer's private parts, shared by its two files: log_writer.c
 * (open, append, batches, compression, index marks, close) and
 * log_writer_io.c (the writes through log_io, group-commit fdatasync rounds,
 * segment rolls and what a failed write or sync drops). Not for other
 * modules: they use log_writer.h. */
#ifndef SLUICE_STORAGE_LOG_WRITER_IMPL_H
#define SLUICE_STORAGE_LOG_WRITER_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform/wake.h"
#include "storage/log_codec.h"
#include "storage/log_io.h"
#include "storage/log_index.h"
#include "storage/log_segment.h"
#include "storage/log_writer.h"

#define LOG_WRITER_EAGER_BYTES (256u << 10) /* write early only in chunks this big */
#define LOG_WRITER_SETTLE_ROUNDS 1000000u   /* bound on waits for the disk */
#define LOG_WRITER_LATENCY_RING 8192u     /* appends awaiting durability, for latency */
#define LOG_OP_WRITE 0u
#define LOG_OP_SYNC 1u

enum log_buf_state { BUF_FREE, BUF_FILLING, BUF_QUEUED, BUF_WRITING };

/* Where index entries may go in a buffer: batches at least
 * LOG_INDEX_INTERVAL_MIN apart (pos relative to the buffer); the segment's
 * index learns their file positions when the buffer's write starts. */
struct log_buf_mark {
	uint64_t offset;
	uint32_t pos;
	uint64_t time_max;
};

struct log_buf {
	uint8_t *buf;
	enum log_buf_state state;
	uint32_t used;           /* bytes filled */
	uint32_t records;
	uint64_t first_offset;
	uint64_t end_offset;     /* offset after the last record */
	uint32_t written;        /* bytes the kernel has taken so far */
	int fd;                  /* where it is being written */
	uint64_t seg_base;
	uint64_t file_offset;
	uint32_t nmarks;
	struct log_buf_mark *marks;  /* log_writer.marks_cap */
	bool roll_before;        /* its write starts a new segment */
};

/* The one fdatasync round in flight: it covers every write that completed
 * before it was issued, in the tail segment and, after a roll, the one
 * before it. */
struct log_sync {
	bool in_flight;
	int pending;             /* CQEs still to reap */
	int error;
	bool covers_prev;
	uint64_t target;         /* durable offset once it completes */
	uint64_t seg_base;       /* segment and position where that data ends */
	uint64_t seg_bytes;
	uint64_t started_ns;
};

/* An append on its way to durability: when the durable offset passes
 * end_offset, its records have waited since first_arrival_ns at most. */
struct log_pending {
	uint64_t end_offset;
	uint64_t first_arrival_ns;
	uint32_t count;
};

struct log_writer {
	struct log_writer_config cfg;
	char dir[LOG_PATH_MAX];
	struct log_io io;
	int fd;                  /* tail segment */
	uint64_t segment_base;
	uint64_t segment_bytes;  /* file position of the next write */
	int prev_fd;             /* the segment before, until a sync covers it */
	uint64_t prev_base;
	uint64_t next_offset;    /* offset the next appended record gets */
	uint64_t written_offset; /* records below are in the page cache */
	uint64_t written_seg_base, written_seg_bytes;
	_Atomic uint64_t durable_offset;
	struct wake durable_wake;        /* readers waiting for it to move */
	uint64_t durable_seg_base, durable_seg_bytes;
	struct log_buf bufs[LOG_WRITER_BUFFERS];
	unsigned fill;           /* the buffer being filled, or next to fill */
	unsigned write_next;     /* the oldest buffer not yet written */
	bool write_in_flight;
	bool sync_failed;        /* handled once no write is in flight */
	struct log_sync sync;
	uint32_t batch_start;    /* position of the open batch's header, or UINT32_MAX */
	uint32_t batch_records;
	uint64_t batch_base;
	uint64_t batch_first_arrival_ns;
	uint64_t batch_time_max;
	uint64_t canary_pending;   /* offset of the canary on its way; UINT64_MAX: none */
	uint64_t canary_arrival_ns;
	uint32_t marks_cap;
	/* Bytes bound for the segment the filling buffer will land in: once
	 * they reach segment_bytes_max, that buffer is sealed and the next
	 * starts a new segment, so segments end near their size. */
	uint64_t planned;
	bool roll_next;          /* the next buffer to fill starts a segment */
	struct log_index *ix;      /* the tail segment's */
	struct log_index *prev_ix; /* the one before, until a sync covers it */
	struct log_pending pending[LOG_WRITER_LATENCY_RING];
	unsigned pending_head, pending_count;
	unsigned inject_write_nth, inject_sync_nth, inject_short_nth, inject_roll_nth;
	int inject_write_err, inject_sync_err, inject_roll_err;
	struct log_codec *codec;
	struct log_writer_stats stats;
};

static inline unsigned log_buf_index(const struct log_writer *lw, const struct log_buf *b)
{
	return (unsigned)(b - lw->bufs);
}

/* log_writer.c */
int log_writer_create_segment(struct log_writer *lw, uint64_t base);
void log_writer_seal(struct log_writer *lw);
void log_writer_index_buf(struct log_writer *lw, const struct log_buf *b);
void log_writer_index_done(struct log_writer *lw, const struct log_index *ix);

#endif
