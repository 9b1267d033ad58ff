/* Link and loss lines in the daemon log (see watch.h). */
#include "control/watch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "control/daemon.h"
#include "control/stats.h"
#include "platform/plog.h"

static void watch_source(struct watch *w, const struct daemon *d, uint64_t now_ns)
{
	struct source_queue_stats qs;
	struct source_info si;
	uint64_t missed;

	stats_source(d, &qs);
	missed = qs.missed;
	d->source_ops->info(d->source, &si);
	if (!w->started) {
		w->started = true;
		w->link_up = si.link_up;
		w->missed = missed;
		if (si.link_up == 0)
			plog_warn("port %d (%s): link down at start", si.port_id, si.name);
		return;
	}
	if (si.link_up >= 0 && si.link_up != w->link_up) {
		if (si.link_up)
			plog_info("port %d (%s): link up, %u Mb/s", si.port_id, si.name,
				  si.link_speed_mbps);
		else
			plog_warn("port %d (%s): link down", si.port_id, si.name);
		w->link_up = si.link_up;
	}
	if (missed > w->missed &&
	    now_ns - w->missed_logged_ns >= WATCH_MISSED_EVERY_S * 1000000000ull) {
		plog_warn("%" PRIu64 " packets lost before sluice saw them (%s); see "
			  "rx_missed_packets", missed - w->missed,
			  si.port_id < 0 ? "socket buffer overflow: raise --rcvbuf-bytes"
					 : "NIC imissed/rx_nombuf: more workers or --rx-desc");
		w->missed = missed;
		w->missed_logged_ns = now_ns;
	}
}

/* Write and sync failures of either log: said with what they lost. */
static void watch_writes(struct watch *w, struct daemon *d, uint64_t now_ns)
{
	uint64_t errors = 0, lost = 0;

	for (int k = 0; k < LOG_KINDS; k++) {
		const struct log_writer_stats *ls = log_writer_stats(d->logs[k]);

		errors += counter_get(&ls->disk_errors);
		lost += counter_get(&ls->records_lost_disk);
	}
	if (errors > w->write_errors &&
	    (!w->write_error_ns ||
	     now_ns - w->write_error_ns >= WATCH_MISSED_EVERY_S * 1000000000ull)) {
		plog_err("disk: %" PRIu64 " failed write(s) or fdatasync(s) in %s since the last "
			 "report; %" PRIu64 " records lost (drops.disk)", errors - w->write_errors,
			 d->cfg.data_dir, lost - w->write_lost);
		if (!d->degraded[0] || w->write_degraded)
			snprintf(d->degraded, sizeof(d->degraded), "disk: writes failing in %s; "
				 "records lost (drops.disk)", d->cfg.data_dir);
		w->write_degraded = true;
		w->write_errors = errors;
		w->write_lost = lost;
		w->write_error_ns = now_ns;
	} else if (w->write_degraded &&
		   now_ns - w->write_error_ns >= WATCH_WRITE_CLEAR_S * 1000000000ull) {
		plog_info("disk: no failed write for %u s in %s", WATCH_WRITE_CLEAR_S,
			  d->cfg.data_dir);
		if (!atomic_load(&d->refuse_intake))
			d->degraded[0] = '\0';
		w->write_degraded = false;
	}
}

static void watch_disk(struct watch *w, struct daemon *d)
{
	struct statvfs fs;
	uint64_t free_mb, size_mb, refuse = d->cfg.disk_refuse_free_mb;
	uint64_t resume = d->cfg.disk_resume_free_mb;
	bool refusing = atomic_load(&d->refuse_intake);
	const char *which = "--disk-refuse-free-mb";

	if (statvfs(d->cfg.data_dir, &fs) < 0) {
		if (!w->disk_error_said)
			plog_warn("disk: cannot read the free space of %s: %s", d->cfg.data_dir,
				  strerror(errno));
		w->disk_error_said = true;
		return;
	}
	free_mb = (uint64_t)fs.f_bavail * fs.f_frsize >> 20;
	size_mb = (uint64_t)fs.f_blocks * fs.f_frsize >> 20;
	/* A mark in percent suits boxes whose disks differ; the larger wins. */
	if (size_mb * d->cfg.disk_refuse_free_pct / 100 > refuse) {
		refuse = size_mb * d->cfg.disk_refuse_free_pct / 100;
		which = "--disk-refuse-free-pct";
	}
	if (size_mb * d->cfg.disk_resume_free_pct / 100 > resume)
		resume = size_mb * d->cfg.disk_resume_free_pct / 100;
	if (resume < refuse)
		resume = refuse;
	if (!refusing && refuse && free_mb < refuse) {
		snprintf(d->degraded, sizeof(d->degraded), "disk: %" PRIu64 " MB free in %s, below "
			 "%s (%" PRIu64 " MB): new events refused (drops.disk_full)",
			 free_mb, d->cfg.data_dir, which, refuse);
		atomic_store(&d->refuse_intake, true);
		plog_warn("%s until %" PRIu64 " MB are free", d->degraded, resume);
	} else if (refusing && (free_mb >= resume || !refuse)) {
		atomic_store(&d->refuse_intake, false);
		d->degraded[0] = '\0';
		plog_info("disk: %" PRIu64 " MB free in %s: accepting events again", free_mb,
			  d->cfg.data_dir);
	}
}

/* Arrival times are the wall clock's, so they step with it; retention
 * ages segments by the steady clock, so it does not. */
static void watch_clock(struct watch *w, struct daemon *d)
{
	int64_t step = clock_watch_check(&d->clock);
	uint64_t size = (uint64_t)(step < 0 ? -step : step);

	if (!step)
		return;
	counter_add(&w->clock_jumps, 1);
	plog_warn("the wall clock jumped %s by %" PRIu64 ".%03" PRIu64 " s: arrival times follow "
		  "it from now on; retention still ages segments by the time that really passed",
		  step > 0 ? "forward" : "back", size / 1000000000u, size / 1000000u % 1000u);
}

void watch_run(struct watch *w, struct daemon *d, uint64_t now_ns)
{
	if (w->started && now_ns - w->checked_ns < 1000000000ull)
		return;
	w->checked_ns = now_ns;
	watch_source(w, d, now_ns);
	watch_writes(w, d, now_ns);
	watch_disk(w, d);
	watch_clock(w, d);
}
