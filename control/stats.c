/* Sums per-lcore counters into one snapshot and renders it. */
#include "control/stats.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "control/repl_broker.h"
#include "platform/clock.h"
#include "storage/log_reader.h"

_Static_assert((int)STATS_DROP_QUEUE_FULL == (int)WORKER_DROP_QUEUE_FULL &&
		       (int)STATS_DROP_NO_BUFFER == (int)WORKER_DROP_NO_BUFFER &&
		       (int)STATS_DROP_DISK_FULL == (int)WORKER_DROP_DISK_FULL &&
		       (int)STATS_DROP_DLQ_RATE == (int)WORKER_DROP_DLQ_RATE &&
		       (int)STATS_DROP_DISK == (int)WORKER_DROPS,
	       "the workers' drop reasons come first, then the disk's");

const char *stats_drop_name(int i)
{
	if (i >= STATS_DROP_PACKET)
		return source_drop_name((enum source_drop)(i - STATS_DROP_PACKET));
	return i < WORKER_DROPS ? worker_drop_name((enum worker_drop)i) : "disk";
}

void stats_source(const struct daemon *d, struct source_queue_stats *qs)
{
	memset(qs, 0, sizeof(*qs));
	for (unsigned i = 0; i < d->worker_count; i++)
		d->source_ops->stats(d->source, i, qs);
}

/* One worker's frame-stage counters; its frames go to *frames. The drop
 * reasons are the workers' own, in their order (asserted above). */
static void stats_add_worker(const struct worker_stats *w, struct stats_snapshot *s,
			     uint64_t *frames)
{
	*frames += counter_get(&w->frames_received);
	for (int r = 0; r < SLF_REASONS; r++)
		s->dlq_by_reason[r] += counter_get(&w->dlq_by_reason[r]);
	for (int k = 0; k < WORKER_DROPS; k++)
		s->drops[k] += counter_get(&w->drops[k]);
	s->raw_seq_evictions += counter_get(&w->raw_seq_evictions);
}

static void stats_collect_workers(const struct daemon *d, struct stats_snapshot *s)
{
	struct source_queue_stats qs;

	stats_source(d, &qs);
	s->packets_received = qs.packets;
	s->datagrams_received = qs.datagrams;
	s->rx_bytes = qs.bytes;
	s->rx_missed_packets = qs.missed;
	s->fragments_received = qs.fragments;
	s->datagrams_reassembled = qs.reassembled;
	s->rx_idle_waits = qs.idle_waits;
	for (int r = 0; r < SOURCE_REPLIES; r++)
		s->replies_sent[r] = qs.replies[r];
	for (int i = 0; i < SOURCE_DROPS; i++)
		s->drops[STATS_DROP_PACKET + i] = qs.drops[i];
	for (unsigned i = 0; i < d->worker_count; i++) {
		const struct srcstat_totals *t;

		stats_add_worker(&d->workers[i]->stats, s, &s->frames_received);
		if (!d->workers[i]->sources)
			continue;
		t = srcstat_totals(d->workers[i]->sources);
		s->sources_tracked += counter_get(&t->tracked);
		s->source_evictions += counter_get(&t->evictions);
		s->source_gaps += counter_get(&t->gaps);
		s->source_dups += counter_get(&t->dups);
		s->source_reordered += counter_get(&t->reordered);
		s->source_stale += counter_get(&t->stale);
		s->source_late += counter_get(&t->late);
		s->source_ahead += counter_get(&t->ahead);
	}
	/* The replayer's frames are replayed, not received. */
	if (d->replayer)
		stats_add_worker(&d->replayer->stats, s, &s->frames_replayed);
}

/* Lag in bytes and seconds: read from the logs at the replicated offsets
 * (one batch each), and the cluster's state from the replicator. */
