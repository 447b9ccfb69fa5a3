/*
 * The worker poll loop: RX burst, classify, forward IPv4/IPv6, TX with a timed drain.
 *
 * Per burst: classify every packet into IPv4-forward, IPv6-forward, to-kernel or drop;
 * then look routes up in bulk per class, then neighbours in bulk, then rewrite and buffer
 * for TX. No locks, no syscalls, no allocation; tables are read under RCU (the worker
 * reports a quiescent state once per loop and goes offline while it sleeps).
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_prefetch.h>

#include "fp_internal.h"
#include "fp_pkt.h"
#include "fp_sa.h"

enum fp_class { FP_CLASS_V4, FP_CLASS_V6, FP_CLASS_KERNEL, FP_CLASS_DROP };

_Static_assert(FP_BURST <= RTE_HASH_LOOKUP_BULK_MAX && FP_BURST <= 64, "neighbour lookups take one bulk call per burst");
#define FP_SA_PREFETCH 4    /* how many packets ahead SA state is prefetched */

/* What a packet has been through, so no packet loops between ESP stages: a decapsulated
 * packet is not decapsulated again (but may be encrypted to another site: hub and spoke);
 * an encrypted outer packet is only routed. */
enum fp_fwd_stage {
	FP_STAGE_DECAPPED = 1 << 0,
	FP_STAGE_ENCAPPED = 1 << 1,
};

/* A packet on its way: the mbuf plus what earlier stages learned about it. */
struct fp_fwd {
	struct rte_mbuf *m;
	uint16_t out_port;
	uint16_t counter;        /* exception or drop reason once decided */
};

static inline void count(struct fp_worker *w, enum fp_counter_id c) { w->counters[c]++; }

/* ---- TX ------------------------------------------------------------------------------ */

static inline void tx_flush(struct fp_main *fp, struct fp_worker *w, uint16_t port)
{
	struct fp_txbuf *b = &w->tx[port];
	if (!b->n)
		return;
	uint16_t sent = rte_eth_tx_burst(fp->port_rt[port].port_id, w->tx_queue, b->pkts, b->n);
	if (unlikely(sent < b->n)) {
		w->counters[FP_CTR_DROP_TX_FULL] += b->n - sent;
		rte_pktmbuf_free_bulk(&b->pkts[sent], b->n - sent);
	}
	b->n = 0;
}

static inline void tx_enqueue(struct fp_main *fp, struct fp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct fp_txbuf *b = &w->tx[port];
	b->pkts[b->n++] = m;
	if (b->n >= FP_BURST)
		tx_flush(fp, w, port);
}

void fp_worker_flush_all(struct fp_main *fp, struct fp_worker *w)
{
	for (uint16_t p = 0; p < fp->n_ports; p++)
		tx_flush(fp, w, p);
}

/* ---- exception path ------------------------------------------------------------------ */

/* Hand packets to the kernel mirror of the port they came in on (via the exception thread). */
static void to_kernel(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f, uint16_t n)
{
	if (!n)
		return;
	struct rte_mbuf *pkts[FP_BURST];
	for (uint16_t i = 0; i < n; i++) {
		pkts[i] = f[i].m;
		count(w, (enum fp_counter_id)f[i].counter);
	}
	struct fp_port_rt *rt = &fp->port_rt[in_port];
	unsigned done = rt->to_kernel ? rte_ring_mp_enqueue_burst(rt->to_kernel, (void **)pkts, n, NULL) : 0;
	if (unlikely(done < n)) {
		w->counters[FP_CTR_DROP_EXC_FULL] += n - done;
		rte_pktmbuf_free_bulk(&pkts[done], n - done);
	}
}

/* ---- classify ------------------------------------------------------------------------ */

