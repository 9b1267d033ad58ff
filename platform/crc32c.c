/* CRC-32C through DPDK's rte_hash_crc, which uses SSE4.2 or the ARMv8 CRC
 * instructions when the CPU has them and a table-driven fallback otherwise. */
#include "platform/crc32c.h"

#include <rte_hash_crc.h>

uint32_t crc32c_extend(uint32_t crc, const void *data, size_t len)
{
	/* rte_hash_crc has no final inversion: undo ours, run, redo. */
	return ~rte_hash_crc(data, (uint32_t)len, ~crc);
}

uint32_t crc32c(const void *data, size_t len)
{
	return crc32c_extend(0, data, len);
}

void crc32c_use_software(int on)
{
#if defined(RTE_ARCH_X86)
	rte_hash_crc_set_alg(on ? CRC32_SW : CRC32_SSE42_x64);
#elif defined(RTE_ARCH_ARM64)
	rte_hash_crc_set_alg(on ? CRC32_SW : CRC32_ARM64);
#else
	(void)on;
#endif
}

const char *crc32c_path(void)
{
	/* crc32_alg is rte_hash_crc.h's choice, static to this file. */
	switch (crc32_alg) {
	case CRC32_SSE42:
	case CRC32_SSE42_x64:
		return "sse4.2";
	case CRC32_ARM64:
		return "armv8-crc";
	default:
		return "software";
	}
}
