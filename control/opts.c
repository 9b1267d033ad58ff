/* The sluiced settings table, and the config file and command-line parsers
 * built on it. */
#include "control/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "dataplane/pkt.h"
#include "platform/addr.h"
#include "storage/log_codec.h"

enum opt_type { OPT_STR, OPT_U64, OPT_CHOICE, OPT_LIST, OPT_FLAG, OPT_KAFKA, OPT_TOPIC_MAP };

struct opt_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	uint64_t min, max;        /* OPT_U64 bounds, OPT_STR lengths */
	const char *def;          /* default as text; NULL: none */
	const char *choices;      /* OPT_CHOICE: "a|b" */
	bool reloadable;
	const char *help;
};

#define OFF(f) offsetof(struct sluiced_config, f)

/* The settings the parsers name; the rest of the table follows them. */
enum opt_id { OPT_CONFIG, OPT_SOURCE, OPT_MODE, OPT_LISTEN, OPT_NAMED };

static const struct opt_def opt_table[] = {
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

#define OPT_COUNT (sizeof(opt_table) / sizeof(opt_table[0]))
_Static_assert(OPT_COUNT <= 64, "cli_set has a bit per setting");

static const struct opt_def *opt_find(const char *name)
{
	for (size_t i = 0; i < OPT_COUNT; i++)
		if (strcmp(opt_table[i].name, name) == 0)
			return &opt_table[i];
	return NULL;
}

static int opt_set_choice(const struct opt_def *d, char *field, const char *val,
			  const char *where, FILE *err)
{
	size_t len = strlen(val);

	for (const char *c = d->choices; *c;) {
		size_t n = strcspn(c, "|");

		if (n == len && strncmp(c, val, n) == 0 && n < 16) {
			memcpy(field, val, len + 1);
			return 0;
		}
		c += n + (c[n] == '|');
	}
	fprintf(err, "sluiced: %s '%s': must be one of %s\n", where, val, d->choices);
	return -EINVAL;
}

/* Sets one value; where names its origin in messages ("--workers", or
 * "file:3: workers"). */
static int opt_set(struct sluiced_config *cfg, const struct opt_def *d,
		   const char *val, const char *where, FILE *err)
{
	char *field = (char *)cfg + d->offset, *end;
	unsigned long long v;
	size_t len = strlen(val);

	switch (d->type) {
	case OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case OPT_U64:
		errno = 0;
		v = strtoull(val, &end, 10);
		if (errno || end == val || *end || val[0] == '-' || v < d->min || v > d->max) {
			fprintf(err, "sluiced: %s '%s': must be a whole number from %llu to %llu\n",
				where, val, (unsigned long long)d->min,
				(unsigned long long)d->max);
			return -EINVAL;
		}
		*(uint64_t *)field = v;
		return 0;
	case OPT_CHOICE:
		return opt_set_choice(d, field, val, where, err);
	case OPT_LIST:
		if (cfg->listen_count >= SOURCE_LISTEN_MAX) {
			fprintf(err, "sluiced: %s '%s': at most %d addresses\n", where, val,
				SOURCE_LISTEN_MAX);
			return -EINVAL;
		}
		if (source_parse_listen(val, &cfg->listen[cfg->listen_count]) < 0 ||
		    len > d->max) {
			fprintf(err, "sluiced: %s '%s': expected udp://ADDR:PORT\n", where, val);
			return -EINVAL;
		}
		memcpy(cfg->listen_uri[cfg->listen_count++], val, len + 1);
		return 0;
	case OPT_KAFKA:
	case OPT_TOPIC_MAP: {
		char msg[600];

		if ((d->type == OPT_KAFKA ? kprop_set_kv(&cfg->kafka_props, val, msg, sizeof(msg))
					  : topics_map_set_kv(&cfg->topic_map, val, msg, sizeof(msg))) < 0) {
			fprintf(err, "sluiced: %s '%s': %s\n", where, val, msg);
			return -EINVAL;
		}
		return 0;
	}
	case OPT_STR:
		if (len < d->min || len > d->max) {
			fprintf(err, "sluiced: %s '%s': length must be %llu to %llu\n", where,
				val, (unsigned long long)d->min, (unsigned long long)d->max);
			return -EINVAL;
		}
		memcpy(field, val, len + 1);
		return 0;
	}
	return -EINVAL;
}

static int opts_defaults(struct sluiced_config *cfg, FILE *err)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct opt_def *d = &opt_table[i];

		if (d->def && d->type != OPT_LIST &&
		    opt_set(cfg, d, d->def, d->name, err) < 0)
			return -EINVAL;
	}
	if (gethostname(cfg->appliance_id, sizeof(cfg->appliance_id) - 1) < 0 ||
	    !cfg->appliance_id[0])
		strcpy(cfg->appliance_id, "sluice");
	return 0;
}

