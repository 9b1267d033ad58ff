/* eventfd wakeups, written only for a sleeper. */
#include "platform/wake.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int wake_init(struct wake *w)
{
	atomic_store(&w->sleeping, false);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return w->efd < 0 ? -errno : 0;
}

void wake_destroy(struct wake *w)
{
	if (w->efd >= 0)
		close(w->efd);
	w->efd = -1;
}

void wake_prepare(struct wake *w)
{
	atomic_store(&w->sleeping, true);
	/* Pairs with wake_notify's fence: either the sleeper's re-check sees
	 * the producer's change, or the producer sees the flag. */
	atomic_thread_fence(memory_order_seq_cst);
}

void wake_finish(struct wake *w)
{
	uint64_t drained;

	atomic_store(&w->sleeping, false);
	(void)!read(w->efd, &drained, sizeof(drained));
}

int wake_fd(const struct wake *w)
{
	return w->efd;
}

void wake_notify(struct wake *w)
{
	uint64_t one = 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&w->sleeping, memory_order_relaxed) &&
	    atomic_exchange(&w->sleeping, false))
		(void)!write(w->efd, &one, sizeof(one));
}
