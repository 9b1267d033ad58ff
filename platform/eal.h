/* EAL start-up and lcore launch: the one threading model of sluice, with a
 * NIC or without one. */
#ifndef SLUICE_PLATFORM_EAL_H
#define SLUICE_PLATFORM_EAL_H

#include <stdbool.h>

#define EAL_ARGS_MAX 32

/* Starts the EAL. With user_argc == 0 it builds arguments that need no NIC and
 * no hugepages: --no-pci --no-huge -m memory_mb --no-shconf, and lcores 0..
 * lcores_needed-1 pinned round-robin over the online CPUs. Otherwise it passes
 * the user's arguments through unchanged. Returns 0 or -errno. */
int eal_start(int user_argc, char **user_argv, unsigned lcores_needed,
	      unsigned memory_mb);

/* Worker lcore ids in launch order, excluding the main lcore. Returns how
 * many there are; fills at most max. */
unsigned eal_worker_lcores(unsigned *ids, unsigned max);

/* Runs fn(arg) on lcore id. Returns 0 or -errno. */
int eal_launch(unsigned lcore_id, int (*fn)(void *), void *arg);

/* Waits for the function on lcore id to return; returns its value. */
int eal_wait(unsigned lcore_id);

void eal_stop(void);

#endif
