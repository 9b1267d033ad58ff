/* The config file and command-line parsers built on the settings table
 * (opts_table.c). */
#include "control/opts.h"
#include "control/opts_table.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "dataplane/pkt.h"
#include "platform/addr.h"
#include "platform/num.h"
#include "storage/log_codec.h"

static const struct opt_def *opt_find(const char *name)
{
	for (size_t i = 0; i < opt_count; i++)
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
	char *field = (char *)cfg + d->offset;
	uint64_t v;
	size_t len = strlen(val);

	switch (d->type) {
	case OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case OPT_U64:
		if (!num_u64(val, &v) || v < d->min || v > d->max) {
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
	for (size_t i = 0; i < opt_count; i++) {
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
	for (size_t i = 0; i < opt_count; i++) {
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
	struct option longopts[OPT_TABLE_MAX + 2];
	char where[64];
	bool listen_seen = false;
	int c, idx;

	for (size_t i = 0; i < opt_count; i++) {
		longopts[i].name = opt_table[i].name;
		longopts[i].has_arg = opt_table[i].type == OPT_FLAG ? no_argument
								      : required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 0;
	}
	longopts[opt_count] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[opt_count + 1] = (struct option){ 0 };
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
	for (size_t i = 0; i < opt_count; i++) {
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
	for (size_t i = 0; i < opt_count; i++) {
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
