/* File-system path helpers. */
#ifndef SLUICE_PLATFORM_PATH_H
#define SLUICE_PLATFORM_PATH_H

#include <sys/types.h>

/* Creates dir and any missing parents (like mkdir -p). Returns 0 or -errno. */
int path_mkdir_p(const char *dir, mode_t mode);

/* Whether dir is safe to keep state or a control socket in: a folder every
 * user can write to, without the sticky bit, lets any of them replace what
 * is there. Returns 0, -EPERM for such a folder (its mode in *mode), or
 * another -errno. */
int path_check_private(const char *dir, mode_t *mode);

#endif
