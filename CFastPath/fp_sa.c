/*
 * The SAD: install, activate, remove and inspect SAs; inbound SPI lookup; events; the HA
 * hooks (sequence numbers and replay state); the one-packet functions for tests and tools.
 *
 * Handles: an inbound SA whose SPI's low 20 bits name a free slot takes that slot, so the
 * worker finds it with one array read and one compare (SPIs the control plane allocates
 * are chosen that way: fp_sa_reserve_spi). Any other SPI also goes into a hash (SPI -> handle).
 *
 * Handle allocation is amortised O(1) (see handle_take): outbound SAs, colliding SPIs and
 * SPI reservations take handles from the top of the table down, so the low slots stay free
 * for configured SPIs that encode their handle, as the former top-down scan did, without
 * its O(n) cost per SA (O(n^2) to install 100k SAs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_per_lcore.h>
#include <rte_random.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "fp_pkt.h"
#include "fp_sa.h"

static struct fp_ipsec ipsec_singleton;

/*
 * Handle allocator (control thread only).
 *
 * A watermark and a stack. Handles at or above `watermark` have been handed out by the
 * allocator at some point; below it, none has (a configured inbound SPI may still have taken
 * one directly). A handle freed at or above the watermark is pushed on the stack; one freed
 * below it needs nothing: the watermark will reach it. Taking a handle pops the stack, else
 * moves the watermark down. Both skip entries that became busy meanwhile (a configured SPI
 * took the slot directly), lazily: `stacked` keeps a handle on the stack at most once, so
 * every skip consumes an earlier push or a watermark step, and the cost is O(1) amortised.
 * Why not a plain free list: configured inbound SPIs take arbitrary slots directly, which a
 * free list would have to unlink (a position index per handle, and the top-down order lost);
 * the lazy skip keeps the order that leaves low slots to such SPIs.
 *
 * `reserved[h]` is the SPI reserved on handle h (fp_sa_reserve_spi), 0 for none (reserved
 * SPIs are >= 256). A reserved handle is busy for everyone but an inbound SA with that SPI.
 */
static struct {
	uint32_t *stack;
	uint32_t depth;
	uint8_t *stacked;
	uint32_t *reserved;
	uint32_t n_reserved;
	uint32_t watermark;
} handles;

static int handles_init(void)
{
	handles.stack = calloc(FP_SA_MAX, sizeof(uint32_t));
	handles.stacked = calloc(FP_SA_MAX, 1);
	handles.reserved = calloc(FP_SA_MAX, sizeof(uint32_t));
	handles.depth = 0;
	handles.n_reserved = 0;
	handles.watermark = FP_SA_MAX;
	return handles.stack && handles.stacked && handles.reserved ? 0 : -ENOMEM;
}

static void handles_free(void)
{
	free(handles.stack);
	free(handles.stacked);
	free(handles.reserved);
	memset(&handles, 0, sizeof(handles));
}

static inline int handle_usable(const struct fp_ipsec *x, uint32_t h)
{
	return !x->sas[h] && !handles.reserved[h];
}

/* A free handle (never 0), or -1 when the table is full. */
static int handle_take(const struct fp_ipsec *x)
{
	while (handles.depth) {
		uint32_t h = handles.stack[--handles.depth];
		handles.stacked[h] = 0;
		if (handle_usable(x, h))
			return (int)h;
	}
	while (handles.watermark > 1) {
		uint32_t h = --handles.watermark;
		if (handle_usable(x, h))
			return (int)h;
	}
	return -1;
}

/* Handle h is free again (its SA is gone, its reservation released, or it went unused). */
static void handle_put(uint32_t h)
{
	if (h == 0 || h >= FP_SA_MAX || h < handles.watermark || handles.stacked[h])
		return;
	handles.stacked[h] = 1;
	handles.stack[handles.depth++] = h;
}

/* 12 random bits for the top of a reserved SPI (SPIs need not be secret, but unpredictable
 * ones make blind guesses at a peer's SAs harder). */
