/* Hugepages for the EAL: mount hugetlbfs and reserve 2 MiB pages when the
 * operator asks for them (--hugepages N), so a fresh box needs no manual
 * step. Main thread, before the EAL starts. */
#ifndef SLUICE_PLATFORM_HUGEPAGES_H
#define SLUICE_PLATFORM_HUGEPAGES_H

#include <stddef.h>

#define HUGEPAGES_MOUNT "/dev/hugepages"

/* Makes sure HUGEPAGES_MOUNT is a hugetlbfs mount and that at least pages
 * free 2 MiB pages exist (raising vm.nr_hugepages if needed). Returns 0 or
 * -errno with the reason in err. */
int hugepages_reserve(unsigned pages, char *err, size_t err_size);

#endif
