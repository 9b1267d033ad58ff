/* The data path of sluiced: its logs, the queue and the pool of batch
 * buffers, the packet source, the RX workers (and the one that replays dead
 * letters), the log service, and their lcores. */
#include "control/pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/rx_power.h"
#include "platform/crc32c.h"
#include "platform/eal.h"
#include "platform/plog.h"
#include "storage/log_segment.h"

/* The queue toward the log service, and the pool of batch buffers: every
 * buffer is in the queue, held by a worker (one per kind), or in the log
 * service's burst. */
#define PIPELINE_QUEUE_POW2 1024u
#define PIPELINE_POOL_SIZE(workers) \
	((PIPELINE_QUEUE_POW2 - 1) + (workers) * LOG_KINDS + LOG_SERVICE_BURST + 8)
#define PIPELINE_IDLE_SLEEP_NS 50000ull

int pipeline_open_logs(struct daemon *d)
{
	struct log_writer_config wc = LOG_WRITER_CONFIG_DEFAULT;
	char dir[LOG_PATH_MAX];
	int rc;

	wc.segment_bytes_max = d->cfg.segment_bytes;
	wc.zstd_level = (int)d->cfg.zstd_level;
	for (int k = 0; k < LOG_KINDS; k++) {
		snprintf(dir, sizeof(dir), "%s/%s", d->cfg.data_dir, log_kind_name(k));
		rc = log_writer_open(&d->logs[k], dir, &wc);
		if (rc < 0) {
			plog_err("opening log %s: %s", dir, strerror(-rc));
			return rc;
		}
		int refused = log_writer_io_fallback(d->logs[k]);

		if (refused)
			plog_warn("log %s: io_uring refused (%s): writing with pwrite and fdatasync, "
				  "one at a time", dir, strerror(-refused));
		uint64_t cut = counter_get(&log_writer_stats(d->logs[k])->torn_bytes_cut);
		plog_info("log %s: %" PRIu64 " records%s", dir,
			  log_writer_durable_offset(d->logs[k]), cut ? ", torn tail cut" : "");
		if (cut)
			plog_warn("log %s: cut %" PRIu64 " bytes of a torn tail", dir, cut);
	}
	return 0;
}

