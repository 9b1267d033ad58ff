/* CIDR allow-list: parse once at start, match per datagram (a few dozen
 * prefixes at most: a linear scan of masked compares). */
#include "dataplane/allow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void allow_mask(uint8_t *addr, unsigned bytes, unsigned bits)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = bits > i * 8 ? bits - i * 8 : 0;

		if (keep < 8)
			addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

static int allow_one(struct allow_prefix *p, char *entry)
{
	char *slash = strchr(entry, '/'), *end;
	unsigned long bits;
	unsigned max;

	if (slash)
		*slash = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, entry, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, entry, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	bits = max;
	if (slash) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || bits > max)
			return -EINVAL;
	}
	p->bits = (uint8_t)bits;
	allow_mask(p->addr, max / 8, p->bits);
	return 0;
}

int allow_parse(struct allow_list *a, const char *list, char *err, size_t err_size)
{
	char buf[1024], *save = NULL;

	memset(a, 0, sizeof(*a));
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, err_size, "longer than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, list, strlen(list) + 1);
	for (char *e = strtok_r(buf, ", ", &save); e; e = strtok_r(NULL, ", ", &save)) {
		char shown[64];

		snprintf(shown, sizeof(shown), "%s", e);
		if (a->count == ALLOW_MAX) {
			snprintf(err, err_size, "more than %u prefixes", ALLOW_MAX);
			return -EINVAL;
		}
		if (allow_one(&a->p[a->count], e) < 0) {
			snprintf(err, err_size, "'%s' is not ADDR/BITS (e.g. 10.0.0.0/8, "
				 "2001:db8::/32)", shown);
			return -EINVAL;
		}
		a->count++;
	}
	return 0;
}

bool allow_match(const struct allow_list *a, int family, const uint8_t *addr)
{
	if (a->count == 0)
		return true;
	for (unsigned i = 0; i < a->count; i++) {
		const struct allow_prefix *p = &a->p[i];
		unsigned whole = p->bits / 8, rest = p->bits % 8;

		if (p->family != family || memcmp(p->addr, addr, whole) != 0)
			continue;
		if (rest == 0 || ((addr[whole] & (uint8_t)(0xff00u >> rest)) == p->addr[whole]))
			return true;
	}
	return false;
}

bool allow_sockaddr(const struct allow_list *a, const struct sockaddr_storage *ss)
{
	if (a->count == 0)
		return true;
	if (ss->ss_family == AF_INET)
		return allow_match(a, AF_INET,
				   (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr);
	if (ss->ss_family == AF_INET6) {
		const uint8_t *v6 = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)v6))
			return allow_match(a, AF_INET, v6 + 12);
		return allow_match(a, AF_INET6, v6);
	}
	return false;
}
