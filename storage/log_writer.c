/* Log writer. Records are packed into record batches inside a ring of write
 * buffers; buffers are written in order through io_uring, one write in
 * flight, and freed as soon as the page cache has them. Separately, one
 * fdatasync round at a time covers every write completed before it was
 * issued; when it completes, the durable offset moves to the end of those
 * writes. So a slow fdatasync holds back durability, not the writes, and
 * rounds grow with load (group commit) while staying small when idle.
 *
 *   append -> [FILLING] -> [QUEUED] -> [WRITING] -> free      write path
 *                        written_offset -> fdatasync -> durable_offset
 */
#include "storage/log_writer.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liburing.h>

#include "platform/clock.h"
#include "storage/log_index.h"
#include "storage/log_recover.h"
#include "storage/log_segment.h"

#define LOG_WRITER_RING_ENTRIES 8
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
	struct io_uring ring;
	bool ring_ready;
	int fd;                  /* tail segment */
	uint64_t segment_base;
	uint64_t segment_bytes;  /* file position of the next write */
	int prev_fd;             /* the segment before, until a sync covers it */
	uint64_t prev_base;
	uint64_t next_offset;    /* offset the next appended record gets */
	uint64_t written_offset; /* records below are in the page cache */
	uint64_t written_seg_base, written_seg_bytes;
	_Atomic uint64_t durable_offset;
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
	unsigned inject_write_nth, inject_sync_nth, inject_short_nth;
	int inject_write_err, inject_sync_err;
	struct log_codec *codec;
	struct log_writer_stats stats;
};

