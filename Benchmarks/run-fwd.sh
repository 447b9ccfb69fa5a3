#!/usr/bin/env bash
# Forwarding benchmark: Strait's worker loop (IPv4 LPM + neighbour + rewrite) on one lcore
# over net_ring ports, beside dpdk-testpmd on net_ring ports in the same run.
#
#   bash Benchmarks/run-fwd.sh [seconds]
#
# Prints a markdown table for docs/benchmarks.md. Run as root on an idle machine with at
# least 2 CPUs (control/generator on CPU 0, the measured worker on CPU 1).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
secs=${1:-5}
swift build -c release --product strait-bench-fwd >/dev/null
bench=.build/release/strait-bench-fwd

testpmd_mpps() {   # mode, frame length without CRC -> Mpps summed over both ports
	local mode=$1 len=$2
	timeout $((secs + 15)) dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix strait-tpbench \
		--vdev=net_ring0 --vdev=net_ring1 --no-telemetry --log-level=3 -- \
		--forward-mode="$mode" --auto-start --tx-first --stats-period "$secs" --nb-cores=1 \
		--total-num-mbufs=8192 --burst=32 --txpkts="$len" </dev/null 2>/dev/null |
		awk '/Rx-pps/ { n++; if (n > 2) { s += $2; m++ } } END { if (m) printf "%.2f", s / (m / 2) / 1e6; else print "0" }' || true
}

strait=$("$bench" --seconds "$secs" --control-cpu 0 --worker-cpu 1)
s64=$(awk '$1 == "fwd" && $2 == 64 {print $3}' <<<"$strait")
s1518=$(awk '$1 == "fwd" && $2 == 1518 {print $3}' <<<"$strait")
c64=$(awk '$1 == "fwd" && $2 == 64 {print $5}' <<<"$strait")
c1518=$(awk '$1 == "fwd" && $2 == 1518 {print $5}' <<<"$strait")
io64=$(testpmd_mpps io 60); io1518=$(testpmd_mpps io 1514)
mac64=$(testpmd_mpps mac 60); mac1518=$(testpmd_mpps mac 1514)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

echo "Forwarding, one worker lcore, net_ring ports, ${secs} s per point ($(date -u +%F), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
echo
echo "| frame | Strait l3 forward (Mpps) | cycles/pkt | testpmd io (Mpps) | testpmd mac (Mpps) | Strait / testpmd io | Strait / testpmd mac |"
echo "|---|---|---|---|---|---|---|"
echo "| 64 B | $s64 | $c64 | $io64 | $mac64 | $(ratio "$s64" "$io64") | $(ratio "$s64" "$mac64") |"
echo "| 1518 B | $s1518 | $c1518 | $io1518 | $mac1518 | $(ratio "$s1518" "$io1518") | $(ratio "$s1518" "$mac1518") |"
