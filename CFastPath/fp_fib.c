/*
 * Forwarding tables: IPv4 routes (rte_lpm), IPv6 routes (rte_fib6), nexthops, neighbours.
 *
 * How tables change while workers read them (the control thread is the only writer):
 * - IPv4: rte_lpm supports one writer beside lock-free readers; freed tbl8 groups are
 *   reclaimed through RCU (rte_lpm_rcu_qsbr_add).
 * - IPv6: rte_fib6 has no such guarantee in DPDK 22.11, so it is kept as a left-right pair:
 *   change the copy workers do not read, publish it with one atomic store, wait for a grace
 *   period, then apply the same change to the other copy.
 * - Neighbours: rte_hash with lock-free readers; deleted keys are reclaimed through RCU and
 *   a replaced MAC is one atomic 8-byte store of the data word.
 * - Nexthops: immutable entries shared by routes, reference counted; an index is reused
 *   only after a grace period, so a worker holding an old index still reads a valid entry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_rib6.h>

#include "fp_internal.h"

#define FP_LPM4_DEFAULT_ROUTES 262144
#define FP_LPM4_TBL8S          4096
#define FP_FIB6_DEFAULT_ROUTES 65536
#define FP_FIB6_TBL8S          16384
#define FP_NEIGH_DEFAULT       65536

/* The part of a nexthop that identifies it (everything but the padding). */
struct fp_nh_key {
	uint8_t type, family;
	uint16_t port;
	uint8_t gw[16];
};

