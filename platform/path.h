/* File-system path helpers. */
#ifndef SLUICE_PLATFORM_PATH_H
#define SLUICE_PLATFORM_PATH_H

#include <sys/types.h>

/* Creates dir and any missing parents (like mkdir -p). Returns 0 or -errno. */
int path_mkdir_p(const char *dir, mode_t mode);

#endif
