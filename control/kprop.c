/* Pass-through librdkafka settings (see kprop.h). */
#include "control/kprop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

/* Set by sluice, and what its delivery guarantee rests on. */
static const char *const kprop_reserved[] = {
	"bootstrap.servers", "metadata.broker.list", "enable.idempotence", "acks",
	"request.required.acks", "transactional.id", "enable.gapless.guarantee",
};

static int kprop_check(const char *name, const char *value, char *err, size_t err_size)
{
	rd_kafka_conf_t *conf;
	char why[256];
	int rc = 0;

	for (size_t i = 0; i < sizeof(kprop_reserved) / sizeof(kprop_reserved[0]); i++)
		if (strcmp(name, kprop_reserved[i]) == 0) {
			snprintf(err, err_size, "kafka.%s: set by sluice (%s)", name,
				 strcmp(name, "bootstrap.servers") == 0 ||
					 strcmp(name, "metadata.broker.list") == 0
					 ? "use --kafka"
					 : "its no-loss delivery depends on it");
			return -EINVAL;
		}
	if (strlen(name) >= KPROP_NAME_MAX || strlen(value) >= KPROP_VALUE_MAX) {
		snprintf(err, err_size, "kafka.%s: name or value too long", name);
		return -EINVAL;
	}
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, err_size, "kafka.%s '%s': %s", name, value, why);
		rc = -EINVAL;
	}
	rd_kafka_conf_destroy(conf);
	return rc;
}

int kprop_set(struct kprop_list *l, const char *name, const char *value, char *err,
	      size_t err_size)
{
	unsigned i;

	if (kprop_check(name, value, err, err_size) < 0)
		return -EINVAL;
	for (i = 0; i < l->count && strcmp(l->p[i].name, name) != 0; i++)
		;
	if (i == KPROP_MAX) {
		snprintf(err, err_size, "kafka.%s: at most %d kafka.* settings", name, KPROP_MAX);
		return -EINVAL;
	}
	strcpy(l->p[i].name, name);
	strcpy(l->p[i].value, value);
	if (i == l->count)
		l->count++;
	return 0;
}

int kprop_set_kv(struct kprop_list *l, const char *kv, char *err, size_t err_size)
{
	char name[KPROP_NAME_MAX];
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(name)) {
		snprintf(err, err_size, "--kafka-set '%s': expected NAME=VALUE", kv);
		return -EINVAL;
	}
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = '\0';
	return kprop_set(l, name, eq + 1, err, err_size);
}

static const char *kprop_get(const struct kprop_list *l, const char *name)
{
	for (unsigned i = 0; i < l->count; i++)
		if (strcmp(l->p[i].name, name) == 0)
			return l->p[i].value;
	return NULL;
}

bool kprop_same(const struct kprop_list *a, const struct kprop_list *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned i = 0; i < a->count; i++) {
		const char *other = kprop_get(b, a->p[i].name);

		if (!other || strcmp(other, a->p[i].value) != 0)
			return false;
	}
	return true;
}
