/* Socket addresses written as "ADDR:PORT" ("[v6]:PORT" for IPv6). */
#ifndef SLUICE_PLATFORM_ADDR_H
#define SLUICE_PLATFORM_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Parses a numeric address and port. Returns 0 or -EINVAL. */
int addr_parse(const char *hostport, struct sockaddr_storage *ss);
socklen_t addr_len(const struct sockaddr_storage *ss);

#endif
