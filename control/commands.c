/* What the daemon answers: admin requests on its sockets, the health
 * probes and metrics on its HTTP listener, and its status line for
 * systemd. Callbacks with a struct daemon as their context. */
#include "control/commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "control/daemon.h"
#include "control/dlq_replay.h"
#include "control/logtool.h"
#include "control/stats.h"
#include "platform/clock.h"
#include "platform/plog.h"

#define CMD_DLQ_SHOWN 20u  /* dead letters `sluicectl dlq` shows */

static int cmd_refuse_read_only(const struct daemon *d, const char *req, FILE *out)
{
	fprintf(out, "error: '%s' changes the daemon; this socket is read-only: "
		"use the admin socket (%s)\n", req, d->cfg.admin_socket);
	return -EPERM;
}

/* "dlq replay [from=N] [count=N] [reason=R] [as=slf1|raw] [json]" */
static int cmd_dlq_replay(struct daemon *d, const char *req, bool read_only, FILE *out)
{
	struct dlq_replay_req rq;
	struct dlq_replay_result res;
	char err[256];
	int rc;

	if (read_only)
		return cmd_refuse_read_only(d, req, out);
	if (strcmp(d->state, "running") != 0) {
		fprintf(out, "error: dlq replay: the daemon is %s\n", d->state);
		return -EBUSY;
	}
	rc = dlq_replay_parse(req + strlen("dlq replay"), &rq, err, sizeof(err));
	if (rc < 0) {
		fprintf(out, "error: dlq replay: %s\n", err);
		return rc;
	}
	rc = dlq_replay_run(log_writer_dir(d->logs[LOG_KIND_DLQ]),
			    log_writer_durable_offset(d->logs[LOG_KIND_DLQ]), d->replayer, &rq, &res);
	if (rc < 0) {
		fprintf(out, "error: dlq replay from %" PRIu64 ": %s\n", rq.from, strerror(-rc));
		return rc;
	}
	plog_info("dlq replay as %s of dead letters %" PRIu64 "..%" PRIu64 " (reason %s): %"
		  PRIu64 " events to the log, %" PRIu64 " pieces still bad, %" PRIu64 " dropped",
		  rq.as_raw ? "raw" : "slf1", res.from, res.end,
		  rq.reason ? log_dlq_reason_name(rq.reason) : "any", res.events, res.still_bad,
		  res.dropped);
	dlq_replay_render(&rq, &res, out, strstr(req, " json") != NULL);
	return 0;
}

/* Admin requests: "<command> [argument] [json]". */
int cmd_handle(void *ctx, const char *req, bool read_only, FILE *out)
{
	struct daemon *d = ctx;
	struct stats_snapshot s;
	char cmd[32] = "", arg[32] = "", third[32] = "";
	int words = sscanf(req, "%31s %31s %31s", cmd, arg, third);
	int json = strcmp(arg, "json") == 0 || strcmp(third, "json") == 0;

	if (words >= 1 && (strcmp(cmd, "stats") == 0 || strcmp(cmd, "lag") == 0) &&
	    (words == 1 || json)) {
		stats_collect(d, &s);
		if (cmd[0] == 's')
			stats_render(&s, out, json);
		else
			lag_render(&s, out, json);
		return 0;
	}
	if (strcmp(cmd, "segments") == 0 && (words == 1 || json)) {
		stats_collect(d, &s);
		return logtool_segments(d->cfg.data_dir, s.durable_offset, s.replicated_offset,
					out, json);
	}
	if (strcmp(cmd, "dlq") == 0 && strcmp(arg, "replay") == 0)
		return cmd_dlq_replay(d, req, read_only, out);
	if (strcmp(cmd, "dlq") == 0 && (words == 1 || json)) {
		/* The newest dead letters, oldest first. */
		uint64_t end = log_writer_durable_offset(d->logs[LOG_KIND_DLQ]);
		struct logtool_from from = { .offset = end > CMD_DLQ_SHOWN ? end - CMD_DLQ_SHOWN : 0 };

		if (end == 0)
			return json ? 0 : (fputs("no dead letters\n", out), 0);
		return logtool_dump(d->cfg.data_dir, "dlq", &from, end - from.offset, out, json);
	}
	if (strcmp(cmd, "canary") == 0 && (words == 1 || json)) {
		canary_render(&d->canary, clock_mono_ns(), out, json);
		return 0;
	}
	if (strcmp(cmd, "status") == 0 && (words == 1 || json)) {
		status_render(d, out, json);
		return 0;
	}
	if (strcmp(cmd, "replication") == 0 && words == 2 &&
	    (strcmp(arg, "pause") == 0 || strcmp(arg, "resume") == 0)) {
		if (read_only)
			return cmd_refuse_read_only(d, req, out);
		if (!d->repl) {
			fputs("error: replication is off (--kafka none)\n", out);
			return -EINVAL;
		}
		repl_pause(d->repl, arg[0] == 'p');
		fprintf(out, "replication %s\n", arg[0] == 'p' ? "paused" : "resumed");
		return 0;
	}
	fprintf(out, "error: unknown request '%s'\n", req);
	return -EINVAL;
}

/* Runs on the metrics thread: reads only the main loop's stamps. */
bool cmd_probe(void *ctx, bool ready, FILE *out)
{
	const struct daemon *d = ctx;
	uint64_t now = clock_mono_ns();

	return ready ? health_ready(&d->health, now, out) : health_live(&d->health, now, out);
}

/* Runs on the metrics thread: reads only lock-free counters. */
void cmd_render_metrics(void *ctx, FILE *out)
{
	struct stats_snapshot s;

	const struct daemon *d = ctx;

	stats_collect(d, &s);
	stats_render_prometheus(&s, out);
	canary_render_prometheus(&d->canary, clock_mono_ns(), out);
}

/* One line for systemd's STATUS. */
void cmd_status_line(void *ctx, char *buf, unsigned size)
{
	const struct daemon *d = ctx;
	struct stats_snapshot s;

	stats_collect(d, &s);
	snprintf(buf, size, "%s: %" PRIu64 " events durable, %" PRIu64 " dead letters, "
		 "replication lag %" PRIu64 " events%s", d->state, s.events_durable, s.dlq_records,
		 s.replication_lag_events, !d->repl ? " (kafka none)" :
		 s.kafka_connected ? "" : ", Kafka NOT CONNECTED");
}