static int log_writer_create_segment(struct log_writer *lw, uint64_t base)
{
	char path[LOG_PATH_MAX];
	uint8_t hdr[LOG_SEGMENT_HEADER_BYTES];
	int fd, rc;

	rc = log_segment_path(path, sizeof(path), lw->dir, base);
	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	log_segment_header_encode(hdr, base, clock_real_ns());
	if (pwrite(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    fdatasync(fd) < 0) {
		rc = errno ? -errno : -EIO;
		close(fd);
		return rc;
	}
	/* The new name must be durable before any record in it is called so. */
	rc = log_fsync_dir(lw->dir);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	lw->fd = fd;
	lw->segment_base = base;
	lw->segment_bytes = LOG_SEGMENT_HEADER_BYTES;
	log_index_reset(lw->ix, base, lw->cfg.segment_bytes_max);
	return 0;
}

/* Marks everything up to the current end as written and durable (at open). */
static void log_writer_settled(struct log_writer *lw, uint64_t offset)
{
	lw->next_offset = offset;
	lw->planned = lw->segment_bytes;
	lw->written_offset = offset;
	atomic_store(&lw->durable_offset, offset);
	lw->written_seg_base = lw->durable_seg_base = lw->segment_base;
	lw->written_seg_bytes = lw->durable_seg_bytes = lw->segment_bytes;
}

/* Opens the log where recovery left it, or starts a new one. */
static int log_writer_recover(struct log_writer *lw)
{
	char path[LOG_PATH_MAX];
	struct log_recovery rec;
	uint64_t t0 = clock_mono_ns();
	int fd, rc;

	rc = log_recover(lw->dir, lw->cfg.segment_bytes_max, lw->codec, lw->ix, &rec);
	if (rc < 0)
		return rc;
	counter_add(&lw->stats.torn_bytes_cut, rec.torn_bytes);
	counter_set(&lw->stats.recovery_bytes_scanned, rec.scanned_bytes);
	if (rec.empty || rec.recreate) {
		rc = log_writer_create_segment(lw, rec.tail_base);
	} else {
		rc = log_segment_path(path, sizeof(path), lw->dir, rec.tail_base);
		fd = rc < 0 ? rc : open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return rc < 0 ? rc : -errno;
		lw->fd = fd;
		lw->segment_base = rec.tail_base;
		lw->segment_bytes = rec.tail_bytes;
	}
	if (rc == 0)
		log_writer_settled(lw, rec.next_offset);
	counter_set(&lw->stats.recovery_ns, clock_mono_ns() - t0);
	return rc;
}

int log_writer_open(struct log_writer **out, const char *dir,
		    const struct log_writer_config *cfg)
{
	struct log_writer *lw;
	int rc;

	if (cfg->commit_bytes_max < LOG_BATCH_BYTES_MAX ||
	    cfg->batch_body_bytes + LOG_RECORD_BYTES_MAX + LOG_BATCH_HEADER_BYTES >
		    LOG_BATCH_BYTES_MAX ||
	    cfg->segment_bytes_max < LOG_SEGMENT_HEADER_BYTES)
		return -EINVAL;
	if (strlen(dir) >= LOG_PATH_MAX - 32)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	lw = calloc(1, sizeof(*lw));
	if (!lw)
		return -ENOMEM;
	lw->cfg = *cfg;
	lw->fd = -1;
	lw->prev_fd = -1;
	lw->batch_start = UINT32_MAX;
	strcpy(lw->dir, dir);
	lw->marks_cap = cfg->commit_bytes_max / LOG_INDEX_INTERVAL_MIN + 1;
	lw->ix = malloc(sizeof(*lw->ix));
	lw->prev_ix = malloc(sizeof(*lw->prev_ix));
	rc = -ENOMEM;
	if (!lw->ix || !lw->prev_ix)
		goto err;
	for (int i = 0; i < LOG_WRITER_BUFFERS; i++) {
		lw->bufs[i].buf = aligned_alloc(4096, cfg->commit_bytes_max);
		lw->bufs[i].marks = calloc(lw->marks_cap, sizeof(struct log_buf_mark));
		if (!lw->bufs[i].buf || !lw->bufs[i].marks)
			goto err;
	}
	rc = log_codec_create(&lw->codec, cfg->zstd_level);
	if (rc < 0)
		goto err;
	rc = io_uring_queue_init(LOG_WRITER_RING_ENTRIES, &lw->ring, 0);
	if (rc < 0)
		goto err;
	lw->ring_ready = true;
	rc = log_writer_recover(lw);
	if (rc < 0)
		goto err;
	*out = lw;
	return 0;
err:
	log_writer_close(lw);
	return rc;
}

static unsigned log_buf_index(const struct log_writer *lw, const struct log_buf *b)
{
	return (unsigned)(b - lw->bufs);
}

/* Replaces the open batch's body with its zstd form when that is smaller;
 * returns the batch flags. The body is the buffer's tail, so it shrinks. */
static uint16_t log_writer_compress(struct log_writer *lw, struct log_buf *b, uint32_t body_len)
{
	uint8_t *body = b->buf + lw->batch_start + LOG_BATCH_HEADER_BYTES;
	const uint8_t *z;
	uint64_t t0 = clock_mono_ns();
	uint32_t zlen = log_codec_compress(lw->codec, body, body_len, &z);

	counter_add(&lw->stats.compress_ns, clock_mono_ns() - t0);
	counter_add(&lw->stats.body_bytes_in, body_len);
	if (zlen == 0) {
		counter_add(&lw->stats.batches_plain, 1);
		counter_add(&lw->stats.body_bytes_stored, body_len);
		return 0;
	}
	memcpy(body, z, zlen);
	b->used -= body_len - zlen;
	lw->planned -= body_len - zlen;
	counter_add(&lw->stats.batches_zstd, 1);
	counter_add(&lw->stats.body_bytes_stored, zlen);
	return LOG_BATCH_FLAG_ZSTD;
}

/* The open batch may start an index entry; otherwise its newest event time
 * joins the last mark's. */
static void log_writer_mark(struct log_writer *lw, struct log_buf *b)
{
	struct log_buf_mark *m = b->nmarks ? &b->marks[b->nmarks - 1] : NULL;

	if (!m || (lw->batch_start - m->pos >= LOG_INDEX_INTERVAL_MIN &&
		   b->nmarks < lw->marks_cap)) {
		m = &b->marks[b->nmarks++];
		m->offset = lw->batch_base;
		m->pos = lw->batch_start;
		m->time_max = 0;
	}
	if (lw->batch_time_max > m->time_max)
		m->time_max = lw->batch_time_max;
}

/* The buffer's write starts at b->file_offset: its marks join the index. */
static void log_writer_index_buf(struct log_writer *lw, const struct log_buf *b)
{
	for (uint32_t i = 0; i < b->nmarks; i++) {
		const struct log_buf_mark *m = &b->marks[i];
		bool last = i + 1 == b->nmarks;
		uint64_t end = last ? b->end_offset : m[1].offset;
		uint32_t stop = last ? b->used : m[1].pos;

		log_index_note(lw->ix, b->file_offset + m->pos, m->offset,
			       (uint32_t)(end - m->offset), stop - m->pos, m->time_max);
	}
}

/* A segment is complete and durable: its index goes beside it. */
static void log_writer_index_done(struct log_writer *lw, const struct log_index *ix)
{
	if (log_index_write(ix, lw->dir) < 0)
		counter_add(&lw->stats.index_write_errors, 1);  /* rebuilt when needed */
}

static void log_writer_close_batch(struct log_writer *lw)
{
	struct log_buf *b = &lw->bufs[lw->fill];
	struct log_batch_header h;

	if (lw->batch_start == UINT32_MAX)
		return;
	h.body_bytes = b->used - lw->batch_start - LOG_BATCH_HEADER_BYTES;
	if (lw->cfg.zstd_level != 0) {
		h.flags = log_writer_compress(lw, b, h.body_bytes);
	} else {
		h.flags = 0;
		counter_add(&lw->stats.batches_plain, 1);
		counter_add(&lw->stats.body_bytes_in, h.body_bytes);
		counter_add(&lw->stats.body_bytes_stored, h.body_bytes);
	}
	h.batch_bytes = b->used - lw->batch_start;
	h.base_offset = lw->batch_base;
	h.record_count = lw->batch_records;
	h.first_arrival_ns = lw->batch_first_arrival_ns;
	log_writer_mark(lw, b);
	assert(h.batch_bytes <= LOG_BATCH_BYTES_MAX && h.record_count > 0);
	log_batch_header_encode(b->buf + lw->batch_start, &h);
	lw->batch_start = UINT32_MAX;
}

/* The filling buffer is complete: queue it for writing, fill the next. */
static void log_writer_seal(struct log_writer *lw)
{
	struct log_buf *b = &lw->bufs[lw->fill];

	assert(b->state == BUF_FILLING && b->used > 0);
	log_writer_close_batch(lw);
	b->state = BUF_QUEUED;
	lw->fill = (lw->fill + 1) % LOG_WRITER_BUFFERS;
}

static int log_writer_submit(struct log_writer *lw)
{
	int rc = io_uring_submit(&lw->ring);

	return rc < 0 ? rc : 0;
}

/* Queues the write of b from b->written on. */
static int log_writer_queue_write(struct log_writer *lw, struct log_buf *b)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&lw->ring);
	uint32_t len = b->used - b->written;

	assert(sqe);  /* one write and two syncs at most: the SQ has room */
	if (lw->inject_short_nth && --lw->inject_short_nth == 0 && len > 1)
		len /= 2;  /* test seam: the kernel took only part of it */
	io_uring_prep_write(sqe, b->fd, b->buf + b->written, len, b->file_offset + b->written);
	if (lw->inject_write_nth && --lw->inject_write_nth == 0)
		io_uring_prep_nop(sqe);  /* test seam: completes as a failure below */
	io_uring_sqe_set_data64(sqe, (uint64_t)log_buf_index(lw, b) << 2 | LOG_OP_WRITE);
	return log_writer_submit(lw);
}