struct opts_file {
	struct sluiced_config *cfg;
	const char *path;
	char msg[512];       /* the first error, without its line */
	FILE *msg_out;
	bool listen_seen;
};

static int opts_file_handler(void *user, const char *section, const char *name,
			     const char *value)
{
	struct opts_file *f = user;
	const struct opt_def *d = opt_find(name);
	char where[160];

	if (f->msg[0])
		return 0;  /* report the first error only */
	if (section[0] && strcmp(section, "sluiced") != 0) {
		snprintf(f->msg, sizeof(f->msg), "unknown section [%s]", section);
		return 0;
	}
	if (strncmp(name, "kafka.", 6) == 0)
		return kprop_set(&f->cfg->kafka_props, name + 6, value, f->msg, sizeof(f->msg)) == 0;
	if (strncmp(name, "topic.", 6) == 0)
		return topics_map_set(&f->cfg->topic_map, name + 6, value, f->msg,
				      sizeof(f->msg)) == 0;
	if (!d || d->type == OPT_FLAG || d->type == OPT_KAFKA || d->type == OPT_TOPIC_MAP ||
	    d == &opt_table[OPT_CONFIG]) {
		snprintf(f->msg, sizeof(f->msg), "unknown setting '%s'", name);
		return 0;
	}
	if (d->type == OPT_LIST && !f->listen_seen) {
		f->cfg->listen_count = 0;  /* the file's list replaces the default */
		f->listen_seen = true;
	}
	snprintf(where, sizeof(where), "%s", name);
	f->msg_out = fmemopen(f->msg, sizeof(f->msg), "w");
	if (!f->msg_out)
		return 0;
	int rc = opt_set(f->cfg, d, value, where, f->msg_out);

	fclose(f->msg_out);
	if (rc == 0)
		f->msg[0] = '\0';
	return rc == 0;
}

static int opts_load_file(struct sluiced_config *cfg, const char *path, FILE *err)
{
	struct opts_file f = { .cfg = cfg, .path = path };
	int line = ini_parse(path, opts_file_handler, &f);

	if (line < 0) {
		fprintf(err, "sluiced: --config '%s': cannot read it\n", path);
		return -EINVAL;
	}
	if (line > 0) {
		/* opt_set's messages start with "sluiced: "; keep one prefix. */
		const char *m = strncmp(f.msg, "sluiced: ", 9) == 0 ? f.msg + 9 : f.msg;

		fprintf(err, "sluiced: %s:%d: %s%s", path, line, m[0] ? m : "not a setting line",
			m[0] && m[strlen(m) - 1] == '\n' ? "" : "\n");
		return -EINVAL;
	}
	return 0;
}

void opts_usage(FILE *out)
{
	fprintf(out, "usage: sluiced [EAL args] -- [options]\n"
		     "  no EAL args: socket source, EAL without NIC or hugepages\n");
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct opt_def *d = &opt_table[i];

		fprintf(out, "  --%-18s %s%s%s%s%s\n", d->name, d->help,
			d->def ? " [" : "", d->def ? d->def : "", d->def ? "]" : "",
			d->reloadable ? " (reloads on SIGHUP)" : "");
	}
}

/* The DPDK source answers for its own addresses: a wildcard or multicast
 * address cannot be one. */
