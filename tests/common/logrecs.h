/* Test records for the log: every field and payload byte of the record at
 * offset i derives from i, so a reader can check what it got without
 * keeping a copy. Payloads are runs of one byte (zstd shrinks them); with
 * logrecs_noise set, offsets whose thousand is odd carry long noise payloads
 * instead (zstd cannot shrink them). */
#ifndef SLUICE_TESTS_LOGRECS_H
#define SLUICE_TESTS_LOGRECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/log_writer.h"

#define LOGRECS_BUF_BYTES (1u << 20)

extern bool logrecs_noise;

uint32_t logrecs_payload_len(uint64_t i);
/* Encodes count records from offset first into buf (LOGRECS_BUF_BYTES);
 * returns the bytes. */
uint32_t logrecs_encode(uint8_t *buf, uint64_t first, uint32_t count);
/* Appends them to lw; returns log_writer_append's result. */
int logrecs_append(struct log_writer *lw, uint64_t first, uint32_t count);
/* Reads dir from offset from up to to and checks every record; returns the
 * offset after the last record read, or -errno (-EBADMSG: a record is not
 * what was written). */
int64_t logrecs_read_back(const char *dir, uint64_t from, uint64_t to);

/* Damages a file: XORs the byte at pos (from the end when negative) with
 * mask. Returns 0 or -1. */
int logrecs_flip_byte(const char *path, long pos, uint8_t mask);

/* A fresh /tmp/sluice-test-NAME-XXXXXX folder; dir (size bytes) gets the
 * path of the log inside it, ".../log". Returns 0 or -1. */
int logrecs_dir_make(char *dir, size_t size, const char *name);
/* Removes the folder logrecs_dir_make made for dir. Returns 0 or -1. */
int logrecs_dir_remove(const char *dir);

#endif
