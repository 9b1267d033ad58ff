/* mkdir -p, bounded by PATH_MAX; the check of a folder's write permissions. */
#include "platform/path.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

int path_mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return len ? -ENAMETOOLONG : -EINVAL;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int path_check_private(const char *dir, mode_t *mode)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return -errno;
	*mode = st.st_mode & 07777;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX) ? -EPERM : 0;
}
