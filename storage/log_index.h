/* The index of one segment: sparse entries (offset, file position, newest
 * event time so far) over its batches, so a reader finds a batch by offset
 * or by event time without walking the segment. The writer keeps the tail
 * segment's index in memory and writes it beside the segment, as
 * "%020llu.idx", once the segment is complete and durable; so a valid index
 * file also says its segment ends cleanly. An index is derived data: when
 * it is missing or damaged, it is rebuilt from the segment. */
#ifndef SLUICE_STORAGE_LOG_INDEX_H
#define SLUICE_STORAGE_LOG_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/log_codec.h"

#define LOG_INDEX_ENTRIES_MAX 4096u       /* per segment; the interval grows to fit */
#define LOG_INDEX_INTERVAL_MIN (64u << 10) /* file bytes between entries, at least */

struct log_index_entry {
	uint64_t offset;    /* base offset of the batch */
	uint64_t pos;       /* its file position */
	uint64_t time_max;  /* newest event time in the segment up to its end */
};

struct log_index {
	uint64_t base;          /* the segment's base offset */
	uint64_t end_offset;    /* offset after its last record */
	uint64_t valid_bytes;   /* end of its last batch */
	uint64_t time_max;      /* newest event time in it; 0: no record */
	uint64_t interval;      /* file bytes between entries */
	uint32_t count;
	struct log_index_entry e[LOG_INDEX_ENTRIES_MAX];
};

/* An empty index of the segment at base, one entry per interval bytes, the
 * interval chosen so a segment of segment_bytes fits the entries. */
void log_index_reset(struct log_index *ix, uint64_t base, uint64_t segment_bytes);

/* A batch of count records at file position pos, batch_bytes long, whose
 * newest event time is time_max, follows the last one noted. */
void log_index_note(struct log_index *ix, uint64_t pos, uint64_t offset, uint32_t count,
		    uint32_t batch_bytes, uint64_t time_max);

/* Forgets every batch from file position pos on (a cut tail). */
void log_index_cut(struct log_index *ix, uint64_t pos, uint64_t end_offset);

/* The last indexed batch at or before offset (the segment's start if none):
 * reading on from at->pos, whose first record is at->offset, reaches it. */
void log_index_seek_offset(const struct log_index *ix, uint64_t offset,
			   struct log_index_entry *at);

/* Where to read from so that every record with event time >= t is ahead;
 * -ENOENT when the segment holds none. */
int log_index_seek_time(const struct log_index *ix, uint64_t t, struct log_index_entry *at);

/* Writes the index file beside the segment (temporary file, rename). */
int log_index_write(const struct log_index *ix, const char *dir);

/* Loads the index file of segment base and checks it against the segment's
 * size: -ENOENT when missing, -EBADMSG when damaged or stale. */
int log_index_load(struct log_index *ix, const char *dir, uint64_t base);

/* Rebuilds the index of segment base by reading it whole (buf holds
 * LOG_BATCH_BYTES_MAX). Returns 0 when the segment is whole, -EBADMSG when
 * it stops at a bad batch (ix then covers what precedes it), or -errno. */
int log_index_build(struct log_index *ix, const char *dir, uint64_t base, uint8_t *buf,
		    struct log_codec *codec);

int log_index_path(char *buf, size_t size, const char *dir, uint64_t base);

/* Newest event time among the encoded records at p (bytes long). */
uint64_t log_index_records_time_max(const uint8_t *p, uint32_t bytes);

#endif