static uint32_t spi_random_bits(void)
{
	uint32_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint32_t)rte_rand();
	return v & ((1u << (32 - 20)) - 1);
}

struct fp_ipsec *fp_ipsec(void) { return &ipsec_singleton; }

IMB_MGR *fp_ipsec_new_mgr(void)
{
	IMB_MGR *mgr = alloc_mb_mgr(0);
	if (mgr)
		init_mb_mgr_auto(mgr, NULL);
	return mgr;
}

int fp_ipsec_init(struct fp_main *fp, char *err, size_t errlen)
{
	struct fp_ipsec *x = fp_ipsec();
	memset(x, 0, sizeof(*x));
	x->sas = rte_zmalloc("fp_sas", sizeof(struct fp_sa *) * FP_SA_MAX, RTE_CACHE_LINE_SIZE);
	x->policies = rte_zmalloc("fp_policies", sizeof(struct fp_policy) * FP_POLICY_MAX, RTE_CACHE_LINE_SIZE);
	struct rte_hash_parameters hp = {
		.name = "fp_spi",
		.entries = 1 << 18,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	x->spi_index = rte_hash_create(&hp);
	x->events = rte_ring_create("fp_ipsec_ev", 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
	x->control_mgr = fp_ipsec_new_mgr();
	if (!x->sas || !x->policies || !x->spi_index || !x->events || !x->control_mgr || handles_init() != 0) {
		fp_seterr(err, errlen, "cannot set up IPsec tables: %s", rte_strerror(rte_errno));
		return -1;
	}
	struct rte_hash_rcu_config hrcu = { .v = fp->qsv, .mode = RTE_HASH_QSBR_MODE_SYNC };
	if (rte_hash_rcu_qsbr_add(x->spi_index, &hrcu) != 0) {
		fp_seterr(err, errlen, "cannot attach RCU to the SPI table");
		return -1;
	}
	for (uint32_t w = 0; w < fp->cfg.n_workers; w++) {
		fp->workers[w].imb = fp_ipsec_new_mgr();
		if (!fp->workers[w].imb) {
			fp_seterr(err, errlen, "cannot allocate an intel-ipsec-mb manager");
			return -1;
		}
	}
	return fp_spd_init(fp, err, errlen);
}

static void sa_free(struct fp_sa *sa)
{
	if (!sa)
		return;
	/* Keys die with the SA. */
	volatile uint8_t *k = (volatile uint8_t *)&sa->key;
	for (size_t i = 0; i < sizeof(sa->key); i++)
		k[i] = 0;
	rte_free(sa->bitmap);
	rte_free(sa->more_ts);
	rte_free(sa);
}

void fp_ipsec_free(struct fp_main *fp)
{
	struct fp_ipsec *x = fp_ipsec();
	if (x->sas)
		for (uint32_t i = 0; i < FP_SA_MAX; i++)
			sa_free(x->sas[i]);
	fp_spd_free(fp);
	rte_free(x->sas);
	rte_free(x->policies);
	rte_hash_free(x->spi_index);
	rte_ring_free(x->events);
	if (x->control_mgr)
		free_mb_mgr(x->control_mgr);
	for (uint32_t w = 0; fp->workers && w < fp->cfg.n_workers; w++)
		if (fp->workers[w].imb)
			free_mb_mgr(fp->workers[w].imb);
	handles_free();
	memset(x, 0, sizeof(*x));
}

struct fp_sa *fp_sa_lookup_inbound(uint32_t spi)
{
	struct fp_ipsec *x = fp_ipsec();
	struct fp_sa *sa = x->sas[spi & FP_SA_INDEX_MASK];
	if (likely(sa && sa->spi == spi && (sa->flags & FP_SA_F_INBOUND)))
		return sa;
	void *data;
	if (rte_hash_lookup_data(x->spi_index, &spi, &data) < 0)
		return NULL;
	sa = x->sas[(uint32_t)(uintptr_t)data];
	return sa && sa->spi == spi && (sa->flags & FP_SA_F_INBOUND) ? sa : NULL;
}

void fp_ipsec_event(fp_ipsec_event_type_t type, const struct fp_sa *sa, uint32_t spi, const uint8_t *src4,
                    const uint8_t *dst4)
{
	struct fp_ipsec *x = fp_ipsec();
	if (type == FP_EV_UNKNOWN_SPI) {
		/* Rate limit: at most one report per millisecond per lcore. */
		static RTE_DEFINE_PER_LCORE(uint64_t, last_unknown);
		uint64_t now = rte_rdtsc();
		if (now - RTE_PER_LCORE(last_unknown) < rte_get_tsc_hz() / 1000)
			return;
		RTE_PER_LCORE(last_unknown) = now;
	}
	fp_ipsec_event_t *ev = rte_malloc(NULL, sizeof(*ev), 0);
	if (!ev)
		return;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->sa = sa ? (int)sa->handle : -1;
	ev->cookie = sa ? sa->cookie : 0;
	ev->spi = spi;
	if (src4) {
		ev->src.family = 4;
		memcpy(ev->src.addr, src4, 4);
	}
	if (dst4) {
		ev->dst.family = 4;
		memcpy(ev->dst.addr, dst4, 4);
	}
	if (rte_ring_mp_enqueue(x->events, ev) != 0)
		rte_free(ev);
}

/* Ask the control plane to have the kernel resolve a neighbour (at most once per ms per
 * lcore: the control plane repeats nothing the kernel is already doing). */
void fp_request_resolve(uint16_t port, uint8_t family, const uint8_t *addr)
{
	static RTE_DEFINE_PER_LCORE(uint64_t, last_resolve);
	uint64_t now = rte_rdtsc();
	if (now - RTE_PER_LCORE(last_resolve) < rte_get_tsc_hz() / 1000)
		return;
	RTE_PER_LCORE(last_resolve) = now;
	fp_ipsec_event_t *ev = rte_malloc(NULL, sizeof(*ev), 0);
	if (!ev)
		return;
	memset(ev, 0, sizeof(*ev));
	ev->type = FP_EV_RESOLVE;
	ev->sa = -1;
	ev->port = port;
	ev->dst.family = family;
	memcpy(ev->dst.addr, addr, family == 4 ? 4 : 16);
	if (rte_ring_mp_enqueue(fp_ipsec()->events, ev) != 0)
		rte_free(ev);
}

int fp_ipsec_events(fp_ipsec_event_t *out, int max)
{
	struct fp_ipsec *x = fp_ipsec();
	int n = 0;
	void *ev;
	while (x->events && n < max && rte_ring_sc_dequeue(x->events, &ev) == 0) {
		out[n++] = *(fp_ipsec_event_t *)ev;
		rte_free(ev);
	}
	return n;
}

/* The handle for a new SA. An inbound SA whose SPI encodes a free slot (or the slot reserved
 * for exactly this SPI) takes that slot; any other takes a free one from the allocator.
 * *reservation is set when the slot was reserved for this SPI. */
static int alloc_handle(struct fp_ipsec *x, const fp_sa_config_t *cfg, int *reservation)
{
	uint32_t idx = cfg->spi & FP_SA_INDEX_MASK;
	*reservation = 0;
	if (cfg->direction == FP_SA_INBOUND && idx) {
		if (handles.reserved[idx] == cfg->spi) {
			*reservation = 1;
			return (int)idx;
		}
		if (handle_usable(x, idx))
			return (int)idx;
	}
	return handle_take(x);
}

/* An allocated handle that no SA got: back to the allocator (a reservation stays). */
static void alloc_undo(int h, int reservation)
{
	if (!reservation)
		handle_put((uint32_t)h);
}

int fp_sa_reserve_spi(uint32_t *spi_out)
{
	struct fp_main *fp = fp_main();
	struct fp_ipsec *x = fp_ipsec();
	if (!fp->eal_up || !x->sas || !handles.reserved || !spi_out)
		return -ENODEV;
	int h = handle_take(x);
	if (h < 0)
		return -ENOSPC;
	for (int tries = 0; tries < 64; tries++) {
		uint32_t spi = spi_random_bits() << 20 | (uint32_t)h;
		/* 1-255 are reserved (RFC 4303); an SA in the hash may hold this SPI already. */
		if (spi < 256 || fp_sa_lookup_inbound(spi))
			continue;
		handles.reserved[h] = spi;
		handles.n_reserved++;
		*spi_out = spi;
		return 0;
	}
	handle_put((uint32_t)h);
	return -EAGAIN;
}

void fp_sa_release_spi(uint32_t spi)
{
	uint32_t h = spi & FP_SA_INDEX_MASK;
	if (!handles.reserved || spi < 256 || handles.reserved[h] != spi)
		return;
	handles.reserved[h] = 0;
	handles.n_reserved--;
	handle_put(h);
}

int fp_sa_reserved_count(void) { return (int)handles.n_reserved; }

static void ends_fill(struct fp_sa_ends *e, const fp_ip_t *local, const fp_ip_t *remote, uint8_t udp, uint16_t udp_local,
                      uint16_t udp_remote)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->local, local->addr, 4);
	memcpy(e->remote, remote->addr, 4);
	e->udp = udp ? 1 : 0;
	e->udp_local = udp_local ? udp_local : FP_ESP_DEFAULT_UDP_PORT;
	e->udp_remote = udp_remote ? udp_remote : FP_ESP_DEFAULT_UDP_PORT;
}

