/* A consistent-enough snapshot of every stage's counters, and its renderings
 * for the admin socket. Main thread. */
#ifndef SLUICE_CONTROL_STATS_H
#define SLUICE_CONTROL_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "control/daemon.h"
#include "platform/histo.h"

/* Drops by reason: the frame stage first (records the parser produced and
 * then lost: these close the counter identity), then the packet stage (the
 * source's, before the parser saw anything). */
enum stats_drop {
	STATS_DROP_QUEUE_FULL,
	STATS_DROP_NO_BUFFER,
	STATS_DROP_DISK_FULL,
	STATS_DROP_DLQ_RATE,
	STATS_DROP_DISK,
	STATS_DROP_FRAME_STAGES,
	STATS_DROP_PACKET = STATS_DROP_FRAME_STAGES,  /* + enum source_drop */
	STATS_DROPS = STATS_DROP_PACKET + SOURCE_DROPS
};

struct stats_snapshot {
	uint64_t packets_received;
	uint64_t datagrams_received;
	uint64_t rx_bytes;
	uint64_t rx_missed_packets;
	uint64_t fragments_received;
	uint64_t datagrams_reassembled;
	uint64_t rx_idle_waits;
	uint64_t replies_sent[SOURCE_REPLIES];
	uint64_t drops_frames;       /* frame-stage drops: the identity's term */
	uint64_t drops_packets;      /* packet-stage drops */
	uint64_t retention_segments_deleted;
	uint64_t clock_jumps;
	uint64_t retention_bytes_deleted;
	uint64_t retention_unreplicated_deleted;
	uint64_t frames_received;
	uint64_t frames_replayed;    /* dead letters' frames put back (dlq replay) */
	uint64_t events_durable;
	uint64_t events_replicated;
	uint64_t dlq_records;
	uint64_t dlq_replicated;
	uint64_t dlq_by_reason[SLF_REASONS];
	uint64_t drops[STATS_DROPS];
	uint64_t replication_lag_events;
	uint64_t replication_lag_bytes[LOG_KINDS];    /* on disk, from the replicated offset */
	uint64_t replication_lag_seconds[LOG_KINDS];  /* age of the oldest unreplicated record */
	uint64_t replication_lag_seconds_events;      /* the same for the events log (metric) */
	uint64_t replication_lag_bytes_events;
	uint64_t replication_enabled;  /* 0 with --kafka none */
	uint64_t kafka_connected, kafka_brokers_up, kafka_brokers_known, kafka_errors;
	uint64_t replication_resent;
	uint64_t replication_failed;
	uint64_t transactions_committed, transactions_aborted;
	uint64_t durable_offset[LOG_KINDS];
	uint64_t replicated_offset[LOG_KINDS];
	uint64_t queue_used;
	uint64_t queue_capacity;
	uint64_t queue_used_max;
	uint64_t commit_us_max;
	uint64_t commit_full_wait_us;
	uint64_t commit_full_wait_us_max;
	uint64_t commits;
	uint64_t disk_errors;
	uint64_t disk_refusing;
	uint64_t torn_bytes_cut;
	uint64_t log_batches_zstd, log_batches_plain;
	uint64_t log_body_bytes_in, log_body_bytes_stored;
	uint64_t log_compress_us;
	uint64_t indexes_rebuilt, segments_quarantined, records_quarantined;
	uint64_t recovery_us;
	uint64_t raw_seq_evictions;
	/* source health, summed over the workers' tables */
	uint64_t sources_tracked, source_evictions;
	uint64_t source_gaps, source_dups, source_reordered, source_stale;
	uint64_t source_late, source_ahead;
	uint64_t latency_durable_p50_us, latency_durable_p95_us, latency_durable_p99_us,
		latency_durable_p999_us;
	uint64_t latency_kafka_ack_p50_us, latency_kafka_ack_p95_us, latency_kafka_ack_p99_us,
		latency_kafka_ack_p999_us;
	struct histo_snapshot latency_durable;    /* events: arrival -> durable */
	struct histo_snapshot latency_kafka_ack;  /* events: arrival -> Kafka ack */
};

void stats_collect(const struct daemon *d, struct stats_snapshot *s);
/* The source's counters summed over its queues. */
void stats_source(const struct daemon *d, struct source_queue_stats *qs);
void stats_render(const struct stats_snapshot *s, FILE *out, int json);
void stats_render_prometheus(const struct stats_snapshot *s, FILE *out);
const char *stats_drop_name(int i);
void lag_render(const struct stats_snapshot *s, FILE *out, int json);

#endif
