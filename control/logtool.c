/* sluicectl log verify|dump: reads the segment files directly. */
#include "control/logtool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "storage/datadir.h"
#include "storage/log_reader.h"
#include "storage/log_repair.h"
#include "storage/log_segment.h"
#include "storage/log_service.h"


struct logtool_totals {
	uint64_t segments, batches, records, bad_bytes;
	int damaged;
};

/* Scans every segment of one log in offset order; damage is reported. With
 * a daemon running on the folder (live), bytes after the last whole batch of
 * the newest segment are a write in progress, not damage. */
static int logtool_verify_log(const char *dir, uint8_t *buf, struct log_codec *codec,
			      struct logtool_totals *t,
			      FILE *out, int json, int live)
{
	char path[LOG_PATH_MAX];
	struct log_scan_result scan;
	uint64_t base, expect, next;
	int rc;

	rc = log_segment_first(dir, &base);
	if (rc == -ENOENT)
		return 0;  /* an empty log */
	if (rc < 0)
		return rc;
	expect = base;
	for (;;) {
		rc = log_segment_path(path, sizeof(path), dir, base);
		if (rc == 0)
			rc = log_segment_scan(path, base, buf, codec, NULL, &scan);
		if (rc < 0)
			return rc;
		/* A gap a quarantined segment explains was reported when it was
		 * moved aside; segments lists it. */
		int gap = base != expect && !log_repair_quarantined(dir, expect);
		int torn = scan.valid_bytes != scan.file_bytes;
		int last = log_segment_next(dir, base, &next) < 0;

		if (torn && last && live) {
			torn = 0;  /* being appended to right now */
			scan.file_bytes = scan.valid_bytes;
		}
		t->segments++;
		t->batches += scan.batches;
		t->records += scan.records;
		t->bad_bytes += scan.file_bytes - scan.valid_bytes;
		t->damaged |= gap || torn;
		if (json)
			fprintf(out, "{\"segment\":\"%s\",\"base_offset\":%" PRIu64 ",\"records\":%"
				PRIu64 ",\"bytes\":%" PRIu64 ",\"bad_bytes\":%" PRIu64 ",\"gap\":%s}\n",
				path, base, scan.records, scan.file_bytes,
				scan.file_bytes - scan.valid_bytes, gap ? "true" : "false");
		else
			fprintf(out, "%s  base %" PRIu64 "  records %" PRIu64 "  bytes %" PRIu64
				"%s%s\n", path, base, scan.records, scan.file_bytes,
				torn ? "  DAMAGED after the last valid batch" : "",
				gap ? "  GAP before this segment" : "");
		expect = scan.next_offset;
		if (last)
			return 0;
		base = next;
	}
}

int logtool_verify(const char *data_dir, FILE *out, int json)
{
	struct logtool_totals t = { 0 };
	char dir[LOG_PATH_MAX];
	uint8_t *buf = malloc(LOG_BATCH_BYTES_MAX);
	struct log_codec *codec = NULL;
	int rc = 0;

	if (!buf || log_codec_create(&codec, 0) < 0) {
		free(buf);
		return -ENOMEM;
	}
	pid_t live = datadir_holder(data_dir);

	if (live > 0 && !json)
		fprintf(out, "sluiced PID %ld is writing to %s: its newest batches may still be "
			     "arriving\n", (long)live, data_dir);
	for (int i = 0; rc == 0 && i < LOG_KINDS; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", data_dir, log_kind_name(i));
		rc = logtool_verify_log(dir, buf, codec, &t, out, json, live > 0);
		if (rc == -ENOENT)
			rc = 0;  /* that log was never written */
	}
	free(buf);
	log_codec_destroy(codec);
	if (rc < 0)
		return rc;
	if (json)
		fprintf(out, "{\"segments\":%" PRIu64 ",\"batches\":%" PRIu64 ",\"records\":%"
			PRIu64 ",\"bad_bytes\":%" PRIu64 ",\"ok\":%s}\n", t.segments, t.batches,
			t.records, t.bad_bytes, t.damaged ? "false" : "true");
	else
		fprintf(out, "%" PRIu64 " segments, %" PRIu64 " batches, %" PRIu64
			" records: %s\n", t.segments, t.batches, t.records,
			t.damaged ? "DAMAGED" : "ok");
	return t.damaged ? 1 : 0;
}

