/* Segment indexes (see log_index.h). File layout, little-endian:
 *
 *   +0  u32 magic 'SLIX'   +4 u16 version (1)   +6 u16 entry bytes (24)
 *   +8  u64 base_offset    +16 u64 end_offset   +24 u64 valid_bytes
 *   +32 u64 time_max       +40 u32 entry count  +44 u32 crc32c of 0..43 and the entries
 *   entries: u64 offset, u64 file position, u64 time_max so far
 */
#include "storage/log_index.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/crc32c.h"
#include "platform/le.h"
#include "storage/log_segment.h"

#define LOG_INDEX_MAGIC 0x58494c53u /* "SLIX" */
#define LOG_INDEX_VERSION 1
#define LOG_INDEX_HEADER_BYTES 48u
#define LOG_INDEX_ENTRY_BYTES 24u
#define LOG_INDEX_FILE_MAX (LOG_INDEX_HEADER_BYTES + LOG_INDEX_ENTRIES_MAX * LOG_INDEX_ENTRY_BYTES)

int log_index_path(char *buf, size_t size, const char *dir, uint64_t base)
{
	int n = snprintf(buf, size, "%s/%020" PRIu64 ".idx", dir, base);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void log_index_reset(struct log_index *ix, uint64_t base, uint64_t segment_bytes)
{
	uint64_t per = segment_bytes / (LOG_INDEX_ENTRIES_MAX / 2);

	ix->base = base;
	ix->end_offset = base;
	ix->valid_bytes = LOG_SEGMENT_HEADER_BYTES;
	ix->time_max = 0;
	ix->count = 0;
	/* Half the entries cover the expected size, the rest a segment that
	 * grows past it (rolls happen at buffer boundaries). */
	ix->interval = per > LOG_INDEX_INTERVAL_MIN ? per : LOG_INDEX_INTERVAL_MIN;
}

void log_index_note(struct log_index *ix, uint64_t pos, uint64_t offset, uint32_t count,
		    uint32_t batch_bytes, uint64_t time_max)
{
	if (time_max > ix->time_max)
		ix->time_max = time_max;
	/* A full index stays correct, only sparser at its end: readers walk
	 * forward from the last entry. */
	if (ix->count < LOG_INDEX_ENTRIES_MAX &&
	    (ix->count == 0 || pos - ix->e[ix->count - 1].pos >= ix->interval))
		ix->e[ix->count++] = (struct log_index_entry){ offset, pos, ix->time_max };
	else if (ix->count)
		ix->e[ix->count - 1].time_max = ix->time_max;
	ix->end_offset = offset + count;
	ix->valid_bytes = pos + batch_bytes;
}

void log_index_cut(struct log_index *ix, uint64_t pos, uint64_t end_offset)
{
	while (ix->count && ix->e[ix->count - 1].pos >= pos)
		ix->count--;
	ix->end_offset = end_offset;
	ix->valid_bytes = pos;
	/* time_max may now be high: a seek by time then reads a little more. */
}

void log_index_seek_offset(const struct log_index *ix, uint64_t offset,
			   struct log_index_entry *at)
{
	uint32_t lo = 0, hi = ix->count;

	while (lo < hi) {  /* first entry past offset */
		uint32_t mid = lo + (hi - lo) / 2;

		if (ix->e[mid].offset <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo ? ix->e[lo - 1] : (struct log_index_entry){ ix->base, LOG_SEGMENT_HEADER_BYTES, 0 };
}

int log_index_seek_time(const struct log_index *ix, uint64_t t, struct log_index_entry *at)
{
	uint32_t lo = 0, hi = ix->count;

	if (ix->count == 0 || ix->time_max < t)
		return -ENOENT;
	while (lo < hi) {  /* first entry whose time_max reaches t */
		uint32_t mid = lo + (hi - lo) / 2;

		if (ix->e[mid].time_max < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Everything up to entry lo-1's batches is older than t; entry lo-1
	 * starts the stretch that may hold the first newer record. */
	*at = lo ? ix->e[lo - 1] : (struct log_index_entry){ ix->base, LOG_SEGMENT_HEADER_BYTES, 0 };
	return 0;
}

int log_index_write(const struct log_index *ix, const char *dir)
{
	char path[LOG_PATH_MAX], tmp[LOG_PATH_MAX + 16];
	uint8_t *p = malloc(LOG_INDEX_FILE_MAX), *q;
	size_t len = LOG_INDEX_HEADER_BYTES + (size_t)ix->count * LOG_INDEX_ENTRY_BYTES;
	int fd, rc;

	if (!p)
		return -ENOMEM;
	le_put32(p, LOG_INDEX_MAGIC);
	le_put16(p + 4, LOG_INDEX_VERSION);
	le_put16(p + 6, LOG_INDEX_ENTRY_BYTES);
	le_put64(p + 8, ix->base);
	le_put64(p + 16, ix->end_offset);
	le_put64(p + 24, ix->valid_bytes);
	le_put64(p + 32, ix->time_max);
	le_put32(p + 40, ix->count);
	q = p + LOG_INDEX_HEADER_BYTES;
	for (uint32_t i = 0; i < ix->count; i++, q += LOG_INDEX_ENTRY_BYTES) {
		le_put64(q, ix->e[i].offset);
		le_put64(q + 8, ix->e[i].pos);
		le_put64(q + 16, ix->e[i].time_max);
	}
	le_put32(p + 44, crc32c_extend(crc32c(p, 44), p + LOG_INDEX_HEADER_BYTES,
				       len - LOG_INDEX_HEADER_BYTES));
	rc = log_index_path(path, sizeof(path), dir, ix->base);
	if (rc < 0)
		goto out;
	/* A unique name: a reader repairing an index never collides with us. */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	/* No fsync: a lost index is rebuilt, and it is written only after its
	 * segment's own fdatasync, so a surviving one never runs ahead. */
	rc = write(fd, p, len) == (ssize_t)len ? 0 : (errno ? -errno : -EIO);
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
out:
	free(p);
	return rc;
}

static int log_index_decode(struct log_index *ix, const uint8_t *p, size_t len,
			    uint64_t base, uint64_t seg_bytes)
{
	const uint8_t *q = p + LOG_INDEX_HEADER_BYTES;
	uint32_t count;

	if (len < LOG_INDEX_HEADER_BYTES || le_get32(p) != LOG_INDEX_MAGIC ||
	    le_get16(p + 4) != LOG_INDEX_VERSION || le_get16(p + 6) != LOG_INDEX_ENTRY_BYTES)
		return -EBADMSG;
	count = le_get32(p + 40);
	if (count > LOG_INDEX_ENTRIES_MAX ||
	    len != LOG_INDEX_HEADER_BYTES + (size_t)count * LOG_INDEX_ENTRY_BYTES ||
	    le_get32(p + 44) != crc32c_extend(crc32c(p, 44), q, len - LOG_INDEX_HEADER_BYTES))
		return -EBADMSG;
	log_index_reset(ix, base, seg_bytes);
	ix->end_offset = le_get64(p + 16);
	ix->valid_bytes = le_get64(p + 24);
	ix->time_max = le_get64(p + 32);
	/* Stale: the segment is not the size the index describes. */
	if (le_get64(p + 8) != base || ix->valid_bytes != seg_bytes || ix->end_offset < base)
		return -EBADMSG;
	for (uint32_t i = 0; i < count; i++, q += LOG_INDEX_ENTRY_BYTES) {
		struct log_index_entry e = { le_get64(q), le_get64(q + 8), le_get64(q + 16) };

		if (e.offset < base || e.offset >= ix->end_offset || e.pos < LOG_SEGMENT_HEADER_BYTES ||
		    e.pos >= ix->valid_bytes || e.time_max > ix->time_max ||
		    (i && (e.offset <= ix->e[i - 1].offset || e.pos <= ix->e[i - 1].pos ||
			   e.time_max < ix->e[i - 1].time_max)))
			return -EBADMSG;
		ix->e[i] = e;
	}
	ix->count = count;
	return 0;
}

int log_index_load(struct log_index *ix, const char *dir, uint64_t base)
{
	char path[LOG_PATH_MAX];
	struct stat st;
	uint8_t *p;
	ssize_t n;
	int fd, rc;

	rc = log_segment_path(path, sizeof(path), dir, base);
	if (rc < 0)
		return rc;
	if (stat(path, &st) < 0)
		return -errno;
	rc = log_index_path(path, sizeof(path), dir, base);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = malloc(LOG_INDEX_FILE_MAX + 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, p, LOG_INDEX_FILE_MAX + 1);
	close(fd);
	rc = n < 0 ? -errno : log_index_decode(ix, p, (size_t)n, base, (uint64_t)st.st_size);
	free(p);
	return rc;
}

int log_index_build(struct log_index *ix, const char *dir, uint64_t base, uint8_t *buf,
		    struct log_codec *codec)
{
	char path[LOG_PATH_MAX];
	struct log_scan_result scan;
	struct stat st;
	int rc;

	rc = log_segment_path(path, sizeof(path), dir, base);
	if (rc < 0)
		return rc;
	if (stat(path, &st) < 0)
		return -errno;
	log_index_reset(ix, base, (uint64_t)st.st_size);
	rc = log_segment_scan(path, base, buf, codec, ix, &scan);
	if (rc < 0)
		return rc;
	return scan.stop_reason;
}

uint64_t log_index_records_time_max(const uint8_t *p, uint32_t bytes)
{
	uint64_t t = 0, rt;
	uint32_t pos = 0, len;

	/* The records were encoded or checked by us: sizes are sound. */
	while (bytes - pos >= LOG_RECORD_HEADER_BYTES) {
		len = le_get32(p + pos);
		rt = le_get64(p + pos + 24);
		if (rt > t)
			t = rt;
		if (len < LOG_RECORD_HEADER_BYTES || len > bytes - pos)
			break;
		pos += len;
	}
	return t;
}
