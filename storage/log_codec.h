/* zstd at rest: compresses a closed batch body when that shrinks it, and
 * gives readers the plain body of a stored batch. Contexts and buffers are
 * made once, at open, so the log service never allocates per batch. One
 * codec per thread. */
#ifndef SLUICE_STORAGE_LOG_CODEC_H
#define SLUICE_STORAGE_LOG_CODEC_H

#include <stdint.h>

#define LOG_CODEC_LEVEL_MAX 19  /* above it zstd costs more than a box can spare */
#define LOG_CODEC_SAVING_MIN 16 /* compress only when it saves 1/16 of a body */

struct log_codec;

/* level 0: decode only (writes stay plain); 1..LOG_CODEC_LEVEL_MAX, or
 * negative for zstd's fast levels (down to -5). Returns 0 or -errno. */
int log_codec_create(struct log_codec **out, int level);
void log_codec_destroy(struct log_codec *c);

/* Compresses body (len bytes, at most LOG_BATCH_BYTES_MAX) into the codec's
 * buffer; returns the compressed size and sets *out when that saves at least
 * len / LOG_CODEC_SAVING_MIN, else 0 (store the batch plain). */
uint32_t log_codec_compress(struct log_codec *c, const uint8_t *body, uint32_t len,
			    const uint8_t **out);

/* Decompresses stored (len bytes) into the codec's buffer; it must yield
 * exactly plain_len bytes. Returns 0 and sets *out, or -EBADMSG. */
int log_codec_decompress(struct log_codec *c, const uint8_t *stored, uint32_t len,
			 uint32_t plain_len, const uint8_t **out);

#endif