static int log_writer_reap(struct log_writer *lw, bool wait);
static int log_writer_start_sync(struct log_writer *lw);

static bool log_writer_in_flight(const struct log_writer *lw)
{
	return lw->write_in_flight || lw->sync.in_flight;
}

/* A segment is full: the next write, of records from base on, goes to a new
 * one. The old one stays open until a sync covers it; at most one waits. */
static int log_writer_roll(struct log_writer *lw, uint64_t base)
{
	int old_fd, rc = 0;
	uint64_t old_base;

	assert(!lw->write_in_flight);
	for (unsigned i = 0; lw->prev_fd >= 0 && rc == 0; i++) {
		if (i == LOG_WRITER_SETTLE_ROUNDS)
			return -ETIMEDOUT;
		rc = log_writer_start_sync(lw);
		if (rc == 0)
			rc = log_writer_reap(lw, true);
	}
	if (rc < 0)
		return rc;
	old_fd = lw->fd;
	old_base = lw->segment_base;
	struct log_index *old_ix = lw->ix;

	lw->ix = lw->prev_ix;
	lw->prev_ix = old_ix;
	rc = log_writer_create_segment(lw, base);
	if (rc < 0) {
		lw->prev_ix = lw->ix;
		lw->ix = old_ix;
		return rc;
	}
	if (lw->written_offset > atomic_load(&lw->durable_offset)) {
		lw->prev_fd = old_fd;
		lw->prev_base = old_base;
	} else {
		close(old_fd);
		log_writer_index_done(lw, old_ix);
	}
	counter_add(&lw->stats.segments_rolled, 1);
	return 0;
}

