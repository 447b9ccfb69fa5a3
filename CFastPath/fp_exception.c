/*
 * The exception thread: carries packets between the fast path and the kernel mirrors.
 *
 * TAP I/O costs a syscall per packet, so it never happens on a worker. Workers enqueue
 * to-kernel packets on each port's to_kernel ring; this thread writes them to the port's
 * mirror. What the kernel writes to a mirror goes onto the port's from_kernel ring, which
 * one worker drains onto its own TX queue. The thread runs on the control core and sleeps
 * when idle.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_thread.h>

#include "fp_internal.h"

#define FP_EXC_MAX_SLEEP_US 500

static unsigned pump(struct fp_main *fp)
{
	struct fp_exception *x = &fp->exc;
	unsigned moved = 0;
	for (int h = 0; h < fp->n_ports; h++) {
		struct fp_port_rt *rt = &fp->port_rt[h];
		if (!rt->has_mirror)
			continue;
		uint16_t mirror = fp->ports[h].mirror_id;
		struct rte_mbuf *pkts[FP_BURST];

		unsigned n = rte_ring_sc_dequeue_burst(rt->to_kernel, (void **)pkts, FP_BURST, NULL);
		if (n) {
			uint16_t sent = rte_eth_tx_burst(mirror, 0, pkts, (uint16_t)n);
			if (sent < n) {
				x->counters[FP_CTR_DROP_MIRROR_TX] += n - sent;
				rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
			}
			moved += n;
		}
		uint16_t r = rte_eth_rx_burst(mirror, 0, pkts, FP_BURST);
		if (r) {
			unsigned q = rte_ring_sp_enqueue_burst(rt->from_kernel, (void **)pkts, r, NULL);
			if (q < r) {
				x->counters[FP_CTR_DROP_KERNEL_FULL] += r - q;
				rte_pktmbuf_free_bulk(&pkts[q], r - q);
			}
			moved += r;
		}
	}
	return moved;
}

static void *exception_main(void *arg)
{
	struct fp_main *fp = arg;
	uint32_t sleep_us = 1;
	/* A registered thread gets an lcore id, hence a mempool cache for the TAP's mbufs. */
	rte_thread_register();
	while (!__atomic_load_n(&fp->quit, __ATOMIC_RELAXED)) {
		if (pump(fp)) {
			sleep_us = 1;
			continue;
		}
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)sleep_us * 1000 };
		nanosleep(&ts, NULL);
		sleep_us = sleep_us * 2 > FP_EXC_MAX_SLEEP_US ? FP_EXC_MAX_SLEEP_US : sleep_us * 2;
	}
	rte_thread_unregister();
	return NULL;
}

int fp_exception_start(struct fp_main *fp, char *err, size_t errlen)
{
	memset(fp->exc.counters, 0, sizeof(fp->exc.counters));
	/* rte_ctrl_thread_create pins the thread to the control core(s), away from workers. */
	int rc = rte_ctrl_thread_create(&fp->exc.thread, "fp-exception", NULL, exception_main, fp);
	if (rc != 0) {
		fp_seterr(err, errlen, "cannot start the exception thread: %s", strerror(rc));
		return -1;
	}
	fp->exc.running = true;
	return 0;
}

void fp_exception_stop(struct fp_main *fp)
{
	if (!fp->exc.running)
		return;
	pthread_join(fp->exc.thread, NULL);
	fp->exc.running = false;
}
