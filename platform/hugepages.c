/* hugetlbfs mount and 2 MiB page reservation (see hugepages.h). */
#include "platform/hugepages.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define HUGETLBFS_MAGIC_NUMBER 0x958458f6
#define HUGEPAGES_2M_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static long hugepages_read(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), HUGEPAGES_2M_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EIO;
	fclose(f);
	return v;
}

/* Free 2 MiB pages now, or -errno. */
static long hugepages_free(void)
{
	return hugepages_read("free_hugepages");
}

static int hugepages_mount(char *err, size_t err_size)
{
	struct statfs fs;

	if (statfs(HUGEPAGES_MOUNT, &fs) == 0 && (unsigned long)fs.f_type == HUGETLBFS_MAGIC_NUMBER)
		return 0;
	if (mkdir(HUGEPAGES_MOUNT, 0755) < 0 && errno != EEXIST) {
		snprintf(err, err_size, "creating %s: %s", HUGEPAGES_MOUNT, strerror(errno));
		return -errno;
	}
	if (mount("none", HUGEPAGES_MOUNT, "hugetlbfs", 0, "pagesize=2M") < 0) {
		snprintf(err, err_size, "mounting hugetlbfs on %s: %s", HUGEPAGES_MOUNT,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

int hugepages_reserve(unsigned pages, char *err, size_t err_size)
{
	long total = hugepages_read("nr_hugepages"), free_now = hugepages_free();
	int rc = hugepages_mount(err, err_size);
	FILE *f;

	if (rc < 0)
		return rc;
	if (total < 0 || free_now < 0) {
		snprintf(err, err_size, "this kernel has no 2 MiB hugepages (%s)",
			 HUGEPAGES_2M_DIR);
		return -ENOENT;
	}
	if (free_now < (long)pages) {
		long want = total + (long)pages - free_now;

		f = fopen(HUGEPAGES_2M_DIR "nr_hugepages", "w");
		rc = f ? 0 : -errno;
		if (f && fprintf(f, "%ld\n", want) < 0)
			rc = -EIO;
		if (f && fclose(f) != 0 && rc == 0)
			rc = -errno;
		if (rc < 0) {
			snprintf(err, err_size, "raising vm.nr_hugepages to %ld: %s", want,
				 strerror(-rc));
			return rc;
		}
	}
	free_now = hugepages_free();
	if (free_now < (long)pages) {
		snprintf(err, err_size, "asked for %u free 2 MiB hugepages, the kernel found %ld "
			 "(memory too fragmented? reserve them at boot: hugepages=%u)", pages,
			 free_now, pages);
		return -ENOMEM;
	}
	return 0;
}
