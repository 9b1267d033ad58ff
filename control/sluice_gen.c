/* sluice-gen: a fleet of sensor gateways in one process. Sends SLF1 frames
 * over UDP with sendmmsg: N sources with their own sequences, a rate, a
 * payload size, several frames per datagram, and a per-mille of deliberately
 * broken frames (each the last of its datagram, so the frames before it stay
 * valid). For source health, a device's numbering can skip, repeat or swap
 * numbers and its clock can run off. Prints what it sent as key=value
 * lines. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/slf.h"
#include "dataplane/source.h"
#include "platform/addr.h"
#include "platform/clock.h"
#include "platform/le.h"

#define GEN_BURST 64
/* Below this many events/s, each datagram goes on its own at its time, as
 * a gateway's would, instead of GEN_BURST at once. */
#define GEN_RATE_SINGLE 10000u

struct gen {
	struct sockaddr_storage target;
	uint64_t sources, count, rate, source_base, seq_base, seed;
	uint32_t payload, batch, faults_permille;
	uint16_t schema;
	FILE *broken_list;
	/* per device: every Nth number not sent, sent twice, or pairs from each
	 * Nth swapped (0: none); event times this far from the clock */
	uint64_t skip_every, repeat_every, reorder_every;
	int64_t clock_offset_ns;
	/* results */
	uint64_t datagrams, frames, valid, broken, send_errors;
	uint64_t skipped, repeated, swapped;
	uint64_t broken_by_reason[SLF_REASONS];
};