static int fib6_create(struct fp_main *fp, int i, char *err, size_t errlen)
{
	char name[32];
	snprintf(name, sizeof(name), "fp_fib6_%d", i);
	struct rte_fib6_conf conf = {
		.type = RTE_FIB6_TRIE,
		.default_nh = FP_NH_NONE_IDX,
		.max_routes = fp->cfg.max_routes6 ? (int)fp->cfg.max_routes6 : FP_FIB6_DEFAULT_ROUTES,
		.trie = { .nh_sz = RTE_FIB6_TRIE_2B, .num_tbl8 = FP_FIB6_TBL8S },
	};
	fp->t.fib6[i] = rte_fib6_create(name, (int)rte_socket_id(), &conf);
	if (!fp->t.fib6[i]) {
		fp_seterr(err, errlen, "cannot create the IPv6 FIB: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int fp_tables_init(struct fp_main *fp, char *err, size_t errlen)
{
	struct fp_tables *t = &fp->t;
	int socket = (int)rte_socket_id();

	struct rte_lpm_config lcfg = {
		.max_rules = fp->cfg.max_routes4 ? fp->cfg.max_routes4 : FP_LPM4_DEFAULT_ROUTES,
		.number_tbl8s = FP_LPM4_TBL8S,
	};
	t->lpm4 = rte_lpm_create("fp_lpm4", socket, &lcfg);
	if (!t->lpm4) {
		fp_seterr(err, errlen, "cannot create the IPv4 FIB: %s", rte_strerror(rte_errno));
		return -1;
	}
	struct rte_lpm_rcu_config lrcu = { .v = fp->qsv, .mode = RTE_LPM_QSBR_MODE_SYNC };
	if (rte_lpm_rcu_qsbr_add(t->lpm4, &lrcu) != 0) {
		fp_seterr(err, errlen, "cannot attach RCU to the IPv4 FIB");
		return -1;
	}
	if (fib6_create(fp, 0, err, errlen) || fib6_create(fp, 1, err, errlen))
		return -1;

	struct rte_hash_parameters hp = {
		.name = "fp_neigh",
		.entries = fp->cfg.max_neighbors ? fp->cfg.max_neighbors : FP_NEIGH_DEFAULT,
		.key_len = sizeof(struct fp_neigh_key),
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	t->neigh = rte_hash_create(&hp);
	if (!t->neigh) {
		fp_seterr(err, errlen, "cannot create the neighbour table: %s", rte_strerror(rte_errno));
		return -1;
	}
	struct rte_hash_rcu_config hrcu = { .v = fp->qsv, .mode = RTE_HASH_QSBR_MODE_SYNC };
	if (rte_hash_rcu_qsbr_add(t->neigh, &hrcu) != 0) {
		fp_seterr(err, errlen, "cannot attach RCU to the neighbour table");
		return -1;
	}

	struct rte_hash_parameters np = {
		.name = "fp_nh_index",
		.entries = FP_NH_MAX,
		.key_len = sizeof(struct fp_nh_key),
		.hash_func = rte_jhash,
		.socket_id = socket,
	};
	t->nh_index = rte_hash_create(&np);
	t->nh = rte_zmalloc("fp_nh", sizeof(struct fp_nexthop) * FP_NH_MAX, RTE_CACHE_LINE_SIZE);
	t->nh_refcnt = rte_zmalloc("fp_nh_ref", sizeof(uint32_t) * FP_NH_MAX, 0);
	t->nh_free = rte_zmalloc("fp_nh_free", sizeof(uint32_t) * FP_NH_MAX, 0);
	if (!t->nh_index || !t->nh || !t->nh_refcnt || !t->nh_free) {
		fp_seterr(err, errlen, "out of memory for nexthops");
		return -1;
	}
	/* Free stack: lowest indices on top; index 0 stays reserved as "no nexthop". */
	for (uint32_t i = FP_NH_MAX - 1; i > FP_NH_NONE_IDX; i--)
		t->nh_free[t->nh_free_top++] = i;
	return 0;
}

void fp_tables_free(struct fp_main *fp)
{
	struct fp_tables *t = &fp->t;
	rte_lpm_free(t->lpm4);
	rte_fib6_free(t->fib6[0]);
	rte_fib6_free(t->fib6[1]);
	rte_hash_free(t->neigh);
	rte_hash_free(t->nh_index);
	rte_free(t->nh);
	rte_free(t->nh_refcnt);
	rte_free(t->nh_free);
	memset(t, 0, sizeof(*t));
}

static void grace_period(struct fp_main *fp)
{
	rte_rcu_qsbr_synchronize(fp->qsv, RTE_QSBR_THRID_INVALID);
}

/* ---- nexthops ------------------------------------------------------------------------ */

static int nh_get(struct fp_main *fp, fp_nh_type_t type, const fp_ip_t *gw, int port)
{
	struct fp_tables *t = &fp->t;
	struct fp_nh_key key;
	memset(&key, 0, sizeof(key));
	key.type = (uint8_t)type;
	if (type == FP_NH_GATEWAY || type == FP_NH_CONNECTED || type == FP_NH_LOCAL)
		key.port = (uint16_t)port;
	if (type == FP_NH_GATEWAY && gw) {
		key.family = gw->family;
		memcpy(key.gw, gw->addr, gw->family == 4 ? 4 : 16);
	} else if (type == FP_NH_TUNNEL && gw) {
		memcpy(key.gw, gw->addr, 4);      /* the SA handle, big endian */
	}
	void *data;
	if (rte_hash_lookup_data(t->nh_index, &key, &data) >= 0) {
		uint32_t idx = (uint32_t)(uintptr_t)data;
		t->nh_refcnt[idx]++;
		return (int)idx;
	}
	if (t->nh_free_top == 0)
		return -ENOSPC;
	uint32_t idx = t->nh_free[--t->nh_free_top];
	struct fp_nexthop *nh = &t->nh[idx];
	memset(nh, 0, sizeof(*nh));
	nh->type = key.type;
	nh->family = key.family;
	nh->port = key.port;
	memcpy(nh->gw, key.gw, sizeof(nh->gw));
	if (type == FP_NH_TUNNEL)
		nh->sa = (uint32_t)key.gw[0] << 24 | (uint32_t)key.gw[1] << 16 | (uint32_t)key.gw[2] << 8 | key.gw[3];
	/* The entry is complete before any route can point at it. */
	rte_atomic_thread_fence(__ATOMIC_RELEASE);
	if (rte_hash_add_key_data(t->nh_index, &key, (void *)(uintptr_t)idx) < 0) {
		t->nh_free[t->nh_free_top++] = idx;
		return -ENOSPC;
	}
	t->nh_refcnt[idx] = 1;
	return (int)idx;
}

/* Drop one reference. The caller has already unpublished the route that held it. */
static void nh_put(struct fp_main *fp, uint32_t idx)
{
	struct fp_tables *t = &fp->t;
	if (idx == FP_NH_NONE_IDX || idx >= FP_NH_MAX || t->nh_refcnt[idx] == 0)
		return;
	if (--t->nh_refcnt[idx] > 0)
		return;
	struct fp_nexthop *nh = &t->nh[idx];
	struct fp_nh_key key;
	memset(&key, 0, sizeof(key));
	key.type = nh->type;
	key.family = nh->family;
	key.port = nh->port;
	memcpy(key.gw, nh->gw, sizeof(key.gw));
	rte_hash_del_key(t->nh_index, &key);
	grace_period(fp);           /* no worker still holds idx from an old lookup */
	t->nh_free[t->nh_free_top++] = idx;
}

/* ---- routes -------------------------------------------------------------------------- */

static uint32_t ip4_host(const fp_ip_t *ip)
{
	return (uint32_t)ip->addr[0] << 24 | (uint32_t)ip->addr[1] << 16 | (uint32_t)ip->addr[2] << 8 | ip->addr[3];
}

static int route4_current(struct fp_main *fp, uint32_t ip, uint8_t depth, uint32_t *nh)
{
	return rte_lpm_is_rule_present(fp->t.lpm4, ip, depth, nh) == 1;
}

static int route6_current(struct rte_fib6 *fib, const uint8_t *ip, uint8_t depth, uint64_t *nh)
{
	struct rte_rib6_node *node = rte_rib6_lookup_exact(rte_fib6_get_rib(fib), ip, depth);
	return node && rte_rib6_get_nh(node, nh) == 0;
}

/* Apply one change to both IPv6 copies, the unread one first (left-right). */
int fp_fib6_pair_apply(struct fp_main *fp, struct rte_fib6 **pair, uint32_t *active_idx, const uint8_t *ip,
                       uint8_t depth, uint64_t nh, bool add)
{
	uint32_t active = __atomic_load_n(active_idx, __ATOMIC_ACQUIRE);
	uint32_t spare = active ^ 1;
	int rc = add ? rte_fib6_add(pair[spare], ip, depth, nh) : rte_fib6_delete(pair[spare], ip, depth);
	if (rc != 0)
		return rc;
	__atomic_store_n(active_idx, spare, __ATOMIC_RELEASE);
	grace_period(fp);
	rc = add ? rte_fib6_add(pair[active], ip, depth, nh) : rte_fib6_delete(pair[active], ip, depth);
	return rc;
}

int fp_fib6_pair_get(struct rte_fib6 **pair, uint32_t active, const uint8_t *ip, uint8_t depth, uint64_t *nh)
{
	return route6_current(pair[active], ip, depth, nh);
}

static int fib6_apply(struct fp_main *fp, const uint8_t *ip, uint8_t depth, uint64_t nh, bool add)
{
	return fp_fib6_pair_apply(fp, fp->t.fib6, &fp->t.fib6_active, ip, depth, nh, add);
}

static void mask_prefix(uint8_t *addr, int bytes, uint8_t depth)
{
	for (int i = 0; i < bytes; i++) {
		int bits = (int)depth - i * 8;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		addr[i] &= m;
	}
}

static int route_add(const fp_ip_t *prefix, uint8_t depth, fp_nh_type_t type, const fp_ip_t *gw, int port);

int fp_route_add(const fp_ip_t *prefix, uint8_t depth, fp_nh_type_t type, const fp_ip_t *gw, int port)
{
	if (type == FP_NH_TUNNEL)
		return -EINVAL;        /* fp_route_add_tunnel names the SA */
	return route_add(prefix, depth, type, gw, port);
}

int fp_route_add_tunnel(const fp_ip_t *prefix, uint8_t depth, int sa)
{
	if (sa < 0)
		return -ENOENT;
	fp_ip_t ref = { .family = 0 };
	ref.addr[0] = (uint8_t)(sa >> 24);
	ref.addr[1] = (uint8_t)(sa >> 16);
	ref.addr[2] = (uint8_t)(sa >> 8);
	ref.addr[3] = (uint8_t)sa;
	return route_add(prefix, depth, FP_NH_TUNNEL, &ref, 0);
}

static int route_add(const fp_ip_t *prefix, uint8_t depth, fp_nh_type_t type, const fp_ip_t *gw, int port)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || !prefix)
		return -EINVAL;
	if ((prefix->family == 4 && depth > 32) || (prefix->family == 6 && depth > 128) ||
	    (prefix->family != 4 && prefix->family != 6))
		return -EINVAL;
	if (type < FP_NH_GATEWAY || type > FP_NH_TUNNEL)
		return -EINVAL;
	bool needs_port = type == FP_NH_GATEWAY || type == FP_NH_CONNECTED || type == FP_NH_LOCAL;
	if (needs_port && (port < 0 || port >= fp->n_ports))
		return -ENODEV;
	if (type == FP_NH_GATEWAY && (!gw || (gw->family != 4 && gw->family != 6)))
		return -EINVAL;
	if (type == FP_NH_TUNNEL) {
		uint32_t sa = (uint32_t)gw->addr[0] << 24 | (uint32_t)gw->addr[1] << 16 | (uint32_t)gw->addr[2] << 8 | gw->addr[3];
		if (!fp_sa_exists_outbound(sa))
			return -ENOENT;
	}

	int idx = nh_get(fp, type, gw, port);
	if (idx < 0)
		return idx;
	int rc;
	if (prefix->family == 4 && depth == 0) {
		/* rte_lpm has no depth-0 rule: the default route is a word workers read on a miss. */
		uint32_t old = __atomic_exchange_n(&fp->t.default4, (uint32_t)idx, __ATOMIC_RELEASE);
		nh_put(fp, old);     /* waits for a grace period if this frees it */
	} else if (prefix->family == 4) {
		uint32_t ip = ip4_host(prefix), old = 0;
		if (depth < 32)
			ip &= ~UINT32_C(0) << (32 - depth);
		bool had = route4_current(fp, ip, depth, &old);
		rc = rte_lpm_add(fp->t.lpm4, ip, depth, (uint32_t)idx);
		if (rc != 0) {
			nh_put(fp, (uint32_t)idx);
			return rc;
		}
		if (had)
			nh_put(fp, old);
	} else {
		uint8_t ip[16];
		memcpy(ip, prefix->addr, 16);
		mask_prefix(ip, 16, depth);
		uint64_t old = 0;
		struct fp_tables *t = &fp->t;
		bool had = route6_current(t->fib6[t->fib6_active], ip, depth, &old);
		rc = fib6_apply(fp, ip, depth, (uint64_t)idx, true);
		if (rc != 0) {
			nh_put(fp, (uint32_t)idx);
			return rc;
		}
		if (had)
			nh_put(fp, (uint32_t)old);
	}
	return 0;
}

int fp_route_del(const fp_ip_t *prefix, uint8_t depth)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || !prefix)
		return -EINVAL;
	if (prefix->family == 4 && depth == 0) {
		uint32_t old = __atomic_exchange_n(&fp->t.default4, FP_NH_NONE_IDX, __ATOMIC_RELEASE);
		if (old == FP_NH_NONE_IDX)
			return -ENOENT;
		nh_put(fp, old);
		return 0;
	}
	if (prefix->family == 4) {
		if (depth > 32)
			return -EINVAL;
		uint32_t ip = ip4_host(prefix), old = 0;
		if (depth < 32)
			ip &= ~UINT32_C(0) << (32 - depth);
		if (!route4_current(fp, ip, depth, &old))
			return -ENOENT;
		int rc = rte_lpm_delete(fp->t.lpm4, ip, depth);
		if (rc != 0)
			return rc;
		nh_put(fp, old);
		return 0;
	}
	if (prefix->family != 6 || depth > 128)
		return -EINVAL;
	uint8_t ip[16];
	memcpy(ip, prefix->addr, 16);
	mask_prefix(ip, 16, depth);
	uint64_t old = 0;
	struct fp_tables *t = &fp->t;
	if (!route6_current(t->fib6[t->fib6_active], ip, depth, &old))
		return -ENOENT;
	int rc = fib6_apply(fp, ip, depth, 0, false);
	if (rc != 0)
		return rc;
	nh_put(fp, (uint32_t)old);
	return 0;
}

