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
#include "storage/log_writer_impl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/clock.h"
#include "storage/log_recover.h"

int log_writer_create_segment(struct log_writer *lw, uint64_t base)
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
		unlink(path);  /* no half-made segment for recovery to find */
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
	lw->durable_wake.efd = -1;
	lw->batch_start = UINT32_MAX;
	lw->canary_pending = UINT64_MAX;
	strcpy(lw->dir, dir);
	lw->marks_cap = cfg->commit_bytes_max / LOG_INDEX_INTERVAL_MIN + 1;
	lw->ix = malloc(sizeof(*lw->ix));
	lw->prev_ix = malloc(sizeof(*lw->prev_ix));
	rc = wake_init(&lw->durable_wake);
	if (rc < 0)
		goto err;
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
	rc = log_io_init(&lw->io, cfg->io_mode);
	if (rc < 0)
		goto err;
	rc = log_writer_recover(lw);
	if (rc < 0)
		goto err;
	*out = lw;
	return 0;
err:
	log_writer_close(lw);
	return rc;
}

/* Replaces the open batch's body with its zstd form when zstd is on and
 * that is smaller, and counts it either way; returns the batch flags. The body is the buffer's tail, so it shrinks. */
static uint16_t log_writer_compress(struct log_writer *lw, struct log_buf *b, uint32_t body_len)
{
	uint8_t *body = b->buf + lw->batch_start + LOG_BATCH_HEADER_BYTES;
	const uint8_t *z;
	uint32_t zlen = 0;

	if (lw->cfg.zstd_level != 0) {
		uint64_t t0 = clock_mono_ns();

		zlen = log_codec_compress(lw->codec, body, body_len, &z);
		counter_add(&lw->stats.compress_ns, clock_mono_ns() - t0);
	}
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
void log_writer_index_buf(struct log_writer *lw, const struct log_buf *b)
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
void log_writer_index_done(struct log_writer *lw, const struct log_index *ix)
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
	h.flags = log_writer_compress(lw, b, h.body_bytes);
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
void log_writer_seal(struct log_writer *lw)
{
	struct log_buf *b = &lw->bufs[lw->fill];

	assert(b->state == BUF_FILLING && b->used > 0);
	log_writer_close_batch(lw);
	b->state = BUF_QUEUED;
	lw->fill = (lw->fill + 1) % LOG_WRITER_BUFFERS;
}

/* Remembers when an append's records arrived, for their latency to durable. */
static void log_writer_track(struct log_writer *lw, uint32_t count, uint64_t arrival_ns)
{
	struct log_pending *p;

	if (!arrival_ns)
		return;  /* not asked for */
	if (lw->pending_count == LOG_WRITER_LATENCY_RING) {
		counter_add(&lw->stats.latency_untracked, count);
		return;
	}
	p = &lw->pending[(lw->pending_head + lw->pending_count++) % LOG_WRITER_LATENCY_RING];
	p->end_offset = lw->next_offset;
	p->first_arrival_ns = arrival_ns;
	p->count = count;
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

/* Appends records; a canary's loss goes to its own counter. */
static int log_writer_put(struct log_writer *lw, const uint8_t *records, uint32_t bytes,
			  uint32_t count, uint64_t first_arrival_ns, bool canary)
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
		counter_add(canary ? &lw->stats.canaries_lost : &lw->stats.records_lost_disk,
			    count);
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

int log_writer_append(struct log_writer *lw, const uint8_t *records,
		      uint32_t bytes, uint32_t count, uint64_t first_arrival_ns)
{
	return log_writer_put(lw, records, bytes, count, first_arrival_ns, false);
}

int log_writer_append_canary(struct log_writer *lw, const uint8_t *record, uint32_t bytes,
			     uint64_t arrival_ns)
{
	uint64_t offset = lw->next_offset;
	int rc;

	/* The control plane sends the next canary only after this one has
	 * settled, so a second one here is a bug upstream: count it lost. */
	if (lw->canary_pending != UINT64_MAX) {
		counter_add(&lw->stats.canaries_lost, 1);
		return -EBUSY;
	}
	rc = log_writer_put(lw, record, bytes, 1, 0, true);  /* not in the events' latency */
	if (rc < 0)
		return rc;
	lw->canary_pending = offset;
	lw->canary_arrival_ns = arrival_ns;
	counter_set(&lw->stats.canary_offset, offset + 1);
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

void log_writer_inject_roll_error(struct log_writer *lw, unsigned nth, int err)
{
	lw->inject_roll_nth = nth;
	lw->inject_roll_err = err;
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

int log_writer_io_fallback(const struct log_writer *lw)
{
	return lw->io.uring ? 0 : lw->io.uring_err;
}

void log_writer_close(struct log_writer *lw)
{
	if (!lw)
		return;
	log_io_exit(&lw->io);
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
	wake_destroy(&lw->durable_wake);
	free(lw);
}

int log_writer_wait_durable(struct log_writer *const *lws, const uint64_t *after, unsigned n,
			    int timeout_ms)
{
	struct pollfd p[LOG_KINDS];
	bool moved = false;
	int rc = 0;

	assert(n <= LOG_KINDS);
	for (unsigned i = 0; i < n; i++) {
		wake_prepare(&lws[i]->durable_wake);
		p[i] = (struct pollfd){ .fd = wake_fd(&lws[i]->durable_wake), .events = POLLIN };
	}
	for (unsigned i = 0; i < n; i++)
		moved |= log_writer_durable_offset(lws[i]) > after[i];
	if (!moved && poll(p, n, timeout_ms) < 0)
		rc = -errno;
	for (unsigned i = 0; i < n; i++)
		wake_finish(&lws[i]->durable_wake);
	return rc;
}
