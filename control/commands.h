/* The daemon's answers: admin requests (admin_handler_fn), /healthz and
 * /readyz (metrics_probe_fn), /metrics (metrics_render_fn) and systemd's
 * STATUS line. ctx is the struct daemon. */
#ifndef SLUICE_CONTROL_COMMANDS_H
#define SLUICE_CONTROL_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

/* Admin requests: "<command> [argument] [json]"; on the read-only socket
 * a command that changes the daemon is refused. */
int cmd_handle(void *ctx, const char *req, bool read_only, FILE *out);
#define CMD_WORDS_MAX 8u  /* words of a request, "json" included */

/* Which command a request names (whole words), without running it. */
struct cmd_match {
	const char *name, *sub;          /* sub NULL: none */
	bool changes;                    /* refused on the read-only socket */
	const char *args[CMD_WORDS_MAX]; /* the words after them, valid until the next call */
	unsigned nargs;
};

/* For the request fuzzer; one caller at a time. */
bool cmd_match(const char *req, struct cmd_match *m);
/* Metrics thread: reads only the main loop's stamps / lock-free counters. */
bool cmd_probe(void *ctx, bool ready, FILE *out);
void cmd_render_metrics(void *ctx, FILE *out);
/* Main thread: one line for systemd's STATUS. */
void cmd_status_line(void *ctx, char *buf, unsigned size);

#endif
