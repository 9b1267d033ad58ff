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
/* Which command a request names (whole words), without running it: its
 * name, subcommand (NULL: none) and whether it changes the daemon. For
 * the request fuzzer. */
bool cmd_match(const char *req, const char **name, const char **sub, bool *changes);
/* Metrics thread: reads only the main loop's stamps / lock-free counters. */
bool cmd_probe(void *ctx, bool ready, FILE *out);
void cmd_render_metrics(void *ctx, FILE *out);
/* Main thread: one line for systemd's STATUS. */
void cmd_status_line(void *ctx, char *buf, unsigned size);

#endif
