/* sluicectl: the operator's CLI. Read commands go to the daemon's admin
 * socket; they print text, or JSON with --json. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/admin.h"
#include "control/logtool.h"

#define SLUICECTL_DEFAULT_SOCKET "/run/sluice/sluiced.sock"

static void sluicectl_usage(FILE *out)
{
	fprintf(out,
		"usage: sluicectl [--socket PATH] status|stats|lag|canary [--json]\n"
		"       sluicectl [--socket PATH] segments|dlq [list] [--json]\n"
		"       sluicectl [--socket PATH] dlq show OFFSET [--json]\n"
		"       sluicectl [--socket PATH] dlq replay [--from OFFSET] [--count N]\n"
		"                 [--reason any|short|magic|version|flags|length|crc]\n"
		"                 [--as slf1|raw] [--json]\n"
		"       sluicectl [--socket PATH] replication pause|resume [--json]\n"
		"       sluicectl [--socket PATH] sources [--top N] [--sort gaps|dups|late|skew|rate]\n"
		"                 [--silent] [--json]\n"
		"       sluicectl [--socket PATH] source ID [--json]\n"
		"       sluicectl log verify --data-dir DIR [--json]\n"
		"       sluicectl log dump --data-dir DIR [--log events|dlq]\n"
		"                          [--from OFFSET | --from-time NS|YYYY-MM-DDTHH:MM:SSZ]\n"
		"                          [--count N] [--json]\n"
		"  --socket defaults to $SLUICE_ADMIN_SOCKET or %s\n"
		"  --json: status, stats, lag, canary, dlq replay, replication and log verify\n"
		"  print one JSON document; segments, dlq list|show, sources, source and log\n"
		"  dump print JSON\n"
		"  Lines (one object per line; none when there is nothing).\n"
		"  Exit status: 0 done; 1 the daemon refused or failed (its message on\n"
		"  stderr), it is not reachable, or log verify found damage; 2 bad usage.\n",
		SLUICECTL_DEFAULT_SOCKET);
}

static int sluicectl_log(const char *verb, const char *data_dir, const char *log,
			 const struct logtool_from *from, uint64_t count, int json)
{
	int rc;

	if (!data_dir) {
		fprintf(stderr, "sluicectl: log %s needs --data-dir DIR\n", verb);
		return 2;
	}
	if (strcmp(log, "events") != 0 && strcmp(log, "dlq") != 0) {
		fprintf(stderr, "sluicectl: --log '%s': must be events or dlq\n", log);
		return 2;
	}
	if (strcmp(verb, "verify") == 0)
		rc = logtool_verify(data_dir, stdout, json);
	else if (strcmp(verb, "dump") == 0)
		rc = logtool_dump(data_dir, log, from, count, stdout, json);
	else {
		fprintf(stderr, "sluicectl: unknown command 'log %s'\n", verb);
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "sluicectl: log %s --data-dir '%s': %s\n", verb, data_dir,
			strerror(-rc));
		return 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *sock = getenv("SLUICE_ADMIN_SOCKET");
	char req[256] = "";
	const char *words[4], *data_dir = NULL, *log = "events";
	/* dlq replay's, as typed: the daemon checks them and names a bad one */
	const char *from_arg = NULL, *count_arg = NULL, *reason = NULL, *as = NULL;
	/* sources' */
	const char *top = NULL, *sort = NULL;
	int silent = 0;
	unsigned long long count = UINT64_MAX;
	struct logtool_from from = { 0 };
	int nwords = 0, json = 0, rc;

	if (!sock || !*sock)
		sock = SLUICECTL_DEFAULT_SOCKET;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			sock = argv[++i];
		} else if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) {
			data_dir = argv[++i];
		} else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			log = argv[++i];
		} else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
			from_arg = argv[i + 1];
			from.offset = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc) {
			reason = argv[++i];
		} else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc) {
			as = argv[++i];
		} else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
			top = argv[++i];
		} else if (strcmp(argv[i], "--sort") == 0 && i + 1 < argc) {
			sort = argv[++i];
		} else if (strcmp(argv[i], "--silent") == 0) {
			silent = 1;
		} else if (strcmp(argv[i], "--from-time") == 0 && i + 1 < argc) {
			if (logtool_parse_time(argv[++i], &from.time_ns) < 0) {
				fprintf(stderr, "sluicectl: --from-time '%s': want nanoseconds since "
						"the epoch or YYYY-MM-DDTHH:MM:SSZ (UTC)\n", argv[i]);
				return 2;
			}
			from.by_time = true;
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count_arg = argv[i + 1];
			count = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			sluicectl_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || nwords == 4) {
			fprintf(stderr, "sluicectl: unexpected argument '%s'\n", argv[i]);
			sluicectl_usage(stderr);
			return 2;
		} else {
			words[nwords++] = argv[i];
		}
	}
	if (nwords == 2 && strcmp(words[0], "log") == 0)
		return sluicectl_log(words[1], data_dir, log, &from, count, json);
	if (nwords == 1 && (strcmp(words[0], "status") == 0 || strcmp(words[0], "stats") == 0 ||
			    strcmp(words[0], "lag") == 0 || strcmp(words[0], "segments") == 0 ||
			    strcmp(words[0], "dlq") == 0 || strcmp(words[0], "canary") == 0)) {
		snprintf(req, sizeof(req), "%s%s", words[0], json ? " json" : "");
	} else if (nwords == 1 && strcmp(words[0], "sources") == 0) {
		int n = snprintf(req, sizeof(req), "sources%s%.20s%s%.20s%s%s", top ? " top=" : "",
				 top ? top : "", sort ? " sort=" : "", sort ? sort : "",
				 silent ? " silent" : "", json ? " json" : "");

		if (n < 0 || (size_t)n >= sizeof(req) || strpbrk(req, "\n")) {
			fprintf(stderr, "sluicectl: sources: arguments too long\n");
			return 2;
		}
	} else if (nwords == 2 && strcmp(words[0], "source") == 0 && strlen(words[1]) <= 20 &&
		   !strpbrk(words[1], " \n")) {
		snprintf(req, sizeof(req), "source %s%s", words[1], json ? " json" : "");
	} else if (nwords == 2 && strcmp(words[0], "dlq") == 0 && strcmp(words[1], "list") == 0) {
		snprintf(req, sizeof(req), "dlq list%s", json ? " json" : "");
	} else if (nwords == 3 && strcmp(words[0], "dlq") == 0 && strcmp(words[1], "show") == 0 &&
		   strlen(words[2]) <= 20 && !strchr(words[2], ' ')) {
		snprintf(req, sizeof(req), "dlq show %s%s", words[2], json ? " json" : "");
	} else if (nwords == 2 && strcmp(words[0], "dlq") == 0 && strcmp(words[1], "replay") == 0) {
		int n = snprintf(req, sizeof(req), "dlq replay%s%.20s%s%.20s%s%.20s%s%.20s%s",
				 from_arg ? " from=" : "", from_arg ? from_arg : "",
				 count_arg ? " count=" : "", count_arg ? count_arg : "",
				 reason ? " reason=" : "", reason ? reason : "", as ? " as=" : "",
				 as ? as : "", json ? " json" : "");

		if (n < 0 || (size_t)n >= sizeof(req) || strpbrk(req, "\n")) {
			fprintf(stderr, "sluicectl: dlq replay: arguments too long\n");
			return 2;
		}
	} else if (nwords == 2 && strcmp(words[0], "replication") == 0 &&
		   (strcmp(words[1], "pause") == 0 || strcmp(words[1], "resume") == 0)) {
		snprintf(req, sizeof(req), "replication %s%s", words[1], json ? " json" : "");
	} else {
		fprintf(stderr, "sluicectl: unknown command '%s'\n", nwords ? words[0] : "");
		sluicectl_usage(stderr);
		return 2;
	}
	char *resp = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&resp, &len);

	if (!out)
		return 1;
	rc = admin_request(sock, req, out, 5000);
	fclose(out);
	if (rc < 0) {
		fprintf(stderr, "sluicectl: %s: %s%s\n", sock, strerror(-rc),
			rc == -ENOENT || rc == -ECONNREFUSED ? " (is sluiced running?)" : "");
		free(resp);
		return 1;
	}
	/* The daemon refuses with "error: ..."; that is a failed command. */
	rc = strncmp(resp, "error:", 6) == 0;
	fputs(resp, rc ? stderr : stdout);
	free(resp);
	return rc;
}
