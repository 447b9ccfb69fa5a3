/*
 * Fast path life cycle: EAL from the config, mbuf pools, RCU, start and shutdown.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_version.h>

#include "fp_internal.h"
#include "fp_sa.h"

static struct fp_main fp_singleton;

struct fp_main *fp_main(void) { return &fp_singleton; }

void fp_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *fp_dpdk_version(void) { return rte_version(); }

/* EAL arguments are derived from the config only; nothing is passed through verbatim. */
#define FP_EAL_MAX_ARGS 32
struct fp_eal_args {
	int argc;
	char *argv[FP_EAL_MAX_ARGS];
	char store[FP_EAL_MAX_ARGS][512];
};

static void eal_arg(struct fp_eal_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void eal_arg(struct fp_eal_args *a, const char *fmt, ...)
{
	if (a->argc >= FP_EAL_MAX_ARGS - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->store[a->argc], sizeof(a->store[0]), fmt, ap);
	va_end(ap);
	a->argv[a->argc] = a->store[a->argc];
	a->argc++;
	a->argv[a->argc] = NULL;
}

static void build_eal_args(const fp_config_t *cfg, struct fp_eal_args *a)
{
	char lcores[512];
	int off = snprintf(lcores, sizeof(lcores), "%u", cfg->control_cpu);
	for (uint32_t i = 0; i < cfg->n_workers && off < (int)sizeof(lcores) - 8; i++)
		off += snprintf(lcores + off, sizeof(lcores) - off, ",%u", cfg->worker_cpus[i]);

	memset(a, 0, sizeof(*a));
	eal_arg(a, "straitd");
	eal_arg(a, "-l");
	eal_arg(a, "%s", lcores);
	eal_arg(a, "--main-lcore");
	eal_arg(a, "%u", cfg->control_cpu);
	eal_arg(a, "--file-prefix");
	eal_arg(a, "%s", cfg->instance);
	eal_arg(a, "-m");
	eal_arg(a, "%u", cfg->memory_mb);
	if (cfg->hugepages) {
		/* Hugepage memory without files in hugetlbfs: nothing to leave behind. */
		eal_arg(a, "--in-memory");
	} else {
		eal_arg(a, "--no-huge");
		eal_arg(a, "--no-shconf");
	}
	/* PCI devices are probed one by one (fp_port_add) from an allow-list of none. */
	eal_arg(a, "-a");
	eal_arg(a, "0000:00:00.0");
	eal_arg(a, "--no-telemetry");
	eal_arg(a, "--log-level=%d", cfg->log_level > 0 ? cfg->log_level : RTE_LOG_WARNING);
}

struct rte_mempool *fp_pool_for_socket(struct fp_main *fp, int socket)
{
	if (socket >= 0 && socket < RTE_MAX_NUMA_NODES && fp->pool[socket])
		return fp->pool[socket];
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (fp->pool[s])
			return fp->pool[s];
	return NULL;
}

/* One mbuf pool per NUMA socket that runs a worker (or the control lcore). */
static int create_pools(struct fp_main *fp, char *err, size_t errlen)
{
	unsigned lcore;
	bool want[RTE_MAX_NUMA_NODES] = { false };
	want[rte_socket_id() < RTE_MAX_NUMA_NODES ? rte_socket_id() : 0] = true;
	RTE_LCORE_FOREACH(lcore) {
		unsigned s = rte_lcore_to_socket_id(lcore);
		want[s < RTE_MAX_NUMA_NODES ? s : 0] = true;
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (!want[s])
			continue;
		char name[RTE_MEMPOOL_NAMESIZE];
		snprintf(name, sizeof(name), "fp_mbuf_s%d", s);
		fp->pool[s] = rte_pktmbuf_pool_create(name, fp->cfg.nb_mbuf, fp->cfg.mbuf_cache, 0,
		                                      RTE_MBUF_DEFAULT_BUF_SIZE, s);
		if (!fp->pool[s]) {
			fp_seterr(err, errlen, "cannot create the mbuf pool on socket %d (%u mbufs): %s",
			          s, fp->cfg.nb_mbuf, rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

static int create_rcu(struct fp_main *fp, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	fp->qsv = rte_zmalloc("fp_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (!fp->qsv || rte_rcu_qsbr_init(fp->qsv, RTE_MAX_LCORE) != 0) {
		fp_seterr(err, errlen, "cannot set up RCU");
		return -1;
	}
	return 0;
}

int fp_init(const fp_config_t *cfg, char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (fp->eal_up) {
		fp_seterr(err, errlen, "the fast path is already initialised");
		return -1;
	}
	if (cfg->n_workers > FP_MAX_WORKERS) {
		fp_seterr(err, errlen, "too many worker cores (%u > %d)", cfg->n_workers, FP_MAX_WORKERS);
		return -1;
	}
	memset(fp, 0, sizeof(*fp));
	fp->cfg = *cfg;
	if (!fp->cfg.nb_mbuf)
		fp->cfg.nb_mbuf = 16384;
	if (!fp->cfg.memory_mb)
		fp->cfg.memory_mb = 512;
	if (!fp->cfg.idle_sleep_us)
		fp->cfg.idle_sleep_us = 200;
	if (!fp->cfg.instance[0])
		snprintf(fp->cfg.instance, sizeof(fp->cfg.instance), "strait");

	struct fp_eal_args args;
	build_eal_args(&fp->cfg, &args);
	if (rte_eal_init(args.argc, args.argv) < 0) {
		fp_seterr(err, errlen, "DPDK EAL initialisation failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	fp->eal_up = true;
	snprintf(fp->runtime_dir, sizeof(fp->runtime_dir), "%s", rte_eal_get_runtime_dir());

	fp->workers = rte_zmalloc("fp_workers", sizeof(struct fp_worker) * (cfg->n_workers ? cfg->n_workers : 1),
	                          RTE_CACHE_LINE_SIZE);
	if (!fp->workers) {
		fp_seterr(err, errlen, "out of memory for worker state");
		goto fail;
	}
	unsigned lcore, i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i >= cfg->n_workers)
			break;
		fp->workers[i].index = i;
		fp->workers[i].lcore = lcore;
		i++;
	}
	fp->drain_tsc = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * FP_DRAIN_US;

	if (create_pools(fp, err, errlen) || create_rcu(fp, err, errlen) || fp_tables_init(fp, err, errlen) ||
	    fp_ipsec_init(fp, err, errlen))
		goto fail;
	return 0;
fail:
	fp_shutdown();
	return -1;
}

int fp_start(char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || fp->started) {
		fp_seterr(err, errlen, fp->started ? "already started" : "not initialised");
		return -1;
	}
	if (fp->cfg.n_workers == 0) {
		fp_seterr(err, errlen, "no worker cores configured");
		return -1;
	}
	if (fp_ports_start(fp, err, errlen) != 0)
		return -1;
	fp->quit = false;
	if (fp_exception_start(fp, err, errlen) != 0) {
		fp_ports_stop(fp);
		return -1;
	}
	for (uint32_t i = 0; i < fp->cfg.n_workers; i++) {
		int rc = rte_eal_remote_launch(fp_worker_main, &fp->workers[i], fp->workers[i].lcore);
		if (rc != 0) {
			fp_seterr(err, errlen, "cannot launch worker on lcore %u: %s", fp->workers[i].lcore,
			          strerror(-rc));
			fp->quit = true;
			rte_eal_mp_wait_lcore();
			fp_exception_stop(fp);
			fp_ports_stop(fp);
			return -1;
		}
	}
	fp->started = true;
	return 0;
}

void fp_shutdown(void)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up)
		return;
	if (fp->started) {
		fp->quit = true;
		rte_eal_mp_wait_lcore();
		fp_exception_stop(fp);
		fp->started = false;
	}
	fp_ports_stop(fp);
	fp_ipsec_free(fp);
	fp_tables_free(fp);
	fp_standby_free(fp);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(fp->pool[s]);
		fp->pool[s] = NULL;
	}
	rte_free(fp->qsv);
	rte_free(fp->workers);
	fp->qsv = NULL;
	fp->workers = NULL;
	rte_eal_cleanup();
	fp->eal_up = false;
	/* The runtime directory only held sockets EAL already removed; leave no trace. */
	if (fp->runtime_dir[0])
		rmdir(fp->runtime_dir);
}