int fp_route_lookup(const fp_ip_t *dst, fp_route_result_t *out)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || !dst || !out)
		return -EINVAL;
	uint32_t idx = FP_NH_NONE_IDX;
	if (dst->family == 4) {
		uint32_t nh;
		idx = rte_lpm_lookup(fp->t.lpm4, ip4_host(dst), &nh) == 0 ? nh : fp->t.default4;
	} else if (dst->family == 6) {
		uint8_t ips[1][16];
		uint64_t nh = FP_NH_NONE_IDX;
		memcpy(ips[0], dst->addr, 16);
		rte_fib6_lookup_bulk(fp->t.fib6[fp->t.fib6_active], ips, &nh, 1);
		idx = (uint32_t)nh;
	} else {
		return -EINVAL;
	}
	if (idx == FP_NH_NONE_IDX || idx >= FP_NH_MAX)
		return -ENOENT;
	const struct fp_nexthop *nh = &fp->t.nh[idx];
	memset(out, 0, sizeof(*out));
	out->type = (fp_nh_type_t)nh->type;
	out->port = nh->port;
	out->gateway.family = nh->family;
	memcpy(out->gateway.addr, nh->gw, 16);
	out->nexthop_index = idx;
	out->sa = nh->type == FP_NH_TUNNEL ? (int)nh->sa : -1;
	return 0;
}

