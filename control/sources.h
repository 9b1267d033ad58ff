/* `sluicectl sources` and `sluicectl source ID`: the devices the workers'
 * source tables hold, read through each entry's seqlock (srcstat_read),
 * the top N by one measure kept in a heap of N, so a listing costs one
 * pass over the tables and no allocation beyond N. Main thread. */
#ifndef SLUICE_CONTROL_SOURCES_H
#define SLUICE_CONTROL_SOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SOURCES_TOP_DEFAULT 20u
#define SOURCES_TOP_MAX 1000u
#define SOURCES_METRICS_TOP 5u  /* devices per top-N metric */

enum sources_sort {
	SOURCES_BY_GAPS,
	SOURCES_BY_DUPS,
	SOURCES_BY_LATE,
	SOURCES_BY_SKEW,     /* |arrival - event time|, smoothed */
	SOURCES_BY_RATE,     /* events per second between first and last seen */
	SOURCES_SORTS
};

struct sources_req {
	unsigned top;
	enum sources_sort sort;
	bool silent;         /* only those quiet for --source-silence-s */
};

struct daemon;

/* Parses "top=N", "sort=K", "silent"; 0 or -EINVAL with err filled. */
int sources_parse(const char *const *args, unsigned n, struct sources_req *rq, char *err,
		  size_t err_size);
/* The listing, most first; JSON Lines with json. */
int sources_render(const struct daemon *d, const struct sources_req *rq, FILE *out, bool json);
/* The low watermark of a schema: the event time before which, by
 * --late-ms, all its events are believed to have arrived: the oldest of
 * the workers' newest on-time event times (a worker that never saw the
 * schema does not hold it back), less --late-ms. 0: none yet. */
uint64_t sources_watermark(const struct daemon *d, uint16_t schema);
/* sluice_watermark_seconds{schema="N"} for each schema seen. */
void sources_render_watermarks(const struct daemon *d, FILE *out);

/* sluice_sources_silent, and sluice_source_top_{gaps,dups,late,
 * offset_seconds}{rank,source_id}: the SOURCES_METRICS_TOP devices with
 * the most of each, so a dashboard names the worst devices without a
 * series per device. One pass over the tables. */
void sources_render_metrics(const struct daemon *d, FILE *out);

/* One device; -ENOENT (said on out) when no table holds it. */
int source_render(const struct daemon *d, uint64_t source_id, FILE *out, bool json);

#endif
