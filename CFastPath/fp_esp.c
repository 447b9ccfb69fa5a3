/*
 * ESP tunnel mode, one packet: encrypt (RFC 4303 + RFC 4106 AES-GCM, optionally in UDP per
 * RFC 3948) and decrypt with anti-replay. Packets are handled in place in their mbuf.
 *
 * Wire layout (outbound, in front of the Ethernet header the forward stage adds):
 *   outer IPv4 (20) | [UDP (8)] | SPI (4) | seq (4) | IV (8) | ciphertext | ICV
 *   ciphertext = inner IP packet | padding | pad length (1) | next header (1)
 * IV = the 64-bit sequence number (unique per SA); nonce = salt (4) | IV (8);
 * AAD = SPI | seq (8), or SPI | seq high | seq low (12) with ESN.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fp_pkt.h"
#include "fp_sa.h"

#define ESP_HLEN   8             /* SPI + sequence number */
#define ESP_IVLEN  8
#define IPPROTO_ESP_ 50
#define IPPROTO_UDP_ 17

static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)fp_rd16(p) << 16 | fp_rd16(p + 2); }

static inline void gcm_enc(IMB_MGR *mgr, const struct fp_sa *sa, uint8_t *buf, uint64_t len, const uint8_t *iv,
                           const uint8_t *aad, uint64_t aad_len, uint8_t *tag)
{
	struct gcm_context_data ctx;
	if (sa->flags & FP_SA_F_AES256)
		IMB_AES256_GCM_ENC(mgr, &sa->key, &ctx, buf, buf, len, iv, aad, aad_len, tag, sa->icv_len);
	else
		IMB_AES128_GCM_ENC(mgr, &sa->key, &ctx, buf, buf, len, iv, aad, aad_len, tag, sa->icv_len);
}

static inline void gcm_dec(IMB_MGR *mgr, const struct fp_sa *sa, uint8_t *buf, uint64_t len, const uint8_t *iv,
                           const uint8_t *aad, uint64_t aad_len, uint8_t *tag)
{
	struct gcm_context_data ctx;
	if (sa->flags & FP_SA_F_AES256)
		IMB_AES256_GCM_DEC(mgr, &sa->key, &ctx, buf, buf, len, iv, aad, aad_len, tag, sa->icv_len);
	else
		IMB_AES128_GCM_DEC(mgr, &sa->key, &ctx, buf, buf, len, iv, aad, aad_len, tag, sa->icv_len);
}