static inline enum fp_class classify(const struct fp_port_rt *in, struct rte_mbuf *m, uint16_t *reason)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	if (unlikely(len < FP_ETH_HLEN)) {
		*reason = FP_CTR_DROP_L2_SHORT;
		return FP_CLASS_DROP;
	}
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	if (eth[0] & 1) {
		/* Broadcast and multicast frames (ARP, ND, VRRP, OSPF...) are the kernel's. */
		*reason = fp_rd16(eth + 12) == FP_ETHERTYPE_ARP ? FP_CTR_EXC_ARP : FP_CTR_EXC_MULTICAST;
		return FP_CLASS_KERNEL;
	}
	if (unlikely(memcmp(eth, in->mac.addr_bytes, RTE_ETHER_ADDR_LEN) != 0)) {
		*reason = FP_CTR_DROP_OTHER_HOST;
		return FP_CLASS_DROP;
	}
	const uint8_t *l3 = eth + FP_ETH_HLEN;
	uint32_t l3_len = len - FP_ETH_HLEN;
	/* Drop reason per header verdict (index: fp_hdr_verdict_t), IPv4 then IPv6. */
	static const uint16_t bad_hdr[2][4] = {
		{ 0, FP_CTR_DROP_IP4_HDR, FP_CTR_DROP_IP4_LEN, FP_CTR_DROP_IP4_CKSUM },
		{ 0, FP_CTR_DROP_IP6_HDR, FP_CTR_DROP_IP6_LEN, FP_CTR_DROP_IP6_HDR },
	};
	fp_hdr_verdict_t v;
	switch (fp_rd16(eth + 12)) {
	case FP_ETHERTYPE_IPV4:
		if (unlikely((v = fp_ipv4_check(l3, l3_len)) != FP_HDR_OK)) {
			*reason = bad_hdr[0][v];
			return FP_CLASS_DROP;
		}
		if (unlikely(fp_ipv4_is_special(l3 + 16))) {
			*reason = FP_CTR_EXC_MULTICAST;
			return FP_CLASS_KERNEL;
		}
		return FP_CLASS_V4;
	case FP_ETHERTYPE_IPV6:
		if (unlikely((v = fp_ipv6_check(l3, l3_len)) != FP_HDR_OK)) {
			*reason = bad_hdr[1][v];
			return FP_CLASS_DROP;
		}
		if (unlikely(fp_ipv6_is_special(l3 + 24))) {
			*reason = FP_CTR_EXC_MULTICAST;
			return FP_CLASS_KERNEL;
		}
		return FP_CLASS_V6;
	case FP_ETHERTYPE_ARP:
		*reason = FP_CTR_EXC_ARP;
		return FP_CLASS_KERNEL;
	default:
		*reason = FP_CTR_EXC_OTHER;
		return FP_CLASS_KERNEL;
	}
}

/* ---- forward ------------------------------------------------------------------------- */

static void forward_v4(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f, uint16_t n, int stage);
static void forward_v6(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f, uint16_t n, int stage);

/*
 * The largest inner packet an SA can carry without its outer packet exceeding the MTU of
 * the port the outer route leaves by: ESP adds outer IPv4, UDP, SPI, sequence number, IV,
 * up to 3 bytes of padding, the trailer and the ICV.
 */
#define FP_ESP_MAX_OVERHEAD (FP_IPV4_MIN_HLEN + 8 + 8 + 8 + 3 + 2 + 16)

static inline uint32_t tunnel_mtu(struct fp_main *fp, const struct fp_sa *sa)
{
	const struct fp_sa_ends *e = fp_sa_ends(sa);
	uint32_t dst = (uint32_t)e->remote[0] << 24 | (uint32_t)e->remote[1] << 16 | (uint32_t)e->remote[2] << 8 | e->remote[3];
	uint32_t idx;
	if (rte_lpm_lookup(fp->t.lpm4, dst, &idx) != 0)
		idx = __atomic_load_n(&fp->t.default4, __ATOMIC_ACQUIRE);
	uint32_t mtu = RTE_ETHER_MTU;
	if (idx != FP_NH_NONE_IDX && idx < FP_NH_MAX) {
		const struct fp_nexthop *nh = &fp->t.nh[idx];
		if (nh->type == FP_NH_GATEWAY || nh->type == FP_NH_CONNECTED)
			mtu = fp->port_rt[nh->port].mtu;
	}
	uint32_t overhead = FP_IPV4_MIN_HLEN + (e->udp ? 8 : 0) + 8 + 8 + 3 + 2 + sa->icv_len;
	return mtu > overhead ? mtu - overhead : 0;
}

