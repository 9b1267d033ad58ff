/* Fuzz target: an admin request as it arrives on the socket. Matching must
 * take whole words only and never read past the request; a matched request
 * starts with its command's word; the words of a dlq replay parse to
 * values within their bounds or are refused, named. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/commands.h"
#include "control/dlq_replay.h"
#include "fuzz.h"
#include "storage/log_types.h"

#define FUZZ_REQUEST_MAX 256u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmd_match m;
	char *req;
	size_t n = size < FUZZ_REQUEST_MAX ? size : FUZZ_REQUEST_MAX;

	/* The admin socket hands over one NUL-terminated line. */
	req = malloc(n + 1);
	if (!req)
		abort();
	memcpy(req, data, n);
	req[n] = '\0';
	req[strcspn(req, "\n")] = '\0';
	if (cmd_match(req, &m)) {
		FUZZ_ASSERT(strncmp(req + strspn(req, " "), m.name, strlen(m.name)) == 0);
		FUZZ_ASSERT(!m.sub || strstr(req, m.sub) != NULL);
		FUZZ_ASSERT(m.changes == (strcmp(m.name, "replication") == 0 ||
					  (m.sub && strcmp(m.sub, "replay") == 0)));
		FUZZ_ASSERT(m.nargs < CMD_WORDS_MAX);
		if (m.sub && strcmp(m.sub, "replay") == 0) {
			struct dlq_replay_req rq;
			char err[256] = "";

			if (dlq_replay_parse(m.args, m.nargs, &rq, err, sizeof(err)) == 0) {
				FUZZ_ASSERT(rq.count >= 1 && rq.count <= DLQ_REPLAY_MAX);
				FUZZ_ASSERT(rq.reason < LOG_DLQ_REASONS);
			} else {
				FUZZ_ASSERT(err[0] != '\0');
			}
		}
	}
	free(req);
	return 0;
}

size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap)
{
	static const char *const seeds[] = {
		"stats json", "status", "lag json", "segments", "canary json", "dlq",
		"dlq list json", "dlq show 12 json", "replication pause", "replication resume json",
		"dlq replay from=10 count=100 reason=crc as=raw json",
		"dlq replay reason=magic as=slf1", "dlq replay from=18446744073709551615",
		"stat", "dlq show", "  stats   json  ",
	};

	return fuzz_seed_text(seeds, sizeof(seeds) / sizeof(seeds[0]), index, buf, cap);
}

#ifndef SLUICE_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_main(argc, argv, 200000);
}
#endif
