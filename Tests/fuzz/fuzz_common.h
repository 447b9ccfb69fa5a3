/*
 * Shared by the ESP fuzz targets: the inbound SAs they install and the input format.
 *
 * Input: one flags byte, then the packet.
 *   bits 0-1  the replay window's right edge every SA starts from (fuzz_tops[])
 *   bit 2     fix the outer IPv4 total length and header checksum up (reach deeper)
 *   bit 3     decap target: a 64-byte output buffer (the "does not fit" path)
 *   bit 4     worker target: the input carries its own Ethernet header
 * Every input starts from freshly installed SAs, so a crash reproduces from its input alone.
 *
 * make_seeds.py builds valid packets for these SAs: keep both in step (keys are derived from
 * the SA's index, see fuzz_key()).
 */
#ifndef STRAIT_FUZZ_COMMON_H
#define STRAIT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastpath.h"
#include "fp_ipsec.h"

struct fuzz_sa {
	uint32_t spi;
	uint8_t key_len, icv, esn, udp, v6;
	uint32_t window;
	uint8_t ts_len;            /* selectors: 0 = everything, else 10.0.0.0/ts_len on both sides */
};

static const struct fuzz_sa fuzz_sas[] = {
	{ 0x00001001, 16, 16, 0, 0, 0, 64, 0 },
	{ 0x00002002, 32, 16, 1, 0, 1, 4096, 0 },
	{ 0x00003003, 16, 8, 1, 1, 0, 0, 0 },
	{ 0x00101001, 16, 12, 0, 1, 0, 128, 8 },   /* low 20 bits collide with SA 0: the SPI hash */
};
#define FUZZ_N_SAS (sizeof(fuzz_sas) / sizeof(fuzz_sas[0]))

static const uint64_t fuzz_tops[4] = { 0, 0xFFFFFFF0u, 0x100000005ull, 0xFFFFFFFFFFFFFF00ull };

/* Key material (key | 4-byte salt) of SA i: byte j = 0x11 * (i + 1) + j. */
static inline void fuzz_key(unsigned i, uint8_t *out, unsigned len)
{
	for (unsigned j = 0; j < len; j++)
		out[j] = (uint8_t)(0x11 * (i + 1) + j);
}

static int fuzz_handles[FUZZ_N_SAS];

static inline void fuzz_die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, err);
	abort();
}

static inline fp_ip_t fuzz_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	fp_ip_t ip;
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	ip.addr[0] = a, ip.addr[1] = b, ip.addr[2] = c, ip.addr[3] = d;
	return ip;
}

/* (Re)install every SA, inactive, set its window edge, then activate it. */
static inline void fuzz_install_sas(unsigned preset)
{
	char err[FP_ERR_LEN];
	for (unsigned i = 0; i < FUZZ_N_SAS; i++) {
		const struct fuzz_sa *s = &fuzz_sas[i];
		if (fuzz_handles[i] > 0)
			fp_sa_del(fuzz_handles[i]);
		fp_sa_config_t c;
		memset(&c, 0, sizeof(c));
		c.spi = s->spi;
		c.direction = FP_SA_INBOUND;
		uint8_t km[36];
		fuzz_key(i, km, s->key_len + 4u);
		memcpy(c.key, km, s->key_len);
		c.key_len = s->key_len;
		memcpy(c.salt, km + s->key_len, 4);
		c.icv_len = s->icv;
		c.esn = s->esn;
		c.replay_window = s->window;
		c.udp_encap = s->udp;
		c.tunnel_local = fuzz_ip4(192, 0, 2, 1);
		c.tunnel_remote = fuzz_ip4(192, 0, 2, 2);
		if (s->v6) {
			c.ts_local.family = c.ts_remote.family = 6;
		} else if (s->ts_len) {
			c.ts_local = c.ts_remote = fuzz_ip4(10, 0, 0, 0);
			c.ts_local_len = c.ts_remote_len = s->ts_len;
		} else {
			c.ts_local = c.ts_remote = fuzz_ip4(0, 0, 0, 0);
		}
		c.inactive = 1;
		int h = fp_sa_add(&c, err, sizeof(err));
		if (h < 0)
			fuzz_die("fp_sa_add", err);
		fuzz_handles[i] = h;
		fp_replay_state_t st;
		if (fp_sa_get_replay(h, &st) != 0)
			fuzz_die("fp_sa_get_replay", "failed");
		st.top = s->esn ? fuzz_tops[preset & 3] : (uint32_t)fuzz_tops[preset & 3];
		if (fp_sa_set_replay(h, &st) != 0 || fp_sa_activate(h) != 0)
			fuzz_die("fp_sa_set_replay", "failed");
	}
	fp_ipsec_event_t ev[64];
	while (fp_ipsec_events(ev, 64) == 64)
		;
}

/* Make an IPv4 header's total length and checksum agree with len bytes. */
static inline void fuzz_fix_ipv4(uint8_t *p, size_t len)
{
	if (len < 20 || len > 0xffff || (p[0] >> 4) != 4 || (p[0] & 15) < 5 || (size_t)(p[0] & 15) * 4 > len)
		return;
	unsigned ihl = (p[0] & 15) * 4u;
	p[2] = (uint8_t)(len >> 8), p[3] = (uint8_t)len;
	p[10] = p[11] = 0;
	uint32_t sum = 0;
	for (unsigned i = 0; i < ihl; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8), p[11] = (uint8_t)~sum;
}

static inline void fuzz_eal(uint32_t n_workers, uint32_t worker_cpu, fp_poll_mode_t mode)
{
	fp_config_t c;
	memset(&c, 0, sizeof(c));
	snprintf(c.instance, sizeof(c.instance), "strait-fuzz-%d", (int)getpid());
	c.control_cpu = 0;
	c.n_workers = n_workers;
	c.worker_cpus[0] = worker_cpu;
	c.nb_mbuf = 2048;
	c.mbuf_cache = 32;
	c.memory_mb = 512;
	c.poll_mode = mode;
	c.idle_sleep_us = 10;
	c.log_level = 1;
	char err[FP_ERR_LEN];
	if (fp_init(&c, err, sizeof(err)) != 0)
		fuzz_die("fp_init", err);
	atexit(fp_shutdown);
}

#endif