/* A resume mark below its refuse mark would flap at every check. */
static int opts_check_marks(const char *unit, uint64_t refuse, uint64_t resume, FILE *err)
{
	if (resume >= refuse)
		return 0;
	fprintf(err, "sluiced: --disk-resume-free-%s '%llu': must be at least "
		     "--disk-refuse-free-%s (%llu)\n", unit, (unsigned long long)resume, unit,
		(unsigned long long)refuse);
	return -EINVAL;
}

static int opts_check_dpdk(const struct sluiced_config *cfg, FILE *err)
{
	for (unsigned l = 0; l < cfg->listen_count; l++) {
		if (!pkt_listen_unicast(&cfg->listen[l])) {
			fprintf(err, "sluiced: --listen '%s': with --source dpdk, ADDR must be the "
				     "port's own unicast address (e.g. udp://192.0.2.10:7611)\n",
				cfg->listen_uri[l]);
			return -EINVAL;
		}
	}
	return 0;
}

static int opts_check(struct sluiced_config *cfg, FILE *err)
{
	static struct pkt_filter vlan_check;

	if (pkt_filter_vlans(&vlan_check, cfg->vlans) < 0) {
		fprintf(err, "sluiced: --vlans '%s': expected VLAN ids 0 to 4094 separated by "
			     "commas (0: untagged frames)\n", cfg->vlans);
		return -EINVAL;
	}
	char why[160];

	if (allow_parse(&cfg->allow_list, cfg->allow, why, sizeof(why)) < 0) {
		fprintf(err, "sluiced: --allow: %s\n", why);
		return -EINVAL;
	}
	if (!topics_name_valid(cfg->topic)) {
		fprintf(err, "sluiced: --topic '%s': not a valid Kafka topic name "
			     "(letters, digits, '.', '_', '-')\n", cfg->topic);
		return -EINVAL;
	}
	if (strcmp(cfg->metrics, "none") != 0 &&
	    addr_parse(cfg->metrics, &cfg->metrics_addr) < 0) {
		fprintf(err, "sluiced: --metrics '%s': expected ADDR:PORT or none\n",
			cfg->metrics);
		return -EINVAL;
	}
	if (opts_check_marks("mb", cfg->disk_refuse_free_mb, cfg->disk_resume_free_mb, err) < 0 ||
	    opts_check_marks("pct", cfg->disk_refuse_free_pct, cfg->disk_resume_free_pct, err) < 0)
		return -EINVAL;
	if (cfg->listen_count == 0 &&
	    opt_set(cfg, &opt_table[OPT_LISTEN], opt_table[OPT_LISTEN].def, "--listen", err) < 0)
		return -EINVAL;
	return strcmp(cfg->source, "dpdk") == 0 ? opts_check_dpdk(cfg, err) : 0;
}

/* Finds --config PATH (or --config=PATH) before the other flags apply. */
static const char *opts_config_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

