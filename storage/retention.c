/* Size and age retention of one log's segments (see retention.h). */
#include "storage/retention.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/log_index.h"
#include "storage/log_segment.h"

struct retention_seg {
	uint64_t base;
	uint64_t bytes;
	int64_t mtime_s;
};

/* The segments in offset order, at most max; returns how many or -errno. */
static int retention_list(const char *dir, struct retention_seg *segs, unsigned max)
{
	char path[LOG_PATH_MAX];
	struct stat st;
	uint64_t base;
	unsigned n = 0;
	int rc = log_segment_first(dir, &base);

	while (rc == 0 && n < max) {
		rc = log_segment_path(path, sizeof(path), dir, base);
		if (rc < 0)
			return rc;
		if (stat(path, &st) < 0)
			return -errno;
		segs[n].base = base;
		segs[n].bytes = (uint64_t)st.st_size;
		segs[n].mtime_s = st.st_mtime;
		n++;
		rc = log_segment_next(dir, base, &base);
	}
	return rc == 0 || rc == -ENOENT ? (int)n : rc;
}

int retention_apply(const char *dir, const struct retention_policy *p, uint64_t replicated,
		    uint64_t now_s, struct retention_result *r)
{
	char path[LOG_PATH_MAX];
	struct retention_seg *segs = malloc(sizeof(*segs) * RETENTION_SEGMENTS_MAX);
	int n, rc = 0;

	memset(r, 0, sizeof(*r));
	if (!segs)
		return -ENOMEM;
	n = retention_list(dir, segs, RETENTION_SEGMENTS_MAX);
	if (n <= 0) {
		free(segs);
		return n;
	}
	for (int i = 0; i < n; i++)
		r->log_bytes += segs[i].bytes;
	r->first_offset = segs[0].base;
	r->tail_base = segs[n - 1].base;
	/* Oldest first; the last segment is the writer's. */
	for (int i = 0; i + 1 < n; i++) {
		uint64_t end = segs[i + 1].base;
		bool over = p->max_bytes && r->log_bytes > p->max_bytes;
		uint64_t age = now_s > (uint64_t)segs[i].mtime_s ? now_s - (uint64_t)segs[i].mtime_s : 0;
		bool old;

		if (p->young_age_s && segs[i].base >= p->young_base && age > p->young_age_s)
			age = p->young_age_s;
		old = p->max_age_s && age > p->max_age_s;

		if (!over && !old)
			break;
		if (p->max_deletes && r->segments == p->max_deletes) {
			r->more = true;  /* unlinking big files is slow: next pass */
			break;
		}
		if (end > replicated && !p->delete_unreplicated) {
			r->held_back = true;
			break;
		}
		rc = log_segment_path(path, sizeof(path), dir, segs[i].base);
		if (rc == 0 && unlink(path) < 0)
			rc = -errno;
		if (rc < 0)
			break;
		/* Its index goes with it; a leftover one would only be stale. */
		if (log_index_path(path, sizeof(path), dir, segs[i].base) == 0)
			(void)unlink(path);
		if (end > replicated)
			r->unreplicated += end - (segs[i].base > replicated ? segs[i].base : replicated);
		r->segments++;
		r->bytes += segs[i].bytes;
		r->log_bytes -= segs[i].bytes;
		r->first_offset = end;
	}
	if (r->segments && rc == 0)
		rc = log_fsync_dir(dir);
	free(segs);
	return rc;
}
