/*
 * strait-esp-tool: runs Strait's ESP code on packets given as hex lines, one SA at a time.
 * Used by the interop tests (scapy builds and checks the other side) and the fuzz seeds.
 *
 *   strait-esp-tool encap|decap --spi HEX --key HEX [--icv 16] [--esn] [--udp]
 *       [--window N] [--seq N] [--top N] [--soft-packets N] [--hard-packets N]
 *       [--soft-bytes N] [--hard-bytes N] --local A --remote B --ts-local P --ts-remote P
 *
 * stdin: one IP packet per line, in hex. stdout: per line, the resulting packet in hex, or
 * "DROP <counter>". --seq sets the outbound SA's last sequence number; --top the inbound
 * SA's replay window edge (both through the HA hooks). The key is RFC 4106 keying
 * material: key bytes followed by the 4-byte salt. Lifetime events the fast path raises
 * are printed to stderr as "EVENT <type> spi=0x...", after the line that caused them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "fastpath.h"
#include "fp_ipsec.h"

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (s[0] && s[1] && s[0] != '\n') {
		unsigned v;
		if (n >= cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (int)n;
}

static int parse_ip(const char *s, fp_ip_t *ip, uint8_t *len)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (len)
			*len = (uint8_t)atoi(slash + 1);
	}
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, buf, ip->addr) == 1) {
		ip->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, ip->addr) == 1) {
		ip->family = 6;
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "encap") && strcmp(argv[1], "decap"))) {
		fprintf(stderr, "usage: strait-esp-tool encap|decap --spi HEX --key HEX ...\n");
		return 2;
	}
	int encap = !strcmp(argv[1], "encap");
	fp_sa_config_t sa;
	memset(&sa, 0, sizeof(sa));
	sa.direction = encap ? FP_SA_OUTBOUND : FP_SA_INBOUND;
	sa.icv_len = 16;
	sa.replay_window = 64;
	unsigned long long seq = 0, top = 0;
	int have_seq = 0, have_top = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(a, "--esn")) { sa.esn = 1; continue; }
		if (!strcmp(a, "--udp")) { sa.udp_encap = 1; continue; }
		i++;
		if (!strcmp(a, "--spi")) sa.spi = (uint32_t)strtoul(v, NULL, 16);
		else if (!strcmp(a, "--icv")) sa.icv_len = (uint8_t)atoi(v);
		else if (!strcmp(a, "--window")) sa.replay_window = (uint32_t)atoi(v);
		else if (!strcmp(a, "--seq")) { seq = strtoull(v, NULL, 0); have_seq = 1; }
		else if (!strcmp(a, "--top")) { top = strtoull(v, NULL, 0); have_top = 1; }
		else if (!strcmp(a, "--soft-packets")) sa.soft_packets = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--hard-packets")) sa.hard_packets = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--soft-bytes")) sa.soft_bytes = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--hard-bytes")) sa.hard_bytes = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--local")) parse_ip(v, &sa.tunnel_local, NULL);
		else if (!strcmp(a, "--remote")) parse_ip(v, &sa.tunnel_remote, NULL);
		else if (!strcmp(a, "--ts-local")) parse_ip(v, &sa.ts_local, &sa.ts_local_len);
		else if (!strcmp(a, "--ts-remote")) parse_ip(v, &sa.ts_remote, &sa.ts_remote_len);
		else if (!strcmp(a, "--key")) {
			uint8_t k[36];
			int n = unhex(v, k, sizeof(k));
			if (n != 20 && n != 36) {
				fprintf(stderr, "strait-esp-tool: --key takes 20 or 36 bytes (key + salt), got %d\n", n);
				return 2;
			}
			sa.key_len = (uint8_t)(n - 4);
			memcpy(sa.key, k, sa.key_len);
			memcpy(sa.salt, k + sa.key_len, 4);
		} else {
			fprintf(stderr, "strait-esp-tool: unknown option %s\n", a);
			return 2;
		}
	}
	if (have_top)
		sa.inactive = 1;

	fp_config_t cfg;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.instance, sizeof(cfg.instance), "strait-esp-tool-%d", (int)getpid());
	cfg.nb_mbuf = 1024;
	cfg.mbuf_cache = 32;
	cfg.memory_mb = 400;
	cfg.log_level = 3;
	char err[FP_ERR_LEN];
	if (fp_init(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "strait-esp-tool: %s\n", err);
		return 1;
	}
	int h = fp_sa_add(&sa, err, sizeof(err));
	memset(sa.key, 0, sizeof(sa.key));
	if (h < 0) {
		fprintf(stderr, "strait-esp-tool: %s\n", err);
		fp_shutdown();
		return 1;
	}
	if (have_seq && fp_sa_set_seq(h, seq) != 0)
		fprintf(stderr, "strait-esp-tool: cannot set the sequence number\n");
	if (have_top) {
		fp_replay_state_t st;
		fp_sa_get_replay(h, &st);
		st.top = top;
		if (st.window)
			st.bitmap[0] = 1;       /* top itself was seen */
		if (fp_sa_set_replay(h, &st) != 0 || fp_sa_activate(h) != 0)
			fprintf(stderr, "strait-esp-tool: cannot set the replay state\n");
	}
	char line[8192];
	static uint8_t in[4096], out[4096];
	while (fgets(line, sizeof(line), stdin)) {
		int n = unhex(line, in, sizeof(in));
		if (n <= 0) {
			printf("DROP bad-input\n");
			fflush(stdout);
			continue;
		}
		int sa_out = -1;
		int r = encap ? fp_esp_encap_buffer(h, in, (uint32_t)n, out, sizeof(out))
		              : fp_esp_decap_buffer(in, (uint32_t)n, out, sizeof(out), &sa_out);
		if (r < 0) {
			printf("DROP %s\n", fp_counter_name(-r));
		} else {
			for (int i = 0; i < r; i++)
				printf("%02x", out[i]);
			printf("\n");
		}
		fflush(stdout);
		fp_ipsec_event_t ev[8];
		static const char *names[] = { "", "soft-expired", "hard-expired", "seq-exhausted", "unknown-spi", "resolve" };
		int ne = fp_ipsec_events(ev, 8);
		for (int e = 0; e < ne; e++)
			fprintf(stderr, "EVENT %s spi=0x%08x\n", ev[e].type <= 5 ? names[ev[e].type] : "?", ev[e].spi);
	}
	fp_sa_del(h);
	fp_shutdown();
	return 0;
}
