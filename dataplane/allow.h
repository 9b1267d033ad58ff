/* The sources allowed to send: a list of CIDR prefixes, IPv4 and IPv6
 * ("10.0.0.0/8,2001:db8::/32"). A datagram from elsewhere never reaches
 * the parser; both sources count it as a packet-stage drop (not_allowed).
 * An empty list allows everyone. */
#ifndef SLUICE_DATAPLANE_ALLOW_H
#define SLUICE_DATAPLANE_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ALLOW_MAX 64u

struct allow_prefix {
	uint8_t family;     /* AF_INET or AF_INET6 */
	uint8_t bits;
	uint8_t addr[16];   /* IPv4 in the first 4 bytes; bits past the prefix are 0 */
};

struct allow_list {
	unsigned count;
	struct allow_prefix p[ALLOW_MAX];
};

/* Parses a comma list of ADDR/BITS (a bare ADDR is /32 or /128). On a bad
 * entry writes it, and why, into err and returns -EINVAL. */
int allow_parse(struct allow_list *a, const char *list, char *err, size_t err_size);

/* Whether addr (4 or 16 bytes, by family) falls in a prefix of the list. */
bool allow_match(const struct allow_list *a, int family, const uint8_t *addr);

/* The same for a sender's socket address; an IPv4-mapped IPv6 address
 * (from a dual-stack socket) is matched as the IPv4 one it is. */
bool allow_sockaddr(const struct allow_list *a, const struct sockaddr_storage *ss);

#endif
