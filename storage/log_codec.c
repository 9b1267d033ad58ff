/* zstd batch codec. Frames carry no zstd checksum: the batch CRC-32C covers
 * the stored bytes already. */
#include "storage/log_codec.h"

#include <errno.h>
#include <stdlib.h>

#include <zstd.h>

#include "storage/log_segment.h"

struct log_codec {
	int level;
	ZSTD_CCtx *cctx;      /* NULL when writes stay plain */
	ZSTD_DCtx *dctx;
	uint8_t *out;         /* compressed output, or decompressed body */
	size_t out_size;
};

int log_codec_create(struct log_codec **out, int level)
{
	struct log_codec *c;
	int rc = -ENOMEM;

	if (level > LOG_CODEC_LEVEL_MAX || level < -5)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->level = level;
	c->out_size = ZSTD_compressBound(LOG_BATCH_BYTES_MAX);
	c->out = malloc(c->out_size);
	c->dctx = ZSTD_createDCtx();
	if (!c->out || !c->dctx)
		goto err;
	if (level != 0) {
		c->cctx = ZSTD_createCCtx();
		if (!c->cctx)
			goto err;
		if (ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_checksumFlag, 0))) {
			rc = -EINVAL;
			goto err;
		}
	}
	*out = c;
	return 0;
err:
	log_codec_destroy(c);
	return rc;
}

void log_codec_destroy(struct log_codec *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	free(c->out);
	free(c);
}

uint32_t log_codec_compress(struct log_codec *c, const uint8_t *body, uint32_t len,
			    const uint8_t **out)
{
	size_t n;

	if (!c->cctx || len > LOG_BATCH_BYTES_MAX)
		return 0;
	n = ZSTD_compress2(c->cctx, c->out, c->out_size, body, len);
	/* Under a sixteenth saved is not worth a decompression on every read. */
	if (ZSTD_isError(n) || n > len - len / LOG_CODEC_SAVING_MIN)
		return 0;
	*out = c->out;
	return (uint32_t)n;
}

int log_codec_decompress(struct log_codec *c, const uint8_t *stored, uint32_t len,
			 uint32_t plain_len, const uint8_t **out)
{
	size_t n;

	if (plain_len > c->out_size)
		return -EBADMSG;
	n = ZSTD_decompressDCtx(c->dctx, c->out, plain_len, stored, len);
	if (ZSTD_isError(n) || n != plain_len)
		return -EBADMSG;
	*out = c->out;
	return 0;
}
