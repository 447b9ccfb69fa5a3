/*
 * Internal state of the fast path. Only CFastPath's .c files include this (and DPDK).
 *
 * Control objects (struct fp_port, the nexthop bookkeeping) are touched by the control
 * thread only. Hot runtime objects (struct fp_port_rt, struct fp_nexthop, the tables) are
 * read by workers and changed by the control thread under RCU. Workers refer to ports and
 * nexthops by index, never by pointer into control objects.
 */
#ifndef STRAIT_FP_INTERNAL_H
#define STRAIT_FP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "fastpath.h"
#include "fp_counters.h"

/* RX burst and TX flush size. 64 rather than DPDK's customary 32: the per-burst work (ring
 * or queue access, bulk LPM and neighbour lookups, TX flush) is shared by twice as many
 * packets, worth ~5% at 64 B ESP on this project's machines. 64 is also the most that
 * rte_hash_lookup_bulk and the 64-bit hit masks take. */
#define FP_BURST        64
#define FP_TXBUF_SIZE   (2 * FP_BURST)
#define FP_DRAIN_US     100     /* flush partial TX buffers at least this often */
#define FP_IDLE_POLLS   256     /* adaptive mode: empty polls before the first sleep */
#define FP_EXC_RING     1024    /* per-port rings between workers and the exception thread */
#define FP_NH_MAX       32768   /* nexthop indices fit rte_fib6's 2-byte next hop (15 bits) */
#define FP_NH_NONE_IDX  0       /* index 0 is never a nexthop: the FIB6 miss value */

/* A nexthop as workers read it: 32 bytes, immutable while any route points at it. */
struct fp_nexthop {
	uint8_t type;           /* fp_nh_type_t */
	uint8_t family;         /* 4 or 6: family of gw */
	uint16_t port;          /* port handle */
	uint32_t sa;            /* FP_NH_TUNNEL: outbound SA handle */
	uint8_t gw[16];         /* gateway (network order); zero for connected routes */
	uint64_t reserved;
};

/* Neighbour table key: (port, address). 20 bytes, padding always zeroed. */
struct fp_neigh_key {
	uint16_t port;
	uint8_t family;
	uint8_t pad;
	uint8_t addr[16];
};

/* Neighbour table value, stored in the hash's data pointer: MAC in the low 48 bits. */
#define FP_NEIGH_VALID (UINT64_C(1) << 63)

/* Per port, read by workers on every packet. */
struct fp_port_rt {
	struct rte_ether_addr mac;
	uint16_t port_id;       /* DPDK port id */
	uint16_t mtu;
	uint8_t has_mirror;
	struct rte_ring *to_kernel;   /* workers (MP) -> exception thread (SC) */
	struct rte_ring *from_kernel; /* exception thread (SP) -> owner worker (SC) */
	uint8_t has_icmp6_src;
	uint8_t icmp6_src[16];        /* source of the ICMPv6 errors the fast path sends from here */
} __rte_cache_aligned;

/* Per port, control side. */
struct fp_port {
	fp_port_config_t cfg;
	char devargs[FP_DEVARGS_LEN];  /* as probed (qpairs added for af_packet) */
	char devname[64];
	char mirror_devname[64];
	uint16_t port_id;
	uint16_t mirror_id;
	uint16_t n_rxq, n_txq;
	uint16_t socket;
	int kernel_owner;              /* worker index that drains from_kernel */
	bool started, mirror_started;
};

struct fp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[FP_TXBUF_SIZE];
};

/* Per worker lcore. Only that lcore writes it; stats readers tolerate torn snapshots. */
struct fp_worker {
	uint32_t index;
	uint32_t lcore;
	uint16_t n_rx;
	struct { uint16_t port, queue; } rx[FP_MAX_LCORE_QUEUES];   /* port = handle */
	uint16_t tx_queue;
	uint16_t n_kernel;                          /* from_kernel rings this worker drains */
	uint16_t kernel_ports[FP_MAX_PORTS];
	uint64_t loops, busy_loops, cycles_busy, cycles_total;
	struct IMB_MGR *imb;                        /* this lcore's intel-ipsec-mb manager */
	struct rte_mempool *pool;                   /* for packets the worker makes (fragments) */
	uint64_t counters[FP_CTR_MAX];
	struct fp_txbuf tx[FP_MAX_PORTS] __rte_cache_aligned;
} __rte_cache_aligned;

