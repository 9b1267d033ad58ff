/* rte_ring and rte_mempool behind the queue_ and pool_ names. */
#include "platform/queue.h"
#include "platform/wake.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

/* The ring, and a wakeup the consumer sleeps on when it has nothing to do. */
struct queue {
	struct rte_ring *ring;
	struct wake wake;
};

struct queue *queue_create(const char *name, unsigned capacity_pow2, int *err)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = wake_init(&q->wake);
	if (*err < 0) {
		free(q);
		return NULL;
	}
	q->ring = rte_ring_create(name, capacity_pow2, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (!q->ring) {
		*err = -rte_errno;
		wake_destroy(&q->wake);
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
	wake_notify(&q->wake);
}

int queue_wait(struct queue *q, int timeout_ms)
{
	struct pollfd p = { .fd = wake_fd(&q->wake), .events = POLLIN };
	int rc = 0;

	wake_prepare(&q->wake);
	if (rte_ring_count(q->ring) == 0 && poll(&p, 1, timeout_ms) < 0)
		rc = -errno;
	wake_finish(&q->wake);
	return rc;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	rte_ring_free(q->ring);
	wake_destroy(&q->wake);
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