int fp_sa_add(const fp_sa_config_t *cfg, char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	struct fp_ipsec *x = fp_ipsec();
	if (!fp->eal_up || !x->sas) {
		fp_seterr(err, errlen, "the fast path is not initialised");
		return -1;
	}
	if (cfg->key_len != 16 && cfg->key_len != 32) {
		fp_seterr(err, errlen, "SPI 0x%08x: key length %u (AES-GCM takes 16 or 32 bytes)", cfg->spi, cfg->key_len);
		return -1;
	}
	if (cfg->icv_len != 8 && cfg->icv_len != 12 && cfg->icv_len != 16) {
		fp_seterr(err, errlen, "SPI 0x%08x: ICV length %u (8, 12 or 16)", cfg->spi, cfg->icv_len);
		return -1;
	}
	if (cfg->replay_window > FP_SA_MAX_WINDOW || cfg->replay_window % 64) {
		fp_seterr(err, errlen, "SPI 0x%08x: replay window %u (a multiple of 64 up to %d)", cfg->spi,
		          cfg->replay_window, FP_SA_MAX_WINDOW);
		return -1;
	}
	if (cfg->spi < 256) {
		fp_seterr(err, errlen, "SPI 0x%08x is reserved (RFC 4303: 1-255)", cfg->spi);
		return -1;
	}
	if (cfg->tunnel_local.family != 4 || cfg->tunnel_remote.family != 4 ||
	    (cfg->ts_local.family != 4 && cfg->ts_local.family != 6) || cfg->ts_local.family != cfg->ts_remote.family) {
		fp_seterr(err, errlen, "SPI 0x%08x: tunnel addresses must be IPv4, selectors of one family", cfg->spi);
		return -1;
	}
	for (uint8_t i = 0; i < cfg->n_more_local + cfg->n_more_remote && i < 2 * FP_SA_MORE_TS; i++) {
		const fp_prefix_t *p = i < cfg->n_more_local ? &cfg->more_local[i] : &cfg->more_remote[i - cfg->n_more_local];
		if (cfg->n_more_local > FP_SA_MORE_TS || cfg->n_more_remote > FP_SA_MORE_TS ||
		    !((p->addr.family == 4 && p->len <= 32) || (p->addr.family == 6 && p->len <= 128))) {
			fp_seterr(err, errlen, "SPI 0x%08x: bad additional traffic selector (at most %d per side)", cfg->spi,
			          FP_SA_MORE_TS);
			return -1;
		}
	}
	if (cfg->direction == FP_SA_INBOUND && fp_sa_lookup_inbound(cfg->spi)) {
		fp_seterr(err, errlen, "an inbound SA with SPI 0x%08x exists", cfg->spi);
		return -1;
	}
	int reservation;
	int h = alloc_handle(x, cfg, &reservation);
	if (h < 0) {
		fp_seterr(err, errlen, "SA table full (%u)", FP_SA_MAX);
		return -1;
	}
	struct fp_sa *sa = rte_zmalloc("fp_sa", sizeof(*sa), 64);
	if (!sa) {
		alloc_undo(h, reservation);
		fp_seterr(err, errlen, "out of memory for an SA");
		return -1;
	}
	sa->handle = (uint32_t)h;
	sa->spi = cfg->spi;
	sa->icv_len = cfg->icv_len;
	memcpy(sa->salt, cfg->salt, 4);
	ends_fill(&sa->ends[0], &cfg->tunnel_local, &cfg->tunnel_remote, cfg->udp_encap, cfg->udp_local_port,
	          cfg->udp_remote_port);
	sa->ts_family = cfg->ts_local.family;
	sa->ts_local_len = cfg->ts_local_len;
	sa->ts_remote_len = cfg->ts_remote_len;
	memcpy(sa->ts_local, cfg->ts_local.addr, 16);
	memcpy(sa->ts_remote, cfg->ts_remote.addr, 16);
	if (cfg->n_more_local || cfg->n_more_remote) {
		uint8_t nl = RTE_MIN(cfg->n_more_local, FP_SA_MORE_TS), nr = RTE_MIN(cfg->n_more_remote, FP_SA_MORE_TS);
		sa->more_ts = rte_zmalloc("fp_sa_ts", sizeof(struct fp_ts) * (nl + nr), 0);
		if (!sa->more_ts) {
			sa_free(sa);
			alloc_undo(h, reservation);
			fp_seterr(err, errlen, "out of memory for traffic selectors");
			return -1;
		}
		for (uint8_t i = 0; i < nl + nr; i++) {
			const fp_prefix_t *p = i < nl ? &cfg->more_local[i] : &cfg->more_remote[i - nl];
			sa->more_ts[i].family = p->addr.family;
			sa->more_ts[i].len = p->len;
			memcpy(sa->more_ts[i].addr, p->addr.addr, 16);
		}
		sa->n_more_local = nl;
		sa->n_more_remote = nr;
	}
	sa->soft_bytes = cfg->soft_bytes;
	sa->hard_bytes = cfg->hard_bytes;
	sa->soft_packets = cfg->soft_packets;
	sa->hard_packets = cfg->hard_packets;
	sa->cookie = cfg->cookie;
	uint32_t flags = 0;
	if (cfg->direction == FP_SA_INBOUND)
		flags |= FP_SA_F_INBOUND;
	if (cfg->esn)
		flags |= FP_SA_F_ESN;
	if (cfg->key_len == 32)
		flags |= FP_SA_F_AES256;
	if (cfg->direction == FP_SA_INBOUND && cfg->replay_window) {
		sa->window = cfg->replay_window;
		sa->bitmap = rte_zmalloc("fp_sa_win", cfg->replay_window / 8, RTE_CACHE_LINE_SIZE);
		if (!sa->bitmap) {
			sa_free(sa);
			alloc_undo(h, reservation);
			fp_seterr(err, errlen, "out of memory for a replay window");
			return -1;
		}
	}
	if (cfg->key_len == 32)
		IMB_AES256_GCM_PRE(x->control_mgr, cfg->key, &sa->key);
	else
		IMB_AES128_GCM_PRE(x->control_mgr, cfg->key, &sa->key);
	if (!cfg->inactive)
		flags |= FP_SA_F_ACTIVE;
	sa->flags = flags;

	if (cfg->direction == FP_SA_INBOUND && (uint32_t)h != (cfg->spi & FP_SA_INDEX_MASK)) {
		if (rte_hash_add_key_data(x->spi_index, &cfg->spi, (void *)(uintptr_t)h) < 0) {
			sa_free(sa);
			alloc_undo(h, reservation);
			fp_seterr(err, errlen, "SPI table full");
			return -1;
		}
	}
	if (reservation) {
		handles.reserved[h] = 0;
		handles.n_reserved--;
	}
	/* Publish: the SA is complete before a worker can see its pointer. */
	__atomic_store_n(&x->sas[h], sa, __ATOMIC_RELEASE);
	x->n_sas++;
	return h;
}