/* Compare MACs in constant time: the time taken never depends on where they differ. */
static inline int ct_equal(const uint8_t *a, const uint8_t *b, unsigned n)
{
	uint8_t diff = 0;
	for (unsigned i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* Lifetimes: soft raises one event; hard stops the SA at once. */
static inline int account(struct fp_sa *sa, uint32_t bytes)
{
	uint64_t p = __atomic_add_fetch(&sa->packets, 1, __ATOMIC_RELAXED);
	uint64_t b = __atomic_add_fetch(&sa->bytes, bytes, __ATOMIC_RELAXED);
	if (unlikely((sa->hard_packets && p > sa->hard_packets) || (sa->hard_bytes && b > sa->hard_bytes))) {
		if (!(__atomic_fetch_or(&sa->flags, FP_SA_F_EXPIRED, __ATOMIC_RELAXED) & FP_SA_F_EXPIRED))
			fp_ipsec_event(FP_EV_SA_HARD_EXPIRED, sa, sa->spi, NULL, NULL);
		return -1;
	}
	if (unlikely(((sa->soft_packets && p >= sa->soft_packets) || (sa->soft_bytes && b >= sa->soft_bytes)) &&
	             !sa->soft_fired)) {
		if (!__atomic_exchange_n(&sa->soft_fired, 1, __ATOMIC_RELAXED))
			fp_ipsec_event(FP_EV_SA_SOFT_EXPIRED, sa, sa->spi, NULL, NULL);
	}
	return 0;
}

int fp_esp_encrypt(IMB_MGR *mgr, struct fp_sa *sa, struct rte_mbuf *m)
{
	if (unlikely((sa->flags & (FP_SA_F_ACTIVE | FP_SA_F_EXPIRED)) != FP_SA_F_ACTIVE))
		return FP_CTR_DROP_ESP_INACTIVE;
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t inner_len, next_header;
	if ((ip[0] >> 4) == 4) {
		inner_len = fp_rd16(ip + 2);
		next_header = 4;                     /* IP-in-IP */
	} else {
		inner_len = (uint32_t)fp_rd16(ip + 4) + FP_IPV6_HLEN;
		next_header = 41;
	}
	if (inner_len < rte_pktmbuf_pkt_len(m))
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - inner_len));   /* Ethernet padding */

	uint64_t seq = __atomic_add_fetch(&sa->seq, 1, __ATOMIC_RELAXED);
	if (unlikely((!(sa->flags & FP_SA_F_ESN) && seq > UINT32_MAX) || seq == 0)) {
		/* Never reuse a number: the SA is finished. */
		if (!(__atomic_fetch_or(&sa->flags, FP_SA_F_EXPIRED, __ATOMIC_RELAXED) & FP_SA_F_EXPIRED))
			fp_ipsec_event(FP_EV_SA_SEQ_EXHAUSTED, sa, sa->spi, NULL, NULL);
		return FP_CTR_DROP_ESP_SEQ_END;
	}
	if (account(sa, inner_len) != 0)
		return FP_CTR_DROP_ESP_INACTIVE;

	uint32_t pad = (4 - ((inner_len + 2) & 3)) & 3;
	uint32_t trailer = pad + 2 + sa->icv_len;
	/* One read of the endpoints for the whole header (they may change under us: fp_sa_ends). */
	const struct fp_sa_ends ends = *fp_sa_ends(sa);
	uint32_t udp = ends.udp ? 8 : 0;
	uint32_t head = FP_IPV4_MIN_HLEN + udp + ESP_HLEN + ESP_IVLEN;
	uint8_t *tail = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)trailer);
	if (unlikely(!tail || rte_pktmbuf_headroom(m) < head + FP_ETH_HLEN))
		return FP_CTR_DROP_ESP_NO_ROOM;
	for (uint32_t i = 0; i < pad; i++)
		tail[i] = (uint8_t)(i + 1);
	tail[pad] = (uint8_t)pad;
	tail[pad + 1] = (uint8_t)next_header;
	uint8_t tos = (ip[0] >> 4) == 4 ? ip[1] : (uint8_t)((fp_rd16(ip) >> 4) & 0xff);

	uint8_t *o = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)head);
	uint32_t total = rte_pktmbuf_pkt_len(m);
	/* Outer IPv4: DF set, DSCP/ECN copied from the inner header. */
	o[0] = 0x45;
	o[1] = tos;
	wr16(o + 2, (uint16_t)total);
	wr16(o + 4, 0);
	wr16(o + 6, 0x4000);
	o[8] = 64;
	o[9] = udp ? IPPROTO_UDP_ : IPPROTO_ESP_;
	memcpy(o + 12, ends.local, 4);
	memcpy(o + 16, ends.remote, 4);
	o[10] = o[11] = 0;
	wr16(o + 10, fp_ipv4_header_checksum(o, FP_IPV4_MIN_HLEN));
	uint8_t *esp = o + FP_IPV4_MIN_HLEN;
	if (udp) {
		wr16(esp, ends.udp_local);
		wr16(esp + 2, ends.udp_remote);
		wr16(esp + 4, (uint16_t)(total - FP_IPV4_MIN_HLEN));
		wr16(esp + 6, 0);                    /* RFC 3948: zero checksum is allowed */
		esp += 8;
	}
	wr32(esp, sa->spi);
	wr32(esp + 4, (uint32_t)seq);
	uint8_t *ivp = esp + ESP_HLEN;
	wr32(ivp, (uint32_t)(seq >> 32));
	wr32(ivp + 4, (uint32_t)seq);

	uint8_t nonce[12], aad[12];
	memcpy(nonce, sa->salt, 4);
	memcpy(nonce + 4, ivp, 8);
	uint32_t aad_len = 8;
	wr32(aad, sa->spi);
	if (sa->flags & FP_SA_F_ESN) {
		wr32(aad + 4, (uint32_t)(seq >> 32));
		wr32(aad + 8, (uint32_t)seq);
		aad_len = 12;
	} else {
		wr32(aad + 4, (uint32_t)seq);
	}
	uint8_t *payload = ivp + ESP_IVLEN;
	uint32_t plen = inner_len + pad + 2;
	gcm_enc(mgr, sa, payload, plen, nonce, aad, aad_len, payload + plen);
	return 0;
}

