/* sluicectl: the operator's CLI. Read commands go to the daemon's admin
 * socket; they print text, or JSON with --json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/admin.h"

#define SLUICECTL_DEFAULT_SOCKET "/run/sluice/sluiced.sock"

static void sluicectl_usage(FILE *out)
{
	fprintf(out,
		"usage: sluicectl [--socket PATH] status|stats|lag [--json]\n"
		"       sluicectl [--socket PATH] replication pause|resume\n"
		"  --socket defaults to $SLUICE_ADMIN_SOCKET or %s\n",
		SLUICECTL_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	const char *sock = getenv("SLUICE_ADMIN_SOCKET");
	char req[256] = "";
	const char *words[4];
	int nwords = 0, json = 0, rc;

	if (!sock || !*sock)
		sock = SLUICECTL_DEFAULT_SOCKET;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			sock = argv[++i];
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
	if (nwords == 1 && (strcmp(words[0], "status") == 0 || strcmp(words[0], "stats") == 0 ||
			    strcmp(words[0], "lag") == 0)) {
		snprintf(req, sizeof(req), "%s%s", words[0], json ? " json" : "");
	} else if (nwords == 2 && strcmp(words[0], "replication") == 0 &&
		   (strcmp(words[1], "pause") == 0 || strcmp(words[1], "resume") == 0)) {
		snprintf(req, sizeof(req), "replication %s", words[1]);
	} else {
		fprintf(stderr, "sluicectl: unknown command '%s'\n", nwords ? words[0] : "");
		sluicectl_usage(stderr);
		return 2;
	}
	rc = admin_request(sock, req, stdout, 5000);
	if (rc < 0) {
		fprintf(stderr, "sluicectl: %s: %s%s\n", sock, strerror(-rc),
			rc == -ENOENT || rc == -ECONNREFUSED ? " (is sluiced running?)" : "");
		return 1;
	}
	return 0;
}
