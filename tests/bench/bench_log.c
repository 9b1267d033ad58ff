/* Log writer throughput: appends `mb` MiB of records shaped like
 * sluice-gen's (100-byte payloads: the event number, then the alphabet) in
 * worker-sized batches through the log writer (io_uring writes, group
 * commit fdatasync, zstd at the given level) and prints, once all is
 * durable: input MB/s, records/s, CPU seconds per GB of input, what was
 * stored, and the average write and commit sizes (for fio's matched run).
 * Usage: bench_log DIR MIB [ZSTD_LEVEL] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "platform/clock.h"
#include "storage/log_types.h"
#include "storage/log_writer.h"

static double bench_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	static uint8_t batch[LOG_BATCHBUF_DATA_BYTES];
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	const struct log_writer_stats *st;
	struct log_writer *lw;
	uint8_t payload[100];
	uint64_t target, written = 0, records = 0, t0, t1;
	double cpu0, cpu1;
	int rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_log DIR MIB [ZSTD_LEVEL]\n");
		return 2;
	}
	target = strtoull(argv[2], NULL, 10) << 20;
	cfg.zstd_level = argc == 4 ? atoi(argv[3]) : 0;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)('a' + i % 26);
	rc = log_writer_open(&lw, argv[1], &cfg);
	if (rc < 0) {
		fprintf(stderr, "bench_log: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	t0 = clock_mono_ns();
	cpu0 = bench_cpu_s();
	while (written < target) {
		uint32_t bytes = 0, count = 0;

		while (bytes + log_record_bytes(sizeof(payload)) <= sizeof(batch)) {
			struct log_record rec = { .source_id = records % 1000, .seq = records / 1000,
						  .event_time_ns = t0 + records * 1000,
						  .payload = payload, .payload_len = sizeof(payload) };

			memcpy(payload, &records, sizeof(records));
			bytes += log_record_encode(batch + bytes, &rec);
			count++;
			records++;
		}
		rc = log_writer_append(lw, batch, bytes, count, 0);
		if (rc == 0)
			rc = log_writer_poll(lw, false);
		if (rc < 0)
			break;
		written += bytes;
	}
	if (rc == 0)
		rc = log_writer_flush(lw);
	t1 = clock_mono_ns();
	cpu1 = bench_cpu_s();
	if (rc < 0) {
		fprintf(stderr, "bench_log: %s\n", strerror(-rc));
		return 1;
	}
	double secs = (double)(t1 - t0) / 1e9;
	st = log_writer_stats(lw);
	uint64_t stored = counter_get(&st->body_bytes_stored);
	uint64_t writes = counter_get(&st->writes), commits = counter_get(&st->commits);

	printf("mb_per_s=%.1f\nrecords_per_s=%.0f\ncpu_s_per_gb=%.2f\nstored_ratio=%.2f\n"
	       "compress_s=%.2f\ncommits=%llu\nwrite_kib=%llu\ncommit_kib=%llu\n",
	       (double)written / 1048576.0 / secs, (double)records / secs,
	       (cpu1 - cpu0) / ((double)written / 1e9),
	       stored ? (double)counter_get(&st->body_bytes_in) / (double)stored : 0.0,
	       (double)counter_get(&st->compress_ns) / 1e9, (unsigned long long)commits,
	       (unsigned long long)(writes ? stored / writes / 1024 : 0),
	       (unsigned long long)(commits ? stored / commits / 1024 : 0));
	log_writer_close(lw);
	return 0;
}
