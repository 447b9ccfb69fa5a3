/*
 * ESP benchmark harness: the real worker loop encrypting (tunnel routes -> ESP -> outer
 * route) or decrypting (local ESP -> inner route) between ring ports, with the calling
 * thread as generator and sink. The sink recycles each mbuf by copying the next template
 * frame into it, so the worker always sees fresh packets and nothing is allocated.
 *
 * Decryption runs with the replay window off: the generator replays a fixed set of
 * encrypted templates, which a window would (rightly) drop after the first round.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fp_bench.h"
#include "fp_pkt.h"
#include "fp_sa.h"

#define RING_SIZE 4096
#define INFLIGHT  2048
#define MAX_TEMPLATES 16384

struct template { uint16_t len; uint8_t data[1600]; };

static struct {
	struct rte_ring *in_rx, *out_tx;
	uint32_t n_sas;
	int out_sa[FP_SA_MAX >> 6];     /* outbound handle per pair (enough for 16k pairs) */
	struct template *tpl;
	uint32_t n_tpl;
} eb;

static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x77 };

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* ---- cipher only ---- */

struct cipher_job {
	const uint32_t *lens;
	uint32_t n, key_len;
	double seconds;
	double *cycles;
};

static int cipher_loop(void *arg)
{
	struct cipher_job *j = arg;
	IMB_MGR *mgr = fp_ipsec_new_mgr();
	if (!mgr)
		return -1;
	static uint8_t buf[2048] __rte_aligned(64);
	uint8_t key[32] = { 1, 2, 3 }, iv[12] = { 9 }, aad[8] = { 7 }, tag[16];
	struct gcm_key_data *k = rte_zmalloc(NULL, sizeof(*k), 64);
	if (j->key_len == 32)
		IMB_AES256_GCM_PRE(mgr, key, k);
	else
		IMB_AES128_GCM_PRE(mgr, key, k);
	for (uint32_t s = 0; s < j->n; s++) {
		struct gcm_context_data ctx;
		uint64_t ops = 0, t0 = rte_rdtsc(), end = t0 + (uint64_t)(j->seconds * rte_get_tsc_hz());
		while (rte_rdtsc() < end) {
			for (int r = 0; r < 64; r++) {
				if (j->key_len == 32)
					IMB_AES256_GCM_ENC(mgr, k, &ctx, buf, buf, j->lens[s], iv, aad, 8, tag, 16);
				else
					IMB_AES128_GCM_ENC(mgr, k, &ctx, buf, buf, j->lens[s], iv, aad, 8, tag, 16);
			}
			ops += 64;
		}
		j->cycles[s] = (double)(rte_rdtsc() - t0) / (double)ops;
	}
	rte_free(k);
	free_mb_mgr(mgr);
	return 0;
}

int fp_bench_cipher_only(const uint32_t *lens, uint32_t n, uint32_t key_len, double seconds, double *cycles_out,
                         char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || fp->started || fp->cfg.n_workers != 1) {
		fp_seterr(err, errlen, "cipher-only runs after fp_init (one worker), before the fast path starts");
		return -1;
	}
	struct cipher_job j = { lens, n, key_len, seconds, cycles_out };
	if (rte_eal_remote_launch(cipher_loop, &j, fp->workers[0].lcore) != 0) {
		fp_seterr(err, errlen, "cannot launch on the worker lcore");
		return -1;
	}
	return rte_eal_wait_lcore(fp->workers[0].lcore) == 0 ? 0 : -1;
}

/* ---- setup ---- */

static fp_ip_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	fp_ip_t ip = { .family = 4, .addr = { a, b, c, d } };
	return ip;
}