/* Encrypt one packet (at its Ethernet header) and queue the outer packet in `outer`; when
 * `outer` fills up, route what it holds first (forward_v4 takes at most a burst). */
static void encrypt_one(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_sa *sa,
                        struct rte_mbuf *m, struct fp_fwd *outer, uint16_t *k)
{
	rte_pktmbuf_adj(m, FP_ETH_HLEN);
	int rc = fp_esp_encrypt(w->imb, sa, m);
	if (unlikely(rc)) {
		count(w, (enum fp_counter_id)rc);
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(m, FP_ETH_HLEN);
	eth[12] = 0x08;
	eth[13] = 0x00;
	count(w, FP_CTR_ESP_ENCRYPTED);
	if (*k == FP_BURST) {
		forward_v4(fp, w, in_port, outer, *k, FP_STAGE_DECAPPED | FP_STAGE_ENCAPPED);
		*k = 0;
	}
	outer[(*k)++] = (struct fp_fwd){ m, 0, 0 };
}

/*
 * An inner packet bigger than the tunnel's MTU: IPv4 without DF is fragmented and each
 * fragment encrypted; otherwise the sender is told the MTU (ICMP frag-needed / ICMPv6
 * packet-too-big, from this box, queued in icmp4/icmp6) and the packet is dropped.
 */
static void too_big(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_sa *sa, struct rte_mbuf *m,
                    uint32_t mtu, struct fp_fwd *outer, uint16_t *k, struct fp_fwd *icmp4, uint16_t *n4,
                    struct fp_fwd *icmp6, uint16_t *n6)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, FP_ETH_HLEN);
	int v4 = (l3[0] >> 4) == 4;
	if (v4 && !(l3[6] & 0x40)) {
		struct rte_mbuf *frags[FP_MAX_FRAGMENTS];
		uint16_t nf = fp_ipv4_fragment(m, mtu, w->pool, frags, FP_MAX_FRAGMENTS);
		if (nf) {
			count(w, FP_CTR_ESP_FRAGMENTED);
			for (uint16_t j = 0; j < nf; j++)
				encrypt_one(fp, w, in_port, sa, frags[j], outer, k);
			return;
		}
	}
	count(w, FP_CTR_DROP_ESP_TOO_BIG);
	const struct fp_port_rt *port = &fp->port_rt[in_port];
	if (v4 && (l3[6] & 0x40) && fp_icmp4_frag_needed(m, fp_sa_ends(sa)->local, mtu) == 0)
		icmp4[(*n4)++] = (struct fp_fwd){ m, 0, 0 };
	else if (!v4 && port->has_icmp6_src && mtu >= 1280 && fp_icmp6_packet_too_big(m, port->icmp6_src, mtu) == 0)
		icmp6[(*n6)++] = (struct fp_fwd){ m, 0, 0 };
	else
		rte_pktmbuf_free(m);
}

