/* What the daemon answers: admin requests on its sockets, the health
 * probes and metrics on its HTTP listener, and its status line for
 * systemd. Callbacks with a struct daemon as their context. */
#include "control/commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon.h"
#include "control/dlq_replay.h"
#include "control/logtool.h"
#include "control/sources.h"
#include "control/stats.h"
#include "control/status.h"
#include "platform/clock.h"
#include "platform/num.h"
#include "platform/plog.h"

#define CMD_DLQ_SHOWN 20u  /* dead letters `sluicectl dlq` shows */
#define CMD_WORD_BYTES 64u

/* A parsed admin request: "<command> [<subcommand>] [<argument>...] [json]". */
struct cmd_req {
	char words[CMD_WORDS_MAX][CMD_WORD_BYTES];
	unsigned nwords;             /* without the trailing "json" */
	int json;
};

struct cmd_def {
	const char *name, *sub;      /* sub NULL: the command alone */
	unsigned args;               /* words after name (and sub) */
	bool changes;                /* refused on the read-only socket */
	int (*run)(struct daemon *d, const struct cmd_req *r, FILE *out);
};

/* The words after the first base ones (command, subcommand): their count. */
static unsigned cmd_args(const struct cmd_req *r, unsigned base, const char **args)
{
	unsigned n = 0;

	for (unsigned i = base; i < r->nwords; i++)
		args[n++] = r->words[i];
	return n;
}

static int cmd_stats(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	struct stats_snapshot s;

	stats_collect(d, &s);
	stats_render(&s, out, r->json);
	return 0;
}

static int cmd_lag(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	struct stats_snapshot s;

	stats_collect(d, &s);
	lag_render(&s, out, r->json);
	return 0;
}

static int cmd_segments(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	struct stats_snapshot s;

	stats_collect(d, &s);
	return logtool_segments(d->cfg.data_dir, s.durable_offset, s.replicated_offset, out,
				r->json);
}

static int cmd_status(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	status_render(d, out, r->json);
	return 0;
}

static int cmd_canary(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	canary_render(&d->canary, clock_mono_ns(), out, r->json);
	return 0;
}

/* The newest dead letters, oldest first. */
static int cmd_dlq_list(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	uint64_t end = log_writer_durable_offset(d->logs[LOG_KIND_DLQ]);
	struct logtool_from from = { .offset = end > CMD_DLQ_SHOWN ? end - CMD_DLQ_SHOWN : 0 };

	if (end == 0)
		return r->json ? 0 : (fputs("no dead letters\n", out), 0);
	return logtool_dump(d->cfg.data_dir, "dlq", &from, end - from.offset, out, r->json);
}

/* One dead letter whole: "dlq show OFFSET". */
static int cmd_dlq_show(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	uint64_t end = log_writer_durable_offset(d->logs[LOG_KIND_DLQ]);
	struct logtool_from from = { .whole_payload = true };
	const char *arg = r->words[2];

	if (!num_u64(arg, &from.offset) || from.offset >= end) {
		fprintf(out, "error: dlq show '%s': want an offset of the DLQ log, 0 to %" PRIu64
			"\n", arg, end ? end - 1 : 0);
		return -EINVAL;
	}
	return logtool_dump(d->cfg.data_dir, "dlq", &from, 1, out, r->json);
}

/* "dlq replay [from=N] [count=N] [reason=R] [as=slf1|raw] [json]" */
static int cmd_dlq_replay(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	struct dlq_replay_req rq;
	struct dlq_replay_result res;
	const char *args[CMD_WORDS_MAX];
	char err[256];
	int rc;

	if (d->state != DAEMON_RUNNING) {
		fprintf(out, "error: dlq replay: the daemon is %s\n", daemon_state_name(d->state));
		return -EBUSY;
	}
	rc = dlq_replay_parse(args, cmd_args(r, 2, args), &rq, err, sizeof(err));
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
	dlq_replay_render(&rq, &res, out, r->json);
	return 0;
}

/* "sources [top=N] [sort=K] [silent] [json]" */
static int cmd_sources(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	const char *args[CMD_WORDS_MAX];
	struct sources_req rq;
	char err[160];
	int rc = sources_parse(args, cmd_args(r, 1, args), &rq, err, sizeof(err));

	if (rc < 0) {
		fprintf(out, "error: sources: %s\n", err);
		return rc;
	}
	if (!d->cfg.sources_max || strcmp(d->cfg.mode, "raw") == 0) {
		fputs("error: source health is off (--sources-max 0, or --mode raw)\n", out);
		return -EINVAL;
	}
	return sources_render(d, &rq, out, r->json);
}

/* "source ID [json]" */
static int cmd_source(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	const char *arg = r->words[1];
	uint64_t id;

	if (!num_u64(arg, &id)) {
		fprintf(out, "error: source '%s': want a source id (a whole number)\n", arg);
		return -EINVAL;
	}
	return source_render(d, id, out, r->json);
}

