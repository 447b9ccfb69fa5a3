/*
 * Security associations as workers see them, and the anti-replay window.
 *
 * struct fp_sa is the hot runtime object: keys expanded once (intel-ipsec-mb gcm_key_data),
 * outer header fields precomputed, counters. Workers reach it by index (sa handle) through
 * fp_ipsec.sas[]; the control thread publishes and unpublishes pointers under RCU.
 */
#ifndef STRAIT_FP_SA_H
#define STRAIT_FP_SA_H

#include <stdint.h>

#include <intel-ipsec-mb.h>
#include <rte_common.h>
#include <rte_prefetch.h>

#include "fp_internal.h"
#include "fp_ipsec.h"
#include "fp_pkt.h"

#define FP_SA_MAX          (1u << 20)   /* handles; an SPI's low 20 bits may be its handle */
#define FP_SA_INDEX_MASK   (FP_SA_MAX - 1)
#define FP_POLICY_MAX      (1u << 18)

enum fp_sa_flags {
	FP_SA_F_ACTIVE = 1 << 0,
	FP_SA_F_INBOUND = 1 << 1,
	FP_SA_F_ESN = 1 << 2,
	FP_SA_F_EXPIRED = 1 << 4,
	FP_SA_F_AES256 = 1 << 5,
};

/*
 * An SA's tunnel endpoints: the outer addresses and, with ESP in UDP, the ports. They change
 * at run time (MOBIKE, NAT rebinding), so an SA holds two copies and an index: the control
 * thread writes the copy workers do not use, flips the index (release), then waits for an
 * RCU grace period before that copy may be written again. A worker reads the index once per
 * packet (fp_sa_ends) and builds the whole header from one copy: never a torn header, and the
 * sequence number and replay state, elsewhere in the SA, are never touched.
 */
struct fp_sa_ends {
	uint8_t local[4], remote[4];
	uint16_t udp_local, udp_remote;  /* host order */
	uint8_t udp;                     /* 1: ESP in UDP (RFC 3948) */
	uint8_t pad[3];
};

/* One traffic selector beyond an SA's first pair. */
struct fp_ts {
	uint8_t family, len;
	uint8_t addr[16];
};

struct fp_sa {
	/* Read-mostly: set at install. */
	uint32_t spi;
	uint32_t flags;              /* fp_sa_flags; ACTIVE/EXPIRED change at run time */
	uint8_t icv_len;
	uint8_t salt[4];
	uint8_t ts_family;
	uint8_t ts_local_len, ts_remote_len;
	uint32_t ends_cur;           /* which of ends[] workers use; changes at run time */
	struct fp_sa_ends ends[2];
	uint8_t ts_local[16], ts_remote[16];
	/* Further selectors, read only when the first pair does not match: n_more_local
	 * locals, then n_more_remote remotes. */
	uint8_t n_more_local, n_more_remote;
	struct fp_ts *more_ts;
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	uint64_t cookie;
	uint32_t window;             /* replay window in packets, multiple of 64; 0 = off */
	uint32_t handle;

	/* Outbound: the last sequence number used, taken atomically per burst. */
	uint64_t seq __rte_cache_aligned;
	/* Counters: several workers may touch an SA; relaxed atomic adds. */
	uint64_t packets, bytes;
	uint64_t replay_drops, auth_failures, policy_mismatches;
	uint8_t soft_fired;

	/* Inbound replay state: the highest authenticated number and a bitmap behind it. */
	uint64_t top __rte_cache_aligned;
	uint64_t *bitmap;            /* window / 64 words, word i bit b = top - (64 i + b) */

	struct gcm_key_data key __rte_aligned(64);
} __rte_cache_aligned;

/* A policy as workers read it. Policies sharing a remote prefix form a chain by priority. */
struct fp_policy {
	uint8_t family;
	uint8_t local_len, remote_len;
	uint8_t protocol;
	uint8_t action;
	uint8_t in_use;
	uint16_t local_port, remote_port;
	uint32_t priority;
	int32_t sa;
	uint32_t next;               /* next policy index in the chain, 0 = end */
	uint8_t local[16], remote[16];
	uint64_t matches;
};

struct rte_hash;