static void stats_collect_lag(const struct daemon *d, struct stats_snapshot *s)
{
	uint64_t now = clock_real_ns();

	for (int k = 0; d->repl && k < LOG_KINDS; k++) {
		struct log_lag lag;

		if (log_reader_lag(log_writer_dir(d->logs[k]), s->replicated_offset[k],
				   s->durable_offset[k], &lag) < 0)
			continue;
		s->replication_lag_bytes[k] = lag.bytes;
		s->replication_lag_seconds[k] = lag.oldest_arrival_ns && now > lag.oldest_arrival_ns
							? (now - lag.oldest_arrival_ns) / 1000000000ull
							: 0;
	}
	s->replication_lag_seconds_events = s->replication_lag_seconds[LOG_KIND_EVENTS];
	s->replication_lag_bytes_events = s->replication_lag_bytes[LOG_KIND_EVENTS];
	if (d->repl) {
		struct repl_broker_state b;

		repl_broker_state(d->repl, &b);
		s->replication_enabled = 1;
		s->kafka_connected = b.connected;
		s->kafka_brokers_up = b.brokers_up;
		s->kafka_brokers_known = b.brokers_known;
		s->kafka_errors = b.errors;
	}
}

void stats_collect(const struct daemon *d, struct stats_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	stats_collect_workers(d, s);
	for (int k = 0; k < LOG_KINDS; k++) {
		const struct log_writer_stats *ls = log_writer_stats(d->logs[k]);

		s->drops[STATS_DROP_DISK] += counter_get(&ls->records_lost_disk);
		s->commits += counter_get(&ls->commits);
		s->disk_errors += counter_get(&ls->disk_errors);
		s->torn_bytes_cut += counter_get(&ls->torn_bytes_cut);
		s->log_batches_zstd += counter_get(&ls->batches_zstd);
		s->log_batches_plain += counter_get(&ls->batches_plain);
		s->log_body_bytes_in += counter_get(&ls->body_bytes_in);
		s->log_body_bytes_stored += counter_get(&ls->body_bytes_stored);
		s->log_compress_us += counter_get(&ls->compress_ns) / 1000;
		s->recovery_us += counter_get(&ls->recovery_ns) / 1000;
		s->commit_full_wait_us += counter_get(&ls->full_wait_ns) / 1000;
		if (counter_get(&ls->full_wait_ns_max) / 1000 > s->commit_full_wait_us_max)
			s->commit_full_wait_us_max = counter_get(&ls->full_wait_ns_max) / 1000;
		if (counter_get(&ls->commit_ns_max) / 1000 > s->commit_us_max)
			s->commit_us_max = counter_get(&ls->commit_ns_max) / 1000;
		s->durable_offset[k] = log_writer_durable_offset(d->logs[k]);
		/* Without a replicator, its checkpoint on disk says what Kafka has. */
		if (!d->repl)
			s->replicated_offset[k] =
				repl_checkpoint_offset(log_writer_dir(d->logs[k]));
	}
	s->events_durable = counter_get(&log_writer_stats(d->logs[LOG_KIND_EVENTS])->records_durable);
	histo_add_to(&log_writer_stats(d->logs[LOG_KIND_EVENTS])->durable_latency,
		     &s->latency_durable);
	s->dlq_records = counter_get(&log_writer_stats(d->logs[LOG_KIND_DLQ])->records_durable);
	if (d->repl) {
		const struct repl_stats *rs = repl_stats(d->repl);

		s->events_replicated = counter_get(&rs->log[LOG_KIND_EVENTS].acked);
		s->dlq_replicated = counter_get(&rs->log[LOG_KIND_DLQ].acked);
		histo_add_to(&rs->log[LOG_KIND_EVENTS].ack_latency, &s->latency_kafka_ack);
		for (int k = 0; k < LOG_KINDS; k++) {
			s->replicated_offset[k] = counter_get(&rs->log[k].acked_offset);
			s->replication_resent += counter_get(&rs->log[k].resent);
			s->replication_failed += counter_get(&rs->log[k].failed);
		}
		s->transactions_committed = counter_get(&rs->txn_committed);
		s->transactions_aborted = counter_get(&rs->txn_aborted);
	}
	for (int i = 0; i < STATS_DROPS; i++)
		*(i < STATS_DROP_PACKET ? &s->drops_frames : &s->drops_packets) += s->drops[i];
	s->retention_segments_deleted = counter_get(&d->retain.segments_deleted);
	s->clock_jumps = counter_get(&d->watch.clock_jumps);
	s->retention_bytes_deleted = counter_get(&d->retain.bytes_deleted);
	s->retention_unreplicated_deleted = counter_get(&d->retain.unreplicated_deleted);
	s->indexes_rebuilt = counter_get(&d->retain.indexes_rebuilt);
	s->segments_quarantined = counter_get(&d->retain.segments_quarantined);
	s->records_quarantined = counter_get(&d->retain.records_quarantined);
	if (d->repl) {
		s->segments_quarantined += counter_get(&repl_stats(d->repl)->segments_quarantined);
		s->records_quarantined += counter_get(&repl_stats(d->repl)->records_quarantined);
	}
	s->replication_lag_events = s->durable_offset[LOG_KIND_EVENTS] -
				    s->replicated_offset[LOG_KIND_EVENTS];
	stats_collect_lag(d, s);
	s->latency_durable_p50_us = histo_quantile_us(&s->latency_durable, 0.50);
	s->latency_durable_p95_us = histo_quantile_us(&s->latency_durable, 0.95);
	s->latency_durable_p99_us = histo_quantile_us(&s->latency_durable, 0.99);
	s->latency_durable_p999_us = histo_quantile_us(&s->latency_durable, 0.999);
	s->latency_kafka_ack_p50_us = histo_quantile_us(&s->latency_kafka_ack, 0.50);
	s->latency_kafka_ack_p95_us = histo_quantile_us(&s->latency_kafka_ack, 0.95);
	s->latency_kafka_ack_p99_us = histo_quantile_us(&s->latency_kafka_ack, 0.99);
	s->latency_kafka_ack_p999_us = histo_quantile_us(&s->latency_kafka_ack, 0.999);
	s->disk_refusing = atomic_load(&d->refuse_intake);
	s->queue_used = queue_count(d->queue);
	s->queue_capacity = queue_capacity(d->queue);
	s->queue_used_max = counter_get(&d->service.stats.queue_used_max);
}

