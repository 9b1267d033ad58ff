/* sluiced: starts the pipeline (source -> workers -> queue -> log service ->
 * replicator), serves the admin socket, and drains on SIGTERM. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/admin.h"
#include "control/commands.h"
#include "control/daemon.h"
#include "control/metrics.h"
#include "control/pipeline.h"
#include "control/sources.h"
#include "control/stats.h"
#include "platform/clock.h"
#include "platform/eal.h"
#include "platform/hugepages.h"
#include "platform/path.h"
#include "platform/plog.h"
#include "platform/privdrop.h"
#include "storage/datadir.h"
#include "storage/log_segment.h"

#define SLUICED_CONTROL_NICE 10
#define SLUICED_DPDK_CAPS "cap_net_admin,cap_net_raw"

static enum plog_level sluiced_log_level(const char *name)
{
	return name[0] == 'e' ? PLOG_ERR : name[0] == 'w' ? PLOG_WARN
	       : name[0] == 'd' ? PLOG_DEBUG : PLOG_INFO;
}

/* SIGHUP: re-read the config file; apply what can change at run time. */
static void sluiced_reload(struct daemon *d)
{
	char changed[256], restart[256], *err = NULL;
	size_t err_len = 0;
	FILE *ef = open_memstream(&err, &err_len);
	int rc;

	if (!ef)
		return;
	rc = opts_reload(&d->cfg, ef, changed, sizeof(changed), restart, sizeof(restart));
	fclose(ef);
	if (rc < 0) {
		plog_err("SIGHUP: configuration not reloaded: %s", err);
	} else if (!d->cfg.config[0]) {
		plog_info("SIGHUP: no --config file to reload");
	} else {
		plog_set_level(sluiced_log_level(d->cfg.log_level));
		plog_info("SIGHUP: reloaded %s: changed: %s", d->cfg.config,
			  changed[0] ? changed : "nothing");
		if (strstr(changed, "kafka.*") && d->repl)
			repl_set_props(d->repl, &d->cfg.kafka_props);
		if (restart[0])
			plog_warn("SIGHUP: changed in %s but only applied at restart: %s",
				  d->cfg.config, restart);
	}
	free(err);
}

/* Creates the data folder and takes it for this process before anything
 * else (the EAL, the NIC, the logs): a second daemon on it is refused. */
static int sluiced_take_data_dir(struct daemon *d)
{
	pid_t holder;
	mode_t mode = 0;
	int rc = path_mkdir_p(d->cfg.data_dir, 0750);

	if (rc == 0)
		rc = path_check_private(d->cfg.data_dir, &mode);
	if (rc == -EPERM) {
		plog_err("--data-dir '%s': every user can write to it (mode %04o): any of them "
			 "could replace the logs; chmod o-w it, or choose another folder",
			 d->cfg.data_dir, (unsigned)mode);
		return rc;
	}
	if (rc < 0) {
		plog_err("--data-dir '%s': %s", d->cfg.data_dir, strerror(-rc));
		return rc;
	}
	rc = datadir_lock(d->cfg.data_dir, &holder);
	if (rc == -EWOULDBLOCK)
		plog_err("--data-dir '%s': in use by sluiced PID %ld (it holds %s/%s); stop it "
			 "or give this daemon another folder", d->cfg.data_dir, (long)holder,
			 d->cfg.data_dir, DATADIR_LOCK_FILE);
	else if (rc < 0)
		plog_err("--data-dir '%s': cannot lock %s: %s", d->cfg.data_dir,
			 DATADIR_LOCK_FILE, strerror(-rc));
	else
		d->data_dir_lock = rc;
	if (rc >= 0) {
		int e = datadir_next_epoch(d->cfg.data_dir, &d->start_epoch);

		if (e < 0)
			plog_err("--data-dir '%s': start-epoch.ckpt: %s", d->cfg.data_dir,
				 strerror(-e));
		rc = e < 0 ? e : rc;
	}
	return rc < 0 ? rc : 0;
}

/* The replicator's source of the watermark header (source health). */
static uint64_t sluiced_watermark(const void *ctx, uint16_t schema)
{
	return sources_watermark(ctx, schema);
}

