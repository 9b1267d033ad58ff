/* Big-endian (network order) loads and stores of packet headers, safe at any
 * alignment: a VLAN tag or IPv4 options move every later field off its
 * natural boundary. */
#ifndef SLUICE_PLATFORM_BE_H
#define SLUICE_PLATFORM_BE_H

#include <stdint.h>

static inline uint16_t be_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void be_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif
