/* A durable checkpoint: one offset in a small file, replaced atomically
 * (write temp, fdatasync, rename, fsync the folder).
 *
 *   +0 u32 magic 'SLCK'  +4 u16 version (1)  +6 u16 reserved (0)
 *   +8 u64 offset        +16 u64 written_ns  +24 u32 crc32c of 0..23
 *   +28 u32 reserved (0)
 */
#ifndef SLUICE_STORAGE_CHECKPOINT_H
#define SLUICE_STORAGE_CHECKPOINT_H

#include <stdint.h>

#define CKPT_MAGIC 0x4b434c53u /* "SLCK" */
#define CKPT_BYTES 32u

/* Returns 0 or -errno. The old file stays whole if this fails midway. */
int ckpt_write(const char *path, uint64_t offset);
/* Returns 0, -ENOENT when there is none, -EBADMSG when it fails its checks. */
int ckpt_read(const char *path, uint64_t *offset);

#endif
