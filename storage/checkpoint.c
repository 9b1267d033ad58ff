/* Atomic checkpoint files. */
#include "storage/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/clock.h"
#include "platform/crc32c.h"
#include "storage/log_segment.h"
#include "storage/log_types.h"

int ckpt_write(const char *path, uint64_t offset)
{
	char tmp[LOG_PATH_MAX], dir[LOG_PATH_MAX];
	uint8_t b[CKPT_BYTES] = { 0 };
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	le_put32(b, CKPT_MAGIC);
	le_put16(b + 4, 1);
	le_put64(b + 8, offset);
	le_put64(b + 16, clock_real_ns());
	le_put32(b + 24, crc32c(b, 24));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		rc = errno ? -errno : -EIO;
	if (rc == 0 && fdatasync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	strcpy(dir, path);  /* fits: shorter than tmp */
	return log_fsync_dir(dirname(dir));
}

int ckpt_read(const char *path, uint64_t *offset)
{
	uint8_t b[CKPT_BYTES + 1];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n < 0)
		return -EIO;
	if (n != CKPT_BYTES || le_get32(b) != CKPT_MAGIC || le_get16(b + 4) != 1 ||
	    le_get32(b + 24) != crc32c(b, 24))
		return -EBADMSG;
	*offset = le_get64(b + 8);
	return 0;
}
