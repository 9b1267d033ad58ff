/* Damage in sealed segments. A segment whose index is missing or damaged
 * gets it rebuilt; a segment with a bad batch inside is quarantined: moved
 * aside as "%020llu.log.quarantined" (kept for an operator, never read
 * again), and readers pass over its offsets. The newest segment is the
 * writer's and is never touched here: recovery cuts its torn tail. */
#ifndef SLUICE_STORAGE_LOG_REPAIR_H
#define SLUICE_STORAGE_LOG_REPAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define LOG_REPAIR_CHECKS_PER_STEP 64u  /* index files looked at per step */

struct log_repair_result {
	uint64_t indexes_rebuilt;
	uint64_t segments_quarantined;
	uint64_t records_quarantined;   /* offsets the quarantined segments held */
	uint64_t quarantined_base;      /* the last one quarantined */
};

/* Moves segment base of dir aside. -EBUSY for the newest segment. Adds to
 * r what it moved. */
int log_repair_quarantine(const char *dir, uint64_t base, struct log_repair_result *r);

/* True when the segment that started at base was quarantined. */
bool log_repair_quarantined(const char *dir, uint64_t base);

/* Checks the index of sealed segments above *cursor, a bounded number per
 * call, rebuilding at most one; a segment found damaged is quarantined.
 * *cursor moves past what was checked (start it at 0 and keep it). */
int log_repair_step(const char *dir, uint64_t *cursor, bool *started,
		    struct log_repair_result *r);

/* Prints the quarantined segments of dir, one line (or JSON object) each;
 * returns how many. */
int log_repair_list(const char *dir, const char *label, FILE *out, int json);

#endif
