/* CRC-32C (Castagnoli), as used by SLF1 frames and log batches. */
#ifndef SLUICE_PLATFORM_CRC32C_H
#define SLUICE_PLATFORM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Standard CRC-32C of len bytes (init ~0, final xor ~0; RFC 3720). */
uint32_t crc32c(const void *data, size_t len);

/* Continues a CRC: crc32c_extend(crc32c(a), b) == crc32c(a ++ b). */
uint32_t crc32c_extend(uint32_t crc, const void *data, size_t len);

/* Forces the portable software path (tests) or restores the fastest. */
void crc32c_use_software(int on);

/* The path in use: "sse4.2" (x86-64), "armv8-crc" (ARM64's CRC32C
 * instructions) or "software" (tables, any CPU). */
const char *crc32c_path(void);

#endif
