/*
 * libFuzzer target: fp_esp_decap_buffer, the inbound ESP path the workers run (SA lookup by
 * SPI, anti-replay with ESN inference, AES-GCM, trailer, inner checks, selectors), on any
 * bytes. Crashes, sanitizer reports and broken output invariants (abort) are findings.
 */
#include "fuzz_common.h"

static uint64_t inputs, decapsulated;

static void stats(void)
{
	if (getenv("STRAIT_FUZZ_STATS"))
		fprintf(stderr, "fuzz stats: %llu inputs, %llu decapsulated\n", (unsigned long long)inputs,
		        (unsigned long long)decapsulated);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_eal(0, 0, FP_POLL_BUSY);
	atexit(stats);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	inputs++;
	uint8_t flags = data[0];
	size_t len = size - 1;
	/* Exact-size heap copies: AddressSanitizer sees any read past the packet's bytes. */
	uint8_t *pkt = malloc(len ? len : 1);
	memcpy(pkt, data + 1, len);
	if (flags & 4)
		fuzz_fix_ipv4(pkt, len);
	uint32_t cap = (flags & 8) ? 64 : 2048;
	uint8_t *out = malloc(cap);
	fuzz_install_sas(flags & 3);

	int sa = -2;
	int n = fp_esp_decap_buffer(pkt, (uint32_t)len, out, cap, &sa);
	if (n >= 0) {
		decapsulated++;
		/* What comes out is one whole IP packet that fits, from an SA we installed, and
		 * shorter than what went in by at least outer header, ESP header, IV, trailer, ICV. */
		int ours = 0;
		for (unsigned i = 0; i < FUZZ_N_SAS; i++)
			ours |= sa == fuzz_handles[i];
		if (!ours || (uint32_t)n > cap || (size_t)n + 20 + 8 + 8 + 2 + 8 > len)
			fuzz_die("decap output", "wrong SA or length");
		unsigned v = n ? out[0] >> 4 : 0;
		unsigned ip_len = v == 4 && n >= 4 ? (unsigned)(out[2] << 8 | out[3])
		                : v == 6 && n >= 6 ? (unsigned)(out[4] << 8 | out[5]) + 40u : 0;
		if (ip_len != (unsigned)n)
			fuzz_die("decap output", "not one IP packet");
	} else if (-n >= fp_counter_count() || !fp_counter_name(-n)) {
		fuzz_die("decap", "a negative return that names no counter");
	}
	free(out);
	free(pkt);
	return 0;
}
