/* Dead letters back into the events log: SLF1 salvage or raw events. */
#include "control/dlq_replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/num.h"
#include "storage/log_reader.h"

static const uint8_t dlq_slf_start[3] = { 'S', 'L', SLF_VERSION };

static int dlq_reason_parse(const char *name, unsigned *reason)
{
	if (strcmp(name, "any") == 0) {
		*reason = LOG_DLQ_NONE;
		return 0;
	}
	for (unsigned r = 1; r < LOG_DLQ_REASONS; r++) {
		if (strcmp(name, log_dlq_reason_name(r)) == 0) {
			*reason = r;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *dlq_replay_want(const char *name)
{
	if (strcmp(name, "reason") == 0)
		return "any, short, magic, version, flags, length or crc";
	if (strcmp(name, "as") == 0)
		return "slf1 or raw";
	if (strcmp(name, "count") == 0)
		return "1 to 100000";
	return "an offset of the DLQ log";
}

/* One "name=value" word of a replay request; false when it is not good. */
static bool dlq_replay_word(char *w, struct dlq_replay_req *req)
{
	char *v = strchr(w, '=');
	uint64_t n;

	if (!v)
		return false;
	*v++ = '\0';
	if (strcmp(w, "reason") == 0)
		return dlq_reason_parse(v, &req->reason) == 0;
	if (strcmp(w, "as") == 0) {
		req->as_raw = strcmp(v, "raw") == 0;
		return req->as_raw || strcmp(v, "slf1") == 0;
	}
	if (strcmp(w, "from") != 0 && strcmp(w, "count") != 0)
		return false;
	if (!num_u64(v, &n))
		return false;
	if (w[0] == 'f')
		req->from = n;
	else
		req->count = n;
	return w[0] == 'f' || (n >= 1 && n <= DLQ_REPLAY_MAX);
}

int dlq_replay_parse(const char *const *words, unsigned n, struct dlq_replay_req *req,
		     char *err, size_t err_size)
{
	char w[256];

	memset(req, 0, sizeof(*req));
	req->count = DLQ_REPLAY_MAX;
	for (unsigned i = 0; i < n; i++) {
		const char *word = words[i];

		if (strcmp(word, "json") == 0)
			continue;
		snprintf(w, sizeof(w), "%s", word);  /* dlq_replay_word cuts it at '=' */
		if (dlq_replay_word(w, req))
			continue;
		if (strchr(word, '=') && strcspn(word, "=") < 16)
			snprintf(err, err_size, "--%.*s '%s': want %s", (int)strcspn(word, "="),
				 word, strchr(word, '=') + 1, dlq_replay_want(w));
		else
			snprintf(err, err_size, "unexpected '%s'", word);
		return -EINVAL;
	}
	return 0;
}

/* The valid SLF1 frames of a dead letter: after each bad frame, on from
 * the next SLF1 header (a false one there fails its CRC). */
static void dlq_replay_slf1(struct worker *rw, const struct log_record *dl, uint64_t now,
			    struct dlq_replay_result *res)
{
	static struct slf_frame frames[SLF_FRAMES_MAX];
	const uint8_t *p = dl->payload;
	uint32_t len = dl->payload_len, pos = 0;
	struct slf_fault fault;

	while (pos < len) {
		uint32_t n = slf_parse(p + pos, len - pos, frames, SLF_FRAMES_MAX, &fault);
		const uint8_t *next;

		for (uint32_t i = 0; i < n; i++) {
			struct log_record rec = {
				.schema_id = frames[i].schema_id,
				.flags = frames[i].flags,
				.source_id = frames[i].source_id,
				.seq = frames[i].seq,
				.event_time_ns = frames[i].event_time_ns,
				.arrival_ns = now,
				.payload = frames[i].payload,
				.payload_len = frames[i].payload_len,
			};

			worker_put_event(rw, &rec);
		}
		res->events += n;
		if (fault.reason == SLF_OK)
			return;
		res->still_bad++;
		pos += fault.offset + 1;  /* each turn moves on: the loop ends */
		next = pos < len ? memmem(p + pos, len - pos, dlq_slf_start, sizeof(dlq_slf_start))
				 : NULL;
		if (!next)
			return;
		pos = (uint32_t)(next - p);
	}
}

static void dlq_replay_raw(struct worker *rw, const struct log_record *dl, uint64_t offset,
			   uint64_t now, struct dlq_replay_result *res)
{
	struct log_record rec = {
		.source_id = dl->source_id ^ rw->cfg.raw_id_salt,
		.seq = DLQ_REPLAY_RAW_SEQ | offset,
		.event_time_ns = dl->event_time_ns,
		.arrival_ns = now,
		.payload = dl->payload,
		.payload_len = dl->payload_len,
	};

	worker_put_event(rw, &rec);
	res->events++;
}

static uint64_t dlq_replay_drops(const struct worker *rw)
{
	uint64_t n = 0;

	for (int i = 0; i < WORKER_DROPS; i++)
		n += counter_get(&rw->stats.drops[i]);
	return n;
}

int dlq_replay_run(const char *dlq_dir, uint64_t durable_end, struct worker *rw,
		   const struct dlq_replay_req *req, struct dlq_replay_result *res)
{
	uint64_t limit, drops0 = dlq_replay_drops(rw), off, index, now = clock_real_ns();
	struct log_reader *r;
	struct log_batch_view v;
	struct log_record rec;
	uint32_t pos;
	int rc;

	memset(res, 0, sizeof(*res));
	res->from = res->end = req->from;
	res->log_end = durable_end;
	if (req->from >= durable_end)
		return 0;
	limit = durable_end - req->from > req->count ? req->from + req->count : durable_end;
	rc = log_reader_open(&r, dlq_dir, req->from);
	if (rc < 0)
		return rc;
	while ((rc = log_reader_next(r, limit, &v)) == 1) {
		pos = 0;
		index = 0;
		while (log_batch_view_record(&v, &pos, &index, &rec, &off)) {
			if (off >= limit)
				break;
			res->records++;
			res->end = off + 1;
			if (req->reason != LOG_DLQ_NONE && rec.dlq_reason != req->reason)
				continue;
			res->matched++;
			if (req->as_raw)
				dlq_replay_raw(rw, &rec, off, now, res);
			else
				dlq_replay_slf1(rw, &rec, now, res);
		}
	}
	log_reader_close(r);
	worker_flush_all(rw);
	res->dropped = dlq_replay_drops(rw) - drops0;
	if (res->end < limit && rc == 0)
		res->end = limit;  /* the rest was quarantined or deleted */
	return rc < 0 ? rc : 0;
}

void dlq_replay_render(const struct dlq_replay_req *req, const struct dlq_replay_result *res,
		       FILE *out, int json)
{
	bool more = res->end < res->log_end;

	if (json) {
		fprintf(out, "{\"from\":%" PRIu64 ",\"end\":%" PRIu64 ",\"as\":\"%s\",\"reason\":\"%s\""
			",\"records\":%" PRIu64 ",\"matched\":%" PRIu64 ",\"events\":%" PRIu64
			",\"still_bad\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"more\":%s}\n",
			res->from, res->end, req->as_raw ? "raw" : "slf1",
			req->reason ? log_dlq_reason_name(req->reason) : "any", res->records,
			res->matched, res->events, res->still_bad, res->dropped,
			more ? "true" : "false");
		return;
	}
	if (res->records == 0) {
		fprintf(out, "no dead letters from offset %" PRIu64 " (the DLQ log ends at %" PRIu64
			")\n", res->from, res->log_end);
		return;
	}
	fprintf(out, "replayed dead letters %" PRIu64 "..%" PRIu64 " as %s: %" PRIu64
		" read, %" PRIu64 " with reason %s; %" PRIu64 " events to the log, %" PRIu64
		" pieces still bad, %" PRIu64 " dropped\n", res->from, res->end,
		req->as_raw ? "raw" : "slf1", res->records, res->matched,
		req->reason ? log_dlq_reason_name(req->reason) : "any", res->events,
		res->still_bad, res->dropped);
	if (more)
		fprintf(out, "more remain: go on with --from %" PRIu64 "\n", res->end);
}
