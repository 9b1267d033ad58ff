/* Retention: deletes a log's oldest segments while the log is over its size
 * limit or a segment's newest write is older than its age limit. Never the
 * newest segment (the writer's), and never one holding records Kafka has
 * not taken (at or above `replicated`) unless the policy allows it; what
 * that deletes is counted. Control thread. */
#ifndef SLUICE_STORAGE_RETENTION_H
#define SLUICE_STORAGE_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#define RETENTION_SEGMENTS_MAX 65536u  /* looked at per pass */

struct retention_policy {
	uint64_t max_bytes;          /* 0: no size limit */
	uint64_t max_age_s;          /* 0: no age limit */
	bool delete_unreplicated;
	uint32_t max_deletes;        /* per pass, so a pass stays short; 0: no cap */
	/* Segments from young_base on were made within the last young_age_s
	 * seconds (this run of the daemon): their age is at most that, whatever
	 * their mtime says after the wall clock stepped back. 0: not known. */
	uint64_t young_base;
	uint64_t young_age_s;
};

struct retention_result {
	uint64_t segments, bytes;    /* deleted */
	uint64_t unreplicated;       /* records deleted before Kafka had them */
	uint64_t log_bytes;          /* what the log holds afterwards */
	uint64_t first_offset;       /* its oldest record's offset afterwards */
	uint64_t tail_base;          /* the base of its last (the writer's) segment */
	bool held_back;              /* over a limit, kept for Kafka */
	bool more;                   /* stopped at max_deletes with more to do */
};

/* One pass over the log in dir; now_s is real time. Returns 0 or -errno
 * (what was deleted before an error stays counted in r). */
int retention_apply(const char *dir, const struct retention_policy *p, uint64_t replicated,
		    uint64_t now_s, struct retention_result *r);

#endif
