/* librdkafka settings the operator passes through (`kafka.NAME = VALUE` in
 * the config file, `--kafka-set NAME=VALUE` on the command line), as Fluent
 * Bit's rdkafka.* and kcat's -X do. Each is checked with librdkafka when it
 * is set, so a misspelt name or a bad value is refused at start, naming it.
 * The settings that sluice's guarantees rest on are not passed through. */
#ifndef SLUICE_CONTROL_KPROP_H
#define SLUICE_CONTROL_KPROP_H

#include <stdbool.h>
#include <stddef.h>

#define KPROP_MAX 32
#define KPROP_NAME_MAX 64
#define KPROP_VALUE_MAX 512

struct kprop_list {
	unsigned count;
	struct {
		char name[KPROP_NAME_MAX];
		char value[KPROP_VALUE_MAX];
	} p[KPROP_MAX];
};

/* Sets (or replaces) one property. Returns 0, or -EINVAL with a message
 * naming it in err. */
int kprop_set(struct kprop_list *l, const char *name, const char *value, char *err,
	      size_t err_size);
/* The same from "NAME=VALUE". */
int kprop_set_kv(struct kprop_list *l, const char *kv, char *err, size_t err_size);
bool kprop_same(const struct kprop_list *a, const struct kprop_list *b);

#endif