/* Is (src, dst) of family fam inside the SA's selectors: src in a remote one, dst in a local
 * one? The first pair is inline (the common case: one site subnet each way). */
static inline int ts_match(const struct fp_sa *sa, uint8_t fam, const uint8_t *src, const uint8_t *dst)
{
	int remote = sa->ts_family == fam && fp_prefix_match(src, sa->ts_remote, sa->ts_remote_len);
	int local = sa->ts_family == fam && fp_prefix_match(dst, sa->ts_local, sa->ts_local_len);
	if (likely(remote && local) || likely(!sa->more_ts))
		return remote && local;
	const struct fp_ts *t = sa->more_ts;
	for (uint8_t i = 0; i < sa->n_more_local && !local; i++)
		local = t[i].family == fam && fp_prefix_match(dst, t[i].addr, t[i].len);
	t += sa->n_more_local;
	for (uint8_t i = 0; i < sa->n_more_remote && !remote; i++)
		remote = t[i].family == fam && fp_prefix_match(src, t[i].addr, t[i].len);
	return remote && local;
}

/* Is the decrypted packet valid IP inside the SA's selectors (src in remote-ts, dst in local-ts)? */
static int inner_ok(const struct fp_sa *sa, const uint8_t *ip, uint32_t len)
{
	if ((ip[0] >> 4) == 4) {
		if (fp_ipv4_check(ip, len) != FP_HDR_OK)
			return FP_CTR_DROP_ESP_INNER;
		return ts_match(sa, 4, ip + 12, ip + 16) ? 0 : FP_CTR_DROP_ESP_POLICY;
	}
	if (fp_ipv6_check(ip, len) != FP_HDR_OK)
		return FP_CTR_DROP_ESP_INNER;
	return ts_match(sa, 6, ip + 8, ip + 24) ? 0 : FP_CTR_DROP_ESP_POLICY;
}

struct fp_sa *fp_esp_inbound_sa(struct rte_mbuf *m, uint32_t esp_off, int *drop)
{
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t outer_len = fp_rd16(ip + 2);
	if (outer_len < esp_off + ESP_HLEN + ESP_IVLEN + 2 + 8) {
		*drop = FP_CTR_DROP_ESP_SHORT;
		return NULL;
	}
	uint32_t spi = rd32(ip + esp_off);
	struct fp_sa *sa = fp_sa_lookup_inbound(spi);
	if (unlikely(!sa)) {
		fp_ipsec_event(FP_EV_UNKNOWN_SPI, NULL, spi, ip + 12, ip + 16);
		*drop = FP_CTR_DROP_ESP_NO_SA;
		return NULL;
	}
	*drop = 0;
	return sa;
}

