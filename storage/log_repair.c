/* Index repair and quarantine of sealed segments (see log_repair.h). */
#include "storage/log_repair.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/log_index.h"
#include "storage/log_segment.h"

#define LOG_QUARANTINE_SUFFIX ".quarantined"

static int log_repair_qpath(char *buf, size_t size, const char *dir, uint64_t base)
{
	int rc = log_segment_path(buf, size, dir, base);
	size_t n = strlen(buf);

	if (rc < 0 || n + sizeof(LOG_QUARANTINE_SUFFIX) > size)
		return rc < 0 ? rc : -ENAMETOOLONG;
	memcpy(buf + n, LOG_QUARANTINE_SUFFIX, sizeof(LOG_QUARANTINE_SUFFIX));
	return 0;
}

int log_repair_quarantine(const char *dir, uint64_t base, struct log_repair_result *r)
{
	char path[LOG_PATH_MAX], qpath[LOG_PATH_MAX];
	uint64_t next;
	int rc;

	if (log_segment_next(dir, base, &next) < 0)
		return -EBUSY;  /* the writer's */
	rc = log_segment_path(path, sizeof(path), dir, base);
	if (rc == 0)
		rc = log_repair_qpath(qpath, sizeof(qpath), dir, base);
	if (rc < 0)
		return rc;
	if (rename(path, qpath) < 0)
		return -errno;
	if (log_index_path(path, sizeof(path), dir, base) == 0)
		unlink(path);
	r->segments_quarantined++;
	r->records_quarantined += next - base;
	r->quarantined_base = base;
	return log_fsync_dir(dir);
}

bool log_repair_quarantined(const char *dir, uint64_t base)
{
	char qpath[LOG_PATH_MAX];

	return log_repair_qpath(qpath, sizeof(qpath), dir, base) == 0 &&
	       access(qpath, F_OK) == 0;
}

int log_repair_step(const char *dir, uint64_t *cursor, bool *started,
		    struct log_repair_result *r)
{
	struct log_index *ix = NULL;
	struct log_codec *codec = NULL;
	uint8_t *buf = NULL;
	uint64_t base, next;
	int rc = 0;

	rc = *started ? log_segment_next(dir, *cursor, &base) : log_segment_first(dir, &base);
	for (unsigned n = 0; rc == 0 && n < LOG_REPAIR_CHECKS_PER_STEP; n++) {
		if (log_segment_next(dir, base, &next) < 0)
			break;  /* the newest is the writer's */
		if (!ix && !(ix = malloc(sizeof(*ix)))) {
			rc = -ENOMEM;
			break;
		}
		if (log_index_load(ix, dir, base) < 0) {
			if (!buf && (!(buf = malloc(LOG_BATCH_BYTES_MAX)) ||
				     log_codec_create(&codec, 0) < 0)) {
				rc = -ENOMEM;
				break;
			}
			rc = log_index_build(ix, dir, base, buf, codec);
			if (rc == 0 && ix->end_offset != next)
				rc = -EBADMSG;  /* it ends short of the next one */
			if (rc == 0) {
				rc = log_index_write(ix, dir);
				r->indexes_rebuilt++;
			} else if (rc == -EBADMSG) {
				rc = log_repair_quarantine(dir, base, r);
			}
			if (rc < 0)
				break;
			*cursor = base;
			*started = true;
			break;  /* one segment read per step: the caller has other work */
		}
		*cursor = base;
		*started = true;
		base = next;
	}
	log_codec_destroy(codec);
	free(buf);
	free(ix);
	return rc == -ENOENT ? 0 : rc;
}

int log_repair_list(const char *dir, const char *label, FILE *out, int json)
{
	struct dirent *de;
	struct stat st;
	char path[LOG_PATH_MAX];
	int count = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len != 24 + sizeof(LOG_QUARANTINE_SUFFIX) - 1 ||
		    strcmp(de->d_name + 24, LOG_QUARANTINE_SUFFIX) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) < 0)
			continue;
		if (json)
			fprintf(out, "{\"log\":\"%s\",\"quarantined\":\"%s\",\"base_offset\":%.20s,"
				"\"bytes\":%lld}\n", label, path, de->d_name, (long long)st.st_size);
		else
			fprintf(out, "%-6s %s  QUARANTINED (a bad batch inside; its offsets are "
				"skipped)  %lld bytes\n", label, de->d_name, (long long)st.st_size);
		count++;
	}
	closedir(d);
	return count;
}
