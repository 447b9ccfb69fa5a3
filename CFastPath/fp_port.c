/*
 * Ports: probe by PCI address or vdev spec, a kernel TAP mirror per port, queue plan,
 * start and stop.
 *
 * Queue plan: every worker has its own TX queue on every port (no TX locks). RX queues are
 * min(workers, what the device offers); with several, RSS spreads flows and the queues are
 * dealt round-robin to workers; with one, one worker serves it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "fp_internal.h"

static void device_name(const char *devargs, char *out, size_t outlen)
{
	size_t n = strcspn(devargs, ",");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, devargs, n);
	out[n] = 0;
}

static bool is_pci(const char *name)
{
	unsigned d, b, s, f;
	char tail;
	return sscanf(name, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) == 4;
}

/* net_af_packet opens one socket per queue pair at probe time: ask for one per worker. */
static void probe_devargs(const struct fp_main *fp, const fp_port_config_t *cfg, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", cfg->devargs);
	if (strncmp(cfg->devargs, "net_af_packet", 13) == 0 && !strstr(cfg->devargs, "qpairs=")) {
		size_t len = strlen(out);
		snprintf(out + len, outlen - len, "%sqpairs=%u", strchr(out, ',') ? "," : ",",
		         fp->cfg.n_workers ? fp->cfg.n_workers : 1);
	}
}

static int probe(const char *devargs, const char *devname, uint16_t *port_id, char *err, size_t errlen)
{
	int rc;
	if (is_pci(devname)) {
		rc = rte_dev_probe(devargs);
	} else {
		/* vdevs: "name,args" -> rte_dev_probe wants the bus-qualified form. */
		char spec[FP_DEVARGS_LEN + 16];
		snprintf(spec, sizeof(spec), "vdev:%s", devargs);
		rc = rte_dev_probe(spec);
	}
	if (rc != 0) {
		fp_seterr(err, errlen, "cannot open device '%s': %s", devargs, strerror(-rc));
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(devname, port_id) != 0) {
		fp_seterr(err, errlen, "device '%s' opened but is not an Ethernet port", devname);
		return -1;
	}
	return 0;
}

/* Undo a probe (the port never started). */
static void remove_port(uint16_t port_id)
{
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port_id, &info) == 0 && info.device) {
		rte_eth_dev_close(port_id);
		rte_dev_remove(info.device);
	}
}

int fp_port_add(const fp_port_config_t *cfg, char *err, size_t errlen)
{
	struct fp_main *fp = fp_main();
	if (!fp->eal_up || fp->started) {
		fp_seterr(err, errlen, "ports can only be added between fp_init and fp_start");
		return -1;
	}
	if (fp->n_ports >= FP_MAX_PORTS) {
		fp_seterr(err, errlen, "too many ports (max %d)", FP_MAX_PORTS);
		return -1;
	}
	int handle = fp->n_ports;
	struct fp_port *p = &fp->ports[handle];
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->cfg.name[FP_NAME_LEN - 1] = 0;
	probe_devargs(fp, cfg, p->devargs, sizeof(p->devargs));
	device_name(p->devargs, p->devname, sizeof(p->devname));
	if (probe(p->devargs, p->devname, &p->port_id, err, errlen) != 0)
		return -1;

	if (cfg->has_mac) {
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, cfg->mac, 6);
		int rc = rte_eth_dev_default_mac_addr_set(p->port_id, &mac);
		if (rc != 0) {
			fp_seterr(err, errlen, "port %s: cannot set MAC: %s", cfg->name, strerror(-rc));
			remove_port(p->port_id);
			return -1;
		}
	}
	struct fp_port_rt *rt = &fp->port_rt[handle];
	rte_eth_macaddr_get(p->port_id, &rt->mac);
	rt->port_id = p->port_id;
	rt->mtu = cfg->mtu ? cfg->mtu : RTE_ETHER_MTU;
	if (!fp->min_mtu || rt->mtu < fp->min_mtu)
		fp->min_mtu = rt->mtu;

	if (!cfg->no_mirror) {
		/* The kernel mirror: same name as the port, same MAC, same MTU (set at start). */
		char mirror[FP_DEVARGS_LEN];
		snprintf(p->mirror_devname, sizeof(p->mirror_devname), "net_tap_%s", cfg->name);
		snprintf(mirror, sizeof(mirror), "%s,iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, p->mirror_devname,
		         cfg->name, RTE_ETHER_ADDR_BYTES(&rt->mac));
		if (probe(mirror, p->mirror_devname, &p->mirror_id, err, errlen) != 0) {
			remove_port(p->port_id);
			return -1;
		}
		char rname[RTE_RING_NAMESIZE];
		snprintf(rname, sizeof(rname), "fp_tok_%d", handle);
		rt->to_kernel = rte_ring_create(rname, FP_EXC_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
		snprintf(rname, sizeof(rname), "fp_frk_%d", handle);
		rt->from_kernel = rte_ring_create(rname, FP_EXC_RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rt->to_kernel || !rt->from_kernel) {
			fp_seterr(err, errlen, "port %s: cannot create exception rings: %s", cfg->name,
			          rte_strerror(rte_errno));
			return -1;
		}
		rt->has_mirror = 1;
	}
	fp->n_ports++;
	return handle;
}

