/* sluicectl status: what the daemon is, where it listens, its device and
 * the Kafka cluster as its producer sees it. */
#include "control/status.h"

#include <inttypes.h>
#include <stdbool.h>

#include "control/repl_broker.h"
#include "platform/clock.h"

/* Writes s as a JSON string: quotes, backslashes and control bytes escaped. */
static void status_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* The source's device: driver, link, RSS and offloads (DPDK), or sockets. */
static void status_render_source(const struct daemon *d, FILE *out, int json)
{
	struct source_info si;

	d->source_ops->info(d->source, &si);
	if (json) {
		fputs(",\"port\":{\"driver\":", out);
		status_json_str(out, si.driver);
		if (si.port_id < 0) {
			fputs("}", out);
			return;
		}
		fputs(",\"name\":", out);
		status_json_str(out, si.name);
		fprintf(out, ",\"port_id\":%d,\"mac\":\"%s\",\"numa_socket\":%d,"
			"\"link_up\":%s,\"link_speed_mbps\":%u,\"full_duplex\":%s,"
			"\"rx_queues\":%u,\"rx_desc\":%u,\"tx_desc\":%u,\"rss\":%s,\"rss_note\":",
			si.port_id, si.mac, si.numa_socket, si.link_up ? "true" : "false",
			si.link_speed_mbps, si.full_duplex ? "true" : "false", si.queues, si.rx_desc,
			si.tx_desc, si.rss ? "true" : "false");
		status_json_str(out, si.rss_note);
		fprintf(out, ",\"ip_checksum_offload\":%s,\"udp_checksum_offload\":%s}",
			si.ip_cksum_offload ? "true" : "false",
			si.udp_cksum_offload ? "true" : "false");
		return;
	}
	fprintf(out, "%-12s %s\n", "driver", si.driver);
	if (si.port_id < 0)
		return;
	fprintf(out, "%-12s %d (%s), MAC %s, NUMA node %d\n", "port", si.port_id, si.name,
		si.mac, si.numa_socket);
	fprintf(out, "%-12s %s, %u Mb/s, %s duplex\n", "link", si.link_up ? "up" : "down",
		si.link_speed_mbps, si.full_duplex ? "full" : "half");
	fprintf(out, "%-12s %u RX/TX queue pair(s), %u/%u descriptors\n", "queues", si.queues,
		si.rx_desc, si.tx_desc);
	fprintf(out, "%-12s %s%s%s\n", "rss", si.rss ? "on (UDP 4-tuple)" : "off",
		si.rss ? "" : ": ", si.rss ? "" : si.rss_note);
	fprintf(out, "%-12s IPv4 header %s, UDP %s\n", "checksums",
		si.ip_cksum_offload ? "by the NIC" : "in software",
		si.udp_cksum_offload ? "by the NIC" : "in software");
}

/* The cluster as the producer sees it: connected, brokers, last error. */
static void status_render_kafka(const struct daemon *d, FILE *out, int json)
{
	struct repl_broker_state b;
	char when[40] = "";

	if (!d->repl)
		return;
	repl_broker_state(d->repl, &b);
	if (b.last_error_ns)
		clock_utc_text(b.last_error_ns, when, sizeof(when));
	if (json) {
		fprintf(out, ",\"kafka_connected\":%s,\"kafka_brokers_up\":%u,"
			"\"kafka_brokers_known\":%u,\"kafka_brokers\":",
			b.connected ? "true" : "false", b.brokers_up, b.brokers_known);
		status_json_str(out, b.brokers);
		fputs(",\"kafka_last_error\":", out);
		status_json_str(out, b.last_error);
		fputs(",\"kafka_last_error_at\":", out);
		status_json_str(out, when);
		return;
	}
	fprintf(out, "%-12s %s (%u of %u brokers up%s%s)\n", "kafka_state",
		b.connected ? "connected" : "NOT CONNECTED", b.brokers_up, b.brokers_known,
		b.brokers[0] ? ": " : "", b.brokers);
	if (b.last_error[0])
		fprintf(out, "%-12s %s at %s\n", "kafka_error", b.last_error, when);
}

void status_render(const struct daemon *d, FILE *out, int json)
{
	uint64_t up_s = (clock_mono_ns() - d->clock.mono0_ns) / 1000000000ull;
	const char *repl = !d->repl ? "off"
			   : counter_get(&repl_stats(d->repl)->paused) ? "paused" : "on";
	const char *keys[] = { "state", "health", "degraded_reason", "source", "mode", "data_dir",
			       "kafka", "topic", "replication", "delivery", "metrics" };
	const char *vals[] = { daemon_state_name(d->state), d->degraded[0] ? "degraded" : "ok", d->degraded,
			       d->cfg.source, d->cfg.mode, d->cfg.data_dir, d->cfg.kafka,
			       d->cfg.topic, repl, d->cfg.delivery, d->cfg.metrics };

	if (json) {
		fprintf(out, "{\"uptime_s\":%" PRIu64 ",\"workers\":%u,\"listen\":[", up_s,
			d->worker_count);
		for (unsigned l = 0; l < d->cfg.listen_count; l++) {
			fputs(l ? "," : "", out);
			status_json_str(out, d->cfg.listen_uri[l]);
		}
		fputs("]", out);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			fprintf(out, ",\"%s\":", keys[i]);
			status_json_str(out, vals[i]);
		}
		status_render_source(d, out, json);
		status_render_kafka(d, out, json);
		fputs("}\n", out);
		return;
	}
	fprintf(out, "%-12s %" PRIu64 "\n%-12s %u\n", "uptime_s", up_s, "workers",
		d->worker_count);
	for (unsigned l = 0; l < d->cfg.listen_count; l++)
		fprintf(out, "%-12s %s\n", "listen", d->cfg.listen_uri[l]);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (vals[i][0])
			fprintf(out, "%-12s %s\n", i == 2 ? "reason" : keys[i], vals[i]);
	status_render_source(d, out, json);
	status_render_kafka(d, out, json);
}
