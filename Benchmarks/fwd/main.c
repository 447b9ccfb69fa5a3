/*
 * strait-bench-fwd: IPv4 forwarding rate of one worker lcore over net_ring ports.
 *
 *   strait-bench-fwd [--seconds S] [--routes N] [--flows N] [--control-cpu C] [--worker-cpu W]
 *
 * Prints one line per frame size (64 B and 1518 B on the wire, i.e. 60 and 1514 bytes
 * without CRC) as "fwd <size> <Mpps> <Gbit/s> <cycles/pkt>"; Benchmarks/run-fwd.sh puts it
 * beside dpdk-testpmd on the same kind of ring ports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath.h"
#include "fp_bench.h"

int main(int argc, char **argv)
{
	double seconds = 3;
	unsigned routes = 1024, flows = 4096, control = 0, worker = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--routes")) routes = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--flows")) flows = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--control-cpu")) control = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--worker-cpu")) worker = (unsigned)atoi(argv[i + 1]);
		else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
	}
	fp_config_t cfg;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.instance, sizeof(cfg.instance), "strait-bench");
	cfg.control_cpu = control;
	cfg.worker_cpus[0] = worker;
	cfg.n_workers = 1;
	cfg.nb_mbuf = 8192;
	cfg.mbuf_cache = 256;
	cfg.memory_mb = 512;
	cfg.poll_mode = FP_POLL_BUSY;
	char err[FP_ERR_LEN];
	if (fp_init(&cfg, err, sizeof(err)) != 0 || fp_bench_setup(routes, err, sizeof(err)) != 0) {
		fprintf(stderr, "strait-bench-fwd: %s\n", err);
		fp_shutdown();
		return 1;
	}
	const unsigned sizes[] = { 60, 1514 };
	int rc = 0;
	for (unsigned i = 0; i < 2; i++) {
		fp_bench_result_t r;
		if (fp_bench_run(sizes[i], flows, seconds, &r, err, sizeof(err)) != 0) {
			fprintf(stderr, "strait-bench-fwd: %s\n", err);
			rc = 1;
			break;
		}
		printf("fwd %u %.2f %.2f %.1f drops=%llu\n", sizes[i] + 4, r.mpps, r.gbps,
		       r.worker_busy_cycles_per_packet, (unsigned long long)r.drops);
		fflush(stdout);
	}
	fp_shutdown();
	return rc;
}
