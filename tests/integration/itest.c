/* Integration test helpers. */
#include "itest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control/admin.h"

uint64_t it_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *it_path(const char *env_name)
{
	const char *p = getenv(env_name);

	if (!p || !*p) {
		fprintf(stderr, "integration: %s is not set (run through meson test)\n", env_name);
		exit(1);
	}
	return p;
}

int it_run(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t used = 0, n;
	char sink[4096];
	int st;

	if (!p)
		return -1;
	for (;;) {
		if (out && used < size - 1)
			n = fread(out + used, 1, size - 1 - used, p);
		else
			n = fread(sink, 1, sizeof(sink), p);
		if (n == 0)
			break;
		if (out && used < size - 1)
			used += n;
	}
	if (out)
		out[used] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t it_spawn(const char *cmd)
{
	char line[4096];
	pid_t pid;

	if (snprintf(line, sizeof(line), "exec %s", cmd) >= (int)sizeof(line))
		return -1;
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int it_sh(const char *fmt, ...)
{
	char cmd[1024], out[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = it_run(cmd, out, sizeof(out));
	if (rc != 0)
		fprintf(stderr, "'%s' exited %d: %s\n", cmd, rc, out);
	return rc;
}

/* A tool the local broker needs is missing: the test cannot run here, it
 * has not failed. Skips (exit 77) naming it. */
void it_kafka_tools_or_skip(void)
{
	static const char *const tools[] = { "kcat", "java", "mvn" };

	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "command -v %s", tools[i]);
		if (it_run(cmd, NULL, 0) != 0) {
			fprintf(stderr, "skipped: %s is missing (platform/install-deps installs "
					"it): the local Kafka broker cannot run\n", tools[i]);
			exit(IT_SKIP);
		}
	}
}

int it_kafka_start(char *bootstrap, size_t size)
{
	char cmd[512], out[4096], *last;
	int rc;

	it_kafka_tools_or_skip();
	snprintf(cmd, sizeof(cmd), "'%s' start", it_path("KAFKA_LOCAL"));
	rc = it_run(cmd, out, sizeof(out));
	if (rc != 0) {
		fprintf(stderr, "kafka-local start failed (%d): %s\n", rc, out);
		return -1;
	}
	for (size_t n = strlen(out); n && out[n - 1] == '\n'; n--)
		out[n - 1] = '\0';
	last = strrchr(out, '\n');
	snprintf(bootstrap, size, "%s", last ? last + 1 : out);
	return 0;
}

int it_fixture_setup(const char *prefix, char *bootstrap, size_t bsize, char *topic,
		     size_t tsize)
{
	if (it_kafka_start(bootstrap, bsize) < 0)
		return -1;
	snprintf(topic, tsize, "%s-%d-%" PRIu64, prefix, (int)getpid(), it_now_ms());
	return 0;
}

int it_fixture_teardown(struct it_daemon *d)
{
	char cmd[256];

	if (d->pid > 0)
		it_daemon_stop(d, SIGKILL, 5);
	if (!d->dir[0])
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	d->dir[0] = '\0';  /* the next test of the file makes its own */
	return system(cmd) == 0 ? 0 : -1;
}

static int it_free_port(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int it_free_udp_port(void)
{
	return it_free_port(SOCK_DGRAM);
}

int it_free_tcp_port(void)
{
	return it_free_port(SOCK_STREAM);
}

int it_http_get(int port, const char *path, char *body, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[256], *resp = malloc(size + 1024);
	size_t used = 0;
	int fd, status = -1;
	ssize_t n;

	if (!resp)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto out;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	while (used < size + 1023 && (n = read(fd, resp + used, size + 1023 - used)) > 0)
		used += (size_t)n;
	resp[used] = '\0';
	char *sep = strstr(resp, "\r\n\r\n");

	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1 || !sep)
		status = -1;
	else
		snprintf(body, size, "%s", sep + 4);
out:
	if (fd >= 0)
		close(fd);
	free(resp);
	return status;
}

int it_daemon_start(struct it_daemon *d, const char *kafka, const char *topic,
		    const char *extra)
{
	char cmd[2048];
	uint64_t deadline;

	if (!d->dir[0]) {
		strcpy(d->dir, "/tmp/sluice-it-XXXXXX");
		if (!mkdtemp(d->dir))
			return -1;
	}
	if (!d->port) {
		d->port = it_free_udp_port();
		snprintf(d->listen, sizeof(d->listen), "udp://127.0.0.1:%d", d->port);
	}
	snprintf(d->sock, sizeof(d->sock), "%s/admin.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/sluiced.log", d->dir);
	/* No canary unless a test asks (extra comes later and wins): tests
	 * count exactly what reaches their logs and topics. 0022 tests it. */
	snprintf(cmd, sizeof(cmd),
		 "'%s' %s -- --data-dir '%s/data' --listen %s --admin-socket '%s' "
		 "--kafka '%s' --topic '%s' --canary-interval-s 0 %s >>'%s' 2>&1",
		 it_path("SLUICED"), d->eal_args, d->dir, d->listen, d->sock, kafka, topic,
		 extra ? extra : "", d->log);
	d->pid = it_spawn(cmd);
	if (d->pid < 0)
		return -1;
	deadline = it_now_ms() + 20000;
	while (it_now_ms() < deadline) {
		if (admin_request(d->sock, "ping", NULL, 500) == 0)
			return 0;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			fprintf(stderr, "sluiced exited at start; see %s\n", d->log);
			d->pid = 0;
			return -1;
		}
		usleep(50000);
	}
	fprintf(stderr, "sluiced did not answer on %s\n", d->sock);
	return -1;
}

