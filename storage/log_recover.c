/* Log recovery at open (see log_recover.h). */
#include "storage/log_recover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/log_segment.h"

static int log_recover_cut(const char *path, uint64_t valid)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)valid) < 0 || fdatasync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int log_recover_scan(const char *dir, uint64_t base, uint64_t segment_bytes,
			    uint8_t *buf, struct log_codec *codec, struct log_index *ix,
			    struct log_scan_result *scan)
{
	char path[LOG_PATH_MAX];
	int rc = log_segment_path(path, sizeof(path), dir, base);

	if (rc < 0)
		return rc;
	log_index_reset(ix, base, segment_bytes);
	return log_segment_scan(path, base, buf, codec, ix, scan);
}

/* The segment before the tail: whole (and indexed now) or torn. */
static int log_recover_prev(const char *dir, uint64_t prev, uint64_t tail,
			    uint64_t segment_bytes, uint8_t *buf, struct log_codec *codec,
			    struct log_index *ix, struct log_recovery *out, bool *torn)
{
	struct log_scan_result scan;
	char path[LOG_PATH_MAX];
	struct stat st;
	int rc;

	*torn = false;
	if (log_index_load(ix, dir, prev) == 0 && ix->end_offset == tail)
		return 0;
	rc = log_recover_scan(dir, prev, segment_bytes, buf, codec, ix, &scan);
	if (rc < 0)
		return rc;
	out->scanned_bytes += scan.file_bytes;
	if (scan.valid_bytes == scan.file_bytes && scan.next_offset == tail &&
	    scan.valid_bytes > LOG_SEGMENT_HEADER_BYTES) {
		(void)log_index_write(ix, dir);  /* if that fails, it is rebuilt later */
		return 0;
	}
	/* Torn: no sync covered the tail either. The tail goes whole. */
	*torn = true;
	rc = log_segment_path(path, sizeof(path), dir, tail);
	if (rc < 0)
		return rc;
	if (stat(path, &st) == 0)
		out->torn_bytes += (uint64_t)st.st_size;
	if (unlink(path) < 0)
		return -errno;
	return log_fsync_dir(dir);
}

int log_recover(const char *dir, uint64_t segment_bytes, struct log_codec *codec,
		struct log_index *tail_ix, struct log_recovery *out)
{
	struct log_scan_result scan;
	char path[LOG_PATH_MAX];
	uint64_t tail, prev;
	bool prev_torn = false;
	uint8_t *buf;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = log_segment_find(dir, UINT64_MAX, &tail);
	if (rc == -ENOENT) {
		out->empty = true;
		log_index_reset(tail_ix, 0, segment_bytes);
		return 0;
	}
	if (rc < 0)
		return rc;
	buf = malloc(LOG_BATCH_BYTES_MAX);
	if (!buf)
		return -ENOMEM;
	if (tail > 0 && log_segment_find(dir, tail - 1, &prev) == 0) {
		rc = log_recover_prev(dir, prev, tail, segment_bytes, buf, codec, tail_ix, out,
				      &prev_torn);
		if (rc < 0)
			goto out;
		if (prev_torn)
			tail = prev;
	}
	rc = log_recover_scan(dir, tail, segment_bytes, buf, codec, tail_ix, &scan);
	if (rc < 0)
		goto out;
	out->scanned_bytes += scan.file_bytes;
	out->tail_base = tail;
	out->next_offset = scan.next_offset;
	out->torn_bytes += scan.file_bytes - scan.valid_bytes;
	if (scan.valid_bytes < LOG_SEGMENT_HEADER_BYTES) {
		/* Torn while being created: it holds no record, start it again. */
		out->recreate = true;
		out->torn_bytes += scan.valid_bytes;
		out->tail_bytes = 0;
		goto out;
	}
	out->tail_bytes = scan.valid_bytes;
	if (scan.valid_bytes < scan.file_bytes) {
		rc = log_segment_path(path, sizeof(path), dir, tail);
		if (rc == 0)
			rc = log_recover_cut(path, scan.valid_bytes);
	}
out:
	free(buf);
	return rc;
}