/* Encrypt packets (at their Ethernet header) with their SAs, then route the outer packets. */
static void esp_outbound(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f,
                         const uint32_t *sa_idx, uint16_t n)
{
	struct fp_fwd outer[FP_BURST], icmp4[FP_BURST], icmp6[FP_BURST];
	struct fp_sa *sas[FP_BURST];
	uint16_t k = 0, n4 = 0, n6 = 0;
	/* Inner packets up to this length fit any port after ESP's largest overhead (and the
	 * 1500 that tunnel_mtu assumes when the outer route has no port). */
	uint32_t min_mtu = RTE_MIN((uint32_t)fp->min_mtu, (uint32_t)RTE_ETHER_MTU);
	uint32_t quick_len = min_mtu > FP_ESP_MAX_OVERHEAD ? min_mtu - FP_ESP_MAX_OVERHEAD : 0;
	for (uint16_t i = 0; i < n; i++) {
		sas[i] = fp_sa_get(sa_idx[i]);
		if (i < FP_SA_PREFETCH && sas[i])
			fp_sa_prefetch(sas[i]);
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = f[i].m;
		struct fp_sa *sa = sas[i];
		if (i + FP_SA_PREFETCH < n && sas[i + FP_SA_PREFETCH])
			fp_sa_prefetch(sas[i + FP_SA_PREFETCH]);
		if (unlikely(!sa)) {
			count(w, FP_CTR_DROP_ESP_INACTIVE);
			rte_pktmbuf_free(m);
			continue;
		}
		const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, FP_ETH_HLEN);
		uint32_t len = (l3[0] >> 4) == 4 ? fp_rd16(l3 + 2) : (uint32_t)fp_rd16(l3 + 4) + FP_IPV6_HLEN;
		/* Only a packet that might not fit pays for the outer route lookup. */
		if (unlikely(len > quick_len)) {
			uint32_t mtu = tunnel_mtu(fp, sa);
			if (unlikely(len > mtu)) {
				too_big(fp, w, in_port, sa, m, mtu, outer, &k, icmp4, &n4, icmp6, &n6);
				continue;
			}
		}
		encrypt_one(fp, w, in_port, sa, m, outer, &k);
	}
	if (k)
		forward_v4(fp, w, in_port, outer, k, FP_STAGE_DECAPPED | FP_STAGE_ENCAPPED);
	if (n4)
		forward_v4(fp, w, in_port, icmp4, n4, FP_STAGE_DECAPPED | FP_STAGE_ENCAPPED);
	if (n6)
		forward_v6(fp, w, in_port, icmp6, n6, FP_STAGE_DECAPPED | FP_STAGE_ENCAPPED);
}

/* Decrypt ESP for us and forward what was inside (never decapsulating twice). */
static void esp_inbound(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f,
                        const uint32_t *offsets, uint16_t n)
{
	struct fp_fwd in4[FP_BURST], in6[FP_BURST];
	struct fp_sa *sas[FP_BURST];
	int drop[FP_BURST];
	uint16_t n4 = 0, n6 = 0;
	/* First the SAs of the whole burst: all their first lines requested at once, then the
	 * SPI checks (prefetching key schedules ahead); then decrypt. */
	for (uint16_t i = 0; i < n; i++) {
		rte_pktmbuf_adj(f[i].m, FP_ETH_HLEN);
		fp_sa_prefetch_inbound(f[i].m, offsets[i]);
	}
	for (uint16_t i = 0; i < n; i++) {
		sas[i] = fp_esp_inbound_sa(f[i].m, offsets[i], &drop[i]);
		if (i < FP_SA_PREFETCH && sas[i])
			fp_sa_prefetch(sas[i]);
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = f[i].m;
		struct fp_sa *sa = sas[i];
		if (i + FP_SA_PREFETCH < n && sas[i + FP_SA_PREFETCH])
			fp_sa_prefetch(sas[i + FP_SA_PREFETCH]);
		int rc = sa ? fp_esp_decrypt(w->imb, sa, m, offsets[i]) : drop[i];
		if (unlikely(rc)) {
			count(w, (enum fp_counter_id)rc);
			rte_pktmbuf_free(m);
			continue;
		}
		int v6 = (rte_pktmbuf_mtod(m, uint8_t *)[0] >> 4) == 6;
		uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(m, FP_ETH_HLEN);
		/* As if it arrived on in_port: the kernel accepts it if it is for the box. */
		memcpy(eth, fp->port_rt[in_port].mac.addr_bytes, 6);
		memcpy(eth + 6, fp->port_rt[in_port].mac.addr_bytes, 6);
		eth[12] = v6 ? 0x86 : 0x08;
		eth[13] = v6 ? 0xdd : 0x00;
		count(w, FP_CTR_ESP_DECRYPTED);
		if (v6)
			in6[n6++] = (struct fp_fwd){ m, 0, 0 };
		else
			in4[n4++] = (struct fp_fwd){ m, 0, 0 };
	}
	if (n4)
		forward_v4(fp, w, in_port, in4, n4, FP_STAGE_DECAPPED);
	if (n6)
		forward_v6(fp, w, in_port, in6, n6, FP_STAGE_DECAPPED);
}

