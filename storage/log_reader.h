/* Sequential reader of a log, batch by batch, from any offset up to a limit
 * (the durable offset). One thread per reader. */
#ifndef SLUICE_STORAGE_LOG_READER_H
#define SLUICE_STORAGE_LOG_READER_H

#include <stdint.h>

#include "storage/log_segment.h"

struct log_batch_view {
	struct log_batch_header h;
	const uint8_t *body;    /* plain (decompressed) body, h.body_bytes long */
	uint64_t first_wanted;  /* offset of the first record the caller wants */
};

struct log_reader;

/* Opens dir positioned at offset. Returns 0 or -errno (-ENOENT: no segment
 * holds that offset yet). */
int log_reader_open(struct log_reader **out, const char *dir, uint64_t offset);

/* Reads the next batch whose records start below limit_offset. Returns 1 and
 * fills v (valid until the next call), 0 when nothing below the limit is
 * left, or -errno (-EBADMSG: a batch failed its checks). */
int log_reader_next(struct log_reader *r, uint64_t limit_offset,
		    struct log_batch_view *v);

/* Iterates the records of a view: *pos starts at 0; returns 1 and fills rec
 * and *offset, or 0 at the end. Records before first_wanted are skipped. */
int log_batch_view_record(const struct log_batch_view *v, uint32_t *pos,
			  uint64_t *index, struct log_record *rec, uint64_t *offset);

/* Opens dir at the first batch that may hold a record with event time >= t
 * (by the segments' time indexes; a caller filters the records). Positioned
 * at the end when no record is that new. */
int log_reader_open_time(struct log_reader **out, const char *dir, uint64_t t);

#define LOG_READER_SEGMENTS_MAX 1000000u  /* bound on a walk over segments */

/* Records passed over because their segment was quarantined. */
uint64_t log_reader_skipped(const struct log_reader *r);
/* Base offset of the segment being read. */
uint64_t log_reader_segment(const struct log_reader *r);

void log_reader_close(struct log_reader *r);

/* What stands between offset and the end of the log in dir: the bytes on
 * disk from the batch holding offset on, and the arrival time (real ns) of
 * the record at offset (0 if there is none). For replication lag. */
struct log_lag {
	uint64_t bytes;
	uint64_t oldest_arrival_ns;
};
int log_reader_lag(const char *dir, uint64_t offset, uint64_t end_offset, struct log_lag *out);

#endif
