/* io_uring, or plain calls in its place (see log_io.h). */
#include "storage/log_io.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

int log_io_init(struct log_io *io, enum log_io_mode mode)
{
	int rc;

	memset(io, 0, sizeof(*io));
	if (mode != LOG_IO_PLAIN) {
		rc = io_uring_queue_init(LOG_IO_ENTRIES, &io->ring, 0);
		if (rc == 0) {
			io->uring = true;
			return 0;
		}
		/* ENOSYS: not in this kernel or emulator; EPERM: seccomp or
		 * io_uring_disabled. Anything else is a real failure. */
		if (mode == LOG_IO_URING || (rc != -ENOSYS && rc != -EPERM))
			return rc;
		io->uring_err = rc;
	} else {
		io->uring_err = -EPERM;
	}
	return 0;
}

void log_io_exit(struct log_io *io)
{
	if (io->uring)
		io_uring_queue_exit(&io->ring);
	io->uring = false;
}

static void log_io_complete(struct log_io *io, uint64_t data, int res)
{
	assert(io->done_count < LOG_IO_ENTRIES);
	io->done[(io->done_head + io->done_count++) % LOG_IO_ENTRIES] =
		(struct log_io_done){ .data = data, .res = res };
}

static struct io_uring_sqe *log_io_sqe(struct log_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	assert(sqe);  /* the writer queues at most a write and two syncs */
	return sqe;
}

void log_io_write(struct log_io *io, int fd, const void *buf, uint32_t len, uint64_t off,
		  uint64_t data)
{
	ssize_t n;

	if (io->uring) {
		struct io_uring_sqe *sqe = log_io_sqe(io);

		io_uring_prep_write(sqe, fd, buf, len, off);
		io_uring_sqe_set_data64(sqe, data);
		return;
	}
	do
		n = pwrite(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	log_io_complete(io, data, n < 0 ? -errno : (int)n);
}

void log_io_fdatasync(struct log_io *io, int fd, uint64_t data)
{
	int rc;

	if (io->uring) {
		struct io_uring_sqe *sqe = log_io_sqe(io);

		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, data);
		return;
	}
	do
		rc = fdatasync(fd);
	while (rc < 0 && errno == EINTR);
	log_io_complete(io, data, rc < 0 ? -errno : 0);
}

void log_io_nop(struct log_io *io, uint64_t data)
{
	if (io->uring) {
		struct io_uring_sqe *sqe = log_io_sqe(io);

		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, data);
		return;
	}
	log_io_complete(io, data, 0);
}

int log_io_submit(struct log_io *io)
{
	int rc;

	if (!io->uring)
		return 0;
	rc = io_uring_submit(&io->ring);
	return rc < 0 ? rc : 0;
}

int log_io_next(struct log_io *io, bool wait, uint64_t *data, int *res)
{
	struct io_uring_cqe *cqe;
	int rc;

	if (!io->uring) {
		if (!io->done_count)
			return -EAGAIN;  /* plain calls completed when queued */
		*data = io->done[io->done_head].data;
		*res = io->done[io->done_head].res;
		io->done_head = (io->done_head + 1) % LOG_IO_ENTRIES;
		io->done_count--;
		return 0;
	}
	rc = wait ? io_uring_wait_cqe(&io->ring, &cqe) : io_uring_peek_cqe(&io->ring, &cqe);
	if (rc < 0)
		return rc;
	*data = io_uring_cqe_get_data64(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(&io->ring, cqe);
	return 0;
}
