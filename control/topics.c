/* Topic names and the schema-to-topic map (see topics.h). */
#include "control/topics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool topics_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= TOPICS_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == len &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int topics_map_set(struct topic_map *m, const char *schema_id, const char *name, char *err,
		   size_t err_size)
{
	char *end;
	unsigned long id;
	unsigned i;

	id = strtoul(schema_id, &end, 10);
	if (!*schema_id || *end || schema_id[0] == '-' || id > UINT16_MAX) {
		snprintf(err, err_size, "topic.%s: the schema id must be a whole number from 0 "
			 "to 65535", schema_id);
		return -EINVAL;
	}
	if (!topics_name_valid(name)) {
		snprintf(err, err_size, "topic.%s '%s': not a valid Kafka topic name (letters, "
			 "digits, '.', '_', '-')", schema_id, name);
		return -EINVAL;
	}
	for (i = 0; i < m->count && m->e[i].schema_id != id; i++)
		;
	if (i == TOPICS_MAP_MAX) {
		snprintf(err, err_size, "topic.%s: at most %d schema topics", schema_id,
			 TOPICS_MAP_MAX);
		return -EINVAL;
	}
	m->e[i].schema_id = (uint16_t)id;
	strcpy(m->e[i].name, name);
	if (i == m->count)
		m->count++;
	return 0;
}

int topics_map_set_kv(struct topic_map *m, const char *kv, char *err, size_t err_size)
{
	char id[16];
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(id)) {
		snprintf(err, err_size, "expected SCHEMA_ID=TOPIC");
		return -EINVAL;
	}
	memcpy(id, kv, (size_t)(eq - kv));
	id[eq - kv] = '\0';
	return topics_map_set(m, id, eq + 1, err, err_size);
}