/* The exception thread's own counters (it is not a worker). */
struct fp_exception {
	pthread_t thread;
	bool running;
	uint64_t counters[FP_CTR_MAX];
} __rte_cache_aligned;

struct rte_lpm;
struct rte_fib6;
struct rte_hash;

struct fp_tables {
	struct rte_lpm *lpm4;               /* lock-free readers, RCU-reclaimed tbl8s */
	uint32_t default4;                  /* nexthop of 0.0.0.0/0 (rte_lpm has no depth 0) */
	struct rte_fib6 *fib6[2];           /* left-right pair: workers read fib6[active] */
	uint32_t fib6_active;
	struct rte_hash *neigh;             /* lock-free readers, RCU-reclaimed keys */
	struct fp_nexthop *nh;              /* FP_NH_MAX entries */
	/* control-side nexthop bookkeeping */
	struct rte_hash *nh_index;          /* struct fp_nexthop (type..gw) -> index */
	uint32_t *nh_refcnt;
	uint32_t *nh_free;                  /* stack of free indices */
	uint32_t nh_free_top;
};

/* VRRP Backup: virtual addresses another node holds now (fp_standby.c). */
struct fp_standby {
	uint32_t n;
	fp_ip_t addr[FP_MAX_STANDBY];
};

struct fp_main {
	fp_config_t cfg;
	bool eal_up, started;
	volatile bool quit;
	struct rte_mempool *pool[RTE_MAX_NUMA_NODES];
	struct rte_rcu_qsbr *qsv;
	struct fp_tables t;
	uint16_t n_ports;
	uint16_t min_mtu;                   /* the smallest port MTU; 0 before the first port */
	struct fp_port ports[FP_MAX_PORTS];
	struct fp_port_rt port_rt[FP_MAX_PORTS];
	struct fp_worker *workers;          /* n_workers, cache aligned */
	struct fp_exception exc;
	uint64_t drain_tsc;
	struct fp_standby *standby;         /* NULL: none; replaced whole (fp_standby_set) */
	char runtime_dir[256];
};

/* The process's one fast path (EAL is per process). */
struct fp_main *fp_main(void);

void fp_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
struct rte_mempool *fp_pool_for_socket(struct fp_main *fp, int socket);

/* fp_toobig.c: packets at their Ethernet header. */
#define FP_MAX_FRAGMENTS 8
uint16_t fp_ipv4_fragment(struct rte_mbuf *m, uint32_t mtu, struct rte_mempool *pool, struct rte_mbuf **out,
                          uint16_t max);
int fp_icmp4_frag_needed(struct rte_mbuf *m, const uint8_t src[4], uint32_t mtu);
int fp_icmp6_packet_too_big(struct rte_mbuf *m, const uint8_t src[16], uint32_t mtu);

/* fp_fib.c */
int fp_tables_init(struct fp_main *fp, char *err, size_t errlen);
void fp_tables_free(struct fp_main *fp);
int fp_fib6_pair_apply(struct fp_main *fp, struct rte_fib6 **pair, uint32_t *active_idx, const uint8_t *ip,
                       uint8_t depth, uint64_t nh, bool add);
int fp_fib6_pair_get(struct rte_fib6 **pair, uint32_t active, const uint8_t *ip, uint8_t depth, uint64_t *nh);

/* fp_standby.c: is the packet's destination a virtual address this node is Backup for? */
bool fp_standby_match(const struct fp_main *fp, const uint8_t *l3, bool v6);
void fp_standby_free(struct fp_main *fp);

/* fp_sa.c / fp_spd.c */
int fp_sa_exists_outbound(uint32_t sa);
int fp_spd_init(struct fp_main *fp, char *err, size_t errlen);
void fp_spd_free(struct fp_main *fp);

/* fp_port.c */
int fp_ports_start(struct fp_main *fp, char *err, size_t errlen);
void fp_ports_stop(struct fp_main *fp);

/* fp_worker.c */
int fp_worker_main(void *arg);
void fp_worker_flush_all(struct fp_main *fp, struct fp_worker *w);

/* fp_bench.c */
int fp_bench_ring_port(struct fp_main *fp, const char *name, struct rte_ring *rx, struct rte_ring *tx,
                       char *err, size_t errlen);

/* fp_exception.c */
int fp_exception_start(struct fp_main *fp, char *err, size_t errlen);
void fp_exception_stop(struct fp_main *fp);

#endif
