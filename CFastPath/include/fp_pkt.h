/*
 * Packet header checks and checksum arithmetic on raw bytes.
 *
 * These are the exact functions the workers run per packet; they take plain byte pointers
 * (no mbufs) so unit tests can call them from Swift on hand-made frames.
 */
#ifndef STRAIT_FP_PKT_H
#define STRAIT_FP_PKT_H

#include <stdint.h>
#include <string.h>

enum {
	FP_ETH_HLEN = 14,
	FP_ETHERTYPE_IPV4 = 0x0800,
	FP_ETHERTYPE_ARP = 0x0806,
	FP_ETHERTYPE_VLAN = 0x8100,
	FP_ETHERTYPE_IPV6 = 0x86dd,
	FP_IPV4_MIN_HLEN = 20,
	FP_IPV6_HLEN = 40,
};

/* Verdict of a header check: OK or the reason the packet is dropped. */
typedef enum fp_hdr_verdict {
	FP_HDR_OK = 0,
	FP_HDR_BAD_HEADER = 1,     /* version, IHL, or shorter than the fixed header */
	FP_HDR_BAD_LENGTH = 2,     /* length field disagrees with the bytes present */
	FP_HDR_BAD_CHECKSUM = 3,   /* IPv4 header checksum wrong */
} fp_hdr_verdict_t;

static inline uint16_t fp_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* One's-complement sum of 16-bit big-endian words, not folded. */
static inline uint32_t fp_csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	while (len > 1) {
		sum += fp_rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static inline uint16_t fp_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The checksum field value an IPv4 header of ihl_bytes should carry (host order). */
static inline uint16_t fp_ipv4_header_checksum(const uint8_t *ip, uint32_t ihl_bytes)
{
	uint32_t sum = fp_csum_add(0, ip, 10);             /* skip the checksum field */
	sum = fp_csum_add(sum, ip + 12, ihl_bytes - 12);
	return fp_csum_fold(sum);
}

/*
 * Check an IPv4 header at ip, with l3_len bytes present after the Ethernet header.
 * Ethernet may pad short frames, so total length may be less than l3_len, never more.
 */
static inline fp_hdr_verdict_t fp_ipv4_check(const uint8_t *ip, uint32_t l3_len)
{
	if (l3_len < FP_IPV4_MIN_HLEN || (ip[0] >> 4) != 4)
		return FP_HDR_BAD_HEADER;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < FP_IPV4_MIN_HLEN || ihl > l3_len)
		return FP_HDR_BAD_HEADER;
	uint32_t total = fp_rd16(ip + 2);
	if (total < ihl || total > l3_len)
		return FP_HDR_BAD_LENGTH;
	/* Summing the whole header including the checksum gives 0xffff when it is right. */
	if (fp_csum_fold(fp_csum_add(0, ip, ihl)) != 0)
		return FP_HDR_BAD_CHECKSUM;
	return FP_HDR_OK;
}

static inline fp_hdr_verdict_t fp_ipv6_check(const uint8_t *ip, uint32_t l3_len)
{
	if (l3_len < FP_IPV6_HLEN || (ip[0] >> 4) != 6)
		return FP_HDR_BAD_HEADER;
	if ((uint32_t)fp_rd16(ip + 4) + FP_IPV6_HLEN > l3_len)
		return FP_HDR_BAD_LENGTH;
	return FP_HDR_OK;
}

/*
 * Decrement the TTL and patch the checksum incrementally (RFC 1624; the TTL is the high
 * byte of its 16-bit word, so the sum grows by 0x0100). Returns the new TTL.
 */
static inline uint8_t fp_ipv4_ttl_decrement(uint8_t *ip)
{
	uint32_t check = fp_rd16(ip + 10);
	check += 0x0100;
	check += check >> 16;
	ip[10] = (uint8_t)(check >> 8);
	ip[11] = (uint8_t)check;
	return --ip[8];
}

/* Does addr fall in prefix/len? (Both in network order; len in bits.) */
static inline int fp_prefix_match(const uint8_t *addr, const uint8_t *prefix, uint8_t len)
{
	uint32_t full = len / 8, rem = len % 8;
	if (memcmp(addr, prefix, full) != 0)
		return 0;
	return !rem || ((addr[full] ^ prefix[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

/* True for addresses the fast path never forwards: multicast, limited broadcast, 0/8, loopback. */
static inline int fp_ipv4_is_special(const uint8_t *dst)
{
	return dst[0] >= 224 || dst[0] == 0 || dst[0] == 127;
}

/* True for IPv6 multicast, link-local, unspecified and loopback destinations. */
static inline int fp_ipv6_is_special(const uint8_t *dst)
{
	if (dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80))
		return 1;
	static const uint8_t zero[15];
	return memcmp(dst, zero, 15) == 0 && dst[15] <= 1;
}

#endif