#define COUNTER(name, help) { #name, offsetof(struct stats_snapshot, name), 1, help }
#define GAUGE(name, help) { #name, offsetof(struct stats_snapshot, name), 0, help }

static const struct {
	const char *name;
	size_t offset;
	int counter;
	const char *help;
} stats_fields[] = {
	COUNTER(packets_received, "packets taken from the source (socket: datagrams)"),
	COUNTER(datagrams_received, "UDP datagrams for us, handed to the frame parser"),
	COUNTER(rx_bytes, "bytes of those datagrams"),
	COUNTER(rx_missed_packets, "packets lost before sluice saw them (socket overflow, "
				   "NIC imissed and rx_nombuf)"),
	COUNTER(fragments_received, "IP fragments given to reassembly"),
	COUNTER(datagrams_reassembled, "datagrams reassembled from fragments"),
	COUNTER(rx_idle_waits, "dpdk: sleeps or RX interrupt waits of idle queues "
			       "(--dpdk-power sleep|interrupt)"),
	COUNTER(frames_received, "frames parsed; a malformed remainder counts one"),
	COUNTER(frames_replayed, "frames put back into the events log from dead letters "
				 "(sluicectl dlq replay)"),
	COUNTER(events_durable, "events written and covered by an fdatasync"),
	COUNTER(events_replicated, "events Kafka acknowledged"),
	COUNTER(dlq_records, "dead letters written and covered by an fdatasync"),
	COUNTER(dlq_replicated, "dead letters Kafka acknowledged"),
	COUNTER(drops_frames, "frames lost after parsing (queue_full, no_buffer, disk_full, "
			      "dlq_rate, disk)"),
	COUNTER(drops_packets, "packets dropped before parsing, by the reasons in drops"),
	GAUGE(replication_lag_events, "durable events Kafka has not acknowledged"),
	GAUGE(replication_lag_bytes_events, "bytes of the events log from Kafka's offset on"),
	GAUGE(replication_lag_seconds_events, "age of the oldest event Kafka has not acknowledged"),
	GAUGE(replication_enabled, "1 when sluiced replicates to Kafka (0: --kafka none)"),
	GAUGE(kafka_connected, "1 while a Kafka broker is up for the producer"),
	GAUGE(kafka_brokers_up, "brokers the producer is connected to"),
	GAUGE(kafka_brokers_known, "brokers the producer knows of"),
	COUNTER(kafka_errors, "errors librdkafka reported (said once each in the daemon log)"),
	COUNTER(replication_resent, "records produced again after a failed delivery"),
	COUNTER(replication_failed, "failed delivery reports"),
	COUNTER(transactions_committed, "exactly-once: Kafka transactions committed"),
	COUNTER(transactions_aborted, "exactly-once: Kafka transactions aborted (their records "
				      "went again in a later one)"),
	GAUGE(queue_used, "batch buffers waiting for the log service"),
	GAUGE(queue_capacity, "capacity of that queue"),
	GAUGE(queue_used_max, "high-water mark of that queue"),
	COUNTER(commits, "fdatasync rounds that moved a durable offset"),
	COUNTER(disk_errors, "failed writes or fdatasyncs; what they lost is in drops"),
	GAUGE(disk_refusing, "1 while free space in the data folder is below its refuse mark "
			     "(new events refused, counted as drops disk_full)"),
	COUNTER(torn_bytes_cut, "bytes of a torn log tail cut at start"),
	COUNTER(log_batches_zstd, "log batches stored zstd-compressed"),
	COUNTER(log_batches_plain, "log batches stored plain (zstd off, or they did not shrink)"),
	COUNTER(log_body_bytes_in, "record bytes written to the logs before compression"),
	COUNTER(log_body_bytes_stored, "the same records as stored on disk"),
	COUNTER(log_compress_us, "time the log service spent compressing, microseconds"),
	GAUGE(recovery_us, "time the logs took to recover at start, microseconds"),
	COUNTER(indexes_rebuilt, "segment indexes rebuilt because missing or damaged"),
	COUNTER(segments_quarantined, "sealed segments moved aside for a bad batch inside"),
	COUNTER(records_quarantined, "offsets those segments held, skipped by readers"),
	GAUGE(commit_us_max, "longest fdatasync round, microseconds"),
	COUNTER(commit_full_wait_us, "time appends waited for a free write buffer, microseconds"),
	GAUGE(commit_full_wait_us_max, "longest such wait, microseconds"),
	COUNTER(retention_segments_deleted, "segments deleted by retention"),
	COUNTER(retention_bytes_deleted, "bytes deleted by retention"),
	COUNTER(retention_unreplicated_deleted, "records retention deleted before Kafka had them"),
	COUNTER(clock_jumps, "steps of the wall clock of a second or more (arrival times follow "
			     "them; retention does not)"),
	COUNTER(raw_seq_evictions, "raw-mode senders whose numbering restarted"),
	GAUGE(sources_tracked, "devices in the workers' source tables (--sources-max each)"),
	COUNTER(source_evictions, "devices dropped from a full source table, one not seen since "
				  "the eviction hand last passed (CLOCK)"),
	GAUGE(source_gaps, "sequence numbers devices skipped and did not send since: loss "
			   "before sluice"),
	COUNTER(source_dups, "sequence numbers a device sent again within the window (kept, "
			     "Kafka header dup=1)"),
	COUNTER(source_reordered, "sequence numbers that came after a higher one, within the "
				  "window"),
	COUNTER(source_stale, "sequence numbers older than the window"),
	COUNTER(source_late, "events that arrived more than --late-ms after their event time"),
	COUNTER(source_ahead, "events whose time was more than --clock-ahead-ms after arrival"),
	GAUGE(latency_durable_p50_us, "arrival to durable, median (within 10 %), microseconds"),
	GAUGE(latency_durable_p95_us, "arrival to durable, 95th percentile, microseconds"),
	GAUGE(latency_durable_p99_us, "arrival to durable, 99th percentile, microseconds"),
	GAUGE(latency_durable_p999_us, "arrival to durable, 99.9th percentile, microseconds"),
	GAUGE(latency_kafka_ack_p50_us, "arrival to Kafka ack (exactly-once: commit), median, "
					"microseconds"),
	GAUGE(latency_kafka_ack_p95_us, "arrival to Kafka ack, 95th percentile, microseconds"),
	GAUGE(latency_kafka_ack_p99_us, "arrival to Kafka ack, 99th percentile, microseconds"),
	GAUGE(latency_kafka_ack_p999_us, "arrival to Kafka ack, 99.9th percentile, microseconds"),
};