/* The remote prefix lengths in use, longest first: an immutable array replaced whole. */
struct fp_spd_lengths {
	uint32_t n;
	uint8_t len[129];
	uint32_t refs[129];          /* policies per length (control side) */
};

struct fp_ipsec {
	struct fp_sa **sas;          /* FP_SA_MAX pointers; NULL = free */
	uint32_t n_sas;
	struct rte_hash *spi_index;  /* inbound SPI -> handle, when the SPI does not encode it */
	struct fp_policy *policies;  /* FP_POLICY_MAX; index 0 unused */
	uint32_t n_policies;
	uint32_t policy_free_from;   /* no free policy slot below this index (control side) */
	struct rte_hash *spd;        /* (family, length, remote prefix) -> first policy of its chain */
	struct fp_spd_lengths *spd_lengths[2];  /* per family (0: IPv4, 1: IPv6), longest first */
	uint16_t udp_port;           /* extra ESP-in-UDP port (besides 4500), 0 = none */
	struct rte_ring *events;     /* workers (MP) -> control plane */
	IMB_MGR *control_mgr;        /* for the one-packet functions on the control thread */
};

/* The endpoints to build this packet's outer header from (read the whole struct from it). */
static inline const struct fp_sa_ends *fp_sa_ends(const struct fp_sa *sa)
{
	return &sa->ends[__atomic_load_n(&sa->ends_cur, __ATOMIC_ACQUIRE) & 1];
}

struct fp_ipsec *fp_ipsec(void);
int fp_ipsec_init(struct fp_main *fp, char *err, size_t errlen);
void fp_ipsec_free(struct fp_main *fp);
IMB_MGR *fp_ipsec_new_mgr(void);

/* Worker-side lookups. */
static inline struct fp_sa *fp_sa_get(uint32_t handle)
{
	return handle < FP_SA_MAX ? fp_ipsec()->sas[handle] : NULL;
}
struct fp_sa *fp_sa_lookup_inbound(uint32_t spi);
/*
 * Start loading the SA that an inbound ESP packet's SPI most likely names (its slot), so
 * that the SPI checks of a whole burst miss the cache in parallel rather than one after
 * another: with 10k SAs nearly every lookup is a miss. Only a hint: nothing is checked.
 */
static inline void fp_sa_prefetch_inbound(const struct rte_mbuf *m, uint32_t esp_off)
{
	if (unlikely(rte_pktmbuf_data_len(m) < esp_off + 4))
		return;
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, esp_off);
	uint32_t spi = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	const struct fp_sa *sa = fp_ipsec()->sas[spi & FP_SA_INDEX_MASK];
	if (sa)
		rte_prefetch0(sa);
}

/*
 * ESP for us: protocol 50, or UDP to 4500 (or the configured port) whose first four
 * payload bytes are not the non-ESP marker (those are IKE, and 1-byte NAT keepalives: the
 * kernel's). A fragment is never decrypted (RFC 4303 3.4.1: the fast path does not
 * reassemble). Returns the ESP header's offset from the IP header, or 0. The workers and
 * the one-packet functions classify with this same function.
 */
static inline uint32_t fp_esp_offset(const uint8_t *l3)
{
	uint32_t ihl = (uint32_t)(l3[0] & 0x0f) * 4, total = fp_rd16(l3 + 2);
	if (fp_rd16(l3 + 6) & 0x3fff)
		return 0;
	if (l3[9] == 50)
		return ihl;
	if (l3[9] != 17 || total < ihl + 8 + 4)
		return 0;
	uint16_t dport = fp_rd16(l3 + ihl + 2), extra = fp_ipsec()->udp_port;
	if (dport != FP_ESP_DEFAULT_UDP_PORT && (!extra || dport != extra))
		return 0;
	const uint8_t *p = l3 + ihl + 8;
	return (p[0] | p[1] | p[2] | p[3]) ? ihl + 8 : 0;
}
/* Outbound policy for an IP packet (l3 points at its header): the policy or NULL. */
const struct fp_policy *fp_spd_lookup(const uint8_t *l3, int v6);
void fp_request_resolve(uint16_t port, uint8_t family, const uint8_t *addr);
void fp_ipsec_event(fp_ipsec_event_type_t type, const struct fp_sa *sa, uint32_t spi, const uint8_t *src4,
                    const uint8_t *dst4);

