/* SLF1, the sensor frame wire format (DESIGN.md): parser and encoder.
 *
 *   +0 'S' 'L'  +2 u8 version (1)  +3 u8 flags (bit 0: canary)
 *   +4 u16 payload_len  +6 u16 schema_id  +8 u64 source_id  +16 u64 seq
 *   +24 u64 event_time_ns  +32 payload  +32+payload_len u32 crc32c(0..31+len)
 *
 * Little-endian. A datagram is frames back to back; the bytes from the first
 * bad frame on are one dead letter with the reason of that frame.
 */
#ifndef SLUICE_DATAPLANE_SLF_H
#define SLUICE_DATAPLANE_SLF_H

#include <stddef.h>
#include <stdint.h>

#define SLF_VERSION 1
#define SLF_HEADER_BYTES 32u
#define SLF_SOURCE_ID_AT 8u
#define SLF_TRAILER_BYTES 4u
#define SLF_FRAME_OVERHEAD (SLF_HEADER_BYTES + SLF_TRAILER_BYTES)
#define SLF_FLAG_CANARY 0x01u
#define SLF_DATAGRAM_BYTES_MAX 65507u  /* largest UDP payload over IPv4 */
#define SLF_PAYLOAD_BYTES_MAX (SLF_DATAGRAM_BYTES_MAX - SLF_FRAME_OVERHEAD)
#define SLF_FRAMES_MAX (SLF_DATAGRAM_BYTES_MAX / SLF_FRAME_OVERHEAD + 1)

enum slf_reason {
	SLF_OK = 0,
	SLF_SHORT,    /* fewer bytes left than a header */
	SLF_MAGIC,
	SLF_VERSION_BAD,
	SLF_FLAGS,    /* a reserved flag bit set */
	SLF_LENGTH,   /* payload_len runs past the datagram */
	SLF_CRC,
	SLF_REASONS
};

struct slf_frame {
	uint8_t flags;
	uint16_t schema_id;
	uint16_t payload_len;
	uint64_t source_id;
	uint64_t seq;
	uint64_t event_time_ns;
	const uint8_t *payload;
};

struct slf_fault {
	enum slf_reason reason;   /* SLF_OK when the datagram split exactly */
	uint32_t offset;          /* where the bad remainder starts */
};

/* Splits a datagram into frames, at most max of them (SLF_FRAMES_MAX always
 * suffices). Returns the number of valid frames before the first fault; an
 * empty datagram is a SLF_SHORT fault at offset 0. */
uint32_t slf_parse(const uint8_t *dgram, uint32_t len, struct slf_frame *frames,
		   uint32_t max, struct slf_fault *fault);

/* Encodes f at dst (cap bytes); returns the frame size, or 0 if it does not fit. */
uint32_t slf_encode(uint8_t *dst, size_t cap, const struct slf_frame *f);

const char *slf_reason_name(enum slf_reason reason);

#endif
