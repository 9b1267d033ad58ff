/* Segment files: naming, lookup, header and batch checks, recovery scan. */
#include "storage/log_segment.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/crc32c.h"
#include "storage/log_index.h"

int log_segment_path(char *buf, size_t size, const char *dir, uint64_t base)
{
	int n = snprintf(buf, size, "%s/%020" PRIu64 ".log", dir, base);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int log_segment_parse_name(const char *name, uint64_t *base)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (strcmp(name + 20, ".log") != 0)
		return -EINVAL;
	*base = v;
	return 0;
}

/* Walks dir for the base closest to pivot: below-or-equal, or strictly above. */
static int log_segment_search(const char *dir, uint64_t pivot, int above,
			      uint64_t *base)
{
	struct dirent *de;
	int found = 0;
	uint64_t best = 0, b;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (log_segment_parse_name(de->d_name, &b) < 0)
			continue;
		if (above ? b <= pivot : b > pivot)
			continue;
		if (!found || (above ? b < best : b > best)) {
			best = b;
			found = 1;
		}
	}
	closedir(d);
	if (!found)
		return -ENOENT;
	*base = best;
	return 0;
}

int log_segment_find(const char *dir, uint64_t offset, uint64_t *base)
{
	return log_segment_search(dir, offset, 0, base);
}

int log_segment_next(const char *dir, uint64_t after, uint64_t *base)
{
	return log_segment_search(dir, after, 1, base);
}

int log_segment_first(const char *dir, uint64_t *base)
{
	int rc = log_segment_find(dir, 0, base);

	return rc == -ENOENT ? log_segment_next(dir, 0, base) : rc;
}

void log_segment_header_encode(uint8_t *p, uint64_t base, uint64_t created_ns)
{
	memset(p, 0, LOG_SEGMENT_HEADER_BYTES);
	le_put32(p, LOG_SEGMENT_MAGIC);
	le_put16(p + 4, LOG_FORMAT_VERSION);
	le_put16(p + 6, LOG_SEGMENT_HEADER_BYTES);
	le_put64(p + 8, base);
	le_put64(p + 16, created_ns);
	le_put32(p + 28, crc32c(p, 28));
}

int log_segment_header_check(const uint8_t *p, uint64_t expected_base)
{
	if (le_get32(p) != LOG_SEGMENT_MAGIC ||
	    le_get16(p + 4) != LOG_FORMAT_VERSION ||
	    le_get16(p + 6) != LOG_SEGMENT_HEADER_BYTES ||
	    le_get64(p + 8) != expected_base || le_get32(p + 28) != crc32c(p, 28))
		return -EBADMSG;
	return 0;
}

void log_batch_header_encode(uint8_t *p, const struct log_batch_header *h)
{
	uint32_t crc;

	le_put32(p, LOG_BATCH_MAGIC);
	le_put32(p + 4, h->batch_bytes);
	le_put64(p + 8, h->base_offset);
	le_put32(p + 16, h->record_count);
	le_put16(p + 20, h->flags);
	le_put16(p + 22, 0);
	le_put64(p + 24, h->first_arrival_ns);
	le_put32(p + 32, h->body_bytes);
	crc = crc32c(p, 36);
	crc = crc32c_extend(crc, p + LOG_BATCH_HEADER_BYTES,
			    h->batch_bytes - LOG_BATCH_HEADER_BYTES);
	le_put32(p + 36, crc);
}

