/*
 * An inner packet too big for its tunnel: what a gateway owes the sender.
 *
 * ESP adds 50-73 bytes, so a full-size LAN packet no longer fits the WAN MTU. An IPv4
 * packet without DF is fragmented before encryption (RFC 4301 8.1: each fragment travels
 * as its own ESP packet, the far host reassembles, no gateway ever reassembles). An IPv4
 * packet with DF gets ICMP "fragmentation needed" (RFC 1191), an IPv6 packet gets ICMPv6
 * "packet too big" (RFC 4443 3.2, RFC 8201), both carrying the tunnel's MTU so the sender's
 * path MTU discovery converges on a size that fits.
 *
 * All functions take and leave mbufs at their Ethernet header. They run on workers: the
 * only allocation is from the mbuf pool, as RX does.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "fp_internal.h"
#include "fp_pkt.h"

static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/*
 * The header of the second and later fragments: options whose copied flag is clear stay
 * in the first fragment only (RFC 791 3.1). Returns the new header length (a multiple of 4).
 */
static uint32_t later_fragment_header(const uint8_t *ip, uint32_t ihl, uint8_t *out)
{
	memcpy(out, ip, FP_IPV4_MIN_HLEN);
	uint32_t o = FP_IPV4_MIN_HLEN;
	for (uint32_t i = FP_IPV4_MIN_HLEN; i < ihl;) {
		uint8_t type = ip[i];
		if (type == 0)                       /* end of options */
			break;
		if (type == 1) {                     /* no-operation: not copied */
			i++;
			continue;
		}
		if (i + 1 >= ihl)
			break;
		uint32_t len = ip[i + 1];
		if (len < 2 || i + len > ihl)        /* malformed: copy nothing more */
			break;
		if (type & 0x80) {
			memcpy(out + o, ip + i, len);
			o += len;
		}
		i += len;
	}
	while (o & 3)
		out[o++] = 0;
	return o;
}

uint16_t fp_ipv4_fragment(struct rte_mbuf *m, uint32_t mtu, struct rte_mempool *pool, struct rte_mbuf **out,
                          uint16_t max)
{
	if (!rte_pktmbuf_is_contiguous(m))
		return 0;
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *), *ip = eth + FP_ETH_HLEN;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4, total = fp_rd16(ip + 2);
	uint16_t frag = fp_rd16(ip + 6);
	if (frag & 0x4000 || total <= ihl || FP_ETH_HLEN + total > rte_pktmbuf_data_len(m))
		return 0;
	uint32_t base = (uint32_t)(frag & 0x1fff) * 8;   /* fragmenting a fragment keeps its place */
	int more = !!(frag & 0x2000);
	uint8_t later[60];
	uint32_t ihl2 = later_fragment_header(ip, ihl, later);
	/* Every fragment but the last carries a multiple of 8 bytes. */
	uint32_t first_room = mtu > ihl ? (mtu - ihl) & ~7u : 0, room = mtu > ihl2 ? (mtu - ihl2) & ~7u : 0;
	if (first_room < 8 || room < 8)
		return 0;
	uint32_t payload = total - ihl, rest = payload > first_room ? payload - first_room : 0;
	uint32_t n = 1 + (rest + room - 1) / room;
	if (n < 2 || n > max || base + payload > 0xffff || rte_pktmbuf_alloc_bulk(pool, out, n) != 0)
		return 0;
	for (uint32_t i = 0, pos = 0; i < n; i++) {
		const uint8_t *h = i ? later : ip;
		uint32_t hl = i ? ihl2 : ihl, take = RTE_MIN(payload - pos, i ? room : first_room);
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(out[i], (uint16_t)(FP_ETH_HLEN + hl + take));
		memcpy(d, eth, FP_ETH_HLEN);
		uint8_t *f = d + FP_ETH_HLEN;
		memcpy(f, h, hl);
		memcpy(f + hl, ip + ihl + pos, take);
		f[0] = (uint8_t)(0x40 | hl / 4);
		wr16(f + 2, (uint16_t)(hl + take));
		int last = pos + take == payload;
		wr16(f + 6, (uint16_t)((base + pos) / 8 | (last && !more ? 0 : 0x2000)));
		wr16(f + 10, 0);
		wr16(f + 10, fp_ipv4_header_checksum(f, hl));
		out[i]->port = m->port;
		pos += take;
	}
	rte_pktmbuf_free(m);
	return (uint16_t)n;
}

/* Replace the packet after the Ethernet header with `head` followed by the first `quote`
 * bytes of the original packet. */
static int rewrite_as_error(struct rte_mbuf *m, const uint8_t *head, uint32_t head_len, uint32_t quote)
{
	if (!rte_pktmbuf_is_contiguous(m) || !rte_pktmbuf_prepend(m, (uint16_t)head_len))
		return -1;
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - (FP_ETH_HLEN + head_len + quote)));
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(eth, eth + head_len, FP_ETH_HLEN);          /* Ethernet header back in front */
	memcpy(eth + FP_ETH_HLEN, head, head_len);
	return 0;
}

