/* Kafka cluster state as the replicator sees it (see repl_broker.h). */
#include "control/repl_broker.h"

#include <stdio.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/plog.h"

void repl_broker_init(struct repl_broker *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
}

void repl_broker_destroy(struct repl_broker *b)
{
	pthread_mutex_destroy(&b->lock);
}

void repl_broker_error(struct repl_broker *b, int err, const char *name, const char *reason)
{
	char text[REPL_BROKER_ERROR_MAX], key[REPL_BROKER_ERROR_MAX];
	uint64_t now = clock_mono_ns();
	const char *tail = strstr(reason, " (after ");

	snprintf(text, sizeof(text), "%s: %s", name, reason);
	/* The same error, whatever timing or repeat count librdkafka adds. */
	snprintf(key, sizeof(key), "%s: %.*s", name,
		 tail ? (int)(tail - reason) : (int)strlen(reason), reason);
	pthread_mutex_lock(&b->lock);
	snprintf(b->s.last_error, sizeof(b->s.last_error), "%s", text);
	b->s.last_error_ns = clock_real_ns();
	b->s.errors++;
	pthread_mutex_unlock(&b->lock);
	(void)err;
	/* librdkafka repeats an error at every retry; one line says it. */
	unsigned oldest = 0;

	for (unsigned i = 0; i < REPL_BROKER_SAID_MAX; i++) {
		if (strcmp(key, b->said[i].key) == 0 && b->said[i].ns &&
		    now - b->said[i].ns < REPL_BROKER_REPEAT_NS)
			return;
		if (b->said[i].ns < b->said[oldest].ns)
			oldest = i;
	}
	plog_warn("kafka: %s", text);
	snprintf(b->said[oldest].key, sizeof(b->said[oldest].key), "%s", key);
	b->said[oldest].ns = now;
	b->said_any = true;
}

void repl_broker_acked(struct repl_broker *b)
{
	if (!b->s.connected) {  /* only this thread writes it */
		pthread_mutex_lock(&b->lock);
		b->s.connected = true;
		pthread_mutex_unlock(&b->lock);
	}
	if (!b->said_any)
		return;  /* every delivery report comes here: keep it short */
	/* Errors from now on are news again. */
	plog_info("kafka: delivering again");
	memset(b->said, 0, sizeof(b->said));
	b->said_any = false;
}

/* Copies the string value of "key":"..." found at or after p (before end)
 * into out; returns where it ends, or NULL. */
static const char *repl_broker_field(const char *p, const char *end, const char *key,
				     char *out, size_t size)
{
	char pat[32];
	const char *v, *q;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	v = strstr(p, pat);
	if (!v || v >= end)
		return NULL;
	v += strlen(pat);
	q = memchr(v, '"', (size_t)(end - v));
	if (!q)
		return NULL;
	n = (size_t)(q - v) < size - 1 ? (size_t)(q - v) : size - 1;
	memcpy(out, v, n);
	out[n] = '\0';
	return q;
}

void repl_broker_stats(struct repl_broker *b, const char *json, size_t len)
{
	const char *end = json + len, *p = strstr(json, "\"brokers\":{");
	char name[128], state[16], list[REPL_BROKER_LIST_MAX] = "";
	unsigned up = 0, known = 0;
	size_t used = 0;

	/* Each broker object has "nodename" then "source" then "state". The
	 * bootstrap placeholders (nodeid -1) repeat the real ones: skipped. */
	while (p && (p = repl_broker_field(p, end, "nodename", name, sizeof(name))) != NULL) {
		char source[16];
		const char *s = repl_broker_field(p, end, "source", source, sizeof(source));

		if (!s || !(p = repl_broker_field(s, end, "state", state, sizeof(state))))
			break;
		if (strcmp(source, "learned") != 0 && strcmp(source, "configured") != 0)
			continue;  /* internal or logical brokers */
		if (strcmp(source, "configured") == 0 && strstr(json, "\"source\":\"learned\""))
			continue;  /* the bootstrap entry, once real ones are known */
		known++;
		up += strcmp(state, "UP") == 0;
		if (used + strlen(name) + strlen(state) + 4 < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s %s",
						 used ? ", " : "", name, state);
	}
	pthread_mutex_lock(&b->lock);
	b->s.brokers_up = up;
	b->s.brokers_known = known;
	b->s.connected = up > 0;
	memcpy(b->s.brokers, list, sizeof(list));
	pthread_mutex_unlock(&b->lock);
}

void repl_broker_snapshot(struct repl_broker *b, struct repl_broker_state *out)
{
	pthread_mutex_lock(&b->lock);
	*out = b->s;
	pthread_mutex_unlock(&b->lock);
}

void repl_broker_reset(struct repl_broker *b)
{
	pthread_mutex_lock(&b->lock);
	b->s.connected = false;
	b->s.brokers_up = b->s.brokers_known = 0;
	b->s.brokers[0] = '\0';
	pthread_mutex_unlock(&b->lock);
}
