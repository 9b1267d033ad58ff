/* Single-writer statistics counters, readable from any thread without locks. */
#ifndef SLUICE_PLATFORM_COUNTER_H
#define SLUICE_PLATFORM_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

/* One thread adds, others read: relaxed atomics compile to plain loads and
 * stores on x86-64 and ARM64, but keep the cross-thread read well defined. */
typedef _Atomic uint64_t counter_t;

static inline void counter_add(counter_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void counter_set(counter_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t counter_get(const counter_t *c)
{
	return atomic_load_explicit((counter_t *)c, memory_order_relaxed);
}

#endif