/*
 * Second half shared by IPv4 and IPv6: given each packet's nexthop index, decide
 * drop/kernel/forward, resolve neighbours in bulk, rewrite Ethernet and TTL, buffer for TX.
 */
static void forward_resolved(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f,
                             const uint32_t *nh_idx, uint16_t n, bool v6, int stage)
{
	struct fp_fwd kern[FP_BURST];
	struct fp_fwd out[FP_BURST];
	struct fp_fwd esp_in[FP_BURST], esp_out[FP_BURST];
	uint32_t esp_in_off[FP_BURST], esp_out_sa[FP_BURST];
	uint16_t nei = 0, neo = 0;
	struct fp_neigh_key keys[FP_BURST];
	const void *key_ptrs[FP_BURST];
	uint16_t nk = 0, no = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = f[i].m;
		uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, FP_ETH_HLEN);
		uint32_t idx = nh_idx[i];
		if (unlikely(idx == FP_NH_NONE_IDX || idx >= FP_NH_MAX)) {
			count(w, fp_standby_match(fp, l3, v6) ? FP_CTR_DROP_VRRP_BACKUP : FP_CTR_DROP_NO_ROUTE);
			rte_pktmbuf_free(m);
			continue;
		}
		const struct fp_nexthop *nh = &fp->t.nh[idx];
		switch (nh->type) {
		case FP_NH_GATEWAY:
		case FP_NH_CONNECTED:
			/* Back out of the port it came in on: for the VRRP Master, if we are its Backup. */
			if (unlikely(nh->port == in_port) && fp_standby_match(fp, l3, v6)) {
				count(w, FP_CTR_DROP_VRRP_BACKUP);
				rte_pktmbuf_free(m);
				continue;
			}
			break;
		case FP_NH_TUNNEL:
			break;
		case FP_NH_LOCAL: {
			uint32_t off = !v6 && !(stage & FP_STAGE_DECAPPED) ? fp_esp_offset(l3) : 0;
			if (off) {
				esp_in_off[nei] = off;
				esp_in[nei++] = (struct fp_fwd){ m, 0, 0 };
			} else {
				kern[nk++] = (struct fp_fwd){ m, 0, FP_CTR_EXC_LOCAL };
			}
			continue;
		}
		case FP_NH_BLACKHOLE:
			count(w, FP_CTR_DROP_BLACKHOLE);
			rte_pktmbuf_free(m);
			continue;
		default:
			kern[nk++] = (struct fp_fwd){ m, 0, FP_CTR_EXC_KERNEL_ROUTE };
			continue;
		}
		/* TTL is checked only for packets we route: the box's own traffic may have TTL 1. */
		uint8_t ttl = v6 ? l3[7] : l3[8];
		if (unlikely(ttl <= 1)) {
			count(w, v6 ? FP_CTR_DROP_HOPLIMIT : FP_CTR_DROP_TTL);
			rte_pktmbuf_free(m);
			continue;
		}
		if (nh->type == FP_NH_TUNNEL && !(stage & FP_STAGE_ENCAPPED)) {
			/* Route-based VPN: the inner packet is forwarded by us, then encrypted. */
			if (v6)
				l3[7]--;
			else
				fp_ipv4_ttl_decrement(l3);
			esp_out_sa[neo] = nh->sa;
			esp_out[neo++] = (struct fp_fwd){ m, 0, 0 };
			continue;
		}
		uint32_t ip_len = v6 ? (uint32_t)fp_rd16(l3 + 4) + FP_IPV6_HLEN : fp_rd16(l3 + 2);
		if (unlikely(ip_len > fp->port_rt[nh->port].mtu)) {
			kern[nk++] = (struct fp_fwd){ m, 0, FP_CTR_EXC_MTU };
			continue;
		}
		struct fp_neigh_key *k = &keys[no];
		memset(k, 0, sizeof(*k));
		k->port = nh->port;
		if (nh->type == FP_NH_GATEWAY) {
			k->family = nh->family;
			memcpy(k->addr, nh->gw, 16);
		} else if (v6) {
			k->family = 6;
			memcpy(k->addr, l3 + 24, 16);
		} else {
			k->family = 4;
			memcpy(k->addr, l3 + 16, 4);
		}
		key_ptrs[no] = k;
		out[no++] = (struct fp_fwd){ m, nh->port, 0 };
	}

	if (no) {
		void *data[FP_BURST];
		uint64_t hits = 0;
		rte_hash_lookup_bulk_data(fp->t.neigh, key_ptrs, no, &hits, data);
		for (uint16_t i = 0; i < no; i++) {
			struct rte_mbuf *m = out[i].m;
			if (unlikely(!(hits & (UINT64_C(1) << i)))) {
				if (stage & FP_STAGE_ENCAPPED) {
					/* Our own packet (source: our address) would be a martian to the
					 * kernel: drop it and have the kernel resolve the next hop. */
					const struct fp_neigh_key *k = key_ptrs[i];
					fp_request_resolve(k->port, k->family, k->addr);
					count(w, FP_CTR_DROP_RESOLVING);
					rte_pktmbuf_free(m);
					continue;
				}
				/* Not resolved yet: the kernel forwards this one and resolves the neighbour,
				 * which netlink then brings into the fast path. */
				kern[nk++] = (struct fp_fwd){ m, 0, FP_CTR_EXC_NO_NEIGHBOR };
				continue;
			}
			uint64_t mac = (uint64_t)(uintptr_t)data[i];
			uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
			for (int b = 0; b < 6; b++)
				eth[b] = (uint8_t)(mac >> (8 * b));
			memcpy(eth + 6, fp->port_rt[out[i].out_port].mac.addr_bytes, 6);
			uint8_t *l3 = eth + FP_ETH_HLEN;
			if (v6) {
				l3[7]--;
				count(w, FP_CTR_FWD_IPV6);
			} else {
				fp_ipv4_ttl_decrement(l3);
				count(w, FP_CTR_FWD_IPV4);
			}
			tx_enqueue(fp, w, out[i].out_port, m);
		}
	}
	to_kernel(fp, w, in_port, kern, nk);
	if (nei)
		esp_inbound(fp, w, in_port, esp_in, esp_in_off, nei);
	if (neo)
		esp_outbound(fp, w, in_port, esp_out, esp_out_sa, neo);
}

