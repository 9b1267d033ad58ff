/* rte_ring and rte_mempool behind the queue_ and pool_ names. */
#include "platform/queue.h"

#include <errno.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

struct queue *queue_create(const char *name, unsigned capacity_pow2, int *err)
{
	struct rte_ring *r = rte_ring_create(name, capacity_pow2, SOCKET_ID_ANY,
					     RING_F_SC_DEQ);

	*err = r ? 0 : -rte_errno;
	return (struct queue *)r;
}

unsigned queue_enqueue_burst(struct queue *q, void *const *objs, unsigned n)
{
	return rte_ring_enqueue_burst((struct rte_ring *)q, objs, n, NULL);
}

unsigned queue_dequeue_burst(struct queue *q, void **objs, unsigned n)
{
	return rte_ring_dequeue_burst((struct rte_ring *)q, objs, n, NULL);
}

unsigned queue_count(const struct queue *q)
{
	return rte_ring_count((const struct rte_ring *)q);
}

unsigned queue_capacity(const struct queue *q)
{
	return rte_ring_get_capacity((const struct rte_ring *)q);
}

void queue_free(struct queue *q)
{
	rte_ring_free((struct rte_ring *)q);
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