static uint64_t stats_field(const struct stats_snapshot *s, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)s + stats_fields[i].offset, sizeof(v));
	return v;
}

/* Prometheus wants base units in names: a "_us" field ("commit_us_max")
 * is exported in seconds ("sluice_commit_seconds_max"). Returns whether
 * the field is in microseconds. */
static bool stats_prom_name(const char *field, char *name, size_t size)
{
	const char *us = strstr(field, "_us");

	while (us && us[3] != '\0' && us[3] != '_')
		us = strstr(us + 1, "_us");
	if (!us) {
		snprintf(name, size, "sluice_%s", field);
		return false;
	}
	snprintf(name, size, "sluice_%.*s_seconds%s", (int)(us - field), field, us + 3);
	return true;
}

void stats_render_prometheus(const struct stats_snapshot *s, FILE *out)
{
	size_t n = sizeof(stats_fields) / sizeof(stats_fields[0]);

	for (size_t i = 0; i < n; i++) {
		const char *suffix = stats_fields[i].counter ? "_total" : "";
		const char *help = stats_fields[i].help, *unit = strstr(help, ", microseconds");
		char name[96];
		bool micro = stats_prom_name(stats_fields[i].name, name, sizeof(name));
		int help_len = unit ? (int)(unit - help) : (int)strlen(help);

		fprintf(out, "# HELP %s%s %.*s%s\n# TYPE %s%s %s\n", name, suffix, help_len, help,
			micro ? ", seconds" : "", name, suffix,
			stats_fields[i].counter ? "counter" : "gauge");
		fprintf(out, "%s%s ", name, suffix);
		if (micro)
			histo_print_seconds(out, stats_field(s, i));
		else
			fprintf(out, "%" PRIu64, stats_field(s, i));
		fputc('\n', out);
	}
	fputs("# HELP sluice_drops_total records dropped after arrival, by stage and reason\n"
	      "# TYPE sluice_drops_total counter\n", out);
	for (int i = 0; i < STATS_DROPS; i++)
		fprintf(out, "sluice_drops_total{stage=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
			i < STATS_DROP_PACKET ? "frame" : "packet", stats_drop_name(i), s->drops[i]);
	fputs("# HELP sluice_replies_total answers the appliance sent, by kind\n"
	      "# TYPE sluice_replies_total counter\n", out);
	for (int r = 0; r < SOURCE_REPLIES; r++)
		fprintf(out, "sluice_replies_total{kind=\"%s\"} %" PRIu64 "\n",
			source_reply_name((enum source_reply)r), s->replies_sent[r]);
	fputs("# HELP sluice_dlq_by_reason_total dead letters by reject reason\n"
	      "# TYPE sluice_dlq_by_reason_total counter\n", out);
	for (int r = 1; r < SLF_REASONS; r++)
		fprintf(out, "sluice_dlq_by_reason_total{reason=\"%s\"} %" PRIu64 "\n",
			slf_reason_name((enum slf_reason)r), s->dlq_by_reason[r]);
	histo_render_prometheus(&s->latency_durable, "sluice_latency_durable_seconds",
				"events: arrival to durable (write and fdatasync done)", out);
	histo_render_prometheus(&s->latency_kafka_ack, "sluice_latency_kafka_ack_seconds",
				"events: arrival to acknowledged by Kafka", out);
	fputs("# HELP sluice_log_durable_offset offset after the last durable record\n"
	      "# TYPE sluice_log_durable_offset gauge\n", out);
	for (int k = 0; k < LOG_KINDS; k++)
		fprintf(out, "sluice_log_durable_offset{log=\"%s\"} %" PRIu64 "\n", log_kind_name(k),
			s->durable_offset[k]);
	fputs("# HELP sluice_log_replicated_offset offset below which Kafka has every record\n"
	      "# TYPE sluice_log_replicated_offset gauge\n", out);
	for (int k = 0; k < LOG_KINDS; k++)
		fprintf(out, "sluice_log_replicated_offset{log=\"%s\"} %" PRIu64 "\n", log_kind_name(k),
			s->replicated_offset[k]);
}

