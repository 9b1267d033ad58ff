/* Fuzz target: an admin request as it arrives on the socket. Matching must
 * take whole words only and never read past the request; a matched request
 * starts with its command's word; dlq replay's own words parse to values
 * within their bounds or are refused. */
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
	const char *name, *sub;
	bool changes;
	char *req;
	size_t n = size < FUZZ_REQUEST_MAX ? size : FUZZ_REQUEST_MAX;

	/* The admin socket hands over one NUL-terminated line. */
	req = malloc(n + 1);
	if (!req)
		abort();
	memcpy(req, data, n);
	req[n] = '\0';
	req[strcspn(req, "\n")] = '\0';
	if (cmd_match(req, &name, &sub, &changes)) {
		size_t len = strlen(name);

		FUZZ_ASSERT(strncmp(req + strspn(req, " "), name, len) == 0);
		FUZZ_ASSERT(!sub || strstr(req, sub) != NULL);
		FUZZ_ASSERT(changes == (strcmp(name, "replication") == 0 ||
					(sub && strcmp(sub, "replay") == 0)));
	}
	{
		struct dlq_replay_req rq;
		char err[256];

		if (dlq_replay_parse(req, &rq, err, sizeof(err)) == 0) {
			FUZZ_ASSERT(rq.count >= 1 && rq.count <= DLQ_REPLAY_MAX);
			FUZZ_ASSERT(rq.reason < LOG_DLQ_REASONS);
		} else {
			FUZZ_ASSERT(err[0] != '\0');
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
