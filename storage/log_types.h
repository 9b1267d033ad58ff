/* The on-disk layout of the segment log (format version 1), and the record
 * encoding that producers of events (the dataplane) write into batches.
 *
 * A log is a folder of segment files named by the offset of their first
 * record, "%020llu.log", each with its index "%020llu.idx" once sealed
 * (storage/log_index.c draws that file; an index is derived data, rebuilt
 * when missing). A segment found damaged inside is renamed
 * "%020llu.log.quarantined" and its offsets are passed over. A segment is a
 * header and then record batches:
 *
 *   segment header, 32 bytes
 *   +0  u32 magic 'SLSG'      +4 u16 version (1)   +6 u16 header bytes (32)
 *   +8  u64 base_offset       +16 u64 created_ns (real time)
 *   +24 u32 reserved (0)      +28 u32 crc32c of bytes 0..27
 *
 *   batch header, 40 bytes, then the body as stored
 *   +0  u32 magic 'SLBT'      +4 u32 batch_bytes (header + body as stored)
 *   +8  u64 base_offset       +16 u32 record_count
 *   +20 u16 flags (bit 0: the body is one zstd frame; set only when that
 *                  saved at least 1/16, so batch_bytes - 40 < body_bytes)
 *   +22 u16 reserved (0)      +24 u64 first_arrival_ns
 *   +32 u32 body_bytes (the records' bytes, uncompressed)
 *   +36 u32 crc32c of header bytes 0..35 followed by the stored body
 *
 *   record, 40 bytes, then payload
 *   +0  u32 record_bytes (40 + payload)   +4 u16 schema_id
 *   +6  u8 flags (bit 0: canary)          +7 u8 dlq_reason (enum log_dlq_reason)
 *   +8  u64 source_id   +16 u64 seq   +24 u64 event_time_ns
 *   +32 u64 arrival_ns  +40 payload
 *
 * All integers little-endian. Record i of a batch has offset base_offset + i;
 * offsets are dense across batches and segments. A batch is written whole by
 * one write and made durable whole by one fdatasync round, so a reader that
 * sees base_offset < durable offset may trust all of it.
 */
#ifndef SLUICE_STORAGE_LOG_TYPES_H
#define SLUICE_STORAGE_LOG_TYPES_H

#include <stdint.h>
#include <string.h>

#include "platform/le.h"

#define LOG_FORMAT_VERSION 1
#define LOG_SEGMENT_MAGIC 0x47534c53u /* "SLSG" */
#define LOG_BATCH_MAGIC 0x54424c53u   /* "SLBT" */
#define LOG_SEGMENT_HEADER_BYTES 32u
#define LOG_BATCH_HEADER_BYTES 40u
#define LOG_RECORD_HEADER_BYTES 40u
#define LOG_BATCH_FLAG_ZSTD 0x1u
#define LOG_RECORD_FLAG_CANARY 0x1u  /* as SLF1's flag: a canary event */
/* Set by sluice, never by a frame (SLF1 refuses reserved flag bits): its
 * source sent this sequence number before, within the window (Kafka
 * header dup=1; kept, so at-least-once stays honest). */
#define LOG_RECORD_FLAG_DUP 0x80u
#define LOG_RECORD_FLAGS_AT 6u       /* the flags byte within an encoded record */

/* The largest payload a record holds: an SLF1 payload fills a UDP datagram
 * at most (65507 - 36), a raw or DLQ payload is one datagram (65507). */
#define LOG_PAYLOAD_BYTES_MAX 65535u
#define LOG_RECORD_BYTES_MAX (LOG_RECORD_HEADER_BYTES + LOG_PAYLOAD_BYTES_MAX)

/* The two logs of a data folder. */
enum log_kind { LOG_KIND_EVENTS = 0, LOG_KIND_DLQ = 1, LOG_KINDS = 2 };

/* A log's name: its folder in the data folder, and its label in stats. */
static inline const char *log_kind_name(int k)
{
	return k == LOG_KIND_DLQ ? "dlq" : "events";
}

/* Why a record is a dead letter, as stored: the SLF1 parser's reject reasons
 * (the dataplane asserts the values match). 0 marks an event. Never renumber:
 * logs on disk and Kafka headers carry these. */