void stats_render(const struct stats_snapshot *s, FILE *out, int json)
{
	size_t n = sizeof(stats_fields) / sizeof(stats_fields[0]);

	fputs(json ? "{" : "", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, json ? "\"%s\":%" PRIu64 "," : "%-24s %" PRIu64 "\n",
			stats_fields[i].name, stats_field(s, i));
	fputs(json ? "\"drops\":{" : "", out);
	for (int i = 0; i < STATS_DROPS; i++)
		fprintf(out, json ? "%s\"%s\":%" PRIu64 : "%sdrops.%-18s %" PRIu64 "\n",
			json ? (i ? "," : "") : "", stats_drop_name(i), s->drops[i]);
	fputs(json ? "},\"replies\":{" : "", out);
	for (int r = 0; r < SOURCE_REPLIES; r++)
		fprintf(out, json ? "%s\"%s\":%" PRIu64 : "%sreplies.%-16s %" PRIu64 "\n",
			json ? (r ? "," : "") : "", source_reply_name((enum source_reply)r),
			s->replies_sent[r]);
	fputs(json ? "},\"dlq_by_reason\":{" : "", out);
	for (int r = 1; r < SLF_REASONS; r++)
		fprintf(out, json ? "%s\"%s\":%" PRIu64 : "%sdlq_reason.%-13s %" PRIu64 "\n",
			json ? (r > 1 ? "," : "") : "", slf_reason_name((enum slf_reason)r),
			s->dlq_by_reason[r]);
	fputs(json ? "}}\n" : "", out);
}