static int sluiced_start_repl(struct daemon *d)
{
	static char dlq_topic[OPTS_STR_MAX + 8];
	struct repl_config rc = { 0 };
	char err[512] = "";
	int r;

	if (strcmp(d->cfg.kafka, "none") == 0) {
		plog_info("replication off (--kafka none): the log keeps everything");
		return 0;
	}
	snprintf(dlq_topic, sizeof(dlq_topic), "%s.dlq", d->cfg.topic);
	rc.brokers = d->cfg.kafka;
	rc.topic[LOG_KIND_EVENTS] = d->cfg.topic;
	rc.topic[LOG_KIND_DLQ] = dlq_topic;
	rc.appliance_id = d->cfg.appliance_id;
	rc.logs[LOG_KIND_EVENTS] = d->logs[LOG_KIND_EVENTS];
	rc.logs[LOG_KIND_DLQ] = d->logs[LOG_KIND_DLQ];
	rc.ckpt_interval_ns = d->cfg.checkpoint_ms * 1000000ull;
	rc.ckpt_events = d->cfg.checkpoint_events;
	rc.window = d->cfg.replication_window;
	rc.exactly_once = strcmp(d->cfg.delivery, "exactly-once") == 0;
	rc.txn_interval_ns = d->cfg.transaction_ms * 1000000ull;
	rc.offsets_topic = d->cfg.offsets_topic;
	rc.props = &d->cfg.kafka_props;
	rc.topic_map = &d->cfg.topic_map;
	rc.clock = &d->clock;
	if (d->cfg.sources_max) {
		rc.watermark = sluiced_watermark;
		rc.watermark_ctx = d;
	}
	r = repl_start(&d->repl, &rc, err, sizeof(err));
	if (r < 0)
		plog_err("--kafka '%s': %s", d->cfg.kafka, err);
	return r;
}

/* Root was for the EAL, the ports, the sockets and the files, all open now.
 * The socket source needs no capability after that; the DPDK one keeps the
 * network ones for link changes on its ports. */
static int sluiced_drop_privileges(struct daemon *d)
{
	const char *keep = d->source_ops == &source_dpdk_ops ? SLUICED_DPDK_CAPS : "";
	char err[512] = "";
	int rc = privdrop_run(d->cfg.user, d->cfg.group, d->cfg.data_dir, keep, err, sizeof(err));

	if (rc < 0)
		plog_err("%s", err);
	else
		plog_info("running as user %s, group %s, capabilities: %s", d->cfg.user,
			  d->cfg.group[0] ? d->cfg.group : "(the user's)", *keep ? keep : "none");
	return rc;
}

/* SIGTERM, first half: stop RX, let the workers flush, let the log service
 * drain the queue and fsync, then start giving Kafka the backlog. The main
 * loop keeps serving the admin socket while that goes on. */
static void sluiced_drain_begin(struct daemon *d)
{
	d->state = DAEMON_DRAINING;
	notify_stopping("draining: stop RX, flush, fsync, give Kafka the backlog");
	for (unsigned i = 0; i < d->worker_count; i++)
		atomic_store(&d->workers[i]->stop, true);
	for (unsigned i = 0; i < d->worker_count; i++)
		eal_wait(d->worker_lcores[i]);
	atomic_store(&d->service.stop, true);
	eal_wait(d->service_lcore);
	if (d->repl)
		repl_stop_begin(d->repl, d->cfg.drain_timeout_s * 1000000000ull);
}

/* True once the replicator is done with the backlog (or gave up on it). */
static bool sluiced_drain_done(struct daemon *d)
{
	int rc;

	if (!d->repl || !repl_stop_done(d->repl, &rc))
		return !d->repl;
	if (rc == -ETIMEDOUT)
		plog_warn("Kafka did not take the whole backlog; it stays in the log and "
			  "goes first at the next start");
	return true;
}

static void sluiced_drain_finish(struct daemon *d)
{
	struct stats_snapshot s;

	metrics_stop(d->metrics);  /* its thread reads what is freed below */
	d->metrics = NULL;
	stats_collect(d, &s);
	plog_info("drained: frames_received=%" PRIu64 " frames_replayed=%" PRIu64
		  " events_durable=%" PRIu64 " dlq_records=%" PRIu64 " drops_frames=%" PRIu64
		  " rx_missed_packets=%" PRIu64 " replication_lag_events=%" PRIu64,
		  s.frames_received, s.frames_replayed, s.events_durable, s.dlq_records,
		  s.drops_frames, s.rx_missed_packets,
		  s.replication_lag_events);
	repl_free(d->repl);
	d->repl = NULL;
}

/* SIGTERM/SIGINT begin the drain, a second one cuts its wait for Kafka
 * short; SIGHUP reloads. */
