/* Fuzz target: recovery of a log folder whose tail segment is whatever a
 * damaged disk left. Opening must never fail or crash on it; the log it
 * leaves must read back whole, record offsets dense from 0 to its durable
 * offset; and a second open must find nothing more to cut. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "storage/log_reader.h"
#include "storage/log_segment.h"
#include "storage/log_writer.h"
#include "tests/common/logrecs.h"

static char dir[64];

static void fuzz_dir_clear(void)
{
	DIR *d;
	struct dirent *e;
	char path[320];

	if (!dir[0]) {
		strcpy(dir, "/tmp/sluice-fuzz-recover-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	d = opendir(dir);
	if (!d)
		abort();
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

/* Records from offset 0 to end, dense; returns how many were read. */
static uint64_t fuzz_read_all(uint64_t end)
{
	struct log_reader *r;
	struct log_batch_view v;
	struct log_record rec;
	uint64_t expect = 0, off, index;
	uint32_t pos;
	int rc;

	if (end == 0)
		return 0;
	FUZZ_ASSERT(log_reader_open(&r, dir, 0) == 0);
	while ((rc = log_reader_next(r, end, &v)) == 1) {
		pos = 0;
		index = 0;
		while (log_batch_view_record(&v, &pos, &index, &rec, &off)) {
			FUZZ_ASSERT(off == expect);
			expect++;
		}
	}
	FUZZ_ASSERT(rc == 0);
	log_reader_close(r);
	return expect;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	char path[320];
	uint64_t end;

	/* The smallest write buffers the writer takes: recovery does not depend
	 * on them, and zeroing 4 x 4 MiB per open was most of a run's time. */
	cfg.commit_bytes_max = LOG_BATCH_BYTES_MAX;
	int fd;

	fuzz_dir_clear();
	snprintf(path, sizeof(path), "%s/%020llu.log", dir, 0ull);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	FUZZ_ASSERT(log_writer_open(&lw, dir, &cfg) == 0);
	end = log_writer_durable_offset(lw);
	log_writer_close(lw);
	FUZZ_ASSERT(fuzz_read_all(end) == end);
	FUZZ_ASSERT(log_writer_open(&lw, dir, &cfg) == 0);
	FUZZ_ASSERT(log_writer_durable_offset(lw) == end);
	FUZZ_ASSERT(counter_get(&log_writer_stats(lw)->torn_bytes_cut) == 0);
	log_writer_close(lw);
	return 0;
}

/* Seeds: the tail segment of a log of i * 7 + 1 records in a few batches,
 * plain, or zstd-compressed from seed 3 on. */
size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap)
{
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	char seed_dir[64] = "/tmp/sluice-fuzz-seed-XXXXXX", path[320];
	ssize_t n;
	int fd;

	if (index >= 6)
		return 0;
	if (!mkdtemp(seed_dir))
		abort();
	cfg.zstd_level = index >= 3 ? 3 : 0;
	cfg.batch_body_bytes = 2048;  /* several batches */
	if (log_writer_open(&lw, seed_dir, &cfg) < 0)
		abort();
	for (uint64_t i = 0; i < index * 7 + 1; i += 4)
		if (logrecs_append(lw, i, (uint32_t)(index * 7 + 1 - i < 4 ? index * 7 + 1 - i : 4)) < 0)
			abort();
	if (log_writer_flush(lw) < 0)
		abort();
	log_writer_close(lw);
	snprintf(path, sizeof(path), "%s/%020llu.log", seed_dir, 0ull);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, cap);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "rm -rf '%s'", seed_dir);
	if (system(path) != 0 || n <= 0)
		abort();
	return (size_t)n;
}

#ifndef SLUICE_LIBFUZZER
int main(int argc, char **argv)
{
	int rc = fuzz_main(argc, argv, 300);  /* each open sets up io_uring and files: ~30 ms */
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		return 1;
	return rc;
}
#endif