enum log_dlq_reason {
	LOG_DLQ_NONE = 0,
	LOG_DLQ_SHORT,    /* fewer bytes left than a frame header */
	LOG_DLQ_MAGIC,
	LOG_DLQ_VERSION,
	LOG_DLQ_FLAGS,    /* a reserved flag bit set */
	LOG_DLQ_LENGTH,   /* payload_len runs past the datagram */
	LOG_DLQ_CRC,
	LOG_DLQ_REASONS
};

static inline const char *log_dlq_reason_name(unsigned reason)
{
	static const char *const names[LOG_DLQ_REASONS] = {
		"ok", "short", "magic", "version", "flags", "length", "crc",
	};

	return reason < LOG_DLQ_REASONS ? names[reason] : "unknown";
}

struct log_record {
	uint16_t schema_id;
	uint8_t flags;
	uint8_t dlq_reason;
	uint64_t source_id;
	uint64_t seq;
	uint64_t event_time_ns;
	uint64_t arrival_ns;
	const uint8_t *payload;
	uint32_t payload_len;
};

static inline uint32_t log_record_bytes(uint32_t payload_len)
{
	return LOG_RECORD_HEADER_BYTES + payload_len;
}

/* Encodes rec at dst, which has room for log_record_bytes(); returns bytes. */
static inline uint32_t log_record_encode(uint8_t *dst, const struct log_record *rec)
{
	uint32_t bytes = log_record_bytes(rec->payload_len);

	le_put32(dst, bytes);
	le_put16(dst + 4, rec->schema_id);
	dst[LOG_RECORD_FLAGS_AT] = rec->flags;
	dst[7] = rec->dlq_reason;
	le_put64(dst + 8, rec->source_id);
	le_put64(dst + 16, rec->seq);
	le_put64(dst + 24, rec->event_time_ns);
	le_put64(dst + 32, rec->arrival_ns);
	if (rec->payload_len)
		memcpy(dst + LOG_RECORD_HEADER_BYTES, rec->payload, rec->payload_len);
	return bytes;
}

/* Decodes a record this process encoded (its size already known good). */
static inline void log_record_decode_trusted(const uint8_t *src, struct log_record *rec)
{
	rec->schema_id = le_get16(src + 4);
	rec->flags = src[LOG_RECORD_FLAGS_AT];
	rec->dlq_reason = src[7];
	rec->source_id = le_get64(src + 8);
	rec->seq = le_get64(src + 16);
	rec->event_time_ns = le_get64(src + 24);
	rec->arrival_ns = le_get64(src + 32);
	rec->payload = src + LOG_RECORD_HEADER_BYTES;
	rec->payload_len = le_get32(src) - LOG_RECORD_HEADER_BYTES;
}

/* Decodes the record at src with avail bytes left in its batch body.
 * Returns its size, or 0 if it does not fit or is malformed. */
static inline uint32_t log_record_decode(const uint8_t *src, uint32_t avail,
					 struct log_record *rec)
{
	uint32_t bytes;

	if (avail < LOG_RECORD_HEADER_BYTES)
		return 0;
	bytes = le_get32(src);
	if (bytes < LOG_RECORD_HEADER_BYTES || bytes > avail ||
	    bytes > LOG_RECORD_BYTES_MAX)
		return 0;
	log_record_decode_trusted(src, rec);
	return bytes;
}

/* Room for one record of the largest size, so any single record fits, and a
 * few dozen small ones so the queue carries bursts rather than packets. */
#define LOG_BATCHBUF_DATA_BYTES (72u * 1024u)

/* What producers (the dataplane's workers) fill and the queue carries to the
 * log service: encoded records of one kind, back to back. */
struct log_batchbuf {
	uint32_t kind;              /* enum log_kind */
	uint32_t count;             /* records */
	uint32_t bytes;             /* used bytes of data */
	uint32_t producer;          /* worker index, for diagnostics */
	uint32_t canary;            /* 1: its one record is sluice's own canary */
	uint64_t first_arrival_ns;  /* real time of the oldest record; 0: untracked */
	uint8_t data[LOG_BATCHBUF_DATA_BYTES];
};

_Static_assert(LOG_BATCHBUF_DATA_BYTES >= LOG_RECORD_BYTES_MAX,
	       "a batch buffer must hold the largest record");

#endif
