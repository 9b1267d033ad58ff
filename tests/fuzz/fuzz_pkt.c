/* Fuzz target: the DPDK source's L2-L4 classification and its in-place
 * answers, on arbitrary frames. The first input byte chooses the RX offload
 * flags, so mutated frames can pass "checksum good" and reach the deeper
 * checks. Beyond "no crash" (the frame is an exact-size copy, so ASan sees
 * any read past it): offsets stay inside the frame, a datagram's payload
 * follows its UDP header, the same bytes classify the same way twice, and an
 * answer fits the room it was given. */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "dataplane/pkt.h"
#include "dataplane/reply.h"
#include "fuzz.h"
#include "tests/common/frames.h"

#define FUZZ_FRAME_MAX 9216u

static struct pkt_filter filter;
static const uint8_t our_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
static const uint8_t our4[4] = { 192, 0, 2, 10 };
static const uint8_t our6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };

static void fuzz_filter(void)
{
	struct sockaddr_storage ls[2];

	if (filter.listen_count)
		return;
	memset(ls, 0, sizeof(ls));
	((struct sockaddr_in *)&ls[0])->sin_family = AF_INET;
	((struct sockaddr_in *)&ls[0])->sin_port = htons(7611);
	memcpy(&((struct sockaddr_in *)&ls[0])->sin_addr, our4, 4);
	((struct sockaddr_in6 *)&ls[1])->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)&ls[1])->sin6_port = htons(7611);
	memcpy(&((struct sockaddr_in6 *)&ls[1])->sin6_addr, our6, 16);
	pkt_filter_init(&filter, our_mac, ls, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info info, again;
	uint32_t len, cap, out;
	unsigned offload;
	uint8_t *frame;

	fuzz_filter();
	if (size < 1)
		return 0;
	offload = data[0] & 0xfu;
	len = size - 1 > FUZZ_FRAME_MAX ? FUZZ_FRAME_MAX : (uint32_t)(size - 1);
	frame = malloc(len ? len : 1);
	FUZZ_ASSERT(frame != NULL);
	memcpy(frame, data + 1, len);
	enum pkt_class cls = pkt_classify(&filter, frame, len, offload, &info);

	FUZZ_ASSERT(pkt_classify(&filter, frame, len, offload, &again) == cls);
	FUZZ_ASSERT(memcmp(&info, &again, sizeof(info)) == 0);
	FUZZ_ASSERT(cls != PKT_DROP || info.drop < PKT_DROPS);
	if (cls == PKT_DATA) {
		FUZZ_ASSERT(info.payload_off >= info.l4_off + 8);
		FUZZ_ASSERT(info.payload_off + info.payload_len <= len);
	}
	if (cls == PKT_FRAGMENT)
		FUZZ_ASSERT((uint32_t)info.l2_len + info.l3_len <= len);
	if (cls != PKT_DROP && cls != PKT_DATA && cls != PKT_FRAGMENT) {
		/* Answers are built in the request's own buffer, with the tailroom
		 * an mbuf would have. */
		cap = len + REPLY_NA_BYTES + 64;
		uint8_t *room = malloc(cap);

		FUZZ_ASSERT(room != NULL);
		memcpy(room, frame, len);
		out = reply_build(&filter, &info, room, len, cap);
		FUZZ_ASSERT(out <= cap);
		FUZZ_ASSERT(out == 0 || memcmp(room + 6, our_mac, 6) == 0);
		free(room);
	}
	free(frame);
	return 0;
}

size_t fuzz_seed(unsigned index, uint8_t *buf, size_t cap)
{
	static uint8_t frame[FRAMES_MAX], dgram[FRAMES_MAX], frags[4][FRAMES_MAX];
	struct frames_l2 l2 = { .vlan = index == 2 ? 100 : -1 };
	struct frames_ip v4 = { .family = 4, .src = { 192, 0, 2, 1 } };
	struct frames_ip v6 = { .family = 6, .src = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	uint32_t len = 0, lens[4];

	memcpy(l2.dst, our_mac, 6);
	memcpy(l2.src, "\x02\0\0\0\0\x01", 6);
	memcpy(v4.dst, our4, 4);
	memcpy(v6.dst, our6, 16);
	uint32_t dlen = frames_slf1(dgram, 7, index, 40);

	switch (index) {
	case 0: case 2: len = frames_udp(frame, &l2, &v4, 1, 7611, dgram, dlen); break;
	case 1: len = frames_udp(frame, &l2, &v6, 1, 7611, dgram, dlen); break;
	case 3: len = frames_arp_request(frame, &l2, v4.src, our4); break;
	case 4: len = frames_echo(frame, &l2, &v4, 1, 1, 16); break;
	case 5: len = frames_echo(frame, &l2, &v6, 1, 1, 16); break;
	case 6: len = frames_ns(frame, &l2, v6.src, our6); break;
	case 7: case 8:
		len = frames_udp(frame, &l2, index == 7 ? &v4 : &v6, 1, 7611, dgram, dlen);
		frames_fragment(frame, len, &l2, index == 7 ? 4 : 6, 24, frags, lens, 4);
		memcpy(frame, frags[0], lens[0]);
		len = lens[0];
		break;
	default: return 0;
	}
	if (len + 1 > cap)
		return 0;
	buf[0] = (uint8_t)(index & 3) << 2;  /* some seeds with checksums "good" */
	memcpy(buf + 1, frame, len);
	return len + 1;
}

#ifndef SLUICE_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_main(argc, argv, 200000);
}
#endif
