/* rte_ring and rte_mempool behind the queue_ and pool_ names. */
#include "platform/queue.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

/* The ring, and an eventfd the consumer sleeps on when it has nothing to
 * do. A producer writes the eventfd only when the consumer said it sleeps,
 * so a busy pipeline makes no syscall for it. */
struct queue {
	struct rte_ring *ring;
	int efd;
	_Atomic bool sleeping;
};

struct queue *queue_create(const char *name, unsigned capacity_pow2, int *err)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		*err = -errno;
		free(q);
		return NULL;
	}
	q->ring = rte_ring_create(name, capacity_pow2, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (!q->ring) {
		*err = -rte_errno;
		close(q->efd);
		free(q);
		return NULL;
	}
	*err = 0;
	return q;
}

unsigned queue_enqueue_burst(struct queue *q, void *const *objs, unsigned n)
{
	return rte_ring_enqueue_burst(q->ring, objs, n, NULL);
}

unsigned queue_dequeue_burst(struct queue *q, void **objs, unsigned n)
{
	return rte_ring_dequeue_burst(q->ring, objs, n, NULL);
}

unsigned queue_count(const struct queue *q)
{
	return rte_ring_count(q->ring);
}

unsigned queue_capacity(const struct queue *q)
{
	return rte_ring_get_capacity(q->ring);
}

void queue_notify(struct queue *q)
{
	uint64_t one = 1;

	/* Pairs with queue_wait: the enqueue is visible before the flag is
	 * read, so either the consumer sees the item or we see it asleep. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->sleeping, memory_order_relaxed) &&
	    atomic_exchange(&q->sleeping, false))
		(void)!write(q->efd, &one, sizeof(one));
}

int queue_wait(struct queue *q, int timeout_ms)
{
	struct pollfd p = { .fd = q->efd, .events = POLLIN };
	uint64_t drained;
	int rc = 0;

	atomic_store(&q->sleeping, true);
	atomic_thread_fence(memory_order_seq_cst);
	if (rte_ring_count(q->ring) == 0 && poll(&p, 1, timeout_ms) < 0)
		rc = -errno;
	atomic_store(&q->sleeping, false);
	(void)!read(q->efd, &drained, sizeof(drained));
	return rc;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	rte_ring_free(q->ring);
	close(q->efd);
	free(q);
}

struct pool *pool_create(const char *name, unsigned count, unsigned elt_bytes,
			 int *err)
{
	/* No per-lcore cache: every element is accounted for in the sizing sum,
	 * and the get/put happen once per batch, not per packet. */
	struct rte_mempool *mp = rte_mempool_create(name, count, elt_bytes, 0, 0,
						    NULL, NULL, NULL, NULL,
						    SOCKET_ID_ANY, 0);

	*err = mp ? 0 : -rte_errno;
	return (struct pool *)mp;
}

int pool_get(struct pool *p, void **obj)
{
	return rte_mempool_get((struct rte_mempool *)p, obj) == 0 ? 0 : -ENOENT;
}

void pool_put(struct pool *p, void *obj)
{
	rte_mempool_put((struct rte_mempool *)p, obj);
}

void pool_free(struct pool *p)
{
	rte_mempool_free((struct rte_mempool *)p);
}
