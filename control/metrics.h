/* The Prometheus endpoint and the health probes: GET /metrics, /healthz
 * and /readyz over HTTP (libmicrohttpd, on its own
 * thread). The render callback runs on that thread, so it must only read
 * what is safe to read concurrently (the lock-free counters). */
#ifndef SLUICE_CONTROL_METRICS_H
#define SLUICE_CONTROL_METRICS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

typedef void (*metrics_render_fn)(void *ctx, FILE *out);
/* GET /healthz (ready false) or /readyz (true): writes the reasons it is
 * not, and returns whether it is. Same thread rules as render. */
typedef bool (*metrics_probe_fn)(void *ctx, bool ready, FILE *out);

struct metrics;

/* Listens on addr: /metrics, /healthz, /readyz. Returns 0 or -errno. */
int metrics_start(struct metrics **out, const struct sockaddr_storage *addr,
		  metrics_render_fn render, metrics_probe_fn probe, void *ctx);
void metrics_stop(struct metrics *m);

#endif
