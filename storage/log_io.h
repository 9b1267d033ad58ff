/* The log writer's asynchronous I/O: io_uring, or, where io_uring is not
 * available (a kernel built without it or with io_uring_disabled set, a
 * container whose seccomp profile refuses it, as Docker's default does,
 * qemu-user), plain pwrite and fdatasync that complete at once. The writer
 * queues writes and syncs, submits, and reaps completions the same way
 * with either; with plain calls it waits for the disk in the call. */
#ifndef SLUICE_STORAGE_LOG_IO_H
#define SLUICE_STORAGE_LOG_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#define LOG_IO_ENTRIES 8u

enum log_io_mode {
	LOG_IO_AUTO,         /* io_uring, plain calls when the kernel refuses it */
	LOG_IO_URING,        /* io_uring or fail */
	LOG_IO_PLAIN,        /* plain calls */
};

struct log_io_done {
	uint64_t data;
	int res;
};

struct log_io {
	bool uring;          /* false: plain calls (or not initialised: a zeroed log_io) */
	int uring_err;       /* why io_uring was not used (-errno), 0: it is */
	struct io_uring ring;
	struct log_io_done done[LOG_IO_ENTRIES];  /* plain calls' completions */
	unsigned done_head, done_count;
};

/* 0, or io_uring's error (LOG_IO_URING, or an error other than refusal). */
int log_io_init(struct log_io *io, enum log_io_mode mode);
/* Also safe on a zeroed log_io that was never initialised. */
void log_io_exit(struct log_io *io);

/* Queue an operation completing with data; at most LOG_IO_ENTRIES queued
 * or unreaped. The nop completes with 0 (a test seam). */
void log_io_write(struct log_io *io, int fd, const void *buf, uint32_t len, uint64_t off,
		  uint64_t data);
void log_io_fdatasync(struct log_io *io, int fd, uint64_t data);
void log_io_nop(struct log_io *io, uint64_t data);
/* 0 or -errno. */
int log_io_submit(struct log_io *io);

/* The next completion: 0, -EAGAIN when none (without wait), -EINTR, or
 * another -errno from io_uring. */
int log_io_next(struct log_io *io, bool wait, uint64_t *data, int *res);

#endif
