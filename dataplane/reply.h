/* Answers to the control packets pkt_classify finds (ARP request, ICMP and
 * ICMPv6 echo, neighbour solicitation), built in place in the request's own
 * buffer so that answering costs no allocation. Never on a data packet's
 * path: the source sends them in a burst of their own. */
#ifndef SLUICE_DATAPLANE_REPLY_H
#define SLUICE_DATAPLANE_REPLY_H

#include <stdint.h>

#include "dataplane/pkt.h"

/* Room a neighbour advertisement needs after the IPv6 header. */
#define REPLY_NA_BYTES 32u

/* Rewrites the request at frame (len bytes, cap bytes of room) into its
 * answer from our MAC and address. Returns the answer's length, or 0 when
 * there is none to give (an echo request too large to answer in place is
 * still answered: echoes keep their length). */
uint32_t reply_build(const struct pkt_filter *f, const struct pkt_info *info,
		     uint8_t *frame, uint32_t len, uint32_t cap);

#endif