/* Starts writing the oldest unwritten buffer: a full one, or the one being
 * filled when the disk is idle (latency) or it has grown big enough. */
static int log_writer_start_write(struct log_writer *lw)
{
	struct log_buf *b = &lw->bufs[lw->write_next];
	int rc;

	if (lw->write_in_flight || lw->sync_failed)
		return 0;
	if (b->state == BUF_FILLING && b->used > 0 &&
	    (!lw->sync.in_flight || b->used >= LOG_WRITER_EAGER_BYTES))
		log_writer_seal(lw);
	if (b->state != BUF_QUEUED)
		return 0;
	if (b->roll_before && lw->segment_bytes > LOG_SEGMENT_HEADER_BYTES) {
		rc = log_writer_roll(lw, b->first_offset);
		if (rc < 0 || b->state != BUF_QUEUED)
			return rc;  /* a failed sync while rolling reset the buffers */
	}
	b->fd = lw->fd;
	b->seg_base = lw->segment_base;
	b->file_offset = lw->segment_bytes;
	b->written = 0;
	log_writer_index_buf(lw, b);
	b->state = BUF_WRITING;
	lw->segment_bytes += b->used;
	lw->write_in_flight = true;
	counter_add(&lw->stats.writes, 1);
	return log_writer_queue_write(lw, b);
}

/* Issues one fdatasync round for every write completed so far. */
static int log_writer_start_sync(struct log_writer *lw)
{
	struct log_sync *y = &lw->sync;
	int fds[2] = { lw->fd, lw->prev_fd };

	if (y->in_flight || lw->sync_failed ||
	    lw->written_offset == atomic_load(&lw->durable_offset))
		return 0;
	y->pending = lw->prev_fd >= 0 ? 2 : 1;
	y->covers_prev = lw->prev_fd >= 0;
	y->error = 0;
	y->target = lw->written_offset;
	y->seg_base = lw->written_seg_base;
	y->seg_bytes = lw->written_seg_bytes;
	y->started_ns = clock_mono_ns();
	y->in_flight = true;
	for (int i = 0; i < y->pending; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&lw->ring);

		assert(sqe);
		io_uring_prep_fsync(sqe, fds[i], IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, LOG_OP_SYNC);
	}
	if (lw->inject_sync_nth && --lw->inject_sync_nth == 0)
		y->error = lw->inject_sync_err;  /* test seam */
	return log_writer_submit(lw);
}

static void log_buf_reset(struct log_buf *b)
{
	b->state = BUF_FREE;
	b->used = 0;
	b->records = 0;
	b->written = 0;
	b->nmarks = 0;
	b->roll_before = false;
}

static void log_writer_track(struct log_writer *lw, uint32_t count, uint64_t arrival_ns)
{
	struct log_pending *p;

	if (!arrival_ns || lw->pending_count == LOG_WRITER_LATENCY_RING) {
		counter_add(&lw->stats.latency_untracked, count);
		return;
	}
	p = &lw->pending[(lw->pending_head + lw->pending_count++) % LOG_WRITER_LATENCY_RING];
	p->end_offset = lw->next_offset;
	p->first_arrival_ns = arrival_ns;
	p->count = count;
}

/* The durable offset moved: what it passed has a latency now. */
static void log_writer_settle_latency(struct log_writer *lw, uint64_t durable)
{
	uint64_t now = clock_real_ns();

	while (lw->pending_count) {
		struct log_pending *p = &lw->pending[lw->pending_head];

		if (p->end_offset > durable)
			break;
		histo_observe(&lw->stats.durable_latency,
			      now > p->first_arrival_ns ? (now - p->first_arrival_ns) / 1000 : 0,
			      p->count);
		lw->pending_head = (lw->pending_head + 1) % LOG_WRITER_LATENCY_RING;
		lw->pending_count--;
	}
}