/*
 * Policy-based VPN: packets a PROTECT policy matches are forwarded (TTL) and encrypted;
 * DISCARD drops; BYPASS or no policy leaves them to routing. Compacts f to the rest.
 */
static uint16_t apply_spd(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f, uint16_t n, bool v6)
{
	struct fp_fwd prot[FP_BURST];
	uint32_t sas[FP_BURST];
	uint16_t np = 0, rest = 0;
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *l3 = rte_pktmbuf_mtod_offset(f[i].m, uint8_t *, FP_ETH_HLEN);
		const struct fp_policy *p = fp_spd_lookup(l3, v6);
		if (!p || p->action == FP_POLICY_BYPASS) {
			f[rest++] = f[i];
			continue;
		}
		if (p->action == FP_POLICY_DISCARD) {
			count(w, FP_CTR_DROP_SPD_DISCARD);
			rte_pktmbuf_free(f[i].m);
			continue;
		}
		if (unlikely((v6 ? l3[7] : l3[8]) <= 1)) {
			count(w, v6 ? FP_CTR_DROP_HOPLIMIT : FP_CTR_DROP_TTL);
			rte_pktmbuf_free(f[i].m);
			continue;
		}
		if (v6)
			l3[7]--;
		else
			fp_ipv4_ttl_decrement(l3);
		sas[np] = (uint32_t)p->sa;
		prot[np++] = f[i];
	}
	if (np)
		esp_outbound(fp, w, in_port, prot, sas, np);
	return rest;
}

