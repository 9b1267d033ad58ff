/* GET /metrics in Prometheus text format, served by libmicrohttpd. */
#include "control/metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#define METRICS_CONNECTIONS_MAX 16
#define METRICS_TIMEOUT_S 5

struct metrics {
	struct MHD_Daemon *mhd;
	metrics_render_fn render;
	metrics_probe_fn probe;
	void *ctx;
};

static enum MHD_Result metrics_reply(struct MHD_Connection *c, unsigned status,
				     char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result metrics_handle(void *cls, struct MHD_Connection *c,
				      const char *url, const char *method,
				      const char *version, const char *upload_data,
				      size_t *upload_data_size, void **con_cls)
{
	struct metrics *m = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *out;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	bool probe = strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0, ok = true;
	static const char usage[] = "only GET /metrics, /healthz, /readyz\n";

	if (strcmp(method, "GET") != 0 || (!probe && strcmp(url, "/metrics") != 0))
		return metrics_reply(c, strcmp(method, "GET") ? 405 : 404, strdup(usage),
				     sizeof(usage) - 1);
	out = open_memstream(&body, &len);
	if (!out)
		return MHD_NO;
	if (probe) {
		ok = m->probe(m->ctx, url[1] == 'r', out);
		if (ok)
			fputs("ok\n", out);
	} else {
		m->render(m->ctx, out);
	}
	fclose(out);
	/* A probe that fails answers 503, as Kubernetes and load balancers expect. */
	return metrics_reply(c, ok ? 200 : 503, body, len);
}

int metrics_start(struct metrics **out, const struct sockaddr_storage *addr,
		  metrics_render_fn render, metrics_probe_fn probe, void *ctx)
{
	struct metrics *m = calloc(1, sizeof(*m));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	uint16_t port;

	if (!m)
		return -ENOMEM;
	m->render = render;
	m->probe = probe;
	m->ctx = ctx;
	if (addr->ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	}
	m->mhd = MHD_start_daemon(flags, port, NULL, NULL, metrics_handle, m,
				  MHD_OPTION_SOCK_ADDR, addr,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTIONS_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!m->mhd) {
		int err = errno ? -errno : -EADDRINUSE;

		free(m);
		return err;
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