static void sluiced_signal(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		sluiced_reload(d);
	} else if (d->state != DAEMON_DRAINING) {
		plog_info("%s: draining", strsignal((int)si.ssi_signo));
		sluiced_drain_begin(d);
	} else if (d->repl) {
		plog_warn("%s again: not waiting for Kafka any longer",
			  strsignal((int)si.ssi_signo));
		repl_stop_now(d->repl);
	}
}

static int sluiced_open_socket(struct admin **out, const char *flag, const char *path,
			       const char *group_flag, const char *group, bool read_only)
{
	int rc = admin_open(out, path, group, read_only);

	if (rc == -EPERM)
		plog_err("%s '%s': every user can write to its folder and could replace the "
			 "socket; chmod o-w the folder (or set its sticky bit), or choose another",
			 flag, path);
	else if (rc == -ESRCH)
		plog_err("%s '%s': no such group", group_flag, group);
	else if (rc < 0)
		plog_err("%s '%s': %s", flag, path, strerror(-rc));
	return rc;
}

static int sluiced_loop(struct daemon *d, struct admin *admin, struct admin *reader)
{
	struct pollfd pfd[3];
	struct admin *served[3] = { NULL, admin, reader };
	sigset_t set;
	int sfd, rc;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = admin_fd(admin), .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = reader ? admin_fd(reader) : -1, .events = POLLIN };
	for (;;) {
		bool draining = d->state == DAEMON_DRAINING;

		if (draining && sluiced_drain_done(d))
			break;
		if (poll(pfd, 3, draining ? 50 : 1000) < 0 && errno != EINTR) {
			plog_err("poll: %s; draining", strerror(errno));
			if (!draining)
				sluiced_drain_begin(d);
			while (!sluiced_drain_done(d))
				clock_sleep_ns(50000000);
			break;
		}
		uint64_t now = clock_mono_ns();

		health_run(&d->health, d, now);
		notify_run(&d->notify, health_live(&d->health, now, NULL), now, cmd_status_line, d);
		struct canary_path cp = {
			.worker = d->workers[0],
			.log = log_writer_stats(d->logs[LOG_KIND_EVENTS]),
			.repl = d->repl ? repl_stats(d->repl) : NULL,
		};

		canary_run(&d->canary, &cp, draining, now);
		if (!draining) {
			watch_run(&d->watch, d, now);
			retain_run(&d->retain, d, now);
		}
		for (int i = 1; i < 3; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			rc = admin_serve(served[i], cmd_handle, d);
			if (rc < 0)
				plog_warn("%s socket: %s", i == 1 ? "admin" : "read-only",
					  strerror(-rc));
		}
		if (pfd[0].revents & POLLIN)
			sluiced_signal(d, sfd);
	}
	close(sfd);
	sluiced_drain_finish(d);
	return 0;
}

static void sluiced_split_args(int argc, char **argv, int *eal_argc, char ***opt_argv,
			       int *opt_argc)
{
	*eal_argc = 0;
	*opt_argv = argv;
	*opt_argc = argc;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*eal_argc = i - 1;
			*opt_argv = argv + i;  /* argv[i] stands in for the program name */
			*opt_argc = argc - i;
			return;
		}
	}
}

/* Hugepages when asked for, then the EAL with the lcores and memory the
 * configuration needs. */