int fp_icmp4_frag_needed(struct rte_mbuf *m, const uint8_t src[4], uint32_t mtu)
{
	const uint8_t *orig = rte_pktmbuf_mtod_offset(m, const uint8_t *, FP_ETH_HLEN);
	uint32_t ihl = (uint32_t)(orig[0] & 0x0f) * 4, quote = ihl + 8;
	if ((orig[6] & 0x1f) || orig[7] || orig[9] == 1)   /* not for fragments or ICMP (RFC 1122) */
		return -1;
	if (rte_pktmbuf_data_len(m) < FP_ETH_HLEN + quote)
		return -1;
	uint8_t head[FP_IPV4_MIN_HLEN + 8];
	uint8_t *ip = head, *icmp = head + FP_IPV4_MIN_HLEN;
	memset(head, 0, sizeof(head));
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(sizeof(head) + quote));
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, orig + 12, 4);
	icmp[0] = 3;                               /* destination unreachable */
	icmp[1] = 4;                               /* fragmentation needed and DF set */
	wr16(icmp + 6, (uint16_t)mtu);
	if (rewrite_as_error(m, head, sizeof(head), quote) != 0)
		return -1;
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *), *nip = eth + FP_ETH_HLEN, *nicmp = nip + FP_IPV4_MIN_HLEN;
	wr16(nip + 10, fp_ipv4_header_checksum(nip, FP_IPV4_MIN_HLEN));
	wr16(nicmp + 2, fp_csum_fold(fp_csum_add(0, nicmp, 8 + quote)));
	eth[12] = 0x08;
	eth[13] = 0x00;
	return 0;
}

int fp_icmp6_packet_too_big(struct rte_mbuf *m, const uint8_t src[16], uint32_t mtu)
{
	const uint8_t *orig = rte_pktmbuf_mtod_offset(m, const uint8_t *, FP_ETH_HLEN);
	uint32_t len = rte_pktmbuf_data_len(m) - FP_ETH_HLEN;
	/* Never an error about an ICMPv6 error (RFC 4443 2.4 e.1). */
	if (orig[6] == 58 && len > FP_IPV6_HLEN && orig[FP_IPV6_HLEN] < 128)
		return -1;
	/* As much of the packet as fits in the minimum MTU (RFC 4443 3.2). */
	uint32_t quote = RTE_MIN(len, 1280u - FP_IPV6_HLEN - 8);
	uint8_t head[FP_IPV6_HLEN + 8];
	uint8_t *ip = head, *icmp = head + FP_IPV6_HLEN;
	memset(head, 0, sizeof(head));
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)(8 + quote));
	ip[6] = 58;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, orig + 8, 16);
	icmp[0] = 2;                               /* packet too big */
	icmp[4] = (uint8_t)(mtu >> 24);
	icmp[5] = (uint8_t)(mtu >> 16);
	icmp[6] = (uint8_t)(mtu >> 8);
	icmp[7] = (uint8_t)mtu;
	if (rewrite_as_error(m, head, sizeof(head), quote) != 0)
		return -1;
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *), *nip = eth + FP_ETH_HLEN, *nicmp = nip + FP_IPV6_HLEN;
	/* Checksum over the pseudo-header (RFC 8200 8.1): addresses, length, next header. */
	uint8_t pseudo[8] = { 0, 0, (uint8_t)((8 + quote) >> 8), (uint8_t)(8 + quote), 0, 0, 0, 58 };
	uint32_t sum = fp_csum_add(0, nip + 8, 32);
	sum = fp_csum_add(sum, pseudo, 8);
	sum = fp_csum_add(sum, nicmp, 8 + quote);
	wr16(nicmp + 2, fp_csum_fold(sum));
	eth[12] = 0x86;
	eth[13] = 0xdd;
	return 0;
}

int fp_ipv4_fragment_buffer(const uint8_t *pkt, uint32_t len, uint32_t mtu, uint8_t *out, uint32_t cap,
                            uint32_t *lens, uint32_t max)
{
	struct rte_mempool *pool = fp_pool_for_socket(fp_main(), (int)rte_socket_id());
	struct rte_mbuf *m = pool ? rte_pktmbuf_alloc(pool) : NULL;
	if (!m)
		return -1;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)RTE_MIN(FP_ETH_HLEN + len, 0xffffu));
	if (!d || len < FP_IPV4_MIN_HLEN) {
		rte_pktmbuf_free(m);
		return d ? 0 : -1;
	}
	memset(d, 0, FP_ETH_HLEN);
	memcpy(d + FP_ETH_HLEN, pkt, len);
	struct rte_mbuf *frags[FP_MAX_FRAGMENTS];
	uint16_t n = fp_ipv4_fragment(m, mtu, pool, frags, (uint16_t)RTE_MIN(max, FP_MAX_FRAGMENTS));
	if (!n) {
		rte_pktmbuf_free(m);
		return 0;
	}
	uint32_t used = 0;
	int rc = n;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t l = rte_pktmbuf_data_len(frags[i]) - FP_ETH_HLEN;
		if (used + l > cap)
			rc = -1;
		else {
			memcpy(out + used, rte_pktmbuf_mtod_offset(frags[i], uint8_t *, FP_ETH_HLEN), l);
			lens[i] = l;
			used += l;
		}
		rte_pktmbuf_free(frags[i]);
	}
	return rc;
}