void lag_render(const struct stats_snapshot *s, FILE *out, int json)
{
	if (json) {
		fprintf(out, "{\"replication_lag_events\":%" PRIu64
			",\"durable_offset\":%" PRIu64 ",\"replicated_offset\":%" PRIu64
			",\"dlq_lag_records\":%" PRIu64,
			s->replication_lag_events, s->durable_offset[LOG_KIND_EVENTS],
			s->replicated_offset[LOG_KIND_EVENTS],
			s->durable_offset[LOG_KIND_DLQ] - s->replicated_offset[LOG_KIND_DLQ]);
		for (int k = 0; k < LOG_KINDS; k++)
			fprintf(out, ",\"%s\":{\"lag_records\":%" PRIu64 ",\"lag_bytes\":%" PRIu64
				",\"lag_seconds\":%" PRIu64 "}", log_kind_name(k),
				s->durable_offset[k] - s->replicated_offset[k],
				s->replication_lag_bytes[k], s->replication_lag_seconds[k]);
		fputs("}\n", out);
		return;
	}
	fprintf(out, "replication_lag_events   %" PRIu64 "\n"
		     "durable_offset           %" PRIu64 "\n"
		     "replicated_offset        %" PRIu64 "\n"
		     "dlq_lag_records          %" PRIu64 "\n",
		s->replication_lag_events, s->durable_offset[LOG_KIND_EVENTS],
		s->replicated_offset[LOG_KIND_EVENTS],
		s->durable_offset[LOG_KIND_DLQ] - s->replicated_offset[LOG_KIND_DLQ]);
	for (int k = 0; k < LOG_KINDS; k++)
		fprintf(out, "%-6s lag: %" PRIu64 " records, %" PRIu64 " bytes, oldest %" PRIu64
			" s\n", log_kind_name(k), s->durable_offset[k] - s->replicated_offset[k],
			s->replication_lag_bytes[k], s->replication_lag_seconds[k]);
}
