/*
 * IPsec ESP in the fast path: security associations (SAD), policies (SPD), events.
 *
 * Tunnel-mode ESP (RFC 4303) with AES-GCM (RFC 4106) through intel-ipsec-mb's direct GCM
 * API, IPv4 outer header, IPv4/IPv6 inner packets, optional UDP encapsulation (RFC 3948),
 * 32-bit or extended (ESN) sequence numbers, anti-replay window up to FP_SA_MAX_WINDOW.
 * Same threading rules as fastpath.h: one control thread calls these.
 */
#ifndef STRAIT_FP_IPSEC_H
#define STRAIT_FP_IPSEC_H

#include <stddef.h>
#include <stdint.h>

#include "fastpath.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	FP_SA_MAX_WINDOW = 8192,           /* anti-replay window, packets (multiple of 64) */
	FP_ESP_DEFAULT_UDP_PORT = 4500,
};

typedef enum fp_sa_direction {
	FP_SA_OUTBOUND = 0,
	FP_SA_INBOUND = 1,
} fp_sa_direction_t;

#define FP_SA_MORE_TS 7                /* selectors beyond the first, per side */

typedef struct fp_prefix {
	fp_ip_t addr;
	uint8_t len;
} fp_prefix_t;

typedef struct fp_sa_config {
	uint32_t spi;                      /* host order; unique per direction and peer */
	fp_sa_direction_t direction;
	uint8_t key[32];
	uint8_t key_len;                   /* 16 (AES-128-GCM) or 32 (AES-256-GCM) */
	uint8_t salt[4];                   /* RFC 4106: the last 4 bytes of the keying material */
	uint8_t icv_len;                   /* 16, 12 or 8 */
	uint8_t esn;                       /* 1: 64-bit extended sequence numbers */
	uint32_t replay_window;            /* inbound: packets, 0 disables the check */
	fp_ip_t tunnel_local;              /* outer addresses (IPv4) */
	fp_ip_t tunnel_remote;
	uint8_t udp_encap;                 /* 1: ESP in UDP (RFC 3948) */
	uint16_t udp_local_port;           /* 0: 4500 */
	uint16_t udp_remote_port;          /* 0: 4500 */
	/* Traffic selectors: what this SA carries (checked on inbound after decryption). */
	fp_ip_t ts_local;
	uint8_t ts_local_len;
	fp_ip_t ts_remote;
	uint8_t ts_remote_len;
	/* More selectors (IKE negotiates lists, RFC 7296 2.9): an inbound packet passes when its
	 * source is in any remote selector and its destination in any local one, of its family. */
	uint8_t n_more_local, n_more_remote;
	fp_prefix_t more_local[FP_SA_MORE_TS], more_remote[FP_SA_MORE_TS];
	/* Lifetimes; 0 = none. Soft raises an event once, hard stops the SA at once. */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	uint8_t inactive;                  /* 1: installed but unused until fp_sa_activate (HA) */
	uint64_t cookie;                   /* the control plane's own reference, echoed in events */
} fp_sa_config_t;

/* Install an SA; keys are expanded here, once. Returns the SA handle (>= 0) or -1 + *err. */
int fp_sa_add(const fp_sa_config_t *cfg, char *err, size_t errlen);
int fp_sa_del(int sa);
int fp_sa_activate(int sa);
/*
 * Move an installed SA to new tunnel endpoints (outer IPv4 addresses; ESP in UDP with these
 * ports, 0 meaning 4500, or raw ESP): for MOBIKE and NAT rebinding. Safe while workers run:
 * every packet is built wholly from the old or wholly from the new endpoints, and when this
 * returns no packet is built from the old ones any more. Sequence numbers, replay state,
 * counters and keys are untouched. Inbound SAs take it too (reports; the inbound path finds
 * SAs by SPI and accepts ESP from any address). Returns 0, -ENOENT or -EINVAL (not IPv4).
 */
int fp_sa_set_endpoints(int sa, const fp_ip_t *local, const fp_ip_t *remote, uint8_t udp_encap, uint16_t udp_local_port,
                        uint16_t udp_remote_port);
int fp_sa_count(void);                 /* installed SAs */

/*
 * Inbound SPIs chosen by the fast path (IKE): reserve a free SA handle h (never 0) and return
 * in *spi_out an SPI that encodes it, (12 random bits) << 20 | h, never below 256 (RFC 4303).
 * The handle stays reserved (no other SA takes it) until fp_sa_add installs an inbound SA with
 * that SPI, which then takes that handle (the workers' one-compare lookup), or until
 * fp_sa_release_spi gives it back. Returns 0, -ENOSPC (table full), -ENODEV (not initialised)
 * or -EAGAIN (no free SPI for the handle: unlikely). Control thread only, like fp_sa_add.
 */
int fp_sa_reserve_spi(uint32_t *spi_out);
/* Give back a reservation that will not be installed; an SPI not reserved is ignored. */
void fp_sa_release_spi(uint32_t spi);
int fp_sa_reserved_count(void);        /* reservations not installed nor released */

