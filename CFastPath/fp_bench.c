/*
 * Forwarding benchmark harness: ring ports, a generator/sink on the calling thread, and the
 * real worker loop on one lcore. Packets are recycled: the sink restores the Ethernet
 * destination and TTL the worker rewrote and feeds them back, so no allocation happens
 * during the measurement on either side.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "fp_bench.h"
#include "fp_internal.h"
#include "fp_pkt.h"

#define BENCH_RING 4096
#define BENCH_INFLIGHT 2048

static struct rte_ring *in_ring, *out_ring;
static uint32_t bench_routes;
static const uint8_t gw_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };

/* A port over two rings, added without a mirror (shared by the forwarding and ESP benches). */
int fp_bench_ring_port(struct fp_main *fp, const char *name, struct rte_ring *rx, struct rte_ring *tx,
                       char *err, size_t errlen)
{
	int id = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned)rte_socket_id());
	if (id < 0) {
		fp_seterr(err, errlen, "rte_eth_from_rings(%s): %s", name, rte_strerror(rte_errno));
		return -1;
	}
	int h = fp->n_ports++;
	struct fp_port *p = &fp->ports[h];
	memset(p, 0, sizeof(*p));
	snprintf(p->cfg.name, sizeof(p->cfg.name), "%s", name);
	snprintf(p->cfg.devargs, sizeof(p->cfg.devargs), "net_ring:%s", name);
	p->cfg.no_mirror = 1;
	p->cfg.nb_rxd = p->cfg.nb_txd = 1024;
	p->port_id = (uint16_t)id;
	struct fp_port_rt *rt = &fp->port_rt[h];
	memset(rt, 0, sizeof(*rt));
	rte_eth_macaddr_get(p->port_id, &rt->mac);
	rt->port_id = p->port_id;
	rt->mtu = 9000;
	if (!fp->min_mtu || rt->mtu < fp->min_mtu)
		fp->min_mtu = rt->mtu;
	return h;
}

int fp_bench_setup(uint32_t n_routes, char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || fp->cfg.n_workers != 1) {
		fp_seterr(err, errlen, "fp_bench_setup needs fp_init with exactly one worker");
		return -1;
	}
	/* bench-in: the generator enqueues on its RX ring; what it transmits is discarded.
	 * bench-out: its TX ring is the sink. */
	in_ring = rte_ring_create("bench_in_rx", BENCH_RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *in_tx = rte_ring_create("bench_in_tx", BENCH_RING, SOCKET_ID_ANY, 0);
	struct rte_ring *out_rx = rte_ring_create("bench_out_rx", BENCH_RING, SOCKET_ID_ANY, 0);
	out_ring = rte_ring_create("bench_out_tx", BENCH_RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!in_ring || !in_tx || !out_rx || !out_ring) {
		fp_seterr(err, errlen, "cannot create bench rings: %s", rte_strerror(rte_errno));
		return -1;
	}
	int in = fp_bench_ring_port(fp, "bench-in", in_ring, in_tx, err, errlen);
	int out = in < 0 ? -1 : fp_bench_ring_port(fp, "bench-out", out_rx, out_ring, err, errlen);
	if (out < 0)
		return -1;
	if (fp_start(err, errlen) != 0)
		return -1;

	fp_ip_t gw = { .family = 4, .addr = { 192, 0, 2, 2 } };
	if (fp_neigh_add(out, &gw, gw_mac) != 0) {
		fp_seterr(err, errlen, "cannot add the bench neighbour");
		return -1;
	}
	for (uint32_t r = 0; r < n_routes; r++) {
		fp_ip_t pfx = { .family = 4, .addr = { 10, (uint8_t)(r >> 8), (uint8_t)r, 0 } };
		int rc = fp_route_add(&pfx, 24, FP_NH_GATEWAY, &gw, out);
		if (rc != 0) {
			fp_seterr(err, errlen, "cannot add bench route %u: %s", r, strerror(-rc));
			return -1;
		}
	}
	bench_routes = n_routes;
	return 0;
}

static void build_frame(struct rte_mbuf *m, uint32_t frame_len, const struct rte_ether_addr *dst_mac, uint32_t flow)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)frame_len);
	memset(p, 0, frame_len);
	memcpy(p, dst_mac->addr_bytes, 6);
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	memcpy(p + 6, src, 6);
	p[12] = 0x08;
	p[13] = 0x00;
	uint8_t *ip = p + FP_ETH_HLEN;
	uint16_t ip_len = (uint16_t)(frame_len - FP_ETH_HLEN);
	uint32_t route = flow % bench_routes;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 10, (uint8_t)(route >> 8), (uint8_t)route, (uint8_t)(1 + flow / bench_routes % 250) }, 4);
	uint16_t ck = fp_ipv4_header_checksum(ip, 20);
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
	uint8_t *udp = ip + 20;
	udp[0] = 0x30; udp[1] = 0x39;
	udp[2] = 0x30; udp[3] = 0x3a;
	uint16_t ulen = (uint16_t)(ip_len - 20);
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
}

