/* Topics per schema: `topic.ID = NAME` in the config file or
 * `--topic-map ID=NAME` on the command line sends events of schema ID to
 * topic NAME; the others go to --topic, dead letters to "--topic.dlq". */
#ifndef SLUICE_CONTROL_TOPICS_H
#define SLUICE_CONTROL_TOPICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPICS_MAP_MAX 64
#define TOPICS_NAME_MAX 249  /* Kafka's limit */

struct topic_map {
	unsigned count;
	struct {
		uint16_t schema_id;
		char name[TOPICS_NAME_MAX + 1];
	} e[TOPICS_MAP_MAX];
};

/* Letters, digits, '.', '_' and '-', 1 to 249 of them (Kafka's rule). */
bool topics_name_valid(const char *name);

/* Maps schema id (decimal text) to name, replacing an earlier mapping.
 * Returns 0, or -EINVAL with the reason in err. */
int topics_map_set(struct topic_map *m, const char *schema_id, const char *name, char *err,
		   size_t err_size);
/* The same from "ID=NAME". */
int topics_map_set_kv(struct topic_map *m, const char *kv, char *err, size_t err_size);

#endif
