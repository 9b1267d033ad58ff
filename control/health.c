/* Liveness and readiness from the stamps the main loop keeps. */
#include "control/health.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "control/daemon.h"
#include "control/repl_broker.h"

void health_init(struct health *h, unsigned workers, uint64_t kafka_outage_ns, uint64_t now)
{
	memset(h, 0, sizeof(*h));
	h->workers = workers < SOURCE_QUEUES_MAX ? workers : SOURCE_QUEUES_MAX;
	h->kafka_outage_ns = kafka_outage_ns;
	atomic_store(&h->main_ns, now);
	atomic_store(&h->service_ns, now);
	atomic_store(&h->kafka_up_ns, now);
	for (unsigned i = 0; i < h->workers; i++)
		atomic_store(&h->worker_ns[i], now);
}

void health_run(struct health *h, const struct daemon *d, uint64_t now)
{
	uint64_t loops = counter_get(&d->service.stats.loops);

	atomic_store(&h->main_ns, now);
	if (loops != h->service_loops) {
		h->service_loops = loops;
		atomic_store(&h->service_ns, now);
	}
	for (unsigned i = 0; i < h->workers; i++) {
		uint64_t b = d->workers[i] ? counter_get(&d->workers[i]->stats.bursts) : 0;

		if (b != h->worker_bursts[i]) {
			h->worker_bursts[i] = b;
			atomic_store(&h->worker_ns[i], now);
		}
	}
	atomic_store(&h->ingesting, d->state == DAEMON_RUNNING);
	atomic_store(&h->disk_refusing, atomic_load(&d->refuse_intake));
	atomic_store(&h->kafka_off, d->repl == NULL);
	if (d->repl) {
		struct repl_broker_state b;

		repl_broker_state(d->repl, &b);
		if (b.connected)
			atomic_store(&h->kafka_up_ns, now);
	}
}

/* A reason, when someone asked for them (out may be NULL). */
__attribute__((format(printf, 2, 3))) static void health_say(FILE *out, const char *fmt, ...)
{
	va_list ap;

	if (!out)
		return;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

static bool health_fresh(uint64_t stamp, uint64_t now)
{
	return now < stamp || now - stamp < HEALTH_STALL_NS;
}

bool health_live(const struct health *h, uint64_t now, FILE *out)
{
	bool ok = true;

	if (!health_fresh(atomic_load(&h->main_ns), now)) {
		health_say(out, "the main loop has not run for %" PRIu64 " s\n",
			(now - atomic_load(&h->main_ns)) / UINT64_C(1000000000));
		return false;  /* its stamps of the others are stale too */
	}
	if (!atomic_load(&h->ingesting))
		return true;  /* draining: the workers and the log service stop by design */
	if (!health_fresh(atomic_load(&h->service_ns), now)) {
		health_say(out, "the log service has not moved for %" PRIu64 " s\n",
			(now - atomic_load(&h->service_ns)) / UINT64_C(1000000000));
		ok = false;
	}
	for (unsigned i = 0; i < h->workers; i++)
		if (!health_fresh(atomic_load(&h->worker_ns[i]), now)) {
			health_say(out, "worker %u has not moved for %" PRIu64 " s\n", i,
				(now - atomic_load(&h->worker_ns[i])) / UINT64_C(1000000000));
			ok = false;
		}
	return ok;
}

bool health_ready(const struct health *h, uint64_t now, FILE *out)
{
	bool ok = health_live(h, now, out);
	uint64_t up = atomic_load(&h->kafka_up_ns);

	if (!atomic_load(&h->ingesting)) {
		health_say(out, "not ingesting: draining\n");
		ok = false;
	}
	if (atomic_load(&h->disk_refusing)) {
		health_say(out, "the data folder is below its free-space mark: intake refused\n");
		ok = false;
	}
	if (!atomic_load(&h->kafka_off) && now > up && now - up >= h->kafka_outage_ns) {
		health_say(out, "Kafka not connected for %" PRIu64 " s (allowed %" PRIu64 " s)\n",
			(now - up) / UINT64_C(1000000000), h->kafka_outage_ns / UINT64_C(1000000000));
		ok = false;
	}
	return ok;
}