static int opts_parse_flags(struct sluiced_config *cfg, int argc, char **argv, FILE *err)
{
	struct option longopts[OPT_COUNT + 2];
	char where[64];
	bool listen_seen = false;
	int c, idx;

	for (size_t i = 0; i < OPT_COUNT; i++) {
		longopts[i].name = opt_table[i].name;
		longopts[i].has_arg = opt_table[i].type == OPT_FLAG ? no_argument
								      : required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 0;
	}
	longopts[OPT_COUNT] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[OPT_COUNT + 1] = (struct option){ 0 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, &idx)) != -1) {
		if (c == 'h') {
			opts_usage(stdout);
			return 1;
		}
		if (c == '?') {
			fprintf(err, "sluiced: unknown or incomplete option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (idx == OPT_LISTEN && !listen_seen) {
			cfg->listen_count = 0;  /* flags replace the file's list */
			listen_seen = true;
		}
		snprintf(where, sizeof(where), "--%s", opt_table[idx].name);
		if (opt_set(cfg, &opt_table[idx], optarg ? optarg : "", where, err) < 0)
			return -EINVAL;
		cfg->cli_set |= 1ull << idx;
	}
	if (optind < argc) {
		fprintf(err, "sluiced: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int opts_parse(struct sluiced_config *cfg, int argc, char **argv, FILE *err)
{
	const char *config = opts_config_arg(argc, argv);
	int rc;

	if (opts_defaults(cfg, err) < 0)
		return -EINVAL;
	if (config && opts_load_file(cfg, config, err) < 0)
		return -EINVAL;
	rc = opts_parse_flags(cfg, argc, argv, err);
	if (rc != 0)
		return rc;
	return opts_check(cfg, err);
}

/* Appends name to a comma-separated list in buf. */
static void opts_note(char *buf, size_t size, const char *name)
{
	size_t used = strlen(buf);

	snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
}

int opts_reload(struct sluiced_config *cfg, FILE *err, char *changed, size_t changed_size,
		char *restart, size_t restart_size)
{
	static struct sluiced_config fresh;

	changed[0] = restart[0] = '\0';
	if (!cfg->config[0])
		return 0;
	if (opts_defaults(&fresh, err) < 0 || opts_load_file(&fresh, cfg->config, err) < 0 ||
	    opts_check(&fresh, err) < 0)
		return -EINVAL;
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct opt_def *d = &opt_table[i];
		size_t size = d->type == OPT_U64 ? sizeof(uint64_t)
			    : d->type == OPT_FLAG ? sizeof(bool)
			    : d->type == OPT_LIST ? sizeof(cfg->listen_uri)
			    : d->type == OPT_CHOICE ? 16 : OPTS_STR_MAX;
		char *now = (char *)cfg + d->offset, *want = (char *)&fresh + d->offset;

		if (i == OPT_CONFIG || (cfg->cli_set & (1ull << i)) || d->type == OPT_FLAG)
			continue;
		if (d->type == OPT_TOPIC_MAP) {
			if (memcmp(&cfg->topic_map, &fresh.topic_map, sizeof(fresh.topic_map)) != 0)
				opts_note(restart, restart_size, "topic.*");
			continue;
		}
		if (d->type == OPT_KAFKA) {
			if (!kprop_same(&cfg->kafka_props, &fresh.kafka_props)) {
				cfg->kafka_props = fresh.kafka_props;
				opts_note(changed, changed_size, "kafka.*");
			}
			continue;
		}
		if (memcmp(now, want, size) == 0)
			continue;
		if (d->type == OPT_LIST && fresh.listen_count == cfg->listen_count &&
		    memcmp(cfg->listen_uri, fresh.listen_uri,
			   sizeof(cfg->listen_uri[0]) * cfg->listen_count) == 0)
			continue;
		if (!d->reloadable) {
			opts_note(restart, restart_size, d->name);
			continue;
		}
		memcpy(now, want, size);
		opts_note(changed, changed_size, d->name);
	}
	return 0;
}

void opts_print(const struct sluiced_config *cfg, FILE *out)
{
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct opt_def *d = &opt_table[i];
		const char *field = (const char *)cfg + d->offset;

		switch (d->type) {
		case OPT_U64:
			fprintf(out, "%s = %llu\n", d->name,
				(unsigned long long)*(const uint64_t *)field);
			break;
		case OPT_LIST:
			for (unsigned l = 0; l < cfg->listen_count; l++)
				fprintf(out, "%s = %s\n", d->name, cfg->listen_uri[l]);
			break;
		case OPT_FLAG:
			break;
		case OPT_TOPIC_MAP:
			for (unsigned k = 0; k < cfg->topic_map.count; k++)
				fprintf(out, "topic.%u = %s\n", cfg->topic_map.e[k].schema_id,
					cfg->topic_map.e[k].name);
			break;
		case OPT_KAFKA:
			for (unsigned k = 0; k < cfg->kafka_props.count; k++)
				fprintf(out, "kafka.%s = %s\n", cfg->kafka_props.p[k].name,
					strstr(cfg->kafka_props.p[k].name, "password") ||
							strstr(cfg->kafka_props.p[k].name, "secret")
						? "(hidden)"
						: cfg->kafka_props.p[k].value);
			break;
		default:
			if (field[0])
				fprintf(out, "%s = %s\n", d->name, field);
		}
	}
}
