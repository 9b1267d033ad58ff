/* Fuzz target: the configuration file (INI, the settings of sluiced
 * --help). Parsing must accept or refuse with a message, never crash or
 * read past the file; an accepted file gives settings within their bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "control/opts.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sluiced_config cfg;
	char path[64], *msg = NULL;
	char *argv[] = { "sluiced", "--config", path, NULL };
	size_t msg_len = 0;
	FILE *err;
	int fd = memfd_create("sluice-fuzz-config", MFD_CLOEXEC), rc;

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = open_memstream(&msg, &msg_len);
	if (!err)
		abort();
	rc = opts_parse(&cfg, 3, argv, err);
	fclose(err);
	close(fd);
	if (rc == 0) {
		FUZZ_ASSERT(cfg.listen_count >= 1 && cfg.listen_count <= SOURCE_LISTEN_MAX);
		FUZZ_ASSERT(cfg.workers >= 1 && cfg.workers <= SOURCE_QUEUES_MAX);
		FUZZ_ASSERT(cfg.data_dir[0] != '\0');
		FUZZ_ASSERT(memchr(cfg.topic, '\0', sizeof(cfg.topic)) != NULL);
	} else {
		FUZZ_ASSERT(rc == 1 || msg_len > 0);  /* a refusal says why */
	}
	free(msg);
	return 0;
}

size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap)
{
	static const char *const seeds[] = {
		"source = socket\nlisten = udp://0.0.0.0:7611\nkafka = 127.0.0.1:19092\n",
		"topic = t\ntopic.7 = t7\nkafka.compression.type = zstd\ndelivery = exactly-once\n",
		"[sluiced]\nworkers = 2\nsegment-bytes = 1048576\nallow = 10.0.0.0/8,::1\n",
		"canary-interval-s = 0\ndlq-bytes-per-s = 0\nuser = sluice\n; comment\n",
		"listen = udp://[::1]:7611\nlisten = udp://127.0.0.1:7612\nmetrics = 127.0.0.1:9611\n",
		"workers = 99999999999999999999\n", "unknown = 1\n", "= x\n", "kafka.\n",
	};

	return fuzz_seed_text(seeds, sizeof(seeds) / sizeof(seeds[0]), index, buf, cap);
}

#ifndef SLUICE_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_main(argc, argv, 20000);
}
#endif