static int setup_port(struct fp_main *fp, int handle, char *err, size_t errlen)
{
	struct fp_port *p = &fp->ports[handle];
	struct fp_port_rt *rt = &fp->port_rt[handle];
	uint16_t pid = p->port_id;
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		fp_seterr(err, errlen, "port %s: cannot read device info: %s", p->cfg.name, strerror(-rc));
		return -1;
	}
	uint16_t workers = (uint16_t)fp->cfg.n_workers;
	p->n_rxq = RTE_MIN(workers, info.max_rx_queues);
	p->n_txq = workers;
	if (info.max_tx_queues < workers) {
		fp_seterr(err, errlen, "port %s: device offers %u TX queues, %u workers need one each",
		          p->cfg.name, info.max_tx_queues, workers);
		return -1;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (p->n_rxq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
		                                   info.flow_type_rss_offloads;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	rc = rte_eth_dev_configure(pid, p->n_rxq, p->n_txq, &conf);
	if (rc != 0) {
		fp_seterr(err, errlen, "port %s: configure %u rx/%u tx queues failed: %s", p->cfg.name,
		          p->n_rxq, p->n_txq, strerror(-rc));
		return -1;
	}
	uint16_t nb_rxd = p->cfg.nb_rxd ? p->cfg.nb_rxd : 1024, nb_txd = p->cfg.nb_txd ? p->cfg.nb_txd : 1024;
	rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	int socket = rte_eth_dev_socket_id(pid);
	p->socket = socket < 0 ? 0 : (uint16_t)socket;
	struct rte_mempool *pool = fp_pool_for_socket(fp, socket);
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, p->socket, NULL, pool);
		if (rc != 0) {
			fp_seterr(err, errlen, "port %s: rx queue %u setup failed: %s", p->cfg.name, q, strerror(-rc));
			return -1;
		}
	}
	for (uint16_t q = 0; q < p->n_txq; q++) {
		struct rte_eth_txconf txc = info.default_txconf;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_tx_queue_setup(pid, q, nb_txd, p->socket, &txc);
		if (rc != 0) {
			fp_seterr(err, errlen, "port %s: tx queue %u setup failed: %s", p->cfg.name, q, strerror(-rc));
			return -1;
		}
	}
	if (p->cfg.mtu) {
		rc = rte_eth_dev_set_mtu(pid, p->cfg.mtu);
		if (rc != 0 && rc != -ENOTSUP) {
			fp_seterr(err, errlen, "port %s: cannot set MTU %u: %s", p->cfg.name, p->cfg.mtu, strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		fp_seterr(err, errlen, "port %s: start failed: %s", p->cfg.name, strerror(-rc));
		return -1;
	}
	p->started = true;

	if (rt->has_mirror) {
		struct rte_eth_conf mconf;
		memset(&mconf, 0, sizeof(mconf));
		if ((rc = rte_eth_dev_configure(p->mirror_id, 1, 1, &mconf)) != 0 ||
		    (rc = rte_eth_rx_queue_setup(p->mirror_id, 0, 512, p->socket, NULL, pool)) != 0 ||
		    (rc = rte_eth_tx_queue_setup(p->mirror_id, 0, 512, p->socket, NULL)) != 0 ||
		    (rc = rte_eth_dev_set_mtu(p->mirror_id, rt->mtu)) != 0 ||
		    (rc = rte_eth_dev_start(p->mirror_id)) != 0) {
			fp_seterr(err, errlen, "port %s: kernel mirror setup failed: %s", p->cfg.name, strerror(-rc));
			return -1;
		}
		p->mirror_started = true;
	}
	return 0;
}

/* Deal RX queues to workers and pick who drains each port's from-kernel ring. */
static int plan_queues(struct fp_main *fp, char *err, size_t errlen)
{
	uint32_t next = 0;
	for (uint32_t w = 0; w < fp->cfg.n_workers; w++) {
		fp->workers[w].n_rx = 0;
		fp->workers[w].n_kernel = 0;
		fp->workers[w].tx_queue = (uint16_t)w;
	}
	for (int h = 0; h < fp->n_ports; h++) {
		struct fp_port *p = &fp->ports[h];
		for (uint16_t q = 0; q < p->n_rxq; q++) {
			struct fp_worker *w = &fp->workers[next++ % fp->cfg.n_workers];
			if (w->n_rx >= FP_MAX_LCORE_QUEUES) {
				fp_seterr(err, errlen, "too many RX queues for worker lcore %u", w->lcore);
				return -1;
			}
			w->rx[w->n_rx].port = (uint16_t)h;
			w->rx[w->n_rx].queue = q;
			w->n_rx++;
		}
		if (fp->port_rt[h].has_mirror) {
			p->kernel_owner = h % (int)fp->cfg.n_workers;
			struct fp_worker *w = &fp->workers[p->kernel_owner];
			w->kernel_ports[w->n_kernel++] = (uint16_t)h;
		}
	}
	return 0;
}

int fp_ports_start(struct fp_main *fp, char *err, size_t errlen)
{
	for (int h = 0; h < fp->n_ports; h++) {
		if (setup_port(fp, h, err, errlen) != 0) {
			fp_ports_stop(fp);
			return -1;
		}
	}
	return plan_queues(fp, err, errlen);
}

static void free_ring(struct rte_ring *r)
{
	struct rte_mbuf *m;
	if (!r)
		return;
	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void fp_ports_stop(struct fp_main *fp)
{
	for (int h = 0; h < fp->n_ports; h++) {
		struct fp_port *p = &fp->ports[h];
		struct fp_port_rt *rt = &fp->port_rt[h];
		if (p->started)
			rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		p->started = false;
		if (rt->has_mirror) {
			if (p->mirror_started)
				rte_eth_dev_stop(p->mirror_id);
			/* Closing a net_tap port deletes its kernel interface. */
			rte_eth_dev_close(p->mirror_id);
			p->mirror_started = false;
			free_ring(rt->to_kernel);
			free_ring(rt->from_kernel);
			rt->to_kernel = rt->from_kernel = NULL;
			rt->has_mirror = 0;
		}
	}
	fp->n_ports = 0;
}

int fp_port_count(void) { return fp_main()->n_ports; }

int fp_port_set_icmp6_source(int handle, const fp_ip_t *addr)
{
	struct fp_main *fp = fp_main();
	if (handle < 0 || handle >= fp->n_ports || !addr || addr->family != 6)
		return -1;
	struct fp_port_rt *rt = &fp->port_rt[handle];
	/* Workers may read it mid-update; the worst they send is one error from a mixed
	 * address, which is why the flag goes last. */
	__atomic_store_n(&rt->has_icmp6_src, 0, __ATOMIC_RELEASE);
	memcpy(rt->icmp6_src, addr->addr, 16);
	__atomic_store_n(&rt->has_icmp6_src, 1, __ATOMIC_RELEASE);
	return 0;
}

int fp_port_info(int handle, fp_port_info_t *out)
{
	struct fp_main *fp = fp_main();
	if (handle < 0 || handle >= fp->n_ports || !out)
		return -EINVAL;
	const struct fp_port *p = &fp->ports[handle];
	const struct fp_port_rt *rt = &fp->port_rt[handle];
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", p->cfg.name);
	snprintf(out->devargs, sizeof(out->devargs), "%s", p->cfg.devargs);
	if (rt->has_mirror)
		snprintf(out->mirror, sizeof(out->mirror), "%s", p->cfg.name);
	memcpy(out->mac, rt->mac.addr_bytes, 6);
	struct rte_eth_link link;
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0) {
		out->link_up = link.link_status == RTE_ETH_LINK_UP;
		out->speed_mbps = link.link_speed;
	}
	out->mtu = rt->mtu;
	out->rx_queues = p->n_rxq;
	out->tx_queues = p->n_txq;
	struct rte_eth_stats st;
	if (rte_eth_stats_get(p->port_id, &st) == 0) {
		out->rx_packets = st.ipackets;
		out->rx_bytes = st.ibytes;
		out->tx_packets = st.opackets;
		out->tx_bytes = st.obytes;
		out->rx_errors = st.ierrors;
		out->tx_errors = st.oerrors;
		out->rx_missed = st.imissed;
	}
	return 0;
}
