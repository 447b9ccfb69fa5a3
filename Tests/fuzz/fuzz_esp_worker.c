/*
 * libFuzzer target: the worker loop itself. One net_ring port ("net_ring_fz0", whose RX and
 * TX share one ring) and one worker lcore; each input becomes a frame on the port's RX ring
 * and the fuzzer waits until the worker has been round its loop twice. So the real classify
 * (Ethernet, IPv4/IPv6 checks), the ESP detection (protocol 50, UDP 4500, non-ESP marker),
 * the burst's SPI lookups and decryption run on fuzzed bytes.
 *
 * 192.0.2.1/32 is the box (ESP to it is decrypted); every other destination is a blackhole,
 * so nothing is ever transmitted back into the ring. The frame's mbuf comes from this
 * harness's own pool; the worker frees it.
 */
#include <time.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fuzz_common.h"

static struct rte_ring *rx_ring;
static struct rte_mempool *pool;
static uint8_t port_mac[6];

static uint64_t inputs;

/* The worker's own count of what it decrypted (run.sh checks it on the seeds). */
static void stats(void)
{
	if (!getenv("STRAIT_FUZZ_STATS"))
		return;
	uint64_t decrypted = 0;
	for (int c = 0; c < fp_counter_count(); c++)
		if (!strcmp(fp_counter_name(c), "esp-decrypted"))
			decrypted = fp_counter_value(c, 0);
	fprintf(stderr, "fuzz stats: %llu inputs, %llu decapsulated\n", (unsigned long long)inputs,
	        (unsigned long long)decrypted);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* Two CPUs or more: the worker spins on its own; one CPU: it sleeps when idle. */
	fuzz_eal(1, cpus > 1 ? 1 : 0, cpus > 1 ? FP_POLL_BUSY : FP_POLL_ADAPTIVE);
	char err[FP_ERR_LEN];
	fp_port_config_t pc;
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "fz0");
	snprintf(pc.devargs, sizeof(pc.devargs), "net_ring_fz0");
	pc.no_mirror = 1;
	pc.mtu = 1500;
	int port = fp_port_add(&pc, err, sizeof(err));
	if (port < 0)
		fuzz_die("fp_port_add", err);
	if (fp_start(err, sizeof(err)) != 0)
		fuzz_die("fp_start", err);
	fp_port_info_t info;
	fp_port_info(port, &info);
	memcpy(port_mac, info.mac, 6);
	fp_ip_t box = fuzz_ip4(192, 0, 2, 1), any4 = fuzz_ip4(0, 0, 0, 0), any6, none;
	memset(&any6, 0, sizeof(any6));
	memset(&none, 0, sizeof(none));
	any6.family = 6;
	if (fp_route_add(&box, 32, FP_NH_LOCAL, &none, port) != 0 || fp_route_add(&any4, 0, FP_NH_BLACKHOLE, &none, port) != 0 ||
	    fp_route_add(&any6, 0, FP_NH_BLACKHOLE, &none, port) != 0)
		fuzz_die("fp_route_add", "failed");
	rx_ring = rte_ring_lookup("ETH_RXTX0_net_ring_fz0");
	pool = rte_pktmbuf_pool_create("fuzz_frames", 512, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!rx_ring || !pool)
		fuzz_die("ring or pool", "not found");
	atexit(stats);
	return 0;
}

/* Until the worker has finished two loops after taking the frame off the ring. */
static void wait_for_worker(void)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fp_lcore_info_t w;
	fp_worker_info(0, &w);
	uint64_t start = w.loops;
	for (;;) {
		fp_worker_info(0, &w);
		if (rte_ring_count(rx_ring) == 0 && w.loops >= start + 2)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 20)
			fuzz_die("worker", "stuck for 20 s on one frame");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 + 2000)
		return 0;
	inputs++;
	uint8_t flags = data[0];
	const uint8_t *pkt = data + 1;
	size_t len = size - 1;
	fuzz_install_sas(flags & 3);

	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (!m)
		fuzz_die("mbuf", "pool empty: the worker leaks frames");
	size_t head = (flags & 16) ? 0 : 14;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(head + len));
	if (head) {
		memcpy(p, port_mac, 6);
		memcpy(p + 6, (const uint8_t[]){ 2, 0, 0, 0, 0, 2 }, 6);
		p[12] = 0x08, p[13] = 0x00;
		if (len && (pkt[0] >> 4) == 6)
			p[12] = 0x86, p[13] = 0xdd;
	}
	memcpy(p + head, pkt, len);
	if (flags & 4)
		fuzz_fix_ipv4(p + head, len);
	if (rte_ring_enqueue(rx_ring, m) != 0)
		fuzz_die("ring", "full");
	wait_for_worker();
	return 0;
}
