/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr_limit.h - connections counted per client address.
 *
 * Owns: turning a peer's socket address into the key it is counted under
 * (an IPv4 address; an IPv6 address's /64 prefix, the block one host or
 * one home network normally gets; an IPv4-mapped IPv6 address as its IPv4
 * address) and the count of open connections per key (a balanced tree from
 * libc's tsearch, so a crafted set of addresses cannot degrade it).
 * Does not own: the limit's value or what is done at the limit (the server
 * refuses the connection).
 */
#ifndef VCD_CHAT_ADDR_LIMIT_H
#define VCD_CHAT_ADDR_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr_key {
	uint8_t family;		/* AF_INET or AF_INET6; 0 = not counted */
	uint8_t bytes[8];	/* IPv4: 4 bytes; IPv6: the /64 prefix */
};

struct addr_limit {
	void *root;		/* tsearch tree of counts */
	size_t keys;		/* distinct keys with connections */
};

/* The key a peer address is counted under (family 0 for other families). */
struct addr_key addr_key_of(const struct sockaddr *sa, socklen_t len);
/* "192.0.2.7" or "2001:db8:1:2::/64" into buf. */
const char *addr_key_str(const struct addr_key *k, char *buf, size_t len);

/* Count one more connection for k unless it has max already (0 = no
 * limit): 0, -EBUSY at the limit, -ENOMEM. */
int addr_limit_add(struct addr_limit *a, const struct addr_key *k, uint32_t max);
/* One connection for k ended. */
void addr_limit_del(struct addr_limit *a, const struct addr_key *k);
/* Open connections for k. */
uint32_t addr_limit_count(const struct addr_limit *a, const struct addr_key *k);
/* Bytes the table holds (for the server's memory accounting). */
size_t addr_limit_bytes(const struct addr_limit *a);
void addr_limit_free(struct addr_limit *a);

#endif /* VCD_CHAT_ADDR_LIMIT_H */