int pipeline_open(struct daemon *d)
{
	static struct source_config sc;
	char err[512] = "";
	unsigned pool_size = PIPELINE_POOL_SIZE(d->cfg.workers);
	int rc;

	d->queue = queue_create("sluice_batches", PIPELINE_QUEUE_POW2, &rc);
	if (!d->queue) {
		plog_err("creating the batch queue: %s", strerror(-rc));
		return rc;
	}
	d->pool = pool_create("sluice_bufs", pool_size, sizeof(struct log_batchbuf), &rc);
	if (!d->pool) {
		plog_err("creating %u batch buffers of %zu bytes: %s (raise --eal-memory-mb)",
			 pool_size, sizeof(struct log_batchbuf), strerror(-rc));
		return rc;
	}
	memcpy(sc.listen, d->cfg.listen, sizeof(sc.listen));
	sc.listen_count = d->cfg.listen_count;
	sc.queues = (unsigned)d->cfg.workers;
	sc.rcvbuf_bytes = (int)d->cfg.rcvbuf_bytes;
	sc.poll_timeout_ms = 1;  /* bounds how long a partial batch waits */
	sc.port_id = (uint16_t)d->cfg.port;
	snprintf(sc.vlans, sizeof(sc.vlans), "%s", d->cfg.vlans);
	sc.rx_desc = (unsigned)d->cfg.rx_desc;
	sc.tx_desc = (unsigned)d->cfg.tx_desc;
	sc.frag_flows = (unsigned)d->cfg.frag_flows;
	sc.frag_timeout_ms = (unsigned)d->cfg.frag_timeout_ms;
	sc.allow = d->cfg.allow_list;
	enum rx_power_mode power = RX_POWER_BUSY;

	(void)rx_power_mode_parse(d->cfg.dpdk_power, &power);  /* opts checked the name */
	sc.power_mode = (int)power;
	sc.sleep_max_ns = d->cfg.dpdk_sleep_max_us * 1000;
	d->source_ops = strcmp(d->cfg.source, "dpdk") == 0 ? &source_dpdk_ops
							   : &source_socket_ops;
	rc = d->source_ops->open(&d->source, &sc, err, sizeof(err));
	if (rc < 0) {
		plog_err("%s source: %s", d->source_ops->name, err);
		return rc;
	}
	if (err[0])
		plog_warn("%s source: %s", d->source_ops->name, err);
	/* Two CRC-32Cs make a 64-bit salt of the appliance id. */
	d->appliance_salt = (uint64_t)crc32c(d->cfg.appliance_id, strlen(d->cfg.appliance_id)) << 32 |
			    crc32c_extend(0x736c7563u, d->cfg.appliance_id,
					  strlen(d->cfg.appliance_id));
	for (unsigned i = 0; i < d->cfg.workers; i++) {
		struct worker_config wc = {
			.index = i,
			.source = d->source,
			.ops = d->source_ops,
			.queue = d->queue,
			.pool = d->pool,
			.mode = strcmp(d->cfg.mode, "raw") == 0 ? WORKER_MODE_RAW : WORKER_MODE_SLF1,
			.enqueue_retry_ns = d->cfg.enqueue_retry_us * 1000,
			.flush_ns = d->cfg.flush_us * 1000,
			.refuse = &d->refuse_intake,
			.raw_id_salt = d->appliance_salt,
			.dlq_rate_source = d->cfg.dlq_rate_per_source,
			/* Each worker keeps its share of the total. */
			.dlq_bytes_rate = d->cfg.dlq_bytes_per_s
						  ? (d->cfg.dlq_bytes_per_s + d->cfg.workers - 1) /
							    d->cfg.workers
						  : 0,
			.raw_seq_base = d->start_epoch << 40,
			.sources_max = (uint32_t)d->cfg.sources_max,
			.late_ns = d->cfg.late_ms * 1000000,
			.ahead_ns = d->cfg.clock_ahead_ms * 1000000,
		};

		d->workers[i] = worker_create(&wc);
		if (!d->workers[i])
			return -ENOMEM;
		d->worker_count++;
		/* The same settings for the worker that replays dead letters on
		 * the main thread; it never receives. */
		if (i == 0) {
			wc.index = SOURCE_QUEUES_MAX;
			wc.source = NULL;
			d->replayer = worker_create(&wc);
			if (!d->replayer)
				return -ENOMEM;
		}
	}
	d->service.queue = d->queue;
	d->service.pool = d->pool;
	d->service.logs[LOG_KIND_EVENTS] = d->logs[LOG_KIND_EVENTS];
	d->service.logs[LOG_KIND_DLQ] = d->logs[LOG_KIND_DLQ];
	d->service.idle_sleep_ns = PIPELINE_IDLE_SLEEP_NS;
	return 0;
}

int pipeline_launch(struct daemon *d)
{
	unsigned ids[SOURCE_QUEUES_MAX + 1];
	unsigned n = eal_worker_lcores(ids, SOURCE_QUEUES_MAX + 1);
	int rc;

	if (n < d->worker_count + 1) {
		plog_err("the EAL gave %u worker lcores; %u RX workers and the log "
			 "service need %u", n, d->worker_count, d->worker_count + 1);
		return -ERANGE;
	}
	d->service_lcore = ids[d->worker_count];
	/* Polling workers that share a CPU take turns instead of polling;
	 * sleeping ones (--dpdk-power sleep|interrupt) can share. */
	if (d->source_ops == &source_dpdk_ops && strcmp(d->cfg.dpdk_power, "busy") == 0 &&
	    !eal_lcores_dedicated(ids, d->worker_count, d->service_lcore)) {
		plog_err("--source dpdk: each of the %u busy-polling worker lcores needs a CPU of "
			 "its own, apart from the main lcore and the log service's; fix the EAL's "
			 "-l/--lcores map, or let idle workers sleep (--dpdk-power sleep)",
			 d->worker_count);
		return -EBUSY;
	}
	rc = eal_launch(d->service_lcore, log_service_run, &d->service);
	for (unsigned i = 0; rc == 0 && i < d->worker_count; i++) {
		d->worker_lcores[i] = ids[i];
		rc = eal_launch(ids[i], worker_run, d->workers[i]);
	}
	if (rc < 0)
		plog_err("launching lcores: %s", strerror(-rc));
	return rc;
}
