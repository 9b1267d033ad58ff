/* Waking a sleeping thread without a syscall per event: the sleeper says it
 * sleeps (wake_prepare), checks its condition once more, then sleeps on an
 * eventfd (poll); a producer that changed the condition calls wake_notify,
 * which writes the eventfd only if the sleeper said it sleeps. A busy
 * pipeline therefore makes no syscall for it. */
#ifndef SLUICE_PLATFORM_WAKE_H
#define SLUICE_PLATFORM_WAKE_H

#include <stdatomic.h>
#include <stdbool.h>

struct wake {
	int efd;
	_Atomic bool sleeping;
};

/* Returns 0 or -errno. */
int wake_init(struct wake *w);
void wake_destroy(struct wake *w);

/* Sleeper: before re-checking the condition. */
void wake_prepare(struct wake *w);
/* Sleeper: after sleeping (or deciding not to): clears the flag and drains
 * the eventfd. */
void wake_finish(struct wake *w);
/* The fd to poll for POLLIN between prepare and finish. */
int wake_fd(const struct wake *w);
/* Producer, after changing the condition. */
void wake_notify(struct wake *w);

#endif
