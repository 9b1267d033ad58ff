/* The offsets topic of exactly-once delivery: one compacted topic, keyed
 * "APPLIANCE/events" and "APPLIANCE/dlq", whose values (decimal text) are
 * the offsets the logs go on from, written inside each transaction. Read
 * back with a read_committed consumer from the beginning to the end of
 * every partition; the newest value of a key wins. A fleet shares the
 * topic; compaction keeps it at two records per appliance. */
#include "control/repl_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/num.h"
#include "platform/plog.h"

#define REPL_OFFSETS_READ_NS (30ull * 1000000000ull)
#define REPL_OFFSETS_PARTITIONS_MAX 1024

int repl_offsets_key(const struct repl *r, unsigned k, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s", r->cfg.appliance_id, log_kind_name((int)k));
}

/* Creates the topic, compacted, with the brokers' default replication;
 * one that exists already is fine (another appliance made it). */
static int repl_offsets_create(struct repl *r, char *err, size_t err_size)
{
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(r->cfg.offsets_topic, 1, -1, err, err_size);
	rd_kafka_AdminOptions_t *opt = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	int rc = -EIO;

	if (!nt)
		return -EINVAL;
	if (rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact")) {
		snprintf(err, err_size, "cannot set cleanup.policy on '%s'", r->cfg.offsets_topic);
		goto out;
	}
	opt = rd_kafka_AdminOptions_new(r->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opt, REPL_TXN_CALL_MS, NULL, 0);
	rd_kafka_AdminOptions_set_operation_timeout(opt, REPL_TXN_CALL_MS, NULL, 0);
	q = rd_kafka_queue_new(r->rk);
	rd_kafka_CreateTopics(r->rk, &nt, 1, opt, q);
	ev = rd_kafka_queue_poll(q, REPL_TXN_CALL_MS + 2000);
	if (!ev) {
		snprintf(err, err_size, "creating topic '%s': no answer", r->cfg.offsets_topic);
		rc = -ETIMEDOUT;
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		snprintf(err, err_size, "creating topic '%s': %s", r->cfg.offsets_topic,
			 rd_kafka_event_error_string(ev));
		goto out;
	}
	size_t n = 0;
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);

	for (size_t i = 0; i < n; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);

		if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			snprintf(err, err_size, "creating topic '%s': %s (create it compacted "
				 "yourself, or allow sluice to)", r->cfg.offsets_topic,
				 rd_kafka_topic_result_error_string(res[i]));
			goto out;
		}
	}
	plog_info("exactly-once: created the offsets topic '%s' (compacted)", r->cfg.offsets_topic);
	rc = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (q)
		rd_kafka_queue_destroy(q);
	if (opt)
		rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_NewTopic_destroy(nt);
	return rc;
}

/* The topic's partition count, 0 when it does not exist. */
static int repl_offsets_partitions(rd_kafka_t *consumer, const char *topic, char *err,
				   size_t err_size)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(consumer, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;
	int n = -EIO;

	if (!rkt)
		return -EINVAL;
	e = rd_kafka_metadata(consumer, 0, rkt, &md, REPL_TXN_CALL_MS);
	if (e) {
		snprintf(err, err_size, "metadata of '%s': %s", topic, rd_kafka_err2str(e));
	} else if (md->topic_cnt != 1) {
		snprintf(err, err_size, "metadata of '%s': %d topics", topic, md->topic_cnt);
	} else if (md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
		n = 0;
	} else if (md->topics[0].err) {
		snprintf(err, err_size, "topic '%s': %s", topic, rd_kafka_err2str(md->topics[0].err));
	} else {
		n = md->topics[0].partition_cnt;
	}
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return n;
}