int it_daemon_stop(struct it_daemon *d, int sig, int timeout_s)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;
	int st;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	while (it_now_ms() < deadline) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
		}
		usleep(20000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	d->pid = 0;
	return -1;
}

int it_stats(const struct it_daemon *d, char *json, size_t size)
{
	FILE *f = fmemopen(json, size, "w");
	int rc;

	if (!f)
		return -1;
	memset(json, 0, size);
	rc = admin_request(d->sock, "stats json", f, 2000);
	fclose(f);
	return rc;
}

int it_status(const struct it_daemon *d, char *json, size_t size)
{
	char cmd[512];
	int rc;

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' status --json", it_path("SLUICECTL"),
		 d->sock);
	rc = it_run(cmd, json, size);
	fprintf(stderr, "status: %s", json);
	return rc;
}

uint64_t it_find_u64(const char *text, const char *key, const char *sep)
{
	char pat[160];
	const char *p;

	snprintf(pat, sizeof(pat), "%s%s", key, sep);
	p = strstr(text, pat);
	if (!p)
		return UINT64_MAX;
	return strtoull(p + strlen(pat), NULL, 10);
}

uint64_t it_json_u64(const char *json, const char *key)
{
	char quoted[136];

	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	return it_find_u64(json, quoted, ":");
}

int it_accounted(const char *json, uint64_t frames)
{
	uint64_t got = it_json_u64(json, "frames_received");
	uint64_t in = got + it_json_u64(json, "frames_replayed");  /* dlq replay's */

	uint64_t frame_drops = it_json_u64(json, "queue_full") + it_json_u64(json, "no_buffer") +
			       it_json_u64(json, "disk_full") + it_json_u64(json, "dlq_rate") +
			       it_json_u64(json, "disk");

	/* The named reasons and their published sum must agree, too. */
	return got >= frames && frame_drops == it_json_u64(json, "drops_frames") &&
	       in == it_json_u64(json, "events_durable") + it_json_u64(json, "dlq_records") +
			     frame_drops;
}

uint64_t it_kv_u64(const char *text, const char *key)
{
	const char *p = text;
	size_t klen = strlen(key);

	/* Keys start a line. */
	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			return strtoull(p + klen + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return UINT64_MAX;
}

static void it_mark(struct it_marks *m, uint64_t src, uint64_t seq)
{
	if (src >= m->sources || seq >= m->per_source) {
		m->bad++;
		return;
	}
	if (m->seen[seq * m->sources + src]++)
		m->dups++;
}

const char *it_kcat_args = "";

int it_kcat_mark(const char *bootstrap, const char *topic, struct it_marks *m)
{
	char cmd[1024], line[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "kcat -b '%s' %s -C -t '%s' -o beginning -e -q -f '%%k|%%h\\n'",
		 bootstrap, it_kcat_args, topic);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		uint64_t key, src, seq;
		char *id = strstr(line, "event-id=");

		m->lines++;
		if (!id || sscanf(line, "%" SCNu64 "|", &key) != 1 ||
		    sscanf(id, "event-id=%" SCNu64 "-%" SCNu64, &src, &seq) != 2 || key != src ||
		    !strstr(line, "event-time=") || !strstr(line, "arrival-time=") ||
		    !strstr(line, "schema-id=") || !strstr(line, "appliance-id=")) {
			if (m->bad++ < 3)
				fprintf(stderr, "unexpected message: %s", line);
			continue;
		}
		it_mark(m, src, seq);
	}
	return pclose(p) == 0 ? 0 : -1;
}

