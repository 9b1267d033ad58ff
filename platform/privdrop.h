/* Dropping root once the privileged start-up is done (the EAL, ports,
 * sockets, files): the process becomes an unprivileged user and group and
 * keeps only the capabilities it names, in the calling thread (threads
 * started before lose all of theirs with the uid change). */
#ifndef SLUICE_PLATFORM_PRIVDROP_H
#define SLUICE_PLATFORM_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/* Resolves user (and group; NULL or "": the user's primary group) to ids.
 * On failure writes why into err and returns -errno. */
int privdrop_resolve(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
		     size_t err_size);

/* Hands the files of dir to uid:gid: dir, and what it holds two levels
 * down (a data folder: its logs and their segments). 0 or -errno. */
int privdrop_chown_tree(const char *dir, uid_t uid, gid_t gid);

/* Becomes uid:gid (no supplementary groups) keeping only the capabilities
 * named in keep ("cap_net_admin,cap_net_raw"; "" for none) as permitted and
 * effective, with the rest out of the bounding set as well. Checks that
 * root cannot be taken back. 0, or -errno with err filled. */
int privdrop_become(uid_t uid, gid_t gid, const char *keep, char *err, size_t err_size);

/* All of it for a daemon: resolve user and group, hand state_dir to them,
 * become them keeping keep. Not root: fine when already that user, else
 * an error. 0 or -errno with err filled. */
int privdrop_run(const char *user, const char *group, const char *state_dir, const char *keep,
		 char *err, size_t err_size);

#endif