int fp_sa_del(int h)
{
	struct fp_main *fp = fp_main();
	struct fp_ipsec *x = fp_ipsec();
	struct fp_sa *sa = h >= 0 && (uint32_t)h < FP_SA_MAX && x->sas ? x->sas[h] : NULL;
	if (!sa)
		return -ENOENT;
	if ((sa->flags & FP_SA_F_INBOUND) && (uint32_t)h != (sa->spi & FP_SA_INDEX_MASK))
		rte_hash_del_key(x->spi_index, &sa->spi);
	__atomic_store_n(&x->sas[h], NULL, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(fp->qsv, RTE_QSBR_THRID_INVALID);
	sa_free(sa);
	x->n_sas--;
	handle_put((uint32_t)h);
	return 0;
}

/*
 * New tunnel endpoints for an installed SA (MOBIKE, NAT rebinding): the spare copy is written,
 * then published by flipping ends_cur; the grace period that follows means that once this
 * returns no worker builds a header from the old copy, so the next call may overwrite it.
 * Sequence numbers, the replay window, counters and keys stay as they are.
 */
int fp_sa_set_endpoints(int h, const fp_ip_t *local, const fp_ip_t *remote, uint8_t udp_encap, uint16_t udp_local_port,
                        uint16_t udp_remote_port)
{
	struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa)
		return -ENOENT;
	if (!local || !remote || local->family != 4 || remote->family != 4)
		return -EINVAL;
	uint32_t cur = __atomic_load_n(&sa->ends_cur, __ATOMIC_RELAXED) & 1;
	ends_fill(&sa->ends[cur ^ 1], local, remote, udp_encap, udp_local_port, udp_remote_port);
	__atomic_store_n(&sa->ends_cur, cur ^ 1, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(fp_main()->qsv, RTE_QSBR_THRID_INVALID);
	return 0;
}

int fp_sa_activate(int h)
{
	struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa)
		return -ENOENT;
	__atomic_fetch_or(&sa->flags, FP_SA_F_ACTIVE, __ATOMIC_RELEASE);
	return 0;
}

