/* The sluiced settings table (opts_table.c): one row per setting, with its
 * type, bounds, default, whether SIGHUP reloads it, and its help line. The
 * parsers in opts.c walk it. */
#ifndef SLUICE_CONTROL_OPTS_TABLE_H
#define SLUICE_CONTROL_OPTS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The settings the parsers name; the rest of the table follows them. */
enum opt_id { OPT_CONFIG, OPT_SOURCE, OPT_MODE, OPT_LISTEN, OPT_NAMED };

#define OPT_TABLE_MAX 64  /* cli_set has a bit per setting */

extern const struct opt_def opt_table[];
extern const size_t opt_count;

#endif
