/* Thin wrappers over DPDK's lock-free ring and mempool, so that storage/ and
 * control/ use the one queueing model without seeing DPDK headers. */
#ifndef SLUICE_PLATFORM_QUEUE_H
#define SLUICE_PLATFORM_QUEUE_H

#include <stdbool.h>

struct queue;
struct pool;

/* A multi-producer, single-consumer ring of pointers; capacity is a power of
 * two minus one. Returns NULL and sets *err on failure. */
struct queue *queue_create(const char *name, unsigned capacity_pow2, int *err);
unsigned queue_enqueue_burst(struct queue *q, void *const *objs, unsigned n);
unsigned queue_dequeue_burst(struct queue *q, void **objs, unsigned n);
unsigned queue_count(const struct queue *q);
unsigned queue_capacity(const struct queue *q);
/* Consumer: sleeps until a producer's queue_notify or timeout_ms, unless
 * something is queued already. Returns 0 or -errno. */
int queue_wait(struct queue *q, int timeout_ms);
/* Producer, after an enqueue: wakes a sleeping consumer. Without one it is
 * an atomic load, no syscall. */
void queue_notify(struct queue *q);
void queue_free(struct queue *q);

/* A fixed pool of count elements of elt_bytes, allocated once at start. */
struct pool *pool_create(const char *name, unsigned count, unsigned elt_bytes,
			 int *err);
/* Returns 0 or -ENOENT when the pool is empty. */
int pool_get(struct pool *p, void **obj);
void pool_put(struct pool *p, void *obj);
void pool_free(struct pool *p);

#endif
