/* Log writer throughput: appends `mb` MiB of 100-byte-payload records in
 * worker-sized batches through the log writer (io_uring writes, group
 * commit fdatasync) and prints MB/s and records/s once all is durable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "storage/log_service.h"
#include "storage/log_writer.h"

int main(int argc, char **argv)
{
	static uint8_t batch[LOG_BATCHBUF_DATA_BYTES];
	struct log_writer_config cfg = LOG_WRITER_CONFIG_DEFAULT;
	struct log_writer *lw;
	uint8_t payload[100];
	uint64_t target, written = 0, records = 0, t0, t1;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_log DIR MIB\n");
		return 2;
	}
	target = strtoull(argv[2], NULL, 10) << 20;
	memset(payload, 'p', sizeof(payload));
	rc = log_writer_open(&lw, argv[1], &cfg);
	if (rc < 0) {
		fprintf(stderr, "bench_log: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	t0 = clock_mono_ns();
	while (written < target) {
		uint32_t bytes = 0, count = 0;

		while (bytes + log_record_bytes(sizeof(payload)) <= sizeof(batch)) {
			struct log_record rec = { .source_id = records % 1000, .seq = records,
						  .payload = payload, .payload_len = sizeof(payload) };

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
	if (rc < 0) {
		fprintf(stderr, "bench_log: %s\n", strerror(-rc));
		return 1;
	}
	double secs = (double)(t1 - t0) / 1e9;

	printf("mb_per_s=%.1f\nrecords_per_s=%.0f\ncommits=%llu\n", (double)written / 1048576.0 / secs,
	       (double)records / secs,
	       (unsigned long long)counter_get(&log_writer_stats(lw)->commits));
	log_writer_close(lw);
	return 0;
}