int fp_esp_decrypt(IMB_MGR *mgr, struct fp_sa *sa, struct rte_mbuf *m, uint32_t esp_off)
{
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t outer_len = fp_rd16(ip + 2);
	if (outer_len < rte_pktmbuf_pkt_len(m))
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - outer_len));
	uint8_t *esp = ip + esp_off;
	if (unlikely((sa->flags & (FP_SA_F_ACTIVE | FP_SA_F_EXPIRED)) != FP_SA_F_ACTIVE))
		return FP_CTR_DROP_ESP_INACTIVE;
	uint32_t esp_len = outer_len - esp_off;
	if (esp_len < ESP_HLEN + ESP_IVLEN + 2 + sa->icv_len)
		return FP_CTR_DROP_ESP_SHORT;

	int esn = !!(sa->flags & FP_SA_F_ESN);
	uint64_t seq = fp_esn_infer(sa->top, sa->window ? sa->window : FP_SA_MAX_WINDOW, rd32(esp + 4), esn);
	if (fp_replay_check(sa, seq)) {
		__atomic_add_fetch(&sa->replay_drops, 1, __ATOMIC_RELAXED);
		return FP_CTR_DROP_ESP_REPLAY;
	}
	uint8_t nonce[12], aad[12], tag[16];
	memcpy(nonce, sa->salt, 4);
	memcpy(nonce + 4, esp + ESP_HLEN, 8);
	uint32_t aad_len = 8;
	memcpy(aad, esp, 4);
	if (esn) {
		wr32(aad + 4, (uint32_t)(seq >> 32));
		memcpy(aad + 8, esp + 4, 4);
		aad_len = 12;
	} else {
		memcpy(aad + 4, esp + 4, 4);
	}
	uint8_t *payload = esp + ESP_HLEN + ESP_IVLEN;
	uint32_t clen = esp_len - ESP_HLEN - ESP_IVLEN - sa->icv_len;
	uint8_t *icv = payload + clen;
	/* The ICV is checked before a single decrypted byte is used; on failure the buffer
	 * holds garbage plaintext and is dropped. */
	gcm_dec(mgr, sa, payload, clen, nonce, aad, aad_len, tag);
	if (!ct_equal(tag, icv, sa->icv_len)) {
		__atomic_add_fetch(&sa->auth_failures, 1, __ATOMIC_RELAXED);
		return FP_CTR_DROP_ESP_AUTH;
	}
	/* Authenticated: only now may the window move (RFC 4303 3.4.3). A packet that raced
	 * with another one for the same number is caught by the second check. */
	if (fp_replay_check(sa, seq)) {
		__atomic_add_fetch(&sa->replay_drops, 1, __ATOMIC_RELAXED);
		return FP_CTR_DROP_ESP_REPLAY;
	}
	fp_replay_update(sa, seq);

	uint8_t next = payload[clen - 1], pad = payload[clen - 2];
	if (pad + 2u > clen || (next != 4 && next != 41))
		return FP_CTR_DROP_ESP_TRAILER;
	for (uint32_t i = 0; i < pad; i++)
		if (payload[clen - 2 - pad + i] != (uint8_t)(i + 1))
			return FP_CTR_DROP_ESP_TRAILER;
	uint32_t inner_len = clen - 2 - pad;
	int rc = inner_ok(sa, payload, inner_len);
	if (rc) {
		if (rc == FP_CTR_DROP_ESP_POLICY)
			__atomic_add_fetch(&sa->policy_mismatches, 1, __ATOMIC_RELAXED);
		return rc;
	}
	/* TFC padding may follow the inner packet inside the ciphertext: keep the packet only. */
	uint32_t ip_len = (payload[0] >> 4) == 4 ? fp_rd16(payload + 2) : (uint32_t)fp_rd16(payload + 4) + FP_IPV6_HLEN;
	if (account(sa, ip_len) != 0)
		return FP_CTR_DROP_ESP_INACTIVE;
	rte_pktmbuf_adj(m, (uint16_t)(esp_off + ESP_HLEN + ESP_IVLEN));
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - ip_len));
	return 0;
}
