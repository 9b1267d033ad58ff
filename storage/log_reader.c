/* Log reader: pread of whole batches into one buffer, checked as the writer
 * asserted them, following segment files in offset order. */
#include "storage/log_reader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/log_index.h"
#include "storage/log_repair.h"

struct log_reader {
	char dir[LOG_PATH_MAX];
	int fd;
	uint64_t segment_base;
	uint64_t file_pos;      /* position of the next batch header */
	uint64_t batch_offset;  /* base offset of the batch at file_pos */
	uint64_t wanted;        /* first record the caller still wants */
	uint8_t *buf;           /* LOG_BATCH_BYTES_MAX */
	struct log_codec *codec;
	struct log_index *ix;   /* of the segment being sought */
	uint64_t skipped;       /* records in quarantined segments passed over */
};

static int log_reader_open_segment(struct log_reader *r, uint64_t base)
{
	char path[LOG_PATH_MAX];
	int fd, rc;

	rc = log_segment_path(path, sizeof(path), r->dir, base);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = log_segment_pread(fd, r->buf, LOG_SEGMENT_HEADER_BYTES, 0);
	if (rc == 0)
		rc = log_segment_header_check(r->buf, base);
	if (rc < 0) {
		close(fd);
		return rc == -ENODATA ? -EBADMSG : rc;
	}
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	r->segment_base = base;
	r->file_pos = LOG_SEGMENT_HEADER_BYTES;
	r->batch_offset = base;
	return 0;
}

/* Starts at the indexed batch nearest below r->wanted, when the segment
 * has a valid index (a missing one costs only the header walk below). */
static void log_reader_seek(struct log_reader *r)
{
	struct log_index_entry at;

	if (r->wanted <= r->segment_base ||
	    log_index_load(r->ix, r->dir, r->segment_base) < 0)
		return;
	log_index_seek_offset(r->ix, r->wanted, &at);
	r->file_pos = at.pos;
	r->batch_offset = at.offset;
}

/* Skips whole batches that end at or before r->wanted, reading headers only. */
static int log_reader_skip(struct log_reader *r)
{
	struct log_batch_header h;
	int rc;

	for (;;) {
		rc = log_segment_pread(r->fd, r->buf, LOG_BATCH_HEADER_BYTES, r->file_pos);
		if (rc == -ENODATA)
			return 0;
		if (rc == 0)
			rc = log_batch_header_decode(r->buf, &h);
		if (rc < 0)
			return rc;
		if (h.base_offset + h.record_count > r->wanted)
			return 0;
		r->file_pos += h.batch_bytes;
		r->batch_offset = h.base_offset + h.record_count;
	}
}

int log_reader_open(struct log_reader **out, const char *dir, uint64_t offset)
{
	struct log_reader *r;
	uint64_t base;
	int rc;

	if (strlen(dir) >= LOG_PATH_MAX - 32)
		return -ENAMETOOLONG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	strcpy(r->dir, dir);
	r->wanted = offset;
	r->buf = malloc(LOG_BATCH_BYTES_MAX);
	if (!r->buf) {
		rc = -ENOMEM;
		goto err;
	}
	rc = log_codec_create(&r->codec, 0);
	if (rc < 0)
		goto err;
	r->ix = malloc(sizeof(*r->ix));
	if (!r->ix) {
		rc = -ENOMEM;
		goto err;
	}
	rc = log_segment_find(dir, offset, &base);
	if (rc == -ENOENT && log_segment_next(dir, offset, &base) == 0) {
		/* What held offset is gone (retention, quarantine): start at
		 * the oldest record there is. */
		r->skipped = base - offset;
		r->wanted = base;
		rc = 0;
	}
	if (rc == 0)
		rc = log_reader_open_segment(r, base);
	if (rc == 0) {
		log_reader_seek(r);
		rc = log_reader_skip(r);
	}
	if (rc < 0)
		goto err;
	*out = r;
	return 0;
err:
	log_reader_close(r);
	return rc;
}

int log_reader_next(struct log_reader *r, uint64_t limit_offset,
		    struct log_batch_view *v)
{
	struct log_batch_header h;
	const uint8_t *plain;
	uint64_t next_base;
	int rc;

