/* EAL start-up, with or without a NIC and hugepages, and lcore launch with
 * pinning. */
#include "platform/eal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#define EAL_CPUS_MAX 256

static unsigned eal_cpu_list(unsigned *cpus, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		cpus[0] = 0;
		return 1;
	}
	for (unsigned c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n ? n : (cpus[0] = 0, 1);
}

unsigned eal_cpus(void)
{
	unsigned cpus[EAL_CPUS_MAX];

	return eal_cpu_list(cpus, EAL_CPUS_MAX);
}

/* Builds "--lcores=0@c0,1@c1,...": lcore 0 (main) and the lcores after the
 * workers on the first CPU; workers on the others (each its own when
 * dedicated, round-robin over all CPUs otherwise). */
static int eal_lcores_arg(char *buf, size_t size, const struct eal_config *cfg)
{
	unsigned cpus[EAL_CPUS_MAX], n = eal_cpu_list(cpus, EAL_CPUS_MAX);
	unsigned total = 1 + cfg->workers + cfg->others;
	size_t used;
	int len;

	if (cfg->dedicated && cfg->workers > n - 1)
		return -EBUSY;
	len = snprintf(buf, size, "--lcores=");
	if (len < 0 || (size_t)len >= size)
		return -ENOSPC;
	used = (size_t)len;
	for (unsigned i = 0; i < total; i++) {
		unsigned cpu = i == 0 || i > cfg->workers ? cpus[0]
			       : cfg->dedicated ? cpus[i] : cpus[i % n];

		len = snprintf(buf + used, size - used, "%s%u@%u", i ? "," : "", i, cpu);
		if (len < 0 || (size_t)len >= size - used)
			return -ENOSPC;
		used += (size_t)len;
	}
	return 0;
}

/* True when the user's EAL arguments hold any of the options in names
 * ("-l", "--lcores", ...; "--x" also matches "--x=value"). */
static bool eal_user_has(const struct eal_config *cfg, const char *const *names)
{
	for (int i = 0; i < cfg->user_argc; i++)
		for (const char *const *n = names; *n; n++) {
			size_t len = strlen(*n);
			const char *a = cfg->user_argv[i];

			if (strncmp(a, *n, len) == 0 &&
			    (a[len] == '\0' || a[len] == '=' || (len == 2 && (*n)[1] != '-')))
				return true;
		}
	return false;
}

int eal_start(const struct eal_config *cfg)
{
	static const char *const lcore_opts[] = { "-l", "-c", "--lcores", NULL };
	static const char *const mem_opts[] = { "--no-huge", "--in-memory", "-m", "--socket-mem",
						"--file-prefix", "--huge-dir", NULL };
	static const char *const telemetry_opts[] = { "--no-telemetry", "--telemetry", NULL };
	static const char *const log_opts[] = { "--log-level", NULL };
	static char lcores[1024], mem[32], prefix[64];
	char *argv[EAL_ARGS_MAX + 12];
	int argc = 0, rc;

	if (cfg->user_argc > EAL_ARGS_MAX)
		return -E2BIG;
	argv[argc++] = "sluiced";
	for (int i = 0; i < cfg->user_argc; i++)
		argv[argc++] = cfg->user_argv[i];
	if (cfg->user_argc == 0)
		argv[argc++] = "--no-pci";
	if (!eal_user_has(cfg, lcore_opts)) {
		rc = eal_lcores_arg(lcores, sizeof(lcores), cfg);
		if (rc < 0)
			return rc;
		argv[argc++] = lcores;
	}
	if (!eal_user_has(cfg, mem_opts)) {
		if (cfg->hugepages) {
			argv[argc++] = "--in-memory";  /* private, no files to clean up */
		} else {
			/* A private prefix lets several daemons and tests share a box. */
			snprintf(mem, sizeof(mem), "-m%u", cfg->memory_mb);
			snprintf(prefix, sizeof(prefix), "--file-prefix=sluice-%ld", (long)getpid());
			argv[argc++] = "--no-huge";
			argv[argc++] = "--no-shconf";
			argv[argc++] = mem;
			argv[argc++] = prefix;
		}
	}
	if (!eal_user_has(cfg, log_opts)) {
		argv[argc++] = "--log-level=lib.eal:error";
		/* ip_frag in 22.11 logs its table size as USER1 info. */
		argv[argc++] = "--log-level=user1:warning";
	}
	if (!eal_user_has(cfg, telemetry_opts))
		argv[argc++] = "--no-telemetry";
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return rte_errno ? -rte_errno : -EINVAL;
	if (rte_lcore_count() < 1 + cfg->workers + cfg->others)
		return -ERANGE;
	return 0;
}

unsigned eal_lcore_count(void)
{
	return rte_lcore_count();
}

bool eal_lcores_dedicated(const unsigned *ids, unsigned n, unsigned other_lcore)
{
	rte_cpuset_t shared = rte_lcore_cpuset(rte_get_main_lcore());
	rte_cpuset_t other = rte_lcore_cpuset(other_lcore), both;

	CPU_OR(&shared, &shared, &other);
	for (unsigned i = 0; i < n; i++) {
		rte_cpuset_t mine = rte_lcore_cpuset(ids[i]);

		CPU_AND(&both, &mine, &shared);
		if (CPU_COUNT(&both))
			return false;
		CPU_OR(&shared, &shared, &mine);
	}
	return true;
}

unsigned eal_worker_lcores(unsigned *ids, unsigned max)
{
	unsigned id, n = 0;

	RTE_LCORE_FOREACH_WORKER(id) {
		if (n < max)
			ids[n] = id;
		n++;
	}
	return n < max ? n : max;
}

int eal_launch(unsigned lcore_id, int (*fn)(void *), void *arg)
{
	return rte_eal_remote_launch(fn, arg, lcore_id);
}

int eal_wait(unsigned lcore_id)
{
	return rte_eal_wait_lcore(lcore_id);
}

void eal_stop(void)
{
	rte_eal_cleanup();
}
