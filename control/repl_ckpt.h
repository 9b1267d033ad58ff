/* The replicator's checkpoint writer: a thread of its own that writes each
 * log's acknowledged offset to its checkpoint file (atomic replace, with an
 * fdatasync and a folder fsync) when the replicator posts a newer one. The
 * replicator never waits for the disk, so checkpoints can be frequent, and
 * what a crash re-sends stays small. Only the newest posted offset of a log
 * is written; older ones it overtook are skipped. */
#ifndef SLUICE_CONTROL_REPL_CKPT_H
#define SLUICE_CONTROL_REPL_CKPT_H

#include <stdint.h>

#include "storage/log_types.h"

struct repl_ckpt;

/* paths[k]: checkpoint file of log k; written[k]: what it says now. */
int repl_ckpt_start(struct repl_ckpt **out, const char *const paths[LOG_KINDS],
		    const uint64_t written[LOG_KINDS]);

/* Asks for offset to be written for log k (never blocks). */
void repl_ckpt_post(struct repl_ckpt *c, int k, uint64_t offset);

/* Writes what is still posted and stops the thread. */
void repl_ckpt_stop(struct repl_ckpt *c);

#endif
