/* The Prometheus endpoint: GET /metrics over HTTP (libmicrohttpd, on its own
 * thread). The render callback runs on that thread, so it must only read
 * what is safe to read concurrently (the lock-free counters). */
#ifndef SLUICE_CONTROL_METRICS_H
#define SLUICE_CONTROL_METRICS_H

#include <stdio.h>
#include <sys/socket.h>

typedef void (*metrics_render_fn)(void *ctx, FILE *out);

struct metrics;

/* Listens on addr. Returns 0 or -errno. */
int metrics_start(struct metrics **out, const struct sockaddr_storage *addr,
		  metrics_render_fn render, void *ctx);
void metrics_stop(struct metrics *m);

#endif