static uint64_t drops_total(struct fp_main *fp)
{
	uint64_t d = 0;
	for (int c = 0; c < FP_CTR_MAX; c++)
		if (fp_counter_kind(c) == FP_COUNTER_DROP)
			d += fp_counter_value(c, 0);
	return d;
}

int fp_bench_run(uint32_t frame_len, uint32_t n_flows, double seconds, fp_bench_result_t *out, char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (!in_ring || frame_len < 60 || frame_len > 1514 || !n_flows) {
		fp_seterr(err, errlen, "bench not set up, or frame length outside 60..1514");
		return -1;
	}
	struct rte_mempool *pool = fp_pool_for_socket(fp, (int)rte_socket_id());
	const struct rte_ether_addr *in_mac = &fp->port_rt[0].mac;
	struct rte_mbuf *pkts[BENCH_INFLIGHT];
	if (rte_pktmbuf_alloc_bulk(pool, pkts, BENCH_INFLIGHT) != 0) {
		fp_seterr(err, errlen, "cannot allocate %d bench mbufs", BENCH_INFLIGHT);
		return -1;
	}
	for (uint32_t i = 0; i < BENCH_INFLIGHT; i++)
		build_frame(pkts[i], frame_len, in_mac, i % n_flows);
	/* Every frame carries the same TTL and checksum word pair before forwarding. */
	uint8_t *ip0 = rte_pktmbuf_mtod_offset(pkts[0], uint8_t *, FP_ETH_HLEN);
	(void)ip0;
	unsigned queued = rte_ring_sp_enqueue_burst(in_ring, (void **)pkts, BENCH_INFLIGHT, NULL);
	if (queued < BENCH_INFLIGHT)
		rte_pktmbuf_free_bulk(&pkts[queued], BENCH_INFLIGHT - queued);

	const uint64_t hz = rte_get_tsc_hz();
	uint64_t fwd0 = fp_counter_value(FP_CTR_FWD_IPV4, 0), drop0 = drops_total(fp);
	fp_lcore_info_t w0, w1;
	fp_worker_info(0, &w0);
	uint64_t t0 = rte_rdtsc(), deadline = t0 + (uint64_t)(seconds * (double)hz);
	while (rte_rdtsc() < deadline) {
		struct rte_mbuf *b[FP_BURST];
		unsigned n = rte_ring_sc_dequeue_burst(out_ring, (void **)b, FP_BURST, NULL);
		for (unsigned i = 0; i < n; i++) {
			/* Undo the worker's rewrite: destination MAC back to bench-in, TTL back up. */
			uint8_t *eth = rte_pktmbuf_mtod(b[i], uint8_t *);
			memcpy(eth, in_mac->addr_bytes, 6);
			uint8_t *ip = eth + FP_ETH_HLEN;
			ip[8]++;
			uint32_t ck = fp_rd16(ip + 10) + 0xfeff;   /* subtract 0x0100 in one's complement */
			ck = (ck & 0xffff) + (ck >> 16);
			ip[10] = (uint8_t)(ck >> 8);
			ip[11] = (uint8_t)ck;
		}
		if (n) {
			unsigned q = rte_ring_sp_enqueue_burst(in_ring, (void **)b, n, NULL);
			if (q < n)
				rte_pktmbuf_free_bulk(&b[q], n - q);
		}
	}
	uint64_t t1 = rte_rdtsc();
	uint64_t fwd1 = fp_counter_value(FP_CTR_FWD_IPV4, 0);
	fp_worker_info(0, &w1);

	/* Drain what is in flight back to the pool. */
	rte_delay_ms(20);
	struct rte_mbuf *b[FP_BURST];
	unsigned n;
	while ((n = rte_ring_sc_dequeue_burst(out_ring, (void **)b, FP_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk(b, n);
	rte_delay_ms(20);
	while ((n = rte_ring_sc_dequeue_burst(out_ring, (void **)b, FP_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk(b, n);

	memset(out, 0, sizeof(*out));
	out->packets = fwd1 - fwd0;
	out->seconds = (double)(t1 - t0) / (double)hz;
	out->mpps = (double)out->packets / out->seconds / 1e6;
	out->gbps = out->mpps * 1e6 * (frame_len + 4 + 20) * 8 / 1e9;
	uint64_t busy = w1.cycles_busy - w0.cycles_busy;
	out->worker_busy_cycles_per_packet = out->packets ? (double)busy / (double)out->packets : 0;
	out->drops = drops_total(fp) - drop0;
	return 0;
}
