/* The canary's schedule, its settling from the pipeline's canary counters,
 * and its renderings for sluicectl and Prometheus. */
#include "control/canary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/slf.h"
#include "platform/clock.h"
#include "platform/histo.h"
#include "platform/plog.h"

static const char *canary_result_name(uint64_t r)
{
	static const char *const names[] = { "none", "arrived", "dropped", "lost" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

void canary_init(struct canary *c, const struct canary_config *cfg, bool kafka, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->kafka = kafka;
	c->started_ns = now;
	c->next_ns = now + (cfg->interval_ns < CANARY_FIRST_NS ? cfg->interval_ns : CANARY_FIRST_NS);
}

/* Builds this run's canary number seq and hands it to the worker. */
static int canary_send(struct canary *c, const struct canary_path *p)
{
	uint8_t payload[200], frame[WORKER_INJECT_BYTES];
	uint64_t now_real = clock_real_ns();
	struct slf_frame f = {
		.flags = SLF_FLAG_CANARY,
		.schema_id = c->cfg.schema_id,
		.source_id = c->cfg.source_id,
		.seq = c->cfg.seq_base + c->seq,
		.event_time_ns = now_real,
		.payload = payload,
	};
	int len = snprintf((char *)payload, sizeof(payload), "sluice canary %" PRIu64 " of %s",
			   f.seq, c->cfg.appliance_id);
	uint32_t bytes;

	f.payload_len = (uint16_t)(len < (int)sizeof(payload) ? len : (int)sizeof(payload) - 1);
	bytes = slf_encode(frame, sizeof(frame), &f);
	if (!bytes)
		return -EMSGSIZE;
	int rc = worker_inject(p->worker, frame, bytes);

	if (rc < 0)
		return rc;
	counter_set(&c->pending_seq, f.seq);
	counter_set(&c->pending_since_ns, now_real);
	return 0;
}

static void canary_settle(struct canary *c, enum canary_result r, uint64_t kafka_ns,
			  uint64_t now)
{
	counter_set(&c->last_seq, counter_get(&c->pending_seq));
	counter_set(&c->last_sent_ns, counter_get(&c->pending_since_ns));
	counter_set(&c->last_durable_ns, r == CANARY_ARRIVED ? c->durable_ns : 0);
	counter_set(&c->last_kafka_ns, r == CANARY_ARRIVED ? kafka_ns : 0);
	counter_set(&c->last_result, r);
	if (r == CANARY_ARRIVED) {
		counter_set(&c->arrived_mono_ns, now);
		counter_add(&c->arrived, 1);
	} else {
		counter_add(&c->failed, 1);
		plog_warn("canary %" PRIu64 " was %s: %s", counter_get(&c->pending_seq),
			  canary_result_name(r),
			  r == CANARY_DROPPED ? "refused at the door (disk full or queue full)"
					      : "the disk did not take it");
	}
	c->pending = false;
}

/* What became of the canary on its way, from the counters each stage keeps
 * for it (they move once per canary, and there is one at a time). */
static void canary_follow(struct canary *c, const struct canary_path *p, uint64_t now)
{
	if (counter_get(&p->worker->stats.canaries_dropped) != c->base_dropped) {
		canary_settle(c, CANARY_DROPPED, 0, now);
		return;
	}
	if (counter_get(&p->log->canaries_lost) != c->base_lost) {
		canary_settle(c, CANARY_LOST, 0, now);
		return;
	}
	if (!c->durable && counter_get(&p->log->canaries_durable) != c->base_durable) {
		c->durable = true;
		c->durable_ns = counter_get(&p->log->canary_durable_ns);
		if (!p->repl) {
			canary_settle(c, CANARY_ARRIVED, 0, now);
			return;
		}
	}
	if (c->durable && p->repl && counter_get(&p->repl->canaries_acked) != c->base_acked)
		canary_settle(c, CANARY_ARRIVED, counter_get(&p->repl->canary_ack_ns), now);
}

void canary_run(struct canary *c, const struct canary_path *p, bool stopping, uint64_t now)
{
	int rc;

	if (!c->cfg.interval_ns)
		return;
	if (c->pending)
		canary_follow(c, p, now);
	if (stopping || now < c->next_ns)
		return;
	c->next_ns = now + c->cfg.interval_ns;
	if (c->pending) {
		counter_add(&c->skipped, 1);  /* the last is still on its way */
		return;
	}
	c->base_dropped = counter_get(&p->worker->stats.canaries_dropped);
	c->base_lost = counter_get(&p->log->canaries_lost);
	c->base_durable = counter_get(&p->log->canaries_durable);
	c->base_acked = p->repl ? counter_get(&p->repl->canaries_acked) : 0;
	rc = canary_send(c, p);
	if (rc < 0) {
		counter_add(&c->skipped, 1);  /* the worker has not taken the last one */
		return;
	}
	c->seq++;
	c->pending = true;
	c->durable = false;
	counter_add(&c->sent, 1);
}

uint64_t canary_age_us(const struct canary *c, uint64_t now)
{
	uint64_t since = counter_get(&c->arrived_mono_ns);

	if (!since)
		since = c->started_ns;
	return now > since ? (now - since) / 1000 : 0;
}

bool canary_stale(const struct canary *c, uint64_t now)
{
	return c->cfg.interval_ns &&
	       canary_age_us(c, now) * 1000 > c->cfg.interval_ns + c->cfg.stale_ns;
}

void canary_render(const struct canary *c, uint64_t now, FILE *out, int json)
{
	uint64_t age = canary_age_us(c, now), result = counter_get(&c->last_result);
	uint64_t pending_since = counter_get(&c->pending_since_ns);
	bool pending = counter_get(&c->sent) > counter_get(&c->arrived) + counter_get(&c->failed);
	char sent[32] = "", since[32] = "";

	clock_utc_text(counter_get(&c->last_sent_ns), sent, sizeof(sent));
	clock_utc_text(pending_since, since, sizeof(since));
	if (json) {
		fprintf(out, "{\"interval_seconds\":%" PRIu64 ",\"kafka\":%s,\"source_id\":%" PRIu64
			",\"schema_id\":%u,\"sent\":%" PRIu64 ",\"arrived\":%" PRIu64
			",\"failed\":%" PRIu64 ",\"skipped\":%" PRIu64 ",\"age_seconds\":",
			c->cfg.interval_ns / UINT64_C(1000000000), c->kafka ? "true" : "false",
			c->cfg.source_id, c->cfg.schema_id, counter_get(&c->sent),
			counter_get(&c->arrived), counter_get(&c->failed), counter_get(&c->skipped));
		histo_print_seconds(out, age);
		fprintf(out, ",\"stale\":%s,\"pending\":%s", canary_stale(c, now) ? "true" : "false",
			pending ? "true" : "false");
		if (pending)
			fprintf(out, ",\"pending_seq\":%" PRIu64 ",\"pending_since\":\"%s\"",
				counter_get(&c->pending_seq), since);
		if (result != CANARY_NONE) {
			fprintf(out, ",\"last\":{\"seq\":%" PRIu64 ",\"sent\":\"%s\",\"result\":\"%s\"",
				counter_get(&c->last_seq), sent, canary_result_name(result));
			if (result == CANARY_ARRIVED) {
				fputs(",\"durable_seconds\":", out);
				histo_print_seconds(out, counter_get(&c->last_durable_ns) / 1000);
				if (c->kafka) {
					fputs(",\"kafka_seconds\":", out);
					histo_print_seconds(out, counter_get(&c->last_kafka_ns) / 1000);
				}
			}
			fputc('}', out);
		}
		fputs("}\n", out);
		return;
	}
	if (!c->cfg.interval_ns) {
		fputs("canary off (canary-interval-s = 0)\n", out);
		return;
	}
	fprintf(out, "canary every %" PRIu64 " s as source %" PRIu64 ", schema %u, to %s\n",
		c->cfg.interval_ns / UINT64_C(1000000000), c->cfg.source_id, c->cfg.schema_id,
		c->kafka ? "Kafka" : "the log (kafka none)");
	if (result == CANARY_NONE)
		fputs("last       none yet\n", out);
	else if (result == CANARY_ARRIVED && c->kafka)
		fprintf(out, "last       #%" PRIu64 " sent %s: durable in %.3f ms, Kafka ack in "
			"%.3f ms\n", counter_get(&c->last_seq), sent,
			counter_get(&c->last_durable_ns) / 1e6, counter_get(&c->last_kafka_ns) / 1e6);
	else if (result == CANARY_ARRIVED)
		fprintf(out, "last       #%" PRIu64 " sent %s: durable in %.3f ms\n",
			counter_get(&c->last_seq), sent, counter_get(&c->last_durable_ns) / 1e6);
	else
		fprintf(out, "last       #%" PRIu64 " sent %s: %s\n", counter_get(&c->last_seq), sent,
			canary_result_name(result));
	if (pending)
		fprintf(out, "on its way #%" PRIu64 " since %s\n", counter_get(&c->pending_seq),
			since);
	fprintf(out, "age        %.1f s since the last arrived%s\n", age / 1e6,
		canary_stale(c, now) ? " (STALE)" : "");
	fprintf(out, "counts     sent %" PRIu64 ", arrived %" PRIu64 ", failed %" PRIu64
		", skipped %" PRIu64 "\n", counter_get(&c->sent), counter_get(&c->arrived),
		counter_get(&c->failed), counter_get(&c->skipped));
}

void canary_render_prometheus(const struct canary *c, uint64_t now, FILE *out)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} counts[] = {
		{ "sent", "canaries handed to the parser", offsetof(struct canary, sent) },
		{ "arrived", "canaries that reached Kafka (kafka none: the disk)",
		  offsetof(struct canary, arrived) },
		{ "failed", "canaries refused at the door or lost by the disk",
		  offsetof(struct canary, failed) },
		{ "skipped", "canaries not sent because the last one was still on its way",
		  offsetof(struct canary, skipped) },
	};

	if (!c->cfg.interval_ns)
		return;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		fprintf(out, "# HELP sluice_canary_%s_total %s\n# TYPE sluice_canary_%s_total counter\n"
			"sluice_canary_%s_total %" PRIu64 "\n", counts[i].name, counts[i].help,
			counts[i].name, counts[i].name,
			counter_get((const counter_t *)((const char *)c + counts[i].offset)));
	fprintf(out, "# HELP sluice_canary_interval_seconds how often a canary is sent\n"
		"# TYPE sluice_canary_interval_seconds gauge\n"
		"sluice_canary_interval_seconds %" PRIu64 "\n", c->cfg.interval_ns / UINT64_C(1000000000));
	fprintf(out, "# HELP sluice_canary_stale 1 while no canary has arrived for its interval "
		"plus --canary-stale-s\n# TYPE sluice_canary_stale gauge\nsluice_canary_stale %d\n",
		canary_stale(c, now));
	fputs("# HELP sluice_canary_age_seconds time since the last canary arrived (or since "
	      "start)\n# TYPE sluice_canary_age_seconds gauge\nsluice_canary_age_seconds ", out);
	histo_print_seconds(out, canary_age_us(c, now));
	fputs("\n# HELP sluice_canary_durable_latency_seconds the last arrived canary: arrival "
	      "to durable\n# TYPE sluice_canary_durable_latency_seconds gauge\n"
	      "sluice_canary_durable_latency_seconds ", out);
	histo_print_seconds(out, counter_get(&c->last_durable_ns) / 1000);
	fputc('\n', out);
	if (!c->kafka)
		return;
	fputs("# HELP sluice_canary_kafka_latency_seconds the last arrived canary: arrival to "
	      "Kafka ack\n# TYPE sluice_canary_kafka_latency_seconds gauge\n"
	      "sluice_canary_kafka_latency_seconds ", out);
	histo_print_seconds(out, counter_get(&c->last_kafka_ns) / 1000);
	fputc('\n', out);
}
