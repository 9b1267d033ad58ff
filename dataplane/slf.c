/* SLF1 parser and encoder. The parser reads each field once, checks in the
 * order of the header, and never reads past len. */
#include "dataplane/slf.h"

#include "storage/log_types.h"

/* A dead letter's stored reason is the parser's reason, value for value. */
_Static_assert(LOG_DLQ_SHORT == (int)SLF_SHORT && LOG_DLQ_MAGIC == (int)SLF_MAGIC &&
		       LOG_DLQ_VERSION == (int)SLF_VERSION_BAD &&
		       LOG_DLQ_FLAGS == (int)SLF_FLAGS && LOG_DLQ_LENGTH == (int)SLF_LENGTH &&
		       LOG_DLQ_CRC == (int)SLF_CRC && LOG_DLQ_REASONS == (int)SLF_REASONS,
	       "SLF1 reject reasons and stored dead-letter reasons must match");

#include <string.h>

#include "platform/crc32c.h"
#include "platform/le.h"

const char *slf_reason_name(enum slf_reason reason)
{
	return log_dlq_reason_name((unsigned)reason);
}

static enum slf_reason slf_check_frame(const uint8_t *p, uint32_t left,
				       uint32_t *frame_bytes)
{
	uint32_t plen, size;

	if (left >= 2 && (p[0] != 'S' || p[1] != 'L'))
		return SLF_MAGIC;
	if (left < SLF_HEADER_BYTES)
		return SLF_SHORT;
	if (p[2] != SLF_VERSION)
		return SLF_VERSION_BAD;
	if (p[3] & ~SLF_FLAG_CANARY)
		return SLF_FLAGS;
	plen = le_get16(p + 4);
	size = SLF_FRAME_OVERHEAD + plen;
	if (size > left)
		return SLF_LENGTH;
	if (crc32c(p, SLF_HEADER_BYTES + plen) != le_get32(p + SLF_HEADER_BYTES + plen))
		return SLF_CRC;
	*frame_bytes = size;
	return SLF_OK;
}

uint32_t slf_parse(const uint8_t *dgram, uint32_t len, struct slf_frame *frames,
		   uint32_t max, struct slf_fault *fault)
{
	uint32_t pos = 0, n = 0, size = 0;
	enum slf_reason r;

	fault->reason = len == 0 ? SLF_SHORT : SLF_OK;
	fault->offset = 0;
	while (pos < len) {
		const uint8_t *p = dgram + pos;

		r = n < max ? slf_check_frame(p, len - pos, &size) : SLF_LENGTH;
		if (r != SLF_OK) {
			fault->reason = r;
			fault->offset = pos;
			break;
		}
		frames[n].flags = p[3];
		frames[n].payload_len = le_get16(p + 4);
		frames[n].schema_id = le_get16(p + 6);
		frames[n].source_id = le_get64(p + SLF_SOURCE_ID_AT);
		frames[n].seq = le_get64(p + 16);
		frames[n].event_time_ns = le_get64(p + 24);
		frames[n].payload = p + SLF_HEADER_BYTES;
		n++;
		pos += size;
	}
	return n;
}

uint32_t slf_encode(uint8_t *dst, size_t cap, const struct slf_frame *f)
{
	uint32_t size = SLF_FRAME_OVERHEAD + f->payload_len;

	if (cap < size)
		return 0;
	dst[0] = 'S';
	dst[1] = 'L';
	dst[2] = SLF_VERSION;
	dst[3] = f->flags;
	le_put16(dst + 4, f->payload_len);
	le_put16(dst + 6, f->schema_id);
	le_put64(dst + SLF_SOURCE_ID_AT, f->source_id);
	le_put64(dst + 16, f->seq);
	le_put64(dst + 24, f->event_time_ns);
	if (f->payload_len)
		memcpy(dst + SLF_HEADER_BYTES, f->payload, f->payload_len);
	le_put32(dst + SLF_HEADER_BYTES + f->payload_len,
		  crc32c(dst, SLF_HEADER_BYTES + f->payload_len));
	return size;
}
