/* Offline inspection of a data folder for sluicectl: `log verify` checks
 * every segment of every log, `log dump` prints records. No daemon needed. */
#ifndef SLUICE_CONTROL_LOGTOOL_H
#define SLUICE_CONTROL_LOGTOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Returns 0 when every batch checks out, 1 when damage was found, or
 * -errno when the folder cannot be read. */
int logtool_verify(const char *data_dir, FILE *out, int json);

/* Where a dump starts: an offset, or the first record whose event time
 * is at or after time_ns (found by the segments' time indexes). */
struct logtool_from {
	bool by_time;
	bool whole_payload;  /* print payloads whole, not their first 64 bytes */
	uint64_t offset;
	uint64_t time_ns;
};

/* Prints count records of log `which` ("events" or "dlq") from `from`. */
int logtool_dump(const char *data_dir, const char *which, const struct logtool_from *from,
		 uint64_t count, FILE *out, int json);

/* Parses a --from-time value: nanoseconds since the epoch, or UTC as
 * YYYY-MM-DDTHH:MM:SS[Z]. Returns 0 or -EINVAL. */
int logtool_parse_time(const char *s, uint64_t *ns);

/* Lists the segment files of both logs: base offset, bytes, the offset
 * range they hold (up to the next segment, or durable[k] for the last) and
 * whether Kafka has all of it (below replicated[k]). Reads no record. */
int logtool_segments(const char *data_dir, const uint64_t durable[2],
		     const uint64_t replicated[2], FILE *out, int json);

#endif
