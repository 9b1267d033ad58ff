/* Log writer, the I/O side: buffers are written in order through log_io,
 * one write in flight; one fdatasync round at a time covers every write
 * completed before it was issued, and its completion moves the durable
 * offset (group commit). A failed write or sync drops exactly what can no
 * longer become durable, counts it, and cuts the file back. */
#include "storage/log_writer_impl.h"

#include <assert.h>
#include <errno.h>
#include <unistd.h>

#include "platform/clock.h"

static int log_writer_submit(struct log_writer *lw)
{
	return log_io_submit(&lw->io);
}

/* Queues the write of b from b->written on. */
static int log_writer_queue_write(struct log_writer *lw, struct log_buf *b)
{
	uint32_t len = b->used - b->written;
	uint64_t data = (uint64_t)log_buf_index(lw, b) << 2 | LOG_OP_WRITE;

	if (lw->inject_short_nth && --lw->inject_short_nth == 0 && len > 1)
		len /= 2;  /* test seam: the kernel took only part of it */
	if (lw->inject_write_nth && --lw->inject_write_nth == 0)
		log_io_nop(&lw->io, data);  /* test seam: completes as a failure below */
	else
		log_io_write(&lw->io, b->fd, b->buf + b->written, len, b->file_offset + b->written,
			     data);
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
	if (lw->inject_roll_nth && --lw->inject_roll_nth == 0)
		rc = lw->inject_roll_err;  /* test seam: the new segment is refused */
	else
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

static int log_writer_fail_roll(struct log_writer *lw, struct log_buf *b, int err);

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
		if (b->state != BUF_QUEUED)
			return rc;  /* a failed sync while rolling reset the buffers */
		if (rc < 0)
			return log_writer_fail_roll(lw, b, rc);
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
	for (int i = 0; i < y->pending; i++)
		log_io_fdatasync(&lw->io, fds[i], LOG_OP_SYNC);
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
	uint64_t lost = lw->next_offset - from;

	if (lw->canary_pending != UINT64_MAX && lw->canary_pending >= from) {
		lw->canary_pending = UINT64_MAX;
		counter_add(&lw->stats.canaries_lost, 1);
		lost--;
	}
	counter_add(&lw->stats.records_lost_disk, lost);
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

/* No new segment could be made (a full disk, most likely): the buffers
 * bound for it are lost, counted, and the next buffer tries again. */
static int log_writer_fail_roll(struct log_writer *lw, struct log_buf *b, int err)
{
	log_writer_drop_from(lw, b->first_offset, log_buf_index(lw, b));
	lw->planned = lw->segment_bytes;
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
	wake_notify(&lw->durable_wake);
	lw->durable_seg_base = y->seg_base;
	lw->durable_seg_bytes = y->seg_bytes;
	uint64_t records = y->target - before;

	if (lw->canary_pending != UINT64_MAX && lw->canary_pending < y->target) {
		uint64_t now = clock_real_ns();

		counter_set(&lw->stats.canary_durable_ns,
			    now > lw->canary_arrival_ns ? now - lw->canary_arrival_ns : 0);
		counter_add(&lw->stats.canaries_durable, 1);
		lw->canary_pending = UINT64_MAX;
		records--;
	}
	counter_add(&lw->stats.records_durable, records);
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
	int rc = 0, res;
	uint64_t data;

	while (log_writer_in_flight(lw)) {
		rc = log_io_next(&lw->io, wait, &data, &res);
		if (rc == -EAGAIN) {
			rc = 0;
			break;
		}
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return rc;
		wait = false;
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