int it_log_mark(const char *data_dir, struct it_marks *m)
{
	char cmd[1024], line[4096];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' log dump --data-dir '%s' --json",
		 it_path("SLUICECTL"), data_dir);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		uint64_t src = it_json_u64(line, "source_id"), seq = it_json_u64(line, "seq");

		m->lines++;
		it_mark(m, src, seq);
	}
	return pclose(p) == 0 ? 0 : -1;
}

int it_log_vs_kafka(const char *data_dir, const char *bootstrap, const char *topic,
		    struct it_marks *in_log, struct it_marks *in_kafka, uint64_t *missing)
{
	uint64_t n = in_log->sources * in_log->per_source;

	*missing = 0;
	in_log->seen = calloc(n, 1);
	in_kafka->seen = calloc(n, 1);
	if (!in_log->seen || !in_kafka->seen || it_log_mark(data_dir, in_log) < 0 ||
	    it_kcat_mark(bootstrap, topic, in_kafka) < 0)
		return -1;
	for (uint64_t i = 0; i < n; i++)
		if (in_log->seen[i] && !in_kafka->seen[i])
			(*missing)++;
	return 0;
}

int it_log_verify(const char *data_dir)
{
	char cmd[1024], out[8192];
	int rc;

	snprintf(cmd, sizeof(cmd), "'%s' log verify --data-dir '%s'", it_path("SLUICECTL"),
		 data_dir);
	rc = it_run(cmd, out, sizeof(out));
	if (rc != 0)
		fprintf(stderr, "log verify of %s (exit %d):\n%s", data_dir, rc, out);
	return rc;
}

int it_wait_stat(const struct it_daemon *d, const char *key, uint64_t at_least, int timeout_s,
		 char *json, size_t size)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	do {
		if (it_stats(d, json, size) == 0 && it_json_u64(json, key) >= at_least)
			return 0;
		usleep(100000);
	} while (it_now_ms() < deadline);
	fprintf(stderr, "%s stayed below %" PRIu64 " for %d s: %s\n", key, at_least, timeout_s,
		json);
	it_daemon_diagnose(d);
	return -1;
}

int it_wait_replicated(const struct it_daemon *d, uint64_t events, int timeout_s, char *json,
		       size_t size)
{
	uint64_t deadline = it_now_ms() + (uint64_t)timeout_s * 1000;

	do {
		usleep(200000);
		if (it_stats(d, json, size) != 0)
			continue;
		if (it_json_u64(json, "events_durable") >= events &&
		    it_json_u64(json, "replication_lag_events") == 0)
			return 0;
	} while (it_now_ms() < deadline);
	fprintf(stderr, "not replicated in %d s: %s\n", timeout_s, json);
	it_daemon_diagnose(d);
	return -1;
}

void it_daemon_diagnose(const struct it_daemon *d)
{
	char cmd[512];

	fprintf(stderr, "--- the last lines of %s:\n", d->log);
	snprintf(cmd, sizeof(cmd), "tail -n 40 '%s' >&2", d->log);
	(void)system(cmd);
	if (d->pid <= 0 || it_run("command -v gdb", NULL, 0) != 0)
		return;
	/* Where each thread waits: a stuck wait names itself. */
	fprintf(stderr, "--- sluiced's threads:\n");
	snprintf(cmd, sizeof(cmd), "timeout 60 gdb -p %d -batch -nx -ex 'thread apply all bt 12' "
		 "2>/dev/null | grep -E '^(Thread|#)' >&2", (int)d->pid);
	(void)system(cmd);
}

int it_proc_usage(pid_t pid, uint64_t *ticks, uint64_t *switches)
{
	char cmd[256], out[256];

	snprintf(cmd, sizeof(cmd), "awk '{print $14+$15}' /proc/%d/stat; cat /proc/%d/task/*/status "
		 "| awk '/ctxt_switches/ {s+=$2} END {print s}'", (int)pid, (int)pid);
	if (it_run(cmd, out, sizeof(out)) != 0 ||
	    sscanf(out, "%" SCNu64 "%" SCNu64, ticks, switches) != 2)
		return -1;
	return 0;
}

int it_promtool_check(int port)
{
	char cmd[256], out[4096];

	if (it_run("command -v promtool", NULL, 0) != 0) {
		fprintf(stderr, "promtool check skipped: promtool is missing (platform/install-deps "
				"extracts it)\n");
		return IT_SKIP;
	}
	snprintf(cmd, sizeof(cmd), "curl -sf http://127.0.0.1:%d/metrics | promtool check "
		 "metrics 2>&1", port);
	if (it_run(cmd, out, sizeof(out)) != 0 || out[0]) {
		fprintf(stderr, "promtool check metrics: %s\n", out);
		return -1;
	}
	return 0;
}
