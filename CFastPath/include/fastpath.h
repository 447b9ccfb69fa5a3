/*
 * CFastPath: Strait's data plane, as seen from the control plane.
 *
 * This header is the whole boundary between Swift and DPDK: plain structs, integer handles,
 * error text written into caller buffers. No DPDK type crosses it.
 *
 * Threading: every function here is called from one control thread at a time (the daemon
 * serialises them). Workers never call into this API; they read tables that these functions
 * change with RCU (see docs/architecture.md, "How tables change").
 */
#ifndef STRAIT_FASTPATH_H
#define STRAIT_FASTPATH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	FP_MAX_WORKERS = 64,
	FP_MAX_PORTS = 32,
	FP_NAME_LEN = 16,        /* port names name the kernel mirror: IFNAMSIZ */
	FP_DEVARGS_LEN = 256,
	FP_ERR_LEN = 256,
};

typedef enum fp_poll_mode {
	FP_POLL_BUSY = 0,        /* spin on rx_burst: lowest latency, one full core per worker */
	FP_POLL_ADAPTIVE = 1,    /* sleep after idle polls: several instances can share cores */
} fp_poll_mode_t;

typedef struct fp_config {
	char instance[32];                 /* DPDK file-prefix; names mempools and tables */
	uint32_t control_cpu;              /* EAL main lcore: control plane and exception thread */
	uint32_t worker_cpus[FP_MAX_WORKERS];
	uint32_t n_workers;                /* 0: tables only (unit tests), no ports may start */
	uint32_t nb_mbuf;
	uint32_t mbuf_cache;
	uint8_t hugepages;                 /* 0: --no-huge */
	uint32_t memory_mb;
	fp_poll_mode_t poll_mode;
	uint32_t idle_sleep_us;            /* longest sleep in adaptive mode */
	uint32_t max_routes4;              /* 0: default */
	uint32_t max_routes6;
	uint32_t max_neighbors;
	int log_level;                     /* DPDK log level, 1 (emergency) .. 8 (debug); 0: 5 (warning) */
} fp_config_t;

typedef struct fp_port_config {
	char name[FP_NAME_LEN];            /* "wan01": also the kernel mirror's name */
	char devargs[FP_DEVARGS_LEN];      /* "net_af_packet0,iface=veth1", "0000:00:04.0", ... */
	uint16_t mtu;
	uint16_t nb_rxd;
	uint16_t nb_txd;
	uint8_t mac[6];
	uint8_t has_mac;                   /* 1: set this MAC on the port and its mirror */
	uint8_t no_mirror;                 /* 1: no kernel mirror (benchmarks) */
} fp_port_config_t;

/* Bring up EAL, the mbuf pool, RCU and the forwarding tables. 0 or -1 with *err set. */
int fp_init(const fp_config_t *cfg, char *err, size_t errlen);

/* Probe a device and create its mirror. Returns the port handle (>= 0) or -1 with *err. */
int fp_port_add(const fp_port_config_t *cfg, char *err, size_t errlen);

/* Configure queues, start ports and mirrors, launch workers and the exception thread. */
int fp_start(char *err, size_t errlen);

/* Stop workers, close ports, remove mirrors, release EAL. Safe to call more than once. */
void fp_shutdown(void);

/* ---- Forwarding tables ------------------------------------------------------------- */

typedef struct fp_ip {
	uint8_t family;                    /* 4 or 6 */
	uint8_t addr[16];                  /* network order; IPv4 in the first 4 bytes */
} fp_ip_t;

typedef enum fp_nh_type {
	FP_NH_NONE = 0,
	FP_NH_GATEWAY = 1,                 /* forward to a gateway on a port */
	FP_NH_CONNECTED = 2,               /* forward to the destination itself on a port */
	FP_NH_LOCAL = 3,                   /* an address of the box: to the kernel */
	FP_NH_KERNEL = 4,                  /* let the kernel decide (unreachable, prohibit, ...) */
	FP_NH_BLACKHOLE = 5,               /* drop and count */
	FP_NH_TUNNEL = 6,                  /* encrypt with an outbound SA (fp_route_add_tunnel) */
} fp_nh_type_t;