/* Drops every record from `from` on: they can no longer become durable.
 * Buffers from index first on are emptied. */
static void log_writer_drop_from(struct log_writer *lw, uint64_t from, unsigned first)
{
	counter_add(&lw->stats.records_lost_disk, lw->next_offset - from);
	counter_add(&lw->stats.disk_errors, 1);
	for (unsigned i = 0; i < LOG_WRITER_BUFFERS; i++)
		if (lw->bufs[i].state != BUF_FREE)
			log_buf_reset(&lw->bufs[i]);
	lw->fill = lw->write_next = first;
	lw->batch_start = UINT32_MAX;
	lw->next_offset = from;
	lw->roll_next = false;
	while (lw->pending_count &&
	       lw->pending[(lw->pending_head + lw->pending_count - 1) % LOG_WRITER_LATENCY_RING]
			       .end_offset > from)
		lw->pending_count--;  /* lost, not late */
}

/* A write failed: the buffers from it on are lost, what was written before
 * it still goes to disk with the next sync. */
static int log_writer_fail_write(struct log_writer *lw, struct log_buf *b, int err)
{
	lw->write_in_flight = false;
	log_writer_drop_from(lw, b->first_offset, log_buf_index(lw, b));
	lw->segment_bytes = b->file_offset;
	lw->planned = lw->segment_bytes;
	log_index_cut(lw->ix, b->file_offset, b->first_offset);
	if (ftruncate(b->fd, (off_t)b->file_offset) < 0)
		return -errno;
	return err;
}

/* A sync failed: nothing after the durable offset can be trusted. Cut the
 * log back to it. While a previous segment still waits for its sync, the
 * tail segment holds nothing durable and goes; in the segment that remains,
 * what follows the durable end goes. */
static int log_writer_fail_sync(struct log_writer *lw)
{
	char path[LOG_PATH_MAX];
	uint64_t keep;
	int err = lw->sync.error;

	assert(!lw->write_in_flight);
	lw->sync_failed = false;
	log_writer_drop_from(lw, atomic_load(&lw->durable_offset), lw->write_next);
	if (lw->prev_fd >= 0) {
		close(lw->fd);
		if (log_segment_path(path, sizeof(path), lw->dir, lw->segment_base) == 0)
			unlink(path);
		lw->fd = lw->prev_fd;
		lw->segment_base = lw->prev_base;
		lw->prev_fd = -1;
		struct log_index *t = lw->ix;

		lw->ix = lw->prev_ix;
		lw->prev_ix = t;
	}
	keep = lw->durable_seg_base == lw->segment_base ? lw->durable_seg_bytes
							: LOG_SEGMENT_HEADER_BYTES;
	lw->segment_bytes = keep;
	lw->planned = keep;
	lw->written_offset = lw->next_offset;
	lw->written_seg_base = lw->segment_base;
	lw->written_seg_bytes = keep;
	log_index_cut(lw->ix, keep, lw->next_offset);
	if (ftruncate(lw->fd, (off_t)keep) < 0)
		return -errno;
	return err;
}

static int log_writer_write_done(struct log_writer *lw, struct log_buf *b, int res)
{
	if (res <= 0)
		return log_writer_fail_write(lw, b, res < 0 ? res : -EIO);
	b->written += (uint32_t)res;
	if (b->written < b->used)
		return log_writer_queue_write(lw, b);  /* short write: go on */
	lw->write_in_flight = false;
	lw->written_offset = b->end_offset;
	lw->written_seg_base = b->seg_base;
	lw->written_seg_bytes = b->file_offset + b->used;
	log_buf_reset(b);
	lw->write_next = (lw->write_next + 1) % LOG_WRITER_BUFFERS;
	return 0;
}

