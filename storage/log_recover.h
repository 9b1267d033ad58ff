/* Recovery of a log at open. Only the tail segment is read, and the one
 * before it when its index file is missing: an index is written only once
 * its segment is complete and durable, and the writer rolls again only
 * after the segment before has been synced, so nothing older can be torn.
 * A torn segment before the tail means no fdatasync covered the tail yet:
 * the tail goes, and the cut continues in the segment before. */
#ifndef SLUICE_STORAGE_LOG_RECOVER_H
#define SLUICE_STORAGE_LOG_RECOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/log_codec.h"
#include "storage/log_index.h"

struct log_recovery {
	bool empty;             /* no segment: start one at offset 0 */
	bool recreate;          /* the tail has no valid header: write it again */
	uint64_t tail_base;
	uint64_t tail_bytes;    /* valid length of the tail, after any cut */
	uint64_t next_offset;   /* offset after the last valid record */
	uint64_t torn_bytes;    /* bytes cut (and whole torn segments removed) */
	uint64_t scanned_bytes; /* what recovery read */
};

/* Recovers the log in dir: cuts what is torn, fills tail_ix with the tail
 * segment's index. segment_bytes sizes that index. Returns 0 or -errno. */
int log_recover(const char *dir, uint64_t segment_bytes, struct log_codec *codec,
		struct log_index *tail_ix, struct log_recovery *out);

#endif
