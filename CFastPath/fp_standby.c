/*
 * Virtual addresses this box serves only as VRRP Master. While it is Backup the kernel
 * mirror does not hold them, so a packet for one (a host with a stale ARP/ND entry, a switch
 * that has not relearned yet) would otherwise be forwarded back out to the Master or dropped
 * as no-route. The workers drop it under its own counter instead ("vrrp-backup"): traffic for
 * the virtual addresses belongs to the Master alone, and the operator sees how much arrived
 * at the wrong node. The set is small and read only on the rare paths (no route, or a
 * hairpin back out of the port it came in on); it is replaced whole by a pointer swap.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "fp_internal.h"

int fp_standby_set(const fp_ip_t *addrs, uint32_t n)
{
	struct fp_main *fp = fp_main();
	if (n > FP_MAX_STANDBY)
		return -E2BIG;
	struct fp_standby *ns = NULL;
	if (n) {
		ns = rte_zmalloc("fp_standby", sizeof(*ns), 0);
		if (!ns)
			return -ENOMEM;
		ns->n = n;
		memcpy(ns->addr, addrs, n * sizeof(*addrs));
	}
	struct fp_standby *old = __atomic_exchange_n(&fp->standby, ns, __ATOMIC_ACQ_REL);
	if (old) {
		if (fp->started)
			rte_rcu_qsbr_synchronize(fp->qsv, RTE_QSBR_THRID_INVALID);
		rte_free(old);
	}
	return 0;
}

bool fp_standby_match(const struct fp_main *fp, const uint8_t *l3, bool v6)
{
	const struct fp_standby *s = __atomic_load_n(&fp->standby, __ATOMIC_ACQUIRE);
	if (!s)
		return false;
	const uint8_t *dst = v6 ? l3 + 24 : l3 + 16;
	uint8_t family = v6 ? 6 : 4;
	size_t len = v6 ? 16 : 4;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->addr[i].family == family && memcmp(s->addr[i].addr, dst, len) == 0)
			return true;
	return false;
}

void fp_standby_free(struct fp_main *fp)
{
	rte_free(fp->standby);
	fp->standby = NULL;
}