static void repl_offsets_take(const struct repl *r, const rd_kafka_message_t *m,
			      uint64_t off[LOG_KINDS], bool found[LOG_KINDS])
{
	char key[200], val[24];

	if (!m->key || !m->payload || m->len >= sizeof(val))
		return;
	memcpy(val, m->payload, m->len);
	val[m->len] = '\0';
	for (unsigned k = 0; k < LOG_KINDS; k++) {
		size_t klen = (size_t)repl_offsets_key(r, k, key, sizeof(key));
		uint64_t v;

		if (m->key_len != klen || memcmp(m->key, key, klen) != 0)
			continue;
		if (!num_u64(val, &v)) {
			plog_warn("exactly-once: offsets topic: bad value for %s at %" PRId64
				  ", ignored", key, m->offset);
			return;
		}
		off[k] = v;
		found[k] = true;
	}
}

/* Reads every partition from the beginning to its end. */
static int repl_offsets_consume(const struct repl *r, rd_kafka_t *c, int partitions,
				uint64_t off[LOG_KINDS], bool found[LOG_KINDS], char *err,
				size_t err_size)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
	uint64_t deadline = clock_mono_ns() + REPL_OFFSETS_READ_NS;
	int at_end = 0, rc = 0;
	rd_kafka_resp_err_t e;

	for (int p = 0; p < partitions; p++)
		rd_kafka_topic_partition_list_add(list, r->cfg.offsets_topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	e = rd_kafka_assign(c, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (e) {
		snprintf(err, err_size, "assigning '%s': %s", r->cfg.offsets_topic,
			 rd_kafka_err2str(e));
		return -EIO;
	}
	while (at_end < partitions) {
		rd_kafka_message_t *m;

		if (clock_mono_ns() >= deadline) {
			snprintf(err, err_size, "reading '%s': not at its end after %llu s",
				 r->cfg.offsets_topic, REPL_OFFSETS_READ_NS / 1000000000ull);
			rc = -ETIMEDOUT;
			break;
		}
		m = rd_kafka_consumer_poll(c, 100);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			at_end++;
		} else if (m->err) {
			snprintf(err, err_size, "reading '%s': %s", r->cfg.offsets_topic,
				 rd_kafka_message_errstr(m));
			rc = -EIO;
		} else {
			repl_offsets_take(r, m, off, found);
		}
		rd_kafka_message_destroy(m);
		if (rc < 0)
			break;
	}
	rd_kafka_assign(c, NULL);
	return rc;
}

int repl_offsets_read(struct repl *r, uint64_t off[LOG_KINDS], bool found[LOG_KINDS], char *err,
		      size_t err_size)
{
	static const char *const settings[][2] = {
		{ "group.id", "sluice-offsets-reader" },  /* never joined: assign only */
		{ "enable.auto.commit", "false" },
		{ "enable.partition.eof", "true" },
		{ "isolation.level", "read_committed" },
		{ "allow.auto.create.topics", "false" },
	};
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *c;
	int partitions, rc;

	if (repl_conf_apply(r, conf, err, err_size) < 0)
		goto bad_conf;
	if (repl_conf_set_table(conf, settings, sizeof(settings) / sizeof(settings[0]), err,
				err_size) < 0)
		goto bad_conf;
	c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, err_size);
	if (!c)
		goto bad_conf;
	partitions = repl_offsets_partitions(c, r->cfg.offsets_topic, err, err_size);
	if (partitions == 0) {
		rd_kafka_destroy(c);
		return repl_offsets_create(r, err, err_size);  /* nothing to read yet */
	}
	if (partitions > REPL_OFFSETS_PARTITIONS_MAX) {
		snprintf(err, err_size, "topic '%s' has %d partitions; at most %d",
			 r->cfg.offsets_topic, partitions, REPL_OFFSETS_PARTITIONS_MAX);
		partitions = -EINVAL;
	}
	rc = partitions < 0 ? partitions
			    : repl_offsets_consume(r, c, partitions, off, found, err, err_size);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	return rc;
bad_conf:
	rd_kafka_conf_destroy(conf);
	return -EINVAL;
}
