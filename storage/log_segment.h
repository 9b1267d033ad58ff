/* Segment files: naming, lookup, headers, batch validation and the scan that
 * finds the valid end of a segment (recovery, verify). */
#ifndef SLUICE_STORAGE_LOG_SEGMENT_H
#define SLUICE_STORAGE_LOG_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "storage/log_codec.h"
#include "storage/log_types.h"

/* A batch never exceeds this; readers size their buffer by it. */
#define LOG_BATCH_BYTES_MAX (1u << 20)
#define LOG_PATH_MAX 512

struct log_batch_header {
	uint32_t batch_bytes;
	uint64_t base_offset;
	uint32_t record_count;
	uint16_t flags;
	uint64_t first_arrival_ns;
	uint32_t body_bytes;   /* plain; stored: batch_bytes - header */
	uint32_t crc;
};

int log_segment_path(char *buf, size_t size, const char *dir, uint64_t base);

/* Largest segment base <= offset in dir: 0 and *base set, -ENOENT if none. */
int log_segment_find(const char *dir, uint64_t offset, uint64_t *base);
/* Smallest segment base > after: 0 and *base set, -ENOENT if none. */
int log_segment_next(const char *dir, uint64_t after, uint64_t *base);
/* The oldest segment's base: 0 and *base set, -ENOENT for an empty log. */
int log_segment_first(const char *dir, uint64_t *base);
/* Parses a segment file name, "%020llu.log": 0 and *base, or -EINVAL. */
int log_segment_parse_name(const char *name, uint64_t *base);

void log_segment_header_encode(uint8_t *p, uint64_t base, uint64_t created_ns);
/* Checks magic, version, size and CRC; returns 0 or -EBADMSG. */
int log_segment_header_check(const uint8_t *p, uint64_t expected_base);

/* Writes the header of a batch whose body (body_bytes, at p + 40) is in
 * place; fills in the CRC. */
void log_batch_header_encode(uint8_t *p, const struct log_batch_header *h);
/* Decodes and bounds-checks a batch header; -EBADMSG if it is not one. */
int log_batch_header_decode(const uint8_t *p, struct log_batch_header *h);
/* Checks the CRC over the stored bytes, decompresses a zstd body with codec,
 * and checks that the plain body splits into exactly record_count records.
 * Returns 0 and sets *plain to it (batch + 40, or the codec's buffer, valid
 * until its next use), or -EBADMSG. */
int log_batch_check(const uint8_t *batch, const struct log_batch_header *h,
		    struct log_codec *codec, const uint8_t **plain);

struct log_scan_result {
	uint64_t valid_bytes;   /* end of the last valid batch in the file */
	uint64_t next_offset;   /* offset after its last record */
	uint64_t batches;
	uint64_t records;
	uint64_t file_bytes;
	int stop_reason;        /* 0 at a clean end, else -EBADMSG at a bad batch */
};

/* Reads the segment at path from its header to the first invalid or torn
 * batch. buf holds LOG_BATCH_BYTES_MAX bytes; codec reads zstd batches. Returns 0 or -errno for I/O. */
struct log_index;

/* ... and notes each valid batch in ix (may be NULL, else reset by the caller). */
int log_segment_scan(const char *path, uint64_t base, uint8_t *buf,
		     struct log_codec *codec, struct log_index *ix,
		     struct log_scan_result *res);

/* Reads exactly len bytes at off; -ENODATA at end of file, or -errno. */
int log_segment_pread(int fd, uint8_t *buf, size_t len, uint64_t off);

int log_fsync_dir(const char *dir);

#endif