int fp_sa_count(void) { return (int)fp_ipsec()->n_sas; }

int fp_sa_next(int from)
{
	struct fp_ipsec *x = fp_ipsec();
	if (!x->sas)
		return -1;
	for (uint32_t i = from < 0 ? 0 : (uint32_t)from; i < FP_SA_MAX; i++)
		if (x->sas[i])
			return (int)i;
	return -1;
}

int fp_sa_info(int h, fp_sa_info_t *out)
{
	const struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa || !out)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	fp_sa_config_t *c = &out->config;
	c->spi = sa->spi;
	c->direction = (sa->flags & FP_SA_F_INBOUND) ? FP_SA_INBOUND : FP_SA_OUTBOUND;
	c->key_len = (sa->flags & FP_SA_F_AES256) ? 32 : 16;   /* the key itself never leaves */
	c->icv_len = sa->icv_len;
	c->esn = !!(sa->flags & FP_SA_F_ESN);
	c->replay_window = sa->window;
	const struct fp_sa_ends *e = fp_sa_ends(sa);
	c->tunnel_local.family = c->tunnel_remote.family = 4;
	memcpy(c->tunnel_local.addr, e->local, 4);
	memcpy(c->tunnel_remote.addr, e->remote, 4);
	c->udp_encap = e->udp;
	c->udp_local_port = e->udp_local;
	c->udp_remote_port = e->udp_remote;
	c->ts_local.family = c->ts_remote.family = sa->ts_family;
	memcpy(c->ts_local.addr, sa->ts_local, 16);
	memcpy(c->ts_remote.addr, sa->ts_remote, 16);
	c->ts_local_len = sa->ts_local_len;
	c->ts_remote_len = sa->ts_remote_len;
	c->soft_bytes = sa->soft_bytes;
	c->hard_bytes = sa->hard_bytes;
	c->soft_packets = sa->soft_packets;
	c->hard_packets = sa->hard_packets;
	c->cookie = sa->cookie;
	uint32_t flags = __atomic_load_n(&sa->flags, __ATOMIC_RELAXED);
	c->inactive = !(flags & FP_SA_F_ACTIVE);
	out->active = !!(flags & FP_SA_F_ACTIVE);
	out->expired = !!(flags & FP_SA_F_EXPIRED);
	out->packets = __atomic_load_n(&sa->packets, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&sa->bytes, __ATOMIC_RELAXED);
	out->replay_drops = __atomic_load_n(&sa->replay_drops, __ATOMIC_RELAXED);
	out->auth_failures = __atomic_load_n(&sa->auth_failures, __ATOMIC_RELAXED);
	out->policy_mismatches = __atomic_load_n(&sa->policy_mismatches, __ATOMIC_RELAXED);
	out->seq = __atomic_load_n(&sa->seq, __ATOMIC_RELAXED);
	out->replay_top = __atomic_load_n(&sa->top, __ATOMIC_RELAXED);
	return 0;
}

