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

#endif
