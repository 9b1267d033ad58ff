/* The sluiced settings table (see opts_table.h). */
#include "control/opts_table.h"

#include "control/opts.h"
#include "dataplane/pkt.h"
#include "platform/addr.h"
#include "storage/log_codec.h"

#define OFF(f) offsetof(struct sluiced_config, f)

const struct opt_def opt_table[] = {
	[OPT_CONFIG] = { "config", OPT_STR, OFF(config), 1, OPTS_STR_MAX - 1, NULL, NULL, false,
	  "INI file of these settings (name = value); flags override it" },
	[OPT_SOURCE] = { "source", OPT_CHOICE, OFF(source), 0, 0, "socket", "socket|dpdk", false,
	  "packet source" },
	[OPT_MODE] = { "mode", OPT_CHOICE, OFF(mode), 0, 0, "slf1", "slf1|raw", false,
	  "frame format: SLF1 frames, or one raw event per datagram" },
	[OPT_LISTEN] = { "listen", OPT_LIST, OFF(listen_uri), 0, OPTS_STR_MAX - 1, "udp://0.0.0.0:7611",
	  NULL, false, "udp://ADDR:PORT to receive on (repeatable)" },
	{ "data-dir", OPT_STR, OFF(data_dir), 1, OPTS_STR_MAX - 64, "/var/lib/sluice",
	  NULL, false, "folder of the logs and checkpoints" },
	{ "kafka", OPT_STR, OFF(kafka), 1, OPTS_STR_MAX - 1, "127.0.0.1:19092", NULL,
	  false, "bootstrap list, or \"none\" to keep the log only" },
	{ "topic", OPT_STR, OFF(topic), 1, 200, "sluice.events", NULL, false,
	  "default topic; dead letters go to TOPIC.dlq" },
	{ "admin-socket", OPT_STR, OFF(admin_socket), 1, 107, "/run/sluice/sluiced.sock",
	  NULL, false, "Unix socket for sluicectl" },
	{ "ready-kafka-outage-s", OPT_U64, OFF(ready_kafka_outage_s), 0, 86400, "300", NULL,
	  false, "/readyz fails once Kafka has been unreachable this long (the log keeps "
		 "everything meanwhile)" },
	{ "user", OPT_STR, OFF(user), 0, 63, "", NULL, false,
	  "once the EAL, ports, sockets and files are open, run as this user (the data "
	  "folder is handed to it); empty: stay as started" },
	{ "group", OPT_STR, OFF(group), 0, 63, "", NULL, false,
	  "... and this group (default: the user's own)" },
	{ "admin-group", OPT_STR, OFF(admin_group), 0, 63, "", NULL, false,
	  "group of the admin socket (mode 0660): its members may run every command; "
	  "empty: the daemon's own group" },
	{ "read-socket", OPT_STR, OFF(read_socket), 0, 107, "", NULL, false,
	  "a second, read-only Unix socket for monitoring (status, stats, lag, segments, "
	  "dlq, canary); empty: none" },
	{ "read-group", OPT_STR, OFF(read_group), 0, 63, "", NULL, false,
	  "group of the read-only socket (mode 0660)" },
	{ "metrics", OPT_STR, OFF(metrics), 1, 63, "none", NULL, false,
	  "ADDR:PORT of the Prometheus endpoint (/metrics), or none" },
	{ "appliance-id", OPT_STR, OFF(appliance_id), 1, 128, NULL, NULL, false,
	  "value of the appliance-id header (default: host name)" },
	{ "log-level", OPT_CHOICE, OFF(log_level), 0, 0, "info", "error|warning|info|debug",
	  true, "daemon log verbosity" },
	{ "workers", OPT_U64, OFF(workers), 1, SOURCE_QUEUES_MAX, "1", NULL, false,
	  "RX worker lcores" },
	{ "rcvbuf-bytes", OPT_U64, OFF(rcvbuf_bytes), 65536, 1u << 30, "67108864", NULL,
	  false, "kernel receive buffer per socket" },
	{ "segment-bytes", OPT_U64, OFF(segment_bytes), 1u << 20, 1ull << 40, "67108864",
	  NULL, false, "roll a log segment at this size" },
	{ "zstd-level", OPT_U64, OFF(zstd_level), 0, LOG_CODEC_LEVEL_MAX, "1", NULL, false,
	  "compress log batches at rest with this zstd level; 0: store plain" },
	{ "enqueue-retry-us", OPT_U64, OFF(enqueue_retry_us), 0, 1000000, "100000", NULL,
	  false, "how long a worker waits on a full queue before counting a drop "
		 "(the socket buffer keeps absorbing meanwhile)" },
	{ "flush-us", OPT_U64, OFF(flush_us), 10, 1000000, "500", NULL, false,
	  "longest a partly filled batch waits in a worker" },
	{ "topic-map", OPT_TOPIC_MAP, OFF(topic_map), 0, 0, NULL, NULL, false,
	  "SCHEMA_ID=TOPIC: events of that schema go to TOPIC (repeatable; in the config "
	  "file topic.SCHEMA_ID = TOPIC)" },
	{ "kafka-set", OPT_KAFKA, OFF(kafka_props), 0, 0, NULL, NULL, true,
	  "NAME=VALUE: a librdkafka producer setting (repeatable; in the config file "
	  "kafka.NAME = VALUE); a change on SIGHUP starts a new producer" },
	{ "checkpoint-ms", OPT_U64, OFF(checkpoint_ms), 10, 60000, "50", NULL, false,
	  "write Kafka's acknowledged offsets to disk at least this often (a crash re-sends "
	  "what was acknowledged since)" },
	{ "checkpoint-events", OPT_U64, OFF(checkpoint_events), 0, 1ull << 32, "5000", NULL,
	  false, "... or as soon as this many more were acknowledged; 0: by time only" },
	{ "replication-window", OPT_U64, OFF(replication_window), 1000, 1u << 20, "10000", NULL,
	  false, "records sent to Kafka beyond its acknowledged offset, at most; with the "
		 "checkpoint settings it bounds what a crash re-sends" },
	{ "delivery", OPT_CHOICE, OFF(delivery), 0, 0, "at-least-once",
	  "at-least-once|exactly-once", false,
	  "at-least-once: a crash re-sends at most a window (sinks drop duplicates by "
	  "event-id); exactly-once: Kafka transactions that carry the replicated offset, "
	  "for read_committed consumers" },
	{ "transaction-ms", OPT_U64, OFF(transaction_ms), 10, 60000, "100", NULL, false,
	  "exactly-once: commit a transaction at least this often (it also ends at "
	  "--replication-window records)" },
	{ "offsets-topic", OPT_STR, OFF(offsets_topic), 1, 200, "sluice.offsets", NULL, false,
	  "exactly-once: compacted topic of the replicated offsets, keyed APPLIANCE/LOG; "
	  "created when missing" },
	{ "canary-interval-s", OPT_U64, OFF(canary_interval_s), 0, 86400, "60", NULL, false,
	  "send a canary event through the parser, the log and Kafka this often; 0: none" },
	{ "canary-stale-s", OPT_U64, OFF(canary_stale_s), 1, 86400, "180", NULL, false,
	  "the canary is stale when none has arrived for its interval plus this long "
	  "(sluice_canary_stale, alert SluiceCanaryStale)" },
	{ "canary-schema", OPT_U64, OFF(canary_schema), 0, UINT16_MAX, "0", NULL, false,
	  "schema id of the canary: it goes to that schema's topic, with header canary=1" },
	{ "drain-timeout-s", OPT_U64, OFF(drain_timeout_s), 0, 3600, "30", NULL, true,
	  "on SIGTERM, how long to wait for Kafka to take the backlog" },
	{ "eal-memory-mb", OPT_U64, OFF(eal_memory_mb), 128, 65536, "512", NULL, false,
	  "EAL memory when sluiced builds the EAL arguments itself" },
	{ "port", OPT_U64, OFF(port), 0, 1023, "0", NULL, false,
	  "dpdk: the ethdev port to receive on" },
	{ "allow", OPT_STR, OFF(allow), 0, sizeof(((struct sluiced_config *)0)->allow) - 1, "",
	  NULL, false, "senders whose datagrams reach the parser: ADDR/BITS,... (IPv4 and "
	  "IPv6); others are counted as drops not_allowed; empty: any" },
	{ "dlq-rate-per-source", OPT_U64, OFF(dlq_rate_per_source), 0, 1000000, "1000", NULL,
	  false, "dead letters per second one sender (address and port) may write, a second's "
	  "worth at once; past it they are counted (drops dlq_rate, dlq_reason) but not "
	  "kept; 0: no limit" },
	{ "dlq-bytes-per-s", OPT_U64, OFF(dlq_bytes_per_s), 0, 1000000000, "1048576", NULL,
	  false, "bytes of dead letters per second written from all senders, the same way; "
	  "0: no limit" },
	{ "sources-max", OPT_U64, OFF(sources_max), 0, 16777216, "65536", NULL, false,
	  "source health: devices each worker keeps sequence and clock counts for; when full, "
	  "one not seen since CLOCK's hand last passed makes room (counted); 0: off" },
	{ "late-ms", OPT_U64, OFF(late_ms), 0, 86400000, "5000", NULL, false,
	  "source health: an event arriving more than this after its event time is late; 0: "
	  "not counted" },
	{ "clock-ahead-ms", OPT_U64, OFF(clock_ahead_ms), 0, 86400000, "1000", NULL, false,
	  "source health: an event time more than this after arrival counts as the device's "
	  "clock ahead; 0: not counted" },
	{ "source-silence-s", OPT_U64, OFF(source_silence_s), 1, 86400000, "300", NULL, false,
	  "source health: a device quiet this long is listed by sluicectl sources --silent" },
	{ "vlans", OPT_STR, OFF(vlans), 0, 255, "", NULL, false,
	  "dpdk: accepted VLAN ids, e.g. 0,100 (0: untagged); empty: any" },
	{ "rx-desc", OPT_U64, OFF(rx_desc), 64, 32768, "1024", NULL, false,
	  "dpdk: RX descriptors per queue" },
	{ "tx-desc", OPT_U64, OFF(tx_desc), 64, 32768, "256", NULL, false,
	  "dpdk: TX descriptors per queue (answers to ARP, ping, ND)" },
	{ "frag-flows", OPT_U64, OFF(frag_flows), 4, 65536, "256", NULL, false,
	  "dpdk: fragmented datagrams in reassembly at once, per worker" },
	{ "frag-timeout-ms", OPT_U64, OFF(frag_timeout_ms), 1, 60000, "2000", NULL, false,
	  "dpdk: a datagram's fragments must all arrive within this" },
	{ "dpdk-power", OPT_CHOICE, OFF(dpdk_power), 0, 0, "busy", "busy|sleep|interrupt", false,
	  "dpdk: what an idle RX queue does: poll (lowest latency, a whole core), sleep in "
	  "steps up to --dpdk-sleep-max-us, or wait for an RX interrupt (drivers that have "
	  "them)" },
	{ "dpdk-sleep-max-us", OPT_U64, OFF(dpdk_sleep_max_us), 10, 100000, "1000", NULL, false,
	  "dpdk, sleep: the longest sleep of an idle queue (what the first packet after a "
	  "quiet spell may wait)" },
	{ "hugepages", OPT_U64, OFF(hugepages), 0, 1048576, "0", NULL, false,
	  "reserve this many 2 MiB hugepages (mounting hugetlbfs) and run the EAL on "
	  "them; 0: --no-huge" },
	{ "disk-refuse-free-mb", OPT_U64, OFF(disk_refuse_free_mb), 0, 1ull << 30, "512", NULL,
	  true, "below this much free space in --data-dir, new events are refused at the door "
		"(drops.disk_full) instead of failing writes; 0: never" },
	{ "disk-resume-free-mb", OPT_U64, OFF(disk_resume_free_mb), 0, 1ull << 30, "1024", NULL,
	  true, "refused intake resumes once this much is free again" },
	{ "disk-refuse-free-pct", OPT_U64, OFF(disk_refuse_free_pct), 0, 99, "0", NULL, true,
	  "the same mark as a percentage of the filesystem; the larger of the two counts; 0: off" },
	{ "disk-resume-free-pct", OPT_U64, OFF(disk_resume_free_pct), 0, 99, "0", NULL, true,
	  "resume mark as a percentage of the filesystem" },
	{ "retention-bytes", OPT_U64, OFF(retention_bytes), 0, 1ull << 50, "4294967296", NULL,
	  true, "keep the events log within this many bytes (oldest segments go first); 0: no limit" },
	{ "retention-hours", OPT_U64, OFF(retention_hours), 0, 876000, "168", NULL, true,
	  "delete events segments whose newest write is older than this; 0: no limit" },
	{ "dlq-retention-bytes", OPT_U64, OFF(dlq_retention_bytes), 0, 1ull << 50, "268435456",
	  NULL, true, "the same for the dead-letter log" },
	{ "dlq-retention-hours", OPT_U64, OFF(dlq_retention_hours), 0, 876000, "168", NULL, true,
	  "the same for the dead-letter log" },
	{ "retention-unreplicated", OPT_CHOICE, OFF(retention_unreplicated), 0, 0, "keep",
	  "keep|delete", true, "over a limit, keep segments Kafka has not taken (the disk marks "
	  "then refuse new events), or delete them and count what was lost" },
	{ "check", OPT_FLAG, OFF(check), 0, 0, NULL, NULL, false,
	  "validate the configuration, print it and exit" },
};

const size_t opt_count = sizeof(opt_table) / sizeof(opt_table[0]);
_Static_assert(sizeof(opt_table) / sizeof(opt_table[0]) <= OPT_TABLE_MAX,
	       "cli_set has a bit per setting");