static uint64_t gen_hash(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int gen_u64(const char *flag, const char *v, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x < min || x > max) {
		fprintf(stderr, "sluice-gen: --%s '%s': must be a whole number from %" PRIu64
			" to %" PRIu64 "\n", flag, v, min, max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

/* Breaks the frame at f (size bytes, last in its datagram) and returns its
 * new size. */
static uint32_t gen_break(uint8_t *f, uint32_t size, enum slf_reason why)
{
	switch (why) {
	case SLF_MAGIC: f[0] = 'X'; break;
	case SLF_VERSION_BAD: f[2] = 9; break;
	case SLF_FLAGS: f[3] |= 0x80; break;
	case SLF_LENGTH: le_put16(f + 4, (uint16_t)(le_get16(f + 4) + 1000)); break;
	case SLF_SHORT: return SLF_HEADER_BYTES - 7;
	default: f[SLF_HEADER_BYTES - 1] ^= 0x5a; break;  /* SLF_CRC */
	}
	return size;
}

/* Builds one datagram starting at event *k; returns its length. */
static uint32_t gen_datagram(struct gen *g, uint64_t *k, uint8_t *buf, uint8_t *payload)
{
	uint32_t len = 0, n = 0;

	while (n < g->batch && *k < g->count) {
		uint64_t e = *k, src = e % g->sources, seq = e / g->sources;
		uint64_t h = gen_hash(e ^ g->seed);
		uint64_t sent_seq = seq;
		uint32_t size;

		if (g->skip_every && seq % g->skip_every == g->skip_every - 1) {
			(*k)++;
			g->skipped++;
			continue;
		}
		if (g->reorder_every && seq % g->reorder_every < 2) {
			sent_seq = seq % g->reorder_every == 0 ? seq + 1 : seq - 1;
			g->swapped += seq % g->reorder_every;  /* a pair counted once */
		}
		struct slf_frame f = {
			.schema_id = g->schema, .payload_len = (uint16_t)g->payload,
			.source_id = g->source_base + src, .seq = g->seq_base + sent_seq,
			.event_time_ns = clock_real_ns() + (uint64_t)g->clock_offset_ns,
			.payload = payload,
		};

		memcpy(payload, &e, sizeof(e) < g->payload ? sizeof(e) : g->payload);
		size = slf_encode(buf + len, SLF_DATAGRAM_BYTES_MAX - len, &f);
		if (size == 0)
			break;
		(*k)++;
		n++;
		g->frames++;
		if (h % 1000 < g->faults_permille) {
			enum slf_reason why = (enum slf_reason)(SLF_SHORT + (h >> 32) % (SLF_REASONS - 1));

			len += gen_break(buf + len, size, why);
			g->broken++;
			g->broken_by_reason[why]++;
			if (g->broken_list)
				fprintf(g->broken_list, "%" PRIu64 " %" PRIu64 " %s\n",
					f.source_id, seq, slf_reason_name(why));
			break;  /* a broken frame ends its datagram */
		}
		len += size;
		g->valid++;
		if (g->repeat_every && seq % g->repeat_every == g->repeat_every - 1) {
			size = slf_encode(buf + len, SLF_DATAGRAM_BYTES_MAX - len, &f);
			len += size;
			g->repeated += size > 0;
			g->frames += size > 0;
			g->valid += size > 0;
		}
	}
	return len;
}

static int gen_run(struct gen *g)
{
	static uint8_t bufs[GEN_BURST][SLF_DATAGRAM_BYTES_MAX];
	static uint8_t payload[SLF_PAYLOAD_BYTES_MAX];
	struct mmsghdr msgs[GEN_BURST];
	struct iovec iovs[GEN_BURST];
	uint64_t k = 0, start = clock_mono_ns();
	socklen_t alen = addr_len(&g->target);
	int fd, sndbuf = 4 << 20;
	int burst = g->rate && g->rate < GEN_RATE_SINGLE ? 1 : GEN_BURST;

	for (uint32_t i = 0; i < SLF_PAYLOAD_BYTES_MAX; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	fd = socket(g->target.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&g->target, alen) < 0) {
		perror("sluice-gen: socket");
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	while (k < g->count) {
		int n = 0, sent;

		while (n < burst && k < g->count) {
			iovs[n].iov_base = bufs[n];
			iovs[n].iov_len = gen_datagram(g, &k, bufs[n], payload);
			if (iovs[n].iov_len == 0)
				continue;  /* its events were all left out (--skip-every) */
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = &iovs[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
			n++;
		}
		for (int off = 0; off < n;) {
			sent = sendmmsg(fd, msgs + off, (unsigned)(n - off), 0);
			if (sent < 0 && errno == EINTR)
				continue;
			if (sent <= 0) {
				/* ECONNREFUSED from an earlier datagram: nobody listened. */
				g->send_errors++;
				off++;
				continue;
			}
			off += sent;
			g->datagrams += (uint64_t)sent;
		}
		if (g->rate) {
			/* Pace by events: event k is due at start + k / rate. */
			uint64_t due = start + (uint64_t)((double)k * 1e9 / (double)g->rate);
			uint64_t now = clock_mono_ns();

			if (due > now)
				clock_sleep_ns(due - now);
		}
	}
	close(fd);
	double secs = (double)(clock_mono_ns() - start) / 1e9;

	printf("datagrams=%" PRIu64 "\nframes=%" PRIu64 "\nvalid_events=%" PRIu64
	       "\nbroken_frames=%" PRIu64 "\nsend_errors=%" PRIu64 "\nelapsed_s=%.3f\n"
	       "events_per_s=%.0f\n", g->datagrams, g->frames, g->valid, g->broken,
	       g->send_errors, secs, secs > 0 ? (double)g->frames / secs : 0.0);
	printf("skipped=%" PRIu64 "\nrepeated=%" PRIu64 "\nswapped_pairs=%" PRIu64 "\n",
	       g->skipped, g->repeated, g->swapped);
	for (int r = 1; r < SLF_REASONS; r++)
		printf("broken_%s=%" PRIu64 "\n", slf_reason_name((enum slf_reason)r),
		       g->broken_by_reason[r]);
	return 0;
}

static void gen_usage(FILE *out)
{
	fprintf(out, "usage: sluice-gen --target udp://ADDR:PORT --sources N --count N\n"
		     "                  [--rate EPS] [--payload BYTES] [--batch FRAMES]\n"
		     "                  [--faults PERMILLE] [--source-base N] [--seq-base N] [--schema N]\n"
		     "                  [--seed N] [--broken-list FILE]\n"
		     "                  [--skip-every N] [--repeat-every N] [--reorder-every N]\n"
		     "                  [--clock-offset-ms MS]\n"
		     "  --skip-every N     each device leaves out every Nth sequence number\n"
		     "  --repeat-every N   ... sends every Nth number twice, back to back\n"
		     "  --reorder-every N  ... swaps numbers 0,1 of every N (N >= 2)\n"
		     "  --clock-offset-ms  event times this far from the clock (negative: behind)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' }, { "sources", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' }, { "rate", required_argument, NULL, 'r' },
		{ "payload", required_argument, NULL, 'p' }, { "batch", required_argument, NULL, 'b' },
		{ "faults", required_argument, NULL, 'f' }, { "source-base", required_argument, NULL, 'B' },
		{ "seq-base", required_argument, NULL, 'Q' },
		{ "schema", required_argument, NULL, 'S' }, { "seed", required_argument, NULL, 'e' },
		{ "broken-list", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
		{ "skip-every", required_argument, NULL, 'K' },
		{ "repeat-every", required_argument, NULL, 'R' },
		{ "reorder-every", required_argument, NULL, 'O' },
		{ "clock-offset-ms", required_argument, NULL, 'C' },
		{ 0 },
	};
	struct gen g = { .sources = 0, .count = 0, .payload = 100, .batch = 1 };
	uint64_t v;
	int c, have_target = 0, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			have_target = 1;
			if (source_parse_listen(optarg, &g.target) < 0) {
				fprintf(stderr, "sluice-gen: --target '%s': expected udp://ADDR:PORT\n", optarg);
				rc = -EINVAL;
			}
			break;
		case 's': rc = gen_u64("sources", optarg, 1, 1u << 24, &g.sources); break;
		case 'c': rc = gen_u64("count", optarg, 1, 1ull << 40, &g.count); break;
		case 'r': rc = gen_u64("rate", optarg, 0, 100000000, &g.rate); break;
		case 'p': rc = gen_u64("payload", optarg, 0, SLF_PAYLOAD_BYTES_MAX, &v); g.payload = (uint32_t)v; break;
		case 'b': rc = gen_u64("batch", optarg, 1, SLF_FRAMES_MAX - 1, &v); g.batch = (uint32_t)v; break;
		case 'f': rc = gen_u64("faults", optarg, 0, 1000, &v); g.faults_permille = (uint32_t)v; break;
		case 'B': rc = gen_u64("source-base", optarg, 0, UINT64_MAX / 2, &g.source_base); break;
		case 'Q': rc = gen_u64("seq-base", optarg, 0, UINT64_MAX / 2, &g.seq_base); break;
		case 'S': rc = gen_u64("schema", optarg, 0, 65535, &v); g.schema = (uint16_t)v; break;
		case 'e': rc = gen_u64("seed", optarg, 0, UINT64_MAX, &g.seed); break;
		case 'K': rc = gen_u64("skip-every", optarg, 2, 1u << 30, &g.skip_every); break;
		case 'R': rc = gen_u64("repeat-every", optarg, 1, 1u << 30, &g.repeat_every); break;
		case 'O': rc = gen_u64("reorder-every", optarg, 2, 1u << 30, &g.reorder_every); break;
		case 'C': {
			char *end;
			long long ms;

			errno = 0;
			ms = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || ms < -86400000000ll || ms > 86400000000ll) {
				fprintf(stderr, "sluice-gen: --clock-offset-ms '%s': must be a whole "
						"number of ms within 1000 days either way\n", optarg);
				rc = -EINVAL;
			}
			g.clock_offset_ns = ms * 1000000;
			break;
		}
		case 'L':
			g.broken_list = fopen(optarg, "w");
			if (!g.broken_list) {
				fprintf(stderr, "sluice-gen: --broken-list '%s': %s\n", optarg, strerror(errno));
				rc = -EINVAL;
			}
			break;
		case 'h': gen_usage(stdout); return 0;
		default: gen_usage(stderr); return 2;
		}
	}
	if (rc == 0 && (!have_target || !g.sources || !g.count)) {
		fprintf(stderr, "sluice-gen: --target, --sources and --count are required\n");
		rc = -EINVAL;
	}
	if (rc == 0 && SLF_FRAME_OVERHEAD + g.payload > SLF_DATAGRAM_BYTES_MAX) {
		fprintf(stderr, "sluice-gen: --payload '%u': a frame must fit a datagram\n", g.payload);
		rc = -EINVAL;
	}
	if (rc < 0)
		return 2;
	rc = gen_run(&g);
	if (g.broken_list)
		fclose(g.broken_list);
	return rc < 0 ? 1 : 0;
}