typedef struct fp_sa_info {
	fp_sa_config_t config;             /* key bytes are never returned: zeroed */
	uint8_t active;
	uint8_t expired;                   /* hard limit reached */
	uint64_t packets, bytes;
	uint64_t replay_drops, auth_failures, policy_mismatches;
	uint64_t seq;                      /* outbound: last sequence number used */
	uint64_t replay_top;               /* inbound: highest authenticated sequence number */
} fp_sa_info_t;
int fp_sa_info(int sa, fp_sa_info_t *out);
/* Next SA handle at or after `from`, or -1: walks installed SAs. */
int fp_sa_next(int from);

/* ---- HA hooks ---- */
/* Outbound: the last sequence number used. Setting it lets a new active node continue
 * (with a jump ahead) where the old one stopped. */
int fp_sa_get_seq(int sa, uint64_t *seq);
int fp_sa_set_seq(int sa, uint64_t seq);
/* Inbound: the replay window's right edge and bitmap (words of 64 packets, bit 0 of word 0
 * = top, higher bits = older). */
typedef struct fp_replay_state {
	uint64_t top;
	uint32_t window;
	uint64_t bitmap[FP_SA_MAX_WINDOW / 64];
} fp_replay_state_t;
int fp_sa_get_replay(int sa, fp_replay_state_t *out);
/* Many SAs at once, for an HA active that samples every SA each tick and copies the full
 * replay state only of those that moved: out_seq[i] = outbound SA out_sa[i]'s last sequence
 * number used, in_top[i] = inbound SA in_sa[i]'s replay top; UINT64_MAX where the handle
 * names no SA (or is -1). The caller passes handles of the right direction (not checked:
 * the check would cost a second cache miss per SA). Returns how many handles named no SA. */
int fp_sa_seq_peek_bulk(const int32_t *out_sa, const int32_t *in_sa, unsigned n,
			uint64_t *out_seq, uint64_t *in_top);
int fp_sa_set_replay(int sa, const fp_replay_state_t *in);

/* ---- Policies (SPD), outbound ---- */
typedef enum fp_policy_action {
	FP_POLICY_PROTECT = 0,             /* encrypt with `sa` */
	FP_POLICY_BYPASS = 1,              /* forward in clear */
	FP_POLICY_DISCARD = 2,             /* drop and count */
} fp_policy_action_t;

typedef struct fp_policy_config {
	fp_ip_t local;                     /* source selector */
	uint8_t local_len;
	fp_ip_t remote;                    /* destination selector */
	uint8_t remote_len;
	uint8_t protocol;                  /* 0: any */
	uint16_t local_port, remote_port;  /* 0: any (TCP/UDP only) */
	uint32_t priority;                 /* lower wins among policies with the same remote */
	fp_policy_action_t action;
	int sa;                            /* PROTECT: outbound SA handle */
} fp_policy_config_t;

int fp_policy_add(const fp_policy_config_t *cfg, char *err, size_t errlen);
int fp_policy_del(int policy);
int fp_policy_count(void);
int fp_policy_info(int policy, fp_policy_config_t *out, uint64_t *matches);
int fp_policy_next(int from);

/* Route-based VPN: a route whose next hop is an outbound SA. */
int fp_route_add_tunnel(const fp_ip_t *prefix, uint8_t depth, int sa);

/* ---- Events to the control plane ---- */
typedef enum fp_ipsec_event_type {
	FP_EV_SA_SOFT_EXPIRED = 1,         /* rekey now */
	FP_EV_SA_HARD_EXPIRED = 2,         /* SA stopped */
	FP_EV_SA_SEQ_EXHAUSTED = 3,        /* no sequence number left: SA stopped */
	FP_EV_UNKNOWN_SPI = 4,             /* ESP for an SPI we do not have (rate-limited) */
	FP_EV_RESOLVE = 5,                 /* our own (encrypted) packet's next hop `dst` on `port`
	                                    * has no neighbour: ask the kernel to resolve it */
} fp_ipsec_event_type_t;

typedef struct fp_ipsec_event {
	fp_ipsec_event_type_t type;
	int sa;                            /* -1 for UNKNOWN_SPI */
	uint64_t cookie;
	uint32_t spi;
	fp_ip_t src, dst;                  /* UNKNOWN_SPI: the outer addresses; RESOLVE: dst */
	int port;                          /* RESOLVE: the port handle */
} fp_ipsec_event_t;

/* Take up to `max` pending events. Returns how many were written. */
int fp_ipsec_events(fp_ipsec_event_t *out, int max);

/* UDP port, besides 4500, on which ESP-in-UDP is accepted (0: none). */
int fp_esp_set_udp_port(uint16_t port);

/* ---- One packet at a time, off the data path (tests, fuzzing, tools) ----
 * The same code the workers run. `inner`/`outer` are IP packets without Ethernet.
 * Encap returns the outer length; decap returns the inner length and the SA handle in
 * *sa_out. Both return -(counter id) when the packet is dropped (fp_counter_name tells
 * why). Needs fp_init (workers are not needed). */
int fp_esp_encap_buffer(int sa, const uint8_t *inner, uint32_t len, uint8_t *outer, uint32_t cap);
int fp_esp_decap_buffer(const uint8_t *outer, uint32_t len, uint8_t *inner, uint32_t cap, int *sa_out);

#ifdef __cplusplus
}
#endif
#endif