/* Add or replace a route. port is a handle (ignored for KERNEL/BLACKHOLE). 0 or -errno. */
int fp_route_add(const fp_ip_t *prefix, uint8_t depth, fp_nh_type_t type, const fp_ip_t *gateway, int port);
int fp_route_del(const fp_ip_t *prefix, uint8_t depth);

/* Longest-prefix match, as a worker would see it. 0 and *out filled, or -ENOENT. */
typedef struct fp_route_result {
	fp_nh_type_t type;
	int port;
	fp_ip_t gateway;
	uint32_t nexthop_index;
	int sa;                            /* FP_NH_TUNNEL: the SA handle, else -1 */
} fp_route_result_t;
int fp_route_lookup(const fp_ip_t *dst, fp_route_result_t *out);

/* Add or replace a neighbour (port, address) -> MAC. 0 or -errno. */
int fp_neigh_add(int port, const fp_ip_t *addr, const uint8_t mac[6]);
int fp_neigh_del(int port, const fp_ip_t *addr);
int fp_neigh_lookup(int port, const fp_ip_t *addr, uint8_t mac_out[6]);

/* VRRP: the virtual addresses this node is Backup for (at most FP_MAX_STANDBY), replacing
 * the previous set (n == 0 clears it). Packets for them are dropped and counted
 * ("vrrp-backup") instead of being forwarded back out or dropped as no-route. 0 or -errno. */
enum { FP_MAX_STANDBY = 64 };
int fp_standby_set(const fp_ip_t *addrs, uint32_t n);

/* ---- Introspection ------------------------------------------------------------------ */

typedef struct fp_port_info {
	char name[FP_NAME_LEN];
	char devargs[FP_DEVARGS_LEN];
	char mirror[FP_NAME_LEN];          /* "" when the port has no mirror */
	uint8_t mac[6];
	uint8_t link_up;
	uint32_t speed_mbps;
	uint16_t mtu;
	uint16_t rx_queues, tx_queues;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_errors, tx_errors, rx_missed;
} fp_port_info_t;

/* The IPv6 address the fast path sends its own ICMPv6 errors from (packet too big for a
 * tunnel) for packets that arrived on this port; an address of the box. 0 or -1. */
int fp_port_set_icmp6_source(int port, const fp_ip_t *addr);

/* Fragment an IPv4 packet (at its IP header) as workers do before encryption, for tests and
 * tools: the fragments are written back to back into out (cap bytes), their lengths into
 * lens. Returns the number of fragments, 0 when the fast path would not fragment it (DF
 * set, fits, malformed), -1 when out is too small or no mbuf is free. */
int fp_ipv4_fragment_buffer(const uint8_t *pkt, uint32_t len, uint32_t mtu, uint8_t *out, uint32_t cap,
                            uint32_t *lens, uint32_t max);

int fp_port_count(void);
int fp_port_info(int port, fp_port_info_t *out);

enum { FP_MAX_LCORE_QUEUES = 32 };

typedef struct fp_queue_ref {
	uint16_t port;                     /* port handle */
	uint16_t queue;
} fp_queue_ref_t;

typedef struct fp_lcore_info {
	uint32_t lcore;
	uint32_t cpu;
	uint32_t n_rx;
	fp_queue_ref_t rx[FP_MAX_LCORE_QUEUES];
	uint16_t tx_queue;                 /* this worker's TX queue on every port */
	uint64_t loops, busy_loops;
	uint64_t cycles_total, cycles_busy;
	uint64_t rx_packets, tx_packets;
} fp_lcore_info_t;

int fp_worker_count(void);
int fp_worker_info(int index, fp_lcore_info_t *out);

typedef enum fp_counter_kind {
	FP_COUNTER_FORWARD = 0,
	FP_COUNTER_EXCEPTION = 1,
	FP_COUNTER_DROP = 2,
} fp_counter_kind_t;

int fp_counter_count(void);
const char *fp_counter_name(int counter);
const char *fp_counter_reason(int counter);
fp_counter_kind_t fp_counter_kind(int counter);
/* Value of one counter on one worker (index < fp_worker_count()), or the exception thread
 * when worker == -1. Counters are per lcore and only summed for display. */
uint64_t fp_counter_value(int counter, int worker);

/* The DPDK version string, for `show version`. */
const char *fp_dpdk_version(void);

#ifdef __cplusplus
}
#endif
#endif