static void forward_v4(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f, uint16_t n, int stage)
{
	uint32_t dst[FP_BURST], nh[FP_BURST];
	if (!(stage & FP_STAGE_ENCAPPED) && fp_ipsec()->n_policies && (n = apply_spd(fp, w, in_port, f, n, false)) == 0)
		return;
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *l3 = rte_pktmbuf_mtod_offset(f[i].m, const uint8_t *, FP_ETH_HLEN);
		dst[i] = (uint32_t)l3[16] << 24 | (uint32_t)l3[17] << 16 | (uint32_t)l3[18] << 8 | l3[19];
	}
	rte_lpm_lookup_bulk(fp->t.lpm4, dst, nh, n);
	uint32_t def = __atomic_load_n(&fp->t.default4, __ATOMIC_ACQUIRE);
	for (uint16_t i = 0; i < n; i++)
		nh[i] = (nh[i] & RTE_LPM_LOOKUP_SUCCESS) ? (nh[i] & 0x00ffffff) : def;
	forward_resolved(fp, w, in_port, f, nh, n, false, stage);
}

static void forward_v6(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct fp_fwd *f, uint16_t n, int stage)
{
	uint8_t dst[FP_BURST][RTE_FIB6_IPV6_ADDR_SIZE];
	if (!(stage & FP_STAGE_ENCAPPED) && fp_ipsec()->n_policies && (n = apply_spd(fp, w, in_port, f, n, true)) == 0)
		return;
	uint64_t nh64[FP_BURST];
	uint32_t nh[FP_BURST];
	for (uint16_t i = 0; i < n; i++)
		memcpy(dst[i], rte_pktmbuf_mtod_offset(f[i].m, const uint8_t *, FP_ETH_HLEN + 24), 16);
	struct rte_fib6 *fib = fp->t.fib6[__atomic_load_n(&fp->t.fib6_active, __ATOMIC_ACQUIRE)];
	rte_fib6_lookup_bulk(fib, dst, nh64, n);
	for (uint16_t i = 0; i < n; i++)
		nh[i] = (uint32_t)nh64[i];
	forward_resolved(fp, w, in_port, f, nh, n, true, stage);
}

/* Classify a burst from one port, then process each class. */
static void process_burst(struct fp_main *fp, struct fp_worker *w, uint16_t in_port, struct rte_mbuf **pkts, uint16_t n)
{
	struct fp_fwd v4[FP_BURST], v6[FP_BURST], kern[FP_BURST];
	uint16_t n4 = 0, n6 = 0, nk = 0;
	const struct fp_port_rt *in = &fp->port_rt[in_port];

	w->counters[FP_CTR_RX] += n;
	for (uint16_t i = 0; i < n; i++) {
		if (i + 3 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 3], void *));
		uint16_t reason = 0;
		switch (classify(in, pkts[i], &reason)) {
		case FP_CLASS_V4:
			v4[n4++] = (struct fp_fwd){ pkts[i], 0, 0 };
			break;
		case FP_CLASS_V6:
			v6[n6++] = (struct fp_fwd){ pkts[i], 0, 0 };
			break;
		case FP_CLASS_KERNEL:
			kern[nk++] = (struct fp_fwd){ pkts[i], 0, reason };
			break;
		default:
			count(w, (enum fp_counter_id)reason);
			rte_pktmbuf_free(pkts[i]);
			break;
		}
	}
	if (n4)
		forward_v4(fp, w, in_port, v4, n4, 0);
	if (n6)
		forward_v6(fp, w, in_port, v6, n6, 0);
	to_kernel(fp, w, in_port, kern, nk);
}

