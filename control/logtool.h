/* Offline inspection of a data folder for sluicectl: `log verify` checks
 * every segment of every log, `log dump` prints records. No daemon needed. */
#ifndef SLUICE_CONTROL_LOGTOOL_H
#define SLUICE_CONTROL_LOGTOOL_H

#include <stdint.h>
#include <stdio.h>

/* Returns 0 when every batch checks out, 1 when damage was found, or
 * -errno when the folder cannot be read. */
int logtool_verify(const char *data_dir, FILE *out, int json);

/* Prints count records of log `which` ("events" or "dlq") from offset. */
int logtool_dump(const char *data_dir, const char *which, uint64_t from,
		 uint64_t count, FILE *out, int json);

/* Lists the segment files of both logs: base offset, bytes, the offset
 * range they hold (up to the next segment, or durable[k] for the last) and
 * whether Kafka has all of it (below replicated[k]). Reads no record. */
int logtool_segments(const char *data_dir, const uint64_t durable[2],
		     const uint64_t replicated[2], FILE *out, int json);

#endif
