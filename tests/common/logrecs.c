/* Deterministic test records; see logrecs.h. */
#include "tests/common/logrecs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/log_reader.h"

bool logrecs_noise;

static bool logrecs_is_noise(uint64_t i)
{
	return logrecs_noise && (i / 1000) % 2;
}

static uint8_t logrecs_byte(uint64_t i, uint32_t b)
{
	uint64_t x;

	if (!logrecs_is_noise(i))
		return (uint8_t)(i & 0xff);
	x = (i << 20 ^ b) * 0x9e3779b97f4a7c15ull;  /* splitmix64's finaliser */
	x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ x >> 27) * 0x94d049bb133111ebull;
	return (uint8_t)(x ^ x >> 31);
}

/* Noise records are long, so their compressible headers do not tip the
 * batch over zstd's threshold. */
uint32_t logrecs_payload_len(uint64_t i)
{
	return (uint32_t)((i * 37) % 300) + (logrecs_is_noise(i) ? 1500 : 0);
}

uint32_t logrecs_encode(uint8_t *buf, uint64_t first, uint32_t count)
{
	static uint8_t payload[2000];
	uint32_t bytes = 0;

	for (uint32_t n = 0; n < count; n++) {
		uint64_t i = first + n;
		struct log_record rec = {
			.schema_id = (uint16_t)i, .flags = 0, .source_id = i * 3,
			.seq = i, .event_time_ns = i * 1000, .arrival_ns = i * 1001,
			.payload = payload, .payload_len = logrecs_payload_len(i),
		};

		if (bytes + log_record_bytes(rec.payload_len) > LOGRECS_BUF_BYTES)
			break;
		for (uint32_t b = 0; b < rec.payload_len; b++)
			payload[b] = logrecs_byte(i, b);
		bytes += log_record_encode(buf + bytes, &rec);
	}
	return bytes;
}

int logrecs_append(struct log_writer *lw, uint64_t first, uint32_t count)
{
	static uint8_t buf[LOGRECS_BUF_BYTES];
	uint32_t bytes = logrecs_encode(buf, first, count);

	return log_writer_append(lw, buf, bytes, count, first ? first : 1);
}

static int logrecs_check(const struct log_record *rec, uint64_t off)
{
	if (rec->seq != off || rec->source_id != off * 3 || rec->schema_id != (uint16_t)off ||
	    rec->event_time_ns != off * 1000 || rec->arrival_ns != off * 1001 ||
	    rec->payload_len != logrecs_payload_len(off))
		return -1;
	for (uint32_t b = 0; b < rec->payload_len; b++)
		if (rec->payload[b] != logrecs_byte(off, b))
			return -1;
	return 0;
}

int64_t logrecs_read_back(const char *dir, uint64_t from, uint64_t to)
{
	struct log_reader *r;
	struct log_batch_view v;
	struct log_record rec;
	uint64_t expect = from, off, index;
	uint32_t pos;
	int rc;

	rc = log_reader_open(&r, dir, from);
	if (rc < 0)
		return rc;
	while ((rc = log_reader_next(r, to, &v)) == 1) {
		pos = 0;
		index = 0;
		while (log_batch_view_record(&v, &pos, &index, &rec, &off)) {
			if (off != expect || logrecs_check(&rec, off) < 0) {
				fprintf(stderr, "logrecs: record at offset %llu is wrong\n",
					(unsigned long long)off);
				log_reader_close(r);
				return -EBADMSG;
			}
			expect++;
		}
	}
	log_reader_close(r);
	return rc < 0 ? rc : (int64_t)expect;
}

int logrecs_dir_make(char *dir, size_t size, const char *name)
{
	int n = snprintf(dir, size, "/tmp/sluice-test-%s-XXXXXX", name);

	if (n < 0 || (size_t)n + 5 >= size || !mkdtemp(dir))
		return -1;
	strcat(dir, "/log");
	return 0;
}

int logrecs_dir_remove(const char *dir)
{
	char cmd[600];
	size_t len = strlen(dir);

	if (len < 4 || len > 500 || strcmp(dir + len - 4, "/log") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(len - 4), dir);
	return system(cmd) == 0 ? 0 : -1;
}

int logrecs_flip_byte(const char *path, long pos, uint8_t mask)
{
	struct stat st;
	uint8_t b;
	int fd = open(path, O_RDWR), rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0) {
		off_t at = pos < 0 ? st.st_size + pos : pos;

		if (at >= 0 && pread(fd, &b, 1, at) == 1) {
			b ^= mask;
			rc = pwrite(fd, &b, 1, at) == 1 ? 0 : -1;
		}
	}
	close(fd);
	return rc;
}
