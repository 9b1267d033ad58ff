/* EAL start-up and lcore launch: the one threading model of sluice, with a
 * NIC or without one. */
#ifndef SLUICE_PLATFORM_EAL_H
#define SLUICE_PLATFORM_EAL_H

#include <stdbool.h>

#define EAL_ARGS_MAX 48

struct eal_config {
	int user_argc;            /* EAL arguments given before "--" */
	char **user_argv;
	unsigned workers;         /* lcores that poll (RX workers) */
	unsigned others;          /* further lcores (the log service) */
	unsigned memory_mb;       /* without hugepages */
	unsigned hugepages;       /* 0: --no-huge; else run on hugepages */
	bool dedicated;           /* workers busy-poll: each needs a CPU of its own */
};

/* Starts the EAL. The user's arguments come first; sluiced adds what they
 * leave out: an lcore map (main lcore and the others on the first CPU, each
 * worker on a CPU of its own when dedicated, round-robin otherwise), memory
 * (--no-huge -m memory_mb --no-shconf and a private --file-prefix, or
 * --in-memory on hugepages), --no-telemetry and a quiet EAL log. With no
 * user arguments at all it also adds --no-pci. Returns 0 or -errno:
 * -EBUSY when dedicated workers need more CPUs than there are. */
int eal_start(const struct eal_config *cfg);

/* CPUs this process may run on. */
unsigned eal_cpus(void);

/* Lcores the EAL made (after eal_start). */
unsigned eal_lcore_count(void);

/* True when no two of the lcores share a CPU and none shares the main
 * lcore's (or other_lcore's) CPU: busy-polling workers must not take turns. */
bool eal_lcores_dedicated(const unsigned *ids, unsigned n, unsigned other_lcore);

/* Worker lcore ids in launch order, excluding the main lcore. Returns how
 * many there are; fills at most max. */
unsigned eal_worker_lcores(unsigned *ids, unsigned max);

/* Runs fn(arg) on lcore id. Returns 0 or -errno. */
int eal_launch(unsigned lcore_id, int (*fn)(void *), void *arg);

/* Waits for the function on lcore id to return; returns its value. */
int eal_wait(unsigned lcore_id);

void eal_stop(void);

#endif