/* ---- HA hooks ------------------------------------------------------------------------ */

int fp_sa_get_seq(int h, uint64_t *seq)
{
	const struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa || (sa->flags & FP_SA_F_INBOUND) || !seq)
		return -ENOENT;
	*seq = __atomic_load_n(&sa->seq, __ATOMIC_ACQUIRE);
	return 0;
}

int fp_sa_set_seq(int h, uint64_t seq)
{
	struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa || (sa->flags & FP_SA_F_INBOUND))
		return -ENOENT;
	if (!(sa->flags & FP_SA_F_ESN) && seq > UINT32_MAX)
		return -ERANGE;
	__atomic_store_n(&sa->seq, seq, __ATOMIC_RELEASE);
	return 0;
}

int fp_sa_get_replay(int h, fp_replay_state_t *out)
{
	const struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa || !(sa->flags & FP_SA_F_INBOUND) || !out)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->top = __atomic_load_n(&sa->top, __ATOMIC_ACQUIRE);
	out->window = sa->window;
	if (sa->window)
		memcpy(out->bitmap, sa->bitmap, sa->window / 8);
	return 0;
}

/* Workers write seq and top; a relaxed load is enough for a sample (the next tick sees more).
 * The SAs are read a few ahead of use so that their cache misses overlap: at 10k SAs each
 * one is a miss. */
