/* Log writer: record batches in two commit buffers, one being filled while
 * the other is in flight as an io_uring write linked to an fdatasync. A
 * commit is durable when its fdatasync completes; only then does the durable
 * offset move. Waiting data is committed as soon as nothing is in flight, so
 * commits grow with load (group commit) and stay small when idle. */
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
#include "storage/log_segment.h"

#define LOG_WRITER_RING_ENTRIES 8
#define LOG_OP_WRITE 0
#define LOG_OP_FSYNC 1

struct log_commit {
	uint8_t *buf;
	uint32_t used;           /* bytes filled */
	uint32_t records;
	uint64_t first_offset;
	uint64_t end_offset;     /* offset after the last record */
	uint32_t written;        /* bytes the kernel has taken so far */
	uint64_t file_offset;
	int pending_cqes;        /* CQEs still to reap for this submission */
	int error;               /* first error seen in this submission */
	bool in_flight;
};

struct log_writer {
	struct log_writer_config cfg;
	char dir[LOG_PATH_MAX];
	struct io_uring ring;
	bool ring_ready;
	int fd;                  /* tail segment */
	uint64_t segment_base;
	uint64_t segment_bytes;  /* bytes the tail segment will have after in-flight commits */
	uint64_t next_offset;    /* offset the next appended record gets */
	_Atomic uint64_t durable_offset;
	struct log_commit commits[2];
	unsigned filling;        /* index of the buffer being filled */
	uint32_t batch_start;    /* position of the open batch's header, or UINT32_MAX */
	uint32_t batch_records;
	uint64_t batch_base;
	uint64_t batch_first_arrival_ns;
	unsigned inject_nth;
	int inject_err;
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
	if (lw->fd >= 0)
		close(lw->fd);
	lw->fd = fd;
	lw->segment_base = base;
	lw->segment_bytes = LOG_SEGMENT_HEADER_BYTES;
	return 0;
}