/* ESP per packet (fp_esp.c). All take the mbuf at its IP header (no Ethernet). encrypt and
 * decrypt return 0 or a drop counter id; inbound_sa finds the SA (or sets *drop). */
int fp_esp_encrypt(IMB_MGR *mgr, struct fp_sa *sa, struct rte_mbuf *m);
struct fp_sa *fp_esp_inbound_sa(struct rte_mbuf *m, uint32_t esp_off, int *drop);
int fp_esp_decrypt(IMB_MGR *mgr, struct fp_sa *sa, struct rte_mbuf *m, uint32_t esp_off);

/* Bring an SA's hot lines and expanded keys towards the cache before its packet's turn:
 * with thousands of SAs each packet's SA is a cache miss, and ~1 KiB of key schedule and
 * GHASH powers would otherwise be fetched while the cipher waits. */
static inline void fp_sa_prefetch(const struct fp_sa *sa)
{
	const char *p = (const char *)sa;
	rte_prefetch0(p);
	rte_prefetch0(p + RTE_CACHE_LINE_SIZE);
	rte_prefetch0(&sa->seq);
	rte_prefetch0(&sa->top);
	/* The whole key schedule (round keys and GHASH powers, ~1 KiB) into L2: long packets
	 * use every power; L1 fill buffers are kept for the lines needed first. */
	const char *k = (const char *)&sa->key;
	for (unsigned off = 0; off < sizeof(sa->key); off += RTE_CACHE_LINE_SIZE)
		rte_prefetch1(k + off);
}

/* ---- anti-replay (RFC 4303 3.4.3 and appendix A) ------------------------------------- */

/*
 * Reconstruct the full 64-bit sequence number from the low 32 bits on the wire, as
 * RFC 4303 A.2.2 does: assume the number lies within the window around top.
 */
static inline uint64_t fp_esn_infer(uint64_t top, uint32_t window, uint32_t seq_low, int esn)
{
	if (!esn)
		return seq_low;
	uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32);
	uint32_t w = window ? window : 1;
	uint32_t seqh;
	if (tl >= w - 1)
		seqh = seq_low >= tl - w + 1 ? th : th + 1;
	else
		seqh = seq_low >= tl - w + 1 ? th - 1 : th;
	return (uint64_t)seqh << 32 | seq_low;
}

/* 0: may be new; 1: replayed or too old. Checked before decryption, again after. */
static inline int fp_replay_check(const struct fp_sa *sa, uint64_t seq)
{
	if (!sa->window)
		return 0;
	if (seq == 0 && !(sa->flags & FP_SA_F_ESN))
		return 1;                 /* sequence numbers start at 1 */
	if (seq > sa->top)
		return 0;
	uint64_t diff = sa->top - seq;
	if (diff >= sa->window)
		return 1;
	return (sa->bitmap[diff / 64] >> (diff % 64)) & 1;
}

/* Record an authenticated sequence number: slide the window when it is new on the right. */
static inline void fp_replay_update(struct fp_sa *sa, uint64_t seq)
{
	if (!sa->window) {
		/* No replay check, but ESN still infers the high half from the right edge. */
		if (seq > sa->top)
			sa->top = seq;
		return;
	}
	uint32_t words = sa->window / 64;
	if (seq > sa->top) {
		uint64_t shift = seq - sa->top;
		if (shift >= sa->window) {
			memset(sa->bitmap, 0, words * sizeof(uint64_t));
		} else {
			/* Shift the whole bitmap left by `shift` bits (towards older). */
			uint32_t ws = (uint32_t)(shift / 64), bs = (uint32_t)(shift % 64);
			for (int32_t i = (int32_t)words - 1; i >= 0; i--) {
				uint64_t v = 0;
				if (i - (int32_t)ws >= 0) {
					v = sa->bitmap[i - ws] << bs;
					if (bs && i - (int32_t)ws - 1 >= 0)
						v |= sa->bitmap[i - ws - 1] >> (64 - bs);
				}
				sa->bitmap[i] = v;
			}
		}
		sa->top = seq;
		sa->bitmap[0] |= 1;
	} else {
		uint64_t diff = sa->top - seq;
		sa->bitmap[diff / 64] |= UINT64_C(1) << (diff % 64);
	}
}

#endif