static void logtool_print_record(const struct log_record *r, uint64_t off, bool whole,
				 FILE *out, int json)
{
	uint32_t shown = whole || r->payload_len < 64 ? r->payload_len : 64;

	if (json)
		fprintf(out, "{\"offset\":%" PRIu64 ",\"source_id\":%" PRIu64 ",\"seq\":%" PRIu64
			",\"schema_id\":%u,\"flags\":%u,\"event_time_ns\":%" PRIu64
			",\"arrival_ns\":%" PRIu64 ",\"payload_bytes\":%u%s%s%s,\"payload_hex\":\"",
			off, r->source_id, r->seq, r->schema_id, r->flags, r->event_time_ns,
			r->arrival_ns, r->payload_len, r->dlq_reason ? ",\"dlq_reason\":\"" : "",
			r->dlq_reason ? log_dlq_reason_name(r->dlq_reason) : "",
			r->dlq_reason ? "\"" : "");
	else
		fprintf(out, "%" PRIu64 " source=%" PRIu64 " seq=%" PRIu64 " schema=%u flags=%u"
			" event_time=%" PRIu64 " arrival=%" PRIu64 " bytes=%u%s%s ", off,
			r->source_id, r->seq, r->schema_id, r->flags, r->event_time_ns,
			r->arrival_ns, r->payload_len, r->dlq_reason ? " dlq_reason=" : "",
			r->dlq_reason ? log_dlq_reason_name(r->dlq_reason) : "");
	for (uint32_t i = 0; i < shown; i++)
		fprintf(out, "%02x", r->payload[i]);
	fputs(json ? "\"}\n" : (shown < r->payload_len ? "...\n" : "\n"), out);
}

int logtool_dump(const char *data_dir, const char *which, const struct logtool_from *from,
		 uint64_t count, FILE *out, int json)
{
	char dir[LOG_PATH_MAX];
	struct log_reader *r;
	struct log_batch_view v;
	struct log_record rec;
	uint64_t printed = 0, off, index;
	uint32_t pos;
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s", data_dir, which);
	rc = from->by_time ? log_reader_open_time(&r, dir, from->time_ns)
			   : log_reader_open(&r, dir, from->offset);
	if (rc < 0)
		return rc;
	while (printed < count && (rc = log_reader_next(r, UINT64_MAX, &v)) == 1) {
		pos = 0;
		index = 0;
		while (printed < count && log_batch_view_record(&v, &pos, &index, &rec, &off)) {
			if (from->by_time && rec.event_time_ns < from->time_ns)
				continue;  /* the index finds the batch, not the record */
			logtool_print_record(&rec, off, from->whole_payload, out, json);
			printed++;
		}
	}
	if (log_reader_skipped(r) && !json)
		fprintf(stderr, "sluicectl: %" PRIu64 " offsets passed over: their segment was "
				"deleted or quarantined\n", log_reader_skipped(r));
	log_reader_close(r);
	return rc == -ENODATA || rc >= 0 ? 0 : rc;  /* -ENODATA: the end of the log */
}

int logtool_parse_time(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 };
	const char *end;
	uint64_t v = 0;
	time_t t;

	if (*s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 19) {
		for (; *s; s++)
			v = v * 10 + (uint64_t)(*s - '0');
		*ns = v;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		return -EINVAL;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000ull;
	return 0;
}

int logtool_segments(const char *data_dir, const uint64_t durable[2],
		     const uint64_t replicated[2], FILE *out, int json)
{
	char dir[LOG_PATH_MAX], path[LOG_PATH_MAX];
	uint64_t base, next;
	struct stat st;
	int rc;

	for (int k = 0; k < LOG_KINDS; k++) {
		snprintf(dir, sizeof(dir), "%s/%s", data_dir, log_kind_name(k));
		rc = log_segment_first(dir, &base);
		while (rc == 0) {
			int more = log_segment_next(dir, base, &next) == 0;
			uint64_t end = more ? next : durable[k];

			if (log_segment_path(path, sizeof(path), dir, base) < 0 || stat(path, &st) < 0)
				return -errno;
			if (json)
				fprintf(out, "{\"log\":\"%s\",\"base_offset\":%" PRIu64
					",\"end_offset\":%" PRIu64 ",\"bytes\":%lld,\"replicated\":%s}\n",
					log_kind_name(k), base, end, (long long)st.st_size,
					end <= replicated[k] ? "true" : "false");
			else
				fprintf(out, "%-6s %020" PRIu64 ".log  offsets %" PRIu64 "..%" PRIu64
					"  %lld bytes  %s\n", log_kind_name(k), base, base, end,
					(long long)st.st_size,
					end <= replicated[k] ? "replicated" : "not yet replicated");
			if (!more)
				break;
			base = next;
		}
		if (rc < 0 && rc != -ENOENT)
			return rc;
		rc = log_repair_list(dir, log_kind_name(k), out, json);
		if (rc < 0)
			return rc;
	}
	return 0;
}