int log_batch_header_decode(const uint8_t *p, struct log_batch_header *h)
{
	if (le_get32(p) != LOG_BATCH_MAGIC)
		return -EBADMSG;
	h->batch_bytes = le_get32(p + 4);
	h->base_offset = le_get64(p + 8);
	h->record_count = le_get32(p + 16);
	h->flags = le_get16(p + 20);
	h->first_arrival_ns = le_get64(p + 24);
	h->body_bytes = le_get32(p + 32);
	h->crc = le_get32(p + 36);
	if (h->batch_bytes < LOG_BATCH_HEADER_BYTES ||
	    h->batch_bytes > LOG_BATCH_BYTES_MAX || h->record_count == 0 ||
	    (h->flags & ~LOG_BATCH_FLAG_ZSTD) != 0 || le_get16(p + 22) != 0)
		return -EBADMSG;
	/* A compressed body is stored only when it shrank. */
	if (h->flags & LOG_BATCH_FLAG_ZSTD ? h->body_bytes > LOG_BATCH_BYTES_MAX - LOG_BATCH_HEADER_BYTES ||
						     h->batch_bytes - LOG_BATCH_HEADER_BYTES >= h->body_bytes
					   : h->body_bytes != h->batch_bytes - LOG_BATCH_HEADER_BYTES)
		return -EBADMSG;
	return 0;
}

int log_batch_check(const uint8_t *batch, const struct log_batch_header *h,
		    struct log_codec *codec, const uint8_t **plain)
{
	const uint8_t *body = batch + LOG_BATCH_HEADER_BYTES;
	uint32_t stored = h->batch_bytes - LOG_BATCH_HEADER_BYTES;
	uint32_t crc = crc32c(batch, 36), pos = 0, n = 0, used;
	struct log_record rec;

	crc = crc32c_extend(crc, body, stored);
	if (crc != h->crc)
		return -EBADMSG;
	if ((h->flags & LOG_BATCH_FLAG_ZSTD) &&
	    log_codec_decompress(codec, body, stored, h->body_bytes, &body) < 0)
		return -EBADMSG;
	*plain = body;
	while (pos < h->body_bytes) {
		used = log_record_decode(body + pos, h->body_bytes - pos, &rec);
		if (used == 0)
			return -EBADMSG;
		pos += used;
		n++;
	}
	return n == h->record_count ? 0 : -EBADMSG;
}

int log_segment_pread(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, buf + done, len - done, (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ENODATA;
		done += (size_t)r;
	}
	return 0;
}

int log_segment_scan(const char *path, uint64_t base, uint8_t *buf,
		     struct log_codec *codec, struct log_index *ix,
		     struct log_scan_result *res)
{
	const uint8_t *plain;
	struct log_batch_header h;
	struct stat st;
	uint64_t pos;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	res->next_offset = base;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	res->file_bytes = (uint64_t)st.st_size;
	rc = log_segment_pread(fd, buf, LOG_SEGMENT_HEADER_BYTES, 0);
	if (rc == -ENODATA || (rc == 0 && log_segment_header_check(buf, base) < 0)) {
		res->stop_reason = -EBADMSG;  /* torn at creation: no valid header */
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	pos = LOG_SEGMENT_HEADER_BYTES;
	res->valid_bytes = pos;
	while (pos < res->file_bytes) {
		rc = log_segment_pread(fd, buf, LOG_BATCH_HEADER_BYTES, pos);
		if (rc == 0)
			rc = log_batch_header_decode(buf, &h);
		if (rc == 0 && (h.base_offset != res->next_offset ||
				pos + h.batch_bytes > res->file_bytes))
			rc = -EBADMSG;
		if (rc == 0)
			rc = log_segment_pread(fd, buf + LOG_BATCH_HEADER_BYTES,
					    h.batch_bytes - LOG_BATCH_HEADER_BYTES,
					    pos + LOG_BATCH_HEADER_BYTES);
		if (rc == 0)
			rc = log_batch_check(buf, &h, codec, &plain);
		if (rc == -EBADMSG || rc == -ENODATA) {
			res->stop_reason = -EBADMSG;
			rc = 0;
			break;
		}
		if (rc < 0)
			goto out;
		if (ix)
			log_index_note(ix, pos, h.base_offset, h.record_count, h.batch_bytes,
				       log_index_records_time_max(plain, h.body_bytes));
		pos += h.batch_bytes;
		res->valid_bytes = pos;
		res->next_offset += h.record_count;
		res->batches++;
		res->records += h.record_count;
	}
out:
	close(fd);
	return rc;
}

int log_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