#define FP_PEEK_AHEAD 8

static inline const struct fp_sa *peek_sa(const int32_t *h, unsigned i, unsigned n)
{
	return i < n && h[i] >= 0 ? fp_sa_get((uint32_t)h[i]) : NULL;
}

int fp_sa_seq_peek_bulk(const int32_t *out_sa, const int32_t *in_sa, unsigned n,
			uint64_t *out_seq, uint64_t *in_top)
{
	int missing = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fp_sa *o = peek_sa(out_sa, i + FP_PEEK_AHEAD, n);
		const struct fp_sa *t = peek_sa(in_sa, i + FP_PEEK_AHEAD, n);
		if (o)
			rte_prefetch0(&o->seq);
		if (t)
			rte_prefetch0(&t->top);
		o = peek_sa(out_sa, i, n);
		t = peek_sa(in_sa, i, n);
		out_seq[i] = o ? __atomic_load_n(&o->seq, __ATOMIC_RELAXED) : UINT64_MAX;
		in_top[i] = t ? __atomic_load_n(&t->top, __ATOMIC_RELAXED) : UINT64_MAX;
		missing += !o + !t;
	}
	return missing;
}

/* Only for an SA no worker uses yet (installed inactive), as a standby does before takeover. */
int fp_sa_set_replay(int h, const fp_replay_state_t *in)
{
	struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa || !(sa->flags & FP_SA_F_INBOUND) || !in)
		return -ENOENT;
	if (sa->flags & FP_SA_F_ACTIVE)
		return -EBUSY;
	if (in->window != sa->window)
		return -EINVAL;
	sa->top = in->top;
	if (sa->window)
		memcpy(sa->bitmap, in->bitmap, sa->window / 8);
	return 0;
}