int fp_bench_esp_setup(uint32_t n_sas, uint32_t key_len, char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (n_sas == 0 || n_sas > 16000) {
		fp_seterr(err, errlen, "1..16000 SAs");
		return -1;
	}
	eb.n_sas = n_sas;
	eb.in_rx = rte_ring_create("ebench_in_rx", RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *in_tx = rte_ring_create("ebench_in_tx", RING_SIZE, SOCKET_ID_ANY, 0);
	struct rte_ring *out_rx = rte_ring_create("ebench_out_rx", RING_SIZE, SOCKET_ID_ANY, 0);
	eb.out_tx = rte_ring_create("ebench_out_tx", RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	eb.tpl = rte_zmalloc("ebench_tpl", sizeof(struct template) * MAX_TEMPLATES, 64);
	if (!eb.in_rx || !in_tx || !out_rx || !eb.out_tx || !eb.tpl) {
		fp_seterr(err, errlen, "cannot create bench rings: %s", rte_strerror(rte_errno));
		return -1;
	}
	int in = fp_bench_ring_port(fp, "ebench-in", eb.in_rx, in_tx, err, errlen);
	int out = in < 0 ? -1 : fp_bench_ring_port(fp, "ebench-out", out_rx, eb.out_tx, err, errlen);
	if (out < 0 || fp_start(err, errlen) != 0)
		return -1;
	/* Outer: we are 192.0.2.1 on ebench-in's side for inbound ESP; the peer 192.0.2.2 is
	 * reached through ebench-out. Inner: 198.18.0.0/15 behind ebench-out (decrypted traffic),
	 * site subnets 10.a.b.0/24 behind the tunnels (encrypted traffic). */
	fp_ip_t local = v4(192, 0, 2, 1), peer = v4(192, 0, 2, 2), net = v4(192, 0, 2, 0), inner_net = v4(198, 18, 0, 0),
	        inner_host = v4(198, 18, 0, 1), none = { 0 };
	if (fp_route_add(&local, 32, FP_NH_LOCAL, &none, in) || fp_route_add(&net, 24, FP_NH_CONNECTED, &none, out) ||
	    fp_route_add(&inner_net, 15, FP_NH_CONNECTED, &none, out) || fp_neigh_add(out, &peer, peer_mac) ||
	    fp_neigh_add(out, &inner_host, peer_mac)) {
		fp_seterr(err, errlen, "cannot install bench routes");
		return -1;
	}
	for (uint32_t i = 0; i < n_sas; i++) {
		fp_sa_config_t c;
		memset(&c, 0, sizeof(c));
		c.spi = 0x100000 + i;               /* inbound handles land in the hash path too */
		c.key_len = (uint8_t)key_len;
		for (uint32_t b = 0; b < key_len; b++)
			c.key[b] = (uint8_t)(i * 7 + b);
		c.salt[0] = (uint8_t)i;
		c.icv_len = 16;
		c.tunnel_local = local;
		c.tunnel_remote = peer;
		c.ts_local = v4(0, 0, 0, 0);
		c.ts_remote = v4(0, 0, 0, 0);
		c.direction = FP_SA_OUTBOUND;
		int o = fp_sa_add(&c, err, errlen);
		c.direction = FP_SA_INBOUND;
		c.replay_window = 0;
		int h = o < 0 ? -1 : fp_sa_add(&c, err, errlen);
		if (h < 0)
			return -1;
		eb.out_sa[i] = o;
		fp_ip_t site = v4(10, (uint8_t)(i >> 8), (uint8_t)i, 0);
		if (fp_route_add_tunnel(&site, 24, o) != 0) {
			fp_seterr(err, errlen, "cannot add tunnel route %u", i);
			return -1;
		}
	}
	return 0;
}

/* ---- run ---- */

static void inner_packet(uint8_t *ip, uint32_t len, const uint8_t src[4], const uint8_t dst[4])
{
	memset(ip, 0, len);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)len);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	wr16(ip + 10, fp_ipv4_header_checksum(ip, 20));
	wr16(ip + 20, 1234);
	wr16(ip + 22, 5678);
	wr16(ip + 24, (uint16_t)(len - 20));
}

static int build_templates(int decrypt, const uint32_t *lens, uint32_t n, char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	const uint8_t *mac = fp->port_rt[0].mac.addr_bytes;
	eb.n_tpl = 0;
	/* One template per SA, cycling through the sizes; at least 12 so IMIX keeps its mix. */
	uint32_t count = eb.n_sas < 12 ? 12 * n : eb.n_sas;
	if (count > MAX_TEMPLATES)
		count = MAX_TEMPLATES;
	for (uint32_t t = 0; t < count; t++) {
		uint32_t sa = t % eb.n_sas, len = lens[t % n];
		struct template *T = &eb.tpl[eb.n_tpl++];
		uint8_t *eth = T->data;
		memcpy(eth, mac, 6);
		memcpy(eth + 6, peer_mac, 6);
		eth[12] = 0x08;
		eth[13] = 0x00;
		uint8_t site[4] = { 10, (uint8_t)(sa >> 8), (uint8_t)sa, 1 }, host[4] = { 198, 18, 0, 1 };
		if (!decrypt) {
			inner_packet(eth + FP_ETH_HLEN, len, host, site);
			T->len = (uint16_t)(FP_ETH_HLEN + len);
			continue;
		}
		/* Decrypt: what the peer would send: encrypt with our outbound SA (same key and
		 * SPI as the inbound one), then swap the outer addresses. */
		uint8_t inner[1600];
		inner_packet(inner, len, site, host);
		int r = fp_esp_encap_buffer(eb.out_sa[sa], inner, len, eth + FP_ETH_HLEN, sizeof(T->data) - FP_ETH_HLEN);
		if (r < 0) {
			fp_seterr(err, errlen, "cannot build an ESP template: %s", fp_counter_name(-r));
			return -1;
		}
		uint8_t *o = eth + FP_ETH_HLEN, tmp[4];
		memcpy(tmp, o + 12, 4);
		memcpy(o + 12, o + 16, 4);
		memcpy(o + 16, tmp, 4);
		o[10] = o[11] = 0;
		wr16(o + 10, fp_ipv4_header_checksum(o, 20));
		T->len = (uint16_t)(FP_ETH_HLEN + r);
	}
	return 0;
}

