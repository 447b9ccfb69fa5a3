/*
 * strait-bench-esp: ESP encrypt and decrypt rate of one worker lcore over net_ring ports,
 * with 1 SA and with many, beside the cipher-only cost (intel-ipsec-mb direct AES-GCM on
 * the same plaintext lengths, on the same core, in the same run).
 *
 *   strait-bench-esp [--seconds S] [--sas N] [--key-bits 128|256] [--hugepages 0|1]
 *
 * Use hugepages (as production does): with 4 KiB pages, thousands of SAs also cost a TLB
 * miss each, which under a hypervisor's nested paging dwarfs the cipher.
 *
 * Output lines: "<op> <size> <sas> <Mpps> <Gbit/s inner> <cycles/pkt> <cipher cycles> <ratio> drops=N"
 * where ratio = cipher-only cycles / Strait cycles (1.0 = ESP costs only the cipher).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath.h"
#include "fp_bench.h"

/* ESP plaintext for an inner IP packet: the packet, padding to 4, pad length, next header. */
static uint32_t plaintext(uint32_t inner) { return inner + ((4 - ((inner + 2) & 3)) & 3) + 2; }

int main(int argc, char **argv)
{
	double seconds = 2;
	unsigned sas = 1, key_bits = 128, huge = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--sas")) sas = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--key-bits")) key_bits = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--hugepages")) huge = (unsigned)atoi(argv[i + 1]);
		else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
	}
	fp_config_t cfg;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.instance, sizeof(cfg.instance), "strait-bench-esp");
	cfg.control_cpu = 0;
	cfg.worker_cpus[0] = 1;
	cfg.n_workers = 1;
	cfg.nb_mbuf = 8192;
	cfg.mbuf_cache = 256;
	cfg.memory_mb = 900;
	cfg.poll_mode = FP_POLL_BUSY;
	cfg.hugepages = (uint8_t)huge;
	char err[FP_ERR_LEN];
	if (fp_init(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "strait-bench-esp: %s\n", err);
		return 1;
	}
	static const uint32_t s64[] = { 64 }, s1420[] = { 1420 };
	static const uint32_t imix[] = { 64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1420 };
	struct { const char *name; const uint32_t *lens; uint32_t n; } sizes[] = {
		{ "64", s64, 1 }, { "imix", imix, 12 }, { "1420", s1420, 1 },
	};
	/* Cipher-only cycles per size (IMIX: the mix's average). */
	double cipher[3];
	uint32_t all[14], nall = 0;
	all[nall++] = plaintext(64);
	for (int i = 0; i < 12; i++)
		all[nall++] = plaintext(imix[i]);
	all[nall++] = plaintext(1420);
	double cyc[14];
	if (fp_bench_cipher_only(all, nall, key_bits / 8, seconds / 8, cyc, err, sizeof(err)) != 0) {
		fprintf(stderr, "strait-bench-esp: %s\n", err);
		fp_shutdown();
		return 1;
	}
	cipher[0] = cyc[0];
	cipher[1] = 0;
	for (int i = 1; i <= 12; i++)
		cipher[1] += cyc[i] / 12;
	cipher[2] = cyc[13];
	if (fp_bench_esp_setup(sas, key_bits / 8, err, sizeof(err)) != 0) {
		fprintf(stderr, "strait-bench-esp: %s\n", err);
		fp_shutdown();
		return 1;
	}
	int rc = 0;
	for (int op = 0; op < 2 && !rc; op++) {
		for (int s = 0; s < 3; s++) {
			fp_bench_result_t r;
			if (fp_bench_esp_run(op, sizes[s].lens, sizes[s].n, seconds, &r, err, sizeof(err)) != 0) {
				fprintf(stderr, "strait-bench-esp: %s\n", err);
				rc = 1;
				break;
			}
			printf("%s %s %u %.2f %.2f %.1f %.1f %.2f drops=%llu busy=%.2f burst=%.1f\n", op ? "decrypt" : "encrypt",
			       sizes[s].name, sas, r.mpps, r.gbps, r.worker_busy_cycles_per_packet, cipher[s],
			       r.worker_busy_cycles_per_packet > 0 ? cipher[s] / r.worker_busy_cycles_per_packet : 0,
			       (unsigned long long)r.drops, r.worker_busy, r.burst);
			fflush(stdout);
		}
	}
	fp_shutdown();
	return rc;
}