/* What the kernel sent out of a mirror leaves through this worker's TX queue. */
static uint16_t drain_from_kernel(struct fp_main *fp, struct fp_worker *w)
{
	uint16_t total = 0;
	for (uint16_t k = 0; k < w->n_kernel; k++) {
		uint16_t port = w->kernel_ports[k];
		struct rte_mbuf *pkts[FP_BURST];
		unsigned n = rte_ring_sc_dequeue_burst(fp->port_rt[port].from_kernel, (void **)pkts, FP_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			tx_enqueue(fp, w, port, pkts[i]);
		w->counters[FP_CTR_FROM_KERNEL] += n;
		total += (uint16_t)n;
	}
	return total;
}

static void idle_sleep(struct fp_main *fp, struct fp_worker *w, uint32_t us)
{
	fp_worker_flush_all(fp, w);
	rte_rcu_qsbr_thread_offline(fp->qsv, w->lcore);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(fp->qsv, w->lcore);
}

int fp_worker_main(void *arg)
{
	struct fp_worker *w = arg;
	struct fp_main *fp = fp_main();
	const bool adaptive = fp->cfg.poll_mode == FP_POLL_ADAPTIVE;
	const uint32_t max_sleep = fp->cfg.idle_sleep_us;
	uint32_t idle = 0, sleep_us = 1;
	uint64_t prev_drain = rte_rdtsc(), prev = prev_drain;

	w->pool = fp_pool_for_socket(fp, (int)rte_socket_id());
	rte_rcu_qsbr_thread_register(fp->qsv, w->lcore);
	rte_rcu_qsbr_thread_online(fp->qsv, w->lcore);

	while (!__atomic_load_n(&fp->quit, __ATOMIC_RELAXED)) {
		uint64_t start = rte_rdtsc();
		if (start - prev_drain > fp->drain_tsc) {
			fp_worker_flush_all(fp, w);
			prev_drain = start;
		}
		uint32_t got = 0;
		for (uint16_t i = 0; i < w->n_rx; i++) {
			struct rte_mbuf *pkts[FP_BURST];
			uint16_t port = w->rx[i].port;
			uint16_t n = rte_eth_rx_burst(fp->port_rt[port].port_id, w->rx[i].queue, pkts, FP_BURST);
			if (n) {
				process_burst(fp, w, port, pkts, n);
				got += n;
			}
		}
		got += drain_from_kernel(fp, w);
		rte_rcu_qsbr_quiescent(fp->qsv, w->lcore);

		uint64_t end = rte_rdtsc();
		w->loops++;
		w->cycles_total += end - prev;
		prev = end;
		if (got) {
			w->busy_loops++;
			w->cycles_busy += end - start;
			idle = 0;
			sleep_us = 1;
		} else if (adaptive && ++idle > FP_IDLE_POLLS) {
			/* Back off exponentially up to idle-sleep-us; any packet resets it. */
			idle_sleep(fp, w, sleep_us);
			sleep_us = sleep_us * 2 > max_sleep ? max_sleep : sleep_us * 2;
			prev = rte_rdtsc();
			w->cycles_total += prev - end;
		}
	}
	fp_worker_flush_all(fp, w);
	rte_rcu_qsbr_thread_offline(fp->qsv, w->lcore);
	rte_rcu_qsbr_thread_unregister(fp->qsv, w->lcore);
	return 0;
}
