/* One owner per data folder: sluiced holds an exclusive flock on
 * DIR/sluiced.lock, with its PID written in it, for as long as it runs, and
 * takes it before it opens anything else in the folder. Two daemons on one
 * folder would interleave their appends and lose acknowledged data. */
#ifndef SLUICE_STORAGE_DATADIR_H
#define SLUICE_STORAGE_DATADIR_H

#include <stdint.h>
#include <sys/types.h>

#define DATADIR_LOCK_FILE "sluiced.lock"

/* Takes the folder (which must exist). Returns the lock's fd, to keep open
 * while the folder is used, or -EWOULDBLOCK with the holder's PID in
 * *holder (0 if it cannot be read), or another -errno. */
int datadir_lock(const char *dir, pid_t *holder);

/* The PID of the process holding the folder, 0 when nobody does, or
 * -errno. Takes nothing: for readers such as `sluicectl log verify`. */
pid_t datadir_holder(const char *dir);

/* Counts the starts of the daemon on this folder: reads, increments and
 * durably writes DIR/start-epoch.ckpt, and returns the new count (1 on a
 * new folder) in *epoch. Raw mode numbers each run's datagrams from it, so
 * event ids never repeat across restarts. Returns 0 or -errno. */
int datadir_next_epoch(const char *dir, uint64_t *epoch);

#endif