static void log_writer_sync_done(struct log_writer *lw)
{
	struct log_sync *y = &lw->sync;
	uint64_t took = clock_mono_ns() - y->started_ns;
	uint64_t before = atomic_load(&lw->durable_offset);

	y->in_flight = false;
	if (y->error < 0) {
		lw->sync_failed = true;
		return;
	}
	assert(y->target > before);
	atomic_store_explicit(&lw->durable_offset, y->target, memory_order_release);
	lw->durable_seg_base = y->seg_base;
	lw->durable_seg_bytes = y->seg_bytes;
	counter_add(&lw->stats.records_durable, y->target - before);
	log_writer_settle_latency(lw, y->target);
	counter_add(&lw->stats.commits, 1);
	if (took > counter_get(&lw->stats.commit_ns_max))
		counter_set(&lw->stats.commit_ns_max, took);
	if (y->covers_prev && lw->prev_fd >= 0) {
		close(lw->prev_fd);
		lw->prev_fd = -1;
		log_writer_index_done(lw, lw->prev_ix);
	}
}

/* Handles completions; with wait, blocks for the first one if anything is
 * in flight. */
static int log_writer_reap(struct log_writer *lw, bool wait)
{
	struct io_uring_cqe *cqe;
	int rc = 0, res;

	while (log_writer_in_flight(lw)) {
		rc = wait ? io_uring_wait_cqe(&lw->ring, &cqe)
			  : io_uring_peek_cqe(&lw->ring, &cqe);
		if (rc == -EAGAIN) {
			rc = 0;
			break;
		}
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return rc;
		wait = false;
		uint64_t data = io_uring_cqe_get_data64(cqe);

		res = cqe->res;
		io_uring_cqe_seen(&lw->ring, cqe);
		if ((data & 3) == LOG_OP_WRITE) {
			struct log_buf *b = &lw->bufs[data >> 2];

			if (res == 0 && lw->inject_write_err && b->used > b->written) {
				res = lw->inject_write_err;  /* the seam's nop */
				lw->inject_write_err = 0;
			}
			rc = log_writer_write_done(lw, b, res);
		} else {
			if (res < 0 && lw->sync.error == 0)
				lw->sync.error = res;
			if (--lw->sync.pending == 0)
				log_writer_sync_done(lw);
		}
		if (rc < 0)
			break;
	}
	if (lw->sync_failed && !lw->write_in_flight) {
		int err = log_writer_fail_sync(lw);

		if (rc == 0)
			rc = err;
	}
	return rc;
}

int log_writer_poll(struct log_writer *lw, bool wait)
{
	int rc = log_writer_reap(lw, wait);

	if (rc == 0)
		rc = log_writer_start_write(lw);
	if (rc == 0)
		rc = log_writer_start_sync(lw);
	return rc;
}

bool log_writer_busy(const struct log_writer *lw)
{
	return lw->next_offset > atomic_load(&((struct log_writer *)lw)->durable_offset) ||
	       log_writer_in_flight(lw);
}

/* Returns the buffer to append bytes to, sealing and waiting as needed. */
static int log_writer_room(struct log_writer *lw, uint32_t bytes, struct log_buf **out)
{
	struct log_buf *b = &lw->bufs[lw->fill];
	uint64_t t0 = 0, waited;
	bool crosses = lw->planned > LOG_SEGMENT_HEADER_BYTES &&
		       lw->planned + LOG_BATCH_HEADER_BYTES + bytes > lw->cfg.segment_bytes_max;
	int rc = 0;

	if (b->state == BUF_FILLING && b->used > 0 &&
	    (crosses || b->used + LOG_BATCH_HEADER_BYTES + bytes > lw->cfg.commit_bytes_max))
		log_writer_seal(lw);  /* full, or it ends the segment */
	if (crosses)
		lw->roll_next = true;
	for (unsigned i = 0; lw->bufs[lw->fill].state != BUF_FREE &&
			     lw->bufs[lw->fill].state != BUF_FILLING; i++) {
		/* Every buffer is queued or being written: wait for the disk. */
		if (i == LOG_WRITER_SETTLE_ROUNDS)
			return -ETIMEDOUT;
		if (!t0)
			t0 = clock_mono_ns();
		rc = log_writer_poll(lw, true);
		if (rc < 0)
			return rc;
	}
	if (t0) {
		waited = clock_mono_ns() - t0;
		counter_add(&lw->stats.full_wait_ns, waited);
		if (waited > counter_get(&lw->stats.full_wait_ns_max))
			counter_set(&lw->stats.full_wait_ns_max, waited);
	}
	b = &lw->bufs[lw->fill];
	if (b->state == BUF_FREE) {
		b->state = BUF_FILLING;
		b->first_offset = lw->next_offset;
		if (lw->roll_next) {
			b->roll_before = true;
			lw->roll_next = false;
			lw->planned = LOG_SEGMENT_HEADER_BYTES;
		}
	}
	*out = b;
	return 0;
}

