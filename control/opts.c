/* The sluiced settings table and the command-line parser built on it. */
#include "control/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_type { OPT_STR, OPT_U64, OPT_CHOICE, OPT_LIST, OPT_FLAG };

struct opt_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	uint64_t min, max;        /* OPT_U64 bounds, OPT_STR max length */
	const char *def;          /* default as text; NULL: none */
	const char *choices;      /* OPT_CHOICE: "a|b" */
	bool reloadable;
	const char *help;
};

#define OFF(f) offsetof(struct sluiced_config, f)

static const struct opt_def opt_table[] = {
	{ "source", OPT_CHOICE, OFF(source), 0, 0, "socket", "socket|dpdk", false,
	  "packet source" },
	{ "mode", OPT_CHOICE, OFF(mode), 0, 0, "slf1", "slf1|raw", false,
	  "frame format: SLF1 frames, or one raw event per datagram" },
	{ "listen", OPT_LIST, OFF(listen_uri), 0, OPTS_STR_MAX - 1, "udp://0.0.0.0:7611",
	  NULL, false, "udp://ADDR:PORT to receive on (repeatable)" },
	{ "data-dir", OPT_STR, OFF(data_dir), 1, OPTS_STR_MAX - 64, "/var/lib/sluice",
	  NULL, false, "folder of the logs and checkpoints" },
	{ "kafka", OPT_STR, OFF(kafka), 1, OPTS_STR_MAX - 1, "127.0.0.1:19092", NULL,
	  false, "bootstrap list, or \"none\" to keep the log only" },
	{ "topic", OPT_STR, OFF(topic), 1, 200, "sluice.events", NULL, false,
	  "default topic; dead letters go to TOPIC.dlq" },
	{ "admin-socket", OPT_STR, OFF(admin_socket), 1, 107, "/run/sluice/sluiced.sock",
	  NULL, false, "Unix socket for sluicectl" },
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
	{ "enqueue-retry-us", OPT_U64, OFF(enqueue_retry_us), 0, 1000000, "5000", NULL,
	  false, "how long a worker retries a full queue before counting a drop" },
	{ "flush-us", OPT_U64, OFF(flush_us), 10, 1000000, "500", NULL, false,
	  "longest a partly filled batch waits in a worker" },
	{ "drain-timeout-s", OPT_U64, OFF(drain_timeout_s), 0, 3600, "30", NULL, true,
	  "on SIGTERM, how long to wait for Kafka to take the backlog" },
	{ "eal-memory-mb", OPT_U64, OFF(eal_memory_mb), 128, 65536, "512", NULL, false,
	  "EAL memory when sluiced builds the EAL arguments itself" },
	{ "check", OPT_FLAG, OFF(check), 0, 0, NULL, NULL, false,
	  "validate the configuration and exit" },
};

#define OPT_COUNT (sizeof(opt_table) / sizeof(opt_table[0]))

static int opt_set(struct sluiced_config *cfg, const struct opt_def *d,
		   const char *val, FILE *err)
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
			fprintf(err, "sluiced: --%s '%s': must be a whole number from %llu to %llu\n",
				d->name, val, (unsigned long long)d->min,
				(unsigned long long)d->max);
			return -EINVAL;
		}
		*(uint64_t *)field = v;
		return 0;
	case OPT_CHOICE: {
		const char *c = d->choices;

		while (c && *c) {
			size_t n = strcspn(c, "|");

			if (n == len && strncmp(c, val, n) == 0 && n < 16) {
				memcpy(field, val, len + 1);
				return 0;
			}
			c += n + (c[n] == '|');
		}
		fprintf(err, "sluiced: --%s '%s': must be one of %s\n", d->name, val,
			d->choices);
		return -EINVAL;
	}
	case OPT_LIST:
		if (cfg->listen_count >= SOURCE_LISTEN_MAX) {
			fprintf(err, "sluiced: --%s '%s': at most %d addresses\n", d->name,
				val, SOURCE_LISTEN_MAX);
			return -EINVAL;
		}
		if (source_parse_listen(val, &cfg->listen[cfg->listen_count]) < 0 ||
		    len > d->max) {
			fprintf(err, "sluiced: --%s '%s': expected udp://ADDR:PORT\n",
				d->name, val);
			return -EINVAL;
		}
		memcpy(cfg->listen_uri[cfg->listen_count++], val, len + 1);
		return 0;
	case OPT_STR:
		if (len < d->min || len > d->max) {
			fprintf(err, "sluiced: --%s '%s': length must be %llu to %llu\n",
				d->name, val, (unsigned long long)d->min,
				(unsigned long long)d->max);
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

		if (d->def && d->type != OPT_LIST && opt_set(cfg, d, d->def, err) < 0)
			return -EINVAL;
	}
	if (gethostname(cfg->appliance_id, sizeof(cfg->appliance_id) - 1) < 0 ||
	    !cfg->appliance_id[0])
		strcpy(cfg->appliance_id, "sluice");
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

static int opts_check(struct sluiced_config *cfg, FILE *err)
{
	if (strcmp(cfg->source, "dpdk") == 0) {
		fprintf(err, "sluiced: --source 'dpdk': this build has only the socket "
			     "source so far; use --source socket\n");
		return -EINVAL;
	}
	if (strchr(cfg->topic, ' ') || strchr(cfg->topic, '/')) {
		fprintf(err, "sluiced: --topic '%s': not a valid Kafka topic name\n",
			cfg->topic);
		return -EINVAL;
	}
	if (cfg->listen_count == 0)
		return opt_set(cfg, &opt_table[2], opt_table[2].def, err);
	return 0;
}

int opts_parse(struct sluiced_config *cfg, int argc, char **argv, FILE *err)
{
	struct option longopts[OPT_COUNT + 2];
	int c, idx;

	if (opts_defaults(cfg, err) < 0)
		return -EINVAL;
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
		if (opt_set(cfg, &opt_table[idx], optarg ? optarg : "", err) < 0)
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(err, "sluiced: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return opts_check(cfg, err);
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
		default:
			fprintf(out, "%s = %s\n", d->name, field);
		}
	}
}
