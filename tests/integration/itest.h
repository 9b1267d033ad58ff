/* Helpers for integration tests: processes, the admin socket, the local
 * Kafka broker, and kcat (a consumer that is not ours). */
#ifndef SLUICE_TESTS_ITEST_H
#define SLUICE_TESTS_ITEST_H

#include <stdint.h>
#include <sys/types.h>

#define IT_SKIP 77

struct it_daemon {
	pid_t pid;
	char dir[128];        /* data folder */
	char sock[160];
	char log[160];
	char listen[64];
	int port;
	char eal_args[512];   /* before "--"; empty: sluiced builds its own */
};

/* Path of a built program or script, from the environment meson sets. */
const char *it_path(const char *env_name);

/* Runs a shell command; fills out (may be NULL) with its stdout. Returns
 * the exit status, or -1. */
int it_run(const char *cmd, char *out, size_t size);

/* it_run of a printf-formatted command; a failure is printed with the
 * command and its output. Returns the exit status, or -1. */
int it_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Starts a shell command in the background (the shell execs it, so the pid
 * is the command's, for kill and waitpid); returns the pid, or -1. */
pid_t it_spawn(const char *cmd);

/* Exits 77 (skip), naming it, when kcat, java or mvn is missing: the local
 * broker cannot run here. */
void it_kafka_tools_or_skip(void);

/* Starts the local broker; fills bootstrap with its list. */
int it_kafka_start(char *bootstrap, size_t size);

/* A test's fixture: the broker started and a topic name of its own, "<prefix>-
 * <pid>-<ms>"; the teardown kills a daemon left running and removes its
 * folder. Both return 0 or -1, as cmocka's setup and teardown do. */
int it_fixture_setup(const char *prefix, char *bootstrap, size_t bsize, char *topic,
		     size_t tsize);
int it_fixture_teardown(struct it_daemon *d);

/* The usual fixture of a test file: the broker, a topic of its own, one
 * daemon, a stats buffer, and cmocka's setup and teardown for them. */
#define IT_FIXTURE(prefix)                                                       \
	static char bootstrap[256], topic[128];                                  \
	static struct it_daemon daemon_;                                         \
	static char json[8192];                                                  \
	static int setup(void **state)                                           \
	{                                                                        \
		(void)state;                                                     \
		return it_fixture_setup(prefix, bootstrap, sizeof(bootstrap),    \
					topic, sizeof(topic));                   \
	}                                                                        \
	static int teardown(void **state)                                        \
	{                                                                        \
		(void)state;                                                     \
		return it_fixture_teardown(&daemon_);                            \
	}

/* A free UDP (or TCP) port on 127.0.0.1. */
int it_free_udp_port(void);
int it_free_tcp_port(void);

/* GET http://127.0.0.1:port/path; fills body (NUL-terminated). Returns the
 * HTTP status, or -1. */
int it_http_get(int port, const char *path, char *body, size_t size);

/* Starts sluiced on a new temporary data folder (or d->dir if set) with the
 * extra options; waits for its admin socket. Returns 0 or -1. */
int it_daemon_start(struct it_daemon *d, const char *kafka, const char *topic,
		    const char *extra);
/* Sends sig and waits up to timeout_s; returns the exit status, or -1. */
int it_daemon_stop(struct it_daemon *d, int sig, int timeout_s);

/* The tail of the daemon's log and, where gdb is, its threads' stacks, to
 * stderr: for a test that gave up waiting on it. */
void it_daemon_diagnose(const struct it_daemon *d);

/* "stats json" from the daemon, and one unsigned field of it. */
int it_stats(const struct it_daemon *d, char *json, size_t size);
/* `sluicectl status --json` (the CLI, not the socket), echoed to stderr. */
int it_status(const struct it_daemon *d, char *json, size_t size);
uint64_t it_json_u64(const char *json, const char *key);

/* The counter identity of DESIGN.md holds in this stats JSON, with at least
 * `frames` frames received. */
int it_accounted(const char *json, uint64_t frames);

/* One "key=value" line of a program's output. */
uint64_t it_kv_u64(const char *text, const char *key);
/* The number after the first "KEY SEP" in text; UINT64_MAX when absent. */
uint64_t it_find_u64(const char *text, const char *key, const char *sep);

uint64_t it_now_ms(void);

struct it_marks {
	uint64_t sources, per_source;  /* event number = seq * sources + source_id */
	uint8_t *seen;                 /* sources * per_source counters */
	uint64_t lines, dups, bad;
};

/* Extra kcat arguments for a secured cluster (-X ...); "" by default. */
extern const char *it_kcat_args;

/* Reads a whole topic with kcat and counts each event-id it finds; checks
 * key == source id and that every DESIGN.md header is present. */
int it_kcat_mark(const char *bootstrap, const char *topic, struct it_marks *m);

/* Runs `sluicectl log dump --json` on a data folder and counts each
 * (source_id, seq) in the events log the same way. */
int it_log_mark(const char *data_dir, struct it_marks *m);

/* Marks the events log of data_dir and the topic (their seen arrays are
 * allocated here, sources * per_source each; the caller frees them) and
 * counts in *missing the events the log holds that Kafka does not. */
int it_log_vs_kafka(const char *data_dir, const char *bootstrap, const char *topic,
		    struct it_marks *in_log, struct it_marks *in_kafka, uint64_t *missing);

/* Polls stats (into json) until the field `key` is at least `at_least`;
 * returns 0, or -1 at timeout (said on stderr with the last stats). */
int it_wait_stat(const struct it_daemon *d, const char *key, uint64_t at_least, int timeout_s,
		 char *json, size_t size);

/* Polls stats (into json) until at least `events` are durable (0: any
 * number) and the replication lag is zero; returns 0, or -1 at timeout. */
int it_wait_replicated(const struct it_daemon *d, uint64_t events, int timeout_s, char *json,
		       size_t size);

/* CPU ticks (user + system) and context switches of all of a process's
 * threads, from /proc. 0 or -1. */
int it_proc_usage(pid_t pid, uint64_t *ticks, uint64_t *switches);

/* `promtool check metrics` on the /metrics of 127.0.0.1:port: 0 when it
 * says nothing, IT_SKIP without promtool, -1 (what it said on stderr). */
int it_promtool_check(int port);

/* `sluicectl log verify` on a data folder; returns its exit status. */
int it_log_verify(const char *data_dir);

#endif
