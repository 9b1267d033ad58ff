/* EAL start-up without a NIC, and lcore launch with pinning. */
#include "platform/eal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

/* Builds "--lcores=0@0,1@1,2@0,...": lcore i on CPU i modulo the CPU count,
 * so workers spread over cores and the main lcore keeps CPU 0. */
static int eal_lcores_arg(char *buf, size_t size, unsigned lcores)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t used;
	int n;

	if (cpus < 1)
		cpus = 1;
	n = snprintf(buf, size, "--lcores=");
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	used = (size_t)n;
	for (unsigned i = 0; i < lcores; i++) {
		n = snprintf(buf + used, size - used, "%s%u@%ld", i ? "," : "", i,
			     (long)i % cpus);
		if (n < 0 || (size_t)n >= size - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return 0;
}

int eal_start(int user_argc, char **user_argv, unsigned lcores_needed,
	      unsigned memory_mb)
{
	static char lcores[256], mem[32], prefix[64];
	char *argv[EAL_ARGS_MAX + 1];
	int argc = 0, rc;

	argv[argc++] = "sluiced";
	if (user_argc > 0) {
		if (user_argc > EAL_ARGS_MAX)
			return -E2BIG;
		for (int i = 0; i < user_argc; i++)
			argv[argc++] = user_argv[i];
	} else {
		rc = eal_lcores_arg(lcores, sizeof(lcores), lcores_needed);
		if (rc < 0)
			return rc;
		snprintf(mem, sizeof(mem), "-m%u", memory_mb);
		/* A private prefix lets several daemons and tests share a box. */
		snprintf(prefix, sizeof(prefix), "--file-prefix=sluice-%ld",
			 (long)getpid());
		argv[argc++] = "--no-pci";
		argv[argc++] = "--no-huge";
		argv[argc++] = "--no-shconf";
		argv[argc++] = mem;
		argv[argc++] = prefix;
		argv[argc++] = lcores;
		argv[argc++] = "--log-level=lib.eal:error";
		argv[argc++] = "--no-telemetry";
	}
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return rte_errno ? -rte_errno : -EINVAL;
	if (rte_lcore_count() < lcores_needed)
		return -ERANGE;
	return 0;
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
