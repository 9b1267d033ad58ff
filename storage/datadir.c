/* The data folder's lock file (see datadir.h). */
#include "storage/datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "storage/checkpoint.h"
#include "storage/log_segment.h"

static int datadir_open(const char *dir, int flags)
{
	char path[LOG_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, DATADIR_LOCK_FILE);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	n = open(path, flags | O_CLOEXEC, 0640);
	return n < 0 ? -errno : n;
}

static pid_t datadir_read_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? (pid_t)atol(buf) : 0;
}

int datadir_lock(const char *dir, pid_t *holder)
{
	char pid[32];
	int fd = datadir_open(dir, O_RDWR | O_CREAT), len, rc;

	*holder = 0;
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		if (rc == -EWOULDBLOCK)
			*holder = datadir_read_pid(fd);
		close(fd);
		return rc;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

pid_t datadir_holder(const char *dir)
{
	int fd = datadir_open(dir, O_RDONLY);
	pid_t pid = 0;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	/* A shared lock is refused only while the owner holds its exclusive
	 * one; taken, it is dropped again by the close below. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			pid = -errno;
		} else {
			pid = datadir_read_pid(fd);
			if (pid <= 0)
				pid = 1;  /* held; its PID unreadable */
		}
	}
	close(fd);
	return pid;
}

int datadir_next_epoch(const char *dir, uint64_t *epoch)
{
	char path[LOG_PATH_MAX];
	uint64_t v = 0;
	int rc;

	if (snprintf(path, sizeof(path), "%s/start-epoch.ckpt", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	rc = ckpt_read(path, &v);
	if (rc < 0 && rc != -ENOENT)
		return rc;  /* damaged: refuse rather than reuse an epoch */
	rc = ckpt_write(path, v + 1);
	if (rc == 0)
		*epoch = v + 1;
	return rc;
}
