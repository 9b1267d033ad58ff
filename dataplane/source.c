/* What every source shares: listen addresses, sender ids, counter names. */
#include "dataplane/source.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "platform/addr.h"

int source_parse_listen(const char *uri, struct sockaddr_storage *ss)
{
	if (strncmp(uri, "udp://", 6) != 0)
		return -EINVAL;
	return addr_parse(uri + 6, ss);
}

uint64_t source_peer_hash(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		return source_peer_hash_v6((const uint8_t *)&in6->sin6_addr,
					   (const uint8_t *)&in6->sin6_port);
	}
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;

	return source_peer_hash_v4((const uint8_t *)&in4->sin_addr,
				   (const uint8_t *)&in4->sin_port);
}

const char *source_drop_name(enum source_drop d)
{
	static const char *names[SOURCE_DROPS] = { "not_for_us", "bad_l2", "bad_ip", "bad_udp",
						   "truncated", "fragment", "not_allowed",
						   "reply_tx" };

	return (unsigned)d < SOURCE_DROPS ? names[d] : "unknown";
}

const char *source_reply_name(enum source_reply r)
{
	static const char *names[SOURCE_REPLIES] = { "arp", "echo", "echo6", "nd" };

	return (unsigned)r < SOURCE_REPLIES ? names[r] : "unknown";
}
