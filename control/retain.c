/* Periodic retention of both logs (see retain.h). */
#include "control/retain.h"

#include <inttypes.h>
#include <string.h>

#include "control/daemon.h"
#include "platform/clock.h"
#include "platform/plog.h"
#include "storage/log_repair.h"
#include "storage/retention.h"

static void retain_log(struct retain *r, const struct daemon *d, int k, uint64_t now_s,
		       uint64_t up_s)
{
	const char *dir = log_writer_dir(d->logs[k]);
	struct retention_policy p = {
		.max_bytes = k == LOG_KIND_EVENTS ? d->cfg.retention_bytes : d->cfg.dlq_retention_bytes,
		.max_age_s = 3600 * (k == LOG_KIND_EVENTS ? d->cfg.retention_hours
							  : d->cfg.dlq_retention_hours),
		.delete_unreplicated = strcmp(d->cfg.retention_unreplicated, "delete") == 0,
		.max_deletes = RETAIN_DELETES_PER_PASS,
		.young_base = r->young_base[k] ? r->young_base[k] : UINT64_MAX,
		.young_age_s = up_s + 1,
	};
	/* What survives a restart is the checkpoint, so that is what Kafka has. */
	uint64_t replicated = d->repl ? repl_checkpoint_offset(dir) : UINT64_MAX;
	struct retention_result res;
	int rc = retention_apply(dir, &p, replicated, now_s, &res);

	counter_add(&r->segments_deleted, res.segments);
	counter_add(&r->bytes_deleted, res.bytes);
	counter_add(&r->unreplicated_deleted, res.unreplicated);
	r->more |= res.more;
	if (!r->young_base[k] && rc >= 0 && res.log_bytes)
		r->young_base[k] = res.tail_base + 1;
	if (rc < 0)
		plog_warn("retention of %s: %s", dir, strerror(-rc));
	if (res.segments)
		plog_info("retention: %s: deleted %" PRIu64 " segment(s), %" PRIu64 " MB; it now "
			  "starts at offset %" PRIu64 " and holds %" PRIu64 " MB", log_kind_name(k),
			  res.segments, res.bytes >> 20, res.first_offset, res.log_bytes >> 20);
	if (res.unreplicated)
		plog_warn("retention: %s: %" PRIu64 " records deleted before Kafka had them "
			  "(--retention-unreplicated delete)", log_kind_name(k), res.unreplicated);
	if (res.held_back && !r->held_said[k])
		plog_warn("retention: %s holds %" PRIu64 " MB, over its limit, but Kafka has not "
			  "taken offsets from %" PRIu64 " on: kept", log_kind_name(k),
			  res.log_bytes >> 20, replicated);
	r->held_said[k] = res.held_back;
}

static void retain_repair(struct retain *r, const struct daemon *d, int k)
{
	const char *dir = log_writer_dir(d->logs[k]);
	struct log_repair_result res = { 0 };
	int rc = log_repair_step(dir, &r->repair_cursor[k], &r->repair_started[k], &res);

	counter_add(&r->indexes_rebuilt, res.indexes_rebuilt);
	counter_add(&r->segments_quarantined, res.segments_quarantined);
	counter_add(&r->records_quarantined, res.records_quarantined);
	if (rc < 0)
		plog_warn("index check of %s: %s", dir, strerror(-rc));
	if (res.indexes_rebuilt)
		plog_info("%s: rebuilt the index of segment %020" PRIu64, log_kind_name(k),
			  r->repair_cursor[k]);
	if (res.segments_quarantined)
		plog_err("%s: segment %020" PRIu64 " has a bad batch inside: quarantined as "
			 "%020" PRIu64 ".log.quarantined, its %" PRIu64 " offsets skipped",
			 log_kind_name(k), res.quarantined_base, res.quarantined_base,
			 res.records_quarantined);
}

void retain_run(struct retain *r, const struct daemon *d, uint64_t now_ns)
{
	uint64_t period = (r->more ? RETAIN_BUSY_PERIOD_S : RETAIN_PERIOD_S) * 1000000000ull;

	if (r->checked_ns && now_ns - r->checked_ns < period)
		return;
	/* The steady wall clock: a step of the wall clock neither ages every
	 * segment at once (forward) nor makes them young again (back). */
	uint64_t now_s = clock_watch_steady_real_ns(&d->clock) / 1000000000ull;
	uint64_t up_s = (clock_mono_ns() - d->clock.mono0_ns) / 1000000000ull;

	r->checked_ns = now_ns;
	r->more = false;
	for (int k = 0; k < LOG_KINDS; k++) {
		retain_log(r, d, k, now_s, up_s);
		retain_repair(r, d, k);
	}
}