static int cmd_replication(struct daemon *d, const struct cmd_req *r, FILE *out)
{
	bool pause = strcmp(r->words[1], "pause") == 0;

	if (!d->repl) {
		fputs("error: replication is off (--kafka none)\n", out);
		return -EINVAL;
	}
	repl_pause(d->repl, pause);
	if (r->json)
		fprintf(out, "{\"replication\":\"%s\"}\n", pause ? "paused" : "resumed");
	else
		fprintf(out, "replication %s\n", pause ? "paused" : "resumed");
	return 0;
}

/* Whole words only: "stat" is not "stats". dlq replay takes name=value
 * words of its own (dlq_replay_parse checks them). */
static const struct cmd_def cmd_table[] = {
	{ "status", NULL, 0, false, cmd_status },
	{ "stats", NULL, 0, false, cmd_stats },
	{ "lag", NULL, 0, false, cmd_lag },
	{ "segments", NULL, 0, false, cmd_segments },
	{ "sources", NULL, UINT32_MAX, false, cmd_sources },
	{ "source", NULL, 1, false, cmd_source },
	{ "canary", NULL, 0, false, cmd_canary },
	{ "dlq", NULL, 0, false, cmd_dlq_list },
	{ "dlq", "list", 0, false, cmd_dlq_list },
	{ "dlq", "show", 1, false, cmd_dlq_show },
	{ "dlq", "replay", UINT32_MAX, true, cmd_dlq_replay },
	{ "replication", "pause", 0, true, cmd_replication },
	{ "replication", "resume", 0, true, cmd_replication },
};

static int cmd_parse(const char *req, struct cmd_req *r)
{
	char buf[CMD_WORDS_MAX * CMD_WORD_BYTES], *save = NULL;

	memset(r, 0, sizeof(*r));
	if (strlen(req) >= sizeof(buf))
		return -E2BIG;
	memcpy(buf, req, strlen(req) + 1);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (r->nwords == CMD_WORDS_MAX || strlen(w) >= CMD_WORD_BYTES)
			return -E2BIG;
		snprintf(r->words[r->nwords++], CMD_WORD_BYTES, "%s", w);
	}
	if (r->nwords > 1 && strcmp(r->words[r->nwords - 1], "json") == 0) {
		r->json = 1;
		r->nwords--;
	}
	return r->nwords ? 0 : -EINVAL;
}

/* The table's entry a parsed request names, or NULL. */
static const struct cmd_def *cmd_find(const struct cmd_req *r)
{
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++) {
		const struct cmd_def *c = &cmd_table[i];
		unsigned base = c->sub ? 2 : 1;

		if (strcmp(r->words[0], c->name) != 0 ||
		    (c->sub && (r->nwords < 2 || strcmp(r->words[1], c->sub) != 0)))
			continue;
		if (c->args != UINT32_MAX && r->nwords != base + c->args)
			continue;
		return c;
	}
	return NULL;
}

bool cmd_match(const char *req, struct cmd_match *m)
{
	static struct cmd_req r;  /* m->args point into it: one caller at a time */
	const struct cmd_def *c = cmd_parse(req, &r) < 0 ? NULL : cmd_find(&r);

	if (!c)
		return false;
	m->name = c->name;
	m->sub = c->sub;
	m->changes = c->changes;
	m->nargs = cmd_args(&r, c->sub ? 2 : 1, m->args);
	return true;
}

int cmd_handle(void *ctx, const char *req, bool read_only, FILE *out)
{
	struct daemon *d = ctx;
	const struct cmd_def *c;
	struct cmd_req r;

	c = cmd_parse(req, &r) < 0 ? NULL : cmd_find(&r);
	if (!c) {
		fprintf(out, "error: unknown request '%s'\n", req);
		return -EINVAL;
	}
	if (c->changes && read_only) {
		fprintf(out, "error: '%s' changes the daemon; this socket is read-only: "
			"use the admin socket (%s)\n", req, d->cfg.admin_socket);
		return -EPERM;
	}
	return c->run(d, &r, out);
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
	sources_render_watermarks(d, out);
	sources_render_metrics(d, out);
}

/* One line for systemd's STATUS. */
void cmd_status_line(void *ctx, char *buf, unsigned size)
{
	const struct daemon *d = ctx;
	struct stats_snapshot s;

	stats_collect(d, &s);
	snprintf(buf, size, "%s: %" PRIu64 " events durable, %" PRIu64 " dead letters, "
		 "replication lag %" PRIu64 " events%s", daemon_state_name(d->state), s.events_durable, s.dlq_records,
		 s.replication_lag_events, !d->repl ? " (kafka none)" :
		 s.kafka_connected ? "" : ", Kafka NOT CONNECTED");
}