int log_writer_append(struct log_writer *lw, const uint8_t *records,
		      uint32_t bytes, uint32_t count, uint64_t first_arrival_ns)
{
	struct log_buf *b = &lw->bufs[lw->fill];
	int rc;

	if (count == 0 || bytes > LOG_BATCH_BYTES_MAX - LOG_BATCH_HEADER_BYTES)
		return -EINVAL;
	if (lw->batch_start != UINT32_MAX &&
	    b->used - lw->batch_start - LOG_BATCH_HEADER_BYTES + bytes >
		    lw->cfg.batch_body_bytes)
		log_writer_close_batch(lw);
	rc = log_writer_room(lw, bytes, &b);
	if (rc < 0) {
		counter_add(&lw->stats.records_lost_disk, count);
		return rc;
	}
	if (lw->batch_start == UINT32_MAX) {
		lw->batch_start = b->used;
		lw->batch_records = 0;
		lw->batch_base = lw->next_offset;
		lw->batch_first_arrival_ns = first_arrival_ns;
		lw->batch_time_max = 0;
		b->used += LOG_BATCH_HEADER_BYTES;
		lw->planned += LOG_BATCH_HEADER_BYTES;
	}
	memcpy(b->buf + b->used, records, bytes);
	uint64_t t = log_index_records_time_max(b->buf + b->used, bytes);

	if (t > lw->batch_time_max)
		lw->batch_time_max = t;
	b->used += bytes;
	lw->planned += bytes;
	b->records += count;
	lw->batch_records += count;
	lw->next_offset += count;
	b->end_offset = lw->next_offset;
	log_writer_track(lw, count, first_arrival_ns);
	return 0;
}

int log_writer_flush(struct log_writer *lw)
{
	int rc = 0, first_err = 0;

	for (unsigned i = 0; log_writer_busy(lw); i++) {
		if (i == LOG_WRITER_SETTLE_ROUNDS)
			return -ETIMEDOUT;
		rc = log_writer_poll(lw, true);
		if (rc < 0 && first_err == 0)
			first_err = rc;  /* dropped and counted; settle the rest */
	}
	return first_err;
}

uint64_t log_writer_durable_offset(const struct log_writer *lw)
{
	return atomic_load_explicit(&((struct log_writer *)lw)->durable_offset,
				    memory_order_acquire);
}

const struct log_writer_stats *log_writer_stats(const struct log_writer *lw)
{
	return &lw->stats;
}

const char *log_writer_dir(const struct log_writer *lw)
{
	return lw->dir;
}

void log_writer_inject_write_error(struct log_writer *lw, unsigned nth, int err)
{
	lw->inject_write_nth = nth;
	lw->inject_write_err = err;
}

void log_writer_inject_short_write(struct log_writer *lw, unsigned nth)
{
	lw->inject_short_nth = nth;
}

uint64_t log_writer_next_offset(const struct log_writer *lw)
{
	return lw->next_offset;
}

void log_writer_inject_sync_error(struct log_writer *lw, unsigned nth, int err)
{
	lw->inject_sync_nth = nth;
	lw->inject_sync_err = err;
}

void log_writer_close(struct log_writer *lw)
{
	if (!lw)
		return;
	if (lw->ring_ready)
		io_uring_queue_exit(&lw->ring);
	if (lw->fd >= 0)
		close(lw->fd);
	if (lw->prev_fd >= 0)
		close(lw->prev_fd);
	for (int i = 0; i < LOG_WRITER_BUFFERS; i++) {
		free(lw->bufs[i].buf);
		free(lw->bufs[i].marks);
	}
	free(lw->ix);
	free(lw->prev_ix);
	log_codec_destroy(lw->codec);
	free(lw);
}
