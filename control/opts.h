/* The one table of sluiced settings: name, type, bounds, default, whether it
 * can change at run time, and help. The command line, --check and --help all
 * read it. */
#ifndef SLUICE_CONTROL_OPTS_H
#define SLUICE_CONTROL_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/kprop.h"
#include "control/topics.h"
#include "dataplane/source.h"

#define OPTS_STR_MAX 256

struct sluiced_config {
	char config[OPTS_STR_MAX];
	char metrics[OPTS_STR_MAX];
	char source[16];
	char mode[16];
	char listen_uri[SOURCE_LISTEN_MAX][OPTS_STR_MAX];
	unsigned listen_count;
	char data_dir[OPTS_STR_MAX];
	char kafka[OPTS_STR_MAX];
	char topic[OPTS_STR_MAX];
	char admin_socket[OPTS_STR_MAX];
	char admin_group[64];
	char user[64];
	char group[64];
	char read_socket[OPTS_STR_MAX];
	char read_group[64];
	char appliance_id[OPTS_STR_MAX];
	char log_level[16];
	char delivery[16];
	char offsets_topic[OPTS_STR_MAX];
	uint64_t workers;
	uint64_t rcvbuf_bytes;
	uint64_t segment_bytes;
	uint64_t zstd_level;
	uint64_t checkpoint_ms;
	uint64_t checkpoint_events;
	uint64_t replication_window;
	uint64_t transaction_ms;
	uint64_t ready_kafka_outage_s;
	uint64_t canary_interval_s;
	uint64_t canary_schema;
	uint64_t canary_stale_s;
	uint64_t enqueue_retry_us;
	uint64_t flush_us;
	uint64_t drain_timeout_s;
	uint64_t eal_memory_mb;
	uint64_t port;
	char vlans[256];
	char allow[1000];
	uint64_t dlq_rate_per_source;
	uint64_t dlq_bytes_per_s;
	uint64_t sources_max;
	uint64_t late_ms;
	uint64_t clock_ahead_ms;
	uint64_t source_silence_s;
	uint64_t rx_desc;
	uint64_t tx_desc;
	uint64_t frag_flows;
	uint64_t frag_timeout_ms;
	char dpdk_power[16];
	uint64_t dpdk_sleep_max_us;
	uint64_t hugepages;
	uint64_t disk_refuse_free_mb;
	uint64_t disk_resume_free_mb;
	uint64_t disk_refuse_free_pct;
	uint64_t disk_resume_free_pct;
	uint64_t retention_bytes;
	uint64_t retention_hours;
	uint64_t dlq_retention_bytes;
	uint64_t dlq_retention_hours;
	char retention_unreplicated[16];
	struct kprop_list kafka_props;  /* kafka.NAME = VALUE, --kafka-set NAME=VALUE */
	struct topic_map topic_map;     /* topic.ID = NAME, --topic-map ID=NAME */
	bool check;
	/* Derived from the above by opts_parse. */
	struct sockaddr_storage listen[SOURCE_LISTEN_MAX];
	struct sockaddr_storage metrics_addr;
	struct allow_list allow_list;  /* from allow */
	uint64_t cli_set;        /* bit i: setting i came from the command line */
};

/* Parses options (argv after "--", or all of them): defaults, then the
 * --config file (INI: "name = value", the flag names without dashes), then
 * the other flags, which override the file. On a bad value it writes one
 * line naming the flag (or file:line and setting) and the value to err and
 * returns -EINVAL; 1 means --help was printed. */
int opts_parse(struct sluiced_config *cfg, int argc, char **argv, FILE *err);

/* Re-reads the --config file (SIGHUP) and applies the settings that can
 * change at run time, unless the command line set them. Writes the names of
 * the settings that changed into changed, and of those that need a restart
 * into restart. Returns 0, or -EINVAL with the reason in err (nothing is
 * applied then). */
int opts_reload(struct sluiced_config *cfg, FILE *err, char *changed, size_t changed_size,
		char *restart, size_t restart_size);

/* Prints every setting with its value, one per line (for --check). */
void opts_print(const struct sluiced_config *cfg, FILE *out);
void opts_usage(FILE *out);

#endif
