/*
 * The outbound SPD: policies found by their remote (destination) prefix.
 *
 * Design: one hash keyed by (family, prefix length, masked remote prefix) gives the first
 * policy of a chain; a lookup probes the prefix lengths in use, longest first. Why not
 * rte_acl: it must be rebuilt from scratch on every change (seconds at 100k rules), which
 * IKE's steady stream of CHILD SAs cannot afford. Why not an LPM table: each rte_lpm or
 * rte_fib6 carries a 64 MiB first-level table. A concentrator's remote selectors are site
 * subnets of one or a few lengths (/24, /16, /64), so a lookup costs one or two hash probes
 * however many policies there are (the Linux xfrm SPD hashes by prefix the same way).
 * Policies sharing a remote prefix form a chain ordered by priority; source, protocol and
 * ports are checked along it.
 *
 * Concurrency: a policy is complete before it is linked; chains and hash entries change by
 * single atomic stores; the length list is replaced whole; an unlinked policy's slot and an
 * old length list are released only after an RCU grace period.
 */
#include <errno.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "fp_pkt.h"
#include "fp_sa.h"

struct spd_key {
	uint8_t family;
	uint8_t len;
	uint8_t pad[2];
	uint8_t prefix[16];
};

static void mask(uint8_t *a, uint8_t len)
{
	for (int i = 0; i < 16; i++) {
		int bits = (int)len - 8 * i;
		a[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

static inline void make_key(struct spd_key *k, uint8_t family, uint8_t len, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	k->len = len;
	memcpy(k->prefix, addr, family == 4 ? 4 : 16);
	mask(k->prefix, len);
}

int fp_spd_init(struct fp_main *fp, char *err, size_t errlen)
{
	struct fp_ipsec *x = fp_ipsec();
	struct rte_hash_parameters hp = {
		.name = "fp_spd",
		.entries = FP_POLICY_MAX,
		.key_len = sizeof(struct spd_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	x->spd = rte_hash_create(&hp);
	struct rte_hash_rcu_config hrcu = { .v = fp->qsv, .mode = RTE_HASH_QSBR_MODE_SYNC };
	for (int f = 0; f < 2; f++)
		x->spd_lengths[f] = rte_zmalloc("fp_spd_len", sizeof(struct fp_spd_lengths), 0);
	if (!x->spd || rte_hash_rcu_qsbr_add(x->spd, &hrcu) != 0 || !x->spd_lengths[0] || !x->spd_lengths[1]) {
		fp_seterr(err, errlen, "cannot create the SPD");
		return -1;
	}
	return 0;
}

void fp_spd_free(struct fp_main *fp)
{
	struct fp_ipsec *x = fp_ipsec();
	rte_hash_free(x->spd);
	rte_free(x->spd_lengths[0]);
	rte_free(x->spd_lengths[1]);
	x->spd = NULL;
	x->spd_lengths[0] = x->spd_lengths[1] = NULL;
}

int fp_sa_exists_outbound(uint32_t h)
{
	const struct fp_sa *sa = fp_sa_get(h);
	return sa && !(sa->flags & FP_SA_F_INBOUND);
}

const struct fp_policy *fp_spd_lookup(const uint8_t *l3, int v6)
{
	struct fp_ipsec *x = fp_ipsec();
	const struct fp_spd_lengths *lens = __atomic_load_n(&x->spd_lengths[v6], __ATOMIC_ACQUIRE);
	const uint8_t *dst = v6 ? l3 + 24 : l3 + 16, *src = v6 ? l3 + 8 : l3 + 12;
	uint8_t proto = v6 ? l3[6] : l3[9];
	const uint8_t *l4 = v6 ? l3 + FP_IPV6_HLEN : l3 + (l3[0] & 0x0f) * 4;
	for (uint32_t i = 0; i < lens->n; i++) {
		struct spd_key k;
		make_key(&k, v6 ? 6 : 4, lens->len[i], dst);
		void *data;
		if (rte_hash_lookup_data(x->spd, &k, &data) < 0)
			continue;
		/* The most specific remote prefix decides; its chain is ordered by priority. */
		for (uint32_t idx = (uint32_t)(uintptr_t)data; idx;) {
			struct fp_policy *p = &x->policies[idx];
			int ports = p->protocol == 6 || p->protocol == 17;
			if (fp_prefix_match(src, p->local, p->local_len) && (!p->protocol || p->protocol == proto) &&
			    (!ports || !p->local_port || fp_rd16(l4) == p->local_port) &&
			    (!ports || !p->remote_port || fp_rd16(l4 + 2) == p->remote_port)) {
				__atomic_add_fetch(&p->matches, 1, __ATOMIC_RELAXED);
				return p;
			}
			idx = __atomic_load_n(&p->next, __ATOMIC_ACQUIRE);
		}
		return NULL;
	}
	return NULL;
}

static uint32_t chain_head(const struct fp_policy *p)
{
	struct spd_key k;
	void *data;
	make_key(&k, p->family, p->remote_len, p->remote);
	return rte_hash_lookup_data(fp_ipsec()->spd, &k, &data) >= 0 ? (uint32_t)(uintptr_t)data : 0;
}

static int set_head(const struct fp_policy *p, uint32_t head)
{
	struct spd_key k;
	make_key(&k, p->family, p->remote_len, p->remote);
	if (head)
		return rte_hash_add_key_data(fp_ipsec()->spd, &k, (void *)(uintptr_t)head) < 0 ? -ENOSPC : 0;
	return rte_hash_del_key(fp_ipsec()->spd, &k) < 0 ? -ENOENT : 0;
}

/* Count a length in or out; publish a new list when the set of lengths changes. */
static int length_ref(uint8_t family, uint8_t len, int delta)
{
	struct fp_main *fp = fp_main();
	struct fp_ipsec *x = fp_ipsec();
	int f = family == 6;
	struct fp_spd_lengths *old = x->spd_lengths[f];
	uint32_t refs = old->refs[len] + (uint32_t)delta;
	if ((old->refs[len] == 0) == (refs == 0)) {
		old->refs[len] = refs;      /* control-side only: workers never read refs */
		return 0;
	}
	struct fp_spd_lengths *nl = rte_zmalloc("fp_spd_len", sizeof(*nl), 0);
	if (!nl)
		return -ENOMEM;
	memcpy(nl->refs, old->refs, sizeof(nl->refs));
	nl->refs[len] = refs;
	for (int l = 128; l >= 0; l--)
		if (nl->refs[l])
			nl->len[nl->n++] = (uint8_t)l;
	__atomic_store_n(&x->spd_lengths[f], nl, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(fp->qsv, RTE_QSBR_THRID_INVALID);
	rte_free(old);
	return 0;
}

int fp_policy_add(const fp_policy_config_t *cfg, char *err, size_t errlen)
{
	struct fp_ipsec *x = fp_ipsec();
	if (!x->policies || !x->spd) {
		fp_seterr(err, errlen, "the fast path is not initialised");
		return -1;
	}
	uint8_t fam = cfg->remote.family;
	if ((fam != 4 && fam != 6) || cfg->local.family != fam || cfg->remote_len > (fam == 4 ? 32 : 128) ||
	    cfg->local_len > (fam == 4 ? 32 : 128)) {
		fp_seterr(err, errlen, "policy selectors must be prefixes of one family");
		return -1;
	}
	if (cfg->action == FP_POLICY_PROTECT && !fp_sa_exists_outbound((uint32_t)cfg->sa)) {
		fp_seterr(err, errlen, "policy names SA handle %d, which is not an outbound SA", cfg->sa);
		return -1;
	}
	/* Lowest free slot, searched from where the last one was found (or freed since), so a
	 * bulk load of 100k policies stays linear rather than quadratic. */
	uint32_t idx = 0;
	for (uint32_t i = x->policy_free_from > 1 ? x->policy_free_from : 1; i < FP_POLICY_MAX; i++)
		if (!x->policies[i].in_use) {
			idx = i;
			break;
		}
	x->policy_free_from = idx ? idx + 1 : FP_POLICY_MAX;
	if (!idx) {
		fp_seterr(err, errlen, "SPD full (%u policies)", FP_POLICY_MAX - 1);
		return -1;
	}
	struct fp_policy *p = &x->policies[idx];
	memset(p, 0, sizeof(*p));
	p->family = fam;
	p->local_len = cfg->local_len;
	p->remote_len = cfg->remote_len;
	memcpy(p->local, cfg->local.addr, 16);
	memcpy(p->remote, cfg->remote.addr, 16);
	mask(p->local, p->local_len);
	mask(p->remote, p->remote_len);
	p->protocol = cfg->protocol;
	p->local_port = cfg->local_port;
	p->remote_port = cfg->remote_port;
	p->priority = cfg->priority;
	p->action = (uint8_t)cfg->action;
	p->sa = cfg->action == FP_POLICY_PROTECT ? cfg->sa : -1;
	p->in_use = 1;

	/* Link by priority: before the first policy with a higher priority value. */
	uint32_t head = chain_head(p);
	if (!head || x->policies[head].priority > p->priority) {
		p->next = head;
		int rc = set_head(p, idx);
		if (rc == 0 && !head)
			rc = length_ref(fam, p->remote_len, +1);
		if (rc != 0) {
			p->in_use = 0;
			x->policy_free_from = idx;
			fp_seterr(err, errlen, "cannot add the policy to the SPD: %s", strerror(-rc));
			return -1;
		}
	} else {
		struct fp_policy *prev = &x->policies[head];
		while (prev->next && x->policies[prev->next].priority <= p->priority)
			prev = &x->policies[prev->next];
		p->next = prev->next;
		__atomic_store_n(&prev->next, idx, __ATOMIC_RELEASE);
	}
	x->n_policies++;
	return (int)idx;
}

int fp_policy_del(int h)
{
	struct fp_main *fp = fp_main();
	struct fp_ipsec *x = fp_ipsec();
	if (!x->policies || h <= 0 || (uint32_t)h >= FP_POLICY_MAX || !x->policies[h].in_use)
		return -ENOENT;
	struct fp_policy *p = &x->policies[h];
	uint32_t head = chain_head(p);
	if (head == (uint32_t)h) {
		int rc = set_head(p, p->next);
		if (rc != 0)
			return rc;
		if (!p->next)
			length_ref(p->family, p->remote_len, -1);
	} else {
		struct fp_policy *prev = &x->policies[head];
		while (prev->next && prev->next != (uint32_t)h)
			prev = &x->policies[prev->next];
		__atomic_store_n(&prev->next, p->next, __ATOMIC_RELEASE);
	}
	rte_rcu_qsbr_synchronize(fp->qsv, RTE_QSBR_THRID_INVALID);
	p->in_use = 0;
	if ((uint32_t)h < x->policy_free_from)
		x->policy_free_from = (uint32_t)h;
	x->n_policies--;
	return 0;
}

int fp_policy_count(void) { return (int)fp_ipsec()->n_policies; }

int fp_policy_next(int from)
{
	struct fp_ipsec *x = fp_ipsec();
	for (uint32_t i = from < 1 ? 1 : (uint32_t)from; x->policies && i < FP_POLICY_MAX; i++)
		if (x->policies[i].in_use)
			return (int)i;
	return -1;
}

int fp_policy_info(int h, fp_policy_config_t *out, uint64_t *matches)
{
	struct fp_ipsec *x = fp_ipsec();
	if (!x->policies || h <= 0 || (uint32_t)h >= FP_POLICY_MAX || !x->policies[h].in_use || !out)
		return -ENOENT;
	const struct fp_policy *p = &x->policies[h];
	memset(out, 0, sizeof(*out));
	out->local.family = out->remote.family = p->family;
	memcpy(out->local.addr, p->local, 16);
	memcpy(out->remote.addr, p->remote, 16);
	out->local_len = p->local_len;
	out->remote_len = p->remote_len;
	out->protocol = p->protocol;
	out->local_port = p->local_port;
	out->remote_port = p->remote_port;
	out->priority = p->priority;
	out->action = (fp_policy_action_t)p->action;
	out->sa = p->sa;
	if (matches)
		*matches = __atomic_load_n(&p->matches, __ATOMIC_RELAXED);
	return 0;
}

int fp_esp_set_udp_port(uint16_t port)
{
	fp_ipsec()->udp_port = port;
	return 0;
}
