/* The Kafka latency baseline of tests/bench/kafka: librdkafka's own
 * producer, with sluice's settings (idempotence, acks=all, linger.ms=1) and
 * messages like sluice's (a decimal key, PAYLOAD bytes, six headers of the
 * same sizes), at a fixed rate; each message's time from produce() to its
 * delivery report. What the broker and librdkafka take on this box, beside
 * sluice's arrival -> ack, which adds the log before them.
 *   bench_rdk_latency BROKERS TOPIC RATE COUNT [PAYLOAD]
 * Prints: delivered p50_ms p99_ms p999_ms */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t *lat_ns;
static uint64_t delivered, failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err) {
		failed++;
		return;
	}
	lat_ns[delivered++] = now_ns() - (uint64_t)(uintptr_t)m->_private;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double quantile_ms(double q)
{
	uint64_t i = (uint64_t)(q * (double)delivered);

	if (i >= delivered)
		i = delivered - 1;
	return (double)lat_ns[i] / 1e6;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char err[256];

	if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "bench_rdk_latency: %s=%s: %s\n", name, value, err);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static char payload[1024];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256], key[24];
	uint64_t rate, count, start;
	unsigned plen = 100;
	rd_kafka_t *rk;

	if (argc < 5 || (rate = strtoull(argv[3], NULL, 10)) == 0 ||
	    (count = strtoull(argv[4], NULL, 10)) == 0 ||
	    (argc > 5 && ((plen = (unsigned)atoi(argv[5])) == 0 || plen > sizeof(payload)))) {
		fprintf(stderr, "usage: bench_rdk_latency BROKERS TOPIC RATE COUNT [PAYLOAD (1..1024)]\n");
		return 2;
	}
	lat_ns = calloc(count, sizeof(*lat_ns));
	if (!lat_ns)
		return 1;
	memset(payload, 'p', plen);
	set(conf, "bootstrap.servers", argv[1]);
	set(conf, "enable.idempotence", "true");
	set(conf, "acks", "all");
	set(conf, "linger.ms", "1");
	set(conf, "batch.num.messages", "10000");
	set(conf, "queue.buffering.max.messages", "1000000");
	set(conf, "log_level", "3");
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "bench_rdk_latency: %s\n", err);
		return 1;
	}
	/* The first message waits for metadata and a producer id: not the
	 * live path, so it goes, and is acknowledged, before the clock starts. */
	rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_VALUE("warm", 4),
			  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE((void *)0),
			  RD_KAFKA_V_END);
	rd_kafka_flush(rk, 30000);
	delivered = 0;
	start = now_ns();
	for (uint64_t k = 0; k < count; k++) {
		uint64_t due = start + k * 1000000000u / rate, t = now_ns();
		rd_kafka_headers_t *h = rd_kafka_headers_new(8);
		int klen = snprintf(key, sizeof(key), "%" PRIu64, k % 100);

		if (t < due) {
			struct timespec ts = { .tv_sec = (time_t)((due - t) / 1000000000u),
					       .tv_nsec = (long)((due - t) % 1000000000u) };
			nanosleep(&ts, NULL);
		}
		rd_kafka_header_add(h, "event-id", -1, "42-1234567", -1);
		rd_kafka_header_add(h, "event-time", -1, "1795654996011840444", -1);
		rd_kafka_header_add(h, "arrival-time", -1, "1795654996013178713", -1);
		rd_kafka_header_add(h, "schema-id", -1, "0", -1);
		rd_kafka_header_add(h, "appliance-id", -1, "edge-box-01", -1);
		rd_kafka_header_add(h, "watermark", -1, "1795654991011840444", -1);
		if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_KEY(key, (size_t)klen),
				      RD_KAFKA_V_VALUE(payload, plen), RD_KAFKA_V_HEADERS(h),
				      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				      RD_KAFKA_V_OPAQUE((void *)(uintptr_t)now_ns()),
				      RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_headers_destroy(h);
			failed++;
		}
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 60000);
	rd_kafka_destroy(rk);
	if (delivered == 0 || failed) {
		fprintf(stderr, "bench_rdk_latency: %" PRIu64 " delivered, %" PRIu64 " failed\n",
			delivered, failed);
		return 1;
	}
	qsort(lat_ns, delivered, sizeof(*lat_ns), cmp_u64);
	printf("%" PRIu64 " %.1f %.1f %.1f\n", delivered, quantile_ms(0.50), quantile_ms(0.99),
	       quantile_ms(0.999));
	free(lat_ns);
	return 0;
}