/* Validates the tail segment and cuts a torn tail, or starts a new log. */
static int log_writer_recover(struct log_writer *lw)
{
	char path[LOG_PATH_MAX];
	struct log_scan_result scan;
	uint64_t base;
	uint8_t *buf;
	int fd, rc;

	rc = log_segment_find(lw->dir, UINT64_MAX, &base);
	if (rc == -ENOENT)
		return log_writer_create_segment(lw, 0);
	if (rc < 0)
		return rc;
	buf = malloc(LOG_BATCH_BYTES_MAX);
	if (!buf)
		return -ENOMEM;
	rc = log_segment_path(path, sizeof(path), lw->dir, base);
	if (rc == 0)
		rc = log_segment_scan(path, base, buf, &scan);
	free(buf);
	if (rc < 0)
		return rc;
	lw->next_offset = scan.next_offset;
	atomic_store(&lw->durable_offset, scan.next_offset);
	if (scan.valid_bytes < LOG_SEGMENT_HEADER_BYTES) {
		/* Torn while being created: it holds no record, start it again. */
		counter_add(&lw->stats.torn_bytes_cut, scan.file_bytes);
		return log_writer_create_segment(lw, base);
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (scan.valid_bytes < scan.file_bytes) {
		if (ftruncate(fd, (off_t)scan.valid_bytes) < 0 || fdatasync(fd) < 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
		counter_add(&lw->stats.torn_bytes_cut, scan.file_bytes - scan.valid_bytes);
	}
	lw->fd = fd;
	lw->segment_base = base;
	lw->segment_bytes = scan.valid_bytes;
	return 0;
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
	lw->batch_start = UINT32_MAX;
	strcpy(lw->dir, dir);
	for (int i = 0; i < 2; i++) {
		lw->commits[i].buf = aligned_alloc(4096, cfg->commit_bytes_max);
		if (!lw->commits[i].buf) {
			rc = -ENOMEM;
			goto err;
		}
	}
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

static struct log_commit *log_writer_filling(struct log_writer *lw)
{
	return &lw->commits[lw->filling];
}

static struct log_commit *log_writer_in_flight(struct log_writer *lw)
{
	struct log_commit *other = &lw->commits[lw->filling ^ 1];

	return other->in_flight ? other : NULL;
}

static void log_writer_close_batch(struct log_writer *lw)
{
	struct log_commit *c = log_writer_filling(lw);
	struct log_batch_header h;

	if (lw->batch_start == UINT32_MAX)
		return;
	h.batch_bytes = c->used - lw->batch_start;
	h.base_offset = lw->batch_base;
	h.record_count = lw->batch_records;
	h.flags = 0;
	h.first_arrival_ns = lw->batch_first_arrival_ns;
	h.body_bytes = h.batch_bytes - LOG_BATCH_HEADER_BYTES;
	assert(h.batch_bytes <= LOG_BATCH_BYTES_MAX && h.record_count > 0);
	log_batch_header_encode(c->buf + lw->batch_start, &h);
	lw->batch_start = UINT32_MAX;
}

/* Queues the write (from c->written on) linked to an fdatasync. */
static int log_writer_submit_sqes(struct log_writer *lw, struct log_commit *c)
{
	unsigned idx = (unsigned)(c - lw->commits);
	struct io_uring_sqe *w = io_uring_get_sqe(&lw->ring);
	struct io_uring_sqe *s = io_uring_get_sqe(&lw->ring);
	int rc;

	assert(w && s);  /* at most one submission in flight: the SQ has room */
	io_uring_prep_write(w, lw->fd, c->buf + c->written, c->used - c->written,
			    c->file_offset + c->written);
	w->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(w, (uint64_t)idx << 1 | LOG_OP_WRITE);
	io_uring_prep_fsync(s, lw->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(s, (uint64_t)idx << 1 | LOG_OP_FSYNC);
	if (lw->inject_nth && --lw->inject_nth == 0) {
		/* Test seam: make this write fail as the disk would. */
		io_uring_prep_nop(w);
		w->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(w, (uint64_t)idx << 1 | LOG_OP_WRITE);
		c->error = lw->inject_err;
	}
	c->pending_cqes = 2;
	rc = io_uring_submit(&lw->ring);
	return rc < 0 ? rc : 0;
}

/* Starts committing the filling buffer; nothing may be in flight. */
static int log_writer_start_commit(struct log_writer *lw)
{
	struct log_commit *c = log_writer_filling(lw);
	int rc;

	assert(!log_writer_in_flight(lw));
	log_writer_close_batch(lw);
	if (c->used == 0)
		return 0;
	if (lw->segment_bytes >= lw->cfg.segment_bytes_max &&
	    lw->segment_bytes > LOG_SEGMENT_HEADER_BYTES) {
		rc = log_writer_create_segment(lw, c->first_offset);
		if (rc < 0)
			return rc;
		counter_add(&lw->stats.segments_rolled, 1);
	}
	c->file_offset = lw->segment_bytes;
	c->written = 0;
	c->error = 0;
	c->in_flight = true;
	lw->segment_bytes += c->used;
	lw->filling ^= 1;
	return log_writer_submit_sqes(lw, c);
}

static void log_commit_reset(struct log_commit *c)
{
	c->used = 0;
	c->records = 0;
	c->in_flight = false;
	c->pending_cqes = 0;
	c->error = 0;
}

/* A disk error: nothing after the durable offset survives. Cut the file back
 * to its durable end, count every record that is lost, and carry on. */
static int log_writer_fail(struct log_writer *lw, struct log_commit *c, int err)
{
	struct log_commit *f = log_writer_filling(lw);
	uint64_t lost = c->records + f->records;

	counter_add(&lw->stats.disk_errors, 1);
	counter_add(&lw->stats.records_lost_disk, lost);
	lw->segment_bytes = c->file_offset;
	if (ftruncate(lw->fd, (off_t)c->file_offset) < 0)
		err = -errno;
	lw->next_offset = atomic_load(&lw->durable_offset);
	lw->batch_start = UINT32_MAX;
	log_commit_reset(c);
	log_commit_reset(f);
	return err;
}

static int log_writer_complete(struct log_writer *lw, struct log_commit *c)
{
	if (c->error == 0 && c->written < c->used)
		return log_writer_submit_sqes(lw, c);  /* short write: go on */
	if (c->error < 0)
		return log_writer_fail(lw, c, c->error);
	assert(c->end_offset > atomic_load(&lw->durable_offset));
	atomic_store_explicit(&lw->durable_offset, c->end_offset, memory_order_release);
	counter_add(&lw->stats.records_durable, c->records);
	counter_add(&lw->stats.bytes_durable, c->used);
	counter_add(&lw->stats.commits, 1);
	log_commit_reset(c);
	return 0;
}

static int log_writer_reap(struct log_writer *lw, bool wait)
{
	struct io_uring_cqe *cqe;
	struct log_commit *c;
	uint64_t data;
	int rc;

	while (log_writer_in_flight(lw)) {
		rc = wait ? io_uring_wait_cqe(&lw->ring, &cqe)
			  : io_uring_peek_cqe(&lw->ring, &cqe);
		if (rc == -EAGAIN)
			return 0;
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return rc;
		data = io_uring_cqe_get_data64(cqe);
		c = &lw->commits[data >> 1];
		if ((data & 1) == LOG_OP_WRITE) {
			if (cqe->res < 0 && c->error == 0)
				c->error = cqe->res;
			else if (cqe->res > 0)
				c->written += (uint32_t)cqe->res;
			else if (cqe->res == 0 && c->error == 0)
				c->error = -EIO;  /* no progress: do not loop */
		} else if (cqe->res < 0 && cqe->res != -ECANCELED && c->error == 0) {
			c->error = cqe->res;  /* fdatasync failed: nothing is known durable */
		}
		io_uring_cqe_seen(&lw->ring, cqe);
		if (--c->pending_cqes == 0) {
			rc = log_writer_complete(lw, c);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int log_writer_poll(struct log_writer *lw, bool wait)
{
	int rc = log_writer_reap(lw, wait);

	if (rc < 0)
		return rc;
	if (!log_writer_in_flight(lw) && log_writer_filling(lw)->used > 0)
		return log_writer_start_commit(lw);
	return 0;
}

bool log_writer_busy(const struct log_writer *lw)
{
	return lw->commits[0].in_flight || lw->commits[1].in_flight ||
	       lw->commits[lw->filling].used > 0;
}

int log_writer_append(struct log_writer *lw, const uint8_t *records,
		      uint32_t bytes, uint32_t count, uint64_t first_arrival_ns)
{
	struct log_commit *c = log_writer_filling(lw);
	int rc;

	if (count == 0 || bytes > LOG_BATCH_BYTES_MAX - LOG_BATCH_HEADER_BYTES)
		return -EINVAL;
	if (lw->batch_start != UINT32_MAX &&
	    c->used - lw->batch_start - LOG_BATCH_HEADER_BYTES + bytes >
		    lw->cfg.batch_body_bytes)
		log_writer_close_batch(lw);
	if (c->used + LOG_BATCH_HEADER_BYTES + bytes > lw->cfg.commit_bytes_max) {
		/* Full: wait for the other buffer, then send this one. */
		rc = log_writer_reap(lw, true);
		if (rc == 0)
			rc = log_writer_start_commit(lw);
		if (rc < 0) {
			counter_add(&lw->stats.records_lost_disk, count);
			return rc;
		}
		c = log_writer_filling(lw);
	}
	if (lw->batch_start == UINT32_MAX) {
		if (c->used == 0)
			c->first_offset = lw->next_offset;
		lw->batch_start = c->used;
		lw->batch_records = 0;
		lw->batch_base = lw->next_offset;
		lw->batch_first_arrival_ns = first_arrival_ns;
		c->used += LOG_BATCH_HEADER_BYTES;
	}
	memcpy(c->buf + c->used, records, bytes);
	c->used += bytes;
	c->records += count;
	lw->batch_records += count;
	lw->next_offset += count;
	c->end_offset = lw->next_offset;
	return 0;
}

int log_writer_flush(struct log_writer *lw)
{
	int rc = 0;

	/* At most two rounds: the in-flight commit, then the filled buffer. */
	for (int i = 0; i < 3 && rc == 0 && log_writer_busy(lw); i++) {
		rc = log_writer_reap(lw, true);
		if (rc == 0)
			rc = log_writer_poll(lw, false);
	}
	if (rc == 0)
		rc = log_writer_reap(lw, true);
	return rc;
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
	lw->inject_nth = nth;
	lw->inject_err = err;
}

void log_writer_close(struct log_writer *lw)
{
	if (!lw)
		return;
	if (lw->ring_ready)
		io_uring_queue_exit(&lw->ring);
	if (lw->fd >= 0)
		close(lw->fd);
	free(lw->commits[0].buf);
	free(lw->commits[1].buf);
	free(lw);
}