	while (r->batch_offset < limit_offset) {
		rc = log_segment_pread(r->fd, r->buf, LOG_BATCH_HEADER_BYTES, r->file_pos);
		if (rc == -ENODATA) {
			/* End of this segment: the writer rolled to the next. */
			rc = log_segment_next(r->dir, r->segment_base, &next_base);
			if (rc == 0 && next_base > r->batch_offset &&
			    log_repair_quarantined(r->dir, r->batch_offset)) {
				/* The segment that held these was moved aside. */
				r->skipped += next_base - r->batch_offset;
				r->batch_offset = next_base;
			}
			if (rc < 0 || next_base != r->batch_offset)
				return -ENODATA;
			rc = log_reader_open_segment(r, next_base);
			if (rc < 0)
				return rc;
			continue;
		}
		if (rc == 0)
			rc = log_batch_header_decode(r->buf, &h);
		if (rc == 0 && h.base_offset != r->batch_offset)
			rc = -EBADMSG;
		if (rc == 0)
			rc = log_segment_pread(r->fd, r->buf + LOG_BATCH_HEADER_BYTES,
					      h.batch_bytes - LOG_BATCH_HEADER_BYTES,
					      r->file_pos + LOG_BATCH_HEADER_BYTES);
		if (rc == 0)
			rc = log_batch_check(r->buf, &h, r->codec, &plain);
		if (rc < 0)
			return rc == -ENODATA ? -EBADMSG : rc;
		r->file_pos += h.batch_bytes;
		r->batch_offset = h.base_offset + h.record_count;
		v->h = h;
		v->body = plain;
		v->first_wanted = r->wanted > h.base_offset ? r->wanted : h.base_offset;
		r->wanted = r->batch_offset;
		return 1;
	}
	return 0;
}

int log_batch_view_record(const struct log_batch_view *v, uint32_t *pos,
			  uint64_t *index, struct log_record *rec, uint64_t *offset)
{
	uint32_t used;

	while (*pos < v->h.body_bytes) {
		used = log_record_decode(v->body + *pos, v->h.body_bytes - *pos, rec);
		if (used == 0)
			return 0;  /* log_batch_check already vouched for the body */
		*pos += used;
		*offset = v->h.base_offset + (*index)++;
		if (*offset >= v->first_wanted)
			return 1;
	}
	return 0;
}

void log_reader_close(struct log_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	log_codec_destroy(r->codec);
	free(r->ix);
	free(r->buf);
	free(r);
}

uint64_t log_reader_skipped(const struct log_reader *r)
{
	return r->skipped;
}

uint64_t log_reader_segment(const struct log_reader *r)
{
	return r->segment_base;
}

int log_reader_open_time(struct log_reader **out, const char *dir, uint64_t t)
{
	struct log_index_entry at = { 0 };
	struct log_codec *codec = NULL;
	struct log_index *ix = malloc(sizeof(*ix));
	uint8_t *buf = malloc(LOG_BATCH_BYTES_MAX);
	uint64_t base;
	bool any = false;
	int rc = !ix || !buf ? -ENOMEM : log_codec_create(&codec, 0);

	if (rc == 0)
		rc = log_segment_first(dir, &base);
	/* Oldest first: the first segment holding a record at or after t. */
	for (unsigned n = 0; rc == 0 && n < LOG_READER_SEGMENTS_MAX; n++) {
		any = true;
		if (log_index_load(ix, dir, base) < 0) {
			rc = log_index_build(ix, dir, base, buf, codec);
			if (rc == -EBADMSG)
				rc = 0;  /* what precedes the damage still counts */
		}
		if (rc == 0 && log_index_seek_time(ix, t, &at) == 0)
			break;
		at.offset = ix->end_offset;  /* none here: past this segment */
		if (rc == 0)
			rc = log_segment_next(dir, base, &base);
	}
	if (rc == -ENOENT && any)
		rc = 0;  /* nothing that new: positioned at the end */
	log_codec_destroy(codec);
	free(buf);
	free(ix);
	return rc < 0 ? rc : log_reader_open(out, dir, at.offset);
}

/* Bytes of the segment files of dir whose base is above base. */
static uint64_t log_reader_bytes_after(const char *dir, uint64_t base)
{
	char path[LOG_PATH_MAX];
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0, b;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (log_segment_parse_name(de->d_name, &b) < 0 || b <= base)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0)
			sum += (uint64_t)st.st_size;
	}
	closedir(d);
	return sum;
}

int log_reader_lag(const char *dir, uint64_t offset, uint64_t end_offset, struct log_lag *out)
{
	char path[LOG_PATH_MAX];
	struct log_reader *r;
	struct log_batch_view v;
	struct log_record rec;
	struct stat st;
	uint64_t index = 0, off;
	uint32_t pos = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (offset >= end_offset)
		return 0;
	rc = log_reader_open(&r, dir, offset);
	if (rc < 0)
		return rc;
	if (log_segment_path(path, sizeof(path), dir, r->segment_base) == 0 &&
	    stat(path, &st) == 0 && (uint64_t)st.st_size > r->file_pos)
		out->bytes = (uint64_t)st.st_size - r->file_pos;
	out->bytes += log_reader_bytes_after(dir, r->segment_base);
	rc = log_reader_next(r, end_offset, &v);
	if (rc == 1 && log_batch_view_record(&v, &pos, &index, &rec, &off))
		out->oldest_arrival_ns = rec.arrival_ns;
	log_reader_close(r);
	return rc < 0 ? rc : 0;
}
