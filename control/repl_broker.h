/* What the replicator knows of the Kafka cluster, for `sluicectl status` and
 * /metrics: whether the producer is connected, the brokers it knows and
 * their states (from librdkafka's statistics), and the last error and when.
 * librdkafka's errors are said in the daemon log once per distinct error
 * until it clears or a minute passes, and its own log lines go to the
 * daemon log at debug level, so no error appears twice. Written on the
 * replication thread (librdkafka's callbacks), read from the main thread. */
#ifndef SLUICE_CONTROL_REPL_BROKER_H
#define SLUICE_CONTROL_REPL_BROKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#define REPL_BROKER_LIST_MAX 512
#define REPL_BROKER_ERROR_MAX 256
#define REPL_BROKER_REPEAT_NS (60ull * 1000000000ull)
#define REPL_BROKER_SAID_MAX 8  /* distinct errors remembered, oldest replaced */

struct repl_broker_state {
	bool connected;                       /* a broker is up */
	unsigned brokers_up, brokers_known;
	char brokers[REPL_BROKER_LIST_MAX];   /* "host:port UP, host:port DOWN" */
	char last_error[REPL_BROKER_ERROR_MAX];
	uint64_t last_error_ns;               /* real time; 0: none yet */
	uint64_t errors;                      /* errors reported by librdkafka */
};

struct repl_broker {
	pthread_mutex_t lock;
	struct repl_broker_state s;           /* under lock */
	struct {
		char key[REPL_BROKER_ERROR_MAX];  /* an error logged lately */
		uint64_t ns;
	} said[REPL_BROKER_SAID_MAX];
	bool said_any;                        /* an error was logged since delivery worked */
};

void repl_broker_init(struct repl_broker *b);
void repl_broker_destroy(struct repl_broker *b);

/* librdkafka's error callback. */
void repl_broker_error(struct repl_broker *b, int err, const char *name, const char *reason);
/* librdkafka's statistics JSON (statistics.interval.ms). */
void repl_broker_stats(struct repl_broker *b, const char *json, size_t len);
/* A delivery report came back: the cluster answers. */
void repl_broker_acked(struct repl_broker *b);

void repl_broker_snapshot(struct repl_broker *b, struct repl_broker_state *out);

/* A new producer: nothing is known of its connections yet. */
void repl_broker_reset(struct repl_broker *b);

#endif
