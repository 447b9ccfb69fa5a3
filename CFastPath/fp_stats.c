/*
 * Counters and per-lcore figures for display. Readers run on the control thread while
 * workers write; a 64-bit load is atomic on the targets we run on, so a value may be a
 * packet stale but never torn.
 */
#include <errno.h>
#include <string.h>

#include <rte_lcore.h>

#include "fp_internal.h"

static const struct {
	const char *name;
	const char *reason;
	fp_counter_kind_t kind;
} counter_info[FP_CTR_MAX] = {
#define _(sym, kind, name, reason) [FP_CTR_##sym] = { name, reason, FP_COUNTER_##kind },
	FP_FOREACH_COUNTER(_)
#undef _
};

int fp_counter_count(void) { return FP_CTR_MAX; }

const char *fp_counter_name(int c) { return c >= 0 && c < FP_CTR_MAX ? counter_info[c].name : ""; }

const char *fp_counter_reason(int c) { return c >= 0 && c < FP_CTR_MAX ? counter_info[c].reason : ""; }

fp_counter_kind_t fp_counter_kind(int c) { return c >= 0 && c < FP_CTR_MAX ? counter_info[c].kind : FP_COUNTER_DROP; }

uint64_t fp_counter_value(int c, int worker)
{
	struct fp_main *fp = fp_main();
	if (c < 0 || c >= FP_CTR_MAX || !fp->eal_up)
		return 0;
	if (worker == -1)
		return __atomic_load_n(&fp->exc.counters[c], __ATOMIC_RELAXED);
	if (worker < 0 || (uint32_t)worker >= fp->cfg.n_workers)
		return 0;
	return __atomic_load_n(&fp->workers[worker].counters[c], __ATOMIC_RELAXED);
}

int fp_worker_count(void)
{
	struct fp_main *fp = fp_main();
	return fp->eal_up ? (int)fp->cfg.n_workers : 0;
}

int fp_worker_info(int index, fp_lcore_info_t *out)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || index < 0 || (uint32_t)index >= fp->cfg.n_workers || !out)
		return -EINVAL;
	const struct fp_worker *w = &fp->workers[index];
	memset(out, 0, sizeof(*out));
	out->lcore = w->lcore;
	out->cpu = fp->cfg.worker_cpus[index];
	out->n_rx = w->n_rx;
	for (uint16_t i = 0; i < w->n_rx && i < FP_MAX_LCORE_QUEUES; i++) {
		out->rx[i].port = w->rx[i].port;
		out->rx[i].queue = w->rx[i].queue;
	}
	out->tx_queue = w->tx_queue;
	out->loops = __atomic_load_n(&w->loops, __ATOMIC_RELAXED);
	out->busy_loops = __atomic_load_n(&w->busy_loops, __ATOMIC_RELAXED);
	out->cycles_total = __atomic_load_n(&w->cycles_total, __ATOMIC_RELAXED);
	out->cycles_busy = __atomic_load_n(&w->cycles_busy, __ATOMIC_RELAXED);
	out->rx_packets = __atomic_load_n(&w->counters[FP_CTR_RX], __ATOMIC_RELAXED);
	out->tx_packets = __atomic_load_n(&w->counters[FP_CTR_FWD_IPV4], __ATOMIC_RELAXED) +
	                  __atomic_load_n(&w->counters[FP_CTR_FWD_IPV6], __ATOMIC_RELAXED) +
	                  __atomic_load_n(&w->counters[FP_CTR_FROM_KERNEL], __ATOMIC_RELAXED);
	return 0;
}