/* ---- one packet off the data path ----------------------------------------------------- */

static struct rte_mbuf *mbuf_from(const uint8_t *data, uint32_t len)
{
	struct fp_main *fp = fp_main();
	struct rte_mbuf *m = rte_pktmbuf_alloc(fp_pool_for_socket(fp, (int)rte_socket_id()));
	if (!m)
		return NULL;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (!p) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(p, data, len);
	return m;
}

static int copy_out(struct rte_mbuf *m, uint8_t *out, uint32_t cap)
{
	uint32_t n = rte_pktmbuf_pkt_len(m);
	if (n > cap)
		return -FP_CTR_DROP_ESP_NO_ROOM;
	memcpy(out, rte_pktmbuf_mtod(m, uint8_t *), n);
	return (int)n;
}

int fp_esp_encap_buffer(int h, const uint8_t *inner, uint32_t len, uint8_t *outer, uint32_t cap)
{
	struct fp_sa *sa = h >= 0 ? fp_sa_get((uint32_t)h) : NULL;
	if (!sa || (sa->flags & FP_SA_F_INBOUND))
		return -FP_CTR_DROP_ESP_INACTIVE;
	if (len < 1 || ((inner[0] >> 4) == 4 ? fp_ipv4_check(inner, len) : fp_ipv6_check(inner, len)) != FP_HDR_OK)
		return -FP_CTR_DROP_ESP_INNER;
	if (len > 1600)
		return -FP_CTR_DROP_ESP_NO_ROOM;
	struct rte_mbuf *m = mbuf_from(inner, len);
	if (!m)
		return -FP_CTR_DROP_ESP_NO_ROOM;
	int rc = fp_esp_encrypt(fp_ipsec()->control_mgr, sa, m);
	int n = rc ? -rc : copy_out(m, outer, cap);
	rte_pktmbuf_free(m);
	return n;
}

int fp_esp_decap_buffer(const uint8_t *outer, uint32_t len, uint8_t *inner, uint32_t cap, int *sa_out)
{
	*sa_out = -1;
	if (len > 1600 || fp_ipv4_check(outer, len) != FP_HDR_OK)
		return -FP_CTR_DROP_IP4_HDR;
	uint32_t off = fp_esp_offset(outer);      /* the workers' classifier */
	if (!off)
		return -FP_CTR_EXC_LOCAL;
	struct rte_mbuf *m = mbuf_from(outer, len);
	if (!m)
		return -FP_CTR_DROP_ESP_NO_ROOM;
	int rc = 0;
	struct fp_sa *sa = fp_esp_inbound_sa(m, off, &rc);
	if (sa) {
		*sa_out = (int)sa->handle;
		rc = fp_esp_decrypt(fp_ipsec()->control_mgr, sa, m, off);
	}
	int n = rc ? -rc : copy_out(m, inner, cap);
	rte_pktmbuf_free(m);
	return n;
}