static int sluiced_start_eal(struct daemon *d, int eal_argc, char **eal_argv)
{
	struct eal_config ec = {
		.user_argc = eal_argc,
		.user_argv = eal_argv,
		.workers = (unsigned)d->cfg.workers,
		.others = 1,  /* the log service */
		.memory_mb = (unsigned)d->cfg.eal_memory_mb,
		.hugepages = (unsigned)d->cfg.hugepages,
		.dedicated = strcmp(d->cfg.source, "dpdk") == 0,
	};
	char err[256];
	int rc;

	if (ec.hugepages) {
		rc = hugepages_reserve(ec.hugepages, err, sizeof(err));
		if (rc < 0) {
			plog_err("--hugepages %u: %s", ec.hugepages, err);
			return rc;
		}
	}
	rc = eal_start(&ec);
	if (rc == -EBUSY)
		plog_err("--workers %u: with --source dpdk each worker polls a CPU of its own "
			 "and the log service and control plane keep another; this machine "
			 "lets sluiced use %u CPUs, so at most %u worker(s)", ec.workers,
			 eal_cpus(), eal_cpus() > 1 ? eal_cpus() - 1 : 0);
	else if (rc == -ERANGE)
		plog_err("the EAL arguments give %u lcores; sluiced needs %u (the main lcore, "
			 "%u worker(s), the log service): widen -l/--lcores", eal_lcore_count(),
			 ec.workers + 2, ec.workers);
	else if (rc < 0)
		plog_err("EAL start-up failed: %s", strerror(-rc));
	return rc;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct admin *admin = NULL, *reader = NULL;
	char **opt_argv;
	int eal_argc, opt_argc, rc;
	sigset_t set;

	plog_set_ident("sluiced");
	sluiced_split_args(argc, argv, &eal_argc, &opt_argv, &opt_argc);
	rc = opts_parse(&d.cfg, opt_argc, opt_argv, stderr);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (d.cfg.check) {
		opts_print(&d.cfg, stdout);
		printf("configuration OK\n");
		return 0;
	}
	plog_set_level(sluiced_log_level(d.cfg.log_level));
	/* Every thread inherits this mask; the main loop reads the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	clock_watch_init(&d.clock);
	d.state = DAEMON_STARTING;
	rc = sluiced_take_data_dir(&d);
	if (rc == 0)
		rc = sluiced_start_eal(&d, eal_argc, argv + 1);
	if (rc < 0)
		return 1;
	/* The lcores exist now. Everything the main thread starts from here on
	 * (replicator, librdkafka's threads) inherits a lower CPU priority: on a
	 * small box the data path comes first, and the log absorbs any lag. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), SLUICED_CONTROL_NICE) < 0)
		plog_warn("lowering the control plane's priority: %s", strerror(errno));
	rc = pipeline_open_logs(&d);
	if (rc == 0)
		rc = pipeline_open(&d);
	if (rc == 0)
		rc = sluiced_start_repl(&d);
	if (rc == 0)
		rc = sluiced_open_socket(&admin, "--admin-socket", d.cfg.admin_socket,
					 "--admin-group", d.cfg.admin_group, false);
	if (rc == 0 && d.cfg.read_socket[0])
		rc = sluiced_open_socket(&reader, "--read-socket", d.cfg.read_socket,
					 "--read-group", d.cfg.read_group, true);
	health_init(&d.health, d.worker_count, d.cfg.ready_kafka_outage_s * 1000000000ull,
		    clock_mono_ns());
	if (rc == 0 && strcmp(d.cfg.metrics, "none") != 0) {
		rc = metrics_start(&d.metrics, &d.cfg.metrics_addr, cmd_render_metrics,
				   cmd_probe, &d);
		if (rc < 0)
			plog_err("--metrics '%s': %s", d.cfg.metrics, strerror(-rc));
	}
	if (rc == 0 && d.cfg.user[0])
		rc = sluiced_drop_privileges(&d);
	if (rc == 0)
		rc = pipeline_launch(&d);
	if (rc < 0)
		return 1;
	struct canary_config cc = {
		.interval_ns = d.cfg.canary_interval_s * 1000000000ull,
		.stale_ns = d.cfg.canary_stale_s * 1000000000ull,
		.schema_id = (uint16_t)d.cfg.canary_schema,
		.source_id = d.appliance_salt ^ 0x63616e617279ull,  /* "canary" */
		.seq_base = d.start_epoch << 40,
		.appliance_id = d.cfg.appliance_id,
	};
	canary_init(&d.canary, &cc, d.repl != NULL, clock_mono_ns());
	d.state = DAEMON_RUNNING;
	plog_info("running: %s source on %s, %u worker(s), data in %s, kafka %s",
		  d.cfg.source, d.cfg.listen_uri[0], d.worker_count, d.cfg.data_dir, d.cfg.kafka);
	notify_init(&d.notify);
	notify_ready(&d.notify, "running: ingesting", clock_mono_ns());
	rc = sluiced_loop(&d, admin, reader);
	admin_close(admin);
	admin_close(reader);
	for (unsigned i = 0; i < d.worker_count; i++)
		worker_destroy(d.workers[i]);
	worker_destroy(d.replayer);
	d.source_ops->close(d.source);
	for (int k = 0; k < LOG_KINDS; k++)
		log_writer_close(d.logs[k]);
	pool_free(d.pool);
	queue_free(d.queue);
	eal_stop();
	close(d.data_dir_lock);  /* last: the logs are closed and synced */
	return rc < 0 ? 1 : 0;
}