/* ---- neighbours ---------------------------------------------------------------------- */

static int neigh_key(struct fp_main *fp, int port, const fp_ip_t *addr, struct fp_neigh_key *key)
{
	if (port < 0 || port >= fp->n_ports)
		return -ENODEV;
	if (!addr || (addr->family != 4 && addr->family != 6))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	key->port = (uint16_t)port;
	key->family = addr->family;
	memcpy(key->addr, addr->addr, addr->family == 4 ? 4 : 16);
	return 0;
}

int fp_neigh_add(int port, const fp_ip_t *addr, const uint8_t mac[6])
{
	struct fp_main *fp = fp_main();
	struct fp_neigh_key key;
	int rc = fp->eal_up ? neigh_key(fp, port, addr, &key) : -EINVAL;
	if (rc)
		return rc;
	uint64_t v = FP_NEIGH_VALID;
	for (int i = 0; i < 6; i++)
		v |= (uint64_t)mac[i] << (8 * i);
	/* Adding an existing key replaces its data word atomically. */
	rc = rte_hash_add_key_data(fp->t.neigh, &key, (void *)(uintptr_t)v);
	return rc < 0 ? rc : 0;
}

int fp_neigh_del(int port, const fp_ip_t *addr)
{
	struct fp_main *fp = fp_main();
	struct fp_neigh_key key;
	int rc = fp->eal_up ? neigh_key(fp, port, addr, &key) : -EINVAL;
	if (rc)
		return rc;
	rc = rte_hash_del_key(fp->t.neigh, &key);
	return rc < 0 ? rc : 0;
}

int fp_neigh_lookup(int port, const fp_ip_t *addr, uint8_t mac_out[6])
{
	struct fp_main *fp = fp_main();
	struct fp_neigh_key key;
	int rc = fp->eal_up ? neigh_key(fp, port, addr, &key) : -EINVAL;
	if (rc)
		return rc;
	void *data;
	if (rte_hash_lookup_data(fp->t.neigh, &key, &data) < 0)
		return -ENOENT;
	uint64_t v = (uint64_t)(uintptr_t)data;
	for (int i = 0; i < 6; i++)
		mac_out[i] = (uint8_t)(v >> (8 * i));
	return 0;
}
