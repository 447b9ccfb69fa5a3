/*
 * In-process forwarding benchmark over net_ring ports (Benchmarks/fwd drives it).
 *
 * Two ring ports with no mirrors; the calling thread is generator and sink, one worker
 * lcore forwards. Lives in CFastPath because only CFastPath includes DPDK.
 */
#ifndef STRAIT_FP_BENCH_H
#define STRAIT_FP_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct fp_bench_result {
	uint64_t packets;           /* forwarded by the worker during the run */
	double seconds;
	double mpps;
	double gbps;                /* at the frame size, counting 20 B of preamble and gap */
	double worker_busy_cycles_per_packet;
	uint64_t drops;             /* any drop counter that moved: must stay 0 */
	double worker_busy;         /* share of the worker's cycles spent on loops with packets */
	double burst;               /* packets per busy loop: below ~32 the generator limits */
} fp_bench_result_t;

/* After fp_init (one worker): create ring ports "bench-in"/"bench-out", start, and install
 * n_routes /24 routes (10.0.0.0/24 ... ) via one gateway on bench-out. */
int fp_bench_setup(uint32_t n_routes, char *err, size_t errlen);

/* Generate frame_len-byte IPv4 UDP frames (without CRC) over n_flows destinations spread
 * across the routes for `seconds`, and measure. */
int fp_bench_run(uint32_t frame_len, uint32_t n_flows, double seconds, fp_bench_result_t *out, char *err, size_t errlen);

#endif

/* ---- ESP benchmark ---- */

/* Cipher-only cost: intel-ipsec-mb's direct AES-GCM on buffers of the given lengths (the
 * ESP plaintext of each inner size), on the worker lcore, before anything else runs there.
 * Call after fp_init, before fp_bench_esp_setup. cycles_out[i] per operation. */
int fp_bench_cipher_only(const uint32_t *lens, uint32_t n, uint32_t key_len, double seconds, double *cycles_out,
                         char *err, size_t errlen);

/* Ring ports, n_sas SA pairs (AES-GCM with key_len 16 or 32, 16-byte ICV), a tunnel route
 * per outbound SA, the local address for inbound ESP, and the inner routes. */
int fp_bench_esp_setup(uint32_t n_sas, uint32_t key_len, char *err, size_t errlen);

/* Encrypt (decrypt = 0) or decrypt (1) for `seconds`. Inner IP packet lengths cycle through
 * lens[0..n) (one entry: fixed size; 64/576/1420 7:4:1: IMIX), spread over all SAs.
 * gbps counts inner IP bytes. */
int fp_bench_esp_run(int decrypt, const uint32_t *lens, uint32_t n, double seconds, fp_bench_result_t *out,
                     char *err, size_t errlen);