static inline void load(struct rte_mbuf *m, const struct template *T)
{
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->data_len = m->pkt_len = T->len;
	rte_memcpy(rte_pktmbuf_mtod(m, uint8_t *), T->data, T->len);
}

int fp_bench_esp_run(int decrypt, const uint32_t *lens, uint32_t n, double seconds, fp_bench_result_t *out,
                     char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (!eb.in_rx || !n) {
		fp_seterr(err, errlen, "ESP bench not set up");
		return -1;
	}
	if (build_templates(decrypt, lens, n, err, errlen) != 0)
		return -1;
	struct rte_mempool *pool = fp_pool_for_socket(fp, (int)rte_socket_id());
	struct rte_mbuf *pkts[INFLIGHT];
	if (rte_pktmbuf_alloc_bulk(pool, pkts, INFLIGHT) != 0) {
		fp_seterr(err, errlen, "cannot allocate bench mbufs");
		return -1;
	}
	uint32_t next = 0;
	for (uint32_t i = 0; i < INFLIGHT; i++)
		load(pkts[i], &eb.tpl[next++ % eb.n_tpl]);
	unsigned q = rte_ring_sp_enqueue_burst(eb.in_rx, (void **)pkts, INFLIGHT, NULL);
	if (q < INFLIGHT)
		rte_pktmbuf_free_bulk(&pkts[q], INFLIGHT - q);

	int ctr = decrypt ? FP_CTR_ESP_DECRYPTED : FP_CTR_ESP_ENCRYPTED;
	uint64_t bytes = 0, drops0 = 0, drops1 = 0;
	for (int c = 0; c < FP_CTR_MAX; c++)
		if (fp_counter_kind(c) == FP_COUNTER_DROP)
			drops0 += fp_counter_value(c, 0);
	uint64_t p0 = fp_counter_value(ctr, 0);
	fp_lcore_info_t w0, w1;
	fp_worker_info(0, &w0);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), end = t0 + (uint64_t)(seconds * hz);
	uint64_t mix_bytes = 0;
	for (uint32_t i = 0; i < n; i++)
		mix_bytes += lens[i];
	while (rte_rdtsc() < end) {
		struct rte_mbuf *b[FP_BURST];
		unsigned k = rte_ring_sc_dequeue_burst(eb.out_tx, (void **)b, FP_BURST, NULL);
		for (unsigned i = 0; i < k; i++)
			load(b[i], &eb.tpl[next++ % eb.n_tpl]);
		if (k && rte_ring_sp_enqueue_burst(eb.in_rx, (void **)b, k, NULL) < k)
			break;
	}
	uint64_t t1 = rte_rdtsc();
	uint64_t p1 = fp_counter_value(ctr, 0);
	fp_worker_info(0, &w1);
	for (int c = 0; c < FP_CTR_MAX; c++)
		if (fp_counter_kind(c) == FP_COUNTER_DROP)
			drops1 += fp_counter_value(c, 0);
	rte_delay_ms(20);
	struct rte_mbuf *b[FP_BURST];
	unsigned k;
	for (int r = 0; r < 3; r++, rte_delay_ms(10))
		while ((k = rte_ring_sc_dequeue_burst(eb.out_tx, (void **)b, FP_BURST, NULL)) > 0)
			rte_pktmbuf_free_bulk(b, k);

	memset(out, 0, sizeof(*out));
	out->packets = p1 - p0;
	out->seconds = (double)(t1 - t0) / (double)hz;
	out->mpps = (double)out->packets / out->seconds / 1e6;
	bytes = out->packets * mix_bytes / n;
	out->gbps = (double)bytes * 8 / out->seconds / 1e9;
	out->worker_busy_cycles_per_packet = out->packets ? (double)(w1.cycles_busy - w0.cycles_busy) / (double)out->packets : 0;
	out->drops = drops1 - drops0;
	uint64_t total = w1.cycles_total - w0.cycles_total, busy = w1.cycles_busy - w0.cycles_busy;
	out->worker_busy = total ? (double)busy / (double)total : 0;
	out->burst = w1.busy_loops > w0.busy_loops ? (double)out->packets / (double)(w1.busy_loops - w0.busy_loops) : 0;
	return 0;
}
